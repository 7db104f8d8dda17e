"""Five-colour cards (五色卡) graded by the scenario's ``grading:`` table (seed 001: by facility scale and population).

Each test states the planning fact it checks. The small districts are built here: homes
(demand units) of 1,000 residents each, in communities and sub-districts, with running
childcare facilities of known places.
"""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import tiny
import two_circles
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.errors import ScenarioError
from optimizer.grading import COLOURS, DEFAULT_CARDS, DEFAULT_GRADING
from optimizer.outputs.writers import write_run
from optimizer.pipeline import compute_reach, run_scenario
from optimizer.rules.existing import existing_service
from optimizer.run_folder import read_run_folder
from optimizer.studies.assessment import additions_from_tables
from optimizer.studies.grades import covered_from_layer, grade_levels

BANDS = {"green": {"min": 1.0, "basis": "test"}, "blue": {"min": 0.8, "basis": "test"},
         "yellow": {"min": 0.5, "basis": "test"}, "orange": {"min": 0.2, "basis": "test"}}


def _district(places: dict[str, float], *, subdistricts: dict[str, str] | None = None):
    """One home of 1,000 residents per community (2 km apart), a childcare facility of ``places`` in each."""
    demand, facilities = [], []
    for i, (community, n) in enumerate(places.items()):
        x = 2000.0 * i
        demand.append({"unit_id": f"U{i}", "x": x, "y": 0, "total": 1000, "elderly": 200, "infants": 30,
                       "households": 400, "cars": 100, "circle_id": f"LC{i}", "district": "渝中区",
                       "community": community, "subdistrict": (subdistricts or {}).get(community, "")})
        if n:
            facilities.append({"facility_id": f"F{i}", "x": x, "y": 20, "function": "childcare", "capacity": n,
                               "name": "托育"})
    sites = [{"site_id": "S0", "x": 0, "y": 100, "kind": "building", "area_m2": 3000.0, "lowest_floor": 1}]
    return tiny.make_inputs(demand, sites, facilities)


def _grades(inputs, raw: dict | None = None):
    sc = tiny.make_scenario(raw)
    _, reach_facilities = compute_reach(inputs, sc)
    return grade_levels(inputs, sc, existing_service(inputs, reach_facilities, sc))


def _cards(table: pd.DataFrame, level: str, function: str, when: str = "before") -> dict[str, str]:
    part = table[(table["level"] == level) & (table["function"] == function)]
    return dict(zip(part["unit_id"], part[f"card_{when}"], strict=True))


# ------------------------------------------------------------------ the grades
def test_a_community_at_the_national_childcare_standard_is_green_one_without_places_red():
    """A community with 4.5 childcare places per 1,000 residents (the national target, domain.md) is green, one
    with 0 is red: the default grades places per 1,000 of childcare's cohort (all residents) against 4.5."""
    table = _grades(_district({"石油路": 4.5, "化龙桥": 0.0})).table
    row = table[(table["level"] == "community") & (table["function"] == "childcare")
                & (table["unit_id"] == "石油路")].iloc[0]
    assert row["value_before"] == pytest.approx(4.5) and row["attainment_before"] == pytest.approx(1.0)
    assert _cards(table, "community", "childcare") == {"石油路": "green", "化龙桥": "red"}


def test_the_baseline_of_a_district_with_varied_provision_shows_all_five_colours():
    """Five communities with 4.5, 3.8, 2.4, 1.0 and 0.5 childcare places per 1,000 residents (100 %, 84 %, 53 %,
    22 % and 11 % of 4.5) are graded green, blue, yellow, orange and red before any plan: blue is a grade of
    provision, not 'met after the plan'."""
    table = _grades(_district({"A": 4.5, "B": 3.8, "C": 2.4, "D": 1.0, "E": 0.5})).table
    assert _cards(table, "community", "childcare") == {"A": "green", "B": "blue", "C": "yellow", "D": "orange",
                                                       "E": "red"}


def test_bands_are_lower_bounds_on_the_attainment():
    """Exactly at a band's lower bound earns that band; just below it the next one (default 100/80/50/20 %)."""
    assert [DEFAULT_CARDS.card(a) for a in (1.0, 0.9999, 0.8, 0.7999, 0.5, 0.4999, 0.2, 0.1999, 0.0)] == \
        ["green", "blue", "blue", "yellow", "yellow", "orange", "orange", "red", "red"]


