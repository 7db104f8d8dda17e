"""Solving a built model: the solver call (with root strengthening and a heartbeat), and,
when the solver proves there is no plan, the explanation found by solving two variants.

The pipeline calls :func:`solve`; the explanation is :func:`diagnose_infeasible`: the
least budget the requirements need (least-cost variant, budgets lifted) and, within the
budget, which life circles and functions fall short and by how much (a variant that
minimises the shortfalls).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

import solvers
from optimizer.capacitated_start import prepare_capacitated
from optimizer.errors import Shortfall, SolverFailure
from optimizer.greedy_backend import with_planning_model
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel, build_model
from optimizer.model.decisions import ForcedDecisions
from optimizer.progress import SolveWatcher, current_watcher
from optimizer.reach.types import Reach
from optimizer.rules.existing import ExistingService
from optimizer.scenario import Scenario
from optimizer.solver_choice import resolve_solver, solver_options
from solvers.base import START_SOURCE
from solvers.pieces import cores_here, solve_in_two_pieces, wants_pieces
from solvers.problem import Sense
from solvers.result import SolveProgress, SolveResult, SolverOptions, SolveStatus, Termination

log = logging.getLogger(__name__)

#: Seconds between two "solving with ..." lines in the log while a solve runs.
HEARTBEAT_S = 10.0
#: The incumbent is logged when it improves by more than this, relatively ...
INCUMBENT_STEP = 1e-4
#: ... and at most once in this many seconds (the final value is in the solve's result line).
INCUMBENT_EVERY_S = 2.0


class _SolveReport:
    """One solve's progress: to the watcher, into the log as the incumbent improves, and for the heartbeat."""

    def __init__(self, watcher: SolveWatcher | None, maximise: bool) -> None:
        self.watcher = watcher
        self.maximise = maximise
        self.latest: SolveProgress | None = None
        self._logged: float | None = None
        self._logged_at = -math.inf

    def __call__(self, progress: SolveProgress) -> None:
        self.latest = progress
        if self.watcher is not None:
            self.watcher.solve_progress(progress)
        value = progress.incumbent
        if value is None:
            return
        last = self._logged
        better = last is None or ((value - last) if self.maximise else (last - value)) > INCUMBENT_STEP * max(
            abs(last), 1e-10)
        now = time.perf_counter()
        if better and now - self._logged_at >= INCUMBENT_EVERY_S:
            self._logged, self._logged_at = value, now
            log.info("incumbent %s (%s, %.0f s)%s", _figure(value), progress.solver, progress.elapsed_s,
                     f", bound {_figure(progress.bound)}" if progress.bound is not None else "")

    def figures(self) -> str:
        """``, incumbent X, bound Y, gap Z %`` from the latest report; empty before one."""
        p = self.latest
        if p is None:
            return ""
        out = f", incumbent {_figure(p.incumbent)}" if p.incumbent is not None else ""
        out += f", bound {_figure(p.bound)}" if p.bound is not None else ""
        out += f", gap {100 * p.gap:.2f} %" if p.gap is not None else ""
        return out


def _figure(value: float | None) -> str:
    """A figure for the progress line and the log: 4 significant digits at least, thousands separated."""
    if value is None:
        return "-"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"


def _follow(options: SolverOptions, maximise: bool) -> tuple[SolverOptions, _SolveReport | None]:
    """``options`` with a progress callback when anyone listens (a watcher, or the log at INFO)."""
    watcher = current_watcher()
    if watcher is None and not log.isEnabledFor(logging.INFO):
        return options, None
    report = _SolveReport(watcher, maximise)
    return dataclasses.replace(options, on_progress=report), report


@contextmanager
def followed(solver: str, options: SolverOptions, *, maximise: bool) -> Iterator[SolverOptions]:
    """``options`` with the progress callback, while one solve runs: the live line on a terminal, each better
    incumbent in the log, a heartbeat every :data:`HEARTBEAT_S` seconds otherwise (as :func:`solve` does).

    Examples
    --------
    >>> with followed("highs", options, maximise=True) as watched:  # doctest: +SKIP
    ...     result = backend.solve(problem, watched)
    """
    options, report = _follow(options, maximise)
    with _followed(solver, options, report):
        yield options


