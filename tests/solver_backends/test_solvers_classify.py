"""The honesty rule: :func:`classify`, :func:`relative_gap`, and the shared result builder."""
from __future__ import annotations

import math

import numpy as np
import pytest
from solver_common import knapsack

from solvers import (
    Sense,
    SolverOptions,
    SolveStatus,
    Termination,
    bound_meets_value,
    classify,
    get_solver,
    relative_gap,
)
from solvers.base import build_result, clip_log
from solvers.result import PROOF_ABS_TOL


def test_bound_meeting_value_is_optimal():
    assert classify(has_values=True, objective=10.0, bound=10.0 + 0.5 * PROOF_ABS_TOL,
                    sense=Sense.MAXIMIZE) is SolveStatus.OPTIMAL


def test_solver_optimal_at_default_gap_is_only_feasible():
    # HiGHS's default mip_rel_gap of 1e-4 lets it say "optimal" here; that is no proof
    assert classify(has_values=True, objective=10_000.0, bound=10_000.9,
                    sense=Sense.MAXIMIZE) is SolveStatus.FEASIBLE


def test_missing_bound_is_never_optimal():
    assert classify(has_values=True, objective=3.0, bound=None,
                    sense=Sense.MINIMIZE) is SolveStatus.FEASIBLE


def test_bound_on_the_wrong_side_is_not_a_proof():
    # a "bound" below the value of a maximisation bounds nothing
    assert classify(has_values=True, objective=10.0, bound=9.0,
                    sense=Sense.MAXIMIZE) is SolveStatus.FEASIBLE
    assert classify(has_values=True, objective=10.0, bound=11.0,
                    sense=Sense.MINIMIZE) is SolveStatus.FEASIBLE


def test_bound_without_plan_is_no_solution():
    assert classify(has_values=False, objective=None, bound=5.0,
                    sense=Sense.MINIMIZE) is SolveStatus.NO_SOLUTION


def test_error_then_infeasible_then_unbounded_take_precedence():
    kw = dict(has_values=True, objective=1.0, bound=1.0, sense=Sense.MINIMIZE)
    assert classify(**kw, error=True, infeasible=True) is SolveStatus.ERROR
    assert classify(**kw, infeasible=True, unbounded=True) is SolveStatus.INFEASIBLE
    assert classify(**kw, unbounded=True) is SolveStatus.UNBOUNDED


def test_relative_gap_edge_cases():
    assert relative_gap(100.0, 110.0) == pytest.approx(0.1)
    assert relative_gap(None, 1.0) is None and relative_gap(1.0, None) is None
    assert relative_gap(1.0, math.inf) == math.inf
    assert relative_gap(0.0, 1e-12) == pytest.approx(1e-2)  # denominator floored at 1e-10
    assert bound_meets_value(0.0, 0.0) and not bound_meets_value(1.0, math.nan)


@pytest.fixture
def highs():
    try:
        return get_solver("highs")
    except Exception as exc:  # pragma: no cover
        pytest.skip(str(exc))


def test_builder_reports_gap_zero_only_with_proof(highs):
    p = knapsack(n=6)
    x = np.zeros(6)
    proven = build_result(highs, p, SolverOptions(), termination=Termination.OPTIMAL, values=x,
                          objective=0.0, bound=0.0, solve_seconds=0.1)
    assert proven.status is SolveStatus.OPTIMAL and proven.gap == 0.0
    claimed = build_result(highs, p, SolverOptions(), termination=Termination.GAP_LIMIT, values=x,
                           objective=0.0, bound=0.5, solve_seconds=0.1)
    assert claimed.status is SolveStatus.FEASIBLE
    assert claimed.gap == relative_gap(0.0, 0.5)
    assert "not proven optimal" in claimed.message


def test_builder_drops_a_wrong_side_or_infinite_bound(highs):
    p = knapsack(n=6)  # maximisation
    x = np.zeros(6)
    wrong = build_result(highs, p, SolverOptions(), termination=Termination.TIME_LIMIT, values=x,
                         objective=0.0, bound=-5.0, solve_seconds=0.1)
    assert wrong.status is SolveStatus.FEASIBLE and wrong.bound is None and wrong.gap is None
    assert wrong.extra["reported_bound"] == -5.0
    infinite = build_result(highs, p, SolverOptions(), termination=Termination.TIME_LIMIT,
                            values=x, objective=0.0, bound=math.inf, solve_seconds=0.1)
    assert infinite.bound is None and infinite.status is SolveStatus.FEASIBLE


def test_builder_without_plan_keeps_no_values(highs):
    p = knapsack(n=6)
    r = build_result(highs, p, SolverOptions(), termination=Termination.TIME_LIMIT, values=None,
                     objective=None, bound=50.0, solve_seconds=1.0)
    assert r.status is SolveStatus.NO_SOLUTION
    assert r.values is None and r.objective is None and r.gap is None and r.bound == 50.0
    infeasible = build_result(highs, p, SolverOptions(), termination=Termination.INFEASIBLE,
                              values=np.zeros(6), objective=0.0, bound=0.0, solve_seconds=0.0,
                              infeasible=True)
    assert infeasible.values is None and infeasible.bound is None


def test_long_logs_are_clipped_keeping_head_and_tail():
    text = "HEAD" + "x" * 5000 + "TAIL"
    clipped = clip_log(text, limit=1000)
    assert clipped.startswith("HEAD") and clipped.endswith("TAIL") and "omitted" in clipped
    assert len(clipped) < 1100
    assert clip_log("short", limit=1000) == "short"
