"""The map as a planner opens it: QGIS styles for every layer of ``plan.gpkg``, stored in the GeoPackage.

Jiangbei's method starts from one service-element map (seed 004: "一图两账三单", "服务要素图").
QGIS applies a layer's default style when it finds one in the GeoPackage's ``layer_styles``
table (the table QGIS itself writes when a style is saved "in the database"), so
``plan.gpkg`` opens already drawn:

- ``circles``: life-circle outlines labelled with the circle's name;
- ``candidate_sites``: the idle asset ledger in grey, the chosen sites highlighted
  (column ``plan_status``: ``chosen`` / ``idle``);
- ``existing_facilities`` and ``plan_facilities``: one colour and symbol per function, as in
  the report (:data:`optimizer.map_style.FUNCTION_STYLES`): running facilities hollow,
  planned ones filled;
- ``plan_sites``: the converted sites, outlined and labelled with their names;
- ``demand_coverage``: each home by its status for one function (covered by a running
  facility, newly covered, unreached; the report's colours), one style per function, the
  first function's the default;
- any other layer: a plain grey symbol.

Categories are the values each layer holds, so the legend lists exactly what is on the
map. Labels and legend words are in Chinese (default) or English; Chinese labels ask for a
CJK font (:data:`LABEL_FONTS`; QGIS substitutes a CJK font where it is missing).

The table has QGIS's columns (``f_table_catalog``, ``f_table_schema``, ``f_table_name``,
``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``,
``description``, ``owner``, ``ui``, ``update_time``) and is registered in ``gpkg_contents``
as ``attributes``, as QGIS registers it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

from optimizer.i18n import function_label, pick
from optimizer.map_style import STATUS_COLOURS, function_styles
from optimizer.scenario import Scenario

log = logging.getLogger(__name__)

#: the QGIS version the styles are written as (a long-term release; later ones read it)
QGIS_VERSION = "3.28.0-Firenze"
#: label fonts: Microsoft YaHei is on every Chinese Windows; QGIS substitutes a CJK font elsewhere
LABEL_FONTS: dict[str, str] = {"zh": "Microsoft YaHei", "en": "Arial"}
#: grey of idle assets and of layers without a style of their own
GREY = "#9e9e9e"
#: colour of chosen sites and of plan site outlines
CHOSEN = "#d7191c"
#: the order of a demand unit's statuses in a legend
STATUS_ORDER = ("existing", "new", "unreached")
STATUS_LABELS: dict[str, dict[str, str]] = {
    "existing": {"zh": "现有设施已覆盖", "en": "covered by running facilities"},
    "new": {"zh": "规划新增覆盖", "en": "newly covered by the plan"},
    "unreached": {"zh": "仍未覆盖", "en": "still unreached"},
}
SITE_LABELS: dict[str, dict[str, str]] = {
    "chosen": {"zh": "选中改造的闲置资产", "en": "idle asset chosen for conversion"},
    "idle": {"zh": "闲置资产（未选）", "en": "idle asset (not chosen)"},
}
LAYER_TITLES: dict[str, dict[str, str]] = {
    "circles": {"zh": "生活圈范围", "en": "life circles"},
    "candidate_sites": {"zh": "闲置资产", "en": "idle assets"},
    "existing_facilities": {"zh": "现有设施", "en": "running facilities"},
    "plan_facilities": {"zh": "规划新增设施", "en": "planned facilities"},
    "plan_sites": {"zh": "改造点位", "en": "converted sites"},
    "demand_coverage": {"zh": "居民覆盖状态", "en": "residents' coverage"},
}
#: the SQL of QGIS's ``layer_styles`` table in a GeoPackage (the columns and types QGIS creates)
CREATE_TABLE = """CREATE TABLE IF NOT EXISTS "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


