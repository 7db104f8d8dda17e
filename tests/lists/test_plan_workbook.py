"""The plan in Excel (``plan.xlsx``): the CSVs' numbers to the cent, ids as text, the check of run.json."""
from __future__ import annotations

import json
import shutil
import subprocess

import district
import pandas as pd
import pytest
import two_circles
from click.testing import CliRunner
from openpyxl import load_workbook

from optimizer.cli import main
from optimizer.outputs.plan_workbook import SHEETS, header, number_format
from optimizer.outputs.workbook import SHEET_NAME_LENGTH, sheet_title
from optimizer.outputs.writers import write_run
from optimizer.pipeline import run_scenario

#: the district's two sites under ids with leading zeros; 007 costs 1,000,000.01 yuan to convert
SITES = [{**two_circles.SITES[0], "site_id": "007", "fixed_cost": 1_000_000.01, "owner": "区国资"},
         {**two_circles.SITES[1], "site_id": "010"}]


@pytest.fixture(scope="module")
def run():
    """Both circles fully planned (20 M yuan) on sites 007 and 010, with residents' requests."""
    return run_scenario(two_circles.scenario(), inputs=district.inputs(with_requests=True, sites=SITES))


@pytest.fixture(scope="module")
def folder(run, tmp_path_factory):
    return write_run(run, tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def book(folder):
    return load_workbook(folder / "plan.xlsx")


def sheet_rows(sheet) -> tuple[list[str], list[tuple]]:
    """The CSV keys of a sheet's columns (``中文 / key`` -> ``key``) and its cells below the header."""
    keys = [str(c.value).split(" / ")[-1] for c in sheet[1]]
    return keys, [row for row in sheet.iter_rows(min_row=2)]


def test_the_workbook_has_the_plans_five_sheets_in_the_runs_language(book):
    assert book.sheetnames == [SHEETS[k]["zh"] for k in ("sites", "facilities", "circles", "functions", "check")]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
    headers = [c.value for c in book[SHEETS["sites"]["zh"]][1]]
    assert headers[0] == "点位编号 / site_id" and "一次性投资合计（元） / total_cost" in headers
    assert "社区食堂面积（平方米） / canteen_area_m2" in headers


@pytest.mark.parametrize("key", ["sites", "facilities", "circles", "functions"])
def test_every_number_is_the_csvs_to_the_cent_and_stored_as_a_number(book, folder, key):
    """Cell by cell against the CSV read as text: numbers as numbers (equal to the fen), words as written."""
    csv = pd.read_csv(folder / SHEETS[key]["file"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    keys, rows = sheet_rows(book[SHEETS[key]["zh"]])
    assert set(csv.columns) <= set(keys) and len(rows) == len(csv) > 0
    numbers = 0
    for (_, expected), cells in zip(csv.iterrows(), rows, strict=True):
        cell = dict(zip(keys, cells, strict=True))
        for column, text in expected.items():
            got = cell[column]
            if text == "":
                assert got.value is None, (column, got.value)
            elif column.endswith("_id") or not _is_number(text):
                assert got.data_type == "s" and got.value == text, (column, got.value, text)
            else:
                assert got.data_type == "n", (column, got.value)
                assert round(got.value * 100) == round(float(text) * 100), (column, got.value, text)
                numbers += 1
    assert numbers > 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_ids_keep_their_zeros_and_are_text_in_excel(book):
    keys, rows = sheet_rows(book[SHEETS["sites"]["zh"]])
    ids = [dict(zip(keys, r, strict=True))["site_id"] for r in rows]
    assert [c.value for c in ids] == ["007", "010"]
    assert all(c.data_type == "s" and c.number_format == "@" for c in ids)
    keys, rows = sheet_rows(book[SHEETS["facilities"]["zh"]])
    assert {dict(zip(keys, r, strict=True))["site_id"].value for r in rows} == {"007", "010"}


def test_yuan_show_thousands_separators_and_shares_percent(book):
    keys, rows = sheet_rows(book[SHEETS["sites"]["zh"]])
    site = dict(zip(keys, rows[0], strict=True))
    assert site["total_cost"].number_format == "#,##0.00" and site["total_cost"].value == 5_412_000.01
    keys, rows = sheet_rows(book[SHEETS["circles"]["zh"]])
    circle = dict(zip(keys, rows[0], strict=True))
    assert circle["covered_share_after"].number_format == "0.0%" and circle["covered_share_after"].value == 1.0
    assert circle["circle_name"].value == "石油路生活圈" and circle["function_label"].value == "社区食堂"
    assert number_format("newly_covered") == "#,##0" and number_format("lon") == "0.0000000"
    assert number_format("shared_groups") is None  # sharing groups are words, not a share


def test_the_check_sheet_lists_every_check_of_run_json(book, folder):
    items = json.loads((folder / "run.json").read_text(encoding="utf-8"))["check"]["items"]
    sheet = book[SHEETS["check"]["zh"]]
    assert [c.value for c in sheet[1]] == ["校核项 / check", "是否通过 / passed", "说明 / detail"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert rows == [[i["check"], "通过" if i["passed"] else "未通过", i["detail"]] for i in items] and rows


def test_solve_writes_the_workbook_with_sheets_and_words_in_its_language(tmp_path):
    scenario = two_circles.write_files(tmp_path)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(tmp_path / "out"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "out" / "two-circles").iterdir()
    book = load_workbook(folder / "plan.xlsx")
    assert book.sheetnames == ["sites", "facilities", "coverage by circle", "coverage by function", "check"]
    keys, rows = sheet_rows(book["coverage by function"])
    assert dict(zip(keys, rows[0], strict=True))["function_label"].value == "community canteen"
    assert {r[1].value for r in book["check"].iter_rows(min_row=2)} == {"passed"}
    assert book["sites"]["A1"].value == "点位编号 / site_id"  # headers bilingual in either language


def test_sheet_names_are_made_valid_for_excel():
    assert sheet_title("coverage: by circle / function?") == "coverage_ by circle _ function_"
    assert len(sheet_title("x" * 40)) == SHEET_NAME_LENGTH
    assert sheet_title("Sites", {"sites"}) == "Sites (2)"
    assert header("unknown_column") == "unknown_column"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_workbook(folder, tmp_path):
    done = subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path),
                           str(folder / "plan.xlsx")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and (tmp_path / "plan.csv").exists(), done.stdout + done.stderr
