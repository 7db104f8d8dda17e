"""What every ``lifecircle`` command shares: progress lines, scenario loading, error exits.

Kept apart from :mod:`optimizer.cli` so that command modules can use them without
importing the command group that imports them.
"""
from __future__ import annotations

import logging
import sys
import time

import click

from optimizer.errors import LifecircleError

log = logging.getLogger("optimizer")


class _Progress:
    """Progress lines for long steps, at most one per 10% (or a bar on a terminal)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.last: dict[str, int] = {}
        self.t0 = time.perf_counter()

    def __call__(self, step: str, done: int, total: int) -> None:
        if self.quiet or total <= 0 or time.perf_counter() - self.t0 < 1.0:
            return
        tenth = int(10 * done / total)
        if self.last.get(step) != tenth:
            self.last[step] = tenth
            log.info("%s: %d/%d (%d%%)", step, done, total, 100 * done // total)


def _load(scenario: str, sets: tuple[str, ...], extra: list[str]):
    from optimizer.scenario import load_scenario

    return load_scenario(scenario, list(sets) + extra)


def reach_cache(sc, root):
    """The reach cache a command uses: ``reach.cache_folder``, else ``<root>/.reach-cache``; ``None`` when off."""
    from pathlib import Path

    from optimizer.reach.cache import ReachCache

    return ReachCache(Path(sc.reach.cache_folder or Path(root) / ".reach-cache")) if sc.reach.cache else None


def solver_overrides(solver: str | None = None, time_limit: float | None = None, gap: float | None = None,
                     threads: int | None = None, *, log: bool = False) -> list[str]:
    """The ``solver.*=`` scenario overrides for the solver options a command was given.

    Parameters
    ----------
    solver
        ``--solver``: a registry name, ``greedy`` or ``auto``; omitted when empty.
    time_limit
        ``--time-limit`` in seconds.
    gap
        ``--gap``: the accepted relative gap.
    threads
        ``--threads``.
    log
        Forward the solver's log (``-vv``).

    Returns
    -------
    list[str]
        ``path=value`` strings for :func:`optimizer.scenario.load_scenario`, in the order
        name, time limit, gap, threads, log; only those given.

    Examples
    --------
    >>> solver_overrides("cbc", 60.0, None, 2)
    ['solver.name=cbc', 'solver.time_limit_s=60.0', 'solver.threads=2']
    """
    out = []
    if solver:
        out.append(f"solver.name={solver}")
    if time_limit is not None:
        out.append(f"solver.time_limit_s={time_limit}")
    if gap is not None:
        out.append(f"solver.relative_gap={gap}")
    if threads is not None:
        out.append(f"solver.threads={threads}")
    if log:
        out.append("solver.log=true")
    return out


def _fail(exc: BaseException) -> None:
    if isinstance(exc, LifecircleError):
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    raise exc
