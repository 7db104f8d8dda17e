"""Bad inputs to ``lifecircle cover`` (issue 16): each exits 3 naming the option, file or column.

Every case starts from a small, good maximal covering problem written into the project
folder (``cover/demand.csv``, ``cover/sites.csv``, ``cover/od.csv``: four demand points,
three sites, radius 500 m, ``--p 2``), spoils one option or one table, and runs ``cover``
with ``--out out``; the harness checks exit 3, the names, no traceback and an untouched
output folder. The good problem itself solves (exit 0), so every rejection is the spoiling's.
"""
from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import pytest
from bad_input_harness import Bad, Project, assert_rejected, invoke
from shapely.geometry import Point, box

DEMAND = pd.DataFrame({"id": ["D1", "D2", "D3", "D4"], "weight": [10, 20, 30, 40],
                       "x": [0.0, 400.0, 800.0, 1600.0], "y": [0.0, 0.0, 0.0, 0.0]})
SITES = pd.DataFrame({"id": ["S1", "S2", "S3"], "x": [0.0, 800.0, 1600.0], "y": [100.0, 100.0, 100.0],
                      "cost": [1.0, 2.0, 1.0]})
OD = pd.DataFrame({"demand_id": ["D1", "D2", "D3"], "site_id": ["S1", "S1", "S2"], "distance": [100, 300, 50]})


def _write(project: Project, demand: pd.DataFrame = DEMAND, sites: pd.DataFrame = SITES,
           od: pd.DataFrame = OD) -> None:
    folder = project.folder / "cover"
    folder.mkdir(exist_ok=True)
    demand.to_csv(folder / "demand.csv", index=False)
    sites.to_csv(folder / "sites.csv", index=False)
    od.to_csv(folder / "od.csv", index=False)


def _args(*, drop: tuple[str, ...] = (), **options: str) -> list[str]:
    """``cover`` on the good problem; ``options`` replace or add options (``set_cover=""`` adds a flag)."""
    base = {"demand": "cover/demand.csv", "sites": "cover/sites.csv", "radius": "500", "p": "2"}
    base.update(options)
    out = ["cover"]
    for key, value in base.items():
        if key in drop:
            continue
        out += [f"--{key.replace('_', '-')}"] + ([value] if value != "" else [])
    return out + ["--out", "out"]


def option(drop: tuple[str, ...] = (), **options: str) -> Callable[[Project], list[str]]:
    """Spoil one option of the good problem."""
    def spoil(project: Project) -> list[str]:
        _write(project)
        return _args(drop=drop, **options)
    return spoil


def table(*, demand: pd.DataFrame = DEMAND, sites: pd.DataFrame = SITES, od_table: pd.DataFrame = OD,
          **options: str) -> Callable[[Project], list[str]]:
    """Spoil one table of the good problem (``options`` as in :func:`_args`)."""
    def spoil(project: Project) -> list[str]:
        _write(project, demand, sites, od_table)
        return _args(**options)
    return spoil


def raw_file(name: str, content: bytes, **options: str) -> Callable[[Project], list[str]]:
    """Replace ``cover/<name>`` by raw bytes."""
    def spoil(project: Project) -> list[str]:
        _write(project)
        (project.folder / "cover" / name).write_bytes(content)
        return _args(**options)
    return spoil


def polygon_sites(project: Project) -> list[str]:
    _write(project)
    gdf = gpd.GeoDataFrame({"id": ["S1", "S2"]}, geometry=[box(0, 0, 10, 10), box(800, 0, 810, 10)],
                           crs="EPSG:32648")
    gdf.to_file(project.folder / "cover" / "sites.gpkg", layer="sites", driver="GPKG")
    return _args(sites="cover/sites.gpkg")


def point_sites(project: Project) -> list[str]:
    _write(project)
    gdf = gpd.GeoDataFrame({"id": ["S1", "S2"]}, geometry=[Point(0, 100), Point(800, 100)], crs="EPSG:32648")
    gdf.to_file(project.folder / "cover" / "sites.gpkg", layer="sites", driver="GPKG")
    return _args(sites="cover/sites.gpkg")


