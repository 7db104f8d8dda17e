"""Static figures of a run (PNG), drawn with matplotlib's non-interactive backend."""
from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from optimizer.i18n import DEFAULT_LANG, check_lang, function_label, pick, reach_method_label  # noqa: E402
from optimizer.map_style import NEUTRAL_COLOUR, function_styles  # noqa: E402
from optimizer.outputs.fonts import cjk_font, figure_lang  # noqa: E402

log = logging.getLogger(__name__)


def _lang(lang: str) -> str:
    """The language a figure can be drawn in (:func:`optimizer.outputs.fonts.figure_lang`), warning on a change."""
    drawn, _font, warning = figure_lang(check_lang(lang))
    if warning:
        log.warning(warning)
    return drawn


def _rc(lang: str):
    """matplotlib settings for ``lang``: a CJK font first in Chinese, an ASCII minus sign."""
    rc: dict = {"axes.unicode_minus": False}
    family = cjk_font() if lang == "zh" else None
    if family:
        rc["font.sans-serif"] = [family, "DejaVu Sans"]
        rc["font.family"] = "sans-serif"
    return plt.rc_context(rc)


def _names(functions: list[str], lang: str, label_zh: dict[str, str] | None = None) -> dict[str, str]:
    """Each function's name for readers (never its key), the scenario's ``label_zh`` in Chinese."""
    label_zh = label_zh or {}
    return {f: function_label(f, lang, label_zh.get(f, "")) for f in functions}


def walk_vs_buffer_figure(table: pd.DataFrame, path: Path, title: str, lang: str = DEFAULT_LANG) -> None:
    """Bar chart: share of each function's cohort covered by walking vs by a straight-line buffer.

    Parameters
    ----------
    table
        :func:`optimizer.walk_vs_buffer.walk_versus_buffer` (its ``label_zh`` names functions in
        Chinese when given).
    path
        PNG file to write.
    title
        Figure title (the scenario name).
    lang
        ``zh`` or ``en``: every label, the title, legend and axes in that language (English when
        the machine has no font with Chinese glyphs); colours from :mod:`optimizer.map_style`.
    """
    lang = _lang(lang)
    keys = table["function"].astype(str).tolist()
    zh = dict(zip(keys, table["label_zh"].fillna("").astype(str), strict=True)) if "label_zh" in table else {}
    names = _names(keys, lang, zh)
    colours = {f: st["colour"] for f, st in function_styles(keys).items()}
    y = np.arange(len(keys))
    people = table["people"].to_numpy(dtype=float)
    share = {k: np.divide(table[f"with_plan_covered_{k}"].to_numpy(dtype=float), people,
                          out=np.zeros_like(people), where=people > 0) * 100 for k in ("walking", "buffer")}
    method = reach_method_label(str(table["reach_method"].iloc[0]) if len(table) else "network", lang)
    with _rc(lang):
        fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.75 * max(len(keys), 1)), dpi=120)
        ax.barh(y - 0.2, share["buffer"], height=0.38, color=NEUTRAL_COLOUR,
                label=pick(lang, zh="直线缓冲区", en="straight-line buffer"))
        ax.barh(y + 0.2, share["walking"], height=0.38, color=[colours[f] for f in keys],
                label=pick(lang, zh=f"步行（{method}）", en=f"walking ({method})"))
        for yi, b, w in zip(y, share["buffer"], share["walking"], strict=True):
            ax.text(b + 0.8, yi - 0.2, f"{b:.1f}%", va="center", fontsize=8)
            ax.text(w + 0.8, yi + 0.2, f"{w:.1f}%", va="center", fontsize=8)
        radius = pick(lang, zh="半径", en="r")
        ax.set_yticks(y, [f"{names[f]}\n({radius} = {r:.0f} m)"
                          for f, r in zip(keys, table["buffer_radius_m"], strict=True)])
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel(pick(lang, zh="规划后服务人群覆盖率（%）", en="share of the cohort covered with the plan (%)"))
        ax.set_title(pick(lang, zh=f"{title}：真正步行可达的人，与直线缓冲区图会声称的人",
                          en=f"{title}: who is really within a walk, and what a buffer map would claim"), fontsize=9)
        legend = ax.legend(loc="lower right", fontsize=8, frameon=False)
        if len(keys) > 1:  # the walking bars take each function's colour: the legend shows a dark one
            legend.legend_handles[1].set_color("#4d4d4d")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def budget_ticks(lang: str) -> tuple[float, str]:
    """The unit budgets are shown in on a chart's axis: (yuan per unit, axis words) in ``lang``."""
    return (1e4, "预算（万元）") if check_lang(lang) == "zh" else (1e6, "budget (million yuan)")


