"""Tiny planning instances and the brute-force enumeration every rule's tests reuse.

The brute force restates the rules of ``../shared/docs/model.md`` in plain Python, with
no code from ``optimizer`` beyond reading the scenario: straight-line distances from
coordinates, costs and areas summed by hand, every combination of functions per site
enumerated.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry import Point

from optimizer.inputs.schema import DEMAND_COLUMNS, FACILITY_COLUMNS, SITE_COLUMNS
from optimizer.inputs.types import Inputs
from optimizer.scenario import Scenario, deep_merge, parse_scenario

CRS = "EPSG:32648"  # UTM 48N, Chongqing


def _table(records: list[dict], columns, crs: str) -> gpd.GeoDataFrame:
    df = pd.DataFrame(records)
    for col in columns:
        if col.name not in df.columns:
            df[col.name] = col.default if col.default is not None else np.nan
    geom = [Point(r["x"], r["y"]) for r in records]
    df = df.drop(columns=[c for c in ("x", "y") if c in df.columns])
    return gpd.GeoDataFrame(df, geometry=geom, crs=crs).reset_index(drop=True)


def make_inputs(demand: list[dict], sites: list[dict], facilities: list[dict] = (), crs: str = CRS) -> Inputs:
    """Inputs from records with ``x``, ``y`` in metres and canonical columns."""
    d = _table(demand, DEMAND_COLUMNS, crs)
    s = _table(sites, SITE_COLUMNS, crs)
    f = _table(list(facilities), FACILITY_COLUMNS, crs) if facilities else gpd.GeoDataFrame(
        {"facility_id": [], "function": [], "capacity": [], "name": []}, geometry=[], crs=crs)
    return Inputs(d, s, f, None, None, pyproj.CRS(crs), {})


def unit(uid: str, x: float, y: float, circle: str = "C1", **people: float) -> dict:
    """A demand unit record at ``(x, y)`` metres in ``circle`` (district D1); cohorts not given are 0."""
    base = {"total": 0.0, "elderly": 0.0, "infants": 0.0, "households": 0.0, "cars": 0.0}
    base.update(people)
    return {"unit_id": uid, "x": x, "y": y, "circle_id": circle, "district": "D1", **base}


def site(sid: str, x: float, y: float, kind: str = "building", area: float = 2000.0, floor: int = 1,
         circle: str = "C1", **extra: object) -> dict:
    """A site record at ``(x, y)`` metres in ``circle`` (district D1); default: a ground-floor building, 2,000 m2."""
    return {"site_id": sid, "x": x, "y": y, "kind": kind, "area_m2": area, "lowest_floor": floor,
            "circle_id": circle, "district": "D1", **extra}


def hosted(run) -> dict[str, tuple[str, ...]]:
    """Site id -> the functions a run's plan puts there, sorted: what a planning fact is stated in."""
    ids = run.inputs.sites["site_id"].tolist()
    return {ids[p.site_row]: tuple(sorted(p.costing.functions)) for p in run.plan.sites}


def exact_solvers() -> list[str]:
    """Every installed backend that proves optimality on any matrix problem (the greedy heuristic proves
    nothing by itself; the Benders backend takes plain maximal covering only)."""
    import solvers

    return [s for s in solvers.available_solvers() if solvers.SOLVERS[s].capabilities.proves_optimality
            and not solvers.SOLVERS[s].capabilities.needs_coverage_model]


def default_run_on_highs(names: list[str]) -> list:
    """``names`` as pytest parameters: HiGHS (the default backend) in the default run, every other
    backend marked ``slow``.

    For rule tests that state a planning fact once per backend: the fact is the model's, checked
    on HiGHS by default; whether each other backend solves the planning model to the brute
    force's optimum stays in the default run through the property test
    (``tests/property/test_every_rule_against_brute_force.py``: each district on every exact
    backend that takes it) and ``tests/model/test_rules.py::test_all_solvers_agree_on_proven_optima``.
    """
    import pytest

    return [name if name == "highs" else pytest.param(name, marks=pytest.mark.slow, id=name) for name in names]


def make_scenario(raw: dict | None = None) -> Scenario:
    """A straight-line scenario (detour 1.0) over the built-in defaults, with ``raw`` merged on top.

    The objective is ``people`` (weighted people newly covered), in whose figures these
    tests state their planning facts; tests of ``share`` and ``fair`` say so.
    """
    base = {
        "name": "tiny",
        "objective": "people",
        "inputs": {"demand": {"path": str(Path("demand.gpkg").resolve())},
                   "sites": {"path": str(Path("sites.gpkg").resolve())}},
        "reach": {"method": "straight_line", "detour_factor": 1.0},
        "budget": {"total": 1e9},
        "solver": {"time_limit_s": 60},
    }
    return parse_scenario(deep_merge(base, raw or {}), source="tiny.yaml")


