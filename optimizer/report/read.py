"""Read a finished run folder (written by ``lifecircle solve``) for the report.

Every problem with the folder is collected and raised at once as an
:class:`~optimizer.errors.InputError` (exit 3) naming the file, the row and the column.
Optional files (``walk_vs_buffer.csv``, ``facility_reach.csv``, ``frontier.csv``,
``requirements.csv``, the ``existing_facilities`` layer) are ``None`` when absent.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem

log = logging.getLogger(__name__)

#: what each table must hold (checked only when the table has rows)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "coverage_by_function.csv": ("function", "cohort", "people", "served_by_existing", "newly_covered",
                                 "unreached", "covered_share"),
    "coverage_by_circle.csv": ("circle_id", "function", "people", "served_by_existing", "newly_covered",
                               "covered_share_before", "covered_share_after"),
    "plan_sites.csv": ("site_id", "functions", "conversion_cost", "function_cost", "sharing_saving",
                       "total_cost", "lon", "lat"),
    "plan_facilities.csv": ("site_id", "function", "function_cost", "area_m2", "capacity", "lon", "lat"),
    "walk_vs_buffer.csv": ("function", "people", "threshold_min", "buffer_radius_m", "with_plan_covered_walking",
                           "with_plan_covered_buffer"),
    "facility_reach.csv": ("site_id", "function", "unit_id", "minutes"),
    "frontier.csv": ("budget", "status", "proven_optimal"),
}
#: keys of run.json the report states
RUN_KEYS = ("status", "proven_optimal", "objective", "plan", "check", "scenario")
#: the statuses of a demand unit in the ``demand_coverage`` layer
STATUSES = ("existing", "new", "unreached")


@dataclass(frozen=True)
class RunFolder:
    """A run folder's contents, as read.

    Attributes
    ----------
    path
        The run folder.
    record
        ``run.json``.
    coverage, by_circle, sites, facilities
        ``coverage_by_function.csv``, ``coverage_by_circle.csv``, ``plan_sites.csv``,
        ``plan_facilities.csv``.
    demand
        Layer ``demand_coverage`` of ``plan.gpkg`` (EPSG:4326 points with ``<function>_status``).
    existing
        Layer ``existing_facilities`` (or ``None``: the scenario has none).
    walk_vs_buffer, reach, frontier, requirements
        The optional tables, or ``None``.
    frontier_source
        Where ``frontier`` was read from.
    """

    path: Path
    record: dict
    coverage: pd.DataFrame
    by_circle: pd.DataFrame
    sites: pd.DataFrame
    facilities: pd.DataFrame
    demand: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame | None = None
    walk_vs_buffer: pd.DataFrame | None = None
    reach: pd.DataFrame | None = None
    frontier: pd.DataFrame | None = None
    requirements: pd.DataFrame | None = None
    frontier_source: str | None = None

    @property
    def functions(self) -> list[str]:
        """The planned functions, in the run's order."""
        return [str(f) for f in self.coverage["function"]]


