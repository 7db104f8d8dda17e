"""Time-shared parking (错时共享停车, seed 003): a garage offered off-hours, chosen against a new car park.

Instances are in metres (UTM 48N), reach is straight line with detour 1.0: parking's
5-minute walk at 1.0 m/s is 300 m. Default costs: a new car park on a plot costs 200,000
(conversion) + 100,000 + 600 x 1,250 m2 = 1,050,000 yuan; a shared garage 30,000 (gates,
signs, booking) + 100,000 = 130,000 yuan (no fit-out); a canteen in a building 500,000 +
300,000 + 3,000 x 360 m2 = 1,880,000 yuan.
"""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point
from tiny import (
    CRS,
    agrees_with_brute_force,
    brute_force_all,
    capacitated_brute_force,
    default_run_on_highs,
    exact_solvers,
    hosted,
    make_inputs,
    make_scenario,
    site,
    unit,
)

import solvers
from optimizer.errors import CheckFailed, ScenarioError
from optimizer.inputs.schema import CONVERSION_KINDS, SHARED_GARAGE
from optimizer.pipeline import run_scenario
from optimizer.rules.eligibility import eligibility_matrix
from optimizer.rules.shared_parking import join_shared_garages
from optimizer.scenario import EligibilityRule

SOLVERS = exact_solvers()
#: capacitated mode decides areas: backends for integer models only (CP-SAT) refuse it before solving
CONTINUOUS = [s for s in SOLVERS if solvers.SOLVERS[s].capabilities.supports_continuous]
ONLY_PARKING_AND_CANTEEN = {f: {"enabled": False} for f in ("childcare", "elder_care")}


def garages(*rows: tuple) -> gpd.GeoDataFrame:
    """Garages from ``(garage_id, x, y, places, hours)`` (optionally a circle), as the ledger gives them."""
    return gpd.GeoDataFrame(
        {"garage_id": [r[0] for r in rows], "name": "写字楼车库", "owner": "写字楼",
         "places": [float(r[3]) for r in rows], "hours": [r[4] for r in rows],
         "lease_per_space_year": 1200.0, "fixed_cost": np.nan,
         "circle_id": [r[5] if len(r) > 5 else "C1" for r in rows], "district": "D1"},
        geometry=[Point(r[1], r[2]) for r in rows], crs=CRS)


@pytest.fixture(params=default_run_on_highs(SOLVERS))
def solver(request):
    return request.param


@pytest.fixture(params=default_run_on_highs(CONTINUOUS))
def continuous_solver(request):
    return request.param


def solve(inputs, raw, solver):
    raw = {**raw, "solver": {**raw.get("solver", {}), "name": solver}}
    return run_scenario(make_scenario(raw), inputs=inputs)


# ------------------------------------------------------------------ the garage against a new car park
def test_a_garage_reaching_the_same_cars_for_less_frees_the_money_for_a_canteen(solver):
    """500 cars by a plot, 300 residents 2 km away by a building; 2.2 M yuan buys a car park (1.05 M) or a
    canteen (1.88 M), not both: the car park wins (500 > 300). A garage 10 m from the cars reaches the same
    500 for 130,000 yuan, so the plan takes the garage and the canteen (800)."""
    inputs = make_inputs([unit("U0", 0, 0, cars=500), unit("U1", 2000, 0, total=300)],
                         [site("P0", 0, 0, kind="plot"), site("B1", 2000, 0, allowed_functions="canteen")])
    raw = {"sharing": {"groups": []}, "budget": {"total": 2.2e6}, "functions": ONLY_PARKING_AND_CANTEEN}
    base = solve(inputs, raw, solver)
    assert hosted(base) == {"P0": ("parking",)} and base.result.objective == pytest.approx(500)
    shared = solve(dataclasses.replace(inputs, shared_garages=garages(("G0", 10, 0, 60, "19:00-08:00"))), raw,
                   solver)
    assert hosted(shared) == {"G0": ("parking",), "B1": ("canteen",)}
    assert shared.result.proven_optimal and shared.result.objective == pytest.approx(800)
    assert shared.plan.total_cost == pytest.approx(130_000 + 1_880_000)


def test_a_garage_offers_exactly_its_places_not_the_standard_size():
    """Coverage mode builds a new car park at 1,250 m2 (50 spaces); a garage of 60 places is 60 x 25 m2."""
    inputs = make_inputs([unit("U0", 0, 0, cars=100)], [site("P0", 5000, 0, kind="plot")])
    inputs = dataclasses.replace(inputs, shared_garages=garages(("G0", 10, 0, 60, "19:00-08:00")))
    run = run_scenario(make_scenario({"functions": ONLY_PARKING_AND_CANTEEN}), inputs=inputs)
    assert run.plan.areas() == {(1, "parking"): 60 * 25.0}
    garage = run.inputs.sites.iloc[1]
    assert (garage["kind"], garage["area_m2"], garage["places"], garage["hours"]) == (
        SHARED_GARAGE, 1500.0, 60, "19:00-08:00")
    assert garage["rent_per_m2_year"] == pytest.approx(1200.0 / 25)  # the lease, for the running costs


