"""The price of fairness: how much total coverage each floor on the worst life circle costs.

Seed 003 asks to move "从总量均衡转向人均平衡" and to serve first the circles where supply and
demand clash most. Raising the worst circle can lower the total: this study states by how
much. The scenario's model is built once as for objective ``fair`` (demand rows kept apart
by life circle; the total is objective ``share``: percentage points of each function's
cohort newly covered, times its priority). Then:

1. the share optimum (no floor): its total ``T*`` and its worst circles' value ``L0``
   (:func:`optimizer.rules.fairness.fairness_value`: per function, priority x the worst
   circle's covered share, summed; or the worst share overall);
2. fair's stage 1 (:mod:`optimizer.model.worst_share`): the best worst-circle value ``L1``;
3. at each of N levels ``L`` from ``L0`` to ``L1``: the best total with the worst-circle
   value at least ``L`` (:meth:`WorstShareStage.with_floor`).

Levels are solved from the highest down: each plan keeps every lower floor, so it
warm-starts the next. A point is ``proven`` only when its solver proved it optimal; the
worst shares written are recomputed from each plan, not read from the solver.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.errors import InfeasibleScenario, ScenarioError
from optimizer.inputs.types import Inputs
from optimizer.model.worst_share import define_worst_share
from optimizer.pipeline import ModelSetup, prepare_model
from optimizer.plan import plan_from_solution
from optimizer.reach.cache import ReachCache
from optimizer.rules.fairness import circle_shares, fairness_value, worst_shares
from optimizer.scenario import Scenario
from optimizer.solving import solve
from solvers.result import SolveResult, SolveStatus

log = logging.getLogger(__name__)


def _worst(setup: ModelSetup, values: np.ndarray) -> tuple[dict[str, float], float]:
    """Each function's worst circle's covered share in the plan of ``values``, and the stage-1 measure."""
    n = setup.model.problem.n_cols
    plan = plan_from_solution(setup.model, np.asarray(values)[:n], setup.context)
    shares = circle_shares(setup.inputs, setup.scenario, plan.served_existing, plan.served_new)
    worst = worst_shares(shares)
    return worst, fairness_value(worst, setup.scenario)


def _status(result: SolveResult) -> tuple[bool, float | None, str]:
    proven = result.status is SolveStatus.OPTIMAL
    return proven, result.gap, result.status.value


def price_of_fairness(scenario: Scenario, points: int = 5, *, inputs: Inputs | None = None,
                      reach_cache: ReachCache | None = None,
                      progress: Callable[[int, int, float], None] | None = None) -> tuple[pd.DataFrame, dict]:
    """The best total share at ``points`` floors on the worst circle, from the share optimum's to fair's.

    Parameters
    ----------
    scenario
        A scenario maximising coverage; its objective is set to ``fair`` to build the model
        (share weights, demand rows per circle); ``fairness.worst`` is kept.
    points
        Levels (at least 2: the share optimum's worst value and fair's stage-1 optimum).
    inputs
        Already loaded inputs (tests); read from the scenario's files if None.
    reach_cache
        Where network reach is reused from.
    progress
        Called after each level with ``(done, total, level)``.

    Returns
    -------
    table, summary
        One row per level, ascending: ``level`` (the floor on the worst-circle value),
        ``worst_value`` (the plan's own, recomputed), ``total_points``, ``loss_points`` and
        ``loss_pct`` against the share optimum, ``status``, ``proven``, ``gap``, ``cost``,
        ``sites`` and ``worst_<function>`` (each function's worst circle's covered share).
        The summary states the share optimum, fair's stage 1 and whether each was proven.

    Raises
    ------
    ScenarioError
        The scenario does not maximise coverage (``least_cost``) or ``points`` < 2.
    InputError, InfeasibleScenario, SolverFailure
    """
    if not scenario.maximises_coverage:
        raise ScenarioError([f"objective: the price of fairness trades the total share against the worst life "
                             f"circle; objective {scenario.objective} does not maximise coverage"], scenario.source)
    if points < 2:
        raise ScenarioError([f"--points: at least 2 levels (the share optimum's and fair's), got {points}"],
                            scenario.source)
    if scenario.solver.name == "greedy":
        raise ScenarioError(["solver: the price of fairness needs an exact solver (floors on the worst circle are "
                             "rows the greedy cannot keep), got greedy"], scenario.source)
    fair = dataclasses.replace(scenario, objective="fair")
    setup = prepare_model(fair, inputs=inputs, reach_cache=reach_cache)
    model, n = setup.model, setup.model.problem.n_cols
    stage = define_worst_share(model, setup.inputs, setup.scenario, setup.existing)

    log.info("price of fairness: the share optimum (no floor)")
    best = solve(model, setup.scenario)
    if best.status is SolveStatus.INFEASIBLE or best.values is None:
        raise InfeasibleScenario([f"the share optimum found no plan ({best.status.value})"])
    total_star = float(model.problem.objective @ best.values)
    worst0, level0 = _worst(setup, best.values)

    log.info("price of fairness: fair's stage 1 (the best worst circles)")
    first = solve(dataclasses.replace(model, problem=stage.problem), setup.scenario)
    if first.values is None:
        raise InfeasibleScenario([f"fair's stage 1 found no plan ({first.status.value})"])
    level1 = float(stage.problem.objective @ first.values)
    if level1 < level0:  # stage 1 stopped early below the share optimum's own worst value
        log.warning("fair's stage 1 stopped at %.6g, below the share optimum's %.6g: levels end there", level1,
                    level0)
        level1 = level0
    levels = [float(v) for v in np.linspace(level0, level1, points)]

    rows = []
    start: np.ndarray | None = first.values
    functions = list(setup.scenario.functions)
    for k, level in enumerate(reversed(levels)):
        problem = dataclasses.replace(stage.with_floor(model.problem.objective, level), start=start)
        result = solve(dataclasses.replace(model, problem=problem), setup.scenario, start=start)
        proven, gap, status = _status(result)
        row: dict = {"level": level, "status": status, "proven": proven, "gap": gap}
        if result.values is None or not result.status.has_solution:
            row.update({"total_points": np.nan, "loss_points": np.nan, "loss_pct": np.nan, "worst_value": np.nan})
        else:
            start = np.asarray(result.values)
            total = float(model.problem.objective @ start[:n])
            worst, value = _worst(setup, start)
            plan = plan_from_solution(model, start[:n], setup.context)
            row.update({"total_points": total, "loss_points": total_star - total,
                        "loss_pct": 100.0 * (total_star - total) / total_star if total_star > 0 else 0.0,
                        "worst_value": value, "cost": plan.total_cost, "sites": len(plan.sites),
                        "solve_s": result.solve_seconds})
            row.update({f"worst_{f}": worst.get(f, np.nan) for f in functions})
        rows.append(row)
        log.info("price of fairness: floor %.6g -> total %s points (%s)", level, row["total_points"], status)
        if progress is not None:
            progress(k + 1, len(levels), level)
    columns = ["level", "worst_value", "total_points", "loss_points", "loss_pct", "status", "proven", "gap", "cost",
               "sites", "solve_s"] + [f"worst_{f}" for f in functions]
    table = pd.DataFrame(rows[::-1]).reindex(columns=columns)
    best_proven, best_gap, _ = _status(best)
    first_proven, _, _ = _status(first)
    summary = {
        "scenario": scenario.name, "source": scenario.source, "measure": setup.scenario.fairness.worst,
        "total_unit": "percentage points",
        "level_meaning": ("the worst life circle's covered share over all functions"
                          if setup.scenario.fairness.worst == "overall" else
                          "sum over functions of priority x the worst life circle's covered share"),
        "share_optimum": {"total_points": total_star, "worst_value": level0, "worst": worst0, "proven": best_proven,
                          "gap": best_gap, "status": best.status.value},
        "fair_stage_1": {"worst_value": level1, "bound": first.bound, "proven": first_proven,
                         "status": first.status.value},
    }
    return table, summary
