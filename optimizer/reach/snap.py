"""Attaching points (demand units, sites, facilities) to the nearest walkable edge.

A point is attached to the nearest point of the nearest edge, not only to the nearest
node: on a long edge the walk from a home to the street corner is part of the walk.
The straight walk from the point to the edge (its *snap distance*) is walked at flat
speed; from the attachment point the walk continues along the edge to either end.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import shapely

from optimizer.reach.network import WalkNetwork

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EdgeSnap:
    """Where points were attached to the network.

    Attributes
    ----------
    edge
        Kept edge each point is attached to (position in ``network.edge_*``); -1 when
        not attached.
    fraction
        Position of the attachment along the edge, 0 at its start node ``u`` and 1 at
        its end node ``v`` (share of the edge's drawn length).
    distance
        Straight distance in metres from the point to the attachment; ``inf`` when not
        attached.
    attached
        The point has coordinates and lies within the snap limit of a kept edge.
    nearer_dropped
        The point lies nearer to a dropped (disconnected) part of the network than to
        the kept part: it was attached to the kept part, or not at all.
    """

    edge: np.ndarray
    fraction: np.ndarray
    distance: np.ndarray
    attached: np.ndarray
    nearer_dropped: np.ndarray

    def cost_to_start(self, network: WalkNetwork) -> np.ndarray:
        """Effort from each point to its edge's start node ``u`` (snap walk included)."""
        e = np.maximum(self.edge, 0)
        return np.where(self.attached, self.distance + self.fraction * network.edge_backward[e], np.inf)

    def cost_to_end(self, network: WalkNetwork) -> np.ndarray:
        """Effort from each point to its edge's end node ``v`` (snap walk included)."""
        e = np.maximum(self.edge, 0)
        return np.where(self.attached, self.distance + (1.0 - self.fraction) * network.edge_forward[e], np.inf)

    def cost_from_start(self, network: WalkNetwork) -> np.ndarray:
        """Effort from each point's edge start node ``u`` to the point."""
        e = np.maximum(self.edge, 0)
        return np.where(self.attached, self.distance + self.fraction * network.edge_forward[e], np.inf)

    def cost_from_end(self, network: WalkNetwork) -> np.ndarray:
        """Effort from each point's edge end node ``v`` to the point."""
        e = np.maximum(self.edge, 0)
        return np.where(self.attached, self.distance + (1.0 - self.fraction) * network.edge_backward[e], np.inf)


def _nearest(geoms: np.ndarray, points: np.ndarray, max_distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest geometry of ``geoms`` within ``max_distance`` per point: index (-1) and distance (inf)."""
    n = points.shape[0]
    index = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    if n == 0 or geoms.shape[0] == 0:
        return index, dist
    tree = shapely.STRtree(geoms)
    # all_matches=False: one edge per point even when several are equally near.
    pairs, d = tree.query_nearest(points, max_distance=max(max_distance, 1e-9), return_distance=True,
                                  all_matches=False)
    index[pairs[0]] = pairs[1]
    dist[pairs[0]] = d
    return index, dist


def snap_to_edges(network: WalkNetwork, xy: np.ndarray, max_snap_m: float) -> EdgeSnap:
    """Attach points to the nearest kept edge within ``max_snap_m`` metres.

    Parameters
    ----------
    network
        The walk network.
    xy
        Point coordinates ``(n, 2)`` in the network's CRS; rows with NaN are not attached.
    max_snap_m
        Points farther than this from every kept edge are not attached.

    Returns
    -------
    EdgeSnap
    """
    xy = np.asarray(xy, dtype=np.float64)
    n = xy.shape[0]
    if math.isnan(max_snap_m) or max_snap_m < 0:
        raise ValueError(f"max_snap_m must be >= 0, got {max_snap_m!r}")
    finite = np.isfinite(xy).all(axis=1) if n else np.zeros(0, dtype=bool)
    points = shapely.points(xy[finite])
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    e_f, d_f = _nearest(network.edge_geometry, points, max_snap_m)
    edge[finite], dist[finite] = e_f, d_f
    attached = (edge >= 0) & (dist <= max_snap_m)
    edge[~attached] = -1
    dist[~attached] = np.inf
    fraction = np.zeros(n)
    if attached.any():
        pos = np.flatnonzero(attached)
        lines = network.edge_geometry[edge[pos]]
        frac = shapely.line_locate_point(lines, shapely.points(xy[pos]), normalized=True)
        fraction[pos] = np.clip(np.nan_to_num(frac, nan=0.0), 0.0, 1.0)
    nearer_dropped = np.zeros(n, dtype=bool)
    if network.dropped_geometry.shape[0] and finite.any():
        _, d_drop = _nearest(network.dropped_geometry, points, max_snap_m)
        nearer_dropped[finite] = d_drop < d_f
    return EdgeSnap(edge, fraction, dist, attached, nearer_dropped)
