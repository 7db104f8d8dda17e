"""Every bad input table a planner could really hand over is rejected: exit 3, where, nothing written.

Issue 16 ("Trustworthy under bad input"). Each case spoils one table of the small two-circle
project (``batch_scenarios.write_tiny_district``: demand units U1 in LC1 and U2 in LC2, a
building S1 and a plot S2, around Jiefangbei, Chongqing) the way a planner's file really
goes wrong: a column missing or misnamed, a number that is text, negative, NaN or infinite,
a duplicate id, an empty or GBK-encoded file, an Excel title row or merged header, a CRS
mistake (degrees labelled as metres, metres labelled as degrees, swapped lon/lat, a layer
of another city), a wrong geometry. The harness (``bad_input_harness``) asserts that the
command exits 3 with a message naming the file and the row or column, no traceback, and
an untouched output folder.
"""
from __future__ import annotations

import gzip
import warnings
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from bad_input_harness import Bad, Project, assert_rejected, invoke

import optimizer.inputs.read as read_module

LON, LAT = 106.58, 29.56
HELSINKI = (24.94, 60.17)
#: A plot polygon drawn with two corners swapped: it crosses itself.
BOW_TIE = shapely.Polygon([(LON, LAT), (LON + 0.001, LAT + 0.001), (LON + 0.001, LAT), (LON, LAT + 0.001)])


# ----------------------------------------------------------------------------- spoiling helpers
def _frame(p: Project, table: str) -> gpd.GeoDataFrame:
    return gpd.read_file(p.data / f"{table}.gpkg", layer=table)


def _gpkg(table: str, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame | None],
          command: str = "validate") -> Callable[[Project], list[str]]:
    """Change a table of the project in its GeoPackage."""
    def spoil(p: Project) -> list[str]:
        frame = _frame(p, table)
        changed = change(frame)
        frame = frame if changed is None else changed
        (p.data / f"{table}.gpkg").unlink()
        with warnings.catch_warnings():  # a layer written without a CRS is the point of one case
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            frame.to_file(p.data / f"{table}.gpkg", layer=table)
        return [command, p.scenario]
    return spoil


def _set(column: str, row: int, value: object) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if isinstance(value, str) and column in frame and frame[column].dtype != object:
            frame[column] = frame[column].astype(object)
        elif isinstance(value, float) and column in frame:
            frame[column] = frame[column].astype(float)
        frame.loc[row, column] = value
        return frame
    return change


def _table(p: Project, table: str) -> pd.DataFrame:
    """A project table as text cells with lon/lat columns."""
    frame = _frame(p, table)
    plain = pd.DataFrame(frame.drop(columns="geometry")).astype(object)
    plain["lon"], plain["lat"] = frame.geometry.x, frame.geometry.y
    return plain


def _use(p: Project, table: str, spec: str) -> None:
    """Point the scenario's ``inputs.<table>`` at ``spec`` (replacing or adding the line)."""
    lines = p.scenario_text().splitlines()
    key = f"  {table}:"
    kept = [line for line in lines if not line.startswith(key)]
    at = kept.index("inputs:") + 1
    kept.insert(at, f"{key} {spec}")
    p.write_scenario("\n".join(kept) + "\n")


def _csv(table: str, change: Callable[[pd.DataFrame], pd.DataFrame | None] = lambda f: None, *,
         crs: str | None = "EPSG:4326", name: str | None = None, encoding: str = "utf-8",
         command: str = "validate", extra: str = "") -> Callable[[Project], list[str]]:
    """The project's table as CSV (``name``, default ``<table>.csv``), changed, declared with ``crs``."""
    def spoil(p: Project) -> list[str]:
        frame = _table(p, table)
        changed = change(frame)
        frame = frame if changed is None else changed
        file = name or f"{table}.csv"
        text = frame.to_csv(index=False)
        if file.endswith(".gz"):
            (p.data / file).write_bytes(gzip.compress(text.encode(encoding)))
        else:
            (p.data / file).write_bytes(text.encode(encoding))
        crs_text = f", crs: '{crs}'" if crs else ""
        _use(p, table, f"{{path: data/{file}{crs_text}{extra}}}")
        return [command, p.scenario]
    return spoil


