"""Multi-year phasing (年度项目清单): projects open in one year and serve from then on.

Instances are in metres (UTM 48N), straight-line reach with detour 1.0: a canteen
(10 min at 1.0 m/s) reaches 600 m, elder care (10 min at 0.9 m/s) 540 m. The brute force
restates the phasing rules in plain Python: it enumerates the opening year (or never)
of every site function and keeps the best plan within every year's budget.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from tiny import _plain_cost_and_area, _plain_eligible, make_inputs, make_scenario, site, unit

import solvers
from optimizer.errors import InputError, ScenarioError
from optimizer.pipeline import run_scenario
from optimizer.studies.phasing.run import run_phasing

EXACT = [s for s in ("highs", "cbc", "scip") if s in solvers.available_solvers()]
ONLY_CANTEEN = {f: {"enabled": False} for f in ("childcare", "elder_care", "parking")}
CANTEEN = 500_000 + 300_000 + 3000 * 360  # a building converted to a standard canteen: 1,880,000 yuan


def phase(inputs, raw, years, solver="highs"):
    raw = {**raw, "solver": {**raw.get("solver", {}), "name": solver}}
    return run_phasing(make_scenario(raw), tuple(years), inputs=inputs)


def opened(run) -> dict[str, int]:
    """``site_id:function -> year`` of every project."""
    ids = run.setup.inputs.sites["site_id"].tolist()
    return {f"{ids[p.site_row]}:{f}": p.year for p in run.plan.projects for f in p.functions}


# ------------------------------------------------------------------ brute force
def brute_force_years(inputs, sc, years, budgets, weights, available, carry_over):
    """Best weighted coverage over the years: every opening year (or never) of every site function."""
    names = sc.function_names
    d, s = inputs.demand, inputs.sites
    rows = [s.iloc[i] for i in range(len(s))]
    dxy = np.array([[p.x, p.y] for p in d.geometry])
    sxy = np.array([[p.x, p.y] for p in s.geometry])
    near = {f: np.hypot(*(dxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
            <= sc.functions[f].threshold_min * 60 * sc.functions[f].walk_speed_mps + 1e-9 for f in names}
    people = {f: sc.functions[f].weight * d[sc.functions[f].cohort].to_numpy(float) for f in names}
    pairs = [(i, f) for i in range(len(s)) for f in names if _plain_eligible(rows[i], f, sc)]
    choices = [[y for y in years if y >= available[i]] + [None] for i, _ in pairs]
    memo = {}

    def cost_area(i, funcs):
        if (i, funcs) not in memo:
            memo[(i, funcs)] = _plain_cost_and_area(rows[i], funcs, sc)
        return memo[(i, funcs)]

    best = -math.inf
    for combo in itertools.product(*choices):
        hosting = [[tuple(f for (j, f), y in zip(pairs, combo, strict=True) if j == i and y is not None
                          and y <= year) for i in range(len(s))] for year in years]
        if any(cost_area(i, hosting[-1][i])[1] > float(rows[i]["area_m2"]) + 1e-9 for i in range(len(s))):
            continue
        spent = np.diff(np.concatenate([[0.0], [sum(cost_area(i, h[i])[0] for i in range(len(s)))
                                                 for h in hosting]]))
        if carry_over:
            if (np.cumsum(spent) > np.cumsum(budgets) + 1e-6).any():
                continue
        elif (spent > np.asarray(budgets) + 1e-6).any():
            continue
        if sc.budget.total is not None and spent.sum() > sc.budget.total + 1e-6:
            continue
        value = 0.0
        for t, h in enumerate(hosting):
            for f in names:
                chosen = [i for i in range(len(s)) if f in h[i]]
                if chosen:
                    value += weights[t] * people[f][near[f][:, chosen].any(axis=1)].sum()
        best = max(best, value)
    return best


def random_phasing_instance(seed: int):
    rng = np.random.default_rng(seed)
    demand = [unit(f"U{i}", float(rng.uniform(0, 1600)), float(rng.uniform(0, 1600)),
                   total=float(rng.integers(0, 400)), elderly=float(rng.integers(0, 120))) for i in range(10)]
    sites = [site(f"S{j}", float(rng.uniform(0, 1600)), float(rng.uniform(0, 1600)),
                  kind=str(rng.choice(["building", "existing_host"])), area=float(rng.choice([500, 700, 1200])))
             for j in range(3)]
    years = (2026, 2027, 2028) if seed % 2 else (2026, 2027)
    available = [int(rng.choice(years)) for _ in sites]
    for s, y in zip(sites, available, strict=True):
        s["available_from"] = y
    budgets = [float(rng.choice([1.0e6, 2.0e6, 3.5e6])) for _ in years]
    raw = {
        "functions": {"childcare": {"enabled": False}, "parking": {"enabled": False},
                      "elder_care": {"weight": 2.0}},
        "sharing": {"groups": [{"name": "canteen+elder", "functions": ["canteen", "elder_care"],
                                "area_saving": 0.1, "cost_saving": 0.2}]},
        "budget": {"total": 1e9},
        "phasing": {"budgets": {y: b for y, b in zip(years, budgets, strict=True)},
                    "discount_rate": float(rng.choice([0.0, 0.25])), "carry_over": bool(seed % 3 == 0)},
        "model": {"ineligible_sites": "ignore"},
    }
    return make_inputs(demand, sites), raw, years, budgets, available


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("seed", range(4))
def test_phasing_matches_brute_force_over_every_opening_year(seed, solver):
    """The proven multi-year optimum equals the best of every opening year (or never) of every site function,
    within each year's budget (with or without carry-over), availability and the discounting of later years."""
    inputs, raw, years, budgets, available = random_phasing_instance(seed)
    run = phase(inputs, raw, years, solver)
    sc = make_scenario(raw)
    weights = [1.0 / (1.0 + sc.phasing.discount_rate) ** (y - years[0]) for y in years]
    best = brute_force_years(inputs, sc, years, budgets, weights, available, sc.phasing.carry_over)
    assert run.result.proven_optimal
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    assert run.check.passed
    assert run.check.recomputed["objective"] == pytest.approx(best, abs=1e-6)


