"""Money over the years and who pays (政府补、社区担、企业让、居民付): running costs, rent, public budgets, channels.

Each test states the planning fact it checks on a tiny instance; the random instances agree
with the brute force of tests/tiny.py, which restates the money rules by hand.
"""
from __future__ import annotations

import pandas as pd
import pytest
from tiny import brute_force_all, hosted, make_inputs, make_scenario, random_instance

from optimizer.errors import InfeasibleScenario, ScenarioError
from optimizer.pipeline import run_scenario
from optimizer.rules.costing import cost_site
from optimizer.rules.money import allocate_channels, annuity_factor, project_money
from optimizer.scenario import ChannelSpec

ONLY_ELDER = {"canteen": {"enabled": False}, "childcare": {"enabled": False}, "parking": {"enabled": False}}


def unit(uid, x, y, elderly=100.0, total=0.0):
    return {"unit_id": uid, "x": x, "y": y, "total": total, "elderly": elderly, "infants": 0.0,
            "households": 0.0, "cars": 0.0, "circle_id": "C1", "district": "D1"}


def site(sid, x, y, owner="", area=1000.0, **extra):
    return {"site_id": sid, "x": x, "y": y, "kind": "building", "area_m2": area, "lowest_floor": 1,
            "owner": owner, "circle_id": "C1", "district": "D1", **extra}


def solve(inputs, raw):
    return run_scenario(make_scenario(raw), inputs=inputs)


def test_a_yuan_a_year_for_ten_years_at_3_percent_is_worth_8_53_today():
    assert annuity_factor(10, 0.03) == pytest.approx(8.5302, abs=1e-4)
    assert annuity_factor(10, 0.0) == 10.0


def test_a_project_is_split_between_payers_and_a_state_owned_site_pays_no_rent():
    sc = make_scenario({"functions": {**ONLY_ELDER, "elder_care": {
        "running": {"fixed_per_year": 100000, "per_m2_year": 100},
        "running_paid_by": {"government": 0.5, "residents": 0.5}}},
        "money": {"rent": {"per_m2_year": 600, "free_owners": ["区国资"]}, "horizon_years": 10,
                  "one_off_paid_by": {"government": 0.8, "enterprise": 0.2},
                  "running_paid_by": {"government": 0.0, "enterprise": 1.0}}})
    inputs = make_inputs([unit("U1", 0, 0)], [site("S1", 0, 0), site("S2", 0, 0, owner="区国资")])
    rented, free = (project_money(inputs.sites.iloc[i], cost_site(inputs.sites.iloc[i], ("elder_care",), sc), sc)
                    for i in (0, 1))
    area = sc.functions["elder_care"].size.standard_m2
    assert rented.rent == pytest.approx(600 * area) and free.rent == 0.0
    assert rented.running_by_function["elder_care"] == pytest.approx(100000 + 100 * area)
    # the government pays half the running cost and none of the rent (the operator pays rent)
    assert rented.public_yearly == pytest.approx(0.5 * (100000 + 100 * area))
    assert rented.yearly_by_payer["enterprise"] == pytest.approx(600 * area)
    assert rented.public_one_off == pytest.approx(0.8 * rented.one_off)
    assert rented.public_horizon == pytest.approx(0.8 * rented.one_off + 10 * 0.5 * (100000 + 100 * area))
    assert sum(rented.one_off_by_payer.values()) == pytest.approx(rented.one_off)


def test_channels_fund_each_bucket_from_the_channels_open_to_it_within_caps():
    channels = (ChannelSpec("central", 100.0, ("elder_care",)), ChannelSpec("district", 50.0))
    alloc = allocate_channels({"elder_care": 120.0, "site_works": 20.0}, channels)
    got = {(r.channel, r.bucket): r.amount for r in alloc.itertuples()}
    assert got[("central", "elder_care")] == pytest.approx(100.0)  # listed first: used first
    assert got[("district", "elder_care")] == pytest.approx(20.0)
    assert got[("district", "site_works")] == pytest.approx(20.0)
    assert allocate_channels({"elder_care": 120.0, "site_works": 40.0}, channels) is None  # district: 60 > 50
    assert allocate_channels({"canteen": 1.0}, (ChannelSpec("central", None, ("elder_care",)),)) is None


