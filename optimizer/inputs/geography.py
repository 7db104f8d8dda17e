"""Do the layers lie in the same place? CRS mistakes caught before they become an empty plan.

A GeoPackage labelled EPSG:3857 that holds longitude/latitude degrees, a lon/lat CSV
declared as EPSG:32648, a file whose longitude and latitude are swapped: each puts one
layer thousands of kilometres from the others, and without this check the plan comes out
empty ("PROVEN OPTIMAL, 0 sites") with only a warning. Two rules, chosen so that they
cannot fire on a real plan of a district or a city:

- two layers whose extents, in longitude/latitude, lie more than
  :data:`SEPARATE_KM` kilometres apart do not describe the same place;
- layers in a projected CRS (metres) whose coordinates all lie within +-180/+-90 and a
  few units of each other hold degrees labelled as metres (a whole district within a few
  metres of its projection's origin does not happen); named on their own when every
  layer is so (mislabelled alike, they overlap each other), else in the first rule's
  problem;

and, for the walk network, :func:`network_reach_problems`: more than
:data:`FAR_SHARE` of the demand units farther than :data:`FAR_FROM_NETWORK_M` from every
edge means the network is not the demand's. Each problem says where each layer lies, in
its own CRS and in longitude/latitude degrees.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..errors import Problem
from .read import crs_label

logger = logging.getLogger(__name__)

#: Layers whose extents lie farther apart than this (km) do not describe the same place.
SEPARATE_KM = 50.0
#: A demand unit farther than this from every network edge (metres) cannot walk on it.
FAR_FROM_NETWORK_M = 2000.0
#: Share of the demand units that may lie that far from the network before it is an error.
FAR_SHARE = 0.9
#: Degrees a district or a city spans at most (read as metres: a whole layer within a few metres).
DEGREE_SPAN = 5.0
#: Demand units looked at for the network rule (evenly spaced), at most.
SAMPLE_UNITS = 1000
#: The layers compared, in the order their problems are listed (the first present is the reference).
GEOGRAPHIC_ROLES = ("demand", "sites", "facilities", "shared_garages", "circles", "network")
_KM_PER_DEGREE_LAT = 110.574
_KM_PER_DEGREE_LON_AT_EQUATOR = 111.320


@dataclass(frozen=True)
class Extent:
    """Where a layer lies: its bounding box in its own CRS and in longitude/latitude degrees.

    Attributes
    ----------
    name
        The layer as a planner knows it: file name (and layer).
    file, layer
        Where it came from, for the problem.
    crs
        Its CRS.
    x0, y0, x1, y1
        Bounding box in ``crs``.
    lonlat
        Bounding box ``(lon0, lat0, lon1, lat1)`` in degrees, or ``None`` when it has none.
    """

    name: str
    file: str
    layer: str | None
    crs: pyproj.CRS
    x0: float
    y0: float
    x1: float
    y1: float
    lonlat: tuple[float, float, float, float] | None

    @property
    def degrees_as_metres(self) -> bool:
        """A projected CRS whose coordinates all lie within +-180/+-90 and :data:`DEGREE_SPAN` of each other.

        Degrees labelled as metres: a district's lon/lat span a fraction of a degree, which
        read as metres puts the whole district within a few metres of its projection's origin.
        """
        return (not self.crs.is_geographic and max(abs(self.x0), abs(self.x1)) <= 180.0
                and max(abs(self.y0), abs(self.y1)) <= 90.0
                and self.x1 - self.x0 <= DEGREE_SPAN and self.y1 - self.y0 <= DEGREE_SPAN)

    def where(self) -> str:
        """``x 106.5..106.6, y 29.5..29.6 in EPSG:3857 (near lon 0.0010, lat 0.0003)``."""
        text = f"x {_num(self.x0)}..{_num(self.x1)}, y {_num(self.y0)}..{_num(self.y1)} in {crs_label(self.crs)}"
        if self.crs.is_geographic:
            return text + f" (lon {(self.x0 + self.x1) / 2:.4f}, lat {(self.y0 + self.y1) / 2:.4f})"
        if self.lonlat is None:
            return text + " (no longitude/latitude there)"
        lon0, lat0, lon1, lat1 = self.lonlat
        return text + f" (near lon {(lon0 + lon1) / 2:.4f}, lat {(lat0 + lat1) / 2:.4f})"


def layer_extent(table: gpd.GeoDataFrame, file: str, layer: str | None) -> Extent | None:
    """Where a layer lies, or ``None`` when it has no CRS or no usable geometry.

    Parameters
    ----------
    table
        The layer, in its own CRS.
    file, layer
        Where it came from.

    Returns
    -------
    Extent or None
    """
    if table.crs is None or len(table) == 0:
        return None
    geometry = table.geometry.to_numpy()
    usable = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    if not usable.any():
        return None
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geometry[usable]))
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    lonlat: tuple[float, float, float, float] | None
    try:
        to_lonlat = pyproj.Transformer.from_crs(table.crs, "EPSG:4326", always_xy=True)
        box = to_lonlat.transform_bounds(x0, y0, x1, y1, densify_pts=11)
        lonlat = tuple(float(v) for v in box) if all(math.isfinite(v) for v in box) else None  # type: ignore[assignment]
    except (pyproj.exceptions.ProjError, ValueError):
        lonlat = None
    name = Path(file).name + (f" [layer {layer}]" if layer else "")
    return Extent(name, file, layer, table.crs, x0, y0, x1, y1, lonlat)


def gap_km(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Approximate distance in km between two longitude/latitude boxes (0 when they overlap)."""
    dlon = max(0.0, a[0] - b[2], b[0] - a[2])
    dlat = max(0.0, a[1] - b[3], b[1] - a[3])
    mid_lat = math.radians((max(a[1], b[1]) + min(a[3], b[3])) / 2.0)
    return math.hypot(dlon * _KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(mid_lat), dlat * _KM_PER_DEGREE_LAT)


