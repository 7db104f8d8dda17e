"""The pipeline: validate -> reach -> build -> solve -> plan -> check.

Each step is a plain function with typed values in and out; none writes files. The CLI
calls :func:`run_scenario` and then a writer.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.check import CheckReport, SolverClaims, check_plan
from optimizer.context import PlanningContext
from optimizer.errors import CheckFailed, InfeasibleScenario, InputError, Problem
from optimizer.fair import FairStages, solve_fair
from optimizer.inputs import load_inputs
from optimizer.inputs.elevation import sample_node_elevations
from optimizer.inputs.schema import REQUESTS_COHORT
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel, build_model
from optimizer.model.candidates import function_cutoffs
from optimizer.model.decisions import ForcedDecisions, forced_decisions
from optimizer.model.diagnose import forced_shortfalls, requirement_reach_shortfalls
from optimizer.plan import Plan, plan_from_solution, plan_requirements
from optimizer.reach import Reach, ReachMethod, build_walk_network, network_reach, od_table_reach, straight_line_reach
from optimizer.reach.cache import ReachCache, network_reach_key
from optimizer.rules.complexes import complex_site_problems, complex_type_problems
from optimizer.rules.eligibility import eligibility_matrix
from optimizer.rules.existing import ExistingService, existing_service
from optimizer.rules.fairness import circle_shares, share_distribution
from optimizer.rules.priorities import with_objective_weights
from optimizer.rules.requests import requests_problems, with_requests
from optimizer.rules.requirements import requirement_targets, standards_problems
from optimizer.rules.shared_parking import join_shared_garages
from optimizer.rules.together import together_report
from optimizer.scenario import Scenario
from optimizer.solving import diagnose_infeasible, solve
from optimizer.starved import starved_functions
from optimizer.walk_vs_buffer import walk_versus_buffer
from solvers.result import SolveResult, SolveStatus

log = logging.getLogger(__name__)

#: progress(step, done, total): called by long steps; ``total`` 0 when unknown.
Progress = Callable[[str, int, int], None]


@dataclass
class Timings:
    """Wall-clock seconds per pipeline step."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the step ``name`` (logged when it starts and ends)."""
        t0 = time.perf_counter()
        log.info("%s ...", name)
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 3)
            log.info("%s done in %.1f s", name, self.seconds[name])


@dataclass
class Run:
    """Everything one solve produced, ready to be written out."""

    scenario: Scenario
    inputs: Inputs
    reach_sites: Reach
    reach_facilities: Reach
    forced: ForcedDecisions
    existing: ExistingService
    model: PlanningModel
    result: SolveResult
    plan: Plan
    check: CheckReport
    timings: Timings
    warnings: list[str] = field(default_factory=list)
    walk_vs_buffer: pd.DataFrame | None = None
    requirements: pd.DataFrame | None = None
    together: pd.DataFrame | None = None
    fairness: pd.DataFrame | None = None
    stages: FairStages | None = None

    @property
    def context(self) -> PlanningContext:
        """The scenario, inputs, reach, forced decisions and existing service the plan was read and checked against."""
        return PlanningContext.of(self)


# ----------------------------------------------------------------------------- steps
def validate(scenario: Scenario) -> tuple[Inputs, ForcedDecisions, list[str]]:
    """Read and validate every input against the scenario; one error lists every problem."""
    cohorts = {fn.cohort for fn in scenario.functions.values()} | {
        fn.counted_cohort(scenario.model.mode) for fn in scenario.functions.values()}
    cohorts.discard(REQUESTS_COHORT)  # a function's own requests (inputs.requests), not a demand column
    # facilities of a disabled function are known (and ignored), not misspelled
    known = set(scenario.function_names) | set(scenario.disabled_functions)
    inputs = load_inputs(scenario.inputs, function_names=known, cohorts=cohorts)
    inputs, garage_warnings = join_shared_garages(inputs, scenario)
    forced, warnings = check_against_scenario(inputs, scenario)
    return inputs, forced, garage_warnings + warnings


