"""The report as ONE self-contained HTML page: inline CSS, script, data and figures.

The page's template, stylesheet and script are package files (``static/report.html``,
``report.css``, ``report.js``), inlined into the page when it is written.

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
from importlib import resources

import pandas as pd

from optimizer.i18n import reach_method_label
from optimizer.jsonable import to_jsonable
from optimizer.report import charts, gather
from optimizer.report.explain_table import explain_section
from optimizer.report.messages import check_detail_html, check_name_html, name_html, warning_html
from optimizer.report.words import money, people, saving, say, share, status_word
from optimizer.run_folder import RunFolder


def _json_for_script(data) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</`` can close it)."""
    text = json.dumps(to_jsonable(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


#: technical tokens inside the report's own phrases (file names, commands, options): shown in ``<code>``
TOKENS = re.compile(r"lifecircle(?: [a-z]+)?|--[a-z][a-z-]*|[\w.-]+\.(?:csv|json|png|html|gpkg|xlsx)")


def words_html(text: str) -> str:
    """One of the report's phrases as HTML: escaped, file names and commands in ``<code>``.

    Examples
    --------
    >>> words_html("明细见 fairness.csv")
    '明细见 <code>fairness.csv</code>'
    """
    out, at = [], 0
    for m in TOKENS.finditer(text):
        out += [escape(text[at:m.start()]), f"<code>{escape(m.group(0))}</code>"]
        at = m.end()
    return "".join(out) + escape(text[at:])


def in_language(text: str, text_lang: str, lang: str) -> str:
    """``text`` as HTML, inside ``<span lang="..">`` when it is not in the page's language ``lang``.

    In English text, Chinese names (渝中区) are marked ``lang="zh"`` as names.

    Examples
    --------
    >>> in_language("Yuzhong (渝中区)", "en", "en")
    'Yuzhong (<span lang="zh">渝中区</span>)'
    >>> in_language("Yuzhong", "en", "zh")
    '<span lang="en">Yuzhong</span>'
    """
    if not text:
        return ""
    if text_lang != lang:
        return f'<span lang="{text_lang}">{escape(text)}</span>'
    if lang == "en":
        return re.sub(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+",
                      lambda m: f'<span lang="zh">{m.group(0)}</span>', escape(text))
    return escape(text)


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1, cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{"num" if j >= numeric_from else ""}">{c}</td>'
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _headline_html(h: dict, lang: str) -> str:
    kind = h["objective_kind"] if h["objective_kind"] in ("share", "fair", "people", "least_cost") else "people"
    obj_label = say(f"objective_{kind}", lang)
    unit = say(f"unit_{kind}", lang)
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
    weaker = f' <b class="bad">{escape(say("weaker", lang))}</b>' if h["weaker_method"] else ""
    reach = escape(reach_method_label(h["reach_method"], lang)) + weaker
    solve = f"{h['solve_seconds']:.1f} {say('seconds', lang)}" if h["solve_seconds"] is not None else ""
    stages = ""
    if h.get("stages"):
        proven_1 = bool((h["stages"].get("stage_1") or {}).get("proven"))
        stages = (f'<span class="{"ok" if proven_1 else "warn"}">'
                  f'{escape(say("stage1_proven" if proven_1 else "stage1_not_proven", lang))}</span><br>')
    cards = [
        (say("status", lang), f'<span class="{status_cls}" data-key="proven" data-value="{str(h["proven"]).lower()}">'
                              f'{escape(h["status_text"])}</span>', f"{escape(gap)}<br>{escape(bound)}"),
        (obj_label, f'<span data-key="objective" data-value="{h["objective"]}">'
                    f'{h["objective"]:,.1f}</span> <small class="unit" data-key="objective_unit">{escape(unit)}</small>'
         if h["objective"] is not None else "–",
         f"{escape(say(f'objective_note_{kind}', lang))}<br>{stages}"
         f"<code>{escape(h['solver'])} {escape(h['solver_version'])}</code> {escape(solve)}"),
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


def _gains_html(cov: list[dict], lang: str) -> str:
    """Per function: people newly covered, the share of its cohort that is (percentage points), covered after."""
    items = []
    for r in cov:
        points = 100.0 * r["new"] / r["people"] if r["people"] else 0.0
        items.append(f'<li data-function="{escape(r["function"])}"><b>{escape(r["label"])}</b> '
                     f'+{people(r["new"])} {escape(say("persons", lang))} '
                     f'(+{points:.1f} {escape(say("points", lang))}; {escape(say("covered_after", lang))} '
                     f'{share(r["share"])})</li>')
    return (f'<div class="gains"><b>{escape(say("gains", lang))}</b><ul>' + "".join(items) + "</ul></div>"
            if items else "")


def _fairness_html(rows: list[dict] | None, lang: str) -> str:
    """The fairness section: per function, worst circle before -> after, median, Gini."""
    if rows is None:
        return f'<p class="note">{words_html(say("fairness_missing", lang))}</p>'
    arrow = " → "

    def worst(m: dict) -> str:
        return f"{share(m['worst'])} ({name_html(m['worst_circle'])})"

    def gini(x) -> str:
        return "–" if x is None else f"{x:.2f}"

    body = [[escape(r["label"]), str(r["circles"]), worst(r["before"]) + arrow + worst(r["after"]),
             share(r["before"]["median"]) + arrow + share(r["after"]["median"]),
             gini(r["before"]["gini"]) + arrow + gini(r["after"]["gini"])] for r in rows]
    return (f'<p class="note">{words_html(say("fairness_note", lang))}</p>'
            + _table([say("function", lang), say("circles", lang),
                      f'{say("worst_circle", lang)} ({say("before", lang)}{arrow}{say("after", lang)})',
                      say("median", lang), say("gini", lang)], body, cls="fairness"))


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
            f'<div class="zoom"><button type="button" id="zoom-in" aria-label="{escape(say("zoom_in", lang))}">'
            f'+</button><button type="button" id="zoom-out" aria-label="{escape(say("zoom_out", lang))}">−</button>'
            f'<button type="button" id="zoom-reset">{escape(say("reset", lang))}</button>'
            f'<button type="button" id="clear-focus">{escape(say("clear", lang))}</button></div></div>'
            f'<div class="legend">{legend}</div>')


def _png_img(png: bytes | None, name: str, alt: str) -> str:
    if not png:
        return ""
    b64 = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{escape(alt)}">'
            f'<figcaption><code>{escape(name)}</code></figcaption></figure>')


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
    cost_rows += [[escape(say("sharing_saving", lang)), saving(cost["sharing_saving"], lang)],
                  [f"<b>{escape(say('total', lang))}</b>", f"<b>{money(cost['total'], lang)}</b>"],
                  [escape(say("budget", lang)), money(cost["budget"], lang) if cost["budget"] else
                   escape(say("no_budget", lang))]]
    district_table = ""
    if isinstance(bd, pd.DataFrame) and len(bd):
        cols = [c for c in bd.columns if c != "district"]
        heads = {"conversion": say("conversion", lang), "sharing_saving": say("sharing_saving", lang),
                 "total": say("total", lang)}
        district_table = _table([say("district", lang)] + [heads.get(c, c) for c in cols],
                                [[name_html(str(r["district"]))] + [saving(r[c], lang) if c == "sharing_saving"
                                                                  else money(r[c], lang) for c in cols]
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
            status = say("proven", lang) if proven else status_word(str(r.get("status", "")), lang)
            frows.append([money(r["budget"], lang), escape(status),
                          money(r.get("cost"), lang) if r.get("cost") == r.get("cost") else "–",
                          people(r.get("sites"))] + [share(r.get(f"{f}_covered_share")) for f in share_cols])
        frontier_html = (f'<p class="note">{escape(say("frontier_note", lang))} '
                         f'<code class="src">{escape(str(folder.frontier_source or ""))}</code></p>'
                         + charts.frontier_chart(front, folder.functions, names, colours, lang)
                         + _table([say("budget", lang), say("status", lang), say("cost", lang), say("sites", lang)]
                                  + [names[f] for f in share_cols], frows, numeric_from=2))
    else:
        frontier_html = f'<p class="note">{words_html(say("frontier_missing", lang))}</p>'
    req = gather.requirement_summary(folder)
    req_html = (f'<section id="requirements"><h2>{escape(say("requirements", lang))}</h2><p>{req["met"]} / '
                f'{req["total"]} {escape(say("requirements_met", lang))} '
                f'({escape(say("requirements_file", lang))} <code>requirements.csv</code>)</p></section>'
                if req else "")
    checks = gather.check_rows(folder)
    check_html = _table([say("check_item", lang), say("result", lang), say("detail", lang)],
                        [[check_name_html(c["check"], lang, names), f'<span class="{"ok" if c["passed"] else "bad"}">'
                          f'{escape(say("passed" if c["passed"] else "failed", lang))}</span>',
                          check_detail_html(c["detail"], lang, names)] for c in checks], numeric_from=99)
    warn_html = ""
    if h["warnings"]:
        warn_html = (f'<section id="warnings"><h2>{escape(say("warnings", lang))}</h2><ul>'
                     + "".join(f"<li>{warning_html(w, lang, names)}</li>" for w in h["warnings"])
                     + "</ul></section>")
    figs = "".join(_png_img(pngs.get(role), png_names.get(role, ""), say(key, lang))
                   for role, key in (("map", "map"), ("coverage", "coverage"), ("cost", "cost_breakdown"),
                                     ("walk_vs_buffer", "walk_vs_buffer"), ("frontier", "frontier")))
    links = " · ".join(f"<code>{escape(n)}</code>" for n in png_names.values())
    reach_note = "" if data["reach_available"] else f'<p class="note warn">{words_html(say("reach_missing", lang))}</p>'
    payload = {"map": data, "words": gather.js_words(lang), "symbols": SYMBOL_PATHS, "lang": lang}
    replacements = {
        "LANG": "zh-CN" if lang == "zh" else "en",
        "TITLE": escape(f"{say('title', lang)} · {h['scenario']}"),
        "H1": escape(say("title", lang)),
        "SUBTITLE": escape(say("subtitle", lang)),
        "META": (f"{escape(say('scenario', lang))}: <code>{escape(h['scenario'])}</code> · "
                 f"{escape(say('run_id', lang))}: <code>{escape(h['run_id'])}</code> · "
                 f"{escape(say('created', lang))}: {escape(h['created'])}"),
        "DESCRIPTION": in_language(h["description_shown"][0], h["description_shown"][1], lang),
        "HEADLINE_TITLE": escape(say("headline", lang)),
        "HEADLINE": _headline_html(h, lang),
        "GAINS": _gains_html(cov, lang),
        "FAIRNESS_TITLE": escape(say("fairness", lang)),
        "FAIRNESS": _fairness_html(gather.fairness_rows(folder, lang), lang),
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
        "EXPLAIN": explain_section(folder, lang, names),
        "WALK_BUFFER": wb_html,
        "FRONTIER_TITLE": escape(say("frontier", lang)),
        "FRONTIER": frontier_html,
        "REQUIREMENTS": req_html,
        "CHECK_TITLE": escape(say("check", lang)),
        "CHECK_TABLE": check_html,
        "WARNINGS": warn_html,
        "FIGURES_TITLE": escape(say("figures", lang)),
        "FIGURES_NOTE": words_html(say("figures_note", lang)) + (f" ({links})" if links else ""),
        "FIGURES": figs,
        "FOOTER": words_html(say("footer", lang)),
        "DATA": _json_for_script(payload),
    }
    return _fill_page(replacements)


def _static(name: str) -> str:
    """A file of the page shipped with the package (``optimizer/report/static/``)."""
    return resources.files("optimizer.report").joinpath("static", name).read_text(encoding="utf-8")


def _fill_page(replacements: dict[str, str]) -> str:
    """The page template (``static/report.html``) with its style, script and every ``%%NAME%%`` filled in.

    Parameters
    ----------
    replacements
        The text of each placeholder but ``CSS`` and ``SCRIPT`` (``static/report.css`` and ``report.js``).

    Returns
    -------
    str
        The page. One pass, so that no inserted text is ever read as a placeholder.
    """
    texts = {"CSS": _static("report.css"), "SCRIPT": _static("report.js"), **replacements}
    return re.sub(r"%%([A-Z0-9_]+)%%", lambda m: texts[m.group(1)], _static("report.html"))


