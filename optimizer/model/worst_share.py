"""Objective ``fair``: raise the worst life circle first, then the total (lexicographic).

Stage 1 appends to the planning model one column ``t[k]`` in [0, 1] per function (or one
for all functions, ``fairness.worst: overall``) and, for each function ``f`` and life
circle ``c`` with anyone of its cohort, the row

    t[k(f)] - sum over the circle's demand rows r of (people[r] / P[c,f]) * y[r]
        <= E[c,f] / P[c,f]

(``P``: the circle's people of the cohort; ``E``: those already served by running
facilities; capacitated mode counts the served ``w`` instead of ``people x y``), so ``t``
is at most the worst circle's covered share. Stage 1 maximises ``sum priority[f] x t[f]``
(or ``t``). Stage 2 keeps the rows, adds ``sum priority x t >= stage 1's optimum - tol``
and maximises the model's own objective (the total share). The plan of stage 2 is
therefore the best total among the plans whose worst circles are best: not a weighted
blend. Definitions in plain words: :mod:`optimizer.rules.fairness`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.model.requirements import circle_people_terms
from optimizer.rules.existing import ExistingService, unit_circles
from optimizer.scenario import Scenario
from solvers.problem import MatrixProblem, Sense

#: How far stage 2 may fall below stage 1's optimum (in the units of stage 1's objective:
#: shares times priorities), to absorb the solvers' feasibility tolerance.
FLOOR_TOL = 1e-7


@dataclass(frozen=True)
class WorstShareStage:
    """Stage 1 of objective ``fair``: the model with the worst-share columns and rows.

    Attributes
    ----------
    problem
        The stage-1 problem: the model's columns, then ``t``; objective ``priority x t``.
    n_model_cols
        Columns of the planning model (``t`` starts here).
    labels
        What each ``t`` measures: a function name, or ``all functions``.
    priority
        Stage-1 objective coefficient of each ``t``.
    """

    problem: MatrixProblem
    n_model_cols: int
    labels: tuple[str, ...]
    priority: np.ndarray

    def worst(self, values: np.ndarray) -> dict[str, float]:
        """The ``t`` values of a solution: each label's worst covered share."""
        t = values[self.n_model_cols:self.n_model_cols + len(self.labels)]
        return {label: float(v) for label, v in zip(self.labels, t, strict=True)}

    def with_floor(self, model_objective: np.ndarray, value: float) -> MatrixProblem:
        """Stage 2: keep stage 1's worst shares at ``value`` (less :data:`FLOOR_TOL`), maximise the total.

        Parameters
        ----------
        model_objective
            The planning model's own objective coefficients (the total share).
        value
            Stage 1's objective value to keep.

        Returns
        -------
        MatrixProblem
            The stage-1 problem with one more row and the model's objective.
        """
        p = self.problem
        floor = np.zeros((1, p.n_cols))
        floor[0, self.n_model_cols:] = self.priority
        objective = np.concatenate([model_objective, np.zeros(len(self.labels))])
        return dataclasses.replace(
            p, objective=objective, matrix=sp.vstack([p.matrix, sp.csr_matrix(floor)], format="csr"),
            row_lower=np.concatenate([p.row_lower, [value - FLOOR_TOL * max(1.0, abs(value))]]),
            row_upper=np.concatenate([p.row_upper, [np.inf]]), sense=Sense.MAXIMIZE, start=None)


def define_worst_share(model: PlanningModel, inputs: Inputs, scenario: Scenario,
                       existing: ExistingService) -> WorstShareStage:
    """The stage-1 problem of objective ``fair`` on top of a built coverage model.

    Parameters
    ----------
    model
        The planning model, built with demand rows kept apart by life circle.
    inputs
        Validated inputs.
    scenario
        The scenario (priorities, ``fairness.worst``, mode).
    existing
        What running facilities already serve.

    Returns
    -------
    WorstShareStage
    """
    names = [nm for nm in model.functions if scenario.functions[nm].priority > 0]
    overall = scenario.fairness.worst == "overall"
    labels = ("all functions",) if overall else tuple(names)
    n0 = model.problem.n_cols
    circles = unit_circles(inputs)
    rows, cols, vals, upper = [], [], [], []
    r = 0
    capacitated = model.mode == "capacitated"
    for k, name in enumerate(names):
        fn = scenario.functions[name]
        people_unit = inputs.demand[fn.counted_cohort(model.mode)].fillna(0).to_numpy(dtype=float)
        served = np.asarray(existing.served[name], dtype=float)
        demand = model.coverage[name]
        frame = pd.DataFrame({"c": circles, "p": people_unit, "e": served})
        per_circle = frame.groupby("c", sort=True).sum()
        off = model.y_offsets[name]
        for circle, (people, have) in zip(per_circle.index, per_circle[["p", "e"]].to_numpy(), strict=True):
            if people <= 0:
                continue
            c_idx, coef = circle_people_terms(demand, circles == circle, off, capacitated, y=model.y, w=model.w,
                                              w_row=model.w_row)
            t_col = n0 + (0 if overall else k)
            rows.append(np.full(c_idx.size + 1, r))
            cols.append(np.concatenate([[t_col], c_idx]))
            vals.append(np.concatenate([[1.0], -coef / people]))
            upper.append(have / people)
            r += 1
    p = model.problem
    n_t = len(labels)
    extra = sp.csr_matrix((np.concatenate(vals) if vals else np.zeros(0),
                           (np.concatenate(rows) if rows else np.zeros(0, np.int64),
                            np.concatenate(cols) if cols else np.zeros(0, np.int64))), shape=(r, n0 + n_t))
    matrix = sp.vstack([sp.hstack([p.matrix, sp.csr_matrix((p.n_rows, n_t))]), extra], format="csr")
    priority = np.ones(1) if overall else np.array([scenario.functions[nm].priority for nm in names])
    integrality = np.concatenate([np.asarray(p.integrality), np.zeros(n_t, dtype=np.asarray(p.integrality).dtype)])
    metadata = dict(p.metadata)
    if "integral_at_optimum" in metadata:  # t is continuous and need not be integral
        metadata["integral_at_optimum"] = np.concatenate([np.asarray(metadata["integral_at_optimum"]),
                                                          np.zeros(n_t, dtype=bool)])
    stage = dataclasses.replace(
        p, objective=np.concatenate([np.zeros(n0), priority]), matrix=matrix,
        row_lower=np.concatenate([p.row_lower, np.full(r, -np.inf)]),
        row_upper=np.concatenate([p.row_upper, np.minimum(np.array(upper), 1.0)]),
        col_lower=np.concatenate([p.col_lower, np.zeros(n_t)]), col_upper=np.concatenate([p.col_upper, np.ones(n_t)]),
        integrality=integrality, sense=Sense.MAXIMIZE, metadata=metadata, start=None)
    return WorstShareStage(stage, n0, labels, priority)
