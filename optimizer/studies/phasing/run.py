"""A multi-year plan end to end: prepare, build, solve, read back, check (no files written)."""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from optimizer.check import CheckReport
from optimizer.errors import CheckFailed, InfeasibleScenario, ScenarioError, Shortfall
from optimizer.inputs.types import Inputs
from optimizer.pipeline import ModelSetup, Progress, Timings, not_proven_warning, prepare_model
from optimizer.progress import PieceProgress
from optimizer.reach.cache import ReachCache
from optimizer.scenario import Scenario
from optimizer.solving import solve
from optimizer.studies.phasing.check import check_phasing
from optimizer.studies.phasing.horizon import Horizon, make_horizon, refuse_unsupported
from optimizer.studies.phasing.milestones import Milestones, make_milestones, milestone_problems
from optimizer.studies.phasing.model import PhasedModel, build_phased_model
from optimizer.studies.phasing.plan import PhasedPlan, phased_plan
from optimizer.studies.phasing.start import StartPlan, start_plan
from solvers.pieces import SPLIT_COLUMN
from solvers.result import SolveResult, SolveStatus

log = logging.getLogger(__name__)

#: Seconds the start's steps take their shares of when the scenario sets no time limit.
DEFAULT_START_BASIS_S = 300.0
#: With a time limit below this, no start plan is searched even when ``phasing.start_plan`` asks for one: its
#: steps take about half the limit and at least a second each, and the exact solver must keep the rest.
MIN_START_LIMIT_S = 30.0


@dataclass
class PhasingRun:
    """Everything a multi-year plan produced, ready to be written out."""

    setup: ModelSetup
    horizon: Horizon
    model: PhasedModel
    result: SolveResult
    plan: PhasedPlan
    check: CheckReport
    warnings: list[str] = field(default_factory=list)

    @property
    def scenario(self) -> Scenario:
        """The scenario planned."""
        return self.setup.scenario


