"""Presolve of plain maximal covering (``solvers/presolve.py``): it never changes the optimum.

Expected optima come from brute force over every plan within ``p`` and the budget.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

import solvers
from optimizer.cli import main
from optimizer.studies.plain_coverage import (
    CoverageProblem,
    build_coverage_model,
    greedy_cover,
    reach_by_radius,
    solve_coverage_problem,
)
from solvers.benders import coverage_structure, coverage_value
from solvers.presolve import (
    dominated_sites,
    knapsack_relaxation,
    lagrangian_bound,
    presolve_coverage,
    reduced_cost_fixing,
    solve_with_presolve,
    without_fixed_sites,
)
from solvers.result import SolverOptions

pytestmark = pytest.mark.skipif("highs" not in solvers.available_solvers(), reason="presolve's LP needs highspy")

#: Every exact backend that takes plain maximal covering, as the registry has them here.
EXACT = [name for name in solvers.available_solvers()
         if solvers.SOLVERS[name].capabilities.proves_optimality
         and not solvers.SOLVERS[name].capabilities.needs_planning_model]


def _instance(seed: int, *, n: int = 40, budget: bool = False, twins: bool = True) -> CoverageProblem:
    """A tiny random problem; some sites stand where another stands (identical reach: ties)."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(5, 11))
    demand = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    if twins:
        sites[m - 2:] = sites[:2]  # two pairs of twins
    cost = rng.integers(1, 4, m).astype(float) if budget else np.ones(m)
    if twins and budget:
        cost[m - 1] = cost[1]  # one twin pair at the same cost, the other maybe not
    weights = rng.integers(1, 30, n).astype(float)
    p = None if budget else int(rng.integers(1, 4))
    limit = float(rng.integers(2, 7)) if budget else None
    return CoverageProblem(np.arange(n).astype(str), weights, np.arange(m).astype(str), cost,
                           reach_by_radius(demand, sites, float(rng.uniform(2.0, 3.5))), "max_covering", p, limit)


def _plans(problem: CoverageProblem, lower: np.ndarray | None = None, upper: np.ndarray | None = None):
    """Every plan within ``p``, the budget and (when given) the sites' bounds."""
    m = problem.reach.shape[1]
    for size in range(m + 1):
        if problem.p is not None and size > problem.p:
            break
        for chosen in itertools.combinations(range(m), size):
            sites = np.zeros(m)
            sites[list(chosen)] = 1.0
            if problem.budget is not None and problem.costs @ sites > problem.budget + 1e-9:
                continue
            if lower is not None and ((sites < lower) | (sites > upper)).any():
                continue
            yield sites


def _brute_force(problem: CoverageProblem, lower=None, upper=None) -> float:
    reach = problem.reach.toarray()
    return max(float(problem.weights[(reach @ s) > 0].sum()) for s in _plans(problem, lower, upper))


def _model_with_start(problem: CoverageProblem, sites: np.ndarray | None = None):
    model, _, weight = build_coverage_model(problem)
    m = problem.reach.shape[1]
    pattern = model.matrix[: weight.size, :m] != 0
    if sites is None:
        sites = greedy_cover(pattern, weight, problem.costs, problem.p, problem.budget).astype(float)
    hit = (pattern @ sites > 0).astype(float)
    return dataclasses.replace(model, start=np.concatenate([sites, hit]))


CASES = [(seed, False) for seed in range(8)] + [(seed, True) for seed in range(8)]


