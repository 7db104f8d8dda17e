"""Network reach: slope, stairs, snapping, thresholds and agreement with networkx."""
from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from optimizer.errors import InputError
from optimizer.reach import ReachMethod, build_walk_network, network_reach

CRS = "EPSG:32648"


def _edges(lines: list[LineString], **columns: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(columns), geometry=lines, crs=CRS)


def _arc(net, a_xy, b_xy) -> float:
    """Weight of the arc from the node at a_xy to the node at b_xy."""
    a = int(np.flatnonzero((net.node_xy == a_xy).all(axis=1))[0])
    b = int(np.flatnonzero((net.node_xy == b_xy).all(axis=1))[0])
    return float(net.graph[a, b])


def _pairs(reach) -> dict[tuple[int, int], float]:
    triples = zip(reach.unit_index, reach.target_index, reach.ref_seconds, strict=True)
    return {(int(u), int(t)): float(s) for u, t, s in triples}


# --- slope and stairs -------------------------------------------------------------------------

def test_uphill_is_slower_than_downhill_by_tobler_exact_values():
    # 100 m edge climbing 5 m: +5 % grade one way, -5 % the other.
    net = build_walk_network(_edges([LineString([(0, 0, 0), (100, 0, 5)])]))
    up = _arc(net, (0, 0), (100, 0))
    down = _arc(net, (100, 0), (0, 0))
    assert 100 / up == pytest.approx(math.exp(-3.5 * 0.05))  # 0.8395x flat
    assert 100 / up == pytest.approx(0.84, abs=0.005)
    assert 100 / down == pytest.approx(math.exp(0.175))  # 1.19x flat
    assert 100 / down == pytest.approx(1.19, abs=0.005)
    assert up > down


def test_ten_percent_grade_walks_at_seventy_percent_of_flat_speed():
    net = build_walk_network(_edges([LineString([(0, 0, 0), (50, 0, 5)])]))
    assert 50 / _arc(net, (0, 0), (50, 0)) == pytest.approx(math.exp(-0.35))
    assert 50 / _arc(net, (0, 0), (50, 0)) == pytest.approx(0.70, abs=0.005)


def test_slope_is_taken_from_the_edge_endpoints_in_the_direction_of_travel():
    # The middle vertex is ignored: only the endpoints' Z count.
    net = build_walk_network(_edges([LineString([(0, 0, 0), (50, 0, 40), (100, 0, 5)])]))
    assert 100 / _arc(net, (0, 0), (100, 0)) == pytest.approx(math.exp(-0.175))


def test_network_reach_walks_from_unit_to_target_uphill_when_the_target_is_higher():
    net = build_walk_network(_edges([LineString([(0, 0, 0), (100, 0, 5)])]))
    unit_low = network_reach(np.array([[0.0, 0.0]]), np.array([[100.0, 0.0]]), net, 1000.0)
    unit_high = network_reach(np.array([[100.0, 0.0]]), np.array([[0.0, 0.0]]), net, 1000.0)
    assert unit_low.ref_seconds[0] == pytest.approx(100 / math.exp(-0.175))
    assert unit_high.ref_seconds[0] == pytest.approx(100 / math.exp(0.175))


def test_edges_without_elevation_or_with_slope_off_are_flat():
    flat = build_walk_network(_edges([LineString([(0, 0), (100, 0)])]))
    assert _arc(flat, (0, 0), (100, 0)) == pytest.approx(100.0)
    assert _arc(flat, (100, 0), (0, 0)) == pytest.approx(100.0)
    no_slope = build_walk_network(_edges([LineString([(0, 0, 0), (100, 0, 5)])]), use_slope=False)
    assert _arc(no_slope, (0, 0), (100, 0)) == pytest.approx(100.0)


