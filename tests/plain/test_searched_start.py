"""The searched start of plain maximal covering (``plain_coverage.searched_start``).

With a time limit, every backend that does not search plans itself starts from the greedy
plan improved by the plan search of ``benders``; presolve fixes sites against that start.
Expected optima come from brute force over every plan within ``p`` and the budget, and on a
moderate instance from HiGHS's proof.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from test_presolve import CASES, EXACT, _brute_force, _instance

import solvers
from optimizer.studies import plain_coverage
from optimizer.studies.plain_coverage import (
    CoverageProblem,
    build_coverage_model,
    greedy_cover,
    reach_by_radius,
    searched_start,
    solve_coverage_problem,
)
from solvers.benders import SearchStats, coverage_structure, iterated_swaps
from solvers.presolve import presolve_coverage
from solvers.result import SolverOptions

pytestmark = pytest.mark.skipif("highs" not in solvers.available_solvers(), reason="presolve's LP needs highspy")

LOGGER = "optimizer.studies.plain_coverage"

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage_families.py"
_SPEC = importlib.util.spec_from_file_location("coverage_families", _PATH)
cf = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cf)


def _clustered(n: int, m: int, seed: int) -> CoverageProblem:
    """The benchmark's clustered family (``benchmarks/coverage_families.py``), small."""
    inst = cf.clustered_instance(n, m, seed)
    reach = reach_by_radius(inst["demand_xy"], inst["site_xy"], float(inst["radius"]))
    return CoverageProblem(np.arange(n).astype(str), inst["weights"].astype(float), np.arange(m).astype(str),
                           np.ones(m), reach, "max_covering", int(inst["p"]))


def _greedy(problem: CoverageProblem):
    """The model, its merged demand x sites pattern and row weights, and the greedy plan."""
    model, _, weight = build_coverage_model(problem)
    m = problem.reach.shape[1]
    pattern = model.matrix[: weight.size, :m] != 0
    return model, pattern, weight, greedy_cover(pattern, weight, problem.costs, problem.p, problem.budget)


def _covered(pattern, weight, sites) -> float:
    return float(weight[pattern @ np.asarray(sites, dtype=float) > 0].sum())


def _within_limits(problem: CoverageProblem, sites: np.ndarray) -> bool:
    return (problem.p is None or sites.sum() <= problem.p) and \
        (problem.budget is None or problem.costs @ sites <= problem.budget + 1e-9)


LIMITED = SolverOptions(time_limit_s=60.0, relative_gap=0.0)

#: Clustered 2,000 x 200 (p = 10), seeds 0-1: the greedy plan covers 19,355 and 18,623, the searched
#: start 19,683 and 18,811, the proven optima (so the search can only be right or short there).
SEARCH_BEATS_GREEDY = [0, 1]


@pytest.mark.parametrize("seed,budget", CASES)
def test_the_searched_start_never_covers_less_than_the_greedy_plan_and_keeps_p_and_the_budget(seed, budget):
    """A start is a plan: within ``p`` and the budget, and never worse than the plan it starts from."""
    problem = _instance(seed, budget=budget)
    model, pattern, weight, greedy = _greedy(problem)
    found, stats = searched_start(model, greedy, LIMITED.started())
    assert stats.kicks > 0
    assert set(np.unique(found)) <= {0.0, 1.0} and _within_limits(problem, found)
    assert _covered(pattern, weight, greedy) <= _covered(pattern, weight, found) <= _brute_force(problem) + 1e-9


@pytest.mark.parametrize("seed", SEARCH_BEATS_GREEDY)
def test_on_clustered_demand_the_search_covers_more_than_the_greedy_plan_within_p(seed):
    """Where lazy greedy plus swaps stops short (clustered demand), the searched start covers more."""
    problem = _clustered(2000, 200, seed)
    model, pattern, weight, greedy = _greedy(problem)
    found, _ = searched_start(model, greedy, LIMITED.started())
    assert _covered(pattern, weight, found) > _covered(pattern, weight, greedy)
    assert found.sum() <= problem.p


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("seed,budget", CASES)
def test_every_exact_backend_proves_the_brute_force_optimum_from_the_searched_start(solver, seed, budget):
    """The searched start and the fixing against it keep the optimum (brute force over every plan)."""
    problem = _instance(seed, budget=budget)
    sol = solve_coverage_problem(problem, solver, LIMITED)
    assert sol.result.proven_optimal, sol.result.message
    assert sol.objective == pytest.approx(_brute_force(problem), abs=1e-9)
    chosen = np.zeros(problem.reach.shape[1])
    chosen[sol.chosen] = 1.0
    assert _within_limits(problem, chosen)


