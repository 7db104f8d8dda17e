"""Each year alone: an upper bound on a multi-year plan, and the year-by-year plan.

**A year alone.** Whatever the plan does in the years before, what it has open by the end
of year ``t`` was paid for with the money of years ``1..t``: summing the yearly budget rows
up to ``t`` gives "spending up to year t (``c . v_t``) at most the budgets up to t" (the
row itself with carry-over). The *year alone* keeps exactly that row and every row of the
multi-year model over year ``t``'s columns only (coverage, sites, sharing, space, the
availability and forced bounds of year ``t``; in the last year also rules 6 and 7 and the
horizon's total and district ceilings) and drops the rows linking years (a project
opens once and keeps serving, the yearly budgets, milestones). It is a relaxation of
year ``t``'s part of the multi-year model, so with ``U_t`` a proven upper bound of its
coverage (its optimum, or a solver's bound on it) the multi-year optimum is at most
``sum_t w_t U_t``: the **yearly bound**.

On the three-year demo the yearly bound is weaker than HiGHS's own root bound
(256.61 against about 253.5), because the optima of the years alone are not nested (the
best plan for 30 M yuan is not part of the best plan for 60 M); see
``benchmarks/phasing.md``.

**The year-by-year plan** (rolling horizon): year 1 alone at its best, then year 2 at its
best keeping year 1's projects and spending at most year 2's money on top of what was
spent, and so on. It keeps every rule of the multi-year model except milestones and is a
feasible start (a lower bound), never a proof.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.model.budget_space import MONEY_UNIT
from optimizer.scenario import Scenario
from optimizer.studies.phasing.model import PhasedModel
from solvers.problem import MatrixProblem
from solvers.result import SolveResult

log = logging.getLogger(__name__)

#: Row family added to the multi-year model by :func:`with_yearly_bounds`.
YEARLY_BOUND_RULE = "coverage by the end of each year at most its year alone's bound"


@dataclass(frozen=True)
class YearlyBounds:
    """Proven upper bounds of each year alone, and what they sum to.

    Attributes
    ----------
    bounds
        Per year, an upper bound of the coverage by its end (single-year objective units,
        unweighted): the year alone's optimum or its solver's bound.
    proven
        Per year, whether the year alone was solved to a proven optimum.
    plans
        Per year, the year alone's best plan (its single-year values), or ``None``.
    weights
        The years' weights (``horizon.weights``).
    seconds
        Time spent solving the years alone.
    """

    bounds: np.ndarray
    proven: np.ndarray
    plans: tuple[np.ndarray | None, ...]
    weights: np.ndarray
    seconds: float

    @property
    def total(self) -> float:
        """The yearly bound: ``sum_t w_t U_t``, at least the multi-year optimum."""
        return float(self.weights @ self.bounds)


def _rows_of_year(model: PhasedModel, t: int) -> np.ndarray:
    """Rows of the multi-year model over year ``t``'s columns only (and over at least one of them)."""
    a = sp.csc_matrix(model.problem.matrix)
    n = model.n_year_cols
    inside = np.zeros(a.shape[1], dtype=bool)
    inside[t * n:(t + 1) * n] = True
    touches_in = np.asarray((a[:, inside] != 0).sum(axis=1)).ravel() > 0
    touches_out = np.asarray((a[:, ~inside] != 0).sum(axis=1)).ravel() > 0
    return np.flatnonzero(touches_in & ~touches_out)


def money_up_to(model: PhasedModel, t: int) -> float:
    """Yuan that may be spent up to the end of year ``t`` (the budgets of years ``1..t``)."""
    return float(np.cumsum(model.horizon.budgets)[t])


def year_alone(model: PhasedModel, t: int, before: np.ndarray | None = None) -> MatrixProblem:
    """Year ``t`` alone: its rows, its bounds, and spending up to ``t`` within the money up to ``t``.

    Parameters
    ----------
    model
        The multi-year model.
    t
        The year's position in the horizon.
    before
        The single-year values of year ``t - 1`` to keep (the year-by-year plan): every
        project open then stays open, and year ``t`` spends at most its own budget on top
        of what those projects cost (with carry-over: at most the money up to ``t`` in all).
        ``None``: year ``t`` alone, unconstrained by earlier years (a relaxation).

    Returns
    -------
    MatrixProblem
        A single-year problem (one year's columns) with the base objective, unweighted.
    """
    p = model.problem
    n = model.n_year_cols
    cols = slice(t * n, (t + 1) * n)
    rows = _rows_of_year(model, t)
    a = sp.csr_matrix(p.matrix)[rows][:, cols]
    cost = model.cost / MONEY_UNIT
    limit = money_up_to(model, t)
    col_lower = p.col_lower[cols].copy()
    if before is not None:
        kept = np.round(before) * (model.cost != 0)
        if not model.horizon.carry_over:
            limit = float(kept @ model.cost) + float(model.horizon.budgets[t])
        base = model.base
        for block in (base.x, base.o):
            idx = slice(block.start, block.stop)
            col_lower[idx] = np.maximum(col_lower[idx], np.round(before[idx]))
    matrix = sp.vstack([a, sp.csr_matrix(cost)], format="csr")
    return dataclasses.replace(
        p, objective=model.base.problem.objective.copy(), matrix=matrix,
        row_lower=np.concatenate([p.row_lower[rows], [-np.inf]]),
        row_upper=np.concatenate([p.row_upper[rows], [limit / MONEY_UNIT]]),
        col_lower=col_lower, col_upper=p.col_upper[cols].copy(), integrality=p.integrality[cols].copy(),
        start=None, metadata={}, name=f"{p.name}-year-{model.horizon.years[t]}-alone")


