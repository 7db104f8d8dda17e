"""Reach over the walk network by bounded searches that touch only what lies within the threshold.

Method
------
Demand units and targets (sites, facilities) are attached to their nearest edge
(:mod:`optimizer.reach.snap`) and added to the graph as extra nodes: a unit has arcs
to both ends of its edge, a target has arcs from both ends of its edge, each costing
the snap walk plus the part of the edge walked. Units only have outgoing arcs and
targets only incoming ones, so no walk passes *through* a home or a site.

The search runs backwards from the targets (on the transposed graph): one Dijkstra per
target, stopped at the cutoff. To keep each search local, the targets are grouped in
square tiles; a tile's searches run on the subgraph of nodes within the *reach radius*
``R = cutoff x f_max`` of the tile's targets, where ``f_max`` is the largest ratio of
straight-line span to effort over all arcs (Tobler's hiking function allows about
1.19x flat speed on a gentle descent). Every walk within the cutoff stays inside that
radius, so the restricted search is exact for every pair it keeps; nothing outside the
radius is ever touched, and memory is proportional to one tile's subgraph, never to
units x targets.

A unit and a target on the same edge can also walk straight along it; those pairs are
added separately.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from optimizer.reach.network import ZERO_LENGTH_WEIGHT, WalkNetwork
from optimizer.reach.snap import EdgeSnap, snap_to_edges
from optimizer.reach.types import Reach, ReachMethod

logger = logging.getLogger(__name__)

#: Memory budget (bytes) of the distance rows of one Dijkstra call.
DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024


def _augmented_reverse_graph(network: WalkNetwork, units: EdgeSnap, targets: EdgeSnap,
                             unit_ids: np.ndarray, target_ids: np.ndarray) -> sp.csr_matrix:
    """Transposed network plus unit nodes (sinks of the transpose) and target nodes (sources).

    Node numbering: network nodes ``0..N-1``, then ``unit_ids`` in order, then ``target_ids``.
    An arc ``a -> b`` here is the walk ``b -> a``.
    """
    n = network.n_nodes
    n_u, n_t = unit_ids.size, target_ids.size
    coo = network.graph.tocoo()
    src = [coo.col.astype(np.int64)]
    dst = [coo.row.astype(np.int64)]
    w = [coo.data]
    eu = units.edge[unit_ids]
    u_virtual = n + np.arange(n_u, dtype=np.int64)
    # walk unit -> edge start u / end v; transposed: u -> unit, v -> unit
    for node, cost in ((network.edge_u[eu], units.cost_to_start(network)[unit_ids]),
                       (network.edge_v[eu], units.cost_to_end(network)[unit_ids])):
        ok = np.isfinite(cost)
        src.append(node[ok])
        dst.append(u_virtual[ok])
        w.append(cost[ok])
    et = targets.edge[target_ids]
    t_virtual = n + n_u + np.arange(n_t, dtype=np.int64)
    # walk edge start/end -> target; transposed: target -> start/end
    for node, cost in ((network.edge_u[et], targets.cost_from_start(network)[target_ids]),
                       (network.edge_v[et], targets.cost_from_end(network)[target_ids])):
        ok = np.isfinite(cost)
        src.append(t_virtual[ok])
        dst.append(node[ok])
        w.append(cost[ok])
    size = n + n_u + n_t
    graph = sp.csr_matrix((np.maximum(np.concatenate(w), ZERO_LENGTH_WEIGHT),
                           (np.concatenate(src), np.concatenate(dst))), shape=(size, size))
    graph.sum_duplicates()
    return graph


def _same_edge_pairs(network: WalkNetwork, units: EdgeSnap, targets: EdgeSnap, unit_ids: np.ndarray,
                     target_ids: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs on one edge, walked straight along it (not via its ends)."""
    eu, et = units.edge[unit_ids], targets.edge[target_ids]
    common = np.intersect1d(eu, et)
    if common.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    u_sel = unit_ids[np.isin(eu, common)]
    t_sel = target_ids[np.isin(et, common)]
    u_order = u_sel[np.argsort(units.edge[u_sel], kind="stable")]
    t_order = t_sel[np.argsort(targets.edge[t_sel], kind="stable")]
    u_edges, u_counts = np.unique(units.edge[u_order], return_counts=True)
    t_edges, t_counts = np.unique(targets.edge[t_order], return_counts=True)
    # both arrays hold exactly the common edges, in the same order
    u_off = np.concatenate([[0], np.cumsum(u_counts)])
    t_off = np.concatenate([[0], np.cumsum(t_counts)])
    reps = u_counts * t_counts
    group = np.repeat(np.arange(u_edges.size), reps)
    k = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    unit = u_order[u_off[group] + k // t_counts[group]]
    tgt = t_order[t_off[group] + k % t_counts[group]]
    edge = u_edges[group]
    fu, ft = units.fraction[unit], targets.fraction[tgt]
    along = np.where(ft >= fu, (ft - fu) * network.edge_forward[edge], (fu - ft) * network.edge_backward[edge])
    # a one-way edge walked against its direction has an infinite part (0 * inf is NaN: same point)
    along = np.where(ft == fu, 0.0, along)
    total = units.distance[unit] + along + targets.distance[tgt]
    keep = total <= cutoff
    return unit[keep], tgt[keep], total[keep]


def network_reach(
    unit_xy: np.ndarray,
    target_xy: np.ndarray,
    network: WalkNetwork,
    cutoff: float,
    *,
    max_snap_m: float = 500.0,
    progress: Callable[[int, int], None] | None = None,
    tile_m: float | None = None,
) -> Reach:
    """Pairs (unit, target) whose walk from the unit to the target is within ``cutoff``.

    Parameters
    ----------
    unit_xy
        Demand unit points, shape ``(n_units, 2)``, in the network's CRS.
    target_xy
        Target points (sites or facilities), shape ``(n_targets, 2)``.
    network
        The walk network (:func:`optimizer.reach.network.build_walk_network`).
    cutoff
        Largest walking effort kept, in reference seconds (inclusive); see
        :func:`optimizer.reach.types.cutoff_ref_seconds`.
    max_snap_m
        Points farther than this from every edge are not attached: such units are
        listed in ``unreachable_units``; such targets reach nothing (stated in notes).
    progress
        Called as ``progress(done, total)`` after each tile, counting targets searched.
    tile_m
        Side of the square tiles targets are grouped by. ``None``: the reach radius.
        Results do not depend on it.

    Returns
    -------
    Reach
        Method ``NETWORK``; effort = snap walk of the unit + walk along its edge + network
        path + walk along the target's edge + snap walk of the target, sorted by
        ``(unit, target)``.

    Raises
    ------
    ValueError
        Badly shaped coordinates, a negative or NaN cutoff, a negative ``max_snap_m`` or
        a non-positive ``tile_m``.
    """
    units_xy = _as_xy(unit_xy, "unit_xy")
    targets_xy = _as_xy(target_xy, "target_xy")
    cutoff = float(cutoff)
    if math.isnan(cutoff) or cutoff < 0:
        raise ValueError(f"cutoff must be >= 0, got {cutoff!r}")
    if tile_m is not None and not tile_m > 0:
        raise ValueError(f"tile_m must be > 0, got {tile_m!r}")
    n_units, n_targets = units_xy.shape[0], targets_xy.shape[0]

    u_snap = snap_to_edges(network, units_xy, max_snap_m)
    t_snap = snap_to_edges(network, targets_xy, max_snap_m)
    notes = _notes(network, u_snap, t_snap, max_snap_m)
    unreachable = np.flatnonzero(~u_snap.attached).astype(np.int32)
    off_main = np.flatnonzero(u_snap.nearer_dropped).astype(np.int32)

    def result(u: np.ndarray, t: np.ndarray, s: np.ndarray) -> Reach:
        return Reach(u, t, s, n_units, n_targets, cutoff, ReachMethod.NETWORK, tuple(notes), unreachable,
                     off_main)

    unit_ids = np.flatnonzero(u_snap.attached & (u_snap.distance <= cutoff))
    target_ids = np.flatnonzero(t_snap.attached & (t_snap.distance <= cutoff))
    if unit_ids.size == 0 or target_ids.size == 0:
        if progress is not None:
            progress(0, 0)
        return result(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))

    n = network.n_nodes
    n_u = unit_ids.size
    reverse = _augmented_reverse_graph(network, u_snap, t_snap, unit_ids, target_ids)
    xy = np.vstack([network.node_xy, units_xy[unit_ids], targets_xy[target_ids]])
    coo = reverse.tocoo()
    span = np.hypot(*(xy[coo.row] - xy[coo.col]).T)
    f_max = max(float(np.max(span / coo.data)) if coo.nnz else 1.0, 1.0)
    radius = cutoff * f_max * (1 + 1e-9) + 1e-6
    del coo, span
    tile = float(tile_m) if tile_m is not None else max(radius, 50.0)
    slack = 1e-9 * max(cutoff, 1.0)  # rounding in Dijkstra never drops a pair the exact test keeps

    t_xy = targets_xy[target_ids]
    cell = np.floor((t_xy - t_xy.min(axis=0)) / tile).astype(np.int64)
    cell_key = cell[:, 0] * (int(cell[:, 1].max()) + 1) + cell[:, 1]
    order = np.argsort(cell_key, kind="stable")
    bounds = np.flatnonzero(np.diff(cell_key[order])) + 1
    tiles = np.split(order, bounds)
    tree = cKDTree(xy)
    logger.debug("network reach: %d targets in %d tiles of %.0f m, reach radius %.0f m (f_max %.3f)",
                 target_ids.size, len(tiles), tile, radius, f_max)

    out_u: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    out_s: list[np.ndarray] = []
    done = 0
    for members in tiles:  # positions into target_ids
        pts = t_xy[members]
        lo, hi = pts.min(axis=0) - radius, pts.max(axis=0) + radius
        centre, half = (lo + hi) / 2, float(np.max(hi - lo)) / 2
        local = np.asarray(tree.query_ball_point(centre, half, p=np.inf, return_sorted=True), dtype=np.int64)
        sub = reverse[local][:, local]
        sources = np.searchsorted(local, n + n_u + members)
        is_unit = (local >= n) & (local < n + n_u)
        unit_cols = np.flatnonzero(is_unit)
        unit_of_col = unit_ids[local[unit_cols] - n]
        rows_per_call = max(1, DEFAULT_CHUNK_BYTES // (8 * max(local.size, 1)))
        for lo_i in range(0, sources.size, rows_per_call):
            chunk = slice(lo_i, lo_i + rows_per_call)
            dist = dijkstra(sub, directed=True, indices=sources[chunk], limit=cutoff + slack)
            d = dist[:, unit_cols]
            del dist
            r, c = np.nonzero(d <= cutoff)
            out_u.append(unit_of_col[c])
            out_t.append(target_ids[members[chunk]][r])
            out_s.append(d[r, c])
        done += members.size
        if progress is not None:
            progress(done, target_ids.size)

    su, st, ss = _same_edge_pairs(network, u_snap, t_snap, unit_ids, target_ids, cutoff)
    unit_index = np.concatenate([*out_u, su]).astype(np.int64)
    target_index = np.concatenate([*out_t, st]).astype(np.int64)
    ref = np.concatenate([*out_s, ss])
    # one triple per pair: the shortest
    order = np.lexsort((ref, target_index, unit_index))
    unit_index, target_index, ref = unit_index[order], target_index[order], ref[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (unit_index[1:] != unit_index[:-1]) | (target_index[1:] != target_index[:-1])
    logger.debug("network reach: %d pairs within %g ref-s (%d units, %d targets)",
                 int(first.sum()), cutoff, n_units, n_targets)
    return result(unit_index[first], target_index[first], ref[first])


def _as_xy(xy: np.ndarray, name: str) -> np.ndarray:
    """Coordinates as a float64 ``(n, 2)`` array; ``ValueError`` for any other shape."""
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {arr.shape}")
    return arr


def _notes(network: WalkNetwork, units: EdgeSnap, targets: EdgeSnap, max_snap_m: float) -> list[str]:
    """Plain-words facts about the network and the snapping."""
    notes = [f"walking effort over the street network '{network.source}' "
             f"({network.n_nodes} nodes, {network.n_edges} edges, {network.n_stairs_edges} stairs); "
             f"points attached to the nearest edge within {max_snap_m:g} m, the walk to the edge at flat speed"]
    notes += list(network.notes)
    if units.attached.any():
        d = units.distance[units.attached]
        notes.append(f"demand units attached at a median {np.median(d):.0f} m, at most {d.max():.0f} m "
                     "from the network")
    n_far = int((~units.attached).sum())
    if n_far:
        notes.append(f"{n_far} demand unit(s) farther than {max_snap_m:g} m from the network "
                     "(or without coordinates): they reach nothing")
    n_off = int(units.nearer_dropped.sum())
    if n_off:
        notes.append(f"{n_off} demand unit(s) lie nearer to a disconnected part of the network than to the "
                     "main part: attached to the main part where within the snap limit")
    n_far_t = int((~targets.attached).sum())
    if n_far_t:
        notes.append(f"{n_far_t} target(s) farther than {max_snap_m:g} m from the network "
                     "(or without coordinates): nothing reaches them")
    return notes