def test_stairs_up_at_035_and_down_at_05_of_flat_speed():
    net = build_walk_network(_edges([LineString([(0, 0, 0), (10, 0, 6)])], highway=["steps"]))
    assert _arc(net, (0, 0), (10, 0)) == pytest.approx(10 / 0.35)
    assert _arc(net, (10, 0), (0, 0)) == pytest.approx(10 / 0.5)
    assert net.n_stairs_edges == 1


def test_steps_column_marks_stairs_and_factors_are_configurable():
    net = build_walk_network(_edges([LineString([(0, 0, 6), (10, 0, 0)])], steps=[True]),
                             stairs_up_factor=0.25, stairs_down_factor=0.4)
    assert _arc(net, (10, 0), (0, 0)) == pytest.approx(10 / 0.25)
    assert _arc(net, (0, 0), (10, 0)) == pytest.approx(10 / 0.4)


def test_stairs_without_known_climb_use_the_up_factor_both_ways_with_a_note():
    net = build_walk_network(_edges([LineString([(0, 0), (10, 0)])], highway=["steps"]))
    assert _arc(net, (0, 0), (10, 0)) == pytest.approx(10 / 0.35)
    assert _arc(net, (10, 0), (0, 0)) == pytest.approx(10 / 0.35)
    assert any("stairs" in n and "both directions" in n for n in net.notes)


def test_length_column_overrides_geometry_length():
    net = build_walk_network(_edges([LineString([(0, 0), (100, 0)])], length_m=[130.0]))
    assert _arc(net, (0, 0), (100, 0)) == pytest.approx(130.0)


# --- graph construction -----------------------------------------------------------------------

def test_endpoints_within_a_centimetre_rounding_are_one_node():
    net = build_walk_network(_edges([LineString([(0, 0), (100, 0)]), LineString([(100.001, 0.002), (100, 50)])]))
    assert net.n_nodes == 3
    reach = network_reach(np.array([[0.0, 0.0]]), np.array([[100.0, 50.0]]), net, 1000.0)
    assert reach.n_pairs == 1


def test_zero_length_edges_do_not_break_connectivity():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 5)]), LineString([(100, 5), (200, 5)]),
             LineString([(200, 5), (200, 5)])]  # a degenerate self-loop, dropped
    net = build_walk_network(_edges(lines, length_m=[100.0, 0.0, 100.0, None]))
    assert net.graph.nnz == 6  # every remaining arc stored, none lost as an explicit zero
    reach = network_reach(np.array([[0.0, 0.0]]), np.array([[200.0, 5.0]]), net, 1000.0)
    assert reach.n_pairs == 1
    assert reach.ref_seconds[0] == pytest.approx(200.0, abs=1e-5)
    assert net.n_edges == 3


def test_parallel_edges_keep_the_cheapest_instead_of_summing():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(0, 0), (50, 60), (100, 0)])]
    net = build_walk_network(_edges(lines))
    assert _arc(net, (0, 0), (100, 0)) == pytest.approx(100.0)
    assert net.graph.nnz == 2


def test_bad_edges_are_all_listed_in_one_input_error():
    from shapely.geometry import Point
    edges = _edges([LineString([(0, 0), (1, 0)]), Point(0, 0), None, LineString([(0, 0), (2, 0)])],
                   length_m=[1.0, 1.0, 1.0, -5.0])
    with pytest.raises(InputError) as err:
        build_walk_network(edges, source="streets.gpkg")
    rows = [(p.row, p.column) for p in err.value.problems]
    assert rows == [("row 2", "geometry"), ("row 3", "geometry"), ("row 4", "length_m")]
    assert all(p.file == "streets.gpkg" for p in err.value.problems)


# --- snapping and thresholds ------------------------------------------------------------------

def _line_network():
    return build_walk_network(_edges([LineString([(0, 0), (100, 0)])]))


def test_threshold_is_inclusive_a_pair_at_the_cutoff_is_in_just_above_is_out():
    net = _line_network()
    unit, target = np.array([[0.0, 0.0]]), np.array([[100.0, 0.0]])
    assert network_reach(unit, target, net, 100.0).n_pairs == 1
    assert network_reach(unit, target, net, 100.0 - 1e-9).n_pairs == 0


