"""Walking effort from a bring-your-own origin-destination table (minutes or metres)."""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.reach.types import Reach, ReachMethod

logger = logging.getLogger(__name__)

_VALUE_COLUMNS = ("minutes", "metres")


def _id_keys(values: Sequence[object] | pd.Series | np.ndarray) -> pd.Series:
    """Ids as comparable text: ``17``, ``17.0`` and ``"17"`` are the same id; blanks are NA."""
    s = pd.Series(values, dtype=object if not isinstance(values, pd.Series) else None).reset_index(drop=True)
    if pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
        return s.astype("int64").astype(str).astype("string")
    if pd.api.types.is_float_dtype(s.dtype):
        num = s.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(num)
        if np.all(num[finite] == np.round(num[finite])) and np.all(np.abs(num[finite]) < 2**53):
            out = pd.Series(pd.NA, index=s.index, dtype="string")
            out[finite] = num[finite].astype(np.int64).astype(str)
            return out

    def one(x: object) -> object:
        if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
            return pd.NA
        if isinstance(x, (float, np.floating)) and float(x).is_integer():
            return str(int(x))
        if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
            return str(int(x))
        text = str(x).strip()
        return text if text else pd.NA

    return s.map(one).astype("string")


def _position_index(ids: Sequence[object], what: str) -> pd.Index:
    """Id keys in row order, for ``get_indexer``; ``ValueError`` when an id repeats."""
    keys = _id_keys(ids)
    index = pd.Index(keys)
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"{what} ids must be unique; repeated: {dup}")
    return index


def _numbers(od: pd.DataFrame, column: str, source: str, problems: list[tuple[int, int, Problem]],
             order: int) -> tuple[np.ndarray, np.ndarray]:
    """A value column as float64 (NaN unless a valid number) and its blank mask.

    Non-numeric, negative and infinite values are appended to ``problems``.
    """
    if column not in od.columns:
        return np.full(len(od), np.nan), np.ones(len(od), dtype=bool)
    raw = od[column].reset_index(drop=True)
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    text = raw.astype("string").str.strip()
    blank = (raw.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)
    for pos in np.flatnonzero(np.isnan(num) & ~blank):
        problems.append((pos, order, Problem(file=source, row=f"row {pos + 1}", column=column,
                                             message=f"{raw.iloc[pos]!r} is not a number")))
    for pos in np.flatnonzero((num < 0) | np.isinf(num)):
        problems.append((pos, order, Problem(file=source, row=f"row {pos + 1}", column=column,
                                             message=f"{num[pos]!r} must be a finite number >= 0")))
    return num, blank


