"""Each year alone (optimizer/studies/phasing/yearly.py): the yearly bound and the year-by-year plan.

The yearly bound sums, over the years, the best coverage of the year alone with the money
up to it; it is an upper bound of the multi-year optimum, strict when the best plans for
each year's money are not nested. The year-by-year plan keeps every multi-year rule and is
worth at most the proven optimum. Instances as in ``test_phasing.py`` (metres, a canteen
reaches 600 m).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_phasing import CANTEEN, ONLY_CANTEEN, brute_force_years, phase, random_phasing_instance
from tiny import make_inputs, make_scenario, site, unit

from optimizer.studies.phasing import yearly

SECONDS = 60.0


def _bounds(run) -> yearly.YearlyBounds:
    return yearly.yearly_bounds(run.model, run.scenario, SECONDS)


def not_nested():
    """Best single site M (600 people) is in no best pair: P and Q (550 each) reach 1,100 together.

    Units a, b (300 each) at -300 and 300 m, c, d (250 each) at -900 and 900 m; M at 0 reaches a and b,
    P at -600 reaches c and a, Q at 600 reaches b and d. One canteen's money each year, discount 0.
    """
    demand = [unit("a", -300, 0, total=300), unit("b", 300, 0, total=300),
              unit("c", -900, 0, total=250), unit("d", 900, 0, total=250)]
    sites = [site("M", 0, 0), site("P", -600, 0), site("Q", 600, 0)]
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []},
           "phasing": {"budgets": {2026: CANTEEN, 2027: CANTEEN}, "discount_rate": 0.0}}
    return make_inputs(demand, sites), raw


def test_when_the_best_plans_for_each_years_money_are_not_nested_the_yearly_bound_is_strictly_above_the_optimum():
    """Alone, 2026's best is M (600) and 2027's best with two canteens' money is P + Q (1,100): 1,700. Phased,
    P in 2026 and Q in 2027 (550 + 1,100 = 1,650) beats M then P (600 + 850): the bound exceeds the optimum by 50."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    assert run.result.proven_optimal
    assert run.result.objective == pytest.approx(1650.0)
    bounds = _bounds(run)
    assert bounds.proven.all()
    assert bounds.bounds == pytest.approx([600.0, 1100.0])
    assert bounds.total == pytest.approx(1700.0)


@pytest.mark.parametrize("seed", range(6))
def test_the_yearly_bound_is_never_below_the_proven_multi_year_optimum(seed):
    """On random two- and three-year cases (carry-over or not, discounted or not) the weighted sum of the years'
    bounds alone is at least the brute-force optimum, which HiGHS proves."""
    inputs, raw, years, budgets, available = random_phasing_instance(seed)
    run = phase(inputs, raw, years)
    sc = make_scenario(raw)
    best = brute_force_years(inputs, sc, years, budgets, run.horizon.weights, available, sc.phasing.carry_over)
    assert run.result.proven_optimal
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    assert _bounds(run).total >= best - 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_each_year_alone_is_the_best_plan_with_the_money_up_to_that_year_and_the_sites_free_by_then(seed):
    """Year t alone equals the brute-force best single-year plan with budgets summed to t, sites available by t."""
    inputs, raw, years, budgets, available = random_phasing_instance(seed)
    run = phase(inputs, raw, years)
    sc = make_scenario(raw)
    bounds = _bounds(run)
    for t, year in enumerate(years):
        alone = brute_force_years(inputs, sc, (year,), [float(np.sum(budgets[:t + 1]))], [1.0], available, False)
        assert bounds.proven[t]
        assert bounds.bounds[t] == pytest.approx(alone, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_the_year_by_year_plan_keeps_every_multi_year_rule_and_is_worth_at_most_the_proven_optimum(seed):
    """Each year at its best keeping the years before: a feasible plan of the multi-year model, no better than its
    proven optimum, and at least what year 1 alone covers in every year."""
    inputs, raw, years, _, _ = random_phasing_instance(seed)
    run = phase(inputs, raw, years)
    plan = yearly.year_by_year_plan(run.model, run.scenario, SECONDS)
    assert plan is not None
    problem = run.model.problem
    assert problem.max_violation(plan) <= 1e-6
    assert problem.objective_value(plan) <= run.result.objective + 1e-6


def test_in_the_not_nested_case_the_year_by_year_plan_takes_the_best_first_year_and_loses_fifty():
    """Year by year opens M in 2026 (the best alone) and then P: 600 + 850 = 1,450 < 1,650, the proven optimum."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    plan = yearly.year_by_year_plan(run.model, run.scenario, SECONDS)
    assert run.model.problem.objective_value(plan) == pytest.approx(1450.0)


def test_with_one_year_the_yearly_bound_is_the_proven_optimum():
    """One year: the year alone is the multi-year model, and its bound is the optimum the plan command proves."""
    inputs, raw, years, budgets, _ = random_phasing_instance(0)
    run = phase(inputs, raw, years[:1])
    assert yearly.yearly_bounds(run.model, run.scenario, SECONDS).total == pytest.approx(run.result.objective,
                                                                                           abs=1e-6)


def test_bound_rows_keep_the_proven_optimum():
    """Coverage by each year's end at most its year alone's bound: the model with these rows proves the same
    optimum (they cut no plan)."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    bounded = yearly.with_yearly_bounds(run.model, _bounds(run))
    from optimizer.solving import solve

    again = solve(bounded.as_planning_model(), run.scenario)
    assert again.proven_optimal
    assert again.objective == pytest.approx(run.result.objective)
    assert bounded.row_blocks[-1][0] == yearly.YEARLY_BOUND_RULE
    assert dataclasses.replace(bounded.problem).n_rows == run.model.problem.n_rows + 2
