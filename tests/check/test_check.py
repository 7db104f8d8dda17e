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


def test_a_plan_list_of_a_site_hosting_a_complex_is_priced_with_the_complex_saving(tmp_path):
    """渝邻汇: canteen, elder care and childcare on one site form a complex saving 300,000 yuan. A planner's
    list of the three passes a budget 200,000 below their plain cost, as the solver's own plan does."""
    from tiny import site, unit

    from optimizer.outputs.claims import check_with_claims
    from optimizer.pipeline import prepare_model
    from optimizer.studies.external import read_solution

    inputs = make_inputs([unit("U0", 0, 0, total=1000, elderly=100, infants=40)], [site("S0", 0, 0)])
    complex_type = {"name": "渝邻汇", "functions": ["canteen", "elder_care", "childcare"], "saving_yuan": 300_000}
    sc = make_scenario({"sharing": {"groups": []}, "functions": {"parking": {"enabled": False}},
                        "budget": {"total": 4_580_000 - 200_000}, "complexes": [complex_type]})
    (tmp_path / "plan.csv").write_text("site_id,function\nS0,canteen\nS0,elder_care\nS0,childcare\n",
                                       encoding="utf-8")
    checked = check_with_claims(prepare_model(sc, inputs=inputs), read_solution(tmp_path / "plan.csv"))
    assert checked.passed, checked.report.failures
    assert checked.plan.sites[0].costing.complex == "渝邻汇"
    assert checked.plan.total_cost == pytest.approx(4_580_000 - 300_000)


def test_a_plan_list_claiming_more_people_than_its_sites_reach_fails_naming_the_figure(tmp_path):
    """The list's own column newly_covered is a claim: the people its site newly reaches pass, ten times them fail."""
    from optimizer.outputs.claims import check_with_claims
    from optimizer.pipeline import prepare_model
    from optimizer.rules.covered import NEW
    from optimizer.studies.external import read_solution

    run = _run()
    setup = prepare_model(run.scenario, inputs=run.inputs)
    fn = run.plan.sites[0].costing.functions[0]
    people = float(run.inputs.demand[run.scenario.functions[fn].cohort].to_numpy(float)[run.plan.status[fn] == NEW]
                   .sum())
    assert people > 0
    path = tmp_path / "plan.csv"
    for factor, passes in ((1, True), (10, False)):
        path.write_text(f"site_id,function,newly_covered\nS0,{fn},{people * factor}\n", encoding="utf-8")
        checked = check_with_claims(setup, read_solution(path))
        item = next(i for i in checked.report.items if i.name == "claimed figures")
        assert item.passed is passes and checked.passed is passes
    assert checked.differences == [f"plan.csv, line 2 (S0:{fn}), newly_covered: claimed {people * 10:,.2f} vs "
                                   f"recomputed {people:,.2f}"]
