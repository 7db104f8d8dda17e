"""``lifecircle assess``: each life circle's has / lacks / adds, and its five-colour card (五色卡).

The grading itself (levels, measures, bands, bad ``grading:`` tables) is in test_grading.py.
"""
from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
import two_circles
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.outputs.assessment_files import write_assessment
from optimizer.outputs.writers import write_run
from optimizer.pipeline import compute_reach, run_scenario
from optimizer.rules.existing import existing_service
from optimizer.run_folder import read_run_folder
from optimizer.studies.assessment import (
    GREEN,
    RED,
    PlanAdditions,
    additions_from_tables,
    assess,
    card_counts,
    circle_points,
)
from optimizer.studies.grades import grade_levels


def _existing(inputs, sc):
    _, reach_facilities = compute_reach(inputs, sc)
    return existing_service(inputs, reach_facilities, sc)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The two-circle district solved and written as a run folder (as ``lifecircle solve`` would)."""
    inputs, sc = two_circles.inputs(), two_circles.scenario()
    run = run_scenario(sc, inputs=inputs)
    folder = read_run_folder(write_run(run, tmp_path_factory.mktemp("runs")))
    return run, folder


def _row(table: pd.DataFrame, circle: str, function: str) -> dict:
    rows = table[(table["circle_id"] == circle) & (table["function"] == function)]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


# ------------------------------------------------------------------ targets (what lacks) and cards
def test_the_target_and_the_card_are_separate_questions():
    """LC1 has half its elderly within reach (a 50 % target is met, 55 % is 5 points short), and 100 elder-care
    places per 1,000 aged 60+ against a standard of 30: its card grades that provision green either way."""
    inputs = two_circles.inputs()
    sc = two_circles.scenario({"requirements": [{"function": "elder_care", "min_share": 0.5, "circles": ["LC1"]}]})
    row = _row(assess(inputs, sc, _existing(inputs, sc), PlanAdditions()), "LC1", "elder_care")
    assert row["share_before"] == pytest.approx(0.5)
    assert row["gap_points_before"] == pytest.approx(0.0)
    assert row["target_source"].startswith("scenario requirement")
    assert row["grade_value_before"] == pytest.approx(20 / 200 * 1000)
    assert (row["card_before"], row["card_after"]) == (GREEN, GREEN)
    sc_higher = two_circles.scenario({"requirements": [{"function": "elder_care", "min_share": 0.55,
                                                        "circles": ["LC1"]}]})
    row = _row(assess(inputs, sc_higher, _existing(inputs, sc_higher), PlanAdditions()), "LC1", "elder_care")
    assert row["gap_points_before"] == pytest.approx(5.0)  # 5 points short of the target, nothing added
    assert row["shortfall_after"] == pytest.approx(0.05 * 200)
    assert (row["card_before"], row["card_after"]) == (GREEN, GREEN)


def test_no_running_facility_and_no_plan_is_red():
    """LC2 has no running facility of any kind; with nothing planned every function there is red, before and after."""
    inputs, sc = two_circles.inputs(), two_circles.scenario()
    table = assess(inputs, sc, _existing(inputs, sc), PlanAdditions())
    lc2 = table[table["circle_id"] == "LC2"]
    assert len(lc2) == len(sc.functions)
    assert set(lc2["card_before"]) == {RED} and set(lc2["card_after"]) == {RED}
    assert (lc2["existing_covered"] == 0).all() and (lc2["new_facilities"] == 0).all()


# ------------------------------------------------------------------ has, lacks, adds
def test_has_equals_an_independent_count_of_people_within_reach():
    """Elderly of LC1 within 540 m (straight line) of the running station, counted by hand from coordinates."""
    inputs, sc = two_circles.inputs(), two_circles.scenario()
    table = assess(inputs, sc, _existing(inputs, sc), PlanAdditions())
    f1 = next(f for f in two_circles.FACILITIES if f["function"] == "elder_care")
    by_hand = sum(u["elderly"] for u in two_circles.DEMAND
                  if u["circle_id"] == "LC1" and math.dist((u["x"], u["y"]), (f1["x"], f1["y"]))
                  <= two_circles.ELDER_REACH_M)
    row = _row(table, "LC1", "elder_care")
    assert by_hand == 100  # U1 only: U2 is 602 m away
    assert row["existing_covered"] == by_hand
    assert row["people"] == 200 and row["running_facilities"] == 1 and row["existing_places"] == 20
    assert row["places_needed"] == pytest.approx(30 * 200 / 1000)  # capacity_demand: 30 per 1,000 aged 60+


def test_add_matches_the_plan_of_the_run(solved):
    """What the assessment adds per circle is the run's own plan: its sites, places and newly covered people."""
    run, folder = solved
    table = assess(run.inputs, run.scenario, run.existing,
                   additions_from_tables(folder.coverage_by_circle, folder.facilities))
    assert len(run.plan.sites) >= 2  # both circles get something, or the test proves little
    sites = run.inputs.sites
    for name, fn in run.scenario.functions.items():
        for circle in ("LC1", "LC2"):
            row = _row(table, circle, name)
            planned = sorted(str(sites.at[p.site_row, "site_id"]) for p in run.plan.sites
                             if name in p.costing.functions and sites.at[p.site_row, "circle_id"] == circle)
            assert sorted(filter(None, row["new_sites"].split(";"))) == planned
            places = sum(p.costing.area_by_function[name] / fn.area_per_unit_m2 for p in run.plan.sites
                         if name in p.costing.functions and sites.at[p.site_row, "circle_id"] == circle)
            assert row["new_places"] == pytest.approx(places)
            in_circle = (run.inputs.demand["circle_id"] == circle).to_numpy()
            assert row["newly_covered"] == pytest.approx(run.plan.served_new[name][in_circle].sum())
    elder = _row(table, "LC2", "elder_care")
    assert elder["card_before"] == RED and elder["card_after"] == GREEN  # no place before; a station's 30 after
    counts = card_counts(grade_levels(run.inputs, run.scenario, run.existing, additions_from_tables(
        folder.coverage_by_circle, folder.facilities).provision).table).set_index(["level", "function"])
    assert counts.loc[("circle", "elder_care"), "red_before"] >= 1
    assert counts.loc[("circle", "elder_care"), "green_after"] == 2


