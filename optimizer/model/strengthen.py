"""Tighten a capacitated model before branching: add the violated strong assignment rows.

In capacitated mode ``w[r,p] <= people[r] x[p]`` (nobody is assigned to a facility that is
not opened) is implied by the capacity rows, but it makes the linear relaxation far
tighter. Added all at once (one per assignment variable) it makes the root LP dozens of
times slower; so the relaxation is solved, the rows it violates are added, and this is
repeated a few times. Only valid inequalities are added: the optimum is unchanged, the
bound proven at the root is better.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

import solvers
from optimizer.model.build import PlanningModel
from solvers.problem import MatrixProblem
from solvers.result import SolverOptions

log = logging.getLogger(__name__)

#: A pool row counts as violated above this (people).
VIOLATION = 1e-6


@dataclass(frozen=True)
class Strengthened:
    """The problem with the violated pool rows added, what was done, and the last relaxation's point.

    Attributes
    ----------
    problem
        The tightened problem.
    stats
        Rounds, rows added, pool size, relaxation bound before and after, seconds.
    point
        The last relaxation's values (``None`` when none was solved): where a rounding
        heuristic starts (:mod:`optimizer.capacitated_start`).
    """

    problem: MatrixProblem
    stats: dict
    point: np.ndarray | None = None


def strengthen(model: PlanningModel, options: SolverOptions, *, max_rounds: int = 12,
               time_share: float = 0.25) -> tuple[MatrixProblem, dict]:
    """The model's problem with the violated pool rows added, and what was done.

    Parameters
    ----------
    model
        A built model with a non-empty ``cut_pool``.
    options
        The solve's options; at most ``time_share`` of its time limit is spent here.
    max_rounds
        Relaxations solved at most.

    Returns
    -------
    problem, stats
        ``stats``: rounds, rows added, pool size, relaxation bound before and after, seconds.
    """
    done = strengthen_root(model, options, max_rounds=max_rounds, time_share=time_share)
    return done.problem, done.stats


def strengthen_root(model: PlanningModel, options: SolverOptions, *, problem: MatrixProblem | None = None,
                    max_rounds: int = 12, time_share: float = 0.25) -> Strengthened:
    """:func:`strengthen`, from ``problem`` (default the model's), keeping the last relaxation's point.

    Parameters
    ----------
    model
        A built model with a non-empty ``cut_pool`` (its columns are ``problem``'s).
    options
        The solve's options; at most ``time_share`` of its time limit is spent here.
    problem
        The problem to strengthen (the model's with its size caps, :mod:`optimizer.model.size_caps`).
    max_rounds
        Relaxations solved at most.
    """
    w_col, x_col, coef = model.cut_pool
    problem = model.problem if problem is None else problem
    point: np.ndarray | None = None
    stats: dict[str, Any] = {"pool": int(w_col.size), "rounds": 0, "rows_added": 0, "bound_before": None,
                             "bound_after": None, "seconds": 0.0}
    if w_col.size == 0 or "highs" not in solvers.available_solvers():
        return Strengthened(problem, stats)
    t0 = time.perf_counter()
    budget = (options.time_limit_s or 600.0) * time_share
    lp_solver = solvers.get_solver("highs")
    added = np.zeros(w_col.size, dtype=bool)
    current = problem
    for _ in range(max_rounds):
        left = budget - (time.perf_counter() - t0)
        if left <= 1.0:
            break
        relaxed = dataclasses.replace(current, integrality=np.zeros(current.n_cols, dtype=bool), start=None)
        result = lp_solver.solve(relaxed, SolverOptions(time_limit_s=left, relative_gap=0.0,
                                                        threads=options.threads, log=False))
        if result.values is None or not result.status.has_solution:
            break
        stats["rounds"] += 1
        if stats["bound_before"] is None:
            stats["bound_before"] = result.objective
        stats["bound_after"] = result.objective
        v = point = result.values
        new = (v[w_col] - coef * v[x_col] > VIOLATION * np.maximum(1.0, coef)) & ~added
        if not new.any():
            break
        added |= new
        rows = np.flatnonzero(new)
        block = sp.csr_matrix((np.concatenate([np.ones(rows.size), -coef[rows]]),
                               (np.concatenate([np.arange(rows.size), np.arange(rows.size)]),
                                np.concatenate([w_col[rows], x_col[rows]]))), shape=(rows.size, current.n_cols))
        current = dataclasses.replace(
            current, matrix=sp.vstack([current.matrix, block]).tocsr(),
            row_lower=np.concatenate([current.row_lower, np.full(rows.size, -np.inf)]),
            row_upper=np.concatenate([current.row_upper, np.zeros(rows.size)]), row_names=None)
        log.info("strengthening: round %d, relaxation %.1f, %d assignment rows added", stats["rounds"],
                 result.objective, rows.size)
    stats["rows_added"] = int(added.sum())
    stats["seconds"] = round(time.perf_counter() - t0, 2)
    return Strengthened(current, stats, point)
