"""Walking effort over a street and footpath network: slope (Tobler), stairs, snapping.

The network is a directed graph whose weights are reference seconds (seconds at
1 m/s, see :mod:`optimizer.reach.types`): an arc of length ``L`` metres walked at
``f`` times the flat speed costs ``L / f`` reference seconds. Searching it is
:mod:`optimizer.reach.search`; attaching points to it is :mod:`optimizer.reach.snap`.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from optimizer.errors import InputError, Problem

logger = logging.getLogger(__name__)

#: Weight given to arcs of zero length: scipy's csgraph treats explicit zeros as
#: missing arcs, so a zero-length edge would otherwise break connectivity.
ZERO_LENGTH_WEIGHT = 1e-6

#: Node identity: endpoint coordinates rounded to this many metres.
NODE_PRECISION_M = 0.01

_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "steps", "stairs"})


@dataclass(frozen=True)
class WalkNetwork:
    """A walk network ready for shortest-path search.

    Only the largest strongly connected part of the input is kept: from every kept
    node every other kept node can be walked to.

    Attributes
    ----------
    node_xy
        Node coordinates, shape ``(n, 2)``, float64, in the metric analysis CRS.
    node_z
        Node elevations in metres, shape ``(n,)``; NaN where unknown.
    graph
        Directed ``(n, n)`` CSR matrix; entry ``(i, j)`` is the effort of walking from
        node ``i`` to node ``j`` in reference seconds (always > 0; zero-length arcs
        carry :data:`ZERO_LENGTH_WEIGHT`).
    n_edges
        Edges kept (line parts; self-loops and disconnected parts dropped).
    n_stairs_edges
        Kept edges marked as stairs.
    notes
        Facts about the construction (dropped edges, stairs of unknown direction, ...).
    source
        Name of the input the edges came from.
    edge_geometry
        The kept edges as 2D LineStrings (shapely array), for snapping points to edges.
    edge_u, edge_v
        Start and end node of each kept edge (its digitised direction).
    edge_forward, edge_backward
        Effort of walking the whole edge from ``u`` to ``v`` and from ``v`` to ``u``, in
        reference seconds; ``inf`` where the edge is one-way the other way.
    kept_rows
        Positions of the input rows with at least one kept edge.
    dropped_geometry
        Edges of the parts not connected to the largest one (to explain why a point
        near them was attached elsewhere).
    """

    node_xy: np.ndarray
    node_z: np.ndarray
    graph: sp.csr_matrix
    n_edges: int
    n_stairs_edges: int
    notes: tuple[str, ...] = ()
    source: str = "network"
    edge_geometry: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    edge_u: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_v: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_forward: np.ndarray = field(default_factory=lambda: np.zeros(0))
    edge_backward: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kept_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    dropped_geometry: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of stored directed arcs (parallel arcs merged)."""
        return int(self.graph.nnz)


def tobler_factor(slope: np.ndarray | float) -> np.ndarray:
    """Walking speed relative to flat ground, by Tobler's hiking function.

    Parameters
    ----------
    slope
        Grade ``dz / length`` in the direction of travel (0.05 = 5 % uphill).

    Returns
    -------
    numpy.ndarray
        ``exp(-3.5 * (|S + 0.05| - 0.05))``: 1 on the flat, about 0.84 at +5 %,
        0.70 at +10 % and 1.19 at -5 %.
    """
    s = np.asarray(slope, dtype=np.float64)
    return np.exp(-3.5 * (np.abs(s + 0.05) - 0.05))


