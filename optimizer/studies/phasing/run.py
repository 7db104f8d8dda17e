"""A multi-year plan end to end: prepare, build, solve, read back, check (no files written)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from optimizer.check import CheckReport
from optimizer.errors import CheckFailed, InfeasibleScenario, Shortfall
from optimizer.inputs.types import Inputs
from optimizer.pipeline import ModelSetup, Progress, prepare_model
from optimizer.reach.cache import ReachCache
from optimizer.scenario import Scenario
from optimizer.solving import solve
from optimizer.studies.phasing.check import check_phasing
from optimizer.studies.phasing.horizon import Horizon, make_horizon, refuse_unsupported
from optimizer.studies.phasing.model import PhasedModel, build_phased_model
from optimizer.studies.phasing.plan import PhasedPlan, phased_plan
from solvers.result import SolveResult, SolveStatus

log = logging.getLogger(__name__)


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
    setup = prepare_model(scenario, progress, inputs, reach_cache)
    scenario, inputs, timings = setup.scenario, setup.inputs, setup.timings  # the objective's weights in force
    horizon = make_horizon(years, scenario, inputs.sites, setup.forced)
    district = inputs.sites["district"].fillna("").astype(str).to_numpy()
    with timings.step("build (years)"):
        model = build_phased_model(setup.model, horizon, district)
    with timings.step("solve"):
        result = solve(model.as_planning_model(), scenario)
    if result.status is SolveStatus.INFEASIBLE:
        raise InfeasibleScenario([Shortfall("all rules together", f"years {horizon.label}",
                                            "the solver proved that no multi-year plan keeps every rule: check "
                                            "forced decisions and requirements (which must hold by the last year) "
                                            "against the yearly budgets and when sites become available")])
    values = result.values if result.values is not None else np.zeros(model.problem.n_cols)
    with timings.step("plan"):
        plan = phased_plan(model, values, inputs, scenario)
    with timings.step("check"):
        report = check_phasing(plan.projects, plan.hosted, horizon, inputs, scenario, setup.reach_sites,
                               setup.reach_facilities, setup.forced, setup.existing, result, model.spend(values))
    if not report.passed:
        raise CheckFailed(report.failures)
    warnings = list(setup.warnings) + list(horizon.notes)
    if result.status is not SolveStatus.OPTIMAL:
        warnings.append(f"the plan is NOT proven optimal: {result.solver} stopped ({result.termination.value})"
                        + (f" with gap {result.gap:.2%}" if result.gap is not None else ""))
    return PhasingRun(setup, horizon, model, result, plan, report, warnings)
