"""A finished run folder read back: its record (``run.json``), the plan's tables and, for the report, its map.

``lifecircle report``, ``lifecircle diff`` and ``lifecircle assess --run`` start from run folders
that ``lifecircle solve`` (or ``batch``) wrote with :mod:`optimizer.outputs.writers`. A run folder
is complete when it holds ``run.json`` (written last, inside a folder renamed into place at the
end) and the plan tables named in :data:`REQUIRED_TABLES`. The report reads more of it
(``read_run_folder(path, for_report=True)``): the layers of ``plan.gpkg`` and the optional tables
(``walk_vs_buffer.csv``, ``facility_reach.csv``, ``requirements.csv``, a frontier), which are
``None`` when absent.

A missing folder, a file or a hidden ``.<run id>.partial`` folder is refused at once; otherwise
every problem (a missing file, an unreadable ``run.json``, a missing column, a value that is not
a number, a bad demand status) is collected and raised together as one
:class:`~optimizer.errors.InputError` (exit 3) naming the file, the layer, the row and the
column. Nothing is guessed.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.rules.existing import NO_CIRCLE

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

#: Tables every finished run folder has (``run.json`` aside), with the columns each must hold.
REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "plan_facilities.csv": ("site_id", "function", "circle_id", "area_m2", "capacity", "function_cost"),
    "plan_sites.csv": ("site_id", "functions", "total_cost"),
    "coverage_by_function.csv": ("function", "cohort", "people", "served_by_existing", "newly_covered"),
    "coverage_by_circle.csv": ("circle_id", "function", "people", "served_by_existing", "newly_covered"),
}
#: The names of the required tables.
REQUIRED_FILES = tuple(REQUIRED_TABLES)
#: The further columns the report states, by table.
REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "coverage_by_function.csv": ("unreached", "covered_share"),
    "coverage_by_circle.csv": ("covered_share_before", "covered_share_after"),
    "plan_sites.csv": ("conversion_cost", "function_cost", "sharing_saving", "lon", "lat"),
    "plan_facilities.csv": ("lon", "lat"),
}
#: Tables the report uses when the run has them, with the columns each must hold.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "walk_vs_buffer.csv": ("function", "people", "threshold_min", "buffer_radius_m", "with_plan_covered_walking",
                           "with_plan_covered_buffer"),
    "facility_reach.csv": ("site_id", "function", "unit_id", "minutes"),
    "requirements.csv": (),
}
#: The columns a budget frontier table (``lifecircle frontier``) must hold.
FRONTIER_COLUMNS = ("budget", "status", "proven_optimal")
#: Columns that must hold finite numbers, by table, and the column naming a bad row.
NUMERIC_COLUMNS: dict[str, tuple[tuple[str, ...], str]] = {
    "plan_sites.csv": (("lon", "lat", "conversion_cost", "function_cost", "sharing_saving", "total_cost"),
                       "site_id"),
    "plan_facilities.csv": (("lon", "lat", "function_cost", "area_m2"), "site_id"),
    "coverage_by_function.csv": (("people", "served_by_existing", "newly_covered", "unreached"), "function"),
    "facility_reach.csv": (("minutes",), "site_id"),
}
#: Keys of ``run.json`` the report states (``scenario`` is what makes it a lifecircle run record).
RUN_KEYS = ("status", "proven_optimal", "objective", "plan", "check", "scenario")
#: The statuses of a demand unit in the ``demand_coverage`` layer.
STATUSES = ("existing", "new", "unreached")

#: Identifier columns read as text, never as numbers.
_TEXT_COLUMNS = {"site_id": str, "unit_id": str, "circle_id": str, "district": str, "function": str,
                 "cohort": str, "functions": str, "site_name": str, "kind": str}
_NOT_A_RUN = "missing: is the folder a run written by `lifecircle solve`?"


@dataclass(frozen=True)
class RunFolder:
    """One finished run, as written.

    Attributes
    ----------
    path
        The run folder.
    record
        ``run.json``.
    facilities
        ``plan_facilities.csv``: one row per planned facility (site x function).
    sites
        ``plan_sites.csv``: one row per converted site.
    coverage
        ``coverage_by_function.csv``.
    coverage_by_circle
        ``coverage_by_circle.csv``.
    demand
        Layer ``demand_coverage`` of ``plan.gpkg`` (EPSG:4326 points with ``<function>_status``);
        read for the report only, else ``None``.
    existing
        Layer ``existing_facilities`` (``None``: not read, or the scenario has none).
    walk_vs_buffer, reach, frontier, requirements
        The optional tables (``walk_vs_buffer.csv``, ``facility_reach.csv``, a frontier,
        ``requirements.csv``), or ``None``.
    frontier_source
        Where ``frontier`` was read from.
    """

    path: Path
    record: dict
    facilities: pd.DataFrame
    sites: pd.DataFrame
    coverage: pd.DataFrame
    coverage_by_circle: pd.DataFrame
    demand: gpd.GeoDataFrame | None = None
    existing: gpd.GeoDataFrame | None = None
    walk_vs_buffer: pd.DataFrame | None = None
    reach: pd.DataFrame | None = None
    frontier: pd.DataFrame | None = None
    requirements: pd.DataFrame | None = None
    frontier_source: str | None = None

    @property
    def name(self) -> str:
        """The run's scenario name and run id, e.g. ``yuzhong-demo/20260101T000000Z-1a2b3c4d``."""
        return f"{self.scenario_name}/{self.record.get('run_id', self.path.name)}"

    @property
    def scenario_name(self) -> str:
        """The run's scenario name (else the name of the folder holding the run)."""
        return str((self.record.get("scenario") or {}).get("name") or self.path.parent.name)

    @property
    def resolved(self) -> dict:
        """The run's resolved scenario (``run.json`` → ``scenario.resolved``)."""
        return dict((self.record.get("scenario") or {}).get("resolved") or {})

    @property
    def input_hashes(self) -> dict[str, str]:
        """SHA-256 of each input file, by the path the scenario gave."""
        return dict((self.record.get("inputs") or {}).get("files") or {})

    @property
    def mode(self) -> str:
        """The run's ``model.mode`` (``coverage`` when unstated)."""
        return str((self.resolved.get("model") or {}).get("mode") or "coverage")

    @property
    def total_cost(self) -> float:
        """What the plan's converted sites cost in all."""
        return float(self.sites["total_cost"].sum()) if len(self.sites) else 0.0

    @property
    def circles(self) -> set[str]:
        """Life circles the run's coverage table names."""
        return set(self.coverage_by_circle["circle_id"].astype(str)) if len(self.coverage_by_circle) else set()

    @property
    def districts(self) -> set[str]:
        """Districts of the run's converted sites (empty when the inputs name none)."""
        if "district" not in self.sites.columns:
            return set()
        return {d for d in self.sites["district"].fillna("").astype(str) if d.strip()}

    @property
    def functions(self) -> list[str]:
        """The planned functions, in the run's order."""
        return [str(f) for f in self.coverage["function"]]