def test_in_capacitated_mode_a_garage_serves_exactly_its_places(continuous_solver):
    """400 cars, two garages and no other site. Parking's sizes are 500-5,000 m2 (20-200 spaces), but a
    garage has its own: 15 places (375 m2) and 240 places (6,000 m2) serve 15 + 240 = 255 cars."""
    inputs = make_inputs([unit("U0", 0, 0, cars=400)], [site("B0", 5000, 0, floor=5)])
    inputs = dataclasses.replace(inputs, shared_garages=garages(("G0", 10, 0, 15, "18:00-23:00;00:00-08:00"),
                                                                ("G1", 20, 0, 240, "19:00-07:30")))
    raw = {"functions": {"canteen": {"enabled": False}, **ONLY_PARKING_AND_CANTEEN},
           "model": {"mode": "capacitated", "ineligible_sites": "ignore"}}
    run = solve(inputs, raw, continuous_solver)
    assert run.plan.areas() == {(1, "parking"): pytest.approx(375.0), (2, "parking"): pytest.approx(6000.0)}
    assert run.plan.served_new["parking"].sum() == pytest.approx(255.0)
    assert run.check.passed


# ------------------------------------------------------------------ only parking, ever
def test_a_garage_never_takes_another_function(solver):
    """Elderly, infants and residents all live by the garage and the money is ample: the garage still
    hosts parking only, and the other functions go to the building 200 m away."""
    inputs = make_inputs([unit("U0", 0, 0, total=900, elderly=200, infants=40, cars=80)],
                         [site("B1", 200, 0, area=5000.0)])
    inputs = dataclasses.replace(inputs, shared_garages=garages(("G0", 0, 0, 300, "00:00-24:00")))
    run = solve(inputs, {"budget": {"total": 1e9}}, solver)
    assert hosted(run)["G0"] == ("parking",)
    assert set(hosted(run)["B1"]) == {"canteen", "childcare", "elder_care"}


def test_no_eligibility_rule_but_parking_s_own_names_a_shared_garage():
    """Even a garage row without allowed_functions may take parking only under the default rules; a rule
    without kinds means the three converted kinds; a scenario placing a canteen in a garage is refused."""
    sc = make_scenario()
    sites = make_inputs([unit("U0", 0, 0)], [site("G9", 0, 0, kind=SHARED_GARAGE, places=10)]).sites
    assert eligibility_matrix(sites, sc.functions)[0].tolist() == [name == "parking" for name in sc.functions]
    assert EligibilityRule().kinds == CONVERSION_KINDS and SHARED_GARAGE not in CONVERSION_KINDS
    with pytest.raises(ScenarioError, match=r"functions.canteen.eligible\[2\].kinds: .* only parking"):
        make_scenario({"functions": {"canteen": {"eligible": [{"kinds": ["building"]}, {"kinds": ["plot"]},
                                                              {"kinds": ["shared_garage"]}]}}})


# ------------------------------------------------------------------ hours
def test_a_garage_open_fewer_than_min_hours_is_not_eligible_and_is_named():
    """shared_parking.min_hours 8 (default): a garage open 19:00-23:00 (4 h) is left out with a warning;
    one open 20:00-06:00 (10 h) joins the sites. With min_hours 3 both join."""
    inputs = make_inputs([unit("U0", 0, 0, cars=100)], [site("P0", 5000, 0, kind="plot")])
    inputs = dataclasses.replace(inputs, shared_garages=garages(("GS", 10, 0, 50, "19:00-23:00"),
                                                                ("GL", 20, 0, 50, "20:00-06:00")))
    joined, warnings = join_shared_garages(inputs, make_scenario())
    assert joined.sites["site_id"].tolist() == ["P0", "GL"]
    assert len(warnings) == 1 and "GS (4 h)" in warnings[0] and "shared_parking.min_hours" in warnings[0]
    assert "GL" not in warnings[0]
    again, warnings_again = join_shared_garages(joined, make_scenario())  # joined once only
    assert again is joined and warnings_again == []
    relaxed, warnings = join_shared_garages(inputs, make_scenario({"shared_parking": {"min_hours": 3}}))
    assert relaxed.sites["site_id"].tolist() == ["P0", "GS", "GL"] and warnings == []
    run = run_scenario(make_scenario({"functions": ONLY_PARKING_AND_CANTEEN}), inputs=inputs)
    assert hosted(run) == {"GL": ("parking",)} and any("GS (4 h)" in w for w in run.warnings)


def test_min_hours_is_hours_of_a_day():
    with pytest.raises(ScenarioError, match="shared_parking.min_hours: must be hours of a day"):
        make_scenario({"shared_parking": {"min_hours": 25}})
    with pytest.raises(ScenarioError, match="shared_parking.min_hour: unknown key"):
        make_scenario({"shared_parking": {"min_hour": 6}})


