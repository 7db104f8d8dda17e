"""Write a run comparison (``lifecircle diff``) into one folder: all files, or none.

Files: ``diff.md`` (the memo paragraph, the settings that differ, coverage per function,
the changed sites), ``diff_sites.csv`` and ``diff_coverage.csv`` (UTF-8 with BOM; English
column names plus a function/change label in the chosen language), ``diff_settings.csv``,
``diff.png`` (a map of sites added, removed and changed) and ``diff.gpkg`` (layers
``diff_sites`` and, when the runs hold their demand layer, ``diff_circles``: one point per
life circle with the change in covered share per function; EPSG:4326).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from optimizer.i18n import function_label, pick  # noqa: E402
from optimizer.outputs.fonts import figure_lang  # noqa: E402
from optimizer.outputs.writers import atomic_folder, unused_folder_name  # noqa: E402
from optimizer.processes import process_tag  # noqa: E402
from optimizer.studies.run_diff import ADDED, ALL, CHANGED, REMOVED, RunDiff, memo  # noqa: E402

log = logging.getLogger(__name__)

CSV_ENCODING = "utf-8-sig"
WGS84 = "EPSG:4326"
CHANGE_LABELS = {ADDED: {"zh": "新增", "en": "added"}, REMOVED: {"zh": "取消", "en": "removed"},
                 CHANGED: {"zh": "调整", "en": "changed"}, "unchanged": {"zh": "未变", "en": "unchanged"}}
CHANGE_STYLE = {ADDED: ("P", "#1a9850"), REMOVED: ("X", "#d73027"), CHANGED: ("D", "#fc8d59")}


def _label(function: str, lang: str, labels: dict[str, str]) -> str:
    return function if function == ALL else function_label(function, lang, labels.get(function, ""))


def sites_csv(d: RunDiff, lang: str) -> pd.DataFrame:
    """``diff_sites.csv``: the site changes with a ``change_label`` in ``lang``."""
    out = d.sites.copy()
    out.insert(out.columns.get_loc("change") + 1, "change_label",
               out["change"].map(lambda c: CHANGE_LABELS[c][lang]))
    return out.round({"area_a": 2, "area_b": 2, "cost_a": 2, "cost_b": 2, "cost_change": 2, "lon": 7, "lat": 7})


def coverage_csv(d: RunDiff, lang: str, labels: dict[str, str]) -> pd.DataFrame:
    """``diff_coverage.csv``: coverage and cost per function and circle with a ``function_label``."""
    out = d.coverage.copy()
    out.insert(2, "function_label", out["function"].map(lambda f: _label(f, lang, labels)))
    return out.round({c: (4 if c.startswith("share_") and c != "share_change_points" else 2)
                      for c in out.columns if out[c].dtype.kind == "f"})


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(d: RunDiff, lang: str, labels: dict[str, str], max_sites: int = 40) -> str:
    """``diff.md``: the memo, then tables a reader can check it against."""
    text = memo(d, lang, labels)
    out = [pick(lang, zh="# 方案对比", en="# What changed between two runs"), "",
           pick(lang, zh=f"- 方案A：`{d.a.path}`（{d.a.name}）", en=f"- run A: `{d.a.path}` ({d.a.name})"),
           pick(lang, zh=f"- 方案B：`{d.b.path}`（{d.b.name}）", en=f"- run B: `{d.b.path}` ({d.b.name})"), "",
           text, ""]
    out += [pick(lang, zh="## 设置差异", en="## Settings that differ"), ""]
    if len(d.settings):
        out.append(_md_table([pick(lang, zh="设置", en="setting"), "A", "B"],
                             [[f"`{r.key}`", r.a[:80], r.b[:80]] for r in d.settings.itertuples()]))
    else:
        out.append(pick(lang, zh="无。", en="None."))
    out += ["", pick(lang, zh="## 各功能覆盖与投资", en="## Coverage and cost per function"), ""]
    fn = d.coverage[d.coverage["level"] == "function"]
    rows = []
    for r in fn.to_dict(orient="records"):
        share = (f"{r['share_a']:.1%} -> {r['share_b']:.1%}" if np.isfinite(r["share_a"]) and np.isfinite(r["share_b"])
                 else "")
        covered = f"{r['covered_change']:+,.0f}" if np.isfinite(r["covered_change"]) else ""
        rows.append([_label(r["function"], lang, labels) if r["function"] != ALL else pick(lang, zh="合计（含改建费）",
                                                                                            en="all (with conversion)"),
                     share, covered, f"{r['facilities_a']:.0f} -> {r['facilities_b']:.0f}",
                     f"{r['cost_a']:,.0f} -> {r['cost_b']:,.0f}", f"{r['cost_change']:+,.0f}"])
    out.append(_md_table([pick(lang, zh="功能", en="function"), pick(lang, zh="覆盖率", en="share covered"),
                          pick(lang, zh="覆盖人数变化", en="covered change"),
                          pick(lang, zh="设施（合计行：点位）", en="facilities (all: sites)"),
                          pick(lang, zh="投资（元）", en="cost (yuan)"), pick(lang, zh="投资变化", en="cost change")],
                         rows))
    out += ["", pick(lang, zh="## 点位变化", en="## Sites that changed"), ""]
    if len(d.sites):
        shown = d.sites.sort_values(["change", "site_id"]).head(max_sites)
        out.append(_md_table(
            [pick(lang, zh="点位", en="site"), pick(lang, zh="名称", en="name"), pick(lang, zh="生活圈", en="circle"),
             pick(lang, zh="变化", en="change"), "A", "B", pick(lang, zh="投资变化（元）", en="cost change (yuan)")],
            [[r["site_id"], r["site_name"], r["circle_id"], CHANGE_LABELS[r["change"]][lang],
              r["functions_a"], r["functions_b"] + (f" ({r['resized']})" if r["resized"] else ""),
              f"{r['cost_change']:+,.0f}"] for r in shown.to_dict(orient="records")]))
        if len(d.sites) > max_sites:
            out.append(pick(lang, zh=f"\n……共{len(d.sites)}处，见 diff_sites.csv。",
                            en=f"\n... {len(d.sites)} in all: see diff_sites.csv."))
    else:
        out.append(pick(lang, zh="无。", en="None."))
    return "\n".join(out) + "\n"


def circle_layer(d: RunDiff, demand: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """One point per life circle (resident-weighted centre of its homes) with each function's change."""
    if demand is None or "circle_id" not in demand.columns or not len(demand):
        return None
    w = demand["total"].to_numpy(float) if "total" in demand.columns else np.ones(len(demand))
    frame = pd.DataFrame({"circle_id": demand["circle_id"].to_numpy(), "x": demand.geometry.x.to_numpy(),
                          "y": demand.geometry.y.to_numpy(), "w": np.where(w > 0, w, 0.0)})
    rows = []
    for circle, part in frame.groupby("circle_id", sort=True):
        weights = part["w"].to_numpy() if part["w"].sum() > 0 else np.ones(len(part))
        rows.append({"circle_id": circle, "x": float(np.average(part["x"], weights=weights)),
                     "y": float(np.average(part["y"], weights=weights))})
    pts = pd.DataFrame(rows)
    circ = d.coverage[d.coverage["level"] == "circle"]
    for name, part in circ.groupby("function", sort=False):
        p = part.set_index("circle_id")
        col = "all" if name == ALL else name
        if name != ALL:
            pts[f"{col}_share_a"] = pts["circle_id"].map(p["share_a"]).astype(float).round(4)
            pts[f"{col}_share_b"] = pts["circle_id"].map(p["share_b"]).astype(float).round(4)
            pts[f"{col}_change_points"] = pts["circle_id"].map(p["share_change_points"]).astype(float).round(2)
            pts[f"{col}_covered_change"] = pts["circle_id"].map(p["covered_change"]).astype(float)
        else:
            pts["cost_change"] = pts["circle_id"].map(p["cost_change"]).astype(float)
    return gpd.GeoDataFrame(pts.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(pts["x"], pts["y"]),
                            crs=WGS84)