def _read_table(path: Path, columns: tuple[str, ...], problems: list[Problem], required: bool = True
                ) -> pd.DataFrame | None:
    """A run table, identifiers as text; names the file when it is missing or unreadable, and each missing column.

    A table with no rows (an empty plan writes only its header) gets the missing columns, empty.
    """
    if not path.is_file():
        if required:
            problems.append(Problem(str(path), _NOT_A_RUN))
        return None
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=_TEXT_COLUMNS, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems.append(Problem(str(path), f"cannot be read as a run table ({first})"))
        return None
    for col in _TEXT_COLUMNS:  # a blank is an empty text, never NaN; only "" is blank ("NA" may be a name)
        if col in df.columns:
            df[col] = df[col].fillna("").astype(str)
    for col in ("circle_id", "site_id", "function"):
        if col in df.columns:
            df[col] = df[col].str.strip()
    if "circle_id" in df.columns:
        df["circle_id"] = df["circle_id"].replace("", NO_CIRCLE)
    for col in columns:
        if col in df.columns:
            continue
        if len(df):
            problems.append(Problem(str(path), "column is missing: is this a lifecircle run table?", column=col))
        else:
            df[col] = pd.Series(dtype=object if col in _TEXT_COLUMNS else float)
    return df


def _require_numbers(df: pd.DataFrame | None, path: Path, problems: list[Problem]) -> None:
    """Every value of the table's numeric columns must be a finite number; names the first few bad rows of each."""
    if df is None or path.name not in NUMERIC_COLUMNS:
        return
    columns, id_col = NUMERIC_COLUMNS[path.name]
    for col in columns:
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
        for i in bad[:5]:
            row = f"{id_col}={df[id_col].iloc[i]}" if id_col in df.columns else f"row {i + 2}"
            problems.append(Problem(str(path), f"not a number: {df[col].iloc[i]!r}", row=row, column=col))
        if len(bad) > 5:
            problems.append(Problem(str(path), f"... and {len(bad) - 5} more rows without a number", column=col))
        df[col] = values


