"""Small inline SVG charts for the HTML report (strings; no script needed, so they print).

Each function returns one ``<svg>`` element as text, sized by its ``viewBox`` so that it
scales to the page width.
"""
from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from optimizer.map_style import STATUS_COLOURS
from optimizer.report.words import money, people, say, share

FONT = 'font-size="12"'


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(s)}</text>'


def _wrap(label: str, width: int) -> list[str]:
    """At most two lines of about ``width`` characters (at a space when there is one)."""
    if len(label) <= width:
        return [label]
    cut = label.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else width
    rest = label[cut:].strip()
    return [label[:cut].strip(), rest if len(rest) <= width else rest[:width - 1] + "…"]


def coverage_bars(rows: list[dict], lang: str) -> str:
    """Stacked bars per function: share covered by running facilities, newly covered, unreached."""
    label_w, bar_w, row_h = 230, 600, 40
    h = 30 + row_h * len(rows) + 30
    out = [f'<svg class="chart" viewBox="0 0 {label_w + bar_w + 70} {h}" role="img" '
           f'aria-label="{escape(say("coverage", lang))}">']
    for i, r in enumerate(rows):
        y = 20 + i * row_h
        out.append(_text(label_w - 8, y + 15, r["label"], "end", 'font-weight="600"'))
        out.append(_text(label_w - 8, y + 29, r["cohort"], "end", 'fill="#555" font-size="10"'))
        x = label_w
        for key in ("existing", "new", "unreached"):
            frac = r[key] / r["people"] if r["people"] else 0.0
            w = bar_w * frac
            title = f"{say('status_' + key, lang)}: {people(r[key])} ({share(frac)})"
            out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="26" fill="{STATUS_COLOURS[key]}">'
                       f'<title>{escape(title)}</title></rect>')
            if frac >= 0.07:
                out.append(_text(x + w / 2, y + 21, share(frac), "middle", 'font-size="11"'))
            x += w
        out.append(_text(label_w + bar_w + 6, y + 21, share(r["share"]), "start", 'font-weight="600"'))
    y = 20 + len(rows) * row_h + 12
    x = label_w
    for key in ("existing", "new", "unreached"):
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{STATUS_COLOURS[key]}"/>')
        label = say("status_" + key, lang)
        out.append(_text(x + 16, y, label, "start", 'font-size="11"'))
        x += 40 + 9 * len(label) if lang == "en" else 40 + 13 * len(label)
    out.append("</svg>")
    return "".join(out)


