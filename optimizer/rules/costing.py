"""What a set of functions at one site costs and occupies (rules 1, 2 and 5), in plain terms.

This is the reference definition that planners read; the model builds the same
quantities as vectors, and a test holds the two together. The check uses this module
to recompute every plan from its chosen sites.

For a site ``s`` hosting functions ``F``, each of area ``A_f`` (its standard size in
coverage mode, the decided size in capacitated mode; a shared garage's own size in both,
see :func:`site_size_m2`):

- area used  = sum of ``A_f`` minus, for each sharing group whose functions all sit on
  ``s``, ``area_saving x`` the sum of that group's ``A_f``;
- cost       = the site's conversion cost (paid once) + sum over ``F`` of
  ``fixed_f + per_m2(s, f) x A_f`` minus, for each complete group,
  ``cost_saving x`` the sum of that group's function costs;
- a site hosting a multi-function complex (渝邻汇, :mod:`optimizer.rules.complexes`) saves
  its ``saving_yuan`` of cost and its ``area_saving_m2`` of area once more.

``per_m2(s, f)`` is the site's ``cost_per_m2`` when given, else the function's
``cost.per_m2`` times the site kind's ``cost_factor``; the conversion cost is the
site's ``fixed_cost`` when given, else its kind's ``fixed_cost``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.inputs.schema import SHARED_GARAGE
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class SiteCosting:
    """Cost and area of one site's functions."""

    functions: tuple[str, ...]
    conversion_cost: float
    function_costs: dict[str, float]
    cost_saving: float
    area_by_function: dict[str, float]
    area_saving: float
    groups_applied: tuple[str, ...]
    complex: str = ""
    complex_saving: float = 0.0
    complex_area_saving: float = 0.0

    @property
    def total_cost(self) -> float:
        """One-off cost of the site's plan."""
        if not self.functions:
            return 0.0
        return self.conversion_cost + sum(self.function_costs.values()) - self.cost_saving - self.complex_saving

    @property
    def area_used(self) -> float:
        """Area the site's plan occupies, after sharing savings and its complex's."""
        return sum(self.area_by_function.values()) - self.area_saving - self.complex_area_saving


def per_m2_cost(site: pd.Series, function_name: str, scenario: Scenario) -> float:
    """Fit-out cost per m2 of ``function_name`` at ``site``."""
    override = site.get("cost_per_m2")
    if override is not None and not pd.isna(override):
        return float(override)
    factor = scenario.site_kinds[site["kind"]].cost_factor
    return scenario.functions[function_name].cost.per_m2 * factor


def conversion_cost(site: pd.Series, scenario: Scenario) -> float:
    """One-off conversion cost of ``site``, paid once whatever it hosts."""
    override = site.get("fixed_cost")
    if override is not None and not pd.isna(override):
        return float(override)
    return scenario.site_kinds[site["kind"]].fixed_cost


def site_size_m2(site: pd.Series, function_name: str, scenario: Scenario) -> tuple[float, float, float]:
    """Least, standard and largest area (m2) of ``function_name`` at ``site``.

    The function's ``size`` everywhere but at a shared garage (kind ``shared_garage``,
    错时共享停车), which offers exactly its places: all three are ``places x
    area_per_unit_m2`` (its ``area_m2`` when ``places`` is blank), in both modes.
    """
    fn = scenario.functions[function_name]
    if site["kind"] == SHARED_GARAGE:
        places = site.get("places")
        own = float(site["area_m2"]) if places is None or pd.isna(places) else float(places) * fn.area_per_unit_m2
        return own, own, own
    return fn.size.min_m2, fn.size.standard_m2, fn.size.max_m2


def cost_site(site: pd.Series, functions: tuple[str, ...] | list[str], scenario: Scenario,
              areas: dict[str, float] | None = None, complex_name: str = "") -> SiteCosting:
    """Cost and area of hosting ``functions`` at ``site`` under ``scenario``.

    ``areas``: the area of each function where decided (capacitated mode); its
    standard size at the site otherwise (:func:`site_size_m2`). ``complex_name``: the complex
    the site hosts (its savings apply; whether it meets its rule is
    :func:`optimizer.rules.complexes.costing_breaks`).
    """
    funcs = tuple(functions)
    areas = areas or {}
    area = {f: float(areas[f]) if f in areas else site_size_m2(site, f, scenario)[1] for f in funcs}
    fcost = {f: scenario.functions[f].cost.fixed + per_m2_cost(site, f, scenario) * area[f] for f in funcs}
    area_saving = cost_saving = 0.0
    applied = []
    for group in scenario.sharing.groups:
        if all(f in funcs for f in group.functions):
            applied.append(group.name)
            area_saving += group.area_saving * sum(area[f] for f in group.functions)
            cost_saving += group.cost_saving * sum(fcost[f] for f in group.functions)
    spec = next((c for c in scenario.complexes if c.name == complex_name), None) if complex_name else None
    if complex_name and spec is None:
        raise KeyError(f"no complex type {complex_name!r} in the scenario")
    return SiteCosting(funcs, conversion_cost(site, scenario), fcost, cost_saving, area,
                       area_saving, tuple(applied), complex_name,
                       spec.saving_yuan if spec else 0.0, spec.area_saving_m2 if spec else 0.0)