def change_map(d: RunDiff, demand: gpd.GeoDataFrame | None, lang: str, path: Path) -> str | None:
    """Sites added, removed and changed (unchanged ones grey) over the homes; returns a font warning or None."""
    lang, font, warning = figure_lang(lang)
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(9, 5.6), dpi=120)
        lat0 = 30.0
        if demand is not None and len(demand):
            ax.scatter(demand.geometry.x, demand.geometry.y, s=1.5, c="#d9d9d9", linewidths=0,
                       label=pick(lang, zh="居民点", en="homes"))
            lat0 = float(np.nanmean(demand.geometry.y))
        if len(d.unchanged):
            ax.scatter(d.unchanged["lon"], d.unchanged["lat"], s=14, c="#737373", linewidths=0,
                       label=pick(lang, zh=f"未变（{len(d.unchanged)}）", en=f"unchanged ({len(d.unchanged)})"))
        for change, (marker, colour) in CHANGE_STYLE.items():
            part = d.sites[d.sites["change"] == change]
            if len(part):
                ax.scatter(part["lon"], part["lat"], s=55, marker=marker, c=colour, edgecolors="black",
                           linewidths=0.4, label=f"{CHANGE_LABELS[change][lang]} ({len(part)})", zorder=3)
            if len(part):
                lat0 = float(np.nanmean(part["lat"])) if demand is None else lat0
        ax.set_aspect(1 / np.cos(np.radians(lat0)))
        ax.legend(fontsize=8, frameon=False, loc="best")
        ax.tick_params(labelsize=7)
        ax.set_title(pick(lang, zh=f"方案变化：{d.a.name} → {d.b.name}", en=f"What changed: {d.a.name} -> {d.b.name}"),
                     fontsize=9)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return warning


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("_")[:60] or "run"


