"""What a written run works out once and shares gives the same tables as each worked out on its own.

The writer passes tables down instead of recomputing them (benchmarks/run_fixed_cost.md); these
tests state that nothing a planner reads changes by it.
"""
from __future__ import annotations

import district
import numpy as np
import pandas as pd
import pyogrio
import pytest
import two_circles
from tiny import make_scenario, random_instance

from optimizer.outputs.tables import fairness_by_circle
from optimizer.outputs.three_lists import configuration_list, needs_list, reader_table, supply_list, three_lists
from optimizer.outputs.writers import GDAL_SQLITE_SYNCHRONOUS, unsynced_gpkg_writes
from optimizer.pipeline import run_scenario
from optimizer.rules.existing import unit_circles
from optimizer.rules.fairness import circle_shares


def _one_groupby_per_function(inputs, scenario, served_existing, served_new) -> pd.DataFrame:
    """People and covered people per function and circle, one group-by per function (as the writer had it)."""
    circles = unit_circles(inputs)
    frames = []
    for name, fn in scenario.functions.items():
        people = inputs.demand[fn.counted_cohort(scenario.model.mode)].fillna(0).to_numpy(dtype=float)
        before = np.asarray(served_existing[name], dtype=float)
        after = before + (np.asarray(served_new[name], dtype=float) if served_new is not None else 0.0)
        frame = pd.DataFrame({"circle_id": circles, "people": people, "covered_before": before,
                              "covered_after": after}).groupby("circle_id", sort=True).sum().reset_index()
        frame.insert(0, "function", name)
        frames.append(frame[frame["people"] > 0])
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", range(6))
def test_each_circles_covered_share_is_the_same_worked_out_for_all_functions_at_once(seed):
    """Every function's circles, people and covered people (before and after) equal, to the last bit, what
    one group-by per function gives: the same people summed in the same order, 60 units in two circles."""
    inputs, raw = random_instance(seed, n_units=60)
    scenario = make_scenario(raw)
    rng = np.random.default_rng(seed)
    n = len(inputs.demand)
    existing = {f: rng.random(n) * 37.3 for f in scenario.functions}
    new = {f: rng.random(n) * 11.9 for f in scenario.functions}
    for served_new in (new, None):
        together = circle_shares(inputs, scenario, existing, served_new)
        alone = _one_groupby_per_function(inputs, scenario, existing, served_new)
        pd.testing.assert_frame_equal(together[list(alone.columns)], alone, check_exact=True)


def test_the_three_lists_written_together_are_each_list_worked_out_on_its_own():
    """Needs, supply and configuration lists from the shared planned facilities and circle shares equal
    the lists each worked out from the run alone (both circles planned, residents' requests counted)."""
    run = run_scenario(two_circles.scenario(), inputs=district.inputs(with_requests=True))
    together = three_lists(run, "en", shares=fairness_by_circle(run))  # as write_run passes them
    alone = [reader_table(t, run.scenario, "en") for t in (needs_list(run), supply_list(run), configuration_list(run))]
    assert len(together) == 3
    for written, own in zip(together.values(), alone, strict=True):
        pd.testing.assert_frame_equal(written, own, check_exact=True)


@pytest.mark.parametrize("before", [None, "FULL"])
def test_writing_a_folder_leaves_gdals_sqlite_setting_as_it_was(before):
    """GeoPackages of an output folder are written without a sync per commit; the planner's own setting
    (none, or FULL) is back once the folder is written."""
    pyogrio.set_gdal_config_options({GDAL_SQLITE_SYNCHRONOUS: before})
    try:
        with unsynced_gpkg_writes():
            assert pyogrio.get_gdal_config_option(GDAL_SQLITE_SYNCHRONOUS) is False  # OFF
        assert pyogrio.get_gdal_config_option(GDAL_SQLITE_SYNCHRONOUS) == before
    finally:
        pyogrio.set_gdal_config_options({GDAL_SQLITE_SYNCHRONOUS: None})


def test_two_folders_written_at_once_stay_unsynced_until_both_are_written():
    """Two threads writing folders at once: the first one done does not turn syncing back on under the
    other; the planner's setting (FULL) is back when both are written."""
    pyogrio.set_gdal_config_options({GDAL_SQLITE_SYNCHRONOUS: "FULL"})
    try:
        first, second = unsynced_gpkg_writes(), unsynced_gpkg_writes()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert pyogrio.get_gdal_config_option(GDAL_SQLITE_SYNCHRONOUS) is False
        second.__exit__(None, None, None)
        assert pyogrio.get_gdal_config_option(GDAL_SQLITE_SYNCHRONOUS) == "FULL"
    finally:
        pyogrio.set_gdal_config_options({GDAL_SQLITE_SYNCHRONOUS: None})