def _truthy(values: pd.Series) -> np.ndarray:
    """Booleans from a column that may hold bools, numbers, words or blanks."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        num = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.nan_to_num(num, nan=0.0) != 0
    words = values.astype("string").str.strip().str.lower()
    return words.isin(_TRUE_WORDS).fillna(False).to_numpy(dtype=bool)


def build_walk_network(
    edges: gpd.GeoDataFrame,
    *,
    stairs_up_factor: float = 0.35,
    stairs_down_factor: float = 0.5,
    use_slope: bool = True,
    source: str = "network",
    elevation_at: Callable[[np.ndarray], tuple[np.ndarray, list[str]]] | None = None,
) -> WalkNetwork:
    """Build a directed walk network from street and footpath edges.

    Parameters
    ----------
    edges
        LineStrings (MultiLineStrings are split into their parts) in a metric CRS,
        optionally with Z = elevation in metres at each vertex. Optional columns:
        ``highway`` (``'steps'`` marks stairs), ``steps`` (bool, stairs), ``oneway_foot``
        (bool: walkable only in the digitised direction) and ``length_m`` (edge
        length; the 2D geometry length where absent or blank).
    stairs_up_factor, stairs_down_factor
        Speed on stairs relative to flat, going up and going down.
    use_slope
        Apply Tobler's hiking function to edges whose two end elevations are known.
    source
        Name of the input, used in problems and notes.
    elevation_at
        Elevations for the nodes from elsewhere (a DEM): called with the node
        coordinates ``(n, 2)``, returns elevations (NaN where unknown) and notes. When
        given, it replaces the lines' own Z values.

    Returns
    -------
    WalkNetwork
        Nodes are the edge endpoints, identified by their coordinates rounded to
        :data:`NODE_PRECISION_M`. Every edge yields two arcs; the arc from ``a`` to
        ``b`` costs ``length / factor`` reference seconds, where ``factor`` is
        Tobler's ``exp(-3.5 * (|S + 0.05| - 0.05))`` with ``S = (z_b - z_a) / length``
        (1 when an end elevation is unknown), or for stairs ``stairs_up_factor`` when
        climbing and ``stairs_down_factor`` when descending. Stairs whose climb is
        unknown or zero take ``stairs_up_factor`` both ways (stated in ``notes``).
        Self-loops are dropped; of parallel arcs the cheapest is kept; only the
        largest strongly connected part is kept and what was dropped is stated.

    Raises
    ------
    InputError
        A geographic CRS; missing, empty or non-line geometries; non-numeric, negative or
        infinite lengths (every such edge is listed); a network without any edge.
    ValueError
        A stairs factor that is not positive.
    """
    for name, value in (("stairs_up_factor", stairs_up_factor), ("stairs_down_factor", stairs_down_factor)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")

    if edges.crs is not None and edges.crs.is_geographic:
        raise InputError([Problem(file=source, column="geometry",
                                  message=f"the network is in a geographic CRS ({edges.crs.name}); "
                                          "a metric CRS is needed")])
    n_in = len(edges)
    geoms_in = np.asarray(edges.geometry.array, dtype=object) if n_in else np.zeros(0, dtype=object)
    problems: list[Problem] = []
    type_ids = shapely.get_type_id(geoms_in)  # -1 for None
    empty = shapely.is_empty(geoms_in) if n_in else np.zeros(0, dtype=bool)
    is_line = (type_ids == shapely.GeometryType.LINESTRING) | (type_ids == shapely.GeometryType.MULTILINESTRING)
    bad = ~is_line | empty
    for pos in np.flatnonzero(bad):
        if type_ids[pos] < 0:
            what = "missing"
        elif empty[pos]:
            what = "empty"
        else:
            what = f"a {shapely.GeometryType(int(type_ids[pos])).name.title()}"
        problems.append(Problem(file=source, row=f"row {pos + 1}", column="geometry",
                                message=f"geometry is {what}, expected a LineString"))

    length_given = np.full(n_in, np.nan)
    if "length_m" in edges.columns:
        raw = edges["length_m"]
        length_given = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        text = raw.astype("string").str.strip()
        blank = (raw.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)
        not_number = np.isnan(length_given) & ~blank
        for pos in np.flatnonzero(not_number):
            problems.append(Problem(file=source, row=f"row {pos + 1}", column="length_m",
                                    message=f"length {raw.iloc[pos]!r} is not a number"))
        wrong = (length_given < 0) | np.isinf(length_given)
        for pos in np.flatnonzero(wrong):
            problems.append(Problem(file=source, row=f"row {pos + 1}", column="length_m",
                                    message=f"length {length_given[pos]!r} must be a finite number >= 0"))
    if problems:
        problems.sort(key=lambda p: int(p.row.split()[-1]) if p.row else 0)  # stable: geometry first
        raise InputError(problems)

    if n_in == 0:
        raise InputError([Problem(file=source, column="geometry",
                                  message="the network has no walkable edges (the layer is empty)")])
    stairs = np.zeros(n_in, dtype=bool)
    if "highway" in edges.columns:
        hw = edges["highway"].astype("string").str.strip().str.lower()
        stairs |= (hw == "steps").fillna(False).to_numpy(dtype=bool)
    if "steps" in edges.columns:
        stairs |= _truthy(edges["steps"])
    oneway = _truthy(edges["oneway_foot"]) if "oneway_foot" in edges.columns else np.zeros(n_in, dtype=bool)

    # Split multi-part lines; each part is an edge carrying its row's attributes.
    parts, part_row = shapely.get_parts(geoms_in, return_index=True)
    multi = type_ids == shapely.GeometryType.MULTILINESTRING
    geom_len = shapely.length(parts)
    given = length_given[part_row]
    # A length given for a multi-part row is shared by its parts in proportion.
    if multi.any():
        row_len = np.bincount(part_row, weights=geom_len, minlength=n_in)
        share = np.divide(geom_len, row_len[part_row], out=np.ones_like(geom_len), where=row_len[part_row] > 0)
        given = np.where(multi[part_row], given * share, given)
    length = np.where(np.isnan(given), geom_len, given)
    stairs_part = stairs[part_row]
    oneway_part = oneway[part_row]

    start = shapely.get_coordinates(shapely.get_point(parts, 0), include_z=True)
    end = shapely.get_coordinates(shapely.get_point(parts, -1), include_z=True)
    if start.shape[0] != parts.shape[0]:  # pragma: no cover - guarded by the checks above
        raise RuntimeError("could not read edge endpoints")

    # Nodes: endpoints identified by coordinates rounded to NODE_PRECISION_M.
    ends_xy = np.concatenate([start[:, :2], end[:, :2]])
    keys = np.round(ends_xy / NODE_PRECISION_M).astype(np.int64)
    node_keys, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n_nodes = int(node_keys.shape[0])
    n_parts = int(parts.shape[0])
    u = inverse[:n_parts]
    v = inverse[n_parts:]
    node_xy = node_keys.astype(np.float64) * NODE_PRECISION_M

    notes: list[str] = []
    if elevation_at is not None:
        # only nodes of the part that will be kept are sampled: a DEM need not cover dropped islands
        kept_node = _largest_part(u, v, oneway_part, n_nodes)
        node_z = np.full(n_nodes, np.nan)
        z_kept, z_notes = elevation_at(node_xy[kept_node])
        node_z[kept_node] = np.asarray(z_kept, dtype=np.float64)
        notes += list(z_notes)
        dz_all = node_z[v] - node_z[u]
    else:
        ends_z = np.concatenate([start[:, 2], end[:, 2]])
        z_known = np.isfinite(ends_z)
        z_sum = np.bincount(inverse, weights=np.where(z_known, ends_z, 0.0), minlength=n_nodes)
        z_cnt = np.bincount(inverse, weights=z_known.astype(np.float64), minlength=n_nodes)
        node_z = np.divide(z_sum, z_cnt, out=np.full(n_nodes, np.nan), where=z_cnt > 0)
        dz_all = end[:, 2] - start[:, 2]  # NaN when either end elevation is unknown

    loop = u == v
    if loop.any():
        notes.append(f"{int(loop.sum())} edge(s) start and end at the same node (self-loops) and were dropped")
    keep = ~loop
    part_ids = np.flatnonzero(keep)
    u, v, length, stairs_part, oneway_part = u[keep], v[keep], length[keep], stairs_part[keep], oneway_part[keep]
    dz = dz_all[keep]
    dz0 = np.where(np.isfinite(dz), dz, 0.0)  # unknown climb: flat

    # Forward arc u->v climbs dz; the backward arc v->u climbs -dz.
    safe_len = np.where(length > 0, length, 1.0)
    slope = np.where(length > 0, dz0 / safe_len, 0.0)
    if use_slope:
        f_fwd = tobler_factor(slope)
        f_bwd = tobler_factor(-slope)
    else:
        f_fwd = np.ones_like(length)
        f_bwd = np.ones_like(length)
    stairs_fwd = np.where(dz0 > 0, stairs_up_factor, np.where(dz0 < 0, stairs_down_factor, stairs_up_factor))
    stairs_bwd = np.where(dz0 > 0, stairs_down_factor, np.where(dz0 < 0, stairs_up_factor, stairs_up_factor))
    f_fwd = np.where(stairs_part, stairs_fwd, f_fwd)
    f_bwd = np.where(stairs_part, stairs_bwd, f_bwd)
    undirected_stairs = stairs_part & (dz0 == 0)
    if undirected_stairs.any():
        notes.append(
            f"{int(undirected_stairs.sum())} stairs edge(s) have no known climb (elevation unknown or equal "
            f"at both ends): walked at the stairs-up factor {stairs_up_factor:g} in both directions"
        )
    if not use_slope:
        notes.append("slope ignored (use_slope=False): non-stairs edges walked at flat speed")
    elif n_parts and not np.isfinite(dz_all).any():
        notes.append("the network has no elevations: slope not applied")

    w_fwd = np.maximum(length / f_fwd, ZERO_LENGTH_WEIGHT)
    w_bwd = np.where(oneway_part, np.inf, np.maximum(length / f_bwd, ZERO_LENGTH_WEIGHT))
    zero = length <= 0
    if zero.any():
        notes.append(f"{int(zero.sum())} zero-length edge(s) kept with a tiny positive weight")
    if oneway_part.any():
        notes.append(f"{int(oneway_part.sum())} one-way edge(s) walked only in their drawn direction")

    # Largest strongly connected part: every kept node can reach every other.
    in_main, n_parts_found = _largest_part(u, v, ~np.isfinite(w_bwd), n_nodes, count=True)
    edge_in = in_main[u] & in_main[v]
    dropped_geometry = np.zeros(0, dtype=object)
    if not edge_in.all():
        n_dropped_nodes = int((~in_main).sum())
        notes.append(f"{n_parts_found - 1} part(s) of the network not connected both ways to the largest part "
                     f"were dropped: {int((~edge_in).sum())} edge(s), {n_dropped_nodes} node(s); "
                     f"{int(edge_in.sum())} edge(s) and {int(in_main.sum())} node(s) kept")
        dropped_geometry = shapely.force_2d(parts[part_ids[~edge_in]])
    new_id = np.cumsum(in_main) - 1
    u, v = new_id[u[edge_in]], new_id[v[edge_in]]
    w_fwd, w_bwd, stairs_part = w_fwd[edge_in], w_bwd[edge_in], stairs_part[edge_in]
    part_ids = part_ids[edge_in]
    node_xy, node_z = node_xy[in_main], node_z[in_main]
    n_nodes = int(in_main.sum())

    both = np.isfinite(w_bwd)
    src = np.concatenate([u, v[both]])
    dst = np.concatenate([v, u[both]])
    w = np.concatenate([w_fwd, w_bwd[both]])
    # Parallel arcs: keep the cheapest (a CSR built from duplicates would sum them).
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(src.shape[0], dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    n_parallel = int((~first).sum())
    src, dst, w = src[first], dst[first], w[first]
    if n_parallel:
        notes.append(f"{n_parallel} parallel arc(s) merged: the cheapest kept per direction")
    graph = sp.csr_matrix((w, (src, dst)), shape=(n_nodes, n_nodes))
    graph.sort_indices()

    n_edges = int(u.size)
    n_stairs = int(stairs_part.sum())
    logger.debug("walk network from %s: %d nodes, %d edges (%d stairs), %d arcs",
                 source, n_nodes, n_edges, n_stairs, graph.nnz)
    return WalkNetwork(
        node_xy=node_xy,
        node_z=node_z,
        graph=graph,
        n_edges=n_edges,
        n_stairs_edges=n_stairs,
        notes=tuple(notes),
        source=source,
        edge_geometry=shapely.force_2d(parts[part_ids]),
        edge_u=u.astype(np.int64),
        edge_v=v.astype(np.int64),
        edge_forward=w_fwd,
        edge_backward=w_bwd,
        kept_rows=np.unique(part_row[part_ids]).astype(np.int64),
        dropped_geometry=dropped_geometry,
    )


def _largest_part(u: np.ndarray, v: np.ndarray, oneway: np.ndarray, n_nodes: int, count: bool = False):
    """Nodes of the largest strongly connected part (and, with ``count``, how many parts there are)."""
    loop = u == v
    u, v, oneway = u[~loop], v[~loop], oneway[~loop]
    both = ~oneway
    probe = sp.csr_matrix((np.ones(u.size + int(both.sum())),
                           (np.concatenate([u, v[both]]), np.concatenate([v, u[both]]))), shape=(n_nodes, n_nodes))
    n_parts, label = connected_components(probe, directed=True, connection="strong")
    main = int(np.argmax(np.bincount(label))) if n_nodes else 0
    in_main = label == main
    return (in_main, n_parts) if count else in_main