def od_table_reach(
    od: pd.DataFrame,
    unit_ids: Sequence[object],
    target_ids: Sequence[object],
    cutoff: float,
    *,
    speed_mps: float = 1.0,
    source: str = "od_table.csv",
) -> Reach:
    """Pairs (unit, target) within ``cutoff`` from a table of walking minutes or metres.

    Parameters
    ----------
    od
        Canonical OD table: ``unit_id``, ``site_id`` and ``minutes`` and/or ``metres``.
        Where a row gives both, minutes are used (they can include slope and stairs).
    unit_ids
        Demand unit ids, by row position of the demand table.
    target_ids
        Target ids (site or facility ids), by row position of the target table.
    cutoff
        Largest walking effort kept, in reference seconds (inclusive).
    speed_mps
        Walking speed the table's minutes were computed at: ``minutes`` become
        ``minutes * 60 * speed_mps`` reference seconds; ``metres`` are reference
        seconds as they are.
    source
        File name used in problems and notes.

    Returns
    -------
    Reach
        Method ``OD_TABLE``, sorted by ``(unit, target)``. Units and targets the table
        does not mention reach nothing; pairs beyond ``cutoff`` are dropped; a pair
        given twice with the same value counts once.

    Raises
    ------
    InputError
        Listing every problem at once: missing columns, blank or unknown ids,
        non-numeric, negative or infinite values, rows with neither minutes nor
        metres, and pairs given twice with different values. Rows are numbered from 1
        (first data row).
    ValueError
        Repeated ids in ``unit_ids`` / ``target_ids``, a negative or NaN cutoff, or a
        speed that is not a positive finite number.
    """
    cutoff = float(cutoff)
    if math.isnan(cutoff) or cutoff < 0:
        raise ValueError(f"cutoff must be >= 0, got {cutoff!r}")
    if not (math.isfinite(speed_mps) and speed_mps > 0):
        raise ValueError(f"speed_mps must be a positive finite number, got {speed_mps!r}")
    unit_index = _position_index(unit_ids, "unit")
    target_index = _position_index(target_ids, "target")
    n_units, n_targets = len(unit_index), len(target_index)

    header: list[Problem] = []
    for column in ("unit_id", "site_id"):
        if column not in od.columns:
            header.append(Problem(file=source, column=column, message=f"required column '{column}' is missing"))
    if not any(c in od.columns for c in _VALUE_COLUMNS):
        header.append(Problem(file=source, column="minutes",
                              message="the table needs a 'minutes' or a 'metres' column"))
    if header:
        raise InputError(header)

    n_rows = len(od)
    problems: list[tuple[int, int, Problem]] = []
    positions: list[np.ndarray] = []
    for order, (column, index, what) in enumerate(
            (("unit_id", unit_index, "demand"), ("site_id", target_index, "site/facility"))):
        raw = od[column].reset_index(drop=True)
        keys = _id_keys(raw)
        pos = index.get_indexer(pd.Index(keys))
        missing = keys.isna().to_numpy(dtype=bool)
        pos[missing] = -1
        for row in np.flatnonzero(missing):
            problems.append((row, order, Problem(file=source, row=f"row {row + 1}", column=column,
                                                 message=f"{column} is blank")))
        for row in np.flatnonzero((pos < 0) & ~missing):
            problems.append((row, order, Problem(
                file=source, row=f"row {row + 1}", column=column,
                message=f"{column} '{keys.iloc[row]}' is not in the {what} table")))
        positions.append(pos)
    u_pos, t_pos = positions

    minutes, blank_minutes = _numbers(od, "minutes", source, problems, 2)
    metres, blank_metres = _numbers(od, "metres", source, problems, 3)
    bad_minutes = np.isnan(minutes) | np.isinf(minutes) | (minutes < 0)
    bad_metres = np.isnan(metres) | np.isinf(metres) | (metres < 0)
    ref = np.where(~bad_minutes, minutes * 60.0 * float(speed_mps), np.where(~bad_metres, metres, np.nan))
    # Rows with a malformed value were already reported; here: both blank.
    for row in np.flatnonzero(blank_minutes & blank_metres):
        problems.append((row, 4, Problem(file=source, row=f"row {row + 1}", column="minutes",
                                         message="the row gives neither minutes nor metres")))

    # The same pair twice with different values is ambiguous.
    valid = (u_pos >= 0) & (t_pos >= 0) & np.isfinite(ref)
    rows = np.flatnonzero(valid)
    if rows.size:
        pair = u_pos[rows].astype(np.int64) * max(n_targets, 1) + t_pos[rows]
        order_rows = np.lexsort((rows, pair))
        pair_s, ref_s, rows_s = pair[order_rows], ref[rows][order_rows], rows[order_rows]
        same_pair = np.zeros(rows_s.size, dtype=bool)
        same_pair[1:] = pair_s[1:] == pair_s[:-1]
        group_start = np.flatnonzero(~same_pair)
        group_of = np.cumsum(~same_pair) - 1
        first_row = rows_s[group_start][group_of]
        first_ref = ref_s[group_start][group_of]
        clash = same_pair & ~np.isclose(ref_s, first_ref, rtol=1e-9, atol=1e-9)
        for k in np.flatnonzero(clash):
            row = int(rows_s[k])
            problems.append((row, 5, Problem(
                file=source, row=f"row {row + 1}", column="minutes" if not bad_minutes[row] else "metres",
                message=(f"pair unit_id '{unit_index[u_pos[row]]}', site_id '{target_index[t_pos[row]]}' "
                         f"is also given in row {int(first_row[k]) + 1} with a different value"))))
    else:
        same_pair = np.zeros(0, dtype=bool)
        rows_s = rows
        ref_s = np.zeros(0)
        pair_s = np.zeros(0, dtype=np.int64)

    if problems:
        problems.sort(key=lambda item: (item[0], item[1]))
        raise InputError([p for _, _, p in problems])

    keep = ~same_pair & (ref_s <= cutoff)
    rows_k = rows_s[keep]
    ui = u_pos[rows_k]
    ti = t_pos[rows_k]
    vals = ref_s[keep]
    order = np.lexsort((ti, ui))
    notes = [f"walking effort from the OD table '{source}' ({n_rows} rows; minutes read at "
             f"{speed_mps:g} m/s where given, else metres)"]
    logger.debug("OD-table reach: %d pairs within %g ref-s from %d rows", order.size, cutoff, n_rows)
    return Reach(ui[order], ti[order], vals[order], n_units, n_targets, cutoff,
                 ReachMethod.OD_TABLE, tuple(notes))
