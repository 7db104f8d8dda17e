"""The instance generators of ``benchmarks/coverage_families.py``: reproducible from a seed, of the stated shape.

How fast the solvers are on them is measured by the benchmark itself, never here.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage_families.py"
_SPEC = importlib.util.spec_from_file_location("coverage_families", _PATH)
cf = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cf)


def _same(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in ("demand_xy", "site_xy", "weights")) and \
        a["radius"] == b["radius"] and a["p"] == b["p"]


def test_clustered_is_reproducible_from_its_seed():
    assert _same(cf.clustered_instance(1000, 100, 3), cf.clustered_instance(1000, 100, 3))
    assert not _same(cf.clustered_instance(1000, 100, 3), cf.clustered_instance(1000, 100, 4))


def test_clustered_has_the_stated_shape():
    inst = cf.clustered_instance(2000, 200, 1)
    side = 30_000.0
    assert inst["demand_xy"].shape == (2000, 2) and inst["site_xy"].shape == (200, 2)
    for xy in (inst["demand_xy"], inst["site_xy"]):
        assert (xy >= 0).all() and (xy <= side).all()
    w = inst["weights"]
    assert (w >= 1).all() and np.array_equal(w, np.round(w))
    assert inst["p"] == 10  # 5 % of 200 sites
    # the radius is the median distance to the 20th-nearest site: half the demand points reach at least 20
    reached = np.array([len(x) for x in cKDTree(inst["site_xy"]).query_ball_point(inst["demand_xy"],
                                                                                  inst["radius"])])
    assert np.median(reached) == pytest.approx(20, abs=0.5)
    # clustered, not uniform: the middle ninth of the square (around the centre) holds far more than a ninth
    mid = ((inst["demand_xy"] > side / 3) & (inst["demand_xy"] < 2 * side / 3)).all(axis=1).mean()
    assert mid > 0.3


def test_bds_is_reproducible_and_has_the_stated_shape():
    a, b = cf.bds_instance(5000, 5.5, 2), cf.bds_instance(5000, 5.5, 2)
    assert _same(a, b)
    assert a["demand_xy"].shape == (5000, 2) and a["site_xy"].shape == (100, 2)
    for xy in (a["demand_xy"], a["site_xy"]):
        assert (xy >= 0).all() and (xy <= 30).all()
    assert a["p"] == 10 and a["radius"] == 5.5
    assert a["weights"].min() >= 1 and a["weights"].max() <= 100 and np.array_equal(a["weights"],
                                                                                    np.round(a["weights"]))
    assert cf.bds_instance(5000, 6.25, 2)["radius"] == 6.25


def test_an_instance_is_written_once(tmp_path):
    inst = cf.bds_instance(100, 5.5, 1)
    path = cf.write_instance(inst, tmp_path)
    stamp = path.stat().st_mtime_ns
    assert cf.write_instance(inst, tmp_path) == path and path.stat().st_mtime_ns == stamp
    z = np.load(path)
    assert np.array_equal(z["weights"], inst["weights"]) and int(z["p"]) == 10


def test_time_to_a_target_is_the_first_plan_at_least_as_good():
    seen = [[5.0, 90.0, "final"], [1.0, 80.0, "greedy"], [3.0, 90.0, "progress"]]
    assert cf.time_to(seen, 85.0) == 3.0
    assert cf.time_to(seen, 80.0) == 1.0
    assert cf.time_to(seen, 95.0) is None
    assert cf.time_to(seen, None) is None