@dataclass(frozen=True)
class Symbol:
    """How one feature is drawn.

    Attributes
    ----------
    shape
        A QGIS marker name (``circle``, ``square``, ``diamond``, ``triangle``, ``star``) for
        points, ``fill`` for polygons.
    color
        Fill colour (``#rrggbb``); ``None``: not filled (hollow).
    outline
        Outline colour (``#rrggbb``).
    size
        Marker diameter in millimetres (points only).
    outline_width
        Outline width in millimetres.
    """

    shape: str
    color: str | None
    outline: str
    size: float = 2.0
    outline_width: float = 0.3

    def qml(self, name: str) -> str:
        """The ``<symbol>`` element named ``name``."""
        if self.shape == "fill":
            props = {"color": _rgba(self.color), "style": "solid" if self.color else "no",
                     "outline_color": _rgba(self.outline), "outline_style": "solid",
                     "outline_width": f"{self.outline_width:g}", "outline_width_unit": "MM", "joinstyle": "bevel"}
            kind, cls = "fill", "SimpleFill"
        else:
            props = {"angle": "0", "color": _rgba(self.color), "name": self.shape, "outline_color": _rgba(self.outline),
                     "outline_style": "solid", "outline_width": f"{self.outline_width:g}", "outline_width_unit": "MM",
                     "scale_method": "diameter", "size": f"{self.size:g}", "size_unit": "MM", "joinstyle": "bevel"}
            kind, cls = "marker", "SimpleMarker"
        options = "".join(f'<Option type="QString" name="{k}" value="{v}"/>' for k, v in props.items())
        legacy = "".join(f'<prop k="{k}" v="{v}"/>' for k, v in props.items())  # read by QGIS before 3.26
        return (f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
                f'<layer class="{cls}" enabled="1" locked="0" pass="0"><Option type="Map">{options}</Option>'
                f"{legacy}</layer></symbol>")


@dataclass(frozen=True)
class Category:
    """One value of a categorised layer: the value, its legend words and its symbol."""

    value: str
    label: str
    symbol: Symbol


@dataclass(frozen=True)
class LayerStyle:
    """One style of one layer, as a row of ``layer_styles``.

    Attributes
    ----------
    layer
        The layer (table) it styles.
    name
        ``styleName``.
    geometry
        ``point`` or ``polygon``.
    symbol
        The one symbol of a single-symbol style (``None`` when categorised).
    attribute
        The column a categorised style reads (``None`` for a single symbol).
    categories
        The categories, in legend order.
    label_field
        The column labelled on the map, or ``None``.
    font
        The label font family.
    description
        ``description``: what the style shows, in the chosen language.
    default
        ``useAsDefault``: the style QGIS applies when it opens the layer.
    """

    layer: str
    name: str
    geometry: str
    symbol: Symbol | None = None
    attribute: str | None = None
    categories: tuple[Category, ...] = ()
    label_field: str | None = None
    font: str = LABEL_FONTS["zh"]
    description: str = ""
    default: bool = True

    def qml(self) -> str:
        """The style as a QGIS QML document (symbology and labels)."""
        if self.attribute is not None:
            cats = "".join(f'<category type="string" render="true" symbol="{i}" value={quoteattr(c.value)} '
                           f"label={quoteattr(c.label)}/>" for i, c in enumerate(self.categories))
            symbols = "".join(c.symbol.qml(str(i)) for i, c in enumerate(self.categories))
            renderer = (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(self.attribute)} symbollevels="0" '
                        f'enableorderby="0" forceraster="0" referencescale="-1"><categories>{cats}</categories>'
                        f"<symbols>{symbols}</symbols></renderer-v2>")
        else:
            symbol = self.symbol or Symbol("fill" if self.geometry == "polygon" else "circle", GREY, "#616161")
            renderer = (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0" '
                        f'referencescale="-1"><symbols>{symbol.qml("0")}</symbols></renderer-v2>')
        return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling" '
                f'labelsEnabled="{int(self.label_field is not None)}">'
                f"{renderer}{self._labeling()}"
                f"<layerGeometryType>{2 if self.geometry == 'polygon' else 0}</layerGeometryType></qgis>\n")

    def _labeling(self) -> str:
        if self.label_field is None:
            return ""
        placement = 1 if self.geometry == "polygon" else 0  # over the centroid; around the point
        size = 11 if self.geometry == "polygon" else 8
        return ('<labeling type="simple"><settings calloutType="simple">'
                f'<text-style fieldName={quoteattr(self.label_field)} isExpression="0" '
                f'fontFamily={quoteattr(self.font)} fontSize="{size}" fontSizeUnit="Point" '
                'textColor="33,33,33,255" textOpacity="1" fontWeight="50" namedStyle="Regular" allowHtml="0">'
                '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
                'bufferOpacity="1" bufferNoFill="1" bufferJoinStyle="128"/></text-style>'
                f'<placement placement="{placement}" dist="1" distUnits="MM"/>'
                '<rendering drawLabels="1" obstacle="1" scaleVisibility="0" fontLimitPixelSize="0" '
                'upsidedownLabels="0" limitNumLabels="0" mergeLines="0"/></settings></labeling>')


