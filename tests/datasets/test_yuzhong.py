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
from optimizer.inputs.garages import hours_per_day
from optimizer.inputs.schema import CONVERSION_KINDS

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "inputs" / "yuzhong-demo"
LAYERS = ("demand", "sites", "facilities", "network", "circles")
#: Layers checked to lie inside the boundary point by point (circles tile it instead).
INSIDE = ("demand", "sites", "facilities", "network")
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
    # Childcare (托育) serves children under 3 (0-2 full years): age 0 plus ages 1 and 2,
    # half of the census 1-4 band; 3,262 + 0.5 x 18,383 = 12,453.5, rounded half up.
    assert yuzhong.AGE_1_4_SHARE_UNDER_3 == 0.5
    assert t == {"total": 588_717, "elderly": 116_320, "infants": 12_454,
                 "households": 213_950, "cars": round(213_950 * 6_840 / 20_840)}


def test_school_age_is_the_documented_derivation_and_fits_every_unit(small):
    """Children 6-12 (四点半课堂): 4/5 x 23,297 + 3/5 x 18,981 = 30,026.2 -> 30,026, inside each unit's residents."""
    assert yuzhong.school_age_target() == 30_026
    d = small.demand
    assert d["school_age"].dtype.kind == "i" and int(d["school_age"].sum()) == 30_026
    assert (d["school_age"] >= 0).all() and (d["elderly"] + d["infants"] + d["school_age"] <= d["total"]).all()
    assert small.calibration["figures"]["school_age_6_12"]["achieved"] == 30_026


def test_the_requests_ledger_is_synthetic_seeded_and_well_formed(small):
    """A few hundred rows over the communities, the seed-000 channels, 2025 dates, its own random stream."""
    r = small.requests
    assert list(r.columns) == ["request_id", "community", "circle_id", "service", "count", "channel", "date"]
    assert len(r) == yuzhong.REQUEST_ROWS and r["request_id"].is_unique
    assert set(r["service"]) == set(yuzhong.REQUEST_SERVICES)
    assert set(r["channel"]) == {"渝快办", "社区微信群", "网格员走访", "坝坝会"}
    assert (r["count"] >= 1).all() and r["date"].str.match(r"^2025-\d\d-\d\d$").all()
    named = r[r["community"] != ""]
    assert set(named["community"]) <= set(small.demand["community"])
    assert ((r["community"] != "") | (r["circle_id"] != "")).all()
    pairs = set(zip(small.demand["community"], small.demand["circle_id"], strict=True))
    assert all((c, k) in pairs for c, k in zip(named["community"], named["circle_id"], strict=True) if k)
    pd.testing.assert_frame_equal(r, yuzhong.make_requests(small.demand, 7))  # from the seed alone
    assert not r.equals(yuzhong.make_requests(small.demand, 8))
    # skewed: the older half of the communities asks for most canteens and elder care
    assert small.calibration["figures"]["requests_ledger"]["achieved"][
        "canteen_and_elder_care_residents_older_half_of_communities"] > 0.5


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


def _check_structure(d: dict[str, gpd.GeoDataFrame]) -> None:
    """Yuzhong's planning structure (seed 001; GB 50180-2018; seed 000)."""
    dem, circles, sites = d["demand"], d["circles"], d["sites"]
    # 11 sub-districts (街道) and 79 communities (社区): "11个街道、79个社区".
    assert dem["subdistrict"].nunique() == 11
    assert set(dem["subdistrict"]) == {f"{n}街道" for n, _, _ in yuzhong.SUBDISTRICTS}
    assert dem["community"].nunique() == 79
    per_sub = dem.groupby("subdistrict")["community"].nunique()
    assert (per_sub >= 3).all()
    # A community lies in one sub-district.
    assert (dem.groupby("community")["subdistrict"].nunique() == 1).all()
    # 11 fifteen-minute circles by 2027, one per sub-district ("日常公共服务不出街道"):
    # every circle inside one sub-district and every sub-district one circle.
    assert dem["circle_id"].nunique() == 11 == yuzhong.life_circle_count()
    assert sorted(dem["circle_id"].unique()) == [f"YZ-LC{i:02d}" for i in range(1, 12)]
    assert (dem.groupby("circle_id")["subdistrict"].nunique() == 1).all()
    assert (dem.groupby("subdistrict")["circle_id"].nunique() == 1).all()
    # Circles follow density: at Yuzhong's density a 15-minute circle holds roughly
    # 50,000 residents (GB 50180-2018: 50,000-100,000); each between 25,000 and 100,000.
    pop = dem.groupby("circle_id")["total"].sum()
    assert pop.between(25_000, 100_000).all(), pop.to_dict()
    # Sites take the circle and sub-district of their nearest unit; pairs stay consistent.
    circle_sub = dem.groupby("circle_id")["subdistrict"].first()
    assert set(sites["circle_id"]) <= set(dem["circle_id"])
    assert (circle_sub[sites["circle_id"]].to_numpy() == sites["subdistrict"].to_numpy()).all()
    # The circles layer: exactly these columns, one row per circle, its sub-district.
    assert list(circles.columns) == ["circle_id", "name", "type", "subdistrict", "target_year", "geometry"]
    assert circles.crs.to_epsg() == 4326
    assert set(dem["circle_id"]) == set(circles["circle_id"]) and circles["circle_id"].is_unique
    assert (circles.set_index("circle_id")["subdistrict"][circle_sub.index] == circle_sub).all()
    # Types from seed 000's five: 居住型, 产业型, 商服型, 其他型, 乡村 (synthetic choice).
    assert set(circles["type"]) <= {"居住型", "产业型", "商服型", "其他型", "乡村"}
    # "计划到2025年底，累计建成4个 ... 到2027年 ... 达到11个": four 2025 circles, the rest 2027.
    assert (circles["target_year"] == 2025).sum() == 4
    assert set(circles["target_year"]) == {2025, 2027}
    assert circles["target_year"].dtype.kind == "i"
    _check_circle_polygons(d)


