"""Shared garages (错时共享停车): their off-hours windows, and the checks of their rows.

Seed 003 (the municipal reform plan) asks to "持续推进小微停车场建设和错时共享停车": the
garages of offices, malls, hospitals and agencies are offered to residents when their own
users have gone home. Each row of ``inputs.shared_garages`` offers ``places`` spaces during
``hours``, e.g. ``19:00-08:00`` (wrapping midnight) or several windows
``18:00-23:00;00:00-08:00``. This module reads those windows and names every bad row; the
garages join the sites in :mod:`optimizer.rules.shared_parking`.
"""
from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from ..errors import Problem
from .read import SOURCE_ATTR
from .validate import _Checker, _row_labels, show, to_text

log = logging.getLogger(__name__)

#: Minutes in a day.
DAY_MINUTES = 24 * 60

#: Separators between windows (also the full-width forms).
_WINDOW_SEPARATORS = r"[;；,，、]"
#: One window: ``HH:MM-HH:MM`` (``-``, en or em dash, ``~`` or 至 between; ``：`` accepted).
_WINDOW = re.compile(r"^\s*(\d{1,2})\s*[:：]\s*(\d{2})\s*(?:-|–|—|~|～|至)\s*(\d{1,2})\s*[:：]\s*(\d{2})\s*$")


def parse_hours(text: str) -> tuple[tuple[int, int], ...] | None:
    """The windows of an ``hours`` cell as ``(start, end)`` minutes after midnight.

    Parameters
    ----------
    text
        e.g. ``"19:00-08:00"`` or ``"18:00-23:00;00:00-08:00"``. A window whose end is
        not after its start wraps midnight; a window from a time to the same time is the
        whole day. ``24:00`` is accepted as midnight.

    Returns
    -------
    tuple or None
        ``((start, end), ...)`` with ``end`` in ``(start, start + 1440]``; ``None`` when a
        window cannot be read (no text, not ``HH:MM-HH:MM``, hour above 24, minute above 59).
    """
    parts = [p for p in re.split(_WINDOW_SEPARATORS, str(text)) if p.strip()]
    if not parts:
        return None
    windows = []
    for part in parts:
        match = _WINDOW.match(part)
        if match is None:
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59 or h1 > 24 or h2 > 24 or (h1 == 24 and m1) or (h2 == 24 and m2):
            return None
        start, end = (h1 * 60 + m1) % DAY_MINUTES, (h2 * 60 + m2) % DAY_MINUTES
        windows.append((start, end if end > start else end + DAY_MINUTES))
    return tuple(windows)


def hours_per_day(text: str) -> float:
    """Hours a day residents may park: the length of the union of the windows (overlaps counted once).

    Parameters
    ----------
    text
        An ``hours`` cell.

    Returns
    -------
    float
        0 to 24; NaN when the cell cannot be read (:func:`parse_hours`).
    """
    windows = parse_hours(text)
    if windows is None:
        return float("nan")
    open_minute = np.zeros(DAY_MINUTES, dtype=bool)
    for start, end in windows:
        open_minute[np.arange(start, end) % DAY_MINUTES] = True
    return float(open_minute.sum()) / 60.0


def garage_problems(garages: pd.DataFrame, sites: pd.DataFrame | None, file: str, layer: str | None,
                    sites_file: str) -> list[Problem]:
    """Every garage row the model cannot offer: places not above 0, unreadable hours, an id of a site.

    Parameters
    ----------
    garages
        The shared garages as validated by :func:`optimizer.inputs.validate.validate_table`
        (blank or non-numeric cells are already reported there).
    sites
        The sites as validated (the garages join them, so an id may not be a ``site_id``
        too), or ``None`` when they could not be read.
    file, layer
        Where the garages came from.
    sites_file
        The sites' file, named in the problem of a clashing id.

    Returns
    -------
    list[Problem]
        One per bad cell (at most :data:`~optimizer.inputs.validate.MAX_ROWS_PER_CHECK` per
        check, then one "and N more rows"), each naming the row ``garage_id=...`` and the column.
    """
    info = garages.attrs.get(SOURCE_ATTR, {}) or {}
    labels = _row_labels(len(garages), bool(info.get("tabular")))
    ids = to_text(garages["garage_id"]) if "garage_id" in garages else pd.Series([np.nan] * len(garages))
    good = ids.notna().to_numpy() & ~ids.duplicated(keep=False).to_numpy()
    labels[good] = ("garage_id=" + ids[good]).to_numpy(dtype=object)
    check = _Checker(file, layer, labels)
    if "places" in garages:
        places = pd.to_numeric(garages["places"], errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            check.rows(places <= 0, "places",
                       lambda p: f"places must be more than 0 (the spaces offered to residents), got {show(places[p])}",
                       "places not above 0")
    if "hours" in garages:
        text = garages["hours"].fillna("").astype(str).to_numpy(dtype=object)
        unreadable = np.array([t.strip() != "" and parse_hours(t) is None for t in text], dtype=bool)
        check.rows(unreadable, "hours",
                   lambda p: f"hours {show(text[p])} are not time windows such as '19:00-08:00' (several: "
                             "'18:00-23:00;00:00-08:00')", "unreadable hours")
    if sites is not None and "site_id" in sites:
        clash = ids.isin(set(to_text(sites["site_id"]).dropna())).to_numpy()
        check.rows(clash, "garage_id",
                   lambda p: f"garage_id {show(ids.iat[p])} is also a site id of {sites_file}: the garages join "
                             "the sites, give the garage an id of its own", "garage ids that are site ids")
    log.debug("shared garages: %d rows, %d problems", len(garages), len(check.problems))
    return check.problems
