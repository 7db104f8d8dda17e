"""Check input tables against their canonical columns and list every problem at once.

After osmnx's ``_validate``: the checks do not stop at the first failure; they collect
every problem (which file, layer, row, column, and what is wrong) so that a planner can
fix a file in one go. The checks are vectorised; only the problems found are formatted,
at most :data:`MAX_ROWS_PER_CHECK` rows per check and column, followed by one
"and N more rows" problem.

Rows are named by their id when it is valid (``"site_id=S0012"``), else by their
1-based position among the data rows (``"row 17"``; for CSV/XLSX also the line of the
file, counting the header: ``"row 17 (line 18)"``).
"""
from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import Problem
from .read import SOURCE_ATTR, columns_listing
from .schema import RESIDENT_SUBGROUPS, ROLE_GEOMETRY_TYPES, ColumnSpec
from .types import Inputs

logger = logging.getLogger(__name__)

#: Rows formatted per check and column; the rest are counted in one extra problem.
MAX_ROWS_PER_CHECK = 20

#: Text accepted for a boolean cell (compared lower-cased and stripped).
BOOL_WORDS: dict[str, bool] = {
    "true": True, "false": False, "t": True, "f": False,
    "yes": True, "no": False, "y": True, "n": False,
    "1": True, "0": False,
    "是": True, "否": False,
}

#: Separators between function names in a site's ``allowed_functions``.
FUNCTION_SEPARATORS = r"[,;，；]"

_GEOMETRY_TYPE_IDS = {
    "Point": 0, "LineString": 1, "LinearRing": 2, "Polygon": 3, "MultiPoint": 4,
    "MultiLineString": 5, "MultiPolygon": 6, "GeometryCollection": 7,
}
_GEOMETRY_TYPE_NAMES = {v: k for k, v in _GEOMETRY_TYPE_IDS.items()}
#: People a resident subgroup may exceed its unit's total by (rounding of fractional people).
SUBGROUP_ROUNDING = 0.5
#: Numbers larger than this are not shown as integers when read as float ids.
_MAX_EXACT_FLOAT_INT = 2.0 ** 53


def split_functions(values: pd.Series) -> pd.Series:
    """Split ``allowed_functions`` cells into one stripped, non-empty name per row.

    Parameters
    ----------
    values
        Text cells with names separated by ``,`` or ``;`` (also ``，；``).

    Returns
    -------
    pandas.Series
        One name per row, indexed by the index of the cell it came from.
    """
    parts = values.fillna("").astype(str).str.split(FUNCTION_SEPARATORS, regex=True).explode().str.strip()
    return parts[parts.notna() & (parts != "")]


@dataclass
class _Checker:
    """Where problems are collected for one table, and how its rows are named."""

    file: str
    layer: str | None
    labels: np.ndarray
    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, column: str | None = None, row: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, self.layer, row, column))

    def rows(self, mask: np.ndarray, column: str | None, message: Callable[[int], str], summary: str) -> None:
        """Add one problem per row of ``mask`` (capped), worded by ``message(position)``."""
        positions = np.flatnonzero(mask)
        for position in positions[:MAX_ROWS_PER_CHECK]:
            self.add(message(int(position)), column, str(self.labels[position]))
        if len(positions) > MAX_ROWS_PER_CHECK:
            self.add(f"and {len(positions) - MAX_ROWS_PER_CHECK} more rows: {summary}", column)


def show(value: object) -> str:
    """A cell value as shown in a message: text quoted, numbers plain, missing as blank."""
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return "blank"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return repr(value)


def to_text(raw: pd.Series) -> pd.Series:
    """Cells as stripped text; numbers without a spurious ``.0``; blank -> NaN.

    Parameters
    ----------
    raw
        Any column.

    Returns
    -------
    pandas.Series
        Object series of ``str`` or NaN, same index.
    """
    n = len(raw)
    out = np.full(n, np.nan, dtype=object)
    present = raw.notna().to_numpy()
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=object)
        out[present] = np.where(values[present].astype(bool), "true", "false")
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < _MAX_EXACT_FLOAT_INT)
        out[whole] = values[whole].astype(np.int64).astype(str)
        other = present & ~whole
        out[other] = values[other].astype(str)
    elif (pd.api.types.is_string_dtype(raw.dtype) and not pd.api.types.is_object_dtype(raw.dtype)) \
            or pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        out[present] = raw.to_numpy(dtype=object)[present]
    else:
        out[present] = raw[present].map(_scalar_text).to_numpy(dtype=object)
    result = pd.Series(out, index=raw.index, dtype=object)
    stripped = result[present].str.strip()
    result[present] = stripped.where(stripped != "", np.nan)
    return result


