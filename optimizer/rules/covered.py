"""Who is reached by what: recomputed straight from reach and a set of sites.

This module does not look at the model. It answers, for each function, which demand
units are already served by running facilities (rule 3), which are newly reached by
the chosen sites, and which remain unreached.
"""
from __future__ import annotations

import numpy as np

from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.scenario import FunctionSpec

#: Coverage status of a demand unit for a function.
UNREACHED, EXISTING, NEW = 0, 1, 2
STATUS_NAMES = {UNREACHED: "unreached", EXISTING: "existing", NEW: "new"}


def units_reached(reach: Reach, function: FunctionSpec, target_rows: np.ndarray) -> np.ndarray:
    """Boolean (n_units,): within the function's threshold of any of ``target_rows``."""
    limit = cutoff_ref_seconds(function.threshold_min, function.walk_speed_mps)
    hit = np.isin(reach.target_index, np.asarray(target_rows, dtype=np.int64)) & (reach.ref_seconds <= limit)
    out = np.zeros(reach.n_units, dtype=bool)
    out[reach.unit_index[hit]] = True
    return out


def coverage_status(reach_sites: Reach, reach_facilities: Reach, function: FunctionSpec,
                    chosen_sites: np.ndarray, facility_rows: np.ndarray) -> np.ndarray:
    """Status per demand unit (UNREACHED, EXISTING, NEW) for one function."""
    status = np.full(reach_sites.n_units, UNREACHED, dtype=np.int8)
    status[units_reached(reach_sites, function, chosen_sites)] = NEW
    status[units_reached(reach_facilities, function, facility_rows)] = EXISTING
    return status