def test_highs_proves_the_same_optimum_from_the_searched_start_as_from_the_greedy_plan(caplog):
    """On a moderate clustered instance the better start (and the sites fixed against it) leaves HiGHS's
    proven optimum where the greedy start (no time limit: no search) leaves it."""
    problem = _clustered(2000, 200, 0)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        searched = solve_coverage_problem(problem, "highs", LIMITED)
    assert any(r.msg.startswith("search start:") for r in caplog.records)
    plain = solve_coverage_problem(problem, "highs", SolverOptions(time_limit_s=None, relative_gap=0.0))
    assert searched.result.proven_optimal and plain.result.proven_optimal
    assert searched.objective == pytest.approx(plain.objective, abs=1e-9)


@pytest.mark.parametrize("seed", SEARCH_BEATS_GREEDY)
def test_a_better_start_lets_reduced_cost_fixing_fix_no_fewer_sites(seed):
    """Fixing keeps every plan at least as good as the start: a better start raises the bar, so every
    site fixed against the greedy plan is fixed against the searched one too (and the same LP is solved)."""
    problem = _clustered(2000, 200, seed)
    model, pattern, weight, greedy = _greedy(problem)
    found, _ = searched_start(model, greedy, LIMITED.started())
    reports = []
    for sites in (greedy.astype(float), found):
        start = np.concatenate([sites, (pattern @ sites > 0).astype(float)])
        tightened, report = presolve_coverage(dataclasses.replace(model, start=start))
        reports.append((tightened.col_lower[:sites.size], tightened.col_upper[:sites.size], report))
    (lo_g, up_g, rep_g), (lo_s, up_s, rep_s) = reports
    assert rep_s.incumbent > rep_g.incumbent and rep_s.lp_bound == pytest.approx(rep_g.lp_bound)
    assert (lo_s[lo_g > 0.5] > 0.5).all() and (up_s[up_g < 0.5] < 0.5).all()
    assert rep_s.fixed > rep_g.fixed  # on these instances the greedy start fixes nothing by reduced cost


def test_without_a_time_limit_the_start_is_the_greedy_plan(caplog):
    """No limit: no search (the run behaves as before), the greedy plan is the start."""
    problem = _clustered(2000, 200, 0)
    model, pattern, weight, greedy = _greedy(problem)
    assert searched_start(model, greedy, SolverOptions(time_limit_s=None).started()) is None
    with caplog.at_level(logging.INFO, logger=LOGGER):
        sol = solve_coverage_problem(problem, "highs", SolverOptions(time_limit_s=None, relative_gap=0.0))
    assert not any(r.msg.startswith("search start:") for r in caplog.records)
    assert sol.result.extra["presolve"]["incumbent"] == pytest.approx(_covered(pattern, weight, greedy))


def test_benders_which_searches_plans_itself_gets_the_greedy_plan_unchanged(caplog, monkeypatch):
    """``benders`` runs its own search schedule from the greedy plan: no search start is made for it."""
    assert [n for n in solvers.available_solvers() if solvers.SOLVERS[n].capabilities.searches_plans] == \
        ["benders"]

    def refuse(*args, **kwargs):
        raise AssertionError("a search start was made for benders")

    monkeypatch.setattr(plain_coverage, "searched_start", refuse)
    problem = _clustered(2000, 200, 0)
    _, pattern, weight, greedy = _greedy(problem)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        sol = solve_coverage_problem(problem, "benders", LIMITED)
    assert sol.result.extra["presolve"]["incumbent"] == pytest.approx(_covered(pattern, weight, greedy))
    assert not any(r.msg.startswith("search start:") for r in caplog.records)


