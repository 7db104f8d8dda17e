"""The Benders backend (``benders``): plain maximal covering only, exact, and honest about its bound.

Expected optima come from brute-force enumeration, or (moderate instance) from HiGHS's
proven optimum of the full model.
"""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import solvers
from optimizer.studies.plain_coverage import (
    CoverageProblem,
    build_coverage_model,
    reach_by_radius,
    solve_coverage_problem,
)
from solvers import SolverOptions, SolveStatus, Termination, UnsupportedProblem, benders, bound_meets_value
from solvers.benders import (
    BendersBackend,
    SearchStats,
    coverage_structure,
    coverage_value,
    improve_by_swaps,
    iterated_swaps,
)

pytestmark = pytest.mark.skipif("benders" not in solvers.available_solvers(), reason="highspy not installed")


def _instance(seed: int, n: int, m: int, radius: float, *, p: int | None = None, budget: float | None = None,
              costs: bool = False, side: float = 10.0) -> CoverageProblem:
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, side, (n, 2)), rng.uniform(0, side, (m, 2))
    weights = rng.integers(1, 101, n).astype(float)
    cost = rng.integers(1, 6, m).astype(float) if costs else np.ones(m)
    return CoverageProblem(np.arange(n).astype(str), weights, np.arange(m).astype(str), cost,
                           reach_by_radius(demand, sites, radius), "max_covering", p, budget)


def _brute_force(problem: CoverageProblem) -> float:
    """Best covered weight over every subset of sites within ``p`` and ``budget``."""
    reach = problem.reach.toarray()
    m = reach.shape[1]
    best = 0.0
    for size in range(m + 1):
        if problem.p is not None and size > problem.p:
            break
        for chosen in itertools.combinations(range(m), size):
            if problem.budget is not None and problem.costs[list(chosen)].sum() > problem.budget + 1e-9:
                continue
            best = max(best, float(problem.weights[reach[:, list(chosen)].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_benders_with_p_sites_equals_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    m = int(rng.integers(4, 13))
    problem = _instance(seed, n=60, m=m, radius=2.5, p=int(rng.integers(1, 4)))
    sol = solve_coverage_problem(problem, "benders")
    assert sol.result.proven_optimal, sol.result.message
    assert sol.objective == pytest.approx(_brute_force(problem), abs=1e-9)
    assert sol.result.bound >= sol.objective - 1e-6


@pytest.mark.parametrize("seed", range(8))
def test_benders_with_a_budget_equals_brute_force(seed):
    rng = np.random.default_rng(200 + seed)
    m = int(rng.integers(4, 13))
    problem = _instance(seed, n=60, m=m, radius=2.5, budget=float(rng.integers(2, 9)), costs=True)
    sol = solve_coverage_problem(problem, "benders")
    assert sol.result.proven_optimal, sol.result.message
    assert sol.objective == pytest.approx(_brute_force(problem), abs=1e-9)


def test_benders_with_p_and_a_budget_together_equals_brute_force():
    problem = _instance(3, n=80, m=11, radius=2.5, p=3, budget=7.0, costs=True)
    sol = solve_coverage_problem(problem, "benders")
    assert sol.result.proven_optimal
    assert sol.objective == pytest.approx(_brute_force(problem), abs=1e-9)


@pytest.mark.parametrize("groups", [1, None])
def test_benders_agrees_with_highs_proven_optimum_on_a_moderate_instance(groups, monkeypatch):
    monkeypatch.setattr(BendersBackend, "groups", groups)  # one aggregated cut, and one per site
    problem = _instance(7, n=4_000, m=60, radius=1.2, p=6)
    highs = solve_coverage_problem(problem, "highs")
    benders = solve_coverage_problem(problem, "benders")
    assert highs.result.proven_optimal and benders.result.proven_optimal, benders.result.message
    assert benders.objective == pytest.approx(highs.objective, rel=1e-9)
    assert benders.result.bound >= highs.objective * (1 - 1e-9)  # the bound is never below the optimum


def test_the_benders_bound_is_never_below_the_optimum_at_any_stop():
    problem = _instance(11, n=3_000, m=40, radius=1.4, p=5)
    optimum = solve_coverage_problem(problem, "highs")
    assert optimum.result.proven_optimal
    model, _, _ = build_coverage_model(problem)
    backend = solvers.get_solver("benders")
    for limit in (0.01, 0.05, 0.2):
        result = backend.solve(model, SolverOptions(time_limit_s=limit))
        assert result.status.has_solution
        assert result.bound is not None and result.bound >= optimum.objective - 1e-6
        assert result.objective <= optimum.objective + 1e-6
        assert (result.status is SolveStatus.OPTIMAL) == bound_meets_value(result.objective, result.bound)


def test_a_time_limited_benders_run_returns_a_plan_and_a_bound_and_is_optimal_only_when_they_meet():
    problem = _instance(5, n=20_000, m=100, radius=5.5, p=10, side=30.0)  # BDS-like: a fractional LP
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=0.1))
    assert result.status.has_solution and result.bound is not None
    assert model.max_violation(result.values) <= 1e-9
    assert result.objective == pytest.approx(model.objective_value(result.values))
    if result.status is SolveStatus.OPTIMAL:
        assert bound_meets_value(result.objective, result.bound)
    else:
        assert result.gap is not None and result.gap > 0


def test_a_relative_gap_stops_benders_within_it_and_is_not_called_optimal_without_proof():
    problem = _instance(5, n=20_000, m=100, radius=5.5, p=10, side=30.0)
    model, _, _ = build_coverage_model(problem)
    exact = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    assert exact.status is SolveStatus.OPTIMAL
    loose = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60, relative_gap=0.05))
    assert loose.status.has_solution and loose.gap <= 0.05 + 1e-12
    assert loose.bound >= exact.objective - 1e-6 and loose.objective <= exact.objective + 1e-6
    assert (loose.status is SolveStatus.OPTIMAL) == bound_meets_value(loose.objective, loose.bound)
    assert loose.termination in (Termination.OPTIMAL, Termination.GAP_LIMIT)


