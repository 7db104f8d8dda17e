"""Several planners solving one scenario into one output folder at once each get a whole, readable run."""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from batch_scenarios import write_tiny_district
from fault_harness import leftovers, new_mark, orphans_after, start

from optimizer.run_folder import read_run_folder


def _solve_at_once(tmp_path: Path, n: int) -> list[Path]:
    scenario = write_tiny_district(tmp_path)
    mark = new_mark()
    procs = [start(["solve", scenario.name, "--out", "out"], tmp_path, mark, log=tmp_path / f"solve-{i}.log")
             for i in range(n)]
    codes = [p.wait(timeout=300) for p in procs]
    logs = "\n".join((tmp_path / f"solve-{i}.log").read_text(errors="replace")[-2000:] for i in range(n))
    assert codes == [0] * n, logs
    assert orphans_after(mark) == []
    return sorted((tmp_path / "out" / "tiny").iterdir())


def _assert_whole(folder: Path) -> None:
    """run.json reads, the plan tables read back, plan.gpkg opens as SQLite and as layers, no side file."""
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert record["run_id"] == folder.name
    read_run_folder(folder, for_report=True)
    gpkg = folder / "plan.gpkg"
    with closing(sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    assert {"plan_sites", "demand_coverage", "candidate_sites"} <= layers
    assert len(gpd.read_file(gpkg, layer="candidate_sites")) == 2


@pytest.mark.parametrize("n", [2, pytest.param(4, marks=pytest.mark.slow)])
def test_concurrent_solves_of_one_scenario_into_one_out_each_write_a_whole_run(tmp_path, n):
    """N planners solve the same scenario into the same --out at the same moment: N run folders, each whole
    and readable (run.json, the tables, plan.gpkg as a database and as layers), their ids distinct and
    sorted by time, nothing half-written left."""
    folders = _solve_at_once(tmp_path, n)
    assert len(folders) == n, folders
    assert all(not f.name.startswith(".") for f in folders)
    for folder in folders:
        _assert_whole(folder)
    assert leftovers(tmp_path / "out") == []


@pytest.mark.slow
def test_eight_concurrent_solves_of_one_scenario_into_one_out(tmp_path):
    """As above with eight planners at once (four times the cores)."""
    folders = _solve_at_once(tmp_path, 8)
    assert len(folders) == 8
    for folder in folders:
        _assert_whole(folder)
    assert leftovers(tmp_path / "out") == []