def _read_record(path: Path, problems: list[Problem]) -> dict:
    """``run.json``; names it when it is missing, unreadable or lacks a key the run states."""
    if not path.is_file():
        problems.append(Problem(str(path), "missing: the folder is not a finished run (run.json is written "
                                           "last); solve the scenario again or give another folder"))
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(Problem(str(path), f"not valid JSON ({exc}): a damaged or half-written run"))
        return {}
    if not isinstance(record, dict):
        problems.append(Problem(str(path), "is not a lifecircle run record (not a JSON object)"))
        return {}
    problems.extend(Problem(str(path), f"is not a lifecircle run record: key '{key}' is missing")
                    for key in RUN_KEYS if key not in record)
    return record


def read_layer(path: Path, layer: str, problems: list[Problem], required: bool) -> gpd.GeoDataFrame | None:
    """One layer of a run's GeoPackage in EPSG:4326; names the file and layer when it is missing or unreadable.

    Parameters
    ----------
    path
        The GeoPackage (``plan.gpkg``).
    layer
        The layer name.
    problems
        Where each problem found is added.
    required
        Whether a missing file or layer is a problem (else it is ``None``, silently).

    Returns
    -------
    geopandas.GeoDataFrame or None
        The layer (left in its own CRS when it has none, which is a problem), or ``None``.
    """
    import geopandas as gpd
    import pyogrio

    if not path.is_file():
        if required:
            problems.append(Problem(str(path), _NOT_A_RUN))
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


def _check_statuses(demand: gpd.GeoDataFrame, functions: list[str], gpkg: Path, problems: list[Problem]) -> None:
    """Each planned function has a ``<function>_status`` column of :data:`STATUSES` in ``demand_coverage``."""
    if "unit_id" not in demand.columns:
        problems.append(Problem(str(gpkg), "column is missing", layer="demand_coverage", column="unit_id"))
    for f in functions:
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


def _refuse_unless_a_folder(folder: Path) -> None:
    if not folder.exists():
        raise InputError([Problem(str(folder), "run folder does not exist (give a folder written by "
                                               "`lifecircle solve`, e.g. outputs/yuzhong-demo/<run id>)")])
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "is a file, not a run folder (give the folder that holds run.json)")])
    if folder.name.endswith(".partial"):
        raise InputError([Problem(str(folder), "is a half-written run (a '.partial' folder left by an interrupted "
                                               "solve); solve the scenario again")])


def read_run_folder(path: str | Path, *, for_report: bool = False, frontier: str | Path | None = None
                    ) -> RunFolder:
    """Read a finished run folder; refuse a missing, half-written or foreign one, naming every problem at once.

    Parameters
    ----------
    path
        A folder written by ``lifecircle solve`` (``OUT/<scenario>/<run id>/``).
    for_report
        Also read what the report shows: the columns it states, the ``demand_coverage`` and
        ``existing_facilities`` layers of ``plan.gpkg``, the optional tables and a frontier.
    frontier
        Optional: a folder written by ``lifecircle frontier``, or its ``frontier.csv``.
        Without it, a ``frontier.csv`` inside the run folder is used when present (report only).

    Returns
    -------
    RunFolder
        The run as written.

    Raises
    ------
    InputError
        The folder does not exist, is a file or a half-written ``.partial`` folder, lacks
        ``run.json`` or a table, or a file cannot be read, lacks a column or holds a value
        that is not a number; each problem names the file (and the layer, row and column).
    """
    folder = Path(path)
    _refuse_unless_a_folder(folder)
    problems: list[Problem] = []
    record = _read_record(folder / "run.json", problems)
    tables: dict[str, pd.DataFrame | None] = {}
    for name, columns in REQUIRED_TABLES.items():
        more = REPORT_COLUMNS.get(name, ()) if for_report else ()
        tables[name] = _read_table(folder / name, columns + tuple(c for c in more if c not in columns), problems)
    extras: dict = {}
    if for_report or frontier is not None:
        for name, columns in OPTIONAL_TABLES.items():
            tables[name] = _read_table(folder / name, columns, problems, required=False)
        fpath = _frontier_path(folder, frontier, problems)
        if fpath is not None:
            extras["frontier"] = _read_table(fpath, FRONTIER_COLUMNS, problems)
            extras["frontier_source"] = str(fpath)
    for name, df in tables.items():
        _require_numbers(df, folder / name, problems)
    if for_report:
        gpkg = folder / "plan.gpkg"
        demand = read_layer(gpkg, "demand_coverage", problems, required=True)
        if demand is not None:
            extras["demand"] = demand
            extras["existing"] = read_layer(gpkg, "existing_facilities", problems, required=False)
            coverage = tables["coverage_by_function.csv"]
            if coverage is not None and "function" in coverage.columns:
                _check_statuses(demand, [str(f) for f in coverage["function"]], gpkg, problems)
    if problems:
        raise InputError(problems)
    found = {name: cast(pd.DataFrame, tables[name]) for name in REQUIRED_TABLES}  # no problem: each was read
    log.info("read run folder %s: %d sites, %d facilities%s", folder, len(found["plan_sites.csv"]),
             len(found["plan_facilities.csv"]),
             f", {len(extras['demand'])} demand units" if "demand" in extras else "")
    return RunFolder(folder, record, found["plan_facilities.csv"], found["plan_sites.csv"],
                     found["coverage_by_function.csv"], found["coverage_by_circle.csv"],
                     walk_vs_buffer=tables.get("walk_vs_buffer.csv"), reach=tables.get("facility_reach.csv"),
                     requirements=tables.get("requirements.csv"), **extras)


