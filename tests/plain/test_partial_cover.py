"""Partial set covering (``lifecircle cover --cover-share S``): the least site cost that covers
at least the share S of the reachable demand weight, checked against brute force.

Expected optima come from enumerating every subset of sites of tiny random instances
(demand weights whole numbers 1-49, site costs whole numbers 1-5 or all 1, reach by a
radius; "reaching S" means covering at least S * W - 1e-9 * W, W the weight of the demand
points some site reaches).
"""
from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

import solvers
from optimizer.cli import main
from optimizer.errors import SolverFailure
from optimizer.studies.plain_coverage import (
    CoverageProblem,
    build_coverage_model,
    greedy_partial_cover,
    reach_by_radius,
    reachable_weight,
    share_target,
    solve_coverage_problem,
)
from solvers.result import SolverOptions, SolveStatus

#: benders takes partial set covering through its general master (the coverage columns project out).
EXACT = [s for s in ("highs", "cbc", "scip", "cpsat", "benders") if s in solvers.available_solvers()]
SHARES = (0.25, 0.5, 0.8, 0.9, 1.0)


def _instance(seed: int, *, n: int = 16, m: int = 7, radius: float = 700.0, costs: bool = True,
              share: float = 0.9) -> CoverageProblem:
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 2000, (n, 2)), rng.uniform(0, 2000, (m, 2))
    weights = rng.integers(1, 50, n).astype(float)
    cost = rng.integers(1, 6, m).astype(float) if costs else np.ones(m)
    return CoverageProblem(np.array([f"D{i}" for i in range(n)]), weights, np.array([f"S{j}" for j in range(m)]),
                           cost, reach_by_radius(demand, sites, radius), "partial_set_covering", share=share)


def _by_hand(weights: list[float], costs: list[float], reach: list[list[int]], share: float) -> CoverageProblem:
    """A problem written out: ``reach[i]`` lists the sites that reach demand point ``i``."""
    rows = [i for i, sites in enumerate(reach) for _ in sites]
    cols = [j for sites in reach for j in sites]
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(weights), len(costs)))
    return CoverageProblem(np.array([f"D{i}" for i in range(len(weights))]), np.asarray(weights, dtype=float),
                           np.array([f"S{j}" for j in range(len(costs))]), np.asarray(costs, dtype=float), matrix,
                           "partial_set_covering", share=share)


def _brute_force(problem: CoverageProblem) -> float:
    """Least cost of a subset of sites whose covered weight reaches the share of the reachable weight."""
    reach = problem.reach.toarray()
    w = problem.weights
    whole = float(w[reach.any(axis=1)].sum())
    need = problem.share * whole - 1e-9 * whole
    best = np.inf
    for size in range(reach.shape[1] + 1):
        for chosen in itertools.combinations(range(reach.shape[1]), size):
            k = list(chosen)
            if w[reach[:, k].any(axis=1)].sum() >= need:
                best = min(best, float(problem.costs[k].sum()))
    return best


def _covered(problem: CoverageProblem, chosen) -> float:
    return float(problem.weights[np.asarray(problem.reach[:, chosen].sum(axis=1)).ravel() > 0].sum())


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("seed", range(10))
def test_every_exact_solver_finds_the_least_cost_that_reaches_the_share(seed, solver):
    """Each exact backend proves the brute-force optimum, and its chosen sites reach the share."""
    rng = np.random.default_rng(1000 + seed)
    problem = _instance(seed, n=int(rng.integers(8, 20)), m=int(rng.integers(3, 9)), costs=bool(seed % 3),
                        share=float(SHARES[seed % len(SHARES)]))
    sol = solve_coverage_problem(problem, solver)
    assert sol.result.proven_optimal, sol.result.message
    assert sol.objective == pytest.approx(_brute_force(problem), abs=1e-9)
    assert sol.result.objective == sol.objective == pytest.approx(problem.costs[sol.chosen].sum())
    assert _covered(problem, sol.chosen) >= problem.share * reachable_weight(problem) - 1e-6


