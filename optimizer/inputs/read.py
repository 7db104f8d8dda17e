"""Read one input table from GeoPackage, GeoJSON, Shapefile, CSV or XLSX (or OSM).

The network may also be an OpenStreetMap file (``.osm.pbf``, ``.osm``, ``.osm.bz2``):
its walkable ways are read by :func:`optimizer.inputs.osm.read_osm_walk_edges`.

:func:`read_table` never raises for a bad file: a file that is missing, has no such
layer, cannot be parsed, has no coordinates or no usable CRS yields
:class:`~optimizer.errors.Problem` s, so that :func:`optimizer.inputs.load_inputs` can
report every problem of every file at once. Values are not checked here; that is
:func:`optimizer.inputs.validate.validate_table`'s job. CSV and XLSX cells are read as
text so that the validation can show a bad value exactly as the file has it, and so that
an id keeps its zeros (``060750101.00``; an Excel number cell reads as the sheet shows it,
:func:`excel_cell_text`). A CSV compressed with gzip (``demand.csv.gz``) is read as it is.
A file larger than :data:`MAX_FILE_SHARE_OF_MEMORY` of the memory available is refused
before it is read. An Excel sheet whose column names sit below row 1 (a title row, merged
header cells), or whose header cell is merged over the next column, is named as such.
"""
from __future__ import annotations

import difflib
import gzip
import hashlib
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from ..errors import InputError, Problem
from .osm import is_osm_file, read_osm_walk_edges
from .schema import ROLE_COLUMNS, ROLE_GEOMETRY_TYPES, LayerSpec

logger = logging.getLogger(__name__)