def test_the_start_plan_is_kept_when_benders_finds_nothing_better_in_time():
    problem = _instance(5, n=20_000, m=100, radius=5.5, p=10, side=30.0)  # BDS-like: a fractional LP
    sol = solve_coverage_problem(problem, "benders", SolverOptions(time_limit_s=0.05))
    assert sol.result.status.has_solution
    assert sol.result.bound is None or sol.result.bound >= sol.objective - 1e-6


def test_benders_refuses_a_model_that_is_not_maximal_covering():
    knapsack = solvers.MatrixProblem(objective=np.array([5.0, 4.0, 3.0]), matrix=sp.csr_matrix([[2.0, 3.0, 1.0]]),
                                     row_lower=np.array([-np.inf]), row_upper=np.array([4.0]),
                                     col_lower=np.zeros(3), col_upper=np.ones(3), integrality=np.ones(3, dtype=bool))
    backend = solvers.get_solver("benders")
    with pytest.raises(UnsupportedProblem, match="coverage models only") as info:
        backend.check(knapsack)
    assert set(info.value.alternatives) <= set(solvers.all_solvers()) and "highs" in info.value.alternatives
    set_cover, _, _ = build_coverage_model(dataclasses.replace(_instance(1, 50, 8, 3.0), kind="set_covering"))
    with pytest.raises(UnsupportedProblem, match="coverage models only"):
        backend.solve(set_cover)


def test_a_covering_model_with_an_extra_kind_of_row_goes_to_the_general_master_and_stays_exact():
    model, _, _ = build_coverage_model(_instance(2, 50, 8, 3.0, p=2))
    assert not isinstance(coverage_structure(model), str)
    lower = model.row_lower.copy()
    lower[-1] = 1.0  # at least one site: a >= row on the sites, not the plain shape
    at_least_one = dataclasses.replace(model, row_lower=lower)
    assert "limit" in coverage_structure(at_least_one)
    sites_paid = model.objective.copy()
    sites_paid[0] = -1.0  # site 0 costs a point: not the plain shape either
    paid = dataclasses.replace(model, objective=sites_paid)
    assert "negative" in coverage_structure(paid)
    for problem in (at_least_one, paid):  # solved through solvers.benders_projection's master
        exact = solvers.get_solver("highs").solve(problem, SolverOptions(time_limit_s=60, relative_gap=0.0))
        result = solvers.get_solver("benders").solve(problem, SolverOptions(time_limit_s=60, relative_gap=0.0))
        assert result.proven_optimal and exact.proven_optimal
        assert result.objective == pytest.approx(exact.objective, rel=1e-9)


