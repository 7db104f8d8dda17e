"""Result tables in planners' words, built from a :class:`~optimizer.pipeline.Run` (no I/O)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import platform
from importlib import metadata

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.inputs.schema import SHARED_GARAGE
from optimizer.jsonable import to_jsonable
from optimizer.outputs.money_tables import money_summary
from optimizer.outputs.objective_words import objective_meaning, objective_unit
from optimizer.pipeline import Run
from optimizer.plan import people_by_status
from optimizer.reach.types import cutoff_ref_seconds
from optimizer.rules.complexes import complex_floor_area, complex_named
from optimizer.rules.covered import NEW, STATUS_NAMES
from optimizer.rules.fairness import circle_shares
from optimizer.rules.money import PlanMoney
from optimizer.rules.requests import requests_by_function, requests_record

WGS84 = "EPSG:4326"


def _lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = gdf.geometry.to_crs(WGS84)
    return g.x.to_numpy(), g.y.to_numpy()


def facility_rows(run: Run) -> gpd.GeoDataFrame:
    """One row per planned facility (site x function): size, capacity, cost, people reached."""
    sc, inputs = run.scenario, run.inputs
    sites = inputs.sites
    records, geoms = [], []
    reach_counts = {}
    for name, fn in sc.functions.items():
        chosen = run.plan.chosen_sites_for(name)
        people = inputs.demand[fn.cohort].to_numpy(float)
        new = run.plan.status[name] == NEW
        if len(chosen):
            w = run.reach_sites.within(cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)).tocsc()
            sub = w[:, chosen]
            counts = np.asarray(sub.sum(axis=1)).ravel()
            reach_counts[name] = (chosen, sub, counts, people, new)
    for p in run.plan.sites:
        site = sites.iloc[p.site_row]
        for f in p.costing.functions:
            fn = sc.functions[f]
            chosen, sub, counts, people, new = reach_counts[f]
            j = int(np.flatnonzero(chosen == p.site_row)[0])
            units = sub[:, [j]].indices
            in_reach = float(people[units].sum())
            newly = float(people[units][new[units]].sum())
            only = float(people[units][new[units] & (counts[units] == 1)].sum())
            if run.plan.mode == "capacitated":  # served people are counted per unit, not per facility
                newly = only = float("nan")
            area = p.costing.area_by_function[f]
            records.append({
                "site_id": site["site_id"], "site_name": site.get("name", ""), "kind": site["kind"],
                "circle_id": site.get("circle_id", ""), "district": site.get("district", ""),
                "function": f, "function_zh": fn.label_zh, "area_m2": area,
                "capacity": round(area / fn.area_per_unit_m2, 1), "capacity_unit": fn.unit_name,
                "capacity_people": round(area / fn.area_per_unit_m2 * fn.people_per_place, 1)
                if run.plan.mode == "capacitated" else None,
                "function_cost": round(p.costing.function_costs[f], 2),
                "cohort": fn.cohort, "people_in_reach": in_reach, "newly_covered": newly,
                "covered_only_here": only, "threshold_min": fn.threshold_min,
            })
            geoms.append(site.geometry)
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs=inputs.crs) if records else \
        gpd.GeoDataFrame({"site_id": []}, geometry=[], crs=inputs.crs)
    if len(gdf):
        gdf["lon"], gdf["lat"] = _lonlat(gdf)
    return gdf


def facility_figures(facilities: pd.DataFrame) -> dict[tuple[object, str], tuple[float, float, float]]:
    """(site id, function) -> the facility's area (m2), capacity and people newly covered, from :func:`facility_rows`.

    The first row of each pair counts (there is one per planned facility). Read once as plain
    columns: filtering the GeoDataFrame per site and function cost about 10 ms a site.
    """
    if not len(facilities):
        return {}
    out: dict[tuple[object, str], tuple[float, float, float]] = {}
    columns = (facilities[c].tolist() for c in ("site_id", "function", "area_m2", "capacity", "newly_covered"))
    for site_id, function, area, capacity, newly in zip(*columns, strict=True):
        out.setdefault((site_id, function), (float(area), float(capacity), float(newly)))
    return out


def site_rows(run: Run, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per converted site: functions, area, cost breakdown, people newly reached."""
    sc, sites = run.scenario, run.inputs.sites
    garages = bool((sites["kind"] == SHARED_GARAGE).any())  # places and hours only beside shared garages
    planned = facility_figures(facilities)
    records, geoms = [], []
    for p in run.plan.sites:
        site = sites.iloc[p.site_row]
        c = p.costing
        rec = {
            "site_id": site["site_id"], "site_name": site.get("name", ""), "kind": site["kind"],
            "address": site.get("address", ""), "circle_id": site.get("circle_id", ""),
            "district": site.get("district", ""),
            "functions": "+".join(c.functions),
            "functions_zh": "+".join(sc.functions[f].label_zh or f for f in c.functions),
            "shared_groups": "+".join(c.groups_applied),
            "area_available_m2": float(site["area_m2"]), "area_used_m2": round(c.area_used, 2),
            "conversion_cost": round(c.conversion_cost, 2),
            "function_cost": round(sum(c.function_costs.values()), 2),
            "sharing_saving": round(c.cost_saving, 2), "total_cost": round(c.total_cost, 2),
            "complex": c.complex, "complex_saving": round(c.complex_saving, 2),
        }
        if garages:  # 错时共享停车: the spaces a garage offers residents, and when
            places = site.get("places")
            rec["places"], rec["hours"] = (None if pd.isna(places) else int(places)), site.get("hours", "")
        for f in sc.functions:
            area, capacity, newly = planned.get((site["site_id"], f), (0.0, 0.0, 0.0))
            rec[f"{f}_area_m2"], rec[f"{f}_capacity"], rec[f"{f}_newly_covered"] = area, capacity, newly
        records.append(rec)
        geoms.append(site.geometry)
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs=run.inputs.crs) if records else \
        gpd.GeoDataFrame({"site_id": []}, geometry=[], crs=run.inputs.crs)
    if len(gdf):
        gdf["lon"], gdf["lat"] = _lonlat(gdf)
    return gdf