def test_a_rent_free_state_owned_site_wins_when_the_yearly_subsidy_cannot_pay_rent():
    """S1 (rented) reaches both blocks, S2 (state-owned, rent-free) only one: without a yearly public
    budget S1 is chosen; with one that its rent breaks, S2 is, and the plan says it paid no rent."""
    inputs = make_inputs([unit("U1", 0, 0), unit("U2", 900, 0)],
                         [site("S1", 450, 0), site("S2", 0, 0, owner="区国资")])
    raw = {"functions": ONLY_ELDER, "budget": {"total": 3e6},
           "money": {"rent": {"per_m2_year": 600, "free_owners": ["区国资"]}}}
    assert hosted(solve(inputs, raw)) == {"S1": ("elder_care",)}
    raw["budget"]["public_yearly"] = 100000.0  # rent of 300 m2 at 600 yuan is 180,000
    run = solve(inputs, raw)
    assert hosted(run) == {"S2": ("elder_care",)}
    assert run.result.proven_optimal and run.check.passed
    assert run.plan.money(run.inputs.sites, run.scenario).total("yearly") == 0.0


def test_a_capped_channel_stops_a_function_it_alone_could_fund():
    """Central money may fund elder care only; the district's own money (capped) pays the rest:
    with a small district cap the canteen, which only the district may fund, is left out."""
    inputs = make_inputs([unit("U1", 0, 0, elderly=100, total=1000)], [site("S1", 0, 0), site("S2", 0, 0)])
    raw = {"functions": {"childcare": {"enabled": False}, "parking": {"enabled": False}},
           "sharing": {"groups": []}, "budget": {"total": 1e8}}
    assert hosted(solve(inputs, raw)) == {"S1": ("canteen", "elder_care")} or \
        set(hosted(solve(inputs, raw)).values()) == {("canteen", "elder_care")}
    raw["money"] = {"channels": [{"name": "central", "cap": 1e8, "functions": ["elder_care"]},
                                 {"name": "district", "cap": 600000}]}  # one site's conversion works
    run = solve(inputs, raw)
    assert [f for fs in hosted(run).values() for f in fs] == ["elder_care"]
    assert run.check.passed
    funding = run.plan.money(run.inputs.sites, run.scenario).funding
    assert set(funding["channel"]) == {"central", "district"}


def test_the_public_cost_over_the_horizon_leaves_out_what_runs_too_dear():
    inputs = make_inputs([unit("U1", 0, 0, elderly=100, total=1000)], [site("S1", 0, 0)])
    raw = {"functions": {"childcare": {"enabled": False}, "parking": {"enabled": False},
                         "canteen": {"running": {"fixed_per_year": 1e6}}},
           "sharing": {"groups": []}, "budget": {"total": 1e8, "public_horizon": 6e6},
           "money": {"horizon_years": 5}}
    run = solve(inputs, raw)  # the canteen's subsidy alone is 5 M over five years
    assert hosted(run) == {"S1": ("elder_care",)}
    raw["money"]["running_paid_by"] = {"government": 0.0, "residents": 1.0}
    raw["functions"]["canteen"]["running_paid_by"] = {"government": 0.0, "residents": 1.0}
    assert hosted(solve(inputs, raw)) == {"S1": ("canteen", "elder_care")}


MONEY_CASES = [
    {"budget": {"public_yearly": 150000.0}, "money": {"rent": {"per_m2_year": 300, "free_owners": ["state"]}}},
    {"budget": {"public_horizon": 2.5e6}, "money": {"discount_rate": 0.05, "horizon_years": 8,
                                                    "one_off_paid_by": {"government": 0.7, "community": 0.3}}},
    {"money": {"channels": [{"name": "central", "cap": 8e5, "functions": ["elder_care", "childcare"]},
                            {"name": "bonds", "cap": 3e5, "functions": ["parking"]},
                            {"name": "district", "cap": 6e5}]}},
]


@pytest.mark.parametrize("seed", range(6))
def test_coverage_optimum_with_money_rules_equals_brute_force(seed):
    inputs, raw = random_instance(seed)
    sites = inputs.sites.copy()
    sites["owner"] = ["state" if i % 2 else "" for i in range(len(sites))]
    inputs = type(inputs)(inputs.demand, sites, inputs.facilities, None, None, inputs.crs, {})
    case = MONEY_CASES[seed % len(MONEY_CASES)]
    raw = {**raw, "budget": {**raw["budget"], **case.get("budget", {})}, "money": case["money"]}
    for f, running in (("canteen", 60000.0), ("elder_care", 40000.0), ("childcare", 50000.0), ("parking", 5000.0)):
        raw["functions"][f] = {**raw["functions"][f], "running": {"fixed_per_year": running, "per_m2_year": 50}}
    sc = make_scenario(raw)
    best, plan = brute_force_all(inputs, sc)
    if plan is None:
        with pytest.raises(InfeasibleScenario):
            solve(inputs, raw)
        return
    run = solve(inputs, raw)
    assert run.result.proven_optimal and run.check.passed
    assert run.result.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize(("raw", "key"), [
    ({"money": {"one_off_paid_by": {"government": 0.6, "residents": 0.6}}}, "money.one_off_paid_by"),
    ({"functions": {"canteen": {"running_paid_by": {"government": 0.2}}}}, "functions.canteen.running_paid_by"),
    ({"money": {"channels": [{"name": "district", "cap": -1}]}}, "money.channels[0] (district).cap"),
    ({"money": {"channels": [{"name": "central", "functions": ["elder_care"]}]}}, "money.channels"),
    ({"money": {"discount_rate": 1.5}}, "money.discount_rate"),
    ({"budget": {"public_yearly": -5}}, "budget.public_yearly"),
    ({"money": {"channels": [{"name": "x", "functions": ["sauna"]}]}}, "money.channels[0] (x).functions"),
])
def test_meaningless_money_settings_are_refused_naming_the_key(raw, key):
    with pytest.raises(ScenarioError) as err:
        make_scenario(raw)
    assert key in str(err.value)


