"""One behavioural suite, run against every registered backend (``backend`` fixture).

Each test name states the fact it checks. Expected optima come from brute-force
enumeration or from hand calculation, never from another solver.

A backend whose :class:`~solvers.Capabilities` exclude a test problem (CP-SAT: no
continuous variables, no infinite bounds) must refuse it at once with
:class:`~solvers.UnsupportedProblem` saying why and what to use instead
(:func:`solve_unless_refused`); the time-limit tests then run on an equivalent pure
integer instance, so that every backend's time limit and watchdog are exercised.
"""
from __future__ import annotations

import dataclasses
import logging
from unittest import mock

import numpy as np
import pytest
from solver_common import (
    INF,
    brute_force,
    knapsack,
    market_split,
    multi_knapsack,
    planted_market_split,
    problem,
    random_binary_program,
)

import solvers
from solvers import (
    Sense,
    SolverOptions,
    SolveStatus,
    Termination,
    UnsupportedProblem,
    bound_meets_value,
    relative_gap,
)

FEAS_TOL = 1e-6


def assert_honest(result, p) -> None:
    """Invariants every result must satisfy, whatever happened."""
    if result.status is SolveStatus.OPTIMAL:
        assert bound_meets_value(result.objective, result.bound), result.summary()
        assert result.gap == 0.0
    if result.status.has_solution:
        assert result.values is not None and result.values.shape == (p.n_cols,)
        assert p.max_violation(result.values) <= FEAS_TOL
        assert result.objective == pytest.approx(p.objective_value(result.values), abs=1e-6, rel=1e-9)
        if result.bound is not None:  # the bound is on the right side of the value
            if p.sense is Sense.MAXIMIZE:
                assert result.bound >= result.objective - 1e-6
            else:
                assert result.bound <= result.objective + 1e-6
            assert result.gap == pytest.approx(relative_gap(result.objective, result.bound))
    else:
        assert result.values is None and result.objective is None and result.gap is None


def refusal_expected(backend, p) -> str | None:
    """What in ``p`` the backend's declared capabilities exclude (a word its refusal
    names), or ``None`` when it takes ``p``."""
    caps = backend.capabilities
    if not caps.supports_continuous and not p.integrality.all():
        return "continuous"
    if not caps.supports_infinite_bounds and not (np.isfinite(p.col_lower).all()
                                                  and np.isfinite(p.col_upper).all()):
        return "bounds"
    return None


def solve_unless_refused(backend, p, options: SolverOptions | None = None):
    """Solve ``p``; or, when the backend's capabilities exclude it, check that the backend
    refuses it before solving, saying why and naming backends that take it, and return
    ``None``."""
    options = options or SolverOptions()
    why = refusal_expected(backend, p)
    if why is None:
        return backend.solve(p, options)
    with mock.patch.object(type(backend), "_solve", side_effect=AssertionError("solved before refusing")), \
            pytest.raises(UnsupportedProblem) as info:
        backend.solve(p, options)  # refused up front by check(), never after a search
    refusal = info.value
    assert isinstance(refusal, ValueError) and refusal.solver == backend.name
    assert why in str(refusal), str(refusal)
    assert refusal.alternatives and set(refusal.alternatives) <= set(solvers.all_solvers())
    assert all(solvers.SOLVERS[a].capabilities.supports_continuous for a in refusal.alternatives)
    with pytest.raises(UnsupportedProblem):
        backend.check(p)  # the same answer without solve()
    return None


def hard_instance(backend):
    """Market split (4 rows), which no backend proves in a few seconds: with continuous
    unbounded slacks, or, for a backend that refuses those, the equivalent pure integer
    programme with bounded slacks."""
    p = market_split(m=4, seed=0)
    if refusal_expected(backend, p) is None:
        return p
    solve_unless_refused(backend, p, SolverOptions(time_limit_s=1.0))
    p = market_split(m=4, seed=0, integer_slacks=True)
    assert refusal_expected(backend, p) is None
    return p


