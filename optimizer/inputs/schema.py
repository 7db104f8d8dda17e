"""The canonical columns of each input table, as the engine uses them.

Files may name columns differently; a scenario maps them (``columns:``). After reading,
every table carries exactly these names. See docs/inputs.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Site kinds whose space is converted (fitted out) for a function: the kinds of the idle
#: asset ledger (model.md, "Entities"), and every eligibility rule's default.
CONVERSION_KINDS = ("building", "plot", "existing_host")

#: The kind of a garage of an office, mall, hospital or agency whose spaces residents may
#: use off-hours (错时共享停车, seed 003); it joins the sites from ``inputs.shared_garages``.
SHARED_GARAGE = "shared_garage"

#: Every site kind the model knows.
SITE_KINDS = (*CONVERSION_KINDS, SHARED_GARAGE)

#: Values of a site's ``forced`` column: must be used, must not be used, free.
FORCED_VALUES = ("in", "out", "")

#: Cohort columns the default functions use. Any other numeric demand column may be
#: named as a cohort by a scenario's function.
DEFAULT_COHORTS = ("total", "elderly", "infants", "households", "cars")

#: Demand columns that count some of a unit's residents, so never more than its ``total``:
#: people aged 60+, children under 3, children aged 6-12 (四点半课堂).
RESIDENT_SUBGROUPS = ("elderly", "infants", "school_age")

#: The cohort a function names when no census cohort fits: its people are the residents
#: who asked for it in the market-demand ledger (``inputs.requests``) only. Not a demand column.
REQUESTS_COHORT = "requests"


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its type, whether it is required, and its meaning."""

    name: str
    dtype: str  # "id", "text", "number", "integer", "bool"
    required: bool
    meaning: str
    nonnegative: bool = False
    default: object = None
    #: Allowed values of a text column (compared lower-cased, stripped); ``None``: any.
    choices: tuple[str, ...] | None = None


DEMAND_COLUMNS = (
    ColumnSpec("unit_id", "id", True, "unique id of the demand unit (building, block or grid cell)"),
    ColumnSpec("total", "number", True, "all residents", nonnegative=True),
    ColumnSpec("elderly", "number", False, "residents aged 60+", nonnegative=True),
    ColumnSpec("infants", "number", False, "children under 3 (0-2 full years, whom 托育 serves)", nonnegative=True),
    ColumnSpec("households", "number", False, "households", nonnegative=True),
    ColumnSpec("cars", "number", False, "cars, or parking spaces demanded", nonnegative=True),
    ColumnSpec("circle_id", "text", False, "15-minute life circle (生活圈) id", default=""),
    ColumnSpec("district", "text", False, "district (区)", default=""),
    ColumnSpec("subdistrict", "text", False, "sub-district (街道)", default=""),
    ColumnSpec("community", "text", False, "community (社区)", default=""),
)

#: Kinds of life circle named by the city (seed 000: 居住型、产业型、商服型、其他型及乡村).
CIRCLE_TYPES = ("居住型", "产业型", "商服型", "其他型", "乡村")

CIRCLE_COLUMNS = (
    ColumnSpec("circle_id", "id", True, "15-minute life circle (生活圈) id, as in the demand's circle_id"),
    ColumnSpec("name", "text", False, "circle name", default=""),
    ColumnSpec("type", "text", False, "circle type: 居住型, 产业型, 商服型, 其他型 or 乡村 (or a scenario's own)",
               default=""),
    ColumnSpec("subdistrict", "text", False, "sub-district (街道) the circle lies in", default=""),
    ColumnSpec("target_year", "integer", False, "year the circle is to reach its standard (e.g. 2025, 2027)"),
)

