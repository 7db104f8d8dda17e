"""plan.gpkg opens in QGIS already drawn: every layer has a default style in ``layer_styles``.

Without QGIS, ``qml_map`` reads the styles back as QGIS does (table, geometry column,
``useAsDefault``), parses each QML and draws the layers with its colours and categories.
"""
from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import district
import geopandas as gpd
import matplotlib.image as mpimg
import numpy as np
import pyogrio
import pytest
import qml_map
import two_circles
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.map_style import FUNCTION_STYLES, STATUS_COLOURS
from optimizer.outputs.layer_styles import LABEL_FONTS
from optimizer.outputs.writers import write_run
from optimizer.pipeline import run_scenario
from optimizer.run_folder import read_run_folder

#: the columns of QGIS's layer_styles table, in its order
QGIS_COLUMNS = ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]


@pytest.fixture(scope="module")
def run():
    """The two-circle district with outlines, planned in full (20 M yuan)."""
    return run_scenario(two_circles.scenario(), inputs=district.inputs())


@pytest.fixture(scope="module")
def folder(run, tmp_path_factory):
    """The run written in Chinese (the default)."""
    return write_run(run, tmp_path_factory.mktemp("runs"))


def _hex(rgba: tuple[float, float, float, float]) -> str:
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgba[:3])


def test_the_geopackage_still_opens_and_lists_its_layers_and_the_style_table(folder):
    layers = dict(pyogrio.list_layers(folder / "plan.gpkg"))
    assert {"plan_sites", "plan_facilities", "demand_coverage", "candidate_sites", "existing_facilities",
            "circles"} <= set(layers)
    assert layers["layer_styles"] is None  # a table without geometry
    styles = pyogrio.read_dataframe(folder / "plan.gpkg", layer="layer_styles")
    assert len(styles) >= 6


def test_the_style_table_is_qgis_own_registered_as_attributes(folder):
    with sqlite3.connect(folder / "plan.gpkg") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(layer_styles)")]
        kind = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
    assert columns == QGIS_COLUMNS and kind == ("attributes",)


def test_every_layer_has_one_default_style_whose_categories_are_the_layers_values(folder):
    gpkg = folder / "plan.gpkg"
    styles = qml_map.default_styles(gpkg)
    spatial = {name for name, geometry in pyogrio.list_layers(gpkg) if geometry is not None}
    assert set(styles) == spatial
    for layer, rows in styles.items():
        assert sum(default for _, default, _ in rows) == 1, layer
        for name, _, qml in rows:
            style = qml_map.parse_qml(name, qml)
            if style.renderer == "categorizedSymbol":
                values = set(gpd.read_file(gpkg, layer=layer)[style.attribute].dropna().astype(str))
                assert set(style.categories) == values, (layer, name)
    # one style per function on the homes, the first function's the default
    demand = {name: default for name, default, _ in styles["demand_coverage"]}
    assert demand == {"canteen_status": True, "childcare_status": False, "elder_care_status": False,
                      "parking_status": False}


def test_the_colours_are_the_reports(folder):
    styles = {layer: qml_map.parse_qml(*next((n, q) for n, d, q in rows if d))
              for layer, rows in qml_map.default_styles(folder / "plan.gpkg").items()}
    planned = styles["plan_facilities"].categories
    assert {f: _hex(sym.fill) for f, (_, sym) in planned.items()} == {f: FUNCTION_STYLES[f][0] for f in planned}
    assert {f: sym.shape for f, (_, sym) in planned.items()} == {f: FUNCTION_STYLES[f][1] for f in planned}
    running = styles["existing_facilities"].categories
    assert _hex(running["elder_care"][1].outline) == FUNCTION_STYLES["elder_care"][0]  # hollow, outlined
    homes = styles["demand_coverage"].categories
    assert {s: _hex(sym.fill) for s, (_, sym) in homes.items()} == {s: STATUS_COLOURS[s] for s in homes}
    assert planned["canteen"][0] == "社区食堂" and homes["new"][0] == "规划新增覆盖"  # Chinese legend by default


def test_circles_are_outlines_labelled_with_their_names_in_a_cjk_font(folder):
    name, _, qml = next(r for r in qml_map.default_styles(folder / "plan.gpkg")["circles"] if r[1])
    style = qml_map.parse_qml(name, qml)
    assert style.symbol.kind == "fill" and style.symbol.fill[3] == 0  # no fill: the homes show through
    assert style.label_field == "name" and style.font == LABEL_FONTS["zh"]
    root = ET.fromstring(qml.split("\n", 1)[1])
    assert root.find("layerGeometryType").text == "2"


def test_candidate_sites_are_grey_and_the_chosen_ones_stand_out(folder):
    name, _, qml = next(r for r in qml_map.default_styles(folder / "plan.gpkg")["candidate_sites"] if r[1])
    cats = qml_map.parse_qml(name, qml).categories
    assert set(cats) == {"chosen"}  # both sites are chosen in this plan; no idle category without idle sites
    sites = gpd.read_file(folder / "plan.gpkg", layer="candidate_sites")
    assert (sites["plan_status"] == np.where(sites["chosen"], "chosen", "idle")).all()


def test_the_map_draws_from_the_stored_styles(folder, tmp_path):
    """The stand-in for QGIS draws every layer with the stored colours: the planned canteen's orange is there."""
    png = tmp_path / "plan_map.png"
    used = qml_map.render(folder / "plan.gpkg", png, "two circles")
    assert set(used) >= {"circles", "plan_facilities", "demand_coverage"}
    image = mpimg.imread(png)[..., :3]
    assert image.std() > 0.01
    orange = np.array([int(FUNCTION_STYLES["canteen"][0][i:i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(image - orange).sum(axis=2) < 0.05).sum() > 20


def test_english_runs_get_english_legends(run, tmp_path):
    folder = write_run(run, tmp_path, lang="en")
    name, _, qml = next(r for r in qml_map.default_styles(folder / "plan.gpkg")["plan_facilities"] if r[1])
    assert qml_map.parse_qml(name, qml).categories["canteen"][0] == "community canteen"


def test_the_run_folder_reader_and_the_report_still_read_the_run(folder, tmp_path):
    read = read_run_folder(folder, for_report=True)
    assert read.demand is not None and len(read.demand) == 4
    result = CliRunner().invoke(main, ["report", str(folder), "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "report.html").is_file()
