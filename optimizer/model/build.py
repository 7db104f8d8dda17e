"""Assemble the planning model: inputs + reach + scenario -> one sparse MILP.

Variables (all built from arrays, never a dense demand x site matrix):

- ``x[p]`` binary, one per candidate pair ``p = (site, function)``: the function is
  provided at the site;
- ``o[s]`` binary, one per site with a candidate pair: the site is converted (its
  conversion cost is paid once, rule 5);
- ``z[s,g]`` binary, one per site where every function of sharing group ``g`` is a
  candidate: exactly 1 when the whole group sits there (its savings apply);
- coverage mode: ``y[r]`` in [0, 1], one per demand row (merged demand units, per
  function): the share of the row's people newly reached; facilities have their
  standard size;
- capacitated mode (rule 4): ``a[p]`` the area given to pair ``p`` (0, or between the
  function's minimum and maximum size), ``w[r,p]`` the people of row ``r`` served by
  pair ``p`` (only pairs within reach: the sparsity pattern of reach), and the sharing
  savings ``sc[s,g]``, ``sa[s,g]`` (money, area) made exact with ``z``;
- rule 6: ``n[c,f]`` in [0, 1], 1 when function ``f`` is newly provided in life circle
  ``c``, and ``q`` co-location indicators for groups of more than two functions;
- diagnosis only: ``slack[t]`` >= 0, how far requirement target ``t`` falls short.

Objectives: ``max_coverage`` maximises weighted newly covered (served) people within the
budgets; ``least_cost`` minimises the one-off cost of meeting every requirement (budgets
not imposed: it answers "what budget do we need").
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimizer.inputs.types import Inputs
from optimizer.model.blocks import RowBlock, VariableBlock
from optimizer.model.budget_space import pair_costs
from optimizer.model.coverage import CoverageRows, coverage_rows
from optimizer.model.decisions import ForcedDecisions
from optimizer.model.eligibility import eligibility_matrix
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.rules.existing import ExistingService, site_circles, unit_circles
from optimizer.rules.requirements import RequirementTarget, requirement_targets
from optimizer.rules.together import group_pairs
from optimizer.scenario import Scenario
from solvers.problem import MatrixProblem, Sense

log = logging.getLogger(__name__)

#: Money rows (budgets, sharing cost savings) are stated in units of this many yuan, and
#: the cost-saving variables ``sc`` are measured in it, so that their coefficients sit near
#: those of areas and people (a well-scaled model solves faster and more reliably).
MONEY_UNIT = 1e4


@dataclass(frozen=True)
class PlanningModel:
    """The built model with everything needed to read a solution back.

    Attributes
    ----------
    problem
        The matrix problem handed to a solver.
    mode, objective
        ``coverage``/``capacitated``; ``max_coverage``/``least_cost``/``min_shortfall``.
    functions
        Function names, in column order of ``pair_function``.
    pair_site, pair_function
        Site row and function index of each candidate pair (``x`` variables).
    pair_area, pair_cost
        Standard area and one-off cost at standard size (before sharing savings).
    pair_fixed, pair_rate
        Fixed cost and cost per m2 of each pair (capacitated costs: fixed + rate x area).
    open_site, site_conversion_cost
        Site rows with an ``o`` variable, and their conversion cost.
    share_site, share_group, share_area_saving, share_cost_saving
        One entry per ``z`` variable (savings at standard sizes).
    share_members
        Member pairs of each ``z``.
    coverage
        Demand rows per function.
    x, o, z, y, a, w, sc, sa, n, q, slack
        Variable blocks (empty where the mode does not use them).
    w_row, w_pair
        Demand row (global, over ``y_offsets``) and pair of each ``w``.
    y_offsets
        Where function ``f``'s demand rows start.
    targets
        Requirement targets (rule 7) that needed a row.
    row_blocks
        ``(rule, first row, stop row)`` of every rule family, for diagnosis.
    stats
        Sizes and timings, for run.json and the benchmark.
    cut_pool
        Valid inequalities ``w[c] - coef x[k] <= 0`` (columns ``c``, ``k``, coefficients)
        that tighten the relaxation; :mod:`optimizer.model.strengthen` adds the violated ones.
    """

    problem: MatrixProblem
    mode: str
    objective: str
    functions: list[str]
    pair_site: np.ndarray
    pair_function: np.ndarray
    pair_area: np.ndarray
    pair_cost: np.ndarray
    pair_fixed: np.ndarray
    pair_rate: np.ndarray
    open_site: np.ndarray
    site_conversion_cost: np.ndarray
    share_site: np.ndarray
    share_group: np.ndarray
    share_area_saving: np.ndarray
    share_cost_saving: np.ndarray
    share_members: list[np.ndarray]
    coverage: dict[str, CoverageRows]
    x: VariableBlock
    o: VariableBlock
    z: VariableBlock
    y: VariableBlock
    a: VariableBlock
    w: VariableBlock
    sc: VariableBlock
    sa: VariableBlock
    n: VariableBlock
    q: VariableBlock
    slack: VariableBlock
    w_row: np.ndarray
    w_pair: np.ndarray
    y_offsets: dict[str, int]
    targets: list[RequirementTarget]
    row_blocks: list[tuple[str, int, int]]
    stats: dict = field(default_factory=dict)
    cut_pool: tuple[np.ndarray, np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64),
                                                           np.zeros(0))

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

    def areas(self, values: np.ndarray) -> dict[tuple[int, str], float]:
        """``(site row, function) -> area`` of every chosen pair (standard size in coverage mode)."""
        chosen = self.chosen_pairs(values)
        if self.mode == "capacitated":
            area = values[self.a.start:self.a.stop][chosen]
        else:
            area = self.pair_area[chosen]
        return {(int(self.pair_site[p]), self.functions[self.pair_function[p]]): float(v)
                for p, v in zip(chosen, area, strict=True)}

    def model_cost(self, values: np.ndarray) -> float:
        """The budget expression's value at ``values`` (conversion + functions - savings)."""
        xv = np.round(values[self.x.start:self.x.stop])
        ov = np.round(values[self.o.start:self.o.stop])
        zv = np.round(values[self.z.start:self.z.stop])
        if self.mode == "capacitated":
            av = values[self.a.start:self.a.stop]
            scv = values[self.sc.start:self.sc.stop] * MONEY_UNIT
            return float(self.pair_fixed @ xv + self.pair_rate @ av + self.site_conversion_cost @ ov - scv.sum())
        return float(self.pair_cost @ xv + self.site_conversion_cost @ ov - self.share_cost_saving @ zv)

    def served_rows(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """People newly covered (served) per demand row, per function."""
        out = {}
        for name in self.functions:
            c = self.coverage[name]
            off = self.y_offsets[name]
            if self.mode == "capacitated":
                mine = (self.w_row >= off) & (self.w_row < off + c.n_groups)
                amount = np.bincount(self.w_row[mine] - off, weights=values[self.w.index(np.flatnonzero(mine))],
                                     minlength=c.n_groups)
                out[name] = np.minimum(np.maximum(amount, 0.0), c.people)
            else:
                out[name] = np.clip(values[self.y.index(off + np.arange(c.n_groups))], 0.0, 1.0) * c.people
        return out


def function_cutoffs(scenario: Scenario) -> dict[str, float]:
    """Reference-seconds cutoff of each function (threshold at its walking speed)."""
    return {name: cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
            for name, fn in scenario.functions.items()}


def sharing_could_pay(scenario: Scenario, eligible: np.ndarray, pair_site: np.ndarray, pair_fn: np.ndarray,
                      own_area: np.ndarray, own_cost: np.ndarray, top_area: np.ndarray,
                      top_cost: np.ndarray) -> np.ndarray:
    """Pairs whose addition to a site could lower its cost or area through sharing savings.

    Adding function f completes at most the groups that contain f; the savings it can
    unlock are at most, summed over those groups possible at the site, ``saving share x``
    the group's members' largest cost (or area). Only when that can reach f's own least
    cost (or area) might a function that reaches nobody new still be worth placing.
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
    out |= max_cost_saving >= own_cost - 1e-9
    out |= max_area_saving >= own_area - 1e-9
    return out


def _stack(blocks: list[RowBlock], n_cols: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, list]:
    rows, cols, vals, lo, up, spans = [], [], [], [], [], []
    offset = 0
    for b in blocks:
        if b.n_rows == 0:
            continue
        rows.append(b.rows + offset)
        cols.append(b.cols)
        vals.append(b.vals)
        lo.append(b.lower)
        up.append(b.upper)
        spans.append((b.rule, offset, offset + b.n_rows))
        offset += b.n_rows
    if not rows:
        return sp.csr_matrix((0, n_cols)), np.zeros(0), np.zeros(0), []
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(offset, n_cols))
    return matrix, np.concatenate(lo), np.concatenate(up), spans


def _rows(rule: str, row: np.ndarray, col: np.ndarray, val: np.ndarray, n_rows: int,
          lower: np.ndarray | float, upper: np.ndarray | float) -> RowBlock:
    """A block from coordinate arrays; scalar bounds are broadcast."""
    return RowBlock(rule, np.asarray(row, dtype=np.int64), np.asarray(col, dtype=np.int64),
                    np.asarray(val, dtype=float), np.broadcast_to(np.asarray(lower, dtype=float), (n_rows,)).copy(),
                    np.broadcast_to(np.asarray(upper, dtype=float), (n_rows,)).copy())


@dataclass
class _Terms:
    """Linear terms owned by a site: (site row, column, coefficient)."""

    site: list[np.ndarray] = field(default_factory=list)
    col: list[np.ndarray] = field(default_factory=list)
    val: list[np.ndarray] = field(default_factory=list)

    def add(self, site: np.ndarray, col: np.ndarray, val: np.ndarray) -> None:
        self.site.append(np.asarray(site, dtype=np.int64))
        self.col.append(np.asarray(col, dtype=np.int64))
        self.val.append(np.asarray(val, dtype=float))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.site:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(self.site), np.concatenate(self.col), np.concatenate(self.val)


def build_model(
    inputs: Inputs,
    reach_sites: Reach,
    reach_facilities: Reach,
    scenario: Scenario,
    forced: ForcedDecisions,
    existing: ExistingService,
    *,
    objective: str | None = None,
) -> PlanningModel:
    """Build the planning model of ``scenario``.

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
    existing
        What running facilities already serve (rule 3; rule 4 in capacitated mode).
    objective
        ``None``: the scenario's. ``"min_shortfall"``: the diagnosis model, which meets the
        budgets and every other rule and minimises how far requirements fall short.
    """
    t0 = time.perf_counter()
    objective = objective or scenario.objective
    mode = scenario.model.mode
    capacitated = mode == "capacitated"
    sites = inputs.sites
    names = scenario.function_names
    n_sites = len(sites)
    eligible = forced.restrict(eligibility_matrix(sites, scenario.functions), scenario.function_names)
    s_circle = site_circles(inputs)
    u_circle = unit_circles(inputs)
    _, u_circle_code = np.unique(u_circle, return_inverse=True)
    targets = [t for t in requirement_targets(inputs, scenario, existing) if t.need > 0]
    share_fns = {t.function for t in targets if t.kind == "share"}
    capacity_need = {(t.function, t.circle) for t in targets if t.kind == "per_1000"}
    together = scenario.sharing.not_built_separately
    pairs_of_groups = group_pairs(scenario) if together else []

    # -- candidate pairs and demand rows, per function
    cutoffs = function_cutoffs(scenario)
    forced_pair_mask = forced.in_pairs_mask(n_sites, names)
    site_parts, fn_parts, useful_parts, rows_by_fn = [], [], [], {}
    for k, name in enumerate(names):
        fn = scenario.functions[name]
        sites_f = np.flatnonzero(eligible[:, k])
        within = reach_sites.within(cutoffs[name])[:, sites_f].tocsr()
        rows_by_fn[name] = coverage_rows(name, within, existing.residual(inputs, scenario, name), fn.weight,
                                         aggregate=scenario.model.aggregate_demand,
                                         split=u_circle_code if name in share_fns else None)
        site_parts.append(sites_f)
        fn_parts.append(np.full(len(sites_f), k))
        useful_parts.append(np.diff(rows_by_fn[name].pattern.tocsc().indptr) > 0)
    all_site = np.concatenate(site_parts).astype(np.int64)
    all_fn = np.concatenate(fn_parts).astype(np.int64)
    all_area, all_cost, site_cost_all = pair_costs(sites, scenario, all_site, all_fn)
    min_m2 = np.array([scenario.functions[n].size.min_m2 for n in names])
    max_m2 = np.array([scenario.functions[n].size.max_m2 for n in names])
    fixed = np.array([scenario.functions[n].cost.fixed for n in names])
    all_rate = np.where(all_area > 0, (all_cost - fixed[all_fn]) / np.where(all_area > 0, all_area, 1), 0.0)
    if capacitated:
        own_area, own_cost = min_m2[all_fn], fixed[all_fn] + all_rate * min_m2[all_fn]
        top_area, top_cost = max_m2[all_fn], fixed[all_fn] + all_rate * max_m2[all_fn]
    else:
        own_area, own_cost, top_area, top_cost = all_area, all_cost, all_area, all_cost
    # A pair that reaches nobody new is dropped (exact), unless it is forced, sharing could
    # make adding it save money or space, it adds capacity a requirement asks for, or rule 6
    # may need it to host a group together.
    keep = (np.concatenate(useful_parts) | forced_pair_mask[all_site, all_fn]
            | np.isin(all_site, forced.in_sites)
            | sharing_could_pay(scenario, eligible, all_site, all_fn, own_area, own_cost, top_area, top_cost))
    for fname, circle in capacity_need:
        keep |= (all_fn == names.index(fname)) & (s_circle[all_site] == circle)
    for _, fa, fb in pairs_of_groups:
        both = eligible[:, names.index(fa)] & eligible[:, names.index(fb)]
        keep |= both[all_site] & np.isin(all_fn, [names.index(fa), names.index(fb)])
    pair_site, pair_fn = all_site[keep], all_fn[keep]
    pair_area, pair_cost, pair_rate = all_area[keep], all_cost[keep], all_rate[keep]
    pair_fixed = fixed[pair_fn].astype(float)
    n_pairs = len(pair_site)
    cov: dict[str, CoverageRows] = {}
    start = 0
    for k, name in enumerate(names):
        n_k = len(site_parts[k])
        kept_cols = np.flatnonzero(keep[start:start + n_k])
        r = rows_by_fn[name]
        cov[name] = CoverageRows(name, r.pattern[:, kept_cols].tocsr(), r.weight, r.people, r.unit_group,
                                 r.n_units_considered)
        start += n_k
    stats_dropped = int((~keep).sum())

    open_site = np.unique(pair_site)
    site_pos = np.full(n_sites, -1, dtype=np.int64)
    site_pos[open_site] = np.arange(len(open_site))

    # -- sharing groups present at each site (vectorised per group)
    pair_index = np.full((n_sites, len(names)), -1, dtype=np.int64)
    pair_index[pair_site, pair_fn] = np.arange(n_pairs)
    sh_site_l, sh_group_l, sh_members = [], [], []
    for gi, group in enumerate(scenario.sharing.groups):
        if not all(f in names for f in group.functions):
            continue
        member_k = [names.index(f) for f in group.functions]
        idx = pair_index[:, member_k]
        where = np.flatnonzero((idx >= 0).all(axis=1))
        sh_site_l.append(where)
        sh_group_l.append(np.full(where.size, gi))
        sh_members += [idx[s] for s in where]
    sh_site = np.concatenate(sh_site_l).astype(np.int64) if sh_site_l else np.zeros(0, np.int64)
    sh_group = np.concatenate(sh_group_l).astype(np.int64) if sh_group_l else np.zeros(0, np.int64)
    groups = scenario.sharing.groups
    n_z = len(sh_site)
    area_share = np.array([groups[g].area_saving for g in sh_group], dtype=float)
    cost_share = np.array([groups[g].cost_saving for g in sh_group], dtype=float)
    sh_area_saving = np.array([area_share[i] * pair_area[m].sum() for i, m in enumerate(sh_members)], dtype=float)
    sh_cost_saving = np.array([cost_share[i] * pair_cost[m].sum() for i, m in enumerate(sh_members)], dtype=float)

    # -- rule 6: circles where a group pair must share a site if both are newly provided
    n_key: dict[tuple[str, int], int] = {}
    r6: list[tuple[str, int, int, str, np.ndarray]] = []  # circle, ka, kb, "z" or "q", their ids
    q_pairs: list[tuple[int, int]] = []
    z_lookup = {(int(s), int(g)): i for i, (s, g) in enumerate(zip(sh_site, sh_group, strict=True))}
    for gname, fa, fb in pairs_of_groups:
        ka, kb = names.index(fa), names.index(fb)
        gi = next(i for i, g in enumerate(groups) if g.name == gname)
        both_sites = np.flatnonzero((pair_index[:, ka] >= 0) & (pair_index[:, kb] >= 0))
        for circle in sorted(set(s_circle[both_sites].tolist())):
            co = both_sites[s_circle[both_sites] == circle]
            for kf in (ka, kb):
                n_key.setdefault((circle, kf), len(n_key))
            if len(groups[gi].functions) == 2:  # z is exactly "both here"
                r6.append((circle, ka, kb, "z", np.array([z_lookup[(int(s), gi)] for s in co], dtype=np.int64)))
            else:  # a larger group: an indicator per site for this pair
                first = len(q_pairs)
                q_pairs += [(int(pair_index[s, ka]), int(pair_index[s, kb])) for s in co]
                r6.append((circle, ka, kb, "q", np.arange(first, len(q_pairs), dtype=np.int64)))

    # -- variable blocks
    n_rows_total = sum(c.n_groups for c in cov.values())
    y_offsets, offset = {}, 0
    for name in names:
        y_offsets[name] = offset
        offset += cov[name].n_groups
    cut_pool = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if capacitated:
        w_row_parts, w_pair_parts = [], []
        for k, name in enumerate(names):
            pat = cov[name].pattern.tocoo()
            pair_cols = np.flatnonzero(pair_fn == k)
            w_row_parts.append(pat.row.astype(np.int64) + y_offsets[name])
            w_pair_parts.append(pair_cols[pat.col])
        w_row = np.concatenate(w_row_parts) if w_row_parts else np.zeros(0, np.int64)
        w_pair = np.concatenate(w_pair_parts) if w_pair_parts else np.zeros(0, np.int64)
    else:
        w_row = w_pair = np.zeros(0, np.int64)
    x = VariableBlock("x", 0, n_pairs)
    o = VariableBlock("o", x.stop, len(open_site))
    z = VariableBlock("z", o.stop, n_z)
    y = VariableBlock("y", z.stop, 0 if capacitated else n_rows_total)
    a = VariableBlock("a", y.stop, n_pairs if capacitated else 0)
    w = VariableBlock("w", a.stop, len(w_row))
    sc = VariableBlock("sc", w.stop, n_z if capacitated else 0)
    sa = VariableBlock("sa", sc.stop, n_z if capacitated else 0)
    n = VariableBlock("n", sa.stop, len(n_key))
    q = VariableBlock("q", n.stop, len(q_pairs))
    soft = objective == "min_shortfall"
    slack = VariableBlock("slack", q.stop, len(targets) if soft else 0)
    n_cols = slack.stop
    col_lower = np.zeros(n_cols)
    col_upper = np.ones(n_cols)
    cost_vec = np.zeros(n_cols)
    coverage_obj = np.zeros(n_cols)
    integrality = np.zeros(n_cols, dtype=bool)
    integrality[:z.stop] = True
    if capacitated:
        col_upper[a.index(np.arange(n_pairs))] = max_m2[pair_fn]
        all_people = np.concatenate([cov[nm].people for nm in names]) if names else np.zeros(0)
        col_upper[w.index(np.arange(len(w_row)))] = all_people[w_row] if len(w_row) else 0.0
        col_upper[sc.index(np.arange(n_z))] = np.inf
        col_upper[sa.index(np.arange(n_z))] = np.inf
    col_upper[slack.index(np.arange(slack.size))] = np.inf

    # forced decisions as bounds (rule 8)
    forced_pairs = forced_pair_mask[pair_site, pair_fn]
    col_lower[x.index(np.flatnonzero(forced_pairs))] = 1.0
    col_lower[o.index(site_pos[forced.in_sites])] = 1.0
    col_lower[o.index(site_pos[np.unique(pair_site[forced_pairs])])] = 1.0

    blocks: list[RowBlock] = []
    pairs_all = np.arange(n_pairs)
    # -- demand rows
    if capacitated:
        n_w = len(w_row)
        # people of a row served by all pairs: sum_p w[r,p] <= people[r]  (as the bound of w, and per row)
        blocks.append(_rows("served within demand", w_row, w.index(np.arange(n_w)), np.ones(n_w),
                            n_rows_total, -np.inf, all_people))
        # a pair serves at most its capacity: sum_r w[r,p] - people_per_place / area_per_place * a[p] <= 0
        ratio = np.array([scenario.functions[nm].people_per_place / scenario.functions[nm].area_per_unit_m2
                          for nm in names])
        blocks.append(_rows("capacity (rule 4)", np.concatenate([w_pair, pairs_all]),
                            np.concatenate([w.index(np.arange(n_w)), a.index(pairs_all)]),
                            np.concatenate([np.ones(n_w), -ratio[pair_fn]]), n_pairs, -np.inf, 0.0))
        # w[r,p] <= people[r] x[p] is implied by capacity but tightens the relaxation (the strong
        # formulation of capacitated facility location). All of them make the root LP dozens of times
        # slower, so they are kept as a pool and only the violated ones are added (strengthen.py).
        cut_pool = (w.index(np.arange(n_w)), x.index(w_pair), all_people[w_row] if n_w else np.zeros(0))
        # size between the function's minimum and maximum when provided, 0 otherwise
        blocks.append(_rows("size", np.concatenate([pairs_all, pairs_all]),
                            np.concatenate([a.index(pairs_all), x.index(pairs_all)]),
                            np.concatenate([np.ones(n_pairs), -max_m2[pair_fn]]), n_pairs, -np.inf, 0.0))
        blocks.append(_rows("size", np.concatenate([pairs_all, pairs_all]),
                            np.concatenate([a.index(pairs_all), x.index(pairs_all)]),
                            np.concatenate([np.ones(n_pairs), -min_m2[pair_fn]]), n_pairs, 0.0, np.inf))
        weights = np.array([scenario.functions[nm].weight for nm in names])
        fn_of_row = np.repeat(np.arange(len(names)), [cov[nm].n_groups for nm in names])
        coverage_obj[w.index(np.arange(n_w))] = weights[fn_of_row[w_row]] if n_w else 0.0
    else:
        r_parts, c_parts, v_parts = [], [], []
        for k, name in enumerate(names):
            c = cov[name]
            off = y_offsets[name]
            pair_cols = x.index(np.flatnonzero(pair_fn == k))
            pat = c.pattern.tocoo()
            r_parts += [pat.row + off, np.arange(c.n_groups) + off]
            c_parts += [pair_cols[pat.col], y.index(np.arange(c.n_groups) + off)]
            v_parts += [-np.ones(pat.nnz), np.ones(c.n_groups)]
            coverage_obj[y.index(np.arange(c.n_groups) + off)] = c.weight
        if n_rows_total:
            blocks.append(_rows("coverage", np.concatenate(r_parts), np.concatenate(c_parts),
                                np.concatenate(v_parts), n_rows_total, -np.inf, 0.0))
    # -- a function only at a converted site; a converted site hosts something
    if n_pairs:
        blocks.append(_rows("site_conversion", np.concatenate([pairs_all, pairs_all]),
                            np.concatenate([x.index(pairs_all), o.index(site_pos[pair_site])]),
                            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]), n_pairs, -np.inf, 0.0))
        blocks.append(_rows("site_used", np.concatenate([np.arange(len(open_site)), site_pos[pair_site]]),
                            np.concatenate([o.index(np.arange(len(open_site))), x.index(pairs_all)]),
                            np.concatenate([np.ones(len(open_site)), -np.ones(n_pairs)]),
                            len(open_site), -np.inf, 0.0))
    # -- sharing: z is exactly the AND of its members (rule 5)
    cost_terms, area_terms = _Terms(), _Terms()
    cost_terms.add(open_site, o.index(np.arange(len(open_site))), site_cost_all[open_site])
    if n_z:
        zr = np.concatenate([np.full(len(m), i) for i, m in enumerate(sh_members)])
        zp = np.concatenate(sh_members)
        n_links = len(zr)
        sizes = np.array([len(m) for m in sh_members], dtype=float)
        blocks.append(_rows("sharing", np.concatenate([np.arange(n_links), np.arange(n_links)]),
                            np.concatenate([z.index(zr), x.index(zp)]),
                            np.concatenate([np.ones(n_links), -np.ones(n_links)]), n_links, -np.inf, 0.0))
        blocks.append(_rows("sharing", np.concatenate([np.arange(n_z), zr]),
                            np.concatenate([z.index(np.arange(n_z)), x.index(zp)]),
                            np.concatenate([np.ones(n_z), -np.ones(n_links)]), n_z, -(sizes - 1.0), np.inf))
    if capacitated:
        cost_terms.add(pair_site, x.index(pairs_all), pair_fixed)
        cost_terms.add(pair_site, a.index(pairs_all), pair_rate)
        area_terms.add(pair_site, a.index(pairs_all), np.ones(n_pairs))
        if n_z:
            # savings exact: s = share x members' (cost | area) when z = 1, else 0 (big-M with the largest value)
            big_c = np.array([cost_share[i] * (pair_fixed[m] + pair_rate[m] * max_m2[pair_fn[m]]).sum()
                              for i, m in enumerate(sh_members)])
            big_a = np.array([area_share[i] * max_m2[pair_fn[m]].sum() for i, m in enumerate(sh_members)])
            for var, share, big, member_cols in (
                    (sc, cost_share, big_c / MONEY_UNIT, lambda m: (
                        np.concatenate([x.index(m), a.index(m)]),
                        np.concatenate([pair_fixed[m], pair_rate[m]]) / MONEY_UNIT)),
                    (sa, area_share, big_a, lambda m: (a.index(m), np.ones(len(m))))):
                rr, cc, vv = [], [], []
                for i, m in enumerate(sh_members):
                    cols, coef = member_cols(m)
                    rr.append(np.full(len(cols) + 1, i))
                    cc.append(np.concatenate([[var.index(i)], cols]))
                    vv.append(np.concatenate([[1.0], -share[i] * coef]))
                rr_a, cc_a, vv_a = np.concatenate(rr), np.concatenate(cc), np.concatenate(vv)
                blocks.append(_rows("sharing savings", rr_a, cc_a, vv_a, n_z, -np.inf, 0.0))
                blocks.append(_rows("sharing savings", np.concatenate([np.arange(n_z), np.arange(n_z)]),
                                    np.concatenate([var.index(np.arange(n_z)), z.index(np.arange(n_z))]),
                                    np.concatenate([np.ones(n_z), -big]), n_z, -np.inf, 0.0))
                blocks.append(_rows("sharing savings", np.concatenate([rr_a, np.arange(n_z)]),
                                    np.concatenate([cc_a, z.index(np.arange(n_z))]),
                                    np.concatenate([vv_a, -big]), n_z, -big, np.inf))
            cost_terms.add(sh_site, sc.index(np.arange(n_z)), -np.full(n_z, MONEY_UNIT))
            area_terms.add(sh_site, sa.index(np.arange(n_z)), -np.ones(n_z))
    else:
        cost_terms.add(pair_site, x.index(pairs_all), pair_cost)
        area_terms.add(pair_site, x.index(pairs_all), pair_area)
        if n_z:
            cost_terms.add(sh_site, z.index(np.arange(n_z)), -sh_cost_saving)
            area_terms.add(sh_site, z.index(np.arange(n_z)), -sh_area_saving)
    # -- space (rule 2): one row per convertible site
    a_site, a_col, a_val = area_terms.arrays()
    available = pd.to_numeric(sites["area_m2"], errors="coerce").to_numpy(float)[open_site]
    blocks.append(_rows("space", site_pos[a_site], a_col, a_val, len(open_site), -np.inf, available))
    # -- budget (rule 1), not imposed when asking what the requirements cost
    c_site, c_col, c_val = cost_terms.arrays()
    np.add.at(cost_vec, c_col, c_val)
    if objective != "least_cost":
        district = sites["district"].fillna("").astype(str).to_numpy()
        scopes: list[tuple[str, float, np.ndarray]] = []
        if scenario.budget.total is not None:
            scopes.append(("whole scenario", scenario.budget.total, np.ones(n_sites, dtype=bool)))
        for dname, amount in scenario.budget.by_district.items():
            scopes.append((f"district {dname}", amount, district == dname))
        for scope, amount, in_scope in scopes:
            sel = in_scope[c_site]
            blocks.append(_rows(f"budget ({scope})", np.zeros(int(sel.sum())), c_col[sel], c_val[sel] / MONEY_UNIT,
                                1, -np.inf, float(amount) / MONEY_UNIT))
    # -- rule 6: not built separately
    if r6:
        nr, nc, nv = [], [], []
        rr, rc, rv, rlo = [], [], [], []
        row = 0
        link = 0
        for circle, ka, kb, kind, ids in r6:
            for kf in (ka, kb):
                ps = np.flatnonzero((pair_fn == kf) & (s_circle[pair_site] == circle))
                nid = n_key[(circle, kf)]
                nr += [np.arange(link, link + ps.size), np.arange(link, link + ps.size)]
                nc += [x.index(ps), np.full(ps.size, n.index(nid))]
                nv += [np.ones(ps.size), -np.ones(ps.size)]
                link += ps.size
            cols = z.index(ids) if kind == "z" else q.index(ids)
            rr.append(np.full(cols.size + 2, row))
            rc.append(np.concatenate([cols, [n.index(n_key[(circle, ka)]), n.index(n_key[(circle, kb)])]]))
            rv.append(np.concatenate([np.ones(cols.size), [-1.0, -1.0]]))
            rlo.append(-1.0)
            row += 1
        blocks.append(_rows("newly provided in a life circle", np.concatenate(nr), np.concatenate(nc),
                            np.concatenate(nv), link, -np.inf, 0.0))
        blocks.append(_rows("not built separately (rule 6)", np.concatenate(rr), np.concatenate(rc),
                            np.concatenate(rv), row, np.array(rlo), np.inf))
        if q_pairs:
            qa = np.array(q_pairs, dtype=np.int64)
            nq = len(q_pairs)
            for member in (qa[:, 0], qa[:, 1]):
                blocks.append(_rows("not built separately (rule 6)", np.concatenate([np.arange(nq), np.arange(nq)]),
                                    np.concatenate([q.index(np.arange(nq)), x.index(member)]),
                                    np.concatenate([np.ones(nq), -np.ones(nq)]), nq, -np.inf, 0.0))
    # -- rule 7: what must exist
    if targets:
        tr, tc, tv, need = [], [], [], []
        for ti, t in enumerate(targets):
            k = names.index(t.function)
            if t.kind == "share":
                c = cov[t.function]
                in_c = np.zeros(c.n_groups, dtype=bool)
                grp = c.unit_group[(u_circle == t.circle) & (c.unit_group >= 0)]
                in_c[grp] = True
                rows_c = np.flatnonzero(in_c)
                if capacitated:
                    sel = np.flatnonzero(np.isin(w_row, rows_c + y_offsets[t.function]))
                    cols, coef = w.index(sel), np.ones(sel.size)
                else:
                    cols, coef = y.index(rows_c + y_offsets[t.function]), c.people[rows_c]
            else:
                ps = np.flatnonzero((pair_fn == k) & (s_circle[pair_site] == t.circle))
                apu = scenario.functions[t.function].area_per_unit_m2
                if capacitated:
                    cols, coef = a.index(ps), np.full(ps.size, 1.0 / apu)
                else:
                    cols, coef = x.index(ps), pair_area[ps] / apu
            if soft:
                cols, coef = np.concatenate([cols, [slack.index(ti)]]), np.concatenate([coef, [1.0]])
            tr.append(np.full(cols.size, ti))
            tc.append(cols)
            tv.append(coef)
            need.append(t.need)
        blocks.append(_rows("what must exist (rule 7)", np.concatenate(tr), np.concatenate(tc), np.concatenate(tv),
                            len(targets), np.array(need), np.inf))

    matrix, row_lower, row_upper, spans = _stack(blocks, n_cols)
    if objective == "least_cost":
        obj, sense = cost_vec, Sense.MINIMIZE
    elif soft:
        obj = np.zeros(n_cols)
        obj[slack.index(np.arange(slack.size))] = [1.0 / max(t.need, 1e-9) for t in targets]
        sense = Sense.MINIMIZE
    else:
        obj, sense = coverage_obj, Sense.MAXIMIZE
    # coverage mode: y[r] = min(1, sum of the x reaching row r) is feasible and no worse at an
    # optimum, so some optimum has every y integral (backends that need integers use this)
    # likewise rule 6's n (lowered to the largest x of its circle) and q (raised to min(x_a, x_b))
    integral_at_optimum = integrality.copy()
    integral_at_optimum[y.index(np.arange(y.size))] = True
    if not capacitated:
        integral_at_optimum[n.index(np.arange(n.size))] = True
        integral_at_optimum[q.index(np.arange(q.size))] = True
    problem = MatrixProblem(
        objective=obj, matrix=matrix, row_lower=row_lower, row_upper=row_upper,
        col_lower=col_lower, col_upper=col_upper, integrality=integrality,
        sense=sense, name=scenario.name, metadata={"integral_at_optimum": integral_at_optimum},
    )
    stats = {
        "mode": mode,
        "objective": objective,
        "demand_units": int(len(inputs.demand)),
        "sites": int(n_sites),
        "candidate_pairs": int(n_pairs),
        "pairs_reaching_nobody_new_dropped": stats_dropped,
        "converted_site_variables": int(len(open_site)),
        "sharing_variables": int(n_z),
        "coverage_rows": {nm: int(c.n_groups) for nm, c in cov.items()},
        "units_considered": {nm: int(c.n_units_considered) for nm, c in cov.items()},
        "assignment_variables": int(w.size),
        "requirement_rows": len(targets),
        "not_built_separately_rows": len(r6),
        "variables": int(n_cols),
        "integer_variables": int(integrality.sum()),
        "rows": int(problem.n_rows),
        "nonzeros": int(problem.matrix.nnz),
        "aggregate_demand": scenario.model.aggregate_demand,
        "build_seconds": round(time.perf_counter() - t0, 3),
    }
    log.info("model (%s, %s): %d variables (%d integer), %d rows, %d nonzeros", mode, objective,
             stats["variables"], stats["integer_variables"], stats["rows"], stats["nonzeros"])
    return PlanningModel(
        problem=problem, mode=mode, objective=objective, functions=names, pair_site=pair_site,
        pair_function=pair_fn, pair_area=pair_area, pair_cost=pair_cost, pair_fixed=pair_fixed,
        pair_rate=pair_rate, open_site=open_site, site_conversion_cost=site_cost_all[open_site],
        share_site=sh_site, share_group=sh_group, share_area_saving=sh_area_saving,
        share_cost_saving=sh_cost_saving, share_members=sh_members, coverage=cov,
        x=x, o=o, z=z, y=y, a=a, w=w, sc=sc, sa=sa, n=n, q=q, slack=slack, w_row=w_row, w_pair=w_pair,
        y_offsets=y_offsets, targets=targets, row_blocks=spans, stats=stats, cut_pool=cut_pool,
    )
