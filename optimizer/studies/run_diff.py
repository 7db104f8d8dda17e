"""What changed between two finished runs: sites, coverage, cost and the scenario settings.

Run A is the reference, run B the what-if. From the two run folders
(:mod:`optimizer.run_folder`) this module states, without solving anything:

- **sites** (``diff_sites.csv``): each site converted in only one run (``added`` in B,
  ``removed`` from A) or in both with other functions or sizes (``changed``: functions
  added, removed, resized);
- **coverage** (``diff_coverage.csv``): per function, and per life circle and function,
  the people covered (running facilities + plan) and the share in each run and the
  change; the cost of the planned facilities; rows ``(all)`` carry the whole cost
  (conversion included) and the number of sites;
- **settings**: every resolved scenario value (``run.json`` → ``scenario.resolved``)
  that differs, by its dotted key (``budget.total``, ``sharing.groups``, ...);
- **memo**: a few sentences a planner can paste into a memo (:func:`memo`).

Two runs whose life circles have nothing in common are of different districts and are
not compared; runs on different input files are compared with a warning.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.errors import Problem
from optimizer.i18n import cohort_label, function_label, pick
from optimizer.run_folder import RunFolder, differing_inputs

log = logging.getLogger(__name__)

ALL = "(all)"
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
#: scenario keys that name a run rather than change it
IGNORED_SETTINGS = ("name", "description", "description_zh")
#: areas closer than this (m2) are the same size
AREA_TOLERANCE = 1e-6
NOT_SET = "(not set)"

SITE_COLUMNS = ["site_id", "site_name", "kind", "circle_id", "change", "functions_a", "functions_b",
                "functions_added", "functions_removed", "resized", "area_a", "area_b", "cost_a", "cost_b",
                "cost_change", "lon", "lat"]
COVERAGE_COLUMNS = ["level", "function", "circle_id", "cohort", "people_a", "people_b", "covered_a", "covered_b",
                    "covered_change", "share_a", "share_b", "share_change_points", "facilities_a", "facilities_b",
                    "cost_a", "cost_b", "cost_change"]


@dataclass(frozen=True)
class RunDiff:
    """The differences between run A and run B.

    Attributes
    ----------
    a, b
        The two run folders.
    sites
        Sites added, removed or changed (:data:`SITE_COLUMNS`); empty when the plans agree.
    unchanged
        Sites converted alike in both runs (``site_id``, ``lon``, ``lat``), for maps.
    coverage
        Coverage and cost per function and per life circle (:data:`COVERAGE_COLUMNS`).
    settings
        ``key``, ``a``, ``b``: resolved scenario values that differ (JSON text).
    warnings
        E.g. different input files.
    """

    a: RunFolder
    b: RunFolder
    sites: pd.DataFrame
    unchanged: pd.DataFrame
    coverage: pd.DataFrame
    settings: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """No site, coverage, cost or setting differs."""
        moved = self.coverage[["covered_change", "cost_change"]].abs().fillna(0).to_numpy()
        return not len(self.sites) and not len(self.settings) and bool((moved < 1e-6).all())


def comparability(a: RunFolder, b: RunFolder) -> tuple[list[Problem], list[str]]:
    """Problems that make two runs incomparable (different districts), and warnings (different inputs)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    if a.circles and b.circles and not (a.circles & b.circles):
        where_a = ", ".join(sorted(a.districts)) or f"{len(a.circles)} life circles"
        where_b = ", ".join(sorted(b.districts)) or f"{len(b.circles)} life circles"
        problems.append(Problem(str(b.path), f"run B ({b.name}: {where_b}) shares no life circle with run A "
                                             f"({a.name}: {where_a}): runs of different districts cannot be "
                                             "compared"))
    changed = differing_inputs(a.input_hashes, b.input_hashes)
    if changed:
        warnings.append("the two runs were solved on different input files (" + ", ".join(changed)
                        + "): differences are not only the scenario's")
    if a.mode != b.mode:
        warnings.append(f"run A is in {a.mode} mode, run B in {b.mode} mode: covered people are counted "
                        "differently (capacitated: served)")
    return problems, warnings