def _rgba(colour: str | None) -> str:
    """``#rrggbb`` as QGIS's ``r,g,b,a``; ``None`` fully transparent."""
    if colour is None:
        return "255,255,255,0"
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},255"


# ----------------------------------------------------------------------------- one builder per layer
def circles_style(layer: pd.DataFrame, lang: str) -> LayerStyle:
    """Life-circle outlines (no fill) labelled with the circle's name (its id where no circle has a name)."""
    named = "name" in layer.columns and layer["name"].fillna("").astype(str).str.strip().ne("").any()
    return LayerStyle("circles", "circles", "polygon", symbol=Symbol("fill", None, "#37474f", outline_width=0.6),
                      label_field="name" if named else "circle_id", font=LABEL_FONTS[lang],
                      description=pick(lang, **LAYER_TITLES["circles"]))


def candidate_sites_style(layer: pd.DataFrame, lang: str) -> LayerStyle:
    """The idle asset ledger: grey idle assets, the chosen ones red and larger."""
    symbols = {"idle": Symbol("circle", GREY, "#757575", size=1.6, outline_width=0.1),
               "chosen": Symbol("circle", CHOSEN, "#000000", size=2.6, outline_width=0.3)}
    present = set(layer["plan_status"].dropna().astype(str)) if "plan_status" in layer.columns else set()
    cats = tuple(Category(v, pick(lang, **SITE_LABELS[v]), symbols[v]) for v in ("idle", "chosen") if v in present)
    return LayerStyle("candidate_sites", "candidate_sites", "point", attribute="plan_status", categories=cats,
                      font=LABEL_FONTS[lang], description=pick(lang, **LAYER_TITLES["candidate_sites"]))


def facilities_style(layer_name: str, layer: pd.DataFrame, scenario: Scenario, lang: str, planned: bool) -> LayerStyle:
    """Facilities by function, the report's colour and symbol per function: planned filled, running hollow."""
    order = list(scenario.functions)
    present = sorted(set(layer["function"].dropna().astype(str)),
                     key=lambda f: (order.index(f) if f in order else len(order), f))
    styles = function_styles(order + [f for f in present if f not in order])
    cats = []
    for f in present:
        colour, shape = styles[f]["colour"], styles[f]["symbol"]
        symbol = Symbol(shape, colour, "#000000", size=3.6, outline_width=0.3) if planned else \
            Symbol(shape, "#ffffff", colour, size=3.0, outline_width=0.7)
        label_zh = scenario.functions[f].label_zh if f in scenario.functions else ""
        cats.append(Category(f, function_label(f, lang, label_zh), symbol))
    return LayerStyle(layer_name, layer_name, "point", attribute="function", categories=tuple(cats),
                      font=LABEL_FONTS[lang], description=pick(lang, **LAYER_TITLES[layer_name]))


def plan_sites_style(layer: pd.DataFrame, lang: str) -> LayerStyle:
    """Converted sites: a large open square around the site's facilities, labelled with the site's name."""
    label = "site_name" if "site_name" in layer.columns and \
        layer["site_name"].fillna("").astype(str).str.strip().ne("").any() else "site_id"
    return LayerStyle("plan_sites", "plan_sites", "point", symbol=Symbol("square", None, CHOSEN, size=5.5,
                                                                          outline_width=0.5),
                      label_field=label, font=LABEL_FONTS[lang], description=pick(lang, **LAYER_TITLES["plan_sites"]))


def demand_styles(layer: pd.DataFrame, scenario: Scenario, lang: str) -> list[LayerStyle]:
    """One style per function's ``<function>_status`` column (the first function's the default)."""
    out = []
    columns = [c for c in layer.columns if c.endswith("_status")]
    for column in columns:
        f = column.removesuffix("_status")
        present = set(layer[column].dropna().astype(str))
        cats = tuple(Category(s, pick(lang, **STATUS_LABELS[s]), Symbol("circle", STATUS_COLOURS[s], STATUS_COLOURS[s],
                                                                         size=1.2, outline_width=0.0))
                     for s in STATUS_ORDER if s in present)
        label_zh = scenario.functions[f].label_zh if f in scenario.functions else ""
        name = function_label(f, lang, label_zh)
        out.append(LayerStyle("demand_coverage", column, "point", attribute=column, categories=cats,
                              font=LABEL_FONTS[lang], default=not out,
                              description=pick(lang, zh=f"居民覆盖状态：{name}", en=f"residents' coverage: {name}")))
    return out