def coverage_by_circle(run: Run) -> pd.DataFrame:
    """Per life circle and function: people, covered before, newly covered, not covered, shares.

    Capacitated mode counts people served (within reach and capacity), not within reach.
    """
    demand = run.inputs.demand
    circle = demand["circle_id"].fillna("").astype(str).replace("", "(none)")
    parts = []
    for name, fn in run.scenario.functions.items():
        cohort = fn.counted_cohort(run.plan.mode)
        people = demand[cohort].to_numpy(float)
        df = pd.DataFrame({
            "circle_id": circle, "people": people,
            "served_by_existing": run.plan.served_existing[name],
            "newly_covered": run.plan.served_new[name],
        }).groupby("circle_id", sort=True).sum()
        df["unreached"] = df["people"] - df["served_by_existing"] - df["newly_covered"]
        with np.errstate(invalid="ignore", divide="ignore"):
            df["covered_share_before"] = df["served_by_existing"] / df["people"]
            df["covered_share_after"] = (df["served_by_existing"] + df["newly_covered"]) / df["people"]
        df.insert(0, "cohort", cohort)
        df.insert(0, "function", name)
        parts.append(df.reset_index())
    return pd.concat(parts, ignore_index=True)


def fairness_by_circle(run: Run) -> pd.DataFrame:
    """Per function and life circle with anyone of its cohort: people, covered and share before and after.

    :func:`optimizer.rules.fairness.circle_shares` of the plan: the figures objective
    ``fair`` and ``fairness.csv`` are made of.
    """
    return circle_shares(run.inputs, run.scenario, run.plan.served_existing, run.plan.served_new)


