"""Multi-function complexes (渝邻汇): one decision per site with its saving, kept exact and re-checked.

Instances are in metres, straight line with detour 1.0 (a 10-minute walk at 0.9 m/s is
540 m). At standard sizes canteen 360 m2 costs 300,000 + 3,000 x 360 = 1,380,000 yuan,
elder care 300 m2 costs 1,100,000, childcare 400 m2 costs 1,600,000; a building's
conversion 500,000.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from click.testing import CliRunner
from tiny import (
    _plain_site,
    brute_force_all,
    capacitated_brute_force,
    make_inputs,
    make_scenario,
    random_instance,
    site,
    unit,
)

from optimizer.check import SolverClaims, check_plan
from optimizer.cli import main
from optimizer.errors import InfeasibleScenario, InputError, ScenarioError
from optimizer.pipeline import run_scenario
from optimizer.plan import PlannedSite, drop_redundant
from optimizer.rules.costing import cost_site

CANTEEN, ELDER, CHILD, CONVERSION = 1_380_000, 1_100_000, 1_600_000, 500_000
ALL_THREE = CONVERSION + CANTEEN + ELDER + CHILD  # 4,580,000 yuan, 1,060 m2
COMPLEX = {"name": "渝邻汇", "functions": ["canteen", "elder_care", "childcare"], "saving_yuan": 300_000}
PLAIN = {"sharing": {"groups": []}, "functions": {"parking": {"enabled": False}}}


ONE_PLACE = [unit("U0", 0, 0, total=1000, elderly=100, infants=40)]


def solve(inputs, raw):
    return run_scenario(make_scenario({**PLAIN, **raw}), inputs=inputs)


def hosted(run):
    ids = run.inputs.sites["site_id"].tolist()
    return {ids[p.site_row]: (tuple(sorted(p.costing.functions)), p.costing.complex) for p in run.plan.sites}


# ------------------------------------------------------------------ switching a complex on
def test_three_functions_at_one_site_pay_off_only_with_the_complex_saving():
    """With 200,000 yuan too little for all three, the complex's 300,000 saving lets the site host them all."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    budget = {"budget": {"total": ALL_THREE - 200_000}}
    without = solve(inputs, budget)
    assert hosted(without) == {"S0": (("canteen", "elder_care"), "")}  # 1,000 + 100 people beat 40 infants
    with_complex = solve(inputs, {**budget, "complexes": [COMPLEX]})
    assert hosted(with_complex) == {"S0": (("canteen", "childcare", "elder_care"), "渝邻汇")}
    assert with_complex.plan.total_cost == pytest.approx(ALL_THREE - 300_000)
    assert with_complex.result.proven_optimal and with_complex.check.passed
    assert "complexes" in {i.name for i in with_complex.check.items}


def test_a_complex_area_saving_lets_a_third_function_fit():
    """1,060 m2 of functions on 1,000 m2 fit only when the complex saves 80 m2 (980 m2 >= 600 m2 still)."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0, area=1000)])
    assert hosted(solve(inputs, {}))["S0"][0] == ("canteen", "elder_care")  # two fit; 1,100 people beat 1,040
    run = solve(inputs, {"complexes": [{**COMPLEX, "saving_yuan": 0, "area_saving_m2": 80}]})
    assert hosted(run) == {"S0": (("canteen", "childcare", "elder_care"), "渝邻汇")}
    assert run.plan.sites[0].costing.area_used == pytest.approx(980)


def test_the_floor_area_is_judged_after_the_savings():
    """1,060 m2 before savings reach a 1,000 m2 minimum, 960 m2 after a 100 m2 saving do not: no complex.

    (A culture room, which counts nobody here, keeps the type buildable: with it 1,160 m2.)
    """
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    raw = {"budget": {"total": ALL_THREE - 200_000},
           "functions": {"parking": {"enabled": False}, "culture_room": {"enabled": True, "weight": 0}}}
    big = {**COMPLEX, "functions": COMPLEX["functions"] + ["culture_room"], "min_area_m2": 1000,
           "area_saving_m2": 100}
    assert hosted(solve(inputs, {**raw, "complexes": [big]})) == {"S0": (("canteen", "elder_care"), "")}
    assert hosted(solve(inputs, {**raw, "complexes": [{**big, "min_area_m2": 960}]}))["S0"][1] == "渝邻汇"


def test_a_complex_needs_its_core_functions_and_a_site_of_its_kinds():
    """Two core functions are needed (canteen and elder care here), and only the listed site kinds host one."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    budget = {"budget": {"total": ALL_THREE - 200_000}}
    three_core = {**COMPLEX, "core": ["canteen", "elder_care", "childcare"], "min_core": 3}
    assert hosted(solve(inputs, {**budget, "complexes": [three_core]}))["S0"][1] == "渝邻汇"
    hosts_only = {**COMPLEX, "kinds": ["existing_host"]}
    assert hosted(solve(inputs, {**budget, "complexes": [hosts_only]})) == {"S0": (("canteen", "elder_care"), "")}


