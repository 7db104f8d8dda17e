"""What the report shows, gathered from a run folder as plain dicts and frames (no I/O).

Every function here takes a :class:`~optimizer.run_folder.RunFolder` and a language and
returns plain values; :mod:`optimizer.report.html` and :mod:`optimizer.report.figures`
draw them.
"""
from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pyproj

from optimizer.i18n import cohort_label, function_label, pick, unit_label
from optimizer.map_style import STATUS_CODES, STATUS_COLOURS, function_styles
from optimizer.report import map_layers
from optimizer.report.messages import CJK
from optimizer.report.words import kind_label, money, people, say, share, status_word
from optimizer.run_folder import RunFolder

log = logging.getLogger(__name__)

def _label_zh(folder: RunFolder) -> dict[str, str]:
    cov = folder.coverage
    if "label_zh" not in cov.columns:
        return {}
    return {str(f): (str(z) if isinstance(z, str) else "") for f, z in zip(cov["function"], cov["label_zh"],
                                                                          strict=True)}


def function_names(folder: RunFolder, lang: str) -> dict[str, str]:
    """Each planned function's name for readers (the scenario's ``label_zh`` in Chinese)."""
    zh = _label_zh(folder)
    return {f: function_label(f, lang, zh.get(f, "")) for f in folder.functions}


def text_language(text: str) -> str:
    """``zh`` when Chinese characters make up a fifth or more of ``text``'s letters, else ``en``.

    Examples
    --------
    >>> text_language("Synthetic district calibrated to Yuzhong (渝中区)")
    'en'
    >>> text_language("渝中区模拟数据（SYNTHETIC）")
    'zh'
    """
    cjk = len(CJK.findall(text))
    letters = cjk + len(re.findall(r"[A-Za-z]", text))
    return "zh" if letters and cjk / letters >= 0.2 else "en"


def description(scenario: dict, lang: str) -> tuple[str, str]:
    """The scenario's description for a report in ``lang``, and the language it is written in.

    Parameters
    ----------
    scenario
        ``run.json`` → ``scenario``: ``description`` and (optionally) ``description_zh``.
    lang
        The report's language.

    Returns
    -------
    tuple of str
        The text in ``lang`` when the scenario gives it (``description_zh`` in Chinese, an
        English ``description`` in English); else the one it gives, with its own language
        (``zh`` or ``en``), for the page to mark.
    """
    zh = str(scenario.get("description_zh") or "").strip()
    other = str(scenario.get("description") or "").strip()
    if not zh and other and text_language(other) == "zh":
        zh, other = other, ""
    if lang == "zh":
        return (zh, "zh") if zh else (other, "en")
    return (other, "en") if other else (zh, "zh")


def headline(folder: RunFolder, lang: str) -> dict:
    """The figures a planner reads first, equal to ``run.json``.

    Returns
    -------
    dict
        ``scenario``, ``run_id``, ``created``, ``status``, ``proven``, ``gap``, ``objective``,
        ``bound``, ``objective_kind`` (share, people, fair, least_cost), ``stages`` (objective
        fair's two stages, or ``None``), ``cost``, ``budget``, ``cost_share_of_budget``,
        ``sites``, ``facilities``, ``solver``, ``reach_method``, ``weaker_method``,
        ``check_passed``, ``warnings``, ``status_text`` in ``lang``, ``description`` (as
        ``run.json`` has it) and ``description_shown`` (:func:`description`: the text and
        its language).
    """
    r = folder.record
    plan = r.get("plan") or {}
    solver = r.get("solver") or {}
    reach = r.get("reach") or {}
    resolved = (r.get("scenario") or {}).get("resolved") or {}
    cost, budget = plan.get("cost"), plan.get("budget")
    gap = r.get("gap")
    proven = bool(r.get("proven_optimal"))
    if proven:
        status_text = say("proven", lang)
    else:
        status_text = f"{say('not_proven', lang)} ({status_word(str(r.get('status', '?')), lang)}" + (
            f", {say('gap', lang)} {gap:.2%})" if gap is not None else ")")
    objective_kind = r.get("objective_kind") or (resolved.get("objective", "share") if isinstance(resolved, dict)
                                                 else "share")
    if objective_kind == "max_coverage":  # the former name of objective people
        objective_kind = "people"
    return {
        "scenario": (r.get("scenario") or {}).get("name", ""),
        "description": (r.get("scenario") or {}).get("description") or "",
        "description_shown": description(r.get("scenario") or {}, lang),
        "run_id": r.get("run_id", folder.path.name), "created": r.get("created_utc", ""),
        "status": r.get("status"), "proven": proven, "gap": gap,
        "objective": r.get("objective"), "bound": r.get("bound"), "objective_kind": objective_kind,
        "stages": r.get("objective_stages"),
        "cost": cost, "budget": budget if objective_kind != "least_cost" else None,
        "cost_share_of_budget": (cost / budget) if cost is not None and budget and objective_kind != "least_cost"
        else None,
        "sites": int(plan.get("sites_converted", len(folder.sites))), "facilities": len(folder.facilities),
        "solver": solver.get("solver", ""), "solver_version": solver.get("solver_version", ""),
        "solve_seconds": solver.get("solve_seconds"),
        "reach_method": reach.get("method", ""), "weaker_method": bool(reach.get("weaker_method", False)),
        "check_passed": bool((r.get("check") or {}).get("passed", False)),
        "warnings": [str(w) for w in r.get("warnings") or []],
        "status_text": status_text,
    }