def _xlsx(table: str, fill: Callable[[openpyxl.worksheet.worksheet.Worksheet, pd.DataFrame], None] | None = None,
          *, change: Callable[[pd.DataFrame], pd.DataFrame | None] = lambda f: None, layer: str | None = None,
          command: str = "validate") -> Callable[[Project], list[str]]:
    """The project's table as an Excel sheet named after it; ``fill(sheet, frame)`` writes it (default: plain)."""
    def spoil(p: Project) -> list[str]:
        frame = _table(p, table)
        changed = change(frame)
        frame = frame if changed is None else changed
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = table
        if fill is None:
            sheet.append(list(frame.columns))
            for row in frame.itertuples(index=False):
                sheet.append(list(row))
        else:
            fill(sheet, frame)
        workbook.save(p.data / f"{table}.xlsx")
        _use(p, table, f"{{path: data/{table}.xlsx, layer: {layer or table}, crs: 'EPSG:4326'}}")
        return [command, p.scenario]
    return spoil


def _write(file: str, text: str | bytes, table: str | None = None, spec: str | None = None,
           command: str = "validate", scenario: str = "") -> Callable[[Project], list[str]]:
    """Write ``file`` in the project's data folder and name it as ``inputs.<table>``."""
    def spoil(p: Project) -> list[str]:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (p.data / file).write_bytes(data)
        if table is not None:
            _use(p, table, spec or f"{{path: data/{file}, crs: 'EPSG:4326'}}")
        if scenario:
            p.write_scenario(p.scenario_text() + scenario)
        return [command, p.scenario]
    return spoil


def _layer(file: str, table: str, frame: gpd.GeoDataFrame, command: str = "validate",
           scenario: str = "") -> Callable[[Project], list[str]]:
    """Add a GeoPackage layer as ``inputs.<table>``."""
    def spoil(p: Project) -> list[str]:
        frame.to_file(p.data / file, layer=table)
        _use(p, table, f"{{path: data/{file}, layer: {table}}}")
        if scenario:
            p.write_scenario(p.scenario_text() + scenario)
        return [command, p.scenario]
    return spoil


def _lines(offset_km: float = 0.0, crs: str = "EPSG:4326", label: str | None = None) -> gpd.GeoDataFrame:
    """A walk network along the two units (``offset_km`` north of them), optionally mislabelled."""
    dy = offset_km / 111.0
    lines = [shapely.LineString([(LON - 0.001, LAT + dy), (LON + 0.01, LAT + dy)]),
             shapely.LineString([(LON + 0.01, LAT + dy), (LON + 0.01, LAT + dy + 0.002)])]
    frame = gpd.GeoDataFrame({"highway": ["footway", "steps"]}, geometry=lines, crs=crs)
    return frame.set_crs(label, allow_override=True) if label else frame


def _points(crs: str = "EPSG:4326", **columns: list[object]) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[shapely.Point(LON + 0.0003 * i, LAT) for i in range(n)], crs=crs)


FACILITIES = "facility_id,function,capacity,circle_id,lon,lat\nF1,canteen,40,LC1,106.5801,29.5601\n"
REQUESTS = "request_id,circle_id,service,count,channel,date\nR1,LC1,canteen,3,坝坝会,2025-03-18\n"
GARAGES = "garage_id,places,hours,lon,lat\nG1,40,19:00-08:00,106.5802,29.5600\n"
OD = "unit_id,site_id,minutes\nU1,S1,3\nU2,S2,4\n"
OD_SCENARIO = "reach: {method: od_table}\n"


def _with_facilities(rows: str, command: str = "validate") -> Callable[[Project], list[str]]:
    return _write("facilities.csv", "facility_id,function,capacity,circle_id,lon,lat\n" + rows, "facilities",
                  command=command)