def folder_as_demand(project: Project) -> list[str]:
    _write(project)
    (project.folder / "cover" / "demand-folder").mkdir()
    return _args(demand="cover/demand-folder")


CASES = [
    # options
    Bad("p-negative", option(p="-3"), ("--p", "-3")),
    Bad("p-zero", option(p="0"), ("--p",)),
    Bad("p-fractional", option(p="2.5"), ("--p", "whole number")),
    Bad("p-not-a-number", option(p="two"), ("--p", "two")),
    Bad("p-more-than-the-sites", option(p="9"), ("--p", "3", "sites.csv")),
    Bad("budget-negative", option(drop=("p",), budget="-1"), ("--budget", "-1")),
    Bad("budget-infinite", option(drop=("p",), budget="inf"), ("--budget",)),
    Bad("budget-not-a-number", option(drop=("p",), budget="nan"), ("--budget",)),
    Bad("radius-zero", option(radius="0"), ("--radius",)),
    Bad("radius-negative", option(radius="-500"), ("--radius", "-500")),
    Bad("time-limit-zero", option(time_limit="0"), ("--time-limit",)),
    Bad("time-limit-negative", option(time_limit="-5"), ("--time-limit",)),
    Bad("time-limit-not-a-number", option(time_limit="soon"), ("--time-limit", "soon")),
    Bad("neither-p-nor-budget", option(drop=("p",)), ("--p", "--budget")),
    Bad("neither-radius-nor-od", option(drop=("radius",)), ("--radius", "--od")),
    Bad("set-cover-with-p", option(set_cover=""), ("--p", "--set-cover")),
    Bad("unknown-solver", option(solver="gurobi"), ("--solver", "gurobi")),
    Bad("greedy-is-no-plain-solver", option(solver="greedy"), ("--solver", "greedy")),
    # files
    Bad("demand-file-missing", option(demand="cover/nowhere.csv"), ("nowhere.csv", "not found")),
    Bad("demand-is-a-folder", folder_as_demand, ("demand-folder", "folder")),
    Bad("demand-empty", raw_file("demand.csv", b"id,weight,x,y\n"), ("demand.csv", "no rows")),
    Bad("demand-not-a-table", raw_file("demand.csv", b"\x00\x01\x02\xff\xfe"), ("demand.csv",)),
    Bad("sites-polygons", polygon_sites, ("sites.gpkg", "geometry", "points")),
    # columns and rows
    Bad("demand-weight-missing", table(demand=DEMAND.drop(columns="weight")), ("demand.csv", "weight")),
    Bad("demand-weight-negative", table(demand=DEMAND.assign(weight=[10, -20, 30, 40])),
        ("demand.csv", "weight", "row 3")),
    Bad("demand-id-twice", table(demand=DEMAND.assign(id=["D1", "D1", "D3", "D4"])), ("demand.csv", "id", "D1")),
    Bad("sites-without-location", table(sites=SITES.drop(columns=["x", "y"])), ("sites.csv", "x")),
    Bad("sites-cost-not-a-number", table(sites=SITES.assign(cost=[1, "cheap", 1])), ("sites.csv", "cost", "cheap")),
    Bad("od-unknown-demand", table(od_table=OD.assign(demand_id=["D1", "D9", "D3"]), od="cover/od.csv"),
        ("od.csv", "demand_id", "D9")),
    Bad("od-without-site-column", table(od_table=OD.drop(columns="site_id"), od="cover/od.csv"), ("od.csv", "site_id")),
    Bad("od-radius-without-distance", table(od_table=OD.drop(columns="distance"), od="cover/od.csv"),
        ("od.csv", "distance")),
]


def test_there_are_at_least_fifteen_distinct_bad_inputs():
    assert len(CASES) >= 15 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("spoil", [option(), point_sites, option(drop=("p",), budget="0"), option(time_limit="2")],
                         ids=["csv", "gpkg-points", "budget-zero", "time-limit-2"])
def test_the_good_problem_solves_so_every_rejection_is_the_spoiling_s_doing(spoil, project):
    result = invoke(project, spoil(project))
    assert result.exit_code == 0, result.output
    assert "PROVEN OPTIMAL" in result.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_cover_input_exits_3_names_where_and_writes_nothing(case, project):
    assert_rejected(case, project)