def coverage_rows(folder: RunFolder, lang: str) -> list[dict]:
    """Per function: people of its cohort, covered by running facilities, newly, unreached, share."""
    names = function_names(folder, lang)
    rows = []
    thresholds = {}
    if folder.walk_vs_buffer is not None:
        thresholds = dict(zip(folder.walk_vs_buffer["function"], folder.walk_vs_buffer["threshold_min"],
                              strict=True))
    if len(folder.facilities) and "threshold_min" in folder.facilities.columns:
        thresholds.update(dict(zip(folder.facilities["function"], folder.facilities["threshold_min"], strict=True)))
    for row in folder.coverage.to_dict(orient="records"):
        f = str(row["function"])
        rows.append({
            "function": f, "label": names[f], "cohort": cohort_label(str(row["cohort"]), lang),
            "people": float(row["people"]), "existing": float(row["served_by_existing"]),
            "new": float(row["newly_covered"]), "unreached": float(row["unreached"]),
            "share": float(row["covered_share"]),
            "facilities": int(row.get("facilities_planned", 0) or 0),
            "threshold_min": thresholds.get(f),
        })
    return rows


def fairness_rows(folder: RunFolder, lang: str) -> list[dict] | None:
    """Per function: the worst life circle, the median circle share and the Gini index, before and after.

    Read from ``run.json`` → ``fairness`` (the rows of ``fairness.csv``); ``None`` for a run
    folder written before it was recorded.

    Returns
    -------
    list of dict or None
        ``function``, ``label``, ``circles``, and for ``before`` and ``after``: ``worst``
        (share), ``worst_circle``, ``median``, ``gini``.
    """
    records = folder.record.get("fairness")
    if not records:
        return None
    names = function_names(folder, lang)
    out: dict[str, dict] = {}
    for rec in records:
        f = str(rec["function"])
        row = out.setdefault(f, {"function": f, "label": names.get(f, f), "circles": int(rec.get("circles") or 0)})
        row[str(rec["moment"])] = {"worst": rec.get("share_min"), "worst_circle": str(rec.get("worst_circle", "")),
                                   "median": rec.get("share_median"), "gini": rec.get("gini")}
    return [r for r in out.values() if "before" in r and "after" in r]


def circle_shares(folder: RunFolder) -> dict[str, pd.DataFrame]:
    """Per function: each life circle's covered share before and after the plan, sorted by after."""
    out = {}
    bc = folder.coverage_by_circle
    for f in folder.functions:
        df = bc[bc["function"].astype(str) == f][["circle_id", "people", "covered_share_before",
                                                  "covered_share_after"]].copy()
        df = df[df["people"] > 0].fillna({"covered_share_before": 0.0, "covered_share_after": 0.0})
        out[f] = df.sort_values(["covered_share_after", "circle_id"], ignore_index=True)
    return out


