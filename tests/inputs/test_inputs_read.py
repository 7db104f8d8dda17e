"""read_table: every format to one canonical table; bad files are Problems, not tracebacks."""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from input_tables import LAT, LON, demand_frame, write_table

from optimizer.inputs import read_table, validate_table
from optimizer.inputs.schema import DEMAND_COLUMNS, LayerSpec

FORMATS = ("gpkg", "geojson", "shp", "csv", "csv-bom", "xlsx")


def canonical(spec: LayerSpec) -> gpd.GeoDataFrame:
    frame, problems = read_table(spec, "demand")
    assert problems == []
    clean, problems = validate_table(frame, DEMAND_COLUMNS, str(spec.path), spec.layer, "demand")
    assert problems == []
    return clean


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_to_the_same_canonical_demand_table(tmp_path, fmt):
    expected = demand_frame()
    table = canonical(write_table(expected, tmp_path, "demand", fmt))
    assert list(table.columns[:len(DEMAND_COLUMNS)]) == [c.name for c in DEMAND_COLUMNS]
    assert table["unit_id"].tolist() == ["U1", "U2", "U3"]
    assert table["total"].tolist() == [120.0, 80.5, 0.0]
    assert table["elderly"].tolist() == [30.0, 10.0, 0.0]
    assert table["district"].tolist() == ["渝中", "渝中", "南岸"]
    assert table["circle_id"].tolist() == ["", "", ""]
    assert table["infants"].isna().all() and table["total"].dtype == float
    assert table.crs.to_epsg() == 4326
    np.testing.assert_allclose(table.geometry.x, expected.geometry.x, atol=1e-9)
    np.testing.assert_allclose(table.geometry.y, expected.geometry.y, atol=1e-9)


def test_column_mapping_renames_file_columns_to_canonical_names(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("编号,人口,老人,经度,纬度\nA1,10,2,106.55,29.56\n", encoding="utf-8")
    spec = LayerSpec(path, columns={"unit_id": "编号", "total": "人口", "elderly": "老人"}, crs="EPSG:4326")
    table = canonical(spec)
    assert table[["unit_id", "total", "elderly"]].iloc[0].tolist() == ["A1", 10.0, 2.0]
    assert table.geometry.iloc[0].equals(shapely.Point(LON, LAT))


def test_mapped_column_absent_from_the_file_is_named_in_the_problem(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("unit_id,pop,lon,lat\nA1,10,106.55,29.56\n", encoding="utf-8")
    spec = LayerSpec(path, columns={"total": "population"}, crs="EPSG:4326")
    frame, _ = read_table(spec, "demand")
    _, problems = validate_table(frame, DEMAND_COLUMNS, "pop.csv", None, "demand")
    assert len(problems) == 1 and problems[0].column == "total"
    assert "'population'" in problems[0].message and "unit_id, pop, lon, lat" in problems[0].message


def test_explicit_x_y_columns_are_used(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("unit_id,total,E,N\nA1,10,500000,3270000\n", encoding="utf-8")
    table = canonical(LayerSpec(path, x="E", y="N", crs="EPSG:32648"))
    assert table.geometry.iloc[0].equals(shapely.Point(500000, 3270000))


def test_missing_file_is_a_problem_not_a_traceback(tmp_path):
    frame, problems = read_table(LayerSpec(tmp_path / "nowhere.gpkg"), "demand")
    assert frame is None
    assert [p.message for p in problems] == ["file not found"]


def test_missing_layer_lists_the_layers_that_exist(tmp_path):
    spec = dataclasses.replace(write_table(demand_frame(), tmp_path, "demand", "gpkg"), layer="people")
    frame, problems = read_table(spec, "demand")
    assert frame is None and len(problems) == 1
    assert "layer 'people' not found" in problems[0].message and "demand" in problems[0].message


def test_missing_sheet_lists_the_sheets_that_exist(tmp_path):
    spec = dataclasses.replace(write_table(demand_frame(), tmp_path, "demand", "xlsx"), layer="Sheet9")
    frame, problems = read_table(spec, "demand")
    assert frame is None
    assert "sheet 'Sheet9' not found" in problems[0].message and "readme, demand" in problems[0].message


def test_unreadable_file_is_a_problem(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    frame, problems = read_table(LayerSpec(path), "demand")
    assert frame is None and len(problems) == 1 and "cannot be read" in problems[0].message


def test_csv_without_crs_is_a_missing_crs_problem(tmp_path):
    spec = dataclasses.replace(write_table(demand_frame(), tmp_path, "demand", "csv"), crs=None)
    frame, problems = read_table(spec, "demand")
    assert frame is not None  # the values are still checked
    assert len(problems) == 1 and "missing CRS" in problems[0].message


def test_shapefile_without_prj_needs_a_declared_crs(tmp_path):
    spec = write_table(demand_frame(), tmp_path, "demand", "shp")
    spec.path.with_suffix(".prj").unlink()
    _, problems = read_table(spec, "demand")
    assert len(problems) == 1 and "missing CRS" in problems[0].message
    frame, problems = read_table(dataclasses.replace(spec, crs="EPSG:4326"), "demand")
    assert problems == [] and frame.crs.to_epsg() == 4326


def test_file_crs_that_differs_from_the_declared_crs_is_a_problem(tmp_path):
    spec = dataclasses.replace(write_table(demand_frame(), tmp_path, "demand", "gpkg"), crs="EPSG:4547")
    _, problems = read_table(spec, "demand")
    assert len(problems) == 1 and "CRS mismatch" in problems[0].message and "EPSG:4326" in problems[0].message


def test_projected_coordinates_declared_as_lonlat_are_a_problem(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("unit_id,total,x,y\nA1,10,500000,3270000\n", encoding="utf-8")
    _, problems = read_table(LayerSpec(path, crs="EPSG:4326"), "demand")
    assert len(problems) == 1 and "outside longitude" in problems[0].message


def test_csv_without_coordinates_says_which_columns_it_looked_for(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("unit_id,total\nA1,10\n", encoding="utf-8")
    frame, problems = read_table(LayerSpec(path, crs="EPSG:4326"), "demand")
    assert "no coordinates" in problems[0].message and "lon/lat" in problems[0].message
    _, more = validate_table(frame, DEMAND_COLUMNS, "pop.csv", None, "demand")
    assert more == []  # the missing geometry is not reported twice


def test_shapefile_cut_field_names_are_read_as_canonical_names(tmp_path):
    sites = gpd.GeoDataFrame({"site_id": ["S1"], "kind": ["building"], "allowed_fu": ["canteen"],
                              "parking_al": ["yes"]}, geometry=[shapely.Point(LON, LAT)], crs="EPSG:4326")
    frame, problems = read_table(write_table(sites, tmp_path, "sites", "shp"), "sites")
    assert problems == []
    assert {"allowed_functions", "parking_allowed"} <= set(frame.columns)


def test_od_table_reads_as_a_plain_dataframe(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("unit_id,site_id,minutes\nU1,S1,4.5\n", encoding="utf-8")
    frame, problems = read_table(LayerSpec(path), "od_table")
    assert problems == [] and type(frame) is pd.DataFrame
    assert frame.attrs["lifecircle_source"]["sha256"]
