"""The market-demand ledger (市场需求一本账) against the demand table and the scenario's functions.

Jiangbei's method (seed 004, ``004_f31e27656073a08e.txt``) keeps "一图两账三单": a map,
two ledgers (市场需求一本账、闲置资产一本账) and three lists. The market-demand ledger records
what residents asked for, gathered "通过'渝快办'、社区微信群、网格员走访、开坝坝会等多种渠道"
(seed 000, ``000_d0e8a8dd717c9218.txt``). :func:`check_requests` checks what
:func:`~optimizer.inputs.validate.validate_table` cannot see alone: that each row names a
community or a life circle of the demand table (both, when given, meeting in at least
one unit), a known function, a positive count and a real date. Every problem is
collected, each naming the file, the row (``request_id=...``) and the column.
"""
from __future__ import annotations

import difflib
import logging
import re

import numpy as np
import pandas as pd

from ..errors import Problem
from .read import SOURCE_ATTR
from .validate import _Checker, _row_labels, show, to_text

logger = logging.getLogger(__name__)

#: A date as the ledger gives it (an Excel date cell reads as ``YYYY-MM-DD 00:00:00``).
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00)?$")


def check_requests(
    requests: pd.DataFrame,
    demand: pd.DataFrame,
    function_names: set[str] | None,
    file: str,
    layer: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Cross-check the validated ledger against the demand table and the scenario's functions.

    Parameters
    ----------
    requests
        The ledger as :func:`~optimizer.inputs.validate.validate_table` left it
        (canonical columns of :data:`~optimizer.inputs.schema.REQUEST_COLUMNS`).
    demand
        The validated demand table (``community``, ``circle_id``).
    function_names
        Functions a request may name: the scenario's planned and disabled ones (requests
        for a disabled function are ignored later, with a warning); ``None``: not checked.
    file, layer
        Where the ledger came from, for the problems.

    Returns
    -------
    clean
        The ledger with ``date`` as ``YYYY-MM-DD`` (blank when not given).
    problems
        A row naming neither a community nor a circle, a community or circle the demand
        table does not have, a community with no unit in the circle the row also names,
        an unknown function, a count below 1, a date that is not ``YYYY-MM-DD``.
    """
    n = len(requests)
    tabular = bool((requests.attrs.get(SOURCE_ATTR) or {}).get("tabular", True))
    checker = _Checker(file, layer, _row_labels(n, tabular))
    ids = to_text(requests["request_id"])
    good = ids.notna().to_numpy() & ~ids.duplicated(keep=False).to_numpy()
    checker.labels[good] = ("request_id=" + ids[good]).to_numpy(dtype=object)

    community = requests["community"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    circle = requests["circle_id"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    unit_community = demand["community"].fillna("").astype(str).str.strip() if "community" in demand \
        else pd.Series([""] * len(demand))
    unit_circle = demand["circle_id"].fillna("").astype(str).str.strip() if "circle_id" in demand \
        else pd.Series([""] * len(demand))
    communities = sorted(set(unit_community) - {""})
    circles = sorted(set(unit_circle) - {""})

    neither = (community == "") & (circle == "")
    checker.rows(neither, "community", lambda p: "names neither a community nor a circle_id: give the community "
                 "(社区) or the life circle that asked", "no community or circle")
    unknown_community = (community != "") & ~np.isin(community, communities)
    checker.rows(unknown_community, "community",
                 lambda p: f"community {show(community[p])} is not a community of the demand table"
                           f"{_known(community[p], communities, 'communities')}", "unknown community")
    unknown_circle = (circle != "") & ~np.isin(circle, circles)
    checker.rows(unknown_circle, "circle_id",
                 lambda p: f"circle_id {show(circle[p])} is not a circle_id of the demand table"
                           f"{_known(circle[p], circles, 'circles')}", "unknown circle_id")
    pairs = set(zip(unit_community, unit_circle, strict=True))
    both = (community != "") & (circle != "") & ~unknown_community & ~unknown_circle
    apart = both & np.array([(c, k) not in pairs for c, k in zip(community, circle, strict=True)], dtype=bool)
    circles_of = unit_circle.groupby(unit_community.to_numpy()).agg(lambda s: ", ".join(sorted(set(s) - {""})))
    checker.rows(apart, "circle_id",
                 lambda p: f"community {show(community[p])} has no demand unit in circle {show(circle[p])} "
                           f"(its units lie in {circles_of.get(community[p], '') or 'no circle'}); "
                           "give the circle it lies in, or only one of the two", "community not in that circle")

    if function_names is not None:
        known = sorted(function_names)
        service = requests["service"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        unknown = (service != "") & ~np.isin(service, known)

        def unknown_service(p: int) -> str:
            close = difflib.get_close_matches(str(service[p]), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            return (f"service {show(service[p])} is no function of the scenario (functions: "
                    f"{', '.join(known) or '(none)'}){hint}; define it under functions: (enabled: false to "
                    "keep its requests out of the plan)")

        checker.rows(unknown, "service", unknown_service, "unknown service")

    count = requests["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        below = np.isfinite(count) & (count == np.round(count)) & (count < 1)
    checker.rows(below, "count", lambda p: f"count {show(count[p])}: residents asking must be 1 or more",
                 "count below 1")

    text = to_text(requests["date"])
    given = text.notna().to_numpy()
    found = text.fillna("").astype(str).str.extract(_DATE, expand=False)
    parsed = pd.to_datetime(found, format="%Y-%m-%d", errors="coerce")
    bad_date = given & parsed.isna().to_numpy()
    raw = requests["date"].to_numpy(dtype=object)
    checker.rows(bad_date, "date", lambda p: f"not a date YYYY-MM-DD: {show(raw[p])} (e.g. 2025-03-18)",
                 "not a date")
    clean = requests.copy()
    clean["date"] = np.where(given & ~bad_date, found.fillna("").to_numpy(dtype=object), "").astype(str)
    clean["count"] = count
    logger.debug("requests: %d rows, %d problems", n, len(checker.problems))
    return clean, checker.problems


def _known(value: str, known: list[str], what: str) -> str:
    """`` (did you mean ...?)`` or how many there are, for a name that is not known."""
    close = difflib.get_close_matches(str(value), known, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    if not known:
        return f" (the demand table gives no {what})"
    listed = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
    return f" ({len(known)} {what}: {listed})"
