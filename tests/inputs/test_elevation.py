"""Elevations from a DEM: exact at pixel centres, bilinear between, NaN off the raster,
checked at opening, and slope that makes uphill slower than downhill.

Small rasters are written with rasterio into ``tmp_path``; the tests marked
``shared_data`` read the real 1 m DEM sample of Lapinlahti (Helsinki).
"""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
from shapely.geometry import LineString

from optimizer.errors import InputError
from optimizer.inputs import elevation as elevation_module
from optimizer.inputs.elevation import ElevationModel, sample_node_elevations
from optimizer.reach import build_walk_network, tobler_factor

DEM = "helsinki_center_testbed/elevation_model_2021_lapinlahti.tif"
HELSINKI_PBF = "helsinki_center_testbed/helsinki_center.osm.pbf"
X0, Y0, RES = 385000.0, 6672000.0, 2.0  # a 2 m grid in EPSG:3067 (Helsinki)


def _raster(path: Path, values: np.ndarray, *, crs: str | None = "EPSG:3067", nodata: float | None = None,
            transform=None) -> Path:
    height, width = values.shape
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
               "transform": transform if transform is not None else rasterio.Affine(RES, 0.0, X0, 0.0, -RES, Y0)}
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
    return path


def _centre(col: float, row: float) -> tuple[float, float]:
    """EPSG:3067 coordinates of a (fractional) pixel centre of the synthetic grid."""
    return X0 + (col + 0.5) * RES, Y0 - (row + 0.5) * RES


def _plane(width: int = 6, height: int = 5) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    return 10.0 + 2.0 * cols + 3.0 * rows  # bilinear interpolation reproduces a plane exactly


# --- sampling -------------------------------------------------------------------------------

@pytest.mark.shared_data
def test_the_real_dem_sampled_at_its_pixel_centres_gives_the_pixel_values(shared_data):
    model = ElevationModel.open(shared_data / DEM)
    with rasterio.open(shared_data / DEM) as src:
        values = src.read(1).astype(np.float64)
        t = src.transform
    rows, cols = np.mgrid[0:model.height, 0:model.width]
    lon, lat = t.c + (cols.ravel() + 0.5) * t.a, t.f + (rows.ravel() + 0.5) * t.e
    z = model.sample(np.column_stack([lon, lat]), "EPSG:4326")
    np.testing.assert_allclose(z, values.ravel(), atol=1e-6)
    # the same points given in the Finnish metric CRS are reprojected to the DEM's
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(model.sample(np.column_stack([x, y]), "EPSG:3067"), values.ravel(), atol=1e-6)
    assert values.max() - values.min() > 5  # a real relief, not a constant


def test_between_pixel_centres_the_elevation_is_bilinear(tmp_path):
    model = ElevationModel.open(_raster(tmp_path / "plane.tif", _plane()))
    cols = np.array([0.0, 0.5, 1.25, 4.5, 5.0, 2.75])
    rows = np.array([0.0, 0.5, 3.5, 0.25, 4.0, 1.0])
    z = model.sample(np.column_stack(_centre(cols, rows)), "EPSG:3067")
    np.testing.assert_allclose(z, 10.0 + 2.0 * cols + 3.0 * rows, atol=1e-9)


def test_the_outer_half_pixel_takes_the_edge_pixels_and_outside_is_nan(tmp_path):
    model = ElevationModel.open(_raster(tmp_path / "plane.tif", _plane()))
    inside_edge = [X0 + 0.2, Y0 - 0.2]  # in pixel (0, 0), outside its centre
    outside = [[X0 - 0.1, Y0 - 1.0], [X0 + 1.0, Y0 + 0.1], [X0 + 6 * RES + 0.1, Y0 - 1.0], [np.nan, Y0]]
    z = model.sample(np.array([inside_edge, *outside]), "EPSG:3067")
    assert z[0] == pytest.approx(10.0)
    assert np.isnan(z[1:]).all()


def test_nodata_pixels_give_no_elevation_and_are_left_out_of_their_neighbours_blend(tmp_path):
    values = _plane()
    values[2, 2] = -9999.0
    model = ElevationModel.open(_raster(tmp_path / "hole.tif", values, nodata=-9999.0))
    assert model.nodata == -9999.0
    on_hole, beside = _centre(2, 2), _centre(1.25, 2.0)  # the second is in pixel (1, 2), next to the hole
    z = model.sample(np.array([on_hole, beside]), "EPSG:3067")
    assert np.isnan(z[0])
    assert z[1] == pytest.approx(values[2, 1])  # only the valid neighbour counts


def test_a_large_raster_is_read_window_by_window_with_the_same_result(tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 50, size=(40, 60))
    model = ElevationModel.open(_raster(tmp_path / "big.tif", values))
    points = np.column_stack(_centre(rng.uniform(-1, 60, 500), rng.uniform(-1, 40, 500)))
    whole = model.sample(points, "EPSG:3067")
    reads: list[int] = []
    original = rasterio.DatasetReader.read

    def counting_read(self, *args, **kwargs):
        reads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(elevation_module, "TILE_PIXELS", 8)
    monkeypatch.setattr(rasterio.DatasetReader, "read", counting_read)
    tiled = model.sample(points, "EPSG:3067")
    np.testing.assert_allclose(tiled, whole, atol=1e-9, equal_nan=True)
    assert len(reads) > 10 and np.isfinite(whole).sum() > 400