def _csv(path: Path, problems: list[Problem], required: bool = True) -> pd.DataFrame | None:
    if not path.is_file():
        if required:
            problems.append(Problem(str(path), "missing: is the folder a run written by `lifecircle solve`?"))
        return None
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype={"site_id": str, "unit_id": str, "circle_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), f"cannot be read as CSV: {str(exc).strip().splitlines()[0]}"))
        return None
    need = REQUIRED_COLUMNS.get(path.name, ())
    if len(df) == 0 and set(df.columns) <= {"site_id"}:  # an empty plan writes only its header
        return pd.DataFrame({c: [] for c in need})
    for col in need:
        if col not in df.columns:
            problems.append(Problem(str(path), "column is missing", column=col))
    return df


def _numeric(df: pd.DataFrame | None, path: Path, columns: tuple[str, ...], id_col: str | None,
             problems: list[Problem]) -> None:
    """Every value of ``columns`` must be a finite number; names the first few bad rows of each."""
    if df is None:
        return
    for col in columns:
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
        for i in bad[:5]:
            row = f"{id_col}={df[id_col].iloc[i]}" if id_col and id_col in df.columns else f"row {i + 2}"
            problems.append(Problem(str(path), f"not a number: {df[col].iloc[i]!r}", row=row, column=col))
        if len(bad) > 5:
            problems.append(Problem(str(path), f"... and {len(bad) - 5} more rows without a number", column=col))
        df[col] = values


def _layer(path: Path, layer: str, problems: list[Problem], required: bool) -> gpd.GeoDataFrame | None:
    import pyogrio

    if not path.is_file():
        if required:
            problems.append(Problem(str(path), "missing: is the folder a run written by `lifecircle solve`?"))
        return None
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a bad input
        problems.append(Problem(str(path), f"cannot be opened as a GeoPackage: {exc}"))
        return None
    if layer not in layers:
        if required:
            problems.append(Problem(str(path), "layer is missing", layer=layer))
        return None
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001
        problems.append(Problem(str(path), f"layer cannot be read: {exc}", layer=layer))
        return None
    if gdf.crs is None:
        problems.append(Problem(str(path), "layer has no coordinate reference system", layer=layer))
    return gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf


def _frontier_path(run_dir: Path, frontier: str | Path | None, problems: list[Problem]) -> Path | None:
    if frontier is None:
        own = run_dir / "frontier.csv"
        return own if own.is_file() else None
    p = Path(frontier)
    if p.is_dir():
        p = p / "frontier.csv"
    if not p.is_file():
        problems.append(Problem(str(p), "missing: give a frontier folder (from `lifecircle frontier`) "
                                "or its frontier.csv"))
        return None
    return p


def read_run_folder(run_dir: str | Path, frontier: str | Path | None = None) -> RunFolder:
    """Read ``run_dir`` (and a frontier folder or CSV); raise one error listing every problem.

    Parameters
    ----------
    run_dir
        A folder written by ``lifecircle solve`` (``OUT/<scenario>/<run id>/``).
    frontier
        Optional: a folder written by ``lifecircle frontier``, or its ``frontier.csv``.
        Without it, a ``frontier.csv`` inside ``run_dir`` is used when present.

    Raises
    ------
    InputError
        The folder or a file is missing, unreadable or lacks a column (exit 3).
    """
    run_dir = Path(run_dir)
    problems: list[Problem] = []
    if not run_dir.is_dir():
        raise InputError([Problem(str(run_dir), "run folder not found (give a folder written by "
                                  "`lifecircle solve`, e.g. outputs/yuzhong-demo/<run id>)")])
    record: dict = {}
    run_json = run_dir / "run.json"
    if not run_json.is_file():
        problems.append(Problem(str(run_json), "missing: is the folder a run written by `lifecircle solve`?"))
    else:
        try:
            record = json.loads(run_json.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(run_json), f"not valid JSON: {exc}"))
        else:
            if not isinstance(record, dict):
                problems.append(Problem(str(run_json), "not a JSON object"))
                record = {}
            for key in RUN_KEYS:
                if record and key not in record:
                    problems.append(Problem(str(run_json), f"key '{key}' is missing"))
    tables = {name: _csv(run_dir / name, problems) for name in
              ("coverage_by_function.csv", "coverage_by_circle.csv", "plan_sites.csv", "plan_facilities.csv")}
    optional = {name: _csv(run_dir / name, problems, required=False) for name in
                ("walk_vs_buffer.csv", "facility_reach.csv", "requirements.csv")}
    fpath = _frontier_path(run_dir, frontier, problems)
    front = None
    if fpath is not None:
        front = _csv(fpath, problems)
        if front is not None:
            if fpath.name != "frontier.csv":  # a renamed frontier table: the same columns
                problems.extend(Problem(str(fpath), "column is missing", column=c)
                                for c in REQUIRED_COLUMNS["frontier.csv"] if c not in front.columns)
    _numeric(tables["plan_sites.csv"], run_dir / "plan_sites.csv",
             ("lon", "lat", "conversion_cost", "function_cost", "sharing_saving", "total_cost"), "site_id", problems)
    _numeric(tables["plan_facilities.csv"], run_dir / "plan_facilities.csv",
             ("lon", "lat", "function_cost", "area_m2"), "site_id", problems)
    _numeric(tables["coverage_by_function.csv"], run_dir / "coverage_by_function.csv",
             ("people", "served_by_existing", "newly_covered", "unreached"), "function", problems)
    _numeric(optional["facility_reach.csv"], run_dir / "facility_reach.csv", ("minutes",), "site_id", problems)
    gpkg = run_dir / "plan.gpkg"
    demand = _layer(gpkg, "demand_coverage", problems, required=True)
    existing = _layer(gpkg, "existing_facilities", problems, required=False) if demand is not None else None
    coverage = tables["coverage_by_function.csv"]
    if demand is not None and coverage is not None and "function" in coverage.columns:
        if "unit_id" not in demand.columns:
            problems.append(Problem(str(gpkg), "column is missing", layer="demand_coverage", column="unit_id"))
        for f in coverage["function"].astype(str):
            col = f"{f}_status"
            if col not in demand.columns:
                problems.append(Problem(str(gpkg), "column is missing", layer="demand_coverage", column=col))
                continue
            bad = ~demand[col].isin(STATUSES)
            for i in np.flatnonzero(bad.to_numpy())[:5]:
                problems.append(Problem(str(gpkg), f"status {demand[col].iloc[i]!r} is not one of "
                                        f"{', '.join(STATUSES)}", layer="demand_coverage",
                                        row=f"unit_id={demand['unit_id'].iloc[i]}" if "unit_id" in demand
                                        else f"feature {i + 1}", column=col))
    if problems:
        raise InputError(problems)
    log.info("read run folder %s: %d sites, %d facilities, %d demand units", run_dir,
             len(tables["plan_sites.csv"]), len(tables["plan_facilities.csv"]), len(demand))
    return RunFolder(
        path=run_dir, record=record, coverage=coverage, by_circle=tables["coverage_by_circle.csv"],
        sites=tables["plan_sites.csv"], facilities=tables["plan_facilities.csv"], demand=demand,
        existing=existing, walk_vs_buffer=optional["walk_vs_buffer.csv"], reach=optional["facility_reach.csv"],
        frontier=front, requirements=optional["requirements.csv"],
        frontier_source=str(fpath) if fpath is not None else None)
