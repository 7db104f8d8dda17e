"""The reach cache: what-ifs on budget, weights or rules reuse walking times; anything that
changes a walk recomputes them."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely

import optimizer.pipeline as pipeline
from optimizer.inputs import load_inputs
from optimizer.reach.cache import ReachCache
from optimizer.scenario import load_scenario


@pytest.fixture(scope="module")
def demo(request):
    repo = request.config.rootpath
    scenario = load_scenario(repo / "scenarios" / "yuzhong-demo.yaml")
    names = set(scenario.function_names) | set(scenario.disabled_functions)
    inputs = load_inputs(scenario.inputs, function_names=names,
                         cohorts={fn.cohort for fn in scenario.functions.values()})
    return repo, scenario, inputs


def _forbid_recompute(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("reach was recomputed although the cache should have served it")
    monkeypatch.setattr(pipeline, "network_reach", fail)
    monkeypatch.setattr(pipeline, "build_walk_network", fail)


def _same(a, b):
    np.testing.assert_array_equal(a.unit_index, b.unit_index)
    np.testing.assert_array_equal(a.target_index, b.target_index)
    np.testing.assert_array_equal(a.ref_seconds, b.ref_seconds)


def test_a_budget_or_weight_what_if_reuses_the_walking_times(demo, tmp_path, monkeypatch):
    repo, scenario, inputs = demo
    cache = ReachCache(tmp_path / "cache")
    sites, facilities = pipeline.compute_reach(inputs, scenario, cache=cache)
    assert len(list((tmp_path / "cache").glob("reach-*.npz"))) == 1
    what_if = load_scenario(repo / "scenarios" / "yuzhong-demo.yaml",
                            ["budget.total=30000000", "functions.canteen.weight=3", "decisions.force_out=[YZ-S0001]"])
    _forbid_recompute(monkeypatch)
    sites2, facilities2 = pipeline.compute_reach(inputs, what_if, cache=cache)
    _same(sites, sites2)
    _same(facilities, facilities2)
    assert any("reused from the reach cache" in n for n in sites2.notes)


def test_a_shorter_threshold_is_served_from_a_longer_one_and_a_longer_one_is_recomputed(demo, tmp_path,
                                                                                      monkeypatch):
    repo, scenario, inputs = demo
    cache = ReachCache(tmp_path / "cache")
    pipeline.compute_reach(inputs, scenario, cache=cache)
    shorter = load_scenario(repo / "scenarios" / "yuzhong-demo.yaml",
                            [f"functions.{f}.threshold_min=4" for f in scenario.function_names])
    fresh, _ = pipeline.compute_reach(inputs, shorter)  # no cache
    with monkeypatch.context() as m:
        _forbid_recompute(m)
        served, _ = pipeline.compute_reach(inputs, shorter, cache=cache)
    _same(fresh, served)
    assert served.cutoff == fresh.cutoff
    longer = load_scenario(repo / "scenarios" / "yuzhong-demo.yaml", ["functions.parking.threshold_min=20"])
    _forbid_recompute(monkeypatch)
    with pytest.raises(AssertionError, match="recomputed"):
        pipeline.compute_reach(inputs, longer, cache=cache)


@pytest.mark.parametrize("change", [
    "reach.stairs_up_factor=0.3",  # the other two ways of walking: slow (each re-walks the demo's streets)
    pytest.param("reach.max_snap_m=100", marks=pytest.mark.slow),
    pytest.param("reach.slope=false", marks=pytest.mark.slow)])
def test_a_change_to_how_people_walk_is_not_served_from_the_cache(demo, tmp_path, monkeypatch, change):
    repo, scenario, inputs = demo
    cache = ReachCache(tmp_path / "cache")
    pipeline.compute_reach(inputs, scenario, cache=cache)
    changed = load_scenario(repo / "scenarios" / "yuzhong-demo.yaml", [change])
    _forbid_recompute(monkeypatch)
    with pytest.raises(AssertionError, match="recomputed"):
        pipeline.compute_reach(inputs, changed, cache=cache)


def test_a_moved_site_or_an_edited_street_is_not_served_from_the_cache(demo, tmp_path, monkeypatch):
    repo, scenario, inputs = demo
    cache = ReachCache(tmp_path / "cache")
    pipeline.compute_reach(inputs, scenario, cache=cache)
    moved = inputs.sites.copy()
    moved.loc[moved.index[0], "geometry"] = shapely.affinity.translate(moved.geometry.iloc[0], 25.0, 0.0)
    edited = inputs.network.copy()
    edited.loc[edited.index[0], "highway"] = "steps"
    _forbid_recompute(monkeypatch)
    for changed in (dataclasses.replace(inputs, sites=moved), dataclasses.replace(inputs, network=edited)):
        with pytest.raises(AssertionError, match="recomputed"):
            pipeline.compute_reach(changed, scenario, cache=cache)


def test_a_damaged_cache_entry_is_ignored_and_rewritten(demo, tmp_path):
    _, scenario, inputs = demo
    cache = ReachCache(tmp_path / "cache")
    first, _ = pipeline.compute_reach(inputs, scenario, cache=cache)
    (entry,) = (tmp_path / "cache").glob("reach-*.npz")
    entry.write_bytes(b"not a numpy file")
    again, _ = pipeline.compute_reach(inputs, scenario, cache=cache)
    _same(first, again)
    assert entry.stat().st_size > 100


_COMPUTE_ONCE = """
import sys, time
from pathlib import Path
import numpy as np
from optimizer.reach.cache import ReachCache
from optimizer.reach.types import Reach, ReachMethod
cache = ReachCache(Path(sys.argv[1]))
with cache.computing("e" * 40):
    print("computing", flush=True)
    time.sleep(1.0)
    if sys.argv[2] == "store":
        cache.store("e" * 40, Reach(np.arange(5, dtype=np.int32), np.zeros(5, dtype=np.int32), np.full(5, 60.0),
                                    5, 1, 900.0, ReachMethod.STRAIGHT_LINE))
"""


@pytest.mark.parametrize("outcome", ["store", pytest.param("ends_without_storing", marks=pytest.mark.slow)])
def test_one_process_computes_a_cache_entry_while_another_waits_for_it(tmp_path, outcome):
    """While one process computes an entry the others wait, then read what it stored; when it ends without
    storing (an error, killed), the lock is free again and the waiter computes the entry itself."""
    import subprocess
    import sys
    import time

    from batch_scenarios import ROOT

    first = subprocess.Popen([sys.executable, "-c", _COMPUTE_ONCE, str(tmp_path), outcome],
                             env={"PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "computing"
    cache, t0 = ReachCache(tmp_path), time.monotonic()
    with cache.computing("e" * 40):
        waited = time.monotonic() - t0
        found = cache.load("e" * 40, 900.0)
    first.wait()
    assert waited > 0.3
    assert (found is not None and found.n_pairs == 5) if outcome == "store" else found is None
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        [f"reach-{'e' * 40}.lock", f"reach-{'e' * 40}.npz"] if outcome == "store" else [f"reach-{'e' * 40}.lock"])
