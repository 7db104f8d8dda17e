"""A buffer map claims people across a river who must walk to a distant bridge."""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import pytest
from shapely.geometry import LineString
from tiny import CRS, make_inputs, make_scenario

from optimizer.pipeline import run_scenario


def _river_town():
    """Two banks 200 m apart (y = 0 and y = 200), one bridge 1 km east (x = 1000)."""
    lines = [LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 200)]),
             LineString([(1000, 200), (0, 200)])]
    people = {"elderly": 0.0, "infants": 0.0, "households": 0.0, "cars": 0.0, "circle_id": "C", "district": "D"}
    demand = [{"unit_id": "near", "x": 100.0, "y": 0.0, "total": 300.0, **people},
              {"unit_id": "across", "x": 0.0, "y": 200.0, "total": 500.0, **people}]
    sites = [{"site_id": "S0", "x": 900.0, "y": 0.0, "kind": "building", "area_m2": 500.0, "lowest_floor": 1,
              "parking_allowed": False, "circle_id": "C", "district": "D"}]
    facilities = [{"facility_id": "F0", "function": "canteen", "x": 0.0, "y": 0.0, "capacity": 100.0}]
    inputs = make_inputs(demand, sites, facilities)
    network = gpd.GeoDataFrame({"highway": ["footway"] * 3}, geometry=lines, crs=CRS)
    return dataclasses.replace(inputs, network=network)


def test_a_buffer_counts_the_people_across_the_river_who_cannot_walk_there_in_time():
    inputs = _river_town()
    sc = make_scenario({"reach": {"method": "network"}, "budget": {"total": 0},
                        "functions": {"canteen": {"threshold_min": 5},  # 300 m at 1 m/s
                                      "childcare": {"enabled": False}, "elder_care": {"enabled": False},
                                      "parking": {"enabled": False}},
                        "model": {"ineligible_sites": "ignore"}})
    run = run_scenario(sc, inputs=inputs)
    row = run.walk_vs_buffer.set_index("function").loc["canteen"]
    assert row["buffer_radius_m"] == 300.0
    assert row["existing_covered_walking"] == 300.0   # the near bank only
    assert row["existing_covered_buffer"] == 800.0    # 200 m across the water looks close
    assert row["existing_buffer_overstates"] == 500.0
    assert row["existing_overstatement_pct"] == pytest.approx(166.7)
    assert row["reach_method"] == "network"
