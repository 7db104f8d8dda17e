"""The independent re-check: every plan recomputed from its chosen sites.

Nothing here reads the model's matrices. Coverage is recomputed from reach and the
running facilities, cost and area from :mod:`optimizer.rules.costing`, eligibility from the
plain-words rules; then compared with what the solver claimed. A mismatch is an error.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.context import PlanningContext
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.plan import Plan, plan_requirements
from optimizer.reach.types import cutoff_ref_seconds
from optimizer.rules.complexes import costing_breaks
from optimizer.rules.costing import cost_site, site_size_m2
from optimizer.rules.covered import NEW, coverage_status
from optimizer.rules.eligibility import eligibility_matrix, site_may_host
from optimizer.rules.existing import allocate
from optimizer.rules.fairness import circle_shares, fairness_value, worst_shares
from optimizer.rules.requirements import requirement_targets
from optimizer.rules.together import together_report
from optimizer.scenario import Scenario
from solvers.result import PROOF_ABS_TOL, SolveResult, SolveStatus

#: Tolerance for area comparisons (m2).
AMOUNT_TOL = 1e-6
#: Tolerance for money comparisons: one fen (solvers meet rows to about 1e-6 of the
#: model's money unit of 10,000 yuan).
MONEY_TOL = 0.01


@dataclass(frozen=True)
class CheckItem:
    """One verified statement about the plan."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict:
        """The check as written to run.json."""
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class CheckReport:
    """All checks and the recomputed figures."""

    items: tuple[CheckItem, ...]
    recomputed: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(i.passed for i in self.items)

    @property
    def failures(self) -> list[str]:
        """``"check: what disagrees"`` of each failed check."""
        return [f"{i.name}: {i.detail}" for i in self.items if not i.passed]

    def as_dict(self) -> dict:
        """The report as written to run.json."""
        return {"passed": self.passed, "items": [i.as_dict() for i in self.items],
                "recomputed": self.recomputed}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= PROOF_ABS_TOL * 10 + 1e-9 * max(abs(a), abs(b))


@dataclass(frozen=True)
class SolverClaims:
    """What the solver claims about its plan, to be checked against the plan recomputed from its sites.

    Attributes
    ----------
    result
        The solve result (status, objective, bound).
    assignment
        Site row -> functions, exactly as the solver chose them.
    model_cost
        The model's budget expression evaluated at the solver's values.
    areas
        The solver's area of each (site row, function) (capacitated mode), else ``None``.
    worst
        Objective ``fair``: stage 1's value (what the worst circles were raised to) and its
        proven bound, else ``None``.
    complexes
        Site row -> the complex (渝邻汇) the solver chose there.
    """

    result: SolveResult
    assignment: dict[int, tuple[str, ...]]
    model_cost: float
    areas: dict[tuple[int, str], float] | None = None
    worst: tuple[float, float | None] | None = None
    complexes: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_model(cls, model: PlanningModel, result: SolveResult, values: np.ndarray | None = None
                   ) -> SolverClaims:
        """The claims of ``values`` (default: ``result.values``) of ``model``.

        Parameters
        ----------
        model
            The model solved.
        result
            The solve result.
        values
            The solver's values of the model's columns, when not ``result.values``.

        Returns
        -------
        SolverClaims
            The solver's choice, the model's cost of it and (capacitated mode) its areas.
        """
        chosen = result.values if values is None else values
        if chosen is None:
            raise ValueError(f"{result.solver} returned no values: nothing to check")
        return cls(result, model.assignment(chosen), model.model_cost(chosen) if model.problem.n_cols else 0.0,
                   model.areas(chosen) if model.mode == "capacitated" else None,
                   complexes=model.complexes_chosen(chosen))


