"""Plain JSON values from what the planner computes (numpy numbers, paths, tuples).

One rule for every JSON file lifecircle writes (``run.json``, ``phasing.json``, an export's
sidecar, the report's embedded data) and for the hashes that name runs.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def to_jsonable(obj: Any) -> Any:
    """``obj`` with plain Python values only, ready for :func:`json.dumps`.

    Parameters
    ----------
    obj
        A value, a dict or a list/tuple of them (nested to any depth).

    Returns
    -------
    Any
        The same structure: dict keys as text, tuples as lists, numpy integers, floats and
        booleans as Python ones, paths as text; a float that is not finite (NaN, inf) becomes
        ``None`` (JSON ``null``). Anything else is returned as it is.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if np.isfinite(v) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if hasattr(obj, "__fspath__"):
        return str(obj)
    return obj
