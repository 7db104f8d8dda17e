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


def _fail(exc: BaseException) -> None:
    if isinstance(exc, LifecircleError):
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    raise exc
