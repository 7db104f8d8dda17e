"""The shared-garage ledger (inputs.shared_garages, 错时共享停车): read, checked row by row, hours parsed."""
from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from input_tables import LAT, LON

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.inputs import load_inputs
from optimizer.inputs.garages import hours_per_day, parse_hours
from tests.batch_scenarios import write_tiny_district


def garages_frame(**changes) -> gpd.GeoDataFrame:
    """Two garages: an office garage (point) and a mall garage (polygon)."""
    frame = gpd.GeoDataFrame(
        {"garage_id": ["G1", "G2"], "name": ["写字楼车库", "商场车库"], "owner": ["写字楼", "商场"],
         "places": [80, 200], "hours": ["19:00-08:00", "22:00-23:00;00:00-09:00"],
         "lease_per_space_year": [1500.0, None], "fixed_cost": [None, 60000.0]},
        geometry=[shapely.Point(LON + 0.002, LAT), shapely.box(LON, LAT + 0.001, LON + 0.0005, LAT + 0.0015)],
        crs="EPSG:4326")
    for column, values in changes.items():
        frame[column] = values
    return frame


@pytest.mark.parametrize("text,hours", [
    ("19:00-08:00", 13.0),                       # wraps midnight
    ("18:00-23:00;00:00-08:00", 13.0),           # two windows
    ("18:00-23:00；22:00-02:00", 8.0),            # overlapping windows count once (full-width separator)
    ("00:00-24:00", 24.0), ("8:30-8:30", 24.0),  # the whole day
    ("19：00 至 7：30", 12.5),                     # full-width colon, 至
])
def test_hours_are_the_union_of_the_windows_over_a_day(text, hours):
    assert hours_per_day(text) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["", "evenings", "19-08", "25:00-08:00", "19:60-08:00", "24:30-06:00", "19:00-"])
def test_unreadable_hours_are_none(text):
    assert parse_hours(text) is None and math.isnan(hours_per_day(text))


def test_garages_load_as_points_in_the_analysis_crs(good_spec, write, tmp_path):
    spec = dataclasses.replace(good_spec, shared_garages=write(garages_frame(), tmp_path, "garages", "gpkg"))
    garages = load_inputs(spec).shared_garages
    assert garages.crs.to_epsg() == 32648 and set(garages.geom_type) == {"Point"}
    assert garages["garage_id"].tolist() == ["G1", "G2"] and garages["places"].tolist() == [80, 200]
    assert load_inputs(good_spec).shared_garages is None  # without the ledger, nothing


@pytest.mark.parametrize("fmt", ["gpkg", "csv"])
def test_every_bad_row_is_named_by_garage_id_and_column(good_spec, write, tmp_path, fmt):
    """Places not above 0, hours that are not windows, an id that is a site's: each names its row and column."""
    bad = garages_frame(garage_id=["G1", "S1"], places=[0, -3], hours=["evenings", "19:00-08:00"])
    if fmt == "csv":
        bad = bad.set_geometry(bad.geometry.representative_point())
    spec = dataclasses.replace(good_spec, shared_garages=write(bad, tmp_path, "garages", fmt))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {("garage_id=G1", "places"), ("garage_id=S1", "places"), ("garage_id=G1", "hours"),
                     ("garage_id=S1", "garage_id")}
    text = str(caught.value)
    assert "places must be more than 0" in text and "'evenings' are not time windows" in text
    assert "is also a site id of" in text and "garages." in text


def test_a_missing_places_or_hours_column_is_named(good_spec, write, tmp_path):
    spec = dataclasses.replace(good_spec, shared_garages=write(garages_frame().drop(columns=["places", "hours"]),
                                                               tmp_path, "garages", "gpkg"))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    assert {p.column for p in caught.value.problems} == {"places", "hours"}


def test_a_bad_garage_ledger_exits_3_and_writes_nothing(tmp_path):
    scenario = write_tiny_district(tmp_path, "functions: {}\n")
    garages_frame(places=[50, 0]).to_file(tmp_path / "data" / "garages.gpkg", layer="garages")
    scenario.write_text(scenario.read_text(encoding="utf-8").replace(
        "  sites: data/sites.gpkg\n", "  sites: data/sites.gpkg\n  shared_garages: data/garages.gpkg\n"),
        encoding="utf-8")
    result = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "garage_id=G2" in result.output and "'places'" in result.output
    assert not (tmp_path / "out").exists()
