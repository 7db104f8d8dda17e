"""The SYNTHETIC city-scale Chongqing generator: deterministic, calibrated, well formed, plannable."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from dataset_builders import chongqing_city as cc
from dataset_builders import yuzhong
from optimizer.inputs import load_inputs
from optimizer.inputs.schema import CONVERSION_KINDS
from optimizer.reach.network import build_walk_network

LAYERS = ("demand", "sites", "facilities", "network")
COHORTS = ("total", "elderly", "infants", "households", "cars")
FACILITIES = {"canteen": 30, "childcare": 15, "elder_care": 30, "parking": 20}
#: Small variant: a couple of seconds, every feature (915 circles, nine districts, bridges, stairs).
SMALL = dict(n_units=3000, n_sites=240, n_nodes_target=5000, facilities=FACILITIES, reach_check_sources=20)


@pytest.fixture(scope="module")
def small() -> cc.CityDataset:
    return cc.generate(7, **SMALL)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    cc.write(small, folder)
    return folder


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(cc.METRIC_CRS)


def _grades(network: gpd.GeoDataFrame) -> np.ndarray:
    xyz = shapely.get_coordinates(_metric(network).geometry.values, include_z=True).reshape(len(network), 2, 3)
    run = np.hypot(*(xyz[:, 1, :2] - xyz[:, 0, :2]).T)
    return np.abs(xyz[:, 1, 2] - xyz[:, 0, 2]) / run


def _nodes(network: gpd.GeoDataFrame) -> np.ndarray:
    """Distinct end points (metric x, y, z)."""
    xyz = shapely.get_coordinates(_metric(network).geometry.values, include_z=True)
    return np.unique(np.round(xyz, 3), axis=0)


def test_same_seed_gives_identical_data(small):
    again = cc.generate(7, **SMALL)
    for name in LAYERS:
        a, b = getattr(small, name), getattr(again, name)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert np.array_equal(shapely.to_wkb(a.geometry.values), shapely.to_wkb(b.geometry.values)), name
    assert np.array_equal(small.dem, again.dem)
    assert small.calibration["figures"] == again.calibration["figures"]


def test_different_seed_gives_different_data(small):
    other = cc.generate(8, **SMALL)
    assert not small.demand["total"].equals(other.demand["total"])
    assert not np.array_equal(small.dem, other.dem)
    assert not np.array_equal(shapely.to_wkb(small.sites.geometry.values), shapely.to_wkb(other.sites.geometry.values))


def test_district_targets_are_the_documented_derivations():
    t = cc.district_targets()
    assert list(t.index) == ["500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112",
                             "500113"]
    assert int(t["total"].sum()) == yuzhong.CENSUS_2020["central_city_pop_total"] == 10_343_462
    # Yuzhong's row is exactly the Yuzhong demo's targets.
    assert t.loc["500103", list(COHORTS)].astype(int).to_dict() == yuzhong.census_targets()
    c = cc.district_census()
    # Infants are under 3 (0-2 full years, 托育): age 0 plus half the 1-4 band, rounded half up.
    assert (t["infants"] == np.floor(c["age_0"] + 0.5 * c["age_1_4"] + 0.5)).all()
    assert int(t.loc["500103", "infants"]) == 12_454
    assert (t["cars"] == np.round(c["households"] * c["hh_owns_car"] / c["hh_longform_sample"])).all()
    assert cc.census_targets()["total"] == 10_343_462


def test_cohort_totals_equal_the_census_in_every_district(small):
    t = cc.district_targets().set_index("name_zh")
    got = small.demand.groupby("district")[list(COHORTS)].sum()
    assert set(got.index) == set(t.index)
    for c in COHORTS:
        assert small.demand[c].dtype.kind == "i"
        assert (got[c] == t.loc[got.index, c]).all(), c
    fig = small.calibration["figures"]
    for key in ("residents", "elderly_60plus", "infants_under_3", "households", "cars", "cohorts_by_district"):
        assert fig[key]["target"] == fig[key]["achieved"], key


def test_cohorts_are_consistent_per_unit(small):
    d = small.demand
    assert (d["total"] >= 1).all()
    assert (d[list(COHORTS)] >= 0).all().all()
    assert (d["elderly"] + d["infants"] <= d["total"]).all()
    assert (d["households"] <= d["total"]).all()
    assert (d["cars"] <= d["households"]).all()


def test_circle_sizes_follow_density():
    """Circles are drawn by walking reach (seed 000): dense Yuzhong gets ~50,000-resident
    15-minute circles (11, its plan's count), thin districts small ones; the 915 average ~11,300."""
    counts = cc.circle_counts()
    assert int(counts.sum()) == 915
    assert int(counts["500103"]) == yuzhong.life_circle_count() == 11
    pop = cc.district_census()["pop_total"]
    per_circle = pop / counts
    assert per_circle["500103"] > 30_000
    area = pd.Series(cc.DISTRICT_AREA_KM2)
    thinnest = (pop / area).idxmin()
    assert per_circle[thinnest] < 11_000
    assert abs(pop.sum() / counts.sum() - 11_304) < 1


def test_915_life_circles_split_by_district(small):
    counts = cc.circle_counts()
    assert int(counts.sum()) == 915
    d = small.demand
    assert d["circle_id"].nunique() == 915
    per = d.groupby("district")["circle_id"].nunique()
    names = cc.district_census()["name_zh"]
    assert {names[k]: int(v) for k, v in counts.items()} == per.to_dict()
    # A circle lies in one district; a site's circle is one of its own district's.
    assert (d.groupby("circle_id")["district"].nunique() == 1).all()
    circle_district = d.groupby("circle_id")["district"].first()
    s = small.sites
    assert (circle_district[s["circle_id"]].to_numpy() == s["district"].to_numpy()).all()
    assert small.calibration["figures"]["life_circles"]["achieved"] == 915


def test_network_is_one_strongly_connected_component_with_stairs(small):
    net = small.network
    walk = build_walk_network(_metric(net))
    n_comp, _ = connected_components(walk.graph, directed=True, connection="strong")
    assert n_comp == 1
    assert walk.n_nodes == len(_nodes(net)) == small.calibration["counts"]["nodes"]
    assert walk.n_edges == len(net)
    steps = net["steps"].to_numpy(bool)
    assert steps.any() and (~steps).any()
    assert walk.n_stairs_edges == int(steps.sum())
    assert (net.loc[steps, "highway"] == "steps").all()
    assert set(net.loc[~steps, "highway"]) <= {"footway", "residential"}
    assert set(net["structure"]) <= {"", "bridge", "tunnel"} and (net["structure"] == "bridge").any()
    assert shapely.has_z(net.geometry.values).all()


def test_slopes_and_elevations_are_plausible(small):
    net = small.network
    steps = net["steps"].to_numpy(bool)
    grade = _grades(net)
    # Stairs are exactly the edges steeper than 15 % (Z rounded to 0.1 m).
    assert (grade[steps] > cc.STAIRS_GRADE - 0.01).all()
    assert (grade[~steps] <= cc.STAIRS_GRADE + 0.01).all()
    assert 0.01 < float(np.median(grade)) < 0.12
    assert 0.02 < steps.mean() < 0.35
    z = shapely.get_coordinates(net.geometry.values, include_z=True)[:, 2]
    assert z.min() >= cc.RIVER_LEVEL_M - 0.05 and z.max() < 700.0  # people live below the ridges
    assert np.percentile(z, 90) - np.percentile(z, 10) > 60.0  # hilly
    assert cc.RIVER_LEVEL_M <= small.dem.min() and small.dem.max() > 550.0  # rivers and ridges in the DEM


def test_every_point_is_near_the_network_and_ids_are_unique(small):
    tree = cKDTree(_nodes(small.network)[:, :2])
    for name in ("demand", "sites", "facilities"):
        xy = shapely.get_coordinates(_metric(getattr(small, name)).geometry.values)
        assert tree.query(xy)[0].max() <= 500.0, name
    for name, col in (("demand", "unit_id"), ("sites", "site_id"), ("facilities", "facility_id"),
                      ("network", "edge_id")):
        assert getattr(small, name)[col].is_unique, name
    assert set(small.sites["site_id"]).isdisjoint(small.facilities["facility_id"])


def test_points_lie_in_their_districts(small):
    districts = cc.load_districts().set_index("name_zh")
    for name in ("demand", "sites", "facilities"):
        g = _metric(getattr(small, name))
        inside = shapely.covered_by(g.geometry.values, districts.loc[g["district"]].geometry.buffer(50.0).values)
        assert inside.all(), name


def test_sites_and_facilities_are_plausible(small):
    s = small.sites
    assert set(s["kind"]) == set(CONVERSION_KINDS)  # the ledger; shared garages have their own table
    b, p, h = (s[s["kind"] == k] for k in ("building", "plot", "existing_host"))
    assert b["area_m2"].between(150, 2500).all() and b["floors"].between(1, 30).all()
    assert p["area_m2"].between(300, 6000).all() and p["floors"].isna().all()
    assert h["area_m2"].between(80, 400).all()
    assert (s["lowest_floor"] <= s["floors"].fillna(1)).all()
    assert s["address"].str.endswith("（虚构）").all()
    f = small.facilities
    assert f["function"].value_counts().to_dict() == FACILITIES


def test_scale_makes_smaller_and_larger_cases():
    d = cc.generate(1, n_units=2000, n_sites=100, n_nodes_target=2000, scale=1.5, n_circles=100,
                    facilities={"canteen": 4, "childcare": 2, "elder_care": 2, "parking": 0}, reach_check_sources=0)
    assert len(d.demand) == 3000 and len(d.sites) == 150
    assert d.facilities["function"].value_counts().to_dict() == {"canteen": 6, "childcare": 3, "elder_care": 3}
    assert d.demand["circle_id"].nunique() == 100
    assert int(d.demand["total"].sum()) == 10_343_462
    with pytest.raises(ValueError, match="circles"):
        cc.generate(1, n_units=500, n_sites=50, n_nodes_target=2000)


def test_balanced_kmeans_makes_groups_of_similar_weight():
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal(0, 500, (3000, 2)), rng.normal(6000, 900, (2000, 2))])
    w = rng.lognormal(0, 0.5, len(xy))
    label = cc.balanced_kmeans(xy, w, 40, np.random.default_rng(1))
    load = np.bincount(label, weights=w, minlength=40)
    assert (load > 0).all()
    assert load.max() / load.mean() < 1.25 and load.min() / load.mean() > 0.75


