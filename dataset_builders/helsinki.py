"""Derive a real-geography lifecircle input set for central Helsinki.

Reads the Helsinki city-centre test bed (``../shared/data/helsinki_center_testbed``:
the OpenStreetMap extract, layers pre-extracted from it and the HSY 250 m population
grid) and derives the input tables of the engine:

``network``
    The OpenStreetMap extract itself (``helsinki_center.osm.pbf``), shipped unchanged:
    the engine reads its walkable ways (:func:`optimizer.inputs.osm.read_osm_walk_edges`).
    Its walk edges also fix the extent of the input set (their convex hull).
``demand``
    Residents of the 250 m population grid, allocated dasymetrically to the
    residential buildings of each cell (integer counts, per-cell totals preserved).
``sites``
    HYPOTHETICAL idle assets on real buildings and land: spare rooms in running
    public facilities (``existing_host``), a share of non-residential buildings
    (``building``) and convertible land-use polygons (``plot``). Nothing in OSM says
    these assets are idle; the areas are documented assumptions.
``facilities``
    Running parking, childcare, elder-care and canteen facilities mapped in OSM.

Every assumption is a module-level constant below and is listed in
``inputs/helsinki-center/README.md``. The derivation is deterministic: the same test
bed gives the same tables.

Data © OpenStreetMap contributors, ODbL 1.0 (the output is a derived database; ODbL
share-alike applies). Population grid: HSY / Helsinki Region Infoshare, CC BY 4.0.

Run as::

    python -m dataset_builders.helsinki --testbed ../shared/data/helsinki_center_testbed \\
        --out inputs/helsinki-center
"""
from __future__ import annotations

import argparse
import logging
import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from optimizer.inputs.osm import read_osm_walk_edges

logger = logging.getLogger(__name__)

#: Output CRS of every table.
OUTPUT_CRS = "EPSG:4326"
#: Metric CRS used for areas, distances and representative points (ETRS-TM35FIN).
METRIC_CRS = "EPSG:3067"

OSM_LAYERS = "helsinki_center_osm_layers.gpkg"
GRID_FILE = "helsinki_population_grid_2020.gpkg"
GRID_LAYER = "population_grid_2020"
#: Raw extract: the network (shipped as is), and the tags the pre-extracted layers
#: dropped (``capacity``, ``parking``, ``social_facility:for``, ``level``, ``addr:*``)
#: and the polygons of parking lots.
PBF_FILE = "helsinki_center.osm.pbf"

DISTRICT = "Helsinki"
ID_PREFIX = "HEL"

# --- demand -----------------------------------------------------------------------
#: ASSUMPTION: building types that are residential whatever else they carry.
RESIDENTIAL_TYPES = frozenset({
    "apartments", "residential", "house", "detached", "semidetached_house", "terrace",
    "dormitory",
})
#: ASSUMPTION: a ``building=yes`` footprint whose representative point lies in one of
#: these land uses is not residential (offices, shops, public and transport uses).
NON_RESIDENTIAL_LANDUSE = frozenset({
    "commercial", "retail", "civil", "industrial", "railway", "military", "religious",
    "education", "institutional",
})
#: ASSUMPTION: storeys of a residential building without ``building:levels`` (the
#: median of the residential buildings that do carry the tag in this extract is 5).
DEFAULT_LEVELS = 5.0
#: ASSUMPTION: footprints smaller than this (m2) are sheds, kiosks or mapping slivers,
#: never residential.
MIN_RESIDENTIAL_FOOTPRINT_M2 = 50.0

# --- sites ------------------------------------------------------------------------
#: ASSUMPTION: POI amenities (or any ``social_facility``) that may host spare rooms.
HOST_AMENITIES = frozenset({
    "community_centre", "social_facility", "library", "arts_centre", "public_building",
})
#: ASSUMPTION: spare floor area of an existing host (m2).
HOST_SPARE_AREA_M2 = 150.0
#: ASSUMPTION: building types that are candidate non-residential idle buildings.
SITE_BUILDING_TYPES = frozenset({
    "office", "commercial", "retail", "public", "civic", "government", "industrial",
    "warehouse", "university", "college", "school", "kindergarten", "hotel", "service",
    "garage", "garages", "parking", "manufacture",
})
#: Building types that may take parking (multi-storey / garage structures).
PARKING_BUILDING_TYPES = frozenset({"garage", "garages", "parking"})
#: ``building=yes`` footprints with one of these amenities are never candidates.
EXCLUDED_YES_AMENITIES = frozenset({
    "place_of_worship", "bandstand", "shelter", "toilets",
})
#: ``building=yes`` footprints in these land uses are never candidates (operational
#: transport or defence land).
EXCLUDED_SITE_LANDUSE = frozenset({"railway", "military"})
#: ASSUMPTION: usable spare area of a candidate building, as a share of its footprint ...
BUILDING_SPARE_SHARE = 0.20
#: ... capped at this many m2.
BUILDING_SPARE_CAP_M2 = 1000.0
#: ASSUMPTION: land uses whose polygons could be converted (plots).
PLOT_LANDUSE = frozenset({
    "brownfield", "greenfield", "construction", "grass", "parking", "lane;parking",
})
#: ASSUMPTION: a plot must hold a core this wide (m): the polygon shrunk by half of it
#: must not be empty. Drops road verges and other narrow strips.
PLOT_MIN_WIDTH_M = 10.0
#: Sites with less usable area than this (m2) are dropped.
MIN_SITE_AREA_M2 = 50.0

