"""A city plan from pieces of its model solved in parallel (``lifecircle city``).

The model is built once (:func:`optimizer.pipeline.prepare_model`), taken apart by
:mod:`optimizer.studies.decomposition` (exact blocks, or the bounded split by district), and each
piece is handed to an *executor*: any object with the :mod:`concurrent.futures`
``submit(fn, *args)`` / ``future.result()`` API. The default is a spawn
:class:`~concurrent.futures.ProcessPoolExecutor` with ``jobs`` workers (in-process when
``jobs`` is 1); a Dask ``distributed.Client`` has the same API and can be passed as it is.
The pieces' solutions are put back into one solution of the whole model, which goes
through the normal plan read-back and independent check (:func:`optimizer.pipeline.complete_run`).
"""
from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

import solvers
from optimizer.errors import InfeasibleScenario, Shortfall, SolverFailure, SplitRefused
from optimizer.inputs.types import Inputs
from optimizer.model.strengthen import strengthen
from optimizer.pipeline import ModelSetup, Progress, Run, complete_run, prepare_model
from optimizer.processes import die_with_parent, stop_pool
from optimizer.progress import PieceProgress
from optimizer.reach.cache import ReachCache
from optimizer.scenario import Scenario
from optimizer.solver_choice import resolve_solver, solver_options
from optimizer.studies.decomposition import (
    Decomposition,
    city_status,
    combine_blocks,
    combine_split,
    find_blocks,
    fixed_choices,
    pieces_table,
    split_by_district,
    union_values,
)
from solvers.isolation import CHILD_PEAK_KB
from solvers.problem import MatrixProblem
from solvers.result import SolveResult, SolverOptions, SolveStatus, Termination

log = logging.getLogger(__name__)

#: ``--split`` choices.
SPLITS = ("auto", "blocks", "by_district")


class InlineExecutor(Executor):
    """Runs each submitted call at once in this process (``jobs`` 1, tests)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: D102 - the concurrent.futures API
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back through the future, as a pool does
            future.set_exception(exc)
        return future


def default_executor(jobs: int) -> Executor:
    """In-process for one job, else a spawn process pool of ``jobs`` workers (no state forked).

    The workers die with this process (:func:`optimizer.processes.die_with_parent`): a killed
    city run leaves no piece solving.
    """
    if jobs <= 1:
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=die_with_parent)


def process_peak_mb() -> float | None:
    """Peak resident memory of this process image in MB (Linux ``VmHWM``; None elsewhere).

    Unlike ``ru_maxrss`` it is not inherited from the parent a worker was forked from.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def solve_piece(problem: MatrixProblem, cut_pool: tuple[np.ndarray, np.ndarray, np.ndarray], solver: str,
                options: SolverOptions) -> tuple[SolveResult, float, float | None]:
    """Solve one piece with a backend (run in a worker): the result, the wall seconds, and the
    worker's peak memory in MB so far (:func:`process_peak_mb`).

    Capacitated pieces are strengthened first from their own pool, as a whole model is.
    """
    t0 = time.perf_counter()
    backend = solvers.get_solver(solver)
    backend.check(problem)
    if cut_pool[0].size:
        t1 = time.perf_counter()
        problem, _ = strengthen(SimpleNamespace(problem=problem, cut_pool=cut_pool), options)
        if options.time_limit_s is not None:
            options = dataclasses.replace(options, time_limit_s=max(options.time_limit_s -
                                                                    (time.perf_counter() - t1), 1.0))
    result = backend.solve(problem, options)
    peak = process_peak_mb()
    if CHILD_PEAK_KB in result.extra:  # solved in a child process: the solve's memory is the child's
        peak = max(peak or 0.0, round(result.extra[CHILD_PEAK_KB] / 1024, 1))
    return result, time.perf_counter() - t0, peak


@dataclass
class CityRun:
    """A city plan and how it was found.

    Attributes
    ----------
    run
        The plan of the whole model, checked, ready for the normal run writer.
    decomposition
        The pieces and what links them.
    pieces
        One row per piece (:func:`optimizer.studies.decomposition.pieces_table`).
    lower, upper
        The plan's value and the proven bound on the whole model's optimum.
    """

    run: Run
    decomposition: Decomposition
    pieces: pd.DataFrame
    lower: float | None
    upper: float | None


def _piece_solver(scenario: Scenario, n_rows: int) -> str:
    name = resolve_solver(scenario.solver.name, "planning", n_rows)
    cls = solvers.SOLVERS.get(name)
    if cls is not None and not cls.capabilities.proves_optimality:
        raise SolverFailure(f"lifecircle city solves each piece exactly; the {name} heuristic plans the whole model "
                            f"(use lifecircle solve with solver.name: {name}, or an exact solver here)")
    try:
        solvers.get_solver(name)
    except solvers.SolverUnavailable as exc:
        raise SolverFailure(str(exc)) from exc
    return name


