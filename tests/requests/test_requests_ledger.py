"""The market-demand ledger (市场需求一本账) as an input: read, checked, every problem named (exit 3)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from optimizer.cli import main
from optimizer.errors import ScenarioError
from optimizer.scenario import load_scenario

LON, LAT = 106.57, 29.56  # Yuzhong
HEADER = "request_id,community,circle_id,service,count,channel,date\n"


def _points(records):
    df = pd.DataFrame(records)
    geom = [Point(LON + r["dx"] / 97000, LAT + r["dy"] / 111000) for r in records]
    return gpd.GeoDataFrame(df.drop(columns=["dx", "dy"]), geometry=geom, crs="EPSG:4326")


@pytest.fixture
def project(tmp_path):
    """Two communities in two circles, one site each; a scenario reading ``requests.csv``."""
    data = tmp_path / "data"
    data.mkdir()
    _points([
        {"unit_id": "U1", "dx": 0, "dy": 0, "total": 800, "elderly": 200, "infants": 20, "cars": 90,
         "circle_id": "LC1", "community": "上清寺社区", "district": "渝中区"},
        {"unit_id": "U2", "dx": 900, "dy": 0, "total": 500, "elderly": 90, "infants": 12, "cars": 40,
         "circle_id": "LC2", "community": "大坪社区", "district": "渝中区"},
    ]).to_file(data / "demand.gpkg", layer="demand")
    _points([
        {"site_id": "S1", "dx": 30, "dy": 0, "kind": "building", "area_m2": 1500.0, "circle_id": "LC1"},
        {"site_id": "S2", "dx": 880, "dy": 0, "kind": "plot", "area_m2": 2000.0, "circle_id": "LC2"},
    ]).to_file(data / "sites.gpkg", layer="sites")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n  requests: data/requests.csv\n"
        "functions:\n  after_school: {enabled: false}\n"
        "reach: {method: straight_line}\nbudget: {total: 20000000}\n"
        "solver: {time_limit_s: 30}\noutput: {folder: out}\n", encoding="utf-8")
    return tmp_path, scenario


def _ledger(folder, rows: str) -> None:
    (folder / "data" / "requests.csv").write_text(HEADER + rows, encoding="utf-8-sig")


def _validate(folder, scenario, monkeypatch):
    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, ["validate", str(scenario)])


def test_a_good_ledger_validates(project, monkeypatch):
    folder, scenario = project
    _ledger(folder, "R1,上清寺社区,,canteen,12,渝快办,2025-03-18\nR2,,LC2,elder_care,3,坝坝会,\n"
                    "R3,大坪社区,LC2,childcare,1,网格员走访,2025-04-01 00:00:00\n")
    result = _validate(folder, scenario, monkeypatch)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("row, column, words", [
    ("R9,沙坪坝社区,,canteen,2,渝快办,2025-03-18", "community", "is not a community of the demand table"),
    ("R9,,LC9,canteen,2,渝快办,2025-03-18", "circle_id", "is not a circle_id of the demand table"),
    ("R9,上清寺社区,LC2,canteen,2,渝快办,2025-03-18", "circle_id", "has no demand unit in circle 'LC2'"),
    ("R9,,,canteen,2,渝快办,2025-03-18", "community", "names neither a community nor a circle_id"),
    ("R9,上清寺社区,,cantene,2,渝快办,2025-03-18", "service", "did you mean 'canteen'?"),
    ("R9,上清寺社区,,canteen,0,渝快办,2025-03-18", "count", "must be 1 or more"),
    ("R9,上清寺社区,,canteen,-3,渝快办,2025-03-18", "count", "must be 1 or more"),
    ("R9,上清寺社区,,canteen,2.5,渝快办,2025-03-18", "count", "not a whole number"),
    ("R9,上清寺社区,,canteen,many,渝快办,2025-03-18", "count", "not a number"),
    ("R9,上清寺社区,,canteen,2,渝快办,2025-02-30", "date", "not a date YYYY-MM-DD"),
    ("R9,上清寺社区,,canteen,2,渝快办,18/03/2025", "date", "not a date YYYY-MM-DD"),
])
def test_each_bad_row_exits_3_naming_file_row_and_column(project, monkeypatch, row, column, words):
    """A planner fixing the ledger is told which file, which request and which column, and why."""
    folder, scenario = project
    _ledger(folder, "R1,上清寺社区,,canteen,12,渝快办,2025-03-18\n" + row + "\n")
    result = _validate(folder, scenario, monkeypatch)
    assert result.exit_code == 3, result.output
    assert "requests.csv" in result.output
    assert f"request_id=R9, column '{column}'" in result.output
    assert words in result.output
    assert "Traceback" not in result.output and "R1" not in result.output  # the good row is not blamed


def test_a_duplicate_id_and_every_other_problem_are_listed_at_once(project, monkeypatch):
    folder, scenario = project
    _ledger(folder, "R1,上清寺社区,,canteen,12,渝快办,2025-03-18\nR1,大坪社区,,canteen,3,坝坝会,2025-03-19\n"
                    "R2,沙坪坝社区,,canteen,0,渝快办,soon\n")
    result = _validate(folder, scenario, monkeypatch)
    assert result.exit_code == 3, result.output
    assert "duplicate request_id 'R1'" in result.output and "column 'request_id'" in result.output
    for column in ("community", "count", "date"):
        assert f"request_id=R2, column '{column}'" in result.output
    assert "4 problem(s)" in result.output


def test_requests_for_a_disabled_function_are_ignored_with_a_warning(project, monkeypatch):
    """四点半课堂 asked for while after-school care is not planned: said, not an error."""
    folder, scenario = project
    _ledger(folder, "R1,上清寺社区,,after_school,40,社区微信群,2025-03-18\nR2,大坪社区,,after_school,5,坝坝会,\n")
    result = _validate(folder, scenario, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "requests for disabled functions are ignored: after_school (2 rows, 45 residents)" in result.output


def test_a_function_counting_requests_only_needs_the_ledger(project, monkeypatch):
    folder, scenario = project
    text = scenario.read_text(encoding="utf-8").replace("  requests: data/requests.csv\n", "")
    scenario.write_text(text + "functions:\n  canteen: {cohort: requests}\n", encoding="utf-8")
    result = _validate(folder, scenario, monkeypatch)
    assert result.exit_code == 3, result.output
    assert "canteen counts its requests only" in result.output and "no inputs.requests" in result.output


def test_an_empty_ledger_is_no_problem(project, monkeypatch):
    folder, scenario = project
    _ledger(folder, "")
    assert _validate(folder, scenario, monkeypatch).exit_code == 0


def test_the_requests_key_is_closed_and_checked(project):
    _, scenario = project
    sc = load_scenario(scenario, ["requests.since=2025-03-01", "requests.channels=[渝快办, 坝坝会]",
                                  "requests.weight=2"])
    assert (sc.requests.since, sc.requests.channels, sc.requests.weight) == ("2025-03-01", ("渝快办", "坝坝会"), 2.0)
    with pytest.raises(ScenarioError, match=r"requests\.chanels: unknown key"):
        load_scenario(scenario, ["requests.chanels=[渝快办]"])
    with pytest.raises(ScenarioError) as bad:
        load_scenario(scenario, ["requests.since=March", "requests.weight=-1"])
    assert "requests.since: must be a date" in str(bad.value) and "requests.weight" in str(bad.value)


def test_an_excel_ledger_with_date_cells_is_read(project, monkeypatch):
    """A ledger kept in Excel (sheet 需求台账, real date cells) reads like the CSV; dates become YYYY-MM-DD."""
    import datetime

    from optimizer.pipeline import validate

    folder, scenario = project
    table = pd.DataFrame({"request_id": ["R1", "R2"], "community": ["上清寺社区", None], "circle_id": [None, "LC2"],
                          "service": ["canteen", "elder_care"], "count": [12, 3], "channel": ["渝快办", "坝坝会"],
                          "date": [datetime.datetime(2025, 3, 18), datetime.datetime(2025, 4, 1)]})
    with pd.ExcelWriter(folder / "data" / "requests.xlsx", engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="需求台账", index=False)
    text = scenario.read_text(encoding="utf-8").replace(
        "requests: data/requests.csv", "requests: {path: data/requests.xlsx, layer: 需求台账}")
    scenario.write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)
    inputs, _, _ = validate(load_scenario(scenario))
    assert inputs.requests["date"].tolist() == ["2025-03-18", "2025-04-01"]
    assert inputs.requests["count"].tolist() == [12, 3] and inputs.requests["community"].tolist() == ["上清寺社区", ""]