def test_a_sub_district_is_graded_on_the_sum_of_its_communities():
    """Sub-district 石油路街道 holds two communities with 4.5 and 0 places per 1,000 (9 % / 2,000 residents =
    2.25 per 1,000, 50 %): yellow, though its communities are green and red."""
    inputs = _district({"A": 4.5, "B": 0.0, "C": 4.5}, subdistricts={"A": "石油路街道", "B": "石油路街道",
                                                                     "C": "化龙桥街道"})
    table = _grades(inputs).table
    assert _cards(table, "subdistrict", "childcare") == {"石油路街道": "yellow", "化龙桥街道": "green"}


def test_a_function_without_capacity_demand_falls_back_to_the_share_covered_and_says_so():
    """Without capacity_demand a function has no places-per-1,000 standard: the default grades the share of its
    cohort within reach (standard 100 %) and the notes say so."""
    grades = _grades(_district({"A": 4.5, "B": 0.0}), {"functions": {"canteen": {"capacity_demand": None}}})
    canteen = grades.table[grades.table["function"] == "canteen"]
    assert set(canteen["measure"]) == {"share_covered"}
    assert any("canteen" in n and "share of its cohort covered" in n for n in grades.notes)


def test_floor_area_per_resident_is_graded_against_the_rule_standard():
    """4.5 childcare places of 20 m2 for 1,000 residents are 0.09 m2 per resident: green against a standard
    of 0.09 m2, orange against 0.3 (30 %)."""
    inputs = _district({"A": 4.5})
    for standard, card in ((0.09, "green"), (0.3, "orange")):
        rule = {"level": "community", "measure": "m2_per_resident", "functions": ["childcare"],
                "standard": standard, "cards": BANDS}
        table = _grades(inputs, {"grading": [rule]}).table
        assert table["value_before"].iloc[0] == pytest.approx(0.09)
        assert _cards(table, "community", "childcare") == {"A": card}


# ------------------------------------------------------------------ levels absent from the data
def test_levels_the_data_lacks_are_skipped_by_the_default_with_a_note():
    """The two-circle district names no sub-districts or communities: the default table grades its life circles
    only and notes the two levels it skipped."""
    inputs = two_circles.inputs()
    grades = _grades(inputs)
    assert set(grades.table["level"]) == {"circle"}
    assert any("subdistrict skipped" in n for n in grades.notes)
    assert any("community skipped" in n for n in grades.notes)


def test_a_scenario_rule_naming_a_level_the_data_lacks_is_an_error():
    """A scenario's own grading of communities, on demand without a community column, is bad input naming the
    key grading[0].level and the missing column."""
    with pytest.raises(ScenarioError) as err:
        _grades(two_circles.inputs(), {"grading": [{"level": "community", "measure": "places_per_1000",
                                                    "cards": BANDS}]})
    assert "grading[0].level" in str(err.value) and "'community'" in str(err.value)


