"""``lifecircle compare``: one model, several solvers, a table, and what their plans agree on."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

import solvers
from optimizer.cli import main

LON, LAT = 106.57, 29.56  # Yuzhong


def _points(records, crs="EPSG:4326"):
    df = pd.DataFrame(records)
    geom = [Point(LON + r["dx"] / 97000, LAT + r["dy"] / 111000) for r in records]
    return gpd.GeoDataFrame(df.drop(columns=["dx", "dy"]), geometry=geom, crs=crs)


@pytest.fixture
def tiny_project(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    demand = _points([
        {"unit_id": "U1", "dx": 0, "dy": 0, "total": 800, "elderly": 200, "infants": 20, "households": 300,
         "cars": 90, "circle_id": "LC1", "district": "渝中区"},
        {"unit_id": "U2", "dx": 900, "dy": 0, "total": 500, "elderly": 90, "infants": 12, "households": 200,
         "cars": 40, "circle_id": "LC2", "district": "渝中区"},
        {"unit_id": "U3", "dx": 450, "dy": 300, "total": 300, "elderly": 60, "infants": 9, "households": 100,
         "cars": 20, "circle_id": "LC1", "district": "渝中区"},
    ])
    sites = _points([
        {"site_id": "S1", "dx": 30, "dy": 0, "kind": "building", "area_m2": 1500.0, "lowest_floor": 1,
         "name": "闲置厂房", "circle_id": "LC1", "district": "渝中区"},
        {"site_id": "S2", "dx": 880, "dy": 0, "kind": "plot", "area_m2": 2000.0, "lowest_floor": 1,
         "name": "边角地", "circle_id": "LC2", "district": "渝中区"},
        {"site_id": "S3", "dx": 450, "dy": 280, "kind": "building", "area_m2": 900.0, "lowest_floor": 1,
         "name": "旧仓库", "circle_id": "LC1", "district": "渝中区"},
    ])
    demand.to_file(data / "demand.gpkg", layer="demand")
    sites.to_file(data / "sites.gpkg", layer="sites")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "name: tiny\ninputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
        "reach: {method: straight_line}\nbudget: {total: 6000000}\n"
        "solver: {time_limit_s: 30}\noutput: {folder: out}\n", encoding="utf-8")
    return tmp_path, scenario


@pytest.mark.skipif("benders" not in solvers.available_solvers(), reason="highspy not installed")
def test_compare_highs_benders_greedy_prints_three_rows_and_writes_csv_and_json(tiny_project, monkeypatch):
    """Three solvers, each in a process of its own: a row each, the same rows in compare.csv and .json, every
    plan checked; the decomposition (benders) proves the optimum HiGHS proves (issue 18's "done when", on a
    tiny district; on the demo: the slow test below), and the greedy plan is no better than it while its LP
    bound is no lower. (CBC beside HiGHS: every backend's proven optima agree in
    ``tests/solver_backends/test_solvers_backends.py``.)"""
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["compare", str(scenario), "--solvers", "highs,benders,greedy",
                                       "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["solver", "status"])
    rows = [line.split() for line in lines[header + 1:header + 4]]
    assert [r[0] for r in rows] == ["highs", "benders", "greedy"]
    assert all(r[-1] == "passed" for r in rows)
    assert "highs vs benders: " in result.output
    runs = list((folder / "out" / "tiny").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("compare-")
    table = pd.read_csv(runs[0] / "compare.csv", encoding="utf-8-sig")
    assert table["solver"].tolist() == ["highs", "benders", "greedy"]
    assert table["check_passed"].all()
    by, pairs = _agree(folder, "tiny")
    assert by["highs"]["proven_optimal"] and by["benders"]["proven_optimal"]
    assert by["benders"]["objective"] == pytest.approx(by["highs"]["objective"], rel=1e-9)
    assert by["greedy"]["objective"] <= by["highs"]["objective"] + 1e-6
    assert by["greedy"]["bound"] >= by["highs"]["objective"] - 1e-6  # the LP bound bounds the optimum
    assert all(r["peak_mb"] > 0 for r in by.values())  # each solved in a process of its own
    assert set(pairs) == {("highs", "benders"), ("highs", "greedy"), ("benders", "greedy")}
    exact = pairs[("highs", "benders")]
    assert exact["verdict"] in ("same plan", "alternative optimum: equally good, both proven optimal")
    assert exact["shared"] + len(exact["only_a"]) == len(by["highs"]["entries"])


def test_compare_in_process_reports_an_uninstalled_solver_without_crashing(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    monkeypatch.setattr(solvers.SOLVERS["cbc"], "available", classmethod(lambda cls: False))
    result = CliRunner().invoke(main, ["compare", str(scenario), "--solvers", "highs,cbc,greedy", "--in-process"])
    assert result.exit_code == 0, result.output
    assert "unavailable" in result.output and "pip install" in result.output
    record = json.loads(next((folder / "out" / "tiny").iterdir()).joinpath("compare.json").read_text("utf-8"))
    by = {r["solver"]: r for r in record["runs"]}
    assert by["cbc"]["status"] == "unavailable" and by["cbc"]["check_passed"] is None
    assert by["highs"]["check_passed"] and by["greedy"]["check_passed"]
    assert [(p["solver_a"], p["solver_b"]) for p in record["agreement"]] == [("highs", "greedy")]


def test_compare_an_unknown_solver_exits_3_and_names_the_known_ones(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["compare", str(scenario), "--solvers", "highs,gurobi"])
    assert result.exit_code == 3
    assert "unknown solver 'gurobi'" in result.output and "greedy" in result.output
    assert not (folder / "out").exists()


def test_a_solver_process_past_its_hard_limit_is_killed_and_reported(tiny_project, monkeypatch):
    from optimizer.scenario import load_scenario
    from optimizer.studies import comparison

    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    prep = comparison.prepare(load_scenario(scenario))
    monkeypatch.setattr(comparison, "KILL_GRACE_S", 0.0)
    run = comparison.run_solver(prep, "highs", time_limit_s=0.01)  # killed within 12.5 ms: still starting up
    assert run.status == "killed" and not run.has_plan and "killed" in run.message


def test_solve_with_the_greedy_solver_writes_a_checked_plan(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--solver", "greedy"])
    assert result.exit_code == 0, result.output
    record = json.loads(next((folder / "out" / "tiny").iterdir()).joinpath("run.json").read_text("utf-8"))
    assert record["solver"]["solver"] == "greedy" and record["check"]["passed"] is True
    assert record["solver"]["bound"] >= record["solver"]["objective"] - 1e-6


def _agree(folder, name: str) -> tuple[dict, dict]:
    runs = list((folder / "out" / name).iterdir()) if (folder / "out" / name).exists() else []
    record = json.loads((runs[-1] / "compare.json").read_text(encoding="utf-8"))
    return {r["solver"]: r for r in record["runs"]}, {(p["solver_a"], p["solver_b"]): p for p in record["agreement"]}


@pytest.mark.slow
@pytest.mark.skipif("benders" not in solvers.available_solvers(), reason="highspy not installed")
def test_compare_on_the_demo_shows_benders_agreeing_with_highs(tmp_path, monkeypatch):
    """Issue 18's "done when": `compare` on the shipped demo, the decomposition beside HiGHS (about 100 s)."""
    from pathlib import Path  # noqa: PLC0415

    demo = Path(__file__).resolve().parents[2] / "scenarios" / "yuzhong-demo.yaml"
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["compare", str(demo), "--solvers", "highs,benders", "--time-limit", "600",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    by, pairs = _agree(tmp_path, "yuzhong-demo")
    assert by["highs"]["proven_optimal"] and by["benders"]["proven_optimal"] and by["benders"]["check_passed"]
    assert by["benders"]["objective"] == pytest.approx(by["highs"]["objective"], rel=1e-9)
    assert pairs[("highs", "benders")]["verdict"] in ("same plan",
                                                      "alternative optimum: equally good, both proven optimal")
