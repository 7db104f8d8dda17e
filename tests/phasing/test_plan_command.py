"""``lifecircle plan --years``: the annual project list written for Excel and QGIS, clear exit codes."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from shapely.geometry import Point

from optimizer.cli import main

LON, LAT = 106.57, 29.56  # Yuzhong


def _points(records):
    df = pd.DataFrame(records)
    geom = [Point(LON + r["dx"] / 97000, LAT + r["dy"] / 111000) for r in records]
    return gpd.GeoDataFrame(df.drop(columns=["dx", "dy"]), geometry=geom, crs="EPSG:4326")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Two neighbourhoods 1.5 km apart, a building next to each; the second free only from 2027."""
    data = tmp_path / "data"
    data.mkdir()
    _points([
        {"unit_id": "U1", "dx": 0, "dy": 0, "total": 800, "elderly": 200, "infants": 20, "households": 300,
         "cars": 90, "circle_id": "LC1", "district": "渝中区"},
        {"unit_id": "U2", "dx": 1500, "dy": 0, "total": 500, "elderly": 90, "infants": 12, "households": 200,
         "cars": 40, "circle_id": "LC2", "district": "渝中区"},
    ]).to_file(data / "demand.gpkg", layer="demand")
    _points([
        {"site_id": "S1", "dx": 30, "dy": 0, "kind": "building", "area_m2": 1500.0, "lowest_floor": 1,
         "name": "闲置厂房", "address": "解放碑路1号", "circle_id": "LC1", "district": "渝中区"},
        {"site_id": "S2", "dx": 1480, "dy": 0, "kind": "building", "area_m2": 1500.0, "lowest_floor": 1,
         "name": "旧仓库", "address": "较场口2号", "circle_id": "LC2", "district": "渝中区"},
    ]).to_file(data / "sites.gpkg", layer="sites")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
        "reach: {method: straight_line}\nbudget: {total: 6000000}\n"
        "functions: {childcare: {enabled: false}, parking: {enabled: false}}\n"
        "phasing: {budgets: {2026: 3000000, 2027: 3000000}, available_from: {S2: 2027}}\n"
        "solver: {time_limit_s: 30}\noutput: {folder: out}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path, scenario