def site_area_problems(sites: pd.DataFrame, file: str) -> list[Problem]:
    """Sites without a usable area cannot be planned (rule 2 needs it)."""
    bad = sites.index[pd.to_numeric(sites["area_m2"], errors="coerce").isna()]
    return [Problem(file, "area is missing: give area_m2 (or a plot polygon)",
                    row=f"site_id={sites.at[i, 'site_id']}", column="area_m2") for i in bad[:50]]


def requirement_circle_problems(inputs: Inputs, scenario: Scenario) -> list[Problem]:
    """Requirements (rule 7) naming a life circle that no demand unit belongs to.

    A requirement for a circle that does not exist would be met by nothing and checked
    against nothing: the plan would silently ignore what the planner asked for.

    Parameters
    ----------
    inputs
        Validated inputs (the demand's ``circle_id``).
    scenario
        The scenario (``requirements[i].circles``).

    Returns
    -------
    list of Problem
        One per requirement naming unknown circles, with the key and the unknown ids.
    """
    from optimizer.rules.existing import unit_circles

    known = set(unit_circles(inputs).astype(str).tolist())
    shown = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
    out = []
    for i, req in enumerate(scenario.requirements):
        unknown = [c for c in req.circles if c not in known]
        if unknown:
            out.append(Problem(scenario.source, f"requirements[{i}].circles: {', '.join(map(repr, unknown))} "
                               f"is no life circle of the demand (its circles: {shown or 'none'})",
                               column="circle_id"))
    return out


def check_against_scenario(inputs: Inputs, scenario: Scenario) -> tuple[ForcedDecisions, list[str]]:
    """Problems that need both the inputs and the scenario: areas, eligibility, forced, budgets."""
    sites_file = str(scenario.inputs.sites.path)
    problems: list[Problem] = list(site_area_problems(inputs.sites, sites_file))
    warnings: list[str] = []
    eligible = eligibility_matrix(inputs.sites, scenario.functions)
    nothing = np.flatnonzero(~eligible.any(axis=1))
    if len(nothing):
        ids = inputs.sites["site_id"].astype(str).to_numpy()[nothing]
        if scenario.model.ineligible_sites == "error":
            for sid in ids[:50]:
                problems.append(Problem(sites_file, "site is eligible for no enabled function (kind, floor, "
                                        "allowed_functions); fix the row, or set model.ineligible_sites: "
                                        "ignore", row=f"site_id={sid}"))
            if len(ids) > 50:
                problems.append(Problem(sites_file, f"... and {len(ids) - 50} more sites eligible for nothing"))
        else:
            warnings.append(f"{len(ids)} sites are eligible for no enabled function and were ignored: "
                            + ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else ""))
    districts = set(inputs.sites["district"].fillna("").astype(str))
    for name in scenario.budget.by_district:
        if name not in districts:
            problems.append(Problem(scenario.source, f"budget.by_district names district {name!r}, but no "
                                    f"site has it (districts: {', '.join(sorted(districts - {''})) or 'none'})",
                                    column="district"))
    forced, forced_problems = forced_decisions(
        inputs.sites, scenario.decisions.force_in, scenario.decisions.force_out,
        scenario.function_names, eligible, sites_file, scenario.source)
    problems += forced_problems
    problems += requirement_circle_problems(inputs, scenario)
    problems += standards_problems(inputs, scenario, scenario.source)
    found, notes = requests_problems(inputs, scenario)  # the market-demand ledger against the functions
    problems, warnings = problems + found, warnings + notes
    problems += [Problem(scenario.source, message) for message in complex_type_problems(scenario)]
    problems += complex_site_problems(inputs.sites, scenario, sites_file)
    if problems:
        raise InputError(problems)
    return forced, warnings


