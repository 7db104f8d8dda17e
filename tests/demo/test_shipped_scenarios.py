"""The shipped scenarios plan end to end on the shipped inputs."""
from __future__ import annotations

import pytest

from optimizer.pipeline import run_scenario
from optimizer.scenario import load_scenario


def test_yuzhong_demo_is_proven_optimal_and_passes_its_check(demo_solved):
    # the session's demo solve (tests/conftest.py: the shipped scenario, reach cache off)
    run = demo_solved
    assert run.result.proven_optimal
    assert run.check.passed
    assert run.plan.total_cost <= 80_000_000
    assert run.reach_sites.method.value == "network"
    # the demo is calibrated to the 2020 census: 588,717 residents, 116,320 aged 60+
    assert run.inputs.demand["total"].sum() == 588_717
    assert run.inputs.demand["elderly"].sum() == 116_320
    new = run.check.recomputed["newly_covered"]
    assert all(new[f][c] > 0 for f, c in (("canteen", "total"), ("childcare", "infants"),
                                           ("elder_care", "elderly"), ("parking", "cars")))


@pytest.mark.slow  # end to end, a whole solve or generation; run with -m slow
def test_half_the_budget_covers_fewer_people(repo):
    full = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo.yaml"))
    half = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-tight-budget.yaml"))
    assert half.plan.total_cost <= 40_000_000
    assert half.result.objective < full.result.objective


def test_helsinki_plans_on_the_real_network(repo):
    scenario = load_scenario(repo / "scenarios" / "helsinki-center.yaml")
    run = run_scenario(scenario)
    assert run.result.proven_optimal and run.check.passed
    assert run.reach_sites.method.value == "network"
    # the walk network is read from the OpenStreetMap extract itself
    assert scenario.inputs.network.path.name == "helsinki_center.osm.pbf"
    assert len(run.inputs.network) == 4945 and run.inputs.network["steps"].sum() == 140
    assert len(run.plan.sites) > 0


@pytest.mark.slow
def test_cbc_agrees_with_highs_on_the_demo(repo):
    path = repo / "scenarios" / "yuzhong-demo.yaml"
    highs = run_scenario(load_scenario(path, ["solver.name=highs"]))
    cbc = run_scenario(load_scenario(path, ["solver.name=cbc", "solver.time_limit_s=600"]))
    assert highs.result.proven_optimal and cbc.result.proven_optimal
    assert cbc.result.objective == pytest.approx(highs.result.objective, abs=1e-6)


# ----------------------------------------------------- the demo's rule what-ifs (slow: 5-120 s each)
@pytest.mark.slow
def test_without_sharing_the_same_budget_covers_less(repo):
    base = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo.yaml"))
    plain = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-no-sharing.yaml"))
    assert plain.result.proven_optimal and plain.check.passed
    assert plain.result.objective < base.result.objective
    assert not any(p.costing.groups_applied for p in plain.plan.sites)


@pytest.mark.slow
def test_not_built_separately_keeps_every_circle_and_costs_some_coverage(repo):
    base = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo.yaml"))
    run = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-not-built-separately.yaml"))
    assert run.result.proven_optimal and run.check.passed
    assert run.together["kept"].all() and run.together["rule_applies"].sum() > 0
    assert run.result.objective <= base.result.objective + 1e-6


@pytest.mark.slow
def test_requirements_are_met_in_every_circle(repo):
    run = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-requirements.yaml"))
    assert run.check.passed and run.requirements["met"].all()
    assert len(run.requirements) == 2 * run.inputs.demand["circle_id"].nunique()


@pytest.mark.slow
def test_capacitated_what_if_serves_no_more_than_it_reaches(repo):
    run = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-capacitated.yaml"))
    assert run.check.passed
    for name in run.scenario.functions:
        served = run.plan.served_existing[name] + run.plan.served_new[name]
        assert (served <= run.inputs.demand[run.scenario.functions[name].counted_cohort("capacitated")] + 1e-6).all()


@pytest.mark.slow
def test_the_money_what_if_keeps_the_public_cost_within_its_ten_year_budget(repo):
    """Running costs, rent and a ten-year public budget (yuzhong-demo-money) cost coverage; the plan
    stays within every public amount, its channels fund it, and rent is paid only on non-state sites."""
    base = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo.yaml"))
    money = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-money.yaml"))
    assert money.result.proven_optimal and money.check.passed
    assert money.result.objective < base.result.objective
    totals = money.plan.money(money.inputs.sites, money.scenario)
    assert totals.total("horizon", "government") <= 70_000_000 + 0.01
    assert totals.total("yearly", "government") <= 3_000_000 + 0.01
    assert totals.funding is not None and len(totals.funding)
    free = set(money.scenario.money.rent.free_owners)
    for row, pm in totals.projects:
        if money.inputs.sites.iloc[row]["owner"] in free:
            assert pm.rent == 0.0


@pytest.mark.slow
def test_the_requests_ledger_moves_the_plan_and_says_its_part(repo):
    """The market-demand ledger (yuzhong-demo-requests, one asker for five): proven, checked, and a
    part of the objective that comes from requests, childcare first."""
    from optimizer.outputs.tables import requests_summary

    base = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo.yaml"))
    asked = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-requests.yaml"))
    assert asked.result.proven_optimal and asked.check.passed
    table, record = requests_summary(asked)
    assert 0 < record["share_of_objective"] < 1
    assert table.set_index("function")["objective_from_requests"].idxmax() == "childcare"
    sites = {p.site_row for p in asked.plan.sites}
    assert sites != {p.site_row for p in base.plan.sites}


@pytest.mark.slow
def test_shared_garages_beat_some_new_car_parks(repo):
    """Time-shared parking (yuzhong-demo-shared-parking): garages are chosen, cost far less per space
    than new car parks, and the money saved raises the objective above the demo's."""
    base = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo.yaml"))
    shared = run_scenario(load_scenario(repo / "scenarios" / "yuzhong-demo-shared-parking.yaml"))
    assert shared.result.proven_optimal and shared.check.passed
    kinds = shared.inputs.sites["kind"].to_numpy()
    garages = [p for p in shared.plan.sites if kinds[p.site_row] == "shared_garage"]
    assert garages and all(p.costing.functions == ("parking",) for p in garages)
    assert shared.result.objective > base.result.objective
