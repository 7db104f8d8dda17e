"""The reserve list (中远期储备项目): worthwhile projects that did not fit the budgets, ranked.

After a multi-year plan, every candidate site function the plan does not use (a pair of
the single-year model: eligible, not forced out) is valued **alone, added to the plan as
it stands by the last year**: the people of its cohort it would newly cover (within its
reach and covered neither by a running facility nor by the plan), what that adds to the
objective (``weight x people``: for ``share`` percentage points of the cohort x priority,
for ``people`` weighted people), its one-off cost (what the site's plan would cost with
it minus without: the conversion when the site is not yet converted, sharing savings
included, :mod:`optimizer.rules.costing`) and the objective it adds per 10,000 yuan. Only
candidates that add someone and fit the site's area next to what the plan puts there
are listed, ranked by value per yuan. Plain computation from reach and the plan, no
solve: two reserve projects near each other may cover the same people, so their gains do
not add up.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.rules.costing import cost_site
from optimizer.rules.covered import UNREACHED, coverage_status
from optimizer.scenario import Scenario

#: Default length of the reserve list.
DEFAULT_TOP = 30

COLUMNS = ["rank", "site_id", "site_name", "address", "circle_id", "district", "kind", "function",
           "function_label", "cohort", "newly_covered", "objective_gain", "cost", "value_per_10k_yuan",
           "site_in_plan", "available_from"]


def reserve_projects(final: dict[int, tuple[str, ...]], model: PlanningModel, inputs: Inputs, scenario: Scenario,
                     reach_sites: Reach, reach_facilities: Reach, available_from: np.ndarray,
                     top: int = DEFAULT_TOP, label=str) -> pd.DataFrame:
    """The ``top`` candidates not in the plan, each valued alone against the plan ``final``.

    Parameters
    ----------
    final
        Site row -> functions hosted by the last year.
    model
        The single-year model (its candidate pairs).
    scenario
        The scenario with the objective's per-person weights in force (``setup.scenario``).
    available_from
        Per site row, the first year it may open.
    label
        ``function -> name`` for readers.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, best value per yuan first; empty (with the columns) when nothing adds anyone.
    """
    sites, demand = inputs.sites, inputs.demand
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    x_upper = model.problem.col_upper[model.x.start:model.x.stop]
    names = model.functions
    rows = []
    for k, name in enumerate(names):
        fn = scenario.functions[name]
        pairs = np.flatnonzero((model.pair_function == k) & (x_upper > 0))
        pairs = np.array([q for q in pairs if name not in final.get(int(model.pair_site[q]), ())], dtype=np.int64)
        if not pairs.size:
            continue
        people = demand[fn.cohort].to_numpy(float)
        chosen = np.array([s for s, fs in final.items() if name in fs], dtype=np.int64)
        open_now = coverage_status(reach_sites, reach_facilities, fn, chosen, np.flatnonzero(fac_fn == name)) \
            == UNREACHED
        limit = cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
        hit = (reach_sites.ref_seconds <= limit) & open_now[reach_sites.unit_index]
        u, s = reach_sites.unit_index[hit], reach_sites.target_index[hit]
        key = np.unique(np.stack([s, u]), axis=1) if u.size else np.zeros((2, 0), dtype=np.int64)
        gain = pd.Series(people[key[1]]).groupby(key[0]).sum() if key.size else pd.Series(dtype=float)
        for q in pairs:
            s_row = int(model.pair_site[q])
            added = float(gain.get(s_row, 0.0))
            if added <= 0:
                continue
            site = sites.iloc[s_row]
            was = final.get(s_row, ())
            now = tuple(f for f in scenario.function_names if f in was or f == name)
            before, after = cost_site(site, was, scenario) if was else None, cost_site(site, now, scenario)
            if after.area_used > float(site["area_m2"]) + 1e-6:
                continue  # does not fit next to what the plan puts there
            cost = after.total_cost - (before.total_cost if before else 0.0)
            value = fn.weight * added
            rows.append({"site_id": str(site["site_id"]), "site_name": site.get("name", ""),
                         "address": site.get("address", ""), "circle_id": site.get("circle_id", ""),
                         "district": site.get("district", ""), "kind": site["kind"], "function": name,
                         "function_label": label(name), "cohort": fn.cohort, "newly_covered": added,
                         "objective_gain": value, "cost": round(float(cost), 2),
                         "value_per_10k_yuan": value / (cost / 1e4) if cost > 0 else np.inf,
                         "site_in_plan": bool(was), "available_from": int(available_from[s_row])})
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table = table.sort_values(["value_per_10k_yuan", "objective_gain", "site_id", "function"],
                              ascending=[False, False, True, True], kind="stable").head(max(int(top), 0))
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)