def cost_breakdown(folder: RunFolder, lang: str) -> dict:
    """The plan's cost: conversion, each function's fit-out, the sharing saving, by district.

    Returns
    -------
    dict
        ``conversion``, ``by_function`` (function -> yuan), ``sharing_saving`` (positive: money
        saved), ``total`` (= conversion + functions - saving), ``budget`` and ``by_district``
        (a frame: district, conversion, one column per function, sharing_saving, total).
    """
    sites, fac = folder.sites, folder.facilities
    names = function_names(folder, lang)
    by_function = {f: float(fac.loc[fac["function"].astype(str) == f, "function_cost"].sum())
                   if len(fac) else 0.0 for f in folder.functions}
    conversion = float(sites["conversion_cost"].sum()) if len(sites) else 0.0
    saving = float(sites["sharing_saving"].sum()) if len(sites) else 0.0
    district_col = "district" if "district" in sites.columns else None
    rows = []
    if len(sites):
        s_dist = sites[district_col].fillna("").astype(str) if district_col else pd.Series("", index=sites.index)
        f_dist = fac["district"].fillna("").astype(str) if "district" in fac.columns else pd.Series("", fac.index)
        for d in sorted(set(s_dist)):
            here = sites[s_dist == d]
            rec = {"district": d or "–", "conversion": float(here["conversion_cost"].sum())}
            for f in folder.functions:
                rec[names[f]] = float(fac.loc[(f_dist == d) & (fac["function"].astype(str) == f),
                                              "function_cost"].sum())
            rec["sharing_saving"] = float(here["sharing_saving"].sum())
            rec["total"] = float(here["total_cost"].sum())
            rows.append(rec)
    budget = headline(folder, lang)["budget"]
    return {"conversion": conversion, "by_function": by_function, "function_names": names,
            "sharing_saving": saving, "total": float(sites["total_cost"].sum()) if len(sites) else 0.0,
            "budget": budget, "by_district": pd.DataFrame(rows)}


def walk_buffer_rows(folder: RunFolder, lang: str) -> list[dict] | None:
    """Per function: covered with the plan by walking and by a straight-line buffer."""
    wb = folder.walk_vs_buffer
    if wb is None:
        return None
    names = function_names(folder, lang)
    rows = []
    for r in wb.to_dict(orient="records"):
        p = float(r["people"])
        walk, buf = float(r["with_plan_covered_walking"]), float(r["with_plan_covered_buffer"])
        rows.append({"function": str(r["function"]), "label": names.get(str(r["function"]), str(r["function"])),
                     "people": p, "threshold_min": float(r["threshold_min"]), "radius_m": float(r["buffer_radius_m"]),
                     "walking": walk, "buffer": buf, "walking_share": walk / p if p else None,
                     "buffer_share": buf / p if p else None, "overstates": buf - walk,
                     "overstatement_pct": float(r.get("with_plan_overstatement_pct", np.nan))})
    return rows


def frontier_rows(folder: RunFolder) -> pd.DataFrame | None:
    """The budget frontier (ascending budget), or ``None`` when not given."""
    if folder.frontier is None:
        return None
    return folder.frontier.sort_values("budget", ignore_index=True)


def check_rows(folder: RunFolder) -> list[dict]:
    """The independent check's items: name, passed, detail."""
    items = (folder.record.get("check") or {}).get("items") or []
    return [{"check": str(i.get("check", "")), "passed": bool(i.get("passed")), "detail": str(i.get("detail", ""))}
            for i in items]


def requirement_summary(folder: RunFolder) -> dict | None:
    """Rule 7: circle targets met of all, when the scenario had requirements."""
    req = folder.requirements
    if req is None or "met" not in req.columns:
        return None
    met = req["met"].astype(str).str.lower().isin(["true", "1"])
    return {"met": int(met.sum()), "total": len(req)}


# ----------------------------------------------------------------------------- the map
def analysis_crs(folder: RunFolder) -> pyproj.CRS:
    """The run's projected CRS in metres (``run.json`` inputs.crs), else the UTM zone of the demand."""
    text = (folder.record.get("inputs") or {}).get("crs")
    if text:
        try:
            crs = pyproj.CRS.from_user_input(text)
            if crs.is_projected:
                return crs
        except pyproj.exceptions.CRSError:
            log.warning("run.json names an unknown CRS %r; using the UTM zone of the demand", text)
    return folder.demand.estimate_utm_crs()