@pytest.mark.parametrize("seed,budget", CASES)
def test_the_sites_presolve_fixes_are_never_needed_for_the_optimum(seed, budget):
    problem = _instance(seed, budget=budget)
    optimum = _brute_force(problem)
    m = problem.reach.shape[1]
    reach = problem.reach.toarray()
    value = {tuple(s): float(problem.weights[(reach @ s) > 0].sum()) for s in _plans(problem)}
    single = [s for s in value if sum(s) == 1 and value[s] > 0]
    # the greedy start; an optimal one (reduced-cost fixing does the most); a poor one (one site)
    for start in (None, "best", "poor"):
        sites = None
        if start == "best":
            sites = np.array(max(value, key=value.get))
        elif start == "poor":
            sites = np.array(min(single, key=value.get))
        model = _model_with_start(problem, sites)
        tightened, report = presolve_coverage(model)
        lower, upper = tightened.col_lower[:m], tightened.col_upper[:m]
        assert _brute_force(problem, lower, upper) == pytest.approx(optimum, abs=1e-9)
        # a site fixed by reduced cost: every plan of the dominance-reduced problem that sets it otherwise
        # is worth less than the start
        kept = dominated_sites(coverage_structure(model)) < 0
        for j in np.flatnonzero(kept & ((lower > 0.5) | (upper < 0.5))):
            other = [v for plan, v in value.items() if plan[j] != (lower[j] > 0.5)
                     and all(plan[k] == 0 for k in np.flatnonzero(~kept))]
            assert max(other, default=-1.0) < report.incumbent, (j, start)
        assert report.lp_bound is not None and report.lp_bound >= optimum - 1e-6
        assert tightened.max_violation(tightened.start) <= 1e-9  # the start stays a plan of the reduced problem
        assert report.incumbent <= optimum + 1e-9


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("seed,budget", CASES)
def test_every_exact_backend_finds_the_same_optimum_with_and_without_presolve(solver, seed, budget):
    problem = _instance(seed, budget=budget)
    optimum = _brute_force(problem)
    on = solve_coverage_problem(problem, solver)
    off = solve_coverage_problem(problem, solver, presolve=False)
    assert on.result.proven_optimal and off.result.proven_optimal, (on.result.message, off.result.message)
    assert on.objective == pytest.approx(optimum, abs=1e-9)
    assert off.objective == pytest.approx(optimum, abs=1e-9)
    assert "presolve" in on.result.extra and "presolve" not in off.result.extra
    chosen = np.zeros(problem.reach.shape[1])
    chosen[on.chosen] = 1.0
    assert (problem.p is None or chosen.sum() <= problem.p) and \
        (problem.budget is None or problem.costs @ chosen <= problem.budget + 1e-9)


def _hand_made() -> tuple:
    """Sites and the rows they reach; costs on a budget row.

    0 {0,1} inside 1 {0,1,2}; 5 {0,1,2} like 1 but dearer; 2 {3} and 3 {3} twins (3 goes);
    6 {4} inside 7 {4,5} but cheaper (both stay); 8 reaches nothing; 9 {6} inside 10 {6,7}
    inside 11 {6,7,8} (a chain: both go to 11).
    """
    reach_of = {0: [0, 1], 1: [0, 1, 2], 2: [3], 3: [3], 4: [9], 5: [0, 1, 2], 6: [4], 7: [4, 5], 8: [],
                9: [6], 10: [6, 7], 11: [6, 7, 8]}
    cost = np.array([1, 1, 2, 2, 1, 2, 1, 3, 1, 1, 1, 1], dtype=float)
    rows = [i for j, rs in reach_of.items() for i in rs]
    cols = [j for j, rs in reach_of.items() for _ in rs]
    reach = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(10, 12))
    weights = np.arange(1, 11, dtype=float) * 10  # rows differ by weight only: no two merge
    return CoverageProblem(np.arange(10).astype(str), weights, np.arange(12).astype(str), cost, reach,
                           "max_covering", None, 4.0)


def test_dominance_fixes_exactly_the_sites_another_reaches_beyond_for_no_more_cost():
    model, _, _ = build_coverage_model(_hand_made())
    dominator = dominated_sites(coverage_structure(model))
    assert dict(enumerate(dominator.tolist())) == {0: 1, 1: -1, 2: -1, 3: 2, 4: -1, 5: 1, 6: -1, 7: -1, 8: 12,
                                                   9: 11, 10: 11, 11: -1}


