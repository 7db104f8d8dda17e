"""The OR-Tools backends' own rules: what CP-SAT takes exactly (row and objective scaling,
variables marked integral at an optimum) and what it refuses before solving; SCIP's
single thread and silent console.

Expected optima come from brute-force enumeration or hand calculation.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from solver_common import INF, brute_force, problem

import solvers
from solvers import MatrixProblem, Sense, SolverOptions, SolveStatus, Termination, UnsupportedProblem

cpsat_missing = not solvers.SOLVERS["cpsat"].available()
scip_missing = not solvers.SOLVERS["scip"].available()
needs_cpsat = pytest.mark.skipif(cpsat_missing, reason="CP-SAT not installed (pip install ortools)")
needs_scip = pytest.mark.skipif(scip_missing, reason="SCIP (OR-Tools) not installed (pip install ortools)")


@pytest.fixture
def cpsat():
    if cpsat_missing:
        pytest.skip("CP-SAT not installed (pip install ortools)")
    return solvers.get_solver("cpsat")


def coverage_model(seed: int, n_sites: int = 6, n_rows: int = 10) -> tuple[MatrixProblem, np.ndarray]:
    """Maximal covering: binaries x (sites), continuous y in [0, 1] (rows), y_r <= sum of
    the x reaching r, a budget with decimal costs. Returns the problem and the mask of y."""
    rng = np.random.default_rng(seed)
    reach = (rng.random((n_rows, n_sites)) < 0.35).astype(float)
    cost = rng.integers(10, 60, n_sites) / 4.0  # quarters
    people = rng.integers(1, 200, n_rows).astype(float)
    a = np.block([[-reach, np.eye(n_rows)], [cost[None, :], np.zeros((1, n_rows))]])
    lo = np.r_[np.full(n_rows, -INF), -INF]
    up = np.r_[np.zeros(n_rows), np.floor(cost.sum() * 0.4)]
    c = np.r_[np.zeros(n_sites), people * 1.25]
    p = problem(c, a, lo, up, np.zeros(n_sites + n_rows), np.ones(n_sites + n_rows),
                np.r_[np.ones(n_sites), np.zeros(n_rows)], name=f"coverage-{seed}")
    return p, np.r_[np.zeros(n_sites, bool), np.ones(n_rows, bool)]


# ------------------------------------------------------------------ CP-SAT: scaling
def test_row_scale_exponents_are_the_smallest_power_of_ten_or_minus_one():
    from solvers.ortools_cpsat import row_scale_exponents

    m = sp.csr_matrix(np.array([[1.0, 2.0], [0.5, 0.25], [1 / 3, 1.0], [0.1, 1e-6], [0.0, 0.0],
                                [1e-7, 1.0], [-1.5, 2.0]]))
    assert row_scale_exponents(m).tolist() == [0, 2, -1, 6, 0, -1, 1]


def test_cpsat_solves_a_row_with_coefficients_a_quarter_and_one_and_a_half_exactly(cpsat):
    # max 3x + 2y s.t. 0.25x + 1.5y <= 3.6, x in 0..10, y in 0..3 (integers);
    # scaled by 100: 25x + 150y <= 360
    p = problem([3, 2], [[0.25, 1.5]], [-INF], [3.6], [0, 0], [10, 3], [1, 1])
    best, x = brute_force(p)
    r = cpsat.solve(p)
    assert r.status is SolveStatus.OPTIMAL and r.termination is Termination.OPTIMAL
    assert r.objective == pytest.approx(best, abs=1e-9) and r.bound == r.objective
    assert p.max_violation(r.values) == 0.0
    assert r.extra["row_scale_exponents"] == {"10^2": 1}
    # tight: 0.25x + 1.5y = 3.5 at x = 8, y = 1 is allowed, 3.75 is not
    tight = dataclasses.replace(p, row_upper=np.array([3.5]))
    best_tight, _ = brute_force(tight)
    assert cpsat.solve(tight).objective == pytest.approx(best_tight, abs=1e-9)


def test_cpsat_refuses_a_row_with_a_third_naming_the_row_count(cpsat):
    p = problem([1, 1], [[1 / 3, 1], [1, 1], [2 / 3, 0.5]], [-INF] * 3, [2, 3, 4], [0, 0], [3, 3], [1, 1])
    p = dataclasses.replace(p, row_names=("third", "plain", "two_thirds"))
    with pytest.raises(UnsupportedProblem, match=r"2 rows have coefficients that no power of ten up to "
                                                 r"10\^6 makes integral \(first: row 0 \('third'\)\)"):
        cpsat.solve(p)
    with pytest.raises(UnsupportedProblem, match="use highs or scip"):
        cpsat.check(p)


def test_cpsat_reports_a_decimal_objective_in_the_problems_units(cpsat):
    # objective in cents and tenths; CP-SAT works on it times 100 and divides back
    p = problem([0.1, 0.25, 1.37], [[1, 1, 1]], [-INF], [4], [0, 0, 0], [3, 3, 3], [1, 1, 1],
                offset=-0.05)
    best, _ = brute_force(p)
    r = cpsat.solve(p)
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(best, abs=1e-12) and r.bound == pytest.approx(best, abs=1e-12)
    assert r.extra["objective_scale_exponent"] == 2
    minimise = dataclasses.replace(p, sense=Sense.MINIMIZE, row_lower=np.array([2.0]))
    best_min, _ = brute_force(minimise)
    r = cpsat.solve(minimise)
    assert r.objective == pytest.approx(best_min, abs=1e-12) and r.bound == pytest.approx(best_min, abs=1e-12)


def test_cpsat_refuses_an_objective_needing_more_than_six_decimals(cpsat):
    p = problem([1 / 3, 1], [[1, 1]], [-INF], [2], [0, 0], [1, 1], [1, 1])
    with pytest.raises(UnsupportedProblem, match="1 objective coefficient needs more than 6 decimal digits"):
        cpsat.solve(p)


def test_cpsat_rounds_fractional_bounds_inwards_which_is_exact_for_integers(cpsat):
    # x in [0.5, 3.7] -> 1..3, y in [-0.5, 10] -> 0..10; 0.5 <= x - y <= 1.5 -> x - y = 1;
    # x + 2y <= 7.9 -> <= 7: x = 3, y = 2 (value 12) is allowed
    p = problem([2, 3], [[1, -1], [1, 2]], [0.5, -INF], [1.5, 7.9], [0.5, -0.5], [3.7, 10], [1, 1])
    best, _ = brute_force(p)
    r = cpsat.solve(p)
    assert r.status is SolveStatus.OPTIMAL and r.objective == pytest.approx(best)
    assert r.values.tolist() == [3.0, 2.0] and best == 12.0


def test_cpsat_proves_an_empty_integer_interval_infeasible_without_solving(cpsat, monkeypatch):
    from solvers.ortools_cpsat import CpSatBackend

    monkeypatch.setattr(CpSatBackend, "_build", lambda *a: pytest.fail("CP-SAT model built"))
    column = problem([1, 1], [[1, 1]], [-INF], [2], [0.2, 0], [0.8, 1], [1, 1])
    row = problem([1, 1], [[1, 1]], [1.2], [1.8], [0, 0], [1, 1], [1, 1])
    for p in (column, row):
        r = cpsat.solve(p)
        assert r.status is SolveStatus.INFEASIBLE and r.termination is Termination.INFEASIBLE
        assert "without calling CP-SAT" in r.message


# ------------------------------------------------------------------ CP-SAT: variables
def test_cpsat_refuses_continuous_variables_and_counts_them(cpsat, monkeypatch):
    from solvers.ortools_cpsat import CpSatBackend

    monkeypatch.setattr(CpSatBackend, "_build", lambda *a: pytest.fail("refusal came after building"))
    p, _ = coverage_model(0)
    with pytest.raises(UnsupportedProblem) as info:
        cpsat.solve(p)
    text = str(info.value)
    assert "cp-sat needs integer variables" in text.lower()
    assert "this model has 10 continuous ones" in text and text.endswith("use highs or scip")
    assert info.value.alternatives == ("highs", "scip")


def test_cpsat_takes_continuous_columns_marked_integral_at_optimum(cpsat):
    for seed in range(6):
        p, y = coverage_model(seed)
        marked = dataclasses.replace(p, metadata={"integral_at_optimum": y})
        as_integers = dataclasses.replace(p, integrality=np.ones(p.n_cols, bool))
        best, _ = brute_force(as_integers)  # the marked optimum: y integral too
        r = cpsat.solve(marked)
        assert r.status is SolveStatus.OPTIMAL, r.summary()
        assert r.objective == pytest.approx(best, abs=1e-9)
        assert np.array_equal(r.values, np.round(r.values))
        assert r.extra["marked_continuous"] == int(y.sum())
        if "highs" in solvers.available_solvers():  # the mark is true: same optimum as the LP-y model
            assert solvers.solve(p, "highs").objective == pytest.approx(best, abs=1e-6)


def test_cpsat_refuses_a_malformed_integral_at_optimum_mask(cpsat):
    p, y = coverage_model(1)
    for bad in (y[:-1], y.astype(float), [True] * p.n_cols + [False]):
        with pytest.raises(UnsupportedProblem, match="must be a boolean mask of 16 entries"):
            cpsat.solve(dataclasses.replace(p, metadata={"integral_at_optimum": bad}))


def test_cpsat_refuses_unbounded_integer_variables(cpsat):
    p = problem([1, 1], [[1, 1]], [-INF], [3], [0, -INF], [INF, 2], [1, 1])
    with pytest.raises(UnsupportedProblem, match="finite variable bounds; 2 variables are unbounded"):
        cpsat.solve(p)


def test_cpsat_refuses_values_beyond_exact_float_integers(cpsat):
    p = problem([1, 1], [[1, 1]], [-INF], [3], [0, 0], [1e17, 1], [1, 1])
    with pytest.raises(UnsupportedProblem, match=r"2\*\*53"):
        cpsat.solve(p)
    wide = problem([1, 1], [[1e6, 1e6]], [-INF], [3], [0, 0], [1e10, 1], [1, 1])
    with pytest.raises(UnsupportedProblem, match=r"row activities beyond \+-2\*\*53"):
        cpsat.solve(wide)
    huge = problem([1, 1], [[1e20, 1]], [-INF], [3], [0, 0], [0, 1], [1, 1])
    with pytest.raises(UnsupportedProblem, match=r"constraint coefficients beyond \+-2\*\*53"):
        cpsat.solve(huge)
    costly = problem([1e20, 1], [[1, 1]], [-INF], [3], [0, 0], [1, 1], [1, 1])
    with pytest.raises(UnsupportedProblem, match=r"objective coefficients beyond \+-2\*\*53"):
        cpsat.solve(costly)


def test_cpsat_agrees_with_brute_force_on_random_decimal_programmes(cpsat):
    seen = 0
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        n, m = int(rng.integers(4, 9)), int(rng.integers(1, 4))
        a = rng.integers(-20, 40, size=(m, n)) / 20.0  # multiples of 0.05
        up = (a @ rng.integers(0, 3, n)) + rng.integers(0, 3, m) * 0.35
        c = rng.integers(-50, 200, n) / 100.0
        p = problem(c, a, np.full(m, -INF), up, np.zeros(n), np.full(n, 2), np.ones(n),
                    sense=Sense.MAXIMIZE if seed % 2 else Sense.MINIMIZE, offset=0.125)
        best, _ = brute_force(p)
        r = cpsat.solve(p, SolverOptions(time_limit_s=20))
        assert r.status is SolveStatus.OPTIMAL, r.summary()
        assert r.objective == pytest.approx(best, abs=1e-9)
        seen += 1
    assert seen == 12


def test_cpsat_threads_become_workers_and_default_to_eight(cpsat):
    from solvers.ortools_cpsat import DEFAULT_WORKERS

    p = problem([1, 2], [[1, 1]], [-INF], [1], [0, 0], [1, 1], [1, 1])
    assert cpsat.solve(p).extra["num_workers"] == DEFAULT_WORKERS == 8
    assert cpsat.solve(p, SolverOptions(threads=3)).extra["num_workers"] == 3


# ------------------------------------------------------------------ SCIP
@needs_scip
def test_scip_runs_one_thread_and_records_a_request_for_more():
    p = problem([3, 2], [[1, 1]], [-INF], [1], [0, 0], [1, 1], [1, 1])
    r = solvers.solve(p, "scip", SolverOptions(threads=4))
    assert r.status is SolveStatus.OPTIMAL and r.objective == 3.0
    assert r.extra["threads_ignored"] == 4
    assert "threads_ignored" not in solvers.solve(p, "scip", SolverOptions(threads=1)).extra
    assert not solvers.SOLVERS["scip"].capabilities.supports_threads


@needs_scip
def test_scip_with_a_watchdog_prints_nothing_to_the_console(capfd):
    # a time limit arms the interrupter, on which gSCIP makes SCIP print errors; they
    # must end up in the result's log, not on stderr
    from solver_common import knapsack

    capfd.readouterr()
    r = solvers.solve(knapsack(), "scip", SolverOptions(time_limit_s=30))
    out = capfd.readouterr()
    assert r.status is SolveStatus.OPTIMAL
    assert out.out == "" and out.err == ""


@needs_scip
def test_scip_version_names_scip_and_ortools():
    version = solvers.get_solver("scip").version()
    assert "OR-Tools" in version


@needs_scip
def test_scip_builds_its_model_from_arrays():
    from solvers.ortools_scip import build_model_proto

    p = problem([1, 0, 2], [[1, 0, 2], [0, 3, 0]], [-INF, 1], [4, INF], [0, 0, 0], [1, 5, 1], [1, 0, 1],
                sense=Sense.MINIMIZE, offset=1.5)
    model = build_model_proto(p)
    assert list(model.variables.ids) == [0, 1, 2] and list(model.variables.integers) == [True, False, True]
    assert list(model.objective.linear_coefficients.ids) == [0, 2] and model.objective.offset == 1.5
    assert not model.objective.maximize
    mat = model.linear_constraint_matrix
    assert (list(mat.row_ids), list(mat.column_ids), list(mat.coefficients)) == ([0, 0, 1], [0, 2, 1],
                                                                                 [1.0, 2.0, 3.0])
    assert list(model.linear_constraints.lower_bounds) == [-INF, 1.0]