def _scalar_text(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer() \
            and abs(float(value)) < _MAX_EXACT_FLOAT_INT:
        return str(int(value))
    return str(value)


def _blank(raw: pd.Series) -> np.ndarray:
    """Cells that are missing or only whitespace."""
    missing = raw.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return missing
    stripped = raw.astype(str).str.strip()
    return missing | stripped.eq("").fillna(False).to_numpy(dtype=bool)


def _row_labels(n: int, tabular: bool) -> np.ndarray:
    numbers = np.arange(1, n + 1)
    labels = pd.Series(numbers.astype(str), dtype=object).radd("row ")
    if tabular:
        labels = labels + " (line " + pd.Series((numbers + 1).astype(str), dtype=object) + ")"
    return np.array(labels.to_numpy(dtype=object), dtype=object)  # writable (copy-on-write views are not)


def validate_table(
    df: pd.DataFrame,
    columns: tuple[ColumnSpec, ...],
    file: str,
    layer: str | None,
    role: str,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a table against its canonical columns in one pass; list every problem.

    Parameters
    ----------
    df
        The table as read by :func:`optimizer.inputs.read.read_table` (canonical
        column names; a GeoDataFrame for roles with geometry).
    columns
        Its canonical columns (e.g. :data:`~optimizer.inputs.schema.SITE_COLUMNS`,
        possibly extended with extra cohort columns).
    file, layer
        Where the table came from, for the problems.
    role
        ``"demand"``, ``"sites"``, ``"facilities"``, ``"network"`` or ``"od_table"``:
        decides the geometry types accepted (see
        :data:`~optimizer.inputs.schema.ROLE_GEOMETRY_TYPES`).

    Returns
    -------
    clean
        The table with a fresh RangeIndex; canonical columns first, in ``columns``
        order, typed (ids and text as ``str``; numbers float64; integers int64 when
        they have a default, else float64 with NaN; booleans bool; text choices
        lower-cased), absent optional columns filled with their default (NaN for
        numbers without one); extra columns kept as read; geometry last. Network
        MultiLineStrings are exploded into LineStrings (a given ``length_m`` is shared
        in proportion to the parts' lengths); ``steps`` is also true where
        ``highway == 'steps'``. Rows with problems are kept.
    problems
        Every problem found, each naming file, layer, row and column.
    """
    info: Mapping[str, object] = df.attrs.get(SOURCE_ATTR, {}) or {}
    out = df.reset_index(drop=True)
    n = len(out)
    geometry_name = out.active_geometry_name if isinstance(out, gpd.GeoDataFrame) else None
    file_columns = list(info.get("file_columns") or [c for c in out.columns if c != geometry_name])
    mapping: Mapping[str, str] = info.get("mapping") or {}  # type: ignore[assignment]
    checker = _Checker(file, layer, _row_labels(n, bool(info.get("tabular"))))

    if n == 0 and role not in ("facilities", "requests"):  # no running facility, no request yet: fine
        checker.add("the table has no rows")

    # -- columns present --------------------------------------------------------------
    absent: set[str] = set()
    for spec in columns:
        if spec.name in out.columns:
            continue
        absent.add(spec.name)
        if spec.name in mapping:
            checker.add(f"the scenario maps column '{spec.name}' to '{mapping[spec.name]}', which the file "
                        f"does not have (columns in the file: {columns_listing(file_columns)})", spec.name)
        elif spec.required:
            checker.add(f"missing required column '{spec.name}' (columns in the file: "
                        f"{columns_listing(file_columns)})", spec.name)

    # -- ids, and the row names they give --------------------------------------------
    id_specs = [spec for spec in columns if spec.dtype == "id" and spec.name not in absent]
    ids = {spec.name: to_text(out[spec.name]) for spec in id_specs}
    for spec in id_specs:
        missing = ids[spec.name].isna().to_numpy()
        checker.rows(missing, spec.name, lambda p: "missing id", "missing id")
    key_specs = [spec for spec in columns if spec.dtype == "id"]
    if len(key_specs) == 1 and not absent.intersection(s.name for s in key_specs):
        key = key_specs[0].name
        values = ids[key]
        duplicated = (values.notna() & values.duplicated(keep=False)).to_numpy()
        good = values.notna().to_numpy() & ~duplicated
        labels = checker.labels.copy()
        labels[good] = (key + "=" + values[good]).to_numpy(dtype=object)
        _report_duplicates(checker, values, duplicated, key, labels)
        checker.labels = labels
    elif len(key_specs) > 1 and not absent.intersection(s.name for s in key_specs):
        frame = pd.DataFrame({s.name: ids[s.name] for s in key_specs})
        duplicated = (frame.notna().all(axis=1) & frame.duplicated(keep=False)).to_numpy()
        _report_duplicate_pairs(checker, frame, duplicated)

    # -- values ----------------------------------------------------------------------
    clean: dict[str, pd.Series] = {}
    for spec in columns:
        if spec.name in absent:
            clean[spec.name] = _absent_column(spec, n, out.index)
        elif spec.dtype == "id":
            clean[spec.name] = ids[spec.name].astype(str).where(ids[spec.name].notna(), np.nan)
        elif spec.dtype in ("number", "integer"):
            clean[spec.name] = _check_number(checker, out[spec.name], spec)
        elif spec.dtype == "bool":
            clean[spec.name] = _check_bool(checker, out[spec.name], spec)
        else:
            clean[spec.name] = _check_text(checker, out[spec.name], spec)

    if role == "od_table":
        _check_od_effort(checker, clean, absent, file_columns)

    # -- assemble --------------------------------------------------------------------
    canonical = [spec.name for spec in columns]
    extras = [c for c in out.columns if c not in canonical and c != geometry_name]
    table = pd.DataFrame(clean, index=out.index)
    for column in extras:
        table[column] = out[column]
    allowed = ROLE_GEOMETRY_TYPES.get(role, ())
    if allowed:
        if geometry_name is None:
            if not info.get("geometry_reported"):
                checker.add("no geometry: the table has no geometry column and no coordinates")
            result: pd.DataFrame = table
        else:
            geometry = out.geometry
            _check_geometry(checker, geometry.to_numpy(), allowed, role, out, info)
            result = gpd.GeoDataFrame(table, geometry=geometry.rename("geometry"), crs=geometry.crs)
            if role == "network":
                result = _network(result)
    else:
        result = table
    result = result.reset_index(drop=True)
    result.attrs = {SOURCE_ATTR: dict(info)} if info else {}
    logger.debug("validated %s: %d rows, %d problems", file, len(result), len(checker.problems))
    return result, checker.problems


def _absent_column(spec: ColumnSpec, n: int, index: pd.Index) -> pd.Series:
    if spec.dtype in ("number", "integer"):
        if spec.default is None:
            return pd.Series(np.full(n, np.nan), index=index, dtype=float)
        dtype = np.int64 if spec.dtype == "integer" else float
        return pd.Series(np.full(n, spec.default), index=index, dtype=dtype)
    if spec.dtype == "bool":
        return pd.Series(np.full(n, bool(spec.default)), index=index, dtype=bool)
    default = "" if spec.default is None else str(spec.default)
    return pd.Series([default] * n, index=index, dtype=str)


def _report_duplicates(checker: _Checker, values: pd.Series, duplicated: np.ndarray, key: str,
                       labels: np.ndarray) -> None:
    positions = np.flatnonzero(duplicated)
    if not len(positions):
        return
    groups = pd.Series(positions).groupby(values.to_numpy(dtype=object)[positions], sort=False).agg(list)
    groups = groups.sort_values(key=lambda s: s.map(lambda rows: rows[0]))
    for value, rows in list(groups.items())[:MAX_ROWS_PER_CHECK]:
        shown = [str(labels[p]) for p in rows[:5]]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        where = ", ".join(shown[:-1]) + " and " + shown[-1] if not more else ", ".join(shown) + more
        checker.add(f"duplicate {key} {show(value)} (in {where})", key, str(labels[rows[-1]]))
    if len(groups) > MAX_ROWS_PER_CHECK:
        checker.add(f"and {len(groups) - MAX_ROWS_PER_CHECK} more duplicated values of {key}", key)


def _report_duplicate_pairs(checker: _Checker, frame: pd.DataFrame, duplicated: np.ndarray) -> None:
    if not duplicated.any():
        return
    first = frame[duplicated].groupby(list(frame.columns), sort=False).ngroup()
    columns = list(frame.columns)

    def message(position: int) -> str:
        pair = ", ".join(f"{c}={show(frame[c].iat[position])}" for c in columns)
        return f"duplicate pair {pair}"

    checker.rows(duplicated, " + ".join(columns), message, f"duplicate pairs ({first.max() + 1} distinct)")


def _check_number(checker: _Checker, raw: pd.Series, spec: ColumnSpec) -> pd.Series:
    blank = _blank(raw)
    values = pd.to_numeric(raw, errors="coerce") if not pd.api.types.is_bool_dtype(raw.dtype) \
        else raw.astype(float)
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    raw_values = raw.to_numpy(dtype=object)
    non_numeric = ~blank & np.isnan(numbers)
    checker.rows(non_numeric, spec.name, lambda p: f"not a number: {show(raw_values[p])}", "not a number")
    infinite = np.isinf(numbers)
    checker.rows(infinite, spec.name, lambda p: f"not a finite number: {show(raw_values[p])}", "not finite")
    numbers = np.where(infinite, np.nan, numbers)
    if spec.required:
        checker.rows(blank, spec.name, lambda p: "missing value (the column is required)", "missing value")
    with np.errstate(invalid="ignore"):
        if spec.nonnegative:
            checker.rows(numbers < 0, spec.name,
                         lambda p: f"negative value {show(numbers[p])} (must be 0 or more)", "negative value")
        if spec.dtype == "integer":
            fraction = np.isfinite(numbers) & (numbers != np.round(numbers))
            checker.rows(fraction, spec.name,
                         lambda p: f"not a whole number: {show(raw_values[p])}", "not a whole number")
    if spec.default is not None:
        numbers = np.where(blank, float(spec.default), numbers)  # type: ignore[arg-type]
        if spec.dtype == "integer" and not np.isnan(numbers).any() \
                and np.array_equal(numbers, np.round(numbers)):
            return pd.Series(numbers.astype(np.int64), index=raw.index)
    return pd.Series(numbers, index=raw.index, dtype=float)


def _check_bool(checker: _Checker, raw: pd.Series, spec: ColumnSpec) -> pd.Series:
    text = to_text(raw)
    words = text.str.lower()
    mapped = words.map(BOOL_WORDS)
    given = text.notna().to_numpy()
    unknown = given & mapped.isna().to_numpy()
    raw_values = raw.to_numpy(dtype=object)
    checker.rows(unknown, spec.name,
                 lambda p: f"not a yes/no value: {show(raw_values[p])} (use true/false, yes/no, 1/0 or 是/否)",
                 "not a yes/no value")
    if spec.required:
        checker.rows(~given, spec.name, lambda p: "missing value (the column is required)", "missing value")
    result = np.where(given & ~unknown, mapped.to_numpy(dtype=object), bool(spec.default))
    return pd.Series(result.astype(bool), index=raw.index)


def _check_text(checker: _Checker, raw: pd.Series, spec: ColumnSpec) -> pd.Series:
    text = to_text(raw)
    given = text.notna().to_numpy()
    if spec.required:
        checker.rows(~given, spec.name, lambda p: "missing value (the column is required)", "missing value")
    if spec.choices is not None:
        text = text.str.lower()
        allowed = [c for c in spec.choices if c]
        unknown = given & ~text.isin(spec.choices).to_numpy()
        blank_ok = " or blank" if "" in spec.choices else ""
        values = text.to_numpy(dtype=object)
        raw_values = raw.to_numpy(dtype=object)

        def message(position: int) -> str:
            close = difflib.get_close_matches(str(values[position]), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            return (f"unknown {spec.name} {show(raw_values[position])} "
                    f"(allowed: {', '.join(allowed)}{blank_ok}){hint}")

        checker.rows(unknown, spec.name, message, f"unknown {spec.name}")
    default = "" if spec.default is None else str(spec.default)
    return text.where(text.notna(), default).astype(str)


def _check_od_effort(checker: _Checker, clean: dict[str, pd.Series], absent: set[str],
                     file_columns: list[str]) -> None:
    effort = [c for c in ("minutes", "metres") if c not in absent]
    if not effort:
        checker.add(f"an OD table needs a 'minutes' or a 'metres' column (columns in the file: "
                    f"{columns_listing(file_columns)})", "minutes")
        return
    neither = np.logical_and.reduce([np.isnan(clean[c].to_numpy(dtype=float)) for c in effort])
    checker.rows(neither, " / ".join(effort), lambda p: "no walking effort: " + " and ".join(effort) + " blank",
                 "no walking effort")


def _check_geometry(checker: _Checker, geometry: np.ndarray, allowed: tuple[str, ...], role: str,
                    table: pd.DataFrame, info: Mapping[str, object]) -> None:
    missing = shapely.is_missing(geometry)
    xy = info.get("xy")
    if xy:
        x_name, y_name = xy  # type: ignore[misc]
        xs, ys = table[x_name].to_numpy(dtype=object), table[y_name].to_numpy(dtype=object)

        def no_point(position: int) -> str:
            return (f"no valid point: {x_name}={show(xs[position])}, {y_name}={show(ys[position])} "
                    "(coordinates must be numbers)")

        checker.rows(missing, "geometry", no_point, "no valid point")
    else:
        checker.rows(missing, "geometry", lambda p: "missing geometry", "missing geometry")
    present = ~missing
    empty = present & shapely.is_empty(geometry)
    checker.rows(empty, "geometry", lambda p: "empty geometry", "empty geometry")
    types = shapely.get_type_id(geometry)
    wrong = present & ~empty & ~np.isin(types, [_GEOMETRY_TYPE_IDS[t] for t in allowed])
    expected = ", ".join(allowed[:-1]) + " or " + allowed[-1]
    checker.rows(wrong, "geometry",
                 lambda p: f"geometry is a {_GEOMETRY_TYPE_NAMES.get(int(types[p]), 'unknown')}; "
                           f"{role} must be {expected}", "wrong geometry type")
    candidates = present & ~empty & ~wrong
    invalid = np.zeros(len(geometry), dtype=bool)
    invalid[candidates] = ~shapely.is_valid(geometry[candidates])
    checker.rows(invalid, "geometry", lambda p: f"invalid geometry: {shapely.is_valid_reason(geometry[p])}",
                 "invalid geometry")


def _network(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Explode MultiLineStrings (sharing a given length in proportion) and mark stairs."""
    edges = edges.copy()
    edges["steps"] = edges["steps"].to_numpy(dtype=bool) | (edges["highway"].str.lower() == "steps").to_numpy()
    types = shapely.get_type_id(edges.geometry.to_numpy())
    multi = types == _GEOMETRY_TYPE_IDS["MultiLineString"]
    if not multi.any():
        return edges
    whole_length = pd.Series(shapely.length(edges.geometry.to_numpy()), index=edges.index)
    exploded = edges.explode(index_parts=False)
    part_length = shapely.length(exploded.geometry.to_numpy())
    source = exploded.index.to_numpy()
    was_multi = multi[source]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(was_multi, part_length / whole_length.to_numpy()[source], 1.0)
    exploded["length_m"] = exploded["length_m"].to_numpy(dtype=float) * share
    logger.info("network: %d MultiLineStrings exploded into %d LineStrings", int(multi.sum()),
                int(was_multi.sum()))
    return exploded


def check_references(
    inputs: Inputs,
    function_names: set[str] | None,
    cohorts: set[str] | Mapping[str, Iterable[str]],
    source_names: Mapping[str, str | tuple[str, str | None]],
) -> list[Problem]:
    """Cross-check the tables against the scenario's functions and cohorts.

    Parameters
    ----------
    inputs
        The validated inputs.
    function_names
        Names of the scenario's functions (canteen, childcare, ...). Facilities'
        ``function`` and sites' ``allowed_functions`` entries must be among them.
        ``None``: not checked.
    cohorts
        Demand columns the functions serve; each must be a numeric demand column with
        values. A mapping cohort -> names of the functions serving it words the
        problems better.
    source_names
        Role (``"demand"``, ``"sites"``, ``"facilities"``, ``"od_table"``) -> file
        name for the problems, or ``(file, layer)``.

    Returns
    -------
    list[Problem]
        Every unknown function name and unusable cohort; a resident subgroup
        (:data:`~optimizer.inputs.schema.RESIDENT_SUBGROUPS`: elderly, infants, school-age
        children) larger than its unit's ``total``; a facility's ``circle_id`` that is no
        ``circle_id`` of the demand (when the demand names circles); for an OD table, no row
        matching a demand unit and a site or facility, or ids shared by a site and a
        facility (an OD ``site_id`` would be ambiguous).
    """
    problems: list[Problem] = []

    def where(role: str) -> tuple[str, str | None]:
        source = source_names.get(role, role)
        if isinstance(source, tuple):
            return source[0], source[1]
        return str(source), None

    known = sorted(function_names) if function_names is not None else []
    known_text = ", ".join(known) or "(none)"

    def checker(role: str, table: pd.DataFrame, key: str) -> _Checker:
        file, layer = where(role)
        labels = _row_labels(len(table), False)
        if key in table.columns:
            ids = to_text(table[key])
            good = ids.notna().to_numpy() & ~ids.duplicated(keep=False).to_numpy()
            labels[good] = (key + "=" + ids[good]).to_numpy(dtype=object)
        return _Checker(file, layer, labels, problems)

    def hint(name: str) -> str:
        close = difflib.get_close_matches(name, known, n=1)
        return f"; did you mean '{close[0]}'?" if close else ""

    facilities = inputs.facilities
    if function_names is not None and len(facilities) and "function" in facilities.columns:
        names = facilities["function"].astype(str).str.strip().to_numpy(dtype=object)
        unknown = (names != "") & (names != "nan") & ~np.isin(names, known)
        check = checker("facilities", facilities, "facility_id")
        check.rows(unknown, "function",
                   lambda p: f"unknown function {show(names[p])} (known functions: {known_text}){hint(names[p])}",
                   "unknown function")

    sites = inputs.sites
    if function_names is not None and len(sites) and "allowed_functions" in sites.columns:
        entries = split_functions(sites["allowed_functions"])
        bad = entries[~entries.isin(known)]
        if len(bad):
            per_row = bad.groupby(level=0).agg(list)
            mask = np.zeros(len(sites), dtype=bool)
            positions = sites.index.get_indexer(per_row.index)
            mask[positions] = True
            by_position = dict(zip(positions, per_row.to_numpy(), strict=True))
            check = checker("sites", sites, "site_id")
            check.rows(mask, "allowed_functions",
                       lambda p: "unknown function(s) " + ", ".join(show(v) for v in by_position[p])
                       + f" (known functions: {known_text}){hint(by_position[p][0])}", "unknown function")

    demand = inputs.demand
    file, layer = where("demand")
    served_by: Mapping[str, Iterable[str]] = cohorts if isinstance(cohorts, Mapping) else {c: () for c in cohorts}
    numeric = [c for c in demand.columns
               if c != getattr(demand, "active_geometry_name", None) and pd.api.types.is_numeric_dtype(demand[c])
               and not pd.api.types.is_bool_dtype(demand[c])]
    with_values = [c for c in numeric if demand[c].notna().any()]
    for cohort in sorted(served_by):
        functions = sorted(served_by[cohort])
        by = f" (served by {', '.join(functions)})" if functions else ""
        if cohort not in demand.columns:
            problems.append(Problem(file, f"cohort '{cohort}'{by} is not a column of the demand table "
                                          f"(numeric columns with values: {columns_listing(with_values)})", layer, None,
                                    cohort))
        elif cohort not in numeric:
            problems.append(Problem(file, f"cohort '{cohort}'{by} is not a numeric column", layer, None, cohort))
        elif len(demand) and demand[cohort].isna().all():
            problems.append(Problem(file, f"cohort '{cohort}'{by} has no values (the column is absent or blank)",
                                    layer, None, cohort))

    if "total" in demand.columns and pd.api.types.is_numeric_dtype(demand["total"]):
        total = demand["total"].to_numpy(dtype=float)
        for group in RESIDENT_SUBGROUPS:
            if group not in numeric:
                continue
            values = demand[group].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                above = values > total + SUBGROUP_ROUNDING

            def above_total(p: int, group: str = group, values: np.ndarray = values) -> str:
                return (f"{group} {show(values[p])} is more than the unit's total {show(total[p])}: {group} are "
                        "some of its residents (is a column shifted, or a percentage given?)")

            checker("demand", demand, "unit_id").rows(above, group, above_total, f"{group} above total")

    # a facility's circle must be one of the demand's, when the demand names circles at all
    demand_circles = sorted(set(to_text(demand["circle_id"]).dropna())) if "circle_id" in demand.columns else []
    if "circle_id" in facilities.columns and len(facilities) and demand_circles:
        given = to_text(facilities["circle_id"])
        unknown_circle = given.notna().to_numpy() & ~given.isin(demand_circles).to_numpy()
        demand_file, _ = where("demand")
        listed = ", ".join(demand_circles[:8]) + (f" and {len(demand_circles) - 8} more"
                                                  if len(demand_circles) > 8 else "")
        circle_text = given.to_numpy(dtype=object)
        checker("facilities", facilities, "facility_id").rows(
            unknown_circle, "circle_id",
            lambda p: f"circle_id {show(circle_text[p])} is not a circle of the demand ({demand_file} has "
                      f"{listed}); give the facility's life circle as the demand names it, or leave it blank "
                      "for the circle of the nearest demand unit", "unknown circle_id")

    if inputs.circles is not None and "circle_id" in inputs.circles.columns and "circle_id" in demand.columns:
        known_circles = set(to_text(inputs.circles["circle_id"]).dropna())
        circle_of = demand["circle_id"].astype(str).str.strip().to_numpy(dtype=object)
        circles_file, _ = where("circles")
        unknown_circle = (circle_of != "") & ~np.isin(circle_of, sorted(known_circles))
        checker("demand", demand, "unit_id").rows(
            unknown_circle, "circle_id",
            lambda p: f"circle_id {show(circle_of[p])} is not a circle of {circles_file}", "unknown circle_id")
    if inputs.od_table is not None and len(inputs.od_table):
        problems.extend(_check_od_references(inputs, where))
    return problems


def _check_od_references(inputs: Inputs,
                         where: Callable[[str], tuple[str, str | None]]) -> list[Problem]:
    problems: list[Problem] = []
    od = inputs.od_table
    assert od is not None
    file, layer = where("od_table")
    site_ids = set(inputs.sites["site_id"].dropna().astype(str)) if "site_id" in inputs.sites else set()
    facility_ids = set(inputs.facilities["facility_id"].dropna().astype(str)) \
        if "facility_id" in inputs.facilities else set()
    shared = sorted(site_ids & facility_ids)
    if shared:
        more = f" and {len(shared) - 10} more" if len(shared) > 10 else ""
        problems.append(Problem(file, "ids used by both a site and a facility make the OD table's site_id "
                                      f"ambiguous: {', '.join(shared[:10])}{more}", layer, None, "site_id"))
    if "unit_id" in od.columns and "site_id" in od.columns and "unit_id" in inputs.demand.columns:
        unit_ok = od["unit_id"].isin(inputs.demand["unit_id"]).to_numpy()
        target_ok = od["site_id"].isin(site_ids | facility_ids).to_numpy()
        matched = int((unit_ok & target_ok).sum())
        if matched == 0:
            sample = od[["unit_id", "site_id"]].head(3).astype(str).agg("/".join, axis=1).tolist()
            problems.append(Problem(file, "no row of the OD table names both a known demand unit_id and a known "
                                          f"site or facility id (first rows unit_id/site_id: {', '.join(sample)})",
                                    layer, None, "unit_id"))
        elif matched < len(od):
            logger.info("%s: %d of %d OD rows name unknown ids and are ignored", file, len(od) - matched, len(od))
    return problems