# ------------------------------------------------------------------ files
@pytest.mark.parametrize("lang, sheets, first_header", [
    ("zh", ["汇总", "社区食堂", "托育", "社区养老服务站", "停车", "色卡-生活圈"], ["生活圈", "现状色卡", "规划后色卡"]),
    ("en", ["summary", "community canteen", "childcare", "elder care", "parking", "cards life circle"],
     ["life circle", "card before", "card after"]),
])
def test_workbook_has_a_summary_and_a_sheet_per_function_in_each_language(solved, tmp_path, lang, sheets,
                                                                           first_header):
    """The xlsx opens with openpyxl; headers are in the chosen language and card cells carry the card's colour."""
    run, folder = solved
    additions = additions_from_tables(folder.coverage_by_circle, folder.facilities)
    grades = grade_levels(run.inputs, run.scenario, run.existing, additions.provision)
    table = assess(run.inputs, run.scenario, run.existing, additions, grades)
    out, _ = write_assessment(table, grades, circle_points(run.inputs), run.inputs, run.scenario,
                              tmp_path, lang, run_folder=str(folder.path), planned=folder.facilities)
    assert sorted(p.name for p in out.iterdir()) == ["assessment.csv", "assessment.gpkg", "assessment.json",
                                                    "assessment.png", "assessment.xlsx", "assessment_levels.csv",
                                                    "card_counts.csv"]
    wb = openpyxl.load_workbook(out / "assessment.xlsx")
    assert wb.sheetnames == sheets
    ws = wb[sheets[3]]  # elder care
    assert [c.value for c in ws[1]][:3] == first_header
    lc2 = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "LC2")
    assert lc2[1].fill.fgColor.rgb.endswith("DE2D26") and lc2[2].fill.fgColor.rgb.endswith("2CA25F")  # red, green
    csv = pd.read_csv(out / "assessment.csv", encoding="utf-8-sig")
    assert len(csv) == 2 * len(run.scenario.functions)
    assert not any(p.name.endswith(".partial") for p in out.parent.iterdir())


