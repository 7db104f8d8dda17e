"""Walking effort as straight-line distance times a detour factor: the weaker method.

Used when no street network is given. It ignores streets, slope and stairs, so on
steep or fragmented ground it overstates reach; results say so in their notes.
"""
from __future__ import annotations

import logging
import math

import numpy as np
from scipy.spatial import cKDTree

from optimizer.reach.types import Reach, ReachMethod

logger = logging.getLogger(__name__)

#: Default ratio of walked distance to straight-line distance.
DEFAULT_DETOUR_FACTOR = 1.3


def _as_xy(xy: np.ndarray, name: str) -> np.ndarray:
    """Coordinates as a float64 ``(n, 2)`` array; ``ValueError`` for any other shape."""
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {arr.shape}")
    return arr


def straight_line_reach(
    unit_xy: np.ndarray,
    target_xy: np.ndarray,
    cutoff: float,
    *,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
) -> Reach:
    """Pairs (unit, target) whose straight-line distance x detour is within ``cutoff``.

    Parameters
    ----------
    unit_xy
        Demand unit points, shape ``(n_units, 2)``, in a metric CRS.
    target_xy
        Target points, shape ``(n_targets, 2)``, in the same CRS.
    cutoff
        Largest walking effort kept, in reference seconds (= metres walked on the flat),
        inclusive.
    detour_factor
        Walked metres per straight-line metre (>= 1).

    Returns
    -------
    Reach
        Method ``STRAIGHT_LINE``; ``ref_seconds = euclidean distance * detour_factor``,
        sorted by ``(unit, target)``. Coincident points reach each other at 0. Units
        without finite coordinates are listed in ``unreachable_units``; targets without
        finite coordinates reach nothing.

    Raises
    ------
    ValueError
        Badly shaped coordinates, a negative or NaN cutoff, or a detour factor that is
        not a finite number >= 1.
    """
    units = _as_xy(unit_xy, "unit_xy")
    targets = _as_xy(target_xy, "target_xy")
    cutoff = float(cutoff)
    detour = float(detour_factor)
    if math.isnan(cutoff) or cutoff < 0:
        raise ValueError(f"cutoff must be >= 0, got {cutoff!r}")
    if not (math.isfinite(detour) and detour >= 1.0):
        raise ValueError(f"detour_factor must be a finite number >= 1, got {detour_factor!r}")
    n_units, n_targets = units.shape[0], targets.shape[0]

    notes = [f"straight-line distance x detour factor {detour:g}: the weaker method "
             "(streets, slope and stairs ignored)"]
    u_ok = np.isfinite(units).all(axis=1)
    t_ok = np.isfinite(targets).all(axis=1)
    unreachable = np.flatnonzero(~u_ok).astype(np.int32)
    if unreachable.size:
        notes.append(f"{unreachable.size} demand unit(s) without coordinates: they reach nothing")
    if not t_ok.all():
        notes.append(f"{int((~t_ok).sum())} target(s) without coordinates: nothing reaches them")

    u_pos = np.flatnonzero(u_ok)
    t_pos = np.flatnonzero(t_ok)
    if u_pos.size == 0 or t_pos.size == 0:
        return Reach(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), n_units, n_targets,
                     cutoff, ReachMethod.STRAIGHT_LINE, tuple(notes), unreachable)

    # Search slightly wider, then decide with the exact product (the 'ndarray' output
    # keeps pairs at distance 0, i.e. coincident points).
    radius = cutoff / detour * (1 + 1e-9) + 1e-9
    found = cKDTree(units[u_pos]).sparse_distance_matrix(
        cKDTree(targets[t_pos]), max_distance=radius, output_type="ndarray")
    ui = u_pos[found["i"]]
    ti = t_pos[found["j"]]
    delta = units[ui] - targets[ti]
    ref = np.hypot(delta[:, 0], delta[:, 1]) * detour
    keep = ref <= cutoff
    ui, ti, ref = ui[keep], ti[keep], ref[keep]
    order = np.lexsort((ti, ui))
    logger.debug("straight-line reach: %d pairs within %g ref-s (detour %g)", order.size, cutoff, detour)
    return Reach(ui[order], ti[order], ref[order], n_units, n_targets, cutoff,
                 ReachMethod.STRAIGHT_LINE, tuple(notes), unreachable)