@pytest.mark.parametrize("seed", range(30))
def test_highs_agrees_with_brute_force_on_many_tiny_instances(seed):
    """Random shares (not only round ones), costs or none, some demand reached by no site."""
    rng = np.random.default_rng(2000 + seed)
    problem = _instance(seed + 100, n=int(rng.integers(5, 25)), m=int(rng.integers(2, 10)),
                        radius=float(rng.uniform(300, 900)), costs=bool(rng.integers(0, 2)),
                        share=float(rng.uniform(0.05, 1.0)))
    sol = solve_coverage_problem(problem, "highs")
    assert sol.result.proven_optimal
    assert sol.objective == pytest.approx(_brute_force(problem), abs=1e-9)


def test_the_share_is_of_the_reachable_weight_not_of_all_demand():
    """A (10) reached by S0 only, B (10) by S1 only, C (20) by no site: all the reachable weight is 20 of 40."""
    everything = solve_coverage_problem(_by_hand([10, 10, 20], [1, 1], [[0], [1], []], share=1.0))
    assert everything.objective == 2 and everything.covered_weight == 20  # 100 % of the reachable, 50 % of all
    half = solve_coverage_problem(_by_hand([10, 10, 20], [1, 1], [[0], [1], []], share=0.5))
    assert half.objective == 1 and half.covered_weight == 10


def test_a_share_that_floating_point_misses_by_a_hair_is_still_reached():
    """0.07 x 100 is 7.000000000000001 in floating point; covering a weight of 7 of 100 reaches 7 %."""
    problem = _by_hand([7, 93], [1, 5], [[0], [1]], share=0.07)
    sol = solve_coverage_problem(problem)
    assert list(problem.site_ids[sol.chosen]) == ["S0"] and sol.objective == 1 and sol.result.proven_optimal
    greedy = greedy_partial_cover(problem.reach, problem.weights, problem.costs, share_target(0.07, 100.0))
    assert greedy.tolist() == [True, False]


@pytest.mark.parametrize("seed", range(6))
def test_a_share_of_one_costs_what_set_covering_costs(seed):
    """With every weight > 0, covering all the reachable weight is covering every reachable demand point."""
    problem = _instance(seed, n=20, m=8, share=1.0)
    partial = solve_coverage_problem(problem)
    full = solve_coverage_problem(dataclasses.replace(problem, kind="set_covering", share=None))
    assert partial.result.proven_optimal and full.result.proven_optimal
    assert partial.objective == pytest.approx(full.objective)
    assert partial.covered_weight == pytest.approx(full.covered_weight)


def test_a_point_of_weight_zero_need_not_be_covered_at_a_share_of_one():
    """Set covering must reach every reachable point; the share counts weight, and a weight of 0 adds none."""
    problem = _by_hand([10, 0], [1, 7], [[0], [1]], share=1.0)
    assert solve_coverage_problem(problem).objective == 1
    assert solve_coverage_problem(dataclasses.replace(problem, kind="set_covering", share=None)).objective == 8


@pytest.mark.parametrize("seed", range(5))
def test_a_larger_share_never_costs_less(seed):
    problem = _instance(seed, n=40, m=10, radius=600)
    costs = []
    for share in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0):
        sol = solve_coverage_problem(dataclasses.replace(problem, share=share))
        assert sol.result.proven_optimal
        costs.append(sol.objective)
    assert costs == sorted(costs), costs
    assert costs[-1] > costs[0]  # the instance is not trivial


@pytest.mark.parametrize("seed", range(12))
def test_the_greedy_start_reaches_the_share_keeps_no_redundant_site_and_never_beats_the_optimum(seed):
    problem = _instance(seed, n=30, m=8, share=float(SHARES[seed % len(SHARES)]))
    model, _, weight = build_coverage_model(problem)
    m = len(problem.site_ids)
    pattern = model.matrix[: weight.size, :m] != 0
    target = share_target(problem.share, float(weight.sum()))
    picked = greedy_partial_cover(pattern, weight, problem.costs, target)
    covered = _covered(problem, picked)
    assert covered >= target
    for j in np.flatnonzero(picked):  # dropping any chosen site falls short
        assert _covered(problem, picked & (np.arange(m) != j)) < target
    assert problem.costs[picked].sum() >= _brute_force(problem) - 1e-9