def test_knapsack_optimum_matches_brute_force(backend):
    p = knapsack()
    best, _ = brute_force(p)
    r = backend.solve(p, SolverOptions())
    assert_honest(r, p)
    assert r.status is SolveStatus.OPTIMAL and r.termination is Termination.OPTIMAL
    assert r.objective == pytest.approx(best, abs=1e-6)
    assert r.bound == pytest.approx(best, abs=1e-6)
    assert np.allclose(r.values, np.round(r.values), atol=1e-6)


def test_infeasible_problem_is_reported_infeasible(backend):
    # 2x + 2y = 3 has no integer solution (parity); the LP relaxation is feasible
    mip = problem([1, 1], [[2, 2]], [3], [3], [0, 0], [5, 5], [1, 1])
    # x + y >= 3 with x, y <= 1: infeasible already as an LP
    lp = problem([1, 1], [[1, 1]], [3], [INF], [0, 0], [1, 1], [0, 0], sense=Sense.MINIMIZE)
    for p in (mip, lp):
        r = solve_unless_refused(backend, p, SolverOptions(time_limit_s=20))
        if r is None:
            continue
        assert r.status is SolveStatus.INFEASIBLE, r.summary()
        assert r.termination is Termination.INFEASIBLE
        assert_honest(r, p)


def test_unbounded_problem_is_reported(backend):
    # max x s.t. x - y <= 0.5, x, y >= 0: x = y grows without limit (LP and integer)
    for integ in ([0, 0], [1, 1]):
        p = problem([1, 0], [[1, -1]], [-INF], [0.5], [0, 0], [INF, INF], integ)
        r = solve_unless_refused(backend, p, SolverOptions(time_limit_s=20))
        if r is None:
            continue
        assert r.status is SolveStatus.UNBOUNDED, r.summary()
        assert r.termination is Termination.UNBOUNDED
        assert r.values is None and r.bound is None


def test_unbounded_relaxation_without_integer_plan_is_not_called_unbounded(backend):
    # 2x - 2y = 1 over non-negative integers: the relaxation is unbounded, no integer
    # point exists. HiGHS proves infeasibility; CBC branches forever until stopped.
    p = problem([1, 0], [[2, -2]], [1], [1], [0, 0], [INF, INF], [1, 1])
    r = solve_unless_refused(backend, p, SolverOptions(time_limit_s=1.0, grace_s=2.0))
    if r is None:
        return
    assert r.status in (SolveStatus.INFEASIBLE, SolveStatus.NO_SOLUTION), r.summary()
    assert r.termination is not Termination.UNBOUNDED
    assert_honest(r, p)


def test_pure_lp_reports_bound_equal_to_value(backend):
    # max 3x + 2y  s.t. x + y <= 4, x + 3y <= 6, x <= 3  ->  x = 3, y = 1, value 11
    p = problem([3, 2], [[1, 1], [1, 3]], [-INF, -INF], [4, 6], [0, 0], [3, INF], [0, 0])
    r = solve_unless_refused(backend, p)
    if r is None:
        return
    assert_honest(r, p)
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(11.0)
    assert r.bound == r.objective and r.gap == 0.0
    assert r.values == pytest.approx([3.0, 1.0])


def test_objective_offset_is_included_in_value_and_bound(backend):
    base = knapsack(n=8, seed=5)
    shifted = dataclasses.replace(base, objective_offset=-123.25)
    r0, r1 = backend.solve(base, SolverOptions()), backend.solve(shifted, SolverOptions())
    assert r1.status is SolveStatus.OPTIMAL
    assert r1.objective == pytest.approx(r0.objective - 123.25)
    assert r1.bound == pytest.approx(r0.bound - 123.25)


def test_time_limited_solve_is_never_optimal(backend):
    p = hard_instance(backend)
    options = SolverOptions(time_limit_s=1.0, grace_s=2.0)
    r = backend.solve(p, options)
    assert_honest(r, p)
    assert r.termination in (Termination.TIME_LIMIT, Termination.KILLED), r.summary()
    if r.status is SolveStatus.OPTIMAL:  # only allowed with a proof
        assert bound_meets_value(r.objective, r.bound)
    else:
        assert r.status in (SolveStatus.FEASIBLE, SolveStatus.NO_SOLUTION)
    if r.status is SolveStatus.FEASIBLE:
        assert r.bound is not None and r.gap is not None and r.gap > 0
        assert r.bound <= r.objective  # minimisation