def plan_styles(layers: dict[str, tuple[pd.DataFrame, str]], scenario: Scenario, lang: str) -> list[LayerStyle]:
    """Every style of ``plan.gpkg``, at least one default per layer.

    Parameters
    ----------
    layers
        Layer name -> (its attribute table, ``point`` or ``polygon``).
    scenario
        The scenario (functions and their names).
    lang
        ``zh`` or ``en``: legend words and label font.
    """
    out: list[LayerStyle] = []
    for name, (table, geometry) in layers.items():
        if name == "circles":
            out.append(circles_style(table, lang))
        elif name == "candidate_sites" and "plan_status" in table.columns:
            out.append(candidate_sites_style(table, lang))
        elif name in ("existing_facilities", "plan_facilities") and "function" in table.columns:
            out.append(facilities_style(name, table, scenario, lang, planned=name == "plan_facilities"))
        elif name == "plan_sites":
            out.append(plan_sites_style(table, lang))
        elif name == "demand_coverage" and any(c.endswith("_status") for c in table.columns):
            out.extend(demand_styles(table, scenario, lang))
        else:
            out.append(LayerStyle(name, name, geometry, font=LABEL_FONTS[lang], description=name))
    return out


# ----------------------------------------------------------------------------- the GeoPackage
def geometry_columns(gpkg: Path) -> dict[str, tuple[str, str]]:
    """Layer -> (its geometry column, ``point`` or ``polygon``), from ``gpkg_geometry_columns``."""
    with contextlib.closing(sqlite3.connect(gpkg)) as db, db:
        rows = db.execute("SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns").fetchall()
    return {str(t): (str(c), "polygon" if "POLYGON" in str(g).upper() else "point") for t, c, g in rows}


def write_layer_styles(gpkg: Path, styles: list[LayerStyle]) -> None:
    """Store ``styles`` in ``gpkg``'s ``layer_styles`` table, registered in ``gpkg_contents`` as attributes.

    Each layer's former styles of the same name are replaced; a layer's default style
    unsets any other default it had, as QGIS does when it saves a default.
    """
    geometry = geometry_columns(gpkg)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    with contextlib.closing(sqlite3.connect(gpkg)) as db, db:
        db.execute("PRAGMA synchronous = OFF")  # a file of a folder not yet visible (atomic_folder): no fsync
        db.execute(CREATE_TABLE)
        if not db.execute("SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone():
            db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                       "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)", (now,))
        for style in styles:
            column = geometry.get(style.layer, ("geom", style.geometry))[0]
            if style.default:
                db.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ? AND f_geometry_column = ?",
                           (style.layer, column))
            db.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND f_geometry_column = ? AND styleName = ?",
                       (style.layer, column, style.name))
            db.execute('INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, '
                       '"styleName", "styleQML", "styleSLD", "useAsDefault", description, owner, ui, update_time) '
                       "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, 'lifecircle', NULL, ?)",
                       (style.layer, column, style.name, style.qml(), int(style.default), style.description, now))
    log.debug("stored %d layer styles in %s", len(styles), gpkg)


def style_plan_gpkg(gpkg: Path, scenario: Scenario, lang: str,
                    tables: dict[str, pd.DataFrame] | None = None) -> list[LayerStyle]:
    """Give every layer of ``gpkg`` (a run's ``plan.gpkg``) its styles, built from the values it holds.

    ``tables``: the tables just written as layers, by layer name (their columns and values are
    what the layers hold); a layer not among them is read back from ``gpkg``.
    """
    geometry = geometry_columns(gpkg)
    layers = {}
    for name, (_, kind) in geometry.items():
        table = (tables or {}).get(name)
        if table is None:
            import pyogrio

            table = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)
        layers[name] = (table, kind)
    styles = plan_styles(layers, scenario, lang)
    write_layer_styles(gpkg, styles)
    return styles


def layer_title(layer: str, lang: str) -> str:
    """A layer's name for readers (the layer's own name when it has none)."""
    return pick(lang, **LAYER_TITLES[layer]) if layer in LAYER_TITLES else layer