def test_without_garages_or_without_parking_nothing_joins():
    inputs = make_inputs([unit("U0", 0, 0, cars=100)], [site("P0", 0, 0, kind="plot")])
    same, warnings = join_shared_garages(inputs, make_scenario())
    assert same is inputs and warnings == []
    with_garage = dataclasses.replace(inputs, shared_garages=garages(("G0", 10, 0, 50, "19:00-08:00")))
    joined, warnings = join_shared_garages(with_garage, make_scenario({"functions": {"parking": {"enabled": False}}}))
    assert joined.sites["site_id"].tolist() == ["P0"] and "parking is not planned" in warnings[0]


# ------------------------------------------------------------------ agreement with the brute force
def _random_garage_instance(seed: int, mode: str):
    """Cars and residents, plots and buildings, and two garages (one sometimes open too briefly)."""
    rng = np.random.default_rng(seed)
    n_units, n_sites = (10, 3) if mode == "coverage" else (6, 2)
    demand = [unit(f"U{i}", float(rng.uniform(0, 1200)), float(rng.uniform(0, 1200)), circle=f"C{i % 2}",
                   total=float(rng.integers(100, 900)), cars=float(rng.integers(0, 80))) for i in range(n_units)]
    sites = [site(f"S{j}", float(rng.uniform(0, 1200)), float(rng.uniform(0, 1200)),
                  kind=str(rng.choice(["building", "plot"])), area=float(rng.choice([400, 900, 1500])),
                  circle=f"C{j % 2}") for j in range(n_sites)]
    rows = [(f"G{k}", float(rng.uniform(0, 1200)), float(rng.uniform(0, 1200)), int(rng.integers(10, 90)),
             str(rng.choice(["19:00-08:00", "18:00-23:00;00:00-07:00", "20:00-23:00"])), f"C{k % 2}")
            for k in range(2)]
    raw = {
        "functions": {**ONLY_PARKING_AND_CANTEEN,
                      "canteen": {"threshold_min": 8, "size": {"min_m2": 100, "standard_m2": 200, "max_m2": 600}},
                      "parking": {"size": {"min_m2": 600, "standard_m2": 800, "max_m2": 1500}}},
        "budget": {"total": float(rng.choice([0.4e6, 1.2e6, 2.5e6]))},
        "requirements": [{"function": "parking", "min_per_1000": float(rng.choice([5.0, 20.0])), "circles": ["C1"]}]
        if rng.random() < 0.4 else [],
        "model": {"mode": mode, "ineligible_sites": "ignore"},
    }
    inputs = dataclasses.replace(make_inputs(demand, sites), shared_garages=garages(*rows))
    return join_shared_garages(inputs, make_scenario(raw))[0], raw


@pytest.mark.parametrize("seed", range(8))
def test_coverage_optimum_with_garages_equals_brute_force(seed, solver):
    inputs, raw = _random_garage_instance(seed, "coverage")
    best, plan = brute_force_all(inputs, make_scenario(raw))
    agrees_with_brute_force(best, plan, lambda: solve(inputs, raw, solver), abs_tol=1e-6)


#: (solver, seed) whose plan the check refuses for a reason that is not the garages': CBC prints its solution
#: to a few decimals, and seed 2's optimum (no garage in it) once spent the whole budget on an area of
#: 1066.6667 m2, 0.02 yuan above the budget, beyond the check's 0.01 yuan. Since the solved problem caps
#: each area by what its walk can fill (issue 18, ``optimizer/model/size_caps.py``) CBC's plan there
#: passes the check (the strict xfail passed), so no pair is listed; the mark stays for the next one.
PRINTED_DIGITS: set[tuple[str, int]] = set()


@pytest.mark.parametrize("seed", range(6))
def test_capacitated_optimum_with_garages_equals_brute_force(seed, continuous_solver, request):
    if (continuous_solver, seed) in PRINTED_DIGITS:
        request.applymarker(pytest.mark.xfail(raises=CheckFailed, strict=True, reason="CBC's printed digits"))
    inputs, raw = _random_garage_instance(seed, "capacitated")
    sc = make_scenario(raw)
    best, plan = capacitated_brute_force(inputs, sc)
    agrees_with_brute_force(best, plan, lambda: solve(inputs, raw, continuous_solver), rel=1e-6, abs_tol=1e-4)


def test_the_random_instances_use_garages():
    """The agreement above would prove little if no garage were ever chosen."""
    chosen = 0
    for seed in range(8):
        inputs, raw = _random_garage_instance(seed, "coverage")
        _, plan = brute_force_all(inputs, make_scenario(raw))
        kinds = inputs.sites["kind"].to_numpy()
        chosen += sum(kinds[i] == SHARED_GARAGE for i in (plan or {}))
    assert chosen >= 3
