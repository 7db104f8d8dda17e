"""The report as ONE self-contained HTML page: inline CSS, script, data and figures.

It makes no network request (no CDN, no map tiles, no web fonts): the map is an inline
SVG drawn by the page's own script from projected coordinates, the charts are inline
SVG, the PNG figures are embedded as ``data:`` URIs. A print stylesheet hides the
controls. :func:`render_report` is pure: it returns the page as a string.
"""
from __future__ import annotations

import base64
import json
import re
from html import escape

import pandas as pd

from optimizer.outputs.run_folder import RunFolder
from optimizer.report import charts, gather
from optimizer.report.words import money, people, say, share


def _json_for_script(data) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</`` can close it)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_plain)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _plain(obj):
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1, cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{"num" if j >= numeric_from else ""}">{c}</td>'
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _headline_html(h: dict, lang: str) -> str:
    obj_label = say("objective_least_cost" if h["objective_kind"] == "least_cost" else "objective", lang)
    status_cls = "ok" if h["proven"] else "warn"
    gap = f"{say('gap', lang)} {h['gap']:.4%}" if h["gap"] is not None else ""
    bound = f"{say('bound', lang)} {h['bound']:,.1f}" if h["bound"] is not None else ""
    if h["budget"]:
        pct = min(100.0, 100.0 * (h["cost_share_of_budget"] or 0.0))
        budget = (f'{escape(say("budget", lang))} {escape(money(h["budget"], lang))} · '
                  f'{share(h["cost_share_of_budget"])} {say("of_budget", lang)}'
                  f'<div class="meter"><span style="width:{pct:.1f}%"></span></div>')
    else:
        budget = escape(say("no_budget", lang))
    check_cls = "ok" if h["check_passed"] else "bad"
    reach = escape(h["reach_method"]) + (f' <b class="bad">{escape(say("weaker", lang))}</b>'
                                         if h["weaker_method"] else "")
    solve = f"{h['solve_seconds']:.1f} s" if h["solve_seconds"] is not None else ""
    cards = [
        (say("status", lang), f'<span class="{status_cls}" data-key="proven" data-value="{str(h["proven"]).lower()}">'
                              f'{escape(h["status_text"])}</span>', f"{escape(gap)}<br>{escape(bound)}"),
        (obj_label, f'<span data-key="objective" data-value="{h["objective"]}">'
                    f'{h["objective"]:,.1f}</span>' if h["objective"] is not None else "–",
         f"{escape(h['solver'])} {escape(h['solver_version'])} {solve}"),
        (say("cost", lang), f'<span data-key="cost" data-value="{h["cost"]}">{escape(money(h["cost"], lang))}</span>',
         budget),
        (say("sites", lang), f'<span data-key="sites" data-value="{h["sites"]}">{h["sites"]}</span>',
         f"{say('facilities', lang)}: {h['facilities']}"),
        (say("check", lang), f'<span class="{check_cls}">'
                             f'{escape(say("check_passed" if h["check_passed"] else "check_failed", lang))}</span>',
         f"{say('reach_method', lang)}: {reach}"),
    ]
    return "".join(f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{v}</div>'
                   f'<div class="s">{s}</div></div>' for k, v, s in cards)


def _symbol_svg(symbol: str, colour: str, hollow: bool = False) -> str:
    fill = "white" if hollow else colour
    stroke = "#333" if hollow else "#111"
    return (f'<svg class="sym-key" viewBox="-8 -8 16 16" width="16" height="16"><path d="{SYMBOL_PATHS[symbol]}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.2"/></svg>')


#: marker shapes, in screen pixels around (0, 0); the page's script uses the same
SYMBOL_PATHS = {
    "circle": "M6,0A6,6 0 1,1 -6,0A6,6 0 1,1 6,0Z",
    "square": "M-5.5,-5.5H5.5V5.5H-5.5Z",
    "diamond": "M0,-7L7,0L0,7L-7,0Z",
    "triangle": "M0,-7L6.5,5L-6.5,5Z",
    "star": "M0,-7L2,-2L7,-2L3,1.5L4.5,7L0,3.5L-4.5,7L-3,1.5L-7,-2L-2,-2Z",
}


