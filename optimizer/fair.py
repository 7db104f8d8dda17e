"""Solving objective ``fair`` in two stages, each proven on its own.

Stage 1 maximises the worst life circle's covered share
(:mod:`optimizer.model.worst_share`); stage 2 maximises the total share without letting
stage 1's value fall. The plan is called optimal only when both stages are proven
optimal: a time-limited stage 1 leaves stage 2 keeping an incumbent that may not be the
best worst circle, and the run says so.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.model.worst_share import WorstShareStage, define_worst_share
from optimizer.rules.existing import ExistingService
from optimizer.scenario import Scenario
from optimizer.solving import solve
from solvers.result import SolveResult, SolveStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FairStages:
    """What the two stages of objective ``fair`` found.

    Attributes
    ----------
    measure
        ``per_function`` or ``overall`` (``fairness.worst``).
    worst_value, worst_bound
        Stage 1's value (what it raised: priority x worst share, summed; or the worst
        share) and its proven bound.
    worst_proven
        Stage 1 proved its value optimal.
    worst
        Each function's (or ``all functions``') worst circle's covered share in stage 2's plan.
    total_status
        Stage 2's status.
    """

    measure: str
    worst_value: float
    worst_bound: float | None
    worst_proven: bool
    worst: dict[str, float]
    total_status: str

    def as_dict(self) -> dict:
        """The stages as written to run.json."""
        return {"objective": "fair", "stage_1": {"maximises": f"worst circle's covered share ({self.measure})",
                                                  "value": self.worst_value, "bound": self.worst_bound,
                                                  "proven": self.worst_proven, "worst_share": self.worst},
                "stage_2": {"maximises": "total covered share (points), stage 1 kept", "status": self.total_status}}


def solve_fair(model: PlanningModel, scenario: Scenario, inputs: Inputs, existing: ExistingService,
               ) -> tuple[SolveResult, FairStages]:
    """Solve objective ``fair``: the worst circle first, then the total.

    Parameters
    ----------
    model
        The planning model (built with ``objective: fair``: demand rows kept apart by circle).
    scenario
        The scenario (solver, priorities, ``fairness.worst``).
    inputs
        Validated inputs.
    existing
        What running facilities already serve.

    Returns
    -------
    result, stages
        Stage 2's result with the model's columns only (status ``optimal`` only when both
        stages are proven), and what each stage found.

    Raises
    ------
    SolverFailure
        When a stage stops without any plan.
    """
    stage: WorstShareStage = define_worst_share(model, inputs, scenario, existing)
    log.info("objective fair, stage 1: the worst circle's covered share (%s), %d rows", scenario.fairness.worst,
             stage.problem.n_rows - model.problem.n_rows)
    first = solve(dataclasses.replace(model, problem=stage.problem), scenario)
    if first.status is SolveStatus.INFEASIBLE or first.values is None:
        return first, FairStages(scenario.fairness.worst, float("nan"), None, False, {}, first.status.value)
    value = float(first.objective if first.objective is not None else stage.problem.objective @ first.values)
    log.info("objective fair, stage 2: the total share, keeping stage 1's %.6g", value)
    second_problem = dataclasses.replace(stage.with_floor(model.problem.objective, value), start=first.values)
    second = solve(dataclasses.replace(model, problem=second_problem), scenario, start=first.values)
    if second.values is None or not second.status.has_solution:  # cannot be: stage 1's plan is feasible
        n = model.problem.n_cols
        second = dataclasses.replace(first, objective=float(model.problem.objective @ first.values[:n]))
    proven = first.status is SolveStatus.OPTIMAL and second.status is SolveStatus.OPTIMAL
    values = np.asarray(second.values)
    stages = FairStages(scenario.fairness.worst, value, first.bound, first.status is SolveStatus.OPTIMAL,
                        stage.worst(values), second.status.value)
    status = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
    message = second.message
    if first.status is not SolveStatus.OPTIMAL:
        message = (f"stage 1 (the worst circle) was not proven optimal ({first.termination.value}); "
                   + (message or ""))
    result = dataclasses.replace(second, status=status, values=values[:model.problem.n_cols],
                                 solve_seconds=first.solve_seconds + second.solve_seconds, message=message)
    return result, stages