def _with_requests(rows: str, header: str = "request_id,circle_id,service,count,channel,date") \
        -> Callable[[Project], list[str]]:
    return _write("requests.csv", header + "\n" + rows, "requests", "{path: data/requests.csv}")


def _with_garages(rows: str) -> Callable[[Project], list[str]]:
    return _write("garages.csv", "garage_id,places,hours,lon,lat\n" + rows, "shared_garages")


def _with_od(text: str) -> Callable[[Project], list[str]]:
    return _write("od.csv", text, "od_table", "{path: data/od.csv}", scenario=OD_SCENARIO)


def _title_row(sheet, frame: pd.DataFrame) -> None:
    """A planner's sheet: a title merged across the top, the column names on row 2."""
    sheet.append(["渝中区 需求单元 2020"] + [None] * (len(frame.columns) - 1))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(frame.columns))
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))


def _merged_header(sheet, frame: pd.DataFrame) -> None:
    """The header cell of 'infants' merged over the next column, whose name ('households') is lost."""
    columns = list(frame.columns)
    sheet.append(columns)
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    at = columns.index("infants") + 1
    sheet.merge_cells(start_row=1, start_column=at, end_row=1, end_column=at + 1)


def _numeric_ids(sheet, frame: pd.DataFrame) -> None:
    """Census tract ids typed as numbers with a zero-padding format, both units the same tract."""
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    for cell in (sheet["A2"], sheet["A3"]):
        cell.value = 60750101
        cell.number_format = "000000000.00"


def _swap(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"lon": "lat", "lat": "lon"})


