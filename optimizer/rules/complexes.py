"""Multi-function complexes (渝邻汇): the rule a complex keeps and what it saves, in plain terms.

This is the reference definition the check, the plan's read-back and the scenario's
checks use; the model (:mod:`optimizer.model.complexes`) builds the same as rows, and the
tests' brute force restates it once more.

Basis: Chongqing embeds canteen, culture and health in community party-service centres
as "渝邻汇" complexes (seed 002: "将文化体育、医疗健康、养老托育等设施嵌入社区党群服务中心,以有限空间承载更多服务功能");
the national guideline on embedded community service complexes (2024) asks for at least
600 m2, at least three functions, and at least two of elder care, infant care,
after-school care and meals (domain.md, V).

A site hosts a complex of type ``t`` (a :class:`~optimizer.scenario.ComplexSpec`) when

- its kind is one of ``t.kinds``;
- it holds at least ``t.min_functions`` of ``t.functions``;
- it holds at least ``t.min_core`` of ``t.core_functions``;
- the complex's floor area is at least ``t.min_area_m2``: the areas of ``t``'s functions at
  the site, less the area savings of the sharing groups complete at the site whose
  functions all belong to ``t``, less ``t.area_saving_m2``, i.e. **after** every saving:
  the floor area the complex really occupies.

A site hosts at most one complex; it then saves ``t.saving_yuan`` of its one-off cost and
``t.area_saving_m2`` of its area in use (:func:`optimizer.rules.costing.cost_site`).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from optimizer.errors import Problem
from optimizer.rules.costing import SiteCosting, conversion_cost, cost_site, per_m2_cost
from optimizer.rules.eligibility import site_may_host
from optimizer.scenario import ComplexSpec, FunctionSpec, Scenario, SharingGroup, SiteKindSpec

#: Tolerance of area comparisons (m2), as the check's.
AREA_TOL = 1e-6
#: Where a bundle is priced: a label, the site kind, the conversion cost, a function's rate per
#: m2 there, and whether the function may go there.
Place = tuple[str, str, float, Callable[[str], float], Callable[[str], bool]]


def complex_named(scenario: Scenario, name: str) -> ComplexSpec:
    """The complex type called ``name`` (``KeyError`` when the scenario has none)."""
    for spec in scenario.complexes:
        if spec.name == name:
            return spec
    raise KeyError(f"no complex type {name!r} in the scenario")


def complex_floor_area(spec: ComplexSpec, area_by_function: dict[str, float],
                       groups: Iterable[SharingGroup]) -> float:
    """The complex's floor area at a site hosting ``area_by_function`` (m2), after every saving.

    Parameters
    ----------
    spec
        The complex type.
    area_by_function
        Every function at the site and its area.
    groups
        The scenario's sharing groups; those complete at the site and made only of the
        complex's functions save their share of area.

    Returns
    -------
    float
        The complex's functions' areas, less those groups' area savings, less ``spec.area_saving_m2``.
    """
    members = [f for f in area_by_function if f in spec.functions]
    area = sum(area_by_function[f] for f in members)
    for g in groups:
        if all(f in members for f in g.functions):
            area -= g.area_saving * sum(area_by_function[f] for f in g.functions)
    return area - spec.area_saving_m2


def complex_breaks(site_kind: str, area_by_function: dict[str, float], spec: ComplexSpec,
                   groups: Iterable[SharingGroup]) -> list[str]:
    """Every way a site hosting ``area_by_function`` fails the rule of complex ``spec`` (empty: it qualifies).

    Parameters
    ----------
    site_kind
        The site's kind.
    area_by_function
        Every function at the site and its area.
    spec
        The complex type.
    groups
        The scenario's sharing groups.

    Returns
    -------
    list of str
        Plain-words reasons, e.g. ``"2 of its functions (at least 3)"``.
    """
    out = []
    if site_kind not in spec.kinds:
        out.append(f"a site of kind {site_kind} (allowed: {', '.join(spec.kinds)})")
    members = [f for f in area_by_function if f in spec.functions]
    if len(members) < spec.min_functions:
        out.append(f"{len(members)} of its functions (at least {spec.min_functions})")
    core = [f for f in members if f in spec.core_functions]
    if len(core) < spec.min_core:
        out.append(f"{len(core)} core functions (at least {spec.min_core} of {', '.join(spec.core_functions)})")
    area = complex_floor_area(spec, area_by_function, groups)
    if area < spec.min_area_m2 - AREA_TOL:
        out.append(f"{area:,.1f} m2 of floor area after savings (at least {spec.min_area_m2:,.0f})")
    return out


def costing_breaks(site: pd.Series, costing: SiteCosting, scenario: Scenario) -> list[str]:
    """Every way the complex a site's costing claims fails its rule (empty: none claimed, or it qualifies)."""
    if not costing.complex:
        return []
    try:
        spec = complex_named(scenario, costing.complex)
    except KeyError:
        return [f"no complex type {costing.complex!r} in the scenario"]
    return complex_breaks(str(site["kind"]), costing.area_by_function, spec, scenario.sharing.groups)


