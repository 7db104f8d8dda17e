"""The report's static figures (PNG, matplotlib Agg): the plan map, coverage, cost.

Chinese labels need a CJK font. When the machine has none (``fc-list :lang=zh`` finds
nothing and matplotlib knows none), the figures fall back to English labels and a
warning says so; nothing is downloaded.
"""
from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.patheffects as path_effects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from optimizer.map_style import STATUS_COLOURS, function_styles  # noqa: E402
from optimizer.outputs import figures as run_figures  # noqa: E402
from optimizer.outputs.fonts import cjk_font  # noqa: E402
from optimizer.report import gather, map_layers  # noqa: E402
from optimizer.report.words import say  # noqa: E402
from optimizer.run_folder import RunFolder  # noqa: E402

log = logging.getLogger(__name__)

MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*"}


def figure_language(lang: str) -> str:
    """The language the PNGs can be drawn in: ``lang``, or English when no CJK font is found."""
    if lang == "zh" and cjk_font() is None:
        log.warning("no font with Chinese glyphs on this machine (fc-list :lang=zh is empty): the report's PNG "
                    "figures use English labels (install e.g. Debian's fonts-noto-cjk for Chinese)")
        return "en"
    return lang


def _style(lang: str):
    family = cjk_font() if lang == "zh" else None
    rc = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
    if family:
        rc["font.sans-serif"] = [family, "DejaVu Sans"]
        rc["axes.unicode_minus"] = False
    return plt.rc_context(rc)


def _circle_path(rings: list[list[int]]) -> MplPath:
    """A circle's outline rings (step coded, map frame) as one closed matplotlib path."""
    return MplPath.make_compound_path(*[MplPath(np.vstack([pts, pts[:1]]), closed=True)
                                        for pts in map(map_layers.decode_steps, rings)])


def _draw_base(ax, data: dict, lang: str) -> None:
    """Streets, life-circle outlines and their names, a scale bar and a north arrow on one panel."""
    if data["streets"]:
        ax.add_collection(LineCollection([map_layers.decode_steps(p) for p in data["streets"]], colors="#c4c8ce",
                                         linewidths=0.3, zorder=0, rasterized=True, gid="streets"))
    # names are proper nouns in Chinese: drawn with a Chinese font when the machine has one, else the id alone
    cjk = cjk_font()
    halo = [path_effects.withStroke(linewidth=2.2, foreground="white")]
    for c in data["outlines"]:
        ax.add_patch(PathPatch(_circle_path(c["rings"]), fill=False, edgecolor="#6a51a3", linewidth=0.8, alpha=0.85,
                               zorder=1.5, gid=f"circle:{c['id']}"))
        label = f"{c['name']}\n{c['id']}" if c["name"] and cjk else c["id"]
        ax.text(c["x"], c["y"], label, ha="center", va="center", fontsize=6.5, color="#3f2d7a", zorder=4,
                fontfamily=[cjk, "DejaVu Sans"] if cjk else None, path_effects=halo, gid=f"circle-name:{c['id']}")
    bar = map_layers.scale_bar_length(data["width"])
    x0, y0 = data["width"] * 0.03, data["height"] * 0.96
    ax.plot([x0, x0, x0 + bar, x0 + bar], [y0 - data["height"] * 0.01, y0, y0, y0 - data["height"] * 0.01],
            color="black", lw=1.5, zorder=5, gid="scale-bar")
    ax.text(x0 + bar / 2, y0 - data["height"] * 0.015, map_layers.length_label(bar, lang), ha="center",
            va="bottom", fontsize=7, zorder=5)
    ax.annotate(map_layers.map_words(lang)["north"], xy=(0.04, 0.95), xytext=(0.04, 0.80),
                xycoords="axes fraction", ha="center", va="center", fontsize=8, zorder=5,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2}, gid="north-arrow")