# --- opening --------------------------------------------------------------------------------

def test_a_missing_dem_is_named(tmp_path):
    with pytest.raises(InputError) as err:
        ElevationModel.open(tmp_path / "dem.tif")
    assert f"{tmp_path / 'dem.tif'}: file not found" in str(err.value)


def test_a_text_file_is_not_an_elevation_raster(tmp_path):
    path = tmp_path / "dem.tif"
    path.write_text("not a raster", encoding="utf-8")
    with pytest.raises(InputError) as err:
        ElevationModel.open(path)
    assert "cannot be read as an elevation raster" in str(err.value)


def test_a_dem_without_crs_or_georeferencing_lists_both_problems(tmp_path):
    with pytest.warns(rasterio.errors.NotGeoreferencedWarning):
        path = _raster(tmp_path / "bare.tif", _plane(), crs=None, transform=rasterio.Affine.identity())
    with pytest.raises(InputError) as err:
        ElevationModel.open(path)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 2
    assert "has no CRS" in messages[0] and "has no georeferencing" in messages[1]
    # a CRS declared in the scenario stands in for a missing one
    located = _raster(tmp_path / "nocrs.tif", _plane(), crs=None)
    assert ElevationModel.open(located, declared_crs="EPSG:3067").crs.to_epsg() == 3067


# --- network nodes --------------------------------------------------------------------------

@pytest.mark.shared_data
def test_a_dem_beside_the_network_covers_none_of_its_nodes(shared_data):
    from optimizer.inputs.osm import read_osm_walk_edges

    edges = read_osm_walk_edges(shared_data / HELSINKI_PBF)
    ends = np.concatenate([np.array([g.coords[0] for g in edges.geometry]),
                           np.array([g.coords[-1] for g in edges.geometry])])
    nodes = np.unique(ends, axis=0)
    with pytest.raises(InputError) as err:
        sample_node_elevations(ElevationModel.open(shared_data / DEM), nodes, "EPSG:4326", missing="flat",
                               source="helsinki_center.osm.pbf")
    message = str(err.value)
    assert f"does not cover the network 'helsinki_center.osm.pbf': none of {len(nodes)} nodes" in message
    assert "DEM bounds lon 24.91037..24.91452, lat 60.16637..60.16954" in message
    assert "network bounds lon 24.93" in message


def test_nodes_outside_the_dem_are_an_error_unless_walked_flat(tmp_path):
    model = ElevationModel.open(_raster(tmp_path / "plane.tif", _plane()))
    nodes = np.array([_centre(1, 1), _centre(2, 3), [X0 - 50, Y0], [X0 + 500, Y0 - 500]])
    with pytest.raises(InputError) as err:
        sample_node_elevations(model, nodes, "EPSG:3067", missing="error", source="streets.gpkg")
    assert "2 of 4 nodes of the network 'streets.gpkg' have no elevation" in str(err.value)
    assert "reach.missing_elevation: flat" in str(err.value)
    z, notes = sample_node_elevations(model, nodes, "EPSG:3067", missing="flat", source="streets.gpkg")
    np.testing.assert_allclose(z[:2], [15.0, 23.0])
    assert np.isnan(z[2:]).all()
    assert notes == ["2 of 4 network nodes have no elevation in the DEM plane.tif (outside it or on nodata "
                     "pixels): edges touching them are walked as flat"]
    with pytest.raises(ValueError):
        sample_node_elevations(model, nodes, "EPSG:3067", missing="ignore", source="streets.gpkg")


@pytest.mark.shared_data
def test_on_the_real_dem_uphill_costs_more_than_downhill_by_toblers_factor(shared_data):
    model = ElevationModel.open(shared_data / DEM)
    with rasterio.open(shared_data / DEM) as src:
        values = src.read(1)
        t = src.transform
    # the highest pixel, and the lowest pixel within 40 pixels (about 40 m) of it
    top = np.unravel_index(np.argmax(values), values.shape)
    r0, c0 = max(top[0] - 40, 0), max(top[1] - 40, 0)
    near = values[r0:top[0] + 41, c0:top[1] + 41]
    low = np.unravel_index(np.argmin(near), near.shape)
    low = (low[0] + r0, low[1] + c0)
    lonlat = np.array([[t.c + (c + 0.5) * t.a, t.f + (r + 0.5) * t.e] for r, c in (low, top)])
    xy = np.column_stack(pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True)
                         .transform(lonlat[:, 0], lonlat[:, 1]))
    z = model.sample(xy, "EPSG:3067")
    assert z[1] - z[0] > 3.0  # clearly different elevations
    line = LineString([(xy[0, 0], xy[0, 1], z[0]), (xy[1, 0], xy[1, 1], z[1])])
    edges = gpd.GeoDataFrame(geometry=[line], crs="EPSG:3067")
    net = build_walk_network(edges)
    low_node = int(np.argmin(net.node_z))
    high_node = 1 - low_node
    up, down = net.graph[low_node, high_node], net.graph[high_node, low_node]
    length = math.dist(xy[0], xy[1])
    slope = (z[1] - z[0]) / length
    assert up > down
    assert up == pytest.approx(length / tobler_factor(slope))
    assert down == pytest.approx(length / tobler_factor(-slope))
    assert up / down == pytest.approx(float(tobler_factor(-slope) / tobler_factor(slope)))
