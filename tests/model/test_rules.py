"""Each planning rule of model.md, shown changing a plan the way it says.

Instances are in metres (UTM 48N), reach is straight line with detour 1.0, so a
10-minute walk at 1.0 m/s is 600 m and at 0.9 m/s (elderly, infants) 540 m.
"""
from __future__ import annotations

import numpy as np
import pytest
from tiny import (
    brute_force,
    default_run_on_highs,
    exact_solvers,
    hosted,
    make_inputs,
    make_scenario,
    random_instance,
    site,
    unit,
)

from optimizer.errors import InfeasibleScenario, InputError
from optimizer.pipeline import run_scenario

# every exact backend installed here (the greedy heuristic has its own tests: it proves nothing by itself)
SOLVERS = exact_solvers()

NO_SHARING = {"sharing": {"groups": []}}


@pytest.fixture(params=default_run_on_highs(SOLVERS))
def solver(request):
    return request.param


def solve(inputs, raw, solver):
    raw = dict(raw)
    raw.setdefault("solver", {})
    raw["solver"] = {**raw["solver"], "name": solver}
    return run_scenario(make_scenario(raw), inputs=inputs)


# ---------------------------------------------------------------- rule 1: budget
def test_budget_is_never_exceeded_and_more_money_covers_more(solver):
    inputs = make_inputs([unit(f"U{i}", 1000.0 * i, 0, total=100 + i) for i in range(4)],
                         [site(f"S{i}", 1000.0 * i, 0) for i in range(4)])
    one_canteen = 500_000 + 300_000 + 3000 * 360
    covered = []
    for n in (1, 2, 3):
        run = solve(inputs, {**NO_SHARING, "budget": {"total": n * one_canteen},
                             "functions": {f: {"enabled": False} for f in ("childcare", "elder_care", "parking")}},
                    solver)
        assert run.plan.total_cost <= n * one_canteen + 1e-6
        covered.append(run.check.recomputed["weighted_coverage"])
    assert covered == [103, 103 + 102, 103 + 102 + 101]


def test_district_budget_limits_spending_in_that_district(solver):
    inputs = make_inputs([unit("U0", 0, 0, total=500), unit("U1", 3000, 0, total=100)],
                         [site("S0", 0, 0, district="A"), site("S1", 3000, 0, district="B")])
    raw = {**NO_SHARING, "budget": {"total": 1e9, "by_district": {"A": 1.0}},
           "functions": {f: {"enabled": False} for f in ("childcare", "elder_care", "parking")}}
    run = solve(inputs, raw, solver)
    assert hosted(run) == {"S1": ("canteen",)}


# ----------------------------------------------------------------- rule 2: space
def test_childcare_never_goes_into_a_basement_or_above_the_third_storey(solver):
    infants = [unit("U0", 0, 0, infants=50)]
    for floor, expected in ((-1, {}), (0, {}), (1, {"S0": ("childcare",)}), (3, {"S0": ("childcare",)}), (4, {})):
        inputs = make_inputs(infants, [site("S0", 0, 0, floor=floor)])
        run = solve(inputs, {**NO_SHARING, "model": {"ineligible_sites": "ignore"}}, solver)
        assert hosted(run) == expected, f"lowest floor {floor}"


def test_parking_only_on_plots_ground_floors_or_parking_structures(solver):
    cars = [unit("U0", 0, 0, cars=80)]
    cases = [
        (site("S0", 0, 0, kind="plot"), True),
        (site("S0", 0, 0, floor=1), True),
        (site("S0", 0, 0, floor=3), False),
        (site("S0", 0, 0, floor=3, parking_allowed=True), True),
        (site("S0", 0, 0, kind="existing_host"), False),
    ]
    for s, allowed in cases:
        run = solve(make_inputs(cars, [s]), {**NO_SHARING, "model": {"ineligible_sites": "ignore"}}, solver)
        assert ("parking" in hosted(run).get("S0", ())) == allowed, s


def test_functions_that_do_not_fit_a_site_are_not_placed_there(solver):
    inputs = make_inputs([unit("U0", 0, 0, elderly=100, infants=30)],
                         [site("S0", 0, 0, area=500)])  # elder care 300 + childcare 400 > 500
    run = solve(inputs, NO_SHARING, solver)
    assert hosted(run) == {"S0": ("elder_care",)}  # 100 elderly beat 30 infants
    assert run.plan.sites[0].costing.area_used <= 500


# ------------------------------------------------- rule 3: existing service counts
def test_people_already_served_are_not_counted_as_newly_covered(solver):
    demand = [unit("A", 0, 0, elderly=1000), unit("B", 3000, 0, elderly=300)]
    sites = [site("S0", 0, 0), site("S1", 3000, 0)]
    budget = 500_000 + 200_000 + 3000 * 300  # one elder-care station
    raw = {**NO_SHARING, "budget": {"total": budget}}
    without = solve(make_inputs(demand, sites), raw, solver)
    assert hosted(without) == {"S0": ("elder_care",)}
    existing = [{"facility_id": "F0", "function": "elder_care", "x": 10.0, "y": 0.0, "capacity": 30.0}]
    with_existing = solve(make_inputs(demand, sites, existing), raw, solver)
    assert hosted(with_existing) == {"S1": ("elder_care",)}
    assert with_existing.check.recomputed["newly_covered"]["elder_care"]["elderly"] == 300