def solve(model: PlanningModel, scenario: Scenario, start: np.ndarray | None = None) -> SolveResult:
    """Solve the built model with the scenario's solver; map failures to errors.

    The time limit runs from this call: the greedy start, root strengthening and writing
    the model count against it, and the solver gets what is left. In coverage mode with
    objective max_coverage (the models the greedy plans) an exact solver always starts
    from a plan, ``start`` or else the greedy's, and a solver stopped by its limit
    with no plan or a worse one returns that plan with its own bound
    (:func:`solvers.base.keep_the_better_plan`): a time-limited run never ends without a
    plan when one is known.

    Parameters
    ----------
    model
        The built planning model.
    scenario
        Its scenario (solver name and options).
    start
        A feasible solution of the same model to start from (a warm start).

    Raises
    ------
    SolverFailure
        When the solver cannot run, refuses the model, reports it unbounded, or stops
        without any plan and none is known.
    """
    options = solver_options(scenario).started()
    if model.problem.n_cols == 0:
        # nothing to decide: no candidate reaches anyone not already served
        return SolveResult(solver="none", solver_version="-", status=SolveStatus.OPTIMAL,
                           termination=Termination.OPTIMAL, values=np.zeros(0), objective=0.0, bound=0.0, gap=0.0,
                           solve_seconds=0.0, options=options,
                           message="no candidate site reaches anyone not already served")
    chosen = resolve_solver(scenario.solver.name, "planning", model.problem.n_rows)
    if chosen != scenario.solver.name:
        log.info("solver auto: %s", chosen)
        scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, name=chosen))
    backend = _backend(scenario.solver.name)
    options, report = _follow(options, model.problem.sense is Sense.MAXIMIZE)
    with _followed(backend.name, options, report):
        result, heuristic = _run_backend(model, scenario, backend, options, start)
        if report is not None and result.status.has_solution:  # the line ends with what the solve found
            report(SolveProgress(solver=result.solver, elapsed_s=result.solve_seconds, incumbent=result.objective,
                                 bound=result.bound, gap=result.gap))
    if heuristic:
        return result
    log.info("solver %s: %s (%s), objective %s, bound %s, gap %s", result.solver, result.status.value,
             result.termination.value, result.objective, result.bound, result.gap)
    if result.status is SolveStatus.UNBOUNDED:
        raise SolverFailure(f"{result.solver} reports an unbounded model, which is a bug in lifecircle; "
                            "please report it with this scenario")
    if result.status is SolveStatus.INFEASIBLE:
        return result  # the caller explains which rules and circles make it so
    if not result.status.has_solution:
        raise SolverFailure(f"{result.solver} stopped ({result.termination.value}) without any plan: "
                            f"{result.message}. Give it more time (solver.time_limit_s) or try another "
                            f"solver (available: {', '.join(solvers.available_solvers())})")
    return result


@contextmanager
def _followed(solver: str, options: SolverOptions, report: _SolveReport | None) -> Iterator[None]:
    """While a solve runs: the watcher told it started and ended, else a heartbeat in the log every
    :data:`HEARTBEAT_S` seconds with the latest incumbent, bound and gap."""
    watcher = current_watcher()
    stop = threading.Event()

    def heartbeat() -> None:  # a long solve says it is alive, with where it stands
        t0 = time.perf_counter()
        while not stop.wait(HEARTBEAT_S):
            limit = f" of {options.time_limit_s:g} s limit" if options.time_limit_s else ""
            log.info("solving with %s: %.0f s%s%s", solver, time.perf_counter() - t0, limit,
                     report.figures() if report is not None else "")

    if watcher is None or not watcher.live:
        threading.Thread(target=heartbeat, daemon=True).start()
    if watcher is not None:
        watcher.solve_started(solver, options.time_limit_s)
    try:
        yield
    finally:
        stop.set()
        if watcher is not None:
            watcher.solve_finished()


