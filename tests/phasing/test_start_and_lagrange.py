"""The start plan of the multi-year solve (start.py) and the bound by decomposition by year (lagrange.py).

The start keeps every row of the multi-year model and is worth at most the brute-force optimum; the plan
command returns nothing worse than it and proves the same optimum as without it. Every Lagrangian bound (any
multipliers >= 0) is at least the brute-force optimum and, from the first step (all multipliers 0, the
yearly bound) on, never above the yearly bound. Instances as in ``test_phasing.py``.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_phasing import brute_force_years, phase, random_phasing_instance
from test_yearly import not_nested
from tiny import make_scenario

from optimizer.studies.phasing import lagrange, start, yearly

SECONDS = 60.0


def searching(raw: dict, on: bool = True) -> dict:
    """``raw`` with ``phasing.start_plan`` set (on by default)."""
    return {**raw, "phasing": {**raw.get("phasing", {}), "start_plan": on}}


def _best(inputs, raw, years, budgets, available, run) -> float:
    sc = make_scenario(raw)
    return brute_force_years(inputs, sc, years, budgets, run.horizon.weights, available, sc.phasing.carry_over)


@pytest.mark.parametrize("seed", range(6))
def test_the_start_keeps_every_row_is_at_most_the_optimum_and_the_plan_is_never_worse(seed):
    """On random two- and three-year cases: the start is checked against every row of the multi-year model, is
    worth at most the brute-force optimum, the plan command proves that optimum from it, and ``phasing.json``'s
    model figures name the start's value and source."""
    inputs, raw, years, budgets, available = random_phasing_instance(seed)
    run = phase(inputs, searching(raw), years)
    best = _best(inputs, raw, years, budgets, available, run)
    found = start.start_plan(run.model, run.scenario, SECONDS)
    assert found is not None
    assert start.plan_keeps_every_row(run.model.problem, found.values)
    assert found.value == pytest.approx(run.model.problem.objective_value(found.values))
    assert found.value <= best + 1e-6
    assert run.result.proven_optimal
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    recorded = run.model.stats["start"]
    assert recorded["source"] in ("year-by-year plan", "sites of the years alone phased exactly")
    assert run.result.objective >= recorded["value"] - 1e-6
    assert recorded["yearly_bound"] >= best - 1e-6


def test_in_the_not_nested_case_phasing_the_sites_exactly_finds_the_optimum_the_year_by_year_plan_misses():
    """Year by year: M then P, 1,450. The years alone use M, P and Q; phased exactly on them: P then Q, 1,650."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    found = start.start_plan(run.model, run.scenario, SECONDS)
    assert [s["value"] for s in found.steps if s["what"] == "year-by-year plan"] == [pytest.approx(1450.0)]
    assert found.source == "sites of the years alone phased exactly"
    assert found.value == pytest.approx(1650.0)


def test_without_the_start_search_the_plan_command_proves_the_same_optimum():
    """The start changes where the solver begins, not what it proves; by default one is searched."""
    inputs, raw, years, _, _ = random_phasing_instance(3)
    without = phase(inputs, searching(raw, on=False), years)
    assert without.model.stats["start"] is None
    with_start = phase(inputs, raw, years)
    assert with_start.model.stats["start"]["value"] <= with_start.result.objective + 1e-6
    assert with_start.result.objective == pytest.approx(without.result.objective, abs=1e-6)


def test_a_plan_breaking_a_row_or_fractional_is_not_a_start():
    """The check the start must pass: every row and bound, and integral where the model says so."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    problem = run.model.problem
    good = np.asarray(run.result.values, dtype=float)
    assert start.plan_keeps_every_row(problem, good)
    over = np.where(problem.integrality.astype(bool), problem.col_upper, good)  # every project in every year
    assert not start.plan_keeps_every_row(problem, over)
    half = good.copy()
    half[np.flatnonzero(problem.integrality)[0]] = 0.5
    assert not start.plan_keeps_every_row(problem, half)
    assert not start.plan_keeps_every_row(problem, None)