# ------------------------------------------------------------------ single facts
def test_a_site_available_only_from_the_second_year_never_opens_in_the_first():
    """The best site for a big neighbourhood is free only from 2027: it opens in 2027, not 2026,
    and 2026's money goes to the next best site."""
    inputs = make_inputs([unit("U0", 0, 0, total=1000), unit("U1", 3000, 0, total=100)],
                         [site("S0", 0, 0, available_from=2027), site("S1", 3000, 0)])
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []},
           "phasing": {"budgets": {2026: CANTEEN, 2027: CANTEEN}}}
    run = phase(inputs, raw, (2026, 2027))
    assert opened(run) == {"S1:canteen": 2026, "S0:canteen": 2027}
    assert run.check.passed


def test_a_project_keeps_serving_in_every_later_year():
    """Once open, a canteen serves in every later year: coverage never falls and the site stays in the plan."""
    inputs = make_inputs([unit(f"U{i}", 1000.0 * i, 0, total=100 + 10 * i) for i in range(3)],
                         [site(f"S{i}", 1000.0 * i, 0) for i in range(3)])
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []},
           "phasing": {"budgets": {2026: CANTEEN, 2027: CANTEEN, 2028: CANTEEN}}}
    run = phase(inputs, raw, (2026, 2027, 2028))
    hosted = run.plan.hosted
    for before, after in zip(hosted, hosted[1:], strict=False):
        assert all(set(fs) <= set(after.get(s, ())) for s, fs in before.items())
    shares = [y["covered_share_canteen"] for y in run.check.recomputed["years"]]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    # the biggest neighbourhood first
    assert opened(run) == {"S2:canteen": 2026, "S1:canteen": 2027, "S0:canteen": 2028}


def test_with_a_large_early_budget_and_discounting_everything_useful_opens_in_the_first_year():
    """r > 0 and enough money in 2026: every canteen that reaches someone opens in 2026."""
    inputs = make_inputs([unit(f"U{i}", 1000.0 * i, 0, total=100) for i in range(3)],
                         [site(f"S{i}", 1000.0 * i, 0) for i in range(3)] + [site("S9", 9000, 0)])
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []},
           "phasing": {"budgets": {2026: 10 * CANTEEN, 2027: 10 * CANTEEN}, "discount_rate": 0.05}}
    run = phase(inputs, raw, (2026, 2027))
    assert opened(run) == {"S0:canteen": 2026, "S1:canteen": 2026, "S2:canteen": 2026}
    assert run.result.proven_optimal