def test_benders_takes_the_planning_models_coverage_mode(tmp_path, monkeypatch):
    from tiny import make_scenario, random_instance  # noqa: PLC0415

    from optimizer.studies.comparison import prepare  # noqa: PLC0415

    monkeypatch.chdir(tmp_path)
    inputs, raw = random_instance(0)
    model = prepare(make_scenario(raw), inputs=inputs).model
    assert model.problem.n_cols and isinstance(coverage_structure(model.problem), str)
    solvers.get_solver("benders").check(model.problem)  # tests/model/test_benders_planning.py solves it


def test_benders_is_registered_for_coverage_only_and_proves_optimality():
    caps = solvers.SOLVERS["benders"].capabilities
    assert caps.proves_optimality and caps.needs_coverage_model and not caps.needs_planning_model
    assert "benders" not in solvers.solvers_where(needs_coverage_model=False)


def test_set_covering_with_benders_is_refused_before_solving_naming_the_solvers_that_take_it(tmp_path):
    from click.testing import CliRunner  # noqa: PLC0415

    from optimizer.cli import main  # noqa: PLC0415
    from optimizer.errors import SolverFailure  # noqa: PLC0415

    problem = dataclasses.replace(_instance(1, 50, 8, 3.0), kind="set_covering")
    with pytest.raises(SolverFailure, match="benders cannot solve this model exactly.*use highs"):
        solve_coverage_problem(problem, "benders")
    pd.DataFrame({"id": ["D1", "D2"], "weight": [3, 4], "x": [0.0, 50.0], "y": [0.0, 0.0]}).to_csv(
        tmp_path / "demand.csv", index=False)
    pd.DataFrame({"id": ["S1"], "x": [10.0], "y": [0.0]}).to_csv(tmp_path / "sites.csv", index=False)
    args = ["cover", "--demand", str(tmp_path / "demand.csv"), "--sites", str(tmp_path / "sites.csv"),
            "--radius", "100", "--solver", "benders"]
    refused = CliRunner().invoke(main, [*args, "--set-cover"])
    assert refused.exit_code == 3 and "--solver: benders solves maximal and partial set covering" in refused.output
    solved = CliRunner().invoke(main, [*args, "--p", "1"])
    assert solved.exit_code == 0 and "PROVEN OPTIMAL" in solved.output and "objective 7 " in solved.output


@pytest.mark.parametrize("seed", range(5))
def test_the_swap_search_keeps_the_limits_and_never_covers_less(seed):
    problem = _instance(seed, n=400, m=12, radius=2.5, p=4, budget=9.0, costs=True)
    model, _, _ = build_coverage_model(problem)
    structure = coverage_structure(model)
    start = np.zeros(12)
    start[np.random.default_rng(seed).permutation(12)[:2]] = 1.0  # a poor plan within both limits
    start = start if problem.costs @ start <= 9 else np.zeros(12)
    better = improve_by_swaps(structure, start)
    assert better.sum() <= 4 and problem.costs @ better <= 9 + 1e-9
    assert coverage_value(structure, better) >= coverage_value(structure, start)
    assert coverage_value(structure, better) <= _brute_force(problem) + 1e-9


def test_auto_gives_a_maximal_covering_with_many_rows_per_site_to_benders_and_set_covering_not():
    dense = _instance(5, n=20_000, m=50, radius=7.0, p=5, side=30.0)  # 17 merged rows per site
    sol = solve_coverage_problem(dense, "auto")
    assert sol.result.solver == "benders" and sol.result.proven_optimal
    assert sol.objective == pytest.approx(solve_coverage_problem(dense, "highs").objective, rel=1e-9)
    assert solve_coverage_problem(dataclasses.replace(dense, kind="set_covering", p=None), "auto").result.solver \
        != "benders"


def test_a_benders_run_that_ignores_its_limit_is_stopped_by_the_watchdog_with_its_plan_and_bound(monkeypatch):
    monkeypatch.setattr(BendersBackend, "pass_time_limit", False)  # imitate a solver that ignores its limit
    problem = _instance(0, n=100_000, m=200, radius=4.0, p=20, side=30.0)  # no solver proves it in 120 s
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=0.5, grace_s=0.5))
    assert result.termination is Termination.KILLED, result.summary()
    assert result.status is SolveStatus.FEASIBLE and result.gap > 0
    assert model.max_violation(result.values) <= 1e-9 and result.bound >= result.objective


def test_a_scenario_may_name_benders_in_either_mode():
    from tiny import make_scenario  # noqa: PLC0415

    assert make_scenario({"solver": {"name": "benders"}}).solver.name == "benders"  # coverage mode: its model
    # capacitated mode: its assignments project out (solvers/benders_assignment.py)
    assert make_scenario({"solver": {"name": "benders"}, "model": {"mode": "capacitated"}}).solver.name == "benders"


