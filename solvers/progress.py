"""Progress of a running solve, from a backend's callbacks to :attr:`SolverOptions.on_progress`.

Every backend that can say where its search stands (HiGHS, CBC, SCIP, CP-SAT, the greedy)
makes one :class:`ProgressReporter` per solve and calls :meth:`ProgressReporter.report`
from its own callbacks with what it knows (incumbent, bound, nodes). The reporter keeps
the best figures seen, computes the gap in the direction of the sense, passes at most
one record every :data:`MIN_INTERVAL_S` seconds on to the caller (the latest one is kept
and sent by :meth:`ProgressReporter.finish`), and never lets an error of the caller's
callback reach the solver: it is logged once at DEBUG and the callback is not called
again during that solve.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from solvers.problem import Sense
from solvers.result import ProgressCallback, SolveProgress, SolverOptions, progress_gap

logger = logging.getLogger(__name__)

__all__ = ["MIN_INTERVAL_S", "ProgressReporter", "throttled"]

#: Least seconds between two records passed on to :attr:`SolverOptions.on_progress`.
MIN_INTERVAL_S = 0.5


class ProgressReporter:
    """What one solve tells :attr:`SolverOptions.on_progress`, throttled and safe.

    Parameters
    ----------
    options
        The solve's options; nothing is reported when ``options.on_progress`` is ``None``.
    solver
        Registry name of the backend, named in each record.
    sense
        The problem's sense: which side of the incumbent a bound lies on.
    """

    def __init__(self, options: SolverOptions, solver: str, sense: Sense) -> None:
        self.callback: ProgressCallback | None = options.on_progress
        self.solver = solver
        self.maximise = sense is Sense.MAXIMIZE
        self.started = time.perf_counter()
        self.incumbent: float | None = None
        self.bound: float | None = None
        self.nodes: int | None = None
        self._sent_at = -math.inf
        self._pending = False
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """True while a callback is there to be told (a backend may skip its own work when not)."""
        return self.callback is not None

    def report(self, *, incumbent: float | None = None, bound: float | None = None,
               nodes: int | None = None) -> None:
        """Take what the solver says now; pass a record on unless one went out less than :data:`MIN_INTERVAL_S` ago.

        Parameters
        ----------
        incumbent
            The value of a plan the solver has (only a better one replaces the incumbent).
        bound
            A proven bound on the optimum (only a tighter one replaces the bound).
        nodes
            Nodes explored so far.

        Figures that are ``None``, NaN or infinite are ignored. Safe to call from any thread.
        """
        if self.callback is None:
            return
        with self._lock:
            if incumbent is not None and math.isfinite(incumbent) and (
                    self.incumbent is None or (incumbent > self.incumbent if self.maximise
                                               else incumbent < self.incumbent)):
                self.incumbent = float(incumbent)
            if bound is not None and math.isfinite(bound) and (
                    self.bound is None or (bound < self.bound if self.maximise else bound > self.bound)):
                self.bound = float(bound)
            if nodes is not None and nodes >= 0:
                self.nodes = int(nodes)
            now = time.perf_counter()
            if now - self._sent_at < MIN_INTERVAL_S:
                self._pending = True
                return
            self._sent_at, self._pending = now, False
            record = self._record(now)
        self._send(record)

    def finish(self) -> None:
        """Send the latest figures if they were held back by the throttle (call once the solver returns)."""
        with self._lock:
            if not self._pending or self.callback is None:
                return
            self._pending = False
            record = self._record(time.perf_counter())
        self._send(record)

    def _record(self, now: float) -> SolveProgress:
        bound = self.bound
        if bound is not None and self.incumbent is not None and (
                bound < self.incumbent if self.maximise else bound > self.incumbent):
            bound = self.incumbent  # numerical noise: a bound never lies past the incumbent
        return SolveProgress(solver=self.solver, elapsed_s=now - self.started, incumbent=self.incumbent,
                             bound=bound, gap=progress_gap(self.incumbent, bound, self.maximise), nodes=self.nodes)

    def _send(self, record: SolveProgress) -> None:
        callback = self.callback
        if callback is None:
            return
        try:
            callback(record)
        except Exception:  # the caller's display must never break a solve
            logger.debug("%s: the progress callback failed; no more progress for this solve", self.solver,
                         exc_info=True)
            self.callback = None


def throttled(act: Callable[[Any], Any], interval: float = MIN_INTERVAL_S) -> Callable[[Any], None]:
    """``act``, called at most once every ``interval`` seconds (the calls in between are dropped).

    For a search that finds better plans faster than valuing one for the progress line is worth:
    the caller hands its final plan on by itself.
    """
    last = -math.inf

    def call(arg: Any) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= interval:
            last = now
            act(arg)

    return call
