"""A proof in two pieces (``solvers.pieces``): split on one binary column, both halves at once, the same answer.

The planning fact: a plan of the whole problem lies in exactly one piece, so the best of the pieces' plans is
the optimum and the whole's bound is the better of the pieces' bounds, the other piece's never better than
the start it had to beat. Checked against the brute force on small random problems, both senses.
"""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from solver_common import brute_force

import solvers
from solvers.base import BOUND_FOCUS
from solvers.pieces import SPLIT_COLUMN, _Progress, other_piece_bound, solve_in_two_pieces, split_in_two, wants_pieces
from solvers.problem import MatrixProblem, Sense
from solvers.result import SolveProgress, SolveResult, SolverOptions, SolveStatus, Termination

pytestmark = pytest.mark.skipif("highs" not in solvers.available_solvers(), reason="needs HiGHS")


def _knapsacks(seed: int, n: int = 8, sense: Sense = Sense.MAXIMIZE) -> MatrixProblem:
    """Binary items under two knapsack rows (maximise value) or over two cover rows (minimise cost)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 10, size=(2, n)).astype(float)
    values = rng.integers(1, 20, size=n).astype(float)
    if sense is Sense.MAXIMIZE:
        lower, upper = np.full(2, -np.inf), np.floor(weights.sum(axis=1) / 2)
    else:
        lower, upper = np.floor(weights.sum(axis=1) / 3), np.full(2, np.inf)
    return MatrixProblem(objective=values, matrix=sp.csr_matrix(weights), row_lower=lower, row_upper=upper,
                         col_lower=np.zeros(n), col_upper=np.ones(n), integrality=np.ones(n, dtype=bool), sense=sense,
                         objective_offset=1.5)


def _brute_force(problem: MatrixProblem) -> float:
    best, _ = brute_force(problem)
    assert best is not None
    return best


def _a_feasible_plan(problem: MatrixProblem, seed: int) -> np.ndarray:
    """Some feasible plan (not the best): items taken at random while they fit (or until covered)."""
    rng = np.random.default_rng(seed)
    x = np.zeros(problem.n_cols) if problem.sense is Sense.MAXIMIZE else np.ones(problem.n_cols)
    for j in rng.permutation(problem.n_cols):
        trial = x.copy()
        trial[j] = 1.0 - trial[j]
        if problem.max_violation(trial) <= 1e-9 and rng.random() < 0.6:
            x = trial
    assert problem.max_violation(x) <= 1e-9
    return x


@pytest.mark.parametrize("sense", [Sense.MAXIMIZE, Sense.MINIMIZE])
def test_two_pieces_give_the_brute_force_optimum_whichever_column_they_split_on(sense):
    highs = solvers.get_solver("highs")
    for seed in range(3):
        problem = _knapsacks(seed, sense=sense)
        start = _a_feasible_plan(problem, seed)
        best = _brute_force(problem)
        for column in (0, problem.n_cols // 2, problem.n_cols - 1):
            result = solve_in_two_pieces(highs, dataclasses.replace(problem, start=start),
                                         SolverOptions(time_limit_s=30), column)
            assert result.status is SolveStatus.OPTIMAL and result.termination is Termination.OPTIMAL
            assert result.objective == pytest.approx(best, abs=1e-6)
            assert problem.max_violation(result.values) <= 1e-9
            assert problem.objective_value(result.values) == pytest.approx(result.objective, abs=1e-9)
            assert [p["piece"] for p in result.extra["pieces"]] == ["start", "other"]


def test_a_better_plan_in_the_other_piece_is_found_and_the_start_never_lost():
    problem = _knapsacks(7)
    start = np.zeros(problem.n_cols)  # feasible, worth only the offset
    best = _brute_force(problem)
    result = solve_in_two_pieces(solvers.get_solver("highs"), dataclasses.replace(problem, start=start),
                                 SolverOptions(time_limit_s=30), 0)  # the start leaves column 0 out
    assert result.proven_optimal and result.objective == pytest.approx(best, abs=1e-6)
    assert result.objective > problem.objective_value(start)


def test_the_pieces_hold_every_plan_once_and_the_other_must_beat_the_start():
    problem = _knapsacks(3)
    start = _a_feasible_plan(problem, 3)
    own, other = split_in_two(dataclasses.replace(problem, start=start), 2)
    assert own.col_lower[2] == own.col_upper[2] == start[2] and own.start is not None
    assert other.col_lower[2] == other.col_upper[2] == 1 - start[2] and other.start is None
    assert other.n_rows == problem.n_rows + 1
    reach = problem.objective_value(start) - problem.objective_offset
    assert other.row_lower[-1] == pytest.approx(reach) and other.row_upper[-1] == np.inf
    for bits in itertools.product([0.0, 1.0], repeat=problem.n_cols):
        x = np.array(bits)
        if problem.max_violation(x) > 1e-9:
            continue
        in_own = own.max_violation(x) <= 1e-9
        beats = problem.objective_value(x) >= problem.objective_value(start) - 1e-9
        assert in_own != (x[2] != start[2]) and (other.max_violation(x) <= 1e-9) == (x[2] != start[2] and beats)


def test_both_pieces_ask_highs_for_the_bound_and_the_whole_problem_is_left_as_it_was():
    """A plan is in hand in both pieces, so HiGHS is told to spend its time on the bound; the caller's problem
    keeps its own metadata (a solve that does not split keeps HiGHS's heuristics)."""
    problem = dataclasses.replace(_knapsacks(4), metadata={"kept": 1})
    pieces = split_in_two(dataclasses.replace(problem, start=_a_feasible_plan(problem, 4)), 1)
    assert all(p.metadata == {"kept": 1, BOUND_FOCUS: True} for p in pieces)
    assert problem.metadata == {"kept": 1}


def _result(status: SolveStatus, bound: float | None) -> SolveResult:
    return SolveResult(solver="highs", solver_version="-", status=status, termination=Termination.TIME_LIMIT,
                       values=None, objective=None, bound=bound, gap=None, solve_seconds=0.0, options=SolverOptions())


def test_the_other_piece_never_bounds_the_whole_above_what_it_proves():
    up = Sense.MAXIMIZE
    assert other_piece_bound(up, _result(SolveStatus.INFEASIBLE, None), 10.0) == 10.0  # nothing there reaches 10
    assert other_piece_bound(up, _result(SolveStatus.NO_SOLUTION, 12.0), 10.0) == 12.0
    assert other_piece_bound(up, _result(SolveStatus.NO_SOLUTION, 9.0), 10.0) == 10.0
    assert other_piece_bound(up, _result(SolveStatus.NO_SOLUTION, None), 10.0) is None  # no bound, no proof
    assert other_piece_bound(Sense.MINIMIZE, _result(SolveStatus.NO_SOLUTION, 8.0), 10.0) == 8.0
    assert other_piece_bound(Sense.MINIMIZE, _result(SolveStatus.NO_SOLUTION, 11.0), 10.0) == 10.0


def test_progress_shows_a_bound_only_once_both_pieces_have_one():
    seen: list[SolveProgress] = []
    progress = _Progress(SolverOptions(on_progress=seen.append), Sense.MAXIMIZE, 10.0)
    own, other = progress.callback(0), progress.callback(1)
    own(SolveProgress(solver="highs", elapsed_s=1.0, incumbent=10.0, bound=14.0))
    assert seen[-1].bound is None and seen[-1].incumbent == 10.0
    other(SolveProgress(solver="highs", elapsed_s=2.0, incumbent=None, bound=9.0))
    assert seen[-1].bound == 14.0
    own(SolveProgress(solver="highs", elapsed_s=3.0, incumbent=10.5, bound=10.5))
    assert seen[-1].bound == 10.5 and seen[-1].incumbent == 10.5 and seen[-1].gap == 0.0
    other(SolveProgress(solver="highs", elapsed_s=4.0, incumbent=11.0, bound=11.5))
    assert seen[-1].incumbent == 11.0 and seen[-1].bound == 11.5
    progress = _Progress(SolverOptions(on_progress=seen.append), Sense.MAXIMIZE, 10.0)
    progress.callback(0)(SolveProgress(solver="highs", elapsed_s=1.0, incumbent=10.0, bound=10.2))
    progress.callback(1)(SolveProgress(solver="highs", elapsed_s=1.0, incumbent=None, bound=12.0))
    assert seen[-1].bound == 12.0
    progress.finished(1, _result(SolveStatus.INFEASIBLE, None))  # nothing in the other piece reaches 10
    assert seen[-1].bound == 10.2 and seen[-1].incumbent == 10.0


def test_a_solve_is_split_only_with_highs_a_start_a_limit_two_cores_and_a_binary_column():
    problem = dataclasses.replace(_knapsacks(1), metadata={SPLIT_COLUMN: 3})
    start = _a_feasible_plan(problem, 1)
    highs = solvers.get_solver("highs")
    limited = SolverOptions(time_limit_s=10)
    assert wants_pieces(highs, dataclasses.replace(problem, start=start), limited, 2) == 3
    assert wants_pieces(highs, problem, limited, 2) is None  # no start to beat
    assert wants_pieces(highs, dataclasses.replace(problem, start=start), SolverOptions(), 2) is None  # no limit
    assert wants_pieces(highs, dataclasses.replace(problem, start=start), limited, 1) is None  # one core
    assert wants_pieces(highs, dataclasses.replace(problem, start=start), SolverOptions(time_limit_s=10, threads=1),
                        2) is None
    continuous = dataclasses.replace(problem, start=start, integrality=np.zeros(problem.n_cols, dtype=bool))
    assert wants_pieces(highs, continuous, limited, 2) is None
    if "cbc" in solvers.available_solvers():
        assert wants_pieces(solvers.get_solver("cbc"), dataclasses.replace(problem, start=start), limited, 2) is None