def _run_backend(model: PlanningModel, scenario: Scenario, backend: solvers.Backend, options: SolverOptions,
                 start: np.ndarray | None) -> tuple[SolveResult, bool]:
    """The backend's result on ``model`` (greedy start, strengthening), and whether the greedy heuristic planned it."""
    if backend.capabilities.needs_planning_model:  # a heuristic on the planning structure (the greedy)
        planning = with_planning_model(model)
        try:
            backend.check(planning)
        except solvers.UnsupportedProblem as exc:
            if not _diagnosis_variant(model, scenario):
                raise SolverFailure(exc.reason) from exc
            log.info("%s: the %s diagnosis model is solved by HiGHS", backend.name, model.objective)
            scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, name="highs"))
            backend = _backend("highs")
        else:
            return backend.solve(planning, options), True
    try:
        backend.check(model.problem)  # refuse early what the backend cannot take exactly
    except solvers.UnsupportedProblem as exc:
        raise SolverFailure(str(exc)) from exc
    source = "the given start"
    if start is None:
        start = _warm_start(model, scenario, options)
        source = scenario.solver.warm_start
    if start is None and _greedy_plans(model):
        # the greedy plan, quickly: the solver's start and the plan kept if the solver finds none better
        start = warm_start_plan(model, options, local_search=False)
        source = "greedy"
    problem = model.problem
    if model.cut_pool[0].size:  # size caps, strengthening, a first plan: counted against the limit
        problem, capacitated = prepare_capacitated(model, scenario, options, want_start=start is None)
        if capacitated is not None:
            start, source = capacitated, "capacitated start"
    if start is not None and start.shape == (problem.n_cols,):
        problem = dataclasses.replace(problem, start=start, metadata={**problem.metadata, START_SOURCE: source})
    column = wants_pieces(backend, problem, options, cores_here())
    if column is not None:  # HiGHS's tree holds one core: the other piece takes the second
        return solve_in_two_pieces(backend, problem, options, column), False
    return backend.solve(problem, options), False


def _greedy_plans(model: PlanningModel) -> bool:
    """True when the greedy heuristic plans ``model`` (coverage mode, max_coverage)."""
    from optimizer.greedy import supports

    return not supports(model)


def warm_start_plan(model: PlanningModel, options: solvers.SolverOptions, *, local_search: bool) -> np.ndarray | None:
    """The greedy plan of ``model`` within ``options``' deadline, or ``None`` when it finds none."""
    from optimizer.greedy import warm_start_plan as greedy_start

    return greedy_start(model, options, local_search=local_search)


def _backend(name: str) -> solvers.Backend:
    """The registered backend ``name``; :class:`SolverFailure` when it cannot run here."""
    try:
        return solvers.get_solver(name)
    except solvers.SolverUnavailable as exc:
        raise SolverFailure(str(exc)) from exc


def _diagnosis_variant(model: PlanningModel, scenario: Scenario) -> bool:
    """True for the least-cost or least-shortfall variant built to explain a coverage scenario without a plan."""
    return (scenario.model.mode == "coverage" and scenario.maximises_coverage
            and model.objective != scenario.model_objective)


def _warm_start(model: PlanningModel, scenario: Scenario, options: solvers.SolverOptions) -> np.ndarray | None:
    """The plan of ``solver.warm_start`` (a backend that gives warm starts) to start from, or ``None``.

    None as well when that backend cannot plan this model (e.g. a diagnosis variant).
    """
    giver_name = scenario.solver.warm_start
    if giver_name not in solvers.solvers_where(gives_warm_start=True):
        return None  # "none"
    giver = _backend(giver_name)
    problem = with_planning_model(model) if giver.capabilities.needs_planning_model else model.problem
    try:
        giver.check(problem)
    except solvers.UnsupportedProblem:
        return None
    return giver.warm_start(problem, options)