def _map_controls(data: dict, lang: str) -> str:
    radios = "".join(
        f'<label><input type="radio" name="colour-by" value="{escape(f["key"])}"{" checked" if i == 0 else ""}> '
        f'{escape(f["label"])}</label>' for i, f in enumerate(data["functions"]))
    boxes = "".join(
        f'<label><input type="checkbox" class="layer-fn" value="{escape(f["key"])}" checked> '
        f'{_symbol_svg(f["symbol"], f["colour"])} {escape(f["label"])}</label>' for f in data["functions"])
    legend = "".join(f'<span class="key"><i style="background:{c}"></i>{escape(say("status_" + s, lang))}</span>'
                     for s, c in data["status_colours"].items())
    return (f'<div class="controls noprint"><div><b>{escape(say("colour_by", lang))}</b> {radios}</div>'
            f'<div><b>{escape(say("layers", lang))}</b> {boxes} '
            f'<label><input type="checkbox" id="layer-units" checked> {escape(say("demand_units", lang))}</label> '
            f'<label><input type="checkbox" id="layer-existing" checked> '
            f'{_symbol_svg("circle", "#fff", hollow=True)} {escape(say("existing_facilities", lang))}</label></div>'
            f'<div class="zoom"><button type="button" id="zoom-in" aria-label="zoom in">+</button>'
            f'<button type="button" id="zoom-out" aria-label="zoom out">−</button>'
            f'<button type="button" id="zoom-reset">{escape(say("reset", lang))}</button>'
            f'<button type="button" id="clear-focus">{escape(say("clear", lang))}</button></div></div>'
            f'<div class="legend">{legend}</div>')


def _png_img(png: bytes | None, name: str, alt: str) -> str:
    if not png:
        return ""
    b64 = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{escape(alt)}">'
            f'<figcaption>{escape(name)}</figcaption></figure>')


