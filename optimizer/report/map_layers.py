"""The map's base layers, prepared for drawing: the streets and the life circles' outlines with names.

Both the page's SVG map and ``report_map.png`` draw them under the plan. Coordinates are in
the map's frame (:func:`optimizer.report.gather.map_data`): whole metres east of the west edge
and south of the north edge of the drawn extent.

Streets are the walk network the run named (``run.json`` → scenario.resolved.inputs.network),
read from where it was when the run was solved. The run folder keeps no copy: the network is
an input, recorded by its path and hash like the demand, and a simplified copy of a city's
network (megabytes) in every run of a batch would be the bulk of each folder. When the file
is gone, or the run measured reach in straight lines without a network, the map has no streets
and a note says why; the report is never refused for it. The circle layer is small and the run
keeps it (``plan.gpkg`` layer ``circles``), so outlines of an old run are still drawn; without
one they are derived from the demand units' circle ids and a note says so.

A polyline or ring is sent as one flat list of whole metres: the first point, then each
following point as its step from the one before (``[x0, y0, dx1, dy1, ...]``), which the page
draws as an SVG path ``M x0 y0 l dx1 dy1 ...``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPoint

from optimizer.i18n import pick
from optimizer.rules.existing import NO_CIRCLE

log = logging.getLogger(__name__)

#: Width of the page's map at full extent, in pixels: a street shorter than one pixel is left out.
FULL_EXTENT_PIXELS = 1000
#: How far (m) a street may stray from its true line after simplifying.
STREET_TOLERANCE_M = 2.0
#: How far (m) an outline may stray from the circle's boundary after simplifying.
OUTLINE_TOLERANCE_M = 3.0
#: How much (m) an outline derived from a circle's demand units is widened beyond them.
DERIVED_MARGIN_M = 60.0


@dataclass(frozen=True)
class Frame:
    """The map's frame: the projected CRS and the west (``x0``) and north (``y1``) edges, in metres."""

    crs: pyproj.CRS
    x0: float
    y1: float
    width: float
    height: float

    def to_map(self, xy: np.ndarray) -> np.ndarray:
        """Projected points (n x 2) in the map's frame (x east of the west edge, y south of the north edge)."""
        return np.column_stack([xy[:, 0] - self.x0, self.y1 - xy[:, 1]])


@dataclass
class BaseLayers:
    """What :func:`base_layers` prepared: streets, circle outlines and the notes saying where they came from."""

    streets: list[list[int]] = field(default_factory=list)
    street_points: int = 0
    circles: list[dict] = field(default_factory=list)
    circles_source: str = "none"
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- geometry, pure
def step_coded(coords: np.ndarray) -> list[int]:
    """A line's points (n x 2, metres) as ``[x0, y0, dx1, dy1, ...]`` in whole metres, repeated points dropped.

    Parameters
    ----------
    coords
        The points in the map's frame.

    Returns
    -------
    list of int
        The first point and each step from the point before; empty when fewer than two
        distinct points are left after rounding.
    """
    pts = np.rint(np.asarray(coords, dtype=float)[:, :2]).astype(np.int64)
    if len(pts) < 2:
        return []
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
    pts = pts[keep]
    if len(pts) < 2:
        return []
    steps = np.vstack([pts[:1], np.diff(pts, axis=0)])
    return steps.ravel().tolist()


def decode_steps(flat: list[int]) -> np.ndarray:
    """The points (n x 2) of a :func:`step_coded` list."""
    return np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)