def _network_reach_parameters(scenario: Scenario, crs: object) -> dict[str, object]:
    r = scenario.reach
    return {"crs": str(crs), "max_snap_m": r.max_snap_m, "stairs_up_factor": r.stairs_up_factor,
            "stairs_down_factor": r.stairs_down_factor, "slope": r.slope, "missing_elevation": r.missing_elevation,
            "elevation": str(scenario.inputs.elevation.path) if scenario.inputs.elevation else None}


def _walk_network_reach(inputs: Inputs, scenario: Scenario, unit_xy: np.ndarray, target_xy: np.ndarray,
                        cutoff: float, progress: Progress | None, cache: ReachCache | None) -> Reach:
    """Reach over the walk network, from the cache when nothing that affects it changed.

    With a cache, the entry's lock is held from look-up to store: two runs of one scenario
    at once compute it once (the second waits, then reads it).
    """
    if inputs.network is None:
        raise InputError([Problem(scenario.source, "reach.method is network but inputs.network is not given")])
    if cache is None:
        return _compute_network_reach(inputs, scenario, unit_xy, target_xy, cutoff, progress)
    files = (inputs.elevation.path,) if inputs.elevation is not None else ()
    key = network_reach_key(inputs.network, unit_xy, target_xy,
                            _network_reach_parameters(scenario, inputs.network.crs), files)
    with cache.computing(key):
        cached = cache.load(key, cutoff)
        if cached is not None:
            return cached
        reach = _compute_network_reach(inputs, scenario, unit_xy, target_xy, cutoff, progress)
        try:
            cache.store(key, reach)
        except OSError as exc:  # a read-only or full disk must not stop the plan
            log.warning("reach cache: could not store (%s)", exc)
    return reach


def _compute_network_reach(inputs: Inputs, scenario: Scenario, unit_xy: np.ndarray, target_xy: np.ndarray,
                           cutoff: float, progress: Progress | None) -> Reach:
    """Reach over the walk network, computed (slopes and stairs from the scenario)."""
    assert inputs.network is not None
    source = scenario.inputs.network.path.name if scenario.inputs.network is not None else "network"
    dem = inputs.elevation
    elevation_at = None
    if dem is not None:
        def elevation_at(node_xy: np.ndarray) -> tuple[np.ndarray, list[str]]:
            return sample_node_elevations(dem, node_xy, inputs.network.crs, missing=scenario.reach.missing_elevation,
                                          source=source)
    network = build_walk_network(inputs.network, stairs_up_factor=scenario.reach.stairs_up_factor,
                                 stairs_down_factor=scenario.reach.stairs_down_factor,
                                 use_slope=scenario.reach.slope, source=source, elevation_at=elevation_at)
    cb = (lambda done, total: progress("reach", done, total)) if progress else None
    return network_reach(unit_xy, target_xy, network, cutoff, max_snap_m=scenario.reach.max_snap_m, progress=cb)


def compute_reach(inputs: Inputs, scenario: Scenario, progress: Progress | None = None,
                  cache: ReachCache | None = None) -> tuple[Reach, Reach]:
    """Walking reach from demand units to candidate sites and to running facilities.

    ``cache``: where network reach is looked up and stored (None: always computed).
    """
    cutoff = max(function_cutoffs(scenario).values())
    unit_xy = np.column_stack([inputs.demand.geometry.x, inputs.demand.geometry.y])
    targets = [inputs.sites, inputs.facilities]
    target_xy = np.vstack([np.column_stack([t.geometry.x, t.geometry.y]) if len(t) else np.zeros((0, 2))
                           for t in targets])
    method = scenario.reach_method
    if method == "network":
        reach = _walk_network_reach(inputs, scenario, unit_xy, target_xy, cutoff, progress, cache)
    elif method == "straight_line":
        reach = straight_line_reach(unit_xy, target_xy, cutoff, detour_factor=scenario.reach.detour_factor)
    else:
        if inputs.od_table is None:
            raise InputError([Problem(scenario.source, "reach.method is od_table but inputs.od_table is not given")])
        target_ids = np.concatenate([inputs.sites["site_id"].astype(str).to_numpy(),
                                     inputs.facilities["facility_id"].astype(str).to_numpy()
                                     if len(inputs.facilities) else np.zeros(0, dtype=str)])
        reach = od_table_reach(inputs.od_table, inputs.demand["unit_id"].astype(str).to_numpy(), target_ids,
                               cutoff, speed_mps=scenario.reach.od_speed_mps,
                               source=str(scenario.inputs.od_table.path.name))
    n_sites = len(inputs.sites)
    is_site = np.arange(reach.n_targets) < n_sites
    return reach.subset_targets(is_site), reach.subset_targets(~is_site)