def best_complex(site: pd.Series, functions: tuple[str, ...], scenario: Scenario,
                 areas: dict[str, float] | None = None) -> str:
    """The complex a site hosting ``functions`` does best to form: the largest saving that qualifies and fits.

    Among the complex types whose rule the site meets and with which its area in use fits
    its ``area_m2``, the one saving the most money (then area; then the first listed).
    Budgets are totals over sites, so this per-site choice is the best for every plan.

    Returns
    -------
    str
        The complex type's name, or ``""`` when none qualifies.
    """
    best, key = "", None
    available = float(site["area_m2"])
    for spec in scenario.complexes:
        costing = cost_site(site, functions, scenario, areas, complex_name=spec.name)
        if costing_breaks(site, costing, scenario) or costing.area_used > available + AREA_TOL:
            continue
        if key is None or (spec.saving_yuan, spec.area_saving_m2) > key:
            best, key = spec.name, (spec.saving_yuan, spec.area_saving_m2)
    return best


# ------------------------------------------------------------------ savings that keep costs >= 0
@dataclass(frozen=True)
class Bundle:
    """The cheapest set of functions that may form a complex, and where."""

    functions: tuple[str, ...]
    where: str
    cost: float


def cheapest_bundle(spec: ComplexSpec, functions: dict[str, FunctionSpec], groups: Iterable[SharingGroup],
                    capacitated: bool, places: Iterable[Place]) -> Bundle | None:
    """The least one-off cost of a site hosting a complex of type ``spec``, before the complex's saving.

    Every subset of the complex's functions that meets the rule at a place is priced: the
    place's conversion cost plus each function's ``fixed + rate x area`` less the cost
    savings of the sharing groups it completes. Areas are standard sizes (coverage mode);
    in capacitated mode costs are priced at minimum sizes and the floor area is judged at
    maximum sizes, so the figure is a lower bound there.

    Parameters
    ----------
    spec
        The complex type.
    functions
        The planned functions.
    groups
        The sharing groups.
    capacitated
        Capacitated mode (sizes decided between minimum and maximum).
    places
        ``(label, kind, conversion cost, rate per m2 of a function, may host a function)`` of
        every place to price: a site kind, or one site.

    Returns
    -------
    Bundle or None
        The cheapest qualifying bundle, or ``None`` when none qualifies anywhere.
    """
    groups = tuple(groups)
    names = [f for f in spec.functions if f in functions]
    best: Bundle | None = None
    for label, kind, conversion, rate, may_host in places:
        if kind not in spec.kinds:
            continue
        here = [f for f in names if may_host(f)]
        for n in range(spec.min_functions, len(here) + 1):
            for combo in itertools.combinations(here, n):
                low = {f: functions[f].size.min_m2 if capacitated else functions[f].size.standard_m2 for f in combo}
                high = {f: functions[f].size.max_m2 if capacitated else functions[f].size.standard_m2 for f in combo}
                if complex_breaks(kind, high, spec, groups):
                    continue
                fcost = {f: functions[f].cost.fixed + rate(f) * low[f] for f in combo}
                cost = conversion + sum(fcost.values())
                for g in groups:
                    if all(f in combo for f in g.functions):
                        cost -= g.cost_saving * sum(fcost[f] for f in g.functions)
                if best is None or cost < best.cost:
                    best = Bundle(combo, label, cost)
    return best


