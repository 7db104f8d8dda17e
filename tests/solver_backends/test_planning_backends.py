"""The backend contract for backends that plan the planning model (the greedy heuristic), like the
matrix contract of ``test_solvers_backends.py``: listed by the registry, refusing a plain matrix problem
before any work, and on a small planning model a plan the independent check accepts, never called
optimal unless its LP bound meets its value."""
from __future__ import annotations

import dataclasses
from unittest import mock

import pytest
from solver_common import knapsack, small_planning_model
from test_solvers_backends import assert_honest

import solvers
from optimizer.greedy_backend import PLANNING_MODEL, with_planning_model
from optimizer.pipeline import run_scenario
from optimizer.solver_choice import solver_options
from solvers import SolverOptions, SolveStatus, UnsupportedProblem, bound_meets_value


def test_the_greedy_is_a_registered_backend_that_runs_everywhere():
    assert "greedy" in solvers.all_solvers() and "greedy" in solvers.available_solvers()
    assert solvers.solvers_where(needs_planning_model=True) == ["greedy"]
    caps = solvers.SOLVERS["greedy"].capabilities
    assert not caps.proves_optimality and caps.gives_warm_start
    assert all(solvers.SOLVERS[n].capabilities.proves_optimality for n in solvers.solvers_where(
        needs_planning_model=False))
    # the heuristic's results carry the name it is registered under
    from optimizer.greedy import GREEDY
    assert solvers.SOLVERS["greedy"].name == GREEDY


def test_a_plain_matrix_problem_is_refused_in_check_before_any_solve(planning_backend):
    p = knapsack()
    with pytest.raises(UnsupportedProblem) as info:
        planning_backend.check(p)
    assert info.value.solver == planning_backend.name and PLANNING_MODEL in info.value.reason
    with mock.patch.object(type(planning_backend), "_solve", side_effect=AssertionError("solved before refusing")), \
            pytest.raises(UnsupportedProblem):
        planning_backend.solve(p, SolverOptions())


def test_a_model_it_does_not_plan_is_refused_saying_why(planning_backend, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setup, _ = small_planning_model(0)
    model = dataclasses.replace(setup.model, objective="least_cost")
    with pytest.raises(UnsupportedProblem, match="coverage mode with objective max_coverage only"):
        planning_backend.check(with_planning_model(model))


@pytest.mark.parametrize("seed", range(3))
def test_on_a_small_planning_model_the_plan_passes_the_check_and_is_never_falsely_optimal(
        planning_backend, seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setup, scenario = small_planning_model(seed)
    model = setup.model
    if not model.problem.n_cols:
        pytest.skip("nothing to decide in this instance")
    problem = with_planning_model(model)
    assert problem.matrix is model.problem.matrix or (problem.matrix != model.problem.matrix).nnz == 0
    r = planning_backend.solve(problem, solver_options(scenario))
    assert r.solver == planning_backend.name
    assert_honest(r, model.problem)
    assert r.status.has_solution, r.summary()
    if r.status is SolveStatus.OPTIMAL:
        assert bound_meets_value(r.objective, r.bound)
    # the same backend chosen by name in a scenario: the engine's independent check accepts its plan
    run = run_scenario(dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver,
                                                                                name=planning_backend.name)),
                       inputs=setup.inputs)
    assert run.result.solver == planning_backend.name and run.result.objective == pytest.approx(r.objective)
    assert run.check.passed, run.check.failures


def test_its_warm_start_is_a_feasible_plan_of_the_model(planning_backend, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setup, scenario = small_planning_model(1)
    problem = with_planning_model(setup.model)
    planning_backend.check(problem)
    start = planning_backend.warm_start(problem, solver_options(scenario))
    assert start is not None and setup.model.problem.max_violation(start) <= 1e-6


def test_a_matrix_backend_gives_no_warm_start(backend):
    assert not backend.capabilities.gives_warm_start
    with pytest.raises(NotImplementedError):
        backend.warm_start(knapsack(), SolverOptions())


@pytest.mark.parametrize("name", ["highs", "cbc", "scip"])
def test_in_coverage_mode_an_exact_solver_stopped_without_a_plan_returns_the_greedy_plan_and_its_bound(
        name, tmp_path, monkeypatch):
    """Issue 16: a time-limited exact solve in coverage mode returns at least the greedy plan, with the
    solver's bound, and the run never ends with 'no plan' (exit 5)."""
    from optimizer.greedy import greedy_plan
    from optimizer.solving import solve
    from solvers.base import build_result, figure

    if name not in solvers.available_solvers():
        pytest.skip(f"{name} not installed")
    monkeypatch.chdir(tmp_path)
    setup, scenario = small_planning_model(2)
    model = setup.model
    greedy = greedy_plan(model, local_search_s=0)
    assert greedy.ok and greedy.objective > 0
    cls = solvers.SOLVERS[name]
    seen = {}

    def stopped(self, problem, options):  # the solver's limit ran out before it had a plan
        seen["start"] = problem.start
        return build_result(self, problem, options, termination=solvers.Termination.TIME_LIMIT, values=None,
                            objective=None, bound=greedy.objective + 5.0, solve_seconds=1.0)

    monkeypatch.setattr(cls, "_solve", stopped)
    sc = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, name=name, time_limit_s=1.0))
    r = solve(model, sc)
    assert seen["start"] is not None  # the greedy plan was the solver's start
    assert r.status is SolveStatus.FEASIBLE and r.objective == pytest.approx(greedy.objective)
    assert r.bound == pytest.approx(greedy.objective + 5.0) and r.extra["plan_from"] == "greedy"
    assert f"time limit, best plan found (greedy), bound {figure(greedy.objective + 5.0)}" in r.message
    assert_honest(r, model.problem)
