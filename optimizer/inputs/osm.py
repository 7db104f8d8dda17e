"""Walkable street and footpath edges read from a local OpenStreetMap file.

:func:`read_osm_walk_edges` reads an ``.osm.pbf`` (or ``.osm``, ``.osm.bz2``,
``.osm.gz``) with pyosmium; nothing is ever downloaded. Ways a pedestrian may use are
kept (:func:`walkable_ways` states the rule) and split where they meet another kept
way, so that every edge runs from one intersection (or dead end) to the next.

The walkable rule, close to OSMnx's ``walk`` network (``osmnx/_overpass.py``):

* **kept** ``highway`` values: footway, path, pedestrian, steps, living_street,
  residential, service, unclassified, tertiary(_link), secondary(_link),
  primary(_link), track, cycleway, bridleway, corridor, road, elevator, and ``trail``
  (not a documented OSM value, but used for unnamed footpaths in some extracts, e.g.
  Helsinki's; pyrosm keeps it too). Elevators are walked over their mapped length at
  flat speed (the wait is not modelled). Cycleways are kept (OSMnx drops them):
  pedestrians may walk on most of them unless ``foot=no``.
* **motorway, trunk** (and their ``_link``) and roads tagged ``motorroad=yes``: only
  with ``foot=yes/designated/permissive``.
* **never**: construction, proposed, planned, abandoned, disused, razed, platform,
  raceway, bus_guideway, busway, escape, escalator, via_ferrata, and every highway
  value not listed above (they are counted in the summary, so nothing disappears
  silently).
* **access**: ``foot=no`` or ``foot=private`` drops a way; ``access=no/private`` and
  ``service=private`` drop it unless ``foot=yes/designated/permissive``. Other access
  values (destination, customers, delivery, permissive, ...) keep it: a resident can
  walk there.
* **areas**: a closed way with ``area=yes`` (a pedestrian square, a footway area) or a
  closed ``highway=pedestrian`` is kept as its outline: people walk along the edge of
  a square, not across it. Multipolygon relations are not read.
* **one-way**: pedestrians walk both ways (as in OSMnx's walk networks) except where
  ``oneway:foot=yes``, or ``oneway=yes`` on footway, path, steps or pedestrian ways;
  ``-1`` reverses the way, so that an edge's drawn direction is always the walkable one.

A way that runs out of the extract (nodes without coordinates) keeps the parts whose
nodes are in the file.
"""
from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from optimizer.errors import InputError, Problem

logger = logging.getLogger(__name__)

#: File name endings read as OpenStreetMap data (pyosmium picks the format from them).
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")

#: ``highway`` values a pedestrian may walk on.
WALKABLE_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "track", "cycleway", "bridleway", "corridor", "road", "elevator", "trail",
})
#: ``highway`` values walkable only where ``foot`` allows it explicitly.
MOTOR_ROADS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
#: ``foot`` values that allow walking whatever ``access`` or the road type say.
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
#: ``foot`` values that forbid walking.
FOOT_FORBIDDEN = frozenset({"no", "private"})
#: ``access`` values that forbid walking unless ``foot`` allows it.
ACCESS_FORBIDDEN = frozenset({"no", "private"})
#: Ways whose ``oneway=yes`` binds pedestrians too (elsewhere ``oneway`` is for vehicles).
FOOT_ONEWAY_HIGHWAYS = frozenset({"footway", "path", "steps", "pedestrian"})

#: Tags read from each ``highway`` way.
TAG_KEYS = ("highway", "foot", "access", "service", "motorroad", "area", "oneway", "oneway:foot",
            "name", "incline")

_YES = frozenset({"yes", "true", "1"})
_REVERSE = frozenset({"-1", "reverse"})
_GEOD = pyproj.Geod(ellps="WGS84")


def is_osm_file(path: str | Path) -> bool:
    """Whether ``path`` names an OpenStreetMap file by its ending (``.osm.pbf``, ``.osm``, ...)."""
    return str(path).lower().endswith(OSM_SUFFIXES)