SITE_COLUMNS = (
    ColumnSpec("site_id", "id", True, "unique id of the candidate asset"),
    ColumnSpec("kind", "text", True, "building | plot | existing_host (shared garages: ``inputs.shared_garages``)",
               choices=CONVERSION_KINDS),
    ColumnSpec("area_m2", "number", False,
               "usable area: spare floor area (building, existing_host) or land area (plot); "
               "for polygons of plots it defaults to the polygon's area", nonnegative=True),
    ColumnSpec("name", "text", False, "asset name", default=""),
    ColumnSpec("address", "text", False, "street address", default=""),
    ColumnSpec("floors", "integer", False, "storeys of the building", nonnegative=True),
    ColumnSpec("lowest_floor", "integer", False,
               "storey of the usable space: 1 = ground, 0 or below = basement", default=1),
    ColumnSpec("parking_allowed", "bool", False, "structure may take parking", default=False),
    ColumnSpec("allowed_functions", "text", False,
               "functions this asset may take, separated by ',' or ';' (blank: any eligible)", default=""),
    ColumnSpec("forced", "text", False, "'in' (must be used) or 'out' (must not be used)", default="",
               choices=FORCED_VALUES),
    ColumnSpec("fixed_cost", "number", False, "one-off site conversion cost, overrides the kind default",
               nonnegative=True),
    ColumnSpec("cost_per_m2", "number", False, "fit-out cost per m2, overrides the functions'",
               nonnegative=True),
    ColumnSpec("available_from", "integer", False, "first year the asset can be used"),
    ColumnSpec("owner", "text", False, "owner (sites of the owners in ``money.rent.free_owners`` pay no rent)",
               default=""),
    ColumnSpec("rent_per_m2_year", "number", False,
               "yearly rent per m2 of area used, overrides ``money.rent.per_m2_year`` (0: rent-free)",
               nonnegative=True),
    ColumnSpec("circle_id", "text", False, "life circle id", default=""),
    ColumnSpec("district", "text", False, "district", default=""),
    ColumnSpec("places", "integer", False, "parking spaces a shared garage offers (filled from its ledger)",
               nonnegative=True),
    ColumnSpec("hours", "text", False, "off-hours a shared garage is open to residents, e.g. '19:00-08:00'",
               default=""),
)

#: Garages of offices, malls, hospitals and agencies offered to residents off-hours
#: (错时共享停车, seed 003); they join the sites as kind ``shared_garage``.
SHARED_GARAGE_COLUMNS = (
    ColumnSpec("garage_id", "id", True, "unique id of the garage (not a site id)"),
    ColumnSpec("name", "text", False, "garage name", default=""),
    ColumnSpec("owner", "text", False, "owner, e.g. 写字楼, 商场, 医院, 机关", default=""),
    ColumnSpec("places", "integer", True, "parking spaces offered to residents (> 0)"),
    ColumnSpec("hours", "text", True, "off-hours residents may park, e.g. '19:00-08:00' or "
               "'18:00-23:00;00:00-08:00' (may wrap midnight)"),
    ColumnSpec("lease_per_space_year", "number", False, "yearly lease per space offered, yuan", nonnegative=True),
    ColumnSpec("fixed_cost", "number", False, "one-off cost (gates, signs, booking access), yuan; overrides "
               "``site_kinds.shared_garage.fixed_cost``", nonnegative=True),
    ColumnSpec("circle_id", "text", False, "life circle id", default=""),
    ColumnSpec("district", "text", False, "district", default=""),
)

FACILITY_COLUMNS = (
    ColumnSpec("facility_id", "id", True, "unique id of the running facility"),
    ColumnSpec("function", "text", True, "function it provides (canteen, childcare, ...)"),
    ColumnSpec("capacity", "number", False, "capacity in the function's units (seats, places, spaces)",
               nonnegative=True),
    ColumnSpec("name", "text", False, "facility name", default=""),
)

NETWORK_COLUMNS = (
    ColumnSpec("highway", "text", False, "OSM highway tag; 'steps' marks stairs", default=""),
    ColumnSpec("steps", "bool", False, "edge is a flight of stairs", default=False),
    ColumnSpec("length_m", "number", False, "edge length; computed from the geometry when absent",
               nonnegative=True),
    ColumnSpec("oneway_foot", "bool", False, "pedestrians may walk the edge only in its drawn direction "
               "(not a one-way street for cars: pedestrians walk those both ways)", default=False),
)

#: The market-demand ledger (市场需求一本账, seed 004: "一图两账三单"): residents' requests
#: gathered "通过'渝快办'、社区微信群、网格员走访、开坝坝会" (seed 000). A plain table.
REQUEST_COLUMNS = (
    ColumnSpec("request_id", "id", True, "unique id of the request (a line of the ledger)"),
    ColumnSpec("community", "text", False, "community (社区) asking, as in the demand's community", default=""),
    ColumnSpec("circle_id", "text", False, "life circle asking, as in the demand's circle_id", default=""),
    ColumnSpec("service", "text", True, "the function asked for (a function of the scenario)"),
    ColumnSpec("count", "integer", True, "residents asking (a whole number, 1 or more)"),
    ColumnSpec("channel", "text", False, "how it was gathered (渝快办, 社区微信群, 网格员走访, 坝坝会, 12345, ...)",
               default=""),
    ColumnSpec("date", "text", False, "date of the request, YYYY-MM-DD", default=""),
)