def demand_layer(run: Run) -> gpd.GeoDataFrame:
    """Demand units with their coverage status per function (for a map)."""
    d = run.inputs.demand
    keep = [c for c in ("unit_id", "total", "elderly", "infants", "households", "cars", "circle_id", "district")
            if c in d.columns] + [f"requests_{name}" for name in run.scenario.functions
                                  if f"requests_{name}" in d.columns]  # where residents asked (市场需求一本账)
    out = gpd.GeoDataFrame(d[keep].copy(), geometry=d.geometry, crs=run.inputs.crs)
    for name, st in run.plan.status.items():
        out[f"{name}_status"] = pd.Categorical.from_codes(st, categories=[STATUS_NAMES[i] for i in range(3)]) \
            .astype(str)
        if run.plan.mode == "capacitated":
            people = d[run.scenario.functions[name].counted_cohort("capacitated")].to_numpy(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"{name}_served_share"] = np.where(
                    people > 0, (run.plan.served_existing[name] + run.plan.served_new[name]) / people, np.nan)
    return out


def _versions() -> dict:
    """Python's version and the versions of the packages a run depends on (run.json's ``versions``); a new dict."""
    return dict(_installed_versions())


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str | None], ...]:
    """Looked up once per process: each ``metadata.version`` scans the installed distributions (~3 ms)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("lifecircle", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio",
                "highspy", "pulp", "ortools"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return tuple(out.items())


def run_id_for(run: Run) -> str:
    """``YYYYmmddTHHMMSS.mmmZ-<hash of scenario and inputs>-p<process id>-<4 random hex digits>``.

    Sorted as text, run ids sort by time (to the millisecond). Two runs of one scenario into one
    output folder at once (two planners, a script, a batch) never get the same id: they differ
    by process, and within one process by the random part.
    """
    from optimizer.processes import process_tag, utc_stamp

    digest = hashlib.sha256(json.dumps(to_jsonable(run.scenario.resolved), sort_keys=True, default=str).encode()
                            + json.dumps(run.inputs.file_hashes, sort_keys=True).encode()).hexdigest()[:8]
    return f"{utc_stamp()}-{digest}-{process_tag()}"


def requests_summary(run: Run) -> tuple[pd.DataFrame, dict | None]:
    """What the market-demand ledger did in the checked plan: ``requests.csv`` and ``run.json``'s ``requests``.

    The objective's part from requests is read from the plan the independent check
    passed, against the check's recomputed objective (:mod:`optimizer.rules.requests`).
    """
    table = requests_by_function(run.inputs, run.scenario, run.plan.served_new)
    objective = None if run.scenario.objective == "least_cost" else run.check.recomputed.get("weighted_coverage")
    return table, requests_record(table, run.inputs, objective)


def complexes_built(run: Run) -> list[dict]:
    """Every multi-function complex (渝邻汇) of the plan: site, type, functions, floor area and savings."""
    sc, ids = run.scenario, run.inputs.sites["site_id"].astype(str).to_numpy()
    added = set(run.plan.complexes_added)
    out = []
    for p in run.plan.sites:
        c = p.costing
        if not c.complex:
            continue
        spec = complex_named(sc, c.complex)
        out.append({"site_id": ids[p.site_row], "complex": c.complex,
                    "functions": [f for f in c.functions if f in spec.functions],
                    "floor_area_m2": round(complex_floor_area(spec, c.area_by_function, sc.sharing.groups), 2),
                    "saving_yuan": c.complex_saving, "area_saving_m2": c.complex_area_saving,
                    "chosen_by": "read back" if ids[p.site_row] in added else "solver"})
    return out


def run_record(run: Run, run_id: str, money: PlanMoney | None = None,
               requests: dict | None = None) -> dict:
    """Everything ``run.json`` states about a run.

    ``money`` (:meth:`optimizer.plan.Plan.money`) and ``requests`` (the record of
    :func:`requests_summary`) when the caller has them already; computed here otherwise.
    """
    r, sc = run.result, run.scenario
    if money is None:
        money = run.plan.money(run.inputs.sites, sc)
    if requests is None:
        requests = requests_summary(run)[1]
    summary = people_by_status(run.inputs, sc, run.plan)
    return to_jsonable({
        "run_id": run_id,
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "scenario": {"name": sc.name, "source": sc.source, "description": sc.description,
                     "description_zh": sc.description_zh,
                     "resolved": sc.resolved},
        "status": r.status.value,
        "proven_optimal": r.proven_optimal,
        "objective": r.objective,
        "objective_kind": sc.objective,
        "objective_unit": objective_unit(sc.objective),
        "objective_meaning": objective_meaning(sc.objective, len(sc.functions), sc.fairness.worst),
        "objective_stages": run.stages.as_dict() if run.stages is not None else None,
        "bound": r.bound,
        "gap": r.gap,
        "solver": r.summary(),
        "inputs": {"files": run.inputs.file_hashes, "crs": run.inputs.crs.to_string(),
                   "demand_units": len(run.inputs.demand), "sites": len(run.inputs.sites),
                   "facilities": len(run.inputs.facilities),
                   "forced": run.forced.describe(run.inputs.sites)},
        "reach": {"method": run.reach_sites.method.value,
                  "weaker_method": run.reach_sites.method.is_weaker,
                  "pairs_to_sites": run.reach_sites.n_pairs,
                  "pairs_to_facilities": run.reach_facilities.n_pairs,
                  "unreachable_units": len(run.reach_sites.unreachable_units),
                  "units_off_main_network": len(run.reach_sites.off_main_network_units),
                  "notes": list(run.reach_sites.notes),
                  "walk_vs_buffer": (run.walk_vs_buffer.to_dict(orient="records")
                                     if run.walk_vs_buffer is not None else None)},
        "model": run.model.stats,
        "plan": {"sites_converted": len(run.plan.sites), "cost": run.plan.total_cost,
                 "budget": sc.budget.total, "budget_by_district": sc.budget.by_district,
                 "dropped_redundant": list(run.plan.dropped),
                 "complexes": complexes_built(run),
                 "by_function": summary.to_dict(orient="records")},
        "money": money_summary(money, sc),
        "requirements": None if run.requirements is None else run.requirements.to_dict(orient="records"),
        "requests": requests,
        "fairness": None if run.fairness is None else run.fairness.to_dict(orient="records"),
        "not_built_separately": None if run.together is None else {
            "asked": run.scenario.sharing.not_built_separately,
            "circles": run.together.to_dict(orient="records")},
        "check": run.check.as_dict(),
        "timings_s": run.timings.seconds,
        "warnings": run.warnings,
        "versions": _versions(),
    })



def facility_reach(run: Run) -> pd.DataFrame:
    """Which demand units each planned facility reaches: one row per (site, function, unit).

    A unit is reached when its walking time to the site is within the function's
    threshold (inclusive), at the function's walking speed, whatever else covers it.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id``, ``function``, ``unit_id``, ``minutes`` (walking minutes at the
        function's speed), sorted by site, function and minutes.
    """
    sc, inputs, reach = run.scenario, run.inputs, run.reach_sites
    site_ids = inputs.sites["site_id"].astype(str).to_numpy()
    unit_ids = inputs.demand["unit_id"].astype(str).to_numpy()
    parts = []
    for name, fn in sc.functions.items():
        chosen = run.plan.chosen_sites_for(name)
        if not len(chosen):
            continue
        limit = cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
        hit = np.isin(reach.target_index, chosen) & (reach.ref_seconds <= limit)
        parts.append(pd.DataFrame({
            "site_id": site_ids[reach.target_index[hit]], "function": name,
            "unit_id": unit_ids[reach.unit_index[hit]],
            "minutes": np.round(reach.ref_seconds[hit] / fn.walk_speed_mps / 60.0, 2),
        }))
    if not parts:
        return pd.DataFrame({"site_id": [], "function": [], "unit_id": [], "minutes": []})
    return pd.concat(parts, ignore_index=True).sort_values(["site_id", "function", "minutes", "unit_id"],
                                                           ignore_index=True)