def test_time_limit_without_incumbent_reports_no_solution(backend):
    p, _ = planted_market_split(m=6, seed=1)
    options = SolverOptions(time_limit_s=0.5, grace_s=2.0)
    r = backend.solve(p, options)
    assert r.status is SolveStatus.NO_SOLUTION, r.summary()
    assert r.termination is Termination.TIME_LIMIT
    assert r.values is None and r.objective is None and r.gap is None


def test_solver_ignoring_its_time_limit_is_stopped_and_reported_killed(backend, monkeypatch):
    # imitate a solver that ignores its own limit: the watchdog must stop it
    monkeypatch.setattr(type(backend), "pass_time_limit", False)
    p = hard_instance(backend)
    options = SolverOptions(time_limit_s=0.5, grace_s=0.5)
    r = backend.solve(p, options)
    # stopped by the watchdog at the end of the limit plus the grace (CBC: SIGINT, then SIGKILL), and said so;
    # how long after the limit each backend stops is measured in benchmarks/time_limits.py
    assert r.termination is Termination.KILLED, r.summary()
    assert r.status in (SolveStatus.FEASIBLE, SolveStatus.NO_SOLUTION)
    assert_honest(r, p)
    if r.status is SolveStatus.FEASIBLE:  # the incumbent survives the stop
        assert r.gap is not None and r.gap > 0


def test_positive_relative_gap_is_not_called_optimal_unless_proven(backend):
    outcomes = []
    for seed in (0, 1, 2):
        p = multi_knapsack(seed=seed)
        exact = backend.solve(p, SolverOptions(relative_gap=0.0, time_limit_s=30))
        assert exact.status is SolveStatus.OPTIMAL, exact.summary()
        r = backend.solve(p, SolverOptions(relative_gap=0.02, time_limit_s=30))
        assert_honest(r, p)
        assert r.status is not SolveStatus.OPTIMAL or bound_meets_value(r.objective, r.bound)
        if r.status is SolveStatus.FEASIBLE:
            assert r.termination is Termination.GAP_LIMIT
            assert r.bound is not None and 0 < r.gap <= 0.02 + 1e-3
        # the true optimum lies between the plan's value and the reported bound
        assert r.objective <= exact.objective + 1e-6
        if r.bound is not None:
            assert r.bound >= exact.objective - 1e-6
        outcomes.append(r.status)
    # these instances stop on the gap before the proof: the honest path was exercised
    assert SolveStatus.FEASIBLE in outcomes


def test_two_sided_rows_and_equalities(backend):
    # integers in [0, 4]: 3 <= x + y + z <= 5 (two-sided), x - y = 1 (equality),
    # -2 <= y - z <= 0 (two-sided around 0), 2x + z >= 4
    p = problem([1, 3, -1],
                [[1, 1, 1], [1, -1, 0], [0, 1, -1], [2, 0, 1]],
                [3, 1, -2, 4], [5, 1, 0, INF],
                [0, 0, 0], [4, 4, 4], [1, 1, 1])
    best, x = brute_force(p)
    r = backend.solve(p, SolverOptions())
    assert_honest(r, p)
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(best)
    act = p.activity(r.values)
    assert act[1] == pytest.approx(1.0)
    assert 3 - 1e-6 <= act[0] <= 5 + 1e-6 and -2 - 1e-6 <= act[2] <= 1e-6


def test_free_and_negative_bounds_are_honoured(backend):
    # min x + y with x free integer, y continuous in [-3, -1], x + 2y >= -4.5
    p = problem([1, 1], [[1, 2]], [-4.5], [INF], [-INF, -3], [INF, -1], [1, 0],
                sense=Sense.MINIMIZE)
    r = solve_unless_refused(backend, p)
    if r is None:
        return
    assert_honest(r, p)
    assert r.status is SolveStatus.OPTIMAL
    # y = (-4.5 - x) / 2 at best, so x + y = x / 2 - 2.25, smallest for the smallest x
    # with y <= -1, i.e. x >= -2.5: x = -2, y = -1.25, value -3.25
    assert r.objective == pytest.approx(-3.25)
    assert r.values == pytest.approx([-2.0, -1.25])


