"""The validated input tables, as the rest of the pipeline sees them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyproj

if TYPE_CHECKING:
    from optimizer.inputs.elevation import ElevationModel


@dataclass(frozen=True)
class Inputs:
    """Validated inputs in one metric analysis CRS.

    Every GeoDataFrame has a RangeIndex 0..n-1 (row position = index used by reach and
    the model), the canonical columns of :mod:`optimizer.inputs.schema` (optional
    columns filled with their defaults; optional number columns NaN when absent) and
    Point geometries (polygons reduced to a representative point; the original
    geometry's area is used for plots without ``area_m2``).

    Attributes
    ----------
    demand, sites, facilities
        Demand units, candidate sites, running facilities (possibly empty).
    network
        Walk network edges (LineString, possibly with Z), or ``None``.
    od_table
        Canonical OD table (``unit_id``, ``site_id``, ``minutes`` and/or ``metres``), or ``None``.
    crs
        The analysis CRS.
    file_hashes
        SHA-256 of every file read, by the path the scenario gave.
    elevation
        The digital elevation model (``inputs.elevation``), opened and checked, or
        ``None``. Its values are sampled where needed (network nodes), not read here.
    circles
        The life circles (polygons: ``circle_id``, ``name``, ``type``, ``subdistrict``,
        ``target_year``), or ``None`` when the scenario gives none.
    requests
        The market-demand ledger (市场需求一本账, ``inputs.requests``): residents' requests
        (``request_id``, ``community``, ``circle_id``, ``service``, ``count``, ``channel``,
        ``date``), or ``None`` when the scenario gives none.
    shared_garages
        Garages offered to residents off-hours (错时共享停车, ``inputs.shared_garages``:
        ``garage_id``, ``name``, ``owner``, ``places``, ``hours``, ``lease_per_space_year``,
        ``fixed_cost``, ``circle_id``, ``district``), as points, or ``None``. They join the
        sites through :func:`optimizer.rules.shared_parking.join_shared_garages`.
    """

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: gpd.GeoDataFrame | None
    od_table: pd.DataFrame | None
    crs: pyproj.CRS
    file_hashes: dict[str, str] = field(default_factory=dict)
    elevation: ElevationModel | None = None
    circles: gpd.GeoDataFrame | None = None
    requests: pd.DataFrame | None = None
    shared_garages: gpd.GeoDataFrame | None = None
