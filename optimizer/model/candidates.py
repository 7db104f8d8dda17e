"""Candidate pairs: which function may go to which site, and the exact drop of pairs that reach nobody new.

A candidate pair ``(site, function)`` is a site eligible for the function (rule 2) and not
forced out (rule 8). A pair whose site reaches nobody still to serve for that function
can never add coverage, so it is dropped, which is exact, unless something else could
make placing it worthwhile: it is forced in, sharing could make adding it save money or
space (rule 5), possibly together with completing a multi-function complex (渝邻汇) whose
saving it could unlock, it adds capacity a requirement asks for (rule 7), or rule 6 may
need it to host a group together.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from optimizer.inputs.types import Inputs
from optimizer.model.budget_space import pair_costs, pair_sizes
from optimizer.model.coverage import CoverageRows, coverage_rows
from optimizer.model.decisions import ForcedDecisions
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.rules.existing import ExistingService
from optimizer.scenario import Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidates:
    """The candidate pairs kept in the model, with their demand rows, costs and sites.

    Attributes
    ----------
    pair_site, pair_function
        Site row and function index of each pair (one ``x`` variable each, in this order).
    pair_area, pair_cost
        Standard area and one-off cost at standard size (before sharing savings); a
        shared garage's standard area is its own size.
    pair_rate, pair_fixed
        Cost per m2 and fixed cost of each pair (capacitated costs: fixed + rate x area).
    min_m2, max_m2
        Minimum and maximum size of each function (by function index).
    coverage
        Demand rows per function, their patterns restricted to the kept pairs.
    dropped
        Pairs dropped because they reach nobody new.
    open_site
        Site rows with at least one pair (one ``o`` variable each, in this order).
    site_position
        For each site row, its position in ``open_site`` (-1 when it has no pair).
    pair_index
        ``(n_sites, n_functions)``: the pair of each site and function, -1 when none.
    site_conversion_cost
        Conversion cost of every site row (paid once per converted site, rule 5).
    pair_min_m2, pair_max_m2
        Minimum and maximum size of each pair: its function's, or a shared garage's own
        size for both (capacitated mode's bounds of ``a``).
    """

    pair_site: np.ndarray
    pair_function: np.ndarray
    pair_area: np.ndarray
    pair_cost: np.ndarray
    pair_rate: np.ndarray
    pair_fixed: np.ndarray
    min_m2: np.ndarray
    max_m2: np.ndarray
    coverage: dict[str, CoverageRows]
    dropped: int
    open_site: np.ndarray
    site_position: np.ndarray
    pair_index: np.ndarray
    site_conversion_cost: np.ndarray
    pair_min_m2: np.ndarray
    pair_max_m2: np.ndarray

    @property
    def n_pairs(self) -> int:
        """How many candidate pairs the model has."""
        return len(self.pair_site)


def function_cutoffs(scenario: Scenario) -> dict[str, float]:
    """Reference-seconds cutoff of each function (its walking threshold at its walking speed).

    Parameters
    ----------
    scenario
        The scenario.

    Returns
    -------
    dict
        Function name -> the largest reference-seconds walk that still reaches it.
    """
    return {name: cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
            for name, fn in scenario.functions.items()}


def complex_may_form(scenario: Scenario, present: np.ndarray, site_kind: np.ndarray,
                     size: np.ndarray) -> np.ndarray:
    """Which site could host which complex type, judged from the functions it may host.

    A site may form a complex of type ``t`` only when its kind is one of ``t.kinds``, at
    least ``min_functions`` of ``t``'s functions and ``min_core`` of its core are present,
    and those functions at ``size`` (their largest) less ``t.area_saving_m2`` reach
    ``min_area_m2``; sharing savings only lower the area, so no other site can.

    Parameters
    ----------
    scenario
        The scenario (its complex types).
    present
        Boolean (n_sites, n_functions): the functions each site may host.
    site_kind
        Kind of each site.
    size
        The largest area of each function (by function index).

    Returns
    -------
    numpy.ndarray
        Boolean (n_sites, n_complex_types).
    """
    names = scenario.function_names
    out = np.zeros((present.shape[0], len(scenario.complexes)), dtype=bool)
    for t, spec in enumerate(scenario.complexes):
        member_k = [names.index(f) for f in spec.functions if f in names]
        core_k = [names.index(f) for f in spec.core_functions if f in names]
        members = present[:, member_k]
        area = (members * size[member_k]).sum(axis=1) - spec.area_saving_m2
        out[:, t] = (np.isin(site_kind, spec.kinds) & (members.sum(axis=1) >= spec.min_functions)
                     & (present[:, core_k].sum(axis=1) >= spec.min_core) & (area >= spec.min_area_m2 - 1e-6))
    return out


def complex_could_unlock(scenario: Scenario, eligible: np.ndarray, site_kind: np.ndarray, size: np.ndarray,
                         pair_site: np.ndarray, pair_fn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The most money and area a pair's addition could unlock by completing a complex (渝邻汇).

    Adding function f to a site can at most make it form a complex of a type that holds f
    (the site hosts one complex at most), saving that type's ``saving_yuan`` and
    ``area_saving_m2``.

    Returns
    -------
    cost, area
        Per pair, the largest saving of a type holding its function that its site may form.
    """
    cost, area = np.zeros(len(pair_site)), np.zeros(len(pair_site))
    if not scenario.complexes or not len(pair_site):
        return cost, area
    names = scenario.function_names
    possible = complex_may_form(scenario, eligible, site_kind, size)
    for t, spec in enumerate(scenario.complexes):
        here = possible[pair_site, t] & np.isin(pair_fn, [names.index(f) for f in spec.functions if f in names])
        cost = np.where(here, np.maximum(cost, spec.saving_yuan), cost)
        area = np.where(here, np.maximum(area, spec.area_saving_m2), area)
    return cost, area


def sharing_could_pay(scenario: Scenario, eligible: np.ndarray, pair_site: np.ndarray, pair_fn: np.ndarray,
                      own_area: np.ndarray, own_cost: np.ndarray, top_area: np.ndarray,
                      top_cost: np.ndarray, also: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Pairs whose addition to a site could lower its cost or area through sharing savings.

    Adding function f completes at most the groups that contain f; the savings it can
    unlock are at most, summed over those groups possible at the site, ``saving share x``
    the group's members' largest cost (or area). Only when that can reach f's own least
    cost (or area) might a function that reaches nobody new still be worth placing.

    Parameters
    ----------
    scenario
        The scenario (its sharing groups).
    eligible
        Boolean (n_sites, n_functions): the pairs a plan may use.
    pair_site, pair_fn
        Site row and function index of each pair.
    own_area, own_cost
        The least area and cost of each pair.
    top_area, top_cost
        The largest area and cost of each pair.
    also
        Further money and area the pair's addition could unlock (a complex's saving,
        :func:`complex_could_unlock`), added to the sharing savings.

    Returns
    -------
    numpy.ndarray
        Boolean, one per pair.
    """
    names = scenario.function_names
    out = np.zeros(len(pair_site), dtype=bool)
    if not len(pair_site):
        return out
    lookup_cost = np.zeros(eligible.shape)
    lookup_area = np.zeros(eligible.shape)
    lookup_cost[pair_site, pair_fn] = top_cost
    lookup_area[pair_site, pair_fn] = top_area
    max_cost_saving = np.zeros(len(pair_site))
    max_area_saving = np.zeros(len(pair_site))
    for group in scenario.sharing.groups:
        if not all(f in names for f in group.functions):
            continue
        members = [names.index(f) for f in group.functions]
        in_group = np.isin(pair_fn, members)
        possible = eligible[pair_site][:, members].all(axis=1) & in_group
        max_cost_saving += np.where(possible, group.cost_saving * lookup_cost[pair_site][:, members].sum(axis=1), 0)
        max_area_saving += np.where(possible, group.area_saving * lookup_area[pair_site][:, members].sum(axis=1), 0)
    if also is not None:
        max_cost_saving = max_cost_saving + also[0]
        max_area_saving = max_area_saving + also[1]
    out |= max_cost_saving >= own_cost - 1e-9
    out |= max_area_saving >= own_area - 1e-9
    return out


def define_candidates(inputs: Inputs, reach_sites: Reach, scenario: Scenario, forced: ForcedDecisions,
                      existing: ExistingService, eligible: np.ndarray, *, site_circle: np.ndarray,
                      unit_circle_code: np.ndarray, share_functions: set[str],
                      capacity_need: set[tuple[str, str]], pairs_of_groups: list[tuple[str, str, str]]) -> Candidates:
    """Gather the candidate pairs and each function's demand rows; drop the pairs that reach nobody new.

    Parameters
    ----------
    inputs
        Validated inputs.
    reach_sites
        Reach from demand units to candidate sites.
    scenario
        The scenario.
    forced
        Forced decisions (rule 8).
    existing
        What running facilities already serve (rule 3): those people are not rows.
    eligible
        Boolean (n_sites, n_functions): eligible and not forced out.
    site_circle
        Life circle of each site.
    unit_circle_code
        Integer code of each demand unit's life circle (demand rows of a function with a
        share requirement never merge units of different circles).
    share_functions
        Functions with a share requirement (rule 7).
    capacity_need
        ``(function, circle)`` of every per-1,000 requirement that asks for places.
    pairs_of_groups
        ``(group, function a, function b)`` under rule 6 (empty when it is off).

    Returns
    -------
    Candidates
    """
    sites = inputs.sites
    names = scenario.function_names
    n_sites = len(sites)
    cutoffs = function_cutoffs(scenario)
    forced_pair_mask = forced.in_pairs_mask(n_sites, names)
    site_parts, fn_parts, useful_parts, rows_by_fn = [], [], [], {}
    for k, name in enumerate(names):
        fn = scenario.functions[name]
        sites_f = np.flatnonzero(eligible[:, k])
        within = reach_sites.within(cutoffs[name])[:, sites_f].tocsr()
        rows_by_fn[name] = coverage_rows(name, within, existing.residual(inputs, scenario, name), fn.weight,
                                         aggregate=scenario.model.aggregate_demand,
                                         split=unit_circle_code if name in share_functions else None)
        site_parts.append(sites_f)
        fn_parts.append(np.full(len(sites_f), k))
        useful_parts.append(np.diff(rows_by_fn[name].pattern.tocsc().indptr) > 0)
    all_site = np.concatenate(site_parts).astype(np.int64)
    all_fn = np.concatenate(fn_parts).astype(np.int64)
    all_area, all_cost, conversion_cost = pair_costs(sites, scenario, all_site, all_fn)
    min_m2 = np.array([scenario.functions[n].size.min_m2 for n in names])
    max_m2 = np.array([scenario.functions[n].size.max_m2 for n in names])
    fixed = np.array([scenario.functions[n].cost.fixed for n in names])
    all_rate = np.where(all_area > 0, (all_cost - fixed[all_fn]) / np.where(all_area > 0, all_area, 1), 0.0)
    all_min, _, all_max = pair_sizes(sites, scenario, all_site, all_fn)
    if scenario.model.mode == "capacitated":
        own_area, own_cost = all_min, fixed[all_fn] + all_rate * all_min
        top_area, top_cost = all_max, fixed[all_fn] + all_rate * all_max
    else:
        own_area, own_cost, top_area, top_cost = all_area, all_cost, all_area, all_cost
    unlock = complex_could_unlock(scenario, eligible, sites["kind"].to_numpy(),
                                  max_m2 if scenario.model.mode == "capacitated" else
                                  np.array([scenario.functions[n].size.standard_m2 for n in names]), all_site, all_fn)
    keep = (np.concatenate(useful_parts) | forced_pair_mask[all_site, all_fn]
            | np.isin(all_site, forced.in_sites)
            | sharing_could_pay(scenario, eligible, all_site, all_fn, own_area, own_cost, top_area, top_cost,
                                unlock))
    for fname, circle in capacity_need:
        keep |= (all_fn == names.index(fname)) & (site_circle[all_site] == circle)
    for _, fa, fb in pairs_of_groups:
        both = eligible[:, names.index(fa)] & eligible[:, names.index(fb)]
        keep |= both[all_site] & np.isin(all_fn, [names.index(fa), names.index(fb)])
    pair_site, pair_fn = all_site[keep], all_fn[keep]
    coverage: dict[str, CoverageRows] = {}
    start = 0
    for k, name in enumerate(names):
        n_k = len(site_parts[k])
        kept_cols = np.flatnonzero(keep[start:start + n_k])
        r = rows_by_fn[name]
        coverage[name] = CoverageRows(name, r.pattern[:, kept_cols].tocsr(), r.weight, r.people, r.unit_group,
                                      r.n_units_considered)
        start += n_k
    open_site = np.unique(pair_site)
    site_position = np.full(n_sites, -1, dtype=np.int64)
    site_position[open_site] = np.arange(len(open_site))
    pair_index = np.full((n_sites, len(names)), -1, dtype=np.int64)
    pair_index[pair_site, pair_fn] = np.arange(len(pair_site))
    dropped = int((~keep).sum())
    log.debug("%d candidate pairs, %d reaching nobody new dropped", len(pair_site), dropped)
    return Candidates(pair_site=pair_site, pair_function=pair_fn, pair_area=all_area[keep],
                      pair_cost=all_cost[keep], pair_rate=all_rate[keep], pair_fixed=fixed[pair_fn].astype(float),
                      min_m2=min_m2, max_m2=max_m2, coverage=coverage, dropped=dropped, open_site=open_site,
                      site_position=site_position, pair_index=pair_index, site_conversion_cost=conversion_cost,
                      pair_min_m2=all_min[keep], pair_max_m2=all_max[keep])
