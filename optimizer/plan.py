"""A solution vector, read back into sites, functions, sizes, costs and people reached."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.costing import SiteCosting, cost_site
from optimizer.covered import EXISTING, NEW, coverage_status
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.model.decisions import ForcedDecisions
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.scenario import Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedSite:
    """One converted site: what it hosts and what that costs."""

    site_row: int
    costing: SiteCosting


@dataclass(frozen=True)
class Plan:
    """The plan in planners' words.

    Attributes
    ----------
    sites
        Converted sites, ordered by site row.
    status
        Per function, each demand unit's coverage status (see :mod:`optimizer.covered`).
    dropped
        ``site_id:function`` entries the solver chose that reached nobody new and were
        removed (coverage unchanged, cost lower).
    """

    sites: tuple[PlannedSite, ...]
    status: dict[str, np.ndarray]
    dropped: tuple[str, ...] = ()

    def functions_at(self) -> dict[int, tuple[str, ...]]:
        """Site row -> functions hosted."""
        return {p.site_row: p.costing.functions for p in self.sites}

    @property
    def total_cost(self) -> float:
        """One-off cost of the whole plan."""
        return float(sum(p.costing.total_cost for p in self.sites))

    def chosen_sites_for(self, function: str) -> np.ndarray:
        """Site rows hosting ``function``."""
        return np.array([p.site_row for p in self.sites if function in p.costing.functions], dtype=np.int64)


def build_plan(assignment: dict[int, tuple[str, ...]], inputs: Inputs, scenario: Scenario,
               reach_sites: Reach, reach_facilities: Reach) -> Plan:
    """A :class:`Plan` from ``site row -> functions``."""
    sites = inputs.sites
    planned = tuple(PlannedSite(s, cost_site(sites.iloc[s], funcs, scenario))
                    for s, funcs in sorted(assignment.items()) if funcs)
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    status = {}
    for name, fn in scenario.functions.items():
        chosen = np.array([p.site_row for p in planned if name in p.costing.functions], dtype=np.int64)
        status[name] = coverage_status(reach_sites, reach_facilities, fn, chosen, np.flatnonzero(fac_fn == name))
    return Plan(planned, status)


def plan_from_solution(model: PlanningModel, values: np.ndarray, inputs: Inputs, scenario: Scenario,
                       reach_sites: Reach, reach_facilities: Reach, forced: ForcedDecisions) -> Plan:
    """Read ``values`` back into a plan; optionally drop facilities that add nobody.

    A chosen function whose removal leaves weighted coverage unchanged, lowers the
    cost and keeps every site within its area is dropped (``model.drop_redundant``),
    unless forced. The independent check then recomputes the resulting plan.
    """
    assignment_t = model.assignment(values)
    if not scenario.model.drop_redundant:
        return build_plan(assignment_t, inputs, scenario, reach_sites, reach_facilities)
    assignment_t, dropped = drop_redundant(assignment_t, inputs, scenario, reach_sites, reach_facilities, forced)
    plan = build_plan(assignment_t, inputs, scenario, reach_sites, reach_facilities)
    return Plan(plan.sites, plan.status, tuple(dropped))


def drop_redundant(assignment: dict[int, tuple[str, ...]], inputs: Inputs, scenario: Scenario,
                   reach_sites: Reach, reach_facilities: Reach,
                   forced: ForcedDecisions) -> tuple[dict[int, tuple[str, ...]], list[str]]:
    """Remove chosen functions that reach nobody who is not reached otherwise.

    A function at a site is removed when every person it newly reaches is also newly
    reached by another chosen site of that function, the site's cost goes down and the
    site still fits; forced decisions stay. Most expensive first.
    """
    current = dict(assignment)
    forced_pairs = {(int(s), f) for s, f in forced.in_pairs}
    forced_sites = {int(s) for s in forced.in_sites}
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    sites = inputs.sites
    ids = sites["site_id"].astype(str).to_numpy()
    within, counts, needy = {}, {}, {}
    for name, fn in scenario.functions.items():
        w = reach_sites.within(cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)).tocsc()
        chosen = [s for s, fs in current.items() if name in fs]
        within[name] = w
        counts[name] = np.asarray(w[:, chosen].sum(axis=1)).ravel() if chosen else np.zeros(w.shape[0])
        existing = coverage_status(reach_sites, reach_facilities, fn, np.zeros(0, dtype=np.int64),
                                   np.flatnonzero(fac_fn == name)) == EXISTING
        needy[name] = (~existing) & (inputs.demand[fn.cohort].to_numpy(float) * fn.weight > 0)
    candidates = sorted(((cost_site(sites.iloc[s], fs, scenario).function_costs[f], s, f)
                         for s, fs in current.items() for f in fs), reverse=True)
    dropped = []
    for _, s, f in candidates:
        if (s, f) in forced_pairs:
            continue
        remaining = tuple(g for g in current[s] if g != f)
        if not remaining and s in forced_sites:
            continue
        col = within[f][:, [s]]
        units = col.indices[needy[f][col.indices]]
        if (counts[f][units] < 2).any():
            continue
        before = cost_site(sites.iloc[s], current[s], scenario)
        after = cost_site(sites.iloc[s], remaining, scenario)
        if after.total_cost >= before.total_cost - 1e-9 or after.area_used > float(sites.iloc[s]["area_m2"]) + 1e-9:
            continue
        counts[f][col.indices] -= 1
        current[s] = remaining
        dropped.append(f"{ids[s]}:{f}")
    if dropped:
        log.info("dropped %d chosen functions that reached nobody new", len(dropped))
    return {s: fs for s, fs in current.items() if fs}, dropped


def people_by_status(inputs: Inputs, scenario: Scenario, plan: Plan) -> pd.DataFrame:
    """Per function: cohort, people in total, already served, newly reached, unreached."""
    rows = []
    for name, fn in scenario.functions.items():
        people = inputs.demand[fn.cohort].to_numpy(float)
        st = plan.status[name]
        total = people.sum()
        existing = people[st == EXISTING].sum()
        new = people[st == NEW].sum()
        rows.append({
            "function": name, "label_zh": fn.label_zh, "cohort": fn.cohort, "people": total,
            "served_by_existing": existing, "newly_covered": new,
            "unreached": total - existing - new,
            "covered_share": (existing + new) / total if total else float("nan"),
            "facilities_planned": int(sum(name in p.costing.functions for p in plan.sites)),
            "weight": fn.weight,
        })
    return pd.DataFrame(rows)