# ------------------------------------------------------------------ after the plan
@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The two-circle district, with sub-districts, solved and written as a run folder."""
    inputs = two_circles.inputs()
    demand = inputs.demand.copy()
    demand["subdistrict"] = ["甲街道", "甲街道", "乙街道", "乙街道"]
    inputs = dataclasses.replace(inputs, demand=demand)
    sc = two_circles.scenario({"grading": [
        {"level": "subdistrict", "measure": "share_covered", "cards": BANDS},
        {"level": "circle", "measure": "places_per_1000", "cards": BANDS}]})
    run = run_scenario(sc, inputs=inputs)
    folder = read_run_folder(write_run(run, tmp_path_factory.mktemp("runs")), for_report=True)
    return run, folder


def test_after_the_plan_no_unit_is_worse_than_at_baseline(solved):
    """New facilities only add places and coverage: no sub-district's or circle's card is worse after the plan,
    and at least one is better."""
    run, folder = solved
    covered = covered_from_layer(folder.demand, run.inputs, run.scenario)
    additions = additions_from_tables(folder.coverage_by_circle, folder.facilities, "", covered)
    table = grade_levels(run.inputs, run.scenario, run.existing, additions.provision).table
    assert set(table["level"]) == {"subdistrict", "circle"}
    rank = {c: i for i, c in enumerate(COLOURS)}
    before, after = table["card_before"].map(rank), table["card_after"].map(rank)
    assert (after <= before).all()
    assert (after < before).any()


def test_the_share_covered_after_the_plan_is_the_run_own(solved):
    """A sub-district's share covered after the plan equals the run's people served by running and new
    facilities in its homes, over its cohort."""
    run, folder = solved
    covered = covered_from_layer(folder.demand, run.inputs, run.scenario)
    additions = additions_from_tables(folder.coverage_by_circle, folder.facilities, "", covered)
    table = grade_levels(run.inputs, run.scenario, run.existing, additions.provision).table
    sub = table[table["level"] == "subdistrict"].set_index(["function", "unit_id"])
    demand = run.inputs.demand
    for name, fn in run.scenario.functions.items():
        mine = (demand["subdistrict"] == "乙街道").to_numpy()
        people = demand[fn.counted_cohort(run.scenario.model.mode)].to_numpy(float)[mine].sum()
        served = (run.plan.served_existing[name] + run.plan.served_new[name])[mine].sum()
        assert sub.loc[(name, "乙街道"), "value_after"] == pytest.approx(served / people)


# ------------------------------------------------------------------ bad grading tables
def _rule(**changes):
    rule = {"level": "community", "measure": "places_per_1000", "functions": ["childcare"],
            "cards": {k: dict(v) for k, v in BANDS.items()}}
    for key, value in changes.items():
        if key.startswith("cards."):
            colour, field = key.split(".")[1:]
            rule["cards"].setdefault(colour, {})[field] = value
        else:
            rule[key] = value
    return rule


@pytest.mark.parametrize("rule, expected", [
    (_rule(level="ward"), ["grading[0].level", "'ward'"]),
    (_rule(measure="beds"), ["grading[0].measure", "'beds'"]),
    (_rule(**{"cards.blue.min": 1.2}), ["grading[0].cards.blue.min", "decrease", "1.2"]),
    (_rule(**{"cards.orange.min": -0.1}), ["grading[0].cards.orange.min", ">= 0", "-0.1"]),
    (_rule(**{"cards.purple.min": 0.1}), ["grading[0].cards.purple", "unknown key"]),
    (_rule(functions=["library"]), ["grading[0].functions", "'library'", "unknown or disabled"]),
    (_rule(measure="m2_per_resident"), ["grading[0].standard", "m2_per_resident"]),
])
def test_a_bad_grading_table_is_a_scenario_error_naming_key_and_value(rule, expected):
    """Unknown level or measure, bands not decreasing from 绿 to 橙, a negative band, an unknown colour key,
    a function not planned, a floor-area grade without a standard: each names its key path and value."""
    with pytest.raises(ScenarioError) as err:
        tiny.make_scenario({"grading": [rule]})
    for text in expected:
        assert text in str(err.value)


def test_two_rules_grading_one_level_and_function_are_an_error():
    """One community x function gets one card: two rules grading it are refused."""
    with pytest.raises(ScenarioError, match=r"grading\[1\]: level community of 'childcare' is already graded"):
        tiny.make_scenario({"grading": [_rule(), _rule(measure="share_covered")]})


def test_the_default_table_grades_subdistricts_communities_and_circles_with_a_basis():
    """The default follows 001 (sub-district and community provision by scale against population) and states
    for every band that 001 publishes no thresholds."""
    assert [(r.level, r.measure) for r in DEFAULT_GRADING] == [
        ("subdistrict", "places_per_1000"), ("community", "places_per_1000"), ("circle", "places_per_1000")]
    for colour in COLOURS[:-1]:
        assert "publishes no thresholds" in getattr(DEFAULT_CARDS, colour).basis
    assert tiny.make_scenario().grading == DEFAULT_GRADING


def test_cli_assess_refuses_a_bad_grading_table_and_writes_nothing(tmp_path):
    """`lifecircle assess` with a grading rule of an unknown measure exits 3, names the key and writes nothing."""
    scenario = two_circles.write_files(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["assess", str(scenario), "--out", str(out), "--set",
                                       "grading=[{level: circle, measure: beds, cards: {green: {min: 1, basis: a}, "
                                       "blue: {min: 0.8, basis: a}, yellow: {min: 0.5, basis: a}, "
                                       "orange: {min: 0.2, basis: a}}}]"])
    assert result.exit_code == 3, result.output
    assert "grading[0].measure" in result.output and "'beds'" in result.output
    assert not out.exists() or not list(out.rglob("*.csv"))


def test_cli_assess_refuses_a_level_the_data_lacks_and_writes_nothing(tmp_path):
    """Grading communities of a district whose demand names none exits 3 naming grading[0].level; no
    assessment folder is written."""
    scenario = two_circles.write_files(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "assess", str(scenario), "--out", str(out), "--set",
                                       "grading=[{level: community, measure: places_per_1000, cards: {green: "
                                       "{min: 1, basis: a}, blue: {min: 0.8, basis: a}, yellow: {min: 0.5, "
                                       "basis: a}, orange: {min: 0.2, basis: a}}}]"])
    assert result.exit_code == 3, result.output
    assert "grading[0].level" in result.output and "community" in result.output
    assert not list(out.glob("*/assess-*"))