def kind_places(functions: dict[str, FunctionSpec], site_kinds: dict[str, SiteKindSpec]) -> list[Place]:
    """Every site kind as a place to price a bundle at the scenario's own prices (no site overrides)."""
    return [_kind_place(kind, spec, functions) for kind, spec in site_kinds.items()]


def _kind_place(kind: str, spec: SiteKindSpec, functions: dict[str, FunctionSpec]) -> Place:
    def rate(f: str) -> float:
        return functions[f].cost.per_m2 * spec.cost_factor

    def may_host(f: str) -> bool:
        return any(kind in rule.kinds for rule in functions[f].eligible)

    return (f"site of kind {kind}", kind, spec.fixed_cost, rate, may_host)


def complex_type_problems(scenario: Scenario) -> list[str]:
    """Complex types no site of the scenario's kinds could ever build, or whose saving exceeds a bundle's cost.

    The scenario's own checks (:mod:`optimizer.scenario`) hold each type's keys; these two need
    the plain costing, so they are checked with the inputs (exit 3 all the same), before anything
    is built: a type whose functions meet its rule nowhere (at standard sizes, or the largest in
    capacitated mode, on its kinds), and a ``saving_yuan`` above the cheapest qualifying bundle at
    the site kinds' prices (a site's cost could go negative).
    """
    out = []
    capacitated = scenario.model.mode == "capacitated"
    places = kind_places(scenario.functions, scenario.site_kinds)
    for i, c in enumerate(scenario.complexes):
        p = f"complexes[{i}] ({c.name})"
        bundle = cheapest_bundle(c, scenario.functions, scenario.sharing.groups, capacitated, places)
        if bundle is None:
            core = c.core_functions
            out.append(f"{p}: no set of its functions meets its rule (at least {c.min_functions} functions, "
                       f"{c.min_core} of {', '.join(core) or 'no core'}, {c.min_area_m2:g} m2 after an area "
                       f"saving of {c.area_saving_m2:g} m2) on a site of kind {', '.join(c.kinds)} they may "
                       "share: it could never be built")
        elif c.saving_yuan > bundle.cost + 1e-6:
            out.append(f"{p}.saving_yuan: {c.saving_yuan:,.0f} yuan is more than its cheapest qualifying bundle "
                       f"costs ({'+'.join(bundle.functions)} on a {bundle.where}: {bundle.cost:,.0f} yuan): a "
                       "site's cost could go negative")
    return out


def complex_site_problems(sites: pd.DataFrame, scenario: Scenario, file: str) -> list[Problem]:
    """Sites whose own prices (``fixed_cost``, ``cost_per_m2``) would let a complex's saving exceed their cost.

    The scenario's check holds each saving within the cheapest qualifying bundle at the
    site kinds' prices; a site with its own, lower prices is checked here, so that no
    site's one-off cost can go negative.
    """
    if not scenario.complexes or not len(sites):
        return []
    own = pd.Series(False, index=sites.index)
    for column in ("fixed_cost", "cost_per_m2"):
        if column in sites:
            own |= pd.to_numeric(sites[column], errors="coerce").notna()
    out = []
    capacitated = scenario.model.mode == "capacitated"
    for i in sites.index[own]:
        place = _site_place(sites.loc[i], scenario)
        site = sites.loc[i]
        for spec in scenario.complexes:
            if not spec.saving_yuan:
                continue
            bundle = cheapest_bundle(spec, scenario.functions, scenario.sharing.groups, capacitated, [place])
            if bundle is not None and spec.saving_yuan > bundle.cost + 1e-6:
                out.append(Problem(file, f"complex {spec.name}: its saving of {spec.saving_yuan:,.0f} yuan is more "
                                   f"than this site's cheapest qualifying bundle costs ({'+'.join(bundle.functions)}: "
                                   f"{bundle.cost:,.0f} yuan at the site's own prices): its cost could go negative; "
                                   "lower complexes[].saving_yuan or the site's prices",
                                   row=f"site_id={site['site_id']}", column="fixed_cost"))
    return out


def _site_place(site: pd.Series, scenario: Scenario) -> Place:
    def rate(f: str) -> float:
        return per_m2_cost(site, f, scenario)

    def may_host(f: str) -> bool:
        return site_may_host(site, scenario.functions[f], f)

    return (f"site {site['site_id']}", str(site["kind"]), conversion_cost(site, scenario), rate, may_host)
