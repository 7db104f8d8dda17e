"""validate_table and check_references: every problem, with file, row and column, at once."""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from input_tables import LAT, LON, UTM48N, demand_frame, sites_frame, write_table

from optimizer.errors import InputError
from optimizer.inputs import load_inputs, read_table, validate_table
from optimizer.inputs.schema import (
    DEMAND_COLUMNS,
    NETWORK_COLUMNS,
    OD_COLUMNS,
    SITE_COLUMNS,
    InputsSpec,
    LayerSpec,
)

FUNCTIONS = {"canteen", "childcare", "elder_care", "parking"}


def with_points(table: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(table, geometry=[shapely.Point(LON, LAT)] * len(table), crs="EPSG:4326")


def problems_of(error: InputError, file_name: str) -> list:
    return [p for p in error.problems if p.file.endswith(file_name)]


def test_bad_demand_and_bad_sites_yield_one_input_error_listing_every_problem(tmp_path):
    pt = shapely.Point(LON, LAT)
    demand = gpd.GeoDataFrame(  # no 'total' column at all
        {"unit_id": ["U1", "U2", "U2", "U4", "U5"], "elderly": [3.0, 1.0, 2.0, -5.0, 1.0],
         "infants": ["1", "2", "0", "0", "many"]},
        geometry=[pt, pt, pt, pt, shapely.Point()], crs="EPSG:4326")
    demand_spec = write_table(demand, tmp_path, "demand", "gpkg")
    sites = tmp_path / "sites.csv"
    sites.write_text("site_id,kind,area_m2,lon,lat\nS1,building,100,106.55,29.56\n,plot,50,106.55,29.56\n"
                     "S3,factory,80,106.55,29.56\nS4,building,1e2,abc,29.56\n", encoding="utf-8")
    spec = InputsSpec(demand=demand_spec, sites=LayerSpec(sites, crs="EPSG:4326"))

    with pytest.raises(InputError) as caught:
        load_inputs(spec, function_names=FUNCTIONS)
    error = caught.value
    text = str(error)

    found = {(p.row, p.column, p.message) for p in problems_of(error, "demand.gpkg")}
    assert all(p.layer == "demand" for p in problems_of(error, "demand.gpkg"))
    assert (None, "total", "missing required column 'total' (columns in the file: unit_id, elderly, infants)") \
        in found
    assert ("row 3", "unit_id", "duplicate unit_id 'U2' (in row 2 and row 3)") in found
    assert ("unit_id=U4", "elderly", "negative value -5 (must be 0 or more)") in found
    assert ("unit_id=U5", "infants", "not a number: 'many'") in found
    assert ("unit_id=U5", "geometry", "empty geometry") in found
    assert len(found) == 5

    found = {(p.row, p.column, p.message) for p in problems_of(error, "sites.csv")}
    assert ("row 2 (line 3)", "site_id", "missing id") in found
    assert ("site_id=S3", "kind", "unknown kind 'factory' (allowed: building, plot, existing_host)") in found
    assert ("site_id=S4", "geometry",
            "no valid point: lon='abc', lat='29.56' (coordinates must be numbers)") in found
    assert len(found) == 3

    assert text.startswith("8 problem(s) in the inputs:")
    assert "demand.gpkg [layer demand], unit_id=U4, column 'elderly': negative value -5" in text


def test_unknown_site_kind_lists_the_allowed_kinds_and_suggests_one(tmp_path):
    sites = sites_frame()
    sites.loc[0, "kind"] = "buildng"
    frame, _ = read_table(write_table(sites, tmp_path, "sites", "geojson"), "sites")
    _, problems = validate_table(frame, SITE_COLUMNS, "sites.geojson", None, "sites")
    assert [str(p) for p in problems] == [
        "sites.geojson, site_id=S1, column 'kind': unknown kind 'buildng' "
        "(allowed: building, plot, existing_host); did you mean 'building'?"]


def test_kind_and_forced_are_case_insensitive_and_forced_must_be_in_out_or_blank():
    sites = pd.DataFrame({"site_id": ["S1", "S2", "S3", "S4"], "kind": ["Plot", "building", "BUILDING", "plot"],
                          "forced": ["IN", " out ", "", "maybe"]})
    clean, problems = validate_table(with_points(sites), SITE_COLUMNS, "s.csv", None, "sites")
    assert clean["kind"].tolist() == ["plot", "building", "building", "plot"]
    assert clean["forced"].tolist() == ["in", "out", "", "maybe"]
    assert [(p.row, p.message) for p in problems] == [
        ("site_id=S4", "unknown forced 'maybe' (allowed: in, out or blank)")]


def test_booleans_accept_true_false_yes_no_1_0_and_chinese_yes_no():
    words = ["true", "False", "YES", "no", "1", "0", "是", "否", "", "perhaps"]
    sites = pd.DataFrame({"site_id": [f"S{i}" for i in range(len(words))], "kind": "building",
                          "parking_allowed": words})
    clean, problems = validate_table(with_points(sites), SITE_COLUMNS, "s.csv", None, "sites")
    assert clean["parking_allowed"].tolist() == [True, False, True, False, True, False, True, False, False, False]
    assert clean["parking_allowed"].dtype == bool
    assert [(p.row, p.column) for p in problems] == [("site_id=S9", "parking_allowed")]
    assert "'perhaps'" in problems[0].message


def test_integers_and_numbers_are_typed_and_absent_optional_columns_get_defaults():
    sites = pd.DataFrame({"site_id": [12, 13], "kind": ["building", "building"], "floors": ["3", "2.5"],
                          "lowest_floor": ["-1", ""], "extra": ["kept", "too"]})
    clean, problems = validate_table(with_points(sites), SITE_COLUMNS, "s.csv", None, "sites")
    assert [(p.row, p.column, p.message) for p in problems] == [
        ("site_id=13", "floors", "not a whole number: '2.5'")]
    assert clean["site_id"].tolist() == ["12", "13"]
    assert clean["lowest_floor"].tolist() == [-1, 1] and clean["lowest_floor"].dtype == np.int64
    assert clean["area_m2"].isna().all() and clean["area_m2"].dtype == float
    assert clean["name"].tolist() == ["", ""] and not clean["parking_allowed"].any()
    assert clean["extra"].tolist() == ["kept", "too"]
    assert list(clean.columns) == [c.name for c in SITE_COLUMNS] + ["extra", "geometry"]


def test_problems_of_one_check_are_capped_with_a_count_of_the_rest():
    n = 1000
    demand = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "total": -1.0})
    _, problems = validate_table(with_points(demand), DEMAND_COLUMNS, "d.csv", None, "demand")
    assert len(problems) == 21
    assert problems[-1].message == "and 980 more rows: negative value" and problems[-1].row is None