def decompose(setup: ModelSetup, split: str) -> Decomposition:
    """The pieces for ``split``: ``blocks`` (exact), ``by_district`` (bounded), or ``auto``:
    blocks when the model falls apart into two or more, else by district when the scenario
    allows it (per-district budgets, no binding city-wide total), else one piece."""
    if split not in SPLITS:
        raise SplitRefused(f"--split {split!r}: choose one of {', '.join(SPLITS)}")
    model, inputs, scenario = setup.model, setup.inputs, setup.scenario
    if split == "by_district":
        return split_by_district(model, inputs, scenario)
    blocks = find_blocks(model, inputs, scenario)
    if split == "blocks" or len(blocks.pieces) >= 2 or not scenario.budget.by_district:
        return blocks
    try:
        out = split_by_district(model, inputs, scenario)
    except SplitRefused as exc:
        blocks.notes.append(f"auto: one exact piece; the split by district was not possible ({exc})")
        return blocks
    out.notes.insert(0, "auto: the model is one block (districts are linked), so it is split by district "
                        "with bounds")
    return out


def _answers(pool, decomposition: Decomposition, solver: str, options: SolverOptions) -> list[tuple]:
    """``solve_piece`` of every piece through ``pool``, in piece order.

    ``pool``: a :mod:`concurrent.futures`-style executor (``submit(fn, *args)`` -> future, as
    Dask's ``Client``), or an :mod:`optimizer.batch.executors` ``RunExecutor`` (``submit(key, fn,
    *args)`` and ``as_completed()``: local processes or a Dask cluster with lost workers retried).
    """
    pieces = decomposition.pieces
    clock = PieceProgress("piece", len(pieces))
    if hasattr(pool, "as_completed"):
        for i, p in enumerate(pieces):
            pool.submit(i, solve_piece, p.problem, p.cut_pool, solver, options)
        answers: dict[int, tuple] = {}
        for done in pool.as_completed():
            where = f"piece {pieces[done.key].name}"
            if done.lost:
                raise SolverFailure(f"{where}: its worker was lost on every attempt ({done.attempts}); "
                                    "give the workers more memory or use fewer --jobs")
            if done.error:
                raise SolverFailure(f"{where}: {done.error}")
            answers[done.key] = done.value
            clock.done(_piece_label(pieces[done.key]), done.value[0].status.value)
        return [answers[i] for i in range(len(pieces))]
    inline = isinstance(pool, InlineExecutor)  # one after another: each piece is announced as it begins
    futures: list[Future | None] = [None if inline else pool.submit(solve_piece, p.problem, p.cut_pool, solver, options)
                                    for p in pieces]
    out = []
    for k, (p, future) in enumerate(zip(pieces, futures, strict=True)):
        if future is None:
            clock.starting(k + 1, _piece_label(p))
            future = pool.submit(solve_piece, p.problem, p.cut_pool, solver, options)
        try:
            out.append(future.result())
        except solvers.UnsupportedProblem as exc:
            raise SolverFailure(f"piece {p.name}: {exc}") from exc
        clock.done(_piece_label(p), out[-1][0].status.value)
    return out


def _piece_label(piece) -> str:
    """A piece in the planner's words: its name and districts."""
    return f"{piece.name}" + (f" (districts {', '.join(piece.districts)})" if piece.districts else "")


def _gather(decomposition: Decomposition, answers: list[tuple]
            ) -> tuple[list[SolveResult], list[float], list[float | None]]:
    results, seconds, peaks = [], [], []
    for piece, (result, s, peak) in zip(decomposition.pieces, answers, strict=True):
        results.append(result)
        seconds.append(s)
        peaks.append(peak)
        log.info("piece %s: %s, objective %s, bound %s, %.1f s", piece.name, result.status.value, result.objective,
                 result.bound, s)
    for piece, result in zip(decomposition.pieces, results, strict=True):
        where = f"piece {piece.name}" + (f" (districts {', '.join(piece.districts)})" if piece.districts else "")
        if result.status is SolveStatus.INFEASIBLE:
            raise InfeasibleScenario([Shortfall(
                "all rules together", where,
                "the solver proved that no plan of these districts' sites satisfies every rule (their district "
                "budgets, forced decisions, rules 6 and 7 in their life circles); lifecircle solve on the "
                "scenario explains which requirement falls short")])
        if result.status is SolveStatus.UNBOUNDED:
            raise SolverFailure(f"{where}: {result.solver} reports an unbounded model, which is a bug in lifecircle")
        if not result.status.has_solution:
            raise SolverFailure(f"{where}: {result.solver} stopped ({result.termination.value}) without any plan: "
                                f"{result.message}. Give it more time (--time-limit)")
    return results, seconds, peaks