def test_a_site_hosts_one_complex_the_one_whose_saving_the_plan_needs():
    """Two types qualify; the budget is met only with the larger saving, and only one applies."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    small, large = {**COMPLEX, "name": "small", "saving_yuan": 100_000}, {**COMPLEX, "name": "large"}
    run = solve(inputs, {"budget": {"total": ALL_THREE - 250_000}, "complexes": [small, large]})
    assert hosted(run) == {"S0": (("canteen", "childcare", "elder_care"), "large")}
    assert run.plan.total_cost == pytest.approx(ALL_THREE - 300_000)


def test_a_qualifying_site_the_solver_left_without_a_complex_gets_one_on_reading_back():
    """With money to spare the saving changes nothing, but a site meeting the rule is a complex all the same."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    run = solve(inputs, {"complexes": [COMPLEX]})
    assert hosted(run) == {"S0": (("canteen", "childcare", "elder_care"), "渝邻汇")}
    assert run.plan.total_cost == pytest.approx(ALL_THREE - 300_000) and run.check.passed


def test_a_function_reaching_nobody_new_is_still_placed_when_it_completes_a_paying_complex():
    """A running culture room already serves everyone, so a new one reaches nobody new; it costs 500,000,
    and completing a complex saving 600,000 with it is what makes canteen and elder care both affordable.
    With a 400,000 saving it cannot pay, and the exact pair drop leaves it out of the model."""
    running = [{"facility_id": "F0", "function": "culture_room", "x": 0.0, "y": 0.0, "capacity": 100.0}]
    inputs = make_inputs([unit("U0", 0, 0, total=1000, elderly=100)], [site("S0", 0, 0)], running)
    raw = {"functions": {"parking": {"enabled": False}, "childcare": {"enabled": False},
                         "culture_room": {"enabled": True}},
           "budget": {"total": 2_900_000}}
    cx = {"name": "渝邻汇", "functions": ["canteen", "elder_care", "culture_room"], "saving_yuan": 600_000}
    run = solve(inputs, {**raw, "complexes": [cx]})
    assert hosted(run) == {"S0": (("canteen", "culture_room", "elder_care"), "渝邻汇")}
    assert run.model.stats["pairs_reaching_nobody_new_dropped"] == 0
    small = solve(inputs, {**raw, "complexes": [{**cx, "saving_yuan": 400_000}]})
    assert hosted(small) == {"S0": (("canteen",), "")}
    assert small.model.stats["pairs_reaching_nobody_new_dropped"] == 1


def test_forced_functions_affordable_only_as_a_complex_are_not_refused_before_solving():
    """Three functions forced in at one site fit the budget only with the complex's saving: no shortfall."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    forced = {"decisions": {"force_in": ["S0:canteen", "S0:elder_care", "S0:childcare"]},
              "budget": {"total": ALL_THREE - 200_000}}
    with pytest.raises(InfeasibleScenario):
        solve(inputs, forced)
    assert hosted(solve(inputs, {**forced, "complexes": [COMPLEX]}))["S0"][1] == "渝邻汇"


def test_drop_redundant_never_breaks_a_complex():
    """A canteen reaching nobody new is dropped from the dearer site, unless that breaks its complex."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0), site("S1", 5, 0, kind="existing_host", area=400)])
    run = solve(inputs, {"complexes": [COMPLEX]})
    assignment = {0: ("canteen", "elder_care", "childcare"), 1: ("canteen",)}
    plain, dropped = drop_redundant(assignment, run.context)
    assert dropped == ["S0:canteen"]  # the building's canteen costs more than the host's
    kept, dropped = drop_redundant(assignment, run.context, {0: "渝邻汇"})
    assert dropped == ["S1:canteen"] and kept == {0: ("canteen", "elder_care", "childcare")}


