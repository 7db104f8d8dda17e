"""What running facilities already provide (rule 3), and where life circles are.

Coverage mode: a person within a function's walking threshold of a running facility of
that function is already served, whatever its size.

Capacitated mode (rule 4): running facilities are used first. Each serves at most its
capacity (places x people per place), only people within its walking threshold. Among
all allocations serving the most people, the one with the least total walking is taken
(two linear programs, solved with SciPy's HiGHS interface). New facilities then serve
what is left.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from optimizer.errors import InputError, Problem
from optimizer.inputs.types import Inputs
from optimizer.reach.types import Reach, cutoff_ref_seconds
from optimizer.scenario import Scenario

log = logging.getLogger(__name__)

NO_CIRCLE = "(none)"


def unit_circles(inputs: Inputs) -> np.ndarray:
    """Life circle of each demand unit (``(none)`` where blank)."""
    return _circles(inputs.demand)


def site_circles(inputs: Inputs) -> np.ndarray:
    """Life circle of each candidate site (``(none)`` where blank)."""
    return _circles(inputs.sites)


def facility_circles(inputs: Inputs) -> np.ndarray:
    """Life circle of each running facility: its own ``circle_id``, else the nearest demand unit's."""
    fac = inputs.facilities
    if not len(fac):
        return np.zeros(0, dtype=object)
    own = _circles(fac) if "circle_id" in fac.columns else np.full(len(fac), NO_CIRCLE, dtype=object)
    missing = own == NO_CIRCLE
    if missing.any() and len(inputs.demand):
        tree = cKDTree(np.column_stack([inputs.demand.geometry.x, inputs.demand.geometry.y]))
        _, nearest = tree.query(np.column_stack([fac.geometry.x, fac.geometry.y])[missing])
        own[missing] = unit_circles(inputs)[nearest]
    return own


def _circles(table: pd.DataFrame) -> np.ndarray:
    if "circle_id" not in table.columns:
        return np.full(len(table), NO_CIRCLE, dtype=object)
    ids = table["circle_id"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    return np.where(ids == "", NO_CIRCLE, ids)


@dataclass(frozen=True)
class ExistingService:
    """Service by running facilities, per function.

    Attributes
    ----------
    mode
        ``coverage`` or ``capacitated``.
    served
        People (of the function's counted cohort) already served, per demand unit.
    capacity_by_circle
        Places of running facilities per life circle (missing capacities count 0).
    """

    mode: str
    served: dict[str, np.ndarray]
    capacity_by_circle: dict[str, dict[str, float]]

    def residual(self, inputs: Inputs, scenario: Scenario, function: str) -> np.ndarray:
        """People per unit not yet served (capacitated) or not within reach of a running facility."""
        fn = scenario.functions[function]
        people = inputs.demand[fn.counted_cohort(self.mode)].to_numpy(dtype=float)
        return np.maximum(people - self.served[function], 0.0)


def allocate(people: np.ndarray, unit: np.ndarray, facility: np.ndarray, effort: np.ndarray,
             capacity: np.ndarray) -> np.ndarray:
    """Serve the most people within capacity, then with the least walking.

    Parameters
    ----------
    people
        Demand per unit.
    unit, facility, effort
        Candidate pairs (unit row, facility row) within reach and their walking effort.
    capacity
        People each facility can serve.

    Returns
    -------
    numpy.ndarray
        Amount served on each pair.
    """
    n_pairs = unit.size
    if n_pairs == 0:
        return np.zeros(0)
    from scipy.optimize import linprog  # capacitated mode only: 0.1 s to import, not on every run

    units, u_row = np.unique(unit, return_inverse=True)
    facs, f_row = np.unique(facility, return_inverse=True)
    a = sp.vstack([
        sp.csr_matrix((np.ones(n_pairs), (u_row, np.arange(n_pairs))), shape=(units.size, n_pairs)),
        sp.csr_matrix((np.ones(n_pairs), (f_row, np.arange(n_pairs))), shape=(facs.size, n_pairs)),
    ]).tocsr()
    b = np.concatenate([people[units], capacity[facs]])
    first = linprog(-np.ones(n_pairs), A_ub=a, b_ub=b, bounds=(0, None), method="highs")
    if first.status != 0:  # pragma: no cover - a bounded feasible LP
        raise RuntimeError(f"allocation of running facilities failed: {first.message}")
    most = -first.fun
    scale = max(float(effort.max()), 1.0)
    a2 = sp.vstack([a, sp.csr_matrix(-np.ones((1, n_pairs)))]).tocsr()
    b2 = np.concatenate([b, [-most * (1 - 1e-9) + 1e-9]])
    second = linprog(effort / scale, A_ub=a2, b_ub=b2, bounds=(0, None), method="highs")
    x = second.x if second.status == 0 else first.x
    return np.maximum(x, 0.0)


def existing_service(inputs: Inputs, reach_facilities: Reach, scenario: Scenario) -> ExistingService:
    """Service by running facilities under the scenario's mode (rule 3, and rule 4 when capacitated).

    Raises
    ------
    InputError
        Capacitated mode and a running facility of a planned function without a capacity.
    """
    mode = scenario.model.mode
    fac = inputs.facilities
    fac_fn = fac["function"].to_numpy() if len(fac) else np.zeros(0, dtype=object)
    capacity = (pd.to_numeric(fac["capacity"], errors="coerce").to_numpy(dtype=float) if len(fac)
                else np.zeros(0))
    if mode == "capacitated":
        missing = np.flatnonzero(np.isin(fac_fn, scenario.function_names) & np.isnan(capacity))
        if missing.size:
            raise InputError([Problem(str(scenario.inputs.facilities.path if scenario.inputs.facilities else
                                          "facilities"),
                                      "capacitated mode (model.mode) needs the capacity of every running facility",
                                      row=f"facility_id={fac['facility_id'].iloc[i]}", column="capacity")
                              for i in missing[:50]])
    circles = facility_circles(inputs)
    served: dict[str, np.ndarray] = {}
    by_circle: dict[str, dict[str, float]] = {}
    for name, fn in scenario.functions.items():
        cols = np.flatnonzero(fac_fn == name)
        caps = np.nan_to_num(capacity[cols], nan=0.0)
        by_circle[name] = (pd.Series(caps).groupby(circles[cols]).sum().to_dict() if cols.size else {})
        people = inputs.demand[fn.counted_cohort(mode)].to_numpy(dtype=float)
        limit = cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps)
        keep = np.isin(reach_facilities.target_index, cols) & (reach_facilities.ref_seconds <= limit)
        u, t, e = reach_facilities.unit_index[keep], reach_facilities.target_index[keep], \
            reach_facilities.ref_seconds[keep]
        out: np.ndarray = np.zeros(len(people))
        if mode == "coverage":
            out[u] = people[u]
        elif u.size:
            cap_people = np.zeros(reach_facilities.n_targets)
            cap_people[cols] = caps * fn.people_per_place
            amount = allocate(people, u, t, e, cap_people)
            out = np.bincount(u, weights=amount, minlength=len(people))
            out = np.minimum(out, people)
            log.debug("%s: running facilities serve %.0f of %.0f people", name, out.sum(), people.sum())
        served[name] = out
    return ExistingService(mode, served, by_circle)