def geography_problems(tables: Mapping[str, object], names: Mapping[str, tuple[str, str | None]]) -> list[Problem]:
    """Layers that do not lie where the others lie, and degrees labelled as metres.

    Parameters
    ----------
    tables
        Role -> the table as read and validated, in its own CRS (tables that are not
        GeoDataFrames, or have no CRS, are skipped: their problems are already known).
    names
        Role -> ``(file, layer)``.

    Returns
    -------
    list[Problem]
        For each layer farther than :data:`SEPARATE_KM` from the reference layer (the
        demand, else the first layer read), one problem naming both layers and where each
        lies, in its CRS and in longitude/latitude; when every layer holds degrees labelled
        as metres (:attr:`Extent.degrees_as_metres`), one problem per layer saying that its
        CRS seems to be wrong.
    """
    extents: dict[str, Extent] = {}
    for role in GEOGRAPHIC_ROLES:
        table = tables.get(role)
        if isinstance(table, gpd.GeoDataFrame) and role in names:
            extent = layer_extent(table, *names[role])
            if extent is not None:
                extents[role] = extent
    problems: list[Problem] = []
    named: set[str] = set()
    roles = list(extents)
    if len(roles) >= 2:
        near = {(a, b): _near(extents[a], extents[b]) for a in roles for b in roles if a != b}
        reference = roles[0]
        # the reference is the odd one out when it is far from every other layer and those agree
        others = roles[1:]
        odd_reference = all(near[(reference, o)] is False for o in others) and (
            extents[reference].degrees_as_metres
            or any(near[(a, b)] for a in others for b in others if a != b))
        for other in others:
            if near[(reference, other)] is not False:
                continue
            first, second = extents[reference], extents[other]
            blamed = first if odd_reference or first.degrees_as_metres else second
            apart = (f" (about {gap_km(first.lonlat, second.lonlat):,.0f} km apart)"
                     if first.lonlat is not None and second.lonlat is not None else "")
            problems.append(Problem(
                blamed.file,
                f"{first.name} lies at {first.where()}, {second.name} at {second.where()}: the layers do not "
                f"overlap{apart}; is the CRS right?{_hint(first)}{_hint(second)}",
                blamed.layer, None, "geometry"))
            named.update({first.name, second.name})
    every_layer_in_degrees = all(extent.degrees_as_metres for extent in extents.values())
    for extent in extents.values():  # all mislabelled alike: they overlap, and still lie off Africa
        if every_layer_in_degrees and extent.name not in named:
            problems.append(Problem(extent.file, f"{extent.name} lies at {extent.where()}: is the CRS right?"
                                    f"{_hint(extent)}", extent.layer, None, "geometry"))
    if problems:
        logger.info("geography: %d layer(s) do not lie where the others lie", len(problems))
    return problems