def walkable_ways(tags: pd.DataFrame) -> np.ndarray:
    """Which ways a pedestrian may walk on, by their OSM tags (the rule of this module).

    Parameters
    ----------
    tags
        One row per way; columns named like OSM keys (``highway``, ``foot``,
        ``access``, ``service``, ``motorroad``); missing columns and blank cells are
        absent tags. Values are compared stripped and lower-cased.

    Returns
    -------
    numpy.ndarray
        Boolean, one per row.
    """
    def tag(key: str) -> pd.Series:
        if key not in tags.columns:
            return pd.Series("", index=tags.index, dtype="string")
        return tags[key].astype("string").str.strip().str.lower().fillna("")

    highway, foot, access = tag("highway"), tag("foot"), tag("access")
    foot_ok = foot.isin(FOOT_ALLOWED)
    keep = highway.isin(WALKABLE_HIGHWAYS) | (highway.isin(MOTOR_ROADS) & foot_ok)
    keep &= ~(tag("motorroad").isin(_YES) & ~foot_ok)
    keep &= ~foot.isin(FOOT_FORBIDDEN)
    keep &= ~(access.isin(ACCESS_FORBIDDEN) & ~foot_ok)
    keep &= ~((tag("service") == "private") & ~foot_ok)
    return keep.to_numpy(dtype=bool)


def foot_direction(tags: pd.DataFrame) -> np.ndarray:
    """Direction a pedestrian may walk a way: 0 both ways, 1 as drawn, -1 against it.

    Parameters
    ----------
    tags
        One row per way with columns ``highway``, ``oneway`` and ``oneway:foot`` (any
        may be missing).

    Returns
    -------
    numpy.ndarray
        int8 per row. ``oneway:foot`` decides where given; else ``oneway`` on
        footway, path, steps and pedestrian ways; elsewhere pedestrians walk both ways.
    """
    def tag(key: str) -> pd.Series:
        if key not in tags.columns:
            return pd.Series("", index=tags.index, dtype="string")
        return tags[key].astype("string").str.strip().str.lower().fillna("")

    foot = tag("oneway:foot")
    rule = foot.where(foot != "", tag("oneway").where(tag("highway").isin(FOOT_ONEWAY_HIGHWAYS), ""))
    direction = np.where(rule.isin(_YES), 1, np.where(rule.isin(_REVERSE), -1, 0))
    return direction.astype(np.int8)


