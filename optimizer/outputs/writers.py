"""Write a run to ``<root>/<scenario>/<run id>/``: all files, or none.

Everything is written into a hidden temporary folder beside the final one and renamed
into place at the end, so a crash never leaves a half-written run.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.i18n import DEFAULT_LANG, check_lang
from optimizer.jsonable import to_jsonable
from optimizer.outputs.figures import (
    fairness_figure,
    frontier_figure,
    price_of_fairness_figure,
    walk_vs_buffer_figure,
)
from optimizer.outputs.layer_styles import style_plan_gpkg
from optimizer.outputs.money_tables import configuration_money, funding_table, project_money_table
from optimizer.outputs.plan_workbook import as_in_csv, write_plan_workbook
from optimizer.outputs.tables import (
    coverage_by_circle,
    demand_layer,
    facility_reach,
    facility_rows,
    fairness_by_circle,
    requests_summary,
    run_id_for,
    run_record,
    site_rows,
)
from optimizer.outputs.three_lists import sheet_name, three_lists
from optimizer.outputs.workbook import write_workbook
from optimizer.pipeline import Run
from optimizer.plan import people_by_status
from optimizer.processes import (
    OWNER_FILE,
    new_partial_folder,
    process_tag,
    release_folder,
    remove_abandoned_partials,
    utc_stamp,
)

log = logging.getLogger(__name__)

#: Excel opens UTF-8 CSV with Chinese text correctly only with a byte-order mark.
CSV_ENCODING = "utf-8-sig"


@contextmanager
def atomic_folder(final: Path, what: str = "output folder") -> Iterator[Path]:
    """A hidden ``.<name>.partial`` folder beside ``final`` that becomes ``final`` only if the block ends well.

    Every writer of a folder of outputs (a run, a frontier, an assessment, a diff, a
    multi-year plan) writes through this, so a crash, an error or a stop signal never leaves a
    half-written folder: the partial one is removed and the error goes on. A process killed
    outright (SIGKILL, power) cannot clean up; its partial folder records its owner and holds a
    lock while the owner lives (:func:`optimizer.processes.claim_folder`), and the next writer into
    the same parent folder removes it. A partial folder whose owner still lives is never touched.

    Every file is closed before the rename: a GeoPackage or SQLite file left with a ``-journal``
    or ``-wal`` file beside it is settled (its connection closed, the journal rolled into it) and
    refused when it cannot be (:func:`settle_sqlite_files`).

    GeoPackage layers written in the block are written without an ``fsync`` per transaction
    (:func:`unsynced_gpkg_writes`): the folder is all or nothing through the rename, as its CSV
    files are, and a synced write cost about 0.1 s per layer (most of a tiny run's GeoPackage).

    Raises
    ------
    FileExistsError
        ``final`` exists already, or another living process is writing the same partial folder
        (names made by :func:`optimizer.outputs.tables.run_id_for` never collide).
    """
    if final.exists():
        raise FileExistsError(f"{what} already exists: {final}")
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_partials(final.parent)
    tmp = final.parent / f".{final.name}.partial"
    try:
        new_partial_folder(tmp)
    except FileExistsError:
        raise FileExistsError(f"{what} is being written by another process: {tmp}") from None
    try:
        with unsynced_gpkg_writes():
            yield tmp
        settle_sqlite_files(tmp)
        if final.exists():
            raise FileExistsError(f"{what} already exists: {final}")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        release_folder(tmp, unlink=False)
        raise
    release_folder(tmp, unlink=False)  # the lock goes, then the owner file: the folder is finished
    (final / OWNER_FILE).unlink(missing_ok=True)


#: GDAL's configuration option for SQLite's ``PRAGMA synchronous`` of the files it writes.
GDAL_SQLITE_SYNCHRONOUS = "OGR_SQLITE_SYNCHRONOUS"


class _UnsyncedBlocks:
    """Blocks of :func:`unsynced_gpkg_writes` open in this process (threads may write folders at once)."""

    lock = threading.Lock()
    open = 0
    previous: object = None  # the setting the first open block found


@contextmanager
def unsynced_gpkg_writes() -> Iterator[None]:
    """GeoPackage (SQLite) files written by GDAL in the block are not ``fsync``-ed at each commit.

    Sets GDAL's ``OGR_SQLITE_SYNCHRONOUS`` to ``OFF`` for the block and puts back what it was
    (a value set before, or none) when the last block open in the process ends (GDAL's setting
    is the process's, not a thread's). What is written is the same; only the wait for the disk at
    each commit goes. Used by :func:`atomic_folder`, whose folder becomes visible only whole.
    """
    import pyogrio

    blocks = _UnsyncedBlocks
    with blocks.lock:
        if blocks.open == 0:
            blocks.previous = pyogrio.get_gdal_config_option(GDAL_SQLITE_SYNCHRONOUS)
            pyogrio.set_gdal_config_options({GDAL_SQLITE_SYNCHRONOUS: "OFF"})
        blocks.open += 1
    try:
        yield
    finally:
        with blocks.lock:
            blocks.open -= 1
            if blocks.open == 0:
                pyogrio.set_gdal_config_options({GDAL_SQLITE_SYNCHRONOUS: blocks.previous})


#: Files SQLite leaves beside a database while a transaction or connection is open.
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def _side_files(db: Path) -> list[Path]:
    """The SQLite side files (:data:`SQLITE_SIDE_FILES`) beside ``db``."""
    return [db.with_name(db.name + s) for s in SQLITE_SIDE_FILES if db.with_name(db.name + s).exists()]


def settle_sqlite_files(folder: Path) -> None:
    """Every GeoPackage / SQLite file in ``folder`` closed, opened once to prove it reads, with no side file left.

    When a side file is there, a connection left open (a leaked ``sqlite3.connect``) is collected
    first; a leftover ``-journal`` (a hot journal) or ``-wal`` is rolled back or checkpointed by
    opening the file once. A side file that stays is an error (the run folder would not open
    cleanly). Without a side file no connection holds a transaction or a write-ahead log, so the
    garbage collection (a full one, 0.1 s and more in a large process) is skipped.
    """
    import sqlite3
    from contextlib import closing

    databases = [p for p in folder.iterdir() if p.suffix.lower() in (".gpkg", ".sqlite", ".db")]
    if not databases:
        return
    if any(_side_files(db) for db in databases):
        import gc

        gc.collect()  # closes connections nobody holds any more
    for db in databases:
        with closing(sqlite3.connect(db)) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                con.execute("PRAGMA journal_mode=DELETE")
        left = _side_files(db)
        if left:
            raise OSError(f"{db} is still open elsewhere ({', '.join(p.name for p in left)} beside it); "
                          "the folder was not finished")


def unused_folder_name(parent: Path, name: str) -> str:
    """``name``, or ``name-2``, ``name-3``, ... when a folder (or its ``.partial``) already takes it.

    Output folders are named by the UTC time; two outputs of one kind at once (a script, a test)
    must not collide. (Two processes choosing at the same instant may still pick one name: the
    loser's :func:`atomic_folder` refuses it; names with :func:`optimizer.processes.process_tag`
    cannot collide.)
    """
    candidate, n = name, 1
    while (parent / candidate).exists() or (parent / f".{candidate}.partial").exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _csv(df: pd.DataFrame, path: Path) -> None:
    """A table as CSV with BOM, rounded as plan.xlsx holds it (one rule: :func:`as_in_csv`)."""
    as_in_csv(df).to_csv(path, index=False, encoding=CSV_ENCODING)


def _gpkg_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    if len(gdf) == 0:
        return
    gdf.to_crs("EPSG:4326").to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def write_run(run: Run, root: str | Path, run_id: str | None = None,
              extra_tables: dict[str, pd.DataFrame] | None = None, lang: str = DEFAULT_LANG) -> Path:
    """Write every output of ``run`` and return the run folder.

    Files: ``plan_sites.csv``, ``plan_facilities.csv``, ``facility_reach.csv`` (which demand
    units each planned facility reaches, in walking minutes), ``coverage_by_function.csv``,
    ``coverage_by_circle.csv``, ``fairness.csv`` (per function, before and after: how the life
    circles' covered shares spread), ``fairness_by_circle.csv`` (each circle's covered share),
    ``fairness.png``, ``walk_vs_buffer.csv`` (UTF-8 with BOM), ``walk_vs_buffer.png``
    (covered people by walking vs by a straight-line buffer), ``requirements.csv`` (rule 7,
    per life circle, when the scenario has requirements), ``not_built_separately.csv``
    (rule 6, per life circle and group), ``requests.csv`` (per function, the market-demand
    ledger's requests counted and newly covered, when the scenario gives ``inputs.requests``),
    ``plan.gpkg`` (layers ``plan_sites``,
    ``plan_facilities``, ``demand_coverage``, ``candidate_sites``, ``existing_facilities``,
    ``circles`` when the scenario has life-circle outlines; EPSG:4326; with QGIS styles in its
    ``layer_styles`` table, :mod:`optimizer.outputs.layer_styles`), the three lists (三单:
    ``needs_list.csv``, ``supply_list.csv``, ``configuration_list.csv`` and ``three_lists.xlsx``,
    :mod:`optimizer.outputs.three_lists`; headers and words in ``lang``, ``zh`` or ``en``),
    ``plan.xlsx`` (the plan in Excel: sites, facilities, coverage per circle and per function,
    the check; :mod:`optimizer.outputs.plan_workbook`) and ``run.json``. ``extra_tables``: more
    CSV files by name (e.g. ``pieces.csv`` of ``lifecircle city``), written in the same
    all-or-nothing step.
    """
    check_lang(lang)
    run_id = run_id or run_id_for(run)
    scenario_dir = Path(root) / run.scenario.name
    final = scenario_dir / run_id
    with atomic_folder(final, "run folder") as tmp:
        facilities = facility_rows(run)
        sites = site_rows(run, facilities)
        _csv(sites, tmp / "plan_sites.csv")
        _csv(facilities, tmp / "plan_facilities.csv")
        _csv(facility_reach(run), tmp / "facility_reach.csv")
        coverage = people_by_status(run.inputs, run.scenario, run.plan)
        _csv(coverage, tmp / "coverage_by_function.csv")
        coverage_circles = coverage_by_circle(run)
        _csv(coverage_circles, tmp / "coverage_by_circle.csv")
        if run.fairness is not None:
            _csv(run.fairness, tmp / "fairness.csv")
        by_circle = fairness_by_circle(run)
        _csv(by_circle, tmp / "fairness_by_circle.csv")
        if len(by_circle):
            fairness_figure(by_circle, tmp / "fairness.png", run.scenario.name)
        money = run.plan.money(run.inputs.sites, run.scenario)
        _csv(project_money_table(money, run.inputs.sites, run.scenario), tmp / "money.csv")
        if run.scenario.money.channels:
            _csv(funding_table(money, run.scenario), tmp / "funding.csv")
        if run.requirements is not None:
            _csv(run.requirements, tmp / "requirements.csv")
        requests_table, requests_record = requests_summary(run)
        if run.inputs.requests is not None:
            _csv(requests_table, tmp / "requests.csv")
        if run.together is not None:
            _csv(run.together, tmp / "not_built_separately.csv")
        if run.walk_vs_buffer is not None:
            _csv(run.walk_vs_buffer, tmp / "walk_vs_buffer.csv")
            walk_vs_buffer_figure(run.walk_vs_buffer, tmp / "walk_vs_buffer.png", run.scenario.name, lang)
        lists = three_lists(run, lang, facilities,
                            configuration_money(money, run.inputs.sites, run.scenario, lang), by_circle)
        for file_name, table in lists.items():
            _csv(table, tmp / file_name)
        write_workbook({sheet_name(n, lang): t for n, t in lists.items()}, tmp / "three_lists.xlsx")
        write_plan_workbook(run, lang, sites, facilities, coverage, coverage_circles, tmp / "plan.xlsx")
        gpkg = tmp / "plan.gpkg"
        candidates = run.inputs.sites.copy()
        candidates["chosen"] = candidates.index.isin([p.site_row for p in run.plan.sites])
        candidates["plan_status"] = np.where(candidates["chosen"], "chosen", "idle")
        layers = {"plan_sites": sites, "plan_facilities": facilities, "demand_coverage": demand_layer(run),
                  "candidate_sites": candidates}
        if len(run.inputs.facilities):
            layers["existing_facilities"] = run.inputs.facilities
        if run.inputs.circles is not None:
            layers["circles"] = run.inputs.circles
        for name, layer in layers.items():
            _gpkg_layer(layer, gpkg, name)
        if gpkg.exists():
            style_plan_gpkg(gpkg, run.scenario, lang, layers)  # styled from the tables, not read back
        record = run_record(run, run_id, money, requests_record)
        record["lang"] = lang
        record["three_lists"] = {file_name: len(table) for file_name, table in lists.items()}
        for file_name, table in (extra_tables or {}).items():
            _csv(table, tmp / file_name)
        (tmp / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    log.info("wrote %s", final)
    return final


def write_frontier(table: pd.DataFrame, scenario, root: str | Path) -> Path:
    """Write a budget frontier to ``<root>/<scenario>/frontier-<UTC time>-p<pid>-<random>/`` atomically; return it.

    Files: ``frontier.csv`` (one row per budget), ``frontier.png`` and ``frontier.json``.
    """
    parent = Path(root) / scenario.name
    name = unused_folder_name(parent, f"frontier-{utc_stamp()}-{process_tag()}")
    final = parent / name
    with atomic_folder(final, "frontier folder") as tmp:
        table.to_csv(tmp / "frontier.csv", index=False, encoding=CSV_ENCODING)
        frontier_figure(table, tmp / "frontier.png", scenario.name,
                        label_zh={f: fn.label_zh for f, fn in scenario.functions.items()})
        (tmp / "frontier.json").write_text(json.dumps({"scenario": scenario.name, "source": scenario.source,
                                                        "rows": table.to_dict(orient="records")},
                                                       ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return final


def write_price_of_fairness(table: pd.DataFrame, summary: dict, scenario, root: str | Path) -> Path:
    """Write a price-of-fairness study to ``<root>/<scenario>/price-of-fairness-<time>-p<pid>-<random>/`` atomically.

    Files: ``price_of_fairness.csv`` (one row per floor on the worst circle),
    ``price_of_fairness.png`` and ``price_of_fairness.json`` (the rows, the share optimum
    and fair's stage 1, each with whether it was proven).
    """
    parent = Path(root) / scenario.name
    name = unused_folder_name(parent, f"price-of-fairness-{utc_stamp()}-{process_tag()}")
    final = parent / name
    with atomic_folder(final, "price-of-fairness folder") as tmp:
        _csv(table, tmp / "price_of_fairness.csv")
        price_of_fairness_figure(table, tmp / "price_of_fairness.png", scenario.name, summary["level_meaning"])
        (tmp / "price_of_fairness.json").write_text(
            json.dumps(to_jsonable({**summary, "rows": table.to_dict(orient="records")}), ensure_ascii=False,
                       indent=2, allow_nan=True), encoding="utf-8")
    return final
