"""Capacitated mode's search near the first plan (``optimizer/capacitated_neighbourhood.py``): exact solves of
the problem with the pairs the plan and the relaxation agree on fixed, whose better plans only start the
exact solver and are never called optimal there. On random capacitated districts against the brute force:
``test_capacitated_start.py`` (the start handed on is the searched plan).

Instances are in metres, reach is straight line with detour 1.0: a 10-minute walk at 0.9 m/s
(the elderly) is 540 m.
"""
from __future__ import annotations

import numpy as np
import pytest
from tiny import ELDER_CARE_ONLY, capacitated_brute_force, make_inputs, make_scenario, site, unit

from optimizer.capacitated_neighbourhood import agreeing_neighbourhood, neighbourhood_search
from optimizer.capacitated_start import Completion, capacitated_start, prepare_capacitated
from optimizer.model.size_caps import size_caps, with_size_caps
from optimizer.pipeline import prepare_model
from solvers.result import SolverOptions

#: Two neighbourhoods 2 km apart, a station site in each, and a second site 300 m from A.
DEMAND = [unit("A", 0, 0, elderly=60), unit("A2", 100, 0, elderly=20), unit("B", 2000, 0, elderly=35)]
SITES = [site("SA", 50, 0, area=3000), site("SB", 2000, 50, area=3000), site("SA'", 0, 300, area=3000)]


def _two_stations(budget: float = 1e9):
    setup = prepare_model(make_scenario({**ELDER_CARE_ONLY, "budget": {"total": budget}}),
                          inputs=make_inputs(DEMAND, SITES))
    model = setup.model
    problem = with_size_caps(model, size_caps(model, setup.scenario))
    ids = setup.inputs.sites["site_id"].tolist()
    pair = {ids[s]: p for p, s in enumerate(model.pair_site)}
    return setup, problem, pair


def test_pairs_the_plan_and_the_relaxation_agree_on_are_fixed_as_the_plan_has_them_and_the_rest_stay_free():
    setup, problem, pair = _two_stations()
    model = setup.model
    _, plan = Completion(model, problem).solve(np.array([pair["SA"]]))
    guide = np.zeros(model.x.size)
    guide[pair["SA"]], guide[pair["SB"]], guide[pair["SA'"]] = 0.9, 0.5, 0.05
    narrowed, free = agreeing_neighbourhood(model, problem, plan, guide, agreement=0.2)
    x_lower, x_upper = narrowed.col_lower[model.x.start:model.x.stop], narrowed.col_upper[model.x.start:model.x.stop]
    assert (x_lower[pair["SA"]], x_upper[pair["SA"]]) == (1.0, 1.0)  # open in the plan, 0.9 in the relaxation
    assert (x_lower[pair["SA'"]], x_upper[pair["SA'"]]) == (0.0, 0.0)  # closed in the plan, 0.05 in the relaxation
    assert (x_lower[pair["SB"]], x_upper[pair["SB"]]) == (0.0, 1.0)  # they disagree: free
    assert free == 1
    # a closed pair serves nobody: its assignments are fixed at 0 as well
    second_assignments = model.w.index(np.flatnonzero(model.w_pair == pair["SA'"]))
    assert (narrowed.col_upper[second_assignments] == 0.0).all()
    assert narrowed.max_violation(plan) <= 1e-9  # the plan is the narrowed problem's start


def test_a_station_the_relaxation_half_opens_is_added_when_it_serves_more_people():
    # the first plan opened SA only; the relaxation half opens SB, whose walk reaches B's 35 elderly
    setup, problem, pair = _two_stations()
    model = setup.model
    before, plan = Completion(model, problem).solve(np.array([pair["SA"]]))
    guide = np.zeros(model.x.size)
    guide[pair["SA"]], guide[pair["SB"]] = 1.0, 0.5
    better, search = neighbourhood_search(model, problem, plan, guide, SolverOptions(time_limit_s=30).started())
    best, _ = capacitated_brute_force(setup.inputs, setup.scenario)
    assert problem.objective_value(better) == pytest.approx(best, rel=1e-6) and best > before + 1e-6
    assert better[model.x.index(np.array([pair["SA"], pair["SB"]]))].tolist() == [1.0, 1.0]
    assert problem.max_violation(better) <= 1e-6
    assert search.improved == 1 and search.value_before == pytest.approx(before)


def test_without_a_relaxation_the_first_plan_is_kept_as_it_is():
    setup, problem, pair = _two_stations()
    _, plan = Completion(setup.model, problem).solve(np.array([pair["SA"]]))
    kept, search = neighbourhood_search(setup.model, problem, plan, None, SolverOptions(time_limit_s=30).started())
    assert kept is plan and search.stopped == "no relaxation" and search.solves == 0


def test_when_no_whole_relaxation_was_solved_the_search_follows_the_one_over_the_first_candidates():
    # under load strengthening may solve no relaxation in its time: the first plan is then ordered by the
    # relaxation over the first candidates by people per yuan, and the search is guided by that one
    setup, problem, pair = _two_stations(budget=3.0e6)
    model = setup.model
    plan, search = capacitated_start(model, setup.scenario, problem, None, SolverOptions(time_limit_s=30).started())
    assert search.ordered_by.startswith("relaxation over the first")
    assert search.guide is not None and search.guide.shape == (model.x.size,)
    assert "guide" not in search.as_dict()
    better, near = neighbourhood_search(model, problem, plan, search.guide, SolverOptions(time_limit_s=30).started())
    assert near.solves >= 1 and near.stopped != "no relaxation"
    best, _ = capacitated_brute_force(setup.inputs, setup.scenario)
    assert problem.objective_value(better) <= best + 1e-6 and problem.max_violation(better) <= 1e-6


def test_each_plan_before_the_exact_solver_is_shown_as_it_comes_without_a_bound():
    # a planner watching the live line sees the first plan and each better one from the search,
    # not an empty line for the first half of the limit
    setup, problem, pair = _two_stations()
    model = setup.model
    seen = []
    options = SolverOptions(time_limit_s=30, on_progress=seen.append).started()
    _, plan = Completion(model, problem).solve(np.array([pair["SA"]]))
    guide = np.zeros(model.x.size)
    guide[pair["SA"]], guide[pair["SB"]] = 1.0, 0.5
    better, _ = neighbourhood_search(model, problem, plan, guide, options)
    assert [(p.solver, p.bound) for p in seen] == [("neighbourhood search", None)]
    assert seen[0].incumbent == pytest.approx(problem.objective_value(better))

    seen.clear()
    prepare_capacitated(model, setup.scenario, options, want_start=True)
    first = [p for p in seen if p.solver == "first plan"]
    assert len(first) == 1 and first[0].bound is None
    assert first[0].incumbent == pytest.approx(model.stats["capacitated_start"]["value"])