def test_a_solver_that_finds_no_plan_leaves_the_greedy_plan_with_no_claim_of_optimality(monkeypatch):
    """keep_the_better_plan applies: the start is kept, and without a bound it is not called optimal."""
    from solvers.base import build_result
    from solvers.highs import HighsBackend
    from solvers.result import Termination

    monkeypatch.setattr(HighsBackend, "_solve", lambda self, problem, options: build_result(
        self, problem, options, termination=Termination.TIME_LIMIT, values=None, objective=None, bound=None,
        solve_seconds=0.0))
    problem = _instance(4, n=30, m=8, share=0.8)
    sol = solve_coverage_problem(problem, "highs")
    assert sol.result.extra.get("plan_from") == "greedy"
    assert not sol.result.proven_optimal and sol.result.bound is None
    assert _covered(problem, sol.chosen) >= 0.8 * reachable_weight(problem) - 1e-6
    assert sol.objective >= _brute_force(problem)


def test_a_time_limited_solve_reaches_the_share_and_says_optimal_only_with_proof():
    rng = np.random.default_rng(7)
    n, m = 3000, 300
    reach = reach_by_radius(rng.uniform(0, 10_000, (n, 2)), rng.uniform(0, 10_000, (m, 2)), 400.0)
    problem = CoverageProblem(np.arange(n).astype(str), rng.integers(1, 100, n).astype(float),
                              np.arange(m).astype(str), rng.integers(1, 10, m).astype(float), reach,
                              "partial_set_covering", share=0.85)
    sol = solve_coverage_problem(problem, "highs", SolverOptions(time_limit_s=0.05, relative_gap=0.0))
    r = sol.result
    assert r.status.has_solution
    assert _covered(problem, sol.chosen) >= 0.85 * reachable_weight(problem) - 1e-6
    assert r.objective == pytest.approx(problem.costs[sol.chosen].sum())
    if r.proven_optimal:
        assert r.bound == pytest.approx(r.objective)
    else:
        assert r.bound is None or r.bound < r.objective


def test_a_bound_that_does_not_meet_the_chosen_sites_cost_is_not_called_optimal(monkeypatch, tmp_path):
    """A solver that says 'optimal' with a bound below its plan's cost is reported as not proven."""
    from solvers.highs import HighsBackend

    real_solve = HighsBackend.solve

    def loose(self, problem, options=None):
        r = real_solve(self, problem, options)
        return dataclasses.replace(r, bound=r.objective - 1.0)

    monkeypatch.setattr(HighsBackend, "solve", loose)
    sol = solve_coverage_problem(_instance(2, n=30, m=8, share=0.9))
    assert sol.result.status is not SolveStatus.OPTIMAL and not sol.result.proven_optimal
    _tables(tmp_path, 2)
    result = _cover(tmp_path, "--cover-share", "0.9")
    assert result.exit_code == 0, result.output
    assert "NOT PROVEN OPTIMAL" in result.output


def test_a_plan_short_of_the_share_is_an_error_not_a_result(monkeypatch, tmp_path):
    """Recomputed from its sites, a solver's plan that covers less than the share is exit 5, never printed."""
    from solvers.highs import HighsBackend

    real_solve = HighsBackend.solve

    def short(self, problem, options=None):  # claims full coverage with no site chosen
        r = real_solve(self, problem, options)
        values = r.values.copy()
        values[: len(values) - (problem.n_rows - 1)] = 0.0
        return dataclasses.replace(r, values=values, objective=0.0)

    monkeypatch.setattr(HighsBackend, "solve", short)
    with pytest.raises(SolverFailure, match="does not reach --cover-share 0.9"):
        solve_coverage_problem(_instance(3, n=30, m=8, share=0.9))
    _tables(tmp_path, 3)
    result = _cover(tmp_path, "--cover-share", "0.9", "--out", str(tmp_path / "out"))
    assert result.exit_code == 5, result.output
    assert "does not reach --cover-share 0.9" in result.output and "sites chosen" not in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


# -- the command ------------------------------------------------------------------------


def _tables(tmp_path, seed, n=40, m=10):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"id": [f"D{i}" for i in range(n)], "weight": rng.integers(1, 50, n),
                      "x": rng.uniform(0, 3000, n), "y": rng.uniform(0, 3000, n)})
    s = pd.DataFrame({"id": [f"S{j}" for j in range(m)], "x": rng.uniform(0, 3000, m),
                      "y": rng.uniform(0, 3000, m), "cost": rng.integers(1, 6, m)})
    d.to_csv(tmp_path / "demand.csv", index=False)
    s.to_csv(tmp_path / "sites.csv", index=False)
    return d, s