def render_report(folder: RunFolder, lang: str, pngs: dict[str, bytes] | None = None,
                  png_names: dict[str, str] | None = None) -> str:
    """The whole report page for ``folder`` in ``lang``.

    Parameters
    ----------
    folder
        The run folder, read.
    lang
        ``zh`` or ``en``.
    pngs
        The static figures to embed, by role (``map``, ``coverage``, ``cost``).
    png_names
        Their file names beside the report, by role.

    Returns
    -------
    str
        The page (UTF-8 text); it references nothing outside itself.
    """
    pngs, png_names = pngs or {}, png_names or {}
    h = gather.headline(folder, lang)
    data = gather.map_data(folder, lang)
    names = gather.function_names(folder, lang)
    colours = {f["key"]: f["colour"] for f in data["functions"]}
    cov = gather.coverage_rows(folder, lang)
    cov_table = _table(
        [say("function", lang), say("cohort", lang), say("threshold", lang), say("people", lang), say("existing", lang),
         say("new", lang), say("unreached", lang), say("share", lang), say("facilities", lang)],
        [[escape(r["label"]), escape(r["cohort"]),
          f"{r['threshold_min']:g} {say('minutes', lang)}" if r["threshold_min"] is not None else "–",
          people(r["people"]), people(r["existing"]), people(r["new"]), people(r["unreached"]), share(r["share"]),
          str(r["facilities"])] for r in cov], numeric_from=2)
    cost = gather.cost_breakdown(folder, lang)
    bd = cost["by_district"]
    cost_rows = [[escape(say("conversion", lang)), money(cost["conversion"], lang)]]
    cost_rows += [[escape(names[f]), money(cost["by_function"][f], lang)] for f in folder.functions]
    cost_rows += [[escape(say("sharing_saving", lang)), "−" + money(cost["sharing_saving"], lang)],
                  [f"<b>{escape(say('total', lang))}</b>", f"<b>{money(cost['total'], lang)}</b>"],
                  [escape(say("budget", lang)), money(cost["budget"], lang) if cost["budget"] else
                   escape(say("no_budget", lang))]]
    district_table = ""
    if isinstance(bd, pd.DataFrame) and len(bd):
        cols = [c for c in bd.columns if c != "district"]
        heads = {"conversion": say("conversion", lang), "sharing_saving": say("sharing_saving", lang),
                 "total": say("total", lang)}
        district_table = _table([say("district", lang)] + [heads.get(c, c) for c in cols],
                                [[escape(str(r["district"]))] + [money(r[c], lang) for c in cols]
                                 for r in bd.to_dict(orient="records")])
    wb = gather.walk_buffer_rows(folder, lang)
    wb_html = ""
    if wb:
        wb_html = (f'<section id="walk-vs-buffer"><h2>{escape(say("walk_vs_buffer", lang))}</h2>'
                   f'<p class="note">{escape(say("walk_vs_buffer_note", lang))}</p>' + _table(
                       [say("function", lang), say("people", lang), say("threshold", lang), say("radius", lang),
                        say("walking", lang), say("buffer", lang), say("overstates", lang)],
                       [[escape(r["label"]), people(r["people"]), f"{r['threshold_min']:g} {say('minutes', lang)}",
                         f"{r['radius_m']:,.0f} m", f"{people(r['walking'])} ({share(r['walking_share'])})",
                         f"{people(r['buffer'])} ({share(r['buffer_share'])})",
                         f"{people(r['overstates'])} (+{r['overstatement_pct']:.1f}%)"] for r in wb]) + "</section>")
    front = gather.frontier_rows(folder)
    if front is not None and len(front):
        share_cols = [f for f in folder.functions if f"{f}_covered_share" in front.columns]
        frows = []
        for r in front.to_dict(orient="records"):
            proven = str(r.get("proven_optimal")).lower() in ("true", "1")
            status = say("proven", lang) if proven else str(r.get("status", ""))
            frows.append([money(r["budget"], lang), escape(status),
                          money(r.get("cost"), lang) if r.get("cost") == r.get("cost") else "–",
                          people(r.get("sites"))] + [share(r.get(f"{f}_covered_share")) for f in share_cols])
        frontier_html = (f'<p class="note">{escape(say("frontier_note", lang))} '
                         f'<span class="src">{escape(str(folder.frontier_source or ""))}</span></p>'
                         + charts.frontier_chart(front, folder.functions, names, colours, lang)
                         + _table([say("budget", lang), say("status", lang), say("cost", lang), say("sites", lang)]
                                  + [names[f] for f in share_cols], frows, numeric_from=2))
    else:
        frontier_html = f'<p class="note">{escape(say("frontier_missing", lang))}</p>'
    req = gather.requirement_summary(folder)
    req_html = (f'<section id="requirements"><h2>{escape(say("requirements", lang))}</h2><p>{req["met"]} / '
                f'{req["total"]} {escape(say("requirements_met", lang))} (requirements.csv)</p></section>'
                if req else "")
    checks = gather.check_rows(folder)
    check_html = _table([say("check_item", lang), say("result", lang), say("detail", lang)],
                        [[escape(c["check"]), f'<span class="{"ok" if c["passed"] else "bad"}">'
                          f'{escape(say("passed" if c["passed"] else "failed", lang))}</span>', escape(c["detail"])]
                         for c in checks], numeric_from=99)
    warn_html = ""
    if h["warnings"]:
        warn_html = (f'<section id="warnings"><h2>{escape(say("warnings", lang))}</h2><ul>'
                     + "".join(f"<li>{escape(w)}</li>" for w in h["warnings"]) + "</ul></section>")
    figs = "".join(_png_img(pngs.get(role), png_names.get(role, ""), say(key, lang))
                   for role, key in (("map", "map"), ("coverage", "coverage"), ("cost", "cost_breakdown")))
    links = " · ".join(escape(n) for n in png_names.values())
    reach_note = "" if data["reach_available"] else f'<p class="note warn">{escape(say("reach_missing", lang))}</p>'
    payload = {"map": data, "words": gather.js_words(lang), "symbols": SYMBOL_PATHS, "lang": lang}
    replacements = {
        "LANG": "zh-CN" if lang == "zh" else "en",
        "TITLE": escape(f"{say('title', lang)} · {h['scenario']}"),
        "H1": escape(say("title", lang)),
        "SUBTITLE": escape(say("subtitle", lang)),
        "META": escape(f"{say('scenario', lang)}: {h['scenario']} · {say('run_id', lang)}: {h['run_id']} · "
                       f"{say('created', lang)}: {h['created']}"),
        "DESCRIPTION": escape(h["description"].strip()),
        "HEADLINE_TITLE": escape(say("headline", lang)),
        "HEADLINE": _headline_html(h, lang),
        "MAP_TITLE": escape(say("map", lang)),
        "MAP_HELP": escape(say("map_help", lang)),
        "MAP_CONTROLS": _map_controls(data, lang),
        "REACH_NOTE": reach_note,
        "MAP_W": str(data["width"]), "MAP_H": str(data["height"]),
        "COVERAGE_TITLE": escape(say("coverage", lang)),
        "COVERAGE_NOTE": escape(say("coverage_note", lang)),
        "COVERAGE_CHART": charts.coverage_bars(cov, lang),
        "COVERAGE_TABLE": cov_table,
        "CIRCLE_TITLE": escape(say("by_circle", lang)),
        "CIRCLE_NOTE": escape(say("by_circle_note", lang)),
        "CIRCLE_CHART": charts.circle_bars(gather.circle_shares(folder), names, colours, lang),
        "COST_TITLE": escape(say("cost_breakdown", lang)),
        "COST_CHART": charts.cost_waterfall(cost, folder.functions, colours, lang),
        "COST_TABLE": _table([say("cost_breakdown", lang), say("amount", lang)], cost_rows),
        "DISTRICT_TITLE": escape(say("by_district", lang)),
        "DISTRICT_TABLE": district_table,
        "WALK_BUFFER": wb_html,
        "FRONTIER_TITLE": escape(say("frontier", lang)),
        "FRONTIER": frontier_html,
        "REQUIREMENTS": req_html,
        "CHECK_TITLE": escape(say("check", lang)),
        "CHECK_TABLE": check_html,
        "WARNINGS": warn_html,
        "FIGURES_TITLE": escape(say("figures", lang)),
        "FIGURES_NOTE": escape(say("figures_note", lang)) + (f" ({links})" if links else ""),
        "FIGURES": figs,
        "FOOTER": escape(say("footer", lang)),
        "DATA": _json_for_script(payload),
    }
    # one pass, so that no inserted text is ever read as a placeholder
    return re.sub(r"%%([A-Z0-9_]+)%%", lambda m: replacements[m.group(1)], TEMPLATE)