def _able_to_solve(scenario: Scenario, problem) -> Scenario:
    """The scenario, with HiGHS as solver when its own cannot take a diagnosis variant (or plans only the
    planning structure, as the greedy does)."""
    name = scenario.solver.name
    try:
        backend = solvers.get_solver(resolve_solver(name, "planning", problem.n_rows))
        if not backend.capabilities.needs_planning_model:
            backend.check(problem)
            return scenario
    except (solvers.SolverUnavailable, solvers.UnsupportedProblem):
        pass
    log.info("diagnosis variant solved with highs (%s cannot take it)", name)
    return dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, name="highs",
                                                                    warm_start="none"))


def _limits_in_play(scenario: Scenario, with_budgets: bool) -> list[str]:
    """The rules of ``scenario`` that can leave no plan, in the planner's words (for a diagnosis)."""
    out = ["forced decisions", "site space"]
    if with_budgets:
        out.insert(0, "the budgets")
    if scenario.sharing.not_built_separately:
        out.append("rule 6 (not built separately)")
    if with_budgets and scenario.budget.bounds_public_money:
        out.append("the public budgets (budget.public_*)")
    if any(ch.cap is not None for ch in scenario.money.channels):
        out.append("the funding channels' caps (money.channels)")
    return out


def diagnose_infeasible(inputs: Inputs, reach_sites: Reach, reach_facilities: Reach, scenario: Scenario,
                        forced: ForcedDecisions, existing: ExistingService) -> list[Shortfall]:
    """Why the solver found no plan: the least budget the requirements need, and under the given
    budget which circles and functions fall short and by how much."""
    if not scenario.requirements:
        return [Shortfall("all rules together", "whole scenario",
                          "the solver proved that no plan satisfies every rule; check "
                          + ", ".join(_limits_in_play(scenario, with_budgets=True)))]
    out: list[Shortfall] = []
    least = build_model(inputs, reach_sites, reach_facilities, scenario, forced, existing, objective="least_cost")
    scenario = _able_to_solve(scenario, least.problem)
    least_result = solve(least, scenario)
    if not least_result.status.has_solution:
        return [Shortfall("what must exist (rule 7)", "whole scenario",
                          "the requirements cannot be met together even without a budget limit: they clash with "
                          + " or ".join(_limits_in_play(scenario, with_budgets=False)))]
    need = float(least_result.objective)
    proof = ("proven least cost" if least_result.proven_optimal else
             f"best found, lower bound {least_result.bound:,.0f}" if least_result.bound is not None else "best found")
    if scenario.budget.total is not None and need > scenario.budget.total + 1e-6:
        out.append(Shortfall("budget (rule 1)", "whole scenario",
                             f"meeting every requirement costs at least {need:,.0f} yuan ({proof}); the budget is "
                             f"{scenario.budget.total:,.0f} yuan", need - scenario.budget.total))
    soft = build_model(inputs, reach_sites, reach_facilities, scenario, forced, existing, objective="min_shortfall")
    soft_result = solve(soft, _able_to_solve(scenario, soft.problem))
    if soft_result.status.has_solution:
        slack = soft_result.values[soft.slack.start:soft.slack.stop]
        for t, gap in zip(soft.targets, slack, strict=True):
            if gap > 1e-6 * max(1.0, t.need):
                out.append(Shortfall("what must exist (rule 7)", f"life circle {t.circle}, {t.function}",
                                     f"{t.describe()} is required; within the budget at most "
                                     f"{t.required - gap:,.1f} of {t.required:,.1f} {t.unit} can be reached "
                                     f"(short by {gap:,.1f})", float(gap)))
    if not out:
        out.append(Shortfall("all rules together", "whole scenario",
                             f"the requirements need {need:,.0f} yuan without budgets; with the district budgets "
                             "they cannot all be met"))
    return out
