"""The solver's values read back into the annual project list (年度项目清单).

A **project** is what one site newly gets in one year: the site's conversion (the first
time) and the functions that open there that year. Its cost is what the site's plan
costs after that year minus what it cost before (:mod:`optimizer.rules.costing`), so a
sharing saving counts in the year its group becomes complete. Projects are numbered
per year (``2026-001``, ``2026-002``, ...) by site id.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.inputs.types import Inputs
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.rules.costing import cost_site, site_size_m2
from optimizer.rules.covered import NEW, coverage_status
from optimizer.scenario import Scenario
from optimizer.studies.phasing.model import PhasedModel


@dataclass(frozen=True)
class Project:
    """One site's new functions in one year."""

    number: str
    year: int
    site_row: int
    functions: tuple[str, ...]
    cost: float


@dataclass(frozen=True)
class PhasedPlan:
    """Projects, and what every site hosts by the end of each year (as the solver chose)."""

    years: tuple[int, ...]
    hosted: tuple[dict[int, tuple[str, ...]], ...]
    projects: tuple[Project, ...]

    def projects_in(self, year: int) -> list[Project]:
        """The projects of ``year``'s list."""
        return [p for p in self.projects if p.year == year]


def hosting_from_projects(projects: list[Project] | tuple[Project, ...],
                          years: tuple[int, ...]) -> list[dict[int, tuple[str, ...]]]:
    """What every site hosts by the end of each year, from the projects alone."""
    out, current = [], {}
    for year in years:
        for p in projects:
            if p.year == year:
                current[p.site_row] = tuple(dict.fromkeys(current.get(p.site_row, ()) + p.functions))
        out.append(dict(current))
    return out


def projects_from_hosting(hosted: list[dict[int, tuple[str, ...]]], years: tuple[int, ...], inputs: Inputs,
                          scenario: Scenario) -> list[Project]:
    """Projects: per year and site, the functions that are new since the year before."""
    sites = inputs.sites
    ids = sites["site_id"].astype(str).to_numpy()
    names = scenario.function_names
    out: list[Project] = []
    before: dict[int, tuple[str, ...]] = {}
    for year, now in zip(years, hosted, strict=True):
        new = [(ids[s], s, tuple(f for f in names if f in fs and f not in before.get(s, ())))
               for s, fs in now.items()]
        new = sorted((x for x in new if x[2]), key=lambda x: x[0])
        for k, (_, s, funcs) in enumerate(new, start=1):
            was = before.get(s, ())
            ordered = tuple(f for f in names if f in was or f in funcs)
            cost = cost_site(sites.iloc[s], ordered, scenario).total_cost - cost_site(sites.iloc[s], was,
                                                                                        scenario).total_cost
            out.append(Project(f"{year}-{k:03d}", year, s, funcs, float(cost)))
        before = {s: tuple(fs) for s, fs in now.items()}
    return out


def phased_plan(model: PhasedModel, values: np.ndarray, inputs: Inputs, scenario: Scenario) -> PhasedPlan:
    """Read the solver's ``values`` into hosting per year and the project list."""
    years = model.horizon.years
    hosted = [model.base.assignment(model.year_values(values, t)) for t in range(len(years))]
    return PhasedPlan(years, tuple(hosted), tuple(projects_from_hosting(hosted, years, inputs, scenario)))


def project_table(plan: PhasedPlan, inputs: Inputs, scenario: Scenario, reach_sites: Reach,
                  reach_facilities: Reach, label, unit=str) -> gpd.GeoDataFrame:
    """One row per project: site, functions, area, capacity, cost, people newly covered.

    A person newly covered for a function in a year is counted at the nearest project of
    that year that opens the function (so the rows of a year add up to the year's figure).
    ``label(function) -> str`` names functions for readers, ``unit(unit_name) -> str`` their
    capacity units. ``covered_share_<f>`` is the
    share of the function's cohort covered (running facilities and plan) after the year.
    """
    sites, demand = inputs.sites, inputs.demand
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    hosting = hosting_from_projects(plan.projects, plan.years)
    attributed: dict[tuple[str, str], float] = {}
    shares: dict[int, dict[str, float]] = {}
    for name, fn in scenario.functions.items():
        people = demand[fn.cohort].to_numpy(float)
        facilities = np.flatnonzero(fac_fn == name)
        before = np.zeros(len(demand), dtype=bool)
        limit = cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
        for year, now in zip(plan.years, hosting, strict=True):
            chosen = np.array([s for s, fs in now.items() if name in fs], dtype=np.int64)
            status = coverage_status(reach_sites, reach_facilities, fn, chosen, facilities)
            new_now = (status == NEW) & ~before
            before = status == NEW
            covered = float(people[status > 0].sum())
            shares.setdefault(year, {})[name] = covered / people.sum() if people.sum() else float("nan")
            opening = {p.site_row: p.number for p in plan.projects_in(year) if name in p.functions}
            if not opening or not new_now.any():
                continue
            hit = (np.isin(reach_sites.target_index, list(opening)) & (reach_sites.ref_seconds <= limit)
                   & new_now[reach_sites.unit_index])
            u, s, sec = reach_sites.unit_index[hit], reach_sites.target_index[hit], reach_sites.ref_seconds[hit]
            order = np.lexsort((s, sec, u))  # per unit, nearest first
            u, s = u[order], s[order]
            first = np.r_[True, u[1:] != u[:-1]]
            sums = pd.Series(people[u[first]]).groupby(s[first]).sum()
            for site_row, amount in sums.items():
                attributed[(opening[int(site_row)], name)] = float(amount)
    records, geoms = [], []
    for p in plan.projects:
        site = sites.iloc[p.site_row]
        area = {f: site_size_m2(site, f, scenario)[1] for f in p.functions}
        rec = {
            "year": p.year, "project_id": p.number, "site_id": str(site["site_id"]),
            "site_name": site.get("name", ""), "address": site.get("address", ""),
            "circle_id": site.get("circle_id", ""), "district": site.get("district", ""),
            "kind": site["kind"], "functions": "+".join(p.functions),
            "functions_label": "+".join(label(f) for f in p.functions),
            "area_m2": float(sum(area.values())),
            "capacity": "; ".join(f"{label(f)} {area[f] / scenario.functions[f].area_per_unit_m2:,.0f} "
                                  f"{unit(scenario.functions[f].unit_name)}" for f in p.functions),
            "cost": round(p.cost, 2),
        }
        for name in scenario.functions:
            rec[f"newly_covered_{name}"] = attributed.get((p.number, name), 0.0)
        for name in scenario.functions:
            rec[f"covered_share_{name}"] = shares[p.year][name]
        records.append(rec)
        geoms.append(site.geometry)
    if records:
        return gpd.GeoDataFrame(records, geometry=geoms, crs=inputs.crs)
    return gpd.GeoDataFrame({"year": [], "project_id": []}, geometry=[], crs=inputs.crs)