# --- facilities -------------------------------------------------------------------
#: ASSUMPTION: floor area per parking space of a surface lot, aisles included (m2).
PARKING_M2_PER_SPACE = 25.0
#: ASSUMPTION: spaces of a garage mapped as a point without ``capacity``
#: (in this extract: underground garage entrances).
DEFAULT_GARAGE_CAPACITY = 200
#: ASSUMPTION: spaces of a lot whose polygon has no measurable area and no ``capacity``.
DEFAULT_LOT_CAPACITY = 10
#: ASSUMPTION: places of a childcare or elder-care facility without ``capacity``.
DEFAULT_CARE_CAPACITY = 30
#: ASSUMPTION: seats of a community canteen without ``capacity``.
DEFAULT_CANTEEN_CAPACITY = 50
#: ASSUMPTION: OSM amenities that are community canteens. Restaurants, cafés and
#: ``food_court`` (commercial food halls) are not.
CANTEEN_AMENITIES = frozenset({"canteen", "community_kitchen"})
#: ``social_facility`` values that are community canteens.
CANTEEN_SOCIAL_FACILITIES = frozenset({"soup_kitchen", "food_bank"})

#: Tags read from the raw PBF's ``other_tags`` column.
PBF_TAGS = ("capacity", "parking", "social_facility:for", "level", "addr:street",
            "addr:housenumber")

LAYERS = ("demand", "sites", "facilities")
#: Fixed GeoPackage change timestamp (GDAL ``OGR_CURRENT_DATE``) for reproducible bytes.
GPKG_TIMESTAMP = "2020-01-01T00:00:00.000Z"


# =================================================================================
# reading
# =================================================================================
def _read_osm(testbed: Path, layer: str) -> gpd.GeoDataFrame:
    """Read one layer of the pre-extracted OSM GeoPackage, sorted by OSM id."""
    gdf = gpd.read_file(testbed / OSM_LAYERS, layer=layer, engine="pyogrio")
    sort = ["id", "osm_type"] if "osm_type" in gdf.columns else ["id"]
    return gdf.sort_values(sort, kind="mergesort").reset_index(drop=True)