def test_network_multilines_are_exploded_sharing_the_given_length_and_z_is_kept(tmp_path):
    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "steps"], "length_m": [300.0, None]},
        geometry=[shapely.MultiLineString([[(0, 0, 1), (100, 0, 2)], [(100, 0, 2), (100, 200, 5)]]),
                  shapely.LineString([(0, 0, 1), (0, 10, 4)])], crs=UTM48N)
    spec = write_table(lines, tmp_path, "network", "gpkg")
    frame, problems = read_table(spec, "network")
    clean, more = validate_table(frame, NETWORK_COLUMNS, "network.gpkg", "network", "network")
    assert problems == more == []
    assert len(clean) == 3 and set(clean.geom_type) == {"LineString"}
    assert clean["length_m"].tolist()[:2] == pytest.approx([100.0, 200.0])
    assert clean["steps"].tolist() == [False, False, True]
    assert clean.has_z.all()


def test_network_points_are_the_wrong_geometry_type():
    edges = gpd.GeoDataFrame({"highway": ["x"]}, geometry=[shapely.Point(0, 0)], crs=UTM48N)
    _, problems = validate_table(edges, NETWORK_COLUMNS, "n.gpkg", None, "network")
    assert [p.message for p in problems] == ["geometry is a Point; network must be LineString or MultiLineString"]


