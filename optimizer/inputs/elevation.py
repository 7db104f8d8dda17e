"""Ground elevation from a digital elevation model (DEM) GeoTIFF, for slope on walks.

:class:`ElevationModel` opens and checks a DEM once (:meth:`ElevationModel.open`) and
samples it by bilinear interpolation (:meth:`ElevationModel.sample`), reading only the
pixels around the points asked for. :func:`sample_node_elevations` gives the nodes of
a walk network their elevations and says, in plain words, which nodes the DEM leaves
without one.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj

from optimizer.errors import InputError, Problem

logger = logging.getLogger(__name__)

#: Points are read in tiles of this many pixels square, so that a large DEM is never
#: read whole: only the pixels around the points of each tile are.
TILE_PIXELS = 1024

#: ``missing`` values of :func:`sample_node_elevations`.
MISSING_CHOICES = ("error", "flat")


@dataclass(frozen=True)
class ElevationModel:
    """A single-band elevation raster (metres), checked and ready to sample.

    Attributes
    ----------
    path
        The GeoTIFF (any raster GDAL reads works).
    crs
        Its CRS.
    transform
        Affine pixel -> CRS coordinates of the pixel corners, as the six numbers
        ``(a, b, c, d, e, f)``: ``x = a * col + b * row + c``, ``y = d * col + e * row + f``.
    width, height
        Size in pixels.
    nodata
        The raster's nodata value, or ``None``. Pixels equal to it, masked pixels and
        NaN are "no elevation".
    band
        The band sampled (always 1).
    n_bands
        Bands in the file (only the first is used).
    """

    path: Path
    crs: pyproj.CRS
    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int
    nodata: float | None = None
    band: int = 1
    n_bands: int = 1

    @classmethod
    def open(cls, path: str | Path, *, declared_crs: str | None = None) -> ElevationModel:
        """Open a DEM and check that it can be sampled.

        Parameters
        ----------
        path
            The raster file.
        declared_crs
            CRS to use when the file has none (the scenario's ``crs:`` of the layer);
            a file's own CRS that differs from it is a problem.

        Returns
        -------
        ElevationModel

        Raises
        ------
        InputError
            The file is missing or not a raster; it has no CRS (and none is declared),
            no georeferencing, no pixels or a non-numeric band. Every problem at once.
        """
        import rasterio  # imported here: only scenarios with a DEM need it
        from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

        path = Path(path)
        file = str(path)
        if not path.is_file():
            raise InputError([Problem(file, "is a folder, not a raster" if path.is_dir() else "file not found")])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)  # reported as a problem below
                src = rasterio.open(path)
            with src:
                crs_wkt = src.crs.to_wkt() if src.crs is not None else None
                transform = tuple(float(t) for t in tuple(src.transform)[:6])
                width, height, count = int(src.width), int(src.height), int(src.count)
                nodata = src.nodatavals[0] if count else None
                dtype = src.dtypes[0] if count else None
                has_gcps = bool(src.gcps[0])
        except RasterioIOError as exc:
            raise InputError([Problem(file, "cannot be read as an elevation raster (GeoTIFF): "
                                            f"{str(exc).strip().splitlines()[0][:300]}")]) from None
        problems: list[Problem] = []
        crs = _settle_crs(crs_wkt, declared_crs, file, problems)
        if count < 1 or width < 1 or height < 1:
            problems.append(Problem(file, f"has no pixels to read ({count} band(s), {width} x {height} pixels)"))
        elif not np.issubdtype(np.dtype(dtype), np.integer) and not np.issubdtype(np.dtype(dtype), np.floating):
            problems.append(Problem(file, f"band 1 holds {dtype} values; elevations must be numbers (metres)"))
        singular = transform[0] * transform[4] - transform[1] * transform[3] == 0
        if transform == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0) or singular:
            how = " (it has ground control points only: warp it to a grid first)" if has_gcps else ""
            problems.append(Problem(file, f"has no georeferencing: pixel positions are not tied to coordinates{how}"))
        if problems:
            raise InputError(problems)
        if count > 1:
            logger.info("%s: %d bands; elevations are read from band 1", path.name, count)
        model = cls(path=path, crs=crs, transform=transform, width=width, height=height,
                    nodata=None if nodata is None else float(nodata), band=1, n_bands=count)
        logger.info("elevation model %s: %d x %d pixels, %s, nodata %s", path.name, width, height,
                    crs.to_string(), "none" if nodata is None else f"{nodata:g}")
        return model

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the raster's extent in its CRS."""
        cols = np.array([0.0, self.width, 0.0, self.width])
        rows = np.array([0.0, 0.0, self.height, self.height])
        a, b, c, d, e, f = self.transform
        xs, ys = a * cols + b * rows + c, d * cols + e * rows + f
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())

    def sample(self, xy: np.ndarray, crs: pyproj.CRS | str) -> np.ndarray:
        """Elevations at points, by bilinear interpolation between pixel centres.

        Parameters
        ----------
        xy
            Points, shape ``(n, 2)``.
        crs
            CRS of ``xy``; reprojected to the raster's CRS when different.

        Returns
        -------
        numpy.ndarray
            float64 metres, shape ``(n,)``. At a pixel centre, that pixel's value;
            between centres, the bilinear blend of the four around (at the outer half
            pixel, of the nearest edge pixels). NaN for points outside the raster, for
            non-finite points and for points on a nodata pixel; nodata neighbours of a
            valid pixel are left out of the blend (the others re-weighted).
        """
        points = np.asarray(xy, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"xy must have shape (n, 2), got {points.shape}")
        out = np.full(points.shape[0], np.nan)
        if points.shape[0] == 0:
            return out
        x, y = points[:, 0], points[:, 1]
        source = pyproj.CRS.from_user_input(crs)
        if not source.equals(self.crs):
            x, y = pyproj.Transformer.from_crs(source, self.crs, always_xy=True).transform(x, y)
            x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        col, row = self._pixel(x, y)
        with np.errstate(invalid="ignore"):
            inside = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col <= self.width) \
                & (row >= 0) & (row <= self.height)
        idx = np.flatnonzero(inside)
        if idx.size == 0:
            return out
        col, row = col[idx], row[idx]
        own_col = np.minimum(np.floor(col), self.width - 1).astype(np.int64)
        own_row = np.minimum(np.floor(row), self.height - 1).astype(np.int64)
        # Pixel centres sit at (i + 0.5); blend the four centres around each point.
        cc = np.clip(col - 0.5, 0.0, self.width - 1.0)
        rr = np.clip(row - 0.5, 0.0, self.height - 1.0)
        c0 = np.clip(np.floor(cc), 0, max(self.width - 2, 0)).astype(np.int64)
        r0 = np.clip(np.floor(rr), 0, max(self.height - 2, 0)).astype(np.int64)
        c1 = np.minimum(c0 + 1, self.width - 1)
        r1 = np.minimum(r0 + 1, self.height - 1)
        fx, fy = cc - c0, rr - r0
        corners = ((r0, c0, (1 - fx) * (1 - fy)), (r0, c1, fx * (1 - fy)),
                   (r1, c0, (1 - fx) * fy), (r1, c1, fx * fy))
        values = np.full(idx.size, np.nan)
        tile = (r0 // TILE_PIXELS) * (self.width // TILE_PIXELS + 1) + c0 // TILE_PIXELS
        order = np.argsort(tile, kind="stable")
        bounds = np.flatnonzero(np.diff(tile[order])) + 1
        for members in np.split(order, bounds):  # one read per tile of points
            values[members] = self._blend(members, corners, own_row, own_col)
        out[idx] = values
        return out

    def _pixel(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (col, row) of CRS coordinates (pixel corners are integers)."""
        a, b, c, d, e, f = self.transform
        det = a * e - b * d
        dx, dy = x - c, y - f
        return (e * dx - b * dy) / det, (a * dy - d * dx) / det

    def _blend(self, members: np.ndarray, corners, own_row: np.ndarray, own_col: np.ndarray) -> np.ndarray:
        """Bilinear values of the points ``members``, reading one window around them."""
        import rasterio
        from rasterio.windows import Window

        rows = np.concatenate([corners[0][0][members], corners[3][0][members], own_row[members]])
        cols = np.concatenate([corners[0][1][members], corners[3][1][members], own_col[members]])
        row_off, col_off = int(rows.min()), int(cols.min())
        window = Window(col_off, row_off, int(cols.max()) - col_off + 1, int(rows.max()) - row_off + 1)
        with rasterio.open(self.path) as src:
            block = src.read(self.band, window=window, masked=True)
        grid = np.ma.filled(block.astype(np.float64), np.nan)
        if self.nodata is not None:
            grid[grid == self.nodata] = np.nan
        total = np.zeros(members.size)
        weight = np.zeros(members.size)
        for r, c, w in corners:
            v = grid[r[members] - row_off, c[members] - col_off]
            ok = np.isfinite(v) & (w[members] > 0)
            total += np.where(ok, v * w[members], 0.0)
            weight += np.where(ok, w[members], 0.0)
        own = grid[own_row[members] - row_off, own_col[members] - col_off]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.isfinite(own) & (weight > 0), total / weight, np.nan)


def _settle_crs(crs_wkt: str | None, declared: str | None, file: str, problems: list[Problem]) -> pyproj.CRS:
    """The DEM's CRS: its own, else the declared one; problems when neither or they differ."""
    declared_crs = None
    if declared is not None:
        try:
            declared_crs = pyproj.CRS.from_user_input(declared)
        except pyproj.exceptions.CRSError:
            problems.append(Problem(file, f"unknown CRS {declared!r} given as crs: in the scenario"))
    if crs_wkt is None:
        if declared_crs is None and declared is None:
            problems.append(Problem(file, "has no CRS: the elevation model must say where it is; give crs: for it "
                                          "in the scenario, or assign one (gdal_edit.py -a_srs EPSG:xxxx)"))
        return declared_crs if declared_crs is not None else pyproj.CRS.from_epsg(4326)
    crs = pyproj.CRS.from_wkt(crs_wkt)
    if declared_crs is not None and not crs.equals(declared_crs, ignore_axis_order=True):
        problems.append(Problem(file, f"CRS mismatch: the raster's CRS is {crs.to_string()} but the scenario "
                                      f"declares crs: {declared}; fix or remove crs: in the scenario"))
    return crs


def sample_node_elevations(
    model: ElevationModel,
    node_xy: np.ndarray,
    node_crs: pyproj.CRS | str,
    *,
    missing: str,
    source: str,
    flat_option: str = "reach.missing_elevation: flat",
) -> tuple[np.ndarray, list[str]]:
    """Elevations of the nodes of a walk network from a DEM, and what it left out.

    Parameters
    ----------
    model
        The DEM.
    node_xy
        Node coordinates, shape ``(n, 2)``.
    node_crs
        Their CRS.
    missing
        ``"error"``: nodes without an elevation are an input error. ``"flat"``: they
        keep NaN, and edges touching them are walked as flat (stated in the notes).
    source
        Name of the network, for the messages.
    flat_option
        How the planner asks for ``missing="flat"`` (named in the error message).

    Returns
    -------
    z
        float64 metres, NaN where the DEM gives none.
    notes
        Plain-words facts: how many nodes took an elevation, how many did not.

    Raises
    ------
    InputError
        No node at all has an elevation (the DEM does not cover the network: both
        extents are given), or, with ``missing="error"``, some nodes lack one.
    ValueError
        ``missing`` is not ``"error"`` or ``"flat"``.
    """
    if missing not in MISSING_CHOICES:
        raise ValueError(f"missing must be one of {MISSING_CHOICES}, got {missing!r}")
    xy = np.asarray(node_xy, dtype=np.float64).reshape(-1, 2)
    z = model.sample(xy, node_crs)
    n = int(z.size)
    if n == 0:
        return z, []
    known = np.isfinite(z)
    n_known = int(known.sum())
    name = model.path.name
    if n_known == 0:
        raise InputError([Problem(
            str(model.path),
            f"the DEM {name} does not cover the network '{source}': none of {n} nodes has an elevation "
            f"(DEM bounds {_lonlat_extent(model.bounds, model.crs)}; network bounds "
            f"{_lonlat_extent(_extent(xy), node_crs)})")])
    if n_known == n:
        return z, [f"elevations of all {n} network nodes from the DEM {name} (bilinear interpolation)"]
    lacking = n - n_known
    if missing == "error":
        raise InputError([Problem(
            str(model.path),
            f"{lacking} of {n} nodes of the network '{source}' have no elevation in the DEM {name} (outside it or "
            f"on nodata pixels); with {flat_option} the edges touching them would be walked as flat")])
    return z, [f"{lacking} of {n} network nodes have no elevation in the DEM {name} (outside it or on nodata "
               "pixels): edges touching them are walked as flat"]


def _extent(xy: np.ndarray) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of the finite points."""
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return (np.nan, np.nan, np.nan, np.nan)
    lo, hi = xy[ok].min(axis=0), xy[ok].max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _lonlat_extent(bounds: tuple[float, float, float, float], crs: pyproj.CRS | str) -> str:
    """An extent as ``lon a..b, lat c..d`` (degrees, WGS 84)."""
    if not np.all(np.isfinite(bounds)):
        return "unknown (no finite coordinates)"
    source = pyproj.CRS.from_user_input(crs)
    if source.is_geographic and source.equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True):
        w, s, e, n = bounds
    else:
        w, s, e, n = pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True).transform_bounds(*bounds)
    return f"lon {w:.5f}..{e:.5f}, lat {s:.5f}..{n:.5f}"
