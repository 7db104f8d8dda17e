"""Progress while a solver works: every backend tells ``SolverOptions.on_progress`` its incumbent and bound.

A planner watching a long solve sees the best plan so far and how far from proven it is;
these tests check that the figures each backend reports are true of the problem solved
(the incumbent never beats the bound, the gap says how far apart they are, in the
direction of the sense), and that a broken display can never break a solve.
"""
from __future__ import annotations

import dataclasses
import math
import pickle

import numpy as np
import pytest
from solver_common import multi_knapsack, small_planning_model

import solvers
from solvers.problem import Sense
from solvers.progress import MIN_INTERVAL_S, ProgressReporter
from solvers.result import SolveProgress, SolverOptions, progress_gap

TOL = 1e-6


def _minimising(problem):
    """The same knapsack as a minimisation: the least of minus the value (the optimum is minus the maximum)."""
    return dataclasses.replace(problem, objective=-problem.objective, sense=Sense.MINIMIZE, name=f"{problem.name}-min")


def _check_records(records: list[SolveProgress], solver: str, maximise: bool) -> None:
    assert records, f"{solver} reported no progress at all"
    with_both = [p for p in records if p.incumbent is not None and p.bound is not None]
    assert with_both, f"{solver} never reported an incumbent together with a bound: {records}"
    for p in records:
        assert p.solver == solver
        assert p.elapsed_s >= 0
    for p in with_both:
        assert math.isfinite(p.incumbent) and math.isfinite(p.bound)
        # a bound bounds every plan: above the best plan when maximising, below it when minimising
        if maximise:
            assert p.incumbent <= p.bound + TOL
        else:
            assert p.incumbent >= p.bound - TOL
        # the gap is how far the bound lies from the incumbent, relative to the incumbent
        assert p.gap == pytest.approx(abs(p.bound - p.incumbent) / max(abs(p.incumbent), 1e-10), abs=1e-12)


@pytest.mark.parametrize("sense", ["max", "min"])
def test_each_exact_backend_reports_an_incumbent_and_a_bound_while_it_branches(backend, sense):
    # a multi-dimensional knapsack whose root gap needs branching; under a second for every backend
    problem = multi_knapsack(25, 5, 1)
    if sense == "min":
        problem = _minimising(problem)
    records: list[SolveProgress] = []
    result = backend.solve(problem, SolverOptions(on_progress=records.append))
    assert result.proven_optimal
    _check_records(records, backend.name, maximise=sense == "max")
    # every bound reported is a true bound: the proven optimum lies within it, and no plan reported beats it
    for p in records:
        if sense == "max":
            assert p.bound is None or p.bound >= result.objective - TOL
            assert p.incumbent is None or p.incumbent <= result.objective + TOL
        else:
            assert p.bound is None or p.bound <= result.objective + TOL
            assert p.incumbent is None or p.incumbent >= result.objective - TOL
    # the last figures are those of the plan the solver returns (or, at worst, one it had just before)
    last = [p for p in records if p.incumbent is not None][-1]
    if sense == "max":
        assert last.incumbent <= result.objective + TOL
    else:
        assert last.incumbent >= result.objective - TOL


def test_a_progress_callback_that_raises_does_not_break_the_solve(backend):
    # the display failing (a closed terminal, a bug in it) must not cost the planner the plan
    problem = multi_knapsack(25, 5, 1)
    plain = backend.solve(problem, SolverOptions())
    calls = []

    def broken(progress: SolveProgress) -> None:
        calls.append(progress)
        raise RuntimeError("the display broke")

    result = backend.solve(problem, SolverOptions(on_progress=broken))
    assert result.proven_optimal
    assert result.objective == pytest.approx(plain.objective, abs=TOL)
    assert len(calls) == 1  # told once, then left alone for the rest of the solve


def test_the_greedy_reports_its_plan_as_it_improves(planning_backend):
    from optimizer.greedy_backend import with_planning_model

    setup, _ = small_planning_model(0)
    records: list[SolveProgress] = []
    result = planning_backend.solve(with_planning_model(setup.model), SolverOptions(on_progress=records.append))
    assert records and all(p.solver == planning_backend.name for p in records)
    values = [p.incumbent for p in records if p.incumbent is not None]
    assert values, "the greedy reported no plan"
    # the plan improves or stays; the last one reported is the plan returned
    assert values == sorted(values)
    assert values[-1] == pytest.approx(result.objective, abs=TOL)


def test_the_callback_is_not_part_of_the_options_nor_of_the_result():
    # two runs with the same settings are the same settings, whoever watches them; run.json never holds a function
    watched = SolverOptions(time_limit_s=5.0, on_progress=print)
    assert watched == SolverOptions(time_limit_s=5.0)
    assert "on_progress" not in watched.as_dict() and "on_progress" not in repr(watched)
    result = solvers.get_solver("highs").solve(multi_knapsack(10, 2, 1), SolverOptions(on_progress=lambda p: None))
    assert result.options.on_progress is None
    pickle.dumps(result)  # a result crosses process boundaries (compare, city, batch)


def test_the_reporter_passes_at_most_one_record_per_interval_and_sends_the_last_at_the_end():
    # a solver calling back thousands of times a second must not flood the terminal
    records: list[SolveProgress] = []
    reporter = ProgressReporter(SolverOptions(on_progress=records.append), "test", Sense.MAXIMIZE)
    for k in range(1, 1001):
        reporter.report(incumbent=float(k), bound=2000.0 - k, nodes=k)
    assert len(records) == 1  # all within far less than MIN_INTERVAL_S (or the first alone, on a slow machine)
    reporter.finish()
    assert len(records) == 2
    last = records[-1]
    assert (last.incumbent, last.bound, last.nodes) == (1000.0, 1000.0, 1000)
    assert last.gap == 0.0
    assert MIN_INTERVAL_S > 0


def test_the_reporter_keeps_the_best_figures_in_the_direction_of_the_sense():
    # a worse plan found later, or a looser bound, never replaces the better one already known
    records: list[SolveProgress] = []
    reporter = ProgressReporter(SolverOptions(on_progress=records.append), "test", Sense.MINIMIZE)
    reporter.report(incumbent=50.0, bound=-np.inf)
    reporter.report(incumbent=60.0, bound=40.0)
    reporter.report(incumbent=45.0, bound=30.0)
    reporter.finish()
    last = records[-1]
    assert (last.incumbent, last.bound) == (45.0, 40.0)
    assert last.gap == pytest.approx(5.0 / 45.0)


def test_the_gap_follows_the_sense():
    # maximising, the bound lies above the plan; minimising, below it
    assert progress_gap(100.0, 110.0, maximise=True) == pytest.approx(0.1)
    assert progress_gap(100.0, 90.0, maximise=False) == pytest.approx(0.1)
    assert progress_gap(100.0, None, maximise=True) is None
    assert progress_gap(None, 5.0, maximise=True) is None
