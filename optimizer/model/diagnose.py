"""Why a scenario has no plan: which rule, which place, by how much.

Forced decisions (rule 8) clashing with the budget (rule 1) or a site's space (rule 2)
are found before solving, with the life circle of each site named; so are requirements
(rule 7) that no plan could meet whatever the budget. What is found only by solving
(the least budget, shortfalls within the budget) is :func:`optimizer.solving.diagnose_infeasible`.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from optimizer.errors import Shortfall
from optimizer.inputs.types import Inputs
from optimizer.model.budget_space import pair_sizes
from optimizer.model.decisions import ForcedDecisions
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.rules.complexes import best_complex
from optimizer.rules.costing import SiteCosting, cost_site, site_size_m2
from optimizer.rules.eligibility import eligibility_matrix
from optimizer.rules.existing import ExistingService, site_circles, unit_circles
from optimizer.rules.requirements import requirement_targets
from optimizer.scenario import Scenario


def _where(site: pd.Series) -> str:
    circle = str(site.get("circle_id") or "")
    return f"site {site['site_id']}" + (f" (life circle {circle})" if circle else "")


def _least_costings(site: pd.Series, combo: tuple[str, ...], scenario: Scenario) -> list[SiteCosting]:
    """The cheapest and smallest ways ``site`` may host ``combo``: lower bounds of cost and area.

    Coverage mode: each function at its standard size, in the complex the site qualifies for.
    Capacitated mode: each function at its least size (the model decides sizes from there up),
    and every complex type tried, since a complex's rule is the solver's to meet (its savings only
    lower cost and area).
    """
    if scenario.model.mode != "capacitated":
        return [cost_site(site, combo, scenario, complex_name=best_complex(site, combo, scenario))]
    least = {f: site_size_m2(site, f, scenario)[0] for f in combo}
    return [cost_site(site, combo, scenario, areas=least, complex_name=name)
            for name in ("", *(c.name for c in scenario.complexes))]


def forced_shortfalls(sites: pd.DataFrame, scenario: Scenario, forced: ForcedDecisions) -> list[Shortfall]:
    """Clashes of forced decisions with budget and space, found without solving."""
    names = scenario.function_names
    eligible = eligibility_matrix(sites, scenario.functions)
    needs: dict[int, tuple[str, ...]] = {}
    for s, f in forced.in_pairs:
        needs[s] = tuple(sorted(set(needs.get(s, ())) | {f}))
    forced_out = set(forced.out_pairs)
    out: list[Shortfall] = []
    least_cost: dict[int, float] = {}
    for s in sorted(set(needs) | {int(v) for v in forced.in_sites}):
        site = sites.iloc[s]
        area = float(site["area_m2"])
        required = set(needs.get(s, ()))
        # every set of eligible functions holding the forced ones: sharing savings (and a
        # complex's, 渝邻汇) can make a larger set smaller or cheaper than a smaller one, so all
        # are tried (at most 2^F)
        options = [names[k] for k in np.flatnonzero(eligible[s]) if (s, names[k]) not in forced_out]
        plans = [plan for r in range(1, len(options) + 1) for combo in itertools.combinations(options, r)
                 if required <= set(combo) for plan in _least_costings(site, combo, scenario)]
        fitting = [c for c in plans if c.area_used <= area + 1e-6]
        if not fitting:
            smallest = min((c.area_used for c in plans), default=float("nan"))
            what = (f"forced functions {', '.join(sorted(required))}" if required
                    else "forced in, but no eligible function")
            out.append(Shortfall("space", _where(site), f"{what}: the smallest arrangement needs "
                                 f"{smallest:,.0f} m2, the site has {area:,.0f} m2", smallest - area))
            continue
        least_cost[s] = min(c.total_cost for c in fitting)
    district = sites["district"].fillna("").astype(str).to_numpy()
    scopes: list[tuple[str, float, np.ndarray]] = []  # scope, amount, which site rows it holds
    if scenario.objective == "least_cost":  # no budget is imposed: it is what is asked
        return out
    if scenario.budget.total is not None:
        scopes.append(("whole scenario", scenario.budget.total, np.ones(len(sites), dtype=bool)))
    for name, amount in scenario.budget.by_district.items():
        scopes.append((f"district {name}", amount, district == name))
    for scope, amount, inside in scopes:
        members = [s for s in least_cost if inside[s]]
        need = sum(least_cost[s] for s in members)
        if need > amount + 1e-6:
            circles = sorted({str(sites.iloc[s].get("circle_id") or "") for s in members} - {""})
            out.append(Shortfall("budget", scope,
                                 f"forced-in sites {', '.join(str(sites.iloc[s]['site_id']) for s in members)}"
                                 + (f" (life circles {', '.join(circles)})" if circles else "")
                                 + f" cost at least {need:,.0f} yuan; the budget is {amount:,.0f} yuan",
                                 need - amount))
    return out


def requirement_reach_shortfalls(inputs: Inputs, scenario: Scenario, reach_sites: Reach,
                                 existing: ExistingService, forced: ForcedDecisions) -> list[Shortfall]:
    """Requirements no plan can meet whatever the budget: too few people within reach of eligible sites,
    or too little room on the circle's eligible sites (rule 7), found without solving."""
    names = scenario.function_names
    sites = inputs.sites
    eligible = forced.restrict(eligibility_matrix(sites, scenario.functions), scenario.function_names)
    u_circle, s_circle = unit_circles(inputs), site_circles(inputs)
    area = pd.to_numeric(sites["area_m2"], errors="coerce").fillna(0.0).to_numpy(float)
    capacitated = scenario.model.mode == "capacitated"
    out: list[Shortfall] = []
    for t in requirement_targets(inputs, scenario, existing):
        if t.need <= 0:
            continue
        fn = scenario.functions[t.function]
        k = names.index(t.function)
        if t.kind == "share":
            cols = np.flatnonzero(eligible[:, k])
            limit = cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
            reached = np.zeros(len(inputs.demand), dtype=bool)
            hit = np.isin(reach_sites.target_index, cols) & (reach_sites.ref_seconds <= limit)
            reached[reach_sites.unit_index[hit]] = True
            residual = existing.residual(inputs, scenario, t.function)
            best = float(residual[reached & (u_circle == t.circle)].sum())
            if best < t.need - 1e-6 * max(1.0, t.need):
                out.append(Shortfall(
                    "what must exist (rule 7)", f"life circle {t.circle}, {t.function}",
                    f"{t.describe()} is required; running facilities cover {t.existing:,.0f} and every eligible "
                    f"site within reach together could add at most {best:,.0f}: no eligible site within reach "
                    f"of the other {t.need - best:,.0f} people", t.need - best))
        else:
            in_c = eligible[:, k] & (s_circle == t.circle)
            least, standard, largest = pair_sizes(sites, scenario, np.arange(len(sites)), np.full(len(sites), k))
            size = largest if capacitated else standard
            fits = area >= (least if capacitated else standard)
            places = float((np.minimum(area, size)[in_c & fits]).sum() / fn.area_per_unit_m2)
            if places < t.need - 1e-6 * max(1.0, t.need):
                out.append(Shortfall(
                    "what must exist (rule 7)", f"life circle {t.circle}, {t.function}",
                    f"{t.describe()} is required; running facilities give {t.existing:,.1f} places and the "
                    f"circle's eligible sites could hold at most {places:,.1f} more: short by "
                    f"{t.need - places:,.1f} places even with every site used", t.need - places))
    return out
