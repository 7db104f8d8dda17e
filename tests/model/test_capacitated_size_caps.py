"""Capacitated mode's size caps (``optimizer/model/size_caps.py``): a facility no larger than its site
holds or its walk can fill, and the proven optimum unchanged.

Instances are in metres, reach is straight line with detour 1.0: a 10-minute walk at 0.9 m/s
(the elderly) is 540 m.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from tiny import ELDER_CARE_ONLY, make_inputs, make_scenario, site, unit

import solvers
from optimizer.errors import InfeasibleScenario, InputError
from optimizer.model.size_caps import size_caps, with_size_caps
from optimizer.pipeline import prepare_model
from solvers.result import SolverOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "property"))
from random_districts import is_capacitated, random_district  # noqa: E402

#: Random tiny districts in capacitated mode (``tests/property/random_districts.py``).
CAPACITATED_SEEDS = [s for s in range(80) if is_capacitated(s)][:12]


def _model(demand, sites, raw=None):
    scenario = make_scenario({**ELDER_CARE_ONLY, **(raw or {})})
    return prepare_model(scenario, inputs=make_inputs(demand, sites))


def test_a_station_is_never_capped_below_what_its_walk_can_fill_nor_above_its_largest_size():
    setup = _model([unit("A", 0, 0, elderly=30), unit("B", 100, 0, elderly=10), unit("far", 5000, 0, elderly=500)],
                   [site("S0", 0, 0, area=3000), site("S1", 50, 0, area=3000)])
    caps = size_caps(setup.model, setup.scenario)
    # 40 elderly within the walk need 400 m2 at 10 m2 a place: more room buys nobody
    assert caps.cap_m2 == pytest.approx([400.0, 400.0])
    assert caps.by_reach and not caps.never_fits.any()


def test_a_station_whose_walk_fills_less_than_its_smallest_size_keeps_its_smallest_size():
    setup = _model([unit("A", 0, 0, elderly=5)], [site("S0", 0, 0, area=3000)])
    assert size_caps(setup.model, setup.scenario).cap_m2 == pytest.approx([200.0])


def test_a_station_is_never_larger_than_its_site_and_one_that_cannot_fit_is_never_built():
    setup = _model([unit("A", 0, 0, elderly=900)], [site("small", 0, 0, area=150), site("mid", 10, 0, area=700)])
    caps = size_caps(setup.model, setup.scenario)
    assert caps.cap_m2 == pytest.approx([150.0, 700.0])
    assert caps.never_fits.tolist() == [True, False]
    problem = with_size_caps(setup.model, caps)
    assert problem.col_upper[setup.model.x.index(0)] == 0.0  # the small site can never hold 200 m2
    assert setup.model.problem.col_upper[setup.model.x.index(0)] == 1.0  # the model itself is unchanged


def test_places_required_by_rule_7_keep_the_largest_size_since_a_larger_station_counts_there():
    setup = _model([unit("A", 0, 0, elderly=30, total=2000)], [site("S0", 0, 0, area=3000)],
                   {"requirements": [{"function": "elder_care", "min_per_1000": 5}]})
    caps = size_caps(setup.model, setup.scenario)
    assert not caps.by_reach
    assert caps.cap_m2 == pytest.approx([1000.0])


def test_the_caps_keep_the_proven_optimum_of_random_capacitated_districts():
    highs = solvers.get_solver("highs")
    options = SolverOptions(time_limit_s=60)
    compared = 0
    for seed in CAPACITATED_SEEDS:
        district = random_district(seed)
        try:
            setup = prepare_model(district.scenario, inputs=district.inputs)
        except (InfeasibleScenario, InputError):  # found before solving: no model to cap
            continue
        model = setup.model
        caps = size_caps(model, setup.scenario)
        if caps is None:  # no candidate reaches anyone: nothing to cap
            continue
        plain = highs.solve(model.problem, options)
        capped = highs.solve(with_size_caps(model, caps), options)
        assert plain.status == capped.status, district.rules
        if not plain.status.has_solution:
            continue
        assert plain.proven_optimal and capped.proven_optimal, district.rules
        assert capped.objective == pytest.approx(plain.objective, rel=1e-6, abs=1e-6), district.rules
        assert model.problem.max_violation(capped.values) <= 1e-6  # a plan of the capped problem is the model's
        best, _ = district.brute_force()
        assert capped.objective == pytest.approx(best, rel=1e-6, abs=1e-4), district.rules
        compared += 1
    assert compared >= 5


def test_the_random_districts_include_capacitated_ones():
    assert len(CAPACITATED_SEEDS) >= 5
    assert all(random_district(s).capacitated for s in CAPACITATED_SEEDS)  # is_capacitated reads the same draw
    assert np.unique([random_district(s).scenario.objective for s in CAPACITATED_SEEDS]).size >= 2
