"""HiGHS options set through ``HighsBackend.tuning`` (used to measure settings side by side,
``benchmarks/demo_x4.py``): they reach HiGHS, change nothing about the optimum, and one that
HiGHS refuses is left out with a warning instead of stopping the solve."""
from __future__ import annotations

import logging

import pytest
from solver_common import brute_force, knapsack, random_binary_program

import solvers
from solvers import SolverOptions
from solvers.highs import HighsBackend

pytestmark = pytest.mark.skipif("highs" not in solvers.available_solvers(), reason="highspy not installed")


@pytest.fixture
def tuned():
    """Set ``HighsBackend.tuning`` for one test, and always clear it afterwards."""
    def set_tuning(options: dict) -> None:
        HighsBackend.tuning = options

    yield set_tuning
    HighsBackend.tuning = {}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_probing_off_or_presolve_off_keep_the_brute_force_optimum(tuned, seed: int) -> None:
    p = random_binary_program(seed)
    best, _ = brute_force(p)
    for options in ({"presolve_rule_off": 2 ** 15}, {"presolve": "off"}):
        tuned(options)
        r = solvers.get_solver("highs").solve(p, SolverOptions())
        assert r.proven_optimal
        assert r.objective == pytest.approx(best, abs=1e-6)


def test_a_tuning_option_reaches_highs(tuned) -> None:
    tuned({"presolve_rule_off": 2 ** 15})
    r = solvers.get_solver("highs").solve(knapsack(), SolverOptions())
    assert "Probing" in (r.log or "")  # HiGHS lists the presolve rules switched off
    tuned({})
    r = solvers.get_solver("highs").solve(knapsack(), SolverOptions())
    assert "Presolve rules switched off" not in (r.log or "")


def test_a_refused_option_is_logged_and_the_solve_goes_on(tuned, caplog) -> None:
    p = knapsack()
    best, _ = brute_force(p)
    tuned({"no_such_highs_option": 1})
    with caplog.at_level(logging.WARNING, logger="solvers.highs"):
        r = solvers.get_solver("highs").solve(p, SolverOptions())
    assert any("no_such_highs_option" in rec.getMessage() for rec in caplog.records)
    assert r.proven_optimal and r.objective == pytest.approx(best, abs=1e-6)
