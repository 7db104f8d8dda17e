"""``lifecircle city``: a run folder like solve's plus pieces.csv; a split that would change the rules is refused."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from optimizer.cli import main

LON, LAT = 106.58, 29.56


def _points(records: list[dict]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(records)
    geom = [Point(LON + r["dx"] / 97000, LAT + r["dy"] / 111000) for r in records]
    return gpd.GeoDataFrame(df.drop(columns=["dx", "dy"]), geometry=geom, crs="EPSG:4326")


@pytest.fixture
def two_districts(tmp_path):
    """渝中区 and 江北区, 8 km apart, each with its own budget."""
    data = tmp_path / "data"
    data.mkdir()
    units, sites = [], []
    for k, (district, dx) in enumerate((("渝中区", 0), ("江北区", 8000))):
        for i in range(3):
            units.append({"unit_id": f"U{k}{i}", "dx": dx + 150 * i, "dy": 0, "total": 500 + 100 * i,
                          "elderly": 120, "infants": 15, "households": 200, "cars": 60, "circle_id": f"LC{k}",
                          "district": district})
        sites.append({"site_id": f"S{k}", "dx": dx + 100, "dy": 50, "kind": "building", "area_m2": 1500.0,
                      "lowest_floor": 1, "circle_id": f"LC{k}", "district": district})
    _points(units).to_file(data / "demand.gpkg", layer="demand")
    _points(sites).to_file(data / "sites.gpkg", layer="sites")
    (tmp_path / "city.yaml").write_text(
        "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
        "reach: {method: straight_line}\nfunctions: {parking: {enabled: false}}\n"
        "budget: {by_district: {渝中区: 3000000, 江北区: 2500000}}\n"
        "solver: {time_limit_s: 30}\n", encoding="utf-8")
    return tmp_path


def test_city_writes_a_run_folder_with_pieces_csv(two_districts):
    """Two districts nobody walks between: two exact pieces, each with its district, in pieces.csv."""
    out = two_districts / "out"
    res = CliRunner().invoke(main, ["city", str(two_districts / "city.yaml"), "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "independent blocks (exact)" in res.output
    (folder,) = [p for p in (out / "city").iterdir() if p.is_dir() and not p.name.startswith(".")]
    pieces = pd.read_csv(folder / "pieces.csv", encoding="utf-8-sig")
    assert sorted(pieces["districts"]) == ["江北区", "渝中区"]
    assert list(pieces.columns[:8]) == ["piece", "name", "districts", "sites", "demand_units", "variables", "rows",
                                        "status"]
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert record["proven_optimal"] and record["check"]["passed"]
    assert record["model"]["decomposition"]["pieces"] == 2
    assert record["objective"] == pytest.approx(pieces["objective"].sum())
    assert (folder / "plan_sites.csv").exists() and (folder / "plan.gpkg").exists()


def test_split_by_district_with_a_binding_city_budget_is_refused_naming_the_rule(two_districts):
    """A city-wide budget that can bind links every district: exit 2, rule 1 named, nothing written."""
    out = two_districts / "out"
    res = CliRunner().invoke(main, ["city", str(two_districts / "city.yaml"), "--split", "by_district",
                                    "--set", "budget.total=4000000", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "city-wide budget (rule 1)" in res.output
    assert not (out / "city").exists() or not any((out / "city").iterdir())
