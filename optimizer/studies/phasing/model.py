"""The multi-year model, built from the single-year model's arrays.

With ``v_t`` the single-year columns in year ``t`` (``x`` a function provided at a site,
``o`` a site converted, ``z`` a sharing group complete, ``y`` the share of a demand row
covered, rule 6's ``n``/``q``), read "by the end of year t":

- every single-year row except the budgets holds in every year (coverage
  ``y_t <= sum of x_t reaching the row``, sites, sharing, space); rules 6 and 7 hold in
  the last year (requirements must be met by the end of the horizon);
- ``x`` and ``o`` are monotone: ``x_t <= x_{t+1}``, ``o_t <= o_{t+1}`` (a project opens
  once and keeps serving; ``z`` follows its members);
- availability: ``x``, ``o``, ``z`` of a site are 0 in years before it is available;
- spending in year t is ``c . (v_t - v_{t-1})`` with ``c`` the single-year cost
  coefficients: a site's conversion cost in the year it is first converted, a
  function's cost in the year it opens, a group's saving in the year it completes;
  without carry-over it is at most that year's budget, with carry-over the spending up
  to year t (``c . v_t``) is at most the budgets up to t; ``budget.total`` and
  ``budget.by_district`` bound the whole horizon's spending;
- forced decisions (rule 8) hold by the last year;
- multi-function complexes (渝邻汇, ``k``) are not phased yet: their columns are fixed at 0,
  so a phased plan takes no complex saving (the run says so);
- objective ``sum_t w_t (coverage objective . y_t)``;
- milestones (:mod:`optimizer.studies.phasing.milestones`): binaries ``m[c,t]`` after all
  year columns, each requirement target row of circle ``c`` at year ``t`` scaled by
  ``m[c,t]`` (``achieved_by_t - need x m[c,t] >= 0``), and ``sum_c m[c,t] >= count - circles
  already at standard``.

Blocks are replicated with ``scipy.sparse.kron``; no per-element Python loops.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.model.budget_space import MONEY_UNIT
from optimizer.model.build import PlanningModel
from optimizer.studies.phasing.horizon import Horizon
from optimizer.studies.phasing.milestones import Milestones, target_rows
from solvers.problem import MatrixProblem, Sense

log = logging.getLogger(__name__)

#: Single-year rule families that must hold only by the last year.
LAST_YEAR_RULES = ("not built separately (rule 6)", "newly provided in a life circle", "what must exist (rule 7)")


@dataclass(frozen=True)
class PhasedModel:
    """The multi-year model and what reading its solution back needs.

    Attributes
    ----------
    base
        The single-year model; its blocks index one year's columns.
    problem
        The multi-year matrix problem (year ``t``'s columns at ``t * n_year_cols``).
    horizon
        Years, budgets, weights, availability.
    cost
        Yuan per single-year column (conversion, function costs, minus sharing savings).
    row_blocks
        ``(rule, first row, stop row)`` of each row family.
    stats
        Sizes and build time.
    milestones
        The milestones, or ``None``; their binaries ``m[c,t]`` follow the year columns, milestone
        by milestone, circle by circle (``milestones.needing``).
    milestone_count_rows
        Row of each milestone's count (``sum_c m[c,t] >= count - already``).
    """

    base: PlanningModel
    problem: MatrixProblem
    horizon: Horizon
    cost: np.ndarray
    row_blocks: list[tuple[str, int, int]]
    stats: dict
    milestones: Milestones | None = None
    milestone_count_rows: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def milestone_columns(self, j: int) -> np.ndarray:
        """Columns of ``m[c, t]`` of milestone ``j``, one per circle of ``milestones.needing``."""
        c = len(self.milestones.needing) if self.milestones else 0
        start = len(self.horizon.years) * self.n_year_cols + j * c
        return np.arange(start, start + c)

    @property
    def n_year_cols(self) -> int:
        """Columns of one year (the single-year model's)."""
        return self.base.problem.n_cols

    def year_values(self, values: np.ndarray, t: int) -> np.ndarray:
        """Year ``t``'s (position in the horizon) single-year values."""
        n = self.n_year_cols
        return values[t * n:(t + 1) * n]

    def spend(self, values: np.ndarray) -> np.ndarray:
        """The model's spending per year at ``values`` (yuan), integral columns rounded."""
        T = len(self.horizon.years)
        n = self.n_year_cols
        if n == 0:
            return np.zeros(T)
        v = np.round(values[:T * n].reshape(T, n)) * (self.cost != 0)
        cumulative = v @ self.cost
        return np.diff(np.concatenate([[0.0], cumulative]))

    def as_planning_model(self) -> PlanningModel:
        """The single-year model carrying this problem, for :func:`optimizer.solving.solve`."""
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return dataclasses.replace(self.base, problem=self.problem, cut_pool=empty, stats=self.stats)


def column_costs(model: PlanningModel) -> np.ndarray:
    """Yuan per column of the single-year coverage model: the budget expression's coefficients."""
    c = np.zeros(model.problem.n_cols)
    c[model.x.start:model.x.stop] = model.pair_cost
    c[model.o.start:model.o.stop] = model.site_conversion_cost
    c[model.z.start:model.z.stop] = -model.share_cost_saving
    return c


def column_sites(model: PlanningModel) -> np.ndarray:
    """Site row owning each column (``x``, ``o``, ``z``); -1 for the others."""
    s = np.full(model.problem.n_cols, -1, dtype=np.int64)
    s[model.x.start:model.x.stop] = model.pair_site
    s[model.o.start:model.o.stop] = model.open_site
    s[model.z.start:model.z.stop] = model.share_site
    return s


def _rule_mask(model: PlanningModel, wanted) -> np.ndarray:
    mask = np.zeros(model.problem.n_rows, dtype=bool)
    for rule, start, stop in model.row_blocks:
        if wanted(rule):
            mask[start:stop] = True
    return mask


def build_phased_model(model: PlanningModel, horizon: Horizon, district: np.ndarray,
                       milestones: Milestones | None = None) -> PhasedModel:
    """The multi-year model of ``horizon`` from the single-year coverage ``model``.

    Parameters
    ----------
    model
        The single-year model (coverage mode, max_coverage) of the scenario.
    horizon
        Years, budgets, weights and site availability.
    district
        District of each site row (for ``budget.by_district``).
    milestones
        Life circles to bring to their standard by given years, or ``None``.
    """
    t0 = time.perf_counter()
    p = model.problem
    n, T = p.n_cols, len(horizon.years)
    A = sp.csr_matrix(p.matrix)
    budget_rows = _rule_mask(model, lambda r: r.startswith("budget"))
    last_rows = _rule_mask(model, lambda r: r in LAST_YEAR_RULES)
    every_rows = ~budget_rows & ~last_rows
    blocks: list[tuple[str, sp.csr_matrix, np.ndarray, np.ndarray]] = []
    eye = sp.identity(T, format="csr")
    # the single-year rows, every year
    for rule, start, stop in model.row_blocks:
        keep = np.flatnonzero(every_rows[start:stop]) + start
        if keep.size:
            blocks.append((rule, sp.kron(eye, A[keep], format="csr"), np.tile(p.row_lower[keep], T),
                           np.tile(p.row_upper[keep], T)))
    # rules 6 and 7 by the last year
    last_sel = sp.csr_matrix(([1.0], ([0], [T - 1])), shape=(1, T))
    for rule, start, stop in model.row_blocks:
        keep = np.flatnonzero(last_rows[start:stop]) + start
        if keep.size:
            blocks.append((rule + ", by the last year", sp.kron(last_sel, A[keep], format="csr"),
                           p.row_lower[keep], p.row_upper[keep]))
    # a project opens once and keeps serving: x_t - x_{t+1} <= 0, o likewise
    if T > 1:
        mono_cols = np.concatenate([np.arange(model.x.start, model.x.stop), np.arange(model.o.start, model.o.stop)])
        if mono_cols.size:
            pick = sp.csr_matrix((np.ones(mono_cols.size), (np.arange(mono_cols.size), mono_cols)),
                                 shape=(mono_cols.size, n))
            diff = sp.diags([np.ones(T - 1), -np.ones(T - 1)], [0, 1], shape=(T - 1, T), format="csr")
            rows = sp.kron(diff, pick, format="csr")
            blocks.append(("opens once and keeps serving", rows, np.full(rows.shape[0], -np.inf),
                           np.zeros(rows.shape[0])))
    # money, in units of MONEY_UNIT
    cost = column_costs(model)
    c_row = sp.csr_matrix(cost / MONEY_UNIT)
    if horizon.carry_over:  # spending up to year t within the budgets up to t
        rows = sp.kron(eye, c_row, format="csr")
        upper = np.cumsum(horizon.budgets) / MONEY_UNIT
        blocks.append(("budget per year, with carry-over (rule 1)", rows, np.full(T, -np.inf), upper))
    else:  # spending in year t: c . (v_t - v_{t-1})
        step = eye if T == 1 else sp.diags([np.ones(T), -np.ones(T - 1)], [0, -1], shape=(T, T), format="csr")
        rows = sp.kron(step, c_row, format="csr")
        blocks.append(("budget per year (rule 1)", rows, np.full(T, -np.inf), horizon.budgets / MONEY_UNIT))
    owner = column_sites(model)
    scopes = []
    if horizon.total is not None:
        scopes.append(("budget over the horizon (whole scenario)", horizon.total, owner >= 0))
    for dname, amount in horizon.by_district.items():
        in_d = np.zeros(n, dtype=bool)
        in_d[owner >= 0] = district[owner[owner >= 0]] == dname
        scopes.append((f"budget over the horizon (district {dname})", amount, in_d))
    for rule, amount, mask in scopes:
        blocks.append((rule, sp.kron(last_sel, sp.csr_matrix(np.where(mask, cost, 0.0) / MONEY_UNIT), format="csr"),
                       np.array([-np.inf]), np.array([float(amount) / MONEY_UNIT])))
    n_m = len(milestones.years) * len(milestones.needing) if milestones else 0
    if n_m:
        blocks = [(rule, sp.hstack([rows, sp.csr_matrix((rows.shape[0], n_m))], format="csr"), lo, up)
                  for rule, rows, lo, up in blocks]
        blocks += _milestone_blocks(model, horizon, milestones)
    matrix = sp.vstack([b[1] for b in blocks], format="csr") if blocks else sp.csr_matrix((0, n * T + n_m))
    spans, at = [], 0
    for rule, rows, _, _ in blocks:
        spans.append((rule, at, at + rows.shape[0]))
        at += rows.shape[0]
    row_lower = np.concatenate([b[2] for b in blocks]) if blocks else np.zeros(0)
    row_upper = np.concatenate([b[3] for b in blocks]) if blocks else np.zeros(0)
    # bounds: forced decisions by the last year; nothing at a site before it is available
    col_lower = np.tile(p.col_lower, T)
    col_upper = np.tile(p.col_upper, T)
    site_cols = owner >= 0
    for t, year in enumerate(horizon.years):
        sl = slice(t * n, (t + 1) * n)
        if t < T - 1:
            col_lower[sl][site_cols] = 0.0
        closed = site_cols.copy()
        closed[site_cols] = horizon.available_from[owner[site_cols]] > year
        col_upper[sl][closed] = 0.0
        col_lower[sl][closed] = 0.0
        col_upper[sl][model.k.start:model.k.stop] = 0.0  # complexes are not phased yet
    objective = np.concatenate([w * p.objective for w in horizon.weights] + [np.zeros(n_m)])
    integrality = np.concatenate([np.tile(p.integrality, T), np.ones(n_m, dtype=p.integrality.dtype)])
    col_lower = np.concatenate([col_lower, np.zeros(n_m)])
    col_upper = np.concatenate([col_upper, np.ones(n_m)])
    metadata = dict(p.metadata)
    if "integral_at_optimum" in metadata:
        metadata["integral_at_optimum"] = np.concatenate([np.tile(metadata["integral_at_optimum"], T),
                                                          np.ones(n_m, dtype=bool)])
    problem = MatrixProblem(objective=objective, matrix=matrix, row_lower=row_lower, row_upper=row_upper,
                            col_lower=col_lower, col_upper=col_upper, integrality=integrality,
                            sense=Sense.MAXIMIZE, name=f"{p.name}-{horizon.label}", metadata=metadata)
    stats = {
        "single_year": model.stats,
        "years": list(horizon.years),
        "variables": int(problem.n_cols),
        "integer_variables": int(integrality.sum()),
        "rows": int(problem.n_rows),
        "milestone_variables": n_m,
        "nonzeros": int(matrix.nnz),
        "build_seconds": round(time.perf_counter() - t0, 3),
    }
    log.info("multi-year model (%d years): %d variables (%d integer), %d rows, %d nonzeros", T,
             stats["variables"], stats["integer_variables"], stats["rows"], stats["nonzeros"])
    counts = next((np.arange(a, b) for rule, a, b in spans if rule == COUNT_RULE), np.zeros(0, dtype=np.int64))
    return PhasedModel(model, problem, horizon, cost, spans, stats, milestones if milestones else None, counts)


#: The row family of the milestone counts.
COUNT_RULE = "milestones: life circles at their standard by the year"


def _milestone_blocks(model: PlanningModel, horizon: Horizon, ms: Milestones):
    """Target rows scaled by ``m[c,t]`` per milestone year, and the counts."""
    p = model.problem
    n, T = p.n_cols, len(horizon.years)
    C, J = len(ms.needing), len(ms.years)
    rows_k = target_rows(model)
    A_k = sp.csr_matrix(p.matrix)[rows_k]
    need = p.row_lower[rows_k]
    circle_index = {c: i for i, c in enumerate(ms.needing)}
    ci = np.array([circle_index[t.circle] for t in model.targets], dtype=np.int64)
    K = len(rows_k)
    linking, counts = [], []
    for j, year in enumerate(ms.years):
        sel = sp.csr_matrix(([1.0], ([0], [horizon.years.index(year)])), shape=(1, T))
        m_part = sp.csr_matrix((-need, (np.arange(K), j * C + ci)), shape=(K, J * C))
        linking.append(sp.hstack([sp.kron(sel, A_k), m_part], format="csr"))
        counts.append(sp.hstack([sp.csr_matrix((1, n * T)),
                                 sp.csr_matrix((np.ones(C), (np.zeros(C, dtype=np.int64), j * C + np.arange(C))),
                                               shape=(1, J * C))], format="csr"))
    lower = np.array([c - ms.already for c in ms.counts], dtype=float)
    return [("milestones: a circle at its standard by the year meets every target (rule 7)",
             sp.vstack(linking, format="csr"), np.zeros(K * J), np.full(K * J, np.inf)),
            (COUNT_RULE, sp.vstack(counts, format="csr"), lower, np.full(J, np.inf))]
