"""A proof in two pieces, solved at once: one binary column fixed each way, one process each.

HiGHS's branch and bound keeps one core busy (measured on the three-year demo, 2026-12-06:
its solve process at 100 % of one of 2 cores for the whole tree), so on a machine with two
cores the second waits. Given a plan (the start) and a binary column, the problem splits
exactly in two:

- **the start's piece**: the column as the start has it, with the start;
- **the other piece**: the column the other way, with one more row, "objective at least the
  start's value" (at most, when minimising), so that HiGHS only has to show that nothing
  there beats the start, or find what does.

A plan is in hand in both (the start, or the value to beat), so both are marked
:data:`~solvers.base.BOUND_FOCUS`: HiGHS spends its time on the bound, its primal heuristics off.

Both run at once (:func:`solve_in_two_pieces`), each in its own solver process
(:mod:`solvers.isolation`; a problem too small for one is solved in two steps here). Every
plan of the whole problem lies in one piece, so:

- the plan returned is the best of the pieces' plans and the start;
- the bound is the larger (when maximising) of the start's piece's bound and the other
  piece's: its own bound, or the start's value when it proved that nothing there reaches it
  (infeasible with the row), or when its bound is under that value;
- "optimal" only when that bound meets the plan's value, as everywhere
  (:func:`solvers.base.build_result`).

A piece without a bound (stopped before it had one) leaves the whole without a bound.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from solvers.base import BOUND_FOCUS, Backend, build_result
from solvers.isolation import should_isolate
from solvers.problem import MatrixProblem, Sense
from solvers.result import (
    SolveProgress,
    SolveResult,
    SolverOptions,
    SolveStatus,
    Termination,
    bound_meets_value,
    relative_gap,
)

log = logging.getLogger(__name__)

#: :attr:`MatrixProblem.metadata` key: the binary column to split a solve on (see :func:`wants_pieces`).
SPLIT_COLUMN = "split_column"


def cores_here() -> int:
    """The cores this process may run on: its CPU affinity where the system tells it (``taskset``, a
    container's CPU set), else the machine's count. What :func:`wants_pieces` is given: a container
    allowed one CPU of a larger machine keeps the proof in one process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def wants_pieces(backend: Backend, problem: MatrixProblem, options: SolverOptions, cores: int | None) -> int | None:
    """The column to split on, when a solve should run in two pieces; else ``None``.

    Only for HiGHS (whose branch and bound holds one core), with a start, a time limit (each piece then
    runs in its own solver process, stopped at the limit plus the grace), at least two cores, and a
    binary column named in ``problem.metadata[SPLIT_COLUMN]``.
    """
    column = problem.metadata.get(SPLIT_COLUMN)
    if column is None or backend.name != "highs" or problem.start is None or options.time_limit_s is None \
            or (cores or 1) < 2 or options.threads == 1:
        return None
    column = int(column)
    if not (0 <= column < problem.n_cols and problem.integrality[column]
            and problem.col_lower[column] == 0 and problem.col_upper[column] == 1):
        return None
    return column


def split_in_two(problem: MatrixProblem, column: int) -> tuple[MatrixProblem, MatrixProblem]:
    """The start's piece and the other piece of ``problem`` on binary ``column`` (see the module docstring).

    Parameters
    ----------
    problem
        A problem with a feasible ``start``.
    column
        A binary column.
    """
    start = problem.start
    assert start is not None
    kept = float(round(start[column]))
    metadata = {**problem.metadata, BOUND_FOCUS: True}
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    lower[column] = upper[column] = kept
    own = dataclasses.replace(problem, col_lower=lower, col_upper=upper, name=f"{problem.name}-start-piece",
                              metadata=metadata)
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    lower[column] = upper[column] = 1.0 - kept
    reach = problem.objective_value(start) - problem.objective_offset
    at_least = problem.sense is Sense.MAXIMIZE
    other = dataclasses.replace(
        problem, col_lower=lower, col_upper=upper, start=None, name=f"{problem.name}-other-piece", metadata=metadata,
        matrix=sp.vstack([problem.matrix, sp.csr_matrix(problem.objective.reshape(1, -1))], format="csr"),
        row_lower=np.append(problem.row_lower, reach if at_least else -np.inf),
        row_upper=np.append(problem.row_upper, np.inf if at_least else reach))
    return own, other


def _better(sense: Sense, a: float, b: float) -> float:
    """The better of two values (the larger when maximising)."""
    return max(a, b) if sense is Sense.MAXIMIZE else min(a, b)


def other_piece_bound(sense: Sense, result: SolveResult, start_value: float) -> float | None:
    """What the other piece proves about its plans: at most the start's value when it shows none reaches it,
    else its own bound (never better than the start's value); ``None`` without a bound."""
    if result.status is SolveStatus.INFEASIBLE:
        return start_value
    if result.bound is None:
        return None
    return _better(sense, result.bound, start_value)


def _whole_bound(sense: Sense, bounds: list[float | None]) -> float | None:
    """The whole problem's bound from the start's piece's and the other piece's: ``None`` unless both have one."""
    return None if None in bounds else _better(sense, *bounds)  # type: ignore[arg-type]


class _Progress:
    """The pieces' progress as the whole's: the best plan of either, a bound only once both pieces have one."""

    def __init__(self, options: SolverOptions, sense: Sense, start_value: float) -> None:
        self.options = options
        self.sense = sense
        self.start_value = start_value
        self.incumbent = start_value
        self.bounds: list[float | None] = [None, None]
        self.lock = threading.Lock()
        self.t0 = time.perf_counter()

    def callback(self, piece: int):
        """The ``on_progress`` of piece ``piece`` (0: the start's, 1: the other)."""
        def report(event: SolveProgress) -> None:
            with self.lock:
                if event.incumbent is not None and math.isfinite(event.incumbent):
                    self.incumbent = _better(self.sense, self.incumbent, event.incumbent)
                if event.bound is not None and math.isfinite(event.bound):
                    self.bounds[piece] = event.bound if piece == 0 else \
                        _better(self.sense, event.bound, self.start_value)
            self._send(event.solver)
        return report

    def finished(self, piece: int, result: SolveResult) -> None:
        """A piece is done: its final word replaces what it last reported (an infeasible other piece: the
        start's value)."""
        with self.lock:
            if result.status.has_solution and result.objective is not None:
                self.incumbent = _better(self.sense, self.incumbent, result.objective)
            self.bounds[piece] = result.bound if piece == 0 else \
                other_piece_bound(self.sense, result, self.start_value)
        self._send(result.solver)

    def _send(self, solver: str) -> None:
        with self.lock:
            bound = _whole_bound(self.sense, self.bounds)
            incumbent = self.incumbent
        if self.options.on_progress is not None:
            self.options.on_progress(SolveProgress(
                solver=solver, elapsed_s=time.perf_counter() - self.t0, incumbent=incumbent, bound=bound,
                gap=relative_gap(incumbent, bound)))


def solve_in_two_pieces(backend: Backend, problem: MatrixProblem, options: SolverOptions, column: int) -> SolveResult:
    """``problem`` solved as two pieces split on ``column``, both at once (see the module docstring).

    Parameters
    ----------
    backend
        The exact backend (HiGHS) each piece runs on.
    problem
        The problem, with a feasible ``start``.
    options
        The solve's options (started: both pieces share its time limit).
    column
        A binary column (:func:`wants_pieces`).

    Returns
    -------
    SolveResult
        The whole problem's result: its best plan, its bound (when both pieces have one), "optimal" only
        when that bound meets the plan; ``extra["pieces"]`` holds each piece's figures.
    """
    options = options.started()
    start = problem.start
    assert start is not None
    start_value = problem.objective_value(start)
    pieces = split_in_two(problem, column)
    progress = _Progress(options, problem.sense, start_value)
    t0 = time.perf_counter()
    log.info("solving in two pieces at once, split on column %d (the start has it at %d)", column,
             round(start[column]))

    def run(i: int) -> SolveResult:
        own = dataclasses.replace(options, on_progress=progress.callback(i), on_incumbent=None)
        result = backend.solve(pieces[i], own)
        progress.finished(i, result)
        return result

    if should_isolate(backend, pieces[0], options):  # each piece in its own solver process: both at once
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="piece") as pool:
            results = list(pool.map(run, (0, 1)))
    else:  # small (solved here, in this process): one after the other, never two HiGHS in one process at once
        results = [run(0), run(1)]
    seconds = time.perf_counter() - t0
    own, other = results
    # a piece's plan is a plan of the whole (only bounds and one row were added); ties keep the start
    plans = [(start_value, start)] + [(problem.objective_value(r.values), r.values) for r in results
                                      if r.status.has_solution and r.values is not None]
    sign = 1.0 if problem.sense is Sense.MAXIMIZE else -1.0
    value, values = max(plans, key=lambda plan: sign * plan[0])
    bound = _whole_bound(problem.sense, [own.bound, other_piece_bound(problem.sense, other, start_value)])
    stopped = [r.termination for r in results if r.termination not in (Termination.OPTIMAL, Termination.INFEASIBLE)]
    termination = Termination.OPTIMAL if not stopped or bound_meets_value(value, bound) else stopped[0]
    figures = [{"piece": name, "status": r.status.value, "termination": r.termination.value,
                "objective": r.objective, "bound": r.bound, "nodes": r.extra.get("nodes"),
                "seconds": round(r.solve_seconds, 1)} for name, r in zip(("start", "other"), results, strict=True)]
    log.info("two pieces: the start's %s (%s, %.1f s), the other %s (%s, %.1f s)", own.status.value,
             own.bound, own.solve_seconds, other.status.value, other.bound, other.solve_seconds)
    return build_result(backend, problem, options, termination=termination, values=values, objective=value,
                        bound=bound, solve_seconds=seconds, log=own.log,
                        message=f"two pieces at once, split on column {column}",
                        extra={"pieces": figures, SPLIT_COLUMN: column, "nodes": sum(
                            int(r.extra.get("nodes") or 0) for r in results)})
