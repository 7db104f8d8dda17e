"""Write a multi-year plan to ``<root>/<scenario>/plan-<years>-<run id>/``: all files, or none.

Files: ``projects.csv`` (UTF-8 with BOM, one row per project), ``reserve_projects.csv``
(the ranked reserve list, 中远期储备), ``circle_standards.csv`` (with requirements: per life
circle the first year at its standard, and against its ``target_year``), ``projects.xlsx``
(a sheet per year, a summary sheet, the reserve list and the circles; headers
"中文 / English"), ``projects.gpkg`` (layer ``projects`` with the year, EPSG:4326) and
``phasing.json``. Written into a hidden
temporary folder and renamed into place at the end.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path

import pandas as pd

from optimizer.i18n import cohort_label, function_label, pick, unit_label
from optimizer.jsonable import to_jsonable
from optimizer.outputs.tables import _versions
from optimizer.outputs.writers import CSV_ENCODING, _gpkg_layer, atomic_folder
from optimizer.processes import process_tag, utc_stamp
from optimizer.rules.existing import unit_circles
from optimizer.studies.phasing.milestones import circle_table
from optimizer.studies.phasing.plan import project_table
from optimizer.studies.phasing.reserve import DEFAULT_TOP, reserve_projects
from optimizer.studies.phasing.run import PhasingRun

log = logging.getLogger(__name__)

#: Chinese and English headers of the project list and the summary.
HEADERS: dict[str, tuple[str, str]] = {
    "year": ("年份", "year"),
    "project_id": ("项目编号", "project id"),
    "site_id": ("资产编号", "site id"),
    "site_name": ("资产名称", "site name"),
    "address": ("地址", "address"),
    "circle_id": ("生活圈", "life circle"),
    "district": ("区", "district"),
    "kind": ("资产类型", "site kind"),
    "functions": ("功能代码", "function codes"),
    "functions_label": ("新增功能", "functions opened"),
    "area_m2": ("面积（平方米）", "area (m2)"),
    "capacity": ("规模", "capacity"),
    "cost": ("投资（元）", "cost (yuan)"),
    "budget": ("年度预算（元）", "budget of the year (yuan)"),
    "money_available": ("当年可用资金（元）", "money available that year (yuan)"),
    "spent": ("当年投资（元）", "spent (yuan)"),
    "projects": ("项目数", "projects"),
    "weight": ("年度权重", "weight of the year"),
    "weighted_coverage": ("加权新覆盖人数（累计）", "weighted people newly covered (cumulative)"),
    "circles_at_standard": ("达标生活圈数", "life circles at their standard"),
    "rank": ("排序", "rank"),
    "function": ("功能代码", "function code"),
    "function_label": ("功能", "function"),
    "cohort": ("服务人群", "cohort"),
    "newly_covered": ("单独加入时新覆盖人数", "people newly covered, added alone"),
    "objective_gain": ("单独加入时目标值增量", "adds to the objective, added alone"),
    "value_per_10k_yuan": ("每万元目标值增量", "objective added per 10,000 yuan"),
    "site_in_plan": ("资产已在规划中", "site already in the plan"),
    "available_from": ("可用年份", "available from"),
    "name": ("生活圈名称", "circle name"),
    "target_year": ("目标年份", "target year"),
    "year_at_standard": ("达标年份", "year at its standard"),
    "met_by_target_year": ("目标年份前达标", "at its standard by its target year"),
}


def _function_header(key: str, scenario) -> tuple[str, str] | None:
    for name, fn in scenario.functions.items():
        if key == f"newly_covered_{name}":
            return (f"新覆盖：{function_label(name, 'zh', fn.label_zh)}（{cohort_label(fn.cohort, 'zh')}）",
                    f"newly covered: {function_label(name, 'en')} ({cohort_label(fn.cohort, 'en')})")
        if key == f"covered_share_{name}":
            return (f"累计覆盖率：{function_label(name, 'zh', fn.label_zh)}",
                    f"covered share after the year: {function_label(name, 'en')}")
    return None


def bilingual(columns, scenario) -> dict[str, str]:
    """Column key -> ``"中文 / English"``."""
    out = {}
    for key in columns:
        pair = HEADERS.get(key) or _function_header(key, scenario) or (key, key)
        out[key] = f"{pair[0]} / {pair[1]}"
    return out


def run_id_for(run: PhasingRun) -> str:
    """``plan-<years>-<UTC time to the ms>-<hash of scenario, inputs and years>-p<process>-<random>``.

    Two plans of one scenario written at once never take one name (see :mod:`optimizer.processes`).
    """
    digest = hashlib.sha256(json.dumps(to_jsonable(run.scenario.resolved), sort_keys=True, default=str).encode()
                            + json.dumps(run.setup.inputs.file_hashes, sort_keys=True).encode()
                            + run.horizon.label.encode()).hexdigest()[:8]
    return f"plan-{run.horizon.label}-{utc_stamp()}-{digest}-{process_tag()}"


def projects_frame(run: PhasingRun, lang: str) -> pd.DataFrame:
    """The annual project list (with geometry), function names in ``lang``."""
    sc = run.scenario
    s = run.setup
    return project_table(run.plan, s.inputs, sc, s.reach_sites, s.reach_facilities,
                         lambda f: function_label(f, lang, sc.functions[f].label_zh),
                         lambda u: unit_label(u, lang))


def reserve_frame(run: PhasingRun, lang: str, top: int = DEFAULT_TOP) -> pd.DataFrame:
    """The reserve list: the ``top`` unused candidates by objective added per 10,000 yuan, each alone."""
    sc, s = run.scenario, run.setup
    final = run.plan.hosted[-1] if run.plan.hosted else {}
    return reserve_projects(final, s.model, s.inputs, sc, s.reach_sites, s.reach_facilities,
                            run.horizon.available_from, top,
                            lambda f: function_label(f, lang, sc.functions[f].label_zh))


def circles_frame(run: PhasingRun) -> pd.DataFrame | None:
    """Per life circle: the first year at its standard and against its target year; None without requirements."""
    at = run.check.recomputed.get("circles_at_standard") or {}
    if not at:
        return None
    circles = sorted({str(c) for c in unit_circles(run.setup.inputs)})
    standards = pd.DataFrame({int(y): [c in set(cs) for c in circles] for y, cs in at.items()},
                             index=pd.Index(circles, name="circle_id"))
    return circle_table(standards, run.setup.inputs)


def summary_frame(run: PhasingRun) -> pd.DataFrame:
    """Per year: budget, money available, spent, projects, people newly covered, covered shares."""
    return pd.DataFrame(run.check.recomputed["years"])


def phasing_record(run: PhasingRun, run_id: str) -> dict:
    """Everything ``phasing.json`` states."""
    r, sc, h = run.result, run.scenario, run.horizon
    return to_jsonable({
        "run_id": run_id,
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "scenario": {"name": sc.name, "source": sc.source, "description": sc.description,
                     "description_zh": sc.description_zh, "resolved": sc.resolved},
        "years": list(h.years),
        "status": r.status.value,
        "proven_optimal": r.proven_optimal,
        "objective": r.objective,
        "bound": r.bound,
        "gap": r.gap,
        "objective_means": "sum over the years of the year's weight x weighted people covered by the plan by "
                           "the end of that year",
        "solver": r.summary(),
        "phasing": {"budgets": dict(zip(map(str, h.years), h.budgets.tolist(), strict=True)),
                    "weights": dict(zip(map(str, h.years), h.weights.tolist(), strict=True)),
                    "discount_rate": sc.phasing.discount_rate, "carry_over": h.carry_over,
                    "budget_total": h.total, "budget_by_district": h.by_district,
                    "milestones": _milestones(run),
                    "sites_available_later": {str(sid): int(y) for sid, y in
                                              zip(s_ids(run), h.available_from, strict=True) if y > h.years[0]}},
        "per_year": run.check.recomputed["years"],
        "projects": [{"project_id": p.number, "year": p.year, "site_id": s_ids(run)[p.site_row],
                      "functions": list(p.functions), "cost": p.cost} for p in run.plan.projects],
        "check": run.check.as_dict(),
        "inputs": {"files": run.setup.inputs.file_hashes, "sites": len(run.setup.inputs.sites),
                   "demand_units": len(run.setup.inputs.demand)},
        "model": run.model.stats,
        "timings_s": run.setup.timings.seconds,
        "warnings": run.warnings,
        "versions": _versions(),
    })


def _milestones(run: PhasingRun) -> dict[str, int]:
    ms = run.model.milestones
    return {str(y): c for y, c in zip(ms.years, ms.counts, strict=True)} if ms else {}


def s_ids(run: PhasingRun) -> list[str]:
    """The site ids of a phased run, in site row order."""
    return run.setup.inputs.sites["site_id"].astype(str).tolist()


def _excel(projects: pd.DataFrame, summary: pd.DataFrame, run: PhasingRun, path: Path, lang: str,
           reserve: pd.DataFrame, circles: pd.DataFrame | None) -> None:
    sc, r = run.scenario, run.result
    table = pd.DataFrame(projects.drop(columns="geometry", errors="ignore"))
    facts = [
        ("目标值 / objective", r.objective),
        ("证明的上界 / proven bound", r.bound),
        ("差距 / gap", r.gap),
        ("是否证明最优 / proven optimal", pick(lang, zh="是", en="yes") if r.proven_optimal
         else pick(lang, zh="否", en="no")),
        ("求解器 / solver", f"{r.solver} {r.solver_version}"),
        ("独立复核 / independent check", pick(lang, zh="通过", en="passed") if run.check.passed
         else pick(lang, zh="未通过", en="FAILED")),
    ]
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for year in run.horizon.years:
            mine = table[table["year"] == year] if len(table) else table
            mine.rename(columns=bilingual(mine.columns, sc)).to_excel(xl, sheet_name=str(year), index=False)
        name = "汇总 summary"
        summary.rename(columns=bilingual(summary.columns, sc)).to_excel(xl, sheet_name=name, index=False)
        pd.DataFrame(facts, columns=["项目 / item", "值 / value"]).to_excel(xl, sheet_name=name, index=False,
                                                                          startrow=len(summary) + 2)
        reserve.rename(columns=bilingual(reserve.columns, sc)).to_excel(xl, sheet_name="储备 reserve", index=False)
        if circles is not None:
            circles.rename(columns=bilingual(circles.columns, sc)).to_excel(xl, sheet_name="生活圈 circles",
                                                                             index=False)


def write_phasing(run: PhasingRun, root: str | Path, lang: str = "zh", run_id: str | None = None,
                  reserve_top: int = DEFAULT_TOP) -> Path:
    """Write every output of ``run`` atomically and return its folder (``reserve_top``: length of the reserve
    list)."""
    run_id = run_id or run_id_for(run)
    scenario_dir = Path(root) / run.scenario.name
    final = scenario_dir / run_id
    with atomic_folder(final, "run folder") as tmp:
        projects = projects_frame(run, lang)
        summary = summary_frame(run)
        flat = pd.DataFrame(projects.drop(columns="geometry", errors="ignore"))
        flat.round({c: 4 if "share" in c else 2 for c in flat.columns if flat[c].dtype.kind == "f"}) \
            .to_csv(tmp / "projects.csv", index=False, encoding=CSV_ENCODING)
        reserve = reserve_frame(run, lang, reserve_top)
        reserve.round({"newly_covered": 2, "objective_gain": 4, "value_per_10k_yuan": 4}) \
            .to_csv(tmp / "reserve_projects.csv", index=False, encoding=CSV_ENCODING)
        circles = circles_frame(run)
        if circles is not None:
            circles.to_csv(tmp / "circle_standards.csv", index=False, encoding=CSV_ENCODING)
        _excel(projects, summary, run, tmp / "projects.xlsx", lang, reserve, circles)
        _gpkg_layer(projects, tmp / "projects.gpkg", "projects")
        record = phasing_record(run, run_id)
        (tmp / "phasing.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    log.info("wrote %s", final)
    return final