def map_figure(folder: RunFolder, path: Path, lang: str) -> None:
    """The plan map: one panel per function over the streets and life circles, units by status, facilities.

    Each panel draws the walk network, the circles' outlines with their names, a scale bar
    and a north arrow (:func:`_draw_base`; see :mod:`optimizer.report.map_layers`), then the
    demand units coloured by their status for the function, running and new facilities.
    """
    data = gather.map_data(folder, lang)
    funcs = data["functions"]
    n = max(len(funcs), 1)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    aspect = data["height"] / max(data["width"], 1)
    with _style(lang):
        fig, axes = plt.subplots(rows, cols, figsize=(12, 1.4 + rows * (6 * aspect * (2 / cols) + 0.4)), dpi=110,
                                 squeeze=False)
        ux, uy = np.asarray(data["units"]["x"]), np.asarray(data["units"]["y"])
        colours = [data["status_colours"][s] for s in ("unreached", "existing", "new")]
        for ax, fn in zip(axes.ravel(), funcs, strict=False):
            _draw_base(ax, data, lang)
            codes = np.frombuffer(data["units"]["status"][fn["key"]].encode(), dtype=np.uint8) - ord("0")
            for code, colour in enumerate(colours):
                sel = codes == code
                ax.scatter(ux[sel], uy[sel], s=2.5, c=colour, linewidths=0, rasterized=True)
            ex = [e for e in data["existing"] if e[2] == fn["key"]]
            if ex:
                ax.scatter([e[0] for e in ex], [e[1] for e in ex], s=22, facecolors="white", edgecolors="#333333",
                           linewidths=0.8, marker=MARKERS.get(fn["symbol"], "o"))
            fac = [f for f in data["facilities"] if f["f"] == fn["key"]]
            if fac:
                ax.scatter([f["x"] for f in fac], [f["y"] for f in fac], s=60, c=fn["colour"], edgecolors="black",
                           linewidths=0.8, marker=MARKERS.get(fn["symbol"], "o"), zorder=3)
            ax.set_xlim(0, data["width"])
            ax.set_ylim(data["height"], 0)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ("left", "bottom", "top", "right"):
                ax.spines[side].set_visible(True)
                ax.spines[side].set_color("#bbbbbb")
            ax.set_title(f"{fn['label']} — {len(fac)} {say('new_sites', lang)}", fontsize=10)
        for ax in axes.ravel()[len(funcs):]:
            ax.axis("off")
        handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=say(f"status_{s}", lang))
                   for s, c in data["status_colours"].items()]
        handles.append(plt.Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="#333333",
                                  label=say("existing_facilities", lang)))
        handles += [plt.Line2D([], [], marker=MARKERS.get(f["symbol"], "o"), ls="", color=f["colour"],
                               markeredgecolor="black", label=f"{say('new_sites', lang)}: {f['label']}")
                    for f in funcs]
        words = map_layers.map_words(lang)
        if data["streets"]:
            handles.append(plt.Line2D([], [], color="#a9aeb5", lw=1, label=words["streets"]))
        if data["outlines"]:
            handles.append(plt.Line2D([], [], color="#6a51a3", lw=1, label=words["circle_outlines"]))
        fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=8)
        h = gather.headline(folder, lang)
        fig.suptitle(f"{h['scenario']}: {say('map', lang)}", fontsize=11)
        fig.tight_layout(rect=(0, 0.06, 1, 0.96))
        _save_few_colours(fig, path)
        plt.close(fig)