def _first(ids: np.ndarray, n: int = 20) -> str:
    return ", ".join(ids[:n].tolist()) + (" ..." if len(ids) > n else "")


@dataclass
class ModelSetup:
    """A scenario's model, built and ready to solve, with what reading a plan back needs."""

    scenario: Scenario
    inputs: Inputs
    forced: ForcedDecisions
    reach_sites: Reach
    reach_facilities: Reach
    existing: ExistingService
    model: PlanningModel
    timings: Timings
    warnings: list[str] = field(default_factory=list)

    @property
    def context(self) -> PlanningContext:
        """The scenario, inputs, reach, forced decisions and existing service a plan of this model is read against."""
        return PlanningContext.of(self)


def prepare_model(scenario: Scenario, progress: Progress | None = None, inputs: Inputs | None = None,
                  reach_cache: ReachCache | None = None) -> ModelSetup:
    """The steps before solving: validate, reach, existing service, build (no files written).

    Raises
    ------
    InputError, InfeasibleScenario
        Bad input; forced decisions or requirements that no plan can meet (found before solving).
    """
    timings = Timings()
    with timings.step("validate"):
        if inputs is None:
            inputs, forced, warnings = validate(scenario)
        else:
            inputs, garage_warnings = join_shared_garages(inputs, scenario)  # nothing when already joined
            forced, warnings = check_against_scenario(inputs, scenario)
            warnings = garage_warnings + warnings
        shortfalls = forced_shortfalls(inputs.sites, scenario, forced)
        if shortfalls:
            raise InfeasibleScenario(shortfalls)
        scenario, inputs, notes = with_requests(scenario, inputs)  # before the weights: requests are people
        warnings += notes
        scenario = with_objective_weights(scenario, inputs)
    with timings.step("reach"):
        reach_sites, reach_facilities = compute_reach(inputs, scenario, progress, reach_cache)
    if reach_sites.method is ReachMethod.STRAIGHT_LINE:
        warnings.append("walking times are straight-line distance x detour factor "
                        f"{scenario.reach.detour_factor}: the weaker method (no street network)")
    unit_ids = inputs.demand["unit_id"].astype(str).to_numpy()
    if len(reach_sites.unreachable_units):
        far = unit_ids[reach_sites.unreachable_units]
        warnings.append(f"{len(far)} demand units are farther than {scenario.reach.max_snap_m:g} m from the "
                        "network (reach.max_snap_m) and reach nothing: " + _first(far))
    if len(reach_sites.off_main_network_units):
        off = unit_ids[reach_sites.off_main_network_units]
        warnings.append(f"{len(off)} demand units lie nearer to a part of the network that is not connected to "
                        "the main part; they were attached to the main part where within reach.max_snap_m: "
                        + _first(off))
    with timings.step("existing service"):
        existing = existing_service(inputs, reach_facilities, scenario)
    if scenario.requirements:
        shortfalls = requirement_reach_shortfalls(inputs, scenario, reach_sites, existing, forced)
        if shortfalls:
            raise InfeasibleScenario(shortfalls)
    with timings.step("build"):
        model = build_model(inputs, reach_sites, reach_facilities, scenario, forced, existing)
    return ModelSetup(scenario, inputs, forced, reach_sites, reach_facilities, existing, model, timings, warnings)


