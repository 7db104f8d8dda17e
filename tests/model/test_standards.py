"""Standards by circle type (rule 7 by type, 一圈一策): each type of life circle must have its own set.

Seed 000: circles are typed 居住型、产业型、商服型、其他型及乡村 and "对各类型生活圈配什么设施进行明确".
"""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import pytest
import shapely
from tiny import CRS, make_inputs, make_scenario

from optimizer.errors import InputError, ScenarioError
from optimizer.pipeline import run_scenario


def _district(types: dict[str, str]):
    """Two circles: R (residential, 100 elderly) and C (commercial, 400 elderly), one site each; money for one."""
    demand = [{"unit_id": "R1", "x": 0.0, "y": 0.0, "total": 500.0, "elderly": 100.0, "infants": 0.0, "cars": 0.0,
               "households": 0.0, "circle_id": "R", "district": "D"},
              {"unit_id": "C1", "x": 3000.0, "y": 0.0, "total": 900.0, "elderly": 400.0, "infants": 0.0,
               "cars": 0.0, "households": 0.0, "circle_id": "C", "district": "D"}]
    sites = [{"site_id": "SR", "x": 40.0, "y": 0.0, "kind": "building", "area_m2": 600.0, "lowest_floor": 1,
              "circle_id": "R", "district": "D"},
             {"site_id": "SC", "x": 3040.0, "y": 0.0, "kind": "building", "area_m2": 600.0, "lowest_floor": 1,
              "circle_id": "C", "district": "D"}]
    inputs = make_inputs(demand, sites)
    circles = gpd.GeoDataFrame({"circle_id": list(types), "name": list(types), "type": list(types.values()),
                                "subdistrict": "", "target_year": 2027},
                               geometry=[shapely.box(-500, -500, 1500, 500), shapely.box(1500, -500, 3500, 500)],
                               crs=CRS)
    raw = {"functions": {"canteen": {"enabled": False}, "childcare": {"enabled": False},
                         "parking": {"enabled": False}},
           "budget": {"total": 2.0e6}, "objective": "share"}
    return dataclasses.replace(inputs, circles=circles), raw


def _hosts(run) -> set[str]:
    return {run.inputs.sites["site_id"][p.site_row] for p in run.plan.sites}


def test_a_residential_standard_sends_the_station_to_the_residential_circle_only():
    """Without standards the station goes where most elderly are (C); 居住型 must cover 100 %, so it goes to R."""
    inputs, raw = _district({"R": "居住型", "C": "商服型"})
    assert _hosts(run_scenario(make_scenario(raw), inputs=inputs)) == {"SC"}
    standards = {"居住型": [{"function": "elder_care", "min_share": 1.0}], "商服型": []}
    run = run_scenario(make_scenario({**raw, "standards": standards}), inputs=inputs)
    assert _hosts(run) == {"SR"}
    assert run.requirements["circle_id"].tolist() == ["R"] and bool(run.requirements["met"].all())


def test_a_circle_type_without_a_standard_is_refused_naming_the_type_and_its_circles():
    """Bad input: 商服型 is in the circles table but not in standards: exit 3 naming the key and the type."""
    inputs, raw = _district({"R": "居住型", "C": "商服型"})
    standards = {"居住型": [{"function": "elder_care", "min_share": 0.5}]}
    with pytest.raises(InputError, match=r"standards: circle type '商服型' \(circles C\) has no standard"):
        run_scenario(make_scenario({**raw, "standards": standards}), inputs=inputs)


def test_standards_need_the_circles_types():
    """Standards by type without inputs.circles: exit 3 saying what to give."""
    inputs, raw = _district({"R": "居住型", "C": "商服型"})
    inputs = dataclasses.replace(inputs, circles=None)
    with pytest.raises(InputError, match="need the circles' types: give inputs.circles"):
        run_scenario(make_scenario({**raw, "standards": {"居住型": []}}), inputs=inputs)


def test_the_built_in_chongqing_table_sets_childcare_places_per_1000_for_residential_circles():
    """standards: chongqing asks 4.5 childcare places per 1,000 residents of 居住型 circles (national target)."""
    sc = make_scenario({"standards": "chongqing"})
    childcare = [r for r in sc.requirements if r.function == "childcare" and "居住型" in r.circle_types]
    assert childcare and childcare[0].min_per_1000 == 4.5


@pytest.mark.parametrize("standards,key", [
    ("beijing", "standards: unknown table 'beijing'"),
    ({"居住型": [{"function": "library", "min_share": 0.5}]}, r"standards\.居住型\[0\]\.function"),
    ({"居住型": [{"function": "elder_care", "min_share": 1.5}]}, r"standards\.居住型\[0\]\.min_share"),
    ({"居住型": [{"function": "elder_care"}]}, r"standards\.居住型\[0\]: give exactly one"),
])
def test_meaningless_standards_are_refused_naming_the_key(standards, key):
    """Bad input: an unknown table, function or a share above 100 %: exit 3 naming the key."""
    with pytest.raises(ScenarioError, match=key):
        make_scenario({"standards": standards})