# ------------------------------------------------------------------ brute force
def plain_weight(inputs: Inputs, sc: Scenario, f: str) -> float:
    """What one newly covered person of ``f`` counts, restated: the weight (objective people) or
    the function's priority x 100 / its cohort's total people (objectives share and fair)."""
    fn = sc.functions[f]
    if sc.objective in ("share", "fair"):
        total = float(inputs.demand[fn.counted_cohort(sc.model.mode)].to_numpy(float).sum())
        return fn.priority * 100.0 / total if total > 0 else 0.0
    return fn.weight


def _plain_size(site: pd.Series, f: str, sc: Scenario) -> tuple[float, float, float]:
    """Least, standard and largest area of ``f`` at ``site``: a shared garage offers exactly its places."""
    fn = sc.functions[f]
    if site["kind"] == "shared_garage":
        return (site["places"] * fn.area_per_unit_m2,) * 3
    return fn.size.min_m2, fn.size.standard_m2, fn.size.max_m2


def _plain_cost_and_area(site: pd.Series, funcs: tuple[str, ...], sc: Scenario) -> tuple[float, float]:
    if not funcs:
        return 0.0, 0.0
    kind = sc.site_kinds[site["kind"]]
    conversion = site["fixed_cost"] if not pd.isna(site.get("fixed_cost", np.nan)) else kind.fixed_cost
    area, cost = {}, {}
    for f in funcs:
        fn = sc.functions[f]
        own_rate = site.get("cost_per_m2", np.nan)
        rate = own_rate if not pd.isna(own_rate) else fn.cost.per_m2 * kind.cost_factor
        area[f] = _plain_size(site, f, sc)[1]
        cost[f] = fn.cost.fixed + rate * area[f]
    a, c = sum(area.values()), conversion + sum(cost.values())
    for g in sc.sharing.groups:
        if set(g.functions) <= set(funcs):
            a -= g.area_saving * sum(area[f] for f in g.functions)
            c -= g.cost_saving * sum(cost[f] for f in g.functions)
    return c, a


def _plain_money(combo: tuple[tuple[str, ...], ...], s: pd.DataFrame, sc: Scenario, budgets: bool = True) -> bool:
    """Public budgets and funding channels (who pays), restated: True when the plan meets them (coverage mode).

    ``budgets=False`` (objective least_cost): the public budgets are not imposed, the channels' caps are.
    """
    m, b = sc.money, sc.budget
    if not (budgets and b.bounds_public_money) and not m.channels:
        return True
    years = range(1, m.horizon_years + 1)
    annuity = sum((1 + m.discount_rate) ** -t for t in years)
    g1 = m.one_off_paid_by.government
    one_off = yearly = 0.0
    buckets: dict[str, float] = {}
    for i, funcs in enumerate(combo):
        if not funcs:
            continue
        site = s.iloc[i]
        cost, area = _plain_cost_and_area(site, funcs, sc)
        kind = sc.site_kinds[site["kind"]]
        own_rate = site.get("cost_per_m2", np.nan)
        own_costs = {}
        for f in funcs:
            fn = sc.functions[f]
            rate = own_rate if not pd.isna(own_rate) else fn.cost.per_m2 * kind.cost_factor
            size = _plain_size(site, f, sc)[1]
            own_costs[f] = fn.cost.fixed + rate * size
            paid = fn.running_paid_by or m.running_paid_by
            yearly += paid.government * (fn.running.fixed_per_year + fn.running.per_m2_year * size)
            buckets[f] = buckets.get(f, 0.0) + g1 * own_costs[f]
        buckets["site_works"] = buckets.get("site_works", 0.0) + g1 * (cost - sum(own_costs.values()))
        own_rent = site.get("rent_per_m2_year", np.nan)
        rent = own_rent if not pd.isna(own_rent) else (
            0.0 if str(site.get("owner") or "") in m.rent.free_owners else m.rent.per_m2_year)
        yearly += m.running_paid_by.government * rent * area
        one_off += g1 * cost
    for amount, got in ((b.public_one_off, one_off), (b.public_yearly, yearly),
                        (b.public_horizon, one_off + annuity * yearly)):
        if budgets and amount is not None and got > amount + 1e-6:
            return False
    if not m.channels:
        return True
    from scipy.optimize import linprog

    need = {k: v for k, v in buckets.items() if v > 1e-9}
    arcs = [(c, k) for c, ch in enumerate(m.channels) for k in need if not ch.functions or k in ch.functions]
    if any(all(kk != k for _, kk in arcs) for k in need):
        return False
    if not need:
        return True
    a_ub = [[-1.0 if kk == k else 0.0 for _, kk in arcs] for k in need]
    b_ub = [-v for v in need.values()]
    for c, ch in enumerate(m.channels):
        if ch.cap is not None:
            a_ub.append([1.0 if cc == c else 0.0 for cc, _ in arcs])
            b_ub.append(ch.cap)
    res = linprog(np.zeros(len(arcs)), A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=[(0, None)] * len(arcs),
                  method="highs")
    return res.status == 0


