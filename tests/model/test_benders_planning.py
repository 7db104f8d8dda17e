"""Benders on the planning model: coverage mode's demand rows leave the master, every other rule stays.

:mod:`solvers.benders_projection` projects the coverage columns ``y`` of the planning model
into one ``theta`` per group and hands them to the demand rows only through cuts. These
tests state what a planner relies on: the same proven optimum as HiGHS on the full model
(budget, sharing, rules 6 and 7, forced decisions), a completed plan that keeps every row
of the original model, a bound that is never below the optimum even when stopped early,
and a clear refusal of what it does not take (set covering, a knapsack). The brute force holds it
to every rule on random districts in ``tests/property/test_every_rule_against_brute_force.py``.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from tiny import make_scenario, random_instance

import solvers
from optimizer.pipeline import run_scenario
from optimizer.studies.comparison import prepare
from solvers.base import UnsupportedProblem
from solvers.benders_projection import project_coverage
from solvers.problem import MatrixProblem, Sense
from solvers.result import SolverOptions

pytestmark = pytest.mark.skipif("benders" not in solvers.available_solvers(), reason="highspy not installed")

#: Scenario overrides that switch rules on, beside the random instance's budget and sharing.
RULES = {
    "budget and sharing": {},
    "not built separately (rule 6)": {"sharing": {"not_built_separately": True}},
    "what must exist (rule 7)": {"requirements": [{"function": "canteen", "min_share": 0.1}],
                                 "budget": {"total": 4e6}},
}


def _model(seed: int, extra: dict | None = None, n_units: int = 40, n_sites: int = 8):
    inputs, raw = random_instance(seed, n_units=n_units, n_sites=n_sites)
    scenario = make_scenario({**raw, **(extra or {})})
    return prepare(scenario, inputs=inputs).model


def _proven(name: str, problem: MatrixProblem, **options) -> solvers.SolveResult:
    result = solvers.get_solver(name).solve(problem, SolverOptions(time_limit_s=60.0, relative_gap=0.0, **options))
    assert result.proven_optimal, result.summary()
    return result


#: (seed, rules) pairs; seed 1 cannot meet rule 7 (no eligible canteen site reaches 10 % of a circle).
CASES = [(seed, rules) for rules in RULES for seed in range(7) if not (seed == 1 and "rule 7" in rules)]


@pytest.mark.parametrize(("seed", "rules"), CASES)
def test_benders_proves_the_same_optimum_as_highs_on_the_full_planning_model(seed, rules, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _model(seed, RULES[rules])
    if not model.problem.n_cols:
        pytest.skip("no candidate reaches anyone")
    exact = _proven("highs", model.problem)
    decomposed = _proven("benders", model.problem)
    assert decomposed.objective == pytest.approx(exact.objective, rel=1e-9, abs=1e-9)
    assert model.problem.max_violation(decomposed.values) <= 1e-6  # a plan of the whole model, not of the master


def test_the_master_holds_every_row_but_the_covering_ones_and_a_completed_plan_keeps_them_all(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _model(3, RULES["what must exist (rule 7)"])
    problem = model.problem
    projection = project_coverage(problem)
    assert not isinstance(projection, str)
    n_y = model.y.size
    assert projection.y_columns.size == n_y  # every demand row of coverage mode leaves the master
    assert projection.master.n_rows == problem.n_rows - n_y
    assert projection.n_theta <= n_y
    optimum = _proven("highs", problem)
    point = projection.master_point(optimum.values)
    assert projection.master.max_violation(point) <= 1e-6  # the optimum is a master plan (a relaxation)
    completed = projection.complete(point)
    assert problem.max_violation(completed) <= 1e-6
    assert problem.objective_value(completed) >= optimum.objective - 1e-9


@pytest.mark.parametrize("limit", [0.05, 0.3])
def test_stopped_early_its_bound_is_never_below_the_optimum_and_it_says_optimal_only_with_proof(limit, tmp_path,
                                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _model(1, RULES["not built separately (rule 6)"], n_units=120, n_sites=14)
    optimum = _proven("highs", model.problem).objective
    start = model.problem.start
    result = solvers.get_solver("benders").solve(model.problem, SolverOptions(time_limit_s=limit, relative_gap=0.0))
    if start is None and not result.status.has_solution:
        return
    if result.bound is not None:
        assert result.bound >= optimum - 1e-6
    if result.status.has_solution:
        assert result.objective <= optimum + 1e-9
        assert model.problem.max_violation(result.values) <= 1e-6
    if result.proven_optimal:
        assert result.objective == pytest.approx(optimum, rel=1e-9, abs=1e-9)
        assert result.bound == pytest.approx(result.objective, rel=1e-9, abs=1e-9)


def test_capacitated_mode_is_taken_by_the_assignment_decomposition(tmp_path, monkeypatch):
    # its assignments project out (tests/model/test_benders_capacitated.py); set covering stays refused
    monkeypatch.chdir(tmp_path)
    model = _model(2, {"model": {"ineligible_sites": "ignore", "mode": "capacitated"}})
    solvers.get_solver("benders").check(model.problem)
    assert make_scenario({"solver": {"name": "benders"}, "model": {"mode": "capacitated"}}).solver.name == "benders"


def test_a_scenario_in_coverage_mode_may_name_benders_and_its_run_passes_the_independent_check(tmp_path,
                                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    inputs, raw = random_instance(4, n_units=40, n_sites=8)
    run = run_scenario(make_scenario({**raw, "solver": {"name": "benders"}}), inputs=inputs)
    highs = run_scenario(make_scenario(raw), inputs=inputs)
    assert run.result.solver == "benders" and run.result.proven_optimal and run.check.passed
    assert run.result.objective == pytest.approx(highs.result.objective, rel=1e-9, abs=1e-9)


def _covering_problem(extra_row: tuple[np.ndarray, float, float] | None) -> MatrixProblem:
    """Two sites, three demand rows (weights 5, 4, 3), at most one site; sites 0: rows 0, 1; site 1: rows 1, 2."""
    reach = np.array([[1, 0], [1, 1], [0, 1]], dtype=float)
    top = sp.hstack([sp.csr_matrix(-reach), sp.identity(3, format="csr")])
    rows = [top, sp.csr_matrix([[1.0, 1.0, 0, 0, 0]])]
    lower, upper = [-np.inf] * 3 + [-np.inf], [0.0] * 3 + [1.0]
    if extra_row is not None:
        rows.append(sp.csr_matrix(extra_row[0]))
        lower.append(extra_row[1])
        upper.append(extra_row[2])
    return MatrixProblem(objective=np.array([0, 0, 5.0, 4.0, 3.0]), matrix=sp.vstack(rows, format="csr"),
                         row_lower=np.array(lower), row_upper=np.array(upper), col_lower=np.zeros(5),
                         col_upper=np.ones(5), integrality=np.array([True, True, False, False, False]),
                         sense=Sense.MAXIMIZE)


def test_a_coverage_column_in_a_row_it_could_break_stays_in_the_master_and_the_answer_is_still_exact():
    # "row 2 covered at most 0": a larger y_2 breaks it, so y_2 keeps its covering row in the master
    cap = _covering_problem((np.array([0, 0, 0, 0, 1.0]), -np.inf, 0.0))
    projection = project_coverage(cap)
    assert not isinstance(projection, str)
    assert sorted(projection.y_columns.tolist()) == [2, 3]
    assert _proven("benders", cap).objective == pytest.approx(9.0)  # site 0: rows 0 and 1
    # "rows 0 and 2 together at least 1" (a share to meet): projected, and it forces the choice
    need = _covering_problem((np.array([0, 0, 0, 0, 1.0]), 1.0, np.inf))
    assert sorted(project_coverage(need).y_columns.tolist()) == [2, 3, 4]
    result = _proven("benders", need)
    assert result.objective == pytest.approx(7.0) and result.values[1] == 1.0  # site 1 is the only way to row 2


def test_a_model_without_covering_rows_is_refused_saying_why():
    knapsack = MatrixProblem(objective=np.array([5.0, 4.0, 3.0]), matrix=sp.csr_matrix([[2.0, 3.0, 1.0]]),
                             row_lower=np.array([-np.inf]), row_upper=np.array([4.0]), col_lower=np.zeros(3),
                             col_upper=np.ones(3), integrality=np.ones(3, dtype=bool))
    assert "covering rows" in project_coverage(knapsack)
    with pytest.raises(UnsupportedProblem, match="coverage models only"):
        solvers.get_solver("benders").check(knapsack)


def test_the_start_plan_is_kept_when_the_master_finds_nothing_better_in_its_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _model(5, n_units=120, n_sites=14)
    problem = model.problem
    assert problem.start is None or problem.max_violation(problem.start) <= 1e-9
    optimum = _proven("highs", problem)
    started = dataclasses.replace(problem, start=optimum.values)
    result = solvers.get_solver("benders").solve(started, SolverOptions(time_limit_s=0.01, relative_gap=0.0))
    assert result.status.has_solution and result.objective >= optimum.objective - 1e-9
