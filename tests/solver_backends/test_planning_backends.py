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
