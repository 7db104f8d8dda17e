"""A solution vector, read back into sites, functions, sizes, costs and people reached."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.context import PlanningContext
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.rules.complexes import best_complex, costing_breaks
from optimizer.rules.costing import SiteCosting, cost_site
from optimizer.rules.covered import EXISTING, NEW, coverage_status
from optimizer.rules.eligibility import eligibility_matrix
from optimizer.rules.existing import ExistingService, site_circles, unit_circles
from optimizer.rules.money import PlanMoney, plan_money, project_money
from optimizer.rules.requirements import RequirementTarget, by_circle, requirement_status, requirement_targets
from optimizer.rules.together import together_report
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
        Per function, each demand unit's reach status (see :mod:`optimizer.rules.covered`):
        within reach of a running facility, newly within reach of a planned one, or not.
    served_existing, served_new
        Per function, people of each demand unit covered by running facilities and newly
        covered by the plan. Coverage mode: everyone within reach. Capacitated mode
        (rule 4): people served within reach and capacity (counted cohort).
    dropped
        ``site_id:function`` entries the solver chose that reached nobody new and were
        removed (coverage unchanged, cost lower).
    mode
        ``coverage`` or ``capacitated``.
    complexes_added
        ``site_id`` of each site whose functions meet a complex's rule (渝邻汇) that the
        solver left without one (its saving was not needed), recorded with it on reading the
        plan back (cost lower, nothing else changed).
    """

    sites: tuple[PlannedSite, ...]
    status: dict[str, np.ndarray]
    served_existing: dict[str, np.ndarray]
    served_new: dict[str, np.ndarray]
    dropped: tuple[str, ...] = ()
    mode: str = "coverage"
    complexes_added: tuple[str, ...] = ()

    def functions_at(self) -> dict[int, tuple[str, ...]]:
        """Site row -> functions hosted."""
        return {p.site_row: p.costing.functions for p in self.sites}

    def complexes(self) -> dict[int, str]:
        """Site row -> the complex (渝邻汇) it hosts, for the sites hosting one."""
        return {p.site_row: p.costing.complex for p in self.sites if p.costing.complex}

    def areas(self) -> dict[tuple[int, str], float]:
        """``(site row, function) -> area`` of every planned facility."""
        return {(p.site_row, f): a for p in self.sites for f, a in p.costing.area_by_function.items()}

    @property
    def total_cost(self) -> float:
        """One-off cost of the whole plan."""
        return float(sum(p.costing.total_cost for p in self.sites))

    def money(self, sites: pd.DataFrame, scenario: Scenario) -> PlanMoney:
        """Each project's running costs, rent and payers' parts, and the funding channels' allocation."""
        return plan_money([(p.site_row, project_money(sites.iloc[p.site_row], p.costing, scenario))
                           for p in self.sites], scenario)

    def chosen_sites_for(self, function: str) -> np.ndarray:
        """Site rows hosting ``function``."""
        return np.array([p.site_row for p in self.sites if function in p.costing.functions], dtype=np.int64)


def build_plan(assignment: dict[int, tuple[str, ...]], inputs: Inputs, scenario: Scenario,
               reach_sites: Reach, reach_facilities: Reach, existing: ExistingService,
               areas: dict[tuple[int, str], float] | None = None,
               served_new: dict[str, np.ndarray] | None = None, complexes: dict[int, str] | None = None) -> Plan:
    """A :class:`Plan` from ``site row -> functions``.

    Parameters
    ----------
    areas
        Decided areas (capacitated mode); standard sizes otherwise.
    served_new
        People newly served per unit and function (capacitated mode, from the solver's
        assignment); coverage mode derives it from reach.
    complexes
        Site row -> the complex (渝邻汇) it hosts; none when ``None``.
    """
    sites = inputs.sites
    areas = areas or {}
    complexes = complexes or {}
    planned = tuple(PlannedSite(s, cost_site(sites.iloc[s], funcs, scenario,
                                             {f: areas[(s, f)] for f in funcs if (s, f) in areas},
                                             complex_name=complexes.get(s, "")))
                    for s, funcs in sorted(assignment.items()) if funcs)
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    mode = scenario.model.mode
    status, s_existing, s_new = {}, {}, {}
    for name, fn in scenario.functions.items():
        chosen = np.array([p.site_row for p in planned if name in p.costing.functions], dtype=np.int64)
        status[name] = coverage_status(reach_sites, reach_facilities, fn, chosen, np.flatnonzero(fac_fn == name))
        people = inputs.demand[fn.counted_cohort(mode)].to_numpy(float)
        if mode == "capacitated":
            s_existing[name] = existing.served[name]
            s_new[name] = (served_new or {}).get(name, np.zeros(len(people)))
        else:
            s_existing[name] = np.where(status[name] == EXISTING, people, 0.0)
            s_new[name] = np.where(status[name] == NEW, people, 0.0)
    return Plan(planned, status, s_existing, s_new, mode=mode)


