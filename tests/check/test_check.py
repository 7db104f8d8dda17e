"""The independent check fails loudly when the solver's claims and the plan disagree."""
from __future__ import annotations

import dataclasses

import pytest
from tiny import make_inputs, make_scenario

from optimizer.check import SolverClaims, check_plan
from optimizer.errors import CheckFailed
from optimizer.pipeline import run_scenario
from solvers.result import SolveStatus


def _run():
    demand = [{"unit_id": "U0", "x": 0.0, "y": 0.0, "total": 100.0, "elderly": 30.0, "infants": 5.0,
               "households": 40.0, "cars": 10.0, "circle_id": "C1", "district": "D"}]
    sites = [{"site_id": "S0", "x": 10.0, "y": 0.0, "kind": "building", "area_m2": 2000.0, "lowest_floor": 1,
              "circle_id": "C1", "district": "D"}]
    inputs = make_inputs(demand, sites)
    sc = make_scenario({"budget": {"total": 3_000_000}})
    return run_scenario(sc, inputs=inputs)


def _recheck(run, result=None, scenario=None, plan=None):
    assignment = {p.site_row: p.costing.functions for p in run.plan.sites}
    context = run.context.for_scenario(scenario or run.scenario)
    claims = SolverClaims(result or run.result, assignment, run.model.model_cost(run.result.values))
    return check_plan(plan or run.plan, context, claims)


def test_an_honest_plan_passes_every_check():
    run = _run()
    assert run.check.passed
    names = {i.name for i in run.check.items}
    assert {"eligibility", "space", "budget", "forced decisions", "objective", "bound", "cost model"} <= names


def test_a_proven_optimum_the_plan_does_not_reach_fails_the_check():
    run = _run()
    lie = dataclasses.replace(run.result, objective=run.result.objective + 1, bound=run.result.objective + 1)
    report = _recheck(run, result=lie)
    assert not report.passed
    assert any(f.startswith("objective") for f in report.failures)


def test_a_bound_below_the_plan_value_fails_the_check():
    run = _run()
    lie = dataclasses.replace(run.result, status=SolveStatus.FEASIBLE, bound=run.result.objective - 5)
    assert any(f.startswith("bound") for f in _recheck(run, result=lie).failures)


def test_a_plan_over_a_smaller_budget_fails_the_check():
    run = _run()
    poorer = dataclasses.replace(run.scenario, budget=dataclasses.replace(run.scenario.budget, total=1000.0))
    assert any(f.startswith("budget") for f in _recheck(run, scenario=poorer).failures)


def test_check_failure_is_an_error_with_its_own_exit_code():
    assert CheckFailed(["x"]).exit_code == 6
    with pytest.raises(CheckFailed):
        raise CheckFailed(["objective: 1 != 2"])