def test_the_search_start_line_carries_the_start_value_where_the_benchmark_reads_it(caplog):
    """``benchmarks/coverage_families.py`` times incumbents from the log line's second argument."""
    problem = _clustered(2000, 200, 0)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        sol = solve_coverage_problem(problem, "highs", LIMITED)
    line = [r for r in caplog.records if r.msg.startswith("search start:")]
    assert len(line) == 1 and "search start:" in cf.LIFECIRCLE_CHILD
    value = float(line[0].args[1])
    assert value == pytest.approx(sol.result.extra["presolve"]["incumbent"]) and value <= sol.objective + 1e-9


def test_a_growing_patience_spends_its_growth_times_the_kicks_the_best_plan_took_and_a_fixed_one_no_more():
    """``iterated_swaps(patience_growth=g)`` (the searched start's rule): after its last better plan, found
    at kick ``k``, the search stops after ``max(patience, ceil(g k))`` kicks without one; with ``g = 0``
    after ``patience``. Clustered 2,000 x 200, seed 1, kick seed 1: better plans at kicks 2, 10 and 11."""
    problem = _clustered(2000, 200, 1)
    model, _, _, greedy = _greedy(problem)
    structure = coverage_structure(model)
    assert not isinstance(structure, str)
    for growth in (0.0, 1.0, 3.0):
        stats = SearchStats()
        found: list[int] = []
        iterated_swaps(structure, greedy.astype(float), patience=10, seed=1, stats=stats, patience_growth=growth,
                       on_better=lambda _plan, found=found, stats=stats: found.append(stats.kicks))
        assert found and found[-1] > 10  # the last better plan came after more kicks than the patience
        assert stats.kicks == found[-1] + max(10, math.ceil(growth * found[-1])), growth


def test_the_search_streams_its_better_plans_which_only_improve_and_end_at_the_start_handed_on():
    """``on_progress`` sees the searched start as it improves (records named ``search``): never worse
    than the greedy plan, never better than the proven optimum, the last one the start the backend gets."""
    problem = _clustered(2000, 200, 0)
    _, pattern, weight, greedy = _greedy(problem)
    seen = []
    options = dataclasses.replace(LIMITED, on_progress=seen.append)
    sol = solve_coverage_problem(problem, "highs", options)
    searched = [r.incumbent for r in seen if r.solver == plain_coverage.SEARCH_SOURCE]
    assert searched and searched == sorted(searched)
    assert searched[0] == pytest.approx(_covered(pattern, weight, greedy))
    assert searched[-1] == pytest.approx(sol.result.extra["presolve"]["incumbent"]) and searched[-1] > searched[0]
    assert sol.result.proven_optimal and searched[-1] <= sol.objective + 1e-9


@pytest.mark.parametrize("seed", SEARCH_BEATS_GREEDY)
def test_the_lp_of_the_problem_left_after_fixing_against_the_searched_start_is_no_tighter(seed):
    """Why presolve does not solve the LP again after fixing: every site fixed by reduced cost sits at
    its value in the LP optimum, which stays feasible, so the LP of what is left has the same value; the
    LP bound reported stays valid (at or above the optimum, brute force being HiGHS's proof here)."""
    problem = _clustered(2000, 200, seed)
    model, pattern, weight, greedy = _greedy(problem)
    found, _ = searched_start(model, greedy, LIMITED.started())
    start = np.concatenate([found, (pattern @ found > 0).astype(float)])
    tightened, report = presolve_coverage(dataclasses.replace(model, start=start))
    assert report.fixed_at_zero + report.fixed_at_one > 0
    relaxed = dataclasses.replace(tightened, integrality=np.zeros(tightened.n_cols, dtype=bool))
    again = solvers.get_solver("highs").solve(relaxed, SolverOptions(time_limit_s=60))
    assert again.proven_optimal
    assert again.objective == pytest.approx(report.lp_bound, rel=1e-7)
    optimum = solve_coverage_problem(problem, "highs", LIMITED)
    assert optimum.result.proven_optimal and report.lp_bound >= optimum.objective - 1e-6