#: The guideline's core functions of a complex (elder care, infant care, after-school care, meals).
GUIDELINE_CORE = ("elder_care", "childcare", "after_school", "canteen")


def _plain_complex_may(site: pd.Series, funcs: tuple[str, ...], t) -> bool:
    """Complex type ``t`` restated, all but its floor area: the site's kind, its functions, its core ones."""
    members = [f for f in funcs if f in t.functions]
    core = t.core if t.core is not None else [f for f in t.functions if f in GUIDELINE_CORE]
    return site["kind"] in t.kinds and len(members) >= t.min_functions and sum(f in core for f in members) >= t.min_core


def _plain_complex_floor(area: dict[str, float], t, sc: Scenario) -> float:
    """A complex's floor area restated: its functions' areas less its own saving and the groups' made of them."""
    members = [f for f in area if f in t.functions]
    floor = sum(area[f] for f in members) - t.area_saving_m2
    for g in sc.sharing.groups:
        if set(g.functions) <= set(members):
            floor -= g.area_saving * sum(area[f] for f in g.functions)
    return floor


def _plain_site(site: pd.Series, funcs: tuple[str, ...], sc: Scenario) -> tuple[float, float, str]:
    """Cost, area and complex of a site hosting ``funcs`` at standard sizes.

    Of no complex and the complex types the site qualifies for, the cheapest whose area fits
    (budgets are sums over sites, so this per-site choice is the best for every plan).
    """
    c, a = _plain_cost_and_area(site, funcs, sc)
    areas = {f: sc.functions[f].size.standard_m2 for f in funcs}
    options = [(c, a, "")] + [(c - t.saving_yuan, a - t.area_saving_m2, t.name) for t in sc.complexes
                              if funcs and _plain_complex_may(site, funcs, t)
                              and _plain_complex_floor(areas, t, sc) >= t.min_area_m2 - 1e-9]
    fits = [o for o in options if o[1] <= float(site["area_m2"]) + 1e-9]
    return min(fits or options, key=lambda o: (o[0], o[1]))


def _plain_eligible(site: pd.Series, fname: str, sc: Scenario) -> bool:
    allowed = [t.strip() for t in str(site.get("allowed_functions") or "").replace(";", ",").split(",") if t.strip()]
    if allowed and fname not in allowed:
        return False
    floor = 1 if pd.isna(site.get("lowest_floor", np.nan)) else int(site["lowest_floor"])
    for r in sc.functions[fname].eligible:
        if site["kind"] in r.kinds and (r.floor_min is None or floor >= r.floor_min) \
                and (r.floor_max is None or floor <= r.floor_max) \
                and all(bool(site.get(fl)) for fl in r.requires):
            return True
    return False