def test_with_a_count_limit_a_dearer_site_of_wider_reach_dominates_and_a_budget_row_undoes_it():
    problem = _hand_made()
    counted = dataclasses.replace(problem, budget=None, p=2)
    dominator = dominated_sites(coverage_structure(build_coverage_model(counted)[0]))
    assert dominator[6] == 7  # without the budget row, 7 reaches more at the same charge
    both = dataclasses.replace(problem, p=2)
    dominator = dominated_sites(coverage_structure(build_coverage_model(both)[0]))
    assert dominator[6] == -1  # the budget row charges 7 more


def test_a_start_using_a_dominated_site_is_repaired_to_its_dominator_and_covers_no_less():
    problem = _hand_made()
    sites = np.zeros(12)
    sites[[0, 3, 9]] = 1.0  # all dominated: by 1, 2 and 11, which cost 1 + 2 + 1 = 4
    model = _model_with_start(problem, sites)
    tightened, report = presolve_coverage(model)
    structure = coverage_structure(model)
    repaired = tightened.start[:12]
    assert set(np.flatnonzero(repaired)) == {1, 2, 11}
    assert report.incumbent == pytest.approx(coverage_value(structure, repaired))
    assert report.incumbent >= coverage_value(structure, sites)
    assert tightened.max_violation(tightened.start) <= 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_reduced_cost_fixing_never_fixes_against_the_start(seed):
    problem = _instance(seed, budget=seed % 2 == 1, twins=False)
    model = _model_with_start(problem)
    structure = coverage_structure(model)
    rng = np.random.default_rng(seed)
    for sites in [model.start[:structure.n_sites]] + [s for s in _plans(problem) if rng.random() < 0.05][:10]:
        at_zero, at_one, bound = reduced_cost_fixing(model, structure, coverage_value(structure, sites), sites)
        assert bound is not None
        assert not (at_zero & (sites > 0.5)).any()  # a site the start uses is never fixed at 0
        assert not (at_one & (sites < 0.5)).any()


def test_a_site_fixed_at_one_leaves_the_problem_with_the_rows_it_covers_and_the_optimum_is_kept():
    problem = _instance(3, budget=True, twins=False)
    model = _model_with_start(problem)
    m = problem.reach.shape[1]
    for j in range(m):
        if problem.costs[j] > problem.budget:
            continue
        lower = model.col_lower.copy()
        lower[j] = 1.0
        forced = dataclasses.replace(model, col_lower=lower, start=None)
        smaller, kept, values = without_fixed_sites(forced)
        result = solvers.get_solver("highs").solve(smaller, SolverOptions(time_limit_s=60))
        assert result.proven_optimal
        full = values.copy()
        full[kept] = result.values
        assert forced.max_violation(full) <= 1e-6 and full[j] == 1.0
        assert result.objective == pytest.approx(_brute_force(problem, lower[:m], model.col_upper[:m]), abs=1e-6)


def _highs_proving_nothing(monkeypatch):
    """HiGHS, patched to return its plan with the weakest bound there is (the total weight), not proven."""
    backend = solvers.get_solver("highs")
    original = type(backend).solve

    def loose(self, problem, options=None):
        result = original(self, problem, options)
        total = float(problem.objective.sum()) + problem.objective_offset
        return dataclasses.replace(result, bound=total, status=solvers.SolveStatus.FEASIBLE, gap=None)

    monkeypatch.setattr(type(backend), "solve", loose)
    return backend


def test_a_weaker_solver_bound_gives_way_to_the_lp_bound_and_never_the_other_way(monkeypatch):
    problem = _instance(5, n=200)
    model = _model_with_start(problem)
    backend = _highs_proving_nothing(monkeypatch)
    result = solve_with_presolve(backend, model, SolverOptions(time_limit_s=60))
    lp = result.extra["presolve"]["lp_bound"]
    assert result.bound == pytest.approx(lp)
    assert result.extra["solver_bound"] > lp
    assert result.bound >= _brute_force(problem) - 1e-6


