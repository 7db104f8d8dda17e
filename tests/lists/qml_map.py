"""A stand-in for QGIS: read a GeoPackage's ``layer_styles`` back, parse each default QML, draw the layers.

No QGIS here, so the tests open ``plan.gpkg`` the way QGIS does as far as styles go: the
default style of a layer is the ``layer_styles`` row with its table and geometry column and
``useAsDefault`` set; its QML names a renderer (``singleSymbol`` or ``categorizedSymbol``
with its attribute and categories), symbols (marker shape, fill and outline colours, size)
and labels (the field). Each layer is drawn with matplotlib from exactly those.
"""
from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from optimizer.outputs.fonts import cjk_font  # noqa: E402

#: QGIS marker names -> matplotlib markers
MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*"}
#: the order layers are drawn in, bottom first (QGIS: the order they are added in)
DRAW_ORDER = ("circles", "demand_coverage", "candidate_sites", "existing_facilities", "plan_facilities", "plan_sites")


@dataclass
class Sym:
    """A symbol as the QML states it."""

    kind: str
    shape: str
    fill: tuple[float, float, float, float]
    outline: tuple[float, float, float, float]
    size_mm: float
    outline_mm: float


@dataclass
class Style:
    """A parsed default style."""

    name: str
    renderer: str
    attribute: str | None
    categories: dict[str, tuple[str, Sym]] = field(default_factory=dict)  # value -> (label, symbol)
    symbol: Sym | None = None
    label_field: str | None = None
    font: str | None = None


def default_styles(gpkg: Path) -> dict[str, list[tuple[str, bool, str]]]:
    """Every style in ``gpkg``: layer -> [(styleName, useAsDefault, styleQML)], matched on the geometry column."""
    with sqlite3.connect(gpkg) as db:
        geometry = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        rows = db.execute('SELECT f_table_name, f_geometry_column, "styleName", "useAsDefault", "styleQML" '
                          "FROM layer_styles WHERE f_table_schema = ''").fetchall()
    out: dict[str, list[tuple[str, bool, str]]] = {}
    for table, column, name, default, qml in rows:
        if geometry.get(table) == column:
            out.setdefault(table, []).append((name, bool(default), qml))
    return out


def _rgba(text: str) -> tuple[float, float, float, float]:
    r, g, b, a = (int(v) for v in text.split(","))
    return r / 255, g / 255, b / 255, a / 255


def _symbol(element: ET.Element) -> Sym:
    layer = element.find("layer")
    props = {o.get("name"): o.get("value") for o in layer.find("Option").findall("Option")}
    return Sym(kind=element.get("type"), shape=props.get("name", "fill"), fill=_rgba(props["color"]),
               outline=_rgba(props["outline_color"]), size_mm=float(props.get("size", 0) or 0),
               outline_mm=float(props.get("outline_width", 0) or 0))


def parse_qml(name: str, qml: str) -> Style:
    """The renderer, categories, symbols and label field of a QML document."""
    root = ET.fromstring(qml.split("\n", 1)[1] if qml.startswith("<!DOCTYPE") else qml)
    assert root.tag == "qgis"
    renderer = root.find("renderer-v2")
    symbols = {s.get("name"): _symbol(s) for s in renderer.find("symbols").findall("symbol")}
    style = Style(name, renderer.get("type"), renderer.get("attr"))
    if style.renderer == "categorizedSymbol":
        for cat in renderer.find("categories").findall("category"):
            style.categories[cat.get("value")] = (cat.get("label"), symbols[cat.get("symbol")])
    else:
        style.symbol = symbols["0"]
    text = root.find("labeling/settings/text-style")
    if root.get("labelsEnabled") == "1" and text is not None:
        style.label_field, style.font = text.get("fieldName"), text.get("fontFamily")
    return style


def _scatter(ax, gdf: gpd.GeoDataFrame, sym: Sym, label: str | None) -> None:
    size_pt = sym.size_mm * 72 / 25.4
    face = sym.fill if sym.fill[3] > 0 else "none"
    ax.scatter(gdf.geometry.x, gdf.geometry.y, s=size_pt ** 2, marker=MARKERS.get(sym.shape, "o"), facecolors=face,
               edgecolors=[sym.outline] if sym.outline_mm > 0 else "none",
               linewidths=sym.outline_mm * 72 / 25.4, label=label)


def _draw(ax, gdf: gpd.GeoDataFrame, sym: Sym, label: str | None) -> None:
    if sym.kind == "fill":
        gdf.plot(ax=ax, facecolor=sym.fill if sym.fill[3] > 0 else "none", edgecolor=sym.outline,
                 linewidth=sym.outline_mm * 72 / 25.4)
    else:
        _scatter(ax, gdf, sym, label)


def render(gpkg: Path, out: Path, title: str = "") -> dict[str, Style]:
    """Draw every layer of ``gpkg`` with its default style; save ``out`` (PNG); return the styles used."""
    styles: dict[str, Style] = {}
    for layer, rows in default_styles(gpkg).items():
        name, _, qml = next(r for r in rows if r[1])
        styles[layer] = parse_qml(name, qml)
    font = cjk_font()
    fig, ax = plt.subplots(figsize=(11, 9), dpi=110)
    layers = [n for n in DRAW_ORDER if n in styles] + sorted(set(styles) - set(DRAW_ORDER))
    for layer in layers:
        style = styles[layer]
        gdf = gpd.read_file(gpkg, layer=layer, engine="pyogrio")
        if style.renderer == "categorizedSymbol":
            values = gdf[style.attribute].astype(str)
            for value, (label, sym) in style.categories.items():
                part = gdf[values == value]
                if len(part):
                    _draw(ax, part, sym, f"{layer}: {label}")
        else:
            _draw(ax, gdf, style.symbol, None)
        if style.label_field:
            points = gdf.geometry.representative_point()
            for p, text in zip(points, gdf[style.label_field].astype(str), strict=True):
                ax.annotate(text, (p.x, p.y), fontsize=8 if style.symbol and style.symbol.kind == "fill" else 6,
                            ha="center", fontfamily=font or "sans-serif")
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.legend(loc="lower left", markerscale=0.8, prop={"family": font, "size": 7} if font else {"size": 7})
    if title:
        ax.set_title(title, fontfamily=font or "sans-serif")
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return styles