def _single_moves(structure, plan, limits_ok):
    """Every plan one fill or one swap away from ``plan`` that keeps the limits."""
    chosen = np.flatnonzero(plan > 0.5)
    free = np.flatnonzero(plan < 0.5)
    for k in free:
        moved = plan.copy()
        moved[k] = 1.0
        if limits_ok(moved):
            yield moved
        for j in chosen:
            swapped = moved.copy()
            swapped[j] = 0.0
            if limits_ok(swapped):
                yield swapped


@pytest.mark.parametrize("seed", range(5))
def test_the_iterated_swap_search_keeps_the_limits_never_covers_less_and_ends_where_no_single_move_gains(seed):
    problem = _instance(seed, n=300, m=12, radius=2.5, p=4, budget=9.0, costs=True)
    model, _, _ = build_coverage_model(problem)
    structure = coverage_structure(model)

    def limits_ok(plan):
        return plan.sum() <= 4 and problem.costs @ plan <= 9 + 1e-9

    start = np.zeros(12)
    start[np.random.default_rng(seed).permutation(12)[:2]] = 1.0
    start = start if limits_ok(start) else np.zeros(12)
    stats = SearchStats()
    plan = iterated_swaps(structure, start, patience=20, seed=seed, stats=stats)
    assert limits_ok(plan) and set(np.unique(plan)) <= {0.0, 1.0}
    value = coverage_value(structure, plan)
    assert coverage_value(structure, start) <= value <= _brute_force(problem) + 1e-9
    assert all(coverage_value(structure, moved) <= value + 1e-9 for moved in _single_moves(structure, plan, limits_ok))
    assert stats.kicks >= 20  # it stopped after 20 kicks in a row without a better plan


def test_the_iterated_swap_search_is_repeatable_with_its_seed():
    problem = _instance(4, n=2_000, m=40, radius=1.6, p=5)
    model, _, _ = build_coverage_model(problem)
    structure = coverage_structure(model)
    plans = [iterated_swaps(structure, np.zeros(40), patience=30, seed=3) for _ in range(2)]
    assert np.array_equal(plans[0], plans[1])


def test_a_first_master_round_stopped_at_its_cap_is_followed_by_the_search_and_the_proof(monkeypatch):
    monkeypatch.setattr(benders, "FIRST_ROUND_SHARE", 1e-6)  # the first MIP round stops at once
    monkeypatch.setattr(benders, "FIRST_ROUND_MIN_S", 1e-4)
    monkeypatch.setattr(benders, "DIVE_MAX_SITES", 0)  # the search in the dive's place: the first round is capped
    monkeypatch.setattr(benders, "SEARCH_PATIENCE", 300)  # a shorter search: the rounds and the proof are checked
    problem = _instance(0, n=5_000, m=80, radius=1.5, p=8)  # its LP bound is above its optimum
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    stats = result.extra["benders"]
    assert "search" in stats and stats["mip_rounds"] >= 2, stats
    assert result.status is SolveStatus.OPTIMAL and bound_meets_value(result.objective, result.bound)
    highs = solvers.get_solver("highs").solve(model, SolverOptions(time_limit_s=60))
    assert highs.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(highs.objective, rel=1e-9)


def test_after_a_dive_the_first_master_round_is_not_capped_and_no_search_runs(monkeypatch):
    monkeypatch.setattr(benders, "FIRST_ROUND_SHARE", 1e-6)  # would stop a capped round at once
    monkeypatch.setattr(benders, "FIRST_ROUND_MIN_S", 1e-4)
    problem = _instance(0, n=5_000, m=80, radius=1.5, p=8)  # the LP uses far fewer than 150 sites: a dive
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    stats = result.extra["benders"]
    assert stats["restricted_rounds"] == 1 and stats["mip_rounds"] == 1 and "search" not in stats, stats
    assert result.status is SolveStatus.OPTIMAL


