"""load_inputs with an OpenStreetMap network file and a DEM: read like any network layer,
one-way kept for the walk network, the DEM opened and checked with every other file."""
from __future__ import annotations

import dataclasses

import numpy as np
import osmium
import pytest
import rasterio
from input_tables import LAT, LON, demand_frame, write_table
from osmium.osm.mutable import Node, Way

from optimizer.errors import InputError
from optimizer.inputs import load_inputs
from optimizer.inputs.elevation import ElevationModel
from optimizer.inputs.schema import LayerSpec


def _pbf(path):
    """A crossing of a residential one-way street (one-way for cars only) and a one-way footway."""
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, (dx, dy) in {1: (0, 0), 2: (1, 0), 3: (2, 0), 4: (1, 1), 5: (1, -1)}.items():
            writer.add_node(Node(id=node_id, location=(LON + dx * 0.001, LAT + dy * 0.001)))
        writer.add_way(Way(id=10, nodes=[1, 2, 3], tags={"highway": "residential", "oneway": "yes"}))
        writer.add_way(Way(id=11, nodes=[4, 2, 5], tags={"highway": "footway", "oneway": "yes"}))
        writer.add_way(Way(id=12, nodes=[3, 5], tags={"highway": "steps"}))
    return path


def _dem(path, crs="EPSG:4326"):
    profile = {"driver": "GTiff", "width": 20, "height": 20, "count": 1, "dtype": "float32", "crs": crs,
               "transform": rasterio.Affine(0.0002, 0.0, LON - 0.001, 0.0, -0.0002, LAT + 0.002)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.full((20, 20), 245.0, dtype=np.float32), 1)
    return path


def test_an_osm_network_file_is_read_as_walk_edges_in_the_analysis_crs(tmp_path, good_spec):
    spec = dataclasses.replace(good_spec, network=LayerSpec(_pbf(tmp_path / "city.osm.pbf")))
    inputs = load_inputs(spec)
    network = inputs.network
    assert network.crs.to_epsg() == 32648
    assert len(network) == 5  # street and footway cut where they cross (node 2), and the steps
    assert {"highway", "steps", "length_m", "oneway_foot"} <= set(network.columns)
    # pedestrians walk the one-way street both ways, the one-way footway only as drawn
    by_way = network.groupby("osm_way_id")["oneway_foot"].agg(set).to_dict()
    assert by_way == {10: {False}, 11: {True}, 12: {False}}
    assert network["oneway_foot"].dtype == bool and network["steps"].sum() == 1
    assert network["length_m"].iloc[0] == pytest.approx(96.9, abs=0.5)  # 0.001 degree of longitude at 29.56 N
    assert str(tmp_path / "city.osm.pbf") in inputs.file_hashes


def test_an_unreadable_osm_network_is_listed_with_the_other_problems(tmp_path, good_spec):
    bad = tmp_path / "city.osm.pbf"
    bad.write_text("not osm", encoding="utf-8")
    spec = dataclasses.replace(good_spec, network=LayerSpec(bad), sites=LayerSpec(tmp_path / "none.gpkg"))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    found = {(p.file.split("/")[-1], p.message.split(":")[0]) for p in caught.value.problems}
    assert ("none.gpkg", "file not found") in found
    assert ("city.osm.pbf", "cannot be read as OpenStreetMap data (.osm.pbf, .osm, .osm.bz2)") in found


def test_an_osm_file_cannot_be_the_demand_table(tmp_path, good_spec):
    spec = dataclasses.replace(good_spec, demand=LayerSpec(_pbf(tmp_path / "city.osm.pbf")))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    assert "an OpenStreetMap file can only be the network, not the demand table" in str(caught.value)


def test_the_dem_is_opened_at_load_time_and_put_on_the_inputs(tmp_path, good_spec):
    dem = _dem(tmp_path / "dem.tif")
    inputs = load_inputs(dataclasses.replace(good_spec, elevation=LayerSpec(dem)))
    assert isinstance(inputs.elevation, ElevationModel)
    assert inputs.elevation.path == dem and inputs.elevation.crs.to_epsg() == 4326
    assert str(dem) in inputs.file_hashes
    assert inputs.elevation.sample(np.array([[LON, LAT]]), "EPSG:4326")[0] == pytest.approx(245.0)
    assert load_inputs(good_spec).elevation is None


def test_a_bad_dem_is_reported_with_every_other_problem(tmp_path, good_spec):
    demand = demand_frame()
    demand.loc[0, "total"] = -1
    text = tmp_path / "dem.tif"
    text.write_text("no raster", encoding="utf-8")
    spec = dataclasses.replace(good_spec, demand=write_table(demand, tmp_path, "demand", "gpkg"),
                               elevation=LayerSpec(text))
    with pytest.raises(InputError) as caught:
        load_inputs(spec)
    files = [p.file.split("/")[-1] for p in caught.value.problems]
    assert "demand.gpkg" in files and "dem.tif" in files
    assert "cannot be read as an elevation raster" in str(caught.value)
    missing = dataclasses.replace(good_spec, elevation=LayerSpec(tmp_path / "nowhere.tif"))
    with pytest.raises(InputError, match="nowhere.tif: file not found"):
        load_inputs(missing)
