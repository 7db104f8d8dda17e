"""The budget-coverage frontier: the best plan at each of a series of budgets.

Each budget is logged as it begins and ends, with about how long the rest will take
(:class:`optimizer.progress.PieceProgress`).

Budgets are solved in increasing order; each plan is a feasible start for the next
(more money never makes a plan infeasible), so every solve after the first is
warm-started. Reach is computed once and reused.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.errors import InfeasibleScenario
from optimizer.pipeline import Run, run_scenario, validate
from optimizer.plan import people_by_status
from optimizer.progress import PieceProgress
from optimizer.reach.cache import ReachCache
from optimizer.scenario import BudgetSpec, Scenario

log = logging.getLogger(__name__)


def budget_series(low: float, high: float, steps: int) -> list[float]:
    """``steps`` budgets from ``low`` to ``high``, evenly spaced."""
    if steps < 2:
        return [float(high)]
    return [float(b) for b in np.linspace(low, high, steps)]


def frontier(scenario: Scenario, budgets: list[float], *, reach_cache: ReachCache | None = None,
             progress: Callable[[int, int, float], None] | None = None) -> tuple[pd.DataFrame, list[Run]]:
    """Solve ``scenario`` at each budget (ascending), warm-starting each from the previous plan.

    Returns
    -------
    table, runs
        One row per budget: status, proven, objective, bound, gap, cost, sites, and per
        function the share of its cohort covered; and the runs (None where infeasible).
    """
    if not scenario.maximises_coverage:
        raise ValueError("the frontier varies the budget of a scenario that maximises coverage")
    inputs, _, _ = validate(scenario)
    rows, runs = [], []
    start = None
    pieces = PieceProgress("budget", len(budgets))
    for k, budget in enumerate(sorted(budgets)):
        name = f"{budget:,.0f} yuan"
        pieces.starting(k + 1, name)
        sc = dataclasses.replace(scenario, budget=BudgetSpec(total=float(budget),
                                                            by_district=scenario.budget.by_district))
        try:
            run = run_scenario(sc, inputs=inputs, reach_cache=reach_cache, start=start)
        except InfeasibleScenario as exc:
            rows.append({"budget": budget, "status": "infeasible", "proven_optimal": False,
                         "note": "; ".join(str(s) for s in exc.shortfalls)})
            runs.append(None)
            pieces.record("infeasible")
            continue
        pieces.record("proven" if run.result.proven_optimal else "not proven")
        r = run.result
        start = r.values
        row = {"budget": budget, "status": r.status.value, "proven_optimal": r.proven_optimal,
               "objective": r.objective, "bound": r.bound, "gap": r.gap, "cost": run.plan.total_cost,
               "sites": len(run.plan.sites),
               "shared_sites": sum(1 for p in run.plan.sites if p.costing.groups_applied),
               "solve_s": r.solve_seconds, "warm_start": bool(r.extra.get("start_passed", False))}
        table = people_by_status(run.inputs, sc, run.plan)
        for t in table.itertuples():
            row[f"{t.function}_covered_share"] = t.covered_share
        rows.append(row)
        runs.append(run)
        log.info("frontier: budget %.0f -> objective %.1f (%s)", budget, r.objective, r.status.value)
        if progress is not None:
            progress(k + 1, len(budgets), budget)
    return pd.DataFrame(rows), runs