def _cover(tmp_path, *extra):
    return CliRunner().invoke(main, ["cover", "--demand", str(tmp_path / "demand.csv"), "--sites",
                                     str(tmp_path / "sites.csv"), "--radius", "700", *extra])


def test_cover_share_writes_the_plan_its_cost_and_the_covered_share(tmp_path):
    d, s = _tables(tmp_path, 5)
    result = _cover(tmp_path, "--cover-share", "0.9", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (run,) = list((tmp_path / "out").iterdir())
    chosen = pd.read_csv(run / "chosen.csv")
    coverage = pd.read_csv(run / "coverage.csv")
    saved = json.loads((run / "result.json").read_text())
    near = np.hypot(d["x"].to_numpy()[:, None] - s["x"].to_numpy()[None, :],
                    d["y"].to_numpy()[:, None] - s["y"].to_numpy()[None, :]) <= 700
    reachable = float(d["weight"][near.any(axis=1)].sum())
    picked = [int(c[1:]) for c in chosen["site_id"]]
    covered = float(d["weight"][near[:, picked].any(axis=1)].sum())
    cost = float(s["cost"].to_numpy()[picked].sum())
    assert covered >= 0.9 * reachable
    assert coverage["covered"].tolist() == near[:, picked].any(axis=1).tolist()
    assert saved["kind"] == "partial_set_covering" and saved["share_of"] == "reachable demand weight"
    assert saved["cover_share"] == 0.9 and saved["reachable_weight"] == reachable
    assert saved["covered_share"] == pytest.approx(covered / reachable)
    assert saved["objective"] == cost and saved["solver"]["proven_optimal"]
    assert "partial set covering: PROVEN OPTIMAL" in result.output
    assert f"objective {cost:,.0f} (from the chosen sites)" in result.output
    assert f"covered share {covered / reachable:.2%} of the reachable demand weight {reachable:,.2f} " \
           "(asked: at least 90.00%)" in result.output


def test_cover_share_of_one_and_set_cover_print_the_same_cost(tmp_path):
    _tables(tmp_path, 6)
    partial, full = _cover(tmp_path, "--cover-share", "1"), _cover(tmp_path, "--set-cover")
    assert partial.exit_code == 0 and full.exit_code == 0, partial.output + full.output
    line = [x for x in full.output.splitlines() if "sites chosen" in x]
    assert line and line[0] in partial.output


@pytest.mark.parametrize("args, names", [
    (("--cover-share", "0"), ("--cover-share", "more than 0", "got 0")),
    (("--cover-share", "-0.2"), ("--cover-share", "-0.2")),
    (("--cover-share", "1.5"), ("--cover-share", "at most 1", "1.5")),
    (("--cover-share", "90"), ("--cover-share", "write 0.9 for 90 %")),
    (("--cover-share", "nan"), ("--cover-share", "nan")),
    (("--cover-share", "most"), ("--cover-share", "must be a number", "most")),
    (("--cover-share", "0.9", "--p", "3"), ("--p", "--cover-share", "choose one")),
    (("--cover-share", "0.9", "--budget", "10"), ("--budget", "--cover-share", "choose one")),
    (("--cover-share", "0.9", "--set-cover"), ("--cover-share", "--set-cover", "choose one")),
], ids=["zero", "negative", "above-one", "percent", "nan", "words", "with-p", "with-budget", "with-set-cover"])
def test_a_bad_or_clashing_cover_share_exits_3_naming_the_options(tmp_path, args, names):
    _tables(tmp_path, 1)
    result = _cover(tmp_path, *args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 3, result.output
    for name in names:
        assert name in result.output, (name, result.output)
    assert "Traceback" not in result.output and "sites chosen" not in result.output
    assert not (tmp_path / "out").exists()


def test_without_any_kind_the_message_names_every_choice(tmp_path):
    _tables(tmp_path, 1)
    result = _cover(tmp_path)
    assert result.exit_code == 3
    assert all(name in result.output for name in ("--p", "--budget", "--set-cover", "--cover-share"))