#: Suffixes read as delimited text (UTF-8, with or without BOM).
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
#: Suffixes read as Excel workbooks (sheet = layer).
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
#: A delimited text file compressed with gzip (``demand.csv.gz``) is read as it is.
GZIP_SUFFIX = ".gz"
#: A table file may take at most this share of the memory available when it is read; a
#: larger one is refused before it is read (a table in memory takes several times its
#: file's size). A gzip file counts with its unpacked size.
MAX_FILE_SHARE_OF_MEMORY = 0.125
#: Rows of a sheet searched for the column names when row 1 does not hold them.
HEADER_SEARCH_ROWS = 10
#: Shapefile sidecar files hashed together with the ``.shp``.
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
#: Coordinate column pairs looked for (case-insensitive) when ``x``/``y`` are not given.
COORDINATE_PAIRS: tuple[tuple[str, str], ...] = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("lng", "lat"),
    ("long", "lat"),
    ("x", "y"),
    ("经度", "纬度"),
)
#: Text columns holding WKT geometry (case-insensitive), used when no coordinate pair exists.
WKT_COLUMNS = ("geometry", "wkt", "geom")
#: Key of ``DataFrame.attrs`` where :func:`read_table` records where a table came from.
SOURCE_ATTR = "lifecircle_source"
#: Shapefile (dBASE) field names are cut to this many characters.
_DBF_NAME_LENGTH = 10
_HASH_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(path: str | Path) -> dict[str, str]:
    """SHA-256 of an input file and, for a Shapefile, of its sidecar files.

    Parameters
    ----------
    path
        The input file as the scenario gave it.

    Returns
    -------
    dict[str, str]
        Path (as given; sidecars with their own suffix) -> SHA-256. Empty when the file
        does not exist or is not a regular file.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    hashes = {str(path): file_sha256(path)}
    if path.suffix.lower() == ".shp":
        for suffix in SHAPEFILE_SIDECARS:
            for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
                if candidate.is_file():
                    hashes[str(candidate)] = file_sha256(candidate)
                    break
    return hashes


def crs_label(crs: pyproj.CRS) -> str:
    """Short human name of a CRS: ``EPSG:4326`` when it has a code, else its name."""
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg is not None else crs.name


def same_crs(a: pyproj.CRS, b: pyproj.CRS) -> bool:
    """Whether two CRSs are the same, ignoring axis order and naming differences.

    Parameters
    ----------
    a, b
        The CRSs to compare.

    Returns
    -------
    bool
        ``True`` when equal up to axis order, or when both resolve to the same EPSG code.
    """
    if a.equals(b, ignore_axis_order=True):
        return True
    epsg_a, epsg_b = a.to_epsg(min_confidence=70), b.to_epsg(min_confidence=70)
    return epsg_a is not None and epsg_a == epsg_b


def read_table(spec: LayerSpec, role: str) -> tuple[gpd.GeoDataFrame | pd.DataFrame | None, list[Problem]]:
    """Read one input table and give its columns their canonical names.

    Parameters
    ----------
    spec
        Where the table is and how to read it.
    role
        ``"demand"``, ``"sites"``, ``"facilities"``, ``"network"``, ``"od_table"``,
        ``"circles"`` or ``"requests"``; decides whether a geometry is needed
        (:data:`~optimizer.inputs.schema.ROLE_GEOMETRY_TYPES`).

    Returns
    -------
    frame
        A GeoDataFrame (every role but ``od_table`` and ``requests``) or DataFrame, columns renamed to
        canonical names per ``spec.columns`` (and, for canonical names absent from the
        file, a unique case-insensitive match or a Shapefile's 10-character cut name).
        Unchecked values; CSV/XLSX cells are text. ``None`` when nothing could be read.
        ``frame.attrs[SOURCE_ATTR]`` records the file, layer, original column names,
        the mapping, the coordinate columns and the file's SHA-256.
    problems
        Everything that prevented a faithful reading: missing file, missing layer
        (listing the layers that exist), unreadable file, a file too large for the memory
        available, an Excel header below row 1 or merged over a column with values, no
        coordinates, missing or conflicting CRS, coordinates outside the range of a
        geographic CRS.

    Raises
    ------
    ValueError
        If ``role`` is not a known role (a programming error, not an input problem).
    """
    if role not in ROLE_COLUMNS:
        raise ValueError(f"unknown role {role!r}; expected one of {sorted(ROLE_COLUMNS)}")
    reader = _Reader(spec, role)
    frame = reader.read()
    return frame, reader.problems


class _Reader:
    """State of one :func:`read_table` call: the spec and the problems found."""

    def __init__(self, spec: LayerSpec, role: str) -> None:
        self.spec = spec
        self.role = role
        self.path = Path(spec.path)
        self.file = str(spec.path)
        self.layer = spec.layer
        self.problems: list[Problem] = []
        self.needs_geometry = bool(ROLE_GEOMETRY_TYPES[role])

    def problem(self, message: str, column: str | None = None, row: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, self.layer, row, column))

    # -- reading ---------------------------------------------------------------------
    def read(self) -> gpd.GeoDataFrame | pd.DataFrame | None:
        if not self.path.exists():
            self.problem(f"file not found{self._similar_files()}")
            return None
        if self.path.is_dir() and self.path.suffix.lower() not in {".gdb"}:
            self.problem("is a folder, not a file")
            return None
        if self.path.is_file() and not self._fits_in_memory():
            return None
        suffix, compressed = table_suffix(self.path)
        tabular = suffix in CSV_SUFFIXES or suffix in EXCEL_SUFFIXES
        if compressed and suffix not in CSV_SUFFIXES and not is_osm_file(self.path):
            self.problem(f"a gzip-compressed {suffix or 'file'} cannot be read: only a compressed CSV "
                         "(.csv.gz, .tsv.gz, .txt.gz) is read as it is; unpack it first")
            return None
        if suffix in CSV_SUFFIXES:
            frame = self._read_csv(compressed)
        elif suffix in EXCEL_SUFFIXES:
            frame = self._read_excel()
        elif suffix == ".xls":
            self.problem("old Excel .xls files are not supported: save the workbook as .xlsx")
            return None
        elif is_osm_file(self.path):
            frame = self._read_osm()
        else:
            frame = self._read_vector()
        if frame is None:
            return None
        frame = self._strip_headers(frame)
        file_columns = [c for c in frame.columns if c != _geometry_name(frame)]
        xy: tuple[str, str] | None = None
        geometry_reported = False
        if self.needs_geometry:
            from_text = _geometry_name(frame) is None
            if from_text:
                located, xy = self._geometry_from_columns(frame)
            else:
                located = frame
            if located is None:
                geometry_reported = True  # no coordinates: the values are still checked
                if self.spec.crs is not None:
                    self._declared_crs()
            else:
                frame = self._settle_crs(located, from_text=from_text)
                self._check_geographic_range(frame)
        elif isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame.drop(columns=[frame.geometry.name]))
            file_columns = list(frame.columns)
        frame = self._canonical_columns(frame)
        frame.attrs[SOURCE_ATTR] = {
            "file": self.file,
            "layer": self.layer,
            "role": self.role,
            "tabular": tabular,
            "file_columns": file_columns,
            "mapping": dict(self.spec.columns),
            "xy": xy,
            "geometry_reported": geometry_reported,
            "sha256": file_sha256(self.path) if self.path.is_file() else None,
        }
        logger.info("read %s%s: %d rows, %d columns", self.file,
                    f" [layer {self.layer}]" if self.layer else "", len(frame), len(file_columns))
        return frame

    def _similar_files(self) -> str:
        folder = self.path.parent
        if not folder.is_dir():
            return f" (folder {folder} does not exist either)"
        names = [p.name for p in folder.iterdir() if p.is_file()]
        close = difflib.get_close_matches(self.path.name, names, n=3, cutoff=0.8)
        return f" (similar files in that folder: {', '.join(close)})" if close else ""

    def _fits_in_memory(self) -> bool:
        """Refuse, before reading it, a file too large for the memory available."""
        size = table_file_size(self.path)
        available = available_memory_bytes()
        if available is None or size <= MAX_FILE_SHARE_OF_MEMORY * available:
            return True
        self.problem(f"is too large to read: {_bytes(size)}{' unpacked' if self.path.suffix.lower() == '.gz' else ''}"
                     f", more than {MAX_FILE_SHARE_OF_MEMORY:.1%} of the {_bytes(available)} of memory available "
                     "(a table in memory takes several times its file's size); split it (e.g. by district) "
                     "or run on a machine with more memory")
        return False

    def _read_csv(self, compressed: bool = False) -> pd.DataFrame | None:
        suffix, _ = table_suffix(self.path)
        sep = "\t" if suffix == ".tsv" else ","
        compression = "gzip" if compressed else None
        try:
            frame = self._csv(sep, compression)
            if frame.shape[1] == 1 and sep == ",":
                header = str(frame.columns[0])
                for other in (";", "\t", "|"):
                    if other in header:
                        logger.info("%s: columns are separated by %r", self.file, other)
                        frame = self._csv(other, compression)
                        break
        except (gzip.BadGzipFile, EOFError) as exc:
            self.problem(f"is not a readable gzip file ({_short(exc)}): unpack it, or name it .csv if it is "
                         "plain text")
            return None
        except UnicodeDecodeError:
            self.problem("is not UTF-8 text: save it as 'CSV UTF-8' (a GBK/GB18030 file must be converted)")
            return None
        except pd.errors.EmptyDataError:
            self.problem("is empty (no header line)")
            return None
        except (pd.errors.ParserError, OSError, ValueError) as exc:
            self.problem(f"cannot be read as CSV: {exc}")
            return None
        return _drop_trailing_blank_rows(frame)

    def _csv(self, sep: str, compression: str | None = None) -> pd.DataFrame:
        return pd.read_csv(self.path, sep=sep, dtype=str, encoding="utf-8-sig", compression=compression,
                           keep_default_na=False, na_values=[""], skipinitialspace=True)

    def _read_excel(self) -> pd.DataFrame | None:
        """Every cell as the text Excel shows (ids keep their leading and trailing zeros)."""
        try:
            sheet, rows = excel_rows_as_shown(self.path, self.layer)
        except NoSuchSheet as exc:
            self.problem(str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser is a Problem
            logger.debug("reading %s failed", self.file, exc_info=True)
            self.problem(f"cannot be read as an Excel workbook: {type(exc).__name__}: {_short(exc)}")
            return None
        if not any(v is not None for r in rows for v in r):
            self.problem(f"sheet {sheet!r} is empty (no header row)")
            return None
        if self._header_elsewhere(rows, sheet):
            return None
        if all(v is None for v in rows[0]):
            self.problem(f"row 1 of sheet {sheet!r} is blank: the column names must be in row 1", row="row 1")
            return None
        frame = pd.DataFrame(rows[1:], columns=_header_names(rows[0]), dtype=object)
        frame = frame.where(frame.notna(), np.nan)
        unnamed = [i for i, v in enumerate(rows[0]) if v is None and frame.iloc[:, i].notna().any()]
        if unnamed:
            self._unnamed_columns(unnamed, sheet, frame)
        frame = frame.loc[:, ~(frame.columns.astype(str).str.startswith("Unnamed:") & frame.isna().all().to_numpy())]
        return _drop_trailing_blank_rows(frame)

    def _header_elsewhere(self, rows: list[list[str | None]], sheet: str) -> bool:
        """When row 1 lacks required columns that a later row names: say where the header seems to be."""
        wanted = {self.spec.columns.get(c.name, c.name).strip().lower() for c in ROLE_COLUMNS[self.role]
                  if c.required}
        wanted |= {n.lower() for n in (self.spec.x, self.spec.y) if n}

        def names(row: list[str | None]) -> set[str]:
            return {str(v).strip().lower() for v in row if v is not None}

        missing = wanted - names(rows[0])
        if not missing:
            return False
        for number, row in enumerate(rows[1:HEADER_SEARCH_ROWS], start=2):
            if missing <= names(row):
                above = ", ".join(repr(v) for v in rows[0] if v is not None) or "nothing"
                self.problem(f"the header seems to sit on row {number}, not row 1 (row 1 holds {above}; a title "
                             "or merged header cells above the column names?): put the column names in row 1 "
                             f"of sheet {sheet!r}, or delete the rows above them", row=f"row {number}")
                return True
        return False

    def _unnamed_columns(self, unnamed: list[int], sheet: str, frame: pd.DataFrame) -> None:
        """A column with values whose header cell is hidden under a merged one is a problem (else a warning)."""
        import openpyxl
        from openpyxl.utils import get_column_letter

        merged: dict[int, str] = {}
        try:
            workbook = openpyxl.load_workbook(self.path, data_only=True)
            try:
                for cells in workbook[sheet].merged_cells.ranges:
                    if cells.min_row == 1:
                        for column in range(cells.min_col + 1, cells.max_col + 1):
                            merged[column - 1] = (f"{cells.coord}, the header cell "
                                                  f"{workbook[sheet].cell(1, cells.min_col).value!r}")
            finally:
                workbook.close()
        except Exception:  # noqa: BLE001 - the blank header is reported either way
            logger.debug("reading the merged cells of %s failed", self.file, exc_info=True)
        for position in unnamed:
            letter = get_column_letter(position + 1)
            count = int(frame.iloc[:, position].notna().sum())
            if position not in merged:  # e.g. the row numbers a spreadsheet export puts in column A
                logger.warning("%s: column %s of sheet %r holds %d value(s) but has no name in row 1; it is "
                               "ignored", self.file, letter, sheet, count)
                continue
            self.problem(f"column {letter} of sheet {sheet!r} holds {count} value(s) but has no name in its "
                         f"header cell {letter}1, so they would be silently ignored: the header is merged over "
                         f"it ({merged[position]}); unmerge the header cells and name each column",
                         column=f"column {letter}", row="row 1")

    def _read_osm(self) -> gpd.GeoDataFrame | None:
        if self.role != "network":
            self.problem(f"an OpenStreetMap file can only be the network, not the {self.role} table")
            return None
        if self.layer is not None:
            logger.info("%s: layer %r ignored: the walkable ways of an OpenStreetMap file are read", self.file,
                        self.layer)
        try:
            return read_osm_walk_edges(self.path)
        except InputError as error:
            self.problems.extend(error.problems)
            return None

    def _read_vector(self) -> gpd.GeoDataFrame | pd.DataFrame | None:
        try:
            layers = pyogrio.list_layers(self.path)
        except Exception as exc:  # noqa: BLE001
            logger.debug("listing layers of %s failed", self.file, exc_info=True)
            self.problem(f"cannot be read as a GeoPackage, GeoJSON or Shapefile: {_short(exc)}")
            return None
        names = [str(name) for name in layers[:, 0]] if len(layers) else []
        if not names:
            self.problem("has no layers")
            return None
        if self.layer is not None and self.layer not in names:
            self.problem(f"layer {self.layer!r} not found; the file has layers: {', '.join(names)}")
            return None
        layer = self.layer if self.layer is not None else names[0]
        if self.layer is None and len(names) > 1:
            logger.info("%s has %d layers; reading the first, %r", self.file, len(names), layer)
        try:
            frame = pyogrio.read_dataframe(self.path, layer=layer)
        except Exception as exc:  # noqa: BLE001
            logger.debug("reading %s failed", self.file, exc_info=True)
            self.problem(f"cannot read layer {layer!r}: {_short(exc)}")
            return None
        return frame

    # -- columns ---------------------------------------------------------------------
    def _strip_headers(self, frame: pd.DataFrame) -> pd.DataFrame:
        geometry = _geometry_name(frame)
        renamed = {c: str(c).strip() for c in frame.columns if c != geometry and str(c).strip() != c}
        return frame.rename(columns=renamed) if renamed else frame

    def _canonical_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        geometry = _geometry_name(frame)
        file_columns = [c for c in frame.columns if c != geometry]
        canonical = [c.name for c in ROLE_COLUMNS[self.role]]
        mapping: Mapping[str, str] = self.spec.columns
        rename = {source: target for target, source in mapping.items() if source in file_columns}
        targets = set(rename.values())
        shadowed = [c for c in file_columns if c in targets and c not in rename]
        if shadowed:
            logger.info("%s: columns %s are replaced by the mapped columns of the same name", self.file, shadowed)
            frame = frame.drop(columns=shadowed)
            file_columns = [c for c in file_columns if c not in shadowed]
        present = (set(file_columns) - set(rename)) | targets
        by_lower: dict[str, list[str]] = {}
        for column in file_columns:
            if column not in rename:
                by_lower.setdefault(column.lower(), []).append(column)
        shapefile = self.path.suffix.lower() == ".shp"
        for name in canonical:
            if name in present or name in mapping:
                continue
            candidates = by_lower.get(name.lower(), [])
            if not candidates and shapefile and len(name) > _DBF_NAME_LENGTH:
                candidates = by_lower.get(name[:_DBF_NAME_LENGTH].lower(), [])
            if len(candidates) == 1 and candidates[0] not in rename:
                logger.info("%s: column %r read as %r", self.file, candidates[0], name)
                rename[candidates[0]] = name
        return frame.rename(columns=rename) if rename else frame

    # -- geometry and CRS -------------------------------------------------------------
    def _geometry_from_columns(self, frame: pd.DataFrame) -> tuple[gpd.GeoDataFrame | None, tuple[str, str] | None]:
        columns = [str(c) for c in frame.columns]
        listing = ", ".join(columns)
        if self.spec.x or self.spec.y:
            if not (self.spec.x and self.spec.y):
                self.problem("give both x: and y: (coordinate columns) in the scenario, or neither")
                return None, None
            missing = [c for c in (self.spec.x, self.spec.y) if c not in columns]
            if missing:
                for column in missing:
                    self.problem(f"coordinate column {column!r} not found (columns: {listing})", column=column)
                return None, None
            xy = (self.spec.x, self.spec.y)
        else:
            lower: dict[str, list[str]] = {}
            for column in columns:
                lower.setdefault(column.lower(), []).append(column)
            xy = None
            for x_name, y_name in COORDINATE_PAIRS:
                if len(lower.get(x_name, ())) == 1 and len(lower.get(y_name, ())) == 1:
                    xy = (lower[x_name][0], lower[y_name][0])
                    break
            if xy is None:
                for name in WKT_COLUMNS:
                    if len(lower.get(name, ())) == 1:
                        return self._geometry_from_wkt(frame, lower[name][0]), None
                pairs = ", ".join(f"{a}/{b}" for a, b in COORDINATE_PAIRS)
                self.problem(f"no coordinates: none of the column pairs {pairs} (or a WKT 'geometry' column) "
                             f"found; name the coordinate columns with x: and y: in the scenario (columns: {listing})")
                return None, None
        xs = pd.to_numeric(frame[xy[0]], errors="coerce").to_numpy(dtype=float)
        ys = pd.to_numeric(frame[xy[1]], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        geometry = np.full(len(frame), None, dtype=object)
        geometry[ok] = shapely.points(xs[ok], ys[ok])
        data = frame.drop(columns=[c for c in columns if c == "geometry"])
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, index=frame.index)), xy

    def _geometry_from_wkt(self, frame: pd.DataFrame, column: str) -> gpd.GeoDataFrame:
        text = frame[column].astype(object).where(frame[column].notna(), None).to_numpy(dtype=object)
        geometry = shapely.from_wkt(text, on_invalid="ignore")
        data = frame.drop(columns=[column])
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, index=frame.index))

    def _declared_crs(self) -> pyproj.CRS | None:
        if self.spec.crs is None:
            return None
        try:
            return pyproj.CRS.from_user_input(self.spec.crs)
        except pyproj.exceptions.CRSError:
            self.problem(f"unknown CRS {self.spec.crs!r} given as crs: in the scenario (e.g. EPSG:4326)")
            return None

    def _settle_crs(self, frame: gpd.GeoDataFrame, *, from_text: bool) -> gpd.GeoDataFrame:
        declared = self._declared_crs()
        if from_text:
            if self.spec.crs is None:
                self.problem("missing CRS: coordinates in a CSV/XLSX need crs: in the scenario "
                             "(e.g. crs: EPSG:4326 for longitude/latitude)")
            if declared is not None:
                frame = frame.set_crs(declared, allow_override=True)
            return frame
        if frame.crs is None:
            if self.spec.crs is None:
                self.problem("missing CRS: the file has no coordinate reference system; "
                             "give crs: in the scenario (e.g. crs: EPSG:4326)")
            elif declared is not None:
                frame = frame.set_crs(declared)
        elif declared is not None and not same_crs(frame.crs, declared):
            self.problem(f"CRS mismatch: the file's CRS is {crs_label(frame.crs)} but the scenario declares "
                         f"crs: {self.spec.crs}; fix or remove crs: in the scenario")
        return frame

    def _check_geographic_range(self, frame: gpd.GeoDataFrame) -> None:
        if frame.crs is None or not frame.crs.is_geographic or len(frame) == 0:
            return
        bounds = shapely.bounds(frame.geometry.to_numpy())
        with np.errstate(invalid="ignore"):
            outside = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
        if not outside.any():
            return
        first = int(np.flatnonzero(outside)[0])
        self.problem(f"{int(outside.sum())} feature(s) lie outside longitude -180..180 / latitude -90..90 of "
                     f"{crs_label(frame.crs)} (first: row {first + 1}, x={bounds[first, 0]:.6g}, "
                     f"y={bounds[first, 1]:.6g}); are the coordinates projected? Then declare their CRS with crs:")


def table_suffix(path: Path) -> tuple[str, bool]:
    """The suffix that says how to read a file, and whether it is gzip-compressed.

    Parameters
    ----------
    path
        The file, e.g. ``demand.csv`` or ``demand.csv.gz``.

    Returns
    -------
    suffix
        Lower-case, e.g. ``".csv"`` for both examples (``""`` for ``x.gz``).
    compressed
        Whether the name ends with ``.gz``.
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == GZIP_SUFFIX:
        return (suffixes[-2] if len(suffixes) > 1 else ""), True
    return (suffixes[-1] if suffixes else ""), False


def table_file_size(path: Path) -> int:
    """Bytes a table file holds: a gzip file's unpacked size, a Shapefile's with its ``.dbf``."""
    size = path.stat().st_size
    if path.suffix.lower() == GZIP_SUFFIX and size >= 4:
        with open(path, "rb") as stream:  # the gzip trailer holds the unpacked size (modulo 4 GiB)
            stream.seek(-4, os.SEEK_END)
            size = max(size, int.from_bytes(stream.read(4), "little"))
    elif path.suffix.lower() == ".shp":
        dbf = path.with_suffix(".dbf")
        if dbf.is_file():
            size += dbf.stat().st_size
    return size


def available_memory_bytes() -> int | None:
    """Memory available to new work, in bytes (``MemAvailable`` of /proc/meminfo, else free pages).

    Returns
    -------
    int or None
        ``None`` when the system does not say.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


#: An Excel number format that only pads or rounds digits (``0``, ``000000000.00``, ``#,##0.0``).
_DIGIT_FORMAT = re.compile(r"^[0#,]*(?:\.([0#]*))?$")


class NoSuchSheet(LookupError):
    """A sheet the workbook does not have."""


def excel_rows_as_shown(path: Path, sheet: str | None = None) -> tuple[str, list[list[str | None]]]:
    """The rows of one sheet of a workbook, every cell as the text Excel shows, padded to one width.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    sheet
        The sheet's name; ``None``: the first sheet.

    Returns
    -------
    sheet, rows
        The sheet read and its rows (:func:`excel_cell_text` of each cell; ``None`` for an empty one).

    Raises
    ------
    NoSuchSheet
        ``sheet`` is not in the workbook (the message names the sheets it has); any failure of
        the workbook reader goes on as it is.
    """
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = [str(s) for s in workbook.sheetnames]
        if sheet is not None and sheet not in sheets:
            raise NoSuchSheet(f"sheet {sheet!r} not found; the workbook has sheets: {', '.join(sheets)}")
        name = sheet if sheet is not None else sheets[0]
        rows = [[excel_cell_text(cell) for cell in row] for row in workbook[name].iter_rows()]
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    return name, [r + [None] * (width - len(r)) for r in rows]


def excel_cell_text(cell: Any) -> str | None:
    """The text of an Excel cell as the sheet shows it; ``None`` for an empty cell.

    Parameters
    ----------
    cell
        An openpyxl cell (read-only or not).

    Returns
    -------
    str or None
        A text cell as it is; a number in a digits-only number format as Excel shows it
        (``060750101.00`` for 60750101 in format ``000000000.00``), any other number without a
        spurious ``.0``; ``true``/``false``; a date as ``YYYY-MM-DD HH:MM:SS``.
    """
    value = getattr(cell, "value", None)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if not np.isfinite(number):
            return str(value)
        shown = _digit_format(number, str(getattr(cell, "number_format", "General") or "General"))
        if shown is not None:
            return shown
        if isinstance(value, int) or (number.is_integer() and abs(number) < 2 ** 53):
            return str(int(number))
        return repr(number)
    return str(value)


def _digit_format(number: float, number_format: str) -> str | None:
    match = _DIGIT_FORMAT.match(number_format.replace("\\", "").replace('"', ""))
    if match is None or number_format in ("", "General", "@"):
        return None
    integer_part = number_format.split(".")[0]
    decimals = match.group(1) or ""
    fixed = decimals.count("0")
    text = f"{abs(number):.{len(decimals)}f}"
    if len(decimals) > fixed:  # optional decimals (#) drop their trailing zeros
        whole, _, part = text.partition(".")
        part = part.rstrip("0")
        part = part + "0" * max(0, fixed - len(part))
        text = whole + ("." + part if part else "")
    whole, dot, part = text.partition(".")
    whole = whole.zfill(integer_part.count("0")) if integer_part.count("0") else whole.lstrip("0")
    return ("-" if number < 0 else "") + whole + dot + part


def _header_names(row: list[str | None]) -> list[str]:
    """Header cells as column names: blank cells ``Unnamed: i``, repeated names ``name.1``."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(row):
        name = f"Unnamed: {position}" if value is None else str(value)
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _bytes(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"


def _geometry_name(frame: pd.DataFrame) -> str | None:
    if isinstance(frame, gpd.GeoDataFrame):
        return frame.active_geometry_name
    return None


def _drop_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the all-empty rows at the end of a sheet (row numbers of the others stay)."""
    filled = frame.notna().any(axis=1).to_numpy()
    if filled.all():
        return frame
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return frame.iloc[:last]


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def columns_listing(columns: Sequence[Any]) -> str:
    """Comma-separated column names for messages."""
    return ", ".join(str(c) for c in columns) or "(none)"
