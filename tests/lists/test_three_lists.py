"""The three lists (三单): needs, supply and configuration agree with the plan and with each other."""
from __future__ import annotations

import json

import district
import pandas as pd
import pytest
import two_circles
from click.testing import CliRunner
from openpyxl import load_workbook

from optimizer.cli import main
from optimizer.outputs.three_lists import (
    COLUMN_LABELS,
    configuration_list,
    needs_list,
    operator_kind,
    planned_facilities,
    supply_list,
)
from optimizer.outputs.writers import write_run
from optimizer.pipeline import run_scenario


def zh(key: str) -> str:
    return COLUMN_LABELS[key]["zh"]


@pytest.fixture(scope="module")
def run():
    """Both circles fully planned (20 M yuan), with residents' requests."""
    return run_scenario(two_circles.scenario(), inputs=district.inputs(with_requests=True))


@pytest.fixture(scope="module")
def run_without_lc2():
    """S2 forced out (rule 8): nothing is planned in LC2."""
    scenario = two_circles.scenario({"decisions": {"force_out": ["S2"]}})
    return run_scenario(scenario, inputs=district.inputs(with_requests=True))


@pytest.fixture(scope="module")
def folder(run, tmp_path_factory):
    return write_run(run, tmp_path_factory.mktemp("runs"))


def test_the_configuration_list_costs_each_site_to_the_cent_as_plan_sites_does(folder):
    """S1's conversion (1,000,000.01 yuan) split four ways still adds up, with fit-out less savings, to S1's cost."""
    config = pd.read_csv(folder / "configuration_list.csv", encoding="utf-8-sig", dtype={zh("site_id"): str})
    sites = pd.read_csv(folder / "plan_sites.csv", encoding="utf-8-sig", dtype={"site_id": str})
    per_site = config.groupby(zh("site_id"))[zh("one_off_cost")].sum()
    assert set(per_site.index) == set(sites["site_id"]) == {"S1", "S2"}
    for site_id, total in zip(sites["site_id"], sites["total_cost"], strict=True):
        assert round(per_site[site_id] * 100) == round(total * 100), site_id
    s1 = config[config[zh("site_id")] == "S1"]
    assert len(s1) == 4 and sorted(s1[zh("conversion_share")]) != [250000.0] * 4  # the spare cent goes somewhere
    rebuilt = s1[zh("function_cost")] + s1[zh("conversion_share")] - s1[zh("sharing_saving")]
    assert rebuilt.round(2).tolist() == s1[zh("one_off_cost")].tolist()


def test_the_configuration_list_gives_the_circle_its_target_year_subdistrict_and_address(run):
    config = configuration_list(run)
    s1 = config[config["site_id"] == "S1"]
    assert set(s1["target_year"]) == {2025} and set(s1["circle_name"]) == {"石油路生活圈"}
    assert set(s1["address"]) == {"石油路1号"} and set(s1["subdistrict"]) == {"石油路街道"}
    assert set(config.loc[config["site_id"] == "S2", "target_year"]) == {2027}


