"""Capacitated mode's first plan (``optimizer/capacitated_start.py``): open sites in order, size and fill
them by a linear program, and hand the plan to the exact solver, which alone may call a plan optimal.

Instances are in metres, reach is straight line with detour 1.0: a 10-minute walk at 0.9 m/s
(the elderly) is 540 m.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny import ELDER_CARE_ONLY, capacitated_brute_force, make_inputs, make_scenario, site, unit

import solvers
from optimizer.capacitated_start import Completion, capacitated_start, prepare_capacitated, value_per_yuan_order
from optimizer.errors import InfeasibleScenario, InputError
from optimizer.model.size_caps import size_caps, with_size_caps
from optimizer.pipeline import prepare_model, run_scenario
from solvers.result import SolverOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
from random_districts import is_capacitated, random_district  # noqa: E402

#: Two neighbourhoods 2 km apart, a station site in each and one between that reaches neither.
DEMAND = [unit("A", 0, 0, elderly=60), unit("A2", 100, 0, elderly=20), unit("B", 2000, 0, elderly=35)]
SITES = [site("SA", 50, 0, area=3000), site("SB", 2000, 50, area=3000), site("mid", 1000, 0, area=3000)]


def _setup(raw=None, demand=DEMAND, sites=SITES):
    scenario = make_scenario({**ELDER_CARE_ONLY, **(raw or {})})
    return prepare_model(scenario, inputs=make_inputs(demand, sites))


def _start(setup, with_relaxation: bool):
    model = setup.model
    problem = with_size_caps(model, size_caps(model, setup.scenario))
    point = None
    if with_relaxation:
        relaxed = solvers.get_solver("highs").solve(
            dataclasses.replace(problem, integrality=np.zeros(problem.n_cols, dtype=bool)),
            SolverOptions(time_limit_s=30))
        point = relaxed.values
    return problem, capacitated_start(model, setup.scenario, problem, point, SolverOptions(time_limit_s=30).started())


def test_sizing_and_filling_a_set_of_open_stations_is_the_models_best_for_that_set():
    setup = _setup({"budget": {"total": 1e9}})
    model = setup.model
    ids = setup.inputs.sites["site_id"].tolist()
    open_both = np.flatnonzero([ids[s] in ("SA", "SB") for s in model.pair_site])
    assert open_both.size == 2
    problem = with_size_caps(model, size_caps(model, setup.scenario))  # what the solver is handed
    value, values = Completion(model, problem).solve(open_both)
    upper, lower = problem.col_upper.copy(), problem.col_lower.copy()
    upper[model.x.index(np.arange(model.x.size))] = 0.0
    upper[model.x.index(open_both)] = lower[model.x.index(open_both)] = 1.0
    pinned = dataclasses.replace(problem, col_upper=upper, col_lower=lower)
    best = solvers.get_solver("highs").solve(pinned, SolverOptions(time_limit_s=30))
    assert best.proven_optimal
    assert value == pytest.approx(best.objective, rel=1e-9)
    served = np.bincount(model.w_pair, weights=values[model.w.start:model.w.stop], minlength=model.x.size)
    assert served[open_both].sum() == pytest.approx(115.0)  # every elderly person within a walk of SA or SB
    # money is no object here, yet no station is larger than whom its walk can fill (10 m2 a place)
    assert sorted(values[model.a.index(open_both)]) == pytest.approx([350.0, 800.0])


@pytest.mark.parametrize("with_relaxation", [True, False], ids=["relaxation order", "people-per-yuan order"])
def test_with_money_for_one_station_the_first_plan_opens_the_one_serving_most(with_relaxation):
    # SA at 800 m2 costs about 200,000 + 800 x rate; the budget pays one station of that size, not two
    setup = _setup({"budget": {"total": 3.0e6}})
    problem, (values, search) = _start(setup, with_relaxation)
    best, plan = capacitated_brute_force(setup.inputs, setup.scenario)
    assert values is not None, search.as_dict()
    assert setup.model.problem.max_violation(values) <= 1e-6 and problem.max_violation(values) <= 1e-6
    assert problem.objective_value(values) == pytest.approx(best, rel=1e-6)


def test_a_site_that_reaches_nobody_is_never_in_the_people_per_yuan_order():
    setup = _setup()
    problem = with_size_caps(setup.model, size_caps(setup.model, setup.scenario))
    order = value_per_yuan_order(setup.model, problem)
    ids = setup.inputs.sites["site_id"].tolist()
    assert [ids[setup.model.pair_site[p]] for p in order] == ["SA", "SB"]  # "mid" reaches nobody within 540 m


def test_on_random_capacitated_districts_the_start_keeps_every_row_and_never_beats_the_optimum():
    # the start handed on is the first plan improved by the search near it (optimizer/capacitated_neighbourhood.py),
    # never worse than the first plan
    checked = 0
    for seed in [s for s in range(80) if is_capacitated(s)][:12]:
        district = random_district(seed)
        try:
            setup = prepare_model(district.scenario, inputs=district.inputs)
        except (InfeasibleScenario, InputError):
            continue
        model = setup.model
        if model.x.size == 0 or model.objective != "max_coverage":
            continue
        options = SolverOptions(time_limit_s=30).started()
        problem, start = prepare_capacitated(model, setup.scenario, options, want_start=True)
        best, _ = district.brute_force()
        if start is None:
            continue
        assert problem.max_violation(start) <= 1e-6, district.rules
        assert model.problem.max_violation(start) <= 1e-6, district.rules
        assert problem.objective_value(start) <= best + 1e-6, district.rules
        near = model.stats["neighbourhood_search"]
        assert problem.objective_value(start) == pytest.approx(near["value"], abs=1e-9)
        assert near["value"] >= model.stats["capacitated_start"]["value"] - 1e-9, district.rules
        checked += 1
    assert checked >= 4


def test_a_capacitated_solve_starts_from_the_first_plan_and_is_called_optimal_only_when_proven():
    demand, sites = DEMAND, SITES
    sc_raw = {**ELDER_CARE_ONLY, "budget": {"total": 3.0e6}}
    run = run_scenario(make_scenario(sc_raw), inputs=make_inputs(demand, sites))
    started = run.model.stats["capacitated_start"]
    assert started["value"] is not None and started["value"] <= run.result.objective + 1e-9
    assert run.result.proven_optimal
    assert run.result.bound == pytest.approx(run.result.objective, abs=1e-6)
    best, _ = capacitated_brute_force(run.inputs, run.scenario)
    assert run.result.objective == pytest.approx(best, rel=1e-6)
    assert run.check.passed