def test_snap_distance_is_walked_at_both_ends():
    net = _line_network()
    unit, target = np.array([[0.0, 3.0]]), np.array([[100.0, -4.0]])
    reach = network_reach(unit, target, net, 107.0)
    assert reach.ref_seconds.tolist() == [107.0]
    assert network_reach(unit, target, net, 106.99).n_pairs == 0


def test_unit_beyond_max_snap_is_reported_unreachable_and_reaches_nothing():
    net = _line_network()
    units = np.array([[0.0, 600.0], [0.0, 10.0]])
    reach = network_reach(units, np.array([[100.0, 0.0]]), net, 1e6, max_snap_m=500.0)
    assert reach.unreachable_units.tolist() == [0]
    assert reach.unit_index.tolist() == [1]
    assert reach.method is ReachMethod.NETWORK
    assert any("1 demand unit(s) farther than 500 m" in n for n in reach.notes)


def test_target_beyond_max_snap_is_reached_by_nobody_with_a_note():
    net = _line_network()
    reach = network_reach(np.array([[0.0, 0.0]]), np.array([[100.0, 900.0], [100.0, 0.0]]), net, 1e6)
    assert reach.target_index.tolist() == [1]
    assert any("1 target(s) farther than 500 m" in n for n in reach.notes)


def test_units_and_targets_sharing_a_node_all_get_the_pair_with_their_own_snap():
    net = _line_network()
    units = np.array([[0.0, 0.0], [0.0, 1.0], [-2.0, 0.0]])
    targets = np.array([[100.0, 0.0], [100.0, 5.0]])
    reach = network_reach(units, targets, net, 1000.0)
    assert _pairs(reach) == pytest.approx({
        (0, 0): 100.0, (0, 1): 105.0, (1, 0): 101.0, (1, 1): 106.0, (2, 0): 102.0, (2, 1): 107.0})
    # And the per-unit snap decides at the threshold: only pairs <= 103 remain.
    assert sorted(_pairs(network_reach(units, targets, net, 103.0))) == [(0, 0), (1, 0), (2, 0)]


def test_an_empty_network_is_an_input_error_not_a_plan_where_nobody_walks():
    with pytest.raises(InputError, match="no walkable edges"):
        build_walk_network(_edges([]))


# --- agreement with networkx and chunking -----------------------------------------------------

def _random_network(seed: int):
    """A jittered grid with some edges removed, random elevations and some stairs."""
    rng = np.random.default_rng(seed)
    side = 9
    xy = {(i, j): (i * 60 + rng.uniform(-15, 15), j * 60 + rng.uniform(-15, 15))
          for i in range(side) for j in range(side)}
    z = {k: rng.uniform(0, 25) for k in xy}
    lines, highway, lengths = [], [], []
    for (i, j) in xy:
        for (di, dj) in ((1, 0), (0, 1), (1, 1)):
            k = (i + di, j + dj)
            if k not in xy or rng.random() < 0.25 or (di and dj and rng.random() < 0.7):
                continue
            a, b = (i, j), k
            if rng.random() < 0.5:
                a, b = b, a  # edges drawn in either direction
            lines.append(LineString([(*xy[a], z[a]), (*xy[b], z[b])]))
            highway.append("steps" if rng.random() < 0.1 else "footway")
            lengths.append(np.nan)
    edges = _edges(lines, highway=highway, length_m=lengths)
    return edges, rng


def _networkx_graph(edges: gpd.GeoDataFrame) -> nx.DiGraph:
    """The same directed weighted graph, computed independently edge by edge."""
    g = nx.DiGraph()
    for line, hw in zip(edges.geometry, edges["highway"], strict=True):
        (x0, y0, z0), (x1, y1, z1) = line.coords[0], line.coords[-1]
        a, b = (round(x0, 2), round(y0, 2)), (round(x1, 2), round(y1, 2))
        length = math.hypot(x1 - x0, y1 - y0)
        for s, t, dz in ((a, b, z1 - z0), (b, a, z0 - z1)):
            if hw == "steps":
                factor = 0.35 if dz >= 0 else 0.5
            else:
                factor = math.exp(-3.5 * (abs(dz / length + 0.05) - 0.05))
            w = length / factor
            if not g.has_edge(s, t) or g[s][t]["weight"] > w:
                g.add_edge(s, t, weight=w)
    return g