def check_plan(plan: Plan, context: PlanningContext, claims: SolverClaims) -> CheckReport:
    """Recompute the plan from its sites and compare with the solver's claims.

    Parameters
    ----------
    plan
        The plan as written out (after dropping redundant functions).
    context
        The scenario, inputs, reach, forced decisions and what running facilities serve
        (recomputed by the caller from reach and capacities).
    claims
        What the solver claims: its result, its choice of functions per site, the model's cost
        of that choice and (capacitated mode) its areas.

    Returns
    -------
    CheckReport
        Every check, passed or failed, and the recomputed figures.
    """
    inputs, scenario, forced, existing = context.inputs, context.scenario, context.forced, context.existing
    reach_sites, reach_facilities = context.reach_sites, context.reach_facilities
    result, solver_assignment = claims.result, claims.assignment
    model_cost, solver_areas = claims.model_cost, claims.areas
    sites = inputs.sites
    ids = sites["site_id"].astype(str).to_numpy()
    items: list[CheckItem] = []
    hosted = plan.functions_at()
    capacitated = plan.mode == "capacitated"
    least_cost = scenario.objective == "least_cost"

    # rule 2: eligibility
    bad = [f"{ids[s]}:{f}" for s, fs in hosted.items() for f in fs
           if not site_may_host(sites.iloc[s], scenario.functions[f], f)]
    items.append(CheckItem("eligibility", not bad,
                           "every function sits on a site eligible for it" if not bad
                           else f"not eligible: {', '.join(bad[:20])}"))
    # rule 2: space
    over = []
    for p in plan.sites:
        area = float(sites.iloc[p.site_row]["area_m2"])
        if p.costing.area_used > area + AMOUNT_TOL:
            over.append(f"{ids[p.site_row]} uses {p.costing.area_used:.1f} of {area:.1f} m2")
    items.append(CheckItem("space", not over, "every site's functions fit its usable area" if not over
                           else "; ".join(over[:20])))
    if scenario.complexes:  # every complex (渝邻汇) meets its rule, from its site's functions and areas
        broken = [f"{ids[p.site_row]} ({p.costing.complex}): " + ", ".join(why) for p in plan.sites
                  if (why := costing_breaks(sites.iloc[p.site_row], p.costing, scenario))]
        built = sum(1 for p in plan.sites if p.costing.complex)
        items.append(CheckItem("complexes", not broken, f"{built} complexes each meet their type's rule (functions, "
                               "core functions, floor area, site kind)" if not broken
                               else "complexes breaking their rule: " + "; ".join(broken[:20])))
    if capacitated:  # rule 4: sizes between the function's minimum and maximum (a shared garage: its own)
        limits = {(s, f): site_size_m2(sites.iloc[s], f, scenario) for s, f in plan.areas()}
        wrong = [f"{ids[s]}:{f} {a:.1f} m2" for (s, f), a in plan.areas().items()
                 if not (limits[(s, f)][0] - AMOUNT_TOL <= a <= limits[(s, f)][2] + AMOUNT_TOL)]
        items.append(CheckItem("size", not wrong, "every facility's area is within its function's min and max"
                               if not wrong else "; ".join(wrong[:20])))
    # rule 1: budget
    cost = plan.total_cost
    if least_cost:
        items.append(CheckItem("budget", True, f"not imposed: least_cost asks what the requirements cost "
                               f"({cost:,.0f} yuan)"))
    elif scenario.budget.total is not None:
        ok = cost <= scenario.budget.total + MONEY_TOL
        items.append(CheckItem("budget", ok, f"cost {cost:,.0f} {'<=' if ok else '>'} budget "
                               f"{scenario.budget.total:,.0f} yuan"))
    district = sites["district"].fillna("").astype(str).to_numpy()
    for name, amount in ({} if least_cost else scenario.budget.by_district).items():
        dcost = sum(p.costing.total_cost for p in plan.sites if district[p.site_row] == name)
        ok = dcost <= amount + MONEY_TOL
        items.append(CheckItem(f"budget ({name})", ok,
                               f"cost {dcost:,.0f} {'<=' if ok else '>'} budget {amount:,.0f} yuan"))
    items += _money_checks(plan, inputs, scenario, least_cost)
    # rule 8: forced decisions
    problems = []
    for s in forced.in_sites:
        if int(s) not in hosted:
            problems.append(f"{ids[s]} forced in but unused")
    for s, f in forced.in_pairs:
        if f not in hosted.get(int(s), ()):
            problems.append(f"{ids[s]}:{f} forced in but absent")
    for s in forced.out_sites:
        if int(s) in hosted:
            problems.append(f"{ids[s]} forced out but used")
    for s, f in forced.out_pairs:
        if f in hosted.get(int(s), ()):
            problems.append(f"{ids[s]}:{f} forced out but present")
    items.append(CheckItem("forced decisions", not problems,
                           "every forced decision is respected" if not problems else "; ".join(problems)))

    # coverage, recomputed from the sites (rule 3: existing service not counted again)
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    weighted = 0.0
    covered: dict[str, dict] = {}
    for name, fn in scenario.functions.items():
        chosen = np.array([s for s, fs in hosted.items() if name in fs], dtype=np.int64)
        status = coverage_status(reach_sites, reach_facilities, fn, chosen, np.flatnonzero(fac_fn == name))
        if not np.array_equal(status, plan.status[name]):
            items.append(CheckItem(f"coverage status ({name})", False,
                                   "the plan's coverage differs from the recomputation"))
        if capacitated:
            ok, detail = _served_is_feasible(plan, context, name, chosen)
            if not ok:
                items.append(CheckItem(f"served ({name})", False, detail))
            new_people = plan.served_new[name]
            share = np.divide(new_people, inputs.demand[fn.counted_cohort(plan.mode)].to_numpy(float),
                              out=np.zeros_like(new_people),
                              where=inputs.demand[fn.counted_cohort(plan.mode)].to_numpy(float) > 0)
            covered[name] = {c: float((inputs.demand[c].to_numpy(float) * share).sum()) for c in _cohorts_of(inputs)}
            weighted += fn.weight * float(new_people.sum())
        else:
            new_mask = status == NEW
            covered[name] = {c: float(inputs.demand[c].to_numpy(float)[new_mask].sum())
                             for c in _cohorts_of(inputs)}
            weighted += fn.weight * float(inputs.demand[fn.cohort].to_numpy(float)[new_mask].sum())
    if capacitated:
        items.append(CheckItem("served within reach and capacity", all(i.passed for i in items
                                                                          if i.name.startswith("served (")),
                               "every person counted as served is within reach of a planned facility with "
                               "room left, after running facilities took their share (independent max-flow)"))

    raw_cost = sum(cost_site(sites.iloc[s], fs, scenario,
                             {f: solver_areas[(s, f)] for f in fs} if solver_areas else None,
                             complex_name=claims.complexes.get(s, "")).total_cost
                   for s, fs in solver_assignment.items() if fs)
    claimed = result.objective if result.objective is not None else float("nan")
    value = raw_cost if least_cost else weighted
    what = "cost of the solver's choice" if least_cost else "weighted coverage"
    if result.status is SolveStatus.OPTIMAL:
        ok = _close(value, claimed) or abs(value - claimed) <= 1e-6 * max(1.0, abs(claimed))
        rel = "=" if ok else "!="
        items.append(CheckItem("objective", ok, f"recomputed {what} {value:,.3f} {rel} "
                               f"solver's proven optimum {claimed:,.3f}"))
    else:
        better = (value <= claimed + 1e-6 * max(1.0, abs(claimed))) if least_cost else \
            (value >= claimed - PROOF_ABS_TOL * 10 - 1e-9 * abs(claimed))
        items.append(CheckItem("objective", better, f"recomputed {what} {value:,.3f} "
                               f"{'matches' if better else 'is worse than'} solver's incumbent value {claimed:,.3f}"))
    if result.bound is not None and np.isfinite(result.bound):
        if least_cost:
            ok = raw_cost >= result.bound - 1e-6 * max(1.0, abs(result.bound))
            items.append(CheckItem("bound", ok, f"recomputed cost {raw_cost:,.3f} {'>=' if ok else '<'} "
                                   f"proven lower bound {result.bound:,.3f}"))
        else:
            ok = weighted <= result.bound + PROOF_ABS_TOL * 10 + 1e-9 * abs(result.bound)
            items.append(CheckItem("bound", ok, f"recomputed {weighted:,.3f} {'<=' if ok else '>'} "
                                   f"proven bound {result.bound:,.3f}"))
    # the model's money equals the plain-words costing of the solver's own choice
    ok = _close(raw_cost, model_cost) or abs(raw_cost - model_cost) <= 1e-6 * max(1.0, abs(raw_cost))
    items.append(CheckItem("cost model", ok, f"model's cost of the solver's choice {model_cost:,.2f} "
                           f"{'=' if ok else '!='} recomputed {raw_cost:,.2f}"))
    # rule 6 and rule 7, from the plan itself
    together = None
    if scenario.sharing.not_built_separately:
        eligible = forced.restrict(eligibility_matrix(sites, scenario.functions), scenario.function_names)
        together = together_report(hosted, inputs, scenario, eligible)
        broken = together[~together["kept"]]
        items.append(CheckItem("not built separately (rule 6)", broken.empty,
                               f"{int(together['rule_applies'].sum())} circle/group cases where both functions are "
                               "new all share a site" if broken.empty else "; ".join(
                                   f"circle {r.circle_id}: {r.function_a} and {r.function_b} on no common site"
                                   for r in broken.itertuples())))
    if claims.worst is not None:
        items.append(_worst_circle_check(plan, context, *claims.worst))
    requirements = None
    if scenario.requirements:
        requirements = plan_requirements(plan, inputs, scenario, requirement_targets(inputs, scenario, existing))
        short = requirements[~requirements["met"]]
        items.append(CheckItem("what must exist (rule 7)", short.empty,
                               f"all {len(requirements)} requirement targets met" if short.empty else "; ".join(
                                   f"circle {r.circle_id} {r.function}: {r.achieved:,.1f} of {r.required:,.1f} "
                                   f"{r.unit}" for r in short.head(20).itertuples())))
    recomputed = {
        "weighted_coverage": weighted,
        "cost": cost,
        "cost_of_solver_choice": raw_cost,
        "newly_covered": covered,
        "sites_converted": len(plan.sites),
        "area_used_m2": float(sum(p.costing.area_used for p in plan.sites)),
        "requirements_met": None if requirements is None else int(requirements["met"].sum()),
        "requirements_total": None if requirements is None else len(requirements),
    }
    return CheckReport(tuple(items), recomputed)


