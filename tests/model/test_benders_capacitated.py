"""Benders on the assignments (capacitated mode): ``solvers/benders_assignment.py``.

The assignment columns ``w`` leave the master; each master plan is completed by the
assignment LP, checked against every row and valued from its own columns. These tests
state what a planner relies on: the same proven optimum as HiGHS (and the brute force) on
random capacitated districts, a plan that passes the independent check, a derived bound
``w <= g x`` that holds at HiGHS's optimum, cuts that never cut off a plan, "optimal" only
with proof when stopped early, and a refusal of what it cannot take.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from tiny import make_scenario, random_instance

import solvers
from optimizer.errors import InfeasibleScenario, InputError
from optimizer.pipeline import prepare_model, run_scenario
from solvers import benders_assignment
from solvers.base import UnsupportedProblem
from solvers.benders_assignment import Subproblem, project_assignments
from solvers.problem import MatrixProblem, Sense
from solvers.result import SolverOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
from random_districts import is_capacitated, random_district  # noqa: E402

pytestmark = pytest.mark.skipif("benders" not in solvers.available_solvers(), reason="highspy not installed")

#: Random tiny districts in capacitated mode (``tests/property/random_districts.py``).
CAPACITATED_SEEDS = [s for s in range(80) if is_capacitated(s)][:10]


def _solve(name: str, problem: MatrixProblem, limit: float = 60.0) -> solvers.SolveResult:
    return solvers.get_solver(name).solve(problem, SolverOptions(time_limit_s=limit, relative_gap=0.0))


def _district_model(seed: int):
    district = random_district(seed)
    try:
        setup = prepare_model(district.scenario, inputs=district.inputs)
    except (InfeasibleScenario, InputError):  # found before solving: no model
        return district, None
    return district, setup.model


def _capacitated(seed: int, n_units: int = 40, n_sites: int = 8, extra: dict | None = None):
    inputs, raw = random_instance(seed, n_units=n_units, n_sites=n_sites)
    scenario = make_scenario({**raw, "model": {"ineligible_sites": "ignore", "mode": "capacitated"}, **(extra or {})})
    return prepare_model(scenario, inputs=inputs).model


@pytest.mark.parametrize("served_in_master", [True, False])
def test_benders_proves_the_highs_optimum_and_the_brute_force_on_random_capacitated_districts(served_in_master,
                                                                                              tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(benders_assignment, "SERVED_IN_MASTER", served_in_master)
    compared = projected = 0
    for seed in CAPACITATED_SEEDS:
        district, model = _district_model(seed)
        if model is None or not model.problem.n_cols:
            continue
        problem = model.problem
        projection = project_assignments(problem)
        projected += not isinstance(projection, str)
        exact = _solve("highs", problem)
        try:
            solvers.get_solver("benders").check(problem)
        except UnsupportedProblem:
            continue
        decomposed = _solve("benders", problem)
        assert decomposed.status == exact.status, district.rules
        if not exact.status.has_solution:
            continue
        assert exact.proven_optimal and decomposed.proven_optimal, (district.rules, decomposed.summary())
        assert decomposed.objective == pytest.approx(exact.objective, rel=1e-6, abs=1e-6), district.rules
        assert problem.max_violation(decomposed.values) <= 1e-6  # a plan of the whole model
        best, _ = district.brute_force()
        assert decomposed.objective == pytest.approx(best, rel=1e-6, abs=1e-4), district.rules
        compared += 1
    assert projected >= 5 and compared >= 4


@pytest.mark.parametrize("seed", [0, 3])
def test_the_derived_strong_bound_holds_at_the_highs_optimum_and_the_cuts_never_cut_off_a_plan(seed, tmp_path,
                                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _capacitated(seed, n_units=60, n_sites=10)
    problem = model.problem
    projection = project_assignments(problem)
    assert not isinstance(projection, str)
    assert projection.w_columns.size == model.w.size  # every assignment leaves the master
    assert (projection.link >= 0).any()  # the bound w <= g x is found from the capacity and size rows
    optimum = _solve("highs", problem)
    assert optimum.proven_optimal
    point = projection.master_point(optimum.values)
    assert projection.master.max_violation(point) <= 1e-6  # the optimum is a master plan (served values too)
    kept = point[: projection.n_kept]
    w = optimum.values[projection.w_columns]
    assert (w <= projection.upper(kept) + 1e-6).all()
    sub = Subproblem(projection)
    out = sub.solve(kept)
    assert out is not None
    completed_w, value, coef, constant = out
    assert value.sum() == pytest.approx(point[projection.n_kept:].sum(), rel=1e-7, abs=1e-7)  # w optimal given x
    assert (constant + coef @ kept >= value - 1e-6).all()  # tight at its own point, and above
    rng = np.random.default_rng(seed)
    binary = projection.master.integrality[: projection.n_kept]
    for _ in range(5):  # a cut from a random fractional point holds at every other plan's value
        other = kept.copy()
        other[binary] = rng.random(int(binary.sum()))
        _, _, coef2, constant2 = sub.solve(other)
        assert (constant2 + coef2 @ kept >= value - 1e-6).all()


def test_a_run_naming_benders_in_capacitated_mode_passes_the_independent_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inputs, raw = random_instance(2, n_units=40, n_sites=8)
    raw = {**raw, "model": {"ineligible_sites": "ignore", "mode": "capacitated"}}
    run = run_scenario(make_scenario({**raw, "solver": {"name": "benders"}}), inputs=inputs)
    highs = run_scenario(make_scenario(raw), inputs=inputs)
    assert run.result.solver == "benders" and run.result.proven_optimal and run.check.passed
    assert run.result.extra["benders"]["decomposition"] == "assignments"
    assert run.result.objective == pytest.approx(highs.result.objective, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("limit", [0.01, 0.2])
def test_stopped_early_it_says_optimal_only_with_proof_and_its_bound_is_never_below_the_optimum(limit, tmp_path,
                                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _capacitated(1, n_units=150, n_sites=16)
    optimum = _solve("highs", model.problem).objective
    result = _solve("benders", model.problem, limit=limit)
    if result.bound is not None:
        assert result.bound >= optimum - 1e-6
    if result.status.has_solution:
        assert model.problem.max_violation(result.values) <= 1e-6
        assert result.objective <= optimum + 1e-6
    if result.proven_optimal:
        assert result.objective == pytest.approx(optimum, rel=1e-6, abs=1e-6)
    else:
        assert result.status is not solvers.SolveStatus.OPTIMAL


def _facility_location(extra: tuple[np.ndarray, float, float] | None = None) -> MatrixProblem:
    """Two facilities (x0, x1 binary; areas a0, a1 <= 10 x), three demand rows of 6 people, w within reach.

    Columns: x0, x1, a0, a1, w00, w10, w11, w21 (w_rp); capacity 1 person per m2; cost 3 per
    facility and 0.1 per m2, budget 5 (one facility); objective: people served.
    """
    n = 8
    rows, lo, hi = [], [], []

    def row(coefs: dict[int, float], low: float, high: float) -> None:
        r = np.zeros(n)
        for j, v in coefs.items():
            r[j] = v
        rows.append(r)
        lo.append(low)
        hi.append(high)

    row({4: 1}, -np.inf, 6)  # demand rows
    row({5: 1, 6: 1}, -np.inf, 6)
    row({7: 1}, -np.inf, 6)
    row({4: 1, 5: 1, 2: -1}, -np.inf, 0)  # capacity
    row({6: 1, 7: 1, 3: -1}, -np.inf, 0)
    row({2: 1, 0: -10}, -np.inf, 0)  # size caps
    row({3: 1, 1: -10}, -np.inf, 0)
    row({0: 3, 1: 3, 2: 0.1, 3: 0.1}, -np.inf, 5)  # budget
    if extra is not None:
        row(dict(enumerate(extra[0])), extra[1], extra[2])
    return MatrixProblem(objective=np.array([0, 0, 0, 0, 1, 1, 1, 1.0]), matrix=sp.csr_matrix(np.array(rows)),
                         row_lower=np.array(lo), row_upper=np.array(hi), col_lower=np.zeros(n),
                         col_upper=np.array([1, 1, 10, 10] + [np.inf] * 4),
                         integrality=np.array([True, True] + [False] * 6), sense=Sense.MAXIMIZE)


def test_a_small_facility_location_projects_with_the_derived_bound_and_is_proven():
    problem = _facility_location()
    projection = project_assignments(problem)
    assert not isinstance(projection, str)
    assert projection.w_columns.tolist() == [4, 5, 6, 7]
    assert projection.n_served == 3  # one served value per demand row; the master: 3 rows, 3 served, 1 theta
    assert projection.master.n_rows == 3 + 3 + 1
    # w <= min(demand 6, capacity 1 x 10 m2) x
    assert projection.gain.tolist() == [6.0, 6.0, 6.0, 6.0] and projection.link.tolist() == [0, 0, 1, 1]
    seen: list = []
    result = solvers.get_solver("benders").solve(problem, SolverOptions(time_limit_s=60.0, on_progress=seen.append))
    assert result.proven_optimal and result.objective == pytest.approx(10.0)  # one facility of 10 m2
    assert seen and seen[-1].incumbent == pytest.approx(10.0)  # progress streamed as the others do
    assert result.extra["benders"]["lp_bounds"] and result.extra["benders"]["sub_solves"] >= 1


def test_an_assignment_in_a_row_it_could_break_with_w_zero_stays_in_the_master_and_the_answer_is_still_exact():
    # "w00 + w21 >= 4": w = 0 breaks it, so those assignments and what shares their rows stay in the master
    need = _facility_location((np.array([0, 0, 0, 0, 1, 0, 0, 1.0]), 4.0, np.inf))
    projection = project_assignments(need)
    assert isinstance(projection, str) or 4 not in projection.w_columns.tolist()
    exact = _solve("highs", need)
    if not isinstance(projection, str):
        result = _solve("benders", need)
        assert result.proven_optimal and result.objective == pytest.approx(exact.objective)


def test_a_model_without_assignment_columns_is_refused_saying_why():
    knapsack = MatrixProblem(objective=np.array([5.0, 4.0, 3.0]), matrix=sp.csr_matrix([[2.0, 3.0, 1.0]]),
                             row_lower=np.array([-np.inf]), row_upper=np.array([4.0]), col_lower=np.zeros(3),
                             col_upper=np.ones(3), integrality=np.ones(3, dtype=bool))
    assert "continuous" in project_assignments(knapsack)
    with pytest.raises(UnsupportedProblem, match="coverage models only") as info:
        solvers.get_solver("benders").check(knapsack)
    assert "highs" in info.value.alternatives