def run_scenario(scenario: Scenario, progress: Progress | None = None, inputs: Inputs | None = None,
                 reach_cache: ReachCache | None = None, start: np.ndarray | None = None) -> Run:
    """Run the whole pipeline on one scenario (no files written).

    Parameters
    ----------
    scenario
        The scenario.
    progress
        Called by long steps.
    inputs
        Already loaded inputs (tests, notebooks); read from the scenario's files if None.
    reach_cache
        Where network reach is reused from and stored; None: always computed.
    start
        Solver values of an earlier run of the same model with looser limits (a warm start),
        e.g. the plan for a smaller budget.

    Raises
    ------
    InputError, InfeasibleScenario, SolverFailure, CheckFailed
    """
    setup = prepare_model(scenario, progress, inputs, reach_cache)
    stages = None
    with setup.timings.step("solve"):
        if setup.scenario.objective == "fair":
            result, stages = solve_fair(setup.model, setup.scenario, setup.inputs, setup.existing)
        else:
            result = solve(setup.model, setup.scenario, start)
    if result.status is SolveStatus.INFEASIBLE:
        with setup.timings.step("diagnose"):
            raise InfeasibleScenario(diagnose_infeasible(setup.inputs, setup.reach_sites, setup.reach_facilities,
                                                         setup.scenario, setup.forced, setup.existing))
    return complete_run(setup, result, stages)


def not_proven_warning(result: SolveResult) -> str:
    """The warning of a plan not proven optimal: who stopped, why, where the plan came from, bound and gap."""
    said = result.message or ""
    if said.startswith("not proven optimal: "):
        return f"the plan is NOT proven optimal ({result.solver}): {said.removeprefix('not proven optimal: ')}"
    return (f"the plan is NOT proven optimal: {result.solver} stopped ({result.termination.value})"
            + (f" with gap {result.gap:.2%}" if result.gap is not None else ", gap unknown"))


def complete_run(setup: ModelSetup, result: SolveResult, stages: FairStages | None = None) -> Run:
    """The steps after solving: plan, independent check, walk vs buffer, rules 6 and 7 tables.

    ``result`` holds values of ``setup.model`` (one solve, or pieces of it put together:
    :mod:`optimizer.studies.decomposition`); ``stages``: what objective ``fair``'s two
    stages found.

    Raises
    ------
    CheckFailed
        The plan recomputed from its chosen sites disagrees with ``result``.
    """
    scenario, inputs, forced, existing, model = setup.scenario, setup.inputs, setup.forced, setup.existing, setup.model
    reach_sites, reach_facilities = setup.reach_sites, setup.reach_facilities
    timings, warnings = setup.timings, setup.warnings
    with timings.step("plan"):
        plan = plan_from_solution(model, result.values, setup.context)
    with timings.step("check"):
        claims = SolverClaims.from_model(model, result)
        if stages is not None:
            claims = dataclasses.replace(claims, worst=(stages.worst_value, stages.worst_bound))
        report = check_plan(plan, setup.context, claims)
    if not report.passed:
        raise CheckFailed(report.failures)
    with timings.step("walk vs buffer"):
        buffer_table = walk_versus_buffer(plan, setup.context)
    requirements = (plan_requirements(plan, inputs, scenario, requirement_targets(inputs, scenario, existing))
                    if scenario.requirements else None)
    together = None
    if scenario.sharing.groups:
        eligible = forced.restrict(eligibility_matrix(inputs.sites, scenario.functions), scenario.function_names)
        together = together_report(plan.functions_at(), inputs, scenario, eligible)
    if result.status is not SolveStatus.OPTIMAL:
        warnings.append(not_proven_warning(result))
    fairness = share_distribution(circle_shares(inputs, scenario, plan.served_existing, plan.served_new))
    if scenario.objective == "least_cost":
        warnings.append("objective least_cost: budgets are not imposed; the plan is the least one-off cost "
                        "that meets every requirement")
    warnings += starved_functions(plan, scenario, model)
    return Run(scenario, inputs, reach_sites, reach_facilities, forced, existing, model, result, plan, report,
               timings, warnings, buffer_table, requirements, together, fairness, stages)