def _project(lon, lat, transformer: pyproj.Transformer) -> tuple[np.ndarray, np.ndarray]:
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def map_data(folder: RunFolder, lang: str) -> dict:
    """Everything the interactive map draws, in whole metres of the run's projected CRS.

    Coordinates are offsets from the west and north edges of the demand's extent (x east,
    y south, as SVG draws), rounded to the metre so the embedded data stays small.

    Returns
    -------
    dict
        ``width``, ``height`` (metres), ``functions`` (key, label, cohort, colour, symbol),
        ``units`` (``x``, ``y``, ``id``, ``circle`` index, ``people`` per cohort,
        ``status`` per function as a string of codes 0 unreached / 1 existing / 2 new),
        ``circles``, ``existing`` (``[x, y, function, name]``), ``facilities`` (one per
        site x function: site, name, function, x, y, kind, area, capacity, newly covered,
        ``k``/``m`` its place among the site's functions, ``reach`` unit indices or ``None``),
        ``reach_available``, ``streets`` (polylines, each ``[x0, y0, dx1, dy1, ...]``),
        ``street_points``, ``outlines`` (each circle's ``id``, ``name``, step-coded ``rings``
        and the ``x``, ``y`` of its name), ``outlines_source`` (``layer``, ``units``, ``none``),
        ``notes`` (where the streets and outlines came from, in ``lang``) and ``summary``
        (:func:`plan_summary`).
    """
    crs = analysis_crs(folder)
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    d = folder.demand
    ux, uy = _project(d.geometry.x, d.geometry.y, to_xy)
    fac = folder.facilities
    fx, fy = _project(fac["lon"], fac["lat"], to_xy) if len(fac) else (np.zeros(0), np.zeros(0))
    ex = folder.existing
    if ex is not None and len(ex):
        ex = ex[ex["function"].astype(str).isin(folder.functions)] if "function" in ex.columns else ex.iloc[:0]
    ex_x, ex_y = _project(ex.geometry.x, ex.geometry.y, to_xy) if ex is not None and len(ex) else ([], [])
    all_x = np.concatenate([ux, fx, np.asarray(ex_x, dtype=float)])
    all_y = np.concatenate([uy, fy, np.asarray(ex_y, dtype=float)])
    pad = 150.0
    x0, y1 = float(np.nanmin(all_x)) - pad, float(np.nanmax(all_y)) + pad
    width = float(np.nanmax(all_x)) + pad - x0
    height = y1 - (float(np.nanmin(all_y)) - pad)

    def sx(x):
        return np.rint(np.asarray(x, dtype=float) - x0).astype(int).tolist()

    def sy(y):
        return np.rint(y1 - np.asarray(y, dtype=float)).astype(int).tolist()

    names = function_names(folder, lang)
    styles = function_styles(folder.functions)
    cohorts = {}
    cohort_of = dict(zip(folder.coverage["function"].astype(str), folder.coverage["cohort"].astype(str), strict=True))
    for f in folder.functions:
        c = cohort_of[f]
        if c in d.columns and c not in cohorts:
            cohorts[c] = np.rint(pd.to_numeric(d[c], errors="coerce").fillna(0).to_numpy()).astype(int).tolist()
    circle_col = d["circle_id"].fillna("").astype(str) if "circle_id" in d.columns else pd.Series([""] * len(d))
    circles = sorted(set(circle_col))
    circle_index = {c: i for i, c in enumerate(circles)}
    status = {f: "".join(str(STATUS_CODES[s]) for s in d[f"{f}_status"].astype(str)) for f in folder.functions}
    unit_ids = d["unit_id"].astype(str).tolist()
    unit_row = {u: i for i, u in enumerate(unit_ids)}

    reach_lists: dict[tuple[str, str], list[int]] | None = None
    if folder.reach is not None:
        reach_lists = {}
        r = folder.reach
        rows = r["unit_id"].astype(str).map(unit_row)
        ok = rows.notna()
        if not ok.all():
            log.warning("facility_reach.csv names %d demand units not in plan.gpkg; they are left out",
                        int((~ok).sum()))
        for (site, f), grp in pd.DataFrame({"site": r["site_id"].astype(str)[ok], "f": r["function"].astype(str)[ok],
                                            "row": rows[ok].astype(int)}).groupby(["site", "f"], sort=False):
            reach_lists[(site, f)] = sorted(grp["row"].tolist())

    facilities = []
    if len(fac):
        per_site = fac.groupby(fac["site_id"].astype(str)).cumcount().to_numpy()
        counts = fac.groupby(fac["site_id"].astype(str))["function"].transform("size").to_numpy()
        xs, ys = sx(fx), sy(fy)
        for i, row in enumerate(fac.to_dict(orient="records")):
            site, f = str(row["site_id"]), str(row["function"])
            newly = row.get("newly_covered")
            facilities.append({
                "site": site, "name": str(row.get("site_name") or ""), "f": f, "x": xs[i], "y": ys[i],
                "kind": kind_label(str(row.get("kind", "")), lang),
                "circle": str(row.get("circle_id") or ""),
                "area": round(float(row["area_m2"]), 1),
                "cap": f"{float(row['capacity']):,.0f} {unit_label(str(row.get('capacity_unit', '')), lang)}",
                "newly": None if newly is None or newly != newly else round(float(newly)),
                "k": int(per_site[i]), "m": int(counts[i]),
                "reach": None if reach_lists is None else reach_lists.get((site, f), []),
            })
    existing = []
    if ex is not None and len(ex):
        ex_names = ex["name"].fillna("").astype(str).tolist() if "name" in ex.columns else [""] * len(ex)
        ex_ids = ex["facility_id"].astype(str).tolist() if "facility_id" in ex.columns else [""] * len(ex)
        for x, y, f, n, i in zip(sx(ex_x), sy(ex_y), ex["function"].astype(str), ex_names, ex_ids, strict=True):
            existing.append([x, y, f, n or i])
    frame = map_layers.Frame(crs, x0, y1, width, height)
    base = map_layers.base_layers(folder.path, folder.record, circle_col.tolist(), np.column_stack([ux, uy]), frame,
                                  lang)
    return {
        "width": round(width), "height": round(height), "crs": crs.to_string(),
        "functions": [{"key": f, "label": names[f], "cohort": cohort_of[f],
                       "cohort_label": cohort_label(cohort_of[f], lang), **styles[f]} for f in folder.functions],
        "units": {"x": sx(ux), "y": sy(uy), "id": unit_ids, "circle": [circle_index[c] for c in circle_col],
                  "people": cohorts, "status": status},
        "circles": circles, "existing": existing, "facilities": facilities,
        "reach_available": reach_lists is not None,
        "status_colours": STATUS_COLOURS,
        "streets": base.streets, "street_points": base.street_points,
        "outlines": base.circles, "outlines_source": base.circles_source, "notes": base.notes,
        "summary": plan_summary(folder, lang),
    }