def test_on_a_large_reach_the_search_runs_before_the_lp_phase_and_the_proof_still_holds(monkeypatch):
    """Above ``EARLY_SEARCH_PAIRS`` (here every reach) the plan search runs once before the master exists."""
    monkeypatch.setattr(benders, "EARLY_SEARCH_PAIRS", 0)
    monkeypatch.setattr(benders, "SEARCH_PATIENCE", 300)  # a shorter search: when it runs is checked
    problem = _instance(0, n=5_000, m=80, radius=1.5, p=8)  # small: a dive, so no search after the LP phase
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    stats = result.extra["benders"]
    assert len(stats["search"]) == 1 and stats["restricted_rounds"] == 1, stats
    assert result.status is SolveStatus.OPTIMAL and bound_meets_value(result.objective, result.bound)
    highs = solvers.get_solver("highs").solve(model, SolverOptions(time_limit_s=60))
    assert highs.status is SolveStatus.OPTIMAL and result.objective == pytest.approx(highs.objective, rel=1e-9)
    untimed = solvers.get_solver("benders").solve(model, SolverOptions())  # without a limit: no early search
    assert "search" not in untimed.extra["benders"]


class _ClockedHighs:
    """Stands in for a master ``Highs`` that has already run ``ran`` seconds: keeps the limit it is given."""

    def __init__(self, ran: float) -> None:
        self.ran, self.limit = ran, None

    def getRunTime(self) -> float:  # noqa: N802 - highspy's name
        return self.ran

    def setOptionValue(self, name: str, value: float) -> None:  # noqa: N802 - highspy's name
        assert name == "time_limit"
        self.limit = value

    def run(self) -> None:
        pass


def test_a_master_lp_gets_the_time_that_is_left_however_long_the_master_has_run_before():
    # HiGHS 1.16 holds an LP to its time_limit on the clock of all the object's runs, a MIP on this run's
    problem = _instance(0, n=500, m=10, radius=2.5, p=2)
    model, _, _ = build_coverage_model(problem)
    options = SolverOptions(time_limit_s=100.0).started()
    run = benders._Run(solvers.get_solver("benders"), model, coverage_structure(model), options, 10)
    master = _ClockedHighs(ran=70.0)
    run._run(master, cap=5.0)
    assert master.limit == pytest.approx(75.0)  # 5 s more than the 70 s already run: not stopped at once
    run.mip = True
    run._run(master, cap=5.0)
    assert master.limit == pytest.approx(5.0)


def test_when_the_lp_spreads_over_many_sites_the_search_takes_the_dives_place_and_the_optimum_is_still_proven(
        monkeypatch):
    monkeypatch.setattr(benders, "DIVE_MAX_SITES", 0)  # every LP uses more sites than this
    monkeypatch.setattr(benders, "SEARCH_PATIENCE", 300)  # a shorter search: the proof is what is checked
    problem = _instance(0, n=5_000, m=80, radius=1.5, p=8)  # its LP bound is above its optimum
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    stats = result.extra["benders"]
    assert stats["restricted_rounds"] == 0 and stats["search"], stats
    assert result.status is SolveStatus.OPTIMAL and bound_meets_value(result.objective, result.bound)
    assert result.objective == pytest.approx(solvers.get_solver("highs").solve(model).objective, rel=1e-9)


def test_benders_streams_every_better_plan_and_its_bound_and_the_last_plan_streamed_is_the_one_returned(
        monkeypatch):
    """A consultant watching a long run sees the best plan so far (issue 18: the incumbent is streamed).

    Every figure streamed is true of the problem: no plan beats the proven optimum, no bound lies
    below it, the plans only improve, and the last one is the plan returned.
    """
    from solvers.result import SolveProgress

    monkeypatch.setattr(benders, "EARLY_SEARCH_PAIRS", 0)  # the plan search runs, and streams, too
    monkeypatch.setattr(benders, "SEARCH_PATIENCE", 300)
    problem = _instance(3, n=3_000, m=60, radius=1.5, p=6)
    model, _, _ = build_coverage_model(problem)
    records: list[SolveProgress] = []
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60, on_progress=records.append))
    assert result.status is SolveStatus.OPTIMAL
    plans = [r.incumbent for r in records if r.incumbent is not None]
    assert plans and plans == sorted(plans)
    assert plans[-1] == pytest.approx(result.objective, rel=1e-12)
    assert all(r.bound is None or r.bound >= result.objective - 1e-6 for r in records)
    assert all(v <= result.objective + 1e-6 for v in plans)