# ------------------------------------------------------------- rule 5: sharing
def test_shared_site_pays_fixed_cost_once(solver):
    demand = [unit("U0", 0, 0, elderly=100, infants=40)]
    sites = [site("S0", 0, 0), site("S1", 5, 0)]
    elder = 200_000 + 3000 * 300
    child = 200_000 + 3500 * 400
    budget = 500_000 + elder + child  # room for one conversion, not two
    run = solve(make_inputs(demand, sites), {**NO_SHARING, "budget": {"total": budget}}, solver)
    assert sorted(hosted(run).values()) == [("childcare", "elder_care")]
    assert run.plan.total_cost == pytest.approx(budget)


def test_compatible_group_saves_area_so_both_fit_on_one_site(solver):
    demand = [unit("U0", 0, 0, elderly=100, infants=40)]
    sites = [site("S0", 0, 0, area=650)]  # 300 + 400 = 700 m2 alone; 630 m2 shared
    group = {"name": "老幼共托", "functions": ["elder_care", "childcare"], "area_saving": 0.1, "cost_saving": 0.0}
    alone = solve(make_inputs(demand, sites), NO_SHARING, solver)
    assert hosted(alone) == {"S0": ("elder_care",)}
    shared = solve(make_inputs(demand, sites), {"sharing": {"groups": [group]}}, solver)
    assert hosted(shared) == {"S0": ("childcare", "elder_care")}
    assert shared.plan.sites[0].costing.area_used == pytest.approx(630)
    assert shared.plan.sites[0].costing.groups_applied == ("老幼共托",)


def test_compatible_group_saves_cost_so_both_fit_the_budget(solver):
    demand = [unit("U0", 0, 0, elderly=100, infants=40)]
    sites = [site("S0", 0, 0)]
    elder, child = 200_000 + 3000 * 300, 200_000 + 3500 * 400
    budget = 500_000 + 0.9 * (elder + child)
    group = {"name": "g", "functions": ["elder_care", "childcare"], "area_saving": 0.0, "cost_saving": 0.1}
    assert hosted(solve(make_inputs(demand, sites), {**NO_SHARING, "budget": {"total": budget}}, solver)) \
        == {"S0": ("elder_care",)}
    run = solve(make_inputs(demand, sites), {"sharing": {"groups": [group]}, "budget": {"total": budget}}, solver)
    assert hosted(run) == {"S0": ("childcare", "elder_care")}
    assert run.plan.total_cost == pytest.approx(budget)


# -------------------------------------------------------- rule 8: forced decisions
def test_forced_in_site_is_used_and_forced_out_site_is_not(solver):
    demand = [unit("U0", 0, 0, total=1000), unit("U1", 3000, 0, total=10)]
    sites = [site("S0", 0, 0), site("S1", 3000, 0)]
    one = 500_000 + 300_000 + 3000 * 360
    raw = {**NO_SHARING, "budget": {"total": one},
           "functions": {f: {"enabled": False} for f in ("childcare", "elder_care", "parking")}}
    assert hosted(solve(make_inputs(demand, sites), raw, solver)) == {"S0": ("canteen",)}
    forced = solve(make_inputs(demand, sites), {**raw, "decisions": {"force_in": ["S1"]}}, solver)
    assert hosted(forced) == {"S1": ("canteen",)}
    out = solve(make_inputs(demand, sites), {**raw, "budget": {"total": 2 * one},
                                             "decisions": {"force_out": ["S0"]}}, solver)
    assert hosted(out) == {"S1": ("canteen",)}


def test_forced_sites_beyond_the_budget_name_the_rule_and_the_circle():
    demand = [unit("U0", 0, 0, total=100)]
    sites = [site("S0", 0, 0, circle_id="YZ-LC07"), site("S1", 50, 0, circle_id="YZ-LC08")]
    sc = make_scenario({"budget": {"total": 1_000_000}, "decisions": {"force_in": ["S0", "S1"]}})
    with pytest.raises(InfeasibleScenario) as err:
        run_scenario(sc, inputs=make_inputs(demand, sites))
    text = str(err.value)
    assert "rule 'budget'" in text and "YZ-LC07" in text and "YZ-LC08" in text


def test_forced_site_that_may_host_nothing_is_an_input_problem():
    demand = [unit("U0", 0, 0, total=100)]
    sites = [site("S0", 0, 0, floor=-2, kind="existing_host")]
    sc = make_scenario({"decisions": {"force_in": ["S0", "S9"]}, "model": {"ineligible_sites": "ignore"}})
    with pytest.raises(InputError) as err:
        run_scenario(sc, inputs=make_inputs(demand, sites))
    assert "S9" in str(err.value) and "forced in but may host no enabled function" in str(err.value)