def circle_bars(shares: dict[str, pd.DataFrame], names: dict[str, str], colours: dict[str, str], lang: str) -> str:
    """Small multiples: per function, each life circle's share before (grey) and after (colour)."""
    label_w, panel_w, panel_h, gap = 210, 700, 90, 26
    n = len(shares)
    h = n * (panel_h + gap) + 10
    out = [f'<svg class="chart" viewBox="0 0 {label_w + panel_w + 45} {h}" role="img" '
           f'aria-label="{escape(say("by_circle", lang))}">']
    for i, (f, df) in enumerate(shares.items()):
        y0 = 10 + i * (panel_h + gap)
        below = int((df["covered_share_after"] < 0.5).sum())
        out.append(_text(label_w - 10, y0 + 30, names[f], "end", 'font-weight="600"'))
        out.append(_text(label_w - 10, y0 + 48, f"{below} / {len(df)}", "end", 'fill="#c0392b"'))
        out.append(_text(label_w - 10, y0 + 63, say("circles_below", lang), "end", 'fill="#777" font-size="9"'))
        for t in (0, 0.5, 1):
            yy = y0 + panel_h * (1 - t)
            out.append(f'<line x1="{label_w}" x2="{label_w + panel_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                       f'stroke="#ddd" stroke-width="1"/>')
            out.append(_text(label_w + panel_w + 3, yy + 4, f"{t:.0%}", "start", 'font-size="9" fill="#777"'))
        if not len(df):
            continue
        bw = panel_w / len(df)
        for j, r in enumerate(df.itertuples()):
            x = label_w + j * bw
            after, before = float(r.covered_share_after), float(r.covered_share_before)
            title = (f"{r.circle_id}: {say('before', lang)} {share(before)}, {say('after', lang)} {share(after)} "
                     f"({people(r.people)})")
            out.append(f'<g><title>{escape(title)}</title>'
                       f'<rect x="{x + 0.5:.1f}" y="{y0 + panel_h * (1 - after):.1f}" width="{max(bw - 1, 0.5):.1f}" '
                       f'height="{panel_h * after:.1f}" fill="{colours[f]}"/>'
                       f'<rect x="{x + 0.5:.1f}" y="{y0 + panel_h * (1 - before):.1f}" '
                       f'width="{max(bw - 1, 0.5):.1f}" height="{panel_h * before:.1f}" fill="#bbb"/></g>')
    out.append("</svg>")
    return "".join(out)


def cost_waterfall(cost: dict, functions: list[str], colours: dict[str, str], lang: str) -> str:
    """Conversion, each function's fit-out, minus the sharing saving, equals the total (and the budget)."""
    items = [(say("conversion", lang), cost["conversion"], "#8c8c8c")]
    items += [(cost["function_names"][f], cost["by_function"][f], colours[f]) for f in functions]
    items += [(say("sharing_saving", lang), -cost["sharing_saving"], "#31a354"), (say("total", lang), cost["total"],
                                                                                  "#2b5d8a")]
    top = max([cost["total"], cost["budget"] or 0.0, cost["conversion"] + sum(cost["by_function"].values())] + [1.0])
    w_bar, gap, plot_h, base = 100, 22, 220, 260
    width = 40 + len(items) * (w_bar + gap) + 20
    out = [f'<svg class="chart" viewBox="0 0 {width} {base + 50}" role="img" '
           f'aria-label="{escape(say("cost_breakdown", lang))}">']
    start = 0.0

    def y(v: float) -> float:
        return base - plot_h * v / top

    for i, (label, v, colour) in enumerate(items):
        last = i == len(items) - 1
        lo, hi = (0.0, v) if last else (min(start, start + v), max(start, start + v))
        x = 40 + i * (w_bar + gap)
        out.append(f'<rect x="{x}" y="{y(hi):.1f}" width="{w_bar}" height="{max(y(lo) - y(hi), 0.5):.1f}" '
                   f'fill="{colour}"><title>{escape(label)}: {escape(money(v, lang))}</title></rect>')
        out.append(_text(x + w_bar / 2, y(hi) - 5, money(v, lang), "middle", 'font-size="10"'))
        for k, line in enumerate(_wrap(label, 16 if lang == "en" else 9)):
            out.append(_text(x + w_bar / 2, base + 16 + 13 * k, line, "middle", 'font-size="10"'))
        if not last:
            start += v
    if cost["budget"]:
        yb = y(cost["budget"])
        out.append(f'<line x1="30" x2="{width - 10}" y1="{yb:.1f}" y2="{yb:.1f}" stroke="#c0392b" '
                   f'stroke-dasharray="5 4"/>')
        out.append(_text(34, yb - 5, f"{say('budget', lang)} {money(cost['budget'], lang)}", "start",
                         'fill="#c0392b" font-size="11"'))
    out.append(f'<line x1="30" x2="{width - 10}" y1="{base}" y2="{base}" stroke="#555"/>')
    out.append("</svg>")
    return "".join(out)


def budget_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """At most ``most`` round budget ticks between ``lo`` and ``hi`` (in the axis unit), ends included when round.

    Parameters
    ----------
    lo, hi
        The budget range, in the unit of the axis (万元 or million yuan).
    most
        The most ticks to draw.

    Returns
    -------
    list of float
        Ticks at 1, 2, 2.5 or 5 times a power of ten, inside ``[lo, hi]``.

    Examples
    --------
    >>> budget_ticks(0, 2500)
    [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0]
    """
    if not hi > lo:
        return [float(lo)]
    for power in range(int(np.floor(np.log10((hi - lo) / most))) - 1, 40):
        for m in (1, 2, 2.5, 5):
            step = m * 10.0 ** power
            ticks = np.arange(np.ceil(lo / step - 1e-9), np.floor(hi / step + 1e-9) + 1) * step
            if len(ticks) <= most:
                return [float(np.round(t, 9)) + 0.0 for t in ticks]
    return [float(lo), float(hi)]


def frontier_chart(table: pd.DataFrame, functions: list[str], names: dict[str, str], colours: dict[str, str],
                   lang: str) -> str:
    """Covered share per function against the budget; proven points filled, others hollow."""
    ok = table[table["status"].astype(str) != "infeasible"]
    cols = [f for f in functions if f"{f}_covered_share" in ok.columns]
    left, plot_w, plot_h, top = 60, 640, 240, 20
    out = [f'<svg class="chart" viewBox="0 0 {left + plot_w + 190} {top + plot_h + 50}" role="img" '
           f'aria-label="{escape(say("frontier", lang))}">']
    if not len(ok):
        out.append("</svg>")
        return "".join(out)
    b = ok["budget"].to_numpy(dtype=float)
    lo, hi = float(b.min()), float(b.max())
    span = hi - lo or 1.0

    def px(v: float) -> float:
        return left + plot_w * (v - lo) / span

    def py(s: float) -> float:
        return top + plot_h * (1 - s)

    for t in (0, 0.25, 0.5, 0.75, 1):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e5e5e5"/>')
        out.append(_text(left - 6, py(t) + 4, f"{t:.0%}", "end", 'font-size="10"'))
    unit = 1e4 if lang == "zh" else 1e6  # the unit is in the axis title: ticks say "1,000", not "1,000.0 万元"
    for v in budget_ticks(lo / unit, hi / unit):
        out.append(f'<line x1="{px(v * unit):.1f}" x2="{px(v * unit):.1f}" y1="{top + plot_h}" '
                   f'y2="{top + plot_h + 4}" stroke="#999"/>')
        out.append(_text(px(v * unit), top + plot_h + 18, f"{v:,.6f}".rstrip("0").rstrip("."), "middle",
                         'font-size="10"'))
    proven = ok["proven_optimal"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    for k, f in enumerate(cols):
        s = ok[f"{f}_covered_share"].to_numpy(dtype=float)
        pts = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(b, s, strict=True) if v == v)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colours[f]}" stroke-width="2"/>')
        for x, v, p in zip(b, s, proven, strict=True):
            if v != v:
                continue
            fill = colours[f] if p else "white"
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="4" fill="{fill}" stroke="{colours[f]}" '
                       f'stroke-width="1.5"><title>{escape(names[f])}: {escape(money(x, lang))} → '
                       f'{share(v)}</title></circle>')
        ly = top + 14 + 18 * k
        out.append(f'<rect x="{left + plot_w + 16}" y="{ly - 9}" width="12" height="12" fill="{colours[f]}"/>')
        out.append(_text(left + plot_w + 32, ly + 1, names[f], "start", 'font-size="11"'))
    out.append(_text(left + plot_w / 2, top + plot_h + 40, say("budget_axis", lang), "middle", 'font-size="11"'))
    out.append("</svg>")
    return "".join(out)
