"""The report's map is one planners recognise: streets, life circles with names, scale bar, north arrow, a summary.

The pure preparation of the layers is checked on small arrays; the demo run folder
(``run_dir`` of ``conftest.py``) checks what the page and ``report_map.png`` draw, and
headless Chromium what a reader sees in both languages.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point, Polygon

from optimizer.cli import main
from optimizer.report import gather, map_layers
from optimizer.rules.existing import NO_CIRCLE
from optimizer.run_folder import read_run_folder

REPO = Path(__file__).resolve().parents[2]
CIRCLES = REPO / "inputs" / "yuzhong-demo" / "circles.gpkg"
#: The demo's page with the streets must stay small enough to mail and open at once.
PAGE_LIMIT_BYTES = 1_400_000
#: What the streets may add to the demo's page.
STREETS_LIMIT_BYTES = 400_000


def _report(*args) -> object:
    return CliRunner().invoke(main, ["report", *map(str, args)])


def _data(page: str) -> dict:
    m = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def _frame(width: float = 1000.0, height: float = 1000.0) -> map_layers.Frame:
    return map_layers.Frame(crs=None, x0=0.0, y1=height, width=width, height=height)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the layers, on arrays
def test_a_line_is_sent_as_its_first_point_and_whole_metre_steps():
    """[x0, y0, dx1, dy1, ...] in whole metres; a point repeated after rounding is sent once; decoding gives it back."""
    pts = np.array([[10.2, 20.7], [15.0, 20.9], [15.4, 21.2], [30.0, 5.0]])
    flat = map_layers.step_coded(pts)
    assert flat == [10, 21, 5, 0, 15, -16]
    assert map_layers.decode_steps(flat).tolist() == [[10, 21], [15, 21], [30, 5]]
    assert map_layers.step_coded(np.array([[1.1, 1.1], [0.9, 1.2]])) == [], "a line of one point is not drawn"


def test_the_edges_of_a_street_grid_are_joined_through_crossings_each_drawn_once():
    """A 4 x 4 grid of 24 one-block edges: every block is drawn exactly once, in far fewer polylines than blocks."""
    edges = []
    for i in range(4):
        for j in range(3):
            edges.append(np.array([[i * 100, j * 100], [i * 100, (j + 1) * 100]]))
            edges.append(np.array([[j * 100, i * 100], [(j + 1) * 100, i * 100]]))
    lines = map_layers.chain_edges(edges)
    drawn = sorted(tuple(sorted((tuple(a), tuple(b)))) for line in lines for a, b in zip(line[:-1], line[1:],
                                                                                          strict=True))
    assert drawn == sorted(tuple(sorted((tuple(e[0]), tuple(e[1])))) for e in edges)
    assert len(lines) <= 8, f"{len(lines)} polylines for 24 blocks"


def test_streets_are_clipped_to_the_map_and_a_street_shorter_than_a_pixel_is_left_out():
    """Outside the drawn extent nothing is sent; a 0.5 m stub at a 1,000 m wide map (1 m a pixel) is dropped."""
    frame = _frame()
    lines = [LineString([(100, 100), (500, 100)]), LineString([(5000, 5000), (6000, 5000)]),
             LineString([(700, 700), (700.5, 700)]), LineString([(900, 500), (1500, 500)])]
    out = map_layers.street_polylines(lines, frame)
    pts = [map_layers.decode_steps(p) for p in out]
    assert len(out) == 2
    assert all((p >= 0).all() and (p <= 1000).all() for p in pts), "clipped to the map"
    # y runs south in the map's frame: a street 100 m north of the south edge is drawn at y = 900
    assert sorted(p[:, 1].tolist() for p in pts) == [[500, 500], [900, 900]]


def test_outlines_derived_from_the_units_hold_every_unit_of_their_circle():
    """Without a circle layer: one outline per circle id, around all of the circle's units, its label inside it."""
    rng = np.random.default_rng(7)
    a = rng.uniform([100, 100], [400, 400], size=(40, 2))
    b = rng.uniform([600, 500], [900, 900], size=(30, 2))
    ids = ["LC-A"] * 40 + ["LC-B"] * 30 + ["", NO_CIRCLE]
    xy = np.vstack([a, b, [[50, 950], [950, 50]]])
    frame = _frame()
    items = map_layers.derived_outlines(ids, xy, frame)
    assert [c["id"] for c in items] == ["LC-A", "LC-B"], "units without a circle get no outline"
    for c, pts in zip(items, (a, b), strict=True):
        shape = Polygon(map_layers.decode_steps(c["rings"][0]))
        inside = frame.to_map(pts)
        assert all(shape.buffer(1).contains(Point(p)) for p in inside), c["id"]
        assert shape.contains(Point(c["x"], c["y"])), "the name sits inside its circle"
        assert c["name"] == ""