# ------------------------------------------------------------------ sites
def _site_plans(run: RunFolder) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in run.facilities.itertuples(index=False):
        out.setdefault(str(r.site_id), {})[str(r.function)] = float(r.area_m2)
    return out


def _site_info(run: RunFolder) -> dict[str, dict]:
    info: dict[str, dict] = {}
    for r in run.sites.to_dict(orient="records"):
        info[str(r["site_id"])] = r
    return info


def site_changes(a: RunFolder, b: RunFolder) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sites added, removed or changed between A and B, and the sites converted alike."""
    plans_a, plans_b = _site_plans(a), _site_plans(b)
    info_a, info_b = _site_info(a), _site_info(b)
    rows, same = [], []
    for sid in sorted(set(plans_a) | set(plans_b)):
        fa, fb = plans_a.get(sid, {}), plans_b.get(sid, {})
        meta = info_b.get(sid) or info_a.get(sid) or {}
        resized = [f"{f}: {fa[f]:g} -> {fb[f]:g} m2" for f in sorted(set(fa) & set(fb))
                   if abs(fa[f] - fb[f]) > AREA_TOLERANCE]
        if not fa:
            change = ADDED
        elif not fb:
            change = REMOVED
        elif set(fa) != set(fb) or resized:
            change = CHANGED
        else:
            same.append({"site_id": sid, "lon": meta.get("lon", np.nan), "lat": meta.get("lat", np.nan)})
            continue
        cost_a = float(info_a.get(sid, {}).get("total_cost", 0.0) or 0.0)
        cost_b = float(info_b.get(sid, {}).get("total_cost", 0.0) or 0.0)
        rows.append({
            "site_id": sid, "site_name": meta.get("site_name", ""), "kind": meta.get("kind", ""),
            "circle_id": meta.get("circle_id", ""), "change": change,
            "functions_a": "+".join(sorted(fa)), "functions_b": "+".join(sorted(fb)),
            "functions_added": "+".join(sorted(set(fb) - set(fa))),
            "functions_removed": "+".join(sorted(set(fa) - set(fb))),
            "resized": "; ".join(resized), "area_a": sum(fa.values()), "area_b": sum(fb.values()),
            "cost_a": cost_a, "cost_b": cost_b, "cost_change": cost_b - cost_a,
            "lon": meta.get("lon", np.nan), "lat": meta.get("lat", np.nan),
        })
    return (pd.DataFrame(rows, columns=SITE_COLUMNS),
            pd.DataFrame(same, columns=["site_id", "lon", "lat"]))


# ------------------------------------------------------------------ coverage and cost
def _covered(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    t = table.copy()
    t["covered"] = t["served_by_existing"].astype(float) + t["newly_covered"].astype(float)
    return t.groupby(keys, sort=True).agg(people=("people", "sum"), covered=("covered", "sum"),
                                          cohort=("cohort", "first"))


def _facility_costs(run: RunFolder, keys: list[str]) -> pd.DataFrame:
    f = run.facilities
    if not len(f):
        index = (pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1 else pd.Index([], name=keys[0]))
        return pd.DataFrame({"facilities": pd.Series(dtype=float), "cost": pd.Series(dtype=float)}, index=index)
    return f.assign(cost=f["function_cost"].astype(float)).groupby(keys).agg(
        facilities=("site_id", "size"), cost=("cost", "sum"))


def _joined(a: RunFolder, b: RunFolder, keys: list[str], cov_a: pd.DataFrame, cov_b: pd.DataFrame) -> pd.DataFrame:
    left = cov_a.join(_facility_costs(a, keys), how="left")
    right = cov_b.join(_facility_costs(b, keys), how="left")
    j = left.merge(right, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))
    j["cohort"] = j["cohort_a"].fillna(j["cohort_b"])
    for col in ("covered_a", "covered_b", "facilities_a", "facilities_b", "cost_a", "cost_b"):
        j[col] = j[col].astype(float).fillna(0.0)
    return j.reset_index()


def _with_changes(df: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        df["share_a"] = np.where(df["people_a"] > 0, df["covered_a"] / df["people_a"], np.nan)
        df["share_b"] = np.where(df["people_b"] > 0, df["covered_b"] / df["people_b"], np.nan)
    df["covered_change"] = df["covered_b"] - df["covered_a"]
    df["share_change_points"] = 100.0 * (df["share_b"] - df["share_a"])
    df["cost_change"] = df["cost_b"] - df["cost_a"]
    return df


def coverage_changes(a: RunFolder, b: RunFolder) -> pd.DataFrame:
    """Coverage and cost per function and per life circle x function, in A and B, and the change.

    Covered people are those of ``coverage_by_*.csv``: served by running facilities plus
    newly covered (capacitated mode: served). ``cost_*`` of a function row is what its
    planned facilities cost (site conversion excluded); ``(all)`` rows carry the whole
    cost of the converted sites and their number in ``facilities_*``.
    """
    by_fn = _joined(a, b, ["function"], _covered(a.coverage, ["function"]), _covered(b.coverage, ["function"]))
    by_fn["level"], by_fn["circle_id"] = "function", ALL
    by_circle = _joined(a, b, ["circle_id", "function"], _covered(a.coverage_by_circle, ["circle_id", "function"]),
                        _covered(b.coverage_by_circle, ["circle_id", "function"]))
    by_circle["level"] = "circle"
    totals = [{"level": "function", "function": ALL, "circle_id": ALL, "cohort": "",
               "facilities_a": float(len(a.sites)), "facilities_b": float(len(b.sites)),
               "cost_a": a.total_cost, "cost_b": b.total_cost}]
    circles = sorted(set(a.coverage_by_circle["circle_id"]) | set(b.coverage_by_circle["circle_id"]))
    cost_a = a.sites.groupby("circle_id")["total_cost"].agg(["sum", "size"]) if len(a.sites) else None
    cost_b = b.sites.groupby("circle_id")["total_cost"].agg(["sum", "size"]) if len(b.sites) else None
    for c in circles:
        def get(t, col, c=c):
            return float(t.at[c, col]) if t is not None and c in t.index else 0.0
        totals.append({"level": "circle", "function": ALL, "circle_id": c, "cohort": "",
                       "facilities_a": get(cost_a, "size"), "facilities_b": get(cost_b, "size"),
                       "cost_a": get(cost_a, "sum"), "cost_b": get(cost_b, "sum")})
    total = pd.DataFrame(totals)
    for col in ("people_a", "people_b", "covered_a", "covered_b"):
        total[col] = np.nan
    out = pd.concat([by_fn, by_circle], ignore_index=True)
    out = _with_changes(out)
    total = _with_changes(total)
    total["covered_change"] = np.nan
    return pd.concat([out, total], ignore_index=True)[COVERAGE_COLUMNS]


# ------------------------------------------------------------------ settings
def flatten(d: dict, prefix: str = "") -> dict[str, object]:
    """Nested mappings to dotted keys; lists and values kept whole."""
    out: dict[str, object] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def setting_changes(a: RunFolder, b: RunFolder) -> pd.DataFrame:
    """Resolved scenario values that differ between A and B, by dotted key (JSON text)."""
    fa = {k: v for k, v in flatten(a.resolved).items() if k.split(".")[0] not in IGNORED_SETTINGS}
    fb = {k: v for k, v in flatten(b.resolved).items() if k.split(".")[0] not in IGNORED_SETTINGS}
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key, NOT_SET), fb.get(key, NOT_SET)
        if _same(va, vb):
            continue
        rows.append({"key": key, "a": _text(va), "b": _text(vb)})
    return pd.DataFrame(rows, columns=["key", "a", "b"])


def _same(x: object, y: object) -> bool:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) \
            and not isinstance(y, bool):
        return float(x) == float(y)
    return json.dumps(x, sort_keys=True, ensure_ascii=False, default=str) == \
        json.dumps(y, sort_keys=True, ensure_ascii=False, default=str)


def _text(v: object) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def diff_runs(a: RunFolder, b: RunFolder, warnings: list[str] | None = None) -> RunDiff:
    """Every difference between run A and run B (see the module)."""
    sites, unchanged = site_changes(a, b)
    return RunDiff(a, b, sites, unchanged, coverage_changes(a, b), setting_changes(a, b), list(warnings or []))


# ------------------------------------------------------------------ the memo
def _money(v: float, lang: str) -> str:
    zh, en = f"{v / 1e4:,.1f}".removesuffix(".0"), f"{v / 1e6:,.1f}".removesuffix(".0")
    return pick(lang, zh=f"{zh}万元", en=f"{en} M yuan")


def _budget_sentence(d: RunDiff, lang: str) -> str | None:
    row = d.settings[d.settings["key"] == "budget.total"]
    if not len(row):
        return None
    try:
        va, vb = float(row["a"].iloc[0]), float(row["b"].iloc[0])
    except ValueError:
        return pick(lang, zh=f"总预算由{row['a'].iloc[0]}改为{row['b'].iloc[0]}",
                    en=f"The total budget goes from {row['a'].iloc[0]} to {row['b'].iloc[0]}")
    if va > 0 and abs(vb / va - 0.5) < 1e-9:
        return pick(lang, zh=f"预算减半至{_money(vb, lang)}", en=f"Halving the budget to {_money(vb, lang)}")
    if va > 0 and abs(vb / va - 2.0) < 1e-9:
        return pick(lang, zh=f"预算翻倍至{_money(vb, lang)}", en=f"Doubling the budget to {_money(vb, lang)}")
    pct = f"{(vb / va - 1):+.0%}" if va > 0 else ""
    return pick(lang, zh=f"预算由{_money(va, lang)}调整为{_money(vb, lang)}（{pct}）",
                en=f"Changing the budget from {_money(va, lang)} to {_money(vb, lang)} ({pct})")


def _settings_sentence(d: RunDiff, lang: str) -> str | None:
    rows = d.settings[d.settings["key"] != "budget.total"]
    if not len(rows):
        return None
    items: list[str] = []
    for r in rows.head(4).itertuples():
        short = len(r.a) <= 30 and len(r.b) <= 30
        items.append(f"{r.key} {r.a} -> {r.b}" if short else r.key)
    if len(rows) > 4:
        items.append(pick(lang, zh=f"等共{len(rows)}项", en=f"... {len(rows)} in all"))
    return pick(lang, zh="其他设置变化：" + "、".join(items), en="other settings changed: " + ", ".join(items))


def memo(d: RunDiff, lang: str, labels: dict[str, str] | None = None, top: int = 3) -> str:
    """A short paragraph on what changed, for a planner's memo.

    Parameters
    ----------
    d
        :func:`diff_runs`.
    lang
        ``zh`` or ``en``.
    labels
        Chinese function names from the scenario (``label_zh``), by function.
    top
        How many of the most affected life circles to name.
    """
    labels = labels or {}
    parts: list[str] = []
    lead = _budget_sentence(d, lang)
    n_a, n_b = len(d.a.sites), len(d.b.sites)
    counts = d.sites["change"].value_counts() if len(d.sites) else pd.Series(dtype=int)
    added, removed, changed = (int(counts.get(k, 0)) for k in (ADDED, REMOVED, CHANGED))
    cost_a, cost_b = d.a.total_cost, d.b.total_cost
    moves_en = f"{added} added, {removed} removed, {changed} changed"
    moves_zh = f"新增{added}处、取消{removed}处、调整{changed}处"
    if n_b == n_a:
        verb_en, verb_zh = f"keeps {_sites(n_b)} ({moves_en})", f"改建点位仍为{n_b}处（{moves_zh}）"
    elif n_b < n_a:
        verb_en = f"drops {_sites(n_a - n_b)} ({n_a} -> {n_b}: {moves_en})"
        verb_zh = f"改建点位减少{n_a - n_b}处（{n_a}→{n_b}：{moves_zh}）"
    else:
        verb_en = f"adds {_sites(n_b - n_a)} ({n_a} -> {n_b}: {moves_en})"
        verb_zh = f"改建点位增加{n_b - n_a}处（{n_a}→{n_b}：{moves_zh}）"
    site_text = pick(lang, zh=f"{verb_zh}，投资由{_money(cost_a, lang)}变为{_money(cost_b, lang)}",
                     en=f"{verb_en}; cost {_money(cost_a, lang)} -> {_money(cost_b, lang)}")
    if lead:
        parts.append(lead + pick(lang, zh="，", en=" ") + site_text)
    else:
        parts.append(pick(lang, zh="方案B相比方案A", en="Run B against run A ") + site_text)
    fn_rows = d.coverage[(d.coverage["level"] == "function") & (d.coverage["function"] != ALL)]
    for r in fn_rows.to_dict(orient="records"):
        name = function_label(r["function"], lang, labels.get(r["function"], ""))
        who = pick(lang, zh=("辆" if r["cohort"] == "cars" else "名") + cohort_label(str(r["cohort"]), lang),
                   en="residents" if r["cohort"] == "total" else cohort_label(str(r["cohort"]), lang))
        sa, sb, dc = r["share_a"], r["share_b"], r["covered_change"]
        if not (np.isfinite(sa) and np.isfinite(sb)):
            continue
        if abs(dc) < 0.5:
            parts.append(pick(lang, zh=f"{name}覆盖率不变（{sb:.1%}）", en=f"{name} coverage unchanged at {sb:.1%}"))
            continue
        if f"{sa:.1%}" == f"{sb:.1%}":  # a change too small to show in the share: say so, with the people
            parts.append(pick(lang, zh=f"{name}覆盖率保持{sb:.1%}（{dc:+,.0f}{who}）",
                              en=f"{name} coverage stays at {sb:.1%} ({dc:+,.0f} {who})"))
            continue
        up = dc > 0
        parts.append(pick(lang,
                          zh=f"{name}覆盖率由{sa:.1%}{'升至' if up else '降至'}{sb:.1%}（{dc:+,.0f}{who}）",
                          en=f"{name} coverage {'rises' if up else 'falls'} from {sa:.1%} to {sb:.1%} "
                             f"({dc:+,.0f} {who})"))
    circ = d.coverage[(d.coverage["level"] == "circle") & (d.coverage["function"] != ALL)].copy()
    circ = circ[circ["share_change_points"].abs().fillna(0) >= 0.05]
    if len(circ):
        circ["size"] = circ["share_change_points"].abs()
        worst = circ.sort_values(["size", "circle_id"], ascending=[False, True]).head(top)
        items = [f"{r['circle_id']} {function_label(r['function'], lang, labels.get(r['function'], ''))} "
                 f"{r['share_change_points']:+.1f}" + pick(lang, zh="个百分点", en=" points")
                 for r in worst.to_dict(orient="records")]
        parts.append(pick(lang, zh="变化最大的生活圈：" + "、".join(items),
                          en="circles most affected: " + ", ".join(items)))
    other = _settings_sentence(d, lang)
    if other:
        parts.append(other)
    if d.is_empty:
        return pick(lang, zh="两次运行的方案、覆盖、投资和设置完全相同。",
                    en="The two runs have the same plan, coverage, cost and settings.")
    text = pick(lang, zh="；".join(parts) + "。", en="; ".join(parts) + ".")
    for w in d.warnings:
        text += pick(lang, zh=f"\n\n注意：{w}", en=f"\n\nNote: {w}")
    return text


def _sites(n: int) -> str:
    """``1 site``, ``2 sites``: a count of sites in English."""
    return f"{n} site" if n == 1 else f"{n} sites"