def frontier_figure(table: pd.DataFrame, path: Path, title: str, lang: str = DEFAULT_LANG,
                    label_zh: dict[str, str] | None = None) -> None:
    """Covered share per function against the budget (proven points filled, others hollow).

    Parameters
    ----------
    table
        A budget frontier (``frontier.csv``): ``budget``, ``status``, ``proven_optimal`` and one
        ``<function>_covered_share`` column per function.
    path
        PNG file to write.
    title
        Figure title (the scenario name).
    lang
        ``zh`` or ``en``: every label in that language (English without a Chinese font); each
        function in its colour from :mod:`optimizer.map_style`.
    label_zh
        The scenario's Chinese function names, by key (optional).

    Notes
    -----
    The budget axis has at most six ticks with compact labels (``1,000`` in 万元, ``10`` in
    million yuan; the unit is in the axis title), so labels never run into each other or the
    share axis.
    """
    lang = _lang(lang)
    ok = table[table["status"].astype(str) != "infeasible"] if "status" in table else table
    keys = [c.removesuffix("_covered_share") for c in ok.columns if c.endswith("_covered_share")]
    names = _names(keys, lang, label_zh)
    colours = {f: st["colour"] for f, st in function_styles(keys).items()}
    unit, axis_words = budget_ticks(lang)
    budget = ok["budget"].to_numpy(dtype=float) / unit
    proven = ok["proven_optimal"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    with _rc(lang):
        fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
        for f in keys:
            share = ok[f"{f}_covered_share"].to_numpy(dtype=float) * 100
            ax.plot(budget, share, label=names[f], color=colours[f])
            ax.scatter(budget[proven], share[proven], color=colours[f], s=18)
            ax.scatter(budget[~proven], share[~proven], facecolors="none", edgecolors=colours[f], s=18)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, min_n_ticks=2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v - round(v)) < 1e-9
                                                   else f"{v:,.1f}"))
        ax.set_xlabel(axis_words)
        ax.set_ylabel(pick(lang, zh="服务人群覆盖率（%）", en="share of the cohort covered (%)"))
        ax.set_ylim(0, 100)
        ax.set_title(pick(lang, zh=f"{title}：各预算下的最优覆盖（实心点：已证明最优）",
                          en=f"{title}: what each budget buys (filled: proven optimal)"), fontsize=9)
        ax.legend(fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def fairness_figure(shares: pd.DataFrame, path: Path, title: str) -> None:
    """Per function, every life circle's covered share before and after the plan, the worst circle marked.

    Parameters
    ----------
    shares
        :func:`optimizer.rules.fairness.circle_shares` (one row per function and circle).
    path
        PNG file to write.
    title
        Figure title (the scenario name).
    """
    functions = list(dict.fromkeys(shares["function"].astype(str)))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 1.1 * max(len(functions), 1)), dpi=120)
    rng = np.random.default_rng(0)  # the same jitter every time
    colours = {"before": "#9a9a9a", "after": "#2b7bba"}
    boxes: dict[str, tuple[list[np.ndarray], list[float]]] = {"before": ([], []), "after": ([], [])}
    for i, name in enumerate(functions):
        part = shares[shares["function"].astype(str) == name]
        people = part["people"].to_numpy(dtype=float)
        size = 8 + 60 * np.sqrt(people / people.max()) if len(part) and people.max() > 0 else np.full(len(part), 8)
        for k, moment in enumerate(("before", "after")):
            y0 = i + (-0.2 if moment == "before" else 0.2)
            share = part[f"share_{moment}"].to_numpy(dtype=float) * 100
            if not len(share):
                continue
            boxes[moment][0].append(share)
            boxes[moment][1].append(y0)
            ax.scatter(share, y0 + rng.uniform(-0.09, 0.09, len(share)), s=size, color=colours[moment],
                       alpha=0.45, linewidths=0, label=moment if i == 0 else None, zorder=3)
            worst = int(np.argmin(share))
            ax.scatter([share[worst]], [y0], marker="x", color="#d62728", s=60, zorder=4,
                       label="worst circle" if i == 0 and k == 1 else None)
            ax.annotate(f"{part['circle_id'].iloc[worst]} {share[worst]:.1f}%", (share[worst], y0),
                        xytext=(4, 6 if moment == "after" else -10), textcoords="offset points", fontsize=7,
                        color="#d62728")
    for moment, (data, positions) in boxes.items():  # one call per colour: the same boxes, drawn under the dots
        if data:
            ax.boxplot(data, positions=positions, orientation="horizontal", widths=0.28, showfliers=False,
                       manage_ticks=False,
                       medianprops={"color": colours[moment]}, boxprops={"color": colours[moment]},
                       whiskerprops={"color": colours[moment]}, capprops={"color": colours[moment]})
    ax.set_yticks(range(len(functions)), functions)
    ax.invert_yaxis()
    ax.set_xlim(-2, 105)
    ax.set_xlabel("life circle's covered share of the cohort (%): grey before the plan, blue after")
    ax.set_title(f"{title}: covered share per life circle (dot size: people; x: the worst circle)", fontsize=9, pad=22)
    ax.legend(loc="lower left", fontsize=8, frameon=False, bbox_to_anchor=(0, 1.02, 1, 0.1), ncols=3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def price_of_fairness_figure(table: pd.DataFrame, path: Path, title: str, level_label: str) -> None:
    """The best total share against the floor on the worst circle (proven points filled, others hollow).

    Parameters
    ----------
    table
        :func:`optimizer.studies.price_of_fairness.price_of_fairness`.
    path
        PNG file to write.
    title
        Figure title (the scenario name).
    level_label
        What the worst-circle value measures.
    """
    ok = table[table["total_points"].notna()]
    worst = ok["worst_value"].to_numpy(dtype=float)
    total = ok["total_points"].to_numpy(dtype=float)
    proven = ok["proven"].to_numpy(dtype=bool)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    ax.plot(worst, total, color="#2b7bba")
    ax.scatter(worst[proven], total[proven], color="#2b7bba", s=24, zorder=3, label="proven optimal")
    ax.scatter(worst[~proven], total[~proven], facecolors="white", edgecolors="#2b7bba", s=24, zorder=3,
               label="not proven (solver stopped)")
    for w, t, loss in zip(worst, total, ok["loss_pct"].to_numpy(dtype=float), strict=True):
        ax.annotate(f"-{abs(loss):.1f}%" if round(loss, 1) != 0 else "0.0%", (w, t), xytext=(3, 5),
                    textcoords="offset points", fontsize=7)
    ax.set_xlabel(f"worst life circles: {level_label}")
    ax.set_ylabel("total: percentage points of cohorts newly covered")
    ax.set_title(f"{title}: the price of fairness (total share vs the worst life circle; "
                 "labels: loss against the share optimum)", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