def test_cli_assess_solves_or_reads_a_run_and_both_give_the_same_cards(tmp_path):
    """Without --run the scenario is solved (run folder written too); --run of that folder gives the same table."""
    scenario = two_circles.write_files(tmp_path)
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(main, ["-q", "assess", str(scenario), "--out", str(out), "--lang", "en"])
    assert first.exit_code == 0, first.output
    elder = next(line for line in first.output.splitlines() if "elder care" in line)
    assert elder.split()[-5:] == ["1->2", "0->0", "0->0", "0->0", "1->0"]  # LC1 green, LC2 red; both green after
    assert "level subdistrict skipped" in first.output  # the tiny district names no sub-districts
    run_dir = next(p for p in (out / "two-circles").iterdir() if (p / "run.json").is_file())
    second = runner.invoke(main, ["-q", "assess", str(scenario), "--run", str(run_dir), "--out", str(out)])
    assert second.exit_code == 0, second.output
    tables = [pd.read_csv(p / "assessment.csv", encoding="utf-8-sig")
              for p in (out / "two-circles").glob("assess-*")]
    assert len(tables) == 2
    # Folder names within one second differ only by a random tag, so tell the two apart by language:
    # the first run asked for English, the second wrote the default (Chinese).
    chinese = [bool(np.isin(t["card_after_label"], ["绿", "蓝", "黄", "橙", "红"]).all()) for t in tables]
    assert sorted(chinese) == [False, True]
    english_table, chinese_table = (tables[1], tables[0]) if chinese[0] else (tables[0], tables[1])
    assert np.isin(english_table["card_after_label"], ["green", "blue", "yellow", "orange", "red"]).all()
    cols = [c for c in english_table.columns if not c.endswith("_label") and c != "function_label"]
    pd.testing.assert_frame_equal(english_table[cols], chinese_table[cols])


def test_cli_assess_refuses_a_missing_or_half_written_run(tmp_path):
    """A run folder that is missing, or lacks run.json, is bad input (exit 3) naming the file; nothing is written."""
    scenario = two_circles.write_files(tmp_path)
    out = tmp_path / "out"
    runner = CliRunner()
    missing = runner.invoke(main, ["assess", str(scenario), "--run", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.exit_code == 3 and "nope" in missing.output and "does not exist" in missing.output
    half = tmp_path / "half"
    half.mkdir()
    (half / "plan_sites.csv").write_text("site_id\n", encoding="utf-8")
    result = runner.invoke(main, ["assess", str(scenario), "--run", str(half), "--out", str(out)])
    assert result.exit_code == 3 and "run.json" in result.output
    assert not list(out.glob("*/assess-*"))


def test_two_assessments_in_one_second_get_two_folders(tmp_path):
    """Output folders are named by the UTC second; a second one within it gets '-2', not an error."""
    from optimizer.outputs.writers import unused_folder_name

    (tmp_path / "assess-20261126T000000Z").mkdir()
    assert unused_folder_name(tmp_path, "assess-20261126T000000Z") == "assess-20261126T000000Z-2"
    (tmp_path / ".assess-20261126T000000Z-2.partial").mkdir()
    assert unused_folder_name(tmp_path, "assess-20261126T000000Z") == "assess-20261126T000000Z-3"
    assert unused_folder_name(tmp_path, "diff-x") == "diff-x"
