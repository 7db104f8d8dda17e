"""Progress while lifecircle works: who follows a running solve, and which piece of a long command runs.

Two things, both cheap to import (no numerical library):

- **A running solve.** :func:`watching_solves` lets a :class:`SolveWatcher` (the command
  line's progress line, :class:`optimizer.commands.common.SolveLine`) follow every
  :func:`optimizer.solving.solve` made inside it: told when a solve starts and ends, and
  given each :class:`solvers.result.SolveProgress` the solver's callbacks report. The
  watcher is set at the edge (a command); the computation only reads it.
- **Pieces of a long command.** :class:`PieceProgress` logs, at INFO, which piece of a
  frontier (budget), batch (run), city (piece) or ``plan --years`` (stage) is running and
  about how long is left, from the pieces finished so far.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from solvers.result import SolveProgress

log = logging.getLogger(__name__)

__all__ = ["PieceProgress", "SolveWatcher", "current_watcher", "time_left", "watching_solves"]


class SolveWatcher(Protocol):
    """What follows the solves of a command while they run (the command line's progress line).

    Attributes
    ----------
    live
        True when the watcher shows the running solve itself (a line rewritten on a
        terminal): the "solving with ..." heartbeat in the log is then left out.
    """

    live: bool

    def solve_started(self, solver: str, time_limit_s: float | None) -> None:
        """A solve with ``solver`` begins (its greedy start and strengthening included)."""

    def solve_progress(self, progress: SolveProgress) -> None:
        """The running solve reports where it stands."""

    def solve_finished(self) -> None:
        """The solve ended (whatever its outcome)."""


_watcher: ContextVar[SolveWatcher | None] = ContextVar("lifecircle_solve_watcher", default=None)


@contextmanager
def watching_solves(watcher: SolveWatcher | None) -> Iterator[None]:
    """Let ``watcher`` follow every solve made inside the ``with`` block (in this thread).

    Parameters
    ----------
    watcher
        The watcher; ``None`` for none (the log's heartbeat only).
    """
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


def current_watcher() -> SolveWatcher | None:
    """The watcher of solves in this context (:func:`watching_solves`), or ``None``."""
    return _watcher.get()


def time_left(seconds: float | None) -> str:
    """The estimate in words: ``estimating...`` without one, ``about 40 s left``, ``about 3 min left``.

    Examples
    --------
    >>> time_left(None), time_left(42.2), time_left(185)
    ('estimating...', 'about 42 s left', 'about 3 min left')
    """
    if seconds is None:
        return "estimating..."
    if seconds < 90:
        return f"about {max(round(seconds), 1)} s left"
    return f"about {round(seconds / 60)} min left"


class PieceProgress:
    """Which piece of a long command runs, and about how long is left, logged at INFO.

    The estimate is the time since the first piece began, per piece finished (skipped
    pieces, already done before, do not count), times the pieces not finished yet:
    for pieces solved one after another, the mean time per finished piece times the
    pieces left; for pieces solved side by side, the rate at which they finish.

    Parameters
    ----------
    what
        The kind of piece, in the planner's words (``budget``, ``run``, ``piece``, ``stage``).
    total
        How many pieces there are.
    clock
        Seconds now (``time.perf_counter``; a test may give its own).
    """

    def __init__(self, what: str, total: int, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.what = what
        self.total = int(total)
        self.clock = clock
        self.outcomes: dict[str, int] = {}
        self._began: float | None = None
        self._computed = 0

    @property
    def finished(self) -> int:
        """Pieces finished so far, whatever their outcome."""
        return sum(self.outcomes.values())

    def estimate_s(self) -> float | None:
        """Seconds left, from the pieces finished so far; ``None`` before the first one finishes."""
        if self._computed == 0 or self._began is None:
            return None
        per_piece = (self.clock() - self._began) / self._computed
        return per_piece * max(self.total - self.finished, 0)

    def counts(self) -> str:
        """``2 done, 1 failed, 1 skipped``: the outcomes so far, in order of first appearance."""
        return ", ".join(f"{n} {outcome}" for outcome, n in self.outcomes.items())

    def starting(self, k: int, name: str, *, at_most_s: float | None = None) -> str:
        """Log (and return) ``<what> k/n: <name> ... <estimate>`` as piece ``k`` (1-based) begins.

        Parameters
        ----------
        k, name
            The piece's number (1-based) and name.
        at_most_s
            The longest this piece can take (a solve's time limit), when known: the estimate
            is then that plus the time per finished piece for the pieces after it, said as
            ``at most about ...`` (pieces of unequal size, such as the stages of a run,
            are estimated better so).
        """
        if self._began is None:
            self._began = self.clock()
        counts = self.counts()
        estimate = self.estimate_s()
        if at_most_s is not None:
            after = max(self.total - self.finished - 1, 0)
            per_piece = estimate / max(self.total - self.finished, 1) if estimate is not None else 0.0
            said = "at most " + time_left(at_most_s + per_piece * after)
        else:
            said = time_left(estimate)
        line = f"{self.what} {k}/{self.total}: {name} ... {said}" + (f" ({counts})" if counts else "")
        log.info("%s", line)
        return line

    def record(self, outcome: str = "done", *, skipped: bool = False) -> str:
        """Count a finished piece (nothing logged); return ``<estimate> (<counts>)`` for the caller's own line.

        Parameters
        ----------
        outcome
            ``done``, ``failed``, ``skipped``, ``infeasible``, ...: counted and shown.
        skipped
            The piece took no work (already done before): not counted in the estimate.
        """
        if self._began is None:
            self._began = self.clock()
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if not skipped:
            self._computed += 1
        left = self.total - self.finished
        return (time_left(self.estimate_s()) if left > 0 else "all finished") + f" ({self.counts()})"

    def done(self, name: str, outcome: str = "done", *, skipped: bool = False) -> str:
        """Count a finished piece (:meth:`record`) and log (and return) ``<what> k/n <outcome>: <name>; <estimate>``."""
        said = self.record(outcome, skipped=skipped)
        line = f"{self.what} {self.finished}/{self.total} {outcome}: {name}; {said}"
        log.info("%s", line)
        return line