def _money_checks(plan: Plan, inputs: Inputs, scenario: Scenario, least_cost: bool) -> list[CheckItem]:
    """The public budgets and the funding channels, recomputed from the projects (:mod:`optimizer.rules.money`)."""
    b = scenario.budget
    if not b.bounds_public_money and not scenario.money.channels:
        return []
    money = plan.money(inputs.sites, scenario)
    items = []
    for key, what, words in (("public_one_off", "one_off", "public one-off"),
                             ("public_yearly", "yearly", "public yearly"),
                             ("public_horizon", "horizon", "public over the horizon")):
        amount = getattr(b, key)
        if amount is None:
            continue
        got = money.total(what, "government")
        if least_cost:
            items.append(CheckItem(f"budget ({words})", True, f"not imposed: least_cost ({got:,.0f} yuan)"))
            continue
        ok = got <= amount + MONEY_TOL
        items.append(CheckItem(f"budget ({words})", ok, f"{got:,.0f} {'<=' if ok else '>'} {amount:,.0f} yuan"))
    if scenario.money.channels:
        ok = money.funding is not None
        items.append(CheckItem("funding channels", ok,
                               "the government's one-off share is funded by its channels within their caps" if ok
                               else "no allocation to the channels within their caps funds the plan"))
    return items


def _worst_circle_check(plan: Plan, context: PlanningContext, claimed: float, bound: float | None) -> CheckItem:
    """Objective fair: the plan's worst circles, recomputed, reach stage 1's value and stay within its bound."""
    worst = worst_shares(circle_shares(context.inputs, context.scenario, plan.served_existing, plan.served_new))
    value = fairness_value(worst, context.scenario)
    tol = 1e-6 * max(1.0, abs(claimed))
    ok = value >= claimed - tol and (bound is None or not np.isfinite(bound) or value <= bound + tol)
    shown = ", ".join(f"{f} {s:.1%}" for f, s in worst.items())
    return CheckItem("worst circle (fair)", ok, f"recomputed worst circles' value {value:.6f} "
                     f"{'matches' if ok else 'disagrees with'} stage 1's {claimed:.6f}"
                     + (f" (bound {bound:.6f})" if bound is not None else "") + f": {shown}")