def brute_force(inputs: Inputs, sc: Scenario) -> tuple[float, dict[int, tuple[str, ...]] | None]:
    """Best weighted new coverage over every feasible plan, and one plan achieving it.

    Straight-line distance x ``sc.reach.detour_factor``; thresholds inclusive.
    Returns ``(-inf, None)`` when no plan is feasible.
    """
    names = sc.function_names
    d, s, fac = inputs.demand, inputs.sites, inputs.facilities
    dxy = np.array([[p.x, p.y] for p in d.geometry])
    sxy = np.array([[p.x, p.y] for p in s.geometry])
    limit = {f: sc.functions[f].threshold_min * 60 * sc.functions[f].walk_speed_mps for f in names}

    def walk(a, b):
        return math.dist(a, b) * sc.reach.detour_factor

    served = {f: np.zeros(len(d), dtype=bool) for f in names}
    for _, row in fac.iterrows():
        if row["function"] in names:
            for u in range(len(d)):
                if walk(dxy[u], (row.geometry.x, row.geometry.y)) <= limit[row["function"]] + 1e-9:
                    served[row["function"]][u] = True
    forced_col = s["forced"].fillna("").astype(str).str.lower().tolist()
    force_in = {e for e in sc.decisions.force_in if ":" not in e}
    force_out = {e for e in sc.decisions.force_out if ":" not in e}
    pair_in = {tuple(e.split(":")) for e in sc.decisions.force_in if ":" in e}
    pair_out = {tuple(e.split(":")) for e in sc.decisions.force_out if ":" in e}
    options = []
    for i, site in s.iterrows():
        sid = str(site["site_id"])
        elig = [f for f in names if _plain_eligible(site, f, sc) and (sid, f) not in pair_out]
        subsets = [c for k in range(len(elig) + 1) for c in itertools.combinations(elig, k)]
        if forced_col[i] == "out" or sid in force_out:
            subsets = [()]
        if forced_col[i] == "in" or sid in force_in:
            subsets = [c for c in subsets if c]
        need = {f for (x, f) in pair_in if x == sid}
        subsets = [c for c in subsets if need <= set(c)]
        feasible = []
        for c in subsets:
            cost, area = _plain_cost_and_area(site, c, sc)
            if area <= float(site["area_m2"]) + 1e-9:
                feasible.append((c, cost))
        options.append(feasible)
    district = s["district"].fillna("").astype(str).tolist()
    best, best_plan = -math.inf, None
    for combo in itertools.product(*options):
        total = sum(c for _, c in combo)
        if sc.budget.total is not None and total > sc.budget.total + 1e-6:
            continue
        if any(sum(c for i, (_, c) in enumerate(combo) if district[i] == dn) > amt + 1e-6
               for dn, amt in sc.budget.by_district.items()):
            continue
        value = 0.0
        for f in names:
            fn = sc.functions[f]
            people = d[fn.cohort].to_numpy(float)
            for u in range(len(d)):
                if served[f][u]:
                    continue
                if any(f in funcs and walk(dxy[u], sxy[i]) <= limit[f] + 1e-9 for i, (funcs, _) in enumerate(combo)):
                    value += plain_weight(inputs, sc, f) * people[u]
        if value > best + 1e-9:
            best, best_plan = value, {i: funcs for i, (funcs, _) in enumerate(combo) if funcs}
    return best, best_plan


def random_instance(seed: int, n_units: int = 12, n_sites: int = 4) -> tuple[Inputs, dict]:
    """A random tiny instance and scenario overrides exercising every coverage-mode rule."""
    rng = np.random.default_rng(seed)
    demand = [{"unit_id": f"U{i}", "x": float(rng.uniform(0, 1500)), "y": float(rng.uniform(0, 1500)),
               "total": float(rng.integers(0, 400)), "elderly": float(rng.integers(0, 120)),
               "infants": float(rng.integers(0, 20)), "households": 0.0, "cars": float(rng.integers(0, 60)),
               "circle_id": f"C{i % 2}", "district": "D"} for i in range(n_units)]
    kinds = ["building", "plot", "existing_host"]
    sites = []
    for j in range(n_sites):
        kind = kinds[int(rng.integers(0, 3))]
        sites.append({"site_id": f"S{j}", "x": float(rng.uniform(0, 1500)), "y": float(rng.uniform(0, 1500)),
                      "kind": kind, "area_m2": float(rng.choice([300, 700, 1200, 2500])),
                      "lowest_floor": int(rng.choice([-1, 1, 1, 2, 4])),
                      "parking_allowed": bool(rng.random() < 0.3), "circle_id": f"C{j % 2}", "district": "D"})
    facilities = []
    if rng.random() < 0.7:
        facilities.append({"facility_id": "F0", "function": str(rng.choice(["canteen", "elder_care", "childcare"])),
                           "x": float(rng.uniform(0, 1500)), "y": float(rng.uniform(0, 1500)), "capacity": 100.0})
    for site in sites:  # plots need a kind-appropriate floor
        if site["kind"] == "plot":
            site["lowest_floor"] = 1
    raw = {
        "budget": {"total": float(rng.choice([0.8e6, 1.5e6, 2.5e6, 4e6]))},
        "functions": {
            "canteen": {"threshold_min": 8, "size": {"min_m2": 100, "standard_m2": 200, "max_m2": 800}},
            "childcare": {"threshold_min": 8, "size": {"min_m2": 100, "standard_m2": 200, "max_m2": 800}},
            "elder_care": {"threshold_min": 8, "size": {"min_m2": 100, "standard_m2": 250, "max_m2": 800}},
            "parking": {"threshold_min": 5, "size": {"min_m2": 200, "standard_m2": 500, "max_m2": 2000}},
        },
        "sharing": {"groups": [
            {"name": "elder+child", "functions": ["elder_care", "childcare"], "area_saving": 0.2, "cost_saving": 0.15},
            {"name": "canteen+elder", "functions": ["canteen", "elder_care"], "area_saving": 0.1, "cost_saving": 0.1},
        ]},
        "model": {"ineligible_sites": "ignore"},
    }
    return make_inputs(demand, sites, facilities), raw


