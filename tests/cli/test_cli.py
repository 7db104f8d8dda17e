"""The command line end to end: files in, plan out, clear exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

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
    ])
    sites = _points([
        {"site_id": "S1", "dx": 30, "dy": 0, "kind": "building", "area_m2": 1500.0, "lowest_floor": 1,
         "name": "闲置厂房", "circle_id": "LC1", "district": "渝中区"},
        {"site_id": "S2", "dx": 880, "dy": 0, "kind": "plot", "area_m2": 2000.0, "lowest_floor": 1,
         "name": "边角地", "circle_id": "LC2", "district": "渝中区"},
    ])
    demand.to_file(data / "demand.gpkg", layer="demand")
    sites.to_file(data / "sites.gpkg", layer="sites")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
        "reach: {method: straight_line}\nbudget: {total: 20000000}\n"
        "solver: {time_limit_s: 30}\noutput: {folder: out}\n", encoding="utf-8")
    return tmp_path, scenario


def test_solve_writes_a_complete_run_that_excel_and_qgis_open(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["solve", str(scenario)])
    assert result.exit_code == 0, result.output
    runs = list((folder / "out" / "tiny").iterdir())
    assert len(runs) == 1 and not runs[0].name.startswith(".")
    run = runs[0]
    for name in ("plan_sites.csv", "plan_facilities.csv", "coverage_by_function.csv", "coverage_by_circle.csv",
                 "plan.gpkg", "run.json"):
        assert (run / name).is_file(), name
    assert (run / "plan_sites.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese
    assert "闲置厂房" in (run / "plan_sites.csv").read_text(encoding="utf-8-sig")
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "optimal" and record["proven_optimal"] is True
    assert record["bound"] == pytest.approx(record["objective"])
    assert record["check"]["passed"] is True
    assert record["reach"]["weaker_method"] is True  # straight line is labelled as such
    assert any("weaker method" in w for w in record["warnings"])
    assert set(record["versions"]) >= {"numpy", "highspy", "pulp"}
    layers = set(gpd.list_layers(run / "plan.gpkg")["name"])
    assert {"plan_sites", "plan_facilities", "demand_coverage", "candidate_sites"} <= layers
    assert "PROVEN OPTIMAL" in result.output


def test_bad_input_exits_3_lists_every_problem_and_writes_nothing(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    demand = gpd.read_file(folder / "data" / "demand.gpkg")
    demand.loc[0, "total"] = -5
    demand.loc[1, "unit_id"] = "U1"
    demand.to_file(folder / "data" / "demand.gpkg", layer="demand")
    result = CliRunner().invoke(main, ["solve", str(scenario)])
    assert result.exit_code == 3, result.output
    assert "total" in result.output and "duplicate" in result.output.lower()
    assert not (folder / "out").exists()


def test_infeasible_scenario_exits_4_and_names_the_rule(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--set", "budget.total=100",
                                       "--set", "decisions.force_in=[S1]"])
    assert result.exit_code == 4, result.output
    assert "rule 'budget'" in result.output and "LC1" in result.output
    assert not (folder / "out").exists()


def test_unknown_scenario_key_exits_3(tiny_project):
    _, scenario = tiny_project
    result = CliRunner().invoke(main, ["validate", str(scenario), "--set", "budgett.total=1"])
    assert result.exit_code == 3
    assert "budgett: unknown key" in result.output


def test_validate_reports_counts_and_writes_nothing(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "valid. 2 demand units, 2 sites" in result.output
    assert not (folder / "out").exists()


def test_every_command_has_help():
    runner = CliRunner()
    for args in (["--help"], ["solve", "--help"], ["validate", "--help"], ["solvers", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "optimizer.cli", "solvers"], capture_output=True, text=True)
    assert out.returncode == 0 and "highs" in out.stdout


@pytest.mark.slow  # end to end, a whole solve or generation; run with -m slow
def test_the_developer_script_regenerates_the_synthetic_demo(tmp_path, repo):
    # the generators live outside the installed package: python -m dataset_builders.yuzhong
    out = tmp_path / "yz"
    done = subprocess.run([sys.executable, "-m", "dataset_builders.yuzhong", "--out", str(out)], cwd=repo,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    demand = gpd.read_file(out / "demand.gpkg")
    assert int(demand["total"].sum()) == 588_717  # 2020 census, Yuzhong


def test_a_bring_your_own_od_table_drives_reach(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    # walking minutes from elsewhere (e.g. r5py): U2 reaches S1 in 9 min, nothing else is listed
    (folder / "data" / "od.csv").write_text("unit_id,site_id,minutes\nU2,S1,9\n", encoding="utf-8")
    text = scenario.read_text(encoding="utf-8").replace("reach: {method: straight_line}",
                                                         "reach: {method: od_table}")
    text = text.replace("  sites: data/sites.gpkg\n", "  sites: data/sites.gpkg\n  od_table: data/od.csv\n")
    scenario.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["solve", str(scenario)])
    assert result.exit_code == 0, result.output
    run = next((folder / "out" / "tiny").iterdir())
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["reach"]["method"] == "od_table"
    by_function = {r["function"]: r for r in record["plan"]["by_function"]}
    # only U2 (500 residents) can be reached, and only through S1 within 10 minutes
    assert by_function["canteen"]["newly_covered"] == 500
    sites = pd.read_csv(run / "plan_sites.csv", encoding="utf-8-sig")
    assert set(sites["site_id"]) == {"S1"}


def test_a_missing_input_file_is_named(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    (folder / "data" / "sites.gpkg").unlink()
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "sites.gpkg" in result.output


def test_frontier_solves_each_budget_warm_started_and_writes_csv_png_json(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["frontier", str(scenario), "--budgets", "1e6,3e6,2e7"])
    assert result.exit_code == 0, result.output
    (run,) = [p for p in (folder / "out" / "tiny").iterdir() if p.name.startswith("frontier-")]
    table = pd.read_csv(run / "frontier.csv", encoding="utf-8-sig")
    assert table["budget"].tolist() == [1e6, 3e6, 2e7]
    assert table["proven_optimal"].all()
    # more money never covers fewer people, and every plan stays within its budget
    assert table["objective"].is_monotonic_increasing
    assert (table["cost"] <= table["budget"]).all()
    assert table["warm_start"].iloc[1:].all()  # each plan starts from the one before
    assert (run / "frontier.png").stat().st_size > 1000 and (run / "frontier.json").is_file()


def test_rule_tables_are_written_when_the_scenario_asks_for_rules_6_and_7(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    sets = ["--set", "sharing.not_built_separately=true",
            "--set", "requirements=[{function: elder_care, min_share: 0.5, circles: [LC1]},"
                     " {function: parking, min_share: 0.5, circles: [LC2]}]"]
    result = CliRunner().invoke(main, ["solve", str(scenario), *sets])
    assert result.exit_code == 0, result.output
    (run,) = list((folder / "out" / "tiny").iterdir())
    req = pd.read_csv(run / "requirements.csv", encoding="utf-8-sig")
    assert sorted(req["circle_id"]) == ["LC1", "LC2"] and req["met"].all()
    together = pd.read_csv(run / "not_built_separately.csv", encoding="utf-8-sig")
    assert together["kept"].all()
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["not_built_separately"]["asked"] is True
    assert len(record["requirements"]) == 2


def test_an_unmeetable_requirement_exits_4_naming_circle_function_and_shortfall(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--set",
                                       "requirements=[{function: childcare, min_per_1000: 100}]"])
    assert result.exit_code == 4, result.output
    assert "LC1" in result.output and "childcare" in result.output and "short by" in result.output
    assert not (folder / "out" / "tiny").exists() or not any((folder / "out" / "tiny").iterdir())


@pytest.mark.parametrize("objective, unit", [
    ("share", "percentage points"),
    # the other objectives' units: slow (each objective's model is checked against brute force in tests/model/)
    pytest.param("people", "weighted people", marks=pytest.mark.slow),
    pytest.param("fair", "percentage points", marks=pytest.mark.slow)])
def test_every_run_folder_states_fairness_by_circle_and_the_objective_s_unit(tiny_project, monkeypatch, objective,
                                                                           unit):
    """fairness.csv, fairness_by_circle.csv and fairness.png are written; run.json and the summary name the unit."""
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--set", f"objective={objective}"])
    assert result.exit_code == 0, result.output
    (run,) = list((folder / "out" / "tiny").iterdir())
    assert (run / "fairness.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    spread = pd.read_csv(run / "fairness.csv", encoding="utf-8-sig")
    by_circle = pd.read_csv(run / "fairness_by_circle.csv", encoding="utf-8-sig")
    assert list(by_circle.columns) == ["function", "circle_id", "people", "covered_before", "covered_after",
                                       "share_before", "share_after"]
    assert {"function", "moment", "circles", "people", "share_overall", "share_min", "share_p10", "share_median",
            "share_max", "gini", "worst_circle"} <= set(spread.columns)
    # the worst circle of fairness.csv is the smallest share of fairness_by_circle.csv
    after = spread[spread["moment"] == "after"].set_index("function")
    for f, part in by_circle.groupby("function"):
        assert after.loc[f, "share_min"] == pytest.approx(part["share_after"].min(), abs=1e-4)
        assert after.loc[f, "circles"] == len(part)
    assert (run / "fairness.png").read_bytes()[:4] == b"\x89PNG"
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["objective_kind"] == objective and record["objective_unit"] == unit
    assert len(record["fairness"]) == len(spread)
    assert (record["objective_stages"] is not None) == (objective == "fair")
    assert f"objective {record['objective']:,.1f} {unit} ({objective}:" in result.output
    assert "worst life circle before -> after" in result.output
    if objective == "fair":
        assert record["objective_stages"]["stage_1"]["proven"] is True
        assert "worst circles: all functions" in result.output and "stage 1 proven optimal" in result.output


@pytest.mark.parametrize("setting,named", [
    ("functions.canteen.threshold_min=20-minute", "functions.canteen.threshold_min: '20-minute'"),
    ("functions.childcare.priority=-2", "functions.childcare.priority: must be a number >= 0, got -2"),
    ("standards={居住型: [{function: childcare, min_per_1000: 4.5}]}", "need the circles' types"),
])
def test_a_meaningless_level_priority_or_standard_exits_3_naming_the_key_and_writes_nothing(
        tiny_project, monkeypatch, setting, named):
    """Bad input (issue 14): an unknown GB 50180 level, a negative priority, standards without circle types."""
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--set", setting])
    assert result.exit_code == 3, result.output
    assert named in result.output
    assert not (folder / "out").exists()


def _failing_validate(monkeypatch, exc: BaseException) -> None:
    """Make `lifecircle validate` fail inside the pipeline with ``exc``."""
    import optimizer.pipeline

    def fail(scenario):
        raise exc

    monkeypatch.setattr(optimizer.pipeline, "validate", fail)


def test_an_internal_error_is_one_short_line_exit_1_and_the_traceback_only_with_v(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    _failing_validate(monkeypatch, KeyError("circle_id"))
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 1
    assert "internal error: KeyError: 'circle_id'" in result.output and "please report it" in result.output
    assert "Traceback" not in result.output and "-v" in result.output
    verbose = CliRunner().invoke(main, ["-v", "validate", str(scenario)])
    assert verbose.exit_code == 1 and "Traceback" in verbose.output and "KeyError" in verbose.output


def test_a_file_that_cannot_be_written_exits_3_naming_its_path(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    _failing_validate(monkeypatch, PermissionError(13, "Permission denied", "/plans/run/plan.gpkg"))
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "/plans/run/plan.gpkg" in result.output and "Permission denied" in result.output
    assert "Traceback" not in result.output
    _failing_validate(monkeypatch, OSError(28, "No space left on device"))
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 3 and "No space left on device" in result.output


def test_running_out_of_memory_says_so_without_a_traceback(tiny_project, monkeypatch):
    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    _failing_validate(monkeypatch, MemoryError())
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 1
    assert "out of memory" in result.output and "Traceback" not in result.output


def test_an_unwritable_output_folder_is_refused_before_the_solve(tiny_project, monkeypatch):
    import optimizer.pipeline

    folder, scenario = tiny_project
    monkeypatch.chdir(folder)
    (folder / "out").write_text("a file where the output folder should be", encoding="utf-8")
    solved = []
    monkeypatch.setattr(optimizer.pipeline, "run_scenario", lambda *a, **k: solved.append(1))
    result = CliRunner().invoke(main, ["solve", str(scenario)])
    assert result.exit_code == 3 and "output.folder out" in result.output and "is a file" in result.output
    assert not solved


def test_each_frontier_plan_is_worth_what_the_solver_says_though_presolve_solves_it_from_a_warm_start(tmp_path):
    """HiGHS may hand back the warm start (the previous budget's plan) as the solution of a model its
    presolve solved outright, reporting the better optimum: the plan must be solved again, never
    stopped by the independent check (exit 6) nor written with the wrong sites."""
    from batch_scenarios import write_tiny_district

    scenario = write_tiny_district(tmp_path, "output: {folder: out}\n")
    result = CliRunner().invoke(main, ["-q", "frontier", str(scenario), "--budgets", "1e6,5e6,1e7",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (table,) = (tmp_path / "out").rglob("frontier.csv")
    frame = pd.read_csv(table)
    assert frame["proven_optimal"].all()
    assert frame["objective"].is_monotonic_increasing and frame["objective"].iloc[-1] > frame["objective"].iloc[1]
