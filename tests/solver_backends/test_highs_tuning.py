"""HiGHS options set through ``HighsBackend.tuning`` (used to measure settings side by side,
``benchmarks/demo_x4.py``): they reach HiGHS, change nothing about the optimum, and one that
HiGHS refuses is left out with a warning instead of stopping the solve. A problem marked
``BOUND_FOCUS`` (a plan in hand, the proof left) is solved with HiGHS's primal heuristics off, to
the same optimum."""
from __future__ import annotations

import dataclasses
import logging

import pytest
from solver_common import brute_force, knapsack, random_binary_program

import solvers
from solvers import SolverOptions
from solvers.base import BOUND_FOCUS
from solvers.highs import BOUND_FOCUS_OPTIONS, HighsBackend

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


class _Options:
    """Stands in for a ``highspy.Highs`` where only the options it is given matter."""

    def __init__(self) -> None:
        self.given: dict = {}

    def setOptionValue(self, name, value):  # noqa: N802 (highspy's name)
        import highspy

        self.given[name] = value
        return highspy.HighsStatus.kOk


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_problem_whose_plan_is_in_hand_is_proven_with_the_heuristics_off_to_the_same_optimum(seed: int) -> None:
    p = random_binary_program(seed)
    best, _ = brute_force(p)
    focused = dataclasses.replace(p, metadata={**p.metadata, BOUND_FOCUS: True})
    h = _Options()
    HighsBackend()._configure(h, focused, SolverOptions())
    assert BOUND_FOCUS_OPTIONS.items() <= h.given.items()
    h = _Options()
    HighsBackend()._configure(h, p, SolverOptions())
    assert not set(BOUND_FOCUS_OPTIONS) & set(h.given)  # unmarked: HiGHS's own heuristics
    r = solvers.get_solver("highs").solve(focused, SolverOptions())
    assert r.proven_optimal and r.objective == pytest.approx(best, abs=1e-6)