def chain_edges(edges: list[np.ndarray]) -> list[np.ndarray]:
    """Edges (each an array of points, n x 2, whole metres) joined end to end into as few polylines as a walk finds.

    A street network's edges mostly meet three or four at a crossing, where a merge of
    degree-2 chains stops; here a polyline goes on through a crossing along any edge not yet
    drawn, so each edge is drawn once and most polylines are long. Walks start at dead ends
    and odd crossings first, which leaves fewest pieces.

    Parameters
    ----------
    edges
        The edges' points, rounded to whole metres.

    Returns
    -------
    list of numpy.ndarray
        The polylines' points; together they hold every edge once.
    """
    node_of: dict[tuple[int, int], int] = {}
    ends = []
    for e in edges:
        a = node_of.setdefault((int(e[0, 0]), int(e[0, 1])), len(node_of))
        b = node_of.setdefault((int(e[-1, 0]), int(e[-1, 1])), len(node_of))
        ends.append((a, b))
    around: list[list[int]] = [[] for _ in range(len(node_of))]
    for i, (a, b) in enumerate(ends):
        around[a].append(i)
        around[b].append(i)
    used = np.zeros(len(edges), dtype=bool)
    order = sorted(range(len(node_of)), key=lambda n: (len(around[n]) % 2 == 0, len(around[n])))
    out = []
    for start in order:
        while around[start]:
            node, pieces = start, []
            while around[node]:
                i = around[node].pop()
                if used[i]:
                    continue
                used[i] = True
                a, b = ends[i]
                pts = edges[i] if a == node else edges[i][::-1]
                pieces.append(pts if not pieces else pts[1:])
                node = b if a == node else a
            if pieces:
                out.append(np.vstack(pieces))
    return out


def street_polylines(lines, frame: Frame) -> list[list[int]]:
    """Street edges (projected, metres) joined into polylines, simplified and clipped to the map.

    Parameters
    ----------
    lines
        Shapely line strings in the frame's CRS (2D or 3D).
    frame
        The map's frame; streets outside it are cut off.

    Returns
    -------
    list of list of int
        One :func:`step_coded` list per polyline (:func:`chain_edges`, then simplified by
        :data:`STREET_TOLERANCE_M`); polylines shorter than one pixel of the map at full extent
        (``width / FULL_EXTENT_PIXELS``) are left out.
    """
    geoms = shapely.force_2d(np.asarray(list(lines), dtype=object))
    geoms = geoms[~shapely.is_empty(geoms)]
    if not len(geoms):
        return []
    clipped = shapely.clip_by_rect(geoms, frame.x0, frame.y1 - frame.height, frame.x0 + frame.width, frame.y1)
    parts = shapely.get_parts(clipped[~shapely.is_empty(clipped)])
    parts = parts[shapely.get_type_id(parts) == 1]  # line strings (a clip may leave points)
    if not len(parts):
        return []
    coords, index = shapely.get_coordinates(parts, return_index=True)
    coords = np.rint(frame.to_map(coords)).astype(np.int64)
    edges = [e for e in np.split(coords, np.flatnonzero(np.diff(index)) + 1) if len(e) >= 2]
    chained = shapely.simplify(np.array([shapely.LineString(c) for c in chain_edges(edges)], dtype=object),
                               STREET_TOLERANCE_M)
    shortest = frame.width / FULL_EXTENT_PIXELS
    out = []
    for line in chained:
        if line.length >= shortest:
            flat = step_coded(shapely.get_coordinates(line))
            if flat:
                out.append(flat)
    return out


def _outline_item(cid: str, name: str, geom, frame: Frame) -> dict | None:
    """One circle's outline rings (step coded) and where its name goes."""
    geom = shapely.simplify(shapely.make_valid(geom), OUTLINE_TOLERANCE_M)
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    rings = []
    for p in polys:
        for ring in [p.exterior, *p.interiors]:
            flat = step_coded(frame.to_map(shapely.get_coordinates(ring)))
            if len(flat) >= 6:
                rings.append(flat)
    if not rings:
        return None
    biggest = max(polys, key=lambda p: p.area)
    centre = biggest.centroid
    spot = centre if biggest.contains(centre) else biggest.representative_point()
    lx, ly = frame.to_map(np.array([[spot.x, spot.y]]))[0]
    return {"id": cid, "name": name, "rings": rings, "x": int(round(lx)), "y": int(round(ly))}


