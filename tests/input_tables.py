"""Small input tables for the input tests: one canonical demand and sites table, written in every format."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from optimizer.inputs.schema import LayerSpec

#: Around Jiefangbei, Chongqing (UTM zone 48N).
LON, LAT = 106.55, 29.56
UTM48N = "EPSG:32648"


def demand_frame() -> gpd.GeoDataFrame:
    """Three demand units in EPSG:4326 with canonical column names."""
    return gpd.GeoDataFrame(
        {"unit_id": ["U1", "U2", "U3"], "total": [120.0, 80.5, 0.0], "elderly": [30.0, 10.0, 0.0],
         "district": ["渝中", "渝中", "南岸"]},
        geometry=[shapely.Point(LON, LAT), shapely.Point(LON + 0.002, LAT + 0.001),
                  shapely.Point(LON - 0.003, LAT - 0.002)],
        crs="EPSG:4326",
    )


def sites_frame() -> gpd.GeoDataFrame:
    """A building (point), a plot (40 m x 50 m polygon, no area) and an existing host."""
    plot = gpd.GeoSeries([shapely.box(0, 0, 40, 50)], crs=UTM48N)
    origin = gpd.GeoSeries([shapely.Point(LON + 0.001, LAT)], crs="EPSG:4326").to_crs(UTM48N).iloc[0]
    plot = plot.translate(origin.x, origin.y).to_crs("EPSG:4326").iloc[0]
    return gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S3"], "kind": ["building", "plot", "existing_host"],
         "area_m2": [300.0, None, 120.0], "allowed_functions": ["canteen;childcare", "", ""]},
        geometry=[shapely.Point(LON, LAT + 0.001), plot, shapely.Point(LON - 0.001, LAT)],
        crs="EPSG:4326",
    )


def write_table(frame: gpd.GeoDataFrame, folder: Path, name: str, fmt: str) -> LayerSpec:
    """Write ``frame`` as ``fmt`` (gpkg, geojson, shp, csv, csv-bom, xlsx); the spec to read it back."""
    if fmt == "gpkg":
        path = folder / f"{name}.gpkg"
        frame.to_file(path, layer=name, driver="GPKG")
        return LayerSpec(path, layer=name)
    if fmt == "geojson":
        path = folder / f"{name}.geojson"
        frame.to_file(path, driver="GeoJSON")
        return LayerSpec(path)
    if fmt == "shp":
        path = folder / f"{name}.shp"
        frame.to_file(path)
        return LayerSpec(path)
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["lon"], table["lat"] = frame.geometry.x, frame.geometry.y
    if fmt in ("csv", "csv-bom"):
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False, encoding="utf-8-sig" if fmt == "csv-bom" else "utf-8")
        return LayerSpec(path, crs="EPSG:4326")
    if fmt == "xlsx":
        path = folder / f"{name}.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            pd.DataFrame({"note": ["not this sheet"]}).to_excel(writer, sheet_name="readme", index=False)
            table.to_excel(writer, sheet_name=name, index=False)
        return LayerSpec(path, layer=name, crs="EPSG:4326")
    raise ValueError(fmt)