# ------------------------------------------------------------------ brute force, every rule
def _site_options(inputs: Inputs, sc: Scenario) -> tuple[list[list[tuple[str, ...]]], list[set[str]]]:
    """Per site: every subset of functions allowed by eligibility and forced decisions; and its eligible set."""
    names = sc.function_names
    s = inputs.sites
    forced_col = s["forced"].fillna("").astype(str).str.lower().tolist()
    force_in = {e for e in sc.decisions.force_in if ":" not in e}
    force_out = {e for e in sc.decisions.force_out if ":" not in e}
    pair_in = {tuple(e.split(":")) for e in sc.decisions.force_in if ":" in e}
    pair_out = {tuple(e.split(":")) for e in sc.decisions.force_out if ":" in e}
    options, eligible = [], []
    for i, site in s.iterrows():
        sid = str(site["site_id"])
        out = forced_col[i] == "out" or sid in force_out
        elig = [] if out else [f for f in names if _plain_eligible(site, f, sc) and (sid, f) not in pair_out]
        subsets = [c for k in range(len(elig) + 1) for c in itertools.combinations(elig, k)]
        if forced_col[i] == "in" or sid in force_in:
            subsets = [c for c in subsets if c]
        need = {f for (x, f) in pair_in if x == sid}
        options.append([c for c in subsets if need <= set(c)])
        eligible.append(set(elig))
    return options, eligible


def _together_ok(combo: tuple[tuple[str, ...], ...], eligible: list[set[str]], circles: list[str],
                 sc: Scenario) -> bool:
    """Rule 6 restated: in a circle, two new functions of a group share a site if any site may host both."""
    if not sc.sharing.not_built_separately:
        return True
    for g in sc.sharing.groups:
        if not all(f in sc.functions for f in g.functions):
            continue
        for fa, fb in itertools.combinations(g.functions, 2):
            for c in set(circles):
                idx = [i for i in range(len(combo)) if circles[i] == c]
                if not any(fa in eligible[i] and fb in eligible[i] for i in idx):
                    continue
                if any(fa in combo[i] for i in idx) and any(fb in combo[i] for i in idx) \
                        and not any(fa in combo[i] and fb in combo[i] for i in idx):
                    return False
    return True


def _plain_served(fac: pd.DataFrame, dxy: np.ndarray, f: str, limit_m: float, sc: Scenario) -> np.ndarray:
    """Which demand units a running facility of ``f`` reaches (straight line x detour, inclusive)."""
    served = np.zeros(len(dxy), dtype=bool)
    for _, row in fac.iterrows():
        if row["function"] == f:
            served |= np.hypot(*(dxy - [row.geometry.x, row.geometry.y]).T) * sc.reach.detour_factor <= limit_m + 1e-9
    return served