def test_closing_sites_only_removes_plans():
    """A plan of the model restricted to some sites keeps every row of the full model; closed sites stay empty."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    restricted = start.restricted_to_sites(run.model, np.array([1, 2]))  # P and Q
    assert np.all(restricted.col_upper <= run.model.problem.col_upper)
    values, _ = start.phase_sites_exactly(run.model, run.scenario, np.array([1, 2]), SECONDS, None)
    assert start.plan_keeps_every_row(run.model.problem, values)
    assert run.model.problem.objective_value(values) == pytest.approx(1650.0)


@pytest.mark.parametrize("deflection", [0.0, lagrange.DEFLECTION])
@pytest.mark.parametrize("seed", range(6))
def test_every_lagrangian_bound_is_at_least_the_brute_force_optimum(seed, deflection):
    """At every subgradient step (any multipliers >= 0, plain or deflected steps) the bound holds; the first step
    is the yearly bound."""
    inputs, raw, years, budgets, available = random_phasing_instance(seed)
    run = phase(inputs, raw, years)
    best = _best(inputs, raw, years, budgets, available, run)
    out = lagrange.lagrangian_bound(run.model, run.scenario, 30.0, target=best, max_steps=8, deflection=deflection)
    assert out.history
    assert all(h["bound"] >= best - 1e-6 for h in out.history)
    assert out.history[0]["bound"] == pytest.approx(yearly.yearly_bounds(run.model, run.scenario, SECONDS).total,
                                                    abs=1e-6)
    assert best - 1e-6 <= out.bound <= out.history[0]["bound"] + 1e-9


def test_in_the_not_nested_case_the_multipliers_bring_the_bound_below_the_yearly_bound():
    """Yearly bound 1,700; the optimum 1,650. Pricing the nesting and the money moves the bound towards 1,650."""
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    out = lagrange.lagrangian_bound(run.model, run.scenario, 30.0, target=1650.0, max_steps=30)
    assert out.history[0]["bound"] == pytest.approx(1700.0)
    assert 1650.0 - 1e-6 <= out.bound < 1700.0 - 1e-6


def test_with_arbitrary_multipliers_the_bound_still_holds():
    """Random non-negative multipliers: ``sum_t U_t + mu . B`` is never below the proven optimum."""
    inputs, raw, years, budgets, available = random_phasing_instance(1)
    run = phase(inputs, raw, years)
    best = _best(inputs, raw, years, budgets, available, run)
    model = run.model
    T = len(years)
    rng = np.random.default_rng(0)
    nested = lagrange.nested_columns(model)
    for _ in range(3):
        lam = rng.uniform(0, 200, size=(T - 1, nested.size))
        mu = rng.uniform(0, 200, size=T)
        bounds = []
        for t in range(T):
            problem = dataclasses.replace(yearly.year_alone(model, t),
                                          objective=lagrange.year_objective(model, t, lam, mu))
            result = yearly._solve_year(model, problem, run.scenario, SECONDS, np.zeros(problem.n_cols))
            assert result.proven_optimal
            bounds.append(result.bound)
        assert lagrange.lagrangian_value(model, lam, mu, np.array(bounds)) >= best - 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_the_restricted_master_lies_between_a_plan_and_every_lagrangian_bound(seed):
    """Seeded with the proven plan, the master is at least that plan's value and at most every step's bound;
    the prices of the master never give a bound below the brute-force optimum."""
    inputs, raw, years, budgets, available = random_phasing_instance(seed)
    run = phase(inputs, raw, years)
    best = _best(inputs, raw, years, budgets, available, run)
    out = lagrange.lagrangian_bound(run.model, run.scenario, 30.0, target=best, max_steps=8,
                                    plans=[np.asarray(run.result.values, dtype=float)])
    assert out.dual_at_least is not None
    assert best - 1e-6 <= out.dual_at_least <= out.bound + 1e-6
    assert all(h["bound"] >= best - 1e-6 for h in out.history)


def test_on_two_cores_the_proof_splits_where_the_start_and_the_first_year_alone_disagree_and_proves_the_same():
    """The multi-year solve in two pieces at once (``solvers.pieces``). Not nested: the first year alone opens M,
    the start P; the split is on that first-year decision; the start's piece proves 1,650 and the other piece
    shows nothing with the decision flipped reaches it: the plan command proves the optimum, P then Q (550 +
    1,100; ``test_yearly.not_nested``)."""
    from optimizer.outputs.phasing import phasing_record
    from optimizer.studies.phasing.run import split_column
    from solvers.pieces import SPLIT_COLUMN

    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    found = start.start_plan(run.model, run.scenario, SECONDS)
    column = split_column(run.model, found)
    base = run.model.base
    assert column is not None and base.x.start <= column < base.x.stop  # a pair of the first year
    assert (found.values[column] > 0.5) != (found.first_year_alone[column] > 0.5)
    assert run.result.extra[SPLIT_COLUMN] == column
    pieces = {p["piece"]: p for p in run.result.extra["pieces"]}
    assert pieces["start"]["status"] == "optimal" and pieces["start"]["objective"] == pytest.approx(1650.0)
    assert pieces["other"]["status"] == "infeasible"
    assert run.result.proven_optimal and run.result.objective == pytest.approx(1650.0)
    written = phasing_record(run, "split")["solver"]  # phasing.json says how the proof ran
    assert written["message"].endswith(f"two pieces at once, split on column {column}")
    assert [(p["piece"], p["status"]) for p in written["pieces"]] == [("start", "optimal"), ("other", "infeasible")]


def test_a_run_allowed_one_core_is_not_split_and_proves_the_same(monkeypatch):
    """A container or ``taskset`` that lets the run use one CPU of a larger machine: the multi-year proof stays
    one process (two would share that CPU), with the same optimum, 1,650, proven."""
    import os

    from solvers.pieces import SPLIT_COLUMN

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    inputs, raw = not_nested()
    run = phase(inputs, raw, (2026, 2027))
    assert SPLIT_COLUMN not in run.result.extra and "pieces" not in run.result.extra
    assert run.result.proven_optimal and run.result.objective == pytest.approx(1650.0)