class _Stages:
    """The stages of a multi-year plan, each logged as it begins, with about how long is left."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.clock = PieceProgress("stage", len(names))
        self.k = 0

    def next(self, detail: str = "", at_most_s: float | None = None) -> None:
        """The stage before (if any) is finished; the next begins (``at_most_s``: its time limit, if any)."""
        if self.k:
            self.clock.record()
        self.k += 1
        self.clock.starting(self.k, self.names[self.k - 1] + (f" ({detail})" if detail else ""), at_most_s=at_most_s)


def run_phasing(scenario: Scenario, years: tuple[int, ...], progress: Progress | None = None,
                inputs: Inputs | None = None, reach_cache: ReachCache | None = None) -> PhasingRun:
    """Plan ``scenario`` over ``years``: which projects open in which year.

    Raises
    ------
    ScenarioError, InputError
        Settings phasing cannot plan; a year without a budget; bad availability (exit 3).
    InfeasibleScenario
        No plan keeps every rule (exit 4).
    SolverFailure
        No plan at all from the solver (exit 5).
    CheckFailed
        The plan recomputed from its projects disagrees with the solver (exit 6).
    """
    refuse_unsupported(scenario)
    problems = milestone_problems(scenario, years)
    if problems:
        raise ScenarioError(problems, source=scenario.source)
    stages = _Stages(("validate, reach and build", "build the years", "solve", "plan and check"))
    stages.next()
    setup = prepare_model(scenario, progress, inputs, reach_cache)
    scenario, inputs, timings = setup.scenario, setup.inputs, setup.timings  # the objective's weights in force
    horizon = make_horizon(years, scenario, inputs.sites, setup.forced)
    milestones = make_milestones(scenario, inputs, setup.model)
    district = inputs.sites["district"].fillna("").astype(str).to_numpy()
    stages.next()
    with timings.step("build (years)"):
        model = build_phased_model(setup.model, horizon, district, milestones)
    stages.next(f"years {horizon.label}", scenario.solver.time_limit_s)
    model, result = solve_from_a_start(model, scenario, timings)
    stages.next()
    if result.status is SolveStatus.INFEASIBLE and milestones:
        with timings.step("milestone diagnosis"):
            shortfall = milestone_shortfall(model, milestones, scenario)
        if shortfall is not None:
            raise InfeasibleScenario([shortfall])
    if result.status is SolveStatus.INFEASIBLE:
        raise InfeasibleScenario([Shortfall("all rules together", f"years {horizon.label}",
                                            "the solver proved that no multi-year plan keeps every rule: check "
                                            "forced decisions, requirements (which must hold by the last year) and "
                                            "milestones "
                                            "against the yearly budgets and when sites become available")])
    values = result.values if result.values is not None else np.zeros(model.problem.n_cols)
    with timings.step("plan"):
        plan = phased_plan(model, values, inputs, scenario)
    with timings.step("check"):
        report = check_phasing(plan.projects, plan.hosted, horizon, inputs, scenario, setup.reach_sites,
                               setup.reach_facilities, setup.forced, setup.existing, result, model.spend(values),
                               milestones)
    if not report.passed:
        raise CheckFailed(report.failures)
    warnings = list(setup.warnings) + list(horizon.notes)
    if setup.scenario.complexes:
        warnings.append("complexes (渝邻汇) are not phased yet: the yearly project lists take no complex saving")
    if result.status is not SolveStatus.OPTIMAL:
        warnings.append(not_proven_warning(result))
    return PhasingRun(setup, horizon, model, result, plan, report, warnings)


def solve_from_a_start(model: PhasedModel, scenario: Scenario, timings: Timings) -> tuple[PhasedModel, SolveResult]:
    """The multi-year model solved from the start plan of :func:`optimizer.studies.phasing.start.start_plan`.

    With ``phasing.start_plan`` on (the default) and more than one year, the start plan is searched first,
    within the time limit, which counts it (none below :data:`MIN_START_LIMIT_S`); the exact solver gets the
    rest and the plan, and never returns a worse one. On the three-year demo at 300 s the search takes 70-130
    of the 300 s; at load 0.5-3.5 HiGHS then ended with the optimum, 252.7352, in both pairs of runs, at load
    3-6 with a slightly worse plan than alone (docs/solvers.md, "The three-year demo"). The start's value,
    source and steps go into the model's ``stats["start"]`` (``phasing.json``'s ``model.start``, ``null``
    when no start was searched) and the log.
    """
    limit = scenario.solver.time_limit_s
    found: StartPlan | None = None
    wanted = scenario.phasing.start_plan and len(model.horizon.years) > 1 and model.problem.n_cols > 0
    if wanted and limit and limit < MIN_START_LIMIT_S:
        log.warning("no start plan searched (phasing.start_plan): the time limit %.0f s is below %.0f s", limit,
                    MIN_START_LIMIT_S)
        wanted = False
    if wanted:
        t0 = time.perf_counter()
        with timings.step("start plan"):
            found = start_plan(model, scenario, limit if limit else DEFAULT_START_BASIS_S)
        if limit:
            left = round(max(limit - (time.perf_counter() - t0), 0.1), 1)
            scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, time_limit_s=left))
    stats = dict(model.stats)
    stats["start"] = found.as_dict() if found else None
    model = dataclasses.replace(model, stats=stats)
    planning = model.as_planning_model()
    column = None if found is None else split_column(model, found)
    if column is not None:
        planning = dataclasses.replace(planning, problem=dataclasses.replace(
            planning.problem, metadata={**planning.problem.metadata, SPLIT_COLUMN: column}))
    with timings.step("solve"):
        result = solve(planning, scenario, start=None if found is None else found.values)
    if found is not None and result.objective is not None:
        log.info("multi-year plan %.10g from the start %.10g (%s)", result.objective, found.value, found.source)
    return model, result


def split_column(model: PhasedModel, found: StartPlan) -> int | None:
    """The first-year pair column a two-core solve splits on (:mod:`solvers.pieces`), or ``None``.

    The costliest candidate pair that the start and the first year alone decide differently in the
    first year: a decision the years pull apart, so that both pieces hold plans worth a look. On the
    three-year demo (2026-12-06, near idle) that is pair 435: proven in 384 s where one HiGHS took 438 s;
    pair 438, which costs the same, would have taken 266 s. Every such pair measured (``benchmarks/phasing.md``,
    ``a0c424f``) moves the work between the pieces rather than removing it: a short start's piece (pair 71,
    124 s) comes with a long other piece (not proven in 400 s); none leaves both pieces under the 240 s a
    300 s run has after the start (pair 438's 266 s is the best measured), and nothing cheap tells them apart.
    """
    if found.first_year_alone is None or len(model.horizon.years) < 2:
        return None
    base = model.base
    start = model.year_values(found.values, 0)[base.x.start:base.x.stop] > 0.5
    alone = found.first_year_alone[base.x.start:base.x.stop] > 0.5
    differ = np.flatnonzero(start != alone)
    if differ.size == 0:
        return None
    pair = int(differ[np.argmax(base.pair_cost[differ])])
    return int(base.x.index(np.array([pair]))[0])


def milestone_shortfall(model: PhasedModel, milestones: Milestones, scenario: Scenario) -> Shortfall | None:
    """The first milestone no plan can reach, with how many circles can reach their standard by its year.

    Milestone by milestone, in order of their years, with the earlier milestones kept: the most life circles
    that can be at their standard by the year (the same model with the objective ``sum_c m[c,t]``, this
    and later counts dropped, and the requirements by the last year left to the counts). ``None`` when every
    milestone is reachable so, or when the rules without milestones and requirements already have no plan
    (the cause lies elsewhere).
    """
    p = model.problem
    row_lower = p.row_lower.copy()
    row_lower[model.milestone_count_rows] = -np.inf
    for rule, start, stop in model.row_blocks:  # counted per milestone year instead
        if rule.startswith("what must exist (rule 7)"):
            row_lower[start:stop] = -np.inf
    for j, (year, count) in enumerate(zip(milestones.years, milestones.counts, strict=True)):
        objective = np.zeros(p.n_cols)
        objective[model.milestone_columns(j)] = 1.0
        aux = dataclasses.replace(p, objective=objective, row_lower=row_lower.copy(),
                                  name=f"{p.name}-milestone-{year}")
        result = solve(dataclasses.replace(model, problem=aux).as_planning_model(), scenario)
        if result.status is SolveStatus.INFEASIBLE:
            return None
        if result.status is SolveStatus.OPTIMAL and result.objective is not None:
            most, how = int(round(result.objective)), "at most"
        elif result.bound is not None and np.isfinite(result.bound):
            most, how = int(math.floor(result.bound + 1e-6)), "at most (solver's bound, not proven tight)"
        else:
            most, how = int(round(result.objective or 0.0)), "at least (not proven: the solver stopped)"
        reachable = most + milestones.already
        if reachable < count:
            earlier = ", ".join(f"{y}: {c}" for y, c in zip(milestones.years[:j], milestones.counts[:j],
                                                            strict=True))
            return Shortfall("milestones", f"by {year}",
                             f"{how} {reachable} of {len(milestones.circles)} life circles can reach their standard "
                             f"(every requirement target met) by {year} with the budgets and sites available"
                             + (f" (keeping the earlier milestones {earlier})" if earlier else "")
                             + f"; phasing.milestones asks for {count}", float(count - reachable))
        row_lower[model.milestone_count_rows[j]] = count - milestones.already
    return None