def brute_force_all(inputs: Inputs, sc: Scenario, residual: dict[str, np.ndarray] | None = None,
                    ) -> tuple[float, dict[int, tuple[str, ...]] | None]:
    """Best objective over every plan with every rule, restated in plain Python.

    Coverage mode enumerates sets of functions per site and counts people by hand.
    Capacitated mode enumerates the same sets and, for each, solves the linear program of
    sizes and who is served (scipy's ``linprog``), since sizes are continuous.
    ``residual``: people per unit still to serve after running facilities (capacitated
    mode takes the running facilities' allocation as given).

    Returns ``(objective, plan)``; ``(nan, None)`` when no plan is feasible. The objective
    is weighted people (objective ``people``), percentage points of cohorts (``share``) or the
    least cost (``least_cost``). Complexes (渝邻汇): each site takes the cheapest complex it
    qualifies for and fits (coverage mode), or every choice of complexes is tried with the
    sizes (capacitated mode).
    """
    from scipy.optimize import linprog

    names = sc.function_names
    d, s, fac = inputs.demand, inputs.sites, inputs.facilities
    capacitated = sc.model.mode == "capacitated"
    least = sc.objective == "least_cost"
    dxy = np.array([[p.x, p.y] for p in d.geometry])
    sxy = np.array([[p.x, p.y] for p in s.geometry])
    limit = {f: sc.functions[f].threshold_min * 60 * sc.functions[f].walk_speed_mps for f in names}
    near = {f: np.hypot(*(dxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)) * sc.reach.detour_factor
            <= limit[f] + 1e-9 for f in names}  # units x sites
    u_circle = [str(c) or "(none)" for c in d["circle_id"].fillna("")]
    s_circle = [str(c) or "(none)" for c in s["circle_id"].fillna("")]
    people = {f: d[sc.functions[f].counted_cohort(sc.model.mode)].to_numpy(float) for f in names}
    if residual is None:  # coverage mode: reached by a running facility = served
        residual = {f: np.where(_plain_served(fac, dxy, f, limit[f], sc), 0.0, people[f]) for f in names}
    existing_people = {f: people[f] - residual[f] for f in names}
    fac_circle = []
    for _, row in fac.iterrows():
        k = int(np.argmin(np.hypot(*(dxy - [row.geometry.x, row.geometry.y]).T)))
        fac_circle.append(u_circle[k])
    circles = sorted(set(u_circle))
    targets = []  # (function, circle, kind, need)
    for req in sc.requirements:
        for c in (req.circles or circles):
            in_c = np.array([x == c for x in u_circle])
            if req.min_share is not None:
                need = req.min_share * people[req.function][in_c].sum() - existing_people[req.function][in_c].sum()
                targets.append((req.function, c, "share", need))
            else:
                have = sum(float(r["capacity"]) for (_, r), fc in zip(fac.iterrows(), fac_circle, strict=True)
                           if r["function"] == req.function and fc == c)
                need = req.min_per_1000 * d["total"].to_numpy(float)[in_c].sum() / 1000 - have
                targets.append((req.function, c, "per_1000", need))
    targets = [t for t in targets if t[3] > 1e-9]
    options, eligible = _site_options(inputs, sc)
    district = s["district"].fillna("").astype(str).tolist()
    best, best_plan = math.nan, None

    def better(v: float) -> bool:
        return math.isnan(best) or (v < best - 1e-7 if least else v > best + 1e-7)

    for combo in itertools.product(*options):
        combo = tuple(combo)
        if not _together_ok(combo, eligible, s_circle, sc):
            continue
        if capacitated:
            if sc.budget.bounds_public_money or sc.money.channels:
                raise NotImplementedError("the brute force restates public money in coverage mode only")
            choices = [[None] + [t for t in sc.complexes if funcs and _plain_complex_may(s.iloc[i], funcs, t)]
                       for i, funcs in enumerate(combo)]
            found = [v for ch in itertools.product(*choices)
                     if (v := _capacitated_lp(combo, inputs, sc, near, residual, targets, s_circle, u_circle,
                                              district, least, linprog, dict(enumerate(ch)))) is not None]
            if not found:
                continue
            value = min(found) if least else max(found)
        else:
            costs, fits = [], True
            for i, funcs in enumerate(combo):
                c, a, _ = _plain_site(s.iloc[i], funcs, sc)
                fits &= a <= float(s.iloc[i]["area_m2"]) + 1e-9
                costs.append(c)
            if not fits:
                continue
            total = sum(costs)
            if not least:
                if sc.budget.total is not None and total > sc.budget.total + 1e-6:
                    continue
                if any(sum(c for i, c in enumerate(costs) if district[i] == dn) > amt + 1e-6
                       for dn, amt in sc.budget.by_district.items()):
                    continue
            if not _plain_money(combo, s, sc, budgets=not least):
                continue
            new = {f: np.zeros(len(d), dtype=bool) for f in names}
            for f in names:
                for i, funcs in enumerate(combo):
                    if f in funcs:
                        new[f] |= near[f][:, i]
            ok = True
            for f, c, kind, need in targets:
                if kind == "share":
                    got = sum(residual[f][u] for u in range(len(d)) if new[f][u] and u_circle[u] == c)
                else:
                    got = sum(_plain_size(s.iloc[i], f, sc)[1] / sc.functions[f].area_per_unit_m2
                              for i, funcs in enumerate(combo) if f in funcs and s_circle[i] == c)
                ok &= got >= need - 1e-6
            if not ok:
                continue
            value = total if least else sum(plain_weight(inputs, sc, f) * residual[f][new[f]].sum() for f in names)
        if better(value):
            best, best_plan = value, {i: funcs for i, funcs in enumerate(combo) if funcs}
    return best, best_plan


def agrees_with_brute_force(best: float, plan: dict | None, solve: Callable[[], object], *, rel: float | None = None,
                            abs_tol: float = 1e-6) -> object | None:
    """The model's proven optimum equals the brute force's ``best``, or neither finds a feasible plan.

    ``solve`` runs the model (it must raise :class:`~optimizer.errors.InfeasibleScenario` when
    the brute force found no plan). Returns the run, or ``None`` when there is no plan.
    """
    import pytest

    from optimizer.errors import InfeasibleScenario

    if plan is None:
        with pytest.raises(InfeasibleScenario):
            solve()
        return None
    run = solve()
    assert run.result.proven_optimal
    assert run.result.objective == pytest.approx(best, rel=rel, abs=abs_tol)
    return run