def plan_city(scenario: Scenario, split: str = "auto", *, jobs: int = 1, executor: Executor | None = None,
              inputs: Inputs | None = None, reach_cache: ReachCache | None = None,
              progress: Progress | None = None) -> CityRun:
    """Plan a city from pieces of its model solved in parallel.

    Parameters
    ----------
    scenario
        The scenario; its solver options apply to every piece (the time limit per piece).
    split
        ``auto``, ``blocks`` or ``by_district`` (:func:`decompose`).
    jobs
        Workers of the default executor.
    executor
        Anything with ``submit(fn, *args)`` returning a future with ``result()`` (a
        :class:`concurrent.futures.Executor`, a Dask ``Client``), or an
        :mod:`optimizer.batch.executors` executor (``submit(key, fn, *args)``, ``as_completed()``);
        None: :func:`default_executor`, shut down at the end. A given executor is left running.
    inputs, reach_cache, progress
        As for :func:`optimizer.pipeline.run_scenario`.

    Raises
    ------
    InputError, InfeasibleScenario (naming the piece's districts), SolverFailure, SplitRefused, CheckFailed
    """
    setup = prepare_model(scenario, progress, inputs, reach_cache)
    scenario = setup.scenario  # the objective's weights in force
    model, timings = setup.model, setup.timings
    with timings.step("decompose"):
        decomposition = decompose(setup, split)
    for note in decomposition.notes:
        log.info("%s", note)
    for link in decomposition.links:
        log.info("link: %s", link.describe("en"))
    name = _piece_solver(scenario, model.problem.n_rows)
    options = solver_options(scenario)
    own = executor is None
    pool = default_executor(jobs) if own else executor
    t0 = time.perf_counter()
    finished = False
    try:
        with timings.step("solve pieces"):
            results, seconds, peaks = _gather(decomposition, _answers(pool, decomposition, name, options))
        finished = True
    finally:
        if own and not finished and isinstance(pool, ProcessPoolExecutor):
            stop_pool(pool)  # an error, Ctrl-C or SIGTERM: the pieces still solving are stopped, not waited for
        elif own:
            pool.shutdown(wait=True, cancel_futures=True)
    wall = time.perf_counter() - t0
    if decomposition.exact:
        combined = combine_blocks(model.problem, decomposition.pieces, results)
        message = f"{len(results)} independent piece(s): objective = sum, bound = sum of bounds"
    else:
        with timings.step("complete the union"):
            union = union_values(model.problem, decomposition.pieces, results)
            completed = solvers.get_solver("highs").solve(fixed_choices(model.problem, union),
                                                          SolverOptions(time_limit_s=options.time_limit_s,
                                                                        threads=options.threads))
        if not completed.status.has_solution:
            raise SolverFailure(f"the union of the district plans could not be completed on the whole model "
                                f"({completed.termination.value}: {completed.message})")
        combined = combine_split(completed, results)
        message = (f"split by district into {len(results)} piece(s): lower bound = the union of their plans on the "
                   "whole model, upper bound = sum of the pieces' bounds")
    status = city_status(combined)
    terminations = {r.termination for r in results}
    termination = (Termination.OPTIMAL if status is SolveStatus.OPTIMAL else
                   Termination.TIME_LIMIT if Termination.TIME_LIMIT in terminations else Termination.OTHER)
    result = SolveResult(solver=name, solver_version=results[0].solver_version if results else "-", status=status,
                         termination=termination, values=combined.values, objective=combined.objective,
                         bound=combined.bound, gap=combined.gap, solve_seconds=wall, options=options,
                         message=message, extra={"pieces": len(results), "split": decomposition.kind})
    table = pieces_table(decomposition, results, seconds, peaks)
    model.stats["decomposition"] = {**decomposition.summary(), "lower": combined.objective,
                                    "upper": combined.bound, "gap": combined.gap, "proven": combined.proven,
                                    "wall_seconds": round(wall, 2), "pieces_table": table.to_dict(orient="records")}
    run = complete_run(setup, result)
    if not decomposition.exact and not combined.proven:
        run.warnings.append(f"split by district: the plan is within {combined.gap:.2%} of the best possible "
                            "(lower bound = this plan, upper bound = sum of the district pieces' bounds)"
                            if combined.gap is not None else "split by district: no upper bound known")
    return CityRun(run, decomposition, table, combined.objective, combined.bound)
