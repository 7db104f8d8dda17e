"""Small scenarios for batch tests (tests/cli/, tests/batch/): a two-unit, two-site district; the demo."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

LON, LAT = 106.58, 29.56
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "yuzhong-demo.yaml"

#: four runs: two solved, one infeasible (too poor for a forced site), one that solves to a smaller plan
RUNS = """runs:
  - {scenario: tiny.yaml}
  - {scenario: tiny.yaml, set: ["budget.total=5e6"]}
  - {scenario: tiny.yaml, set: ["budget.total=100", "decisions.force_in=[S1]"], name: too-poor}
  - {scenario: tiny.yaml, set: ["budget.total=1e7"], name: ten-million}
"""


def _points(records: list[dict]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(records)
    geom = [Point(LON + r["dx"] / 97000, LAT + r["dy"] / 111000) for r in records]
    return gpd.GeoDataFrame(df.drop(columns=["dx", "dy"]), geometry=geom, crs="EPSG:4326")


def write_tiny_district(folder: Path, extra_yaml: str = "") -> Path:
    """``folder/tiny.yaml`` and its inputs: two demand units, a building S1 (every function) and a
    plot S2 (parking only), straight-line reach, 20 M yuan; ``extra_yaml`` is appended. Returns the scenario."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    _points([
        {"unit_id": "U1", "dx": 0, "dy": 0, "total": 800, "elderly": 200, "infants": 20, "households": 300,
         "cars": 90, "circle_id": "LC1", "district": "渝中区"},
        {"unit_id": "U2", "dx": 900, "dy": 0, "total": 500, "elderly": 90, "infants": 12, "households": 200,
         "cars": 40, "circle_id": "LC2", "district": "渝中区"},
    ]).to_file(data / "demand.gpkg", layer="demand")
    _points([
        {"site_id": "S1", "dx": 30, "dy": 0, "kind": "building", "area_m2": 1500.0, "lowest_floor": 1,
         "name": "闲置厂房", "circle_id": "LC1", "district": "渝中区"},
        {"site_id": "S2", "dx": 880, "dy": 0, "kind": "plot", "area_m2": 2000.0, "lowest_floor": 1,
         "name": "边角地", "circle_id": "LC2", "district": "渝中区"},
    ]).to_file(data / "sites.gpkg", layer="sites")
    scenario = folder / "tiny.yaml"
    scenario.write_text(
        "inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
        "reach: {method: straight_line}\nbudget: {total: 20000000}\n"
        "solver: {time_limit_s: 30}\n" + extra_yaml, encoding="utf-8")
    return scenario


def write_tiny_project(folder: Path, runs: str = RUNS) -> Path:
    """``folder/tiny.yaml`` with its inputs, and ``folder/batch.yaml`` of ``runs``; returns the batch file."""
    write_tiny_district(folder)
    batch = folder / "batch.yaml"
    batch.write_text(runs, encoding="utf-8")
    return batch


def sleep_and_report(pid_file: str, seconds: float) -> int:
    """Write this process's id to ``pid_file``, sleep, return the id: a run long enough to be killed."""
    import os
    import time

    Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(seconds)
    return os.getpid()


def fail_with_input_error(message: str) -> None:
    """An ordinary failure (it would fail the same way every time)."""
    raise ValueError(message)


def store_reach_repeatedly(folder: str, key: str, pairs: int, times: int) -> int:
    """Store the same reach cache entry ``times`` times (one of several concurrent writers)."""
    import numpy as np

    from optimizer.reach.cache import ReachCache
    from optimizer.reach.types import Reach, ReachMethod

    rng = np.random.default_rng(pairs)
    reach = Reach(np.arange(pairs, dtype=np.int32) % 1000, np.arange(pairs, dtype=np.int32) % 100,
                  rng.uniform(0, 900, pairs), 1000, 100, 900.0, ReachMethod.STRAIGHT_LINE)
    cache = ReachCache(Path(folder))
    for _ in range(times):
        cache.store(key, reach)
    return times