def test_money_files_are_written_with_every_payer(tmp_path):
    from optimizer.outputs.writers import write_run

    inputs = make_inputs([unit("U1", 0, 0)], [site("S1", 0, 0, owner="区国资")])
    run = solve(inputs, {"functions": ONLY_ELDER, "money": {
        "channels": [{"name": "district"}], "one_off_paid_by": {"government": 0.5, "enterprise": 0.5}}})
    folder = write_run(run, tmp_path, "r1")
    money = pd.read_csv(folder / "money.csv", encoding="utf-8-sig")
    assert money["one_off_government"].sum() == pytest.approx(0.5 * run.plan.total_cost, abs=0.01)
    assert money["one_off_enterprise"].sum() == pytest.approx(0.5 * run.plan.total_cost, abs=0.01)
    assert (folder / "funding.csv").is_file()
    assert money["funding_channels"].iloc[0].startswith("district")


def test_the_configuration_list_says_who_pays_and_its_yearly_public_money_adds_up():
    from optimizer.outputs.money_tables import configuration_money

    inputs = make_inputs([unit("U1", 0, 0, elderly=100, total=1000)], [site("S1", 0, 0)])
    run = solve(inputs, {"functions": {"childcare": {"enabled": False}, "parking": {"enabled": False},
                                       "canteen": {"running": {"fixed_per_year": 1e5},
                                                   "running_paid_by": {"government": 0.4, "residents": 0.6}}},
                         "money": {"rent": {"per_m2_year": 100}, "running_paid_by": {"government": 0.5,
                                                                                    "enterprise": 0.5},
                                   "one_off_paid_by": {"government": 0.8, "enterprise": 0.2}}})
    money = run.plan.money(run.inputs.sites, run.scenario)
    table = configuration_money(money, run.inputs.sites, run.scenario, "zh")
    assert set(table["function"]) == {"canteen", "elder_care"}
    assert table["public_yearly"].sum() == pytest.approx(money.total("yearly", "government"))
    assert table["rent_per_year"].sum() == pytest.approx(sum(pm.rent for _, pm in money.projects))
    canteen = table.set_index("function").loc["canteen"]
    assert canteen["running_paid_by"] == "政府补 40%、居民付 60%"
    assert canteen["one_off_paid_by"] == "政府补 80%、企业让 20%"


def test_a_shared_garage_lease_is_rent_the_public_budget_sees_and_the_brute_force_agrees():
    """A garage's lease is its rent: the garage reaches more cars and costs less one-off, but with a
    yearly public budget too small for its lease a new car park (on a state-owned, rent-free plot)
    is chosen instead; the brute force agrees both ways."""
    inputs = make_inputs([{**unit("U1", 0, 0), "cars": 100.0}, {**unit("U2", 500, 0), "cars": 100.0}],
                         [{"site_id": "P1", "x": 0, "y": 0, "kind": "plot", "area_m2": 3000.0, "lowest_floor": 1,
                           "owner": "区国资", "allowed_functions": "", "circle_id": "C1", "district": "D1"},
                          {"site_id": "G1", "x": 250, "y": 0, "kind": "shared_garage", "area_m2": 1000.0,
                           "lowest_floor": 1, "allowed_functions": "parking", "places": 40, "hours": "19:00-08:00",
                           "rent_per_m2_year": 100.0, "circle_id": "C1", "district": "D1"}])
    raw = {"functions": {"canteen": {"enabled": False}, "childcare": {"enabled": False},
                         "elder_care": {"enabled": False}},
           "money": {"rent": {"free_owners": ["区国资"]}}, "budget": {"total": 1.1e6}}  # one of the two
    for public_yearly, chosen in ((1e6, "G1"), (50000.0, "P1")):  # the lease: 40 x 25 m2 x 100 = 100,000
        raw["budget"]["public_yearly"] = public_yearly
        run = solve(inputs, raw)
        best, plan = brute_force_all(inputs, make_scenario(raw))
        assert list(hosted(run)) == [chosen]
        assert run.result.objective == pytest.approx(best)