def test_maximize_and_minimize_agree_by_negation(backend):
    for seed in (2, 4, 6):
        p = random_binary_program(seed, n=10)
        flipped = dataclasses.replace(
            p, objective=-p.objective, objective_offset=-p.objective_offset,
            sense=Sense.MINIMIZE if p.sense is Sense.MAXIMIZE else Sense.MAXIMIZE)
        r, f = backend.solve(p, SolverOptions()), backend.solve(flipped, SolverOptions())
        assert r.status is f.status
        if r.status is SolveStatus.OPTIMAL:
            assert f.objective == pytest.approx(-r.objective)
            assert f.bound == pytest.approx(-r.bound)


def test_warm_start_is_accepted(backend):
    p, planted = planted_market_split(m=5, seed=0)  # no solver finds a point in 1 s
    start_value = p.objective_value(planted)
    warm = dataclasses.replace(p, start=planted)
    r = backend.solve(warm, SolverOptions(time_limit_s=1.0, grace_s=2.0))
    assert_honest(r, warm)
    assert r.status.has_solution, r.summary()
    assert r.objective <= start_value + 1e-6  # minimisation: at least as good as the start
    if backend.capabilities.supports_start:
        assert r.extra.get("start_accepted") is True  # the solver's log says it took it


def test_threads_and_seed_are_accepted(backend):
    p = knapsack(n=10, seed=8)
    best, _ = brute_force(p)
    for options in (SolverOptions(threads=1, seed=7), SolverOptions(threads=2, seed=0), SolverOptions()):
        r = backend.solve(p, options)
        assert r.status is SolveStatus.OPTIMAL, r.summary()
        assert r.objective == pytest.approx(best)


def test_log_is_captured_and_forwarded_only_when_asked(backend, caplog, capfd):
    p = knapsack(n=10, seed=9)
    capfd.readouterr()
    with caplog.at_level(logging.INFO, logger="solvers"):
        quiet = backend.solve(p, SolverOptions(log=False))
        quiet_records = [r for r in caplog.records if r.levelno == logging.INFO]
        loud = backend.solve(p, SolverOptions(log=True))
        loud_records = [r for r in caplog.records if r.levelno == logging.INFO]
    out = capfd.readouterr()
    assert quiet.log.strip() and loud.log.strip()  # log kept in the result either way
    assert not quiet_records
    assert len(loud_records) > 3
    assert all(r.name.startswith("solvers.") for r in loud_records)
    assert out.out == "" and out.err == ""  # nothing reaches the console


def test_empty_problem_is_settled_without_the_solver(backend):
    p = problem(np.zeros(0), np.zeros((2, 0)), [-1, -INF], [INF, 0], [], [], [], offset=4.0)
    r = backend.solve(p)
    assert r.status is SolveStatus.OPTIMAL and r.objective == 4.0 and r.values.shape == (0,)
    bad = problem(np.zeros(0), np.zeros((1, 0)), [1], [INF], [], [], [])
    assert backend.solve(bad).status is SolveStatus.INFEASIBLE


def test_all_backends_agree_on_proven_optima(available_backends):
    seen_infeasible = seen_feasible = 0
    for seed in range(20):
        p = random_binary_program(seed)
        best, _ = brute_force(p)
        for b in available_backends:
            r = b.solve(p, SolverOptions(time_limit_s=20))
            assert_honest(r, p)
            if best is None:
                assert r.status is SolveStatus.INFEASIBLE, (b.name, seed, r.summary())
            else:
                assert r.status is SolveStatus.OPTIMAL, (b.name, seed, r.summary())
                assert r.objective == pytest.approx(best, abs=1e-6), (b.name, seed)
        seen_infeasible += best is None
        seen_feasible += best is not None
    assert seen_feasible >= 10 and seen_infeasible >= 1  # both kinds were covered


def test_infeasible_warm_start_is_refused_and_the_solve_goes_on(backend):
    p = knapsack()
    best, _ = brute_force(p)
    r = backend.solve(dataclasses.replace(p, start=np.ones(p.n_cols)), SolverOptions())  # over capacity
    assert r.status is SolveStatus.OPTIMAL and r.objective == pytest.approx(best)
    if backend.capabilities.supports_start:
        assert r.extra.get("start_accepted") is False
