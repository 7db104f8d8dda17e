"""Assemble the planning model: inputs + reach + scenario -> one sparse MILP.

Everything is built from arrays, never a dense demand x site matrix. The assembler only
gathers; each rule family lives in its own module and states its rule there:

- :mod:`~optimizer.model.candidates`: candidate pairs and demand rows, the exact drop of
  pairs that reach nobody new;
- :mod:`~optimizer.model.variables`: the variable blocks ``x, o, z, y, a, w, sc, sa, n,
  q, slack`` (their meaning is documented there), bounds and integrality;
  :func:`~optimizer.model.decisions.define_forced_bounds`: forced decisions (rule 8);
- rows, in model order: :mod:`~optimizer.model.capacity` (rule 4, capacitated mode) or
  :mod:`~optimizer.model.coverage` (coverage mode), :mod:`~optimizer.model.conversion`,
  :mod:`~optimizer.model.sharing` (rule 5), :mod:`~optimizer.model.space` (rule 2),
  :mod:`~optimizer.model.budget` (rule 1), :mod:`~optimizer.model.not_built_separately`
  (rule 6), :mod:`~optimizer.model.requirements` (rule 7), :mod:`~optimizer.model.complexes`
  (multi-function complexes, 渝邻汇);
- :mod:`~optimizer.model.objective`: ``max_coverage``, ``least_cost``, ``min_shortfall``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from optimizer.inputs.types import Inputs
from optimizer.model.blocks import RowBlock, VariableBlock, stack_rows
from optimizer.model.budget import define_budget_rows
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.model.candidates import define_candidates
from optimizer.model.capacity import define_capacity_rows, no_cuts
from optimizer.model.complexes import (
    ComplexSites,
    chosen_complexes,
    complex_sites,
    define_complex_area_rows,
    define_complex_choice_rows,
    define_complex_core_rows,
    define_complex_function_rows,
    no_complexes,
)
from optimizer.model.conversion import define_conversion_rows
from optimizer.model.coverage import CoverageRows, define_coverage_rows
from optimizer.model.decisions import ForcedDecisions, define_forced_bounds
from optimizer.model.money import (
    ChannelArcs,
    channel_arcs,
    define_channel_rows,
    define_public_money_rows,
    public_yearly_terms,
)
from optimizer.model.not_built_separately import define_not_built_separately_rows, together_links
from optimizer.model.objective import define_objective
from optimizer.model.requirements import define_requirement_rows
from optimizer.model.sharing import define_sharing_rows, define_sharing_savings, sharing_sites
from optimizer.model.site_terms import site_area_terms, site_cost_terms
from optimizer.model.space import define_space_rows
from optimizer.model.variables import define_variables
from optimizer.reach.types import Reach
from optimizer.rules.eligibility import eligibility_matrix
from optimizer.rules.existing import ExistingService, site_circles, unit_circles
from optimizer.rules.requirements import RequirementTarget, requirement_targets
from optimizer.rules.together import group_pairs
from optimizer.scenario import Scenario
from solvers.problem import MatrixProblem

log = logging.getLogger(__name__)


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
    x, o, z, y, a, w, sc, sa, n, q, slack, m
        Variable blocks (empty where the mode does not use them), the formulation's
        symbols; :mod:`optimizer.model.variables` states what each means.
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
    arcs
        The funding channel arcs of ``m`` (:mod:`optimizer.model.money`).
    k, complexes
        The complex variables (渝邻汇) and the (site, type) of each.
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
    m: VariableBlock
    arcs: ChannelArcs
    w_row: np.ndarray
    w_pair: np.ndarray
    y_offsets: dict[str, int]
    targets: list[RequirementTarget]
    row_blocks: list[tuple[str, int, int]]
    stats: dict = field(default_factory=dict)
    cut_pool: tuple[np.ndarray, np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64),
                                                           np.zeros(0))
    k: VariableBlock = field(default_factory=lambda: VariableBlock("k", 0, 0))
    complexes: ComplexSites = field(default_factory=no_complexes)

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

    def complexes_chosen(self, values: np.ndarray) -> dict[int, str]:
        """Site row -> the complex (渝邻汇) ``values`` choose there."""
        return chosen_complexes(self.complexes, values[self.k.start:self.k.stop])

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
        complex_saving = float(self.complexes.saving @ np.round(values[self.k.start:self.k.stop]))
        if self.mode == "capacitated":
            av = values[self.a.start:self.a.stop]
            scv = values[self.sc.start:self.sc.stop] * MONEY_UNIT
            return float(self.pair_fixed @ xv + self.pair_rate @ av + self.site_conversion_cost @ ov - scv.sum()
                         - complex_saving)
        return float(self.pair_cost @ xv + self.site_conversion_cost @ ov - self.share_cost_saving @ zv
                     - complex_saving)

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

    Gather candidates -> define variables -> define each rule family's rows -> stack ->
    objective.

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

    Returns
    -------
    PlanningModel
    """
    t0 = time.perf_counter()
    objective = objective or scenario.model_objective
    mode = scenario.model.mode
    capacitated = mode == "capacitated"
    soft = objective == "min_shortfall"
    sites = inputs.sites
    names = scenario.function_names
    eligible = forced.restrict(eligibility_matrix(sites, scenario.functions), names)
    site_circle = site_circles(inputs)
    unit_circle = unit_circles(inputs)
    _, unit_circle_code = np.unique(unit_circle, return_inverse=True)
    targets = [t for t in requirement_targets(inputs, scenario, existing) if t.need > 0]
    pairs_of_groups = group_pairs(scenario) if scenario.sharing.not_built_separately else []

    candidates = define_candidates(
        inputs, reach_sites, scenario, forced, existing, eligible, site_circle=site_circle,
        unit_circle_code=unit_circle_code,
        # rule 7's shares and objective fair count people per life circle: keep circles apart
        share_functions={t.function for t in targets if t.kind == "share"} | (
            set(names) if scenario.objective == "fair" else set()),
        capacity_need={(t.function, t.circle) for t in targets if t.kind == "per_1000"},
        pairs_of_groups=pairs_of_groups)
    sharing = sharing_sites(scenario, candidates)
    links = together_links(scenario, candidates, sharing, site_circle, pairs_of_groups)
    arcs = channel_arcs(scenario)
    cx = complex_sites(scenario, candidates, sharing, sites, capacitated)
    v = define_variables(names, candidates, sharing, links, len(targets), capacitated=capacitated, soft=soft,
                         n_channel_arcs=arcs.size, complexes=cx)
    define_forced_bounds(forced, names, len(sites), candidates.pair_site, candidates.pair_function,
                         candidates.site_position, v.x, v.o, v.col_lower)
    cost_terms = site_cost_terms(candidates, sharing, capacitated, v.x, v.o, v.z, v.a, v.sc, cx, v.k)
    area_terms = site_area_terms(candidates, sharing, capacitated, v.x, v.z, v.a, v.sa, cx, v.k)

    blocks: list[RowBlock] = []
    cut_pool = no_cuts()
    if capacitated:
        capacity_rows, cut_pool = define_capacity_rows(candidates, scenario, v.x, v.a, v.w, v.w_row, v.w_pair,
                                                       v.row_people)
        blocks += capacity_rows
    else:
        blocks += define_coverage_rows(candidates.coverage, names, candidates.pair_function, v.x, v.y, v.y_offsets)
    blocks += define_conversion_rows(candidates, v.x, v.o)
    blocks += define_sharing_rows(sharing, v.x, v.z)
    if capacitated:
        blocks += define_sharing_savings(sharing, candidates, v.x, v.a, v.z, v.sc, v.sa)
    blocks += define_space_rows(area_terms, sites, candidates.open_site, candidates.site_position)
    blocks += define_budget_rows(cost_terms, sites, scenario, objective)
    if scenario.budget.bounds_public_money:
        yearly_terms = public_yearly_terms(candidates, area_terms, sites, scenario, capacitated, v.x, v.a)
        blocks += define_public_money_rows(cost_terms, yearly_terms, scenario, objective)
    blocks += define_channel_rows(arcs, v.m, cost_terms, candidates, scenario, v.x, v.a, capacitated)
    blocks += define_not_built_separately_rows(links, candidates, site_circle, v.x, v.z, v.n, v.q)
    blocks += define_requirement_rows(targets, candidates, scenario, capacitated, unit_circle, site_circle,
                                      x=v.x, y=v.y, a=v.a, w=v.w, slack=v.slack, w_row=v.w_row,
                                      y_offsets=v.y_offsets, soft=soft)
    blocks += define_complex_choice_rows(cx, candidates, v.o, v.k)
    blocks += define_complex_function_rows(cx, v.x, v.k)
    blocks += define_complex_core_rows(cx, v.x, v.k)
    blocks += define_complex_area_rows(cx, candidates, sharing, capacitated, v.x, v.z, v.a, v.sa, v.k)

    matrix, row_lower, row_upper, spans = stack_rows(blocks, v.n_cols)
    obj, sense = define_objective(objective, v, candidates.coverage, scenario, cost_terms, targets, capacitated)
    problem = MatrixProblem(
        objective=obj, matrix=matrix, row_lower=row_lower, row_upper=row_upper,
        col_lower=v.col_lower, col_upper=v.col_upper, integrality=v.integrality,
        sense=sense, name=scenario.name, metadata={"integral_at_optimum": v.integral_at_optimum(capacitated)},
    )
    cov = candidates.coverage
    stats = {
        "mode": mode,
        "objective": objective,
        "demand_units": int(len(inputs.demand)),
        "sites": int(len(sites)),
        "candidate_pairs": int(candidates.n_pairs),
        "pairs_reaching_nobody_new_dropped": candidates.dropped,
        "converted_site_variables": int(len(candidates.open_site)),
        "sharing_variables": int(sharing.size),
        "coverage_rows": {nm: int(c.n_groups) for nm, c in cov.items()},
        "units_considered": {nm: int(c.n_units_considered) for nm, c in cov.items()},
        "assignment_variables": int(v.w.size),
        "requirement_rows": len(targets),
        "not_built_separately_rows": len(links.rows),
        "variables": int(v.n_cols),
        "integer_variables": int(v.integrality.sum()),
        "rows": int(problem.n_rows),
        "nonzeros": int(problem.matrix.nnz),
        "aggregate_demand": scenario.model.aggregate_demand,
        "build_seconds": round(time.perf_counter() - t0, 3),
    }
    if arcs.size:
        stats["funding_channel_variables"] = int(arcs.size)
    if scenario.complexes:
        stats["complex_variables"] = int(cx.size)
    log.info("model (%s, %s): %d variables (%d integer), %d rows, %d nonzeros", mode, objective,
             stats["variables"], stats["integer_variables"], stats["rows"], stats["nonzeros"])
    return PlanningModel(
        problem=problem, mode=mode, objective=objective, functions=names, pair_site=candidates.pair_site,
        pair_function=candidates.pair_function, pair_area=candidates.pair_area, pair_cost=candidates.pair_cost,
        pair_fixed=candidates.pair_fixed, pair_rate=candidates.pair_rate, open_site=candidates.open_site,
        site_conversion_cost=candidates.site_conversion_cost[candidates.open_site], share_site=sharing.site,
        share_group=sharing.group, share_area_saving=sharing.area_saving, share_cost_saving=sharing.cost_saving,
        share_members=sharing.members, coverage=cov, x=v.x, o=v.o, z=v.z, y=v.y, a=v.a, w=v.w, sc=v.sc, sa=v.sa,
        n=v.n, q=v.q, slack=v.slack, m=v.m, arcs=arcs, w_row=v.w_row, w_pair=v.w_pair, y_offsets=v.y_offsets,
        targets=targets, row_blocks=spans, stats=stats, cut_pool=cut_pool, k=v.k, complexes=cx,
    )
