"""Input tables: read, validate, reproject, cross-check; one error listing every problem.

:func:`load_inputs` is the entry point. It reads nothing but the files the scenario
names and writes nothing.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import InputError, Problem
from .crs import choose_analysis_crs, is_metric, to_analysis_crs, utm_crs
from .elevation import ElevationModel
from .garages import garage_problems
from .geography import geography_problems, network_reach_problems
from .read import SOURCE_ATTR, file_hashes, file_sha256, read_table
from .requests import check_requests
from .schema import (
    DEMAND_COLUMNS,
    FACILITY_COLUMNS,
    ROLE_COLUMNS,
    ColumnSpec,
    InputsSpec,
    LayerSpec,
)
from .types import Inputs
from .validate import check_references, split_functions, validate_table

__all__ = [
    "Inputs",
    "check_references",
    "choose_analysis_crs",
    "file_hashes",
    "file_sha256",
    "input_file_hashes",
    "input_layers",
    "is_metric",
    "load_inputs",
    "read_table",
    "split_functions",
    "to_analysis_crs",
    "utm_crs",
    "validate_table",
]

logger = logging.getLogger(__name__)

_POLYGON_TYPE_IDS = (3, 6)  # Polygon, MultiPolygon


def input_layers(spec) -> dict[str, LayerSpec | None]:
    """The scenario's input tables by role, in the order they are read (None: not given).

    Every table a run reads is here, so that what a run records as its inputs
    (:func:`input_file_hashes`) and what a batch compares to find a finished run are the same files.
    """
    return {
        "demand": spec.demand, "sites": spec.sites, "facilities": spec.facilities,
        "network": spec.network, "od_table": spec.od_table, "circles": spec.circles,
        "shared_garages": spec.shared_garages,
        "requests": spec.requests,
    }


def input_file_hashes(spec) -> dict[str, str]:
    """SHA-256 of every input file of ``spec`` (each table of :func:`input_layers` and the elevation model).

    What :func:`load_inputs` records in ``Inputs.file_hashes`` (and a run folder in run.json),
    computed without reading the tables: a batch finds a finished run by it before solving.
    """
    hashes: dict[str, str] = {}
    for layer_spec in input_layers(spec).values():
        if layer_spec is not None:
            hashes.update(file_hashes(layer_spec.path))
    if spec.elevation is not None:
        hashes.update(file_hashes(spec.elevation.path))
    return hashes


def load_inputs(
    spec: InputsSpec,
    *,
    function_names: set[str] | None = None,
    cohorts: set[str] | Mapping[str, Iterable[str]] | None = None,
) -> Inputs:
    """Read, validate and reproject every input table of a scenario.

    Parameters
    ----------
    spec
        The input tables and the analysis CRS.
    function_names
        The scenario's function names; when given, facilities' ``function`` and sites'
        ``allowed_functions`` must name them.
    cohorts
        Demand columns the functions serve (or cohort -> serving function names); when
        given, each must be a numeric demand column with a value in every row. Extra
        (non-canonical) cohort columns present in the demand file are checked as
        non-negative numbers.

    Returns
    -------
    Inputs
        Every table in the metric analysis CRS with a RangeIndex; polygons of demand,
        sites and facilities reduced to representative points (a plot without
        ``area_m2`` gets its polygon's area in the analysis CRS); network edges kept as
        (exploded) LineStrings with ``length_m`` filled from the geometry where absent;
        the OD table as a plain DataFrame; the elevation model opened and checked
        (exists, is a raster with a CRS and georeferencing; band 1 used, its nodata
        respected); SHA-256 of every file read. An OpenStreetMap network file gives its
        walkable edges (:func:`optimizer.inputs.osm.read_osm_walk_edges`), with
        ``oneway_foot`` set where pedestrians may walk only the drawn direction.

    Raises
    ------
    InputError
        Listing every problem of every file (missing files, layers, columns, bad
        values, duplicate ids, geometry, CRS, references), all at once.
    """
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    names: dict[str, tuple[str, str | None]] = {}
    served = _served_cohorts(cohorts)

    for role, layer_spec in input_layers(spec).items():
        if layer_spec is None:
            continue
        file = str(layer_spec.path)
        names[role] = (file, layer_spec.layer)
        hashes.update(file_hashes(layer_spec.path))
        frame, found = read_table(layer_spec, role)
        problems.extend(found)
        if frame is None:
            continue
        columns = _demand_columns(frame, served) if role == "demand" else ROLE_COLUMNS[role]
        clean, found = validate_table(frame, columns, file, layer_spec.layer, role)
        problems.extend(found)
        tables[role] = clean
    if "shared_garages" in tables:
        problems.extend(garage_problems(tables["shared_garages"], tables.get("sites"), *names["shared_garages"],
                                        names["sites"][0]))

    misplaced = geography_problems(tables, names)
    problems.extend(misplaced)

    elevation = None
    if spec.elevation is not None:
        hashes.update(file_hashes(spec.elevation.path))
        try:
            elevation = ElevationModel.open(spec.elevation.path, declared_crs=spec.elevation.crs)
        except InputError as error:
            problems.extend(error.problems)

    crs = _analysis_crs(spec, tables.get("demand"), problems)
    if crs is not None:
        for role, table in list(tables.items()):
            if isinstance(table, gpd.GeoDataFrame) and table.crs is not None:
                tables[role] = to_analysis_crs(table, crs)

    for role in ("demand", "sites", "facilities", "shared_garages"):
        table = tables.get(role)
        if isinstance(table, gpd.GeoDataFrame):
            tables[role] = _to_points(table, role, names[role], problems, metric=_is_in(table, crs))
    network = tables.get("network")
    if isinstance(network, gpd.GeoDataFrame) and _is_in(network, crs):
        tables["network"] = _fill_lengths(network)
        demand = tables.get("demand")
        if not misplaced and isinstance(demand, gpd.GeoDataFrame) and _is_in(demand, crs):
            problems.extend(network_reach_problems(demand, network, names))

    analysis_crs = crs if crs is not None else pyproj.CRS.from_epsg(4326)
    inputs = Inputs(
        demand=_geo(tables.get("demand"), DEMAND_COLUMNS, analysis_crs),
        sites=_geo(tables.get("sites"), ROLE_COLUMNS["sites"], analysis_crs),
        facilities=_geo(tables.get("facilities"), FACILITY_COLUMNS, analysis_crs),
        network=_geo(tables["network"], ROLE_COLUMNS["network"], analysis_crs) if "network" in tables else None,
        od_table=pd.DataFrame(tables["od_table"]) if "od_table" in tables else None,
        crs=analysis_crs,
        file_hashes=hashes,
        elevation=elevation,
        circles=_geo(tables["circles"], ROLE_COLUMNS["circles"], analysis_crs) if "circles" in tables else None,
        shared_garages=(_geo(tables["shared_garages"], ROLE_COLUMNS["shared_garages"], analysis_crs)
                        if "shared_garages" in tables else None),
        requests=_plain(tables.get("requests")),
    )
    problems.extend(check_references(
        inputs,
        set(function_names) if function_names is not None else None,
        served if served is not None else {},
        names,
    ))
    if "requests" in tables and "demand" in tables:
        requests, found = check_requests(tables["requests"], inputs.demand, function_names, *names["requests"])
        problems.extend(found)
        inputs = dataclasses.replace(inputs, requests=_plain(requests))
    if problems:
        logger.info("inputs: %d problem(s)", len(problems))
        raise InputError(problems)
    logger.info("inputs: %d demand units, %d sites, %d facilities%s%s%s in %s", len(inputs.demand),
                len(inputs.sites), len(inputs.facilities),
                f", {len(inputs.shared_garages)} shared garages" if inputs.shared_garages is not None else "",
                f", {len(inputs.network)} network edges" if inputs.network is not None else "",
                f", elevation model {inputs.elevation.path.name}" if inputs.elevation is not None else "",
                inputs.crs.name)
    return inputs


def _served_cohorts(cohorts: set[str] | Mapping[str, Iterable[str]] | None) -> dict[str, set[str]] | None:
    if cohorts is None:
        return None
    if isinstance(cohorts, Mapping):
        return {str(c): set(f) for c, f in cohorts.items()}
    return {str(c): set() for c in cohorts}


def _demand_columns(frame: pd.DataFrame, served: Mapping[str, object] | None) -> tuple[ColumnSpec, ...]:
    """Demand columns, with served cohorts required and extra cohort columns checked as numbers."""
    if not served:
        return DEMAND_COLUMNS
    columns = [dataclasses.replace(c, required=True) if c.name in served and c.name in frame.columns else c
               for c in DEMAND_COLUMNS]
    known = {c.name for c in DEMAND_COLUMNS}
    for cohort in sorted(served):
        if cohort not in known and cohort in frame.columns:
            columns.append(ColumnSpec(cohort, "number", True, f"cohort '{cohort}' named by the scenario",
                                      nonnegative=True))
    return tuple(columns)


def _analysis_crs(spec: InputsSpec, demand: pd.DataFrame | None, problems: list[Problem]) -> pyproj.CRS | None:
    usable = isinstance(demand, gpd.GeoDataFrame) and demand.crs is not None
    if spec.crs is None and not usable:
        return None  # the reason (missing file, CRS or coordinates) is already a problem
    try:
        return choose_analysis_crs(demand if usable else gpd.GeoDataFrame(geometry=[]), spec.crs)
    except InputError as error:
        problems.extend(error.problems)
        return None


def _is_in(table: gpd.GeoDataFrame, crs: pyproj.CRS | None) -> bool:
    return crs is not None and table.crs is not None and table.crs.equals(crs)


def _to_points(table: gpd.GeoDataFrame, role: str, where: tuple[str, str | None], problems: list[Problem],
               *, metric: bool) -> gpd.GeoDataFrame:
    """Polygons -> representative points; plots without ``area_m2`` get their polygon's area."""
    geometry = table.geometry.to_numpy()
    usable = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    polygon = usable & np.isin(shapely.get_type_id(geometry), _POLYGON_TYPE_IDS)
    table = table.copy()
    if role == "sites" and "kind" in table.columns and "area_m2" in table.columns:
        needs_area = (table["kind"] == "plot").to_numpy() & table["area_m2"].isna().to_numpy()
        if metric:
            fill = needs_area & polygon
            area = table["area_m2"].to_numpy(dtype=float).copy()
            area[fill] = shapely.area(geometry[fill])
            table["area_m2"] = area
            if fill.any():
                logger.info("sites: %d plots take their polygon's area as area_m2", int(fill.sum()))
        point_plot = needs_area & usable & ~polygon
        if point_plot.any():
            file, layer = where
            ids = table["site_id"].astype(str).to_numpy(dtype=object)
            positions = np.flatnonzero(point_plot)
            for position in positions[:20]:
                problems.append(Problem(file, "a plot given as a point needs area_m2 (or give its polygon)", layer,
                                        f"site_id={ids[position]}", "area_m2"))
            if len(positions) > 20:
                problems.append(Problem(file, f"and {len(positions) - 20} more point plots without area_m2",
                                        layer, None, "area_m2"))
    if polygon.any():
        points = geometry.copy()
        points[polygon] = shapely.point_on_surface(geometry[polygon])
        table = table.set_geometry(gpd.GeoSeries(points, index=table.index, crs=table.crs))
        logger.info("%s: %d polygons reduced to representative points", role, int(polygon.sum()))
    return table.reset_index(drop=True)


def _fill_lengths(network: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``length_m`` from the (horizontal) geometry length where the file gives none."""
    length = network["length_m"].to_numpy(dtype=float).copy()
    missing = np.isnan(length)
    if missing.any():
        network = network.copy()
        length[missing] = shapely.length(network.geometry.to_numpy()[missing])
        network["length_m"] = length
    return network


def _plain(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """A plain table (the requests ledger) with a RangeIndex, or ``None`` when not given."""
    if table is None:
        return None
    frame = pd.DataFrame(table).reset_index(drop=True)
    frame.attrs.pop(SOURCE_ATTR, None)
    return frame


def _geo(table: pd.DataFrame | None, columns: tuple[ColumnSpec, ...], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """The table as a GeoDataFrame with a RangeIndex; an empty canonical one when absent."""
    if isinstance(table, gpd.GeoDataFrame):
        table = table.reset_index(drop=True)
        table.attrs.pop(SOURCE_ATTR, None)
        return table
    if table is not None:  # read, but without any geometry: problems were reported
        frame = pd.DataFrame(table).reset_index(drop=True)
        frame.attrs.pop(SOURCE_ATTR, None)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=crs))
    empty = validate_table(gpd.GeoDataFrame({c.name: [] for c in columns}, geometry=[], crs=crs),
                           columns, "", None, "facilities")[0]
    return empty.set_crs(crs, allow_override=True)