def outlines_from_layer(ids, names, geoms, frame: Frame) -> list[dict]:
    """Circle outlines from a circle layer's polygons (projected, metres).

    Parameters
    ----------
    ids, names
        Each circle's id and name (the name may be empty).
    geoms
        Each circle's polygon or multipolygon in the frame's CRS.
    frame
        The map's frame.

    Returns
    -------
    list of dict
        ``id``, ``name``, ``rings`` (step coded, closed), ``x``, ``y`` (where the name goes).
    """
    out = []
    for cid, name, geom in zip(ids, names, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        item = _outline_item(str(cid), str(name or ""), geom, frame)
        if item:
            out.append(item)
    return out


def derived_outlines(circle_ids, xy: np.ndarray, frame: Frame, margin: float = DERIVED_MARGIN_M) -> list[dict]:
    """Circle outlines derived from the demand units: a concave hull of each circle's units, widened by ``margin``.

    Parameters
    ----------
    circle_ids
        Each demand unit's circle id (empty or the no-circle mark: left out).
    xy
        The units' projected points (n x 2, metres).
    frame
        The map's frame.
    margin
        Metres the hull is widened by, so the units on its edge lie inside.

    Returns
    -------
    list of dict
        As :func:`outlines_from_layer`; the name is empty (units carry no circle names).
    """
    ids = np.asarray([str(c) for c in circle_ids], dtype=object)
    xy = np.asarray(xy, dtype=float)
    out = []
    for cid in sorted(set(ids) - {"", NO_CIRCLE, "nan", "None"}):
        pts = xy[ids == cid]
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        if not len(pts):
            continue
        hull = shapely.concave_hull(MultiPoint(pts), ratio=0.3) if len(pts) >= 3 else MultiPoint(pts)
        item = _outline_item(cid, "", hull.buffer(margin), frame)
        if item:
            out.append(item)
    return out


# ----------------------------------------------------------------------------- reading, at the edge
def _input(record: dict, role: str) -> tuple[Path | None, str | None]:
    resolved = ((record.get("scenario") or {}).get("resolved") or {})
    spec = (resolved.get("inputs") or {}).get(role) if isinstance(resolved, dict) else None
    if isinstance(spec, str):
        return Path(spec), None
    if isinstance(spec, dict) and spec.get("path"):
        return Path(spec["path"]), spec.get("layer")
    return None, None


@lru_cache(maxsize=2)
def _network_polylines(path: str, layer: str | None, mtime: float, crs_wkt: str, x0: float, y1: float,
                       width: float, height: float) -> list[list[int]]:
    """The network layer as :func:`street_polylines` in that frame, cached: the page and the PNG both draw
    them, and joining and simplifying the edges is most of a map's work (read-only: callers never change it)."""
    frame = Frame(pyproj.CRS.from_wkt(crs_wkt), x0, y1, width, height)
    return street_polylines(_network_lines(path, layer, crs_wkt), frame)


def _network_lines(path: str, layer: str | None, crs_wkt: str) -> np.ndarray:
    """The network layer's lines in the map's CRS."""
    import pyogrio

    df = pyogrio.read_dataframe(path, layer=layer, columns=[])
    if df.crs is None:
        raise ValueError("the network layer has no coordinate reference system")
    return df.geometry.to_crs(pyproj.CRS.from_wkt(crs_wkt)).to_numpy()


def _say(lang: str, key: str, **kw) -> str:
    """The note ``key`` in ``lang``; a file name or a reader's message between backticks (the page shows it as code)."""
    zh, en = NOTES[key]
    kw = {k: f"`{v}`" if k in ("file", "why") else v for k, v in kw.items()}
    return pick(lang, zh=zh, en=en).format(**kw)


#: The notes under the map (Chinese, English), saying where its streets and outlines came from.
NOTES = {
    "streets": ("街巷：运行所用的步行路网 {file}（合并、简化为 {n} 条线）。",
                "Streets: the run's walk network {file} (merged and simplified to {n} lines)."),
    "streets_gone": ("未绘制街巷：运行所用的步行路网 {file} 已不在原处（运行文件夹不另存路网）。",
                     "No streets drawn: the run's walk network {file} is no longer where it was "
                     "(a run folder keeps no copy of the network)."),
    "streets_unreadable": ("未绘制街巷：步行路网 {file} 无法读取（{why}）。",
                           "No streets drawn: the walk network {file} cannot be read ({why})."),
    "streets_changed": ("注意：步行路网 {file} 在本次运行之后已被修改，所绘街巷为现在的文件。",
                        "Note: the walk network {file} has changed since the run; the streets drawn are "
                        "the file as it is now."),
    "streets_none": ("未绘制街巷：本次运行按直线距离计算可达，没有步行路网。",
                     "No streets drawn: this run measured reach in straight lines and has no walk network."),
    "circles_layer": ("生活圈边界与名称：来自生活圈图层 {file}（{n} 个）。",
                      "Life-circle outlines and names: from the circle layer {file} ({n} circles)."),
    "circles_derived": ("生活圈边界：本次运行没有生活圈图层，边界由各生活圈的需求单元推算"
                        "（凹包外扩 {m:.0f} 米，共 {n} 个），并非正式划定的边界。",
                        "Life-circle outlines: the run has no circle layer; each is derived from the circle's "
                        "demand units (a concave hull widened by {m:.0f} m; {n} circles), not an official boundary."),
    "circles_none": ("未绘制生活圈边界：需求单元没有生活圈编号。",
                     "No life-circle outlines: the demand units carry no circle ids."),
}

#: Words of the map's script for the base layers, the scale bar, the north arrow and the plan summary.
MAP_WORDS = {
    "streets": ("街巷", "Streets"),
    "circle_outlines": ("生活圈边界", "Life-circle outlines"),
    "north": ("北", "N"),
    "summary": ("方案概要", "The plan at a glance"),
    "summary_hint": ("悬停或点击新增设施查看其详情；清除高亮后回到概要。",
                     "Hover over or click a new facility for its details; clearing the highlight returns here."),
    "km": ("公里", "km"),
    "m": ("米", "m"),
}


def map_words(lang: str) -> dict[str, str]:
    """The words of :data:`MAP_WORDS` in ``lang``."""
    return {k: pick(lang, zh=zh, en=en) for k, (zh, en) in MAP_WORDS.items()}


def _file_hash(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def streets(record: dict, frame: Frame, lang: str) -> tuple[list[list[int]], list[str]]:
    """The run's walk network as street polylines in the map's frame, and a note on where they came from.

    Parameters
    ----------
    record
        The run's ``run.json``.
    frame
        The map's frame.
    lang
        The notes' language.

    Returns
    -------
    tuple
        The polylines (:func:`street_polylines`; empty when there is no network to draw) and
        the notes. Never raises for a missing or unreadable network: the map goes without.
    """
    path, layer = _input(record, "network")
    if path is None:
        return [], [_say(lang, "streets_none")]
    if not path.is_file():
        log.warning("the run's walk network %s is gone: the report's map has no streets", path)
        return [], [_say(lang, "streets_gone", file=str(path))]
    notes = []
    known = ((record.get("inputs") or {}).get("files") or {}).get(str(path))
    try:
        if known and _file_hash(path) != known:
            log.warning("the walk network %s changed since the run; the map draws it as it is now", path)
            notes.append(_say(lang, "streets_changed", file=path.name))
        lines = _network_polylines(str(path), layer, path.stat().st_mtime, frame.crs.to_wkt(), frame.x0, frame.y1,
                                   frame.width, frame.height)
    except Exception as exc:  # noqa: BLE001 - any unreadable network: the map goes without streets
        log.warning("the walk network %s cannot be read (%s): the report's map has no streets", path, exc)
        return [], [_say(lang, "streets_unreadable", file=str(path), why=str(exc).splitlines()[0][:120])]
    return lines, [_say(lang, "streets", file=path.name, n=f"{len(lines):,}"), *notes]


def _circle_layer(run_dir: Path, record: dict):
    """The run's circle layer (``plan.gpkg`` → ``circles``, else the scenario's circles input), or ``None``."""
    import geopandas as gpd
    import pyogrio

    gpkg = run_dir / "plan.gpkg"
    try:
        if gpkg.is_file() and "circles" in {str(n) for n, _ in pyogrio.list_layers(gpkg)}:
            return gpd.read_file(gpkg, layer="circles", engine="pyogrio"), gpkg.name
        path, layer = _input(record, "circles")
        if path is not None and path.is_file():
            return gpd.read_file(path, layer=layer, engine="pyogrio"), path.name
    except Exception as exc:  # noqa: BLE001 - an unreadable layer: outlines are derived instead
        log.warning("the circle layer cannot be read (%s); outlines are derived from the demand units", exc)
    return None, ""


def circle_outlines(run_dir: Path, record: dict, unit_circles, unit_xy: np.ndarray, frame: Frame, lang: str
                    ) -> tuple[list[dict], str, list[str]]:
    """The life circles' outlines with names: from the circle layer when the run has one, else derived.

    Returns
    -------
    tuple
        The outlines (:func:`outlines_from_layer`), their source (``layer``, ``units`` or
        ``none``) and a note saying which.
    """
    layer, file = _circle_layer(run_dir, record)
    if layer is not None and layer.crs is not None and len(layer):
        ids = layer["circle_id"].astype(str) if "circle_id" in layer.columns else layer.index.astype(str)
        names = layer["name"].fillna("").astype(str) if "name" in layer.columns else [""] * len(layer)
        items = outlines_from_layer(ids, names, layer.geometry.to_crs(frame.crs).to_numpy(), frame)
        if items:
            return items, "layer", [_say(lang, "circles_layer", file=file, n=len(items))]
    items = derived_outlines(unit_circles, unit_xy, frame)
    if items:
        return items, "units", [_say(lang, "circles_derived", m=DERIVED_MARGIN_M, n=len(items))]
    return [], "none", [_say(lang, "circles_none")]


def base_layers(run_dir: Path, record: dict, unit_circles, unit_xy: np.ndarray, frame: Frame, lang: str
                ) -> BaseLayers:
    """The streets and circle outlines of a run's map, with notes saying where they came from.

    Parameters
    ----------
    run_dir
        The run folder (its ``plan.gpkg`` may hold the circle layer).
    record
        The run's ``run.json``.
    unit_circles
        Each demand unit's circle id.
    unit_xy
        The demand units' projected points (n x 2, metres).
    frame
        The map's frame.
    lang
        The notes' language.

    Returns
    -------
    BaseLayers
    """
    lines, street_notes = streets(record, frame, lang)
    outlines, source, circle_notes = circle_outlines(run_dir, record, unit_circles, unit_xy, frame, lang)
    return BaseLayers(streets=lines, street_points=sum(len(p) // 2 for p in lines), circles=outlines,
                      circles_source=source, notes=street_notes + circle_notes)


def scale_bar_length(metres_across: float) -> float:
    """A round scale-bar length (m) about a fifth of ``metres_across``: 50, 100, 200, 500 m, 1, 2, 5 km ..."""
    nice = [m * 10.0 ** e for e in range(1, 6) for m in (1, 2, 5)]
    target = metres_across / 5
    fits = [n for n in nice if n <= target]
    return fits[-1] if fits else nice[0]


def length_label(metres: float, lang: str) -> str:
    """A scale bar's length as planners write it: ``500 m``, ``1 km`` (``500 米``, ``1 公里``)."""
    if metres >= 1000:
        return f"{metres / 1000:g} {pick(lang, zh='公里', en='km')}"
    return f"{metres:g} {pick(lang, zh='米', en='m')}"
