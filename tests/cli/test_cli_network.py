"""``lifecircle network build``: an OSM extract or edges file in, a clean walk network out."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import osmium
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from osmium.osm.mutable import Node, Way

from optimizer.cli import main

LON, LAT = 24.90, 60.00
STEP = 0.001


def _pbf(path):
    """A street with a footway loop, an isolated path (a separate part) and one flight of steps."""
    nodes = {1: (0, 0), 2: (1, 0), 3: (2, 0), 4: (1, 1), 5: (2, 1), 6: (5, 5), 7: (6, 5), 8: (3, 0)}
    ways = [(10, [1, 2, 3], {"highway": "residential"}),
            (11, [2, 4, 5, 3], {"highway": "footway"}),
            (12, [3, 8], {"highway": "steps"}),
            (13, [6, 7], {"highway": "path"})]
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, (gx, gy) in nodes.items():
            writer.add_node(Node(id=node_id, location=(LON + gx * STEP, LAT + gy * STEP)))
        for way_id, refs, tags in ways:
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
    return path


def _dem(path, *, west_cols: int):
    """A DEM rising 1 m per pixel eastwards, covering ``west_cols`` columns of 0.0005 degree from LON - 0.001."""
    values = np.tile(np.arange(west_cols, dtype=np.float32) + 20.0, (12, 1))
    profile = {"driver": "GTiff", "width": west_cols, "height": 12, "count": 1, "dtype": "float32",
               "crs": "EPSG:4326", "transform": rasterio.Affine(0.0005, 0.0, LON - 0.001, 0.0, -0.0005, LAT + 0.004)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path


def test_build_keeps_the_largest_connected_part_and_writes_a_projected_gpkg(tmp_path):
    out = tmp_path / "out" / "walk.gpkg"
    result = CliRunner().invoke(main, ["network", "build", str(_pbf(tmp_path / "x.osm.pbf")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    edges = gpd.read_file(out, layer="network")
    assert edges.crs.to_epsg() == 32635  # UTM zone 35N holds lon 24.9
    # street 1-2-3 cut at 2; the footway loop 2-4-5-3 is one edge; the steps; the path 6-7 apart
    assert len(edges) == 4 and 13 not in set(edges["osm_way_id"])  # the isolated path is dropped
    assert edges["steps"].sum() == 1 and edges["oneway_foot"].dtype == bool
    assert "4 ways read, 4 walkable -> 5 edges" in result.output
    assert "kept 4 edges, 4 nodes, 1 stairs edges" in result.output
    assert "dropped 1 edges outside the largest strongly connected part" in result.output
    assert "CRS EPSG:32635 (UTM zone of the data's centre" in result.output
    assert [p.name for p in out.parent.iterdir()] == ["walk.gpkg"]  # no temporary file left


def test_build_samples_the_dem_into_every_vertex_and_walks_uncovered_nodes_flat_only_when_asked(tmp_path):
    pbf = _pbf(tmp_path / "x.osm.pbf")
    dem = _dem(tmp_path / "dem.tif", west_cols=5)  # covers lon 24.899..24.9015: nodes 1 and 2, not 3 and 8
    out = tmp_path / "walk.gpkg"
    args = ["network", "build", str(pbf), "--out", str(out), "--crs", "EPSG:3067", "--elevation", str(dem)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 3
    assert "2 of 4 nodes of the network 'x.osm.pbf' have no elevation" in refused.output
    assert "--missing-elevation flat" in refused.output
    assert not out.exists()

    result = CliRunner().invoke(main, [*args, "--missing-elevation", "flat"])
    assert result.exit_code == 0, result.output
    assert "2 of 4 network nodes have no elevation in the DEM dem.tif" in result.output
    edges = gpd.read_file(out, layer="network")
    assert edges.crs.to_epsg() == 3067 and edges.has_z.all()
    street = edges[(edges["u"] == 1) & (edges["v"] == 2)].geometry.iloc[0]
    z = shapely.get_coordinates(street, include_z=True)[:, 2]
    # node 1 at lon 24.900 is 2 pixels (1 m each) east of the DEM's west edge: centre of pixel 2 minus half
    assert z.tolist() == pytest.approx([21.5, 23.5], abs=0.05)
    far = edges[edges["v"] == 8].geometry.iloc[0]  # the steps end east of the DEM
    assert np.isnan(shapely.get_coordinates(far, include_z=True)[-1, 2])


def test_bad_sources_exit_3_and_write_nothing(tmp_path):
    out = tmp_path / "walk.gpkg"
    text = tmp_path / "streets.pbf"
    text.write_text("not osm", encoding="utf-8")
    for source, message in ((tmp_path / "missing.osm.pbf", "file not found"),
                            (text, "cannot be read as OpenStreetMap data")):
        result = CliRunner().invoke(main, ["network", "build", str(source), "--out", str(out)])
        assert result.exit_code == 3, result.output
        assert str(source) in result.output and message in result.output
    assert list(tmp_path.iterdir()) == [text]


def test_build_from_an_edges_file_leaves_out_what_is_not_walkable(tmp_path):
    lines = [shapely.LineString([(LON, LAT), (LON + STEP, LAT)]), shapely.LineString([(LON + STEP, LAT),
                                                                                      (LON + 2 * STEP, LAT)]),
             shapely.LineString([(LON + 2 * STEP, LAT), (LON + 3 * STEP, LAT)])]
    source = tmp_path / "edges.gpkg"
    gpd.GeoDataFrame({"highway": ["footway", "motorway", ""], "name": ["a", "b", "c"]}, geometry=lines,
                     crs="EPSG:4326").to_file(source, layer="edges")
    out = tmp_path / "walk.gpkg"
    result = CliRunner().invoke(main, ["network", "build", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    edges = gpd.read_file(out, layer="network")
    # the motorway goes; the footway and the untagged edge are then two separate parts: one is kept
    assert len(edges) == 1 and edges["name"].iloc[0] in {"a", "c"}
    assert "2 walkable edges read" in result.output


@pytest.mark.slow  # builds and plans on the whole Helsinki extract; default: the small builds above
@pytest.mark.shared_data
def test_a_network_built_from_the_helsinki_extract_plans_like_the_extract_itself(shared_data, repo, tmp_path):
    pbf = shared_data / "helsinki_center_testbed" / "helsinki_center.osm.pbf"
    built = tmp_path / "helsinki_walk.gpkg"
    result = CliRunner().invoke(main, ["network", "build", str(pbf), "--out", str(built), "--crs", "EPSG:3067"])
    assert result.exit_code == 0, result.output
    assert "5,130 ways read, 2,526 walkable -> 4,945 edges" in result.output
    assert "kept 4,862 edges, 3,571 nodes, 134 stairs edges" in result.output
    assert "dropped 83 edges" in result.output

    inputs = repo / "inputs" / "helsinki-center"
    objectives = {}
    for name, network in (("from-gpkg", built), ("from-pbf", pbf)):
        scenario = tmp_path / f"{name}.yaml"
        scenario.write_text(
            (repo / "scenarios" / "helsinki-center.yaml").read_text(encoding="utf-8")
            .replace("../inputs/helsinki-center/", f"{inputs}/")
            .replace(f"{inputs}/helsinki_center.osm.pbf", str(network))
            + f"output: {{folder: {tmp_path / name}}}\n", encoding="utf-8")
        solved = CliRunner().invoke(main, ["-q", "solve", str(scenario)])
        assert solved.exit_code == 0, solved.output
        run = next(p for p in (tmp_path / name / "helsinki-center").iterdir() if not p.name.startswith("."))
        objectives[name] = json.loads((run / "run.json").read_text(encoding="utf-8"))["objective"]
    # objective share: more than a hundred percentage points of cohorts newly covered, the same either way
    assert objectives["from-gpkg"] == pytest.approx(objectives["from-pbf"]) and objectives["from-pbf"] > 100
