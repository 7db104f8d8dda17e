"""Input tables as a planner hands them over: ids as text, gzip CSV, size against memory, layers in one place."""
from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from input_tables import LAT, LON, demand_frame, sites_frame, write_table

import optimizer.inputs.read as read_module
from optimizer.errors import InputError
from optimizer.inputs import load_inputs
from optimizer.inputs.geography import geography_problems, network_reach_problems
from optimizer.inputs.read import excel_cell_text
from optimizer.inputs.schema import InputsSpec, LayerSpec

ROOT = Path(__file__).resolve().parents[2]
IDS = {"unit_id": ["060750101.00", "060750102.10", "000007"], "circle_id": ["007", "007", "010"],
       "district": ["0500", "0500", "0500"]}


def _demand_with_text_ids() -> gpd.GeoDataFrame:
    frame = demand_frame()
    for column, values in IDS.items():
        frame[column] = values
    return frame


def _point_sites() -> gpd.GeoDataFrame:
    sites = sites_frame()
    return sites.set_geometry(sites.geometry.representative_point()).assign(area_m2=[300.0, 2000.0, 120.0])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg"])
def test_ids_come_back_exactly_as_the_file_writes_them(tmp_path, fmt):
    """A census tract 060750101.00 stays 060750101.00: leading and trailing zeros are part of an id."""
    spec = InputsSpec(demand=write_table(_demand_with_text_ids(), tmp_path, "demand", fmt),
                      sites=write_table(_point_sites().assign(site_id=["0012", "12.0", "S3"]), tmp_path, "sites", fmt))
    inputs = load_inputs(spec)
    for column, values in IDS.items():
        assert inputs.demand[column].tolist() == values
    assert inputs.sites["site_id"].tolist() == ["0012", "12.0", "S3"]


def test_an_id_typed_as_a_number_in_excel_reads_as_the_sheet_shows_it(tmp_path):
    """An Excel cell holding 60750101 in the format 000000000.00 is the id 060750101.00, as the planner sees it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["unit_id", "total", "lon", "lat"])
    sheet.append([60750101, 120, LON, LAT])
    sheet.append([7, 80.5, LON + 0.001, LAT])
    sheet["A2"].number_format = "000000000.00"
    sheet["A3"].number_format = "000"
    workbook.save(tmp_path / "demand.xlsx")
    spec = InputsSpec(demand=LayerSpec(tmp_path / "demand.xlsx", crs="EPSG:4326"),
                      sites=write_table(sites_frame(), tmp_path, "sites", "gpkg"))
    demand = load_inputs(spec).demand
    assert demand["unit_id"].tolist() == ["060750101.00", "007"]
    assert demand["total"].tolist() == [120.0, 80.5]


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (60750101, "000000000.00", "060750101.00"), (7, "000", "007"), (12.5, "0.00", "12.50"),
    (12.0, "General", "12"), (0.1, "General", "0.1"), (3, "#,##0", "3"), (2.5, "0.##", "2.5"),
    (True, "General", "true"),
])
def test_excel_cells_read_as_the_sheet_shows_them(value, number_format, shown):
    class Cell:
        pass

    cell = Cell()
    cell.value, cell.number_format = value, number_format  # type: ignore[attr-defined]
    assert excel_cell_text(cell) == shown


def test_a_gzip_csv_reads_like_the_plain_csv(tmp_path):
    """A demand export compressed as demand.csv.gz plans with the same people as the CSV."""
    plain = write_table(demand_frame(), tmp_path, "demand", "csv")
    packed = tmp_path / "demand.csv.gz"
    packed.write_bytes(gzip.compress(Path(plain.path).read_bytes()))
    sites = write_table(sites_frame(), tmp_path, "sites", "gpkg")
    a = load_inputs(InputsSpec(demand=plain, sites=sites)).demand
    b = load_inputs(InputsSpec(demand=LayerSpec(packed, crs="EPSG:4326"), sites=sites)).demand
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))


def test_a_table_larger_than_its_share_of_memory_is_refused_naming_file_and_size(tmp_path, monkeypatch):
    """A file that could exhaust the machine's memory is refused before it is read, not half-way."""
    monkeypatch.setattr(read_module, "MAX_FILE_SHARE_OF_MEMORY", 1e-12)
    spec = InputsSpec(demand=write_table(demand_frame(), tmp_path, "demand", "csv"),
                      sites=write_table(sites_frame(), tmp_path, "sites", "gpkg"))
    with pytest.raises(InputError) as raised:
        load_inputs(spec)
    text = str(raised.value)
    assert "demand.csv" in text and "too large" in text and "bytes" in text and "sites.gpkg" in text