def test_written_files_load_through_a_scenario(small, written):
    from optimizer.scenario import load_scenario

    for name in (*LAYERS, "dem", "calibration", "scenario", "README"):
        suffix = {"dem": ".tif", "calibration": ".json", "scenario": ".yaml", "README": ".md"}.get(name, ".gpkg")
        assert (written / f"{name}{suffix}").exists(), name
    scenario = load_scenario(written / "scenario.yaml")
    inputs = load_inputs(scenario.inputs, function_names=set(scenario.function_names),
                         cohorts={fn.cohort for fn in scenario.functions.values()})
    assert len(inputs.demand) == len(small.demand)
    assert len(inputs.sites) == len(small.sites)
    assert len(inputs.facilities) == len(small.facilities)
    assert len(inputs.network) == len(small.network)
    assert int(inputs.demand["total"].sum()) == 10_343_462
    cal = json.loads((written / "calibration.json").read_text(encoding="utf-8"))
    assert cal["synthetic"] is True and cal["seed"] == 7
    readme = (written / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme.splitlines()[0] and "Do not use it for any planning decision" in readme


def test_dem_holds_the_network_elevations(small, written):
    import rasterio

    with rasterio.open(written / "dem.tif") as src:
        dem = src.read(1).astype(float)
        assert src.crs.to_epsg() == 32648
        assert src.tags().get("SYNTHETIC") == "true"
        t = src.transform
    # Nodes of streets and paths (bridges and tunnels have straight gradients of their own).
    nodes = _nodes(small.network[small.network["structure"] == ""])
    col, row = (nodes[:, 0] - t.c) / t.a, (nodes[:, 1] - t.f) / t.e
    # Bilinear between pixel centres (index i + 0.5), clamped at the border.
    z = ndimage.map_coordinates(dem, [row - 0.5, col - 0.5], order=1, mode="nearest")
    assert np.abs(z - nodes[:, 2]).max() <= 0.051


def test_a_tiny_city_plans_to_a_proven_optimum(tmp_path):
    from optimizer.pipeline import run_scenario
    from optimizer.scenario import load_scenario

    tiny = cc.generate(3, n_units=600, n_sites=40, n_nodes_target=1500, n_circles=30,
                       facilities={"canteen": 6, "childcare": 3, "elder_care": 6, "parking": 4},
                       reach_check_sources=0)
    cc.write(tiny, tmp_path, dem=False)
    run = run_scenario(load_scenario(tmp_path / "scenario.yaml", ["budget.total=2.0e7", "solver.time_limit_s=120"]))
    assert run.result.proven_optimal
    assert run.check.passed
    assert run.reach_sites.method.value == "network"
    assert run.plan.total_cost <= 2.0e7 and len(run.plan.sites) > 0


@pytest.mark.shared_data
def test_embedded_census_and_boundaries_match_the_shared_data(shared_data):
    folder = shared_data / "chongqing_districts_census2020"
    df = pd.read_csv(folder / "census2020_central_districts.csv", dtype={"adcode": str}).set_index("adcode")
    c = cc.district_census()
    assert list(df.index) == list(c.index)
    for col in c.columns:
        if col in df.columns:
            assert (df.loc[c.index, col].astype(float) == c[col].astype(float)).all(), col
    shared = gpd.read_file(folder / "chongqing_central_districts.gpkg", layer="districts_wgs84")
    shared["adcode"] = shared["adcode"].astype(str)
    shipped = cc.load_districts().set_index("adcode")
    shared = shared.to_crs(cc.METRIC_CRS).set_index("adcode").loc[shipped.index]
    assert shared["area_km2"].to_dict() == cc.DISTRICT_AREA_KM2
    assert np.allclose(shipped.area, shared.area, rtol=0.005)
    assert (shipped["name_zh"] == shared["name_zh"]).all()
    # River knots taken from district borders lie on those borders.
    fwd = cc._transformers()[0]
    border = shapely.union_all([a.boundary for a in shared.geometry.values])
    for _, knots in cc.RIVERS.values():
        pts = cc._to_metric(knots, fwd)
        d = shapely.distance(border, shapely.points(pts))
        assert np.median(d) < 300.0


@pytest.mark.slow
def test_full_size_city_meets_the_issue_sizes():
    d = cc.generate(2020, reach_check_sources=0)
    c = d.calibration["counts"]
    assert c["circles"] == 915
    assert c["units"] >= 100_000 and c["sites"] >= 10_000 and c["nodes"] >= 300_000
    assert int(d.demand["total"].sum()) == 10_343_462