def test_plan_writes_the_annual_project_list_for_excel_and_qgis(project):
    """The XLSX has one sheet per year plus the summary, headers in Chinese and English; the CSV has a BOM;
    the GeoPackage a projects layer with the year; phasing.json the status, per-year figures and the check."""
    folder, scenario = project
    result = CliRunner().invoke(main, ["plan", str(scenario), "--years", "2026-2027"])
    assert result.exit_code == 0, result.output
    runs = list((folder / "out" / "tiny").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("plan-2026-2027-")
    run = runs[0]
    book = load_workbook(run / "projects.xlsx")
    assert book.sheetnames == ["2026", "2027", "汇总 summary", "储备 reserve"]
    headers = [c.value for c in book["2026"][1]]
    assert "项目编号 / project id" in headers and "年份 / year" in headers
    assert any(h.startswith("新覆盖：") and "newly covered" in h for h in headers)
    summary_headers = [c.value for c in book["汇总 summary"][1]]
    assert "年度预算（元） / budget of the year (yuan)" in summary_headers
    assert (run / "projects.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(run / "projects.csv", encoding="utf-8-sig")
    assert table.loc[table["site_id"] == "S2", "year"].min() == 2027  # not before it is available
    assert "旧仓库" in set(table["site_name"]) and table["project_id"].str.match(r"^\d{4}-\d{3}$").all()
    layer = gpd.read_file(run / "projects.gpkg", layer="projects")
    assert "year" in layer.columns and len(layer) == len(table)
    record = json.loads((run / "phasing.json").read_text(encoding="utf-8"))
    assert record["proven_optimal"] is True and record["check"]["passed"] is True
    assert [y["year"] for y in record["per_year"]] == [2026, 2027]
    assert record["bound"] == pytest.approx(record["objective"])
    assert "PROVEN OPTIMAL" in result.output and "2027" in result.output


def test_a_year_outside_the_budgets_without_a_total_exits_3_and_writes_nothing(project):
    """--years reaching 2028 when only 2026-2027 have budgets and no budget.total: exit 3, the year named."""
    folder, scenario = project
    result = CliRunner().invoke(main, ["plan", str(scenario), "--years", "2026-2028", "--set", "budget.total=null",
                                       "--set", "budget.by_district={渝中区: 6000000}"])
    assert result.exit_code == 3, result.output
    assert "year 2028" in result.output
    assert not (folder / "out" / "tiny").exists() or not list((folder / "out" / "tiny").iterdir())


def test_bad_years_and_capacitated_mode_are_refused_with_exit_3(project):
    """--years 2028-2026 is a value that cannot be used (exit 3); capacitated mode is exit 3 naming it."""
    _, scenario = project
    assert CliRunner().invoke(main, ["plan", str(scenario), "--years", "2028-2026"]).exit_code == 3
    result = CliRunner().invoke(main, ["plan", str(scenario), "--years", "2026-2027",
                                       "--set", "model.mode=capacitated"])
    assert result.exit_code == 3 and "capacitated" in result.output


@pytest.mark.slow
@pytest.mark.timeout(900)  # the scenario's own 300 s limit plus reach; the suite's 300 s would interrupt HiGHS
def test_the_shipped_three_year_demo_plans_every_year_within_its_budget(repo, tmp_path):
    """scenarios/yuzhong-demo-three-years.yaml (30/30/20 M yuan, six sites free only later): every year within
    its budget, the late sites not before their year, the check passed (HiGHS, 300 s limit)."""
    result = CliRunner().invoke(main, ["plan", str(repo / "scenarios" / "yuzhong-demo-three-years.yaml"),
                                       "--years", "2026-2028", "--time-limit", "300", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "yuzhong-demo-three-years").glob("plan-2026-2028-*"))
    record = json.loads((run / "phasing.json").read_text(encoding="utf-8"))
    assert record["check"]["passed"]
    for year in record["per_year"]:
        assert year["spent"] <= year["budget"] + 0.01
    late = record["phasing"]["sites_available_later"]
    assert all(p["year"] >= late.get(p["site_id"], 2026) for p in record["projects"])


def test_plan_writes_the_reserve_list_and_the_circles_against_the_milestone(project):
    """phasing.milestones {2026: 1} with every circle asked for half its elderly in reach of elder care: the run
    folder has reserve_projects.csv (BOM, ranked, none already in the plan) and circle_standards.csv, both also
    sheets of the XLSX; phasing.json records the milestones; --reserve 1 keeps one reserve project."""
    folder, scenario = project
    result = CliRunner().invoke(main, ["plan", str(scenario), "--years", "2026-2027", "--reserve", "1",
                                       "--set", "phasing.milestones={2026: 1}",
                                       "--set", "requirements=[{function: canteen, min_share: 0.5}]"])
    assert result.exit_code == 0, result.output
    run = next((folder / "out" / "tiny").iterdir())
    assert (run / "reserve_projects.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    reserve = pd.read_csv(run / "reserve_projects.csv", encoding="utf-8-sig")
    assert list(reserve.columns[:3]) == ["rank", "site_id", "site_name"] and len(reserve) <= 1
    projects = pd.read_csv(run / "projects.csv", encoding="utf-8-sig")
    planned = {(r.site_id, f) for r in projects.itertuples() for f in r.functions.split("+")}
    assert not planned & set(zip(reserve["site_id"], reserve["function"], strict=True))
    assert (reserve["newly_covered"] > 0).all()
    circles = pd.read_csv(run / "circle_standards.csv", encoding="utf-8-sig")
    assert circles["circle_id"].tolist() == ["LC1", "LC2"]
    assert circles["year_at_standard"].min() == 2026
    book = load_workbook(run / "projects.xlsx")
    assert "储备 reserve" in book.sheetnames and "生活圈 circles" in book.sheetnames
    record = json.loads((run / "phasing.json").read_text(encoding="utf-8"))
    assert record["phasing"]["milestones"] == {"2026": 1}
    assert any(i["check"] == "milestones" and i["passed"] for i in record["check"]["items"])
    assert "2026 1/2 (>= 1)" in result.output


def test_a_milestone_outside_the_horizon_exits_3_and_writes_nothing(project):
    """phasing.milestones {2025: 4} planning 2026-2027: exit 3 naming the key and the value, no run folder."""
    folder, scenario = project
    result = CliRunner().invoke(main, ["plan", str(scenario), "--years", "2026-2027",
                                       "--set", "phasing.milestones={2025: 4}",
                                       "--set", "requirements=[{function: canteen, min_share: 0.5}]"])
    assert result.exit_code == 3, result.output
    assert "phasing.milestones.2025" in result.output and "4 life circles" in result.output
    assert not (folder / "out" / "tiny").exists() or not list((folder / "out" / "tiny").iterdir())