def test_the_available_memory_is_known_on_this_machine():
    assert read_module.available_memory_bytes() > 0


def _names(*roles: str) -> dict[str, tuple[str, None]]:
    return {role: (f"{role}.gpkg", None) for role in roles}


def test_layers_of_one_district_lie_together():
    assert geography_problems({"demand": demand_frame(), "sites": sites_frame()}, _names("demand", "sites")) == []


def test_degrees_labelled_web_mercator_are_named_in_both_crss():
    """A GeoPackage labelled EPSG:3857 that holds lon/lat lies off Africa, 12,000 km from the sites."""
    demand = demand_frame().set_crs("EPSG:3857", allow_override=True)
    problems = geography_problems({"demand": demand, "sites": sites_frame()}, _names("demand", "sites"))
    assert len(problems) == 1
    message = problems[0].message
    assert problems[0].file == "demand.gpkg"
    for part in ("demand.gpkg lies at x 106.547..106.552", "EPSG:3857 (near lon 0.0010, lat 0.0003)",
                 "sites.gpkg at", "EPSG:4326 (lon 106.5", "do not overlap", "is the CRS right?"):
        assert part in message


def test_every_layer_in_degrees_labelled_utm_is_named_although_they_overlap():
    """Demand and sites both lon/lat CSVs declared EPSG:32648: they agree with each other, and are still wrong."""
    demand = demand_frame().set_crs("EPSG:32648", allow_override=True)
    sites = sites_frame().set_crs("EPSG:32648", allow_override=True)
    problems = geography_problems({"demand": demand, "sites": sites}, _names("demand", "sites"))
    assert [p.file for p in problems] == ["demand.gpkg", "sites.gpkg"]
    assert all("EPSG:32648 counts metres" in p.message for p in problems)


def test_a_network_beyond_walking_of_most_units_is_named_with_both_extents():
    demand = demand_frame().to_crs("EPSG:32648")
    x, y = demand.geometry.x.mean(), demand.geometry.y.mean()
    far = gpd.GeoDataFrame(geometry=[shapely.LineString([(x, y + 10000), (x + 500, y + 10000)])], crs="EPSG:32648")
    near = gpd.GeoDataFrame(geometry=[shapely.LineString([(x, y + 100), (x + 500, y + 100)])], crs="EPSG:32648")
    names = _names("demand", "network")
    assert network_reach_problems(demand, near, names) == []
    [problem] = network_reach_problems(demand, far, names)
    assert problem.file == "network.gpkg" and "demand.gpkg lies at" in problem.message
    assert "100% of the demand units" in problem.message


@pytest.mark.parametrize(("folder", "roles"), [
    ("yuzhong-demo", ("demand", "sites", "facilities", "shared_garages", "circles", "network")),
    ("helsinki-center", ("demand", "sites", "facilities")),
])
def test_the_shipped_data_lies_together(folder, roles):
    """Every layer shipped in inputs/ lies in one place, and the demo's walk network near its units."""
    tables = {role: gpd.read_file(ROOT / "inputs" / folder / f"{role}.gpkg") for role in roles}
    assert geography_problems(tables, _names(*tables)) == []
    if "network" in tables:
        metric = {role: tables[role].to_crs("EPSG:32648") for role in ("demand", "network")}
        assert network_reach_problems(metric["demand"], metric["network"], _names("demand", "network")) == []


def test_a_sheet_exported_with_its_row_numbers_in_an_unnamed_column_still_loads(tmp_path):
    """A spreadsheet export puts row numbers under a blank header cell A1: they are not data, not a problem."""
    path = tmp_path / "demand.xlsx"
    pd.DataFrame(demand_frame().drop(columns="geometry")).assign(lon=LON, lat=LAT).to_excel(path, index=True)
    spec = InputsSpec(demand=LayerSpec(path, crs="EPSG:4326"), sites=write_table(sites_frame(), tmp_path, "sites",
                                                                                  "gpkg"))
    assert load_inputs(spec).demand["unit_id"].tolist() == ["U1", "U2", "U3"]
