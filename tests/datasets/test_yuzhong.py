"""The synthetic Yuzhong demo district: deterministic, calibrated, well formed."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dataset_builders import yuzhong
from optimizer.inputs.schema import SITE_KINDS

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "inputs" / "yuzhong-demo"
LAYERS = ("demand", "sites", "facilities", "network")
COHORTS = ("total", "elderly", "infants", "households", "cars")
#: Small variant: fast, still every feature.
SMALL = dict(n_units=400, n_sites=90, node_spacing_m=130.0)


@pytest.fixture(scope="module")
def small() -> yuzhong.SyntheticDistrict:
    return yuzhong.generate(7, **SMALL)


@pytest.fixture(scope="module")
def shipped() -> dict[str, gpd.GeoDataFrame]:
    missing = [n for n in LAYERS if not (SHIPPED / f"{n}.gpkg").exists()]
    if missing:
        pytest.fail(f"shipped demo files missing: {missing}")
    return {n: gpd.read_file(SHIPPED / f"{n}.gpkg", layer=n) for n in LAYERS}


def _assert_same(a: yuzhong.SyntheticDistrict, b: yuzhong.SyntheticDistrict) -> None:
    for name in LAYERS:
        ga, gb = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(ga.drop(columns="geometry"), gb.drop(columns="geometry"))
        assert np.array_equal(shapely.to_wkb(ga.geometry.values), shapely.to_wkb(gb.geometry.values)), name


def _node_graph(network: gpd.GeoDataFrame) -> tuple[int, np.ndarray, np.ndarray]:
    """Nodes = identical endpoint coordinates; returns (n_nodes, start, end)."""
    start = shapely.get_coordinates(shapely.get_point(network.geometry.values, 0))
    end = shapely.get_coordinates(shapely.get_point(network.geometry.values, -1))
    _, inv = np.unique(np.concatenate([start, end]), axis=0, return_inverse=True)
    inv = inv.ravel()
    m = len(network)
    return int(inv.max()) + 1, inv[:m], inv[m:]


def _grades(network: gpd.GeoDataFrame) -> np.ndarray:
    xyz = shapely.get_coordinates(network.to_crs(yuzhong.METRIC_CRS).geometry.values, include_z=True)
    xyz = xyz.reshape(len(network), 2, 3)
    run = np.hypot(*(xyz[:, 1, :2] - xyz[:, 0, :2]).T)
    return np.abs(xyz[:, 1, 2] - xyz[:, 0, 2]) / run


def _check_network(network: gpd.GeoDataFrame) -> None:
    n, a, b = _node_graph(network)
    n_comp, _ = connected_components(coo_matrix((np.ones(a.size), (a, b)), shape=(n, n)), directed=False)
    assert n_comp == 1
    assert shapely.has_z(network.geometry.values).all()
    steps = network["steps"].to_numpy(bool)
    assert steps.any() and (~steps).any()
    assert (network.loc[steps, "highway"] == "steps").all()
    assert set(network.loc[~steps, "highway"]) <= {"footway", "residential"}
    grade = _grades(network)
    # Stairs are exactly the edges steeper than 15 % (small tolerance for rounding of Z to 0.1 m).
    assert (grade[steps] > yuzhong.STAIRS_GRADE - 0.01).all()
    assert (grade[~steps] <= yuzhong.STAIRS_GRADE + 0.01).all()
    z = shapely.get_coordinates(network.geometry.values, include_z=True)[:, 2]
    assert z.min() >= 170 and z.max() <= 420 and z.max() - z.min() > 150  # river to ridge


def _check_inside(district: dict[str, gpd.GeoDataFrame]) -> None:
    boundary = yuzhong.load_boundary()
    shapely.prepare(boundary)
    for name, gdf in district.items():
        assert gdf.crs.to_epsg() == 4326, name
        assert shapely.covered_by(gdf.geometry.values, boundary).all(), name


def _check_ids(district: dict[str, gpd.GeoDataFrame]) -> None:
    for name, col in (("demand", "unit_id"), ("sites", "site_id"), ("facilities", "facility_id"),
                      ("network", "edge_id")):
        assert district[name][col].is_unique, name
    assert set(district["sites"]["site_id"]).isdisjoint(district["facilities"]["facility_id"])


def _layers(d: yuzhong.SyntheticDistrict) -> dict[str, gpd.GeoDataFrame]:
    return {n: getattr(d, n) for n in LAYERS}


def test_same_seed_gives_identical_data(small):
    _assert_same(small, yuzhong.generate(7, **SMALL))


def test_different_seed_gives_different_data(small):
    other = yuzhong.generate(8, **SMALL)
    assert not np.array_equal(shapely.to_wkb(small.demand.geometry.values),
                              shapely.to_wkb(other.demand.geometry.values))
    assert not small.demand["total"].equals(other.demand["total"])
    assert len(small.network) != len(other.network) or not small.network.geometry.equals(other.network.geometry)


def test_census_targets_are_the_documented_derivations():
    t = yuzhong.census_targets()
    assert t == {"total": 588_717, "elderly": 116_320, "infants": round(3_262 + 0.75 * 18_383),
                 "households": 213_950, "cars": round(213_950 * 6_840 / 20_840)}


def test_cohort_totals_equal_census_exactly(small):
    t = yuzhong.census_targets()
    for c in COHORTS:
        assert small.demand[c].dtype.kind == "i"
        assert int(small.demand[c].sum()) == t[c], c


def test_cohorts_are_consistent_per_unit(small):
    d = small.demand
    assert (d["total"] >= 1).all()
    assert (d[list(COHORTS)] >= 0).all().all()
    assert (d["elderly"] + d["infants"] <= d["total"]).all()
    assert (d["households"] <= d["total"]).all()
    assert (d["cars"] <= d["households"]).all()
    assert (d["district"] == "渝中区").all()


def test_circle_count_is_derived_from_915_central_city_circles(small):
    k = yuzhong.derived_circle_count()
    assert k == round(915 * 588_717 / 10_343_462) == 52
    assert small.demand["circle_id"].nunique() == k
    assert set(small.sites["circle_id"]) <= set(small.demand["circle_id"])


def test_circles_hold_similar_numbers_of_residents():
    d = yuzhong.generate(3, n_units=1500, n_sites=60, node_spacing_m=130.0).demand
    pop = d.groupby("circle_id")["total"].sum()
    target = d["total"].sum() / len(pop)
    assert pop.min() > 0.75 * target and pop.max() < 1.25 * target


def test_network_is_one_component_with_stairs_and_grades(small):
    _check_network(small.network)


def test_everything_inside_the_boundary_and_ids_unique(small):
    _check_inside(_layers(small))
    _check_ids(_layers(small))


def test_sites_have_all_kinds_and_plausible_attributes(small):
    s = small.sites
    assert set(s["kind"]) == set(SITE_KINDS)
    b, p, h = (s[s["kind"] == k] for k in ("building", "plot", "existing_host"))
    assert b["area_m2"].between(150, 2500).all() and b["floors"].between(1, 30).all()
    assert p["area_m2"].between(300, 6000).all() and p["floors"].isna().all()
    assert h["area_m2"].between(80, 400).all()
    assert (s["lowest_floor"] <= s["floors"].fillna(1)).all()
    assert (s["forced"] == "").all()
    assert not {"fixed_cost", "cost_per_m2"} & set(s.columns)


def test_write_round_trips_one_layer_per_file(small, tmp_path):
    paths = yuzhong.write(small, tmp_path)
    import pyogrio
    for name in LAYERS:
        layers = pyogrio.list_layers(paths[name])
        assert [row[0] for row in layers] == [name]
        back = gpd.read_file(paths[name], layer=name)
        assert back.crs.to_epsg() == 4326
        mine = getattr(small, name)
        assert list(back.columns) == list(mine.columns)
        assert np.array_equal(shapely.to_wkb(back.geometry.values), shapely.to_wkb(mine.geometry.values))
    assert (tmp_path / "calibration.json").exists()


def test_calibration_reports_targets_and_achieved(small):
    fig = small.calibration["figures"]
    assert small.calibration["synthetic"] is True
    for key in ("residents", "elderly_60plus", "infants_0_3", "households", "cars"):
        assert fig[key]["target"] == fig[key]["achieved"]
    assert fig["life_circles"]["achieved"] == 52


def test_scale_makes_larger_cases():
    d = yuzhong.generate(1, n_units=200, n_sites=40, node_spacing_m=200.0, scale=2.0)
    assert len(d.demand) == 400 and len(d.sites) == 80
    assert int(d.demand["total"].sum()) == 588_717


def test_shipped_demo_files(shipped):
    for name in LAYERS:
        assert (SHIPPED / f"{name}.gpkg").stat().st_size < 5_000_000, name
    d, s = shipped["demand"], shipped["sites"]
    assert len(d) >= 5000 and len(s) >= 500
    assert set(s["kind"]) == set(SITE_KINDS)
    assert (s["kind"].value_counts() >= 100).all()
    assert set(shipped["facilities"]["function"]) == {"canteen", "childcare", "elder_care", "parking"}
    t = yuzhong.census_targets()
    for c in COHORTS:
        assert int(d[c].sum()) == t[c], c
    assert d["circle_id"].nunique() == yuzhong.derived_circle_count()
    n_nodes, _, _ = _node_graph(shipped["network"])
    assert 10_000 <= n_nodes <= 15_000
    _check_network(shipped["network"])
    _check_inside(shipped)
    _check_ids(shipped)


@pytest.mark.slow
def test_shipped_demo_is_what_the_generator_makes(shipped):
    fresh = yuzhong.generate(2020)
    for name in LAYERS:
        mine = getattr(fresh, name)
        pd.testing.assert_frame_equal(shipped[name].drop(columns="geometry"), mine.drop(columns="geometry"),
                                      check_dtype=False)
        assert np.array_equal(shapely.to_wkb(shipped[name].geometry.values),
                              shapely.to_wkb(mine.geometry.values)), name


@pytest.mark.shared_data
def test_embedded_census_figures_match_the_shared_csv(shared_data):
    df = pd.read_csv(shared_data / "chongqing_districts_census2020" / "census2020_central_districts.csv")
    row = df[df["adcode"] == 500103].iloc[0]
    c = yuzhong.CENSUS_2020
    for key in ("pop_total", "age_60plus", "age_0", "age_1_4", "households", "hh_owns_car", "hh_longform_sample"):
        assert float(row[key]) == c[key], key
    assert int(df["pop_total"].sum()) == c["central_city_pop_total"]