def test_the_scale_bar_is_a_round_length_about_a_fifth_of_the_map():
    """10.6 km across: a 2 km bar; 1.2 km across: 200 m; labels in metres or kilometres, in the page's language."""
    assert map_layers.scale_bar_length(10_628) == 2000
    assert map_layers.scale_bar_length(1_200) == 200
    assert map_layers.scale_bar_length(3_000) == 500
    assert map_layers.length_label(2000, "en") == "2 km" and map_layers.length_label(500, "zh") == "500 米"


# ----------------------------------------------------------------------------- the demo run
def test_the_demo_map_carries_its_streets_and_the_11_circles_of_its_circle_layer(run_dir):
    """map_data: the walk network as polylines inside the map, the circle layer's 11 outlines with their names."""
    data = gather.map_data(read_run_folder(run_dir, for_report=True), "en")
    layer = pyogrio.read_dataframe(CIRCLES)
    assert data["outlines_source"] == "layer"
    assert {c["id"]: c["name"] for c in data["outlines"]} == dict(zip(layer["circle_id"], layer["name"], strict=True))
    assert len(data["streets"]) > 1000 and data["street_points"] > 20_000
    pts = np.vstack([map_layers.decode_steps(p) for p in data["streets"]])
    assert pts.min() >= 0 and pts[:, 0].max() <= data["width"] and pts[:, 1].max() <= data["height"]
    assert any("network.gpkg" in n for n in data["notes"]) and any("circle layer" in n for n in data["notes"])
    # the summary beside the map: status, sites, facilities, cost; each function's people newly covered
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    rows = dict(data["summary"]["rows"])
    assert rows["Sites converted"] == str(record["plan"]["sites_converted"])
    assert [g["new"] for g in data["summary"]["gains"]] == [f"+{r['newly_covered']:,.0f}"
                                                            for r in record["plan"]["by_function"]]


def test_the_streets_keep_the_demo_page_small(demo_report):
    """The streets add well under 1.5 MB: the whole page stays under the stated limit."""
    run_dir = demo_report  # rendered with --lang en (tests/report/conftest.py)
    page = (run_dir / "report_en.html").read_text(encoding="utf-8")
    streets = json.dumps(_data(page)["map"]["streets"], separators=(",", ":"))
    assert len(streets) < STREETS_LIMIT_BYTES, len(streets)
    assert len(page.encode()) < PAGE_LIMIT_BYTES, len(page.encode())


def _edit_record(run_dir: Path, **inputs) -> None:
    path = run_dir / "run.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    resolved = record["scenario"]["resolved"]["inputs"]
    for role, spec in inputs.items():
        if spec is None:
            resolved.pop(role, None)
        else:
            resolved[role] = spec
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def _drop_circle_layer(run_dir: Path) -> None:
    """plan.gpkg rewritten without its ``circles`` layer (as a run without a circle layer writes it)."""
    gpkg = run_dir / "plan.gpkg"
    keep = [str(name) for name, kind in pyogrio.list_layers(gpkg) if kind and str(name) != "circles"]
    frames = {name: pyogrio.read_dataframe(gpkg, layer=name) for name in keep}
    gpkg.unlink()
    for name, df in frames.items():
        pyogrio.write_dataframe(df, gpkg, layer=name)


def test_a_run_whose_network_is_gone_reports_without_streets_and_says_so(run_dir, tmp_path):
    """The network file moved away since the run: the page is written, no streets, a note names the file."""
    gone = tmp_path / "moved" / "network.gpkg"
    _edit_record(run_dir, network={"path": str(gone), "layer": "network"})
    result = _report(run_dir, "--lang", "en")
    assert result.exit_code == 0, result.output
    data = _data((run_dir / "report_en.html").read_text(encoding="utf-8"))["map"]
    assert data["streets"] == [] and data["street_points"] == 0
    assert any(str(gone) in n and "no longer where it was" in n for n in data["notes"])
    assert len(data["outlines"]) == 11, "the circles are still drawn"


def test_without_a_circle_layer_or_network_the_outlines_are_derived_from_the_units(run_dir):
    """No circle layer and no network (straight-line reach): 11 outlines around the units' circles, notes say so."""
    _drop_circle_layer(run_dir)
    _edit_record(run_dir, network=None, circles=None)
    folder = read_run_folder(run_dir, for_report=True)
    data = gather.map_data(folder, "zh")
    assert data["outlines_source"] == "units" and data["streets"] == []
    assert sorted(c["id"] for c in data["outlines"]) == sorted(set(folder.demand["circle_id"]))
    assert len(data["outlines"]) == 11
    assert any("由各生活圈的需求单元推算" in n for n in data["notes"])
    assert any("直线距离" in n for n in data["notes"])
    # every unit lies inside (or on the edge of) its circle's derived outline
    ux = np.asarray(data["units"]["x"])
    uy = np.asarray(data["units"]["y"])
    for c in data["outlines"]:
        shape = shapely.union_all([Polygon(map_layers.decode_steps(r)) for r in c["rings"]])
        mine = np.asarray([data["circles"][k] == c["id"] for k in data["units"]["circle"]])
        assert shapely.contains_xy(shape.buffer(2), ux[mine], uy[mine]).all(), c["id"]


