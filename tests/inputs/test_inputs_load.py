"""load_inputs: one metric CRS, points, plot areas, file hashes; every problem of every file at once."""
from __future__ import annotations

import dataclasses
import hashlib

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from input_tables import LAT, LON, UTM48N, demand_frame, sites_frame, write_table

from optimizer.errors import InputError
from optimizer.inputs import choose_analysis_crs, load_inputs
from optimizer.inputs.schema import LayerSpec

FUNCTIONS = {"canteen", "childcare", "elder_care", "parking"}


def test_good_inputs_load_in_the_analysis_crs_as_points_with_a_range_index(good_spec):
    inputs = load_inputs(good_spec, function_names=FUNCTIONS, cohorts={"total", "elderly"})
    assert inputs.crs.to_epsg() == 32648
    for table in (inputs.demand, inputs.sites, inputs.facilities):
        assert table.crs.equals(inputs.crs)
        assert list(table.index) == list(range(len(table)))
        assert set(table.geom_type) == {"Point"}
    assert inputs.sites["site_id"].tolist() == ["S1", "S2", "S3"]
    assert inputs.facilities["capacity"].tolist() == [40.0]
    assert inputs.network is None and inputs.od_table is None
    assert inputs.demand.geometry.x.between(6.0e5, 7.0e5).all()  # metres, not degrees


def test_a_plot_polygon_without_area_gets_its_polygon_area_and_a_point_inside(good_spec):
    sites = load_inputs(good_spec).sites
    assert sites["area_m2"].tolist() == pytest.approx([300.0, 2000.0, 120.0], rel=1e-6)
    polygon = sites_frame().to_crs(UTM48N).geometry.iloc[1]
    assert polygon.contains(sites.geometry.iloc[1])


def test_a_point_plot_without_area_is_a_problem(tmp_path, good_spec):
    sites = sites_frame()
    sites.loc[1, "geometry"] = shapely.Point(LON, LAT)
    spec = dataclasses.replace(good_spec, sites=write_table(sites, tmp_path, "sites2", "csv"))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        ("site_id=S2", "area_m2", "a plot given as a point needs area_m2 (or give its polygon)")]


def test_analysis_crs_for_a_point_at_lon_106_55_lat_29_56_is_epsg_32648():
    demand = gpd.GeoDataFrame(geometry=[shapely.Point(106.55, 29.56)], crs="EPSG:4326")
    assert choose_analysis_crs(demand, None).to_epsg() == 32648
    assert choose_analysis_crs(demand.to_crs("EPSG:3857"), None).to_epsg() == 32648
    assert choose_analysis_crs(demand, "EPSG:4547").to_epsg() == 4547


def test_a_requested_geographic_analysis_crs_is_a_problem(good_spec):
    with pytest.raises(InputError) as caught:
        load_inputs(dataclasses.replace(good_spec, crs="EPSG:4326"))
    (problem,) = caught.value.problems
    assert problem.file == "scenario" and "geographic (degrees)" in problem.message


def test_input_file_hashes_are_recorded(good_spec):
    inputs = load_inputs(good_spec)
    paths = [good_spec.demand.path, good_spec.sites.path, good_spec.facilities.path]
    assert inputs.file_hashes == {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_shapefile_hashes_include_its_sidecar_files(tmp_path, good_spec):
    spec = dataclasses.replace(good_spec, demand=write_table(demand_frame(), tmp_path, "demand_shp", "shp"))
    hashes = load_inputs(spec).file_hashes
    assert {f"demand_shp{s}" for s in (".shp", ".shx", ".dbf", ".prj", ".cpg")} <= {k.split("/")[-1] for k in hashes}


def test_network_is_reprojected_keeping_z_and_lengths_are_filled(tmp_path, good_spec):
    lines = gpd.GeoDataFrame({"highway": ["footway"]}, crs="EPSG:4326",
                             geometry=[shapely.LineString([(LON, LAT, 240.0), (LON + 0.001, LAT, 250.0)])])
    spec = dataclasses.replace(good_spec, network=write_table(lines, tmp_path, "network", "gpkg"))
    network = load_inputs(spec).network
    assert network.crs.to_epsg() == 32648 and network.has_z.all()
    assert shapely.get_coordinates(network.geometry.iloc[0], include_z=True)[:, 2].tolist() == [240.0, 250.0]
    assert network["length_m"].iloc[0] == pytest.approx(96.9, abs=0.5)  # 0.001 degree of longitude at 29.56 N


def test_od_table_is_a_plain_canonical_dataframe_and_must_match_known_ids(tmp_path, good_spec):
    od = tmp_path / "od.csv"
    od.write_text("from,to,walk_min\nU1,S1,3\nU2,F1,6.5\n", encoding="utf-8")
    od_spec = LayerSpec(od, columns={"unit_id": "from", "site_id": "to", "minutes": "walk_min"})
    table = load_inputs(dataclasses.replace(good_spec, od_table=od_spec)).od_table
    assert type(table) is pd.DataFrame
    assert table[["unit_id", "site_id", "minutes"]].values.tolist() == [["U1", "S1", 3.0], ["U2", "F1", 6.5]]
    od.write_text("from,to,walk_min\n1,1,3\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_inputs(dataclasses.replace(good_spec, od_table=od_spec))
    assert "no row of the OD table names both a known demand unit_id" in str(caught.value)


def test_missing_files_of_every_role_are_listed_together(tmp_path, good_spec):
    spec = dataclasses.replace(good_spec, sites=LayerSpec(tmp_path / "sitez.gpkg"),
                               network=LayerSpec(tmp_path / "roads.gpkg"))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    assert [(p.file.split("/")[-1], p.message) for p in caught.value.problems] == [
        ("sitez.gpkg", "file not found (similar files in that folder: sites.gpkg)"),
        ("roads.gpkg", "file not found")]