def _polygonal(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Make polygons valid and keep only their polygonal part.

    Parameters
    ----------
    geoms
        Polygon or MultiPolygon geometries, possibly invalid (self-intersections).

    Returns
    -------
    geopandas.GeoSeries
        Valid (Multi)Polygons on the same index; empty where nothing polygonal is left.
    """
    valid = shapely.make_valid(geoms.values)
    parts, owner = shapely.get_parts(valid, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), (3, 6))  # Polygon, MultiPolygon
    out = np.full(len(geoms), None, dtype=object)
    if keep.any():
        grouped = pd.Series(parts[keep]).groupby(owner[keep])
        merged = grouped.agg(lambda s: shapely.union_all(s.to_numpy()))
        out[merged.index.to_numpy()] = merged.to_numpy()
    empty = np.array([g is None for g in out])
    out[empty] = shapely.Polygon()
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def _tag(other_tags: pd.Series, key: str) -> pd.Series:
    """Extract one key from GDAL's hstore-like ``other_tags`` strings."""
    pattern = '"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    return other_tags.fillna("").str.extract(pattern, expand=False)


def _read_pbf_tags(testbed: Path) -> pd.DataFrame:
    """Read the extra tags of nodes and areas from the raw PBF.

    Parameters
    ----------
    testbed
        Folder of the test bed.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``osm_type``, ``id``) with one column per key of :data:`PBF_TAGS`
        plus ``pbf_area_m2`` (polygon area of areas, NaN for nodes).
    """
    columns = [*PBF_TAGS, "pbf_area_m2"]
    path = testbed / PBF_FILE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # unclosed rings at the extract edge
        nodes = pyogrio.read_dataframe(path, layer="points", read_geometry=False,
                                       columns=["osm_id", "other_tags"])
        areas = pyogrio.read_dataframe(path, layer="multipolygons", on_invalid="ignore",
                                       columns=["osm_id", "osm_way_id", "other_tags"])
    nodes = nodes.assign(osm_type="node", id=pd.to_numeric(nodes["osm_id"]), pbf_area_m2=np.nan)
    areas = gpd.GeoDataFrame(areas, geometry="geometry").to_crs(METRIC_CRS)
    is_way = areas["osm_way_id"].notna()
    areas = pd.DataFrame({
        "osm_type": np.where(is_way, "way", "relation"),
        "id": pd.to_numeric(areas["osm_way_id"].where(is_way, areas["osm_id"])),
        "other_tags": areas["other_tags"],
        "pbf_area_m2": areas.geometry.area.fillna(0.0).to_numpy(),
    })
    both = pd.concat([nodes[["osm_type", "id", "other_tags", "pbf_area_m2"]], areas], ignore_index=True)
    both = both.dropna(subset=["id"]).astype({"id": "int64"})
    for key in PBF_TAGS:
        both[key] = _tag(both["other_tags"], key)
    both = both.drop_duplicates(["osm_type", "id"]).set_index(["osm_type", "id"])
    return both[columns]


# =================================================================================
# demand
# =================================================================================
def _levels(values: pd.Series) -> pd.Series:
    """Parse ``building:levels`` ('5', '3.5', '4;5') to floats; NaN when unusable."""
    first = values.astype("string").str.split(";").str[0].str.strip()
    levels = pd.to_numeric(first, errors="coerce")
    return levels.where(levels > 0)


def _address(street: pd.Series, number: pd.Series) -> pd.Series:
    """'<street> <number>' where the street is tagged, else ''."""
    street = street.fillna("").astype(str).str.strip()
    number = number.fillna("").astype(str).str.strip()
    addr = (street + " " + number).str.strip()
    return addr.where(street.ne(""), "")


def _largest_remainder(totals: pd.Series, weights: pd.Series, groups: pd.Series) -> pd.Series:
    """Split integer group totals over members in proportion to weights.

    Parameters
    ----------
    totals
        Integer total of each group, indexed by group key.
    weights
        Positive weight of each member.
    groups
        Group key of each member (same index as ``weights``).

    Returns
    -------
    pandas.Series
        Integer share of each member. Shares of a group sum exactly to its total;
        the leftover units after flooring go to the largest fractional parts, ties to
        the member that comes first in ``weights``' order.
    """
    group_total = groups.map(totals).astype(float)
    quota = group_total * weights / weights.groupby(groups).transform("sum")
    floor = np.floor(quota + 1e-9)
    frac = quota - floor
    leftover = (totals - floor.groupby(groups).sum()).round().astype("int64")
    order = pd.DataFrame({"g": groups, "frac": -frac.round(12), "pos": np.arange(len(weights))})
    order = order.sort_values(["g", "frac", "pos"], kind="mergesort")
    rank = order.groupby("g").cumcount()
    bonus = (rank < order["g"].map(leftover)).astype("int64")
    return (floor.astype("int64") + bonus.reindex(weights.index)).astype("int64")


def _classify_buildings(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Footprints in the metric CRS with their role: residential, candidate, or neither.

    Parameters
    ----------
    buildings
        The ``buildings`` layer (EPSG:4326).
    landuse
        The ``landuse`` layer (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Valid footprints in :data:`METRIC_CRS` with ``footprint_m2``, ``levels``,
        ``point`` (representative point), ``landuse`` (of the point; '' if none),
        ``address``, ``residential`` and ``candidate`` (mutually exclusive).
    """
    b = buildings.to_crs(METRIC_CRS)
    b["geometry"] = _polygonal(b.geometry)
    b = b[~b.geometry.is_empty].copy()
    b["footprint_m2"] = b.geometry.area
    b["levels"] = _levels(b["building:levels"])
    b["point"] = b.geometry.representative_point()
    lu = landuse.to_crs(METRIC_CRS)
    lu = gpd.GeoDataFrame({"landuse": lu["landuse"].fillna(""), "lu_area": 0.0},
                          geometry=_polygonal(lu.geometry), crs=METRIC_CRS)
    lu = lu[~lu.geometry.is_empty]
    lu["lu_area"] = lu.geometry.area
    pts = gpd.GeoDataFrame({"bidx": b.index}, geometry=b["point"].to_numpy(), crs=METRIC_CRS)
    hit = gpd.sjoin(pts, lu, how="inner", predicate="within")
    # a point inside nested land uses takes the smallest one (the most specific)
    hit = hit.sort_values(["bidx", "lu_area", "landuse"], kind="mergesort").drop_duplicates("bidx")
    b["landuse"] = b.index.map(hit.set_index("bidx")["landuse"]).fillna("")
    b["address"] = _address(b["addr:street"], b["addr:housenumber"])

    btype = b["building"].fillna("yes")
    untagged = b["name"].isna() & b["amenity"].isna() & b["shop"].isna()
    is_yes = btype.eq("yes")
    b["residential"] = (
        btype.isin(RESIDENTIAL_TYPES)
        | (is_yes & untagged & ~b["landuse"].isin(NON_RESIDENTIAL_LANDUSE))
    ) & b["footprint_m2"].ge(MIN_RESIDENTIAL_FOOTPRINT_M2)
    yes_candidate = (
        is_yes & ~b["residential"]
        & ~b["amenity"].isin(EXCLUDED_YES_AMENITIES)
        & ~b["landuse"].isin(EXCLUDED_SITE_LANDUSE)
        & (~untagged | b["landuse"].isin(NON_RESIDENTIAL_LANDUSE))
    )
    b["candidate"] = (btype.isin(SITE_BUILDING_TYPES) | yes_candidate) & ~b["residential"]
    return b


def _extent(network: gpd.GeoDataFrame) -> shapely.Geometry:
    """The network extent: convex hull of all walk edges (any CRS), in the metric CRS."""
    return shapely.convex_hull(shapely.union_all(network.to_crs(METRIC_CRS).geometry.to_numpy()))


def _cells(grid: gpd.GeoDataFrame, extent: shapely.Geometry) -> gpd.GeoDataFrame:
    """Populated grid cells that overlap the network extent, in the metric CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell`` (int id), ``circle_id`` ('HEL-<id>'), ``population``,
        ``share_in_extent`` (area share of the cell inside the extent), ``inside``
        (the part of the cell inside the extent).
    """
    g = grid.to_crs(METRIC_CRS).sort_values("id", kind="mergesort").reset_index(drop=True)
    inside = g.geometry.intersection(extent)
    share = inside.area / g.geometry.area
    keep = (share > 0) & (g["population"] > 0)
    cells = gpd.GeoDataFrame({
        "cell": g["id"].astype("int64"),
        "circle_id": [f"{ID_PREFIX}-{i}" for i in g["id"]],
        "population": g["population"].astype("int64"),
        "share_in_extent": share,
        "inside": inside,
    }, geometry=g.geometry, crs=METRIC_CRS)
    return cells[keep.to_numpy()].reset_index(drop=True)


def derive_demand(buildings: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Allocate each cell's residents to its residential buildings.

    Parameters
    ----------
    buildings
        Output of :func:`_classify_buildings`.
    cells
        Output of :func:`_cells`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_id``, ``total``, ``circle_id``, ``district``, ``name``, ``osm_id``
        (building id; null for cell units), Points in EPSG:4326 (the footprint's
        representative point; for a cell without residential buildings, the
        representative point of the part of the cell inside the network extent).
        Units whose rounded population is 0 are dropped.
    """
    res = buildings[buildings["residential"]]
    pts = gpd.GeoDataFrame({
        "bidx": res.index.to_numpy(),
        "osm_id": res["id"].astype("int64").to_numpy(),
        "weight": (res["footprint_m2"] * res["levels"].fillna(DEFAULT_LEVELS)).to_numpy(),
        "address": res["address"].to_numpy(),
    }, geometry=res["point"].to_numpy(), crs=METRIC_CRS)
    hit = gpd.sjoin(pts, cells[["cell", "geometry"]], how="inner", predicate="within")
    hit = hit.sort_values(["cell", "osm_id"], kind="mergesort").drop_duplicates("bidx")
    hit["name"] = hit["address"].where(hit["address"].ne(""), "OSM building " + hit["osm_id"].astype(str))

    empty = cells[~cells["cell"].isin(hit["cell"])]
    fallback = gpd.GeoDataFrame({
        "cell": empty["cell"].to_numpy(),
        "osm_id": pd.array([pd.NA] * len(empty), dtype="Int64"),
        "weight": 1.0,
        "name": [f"Grid cell {c} (no residential building mapped)" for c in empty["cell"]],
    }, geometry=empty["inside"].representative_point().to_numpy(), crs=METRIC_CRS)
    units = pd.concat([hit[["cell", "osm_id", "weight", "name", "geometry"]], fallback], ignore_index=True)
    units["osm_id"] = units["osm_id"].astype("Int64")
    units = units.sort_values(["cell", "osm_id"], kind="mergesort", na_position="first").reset_index(drop=True)
    units["total"] = _largest_remainder(cells.set_index("cell")["population"], units["weight"], units["cell"])
    units = units[units["total"] > 0].reset_index(drop=True)
    circle = cells.set_index("cell")["circle_id"]
    out = gpd.GeoDataFrame({
        "unit_id": [f"{ID_PREFIX}-U{i:04d}" for i in range(1, len(units) + 1)],
        "total": units["total"].astype("int64"),
        "circle_id": units["cell"].map(circle),
        "district": DISTRICT,
        "name": units["name"],
        "osm_id": units["osm_id"],
    }, geometry=gpd.GeoSeries(units.geometry, crs=METRIC_CRS).to_crs(OUTPUT_CRS).to_numpy(), crs=OUTPUT_CRS)
    return out


# =================================================================================
# sites
# =================================================================================
def _circle_of(points: gpd.GeoSeries, cells: gpd.GeoDataFrame) -> pd.Series:
    """Life circle of each point: the included cell containing it, else the nearest one.

    Parameters
    ----------
    points
        Points in :data:`METRIC_CRS`.
    cells
        Output of :func:`_cells`.

    Returns
    -------
    pandas.Series
        ``circle_id`` per point (same index as ``points``).
    """
    left = gpd.GeoDataFrame({"pidx": np.arange(len(points))}, geometry=points.to_numpy(), crs=METRIC_CRS)
    hit = gpd.sjoin_nearest(left, cells[["cell", "circle_id", "geometry"]], how="left")
    hit = hit.sort_values(["pidx", "cell"], kind="mergesort").drop_duplicates("pidx")
    return pd.Series(hit["circle_id"].to_numpy(), index=points.index)


def _hosts(pois: gpd.GeoDataFrame, tags: pd.DataFrame, buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Existing hosts: running public facilities with an assumed spare room.

    Parameters
    ----------
    pois
        The ``pois_points`` layer (EPSG:4326).
    tags
        Output of :func:`_read_pbf_tags` (``level`` and ``addr:*`` are used).
    buildings
        Output of :func:`_classify_buildings`.

    Returns
    -------
    geopandas.GeoDataFrame
        Site columns in :data:`METRIC_CRS` plus ``host_building`` (index of the
        footprint containing the POI, NaN if none). One host per name: a facility
        mapped both as a node and as an area is kept once (the area, else the lowest id).
    """
    p = pois[pois["amenity"].isin(HOST_AMENITIES) | pois["social_facility"].notna()].copy()
    p["type_rank"] = p["osm_type"].map({"relation": 0, "way": 1, "node": 2}).fillna(3)
    p["key"] = p["name"].fillna("").str.strip().str.casefold()
    p["key"] = p["key"].where(p["key"].ne(""), "#" + p["osm_type"] + p["id"].astype(str))
    p = p.sort_values(["key", "type_rank", "id"], kind="mergesort").drop_duplicates("key")
    p = p.sort_values(["id", "osm_type"], kind="mergesort")
    p = p.to_crs(METRIC_CRS)
    t = tags.reindex(pd.MultiIndex.from_arrays([p["osm_type"], p["id"]]))
    t.index = p.index
    fp = gpd.GeoDataFrame({"bidx": buildings.index, "b_levels": buildings["levels"],
                           "b_address": buildings["address"]},
                          geometry=buildings.geometry, crs=METRIC_CRS)
    inb = gpd.sjoin(p[["geometry"]], fp, how="left", predicate="within")
    inb = inb[~inb.index.duplicated(keep="first")]
    level = pd.to_numeric(t["level"].astype("string").str.split(";").str[0], errors="coerce")
    lowest = (np.floor(level) + 1).astype("Int64").fillna(1)
    address = _address(t["addr:street"], t["addr:housenumber"])
    address = address.where(address.ne(""), inb["b_address"].fillna(""))
    out = gpd.GeoDataFrame({
        "kind": "existing_host",
        "name": p["name"].fillna(p["amenity"]).astype(str),
        "address": address,
        "area_m2": HOST_SPARE_AREA_M2,
        "floors": np.ceil(inb["b_levels"]).astype("Int64"),
        "lowest_floor": lowest,
        "parking_allowed": False,
        "osm_id": p["id"].astype("int64"),
        "source_tag": "amenity=" + p["amenity"].fillna(""),
        "host_building": inb["bidx"],
    }, geometry=p.geometry, crs=METRIC_CRS)
    return out


def _building_sites(buildings: gpd.GeoDataFrame, hosts: gpd.GeoDataFrame,
                    pois: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidate non-residential buildings with their assumed spare area.

    Parameters
    ----------
    buildings
        Output of :func:`_classify_buildings`.
    hosts
        Output of :func:`_hosts`; footprints holding a host are not candidates.
    pois
        The ``pois_points`` layer; footprints containing ``amenity=parking`` may take
        parking.

    Returns
    -------
    geopandas.GeoDataFrame
        Site columns in :data:`METRIC_CRS`, at the footprints' representative points.
    """
    c = buildings[buildings["candidate"] & ~buildings.index.isin(hosts["host_building"].dropna())].copy()
    parking = pois[pois["amenity"].eq("parking")].to_crs(METRIC_CRS)
    has_garage = gpd.sjoin(c[["geometry"]], parking[["geometry"]], how="inner", predicate="contains").index
    btype = c["building"].fillna("yes")
    area = np.minimum(c["footprint_m2"] * BUILDING_SPARE_SHARE, BUILDING_SPARE_CAP_M2)
    name = c["name"].where(c["name"].notna() & c["name"].ne(""),
                           "Unnamed " + btype + " building (OSM " + c["id"].astype(str) + ")")
    out = gpd.GeoDataFrame({
        "kind": "building",
        "name": name.astype(str),
        "address": c["address"],
        "area_m2": area,
        "floors": np.ceil(c["levels"]).astype("Int64"),
        "lowest_floor": pd.array([1] * len(c), dtype="Int64"),
        "parking_allowed": btype.isin(PARKING_BUILDING_TYPES) | c.index.isin(has_garage),
        "osm_id": c["id"].astype("int64"),
        "source_tag": "building=" + btype,
    }, geometry=c["point"], crs=METRIC_CRS)
    return out


def _plots(landuse: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convertible land-use polygons wide enough to build on.

    Parameters
    ----------
    landuse
        The ``landuse`` layer (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Site columns in :data:`METRIC_CRS`, at the polygons' representative points,
        ``area_m2`` the whole (repaired) polygon's area.
    """
    lu = landuse[landuse["landuse"].isin(PLOT_LANDUSE)].to_crs(METRIC_CRS)
    geom = _polygonal(lu.geometry)
    core = geom.buffer(-PLOT_MIN_WIDTH_M / 2.0)
    ok = ~geom.is_empty & ~core.is_empty
    lu, geom = lu[ok], geom[ok]
    out = gpd.GeoDataFrame({
        "kind": "plot",
        "name": lu["landuse"] + " plot (OSM " + lu["id"].astype(str) + ")",
        "address": "",
        "area_m2": geom.area,
        "floors": pd.array([pd.NA] * len(lu), dtype="Int64"),
        "lowest_floor": pd.array([1] * len(lu), dtype="Int64"),
        "parking_allowed": True,
        "osm_id": lu["id"].astype("int64"),
        "source_tag": "landuse=" + lu["landuse"],
    }, geometry=geom.representative_point(), crs=METRIC_CRS)
    return out


def derive_sites(pois: gpd.GeoDataFrame, tags: pd.DataFrame, buildings: gpd.GeoDataFrame,
                 landuse: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The hypothetical idle asset ledger.

    Parameters
    ----------
    pois, landuse
        OSM layers (EPSG:4326).
    tags
        Output of :func:`_read_pbf_tags`.
    buildings
        Output of :func:`_classify_buildings`.
    cells
        Output of :func:`_cells`.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical site columns plus ``osm_id`` and ``source_tag``, Points in EPSG:4326,
        ordered existing_host, building, plot, then by OSM id; sites with less than
        :data:`MIN_SITE_AREA_M2` usable area dropped.
    """
    hosts = _hosts(pois, tags, buildings)
    parts = [hosts.drop(columns="host_building"), _building_sites(buildings, hosts, pois), _plots(landuse)]
    s = pd.concat(parts, ignore_index=True)
    s = s[s["area_m2"] >= MIN_SITE_AREA_M2].reset_index(drop=True)
    s = gpd.GeoDataFrame(s, geometry="geometry", crs=METRIC_CRS)
    s["circle_id"] = _circle_of(s.geometry, cells)
    out = gpd.GeoDataFrame({
        "site_id": [f"{ID_PREFIX}-S{i:04d}" for i in range(1, len(s) + 1)],
        "kind": s["kind"],
        "name": s["name"],
        "address": s["address"].fillna(""),
        "area_m2": s["area_m2"].astype(float).round(1),
        "floors": s["floors"].astype("Int64"),
        "lowest_floor": s["lowest_floor"].astype("Int64"),
        "parking_allowed": s["parking_allowed"].astype(bool),
        "owner": "",
        "circle_id": s["circle_id"],
        "district": DISTRICT,
        "osm_id": s["osm_id"].astype("int64"),
        "source_tag": s["source_tag"],
    }, geometry=s.geometry.to_crs(OUTPUT_CRS).to_numpy(), crs=OUTPUT_CRS)
    return out


# =================================================================================
# facilities
# =================================================================================
def derive_facilities(pois: gpd.GeoDataFrame, tags: pd.DataFrame) -> gpd.GeoDataFrame:
    """Running facilities of the four default functions mapped in OSM.

    Parameters
    ----------
    pois
        The ``pois_points`` layer.
    tags
        Output of :func:`_read_pbf_tags`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``facility_id``, ``function``, ``capacity``, ``name``, ``capacity_source``,
        ``osm_id``, Points in EPSG:4326.

    Notes
    -----
    * parking: ``amenity=parking``; point garages sharing a name are entrances of one
      garage and kept once (lowest id).
    * childcare / elder_care: ``amenity`` kindergarten / childcare, and
      ``social_facility=day_care`` by ``social_facility:for`` (child -> childcare;
      senior/elderly -> elder_care; untagged -> elder_care). ``amenity=nursing_home``
      or ``social_facility`` nursing_home/assisted_living -> elder_care.
    * canteen: :data:`CANTEEN_AMENITIES` and :data:`CANTEEN_SOCIAL_FACILITIES` only.
    """
    p = pois.copy()
    t = tags.reindex(pd.MultiIndex.from_arrays([p["osm_type"], p["id"]]))
    t.index = p.index
    p = p.join(t)
    amenity = p["amenity"].fillna("")
    social = p["social_facility"].fillna("")
    social_for = p["social_facility:for"].fillna("").str.casefold()

    function = pd.Series("", index=p.index, dtype=object)
    function[amenity.eq("parking")] = "parking"
    function[amenity.isin({"kindergarten", "childcare"})] = "childcare"
    day_care = social.eq("day_care")
    function[day_care & social_for.str.contains("child")] = "childcare"
    function[day_care & ~social_for.str.contains("child")] = "elder_care"
    function[amenity.eq("nursing_home") | social.isin({"nursing_home", "assisted_living"})] = "elder_care"
    function[amenity.isin(CANTEEN_AMENITIES) | social.isin(CANTEEN_SOCIAL_FACILITIES)] = "canteen"
    p["function"] = function
    f = p[function.ne("")].copy()

    is_garage_point = f["function"].eq("parking") & f["osm_type"].eq("node")
    dup = is_garage_point & f["name"].notna() & f.sort_values("id").duplicated(["function", "name"]).reindex(f.index)
    f = f[~dup]

    tagged = pd.to_numeric(f["capacity"], errors="coerce")
    default = pd.Series(np.nan, index=f.index)
    source = pd.Series("", index=f.index, dtype=object)
    park = f["function"].eq("parking")
    lot_area = f["pbf_area_m2"].astype(float)
    by_area = park & f["osm_type"].ne("node") & lot_area.gt(0)
    default[by_area] = np.maximum(1.0, np.floor(lot_area[by_area] / PARKING_M2_PER_SPACE))
    source[by_area] = f"assumed: lot area / {PARKING_M2_PER_SPACE:g} m2"
    no_area = park & f["osm_type"].ne("node") & ~lot_area.gt(0)
    default[no_area] = DEFAULT_LOT_CAPACITY
    source[no_area] = "assumed: default lot"
    garage = park & f["osm_type"].eq("node")
    default[garage] = DEFAULT_GARAGE_CAPACITY
    source[garage] = "assumed: default garage"
    care = f["function"].isin({"childcare", "elder_care"})
    default[care] = DEFAULT_CARE_CAPACITY
    source[care] = "assumed: default care places"
    canteen = f["function"].eq("canteen")
    default[canteen] = DEFAULT_CANTEEN_CAPACITY
    source[canteen] = "assumed: default canteen seats"
    capacity = tagged.where(tagged > 0, default)
    source = source.where(~(tagged > 0), "OSM capacity tag")

    f = f.assign(capacity=capacity, capacity_source=source)
    order = pd.Categorical(f["function"], ["canteen", "childcare", "elder_care", "parking"], ordered=True)
    f = f.assign(_o=order).sort_values(["_o", "id"], kind="mergesort")
    name = f["name"].where(f["name"].notna() & f["name"].ne(""),
                           f["function"] + " (OSM " + f["osm_type"] + " " + f["id"].astype(str) + ")")
    out = gpd.GeoDataFrame({
        "facility_id": [f"{ID_PREFIX}-F{i:03d}" for i in range(1, len(f) + 1)],
        "function": f["function"].astype(str).to_numpy(),
        "capacity": f["capacity"].astype(float).to_numpy(),
        "name": name.astype(str).to_numpy(),
        "capacity_source": f["capacity_source"].astype(str).to_numpy(),
        "osm_id": f["id"].astype("int64").to_numpy(),
    }, geometry=f.geometry.to_crs(OUTPUT_CRS).to_numpy(), crs=OUTPUT_CRS)
    return out


# =================================================================================
# entry points
# =================================================================================
def derive(testbed: Path) -> dict[str, gpd.GeoDataFrame]:
    """Derive the four input tables from the Helsinki test bed.

    Parameters
    ----------
    testbed
        Folder holding ``helsinki_center.osm.pbf``,
        ``helsinki_center_osm_layers.gpkg`` and ``helsinki_population_grid_2020.gpkg``.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``demand``, ``sites``, ``facilities``, all EPSG:4326, each with a
        RangeIndex.
    """
    testbed = Path(testbed)
    edges = read_osm_walk_edges(testbed / PBF_FILE)
    buildings = _read_osm(testbed, "buildings")
    pois = _read_osm(testbed, "pois_points")
    landuse = _read_osm(testbed, "landuse")
    grid = gpd.read_file(testbed / GRID_FILE, layer=GRID_LAYER, engine="pyogrio")
    tags = _read_pbf_tags(testbed)

    cells = _cells(grid, _extent(edges))
    classified = _classify_buildings(buildings, landuse)
    demand = derive_demand(classified, cells)
    sites = derive_sites(pois, tags, classified, landuse, cells)
    facilities = derive_facilities(pois, tags)
    logger.info("network: %d walk edges (%d steps) in %s", len(edges), int(edges["steps"].sum()), PBF_FILE)
    logger.info("demand: %d units, %d residents in %d grid cells overlapping the network extent",
                len(demand), int(demand["total"].sum()), len(cells))
    logger.info("sites: %s", sites["kind"].value_counts().to_dict())
    logger.info("facilities: %s", facilities["function"].value_counts().to_dict())
    return {"demand": demand, "sites": sites, "facilities": facilities}


def write(tables: dict[str, gpd.GeoDataFrame], folder: Path, *, testbed: Path | None = None) -> dict[str, Path]:
    """Write each table to ``<folder>/<name>.gpkg``, layer ``<name>``, and the network.

    Parameters
    ----------
    tables
        Output of :func:`derive`.
    folder
        Target folder (created when missing). Existing files are replaced.
    testbed
        The test bed folder: its OpenStreetMap extract is copied, byte for byte, to
        ``<folder>/helsinki_center.osm.pbf`` (the network). ``None``: not copied.

    Returns
    -------
    dict of str to pathlib.Path
        The written file per table (and ``network`` when copied).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    # a fixed GeoPackage "last_change" stamp makes the files byte-for-byte reproducible
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        for name, table in tables.items():
            path = folder / f"{name}.gpkg"
            path.unlink(missing_ok=True)
            table.to_crs(OUTPUT_CRS).to_file(path, layer=name, driver="GPKG", engine="pyogrio")
            written[name] = path
            logger.info("wrote %s (%d rows, %d bytes)", path, len(table), path.stat().st_size)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    if testbed is not None:
        written["network"] = folder / PBF_FILE
        shutil.copyfile(Path(testbed) / PBF_FILE, written["network"])
        logger.info("copied %s (%d bytes)", written["network"], written["network"].stat().st_size)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: derive the tables and write them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--testbed", type=Path, required=True, help="folder of the Helsinki test bed")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    write(derive(args.testbed), args.out, testbed=args.testbed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
