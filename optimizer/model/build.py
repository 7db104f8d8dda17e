"""Assemble the planning model: inputs + reach + scenario -> one sparse MILP.

Variables (all built from arrays):

- ``x[p]`` binary, one per candidate pair ``p = (site, function)``: the function is
  provided at the site at its standard size;
- ``o[s]`` binary, one per site with a candidate pair: the site is converted (its
  conversion cost is paid once, rule 5);
- ``z[s,g]`` binary, one per site where every function of sharing group ``g`` is a
  candidate: the group sits together and saves its configured share of area and cost;
- ``y[r]`` continuous in [0, 1], one per coverage row (merged demand units, per
  function): the share of the row's people newly reached.

Maximise ``sum weight x people x y`` subject to the rule modules' rows:
coverage (:mod:`.coverage`), one site/conversion and sharing links, space and budget
(:mod:`.budget_space`), forced decisions (bounds, and one row per forced site).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optimizer.inputs.types import Inputs
from optimizer.model.blocks import RowBlock, VariableBlock
from optimizer.model.budget_space import budget_rows, pair_costs, space_rows
from optimizer.model.coverage import CoverageRows, coverage_rows
from optimizer.model.decisions import ForcedDecisions
from optimizer.model.eligibility import eligibility_matrix
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.scenario import Scenario
from solvers.problem import MatrixProblem, Sense

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanningModel:
    """The built model with everything needed to read a solution back.

    Attributes
    ----------
    problem
        The matrix problem handed to a solver.
    functions
        Function names, in column order of ``pair_function``.
    pair_site, pair_function
        Site row and function index of each candidate pair (``x`` variables).
    pair_area, pair_cost
        Standard area and one-off cost (before sharing savings) of each pair.
    open_site, site_conversion_cost
        Site rows with an ``o`` variable, and their conversion cost.
    share_site, share_group, share_area_saving, share_cost_saving
        One entry per ``z`` variable.
    coverage
        Coverage rows per function.
    x, o, z, y
        Variable blocks; ``y_offsets[f]`` is where function ``f``'s rows start in ``y``.
    row_blocks
        ``(rule, first row, stop row)`` of every rule family, for diagnosis.
    stats
        Sizes and timings, for run.json and the benchmark.
    """

    problem: MatrixProblem
    functions: list[str]
    pair_site: np.ndarray
    pair_function: np.ndarray
    pair_area: np.ndarray
    pair_cost: np.ndarray
    open_site: np.ndarray
    site_conversion_cost: np.ndarray
    share_site: np.ndarray
    share_group: np.ndarray
    share_area_saving: np.ndarray
    share_cost_saving: np.ndarray
    coverage: dict[str, CoverageRows]
    x: VariableBlock
    o: VariableBlock
    z: VariableBlock
    y: VariableBlock
    y_offsets: dict[str, int]
    row_blocks: list[tuple[str, int, int]]
    stats: dict = field(default_factory=dict)

    def chosen_pairs(self, values: np.ndarray) -> np.ndarray:
        """Indices of pairs whose ``x`` is 1 in ``values``."""
        return np.flatnonzero(values[self.x.start:self.x.stop] > 0.5)

    def assignment(self, values: np.ndarray) -> dict[int, tuple[str, ...]]:
        """Site row -> functions, exactly as ``values`` choose them."""
        out: dict[int, tuple[str, ...]] = {}
        for p in self.chosen_pairs(values):
            s = int(self.pair_site[p])
            out[s] = out.get(s, ()) + (self.functions[self.pair_function[p]],)
        return out

    def model_cost(self, values: np.ndarray) -> float:
        """The budget expression's value at ``values`` (conversion + functions - savings)."""
        xv = np.round(values[self.x.start:self.x.stop])
        ov = np.round(values[self.o.start:self.o.stop])
        zv = np.round(values[self.z.start:self.z.stop])
        return float(self.pair_cost @ xv + self.site_conversion_cost @ ov - self.share_cost_saving @ zv)


def function_cutoffs(scenario: Scenario) -> dict[str, float]:
    """Reference-seconds cutoff of each function (threshold at its walking speed)."""
    return {name: cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
            for name, fn in scenario.functions.items()}