def test_presolve_steps_aside_when_the_time_limit_is_spent():
    problem = _instance(2)
    tightened, report = presolve_coverage(_model_with_start(problem), deadline=time.perf_counter())
    assert report.lp_bound is None and report.fixed_at_zero == report.fixed_at_one == 0
    assert "time limit" in report.skipped


def test_cover_without_presolve_changes_nothing_but_the_report(tmp_path):
    rng = np.random.default_rng(4)
    n, m = 60, 12
    pd.DataFrame({"id": [f"D{i}" for i in range(n)], "weight": rng.integers(1, 50, n),
                  "x": rng.uniform(0, 2000, n), "y": rng.uniform(0, 2000, n)}).to_csv(tmp_path / "demand.csv",
                                                                                    index=False)
    pd.DataFrame({"id": [f"S{j}" for j in range(m)], "x": rng.uniform(0, 2000, m),
                  "y": rng.uniform(0, 2000, m)}).to_csv(tmp_path / "sites.csv", index=False)
    out = {}
    for flag in ([], ["--no-presolve"]):
        folder = tmp_path / ("off" if flag else "on")
        result = CliRunner().invoke(main, ["cover", "--demand", str(tmp_path / "demand.csv"), "--sites",
                                           str(tmp_path / "sites.csv"), "--radius", "600", "--p", "3",
                                           "--out", str(folder), *flag])
        assert result.exit_code == 0, result.output
        (run,) = list(folder.iterdir())
        out[bool(flag)] = json.loads((run / "result.json").read_text(encoding="utf-8"))
    on, off = out[False], out[True]
    assert on["objective"] == off["objective"] and on["solver"]["proven_optimal"] and off["solver"]["proven_optimal"]
    assert on["presolve"]["lp_bound"] >= on["objective"] - 1e-6 and off["presolve"] is None


@pytest.mark.parametrize("solver", EXACT)
def test_when_presolve_leaves_no_site_to_choose_every_backend_still_returns_the_plan(solver, monkeypatch):
    # sites 0 and 2 reach row 0 (twins: 2 goes), site 1 row 1, p = 2: the plan is {0, 1}. The LP's reduced costs
    # are degenerate here (HiGHS may put the dual on y's bound), so the fixing of the start's sites at 1 is forced.
    import solvers.presolve as presolve

    def fix_the_start(problem, structure, incumbent, start_sites=None, time_limit_s=None):
        return start_sites < 0.5, start_sites > 0.5, incumbent

    monkeypatch.setattr(presolve, "reduced_cost_fixing", fix_the_start)
    reach = sp.csr_matrix((np.ones(3, dtype=bool), ([0, 1, 0], [0, 1, 2])), shape=(2, 3))
    problem = CoverageProblem(np.arange(2).astype(str), np.array([50.0, 40.0]), np.arange(3).astype(str),
                              np.ones(3), reach, "max_covering", 2)
    sol = solve_coverage_problem(problem, solver)
    report = sol.result.extra["presolve"]
    assert (report["dominated"], report["fixed_at_one"]) == (1, 2)
    assert report["columns"] == (problem.reach.shape[1] + 2 if solver == "benders" else 0)  # benders: unreduced
    assert sol.result.proven_optimal and sol.objective == 90.0 and sol.chosen.tolist() == [0, 1]


@pytest.mark.parametrize("solver", EXACT)
def test_a_problem_where_no_site_reaches_anyone_is_solved_without_presolve(solver):
    reach = sp.csr_matrix((2, 3), dtype=bool)
    problem = CoverageProblem(np.arange(2).astype(str), np.array([5.0, 4.0]), np.arange(3).astype(str),
                              np.ones(3), reach, "max_covering", 1)
    try:
        sol = solve_coverage_problem(problem, solver)
    except Exception as exc:  # noqa: BLE001 - benders refuses it as it does without presolve
        assert "benders" in str(exc) and solver == "benders"
        return
    assert sol.objective == 0.0 and "presolve" not in sol.result.extra