def _to_utm(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Metres given where degrees are declared: UTM coordinates labelled EPSG:4326."""
    return frame.to_crs("EPSG:32648").set_crs("EPSG:4326", allow_override=True)


def _swap_xy(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_geometry(gpd.GeoSeries(shapely.points(frame.geometry.y, frame.geometry.x), crs=frame.crs))


def _in_helsinki(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer of another project: the same rows, in Helsinki."""
    moved = shapely.points(frame.geometry.x - LON + HELSINKI[0], frame.geometry.y - LAT + HELSINKI[1])
    return frame.set_geometry(gpd.GeoSeries(moved, crs=frame.crs))


# ----------------------------------------------------------------------------- the cases
DEMAND = [
    # the table's own columns and values
    Bad("demand-without-total", _gpkg("demand", lambda f: f.drop(columns="total")), ("demand.gpkg", "total")),
    Bad("demand-negative-total", _gpkg("demand", _set("total", 1, -500)), ("demand.gpkg", "unit_id=U2", "total")),
    Bad("demand-duplicate-unit", _gpkg("demand", _set("unit_id", 1, "U1")), ("demand.gpkg", "U1", "unit_id")),
    Bad("demand-blank-unit-id", _gpkg("demand", _set("unit_id", 1, None)), ("demand.gpkg", "row 2", "unit_id")),
    Bad("demand-total-as-chinese-text", _gpkg("demand", _set("total", 0, "八百")),
        ("demand.gpkg", "unit_id=U1", "total", "八百")),
    Bad("demand-total-infinite", _gpkg("demand", _set("total", 0, np.inf)), ("demand.gpkg", "unit_id=U1", "total")),
    Bad("demand-elderly-nan", _gpkg("demand", _set("elderly", 1, np.nan), "solve"),
        ("demand.gpkg", "unit_id=U2", "elderly")),
    Bad("demand-elderly-ten-times-total", _gpkg("demand", _set("elderly", 0, 8000)),
        ("demand.gpkg", "unit_id=U1", "elderly", "total")),
    Bad("demand-infants-above-total", _gpkg("demand", _set("infants", 1, 5000)),
        ("demand.gpkg", "unit_id=U2", "infants")),
    Bad("demand-no-rows", _gpkg("demand", lambda f: f.iloc[:0]), ("demand.gpkg", "no rows")),
    Bad("demand-as-lines", _gpkg("demand", lambda f: f.set_geometry(gpd.GeoSeries(
        [shapely.LineString([(LON, LAT), (LON + 0.001, LAT)])] * 2, crs=f.crs))),
        ("demand.gpkg", "unit_id=U1", "geometry", "LineString")),
    Bad("demand-empty-point", _gpkg("demand", lambda f: f.set_geometry(gpd.GeoSeries(
        [f.geometry.iloc[0], shapely.Point()], crs=f.crs))), ("demand.gpkg", "unit_id=U2", "empty geometry")),
    Bad("demand-without-crs", _gpkg("demand", lambda f: f.set_crs(None, allow_override=True)),
        ("demand.gpkg", "missing CRS")),
    # CRS mistakes: the plan would come out empty
    Bad("demand-degrees-labelled-web-mercator", _gpkg("demand", lambda f: f.set_crs(
        "EPSG:3857", allow_override=True), "solve"), ("demand.gpkg", "EPSG:3857", "lon 0.00", "sites.gpkg",
                                                      "do not overlap")),
    Bad("demand-metres-labelled-degrees", _gpkg("demand", _to_utm), ("demand.gpkg", "row 1", "longitude")),
    Bad("demand-lon-lat-swapped", _gpkg("demand", _swap_xy), ("demand.gpkg", "row 1", "latitude")),
    Bad("demand-of-another-city", _gpkg("demand", _in_helsinki, "solve"),
        ("demand.gpkg", "sites.gpkg", "lon 24.9", "do not overlap")),
    Bad("demand-wrong-layer", lambda p: (_use(p, "demand", "{path: data/demand.gpkg, layer: units}"),
                                         ["validate", p.scenario])[1], ("demand.gpkg", "units", "demand")),
    Bad("demand-not-a-geopackage", _write("demand.gpkg", "unit_id,total\nU1,800\n"), ("demand.gpkg", "cannot")),
    Bad("demand-empty-file", _write("demand.gpkg", b""), ("demand.gpkg",)),
    # CSV
    Bad("demand-csv-gbk", _csv("demand", encoding="gbk"), ("demand.csv", "UTF-8")),
    Bad("demand-csv-empty", _write("demand.csv", b"", "demand"), ("demand.csv", "empty")),
    Bad("demand-csv-header-only", _csv("demand", lambda f: f.iloc[:0]), ("demand.csv", "no rows")),
    Bad("demand-csv-without-crs", _csv("demand", crs=None), ("demand.csv", "crs")),
    Bad("demand-csv-lonlat-declared-utm", _csv("demand", crs="EPSG:32648", command="solve"),
        ("demand.csv", "EPSG:32648", "sites.gpkg", "lon 100.")),
    Bad("demand-csv-metres-declared-degrees", _csv("demand", lambda f: f.assign(lon=f.lon * 6000, lat=f.lat * 110000)),
        ("demand.csv", "row 1", "longitude")),
    Bad("demand-csv-lat-lon-headers-swapped", _csv("demand", _swap), ("demand.csv", "row 1", "latitude")),
    Bad("demand-csv-total-nan", _csv("demand", lambda f: f.assign(total=["NaN", 500])),
        ("demand.csv", "unit_id=U1", "total")),
    Bad("demand-csv-elderly-inf", _csv("demand", lambda f: f.assign(elderly=[200, "inf"])),
        ("demand.csv", "unit_id=U2", "elderly", "finite")),
    Bad("demand-csv-no-coordinates", _csv("demand", lambda f: f.drop(columns=["lon", "lat"])),
        ("demand.csv", "no coordinates")),
    Bad("demand-csv-comma-decimal-lon", _csv("demand", lambda f: f.assign(lon=["106,58", f.lon[1]])),
        ("demand.csv", "unit_id=U1", "lon")),
    Bad("demand-csv-gz-negative-total", _csv("demand", lambda f: f.assign(total=[800, -5]), name="demand.csv.gz"),
        ("demand.csv.gz", "unit_id=U2", "total")),
    Bad("demand-csv-gz-not-gzip", _write("demand.csv.gz", "unit_id,total,lon,lat\nU1,800,106.58,29.56\n", "demand"),
        ("demand.csv.gz", "gzip")),
    Bad("demand-csv-tract-ids-duplicate", _csv("demand", lambda f: f.assign(unit_id=["060750101.00"] * 2)),
        ("demand.csv", "'060750101.00'", "unit_id")),
    Bad("demand-csv-mapped-column-absent", _csv("demand", lambda f: f.rename(columns={"total": "人口"}),
                                                extra=", columns: {total: 常住人口}"),
        ("demand.csv", "常住人口", "total")),
    # XLSX
    Bad("demand-xlsx-title-above-header", _xlsx("demand", _title_row), ("demand.xlsx", "row 2")),
    Bad("demand-xlsx-header-merged-over-next", _xlsx("demand", _merged_header),
        ("demand.xlsx", "column E", "merged", "infants")),
    Bad("demand-xlsx-missing-sheet", _xlsx("demand", layer="需求"), ("demand.xlsx", "需求", "sheets")),
    Bad("demand-xlsx-text-total", _xlsx("demand", change=lambda f: f.assign(total=["八百", 500])),
        ("demand.xlsx", "unit_id=U1", "total")),
    Bad("demand-xlsx-tract-ids-duplicate", _xlsx("demand", _numeric_ids), ("demand.xlsx", "'060750101.00'")),
    Bad("demand-old-xls", _write("demand.xls", b"\xd0\xcf\x11\xe0", "demand"), ("demand.xls", ".xlsx")),
    Bad("demand-xlsx-not-a-workbook", _write("demand.xlsx", "unit_id,total\n", "demand"),
        ("demand.xlsx", "Excel")),
]

SITES = [
    Bad("sites-misspelt-kind", _gpkg("sites", _set("kind", 0, "bulding")),
        ("sites.gpkg", "site_id=S1", "kind", "building")),
    Bad("sites-negative-area", _gpkg("sites", _set("area_m2", 0, -1500.0), "solve"),
        ("sites.gpkg", "site_id=S1", "area_m2")),
    Bad("sites-without-kind", _gpkg("sites", lambda f: f.drop(columns="kind")), ("sites.gpkg", "kind")),
    Bad("sites-duplicate-site", _gpkg("sites", _set("site_id", 1, "S1")), ("sites.gpkg", "S1", "site_id")),
    Bad("sites-parking-maybe", _gpkg("sites", lambda f: f.assign(parking_allowed=["maybe", "yes"])),
        ("sites.gpkg", "site_id=S1", "parking_allowed")),
    Bad("sites-forced-misspelt", _gpkg("sites", lambda f: f.assign(forced=["inn", ""])),
        ("sites.gpkg", "site_id=S1", "forced")),
    Bad("sites-half-a-floor", _gpkg("sites", _set("lowest_floor", 1, 1.5)),
        ("sites.gpkg", "site_id=S2", "lowest_floor")),
    Bad("sites-unknown-function", _gpkg("sites", lambda f: f.assign(allowed_functions=["canteeen", ""])),
        ("sites.gpkg", "site_id=S1", "allowed_functions", "canteen")),
    Bad("sites-point-plot-without-area", _gpkg("sites", _set("area_m2", 1, np.nan)),
        ("sites.gpkg", "site_id=S2", "area_m2")),
    Bad("sites-bow-tie-plot", _gpkg("sites", lambda f: f.set_geometry(gpd.GeoSeries([f.geometry.iloc[0], BOW_TIE],
                                                                                  crs=f.crs))),
        ("sites.gpkg", "site_id=S2", "invalid geometry")),
    Bad("sites-of-another-city", _gpkg("sites", _in_helsinki, "solve"),
        ("sites.gpkg", "demand.gpkg", "lon 24.9", "do not overlap")),
    Bad("sites-csv-lonlat-declared-utm", _csv("sites", crs="EPSG:32648", command="solve"),
        ("sites.csv", "EPSG:32648", "demand.gpkg")),
    Bad("sites-csv-cost-inf", _csv("sites", lambda f: f.assign(cost_per_m2=["inf", 3000])),
        ("sites.csv", "site_id=S1", "cost_per_m2")),
    Bad("sites-xlsx-area-nan", _xlsx("sites", change=lambda f: f.assign(area_m2=[1500, "NaN"])),
        ("sites.xlsx", "site_id=S2", "area_m2")),
]

FACILITIES_CASES = [
    Bad("facilities-unknown-function", _with_facilities("F1,食堂,40,LC1,106.5801,29.5601\n"),
        ("facilities.csv", "facility_id=F1", "function")),
    Bad("facilities-circle-not-of-the-demand", _with_facilities("F1,canteen,40,LC9,106.5801,29.5601\n", "solve"),
        ("facilities.csv", "facility_id=F1", "circle_id", "LC9")),
    Bad("facilities-negative-capacity", _with_facilities("F1,canteen,-40,LC1,106.5801,29.5601\n"),
        ("facilities.csv", "facility_id=F1", "capacity")),
    Bad("facilities-capacity-nan", _with_facilities("F1,canteen,NaN,LC1,106.5801,29.5601\n"),
        ("facilities.csv", "facility_id=F1", "capacity")),
    Bad("facilities-duplicate-id", _with_facilities("F1,canteen,40,LC1,106.5801,29.5601\n"
                                                    "F1,childcare,30,LC2,106.589,29.56\n"),
        ("facilities.csv", "F1", "facility_id")),
    Bad("facilities-lat-lon-swapped", _with_facilities("F1,canteen,40,LC1,29.5601,106.5801\n"),
        ("facilities.csv", "row 1", "latitude")),
    Bad("facilities-without-function", _write("facilities.csv", "facility_id,capacity,lon,lat\nF1,40,106.58,29.56\n",
                                              "facilities"), ("facilities.csv", "function")),
    Bad("facilities-degrees-labelled-utm", _layer("facilities.gpkg", "facilities", _points(
        "EPSG:4326", facility_id=["F1"], function=["canteen"]).set_crs("EPSG:32648", allow_override=True)),
        ("facilities.gpkg", "EPSG:32648", "demand.gpkg")),
]

OTHER_TABLES = [
    # the market-demand ledger (市场需求一本账)
    Bad("requests-unknown-service", _with_requests("R1,LC1,食堂,3,坝坝会,2025-03-18"),
        ("requests.csv", "request_id=R1", "service")),
    Bad("requests-count-zero", _with_requests("R1,LC1,canteen,0,坝坝会,2025-03-18"),
        ("requests.csv", "request_id=R1", "count")),
    Bad("requests-count-fraction", _with_requests("R1,LC1,canteen,2.5,坝坝会,2025-03-18"),
        ("requests.csv", "request_id=R1", "count")),
    Bad("requests-count-inf", _with_requests("R1,LC1,canteen,inf,坝坝会,2025-03-18"),
        ("requests.csv", "request_id=R1", "count")),
    Bad("requests-unknown-circle", _with_requests("R1,LC7,canteen,3,坝坝会,2025-03-18"),
        ("requests.csv", "request_id=R1", "circle_id")),
    Bad("requests-date-in-chinese", _with_requests("R1,LC1,canteen,3,坝坝会,2025年3月18日"),
        ("requests.csv", "request_id=R1", "date")),
    Bad("requests-without-request-id", _with_requests("LC1,canteen,3", "circle_id,service,count"),
        ("requests.csv", "request_id")),
    Bad("requests-gbk", _write("requests.csv", REQUESTS.encode("gbk"), "requests", "{path: data/requests.csv}"),
        ("requests.csv", "UTF-8")),
    # garages shared off-hours (错时共享停车)
    Bad("garages-hour-25", _with_garages("G1,40,25:00-08:00,106.5802,29.56\n"),
        ("garages.csv", "garage_id=G1", "hours")),
    Bad("garages-no-places", _with_garages("G1,0,19:00-08:00,106.5802,29.56\n"),
        ("garages.csv", "garage_id=G1", "places")),
    Bad("garages-id-of-a-site", _with_garages("S1,40,19:00-08:00,106.5802,29.56\n"),
        ("garages.csv", "garage_id=S1", "garage_id")),
    Bad("garages-places-nan", _with_garages("G1,nan,19:00-08:00,106.5802,29.56\n"),
        ("garages.csv", "garage_id=G1", "places")),
    # the life circles
    Bad("circles-without-lc2", _layer("circles.gpkg", "circles", gpd.GeoDataFrame(
        {"circle_id": ["LC1"]}, geometry=[shapely.box(LON - 0.01, LAT - 0.01, LON + 0.005, LAT + 0.01)],
        crs="EPSG:4326")), ("demand.gpkg", "unit_id=U2", "circle_id", "circles.gpkg")),
    Bad("circles-as-points", _layer("circles.gpkg", "circles", _points(circle_id=["LC1", "LC2"])),
        ("circles.gpkg", "circle_id=LC1", "geometry", "Polygon")),
    # the walk network
    Bad("network-degrees-labelled-web-mercator", _layer("network.gpkg", "network", _lines(label="EPSG:3857"),
                                                        "solve", "reach: {method: network}\n"),
        ("network.gpkg", "EPSG:3857", "demand.gpkg")),
    Bad("network-of-the-next-district", _layer("network.gpkg", "network", _lines(offset_km=12.0), "solve",
                                               "reach: {method: network}\n"),
        ("network.gpkg", "demand.gpkg", "2,000 m")),
    Bad("network-as-polygons", _layer("network.gpkg", "network", gpd.GeoDataFrame(
        {"highway": ["footway"]}, geometry=[shapely.box(LON, LAT, LON + 0.01, LAT + 0.001)], crs="EPSG:4326"),
        scenario="reach: {method: network}\n"), ("network.gpkg", "row 1", "geometry", "LineString")),
    Bad("network-negative-length", _layer("network.gpkg", "network", _lines().assign(length_m=[-5.0, 30.0]),
                                          scenario="reach: {method: network}\n"),
        ("network.gpkg", "row 1", "length_m")),
    # walking times brought from elsewhere
    Bad("od-without-minutes-or-metres", _with_od("unit_id,site_id,time\nU1,S1,3\n"), ("od.csv", "minutes")),
    Bad("od-negative-minutes", _with_od("unit_id,site_id,minutes\nU1,S1,-3\nU2,S2,4\n"),
        ("od.csv", "row 1", "minutes")),
    Bad("od-minutes-inf", _with_od("unit_id,site_id,minutes\nU1,S1,inf\nU2,S2,4\n"),
        ("od.csv", "row 1", "minutes")),
    Bad("od-duplicate-pair", _with_od(OD + "U1,S1,5\n"), ("od.csv", "U1", "S1")),
    Bad("od-ids-of-another-project", _with_od("unit_id,site_id,minutes\nA1,B1,3\n"), ("od.csv", "unit_id")),
]

CASES = DEMAND + SITES + FACILITIES_CASES + OTHER_TABLES


def test_the_suite_holds_enough_distinct_bad_tables():
    assert len({c.id for c in CASES}) == len(CASES) >= 55


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_table_exits_3_names_file_and_row_or_column_and_writes_nothing(case, project):
    assert_rejected(case, project)


def test_a_table_too_large_for_the_memory_is_refused_before_it_is_read(project, monkeypatch):
    """A planner's 40 GB export is refused by its size (here: a limit of 1 KB), naming the file and its size."""
    monkeypatch.setattr(read_module, "available_memory_bytes", lambda: 8 * 1024)
    case = Bad("demand-too-large", lambda p: ["validate", p.scenario], ("demand.gpkg", "too large", "KB"))
    assert_rejected(case, project)


def test_a_gzip_csv_is_read_as_it_is(project):
    """A demand table exported as demand.csv.gz plans like the GeoPackage it came from."""
    spoil = _csv("demand", name="demand.csv.gz")
    result = invoke(project, ["-q", *spoil(project)])
    assert result.exit_code == 0, result.output