def capacitated_brute_force(inputs: Inputs, sc: Scenario) -> tuple[float, dict[int, tuple[str, ...]] | None]:
    """:func:`brute_force_all` in capacitated mode, the running facilities' allocation taken as given."""
    from optimizer.pipeline import compute_reach
    from optimizer.rules.existing import existing_service

    _, reach_fac = compute_reach(inputs, sc)
    existing = existing_service(inputs, reach_fac, sc)
    return brute_force_all(inputs, sc, {f: existing.residual(inputs, sc, f) for f in sc.functions})


def _capacitated_lp(combo, inputs, sc, near, residual, targets, s_circle, u_circle, district, least, linprog,
                    complexes=None):
    """Sizes and service for one set of functions per site; the LP optimum, or None if infeasible.

    ``complexes``: site -> the complex type it hosts (or None): its savings apply and its floor area
    (after every saving) must reach the type's minimum.
    """
    s = inputs.sites
    facs = [(i, f) for i, funcs in enumerate(combo) for f in funcs]
    if not facs:
        if least and targets:
            return None
        return 0.0 if not targets else None
    n_a = len(facs)
    w_index = [(k, u) for k, (i, f) in enumerate(facs) for u in range(len(u_circle))
               if near[f][u, i] and residual[f][u] > 0]
    n = n_a + len(w_index)
    c = np.zeros(n)
    a_ub, b_ub = [], []
    bounds = [_plain_size(s.iloc[i], f, sc)[::2] for i, f in facs] + [(0, None)] * len(w_index)

    def row():
        return np.zeros(n)

    money = {}  # site -> (constant, coefficient row)
    for i, funcs in enumerate(combo):
        if not funcs:
            continue
        site = s.iloc[i]
        kind = sc.site_kinds[site["kind"]]
        conv = site["fixed_cost"] if not pd.isna(site.get("fixed_cost", np.nan)) else kind.fixed_cost
        const, coef, area = float(conv), row(), row()
        fcost = {}
        for f in funcs:
            k = facs.index((i, f))
            fn = sc.functions[f]
            own = site.get("cost_per_m2", np.nan)
            rate = own if not pd.isna(own) else fn.cost.per_m2 * kind.cost_factor
            fcost[f] = (fn.cost.fixed, rate, k)
            const += fn.cost.fixed
            coef[k] += rate
            area[k] += 1.0
        for g in sc.sharing.groups:
            if set(g.functions) <= set(funcs):
                for f in g.functions:
                    fixed, rate, k = fcost[f]
                    const -= g.cost_saving * fixed
                    coef[k] -= g.cost_saving * rate
                    area[k] -= g.area_saving
        t = (complexes or {}).get(i)
        if t is not None:  # the complex saves money and area; its floor area reaches its minimum
            const -= t.saving_yuan
            members = [f for f in funcs if f in t.functions]
            floor = row()
            for f in members:
                floor[fcost[f][2]] += 1.0
            for g in sc.sharing.groups:
                if set(g.functions) <= set(members):
                    for f in g.functions:
                        floor[fcost[f][2]] -= g.area_saving
            a_ub.append(-floor)
            b_ub.append(-(t.min_area_m2 + t.area_saving_m2))
        a_ub.append(area)
        b_ub.append(float(site["area_m2"]) + (t.area_saving_m2 if t is not None else 0.0))
        money[i] = (const, coef)
    total_const = sum(v[0] for v in money.values())
    total_coef = sum(v[1] for v in money.values())
    if not least:
        if sc.budget.total is not None:
            a_ub.append(total_coef)
            b_ub.append(sc.budget.total - total_const)
        for dn, amt in sc.budget.by_district.items():
            sel = [v for i, v in money.items() if district[i] == dn]
            if sel:
                a_ub.append(sum(v[1] for v in sel))
                b_ub.append(amt - sum(v[0] for v in sel))
    for k, (_, f) in enumerate(facs):  # capacity: served <= area / area per place x people per place
        r = row()
        fn = sc.functions[f]
        r[k] = -fn.people_per_place / fn.area_per_unit_m2
        for j, (kk, _) in enumerate(w_index):
            if kk == k:
                r[n_a + j] = 1.0
        a_ub.append(r)
        b_ub.append(0.0)
    for f in sc.function_names:  # demand: served per unit <= what is left
        for u in range(len(u_circle)):
            cols = [n_a + j for j, (k, uu) in enumerate(w_index) if uu == u and facs[k][1] == f]
            if cols:
                r = row()
                r[cols] = 1.0
                a_ub.append(r)
                b_ub.append(residual[f][u])
    for f, circ, kind, need in targets:
        r = row()
        if kind == "share":
            for j, (k, u) in enumerate(w_index):
                if facs[k][1] == f and u_circle[u] == circ:
                    r[n_a + j] = -1.0
        else:
            for k, (i, ff) in enumerate(facs):
                if ff == f and s_circle[i] == circ:
                    r[k] = -1.0 / sc.functions[f].area_per_unit_m2
        a_ub.append(r)
        b_ub.append(-need)
    if least:
        c[:] = total_coef
    else:
        for j, (k, _) in enumerate(w_index):
            c[n_a + j] = -plain_weight(inputs, sc, facs[k][1])
    res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if res.status != 0:
        return None
    return float(res.fun + total_const) if least else float(-res.fun)