def read_osm_walk_edges(path: str | Path) -> gpd.GeoDataFrame:
    """Walkable edges of a local OpenStreetMap file, split at intersections.

    Parameters
    ----------
    path
        An ``.osm.pbf`` file (``.osm``, ``.osm.bz2`` and ``.osm.gz`` work too). Read
        locally; nothing is downloaded.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per edge, in the order of the ways in the file. Columns
        ``osm_way_id`` (int64), ``u``, ``v`` (OSM node ids at the edge's start and end,
        int64), ``highway``, ``steps`` (bool, ``highway=steps``), ``oneway_foot`` (bool:
        walkable only in the drawn direction; ``oneway=-1`` ways are drawn reversed),
        ``area_outline`` (bool: part of the outline of a pedestrian area), ``name``,
        ``incline`` (text or None), ``length_m`` (geodesic metres on the
        WGS 84 ellipsoid) and LineString geometry (lon, lat). Every edge runs between
        two nodes that are a way end or shared with another kept way (or met twice by
        one way); a closed way that nothing else splits is cut at its middle vertex,
        so no edge starts and ends at the same node. ``attrs["osm_summary"]`` holds
        the counts logged at INFO (ways read, walkable ways, edges, nodes, stairs, ...).

    Raises
    ------
    InputError
        The file is missing, cannot be read as OpenStreetMap data, has no ways, has
        ways of which none is walkable (saying how many and which ``highway`` values
        it has), or walkable ways whose nodes are all missing from the file.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        message = "is a folder, not an OpenStreetMap file" if path.is_dir() else "file not found"
        raise InputError([Problem(file=file, message=message)])
    ways = _read_highway_ways(path)
    if ways.n_ways == 0:
        raise InputError([Problem(file=file, message=f"has no ways ({_count_nodes(path)} node(s)): "
                                                     "there are no streets or paths to walk on")])
    tags = pd.DataFrame(ways.tags, columns=list(TAG_KEYS), dtype="string")
    keep = walkable_ways(tags)
    if not keep.any():
        seen = tags["highway"].value_counts()
        listing = ", ".join(f"{value} {count}" for value, count in seen.items()) or "none"
        raise InputError([Problem(file=file, column="highway",
                                  message=f"none of its {ways.n_ways} ways is walkable "
                                          f"({len(ways.tags)} have a highway tag; highway values: {listing})")])
    edges, summary = _split_ways(ways, tags, keep)
    if edges.empty:
        raise InputError([Problem(file=file, message=f"its {summary['walkable_ways']} walkable way(s) have no two "
                                                     "nodes with coordinates in the file (their nodes are missing "
                                                     "from the extract): there is nothing to walk on")])
    skipped = tags.loc[~keep, "highway"].value_counts()
    summary = {"ways": ways.n_ways, "highway_ways": len(ways.tags), **summary,
               "skipped_highway": {str(k): int(v) for k, v in skipped.items()}}
    logger.info("%s: %d ways read, %d with a highway tag, %d walkable; %d edges, %d nodes, %d stairs edges, "
                "%d one-way edges, %d pedestrian area outline(s)", path.name, summary["ways"],
                summary["highway_ways"], summary["walkable_ways"], summary["edges"], summary["nodes"],
                summary["stairs_edges"], summary["oneway_edges"], summary["area_outlines"])
    if summary["skipped_highway"]:
        logger.info("%s: ways not walkable, by highway value: %s", path.name,
                    ", ".join(f"{k or '(blank)'} {v}" for k, v in summary["skipped_highway"].items()))
    if summary["ways_cut_by_extract"]:
        logger.info("%s: %d walkable way(s) leave the extract (nodes without coordinates): their parts in "
                    "the file are kept", path.name, summary["ways_cut_by_extract"])
    edges.attrs["osm_summary"] = summary
    return edges


class _HighwayWays:
    """The ``highway`` ways of a file as flat arrays (one entry per node reference)."""

    def __init__(self) -> None:
        self.n_ways = 0
        self.way_id: list[int] = []
        self.closed: list[bool] = []
        self.tags: list[tuple[str | None, ...]] = []
        self.sizes: list[int] = []
        self.refs: list[int] = []
        self.lon: list[float] = []
        self.lat: list[float] = []


def _read_highway_ways(path: Path) -> _HighwayWays:
    """Read every way with a ``highway`` tag, with its node ids and coordinates."""
    import osmium  # imported here: only OSM inputs need it

    out = _HighwayWays()
    nan = float("nan")
    processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                 .with_locations()
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)))
    try:
        for way in processor:
            out.n_ways += 1
            tags = way.tags
            if "highway" not in tags:
                continue
            out.way_id.append(way.id)
            out.tags.append(tuple(tags.get(key) for key in TAG_KEYS))
            nodes = way.nodes
            out.sizes.append(len(nodes))
            out.closed.append(len(nodes) > 2 and nodes[0].ref == nodes[len(nodes) - 1].ref)
            for node in nodes:
                out.refs.append(node.ref)
                location = node.location
                if location.valid():
                    out.lon.append(location.lon)
                    out.lat.append(location.lat)
                else:
                    out.lon.append(nan)
                    out.lat.append(nan)
    except RuntimeError as exc:
        raise InputError([Problem(file=str(path), message="cannot be read as OpenStreetMap data (.osm.pbf, "
                                                          f".osm, .osm.bz2): {str(exc).strip()[:300]}")]) from None
    return out


def _count_nodes(path: Path) -> int:
    """Number of nodes in a file (only used to explain a file without ways)."""
    import osmium

    return sum(1 for _ in osmium.FileProcessor(str(path), osmium.osm.NODE))


def _split_ways(ways: _HighwayWays, tags: pd.DataFrame, keep: np.ndarray) -> tuple[gpd.GeoDataFrame, dict]:
    """Edges of the kept ways, split at shared nodes; and their counts."""
    sizes = np.asarray(ways.sizes, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    kept = np.flatnonzero(keep)
    direction = foot_direction(tags)[kept]
    k_sizes, k_starts = sizes[kept], starts[kept]
    # Gather the node references of the kept ways, reversing the ways drawn against
    # their walkable direction (oneway=-1).
    way_of = np.repeat(np.arange(kept.size), k_sizes)
    first = np.concatenate([[0], np.cumsum(k_sizes)[:-1]])
    offset = np.arange(way_of.size) - first[way_of]
    reverse = direction[way_of] < 0
    offset = np.where(reverse, k_sizes[way_of] - 1 - offset, offset)
    source = k_starts[way_of] + offset
    refs = np.asarray(ways.refs, dtype=np.int64)[source]
    lon = np.asarray(ways.lon, dtype=np.float64)[source]
    lat = np.asarray(ways.lat, dtype=np.float64)[source]

    # Positions kept: nodes with coordinates, not repeating the previous node of the way.
    located = np.isfinite(lon) & np.isfinite(lat)
    new_way = np.ones(refs.size, dtype=bool)
    new_way[1:] = way_of[1:] != way_of[:-1]
    repeat = np.zeros(refs.size, dtype=bool)
    repeat[1:] = ~new_way[1:] & (refs[1:] == refs[:-1])
    ways_cut = int(np.unique(way_of[~located]).size)
    # A run is a stretch of consecutive located nodes of one way.
    run_start = located & (new_way | np.concatenate([[True], ~located[:-1]]))
    run = np.cumsum(run_start) - 1
    use = located & ~repeat
    refs, lon, lat, way_of, run = refs[use], lon[use], lat[use], way_of[use], run[use]

    n = refs.size
    first_of_run = np.ones(n, dtype=bool)
    first_of_run[1:] = run[1:] != run[:-1]
    last_of_run = np.ones(n, dtype=bool)
    last_of_run[:-1] = run[1:] != run[:-1]
    _, node_index, node_count = np.unique(refs, return_inverse=True, return_counts=True)
    split = first_of_run | last_of_run | (node_count[node_index.reshape(-1)] > 1)

    a, b = _edge_ends(split, run)
    loop = refs[a] == refs[b]
    if loop.any():  # closed ways that nothing else splits: cut at the middle vertex
        split[(a[loop] + b[loop]) // 2] = True
        a, b = _edge_ends(split, run)

    n_vertices = b - a + 1
    edge_of_vertex = np.repeat(np.arange(a.size), n_vertices)
    vertex = a[edge_of_vertex] + np.arange(edge_of_vertex.size) - np.repeat(np.cumsum(n_vertices) - n_vertices,
                                                                            n_vertices)
    geometry = shapely.linestrings(np.column_stack([lon[vertex], lat[vertex]]), indices=edge_of_vertex)
    # Geodesic length: the segments between consecutive vertices of each edge.
    seg = vertex[:-1][edge_of_vertex[1:] == edge_of_vertex[:-1]]
    seg_edge = edge_of_vertex[:-1][edge_of_vertex[1:] == edge_of_vertex[:-1]]
    _, _, seg_len = _GEOD.inv(lon[seg], lat[seg], lon[seg + 1], lat[seg + 1])
    length = np.bincount(seg_edge, weights=np.asarray(seg_len, dtype=np.float64), minlength=a.size)

    area = tags["area"].fillna("").str.lower().isin(_YES).to_numpy(dtype=bool)
    closed = np.asarray(ways.closed, dtype=bool)
    outline = closed[kept] & (area[kept] | (tags["highway"].to_numpy(dtype=object)[kept] == "pedestrian"))
    way = way_of[a]  # index into the kept ways
    row = kept[way]  # index into all highway ways
    highway = tags["highway"].to_numpy(dtype=object)[row]
    edges = gpd.GeoDataFrame({
        "osm_way_id": np.asarray(ways.way_id, dtype=np.int64)[row],
        "u": refs[a],
        "v": refs[b],
        "highway": highway.astype(str),
        "steps": highway == "steps",
        "oneway_foot": direction[way] != 0,
        "area_outline": outline[way],
        "name": tags["name"].to_numpy(dtype=object)[row],
        "incline": tags["incline"].to_numpy(dtype=object)[row],
        "length_m": length,
    }, geometry=geometry, crs="EPSG:4326")
    for column in ("name", "incline"):
        edges[column] = edges[column].astype(object).where(edges[column].notna(), None)

    summary = {
        "walkable_ways": int(kept.size),
        "edges": len(edges),
        "nodes": int(np.unique(np.concatenate([refs[a], refs[b]])).size),
        "stairs_edges": int(edges["steps"].sum()),
        "oneway_edges": int(edges["oneway_foot"].sum()),
        "area_outlines": int(outline.sum()),
        "ways_cut_by_extract": ways_cut,
        "length_km": round(float(length.sum()) / 1000.0, 3),
    }
    return edges, summary


def _edge_ends(split: np.ndarray, run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions of the edges between consecutive split points of one run."""
    points = np.flatnonzero(split)
    same = run[points[1:]] == run[points[:-1]]
    return points[:-1][same], points[1:][same]