OD_COLUMNS = (
    ColumnSpec("unit_id", "id", True, "demand unit id"),
    ColumnSpec("site_id", "id", True, "site or facility id"),
    ColumnSpec("minutes", "number", False, "walking minutes (give minutes or metres)", nonnegative=True),
    ColumnSpec("metres", "number", False, "walking metres (give minutes or metres)", nonnegative=True),
)


#: The input tables, by role, and their canonical columns.
ROLE_COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "demand": DEMAND_COLUMNS,
    "sites": SITE_COLUMNS,
    "facilities": FACILITY_COLUMNS,
    "network": NETWORK_COLUMNS,
    "od_table": OD_COLUMNS,
    "circles": CIRCLE_COLUMNS,
    "shared_garages": SHARED_GARAGE_COLUMNS,
    "requests": REQUEST_COLUMNS,
}

#: Geometry types each role accepts (``()``: a plain table without geometry).
ROLE_GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "demand": ("Point", "Polygon", "MultiPolygon"),
    "sites": ("Point", "Polygon", "MultiPolygon"),
    "facilities": ("Point", "Polygon", "MultiPolygon"),
    "network": ("LineString", "MultiLineString"),
    "od_table": (),
    "circles": ("Polygon", "MultiPolygon"),
    "shared_garages": ("Point", "Polygon", "MultiPolygon"),
    "requests": (),
}


@dataclass(frozen=True)
class LayerSpec:
    """Where one input table is and how to read it.

    Parameters
    ----------
    path
        File path (GeoPackage, GeoJSON, Shapefile, CSV or XLSX; for the network also
        an OpenStreetMap ``.osm.pbf``/``.osm``/``.osm.bz2``; for the elevation a
        GeoTIFF), absolute after resolution against the scenario file's folder.
    layer
        Layer (GeoPackage) or sheet (XLSX); ``None`` for the first.
    columns
        Canonical column name -> column name in the file, for columns named differently.
    x, y
        Coordinate columns for CSV/XLSX (default: ``lon``/``lat``, else ``x``/``y``).
    crs
        CRS of the coordinates for CSV/XLSX, or for a file that lacks one
        (e.g. ``EPSG:4326``). A file's own CRS wins when both exist and differ: that
        is reported as a problem.
    """

    path: Path
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    x: str | None = None
    y: str | None = None
    crs: str | None = None


@dataclass(frozen=True)
class InputsSpec:
    """All input tables of a scenario.

    Parameters
    ----------
    demand, sites
        Demand units and candidate sites (the idle asset ledger); required.
    facilities
        Running facilities; optional.
    network
        Street/footpath edges (LineStrings, Z = elevation in metres when known), or an
        OpenStreetMap file whose walkable ways are read (:mod:`optimizer.inputs.osm`);
        optional.
    od_table
        A bring-your-own table of walking minutes or metres; optional.
    elevation
        A digital elevation model (GeoTIFF, metres) sampled at network nodes for slope;
        optional. Where given it replaces the edges' own Z values.
    circles
        The life circles (生活圈) as polygons with their type and target year; optional.
        Every demand unit's ``circle_id`` must name one of them.
    shared_garages
        Garages offered to residents off-hours (错时共享停车); optional. They join the
        sites as kind ``shared_garage`` (:mod:`optimizer.rules.shared_parking`).
    requests
        The market-demand ledger (市场需求一本账): residents' requests by community or
        circle and function (CSV or XLSX, no geometry); optional.
    crs
        Analysis CRS (metric). ``None``: the local UTM zone of the demand's centre.
    """

    demand: LayerSpec
    sites: LayerSpec
    facilities: LayerSpec | None = None
    network: LayerSpec | None = None
    od_table: LayerSpec | None = None
    elevation: LayerSpec | None = None
    circles: LayerSpec | None = None
    shared_garages: LayerSpec | None = None
    crs: str | None = None
    requests: LayerSpec | None = None
