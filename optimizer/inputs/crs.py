"""The metric analysis CRS, and reprojection of the input tables to it."""
from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..errors import InputError, Problem
from .read import crs_label

logger = logging.getLogger(__name__)

#: ``Problem.file`` of problems with the scenario's ``crs:`` key.
SCENARIO = "scenario"
_METRE_UNITS = frozenset({"metre", "meter", "m"})


def is_metric(crs: pyproj.CRS) -> bool:
    """Whether ``crs`` is projected with both horizontal axes in metres."""
    if not crs.is_projected:
        return False
    units = [axis.unit_name.lower() for axis in crs.axis_info[:2]]
    return len(units) == 2 and all(unit in _METRE_UNITS for unit in units)


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """The WGS 84 / UTM zone CRS (EPSG:326xx north, 327xx south) containing a point.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    pyproj.CRS
        The standard 6-degree zone (no Norway/Svalbard exceptions).
    """
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def choose_analysis_crs(gdf: gpd.GeoDataFrame, requested: str | None) -> pyproj.CRS:
    """The metric CRS the analysis runs in.

    Parameters
    ----------
    gdf
        The demand units, in any CRS (it must have one unless ``requested`` is given).
    requested
        The scenario's ``crs:`` (e.g. ``"EPSG:4547"``), or ``None``.

    Returns
    -------
    pyproj.CRS
        ``requested`` when given; otherwise the UTM zone of the centre of ``gdf``'s
        bounding box.

    Raises
    ------
    InputError
        When ``requested`` is unknown or not projected in metres, or when no CRS can be
        estimated (``gdf`` has no CRS or no geometry).
    """
    if requested is not None:
        try:
            crs = pyproj.CRS.from_user_input(requested)
        except pyproj.exceptions.CRSError:
            raise InputError([Problem(SCENARIO, f"crs: unknown CRS {requested!r} (e.g. EPSG:32648)")]) from None
        if not is_metric(crs):
            kind = "geographic (degrees)" if crs.is_geographic else "not projected in metres"
            raise InputError([Problem(SCENARIO, f"crs: {requested} ({crs.name}) is {kind}; the analysis CRS must "
                                                "be a projected CRS in metres, e.g. the local UTM zone, or leave "
                                                "crs: out to use it")])
        logger.info("analysis CRS: %s (requested)", crs_label(crs))
        return crs
    if gdf.crs is None:
        raise InputError([Problem(SCENARIO, "cannot choose an analysis CRS: the demand table has no CRS")])
    geometry = gdf.geometry.to_numpy()
    usable = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    if not usable.any():
        raise InputError([Problem(SCENARIO, "cannot choose an analysis CRS: the demand table has no geometry")])
    minx, miny, maxx, maxy = shapely.total_bounds(geometry[usable])
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise InputError([Problem(SCENARIO, "cannot choose an analysis CRS: the demand coordinates are not finite")])
    to_lonlat = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError([Problem(SCENARIO, "cannot choose an analysis CRS: the demand's centre has no "
                                            f"longitude/latitude in {crs_label(gdf.crs)}")])
    crs = utm_crs(float(lon), float(lat))
    logger.info("analysis CRS: %s (UTM zone of the demand's centre %.4f, %.4f)", crs_label(crs), lon, lat)
    return crs


def to_analysis_crs(frame: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Reproject a table to the analysis CRS (Z coordinates are kept).

    Parameters
    ----------
    frame
        A table with a CRS.
    crs
        The analysis CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``frame`` itself when already in ``crs``, else a reprojected copy.
    """
    if frame.crs is not None and frame.crs.equals(crs):
        return frame
    return frame.to_crs(crs)
