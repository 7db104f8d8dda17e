"""Small input files written into ``tmp_path``: one canonical table in every format."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from input_tables import demand_frame, sites_frame, write_table

from optimizer.inputs.schema import InputsSpec, LayerSpec


@pytest.fixture
def write() -> Callable[..., LayerSpec]:
    """``write(frame, folder, name, fmt) -> LayerSpec``."""
    return write_table


@pytest.fixture
def good_spec(tmp_path: Path) -> InputsSpec:
    """Demand and sites as GeoPackages, facilities as CSV."""
    facilities = tmp_path / "facilities.csv"
    facilities.write_text("facility_id,function,capacity,lon,lat\nF1,canteen,40,106.551,29.561\n", encoding="utf-8")
    return InputsSpec(
        demand=write_table(demand_frame(), tmp_path, "demand", "gpkg"),
        sites=write_table(sites_frame(), tmp_path, "sites", "gpkg"),
        facilities=LayerSpec(facilities, crs="EPSG:4326"),
    )
