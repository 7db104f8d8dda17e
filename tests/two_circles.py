"""A tiny district of two life circles, 2 km apart, for the assess and diff tests.

LC1: homes U1 (0, 0) and U2 (600, 0), a running elder-care station F1 at (0, 50) that
reaches U1 only (elder care: 10 min at 0.9 m/s = 540 m, straight line, detour 1.0), and
an idle building S1 at (300, 0). LC2: homes U3 (2000, 0) and U4 (2300, 0), nothing
running, an idle building S2 at (2150, 0). No site reaches the other circle.
"""
from __future__ import annotations

from pathlib import Path

import tiny

DEMAND = [
    {"unit_id": "U1", "x": 0, "y": 0, "total": 900, "elderly": 100, "infants": 20, "households": 300, "cars": 60,
     "circle_id": "LC1", "district": "渝中区"},
    {"unit_id": "U2", "x": 600, "y": 0, "total": 700, "elderly": 100, "infants": 15, "households": 250, "cars": 40,
     "circle_id": "LC1", "district": "渝中区"},
    {"unit_id": "U3", "x": 2000, "y": 0, "total": 800, "elderly": 150, "infants": 18, "households": 280, "cars": 50,
     "circle_id": "LC2", "district": "渝中区"},
    {"unit_id": "U4", "x": 2300, "y": 0, "total": 600, "elderly": 90, "infants": 10, "households": 200, "cars": 30,
     "circle_id": "LC2", "district": "渝中区"},
]
SITES = [
    {"site_id": "S1", "x": 300, "y": 0, "kind": "building", "area_m2": 3000.0, "lowest_floor": 1,
     "name": "闲置厂房", "circle_id": "LC1", "district": "渝中区"},
    {"site_id": "S2", "x": 2150, "y": 0, "kind": "building", "area_m2": 3000.0, "lowest_floor": 1,
     "name": "闲置仓库", "circle_id": "LC2", "district": "渝中区"},
]
FACILITIES = [
    {"facility_id": "F1", "x": 0, "y": 50, "function": "elder_care", "capacity": 20, "name": "养老站",
     "circle_id": "LC1"},
]
#: elder care reach in metres: 10 min x 60 s x 0.9 m/s (straight line, detour 1.0)
ELDER_REACH_M = 540.0


def inputs(circle_prefix: str = "LC"):
    """The district's inputs (circle ids renamed with ``circle_prefix`` for a 'different district')."""
    def rename(records):
        return [{**r, "circle_id": r["circle_id"].replace("LC", circle_prefix)} for r in records]
    return tiny.make_inputs(rename(DEMAND), rename(SITES), rename(FACILITIES))


def scenario(raw: dict | None = None):
    """Straight line x 1.0, 20 M yuan: enough for every useful function on both sites."""
    return tiny.make_scenario({"budget": {"total": 2e7}, **(raw or {})})


def write_files(folder: Path) -> Path:
    """The district as GeoPackages and a scenario file under ``folder``; returns the scenario path."""
    data = inputs()
    (folder / "data").mkdir(parents=True, exist_ok=True)
    data.demand.to_file(folder / "data" / "demand.gpkg", layer="demand")
    data.sites.to_file(folder / "data" / "sites.gpkg", layer="sites")
    data.facilities.to_file(folder / "data" / "facilities.gpkg", layer="facilities")
    path = folder / "two-circles.yaml"
    path.write_text("name: two-circles\n"
                    "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
                    "  facilities: data/facilities.gpkg\n"
                    "reach: {method: straight_line, detour_factor: 1.0}\n"
                    "budget: {total: 20000000}\nsolver: {time_limit_s: 30}\n", encoding="utf-8")
    return path