def test_the_png_map_draws_the_streets_the_circles_with_names_a_scale_bar_and_a_north_arrow(run_dir, monkeypatch):
    """report_map.png: on every panel the street lines, the 11 circle outlines and names, the bar and the arrow."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.patches import PathPatch

    from optimizer.report import figures

    folder = read_run_folder(run_dir, for_report=True)
    kept = []
    monkeypatch.setattr(figures.plt, "close", kept.append)
    figures.map_figure(folder, run_dir / "map.png", "en")
    monkeypatch.undo()
    fig = kept[0]
    data = gather.map_data(folder, "en")
    panels = [ax for ax in fig.axes if ax.get_title()]
    try:
        assert len(panels) == len(folder.functions)
        for ax in panels:
            streets = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "streets"]
            assert len(streets) == 1 and len(streets[0].get_segments()) == len(data["streets"])
            outlines = [p for p in ax.patches if isinstance(p, PathPatch) and str(p.get_gid()).startswith("circle:")]
            assert len(outlines) == 11
            names = [t for t in ax.texts if str(t.get_gid()).startswith("circle-name:")]
            assert len(names) == 11
            assert any(t.get_text() in ("2 km",) for t in ax.texts), "a 2 km scale bar on a 10.6 km wide map"
            assert [t for t in ax.texts if t.get_gid() == "north-arrow" and t.get_text() == "N"]
            bar = next(line for line in ax.lines if line.get_gid() == "scale-bar")
            xs = bar.get_xdata()
            assert max(xs) - min(xs) == pytest.approx(2000), "the bar is 2,000 m in map units (metres)"
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------------- in a real browser
# [en] slow: the map is drawn by the same code in both languages; the English page in Chromium is checked by
# default in tests/report/test_one_language.py::test_in_chromium_every_visible_text_of_the_report_is_in_its_language
# (every visible text English, the streets and the 11 circle outlines drawn)
@pytest.mark.parametrize("lang", ["zh", pytest.param("en", marks=pytest.mark.slow)])
def test_in_chromium_the_map_shows_streets_circles_scale_north_and_a_summary(demo_run, demo_screenshot, tmp_path,
                                                                            lang):
    """Both languages: #streets with many points, #circles with 11 outlines and 11 names (marked Chinese proper
    nouns), a round scale bar, a north arrow, the plan's summary in #info before any hover; a screenshot is saved."""
    from optimizer.report.browser import dump_dom, find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install -y chromium) to run the browser test")
    if lang == "zh":  # the session's `report RUN_DIR --screenshot` (exit 0, tests/report/conftest.py)
        run_dir = demo_screenshot
    else:
        run_dir = Path(shutil.copytree(demo_run, tmp_path / "run"))
        result = _report(run_dir, "--lang", lang, "--screenshot")
        assert result.exit_code == 0, result.output
    name = "report.html" if lang == "zh" else "report_en.html"
    shot = run_dir / name.replace(".html", "_screenshot.png")
    assert shot.is_file() and shot.stat().st_size > 10_000
    dom = dump_dom(run_dir / name, timeout=180)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-rendered="yes"' in body
    streets = re.search(r'<g id="streets"[^>]*data-points="(\d+)"[^>]*>(.*?)</g>', dom, re.S)
    assert streets and int(streets.group(1)) > 20_000
    assert len(re.findall(r"M-?\d+ -?\d+l", streets.group(2))) > 1000, "the street polylines are drawn"
    circles = re.search(r'<g id="circles"[^>]*>(.*?)</g></g>', dom, re.S).group(1)
    assert len(re.findall(r'<path [^>]*class="outline"', circles)) == 11
    assert len(re.findall(r'<text [^>]*class="cname"', circles)) == 11
    assert len(re.findall(r'<tspan class="proper" lang="zh">[^<]*生活圈</tspan>', circles)) == 11
    assert 'data-circle-outlines="11"' in body and 'data-circle-names="11"' in body
    unit = r"(?:m|km)" if lang == "en" else r"(?:米|公里)"
    scale = re.search(r'<g id="scalebar"[^>]*data-metres="(\d+)"[^>]*>.*?<text[^>]*>(\d+) ' + unit + "</text>", dom,
                      re.S)
    assert scale and int(scale.group(1)) in (500, 1000, 2000), "a round scale-bar length"
    north = re.search(r'<g id="north"[^>]*>.*?<text[^>]*>([^<]+)</text>', dom, re.S)
    assert north and north.group(1) == ("北" if lang == "zh" else "N")
    info = re.search(r'<div id="info">(.*?)</div>\s*</div>', dom, re.S).group(1)
    assert 'id="plan-summary"' in info, "the side panel shows the plan before anything is hovered"
    assert ("方案概要" if lang == "zh" else "The plan at a glance") in info
    assert ("改建点位" if lang == "zh" else "Sites converted") in info
    toggles = ('id="layer-streets"', 'id="layer-circles"')
    assert all(t in dom for t in toggles)