def test_carry_over_lets_a_project_too_expensive_for_one_year_open_in_the_second():
    """A canteen costs 1.88 M yuan, each year has 1.0 M: without carry-over nothing opens; with it, it opens
    in 2027 with the money of both years."""
    inputs = make_inputs([unit("U0", 0, 0, total=500)], [site("S0", 0, 0)])
    budgets = {2026: 1.0e6, 2027: 1.0e6}
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []}, "phasing": {"budgets": budgets}}
    assert opened(phase(inputs, raw, (2026, 2027))) == {}
    raw["phasing"] = {"budgets": budgets, "carry_over": True}
    run = phase(inputs, raw, (2026, 2027))
    assert opened(run) == {"S0:canteen": 2027}
    years = run.check.recomputed["years"]
    assert [y["spent"] for y in years] == [0.0, CANTEEN]
    assert years[1]["money_available"] == pytest.approx(2.0e6)


@pytest.mark.parametrize("seed", range(3))
def test_one_year_with_the_whole_budget_is_the_single_year_plan(seed):
    """One year whose budget is budget.total (no phasing.budgets) gives the objective of lifecircle solve."""
    from tiny import random_instance

    inputs, raw = random_instance(seed, n_units=12, n_sites=4)
    single = run_scenario(make_scenario(raw), inputs=inputs)
    run = run_phasing(make_scenario(raw), (2026,), inputs=inputs)
    assert run.result.proven_optimal and single.result.proven_optimal
    assert run.result.objective == pytest.approx(single.result.objective, abs=1e-6)
    assert any("budget.total / 1 years" in n for n in run.horizon.notes)


def test_a_year_with_no_budget_and_no_total_is_an_input_error():
    """2027 has no phasing budget and budget.total is not given: exit 3, naming the year."""
    inputs = make_inputs([unit("U0", 0, 0, total=500)], [site("S0", 0, 0)])
    raw = {"functions": ONLY_CANTEEN, "budget": {"total": None, "by_district": {"D1": 5e6}},
           "phasing": {"budgets": {2026: 5e6}}}
    with pytest.raises(InputError) as err:
        phase(inputs, raw, (2026, 2027))
    assert err.value.exit_code == 3
    assert "year 2027" in str(err.value) and "phasing.budgets" in str(err.value)


def test_unknown_site_in_available_from_and_capacitated_mode_are_refused():
    """phasing.available_from naming a site not in the ledger, and capacitated mode, are exit-3 errors."""
    inputs = make_inputs([unit("U0", 0, 0, total=500)], [site("S0", 0, 0)])
    with pytest.raises(InputError, match="YZ-NOPE"):
        phase(inputs, {"functions": ONLY_CANTEEN, "phasing": {"available_from": {"YZ-NOPE": 2027}}}, (2026, 2027))
    with pytest.raises(ScenarioError, match="capacitated"):
        phase(inputs, {"functions": ONLY_CANTEEN, "model": {"mode": "capacitated"}}, (2026, 2027))


def test_requirements_must_hold_by_the_last_year():
    """Rule 7 in phasing: 60 % of the elderly must reach elder care by 2027; the money of 2026 alone is too little
    for the station, so it opens in 2027 (carry-over), and the check confirms the target by the last year."""
    inputs = make_inputs([unit("U0", 0, 0, total=100, elderly=100)], [site("S0", 0, 0)])
    raw = {"functions": {f: {"enabled": False} for f in ("childcare", "canteen", "parking")},
           "sharing": {"groups": []}, "requirements": [{"function": "elder_care", "min_share": 0.6}],
           "phasing": {"budgets": {2026: 1.5e6, 2027: 1.5e6}, "carry_over": True}}
    run = phase(inputs, raw, (2026, 2027))
    assert opened(run) == {"S0:elder_care": 2027}
    assert any(i.name.startswith("what must exist") and i.passed for i in run.check.items)