def _served_is_feasible(plan: Plan, context: PlanningContext, name: str, chosen: np.ndarray) -> tuple[bool, str]:
    """Can the planned facilities serve exactly the people the plan says, within reach and capacity?"""
    inputs, scenario, reach_sites, existing = context.inputs, context.scenario, context.reach_sites, context.existing
    fn = scenario.functions[name]
    new = plan.served_new[name]
    residual = existing.residual(inputs, scenario, name)
    if (new > residual + 1e-6 * np.maximum(1.0, residual)).any():
        return False, "more people served than were left after running facilities"
    if new.sum() <= 1e-9:
        return True, "nobody newly served"
    limit = cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
    keep = np.isin(reach_sites.target_index, chosen) & (reach_sites.ref_seconds <= limit)
    capacity = np.zeros(reach_sites.n_targets)
    for (s, f), area in plan.areas().items():
        if f == name:
            capacity[s] = area / fn.area_per_unit_m2 * fn.people_per_place
    flow = allocate(new, reach_sites.unit_index[keep], reach_sites.target_index[keep],
                    reach_sites.ref_seconds[keep], capacity)
    total = float(flow.sum())
    ok = total >= new.sum() - 1e-6 * max(1.0, new.sum())
    return ok, (f"{new.sum():,.1f} people served" if ok else
                f"the planned facilities can serve only {total:,.1f} of the {new.sum():,.1f} people the plan claims")


def _cohorts_of(inputs: Inputs) -> list[str]:
    from optimizer.inputs.schema import DEFAULT_COHORTS

    return [c for c in DEFAULT_COHORTS if c in inputs.demand.columns]