def _check_circle_polygons(d: dict[str, gpd.GeoDataFrame]) -> None:
    """Valid, non-overlapping polygons tiling the district; each unit inside its own circle."""
    circles = d["circles"].to_crs(yuzhong.METRIC_CRS)
    geoms = circles.geometry.values
    assert shapely.is_valid(geoms).all()
    assert set(circles.geom_type) <= {"Polygon", "MultiPolygon"}
    union = shapely.union_all(geoms)
    assert abs(union.area - shapely.area(geoms).sum()) < 1.0  # m2: no overlap
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert shapely.intersection(geoms[i], geoms[j]).area < 1e-3
    boundary = gpd.GeoSeries([yuzhong.load_boundary()], crs=4326).to_crs(yuzhong.METRIC_CRS).iloc[0]
    assert abs(union.area - boundary.area) / boundary.area < 1e-6  # covers the district
    dem = d["demand"].to_crs(yuzhong.METRIC_CRS)
    own = circles.set_index("circle_id").geometry[dem["circle_id"]].values
    assert shapely.covered_by(dem.geometry.values, shapely.buffer(own, 0.01)).all()


def test_yuzhong_planning_structure(small):
    _check_structure(_layers(small))


def test_balanced_subdistricts_hold_similar_residents(small):
    pop = small.demand.groupby("subdistrict")["total"].sum()
    mean = 588_717 / 11
    assert pop.between(mean * (1 - yuzhong.SUBDISTRICT_SPREAD) - 1, mean * (1 + yuzhong.SUBDISTRICT_SPREAD) + 1).all()


def test_apportion_is_pro_rata_with_a_floor():
    assert yuzhong.apportion(np.array([1.0, 1.0, 10.0]), 12, minimum=3).tolist() == [3, 3, 6]
    assert yuzhong.apportion(np.array([5.0, 3.0, 2.0]), 10).tolist() == [5, 3, 2]
    with pytest.raises(ValueError):
        yuzhong.apportion(np.ones(4), 7, minimum=2)


def test_network_is_one_component_with_stairs_and_grades(small):
    _check_network(small.network)


def test_everything_inside_the_boundary_and_ids_unique(small):
    _check_inside({n: getattr(small, n) for n in INSIDE})
    _check_ids(_layers(small))


def test_sites_have_all_kinds_and_plausible_attributes(small):
    s = small.sites
    assert set(s["kind"]) == set(CONVERSION_KINDS)  # the ledger; shared garages have their own table
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
    assert (tmp_path / "requests.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "requests.csv", encoding="utf-8-sig", keep_default_na=False),
                                  small.requests)


def test_calibration_reports_targets_and_achieved(small):
    fig = small.calibration["figures"]
    assert small.calibration["synthetic"] is True
    for key in ("residents", "elderly_60plus", "infants_under_3", "households", "cars", "subdistricts",
                "communities", "life_circles"):
        assert fig[key]["target"] == fig[key]["achieved"], key
    assert fig["infants_under_3"]["achieved"] == 12_454
    assert fig["life_circles"]["achieved"] == 11
    shares = fig["circle_residents_within_15min_walk_of_centre"]["achieved"]
    assert set(shares) == {"overall", *small.circles["circle_id"]}
    assert all(0.0 <= v <= 1.0 for v in shares.values())