def plan_summary(folder: RunFolder, lang: str) -> dict:
    """What the map's side panel says while nothing is highlighted: the plan in a few lines, in ``lang``.

    Returns
    -------
    dict
        ``rows`` (label, value: status, sites, new facilities, cost and budget), ``proven``
        and ``gains`` (per function: label, cohort, people newly covered, share after).
    """
    h = headline(folder, lang)
    cost = money(h["cost"], lang)
    if h["budget"]:
        cost += f" / {say('budget', lang)} {money(h['budget'], lang)} ({share(h['cost_share_of_budget'])})"
    rows = [[say("status", lang), h["status_text"]], [say("sites", lang), str(h["sites"])],
            [say("facilities", lang), str(h["facilities"])], [say("cost", lang), cost]]
    gains = [{"label": r["label"], "cohort": r["cohort"], "new": "+" + people(r["new"]), "share": share(r["share"])}
             for r in coverage_rows(folder, lang)]
    return {"rows": rows, "proven": h["proven"], "gains": gains}


def js_words(lang: str) -> dict[str, str]:
    """The phrases the map's script shows (tooltips, legend)."""
    keys = ("status_existing", "status_new", "status_unreached", "reach_of", "site", "kind", "area", "capacity",
            "newly_covered_here", "units", "circle", "existing_facilities", "people", "minutes")
    out = {k: say(k, lang) for k in keys}
    out["m2"] = "m²"
    out.update({k: say(k, lang) for k in ("gains", "covered_after", "new")})
    out.update(map_layers.map_words(lang))
    out["sep"] = pick(lang, zh="：", en=": ")
    return out