def unit_served(model: PlanningModel, values: np.ndarray, residual: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """People newly served per demand unit: each merged row's amount shared in proportion to people."""
    rows = model.served_rows(values)
    out = {}
    for name, amount in rows.items():
        c = model.coverage[name]
        res = residual[name]
        share = np.divide(amount, c.people, out=np.zeros_like(amount), where=c.people > 0)
        per_unit = np.zeros(len(res))
        member = c.unit_group >= 0
        per_unit[member] = share[c.unit_group[member]] * res[member]
        out[name] = per_unit
    return out


def plan_from_solution(model: PlanningModel, values: np.ndarray, context: PlanningContext) -> Plan:
    """Read ``values`` back into a plan; optionally drop facilities that add nobody.

    A chosen function whose removal leaves weighted coverage unchanged, lowers the
    cost, keeps every site within its area, keeps rules 6 and 7 and breaks no complex is
    dropped (``model.drop_redundant``, coverage mode), unless forced. A site whose
    functions meet a complex's rule but that the solver left without one gets the best
    such complex (:func:`complete_complexes`). The independent check then recomputes the
    resulting plan.

    Parameters
    ----------
    model
        The built model ``values`` belong to.
    values
        A solution vector of ``model`` (one value per column).
    context
        The scenario, inputs, reach, forced decisions and existing service the model was built from.

    Returns
    -------
    Plan
    """
    inputs, scenario, existing = context.inputs, context.scenario, context.existing
    reach_sites, reach_facilities = context.reach_sites, context.reach_facilities
    assignment_t = model.assignment(values)
    complexes = model.complexes_chosen(values)
    if model.mode == "capacitated":
        residual = {f: existing.residual(inputs, scenario, f) for f in scenario.functions}
        areas = model.areas(values)
        complexes, added = complete_complexes(assignment_t, complexes, inputs, scenario, areas)
        plan = build_plan(assignment_t, inputs, scenario, reach_sites, reach_facilities, existing,
                          areas=areas, served_new=unit_served(model, values, residual), complexes=complexes)
        return dataclasses.replace(plan, complexes_added=added)
    dropped: list[str] = []
    if scenario.model.drop_redundant:
        assignment_t, dropped = drop_redundant(assignment_t, context, complexes)
    complexes, added = complete_complexes(assignment_t, complexes, inputs, scenario)
    plan = build_plan(assignment_t, inputs, scenario, reach_sites, reach_facilities, existing, complexes=complexes)
    return dataclasses.replace(plan, dropped=tuple(dropped), complexes_added=added)


def complete_complexes(assignment: dict[int, tuple[str, ...]], complexes: dict[int, str], inputs: Inputs,
                       scenario: Scenario, areas: dict[tuple[int, str], float] | None = None
                       ) -> tuple[dict[int, str], tuple[str, ...]]:
    """Give each converted site without a complex the best complex its functions qualify for.

    When a complex's saving is not needed (budget and space to spare), the solver may
    leave a qualifying site without one; the site hosts a complex all the same, so the
    plan records it: the largest saving among the types whose rule the site meets
    (:func:`optimizer.rules.complexes.best_complex`). Cost and area only go down; coverage
    and every other rule are unchanged.

    Returns
    -------
    tuple
        Site row -> complex, and the ``site_id`` of each site given one here.
    """
    if not scenario.complexes:
        return complexes, ()
    out, added = dict(complexes), []
    ids = inputs.sites["site_id"].astype(str).to_numpy()
    for s, funcs in sorted(assignment.items()):
        if not funcs or s in out:
            continue
        own = {f: a for (site, f), a in (areas or {}).items() if site == s}
        name = best_complex(inputs.sites.iloc[s], funcs, scenario, own)
        if name:
            out[s] = name
            added.append(str(ids[s]))
    return out, tuple(added)


def drop_redundant(assignment: dict[int, tuple[str, ...]], context: PlanningContext,
                   complexes: dict[int, str] | None = None) -> tuple[dict[int, tuple[str, ...]], list[str]]:
    """Remove chosen functions that reach nobody who is not reached otherwise.

    A function at a site is removed when every person it newly reaches is also newly
    reached by another chosen site of that function, the site's cost goes down, the
    site still fits, rules 6 and 7 still hold and the site's complex (渝邻汇) still meets
    its rule; forced decisions stay. Most expensive first.

    Parameters
    ----------
    assignment
        Site row -> the functions chosen there.
    context
        The scenario, inputs, reach, forced decisions and existing service the plan is read against.
    complexes
        Site row -> the complex it hosts (kept: never broken).

    Returns
    -------
    tuple
        The assignment without the dropped functions (and without sites left empty), and the
        dropped ``site_id:function`` pairs, in the order they were dropped.
    """
    inputs, scenario, forced = context.inputs, context.scenario, context.forced
    reach_sites, reach_facilities = context.reach_sites, context.reach_facilities
    rules_hold = _rule_guard(context)
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
        complex_name = (complexes or {}).get(s, "")
        before = cost_site(sites.iloc[s], current[s], scenario, complex_name=complex_name)
        after = cost_site(sites.iloc[s], remaining, scenario, complex_name=complex_name)
        if after.total_cost >= before.total_cost - 1e-9 or after.area_used > float(sites.iloc[s]["area_m2"]) + 1e-9:
            continue
        if costing_breaks(sites.iloc[s], after, scenario):  # a complex is never broken
            continue
        if rules_hold is not None and not rules_hold({**current, s: remaining}):
            continue
        counts[f][col.indices] -= 1
        current[s] = remaining
        dropped.append(f"{ids[s]}:{f}")
    if dropped:
        log.info("dropped %d chosen functions that reached nobody new", len(dropped))
    return {s: fs for s, fs in current.items() if fs}, dropped


def _rule_guard(context: PlanningContext) -> Callable[[dict[int, tuple[str, ...]]], bool] | None:
    """A test that rules 6 and 7 hold for a tentative assignment, or None when neither is asked for."""
    inputs, scenario, forced, existing = context.inputs, context.scenario, context.forced, context.existing
    reach_sites, reach_facilities = context.reach_sites, context.reach_facilities
    if not scenario.requirements and not scenario.sharing.not_built_separately and not scenario.money.channels:
        return None
    targets = requirement_targets(inputs, scenario, existing)
    eligible = forced.restrict(eligibility_matrix(inputs.sites, scenario.functions), scenario.function_names)

    def holds(assignment: dict[int, tuple[str, ...]]) -> bool:
        if scenario.money.channels:  # dropping a function can lose a sharing saving the site works counted on
            plan = build_plan({s: fs for s, fs in assignment.items() if fs}, inputs, scenario, reach_sites,
                              reach_facilities, existing)
            if plan.money(inputs.sites, scenario).funding is None:
                return False
        if scenario.sharing.not_built_separately:
            report = together_report({s: fs for s, fs in assignment.items() if fs}, inputs, scenario, eligible)
            if not report["kept"].all():
                return False
        if targets:
            plan = build_plan({s: fs for s, fs in assignment.items() if fs}, inputs, scenario, reach_sites,
                              reach_facilities, existing)
            if not plan_requirements(plan, inputs, scenario, targets)["met"].all():
                return False
        return True

    return holds


def plan_requirements(plan: Plan, inputs: Inputs, scenario: Scenario,
                      targets: list[RequirementTarget]) -> pd.DataFrame:
    """The plan against every requirement target (rule 7)."""
    u_c, s_c = unit_circles(inputs), site_circles(inputs)
    new_people = {f: by_circle(plan.served_new[f], u_c) for f in scenario.functions}
    new_places: dict[str, dict[str, float]] = {}
    for p in plan.sites:
        for f, area in p.costing.area_by_function.items():
            places = area / scenario.functions[f].area_per_unit_m2
            d = new_places.setdefault(f, {})
            d[s_c[p.site_row]] = d.get(s_c[p.site_row], 0.0) + places
    return requirement_status(targets, new_people, new_places)


def people_by_status(inputs: Inputs, scenario: Scenario, plan: Plan) -> pd.DataFrame:
    """Per function: cohort, people in total, already covered, newly covered, not covered."""
    rows = []
    for name, fn in scenario.functions.items():
        cohort = fn.counted_cohort(plan.mode)
        total = inputs.demand[cohort].to_numpy(float).sum()
        existing = float(plan.served_existing[name].sum())
        new = float(plan.served_new[name].sum())
        rows.append({
            "function": name, "label_zh": fn.label_zh, "cohort": cohort, "people": total,
            "served_by_existing": existing, "newly_covered": new,
            "unreached": total - existing - new,
            "covered_share": (existing + new) / total if total else float("nan"),
            "facilities_planned": int(sum(name in p.costing.functions for p in plan.sites)),
            "weight": fn.weight,
        })
    return pd.DataFrame(rows)