def served_by_existing(inputs: Inputs, reach_facilities: Reach, scenario: Scenario) -> dict[str, np.ndarray]:
    """For each function, which demand units a running facility of it already reaches (rule 3)."""
    cutoffs = function_cutoffs(scenario)
    fac_function = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    out = {}
    for name in scenario.functions:
        cols = np.flatnonzero(fac_function == name)
        if len(cols) == 0:
            out[name] = np.zeros(len(inputs.demand), dtype=bool)
            continue
        within = reach_facilities.within(cutoffs[name])[:, cols]
        out[name] = np.diff(within.tocsr().indptr) > 0
    return out


def sharing_could_pay(scenario: Scenario, eligible: np.ndarray, pair_site: np.ndarray, pair_fn: np.ndarray,
                      pair_area: np.ndarray, pair_cost: np.ndarray) -> np.ndarray:
    """Pairs whose addition to a site could lower its cost or area through sharing savings.

    Adding function f completes at most the groups that contain f; the savings it can
    unlock are at most, summed over those groups possible at the site, ``saving share x``
    the group's members' cost (or area). Only when that can reach f's own cost (or area)
    might a function that reaches nobody new still be worth placing.
    """
    names = scenario.function_names
    out = np.zeros(len(pair_site), dtype=bool)
    if not len(pair_site):
        return out
    lookup_cost = np.zeros(eligible.shape)
    lookup_area = np.zeros(eligible.shape)
    lookup_cost[pair_site, pair_fn] = pair_cost
    lookup_area[pair_site, pair_fn] = pair_area
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
    out |= max_cost_saving >= pair_cost - 1e-9
    out |= max_area_saving >= pair_area - 1e-9
    return out


def _stack(blocks: list[RowBlock], n_cols: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, list]:
    rows, cols, vals, lo, up, spans = [], [], [], [], [], []
    offset = 0
    for b in blocks:
        rows.append(b.rows + offset)
        cols.append(b.cols)
        vals.append(b.vals)
        lo.append(b.lower)
        up.append(b.upper)
        spans.append((b.rule, offset, offset + b.n_rows))
        offset += b.n_rows
    if not blocks:
        return sp.csr_matrix((0, n_cols)), np.zeros(0), np.zeros(0), []
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(offset, n_cols))
    return matrix, np.concatenate(lo), np.concatenate(up), spans