def differing_inputs(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """File names whose content differs between two runs' input hashes (matched by file name)."""
    by_name_a = {Path(k).name: v for k, v in a.items()}
    by_name_b = {Path(k).name: v for k, v in b.items()}
    if sorted(by_name_a.values()) == sorted(by_name_b.values()):
        return []
    names = sorted(set(by_name_a) | set(by_name_b))
    return [n for n in names if by_name_a.get(n) != by_name_b.get(n)]


def mismatches_with_scenario(run: RunFolder, scenario_name: str, mode: str, file_hashes: dict[str, str],
                             circles: set[str]) -> tuple[list[Problem], list[str]]:
    """Why a run folder may not belong to a scenario: problems (a different district) and warnings.

    Parameters
    ----------
    run
        The run folder.
    scenario_name, mode, file_hashes, circles
        The scenario's name, ``model.mode``, its inputs' file hashes and the life circles of its demand.

    Returns
    -------
    tuple
        Problems (no life circle in common: a run of another district) and warnings (another
        scenario name, other input files, another mode).
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    run_circles = run.circles
    if run_circles and circles and not (run_circles & circles):
        problems.append(Problem(str(run.path / "coverage_by_circle.csv"),
                                f"the run's life circles ({_few(run_circles)}) are none of the scenario's "
                                f"({_few(circles)}): the run is of another district"))
    if run.scenario_name != scenario_name:
        warnings.append(f"the run folder is of scenario {run.scenario_name!r}, not {scenario_name!r}")
    changed = differing_inputs(run.input_hashes, file_hashes)
    if changed:
        warnings.append("the run was solved on different input files than the scenario reads now: "
                        + ", ".join(changed))
    if run.mode != mode:
        warnings.append(f"the run was solved in {run.mode} mode, the scenario is in {mode} mode")
    return problems, warnings


def _few(items: set[str], n: int = 3) -> str:
    ordered = sorted(items)
    return ", ".join(ordered[:n]) + (f" ... ({len(ordered)} in all)" if len(ordered) > n else "")


def demand_points(run: RunFolder) -> gpd.GeoDataFrame | None:
    """The run's demand units (``plan.gpkg`` layer ``demand_coverage``: ``circle_id``, ``total``; EPSG:4326).

    ``None`` when the run has no such layer or it cannot be read (maps then go without homes).
    """
    path = run.path / "plan.gpkg"
    problems: list[Problem] = []
    gdf = run.demand if run.demand is not None else read_layer(path, "demand_coverage", problems, required=False)
    for problem in problems:  # a map background is optional
        log.warning("%s; the map goes without homes", problem)
    if gdf is None:
        return None
    keep = [c for c in ("unit_id", "circle_id", "total") if c in gdf.columns]
    gdf = gdf[keep + ["geometry"]]
    if "circle_id" in gdf.columns:
        gdf["circle_id"] = gdf["circle_id"].fillna("").astype(str).str.strip().replace("", NO_CIRCLE)
    return gdf