# ------------------------------------------------------------------------ reach
def test_walking_threshold_is_inclusive(solver):
    raw = {**NO_SHARING, "functions": {f: {"enabled": False} for f in ("childcare", "elder_care", "parking")}}
    at = solve(make_inputs([unit("U0", 600, 0, total=10)], [site("S0", 0, 0)]), raw, solver)
    assert at.check.recomputed["weighted_coverage"] == 10
    beyond = solve(make_inputs([unit("U0", 600.001, 0, total=10)], [site("S0", 0, 0)]), raw, solver)
    assert beyond.check.recomputed["weighted_coverage"] == 0


# -------------------------------------------------------- model reductions
def test_merging_identical_demand_changes_rows_not_the_optimum(solver):
    inputs, raw = random_instance(7, n_units=40, n_sites=5)
    merged = solve(inputs, raw, solver)
    raw_off = {**raw, "model": {**raw["model"], "aggregate_demand": False}}
    unmerged = solve(inputs, raw_off, solver)
    assert merged.result.objective == pytest.approx(unmerged.result.objective)
    assert sum(merged.model.stats["coverage_rows"].values()) < sum(unmerged.model.stats["coverage_rows"].values())


def test_a_facility_that_reaches_nobody_new_is_dropped(solver):
    inputs = make_inputs([unit("U0", 0, 0, total=100)], [site("S0", 0, 0), site("S1", 10, 0)])
    raw = {**NO_SHARING, "functions": {f: {"enabled": False} for f in ("childcare", "elder_care", "parking")}}
    run = solve(inputs, raw, solver)
    assert len(run.plan.sites) == 1
    assert run.check.recomputed["weighted_coverage"] == 100


# ----------------------------------------------- all rules against brute force
@pytest.mark.parametrize("seed", range(12))
def test_optimum_equals_brute_force_with_every_rule_on(seed, solver):
    inputs, raw = random_instance(seed)
    best, _ = brute_force(inputs, make_scenario(raw))
    run = solve(inputs, raw, solver)
    assert run.result.proven_optimal
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    assert run.check.recomputed["weighted_coverage"] == pytest.approx(best, abs=1e-6)


def test_all_solvers_agree_on_proven_optima():
    if len(SOLVERS) < 2:
        pytest.skip("fewer than two solvers installed")
    for seed in range(20, 26):
        inputs, raw = random_instance(seed, n_units=30, n_sites=6)
        values = {s: solve(inputs, raw, s).result for s in SOLVERS}
        assert all(r.proven_optimal for r in values.values())
        objs = [r.objective for r in values.values()]
        assert np.ptp(objs) <= 1e-6, values


def _forced_case(seed):
    inputs, raw = random_instance(seed, n_units=8, n_sites=4)
    rng = np.random.default_rng(seed)
    ids = inputs.sites["site_id"].tolist()
    chosen = rng.choice(ids, size=int(rng.integers(1, 3)), replace=False)
    force_in = [str(s) if rng.random() < 0.6 else f"{s}:{rng.choice(['canteen', 'elder_care', 'childcare'])}"
                for s in chosen]
    budget = float(rng.choice([1.5e6, 4e6, 8e6]))
    return inputs, {**raw, "budget": {"total": budget}, "decisions": {"force_in": force_in}}


FORCED_SEEDS = range(30, 50)


def test_forced_cases_cover_both_feasible_and_infeasible_scenarios():
    outcomes = {brute_force(*(lambda i, r: (i, make_scenario(r)))(*_forced_case(s)))[0] > -np.inf
                for s in FORCED_SEEDS}
    assert outcomes == {True, False}


@pytest.mark.parametrize("seed", FORCED_SEEDS)
def test_forced_decisions_are_infeasible_exactly_when_brute_force_finds_no_plan(seed, solver):
    inputs, raw = _forced_case(seed)
    best, _ = brute_force(inputs, make_scenario(raw))
    try:
        run = solve(inputs, raw, solver)
    except (InfeasibleScenario, InputError) as exc:
        assert best == -np.inf, f"engine says no plan ({exc}), brute force found {best}"
        return
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    assert run.check.passed


def test_a_function_reaching_nobody_stays_when_sharing_makes_the_pair_cheaper(solver):
    # no elderly anywhere, so elder care reaches nobody; but with a 60 % shared saving
    # childcare + elder care costs 0.5 M + 0.4 x 2.7 M = 1.58 M, childcare alone 2.1 M
    inputs = make_inputs([unit("U0", 0, 0, infants=30)], [site("S0", 0, 0)])
    group = {"name": "老幼共托", "functions": ["elder_care", "childcare"], "area_saving": 0.0, "cost_saving": 0.6}
    raw = {"sharing": {"groups": [group]}, "budget": {"total": 1_600_000}}
    best, _ = brute_force(inputs, make_scenario(raw))
    run = solve(inputs, raw, solver)
    assert best == 30
    assert run.result.objective == pytest.approx(30)
    assert hosted(run) == {"S0": ("childcare", "elder_care")}