def brute_force_fair(inputs: Inputs, sc: Scenario) -> tuple[float, float, dict[int, tuple[str, ...]] | None]:
    """Objective fair restated in plain Python (coverage mode, rules 1, 2, 5 and 6).

    Stage 1: the best sum over functions (priority > 0) of priority x the worst circle's
    covered share (running facilities counted), or with ``fairness.worst: overall`` the
    worst share over every such function and circle. Stage 2: among the plans reaching
    stage 1's best, the best total of ``plain_weight x people newly covered``.
    Returns ``(stage 1, stage 2, plan)``; ``(nan, nan, None)`` when no plan is feasible.
    """
    names = sc.function_names
    d, s, fac = inputs.demand, inputs.sites, inputs.facilities
    dxy = np.array([[p.x, p.y] for p in d.geometry])
    sxy = np.array([[p.x, p.y] for p in s.geometry])
    limit = {f: sc.functions[f].threshold_min * 60 * sc.functions[f].walk_speed_mps for f in names}
    near = {f: np.hypot(*(dxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)) * sc.reach.detour_factor
            <= limit[f] + 1e-9 for f in names}
    u_circle = np.array([str(c) or "(none)" for c in d["circle_id"].fillna("")])
    s_circle = [str(c) or "(none)" for c in s["circle_id"].fillna("")]
    people = {f: d[sc.functions[f].cohort].to_numpy(float) for f in names}
    existing = {f: _plain_served(fac, dxy, f, limit[f], sc) for f in names}
    counted = [f for f in names if sc.functions[f].priority > 0]
    options, eligible = _site_options(inputs, sc)
    district = s["district"].fillna("").astype(str).tolist()
    scored = []
    for combo in itertools.product(*options):
        if not _together_ok(combo, eligible, s_circle, sc):
            continue
        costs, fits = [], True
        for i, funcs in enumerate(combo):
            c, a, _ = _plain_site(s.iloc[i], funcs, sc)
            fits &= a <= float(s.iloc[i]["area_m2"]) + 1e-9
            costs.append(c)
        if not fits or (sc.budget.total is not None and sum(costs) > sc.budget.total + 1e-6):
            continue
        if any(sum(c for i, c in enumerate(costs) if district[i] == dn) > amt + 1e-6
               for dn, amt in sc.budget.by_district.items()):
            continue
        worst, total = {}, 0.0
        for f in names:
            new = np.zeros(len(d), dtype=bool)
            for i, funcs in enumerate(combo):
                if f in funcs:
                    new |= near[f][:, i]
            new &= ~existing[f]
            total += plain_weight(inputs, sc, f) * people[f][new].sum()
            shares = [people[f][(u_circle == c) & (existing[f] | new)].sum() / people[f][u_circle == c].sum()
                      for c in sorted(set(u_circle)) if people[f][u_circle == c].sum() > 0]
            worst[f] = min(shares) if shares else 1.0
        if sc.fairness.worst == "overall":
            first = min((worst[f] for f in counted), default=1.0)
        else:
            first = sum(sc.functions[f].priority * worst[f] for f in counted)
        scored.append((first, total, {i: funcs for i, funcs in enumerate(combo) if funcs}))
    if not scored:
        return math.nan, math.nan, None
    best_first = max(v for v, _, _ in scored)
    first, total, plan = max(((v, t, p) for v, t, p in scored if v >= best_first - 1e-9), key=lambda x: x[1])
    return best_first, total, plan


#: Capacitated mode with elder care alone (the capacitated tests' scenario).
ELDER_CARE_ONLY = {
    "model": {"mode": "capacitated"}, "sharing": {"groups": []},
    "functions": {"canteen": {"enabled": False}, "parking": {"enabled": False}, "childcare": {"enabled": False},
                  # one place per elderly person, 10 m2 a place: 20 to 100 places
                  "elder_care": {"capacity_demand": {"per_1000": 1000, "of": "elderly"}, "area_per_unit_m2": 10,
                                 "size": {"min_m2": 200, "standard_m2": 300, "max_m2": 1000}}}}
