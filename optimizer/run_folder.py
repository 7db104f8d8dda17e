"""A finished run folder read back: its record (``run.json``) and the plan's tables.

``lifecircle assess --run`` and ``lifecircle diff`` start from run folders that
``lifecircle solve`` (or ``batch``) wrote. A run folder is complete when it holds
``run.json`` (written last, inside a folder renamed into place at the end) and the plan
tables named in :data:`REQUIRED_FILES`. A hidden ``.<run id>.partial`` folder, a folder
without ``run.json``, an unreadable ``run.json`` or a missing table is refused with an
:class:`~optimizer.errors.InputError` (exit 3) naming the file; nothing is guessed.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.rules.existing import NO_CIRCLE

log = logging.getLogger(__name__)

#: Tables every finished run folder has (``run.json`` aside).
REQUIRED_FILES = ("plan_facilities.csv", "plan_sites.csv", "coverage_by_function.csv", "coverage_by_circle.csv")

#: Identifier columns read as text, never as numbers.
_TEXT_COLUMNS = {"site_id": str, "circle_id": str, "district": str, "function": str, "cohort": str,
                 "functions": str, "site_name": str, "kind": str}


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
    """

    path: Path
    record: dict
    facilities: pd.DataFrame
    sites: pd.DataFrame
    coverage: pd.DataFrame
    coverage_by_circle: pd.DataFrame

    @property
    def name(self) -> str:
        """The run's scenario name and run id, e.g. ``yuzhong-demo/20260101T000000Z-1a2b3c4d``."""
        return f"{self.scenario_name}/{self.record.get('run_id', self.path.name)}"

    @property
    def scenario_name(self) -> str:
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
        return str((self.resolved.get("model") or {}).get("mode") or "coverage")

    @property
    def total_cost(self) -> float:
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


def _read_csv(path: Path, problems: list[Problem]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=_TEXT_COLUMNS, keep_default_na=False,
                         na_values={"": np.nan})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        problems.append(Problem(str(path), f"cannot be read as a run table ({exc})"))
        return pd.DataFrame()
    for col in ("circle_id", "site_id", "function"):
        if col in df.columns:
            df[col] = df[col].fillna("").astype(str).str.strip()
    if "circle_id" in df.columns:
        df["circle_id"] = df["circle_id"].replace("", NO_CIRCLE)
    return df


def _require(df: pd.DataFrame, path: Path, columns: tuple[str, ...], problems: list[Problem]) -> None:
    """Name each missing column; a table with no rows (an empty plan) gets them, empty."""
    for col in columns:
        if col in df.columns:
            continue
        if len(df):
            problems.append(Problem(str(path), "column is missing: is this a lifecircle run table?", column=col))
        else:
            df[col] = pd.Series(dtype=object if col in _TEXT_COLUMNS else float)


def read_run_folder(path: str | Path) -> RunFolder:
    """Read a finished run folder; refuse a missing, half-written or foreign one.

    Raises
    ------
    InputError
        The folder does not exist, is a half-written ``.partial`` folder, lacks ``run.json``
        or a plan table, or a file cannot be read; each problem names the file.
    """
    folder = Path(path)
    if not folder.exists():
        raise InputError([Problem(str(folder), "run folder does not exist")])
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "is a file, not a run folder (give the folder that holds run.json)")])
    if folder.name.endswith(".partial"):
        raise InputError([Problem(str(folder), "is a half-written run (a '.partial' folder left by an interrupted "
                                               "solve); solve the scenario again")])
    record_path = folder / "run.json"
    if not record_path.is_file():
        raise InputError([Problem(str(record_path), "missing: the folder is not a finished run (run.json is written "
                                                    "last); solve the scenario again or give another folder")])
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(record_path), f"cannot be read ({exc}): a damaged or half-written run")]) \
            from None
    if not isinstance(record, dict) or "scenario" not in record:
        raise InputError([Problem(str(record_path), "is not a lifecircle run record (no 'scenario')")])
    problems: list[Problem] = []
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    for name in missing:
        problems.append(Problem(str(folder / name), "missing: a half-written or incomplete run folder"))
    if problems:
        raise InputError(problems)
    tables = {name: _read_csv(folder / name, problems) for name in REQUIRED_FILES}
    _require(tables["plan_facilities.csv"], folder / "plan_facilities.csv",
             ("site_id", "function", "circle_id", "area_m2", "capacity", "function_cost"), problems)
    _require(tables["plan_sites.csv"], folder / "plan_sites.csv", ("site_id", "functions", "total_cost"), problems)
    _require(tables["coverage_by_function.csv"], folder / "coverage_by_function.csv",
             ("function", "cohort", "people", "served_by_existing", "newly_covered"), problems)
    _require(tables["coverage_by_circle.csv"], folder / "coverage_by_circle.csv",
             ("circle_id", "function", "people", "served_by_existing", "newly_covered"), problems)
    if problems:
        raise InputError(problems)
    return RunFolder(folder, record, tables["plan_facilities.csv"], tables["plan_sites.csv"],
                     tables["coverage_by_function.csv"], tables["coverage_by_circle.csv"])


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


def demand_points(run: RunFolder):
    """The run's demand units (``plan.gpkg`` layer ``demand_coverage``: ``circle_id``, ``total``; EPSG:4326).

    ``None`` when the run has no such layer (maps then go without homes).
    """
    path = run.path / "plan.gpkg"
    if not path.is_file():
        return None
    import geopandas as gpd
    import pyogrio

    try:
        if "demand_coverage" not in {str(name) for name, _ in pyogrio.list_layers(path)}:
            return None
        gdf = gpd.read_file(path, layer="demand_coverage", engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - a map background is optional
        log.warning("%s: demand layer not read (%s); the map goes without homes", path, exc)
        return None
    keep = [c for c in ("unit_id", "circle_id", "total") if c in gdf.columns]
    gdf = gdf[keep + ["geometry"]]
    if "circle_id" in gdf.columns:
        gdf["circle_id"] = gdf["circle_id"].fillna("").astype(str).str.strip().replace("", NO_CIRCLE)
    return gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
