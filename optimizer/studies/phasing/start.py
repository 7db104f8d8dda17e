"""A start plan for the multi-year solve: the years alone, the year-by-year plan, and their sites phased exactly.

The exact solver of the multi-year model finds good plans late (the three-year demo: HiGHS's
first plans come from sub-MIP heuristics after its presolve and cuts) and without a plan it
cannot prune. This module hands it one, built in three steps, each a feasible plan of the
multi-year model or nothing:

1. **each year alone** (:func:`optimizer.studies.phasing.yearly.yearly_bounds`): the best plan
   for the money up to each year, and the yearly bound;
2. **the year-by-year plan** (:func:`optimizer.studies.phasing.yearly.year_by_year_plan`): each
   year at its best keeping the years before;
3. **their sites phased exactly**: the multi-year model itself with every site outside the
   union of the sites those plans use closed (its columns bounded to 0), solved by the
   scenario's solver from the year-by-year plan. A closed site only removes plans, so every plan
   of this restricted model keeps every row of the full one; it is a large neighbourhood of
   the year-by-year plan in which a project may move to another year, be swapped for one the
   years alone chose, be added or dropped, every move valued exactly by the model.

The start is the best of these plans, re-checked against every row, bound and integrality of
the full multi-year model (:func:`plan_keeps_every_row`); a plan that fails is never handed on.
The exact solver then returns nothing worse than it (:func:`solvers.base.keep_the_better_plan`).
None of this is a proof: the years alone only give the yearly bound, kept as a figure.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from optimizer.errors import SolverFailure
from optimizer.scenario import Scenario
from optimizer.studies.phasing import yearly
from optimizer.studies.phasing.model import PhasedModel, column_sites
from solvers.problem import MatrixProblem
from solvers.result import SolveStatus

log = logging.getLogger(__name__)

#: Share of the time limit each year alone (and each year of the year-by-year plan) may take.
YEAR_SHARE = 0.04
#: Share of the time limit the exact phasing of the plans' sites may take. Near idle the step ends
#: when its restricted model is solved (39 s of the three-year demo's 300 s limit, so the share does
#: not matter there); under load it is what finds the best plan: side by side at load 4.4 (2 busy
#: loops beside) 0.25 stopped at 252.6657 and 0.4 found 252.7352, the optimum, in 93.9 s; at load
#: 4.1 -> 6.9 (4 busy loops) 252.0417 against 252.7352 (120.1 s). Measured 2026-12-06, ``benchmarks/phasing.md``.
UNION_SHARE = 0.4
#: Largest row violation, and distance from an integer, accepted in a start plan.
START_TOL = 1e-6


@dataclass(frozen=True)
class StartPlan:
    """The start handed to the multi-year solve, where it comes from, and what each step found.

    Attributes
    ----------
    values
        The plan (multi-year columns), checked against every row of the multi-year model.
    value
        Its objective, recomputed from ``values``.
    source
        The step that found it ("year-by-year plan", "sites of the years alone phased exactly").
    steps
        Per step: what, the plan's value (or ``None``), seconds, and the step's own figures.
    yearly_bound
        The yearly bound (proven: each year alone's optimum or solver bound, weighted), or ``None``.
    seconds
        Time spent on all steps.
    first_year_alone
        The first year alone's best plan (single-year columns), or ``None``: where it and the start
        disagree, the multi-year solve may split (:func:`optimizer.studies.phasing.run.split_column`).
    """

    values: np.ndarray
    value: float
    source: str
    steps: list[dict] = field(default_factory=list)
    yearly_bound: float | None = None
    seconds: float = 0.0
    first_year_alone: np.ndarray | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        """JSON-ready figures (no values)."""
        return {"value": self.value, "source": self.source, "yearly_bound": self.yearly_bound,
                "seconds": round(self.seconds, 1), "steps": self.steps}


def plan_keeps_every_row(problem: MatrixProblem, values: np.ndarray | None, tol: float = START_TOL) -> bool:
    """True when ``values`` keeps every row and column bound of ``problem`` and is integral where it must be
    (:meth:`~solvers.problem.MatrixProblem.max_violation` measures all three)."""
    if values is None or values.shape != (problem.n_cols,) or not np.isfinite(values).all():
        return False
    return problem.max_violation(values) <= tol


def plan_sites(model: PhasedModel, year_values: np.ndarray) -> np.ndarray:
    """Site rows a single-year plan uses (a function provided there)."""
    base = model.base
    chosen = np.round(year_values[base.x.start:base.x.stop]) > 0.5
    return np.unique(base.pair_site[chosen])


def restricted_to_sites(model: PhasedModel, sites: np.ndarray) -> MatrixProblem:
    """The multi-year problem with every site outside ``sites`` closed in every year (its columns at 0)."""
    p = model.problem
    n, T = model.n_year_cols, len(model.horizon.years)
    owner = column_sites(model.base)
    closed = (owner >= 0) & ~np.isin(owner, sites)
    col_upper = p.col_upper.copy()
    col_lower = p.col_lower.copy()
    for t in range(T):
        col_upper[t * n:(t + 1) * n][closed] = 0.0
        col_lower[t * n:(t + 1) * n][closed] = np.minimum(col_lower[t * n:(t + 1) * n][closed], 0.0)
    return dataclasses.replace(p, col_upper=col_upper, col_lower=col_lower, start=None,
                               name=f"{p.name}-{len(sites)}-sites")


def phase_sites_exactly(model: PhasedModel, scenario: Scenario, sites: np.ndarray, seconds: float,
                        start: np.ndarray | None) -> tuple[np.ndarray | None, dict]:
    """The best multi-year plan using only ``sites``, by the scenario's solver within ``seconds``.

    Returns the plan (multi-year columns) or ``None``, and the step's figures (its status, value and bound:
    the bound holds for plans on these sites only, never for the full model).
    """
    from optimizer.solving import solve

    problem = restricted_to_sites(model, sites)
    limited = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, time_limit_s=seconds,
                                                                       log=False))
    if start is not None and not plan_keeps_every_row(problem, start):
        start = None
    try:
        result = solve(dataclasses.replace(model, problem=problem).as_planning_model(), limited, start=start)
    except SolverFailure as exc:
        log.info("phasing the plans' %d sites exactly: no plan (%s)", len(sites), exc)
        return None, {"sites": int(len(sites)), "status": "failed"}
    figures = {"sites": int(len(sites)), "status": result.status.value, "bound_on_these_sites": result.bound}
    if result.status is SolveStatus.INFEASIBLE or result.values is None:
        return None, figures
    return np.asarray(result.values, dtype=float), figures


def start_plan(model: PhasedModel, scenario: Scenario, limit_s: float) -> StartPlan | None:
    """The best start plan the three steps find within about ``(3 x 2 x YEAR_SHARE + UNION_SHARE) x limit_s``.

    Parameters
    ----------
    model
        The multi-year model (more than one year).
    scenario
        The scenario (its exact solver plans each step).
    limit_s
        The whole solve's time limit; each step takes its share of it.

    Returns
    -------
    StartPlan or None
        The best plan found that keeps every row of ``model``, or ``None`` when no step found one.
    """
    t0 = time.perf_counter()
    p = model.problem
    each = max(YEAR_SHARE * limit_s, 1.0)
    candidates: list[tuple[float, str, np.ndarray]] = []
    steps: list[dict] = []

    def consider(what: str, values: np.ndarray | None, since: float, **figures) -> None:
        value = float(p.objective_value(values)) if values is not None and plan_keeps_every_row(p, values) else None
        steps.append({"what": what, "value": value, "seconds": round(time.perf_counter() - since, 1), **figures})
        log.info("start plan, %s: %s (%.1f s)", what, "no plan keeping every row" if value is None
                 else f"{value:.10g}", time.perf_counter() - since)
        if value is not None and values is not None:
            candidates.append((value, what, values))

    s0 = time.perf_counter()
    alone = yearly.yearly_bounds(model, scenario, each)
    steps.append({"what": "each year alone", "bounds": alone.bounds.tolist(), "proven": alone.proven.tolist(),
                  "yearly_bound": alone.total, "seconds": round(time.perf_counter() - s0, 1)})
    s0 = time.perf_counter()
    first = alone.plans[0] if alone.plans and alone.plans[0] is not None else None
    yby = yearly.year_by_year_plan(model, scenario, each, first_year=first)
    consider("year-by-year plan", yby, s0)
    plans = [v for v in alone.plans if v is not None]
    if yby is not None:
        plans += [model.year_values(yby, t) for t in range(len(model.horizon.years))]
    if plans:
        sites = np.unique(np.concatenate([plan_sites(model, v) for v in plans]))
        s0 = time.perf_counter()
        best_so_far = max(candidates, key=lambda c: c[0])[2] if candidates else None
        values, figures = phase_sites_exactly(model, scenario, sites, max(UNION_SHARE * limit_s, 1.0), best_so_far)
        consider("sites of the years alone phased exactly", values, s0, **figures)
    if not candidates:
        return None
    value, source, values = max(candidates, key=lambda c: c[0])
    found = StartPlan(values, value, source, steps, alone.total, time.perf_counter() - t0, first)
    log.info("start plan: %.10g from the %s (%.1f s; yearly bound %.10g)", value, source, found.seconds, alone.total)
    return found