def build_model(
    inputs: Inputs,
    reach_sites: Reach,
    reach_facilities: Reach,
    scenario: Scenario,
    forced: ForcedDecisions,
) -> PlanningModel:
    """Build the maximal-coverage model of ``scenario``.

    Parameters
    ----------
    inputs
        Validated inputs.
    reach_sites, reach_facilities
        Reach from demand units to candidate sites and to running facilities.
    scenario
        The scenario.
    forced
        Forced decisions, already checked against the sites.
    """
    t0 = time.perf_counter()
    sites = inputs.sites
    names = scenario.function_names
    n_sites = len(sites)
    eligible = eligibility_matrix(sites, scenario.functions)
    eligible &= ~forced.out_pairs_mask(n_sites, names)
    eligible[forced.out_sites] = False

    # -- candidate pairs and coverage rows, per function
    cutoffs = function_cutoffs(scenario)
    served = served_by_existing(inputs, reach_facilities, scenario)
    forced_pair_mask = forced.in_pairs_mask(n_sites, names)
    site_parts, fn_parts, useful_parts, rows_by_fn = [], [], [], {}
    for k, name in enumerate(names):
        fn = scenario.functions[name]
        sites_f = np.flatnonzero(eligible[:, k])
        within = reach_sites.within(cutoffs[name])[:, sites_f].tocsr()
        rows_by_fn[name] = coverage_rows(name, within, served[name], inputs.demand[fn.cohort].to_numpy(float),
                                         fn.weight, aggregate=scenario.model.aggregate_demand)
        site_parts.append(sites_f)
        fn_parts.append(np.full(len(sites_f), k))
        useful_parts.append(np.diff(rows_by_fn[name].pattern.tocsc().indptr) > 0)
    all_site = np.concatenate(site_parts).astype(np.int64)
    all_fn = np.concatenate(fn_parts).astype(np.int64)
    all_area, all_cost, site_cost_all = pair_costs(sites, scenario, all_site, all_fn)
    # a pair that reaches nobody new is dropped, unless forced, or unless sharing could make
    # adding it save money or space (then it may pay for coverage elsewhere): exact reduction
    keep = (np.concatenate(useful_parts) | forced_pair_mask[all_site, all_fn]
            | np.isin(all_site, forced.in_sites)
            | sharing_could_pay(scenario, eligible, all_site, all_fn, all_area, all_cost))
    pair_site, pair_fn = all_site[keep], all_fn[keep]
    pair_area, pair_cost = all_area[keep], all_cost[keep]
    n_pairs = len(pair_site)
    cov = {}
    start = 0
    for k, name in enumerate(names):
        n_k = len(site_parts[k])
        kept_cols = np.flatnonzero(keep[start:start + n_k])
        r = rows_by_fn[name]
        cov[name] = CoverageRows(name, r.pattern[:, kept_cols].tocsr(), r.weight, r.unit_group,
                                 r.n_units_considered)
        start += n_k
    stats_dropped = int((~keep).sum())

    open_site = np.unique(pair_site)
    site_pos = np.full(n_sites, -1, dtype=np.int64)
    site_pos[open_site] = np.arange(len(open_site))

    # -- sharing groups present at each site
    sh_site, sh_group, sh_members = [], [], []
    for gi, group in enumerate(scenario.sharing.groups):
        if not all(f in names for f in group.functions):
            continue
        member_k = [names.index(f) for f in group.functions]
        pair_lookup = [dict(zip(pair_site[pair_fn == k], np.flatnonzero(pair_fn == k), strict=True)) for k in member_k]
        common = set(pair_lookup[0])
        for lk in pair_lookup[1:]:
            common &= set(lk)
        for s in sorted(common):
            sh_site.append(s)
            sh_group.append(gi)
            sh_members.append([lk[s] for lk in pair_lookup])
    sh_site_a = np.array(sh_site, dtype=np.int64)
    sh_group_a = np.array(sh_group, dtype=np.int64)
    groups = scenario.sharing.groups
    sh_area_saving = np.array([groups[g].area_saving * pair_area[m].sum()
                               for g, m in zip(sh_group, sh_members, strict=True)], dtype=float)
    sh_cost_saving = np.array([groups[g].cost_saving * pair_cost[m].sum()
                               for g, m in zip(sh_group, sh_members, strict=True)], dtype=float)

    # -- variable blocks
    n_y = sum(c.n_groups for c in cov.values())
    x = VariableBlock("x", 0, n_pairs)
    o = VariableBlock("o", x.stop, len(open_site))
    z = VariableBlock("z", o.stop, len(sh_site))
    y = VariableBlock("y", z.stop, n_y)
    n_cols = y.stop
    col_lower = np.zeros(n_cols)
    col_upper = np.ones(n_cols)
    objective = np.zeros(n_cols)
    integrality = np.zeros(n_cols, dtype=bool)
    integrality[:z.stop] = True

    # forced decisions as bounds (rule 8)
    forced_pairs = forced_pair_mask[pair_site, pair_fn]
    col_lower[x.index(np.flatnonzero(forced_pairs))] = 1.0
    col_lower[o.index(site_pos[forced.in_sites])] = 1.0
    col_lower[o.index(site_pos[np.unique(pair_site[forced_pairs])])] = 1.0

    blocks: list[RowBlock] = []
    # coverage rows: y_r - sum x_p <= 0
    y_offsets = {}
    offset = 0
    r_parts, c_parts, v_parts = [], [], []
    for k, name in enumerate(names):
        c = cov[name]
        y_offsets[name] = offset
        pair_cols = x.index(np.flatnonzero(pair_fn == k))
        pat = c.pattern.tocoo()
        r_parts += [pat.row + offset, np.arange(c.n_groups) + offset]
        c_parts += [pair_cols[pat.col], y.index(np.arange(c.n_groups) + offset)]
        v_parts += [-np.ones(pat.nnz), np.ones(c.n_groups)]
        objective[y.index(np.arange(c.n_groups) + offset)] = c.weight
        offset += c.n_groups
    if n_y:
        blocks.append(RowBlock("coverage", np.concatenate(r_parts), np.concatenate(c_parts),
                               np.concatenate(v_parts), np.full(n_y, -np.inf), np.zeros(n_y)))
    # a function can only be provided at a converted site: x_p - o_s <= 0
    if n_pairs:
        blocks.append(RowBlock(
            "site_conversion",
            np.concatenate([np.arange(n_pairs), np.arange(n_pairs)]),
            np.concatenate([x.index(np.arange(n_pairs)), o.index(site_pos[pair_site])]),
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            np.full(n_pairs, -np.inf), np.zeros(n_pairs)))
    # a converted site hosts something: o_s - sum_f x_sf <= 0 (also makes forced-in sites used)
    if len(open_site):
        blocks.append(RowBlock(
            "site_used",
            np.concatenate([np.arange(len(open_site)), site_pos[pair_site]]),
            np.concatenate([o.index(np.arange(len(open_site))), x.index(np.arange(n_pairs))]),
            np.concatenate([np.ones(len(open_site)), -np.ones(n_pairs)]),
            np.full(len(open_site), -np.inf), np.zeros(len(open_site))))
    # sharing: z_sg - x_p <= 0 for each member pair
    if len(sh_site):
        zr = np.concatenate([np.full(len(m), i) for i, m in enumerate(sh_members)])
        zp = np.concatenate([np.asarray(m) for m in sh_members])
        n_links = len(zr)
        blocks.append(RowBlock(
            "sharing", np.concatenate([np.arange(n_links), np.arange(n_links)]),
            np.concatenate([z.index(zr), x.index(zp)]),
            np.concatenate([np.ones(n_links), -np.ones(n_links)]),
            np.full(n_links, -np.inf), np.zeros(n_links)))
        # and z_sg >= sum x_p - (k - 1): the group's savings apply whenever all its members are there,
        # so the model's cost is exactly the plain costing of its choice
        n_z = len(sh_members)
        sizes = np.array([len(m) for m in sh_members], dtype=float)
        blocks.append(RowBlock(
            "sharing", np.concatenate([np.arange(n_z), zr]),
            np.concatenate([z.index(np.arange(n_z)), x.index(zp)]),
            np.concatenate([np.ones(n_z), -np.ones(n_links)]),
            -(sizes - 1.0), np.full(n_z, np.inf)))
    blocks.append(space_rows(sites, open_site, site_pos, pair_site, pair_area, x, z,
                             site_pos[sh_site_a] if len(sh_site) else np.zeros(0, dtype=np.int64),
                             sh_area_saving))
    blocks += budget_rows(sites, scenario, open_site, site_cost_all[open_site], pair_site, pair_cost,
                          sh_site_a, sh_cost_saving, x, o, z)

    matrix, row_lower, row_upper, spans = _stack(blocks, n_cols)
    problem = MatrixProblem(
        objective=objective, matrix=matrix, row_lower=row_lower, row_upper=row_upper,
        col_lower=col_lower, col_upper=col_upper, integrality=integrality,
        sense=Sense.MAXIMIZE, name=scenario.name,
    )
    stats = {
        "demand_units": int(len(inputs.demand)),
        "sites": int(n_sites),
        "candidate_pairs": int(n_pairs),
        "pairs_reaching_nobody_new_dropped": stats_dropped,
        "converted_site_variables": int(len(open_site)),
        "sharing_variables": int(len(sh_site)),
        "coverage_rows": {n: int(c.n_groups) for n, c in cov.items()},
        "units_considered": {n: int(c.n_units_considered) for n, c in cov.items()},
        "variables": int(n_cols),
        "integer_variables": int(integrality.sum()),
        "rows": int(problem.n_rows),
        "nonzeros": int(problem.matrix.nnz),
        "aggregate_demand": scenario.model.aggregate_demand,
        "build_seconds": round(time.perf_counter() - t0, 3),
    }
    log.info("model: %d variables (%d integer), %d rows, %d nonzeros",
             stats["variables"], stats["integer_variables"], stats["rows"], stats["nonzeros"])
    return PlanningModel(
        problem=problem, functions=names, pair_site=pair_site, pair_function=pair_fn,
        pair_area=pair_area, pair_cost=pair_cost, open_site=open_site,
        site_conversion_cost=site_cost_all[open_site], share_site=sh_site_a, share_group=sh_group_a,
        share_area_saving=sh_area_saving, share_cost_saving=sh_cost_saving, coverage=cov,
        x=x, o=o, z=z, y=y, y_offsets=y_offsets, row_blocks=spans, stats=stats,
    )