@pytest.mark.parametrize("incremental", [True, False])
def test_the_search_hands_on_each_better_plan_as_it_finds_it(incremental):
    """Plans handed on while searching keep the limits, improve one after another and end at the plan returned."""
    problem = _instance(4, n=2_000, m=60, radius=1.2, p=6)
    model, _, _ = build_coverage_model(problem)
    structure = coverage_structure(model)
    start = np.zeros(structure.n_sites)
    start[:6] = 1.0
    handed: list[np.ndarray] = []
    best = iterated_swaps(structure, start, patience=200, seed=1, incremental=incremental, on_better=handed.append)
    assert handed, "the search improved on six arbitrary sites without saying so"
    values = [coverage_value(structure, plan) for plan in handed]
    assert values == sorted(values) and values[0] > coverage_value(structure, start)
    assert all(plan.sum() <= 6 for plan in handed)
    assert values[-1] == pytest.approx(coverage_value(structure, best), rel=1e-12)


def test_a_time_limited_run_searches_a_plan_first_without_changing_the_proven_optimum(monkeypatch):
    """Below EARLY_SEARCH_PAIRS a time-limited run starts with one short search (a good plan streamed early).

    It makes one start only, never covers less than the start, and the optimum proven after it is HiGHS's.
    """
    from solvers.result import SolveProgress

    monkeypatch.setattr(benders, "FIRST_SEARCH_MIN_PATIENCE", 50)
    monkeypatch.setattr(benders, "FIRST_SEARCH_KICKS_PER_SITE", 5)
    problem = _instance(5, n=4_000, m=80, radius=1.3, p=8)
    model, _, _ = build_coverage_model(problem)
    records: list[SolveProgress] = []
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60, on_progress=records.append))
    first = result.extra["benders"]["first_search"]
    assert len(first) == 1 and first[0]["restarts"] == 1 and first[0]["to"] >= first[0]["from"], first
    highs = solvers.get_solver("highs").solve(model, SolverOptions(time_limit_s=60))
    assert result.status is SolveStatus.OPTIMAL and highs.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(highs.objective, rel=1e-9)
    untimed = solvers.get_solver("benders").solve(model, SolverOptions())
    assert "first_search" not in untimed.extra["benders"]  # without a limit the run is as it was


def test_when_no_master_lp_round_ends_in_its_share_the_search_takes_the_rest_and_the_proof_still_holds(monkeypatch):
    """With ``LP_SHARE`` 0 the LP phase ends before its first round: the plan search runs before the last master
    LP (``late_search``), and the optimum is still proven; with the share as it is, no round is skipped."""
    monkeypatch.setattr(benders, "SEARCH_PATIENCE", 300)  # a shorter search: when it runs is checked
    problem = _instance(0, n=5_000, m=80, radius=1.5, p=8)  # small: no early search, a dive after the LP
    model, _, _ = build_coverage_model(problem)
    usual = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    assert "late_search" not in usual.extra["benders"] and "search" not in usual.extra["benders"]
    monkeypatch.setattr(benders, "LP_SHARE", 0.0)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    stats = result.extra["benders"]
    assert stats["lp_rounds"] == 0 and stats["late_search"] and len(stats["search"]) == 1, stats
    assert result.status is SolveStatus.OPTIMAL and bound_meets_value(result.objective, result.bound)
    assert result.objective == pytest.approx(usual.objective, rel=1e-9) and usual.status is SolveStatus.OPTIMAL


def test_on_a_large_reach_an_lp_phase_out_of_time_is_followed_by_the_search_and_the_proof_still_holds(monkeypatch):
    """Above ``EARLY_SEARCH_PAIRS`` (here every reach), an LP phase stopped by its share (``LP_SHARE`` tiny) is
    followed by a second search before the last LP, and the optimum is still proven."""
    monkeypatch.setattr(benders, "EARLY_SEARCH_PAIRS", 0)
    monkeypatch.setattr(benders, "SEARCH_PATIENCE", 300)  # a shorter search: when it runs is checked
    monkeypatch.setattr(benders, "LP_SHARE", 1e-9)
    problem = _instance(0, n=5_000, m=80, radius=1.5, p=8)
    model, _, _ = build_coverage_model(problem)
    result = solvers.get_solver("benders").solve(model, SolverOptions(time_limit_s=60))
    stats = result.extra["benders"]
    assert stats["lp_stop"] in benders.LP_TIMED_OUT and stats["late_search"] and len(stats["search"]) == 2, stats
    assert result.status is SolveStatus.OPTIMAL and bound_meets_value(result.objective, result.bound)
    highs = solvers.get_solver("highs").solve(model, SolverOptions(time_limit_s=60))
    assert highs.status is SolveStatus.OPTIMAL and result.objective == pytest.approx(highs.objective, rel=1e-9)
