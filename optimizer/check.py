"""The independent re-check: every plan recomputed from its chosen sites.

Nothing here reads the model's matrices. Coverage is recomputed from reach and the
running facilities, cost and area from :mod:`optimizer.costing`, eligibility from the
plain-words rules; then compared with what the solver claimed. A mismatch is an error.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.costing import cost_site
from optimizer.covered import NEW, coverage_status
from optimizer.inputs.types import Inputs
from optimizer.model.decisions import ForcedDecisions
from optimizer.model.eligibility import site_may_host
from optimizer.plan import Plan
from optimizer.reach.types import Reach
from optimizer.scenario import Scenario
from solvers.result import PROOF_ABS_TOL, SolveResult, SolveStatus

#: Tolerance for money and area comparisons (yuan, m2).
AMOUNT_TOL = 1e-6


@dataclass(frozen=True)
class CheckItem:
    """One verified statement about the plan."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class CheckReport:
    """All checks and the recomputed figures."""

    items: tuple[CheckItem, ...]
    recomputed: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(i.passed for i in self.items)

    @property
    def failures(self) -> list[str]:
        return [f"{i.name}: {i.detail}" for i in self.items if not i.passed]

    def as_dict(self) -> dict:
        return {"passed": self.passed, "items": [i.as_dict() for i in self.items],
                "recomputed": self.recomputed}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= PROOF_ABS_TOL * 10 + 1e-9 * max(abs(a), abs(b))


def check_plan(
    plan: Plan,
    inputs: Inputs,
    scenario: Scenario,
    reach_sites: Reach,
    reach_facilities: Reach,
    forced: ForcedDecisions,
    result: SolveResult,
    solver_assignment: dict[int, tuple[str, ...]],
    model_cost: float,
) -> CheckReport:
    """Recompute the plan from its sites and compare with the solver's claims.

    Parameters
    ----------
    plan
        The plan as written out (after dropping redundant functions).
    solver_assignment
        Site row -> functions, exactly as the solver chose them.
    model_cost
        The model's budget expression evaluated at the solver's values.
    """
    sites = inputs.sites
    ids = sites["site_id"].astype(str).to_numpy()
    items: list[CheckItem] = []
    hosted = plan.functions_at()

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
    # rule 1: budget
    cost = plan.total_cost
    if scenario.budget.total is not None:
        ok = cost <= scenario.budget.total + AMOUNT_TOL
        items.append(CheckItem("budget", ok, f"cost {cost:,.0f} {'<=' if ok else '>'} budget "
                               f"{scenario.budget.total:,.0f} yuan"))
    district = sites["district"].fillna("").astype(str).to_numpy()
    for name, amount in scenario.budget.by_district.items():
        dcost = sum(p.costing.total_cost for p in plan.sites if district[p.site_row] == name)
        ok = dcost <= amount + AMOUNT_TOL
        items.append(CheckItem(f"budget ({name})", ok,
                               f"cost {dcost:,.0f} {'<=' if ok else '>'} budget {amount:,.0f} yuan"))
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
        new_mask = status == NEW
        covered[name] = {c: float(inputs.demand[c].to_numpy(float)[new_mask].sum())
                         for c in _cohorts_of(inputs)}
        weighted += fn.weight * float(inputs.demand[fn.cohort].to_numpy(float)[new_mask].sum())

    claimed = result.objective if result.objective is not None else float("nan")
    if result.status is SolveStatus.OPTIMAL:
        ok = _close(weighted, claimed)
        rel = "=" if ok else "!="
        items.append(CheckItem("objective", ok, f"recomputed weighted coverage {weighted:,.3f} {rel} "
                               f"solver's proven optimum {claimed:,.3f}"))
    else:
        ok = weighted >= claimed - PROOF_ABS_TOL * 10 - 1e-9 * abs(claimed)
        items.append(CheckItem("objective", ok, f"recomputed weighted coverage {weighted:,.3f} "
                               f"{'>=' if ok else '<'} solver's incumbent value {claimed:,.3f}"))
    if result.bound is not None and np.isfinite(result.bound):
        ok = weighted <= result.bound + PROOF_ABS_TOL * 10 + 1e-9 * abs(result.bound)
        items.append(CheckItem("bound", ok, f"recomputed {weighted:,.3f} {'<=' if ok else '>'} "
                               f"proven bound {result.bound:,.3f}"))
    # the model's money equals the plain-words costing of the solver's own choice
    raw_cost = sum(cost_site(sites.iloc[s], fs, scenario).total_cost for s, fs in solver_assignment.items() if fs)
    ok = _close(raw_cost, model_cost) or abs(raw_cost - model_cost) <= 1e-6 * max(1.0, abs(raw_cost))
    items.append(CheckItem("cost model", ok, f"model's cost of the solver's choice {model_cost:,.2f} "
                           f"{'=' if ok else '!='} recomputed {raw_cost:,.2f}"))
    recomputed = {
        "weighted_coverage": weighted,
        "cost": cost,
        "cost_of_solver_choice": raw_cost,
        "newly_covered": covered,
        "sites_converted": len(plan.sites),
        "area_used_m2": float(sum(p.costing.area_used for p in plan.sites)),
    }
    return CheckReport(tuple(items), recomputed)


def _cohorts_of(inputs: Inputs) -> list[str]:
    from optimizer.inputs.schema import DEFAULT_COHORTS

    return [c for c in DEFAULT_COHORTS if c in inputs.demand.columns]
