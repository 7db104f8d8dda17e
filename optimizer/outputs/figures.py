"""Static figures of a run (PNG), drawn with matplotlib's non-interactive backend."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def walk_vs_buffer_figure(table: pd.DataFrame, path: Path, title: str) -> None:
    """Bar chart: share of each function's cohort covered by walking vs by a straight-line buffer.

    Parameters
    ----------
    table
        :func:`optimizer.walk_vs_buffer.walk_versus_buffer`.
    path
        PNG file to write.
    title
        Figure title (the scenario name).
    """
    labels = table["function"].tolist()
    y = np.arange(len(labels))
    people = table["people"].to_numpy(dtype=float)
    share = {k: np.divide(table[f"with_plan_covered_{k}"].to_numpy(dtype=float), people,
                          out=np.zeros_like(people), where=people > 0) * 100 for k in ("walking", "buffer")}
    method = str(table["reach_method"].iloc[0]) if len(table) else "network"
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.75 * max(len(labels), 1)), dpi=120)
    ax.barh(y - 0.2, share["buffer"], height=0.38, color="#c8c8c8", label="straight-line buffer")
    ax.barh(y + 0.2, share["walking"], height=0.38, color="#2b7bba", label=f"walking ({method})")
    for yi, b, w in zip(y, share["buffer"], share["walking"], strict=True):
        ax.text(b + 0.8, yi - 0.2, f"{b:.1f}%", va="center", fontsize=8)
        ax.text(w + 0.8, yi + 0.2, f"{w:.1f}%", va="center", fontsize=8)
    ax.set_yticks(y, [f"{f}\n(r = {r:.0f} m)" for f, r in zip(labels, table["buffer_radius_m"], strict=True)])
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("share of the cohort covered with the plan (%)")
    ax.set_title(f"{title}: who is really within a walk, and what a buffer map would claim", fontsize=9)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def frontier_figure(table: pd.DataFrame, path: Path, title: str) -> None:
    """Covered share per function against the budget (proven points filled, others hollow)."""
    ok = table[table["status"] != "infeasible"] if "status" in table else table
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    budget_m = ok["budget"].to_numpy(dtype=float) / 1e6
    proven = ok["proven_optimal"].to_numpy(dtype=bool)
    for col in [c for c in ok.columns if c.endswith("_covered_share")]:
        share = ok[col].to_numpy(dtype=float) * 100
        line, = ax.plot(budget_m, share, label=col.removesuffix("_covered_share"))
        ax.scatter(budget_m[proven], share[proven], color=line.get_color(), s=18)
        ax.scatter(budget_m[~proven], share[~proven], facecolors="none", edgecolors=line.get_color(), s=18)
    ax.set_xlabel("budget (million yuan)")
    ax.set_ylabel("share of the cohort covered (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{title}: what each budget buys (filled: proven optimal)", fontsize=9)
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
    for i, name in enumerate(functions):
        part = shares[shares["function"].astype(str) == name]
        people = part["people"].to_numpy(dtype=float)
        size = 8 + 60 * np.sqrt(people / people.max()) if len(part) and people.max() > 0 else np.full(len(part), 8)
        for k, moment in enumerate(("before", "after")):
            y0 = i + (-0.2 if moment == "before" else 0.2)
            share = part[f"share_{moment}"].to_numpy(dtype=float) * 100
            if not len(share):
                continue
            ax.boxplot([share], positions=[y0], orientation="horizontal", widths=0.28, showfliers=False,
                       manage_ticks=False,
                       medianprops={"color": colours[moment]}, boxprops={"color": colours[moment]},
                       whiskerprops={"color": colours[moment]}, capprops={"color": colours[moment]})
            ax.scatter(share, y0 + rng.uniform(-0.09, 0.09, len(share)), s=size, color=colours[moment],
                       alpha=0.45, linewidths=0, label=moment if i == 0 else None, zorder=3)
            worst = int(np.argmin(share))
            ax.scatter([share[worst]], [y0], marker="x", color="#d62728", s=60, zorder=4,
                       label="worst circle" if i == 0 and k == 1 else None)
            ax.annotate(f"{part['circle_id'].iloc[worst]} {share[worst]:.1f}%", (share[worst], y0),
                        xytext=(4, 6 if moment == "after" else -10), textcoords="offset points", fontsize=7,
                        color="#d62728")
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