def _lp_value(problem: CoverageProblem) -> float:
    """The LP relaxation's optimum of the maximal covering model (HiGHS)."""
    model, _, _ = build_coverage_model(problem)
    relaxed = dataclasses.replace(model, integrality=np.zeros(model.n_cols, dtype=bool))
    result = solvers.get_solver("highs").solve(relaxed, SolverOptions(time_limit_s=60))
    assert result.proven_optimal
    return float(result.objective)


@pytest.mark.parametrize("seed", range(10))
def test_the_fractional_knapsack_is_the_lp_optimum_and_bounds_every_choice_within_the_limit(seed):
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 9))
    values = rng.integers(-2, 20, m).astype(float)
    coef = np.ones(m) if seed % 2 else rng.integers(0, 5, m).astype(float)  # odd seeds: a count limit
    limit = float(rng.integers(0, 4)) if seed % 2 else float(rng.uniform(0, 8))
    allowed = rng.random(m) < 0.8
    value, x = knapsack_relaxation(values, coef, limit, allowed)
    assert ((x >= 0) & (x <= 1 + 1e-12)).all() and (x[~allowed] == 0).all() and coef @ x <= limit + 1e-9
    assert value == pytest.approx(values @ x)
    lp = linprog(-values, A_ub=coef[None, :], b_ub=[limit], bounds=[(0, 1 if a else 0) for a in allowed])
    assert value == pytest.approx(-lp.fun, abs=1e-9)
    for size in range(m + 1):
        for chosen in itertools.combinations(np.flatnonzero(allowed), size):
            if coef[list(chosen)].sum() <= limit:
                assert values[list(chosen)].sum() <= value + 1e-9


@pytest.mark.parametrize("seed,budget", CASES)
def test_the_lagrangian_bound_is_never_below_the_lp_bound_nor_the_optimum_at_any_iteration(seed, budget):
    problem = _instance(seed, budget=budget, twins=False)
    optimum = _brute_force(problem)
    lp = _lp_value(problem)
    model = _model_with_start(problem)
    structure = coverage_structure(model)
    start = coverage_value(structure, model.start[:structure.n_sites])
    every = np.ones(structure.n_sites, dtype=bool)
    for iterations in (1, 2, 5, 20, 200):
        bound, done = lagrangian_bound(structure, start, every, max_iterations=iterations)
        assert done <= iterations and bound >= lp - 1e-6 and bound >= optimum - 1e-9, (iterations, bound, lp)
    bound, _ = lagrangian_bound(structure, start, every, max_iterations=1000)
    assert bound <= lp * 1.01 + 1e-6  # it converges towards the LP bound (weak duality: never below)


def test_the_lagrangian_bound_with_sites_left_out_bounds_the_plans_without_them():
    problem = _instance(6, n=60, twins=False)
    model = _model_with_start(problem)
    structure = coverage_structure(model)
    m = structure.n_sites
    best = max(range(m), key=lambda j: coverage_value(structure, np.eye(m)[j]))
    allowed = np.ones(m, dtype=bool)
    allowed[best] = False  # the best single site out
    upper = np.ones(m)
    upper[best] = 0.0
    without = _brute_force(problem, np.zeros(m), upper)
    bound, _ = lagrangian_bound(structure, 0.0, allowed, max_iterations=3000)
    assert bound >= without - 1e-9
    assert lagrangian_bound(dataclasses.replace(structure, limits=()), 0.0, allowed) == (None, 0)