def _save_few_colours(fig, path: Path) -> None:
    """Save ``fig`` as a PNG of at most 256 colours: the street mesh's grey shades would triple the file
    (the demo's map: about 970 KB in full colour, 300 KB in 256), and the page embeds it."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    buf.seek(0)
    with Image.open(buf) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, format="PNG", optimize=True)


def coverage_figure(folder: RunFolder, path: Path, lang: str) -> None:
    """Coverage by function (stacked shares) and the spread of circles' shares before and after."""
    rows = gather.coverage_rows(folder, lang)
    circles = gather.circle_shares(folder)
    with _style(lang):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 0.8 + 0.8 * max(len(rows), 2)), dpi=110,
                                     gridspec_kw={"width_ratios": [1.1, 1]})
        y = np.arange(len(rows))
        left = np.zeros(len(rows))
        for key, colour in (("existing", STATUS_COLOURS["existing"]), ("new", STATUS_COLOURS["new"]),
                            ("unreached", STATUS_COLOURS["unreached"])):
            vals = np.array([r[key] / r["people"] * 100 if r["people"] else 0 for r in rows])
            a1.barh(y, vals, left=left, color=colour, label=say(f"status_{key}", lang), height=0.6)
            for yi, lft, v in zip(y, left, vals, strict=True):
                if v >= 6:
                    a1.text(lft + v / 2, yi, f"{v:.0f}%", ha="center", va="center", fontsize=8)
            left += vals
        a1.set_yticks(y, [f"{r['label']}\n({r['cohort']})" for r in rows])
        a1.invert_yaxis()
        a1.set_xlim(0, 100)
        a1.set_xlabel("%")
        a1.set_title(say("coverage", lang))
        a1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False, fontsize=8)
        styles = function_styles(folder.functions)
        for i, r in enumerate(rows):
            df = circles[r["function"]]
            jitter = np.linspace(-0.25, 0.25, len(df)) if len(df) > 1 else np.zeros(len(df))
            a2.scatter(df["covered_share_before"] * 100, i + jitter, s=8, c="#bbbbbb", label=say("before", lang)
                       if i == 0 else None)
            a2.scatter(df["covered_share_after"] * 100, i + jitter, s=10, c=styles[r["function"]]["colour"],
                       label=say("after", lang) if i == 0 else None)
        a2.set_yticks(y, [r["label"] for r in rows])
        a2.invert_yaxis()
        a2.set_xlim(-2, 102)
        a2.set_xlabel(f"% ({say('circle', lang)})")
        a2.set_title(say("by_circle", lang))
        a2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False, fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def cost_figure(folder: RunFolder, path: Path, lang: str) -> None:
    """Where the money goes: conversion, each function, the sharing saving, the total against the budget."""
    c = gather.cost_breakdown(folder, lang)
    styles = function_styles(folder.functions)
    labels = [say("conversion", lang)] + [c["function_names"][f] for f in folder.functions] + [
        say("sharing_saving", lang), say("total", lang)]
    values = [c["conversion"]] + [c["by_function"][f] for f in folder.functions] + [-c["sharing_saving"], c["total"]]
    colours = ["#8c8c8c"] + [styles[f]["colour"] for f in folder.functions] + ["#31a354", "#2b5d8a"]
    unit = 1e4 if lang == "zh" else 1e6
    unit_name = "万元" if lang == "zh" else "million yuan"
    with _style(lang):
        fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
        start = 0.0
        for i, (v, col) in enumerate(zip(values, colours, strict=True)):
            last = i == len(values) - 1
            bottom = 0.0 if last else (start + v if v < 0 else start)
            ax.bar(i, abs(v) / unit, bottom=bottom / unit, color=col, width=0.6)
            ax.text(i, (bottom + abs(v)) / unit, f"{v / unit:,.0f}" if lang == "zh" else f"{v / unit:,.1f}",
                    ha="center", va="bottom", fontsize=8)
            if not last:
                start += v
        if c["budget"]:
            ax.axhline(c["budget"] / unit, color="#c0392b", ls="--", lw=1)
            ax.text(-0.4, c["budget"] / unit, f"{say('budget', lang)} {c['budget'] / unit:,.0f}",
                    color="#c0392b", ha="left", va="bottom", fontsize=8)
        ax.set_xticks(range(len(labels)), labels, rotation=0, fontsize=8)
        ax.set_ylabel(unit_name)
        ax.set_title(say("cost_breakdown", lang))
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def walk_buffer_figure(folder: RunFolder, path: Path, lang: str) -> bool:
    """Walking versus a straight-line buffer in the report's language (the run's PNG is in solve's language).

    Parameters
    ----------
    folder
        The run folder read for the report.
    path
        PNG file to write.
    lang
        The figures' language (:func:`figure_language`).

    Returns
    -------
    bool
        Whether a figure was drawn (not when the run folder has no ``walk_vs_buffer.csv``).
    """
    if folder.walk_vs_buffer is None or not len(folder.walk_vs_buffer):
        return False
    run_figures.walk_vs_buffer_figure(folder.walk_vs_buffer, path, gather.headline(folder, lang)["scenario"], lang)
    return True


def frontier_figure(folder: RunFolder, path: Path, lang: str) -> bool:
    """The budget frontier given with ``--frontier``, in the report's language and the page's colours.

    Parameters
    ----------
    folder
        The run folder read for the report (with its frontier, when given).
    path
        PNG file to write.
    lang
        The figures' language (:func:`figure_language`).

    Returns
    -------
    bool
        Whether a figure was drawn (not without a frontier).
    """
    table = gather.frontier_rows(folder)
    if table is None or not len(table):
        return False
    run_figures.frontier_figure(table, path, gather.headline(folder, lang)["scenario"], lang,
                                label_zh=gather.function_names(folder, "zh"))
    return True