def _solve_year(model: PhasedModel, problem: MatrixProblem, scenario: Scenario, seconds: float,
                start: np.ndarray) -> SolveResult:
    """``problem`` (one year's columns) solved by the scenario's solver within ``seconds``."""
    from optimizer.solving import solve

    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    one_year = dataclasses.replace(model.base, problem=problem, cut_pool=empty)
    limited = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, time_limit_s=seconds))
    return solve(one_year, limited, start=np.clip(start, problem.col_lower, problem.col_upper))


def yearly_bounds(model: PhasedModel, scenario: Scenario, seconds_each: float) -> YearlyBounds:
    """Each year alone solved (at most ``seconds_each`` each): the yearly bound and each year's best plan.

    A year alone stopped by its limit contributes its solver's bound (still an upper bound);
    one whose solver gives no bound contributes its LP-free worst case, the sum of its
    objective's positive coefficients.
    """
    t0 = time.perf_counter()
    T = len(model.horizon.years)
    bounds, proven, plans = np.zeros(T), np.zeros(T, dtype=bool), []
    for t in range(T):
        problem = year_alone(model, t)
        result = _solve_year(model, problem, scenario, seconds_each, np.zeros(problem.n_cols))
        worst = float(np.clip(problem.objective, 0.0, None) @ problem.col_upper)
        bounds[t] = result.bound if result.bound is not None and np.isfinite(result.bound) else worst
        proven[t] = result.proven_optimal
        plans.append(result.values)
        log.info("year %d alone: best %s, bound %.10g%s", model.horizon.years[t], result.objective, bounds[t],
                 "" if proven[t] else " (not proven)")
    return YearlyBounds(bounds, proven, tuple(plans), model.horizon.weights.copy(), time.perf_counter() - t0)


def year_by_year_plan(model: PhasedModel, scenario: Scenario, seconds_each: float,
                      first_year: np.ndarray | None = None) -> np.ndarray | None:
    """The year-by-year plan: each year at its best keeping the years before (multi-year values).

    ``first_year``: the first year alone's plan when already solved. ``None`` when a year
    finds no plan (e.g. requirements out of reach with the earlier years kept).
    """
    years: list[np.ndarray] = []
    for t in range(len(model.horizon.years)):
        if t == 0 and first_year is not None:
            years.append(np.asarray(first_year, dtype=float))
            continue
        before = years[-1] if years else None
        problem = year_alone(model, t, before)
        start = before if before is not None else np.zeros(problem.n_cols)
        result = _solve_year(model, problem, scenario, seconds_each, start)
        if result.values is None:
            log.info("year-by-year plan: no plan for %d", model.horizon.years[t])
            return None
        years.append(np.asarray(result.values, dtype=float))
    n_m = model.problem.n_cols - len(years) * model.n_year_cols
    return np.concatenate(years + [np.zeros(n_m)])


def with_yearly_bounds(model: PhasedModel, bounds: YearlyBounds) -> PhasedModel:
    """The multi-year model with one row per year: coverage by its end at most the year alone's bound."""
    p = model.problem
    T = len(model.horizon.years)
    rows = sp.kron(sp.identity(T, format="csr"), sp.csr_matrix(model.base.problem.objective), format="csr")
    rows = sp.hstack([rows, sp.csr_matrix((T, p.n_cols - rows.shape[1]))], format="csr")
    slack = 1e-9 * np.maximum(1.0, np.abs(bounds.bounds))
    problem = dataclasses.replace(p, matrix=sp.vstack([p.matrix, rows], format="csr"),
                                  row_lower=np.concatenate([p.row_lower, np.full(T, -np.inf)]),
                                  row_upper=np.concatenate([p.row_upper, bounds.bounds + slack]))
    spans = list(model.row_blocks) + [(YEARLY_BOUND_RULE, p.n_rows, p.n_rows + T)]
    return dataclasses.replace(model, problem=problem, row_blocks=spans)