def test_scale_makes_larger_cases():
    d = yuzhong.generate(1, n_units=200, n_sites=40, node_spacing_m=200.0, scale=2.0)
    assert len(d.demand) == 400 and len(d.sites) == 80
    assert int(d.demand["total"].sum()) == 588_717


def test_shipped_demo_files(shipped):
    for name in LAYERS:
        assert (SHIPPED / f"{name}.gpkg").stat().st_size < 5_000_000, name
    d, s = shipped["demand"], shipped["sites"]
    assert len(d) >= 5000 and len(s) >= 500
    assert set(s["kind"]) == set(CONVERSION_KINDS)  # the ledger; shared garages have their own table
    assert (s["kind"].value_counts() >= 100).all()
    assert set(shipped["facilities"]["function"]) == {"canteen", "childcare", "elder_care", "parking"}
    t = yuzhong.census_targets()
    for c in COHORTS:
        assert int(d[c].sum()) == t[c], c
    assert int(d["infants"].sum()) == 12_454  # under 3: 3,262 + 0.5 x 18,383, rounded half up
    _check_structure(shipped)
    n_nodes, _, _ = _node_graph(shipped["network"])
    assert 10_000 <= n_nodes <= 15_000
    _check_network(shipped["network"])
    _check_inside({n: shipped[n] for n in INSIDE})
    _check_ids(shipped)


def test_shared_garages_are_synthetic_office_mall_and_hospital_garages(small):
    """错时共享停车 (seed 003): garages with 30-300 places, evening and night windows, their own ids."""
    g = small.shared_garages
    assert len(g) == yuzhong.GARAGE_COUNT and g["garage_id"].is_unique
    assert set(g["owner"]) <= {"写字楼", "商场", "医院", "机关"} and g["places"].between(30, 300).all()
    hours = g["hours"].map(hours_per_day)
    assert hours.between(7, 15).all()
    assert set(g["garage_id"]).isdisjoint(small.sites["site_id"]) and g["name"].str.endswith("（虚构）").all()
    assert set(g["circle_id"]) <= set(small.circles["circle_id"])
    _check_inside({"shared_garages": g})
    assert "shared_garages" in small.layers


def test_shipped_shared_garages_lie_mostly_in_the_commercial_circles():
    g = gpd.read_file(SHIPPED / "shared_garages.gpkg", layer="shared_garages")
    circles = gpd.read_file(SHIPPED / "circles.gpkg", layer="circles")
    commercial = set(circles.loc[circles["type"] == "商服型", "circle_id"])
    assert len(commercial) == 2 and g["circle_id"].isin(commercial).sum() > len(g) / 2


def test_shipped_requests_ledger(shipped):
    """The shipped ledger is the one the seed makes from the shipped demand, and the engine reads it."""
    from optimizer.inputs.read import read_table
    from optimizer.inputs.schema import LayerSpec

    shipped_requests = pd.read_csv(SHIPPED / "requests.csv", encoding="utf-8-sig", keep_default_na=False)
    pd.testing.assert_frame_equal(shipped_requests, yuzhong.make_requests(shipped["demand"], 2020))
    frame, problems = read_table(LayerSpec(SHIPPED / "requests.csv"), "requests")
    assert problems == [] and len(frame) == len(shipped_requests)
    assert int(shipped["demand"]["school_age"].sum()) == yuzhong.school_age_target()


@pytest.mark.slow
def test_shipped_demo_is_what_the_generator_makes(shipped):
    fresh = yuzhong.generate(2020)
    shipped = {**shipped, "shared_garages": gpd.read_file(SHIPPED / "shared_garages.gpkg", layer="shared_garages")}
    for name in (*LAYERS, "shared_garages"):
        mine = getattr(fresh, name)
        pd.testing.assert_frame_equal(shipped[name].drop(columns="geometry"), mine.drop(columns="geometry"),
                                      check_dtype=False)
        assert np.array_equal(shapely.to_wkb(shipped[name].geometry.values),
                              shapely.to_wkb(mine.geometry.values)), name
    pd.testing.assert_frame_equal(pd.read_csv(SHIPPED / "requests.csv", encoding="utf-8-sig", keep_default_na=False),
                                  fresh.requests)


@pytest.mark.shared_data
def test_embedded_census_figures_match_the_shared_csv(shared_data):
    df = pd.read_csv(shared_data / "chongqing_districts_census2020" / "census2020_central_districts.csv")
    row = df[df["adcode"] == 500103].iloc[0]
    c = yuzhong.CENSUS_2020
    for key in ("pop_total", "age_60plus", "age_0", "age_1_4", "age_5_9", "age_10_14", "households", "hh_owns_car",
                "hh_longform_sample"):
        assert float(row[key]) == c[key], key
    assert int(df["pop_total"].sum()) == c["central_city_pop_total"]