def _segment_snap(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Distance from p to segment a-b and the position of the foot along it (0 at a, 1 at b)."""
    ab = b - a
    t = float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0)) if np.dot(ab, ab) > 0 else 0.0
    return float(np.hypot(*(a + t * ab - p))), t


def _attach(g: nx.DiGraph, edges: gpd.GeoDataFrame, points: np.ndarray, kind: str) -> list[tuple[int, float]]:
    """Add one node per point, joined to both ends of its nearest edge (brute force)."""
    ends = [(np.array(line.coords[0][:2]), np.array(line.coords[-1][:2])) for line in edges.geometry]
    where = []
    for i, p in enumerate(points):
        best = min(range(len(ends)), key=lambda k: _segment_snap(p, *ends[k])[0])
        d, t = _segment_snap(p, *ends[best])
        a, b = (tuple(np.round(e, 2)) for e in ends[best])
        ab, ba = g[a][b]["weight"], g[b][a]["weight"]
        node = (kind, i)
        if kind == "unit":  # the walk leaves home along the edge towards either end
            g.add_edge(node, a, weight=d + t * ba)
            g.add_edge(node, b, weight=d + (1 - t) * ab)
        else:  # ... and arrives at the site along its edge from either end
            g.add_edge(a, node, weight=d + t * ab)
            g.add_edge(b, node, weight=d + (1 - t) * ba)
        where.append((best, t, d))
    return where


@pytest.mark.parametrize("seed", [1, 2])
def test_shortest_walks_equal_networkx_dijkstra_with_points_attached_to_edges(seed):
    """Every walk home -> site within the threshold equals networkx on the same graph, points split into edges."""
    edges, rng = _random_network(seed)
    net = build_walk_network(edges)
    g = _networkx_graph(edges)
    units = rng.uniform(-30, 510, size=(60, 2))
    targets = rng.uniform(-30, 510, size=(25, 2))
    targets[:3] = units[:3]  # coincident unit and target
    cutoff = 420.0
    reach = network_reach(units, targets, net, cutoff)

    u_at = _attach(g, edges, units, "unit")
    t_at = _attach(g, edges, targets, "target")
    for ui, (ue, ut, ud) in enumerate(u_at):  # a unit and a site on one edge walk straight along it
        for ti, (te, tt, td) in enumerate(t_at):
            if ue == te:
                a, b = (tuple(np.round(c[:2], 2)) for c in (edges.geometry.iloc[ue].coords[0],
                                                             edges.geometry.iloc[ue].coords[-1]))
                along = (tt - ut) * g[a][b]["weight"] if tt >= ut else (ut - tt) * g[b][a]["weight"]
                g.add_edge(("unit", ui), ("target", ti), weight=ud + along + td)
    expected: dict[tuple[int, int], float] = {}
    for ui in range(len(units)):
        dist = nx.single_source_dijkstra_path_length(g, ("unit", ui), weight="weight")
        for ti in range(len(targets)):
            if ("target", ti) in dist:
                expected[(ui, ti)] = dist[("target", ti)]
    got = _pairs(reach)
    within = {k: v for k, v in expected.items() if v <= cutoff - 1e-6}
    beyond = {k for k, v in expected.items() if v > cutoff + 1e-6} | (
        {(u, t) for u in range(len(units)) for t in range(len(targets))} - set(expected))
    assert len(within) > 100  # the comparison is not vacuous
    assert set(within) <= set(got)
    assert not (beyond & set(got))
    for k, v in got.items():
        assert v == pytest.approx(expected[k], rel=1e-9, abs=1e-6)
    # a site at the same point as a home: the walk out to the street and back
    assert all(got[(i, i)] == pytest.approx(2 * u_at[i][2]) for i in range(3))
    # Triples are sorted by (unit, target).
    keys = list(zip(reach.unit_index.tolist(), reach.target_index.tolist(), strict=True))
    assert keys == sorted(keys)


@pytest.mark.parametrize("tile_m", [1.0, 75.0, 10_000.0])
def test_tile_size_never_changes_reach_and_progress_counts_every_target(tile_m):
    edges, rng = _random_network(3)
    net = build_walk_network(edges)
    units = rng.uniform(0, 480, size=(80, 2))
    targets = rng.uniform(0, 480, size=(30, 2))
    calls: list[tuple[int, int]] = []
    tiled = network_reach(units, targets, net, 300.0, tile_m=tile_m, progress=lambda d, t: calls.append((d, t)))
    whole = network_reach(units, targets, net, 300.0)
    assert tiled.n_pairs > 0
    np.testing.assert_array_equal(tiled.unit_index, whole.unit_index)
    np.testing.assert_array_equal(tiled.target_index, whole.target_index)
    np.testing.assert_array_equal(tiled.ref_seconds, whole.ref_seconds)
    assert calls[-1] == (30, 30)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- edge snapping, one-way edges, disconnected parts ---------------------------------------------

def test_a_home_beside_the_middle_of_a_long_street_walks_from_the_street_not_from_the_corner():
    net = build_walk_network(_edges([LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 500)])]))
    reach = network_reach(np.array([[400.0, 10.0]]), np.array([[1000.0, 300.0]]), net, 2000.0)
    # 10 m to the street, 600 m along it, 300 m up the side street (flat, no snap at the site)
    assert reach.ref_seconds.tolist() == pytest.approx([910.0])


def test_a_home_and_a_site_on_one_street_walk_straight_along_it():
    net = build_walk_network(_edges([LineString([(0, 0), (1000, 0)])]))
    reach = network_reach(np.array([[400.0, 5.0]]), np.array([[450.0, -5.0]]), net, 100.0)
    assert reach.ref_seconds.tolist() == pytest.approx([60.0])


def test_one_way_paths_are_walked_only_in_their_drawn_direction():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)]),
             LineString([(100, 100), (0, 100)]), LineString([(0, 100), (0, 0)])]
    net = build_walk_network(_edges(lines, oneway_foot=[True, True, True, True]))
    assert any("4 one-way edge(s)" in n for n in net.notes)
    home, site = np.array([[50.0, 0.0]]), np.array([[40.0, 0.0]])
    # 10 m back against the one-way is impossible: the walk goes all the way round (390 m)
    assert network_reach(home, site, net, 1000.0).ref_seconds.tolist() == pytest.approx([390.0])
    assert network_reach(site, home, net, 1000.0).ref_seconds.tolist() == pytest.approx([10.0])


def test_parts_not_connected_to_the_largest_are_dropped_and_said_and_homes_near_them_are_flagged():
    main = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])]
    island = [LineString([(1000, 0), (1050, 0)])]
    net = build_walk_network(_edges(main + island))
    assert net.n_edges == 2 and net.kept_rows.tolist() == [0, 1]
    assert any("1 part(s)" in n and "1 edge(s), 2 node(s)" in n for n in net.notes)
    homes = np.array([[1020.0, 5.0], [50.0, 1.0]])
    reach = network_reach(homes, np.array([[100.0, 50.0]]), net, 5000.0, max_snap_m=2000.0)
    assert reach.off_main_network_units.tolist() == [0]
    assert any("nearer to a disconnected part" in n for n in reach.notes)
    # attached to the main part instead (within the snap limit), walk to it included
    assert _pairs(reach)[(0, 0)] == pytest.approx(920.0 + 45.0)  # onto the side street at (100, 5)
