"""Tests of the Helsinki real-geography input set (``inputs/helsinki-center``).

Tests marked ``shared_data`` derive the tables again from the third-party test bed in
``<repo>/../shared/data/helsinki_center_testbed`` and are skipped when it is missing.
The others only read the committed files. The network is the committed OpenStreetMap
extract itself, read by the engine's own OSM reader.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from dataset_builders import helsinki
from optimizer.inputs.osm import read_osm_walk_edges

REPO = Path(__file__).resolve().parents[2]
TESTBED = REPO.parent / "shared" / "data" / "helsinki_center_testbed"
COMMITTED = REPO / "inputs" / "helsinki-center"
LAYERS = ("demand", "sites", "facilities")
ID_COLUMNS = {"demand": "unit_id", "sites": "site_id", "facilities": "facility_id"}

needs_testbed = pytest.mark.skipif(not TESTBED.is_dir(), reason=f"test bed not found: {TESTBED}")


def _read(folder: Path, name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(folder / f"{name}.gpkg", layer=name, engine="pyogrio")


@pytest.fixture(scope="module")
def committed() -> dict[str, gpd.GeoDataFrame]:
    return {name: _read(COMMITTED, name) for name in LAYERS}


@pytest.fixture(scope="module")
def network() -> gpd.GeoDataFrame:
    """The walk edges of the shipped OpenStreetMap extract."""
    return read_osm_walk_edges(COMMITTED / helsinki.PBF_FILE)


@pytest.fixture(scope="module")
def derived() -> dict[str, gpd.GeoDataFrame]:
    if not TESTBED.is_dir():
        pytest.skip(f"test bed not found: {TESTBED}")
    return helsinki.derive(TESTBED)


@pytest.mark.shared_data
@needs_testbed
def test_derive_reproduces_committed_files(derived, committed, tmp_path):
    written = helsinki.write(derived, tmp_path, testbed=TESTBED)
    assert set(written) == {*LAYERS, "network"}
    assert sorted(p.name for p in COMMITTED.glob("*.gpkg")) == sorted(f"{name}.gpkg" for name in LAYERS)
    # the network is the test bed's extract, shipped unchanged
    assert (COMMITTED / helsinki.PBF_FILE).read_bytes() == (TESTBED / helsinki.PBF_FILE).read_bytes()
    assert written["network"].read_bytes() == (TESTBED / helsinki.PBF_FILE).read_bytes()
    for name in LAYERS:
        assert_geodataframe_equal(_read(tmp_path, name), committed[name])
        # fixed GeoPackage timestamp: the files are identical byte for byte
        assert (tmp_path / f"{name}.gpkg").read_bytes() == (COMMITTED / f"{name}.gpkg").read_bytes(), name


@pytest.mark.shared_data
@needs_testbed
def test_population_preserved_per_grid_cell(committed, network):
    grid = gpd.read_file(TESTBED / helsinki.GRID_FILE, layer=helsinki.GRID_LAYER)
    grid["circle_id"] = "HEL-" + grid["id"].astype(str)
    demand = committed["demand"]
    assert demand["total"].dtype.kind == "i"
    assert (demand["total"] > 0).all()
    per_cell = demand.groupby("circle_id")["total"].sum()
    expected = grid.set_index("circle_id")["population"]
    assert per_cell.index.isin(expected.index).all()
    assert (per_cell == expected.reindex(per_cell.index)).all()
    # every populated cell that overlaps the network extent is present
    extent = helsinki._extent(network)
    overlapping = helsinki._cells(grid, extent)
    assert set(per_cell.index) == set(overlapping["circle_id"])


def test_all_site_kinds_present(committed):
    sites = committed["sites"]
    assert set(sites["kind"]) == {"building", "plot", "existing_host"}
    assert (sites["area_m2"] >= helsinki.MIN_SITE_AREA_M2).all()
    assert (sites.loc[sites["kind"] == "existing_host", "area_m2"] == helsinki.HOST_SPARE_AREA_M2).all()
    assert (sites.loc[sites["kind"] == "building", "area_m2"] <= helsinki.BUILDING_SPARE_CAP_M2).all()
    assert (sites["circle_id"].str.startswith("HEL-")).all()
    assert set(sites["circle_id"]) <= set(committed["demand"]["circle_id"])


def test_demand_units_near_network(committed, network):
    network = network.to_crs(helsinki.METRIC_CRS)
    units = committed["demand"].to_crs(helsinki.METRIC_CRS)
    nearest = gpd.sjoin_nearest(units, network[["geometry"]], how="left", distance_col="d")
    dist = nearest.groupby(level=0)["d"].min()
    assert len(dist) == len(units)
    assert (dist <= 300.0).all(), dist.max()


def test_ids_unique(committed):
    for name, column in ID_COLUMNS.items():
        ids = committed[name][column]
        assert ids.notna().all(), name
        assert ids.is_unique, name


def test_tables_are_wgs84_and_small(committed, network):
    for name, table in committed.items():
        assert table.crs.to_epsg() == 4326, name
        assert not table.geometry.is_empty.any(), name
    assert set(network.geom_type) == {"LineString"}
    for name in ("demand", "sites", "facilities"):
        assert set(committed[name].geom_type) == {"Point"}, name
    assert (network["steps"] == (network["highway"] == "steps")).all()
    total = sum((COMMITTED / f"{name}.gpkg").stat().st_size for name in LAYERS)
    total += (COMMITTED / helsinki.PBF_FILE).stat().st_size
    assert total < 3 * 1024 * 1024


def test_no_invented_cohorts(committed):
    assert not {"elderly", "infants", "households", "cars"} & set(committed["demand"].columns)


def test_largest_remainder_preserves_totals():
    totals = pd.Series({1: 10, 2: 7, 3: 1})
    weights = pd.Series([1.0, 1.0, 1.0, 2.0, 3.0, 5.0, 1.0])
    groups = pd.Series([1, 1, 1, 2, 2, 2, 3])
    shares = helsinki._largest_remainder(totals, weights, groups)
    assert shares.dtype.kind == "i"
    assert shares.groupby(groups).sum().to_dict() == totals.to_dict()
    # 10/3 each: the leftover unit goes to the first member; 7 * (0.2, 0.3, 0.5)
    assert shares.tolist() == [4, 3, 3, 1, 2, 4, 1]
    assert np.all(shares >= 0)