def write_diff(d: RunDiff, root: str | Path, lang: str, labels: dict[str, str] | None = None,
               demand: gpd.GeoDataFrame | None = None) -> tuple[Path, list[str]]:
    """Write every file of a comparison to ``<root>/diffs/<A>-vs-<B>-<UTC time>/``; return it and new warnings."""
    labels = labels or {}
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"{_slug(d.a.scenario_name)}-vs-{_slug(d.b.scenario_name)}-{stamp}-{process_tag()}"
    parent = Path(root) / "diffs"
    name = unused_folder_name(parent, name)
    final = parent / name
    new_warnings: list[str] = []
    with atomic_folder(final, "diff folder") as tmp:
        (tmp / "diff.md").write_text(markdown(d, lang, labels), encoding="utf-8")
        sites_csv(d, lang).to_csv(tmp / "diff_sites.csv", index=False, encoding=CSV_ENCODING)
        coverage_csv(d, lang, labels).to_csv(tmp / "diff_coverage.csv", index=False, encoding=CSV_ENCODING)
        d.settings.to_csv(tmp / "diff_settings.csv", index=False, encoding=CSV_ENCODING)
        warning = change_map(d, demand, lang, tmp / "diff.png")
        if warning:
            new_warnings.append(f"diff.png: {warning}")
        layer = sites_csv(d, lang)
        gpd.GeoDataFrame(layer, geometry=gpd.points_from_xy(layer["lon"], layer["lat"]), crs=WGS84).to_file(
            tmp / "diff.gpkg", layer="diff_sites", driver="GPKG", engine="pyogrio")
        circles = circle_layer(d, demand)
        if circles is not None:
            circles.to_file(tmp / "diff.gpkg", layer="diff_circles", driver="GPKG", engine="pyogrio")
    log.info("wrote %s", final)
    return final, new_warnings