def network_reach_problems(demand: gpd.GeoDataFrame, network: gpd.GeoDataFrame,
                           names: Mapping[str, tuple[str, str | None]]) -> list[Problem]:
    """A walk network that most demand units cannot reach: not the demand's network.

    Parameters
    ----------
    demand, network
        Both in the metric analysis CRS.
    names
        Role -> ``(file, layer)``; ``"demand"`` and ``"network"`` are used.

    Returns
    -------
    list[Problem]
        One problem naming both layers' extents when more than :data:`FAR_SHARE` of the
        demand units (at most :data:`SAMPLE_UNITS` of them, evenly spaced) lie farther than
        :data:`FAR_FROM_NETWORK_M` from every edge; else none.
    """
    if demand.crs is None or network.crs is None or not demand.crs.equals(network.crs):
        return []
    points = demand.geometry.to_numpy()
    points = points[~(shapely.is_missing(points) | shapely.is_empty(points))]
    edges = network.geometry.to_numpy()
    edges = edges[~(shapely.is_missing(edges) | shapely.is_empty(edges))]
    if len(points) == 0 or len(edges) == 0:
        return []
    if len(points) > SAMPLE_UNITS:
        points = points[np.linspace(0, len(points) - 1, SAMPLE_UNITS).astype(int)]
    tree = shapely.STRtree(edges)
    found = tree.query_nearest(points, max_distance=FAR_FROM_NETWORK_M, return_distance=False)
    near = np.zeros(len(points), dtype=bool)
    near[found[0]] = True
    far_share = 1.0 - near.mean()
    if far_share <= FAR_SHARE:
        return []
    unit_extent = layer_extent(demand, *names["demand"])
    edge_extent = layer_extent(network, *names["network"])
    if unit_extent is None or edge_extent is None:
        return []
    file, layer = names["network"]
    return [Problem(file, f"{far_share:.0%} of the demand units lie farther than {FAR_FROM_NETWORK_M:,.0f} m from "
                          f"every edge of the walk network: {unit_extent.name} lies at {unit_extent.where()}, "
                          f"{edge_extent.name} at {edge_extent.where()}; is it the network of this district, "
                          "and is its CRS right?", layer, None, "geometry")]


def _near(a: Extent, b: Extent) -> bool | None:
    """Whether two layers lie within :data:`SEPARATE_KM`; ``None`` when one has no lon/lat."""
    if a.lonlat is None or b.lonlat is None:
        if a.degrees_as_metres != b.degrees_as_metres:
            return False
        return None
    return gap_km(a.lonlat, b.lonlat) <= SEPARATE_KM


def _hint(extent: Extent) -> str:
    if not extent.degrees_as_metres:
        return ""
    return (f" ({extent.name}: every coordinate lies within +-180/+-90, as longitude/latitude degrees do, but "
            f"{crs_label(extent.crs)} counts metres: if they are degrees, its CRS is EPSG:4326)")


def _num(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