def test_when_the_lp_does_not_finish_the_lagrangian_bound_is_reported_and_never_below_the_optimum(monkeypatch):
    import solvers.presolve as presolve

    problem = _instance(5, n=200)
    optimum = _brute_force(problem)
    model = _model_with_start(problem)
    m = problem.reach.shape[1]
    none = np.zeros(m, dtype=bool)
    monkeypatch.setattr(presolve, "reduced_cost_fixing", lambda *args, **kwargs: (none, none, None))
    tightened, report = presolve_coverage(model)
    assert report.lp_bound is None and report.lagrangian_bound is not None and report.lagrangian_iterations > 0
    assert report.lagrangian_bound >= optimum - 1e-9
    assert report.bound == (report.lagrangian_bound, "Lagrangian bound")
    backend = _highs_proving_nothing(monkeypatch)
    result = solve_with_presolve(backend, model, SolverOptions(time_limit_s=60))
    assert result.bound == pytest.approx(result.extra["presolve"]["lagrangian_bound"])
    assert result.bound >= optimum - 1e-9 and "Lagrangian bound" in result.message


@pytest.mark.parametrize("seed", [1, 3, 4, 7])  # instances where the method runs thousands of iterations
def test_the_lagrangian_bound_stops_when_it_fell_by_at_most_its_stall_share_over_its_stall_iterations(
        seed, monkeypatch):
    """With its step factor small (here: any), it stops after the first iteration at which the bound of
    ``stall_iterations`` iterations before lies within ``stall_rel`` of the bound: with the same iterates as a
    run without the rule (never below the LP bound nor the optimum), and not one iteration later or earlier."""
    import solvers.presolve as presolve

    monkeypatch.setattr(presolve, "LAGRANGE_STALL_STEP", 1.0)
    problem = _instance(seed, n=200, twins=False)
    optimum, lp = _brute_force(problem), _lp_value(problem)
    model = _model_with_start(problem)
    structure = coverage_structure(model)
    every = np.ones(structure.n_sites, dtype=bool)
    window, share, target = 20, 1e-3, 0.9 * optimum  # aims below the optimum: never met

    def plain(iterations: int) -> float:
        bound, done = lagrangian_bound(structure, target, every, max_iterations=iterations, stall_iterations=0)
        assert done == iterations
        return bound

    bound, done = lagrangian_bound(structure, target, every, stall_iterations=window, stall_rel=share)
    unstalled, full = lagrangian_bound(structure, target, every, stall_iterations=0, max_iterations=100_000)
    assert window < done < full, (done, full)  # only the step factor or the rule ends it
    assert bound == plain(done) and bound >= lp - 1e-6 and bound >= optimum - 1e-9
    assert unstalled <= bound
    tol = 1e-9 * abs(bound)
    assert plain(done - window) - bound <= share * abs(bound) + tol  # the rule holds after `done` iterations
    assert plain(done - 1 - window) - plain(done - 1) > share * abs(plain(done - 1)) - tol  # and not one before


def test_the_lagrangian_bound_does_not_stop_on_a_plateau_while_its_steps_are_large():
    """On this instance (seed 0, a budget) the bound stays at 316 for about 550 iterations, the step factor
    falling to 0.35, and then falls to its LP bound 312: the rule (500 iterations, 1e-4) waits for steps of at
    most ``LAGRANGE_STALL_STEP`` and ends within 0.1 % of the LP bound."""
    problem = _instance(0, budget=True, twins=False)
    lp = _lp_value(problem)
    model = _model_with_start(problem)
    structure = coverage_structure(model)
    start = coverage_value(structure, model.start[:structure.n_sites])
    every = np.ones(structure.n_sites, dtype=bool)
    plateau, _ = lagrangian_bound(structure, start, every, max_iterations=500, stall_iterations=0)
    assert plateau > lp * 1.01  # the plateau is there
    bound, done = lagrangian_bound(structure, start, every, stall_iterations=500, stall_rel=1e-4)
    assert lp - 1e-6 <= bound <= lp * 1.001 and done > 550