def test_invalid_polygon_is_a_problem_with_the_reason():
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    sites = gpd.GeoDataFrame({"site_id": ["S1"], "kind": ["plot"]}, geometry=[bowtie], crs=UTM48N)
    _, problems = validate_table(sites, SITE_COLUMNS, "s.gpkg", None, "sites")
    assert len(problems) == 1 and problems[0].message.startswith("invalid geometry: Self-intersection")


def test_od_table_needs_minutes_or_metres():
    od = pd.DataFrame({"unit_id": ["U1", "U1"], "site_id": ["S1", "S1"], "seconds": [1, 2]})
    _, problems = validate_table(od, OD_COLUMNS, "od.csv", None, "od_table")
    messages = [p.message for p in problems]
    assert any(m.startswith("an OD table needs a 'minutes' or a 'metres' column") for m in messages)
    assert any("duplicate pair unit_id='U1', site_id='S1'" in m for m in messages)
    od = pd.DataFrame({"unit_id": ["U1", "U2"], "site_id": ["S1", "S1"], "metres": ["250", ""]})
    clean, problems = validate_table(od, OD_COLUMNS, "od.csv", None, "od_table")
    assert [(p.row, p.message) for p in problems] == [("row 2", "no walking effort: metres blank")]
    assert clean["minutes"].isna().all() and clean["metres"].iloc[0] == 250.0


def test_unknown_function_in_facilities_lists_the_known_functions(good_spec):
    good_spec.facilities.path.write_text("facility_id,function,lon,lat\nF1,canteen,106.55,29.56\n"
                                         "F2,cantine,106.55,29.56\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_inputs(good_spec, function_names=FUNCTIONS)
    assert [str(p) for p in caught.value.problems] == [
        f"{good_spec.facilities.path}, facility_id=F2, column 'function': unknown function 'cantine' "
        "(known functions: canteen, childcare, elder_care, parking); did you mean 'canteen'?"]


def test_unknown_function_in_sites_allowed_functions_is_named(good_spec):
    with pytest.raises(InputError) as caught:
        load_inputs(good_spec, function_names={"canteen", "parking"})
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == ("site_id=S1", "allowed_functions")
    assert problem.message.startswith("unknown function(s) 'childcare' (known functions: canteen, parking)")


def test_every_served_cohort_must_be_a_numeric_demand_column(good_spec):
    with pytest.raises(InputError) as caught:
        load_inputs(good_spec, function_names=FUNCTIONS, cohorts={"total": {"canteen"}, "infants": {"childcare"},
                                                                  "seniors80": {"elder_care"}})
    messages = sorted(p.message for p in caught.value.problems)
    assert messages == [
        "cohort 'infants' (served by childcare) has no values (the column is absent or blank)",
        "cohort 'seniors80' (served by elder_care) is not a column of the demand table "
        "(numeric columns with values: total, elderly)"]


def test_extra_demand_column_named_as_cohort_is_checked_as_a_number(tmp_path, good_spec):
    demand = demand_frame()
    demand["seniors80"] = ["3", "x", "1"]
    spec = dataclasses.replace(good_spec, demand=write_table(demand, tmp_path, "demand2", "csv"))
    with pytest.raises(InputError) as caught:
        load_inputs(spec, cohorts={"seniors80"})
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        ("unit_id=U2", "seniors80", "not a number: 'x'")]
    demand["seniors80"] = ["3", "0", "1"]
    spec = dataclasses.replace(good_spec, demand=write_table(demand, tmp_path, "demand3", "csv"))
    assert load_inputs(spec, cohorts={"seniors80"}).demand["seniors80"].tolist() == [3.0, 0.0, 1.0]