def test_the_supply_lists_planned_rows_are_the_configuration_list(run):
    supply = supply_list(run)
    planned = supply[supply["status"] == "planned"]
    config = configuration_list(run)
    left = planned[["facility_id", "function", "circle_id", "places", "area_m2"]] \
        .rename(columns={"facility_id": "site_id"}).sort_values(["site_id", "function"], ignore_index=True)
    right = config[["site_id", "function", "circle_id", "places", "area_m2"]] \
        .sort_values(["site_id", "function"], ignore_index=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_the_supply_list_lists_the_running_station_in_its_circle(run):
    supply = supply_list(run)
    running = supply[supply["status"] == "running"]
    assert running[["circle_id", "function", "facility_id", "places"]].values.tolist() == \
        [["LC1", "elder_care", "F1", 20.0]]
    # a planned canteen of the standard 360 m2 at 2.4 m2 a seat has 150 seats
    canteen = supply[(supply["status"] == "planned") & (supply["function"] == "canteen")]
    assert set(canteen["places"]) == {150.0}
    assert set(canteen.loc[canteen["facility_id"] == "S1", "operator"]) == {"public"}  # 区国资: 公建民营


def test_the_needs_list_says_a_facility_is_added_exactly_where_the_supply_list_plans_one(run_without_lc2):
    needs = needs_list(run_without_lc2)
    supply = supply_list(run_without_lc2)
    planned = set(map(tuple, supply.loc[supply["status"] == "planned", ["circle_id", "function"]].values))
    adds = set(map(tuple, needs.loc[needs["adds_facility"], ["circle_id", "function"]].values))
    assert adds == planned and adds and all(c == "LC1" for c, _ in adds)


def test_the_needs_list_counts_requests_by_community_and_ranks_them_first(run_without_lc2):
    """C1's requests (no circle given) are LC1's: childcare 3 then canteen 2 lead LC1; 家政 is a need not planned."""
    needs = needs_list(run_without_lc2).set_index(["circle_id", "function"])
    assert needs.loc[("LC1", "childcare"), "requests"] == 3 and needs.loc[("LC1", "canteen"), "requests"] == 2
    lc1 = needs.loc["LC1"].sort_values("rank")
    assert list(lc1.index[:3]) == ["家政", "childcare", "canteen"]
    assert needs.loc[("LC1", "家政"), "adds_facility"] == False  # noqa: E712 - numpy bool
    assert pd.isna(needs.loc[("LC1", "家政"), "people"])


def test_the_needs_list_states_the_coverage_gap_before_and_after(run_without_lc2):
    """LC1: the running station reaches U1's 100 elderly, the plan the other 100; LC2 gets nothing."""
    needs = needs_list(run_without_lc2).set_index(["circle_id", "function"])
    elder = needs.loc[("LC1", "elder_care")]
    assert (elder["people"], elder["not_covered_before"], elder["not_covered_after"]) == (200, 100, 0)
    assert elder["running_facilities"] == 1 and elder["new_facilities"] == 1
    lc2 = needs.loc["LC2"].sort_values("rank")
    # parking has LC2's 5 requests; then the rest all uncovered (100 %), by people not covered
    assert list(lc2.index) == ["parking", "canteen", "elder_care", "childcare"]
    assert (lc2["gap_pct_after"] == 100.0).all() and not lc2["adds_facility"].any()


def test_without_a_requests_ledger_the_needs_list_ranks_by_the_gap(tmp_path):
    run = run_scenario(two_circles.scenario({"decisions": {"force_out": ["S2"]}}), inputs=district.inputs())
    needs = needs_list(run)
    assert needs["requests"].isna().all()
    lc2 = needs[needs["circle_id"] == "LC2"].sort_values("rank")
    assert lc2["function"].tolist() == ["canteen", "elder_care", "parking", "childcare"]


def test_extra_configuration_columns_merge_in_one_line_by_site_and_function(run):
    extra = pd.DataFrame({"site_id": ["S1"], "function": ["canteen"], "who_pays": ["区财政"]})
    config = configuration_list(run, extra=extra)
    assert config.loc[(config["site_id"] == "S1") & (config["function"] == "canteen"), "who_pays"].item() == "区财政"
    assert config["who_pays"].isna().sum() == len(config) - 1


def test_a_time_shared_garage_states_its_own_places_hours_and_operator():
    """A private garage open to residents 19:00-08:00 with 40 spaces, hosting parking only."""
    sites = [{**two_circles.SITES[0], "allowed_functions": ""},
             {**two_circles.SITES[1], "allowed_functions": "parking", "places": 40, "hours": "19:00-08:00",
              "owner": "企业"}]
    run = run_scenario(two_circles.scenario(), inputs=district.inputs(sites=sites))
    planned = planned_facilities(run)
    garage = planned[planned["site_id"] == "S2"]
    assert garage[["function", "places", "hours", "operator"]].values.tolist() == \
        [["parking", 40.0, "19:00-08:00", "private"]]
    # S1 hosts several functions: its places are each facility's capacity
    assert set(planned.loc[planned["site_id"] == "S1", "hours"]) == {""}


def test_an_owner_decides_how_a_planned_facility_is_run():
    assert [operator_kind(o) for o in ("区国资", "街道", "区教委", "企业", "个人业主", "", "某单位")] == \
        ["public", "public", "public", "private", "private", "open", "open"]


def test_the_lists_are_written_in_english_with_bom_and_a_workbook_of_three_sheets(run, tmp_path):
    folder = write_run(run, tmp_path, lang="en")
    assert json.loads((folder / "run.json").read_text(encoding="utf-8"))["lang"] == "en"
    for name in ("needs_list.csv", "supply_list.csv", "configuration_list.csv"):
        assert (folder / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    needs = pd.read_csv(folder / "needs_list.csv", encoding="utf-8-sig")
    assert "not covered after the plan (gap)" in needs.columns
    adds = dict(zip(needs["service"], needs["plan adds a facility"], strict=False))
    assert adds["community canteen"] == "yes" and adds["家政"] == "no"  # residents ask for it; nothing planned
    book = load_workbook(folder / "three_lists.xlsx")
    assert book.sheetnames == ["high-frequency needs", "service supply", "facility configuration"]
    sheet = book["facility configuration"]
    assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
    header = [c.value for c in sheet[1]]
    cost = sheet.cell(row=2, column=header.index("one-off cost (yuan)") + 1)
    assert cost.data_type == "n" and cost.value > 0
    assert sheet.column_dimensions["B"].width >= 8


def test_solve_takes_lang_and_writes_the_lists_in_it(tmp_path):
    scenario = two_circles.write_files(tmp_path)
    result = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(tmp_path / "out"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "out" / "two-circles").iterdir()
    supply = pd.read_csv(folder / "supply_list.csv", encoding="utf-8-sig")
    assert {"running", "planned"} == set(supply["status"])
    result = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(tmp_path / "out"), "--lang", "fr"])
    assert result.exit_code == 3
