"""A clean walk network file from OpenStreetMap or an edges file (``lifecircle network build``).

Three steps, side effects at the ends: :func:`read_walk_edges` reads the source (an OSM
extract or any edges layer) and keeps the walkable edges; :func:`clean_walk_network`
projects them to a metric CRS, keeps the largest strongly connected part (every node
reaches every other, one-way edges honoured) and writes DEM elevations into the Z of
every vertex; :func:`write_network` writes the result as a GeoPackage layer atomically.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from optimizer.errors import InputError, Problem
from optimizer.inputs.crs import utm_crs
from optimizer.inputs.elevation import ElevationModel, sample_node_elevations
from optimizer.inputs.osm import is_osm_file, read_osm_walk_edges, walkable_ways
from optimizer.inputs.read import crs_label, read_table
from optimizer.inputs.schema import NETWORK_COLUMNS, LayerSpec
from optimizer.inputs.validate import validate_table
from optimizer.reach.network import build_walk_network

logger = logging.getLogger(__name__)

#: Layer name of the written network.
NETWORK_LAYER = "network"


@dataclass(frozen=True)
class CleanNetwork:
    """A walk network ready to be written and planned with.

    Attributes
    ----------
    edges
        Kept edges in ``crs`` (LineStrings; with Z from the DEM when one was given).
    crs
        The metric CRS of ``edges``.
    crs_reason
        Why this CRS (``"requested"`` or the UTM zone of the data's centre).
    counts
        ``ways`` and ``walkable_ways`` (OSM sources only), ``edges_read``, ``edges``,
        ``nodes``, ``stairs_edges``, ``oneway_edges``, ``dropped_edges``,
        ``length_km``.
    notes
        Plain-words facts: what the largest-part step dropped, elevation coverage.
    """

    edges: gpd.GeoDataFrame
    crs: pyproj.CRS
    crs_reason: str
    counts: dict[str, float]
    notes: tuple[str, ...] = field(default_factory=tuple)


def read_walk_edges(source: str | Path) -> gpd.GeoDataFrame:
    """Walkable edges of an OpenStreetMap file or of an edges layer, in its own CRS.

    Parameters
    ----------
    source
        An OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``: read by
        :func:`~optimizer.inputs.osm.read_osm_walk_edges`) or a GeoPackage, GeoJSON,
        Shapefile, ... of LineStrings (first layer). Of an edges layer with a
        ``highway`` column, the rows that column (with ``foot``, ``access``,
        ``service``, ``motorroad`` where present) marks as not walkable are left out;
        rows without a ``highway`` value are kept.

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString per row (multi-part lines split), canonical network columns
        (``highway``, ``steps``, ``length_m``, ``oneway_foot``) and the source's other
        columns. ``attrs["osm_summary"]`` for OSM sources.

    Raises
    ------
    InputError
        The file is missing or unreadable, has no CRS, bad values or geometries, or no
        walkable edge.
    """
    source = Path(source)
    if is_osm_file(source):
        return read_osm_walk_edges(source)
    frame, problems = read_table(LayerSpec(source), "network")
    if frame is None or problems:
        raise InputError(problems)
    clean, problems = validate_table(frame, NETWORK_COLUMNS, str(source), None, "network")
    if problems:
        raise InputError(problems)
    has_highway = clean["highway"].astype("string").str.strip().fillna("") != ""
    keep = ~has_highway.to_numpy() | walkable_ways(clean)
    if not keep.any():
        seen = clean["highway"].value_counts()
        raise InputError([Problem(str(source), column="highway",
                                  message=f"none of its {len(clean)} edges is walkable (highway values: "
                                          + ", ".join(f"{k} {v}" for k, v in seen.items()) + ")")])
    if not keep.all():
        logger.info("%s: %d of %d edges are not walkable by their highway/access tags and were left out",
                    source.name, int((~keep).sum()), len(clean))
    edges = clean.loc[keep].explode(index_parts=False).reset_index(drop=True)
    return gpd.GeoDataFrame(edges, geometry=edges.geometry.name, crs=clean.crs)


def clean_walk_network(
    edges: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS | None = None,
    elevation: ElevationModel | None = None,
    missing_elevation: str = "error",
    source: str = "network",
) -> CleanNetwork:
    """Project walk edges, keep the largest connected part, and add DEM elevations.

    Parameters
    ----------
    edges
        Walkable edges with a CRS (:func:`read_walk_edges`).
    crs
        Metric CRS to project to; ``None``: the WGS 84 / UTM zone of the centre of the
        edges' extent.
    elevation
        A DEM sampled into the Z of every vertex; ``None`` keeps the edges' own Z.
    missing_elevation
        ``"error"`` or ``"flat"``: what to do when the DEM leaves some of the kept
        nodes without an elevation (see
        :func:`~optimizer.inputs.elevation.sample_node_elevations`).
    source
        Name of the input, for messages.

    Returns
    -------
    CleanNetwork
        Only the edges of the largest strongly connected part (as
        :func:`~optimizer.reach.network.build_walk_network` keeps it), ``length_m``
        filled from the projected geometry where the source gave none.

    Raises
    ------
    InputError
        Edges without a CRS, bad geometries or lengths, or (with a DEM) nodes without
        an elevation as ``missing_elevation`` says.
    """
    if edges.crs is None:
        raise InputError([Problem(source, "the edges have no CRS", column="geometry")])
    reason = "requested"
    if crs is None:
        minx, miny, maxx, maxy = edges.to_crs("EPSG:4326").total_bounds
        crs = utm_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
        reason = f"UTM zone of the data's centre ({(minx + maxx) / 2:.4f}, {(miny + maxy) / 2:.4f})"
    metric = edges.to_crs(crs).reset_index(drop=True)
    length = metric["length_m"].to_numpy(dtype=np.float64, na_value=np.nan) if "length_m" in metric else None
    if length is None or np.isnan(length).any():
        geom_length = shapely.length(metric.geometry.to_numpy())
        metric["length_m"] = geom_length if length is None else np.where(np.isnan(length), geom_length, length)

    net = build_walk_network(metric, use_slope=False, source=source)
    kept = metric.iloc[net.kept_rows].reset_index(drop=True)
    notes = [n for n in net.notes if "dropped" in n]
    if elevation is not None:
        _, z_notes = sample_node_elevations(elevation, net.node_xy, crs, missing=missing_elevation, source=source,
                                            flat_option="--missing-elevation flat")
        notes += z_notes
        kept = kept.set_geometry(_with_z(kept.geometry.to_numpy(), elevation, crs), crs=crs)
    summary = edges.attrs.get("osm_summary", {})
    counts = {
        **({"ways": summary["ways"], "walkable_ways": summary["walkable_ways"]} if summary else {}),
        "edges_read": len(edges),
        "edges": len(kept),
        "nodes": net.n_nodes,
        "stairs_edges": net.n_stairs_edges,
        "oneway_edges": int(kept["oneway_foot"].astype(bool).sum()) if "oneway_foot" in kept else 0,
        "dropped_edges": len(edges) - len(kept),
        "length_km": round(float(kept["length_m"].sum()) / 1000.0, 3),
    }
    kept.attrs = {}
    logger.info("%s: %d of %d edges kept in the largest connected part (%d nodes) in %s", source, len(kept),
                len(edges), net.n_nodes, crs_label(crs))
    return CleanNetwork(edges=kept, crs=crs, crs_reason=reason, counts=counts, notes=tuple(notes))


def _with_z(lines: np.ndarray, elevation: ElevationModel, crs: pyproj.CRS) -> np.ndarray:
    """The lines with Z = DEM elevation at every vertex (NaN where the DEM has none)."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    z = elevation.sample(xy, crs)
    return shapely.linestrings(np.column_stack([xy, z]), indices=owner)


def write_network(edges: gpd.GeoDataFrame, out: str | Path) -> Path:
    """Write edges as the GeoPackage layer ``network``, atomically.

    Parameters
    ----------
    edges
        The network (:attr:`CleanNetwork.edges`).
    out
        The ``.gpkg`` to write; replaced when it exists. Its folder is created.

    Returns
    -------
    pathlib.Path
        ``out``. It is written to a temporary file beside it and renamed, so ``out``
        is never left half-written.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp.gpkg")
    try:
        edges.to_file(temporary, layer=NETWORK_LAYER, driver="GPKG", engine="pyogrio")
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("wrote %s [layer %s]: %d edges", out, NETWORK_LAYER, len(edges))
    return out