def test_the_check_catches_a_complex_that_breaks_its_rule():
    """A plan claiming a complex on a site with two functions fails the independent check."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    run = solve(inputs, {"budget": {"total": ALL_THREE - 200_000}, "complexes": [COMPLEX]})
    claims = SolverClaims.from_model(run.model, run.result)
    assert check_plan(run.plan, run.context, claims).passed
    row = run.inputs.sites.iloc[0]
    forged = cost_site(row, ("canteen", "elder_care"), run.scenario, complex_name="渝邻汇")
    tampered = dataclasses.replace(run.plan, sites=(PlannedSite(0, forged),))
    report = check_plan(tampered, run.context, claims)
    assert [f for f in report.failures if f.startswith("complexes")] == [
        "complexes: complexes breaking their rule: S0 (渝邻汇): 2 of its functions (at least 3)"]


def test_the_model_cost_and_the_plain_costing_agree_on_a_complex():
    """The solver's complex enters the model's cost exactly as the plain costing prices it."""
    inputs = make_inputs(ONE_PLACE, [site("S0", 0, 0)])
    run = solve(inputs, {"budget": {"total": ALL_THREE - 200_000}, "complexes": [COMPLEX]})
    claims = SolverClaims.from_model(run.model, run.result)
    assert claims.complexes == {0: "渝邻汇"}
    assert claims.model_cost == pytest.approx(ALL_THREE - 300_000)


# ------------------------------------------------------------------ brute force
def _with_complex(raw: dict, rng: np.random.Generator) -> dict:
    """A complex of canteen, elder care and childcare (at least 3, 2 core), and money for a few of them."""
    cx = {"name": "cx", "functions": ["canteen", "elder_care", "childcare"],
          "min_area_m2": float(rng.choice([350, 450])), "saving_yuan": float(rng.choice([150_000, 400_000])),
          "area_saving_m2": float(rng.choice([0, 40]))}
    return {**raw, "complexes": [cx], "budget": {"total": float(rng.choice([2.9e6, 3.3e6, 4.5e6, 6e6]))}}


@pytest.mark.parametrize("seed", [0, 1, 4, 5, 6, 7, 9, 10])
def test_coverage_optimum_and_cost_with_a_complex_equal_brute_force(seed):
    """Objective and the plan's cost (each site's best complex) equal the plain enumeration.

    (Each of these optima holds a complex; in seeds 0, 4 and 10 its saving buys more coverage.)
    """
    inputs, raw = random_instance(seed, n_units=8, n_sites=4)
    raw = _with_complex({**raw, "objective": "share" if seed % 2 else "people",
                         "functions": {**raw["functions"], "parking": {"enabled": False}}}, np.random.default_rng(seed))
    sc = make_scenario(raw)
    best, plan = brute_force_all(inputs, sc)
    run = run_scenario(sc, inputs=inputs)
    assert run.result.proven_optimal and run.check.passed and run.plan.complexes()
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    sites = inputs.sites
    plain = [_plain_site(sites.iloc[p.site_row], p.costing.functions, sc) for p in run.plan.sites]
    assert run.plan.total_cost == pytest.approx(sum(c for c, _, _ in plain))
    assert [p.costing.complex for p in run.plan.sites] == [name for _, _, name in plain]


@pytest.mark.parametrize("seed", [52, 56, 65, 68, 74])
def test_least_cost_with_a_complex_equals_brute_force(seed):
    """The least cost of meeting the requirements counts each complex's saving as the enumeration does.

    (In each of these districts the least-cost plan holds a complex and costs less than without.)
    """
    inputs, raw = random_instance(seed, n_units=10, n_sites=4)
    raw = _with_complex({**raw, "objective": "least_cost",
                         "requirements": [{"function": f, "min_share": 0.2}
                                          for f in ("elder_care", "canteen", "childcare")]},
                        np.random.default_rng(seed))
    sc = make_scenario(raw)
    best, plan = brute_force_all(inputs, sc)
    assert plan is not None
    run = run_scenario(sc, inputs=inputs)
    assert run.result.proven_optimal and run.check.passed and run.plan.complexes()
    assert run.result.objective == pytest.approx(best, rel=1e-9, abs=1e-3)
    assert run.plan.total_cost == pytest.approx(best, rel=1e-9, abs=1e-3)


def test_capacitated_a_complex_enlarges_a_facility_to_reach_its_floor_area():
    """At minimum sizes the three take 520 m2 and cost 2,860,000; the budget is 50,000 short. The
    complex saves 300,000 but needs 600 m2: 80 m2 more at 3,000 yuan/m2 (240,000) still pays."""
    inputs = make_inputs([unit("U0", 0, 0, total=1000, elderly=300)], [site("S0", 0, 0)])
    raw = {**PLAIN, "model": {"mode": "capacitated"}, "budget": {"total": 2_860_000 - 50_000}}
    without = run_scenario(make_scenario(raw), inputs=inputs)
    assert len(without.plan.sites[0].costing.functions) == 2
    sc = make_scenario({**raw, "complexes": [COMPLEX]})
    run = run_scenario(sc, inputs=inputs)
    costing = run.plan.sites[0].costing
    assert (sorted(costing.functions), costing.complex) == (["canteen", "childcare", "elder_care"], "渝邻汇")
    assert sum(costing.area_by_function.values()) == pytest.approx(600)
    assert run.plan.total_cost == pytest.approx(2_860_000 + 240_000 - 300_000)
    assert run.result.proven_optimal and run.check.passed
    assert run.result.objective == pytest.approx(capacitated_brute_force(inputs, sc)[0], rel=1e-6, abs=1e-4)


@pytest.mark.parametrize("seed", [23, 24])
def test_capacitated_optimum_with_a_complex_equals_brute_force(seed):
    """Random districts where the optimum holds a complex: the optimum equals the enumeration."""
    inputs, raw = random_instance(seed, n_units=8, n_sites=3)
    raw = _with_complex({**raw, "model": {"mode": "capacitated", "ineligible_sites": "ignore"},
                         "functions": {**raw["functions"], "parking": {"enabled": False}}},
                        np.random.default_rng(seed))
    sc = make_scenario(raw)
    run = run_scenario(sc, inputs=inputs)
    assert run.result.proven_optimal and run.check.passed and run.plan.complexes()
    assert run.result.objective == pytest.approx(capacitated_brute_force(inputs, sc)[0], rel=1e-6, abs=1e-4)


# ------------------------------------------------------------------ bad configuration
BAD = [
    ({"name": "a", "functions": ["canteen", "elder_care"]}, "complexes[0] (a).functions: lists 2 functions"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "min_functions": 4},
     "complexes[0] (a).functions: lists 3 functions, fewer than its min_functions (4)"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "min_functions": 2},
     "complexes[0] (a).min_functions"),
    ({"name": "a", "functions": ["canteen", "elder_care", "parking"], "min_core": 3}, "complexes[0] (a).min_core"),
    ({"name": "a", "functions": ["canteen", "elder_care", "sauna"]}, "complexes[0] (a).functions: 'sauna' unknown"),
    ({"name": "a", "functions": ["canteen", "elder_care", "after_school"]},
     "complexes[0] (a).functions: 'after_school' unknown or disabled"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "core": ["parking"]},
     "complexes[0] (a).core: 'parking' not among its functions"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "saving_yuan": -1},
     "complexes[0] (a).saving_yuan: must be a number >= 0"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "area_saving_m2": -5},
     "complexes[0] (a).area_saving_m2: must be a number >= 0"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "kinds": ["garage"]},
     "complexes[0] (a).kinds: unknown site kind 'garage'"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "colour": "red"},
     "complexes[0].colour: unknown key"),
]


@pytest.mark.parametrize("complex_raw, message", BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)])
def test_each_bad_complex_is_refused_naming_its_key(complex_raw, message):
    with pytest.raises(ScenarioError) as err:
        make_scenario({"complexes": [complex_raw]})
    assert message in str(err.value)
    assert err.value.exit_code == 3


NEVER_PAYS = [
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "saving_yuan": 5e6},
     "complexes[0] (a).saving_yuan: 5,000,000 yuan is more than its cheapest qualifying bundle costs"),
    ({"name": "a", "functions": ["canteen", "elder_care", "childcare"], "min_area_m2": 5000},
     "complexes[0] (a): no set of its functions meets its rule"),
]


@pytest.mark.parametrize("complex_raw, message", NEVER_PAYS, ids=["saving above a bundle", "never built"])
def test_a_complex_that_could_never_be_built_or_saves_more_than_it_costs_is_refused(complex_raw, message):
    """Checked with the inputs (it needs the plain costing), before anything is built: exit 3 naming the key."""
    with pytest.raises(InputError) as err:
        solve(make_inputs(ONE_PLACE, [site("S0", 0, 0)]), {"complexes": [complex_raw]})
    assert message in str(err.value)
    assert err.value.exit_code == 3


def test_a_site_whose_own_prices_a_saving_would_exceed_is_refused_naming_it():
    """A site converted for free with free fit-out would cost less than the complex saves: exit 3, naming the site."""
    cheap = site("S0", 0, 0, fixed_cost=0.0, cost_per_m2=0.0)  # canteen+elder+childcare: 700,000 in fixed costs
    with pytest.raises(InputError) as err:
        solve(make_inputs(ONE_PLACE, [cheap]), {"complexes": [{**COMPLEX, "saving_yuan": 800_000}]})
    assert err.value.exit_code == 3
    assert "site_id=S0" in str(err.value) and "complex 渝邻汇: its saving of 800,000 yuan" in str(err.value)
    assert solve(make_inputs(ONE_PLACE, [cheap]), {"complexes": [{**COMPLEX, "saving_yuan": 700_000}]}).check.passed


def test_a_bad_complex_exits_3_from_the_command_line_and_names_the_key(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("inputs: {demand: d.gpkg, sites: s.gpkg}\nbudget: {total: 1e7}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path), "--set",
                                       "complexes=[{name: x, functions: [canteen, elder_care], saving_yuan: -1}]"])
    assert result.exit_code == 3
    assert "complexes[0] (x).functions" in result.output and "complexes[0] (x).saving_yuan" in result.output