CSS = """
:root { --ink:#1d2733; --muted:#5f6b7a; --line:#dfe3e8; --ok:#1a7f37; --warn:#b35900; --bad:#c0392b; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #f6f7f9;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei",
  system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 14px; line-height: 1.45; }
header { background: #20364d; color: #fff; padding: 14px 24px 12px; }
header h1 { margin: 0; font-size: 22px; }
header .sub { opacity: .85; }
header .meta { font-size: 12px; opacity: .8; margin-top: 4px; }
main { max-width: 1360px; margin: 0 auto; padding: 12px 20px 30px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
h2 { font-size: 17px; margin: 2px 0 8px; }
.note { color: var(--muted); font-size: 12.5px; margin: 4px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fbfcfd; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 20px; font-weight: 700; margin: 2px 0; }
.card .s { font-size: 12px; color: var(--muted); }
.meter { height: 6px; background: #e8ebef; border-radius: 3px; margin-top: 4px; overflow: hidden; }
.meter span { display: block; height: 100%; background: #2b5d8a; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.controls { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; font-size: 13px; margin-bottom: 6px; }
.controls label { margin-right: 8px; white-space: nowrap; cursor: pointer; }
.controls .sym-key { vertical-align: -3px; }
.zoom button { font-size: 14px; min-width: 30px; margin-right: 4px; padding: 2px 8px; cursor: pointer; }
.legend { font-size: 12.5px; margin-bottom: 6px; }
.legend .key { margin-right: 16px; white-space: nowrap; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 5px;
  vertical-align: -1px; }
.mapwrap { position: relative; display: grid; grid-template-columns: 1fr 300px; gap: 10px; }
#map { width: 100%; height: 600px; background: #fdfdfb; border: 1px solid var(--line); border-radius: 4px;
  cursor: grab; touch-action: none; user-select: none; display: block; }
#map.dragging { cursor: grabbing; }
#map .u { stroke: none; }
#map .s0 { fill: #e34a33; } #map .s1 { fill: #9ecae1; } #map .s2 { fill: #31a354; }
#map.focus .u { opacity: .18; }
#map.focus .u.hl { opacity: 1; stroke: #111; }
#map .fac { cursor: pointer; }
#map .fac path { stroke: #111; stroke-width: 1.2; }
#map .fac.on path { stroke: #000; stroke-width: 2.6; }
#map .ex path { fill: #fff; stroke: #333; stroke-width: 1.1; }
#map .hidden { display: none; }
#info { border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; font-size: 13px; background: #fbfcfd;
  overflow: auto; max-height: 600px; }
#info h3 { font-size: 14px; margin: 0 0 4px; }
#info table { width: 100%; }
#tip { position: fixed; pointer-events: none; background: rgba(20, 28, 38, .92); color: #fff; font-size: 12px;
  padding: 5px 8px; border-radius: 4px; max-width: 320px; display: none; z-index: 10; }
.chart { width: 100%; height: auto; max-width: 1000px; display: block; }
.two { display: grid; grid-template-columns: 3fr 2fr; gap: 16px; align-items: start; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 10px 0; } figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { font-size: 12px; color: var(--muted); }
.src { font-family: monospace; font-size: 11px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 10px; }
@media (max-width: 1000px) { .cards { grid-template-columns: repeat(2, 1fr); } .mapwrap, .two { display: block; } }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { background: #fff; font-size: 11px; }
  header { background: #fff; color: #000; border-bottom: 2px solid #000; padding: 0 0 6px; }
  main { max-width: none; padding: 0; }
  section { border: none; padding: 4px 0; break-inside: avoid; }
  .noprint, #tip, .zoom, #info:empty { display: none !important; }
  #map { height: 480px; border: 1px solid #999; }
  .mapwrap { grid-template-columns: 1fr; }
  #figures { break-before: page; }
  figure { break-inside: avoid; }
  .cards { grid-template-columns: repeat(5, 1fr); }
}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var P = JSON.parse(document.getElementById("report-data").textContent);
  var M = P.map, W = P.words;
  var svg = document.getElementById("map");
  var NS = svg.namespaceURI;
  var zoomStyle = document.getElementById("zoom-style");
  var tip = document.getElementById("tip");
  var info = document.getElementById("info");
  var fnByKey = {};
  M.functions.forEach(function (f) { fnByKey[f.key] = f; });
  var view = {x: 0, y: 0, w: M.width, h: M.height};
  var current = M.functions.length ? M.functions[0].key : null;
  var pinned = null, hovered = null, lit = [];

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function fmt(n) { return n == null ? "–" : Math.round(n).toLocaleString(P.lang === "zh" ? "zh-CN" : "en-US"); }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c];
    });
  }

  // demand units
  var gUnits = el("g", {id: "units"}, svg);
  var U = M.units, n = U.x.length, dots = new Array(n);
  var frag = document.createDocumentFragment();
  for (var i = 0; i < n; i++) {
    dots[i] = el("circle", {cx: U.x[i], cy: U.y[i], r: 12, "class": "u", "data-i": i}, frag);
  }
  gUnits.appendChild(frag);
  function colourBy(key) {
    current = key;
    var st = U.status[key] || "";
    for (var i = 0; i < n; i++) {
      var cls = "u s" + st.charAt(i) + (dots[i].__hl ? " hl" : "");
      dots[i].setAttribute("class", cls);
    }
    var radio = document.querySelector('input[name="colour-by"][value="' + key + '"]');
    if (radio) { radio.checked = true; }
  }

  // running facilities, per function
  var gEx = el("g", {id: "existing"}, svg), exGroups = {};
  M.functions.forEach(function (f) { exGroups[f.key] = el("g", {"data-f": f.key}, gEx); });
  M.existing.forEach(function (e) {
    var f = fnByKey[e[2]];
    if (!f) { return; }
    var g = el("g", {"class": "ex", transform: "translate(" + e[0] + "," + e[1] + ")", "data-name": e[3],
                     "data-f": e[2]}, exGroups[e[2]]);
    el("path", {d: P.symbols[f.symbol], "class": "sym small"}, g);
  });

  // new facilities (one marker per site and function), per function
  var gFac = el("g", {id: "facilities"}, svg), facGroups = {}, markers = [];
  M.functions.forEach(function (f) { facGroups[f.key] = el("g", {"data-f": f.key}, gFac); });
  M.facilities.forEach(function (s, j) {
    var f = fnByKey[s.f];
    var g = el("g", {"class": "fac site", transform: "translate(" + s.x + "," + s.y + ")", "data-site": s.site,
                     "data-f": s.f, "data-j": j}, facGroups[s.f]);
    var dx = (s.k - (s.m - 1) / 2) * 13;
    var inner = el("g", {"class": "sym"}, g);
    el("path", {d: P.symbols[f.symbol], fill: f.colour, transform: "translate(" + dx + ",0)"}, inner);
    markers.push(g);
  });

  function applyView() {
    svg.setAttribute("viewBox", view.x + " " + view.y + " " + view.w + " " + view.h);
    var box = svg.getBoundingClientRect();
    var upp = Math.max(view.w / Math.max(box.width, 1), view.h / Math.max(box.height, 1));
    zoomStyle.textContent = "#map .u{r:" + (2.6 * upp).toFixed(3) + "px;stroke-width:" + (1.2 * upp).toFixed(3) +
      "px}#map .sym{transform:scale(" + upp.toFixed(4) + ")}#map .ex .sym{transform:scale(" +
      (0.75 * upp).toFixed(4) + ")}#map.focus .u.hl{r:" + (3.6 * upp).toFixed(3) + "px}";
  }
  function zoomAt(factor, cx, cy) {
    var nw = Math.min(M.width * 1.5, Math.max(M.width / 60, view.w * factor));
    var f = nw / view.w;
    view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f;
    view.w = nw; view.h = view.h * f;
    applyView();
  }
  function toMap(evt) {
    var box = svg.getBoundingClientRect();
    var s = Math.max(view.w / box.width, view.h / box.height);
    var ox = (box.width * s - view.w) / 2, oy = (box.height * s - view.h) / 2;
    return {x: view.x - ox + (evt.clientX - box.left) * s, y: view.y - oy + (evt.clientY - box.top) * s};
  }
  function resetView() {
    view = {x: 0, y: 0, w: M.width, h: M.height};
    applyView();
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = toMap(evt);
    zoomAt(evt.deltaY > 0 ? 1.2 : 1 / 1.2, p.x, p.y);
  }, {passive: false});
  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    if (evt.target.closest && evt.target.closest(".fac")) { return; }
    drag = {x: evt.clientX, y: evt.clientY, vx: view.x, vy: view.y, moved: false};
    svg.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var box = svg.getBoundingClientRect();
    var s = Math.max(view.w / box.width, view.h / box.height);
    if (Math.abs(evt.clientX - drag.x) + Math.abs(evt.clientY - drag.y) > 3) { drag.moved = true; }
    view.x = drag.vx - (evt.clientX - drag.x) * s; view.y = drag.vy - (evt.clientY - drag.y) * s;
    applyView();
  });
  window.addEventListener("pointerup", function () { drag = null; svg.classList.remove("dragging"); });
  function zoomCentre(factor) { zoomAt(factor, view.x + view.w / 2, view.y + view.h / 2); }
  document.getElementById("zoom-in").onclick = function () { zoomCentre(1 / 1.5); };
  document.getElementById("zoom-out").onclick = function () { zoomCentre(1.5); };
  document.getElementById("zoom-reset").onclick = resetView;
  document.getElementById("clear-focus").onclick = function () { pinned = null; focus(null); };

  // reach highlight
  function focus(j) {
    lit.forEach(function (i) { dots[i].__hl = false; });
    lit = [];
    markers.forEach(function (m) { m.classList.remove("on"); });
    if (j == null) {
      svg.classList.remove("focus");
      colourBy(current);
      showInfo(null);
      document.body.dataset.highlighted = "0";
      return;
    }
    var s = M.facilities[j];
    markers[j].classList.add("on");
    if (s.reach) {
      lit = s.reach.slice();
      lit.forEach(function (i) { dots[i].__hl = true; });
      svg.classList.add("focus");
    } else {
      svg.classList.remove("focus");
    }
    colourBy(s.f);
    showInfo(j);
    document.body.dataset.highlighted = String(lit.length);
  }
  function siteText(s) {
    var f = fnByKey[s.f];
    var rows = [[W.site, s.site], [W.kind, s.kind], [W.circle, s.circle], [W.area, s.area + " " + W.m2],
                [W.capacity, s.cap], [W.newly_covered_here, fmt(s.newly) + " (" + f.cohort_label + ")"]];
    if (s.reach) {
      var ppl = 0, col = U.people[f.cohort] || [];
      s.reach.forEach(function (i) { ppl += col[i] || 0; });
      rows.push([W.reach_of, s.reach.length + " " + W.units + ", " + fmt(ppl) + " " + f.cohort_label]);
    }
    return "<h3>" + esc(s.name || s.site) + " · " + esc(f.label) + "</h3><table>" + rows.map(function (r) {
      return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
    }).join("") + "</table>";
  }
  var infoDefault = info.innerHTML;
  function showInfo(j) { info.innerHTML = j == null ? infoDefault : siteText(M.facilities[j]); }
  gFac.addEventListener("click", function (evt) {
    var g = evt.target.closest(".fac");
    if (!g) { return; }
    var j = +g.getAttribute("data-j");
    pinned = pinned === j ? null : j;
    focus(pinned);
  });
  gFac.addEventListener("mouseover", function (evt) {
    var g = evt.target.closest(".fac");
    if (!g) { return; }
    hovered = +g.getAttribute("data-j");
    if (pinned == null) { focus(hovered); }
  });
  gFac.addEventListener("mouseout", function (evt) {
    var g = evt.target.closest(".fac");
    if (!g) { return; }
    hovered = null;
    if (pinned == null) { focus(null); }
  });

  // tooltips
  svg.addEventListener("mousemove", function (evt) {
    var t = evt.target, html = null;
    var fac = t.closest && t.closest(".fac"), ex = t.closest && t.closest(".ex");
    if (fac) {
      var s = M.facilities[+fac.getAttribute("data-j")];
      html = "<b>" + esc(s.name || s.site) + "</b><br>" + esc(fnByKey[s.f].label) + " · " + esc(s.cap);
    } else if (ex) {
      html = "<b>" + esc(ex.getAttribute("data-name")) + "</b><br>" + esc(W.existing_facilities) + " · " +
        esc(fnByKey[ex.getAttribute("data-f")].label);
    } else if (t.classList && t.classList.contains("u")) {
      var i = +t.getAttribute("data-i"), f = fnByKey[current];
      var code = (U.status[current] || "").charAt(i);
      var st = {"0": W.status_unreached, "1": W.status_existing, "2": W.status_new}[code];
      var ppl = (U.people[f.cohort] || [])[i];
      html = "<b>" + esc(U.id[i]) + "</b> · " + esc(M.circles[U.circle[i]] || "") + "<br>" + esc(f.label) +
        W.sep + esc(st) + "<br>" + esc(f.cohort_label) + W.sep + fmt(ppl);
    }
    if (html) {
      tip.innerHTML = html; tip.style.display = "block";
      tip.style.left = (evt.clientX + 14) + "px"; tip.style.top = (evt.clientY + 12) + "px";
    } else {
      tip.style.display = "none";
    }
  });
  svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });

  // layer toggles
  document.querySelectorAll('input[name="colour-by"]').forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { colourBy(r.value); } });
  });
  function syncLayers() {
    var showEx = document.getElementById("layer-existing").checked;
    document.querySelectorAll("input.layer-fn").forEach(function (b) {
      facGroups[b.value].classList.toggle("hidden", !b.checked);
      exGroups[b.value].classList.toggle("hidden", !(b.checked && showEx));
    });
    gUnits.classList.toggle("hidden", !document.getElementById("layer-units").checked);
  }
  document.querySelectorAll("input.layer-fn, #layer-existing, #layer-units").forEach(function (b) {
    b.addEventListener("change", syncLayers);
  });
  window.addEventListener("resize", applyView);
  window.addEventListener("beforeprint", applyView);

  colourBy(current);
  applyView();
  syncLayers();
  // report.html#focus=SITE_ID:function opens with that facility's reach highlighted
  var m = /focus=([^&]+)/.exec(decodeURIComponent(location.hash || ""));
  if (m) {
    var parts = m[1].split(":");
    M.facilities.forEach(function (s, j) {
      if (pinned == null && s.site === parts[0] && (parts.length < 2 || s.f === parts[1])) { pinned = j; }
    });
    if (pinned != null) { focus(pinned); }
  }
  document.body.dataset.siteMarkers = String(markers.length);
  document.body.dataset.units = String(n);
  document.body.dataset.highlighted = String(lit.length);
  document.body.dataset.rendered = "yes";
})();
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="%%LANG%%">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%%TITLE%%</title>
<style>""" + CSS + """</style>
<style id="zoom-style"></style>
</head>
<body>
<header>
<h1>%%H1%%</h1>
<div class="sub">%%SUBTITLE%%</div>
<div class="meta">%%META%%</div>
</header>
<main>
<section id="headline">
<h2>%%HEADLINE_TITLE%%</h2>
<p class="note">%%DESCRIPTION%%</p>
<div class="cards">%%HEADLINE%%</div>
</section>
<section id="plan-map">
<h2>%%MAP_TITLE%%</h2>
%%MAP_CONTROLS%%
<div class="mapwrap">
<svg id="map" viewBox="0 0 %%MAP_W%% %%MAP_H%%" preserveAspectRatio="xMidYMid meet" role="img"
 aria-label="%%MAP_TITLE%%"></svg>
<div id="info"><p class="note">%%MAP_HELP%%</p>%%REACH_NOTE%%</div>
</div>
</section>
<section id="coverage">
<h2>%%COVERAGE_TITLE%%</h2>
<p class="note">%%COVERAGE_NOTE%%</p>
%%COVERAGE_CHART%%
%%COVERAGE_TABLE%%
</section>
<section id="by-circle">
<h2>%%CIRCLE_TITLE%%</h2>
<p class="note">%%CIRCLE_NOTE%%</p>
%%CIRCLE_CHART%%
</section>
<section id="cost">
<h2>%%COST_TITLE%%</h2>
<div class="two"><div>%%COST_CHART%%</div><div>%%COST_TABLE%%</div></div>
<h3>%%DISTRICT_TITLE%%</h3>
%%DISTRICT_TABLE%%
</section>
%%WALK_BUFFER%%
<section id="frontier">
<h2>%%FRONTIER_TITLE%%</h2>
%%FRONTIER%%
</section>
%%REQUIREMENTS%%
<section id="check">
<h2>%%CHECK_TITLE%%</h2>
%%CHECK_TABLE%%
</section>
%%WARNINGS%%
<section id="figures">
<h2>%%FIGURES_TITLE%%</h2>
<p class="note">%%FIGURES_NOTE%%</p>
%%FIGURES%%
</section>
</main>
<footer>%%FOOTER%%</footer>
<div id="tip"></div>
<script id="report-data" type="application/json">%%DATA%%</script>
<script>""" + SCRIPT + """</script>
</body>
</html>
"""
