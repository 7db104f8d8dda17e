"""The plan in Excel: ``plan.xlsx`` of every run, the tables of its CSV files in one workbook.

A planner opens one file and finds the chosen sites, the planned facilities, the coverage
per life circle and per function, and the independent check of the plan, each on its own
sheet. The sheets are the very tables ``plan_sites.csv``, ``plan_facilities.csv``,
``coverage_by_circle.csv`` and ``coverage_by_function.csv`` are written from, rounded as
those files are (:func:`as_in_csv`), so the workbook and the CSVs agree to the cent; the
check sheet lists the check of ``run.json``, item by item.

Headers are bilingual, ``中文 / key``: the Chinese name, then the CSV column it is (e.g.
``点位编号 / site_id``), so that a column is found in either file. Sheet names and the
words added for readers (a function's name, a circle's name, passed or not) are in the
run's language. Numbers are stored as numbers with a display format (yuan with thousands
separators, shares as percent), ids as text (``007`` keeps its zeros).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from optimizer.i18n import cohort_label, function_label, pick
from optimizer.outputs.three_lists import circle_names
from optimizer.outputs.workbook import (
    AREA_FORMAT,
    DEGREES_FORMAT,
    PEOPLE_FORMAT,
    SHARE_FORMAT,
    TEXT_FORMAT,
    YUAN_FORMAT,
    write_workbook,
)
from optimizer.pipeline import Run

#: the workbook's file name in the run folder
FILE_NAME = "plan.xlsx"

#: the sheets, in order: key -> sheet name in Chinese and English (and the CSV file it shows)
SHEETS: dict[str, dict[str, str]] = {
    "sites": {"zh": "改造点位", "en": "sites", "file": "plan_sites.csv"},
    "facilities": {"zh": "规划设施", "en": "facilities", "file": "plan_facilities.csv"},
    "circles": {"zh": "分生活圈覆盖", "en": "coverage by circle", "file": "coverage_by_circle.csv"},
    "functions": {"zh": "分功能覆盖", "en": "coverage by function", "file": "coverage_by_function.csv"},
    "check": {"zh": "校核", "en": "check", "file": "run.json"},
}

#: the Chinese name of every column of the plan's sheets, by its CSV key
CHINESE_HEADERS: dict[str, str] = {
    "site_id": "点位编号",
    "site_name": "点位名称",
    "kind": "点位类型",
    "address": "地址",
    "circle_id": "生活圈编号",
    "circle_name": "生活圈",
    "district": "区县",
    "functions": "功能代码",
    "functions_zh": "功能",
    "shared_groups": "共享组合",
    "area_available_m2": "可用面积（平方米）",
    "area_used_m2": "使用面积（平方米）",
    "conversion_cost": "场地改造费用（元）",
    "function_cost": "功能改造费用（元）",
    "sharing_saving": "共享节省（元）",
    "total_cost": "一次性投资合计（元）",
    "complex": "综合体",
    "complex_saving": "综合体节省（元）",
    "places": "车位数",
    "hours": "开放时段",
    "lon": "经度",
    "lat": "纬度",
    "function": "功能代码",
    "function_label": "服务功能",
    "function_zh": "服务功能（中文）",
    "label_zh": "服务功能（中文）",
    "area_m2": "面积（平方米）",
    "capacity": "服务容量",
    "capacity_unit": "容量单位",
    "capacity_people": "可服务人数",
    "cohort": "人群代码",
    "cohort_label": "服务人群",
    "people": "服务人群人数",
    "people_in_reach": "步行可达人数",
    "served_by_existing": "现有设施已覆盖人数",
    "newly_covered": "规划新增覆盖人数",
    "covered_only_here": "仅此设施覆盖人数",
    "unreached": "未覆盖人数",
    "threshold_min": "步行时间标准（分钟）",
    "covered_share": "覆盖率",
    "covered_share_before": "规划前覆盖率",
    "covered_share_after": "规划后覆盖率",
    "facilities_planned": "规划设施数",
    "weight": "权重",
    "check": "校核项",
    "passed": "是否通过",
    "detail": "说明",
}

#: a site's columns per function (``canteen_area_m2``): suffix -> Chinese after the function's name
PER_FUNCTION_HEADERS: dict[str, str] = {
    "_area_m2": "面积（平方米）",
    "_capacity": "服务容量",
    "_newly_covered": "新增覆盖人数",
}

#: columns counting people (shown as whole people; the value keeps its decimals)
PEOPLE_COLUMNS = frozenset({"people", "people_in_reach", "served_by_existing", "newly_covered", "covered_only_here",
                            "unreached", "capacity_people"})

#: a column of shares, 0-1 (``covered_share_after``; not ``shared_groups``)
SHARE_KEY = re.compile(r"(^|_)share(_|$)")

#: a check passed or not, in words
PASSED_WORDS: dict[bool, dict[str, str]] = {True: {"zh": "通过", "en": "passed"},
                                            False: {"zh": "未通过", "en": "failed"}}


def as_in_csv(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as its CSV file holds it: no geometry, decimals rounded (``writers._csv`` writes this).

    Longitude and latitude to 7 decimals, shares to 4, every other decimal number to 2
    (yuan to the fen).
    """
    out = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    return out.round({c: (7 if c in ("lon", "lat") else 4 if "share" in c else 2)
                      for c in out.columns if out[c].dtype.kind == "f"})


def header(key: str, functions: list[str] | tuple[str, ...] = (), labels: dict[str, str] | None = None) -> str:
    """A column's bilingual header ``中文 / key`` (a column without a Chinese name: its key alone).

    ``functions`` and ``labels`` (function -> Chinese name) name a site's per-function
    columns: ``canteen_area_m2`` -> ``社区食堂面积（平方米） / canteen_area_m2``.
    """
    chinese = CHINESE_HEADERS.get(key)
    if chinese is None:
        for f in functions:
            rest = key[len(f):] if key.startswith(f) else ""
            if rest in PER_FUNCTION_HEADERS:
                chinese = (labels or {}).get(f, f) + PER_FUNCTION_HEADERS[rest]
                break
    return f"{chinese} / {key}" if chinese else key


def number_format(key: str) -> str | None:
    """The Excel number format of a column, by its CSV key (``None``: Excel's ``General``)."""
    if key.endswith("_id"):
        return TEXT_FORMAT
    if SHARE_KEY.search(key):
        return SHARE_FORMAT
    if key in ("lon", "lat"):
        return DEGREES_FORMAT
    if key.endswith(("_cost", "saving")):
        return YUAN_FORMAT
    if key.endswith(("_m2", "capacity")):
        return AREA_FORMAT
    if key in PEOPLE_COLUMNS or key.endswith("_newly_covered"):
        return PEOPLE_FORMAT
    return None


def check_table(run: Run, lang: str) -> pd.DataFrame:
    """The plan's check, one row per item: ``check`` (its name), ``passed`` (in words), ``detail``.

    The items of ``run.json`` → ``check`` → ``items``, in their order.
    """
    rows = [{"check": i.name, "passed": pick(lang, **PASSED_WORDS[bool(i.passed)]), "detail": i.detail}
            for i in run.check.items]
    return pd.DataFrame(rows, columns=["check", "passed", "detail"])


def plan_sheets(run: Run, lang: str, sites: pd.DataFrame, facilities: pd.DataFrame,
                coverage_by_function: pd.DataFrame, coverage_by_circle: pd.DataFrame
                ) -> dict[str, pd.DataFrame]:
    """The plan's tables by sheet key (:data:`SHEETS`), with machine keys as columns.

    Each table is as its CSV file holds it (:func:`as_in_csv`), ids as text, with words for
    readers added: the function's name in ``lang`` (``function_label``) beside a
    ``function`` column (in Chinese only where the table has no Chinese name already), the
    cohort's name (``cohort_label``) beside ``cohort``, the circle's name beside
    ``circle_id`` on the circle sheet.
    """
    names = {n: function_label(n, lang, fn.label_zh) for n, fn in run.scenario.functions.items()}
    circles = circle_names(run.inputs)
    tables = {"sites": sites, "facilities": facilities, "circles": coverage_by_circle,
              "functions": coverage_by_function}
    out: dict[str, pd.DataFrame] = {}
    for key, table in tables.items():
        t = as_in_csv(table)
        for c in t.columns:
            if c.endswith("_id"):
                t[c] = t[c].map(lambda v: v if v is None or (isinstance(v, float) and v != v) else str(v))
        has_chinese_name = bool({"function_zh", "label_zh"} & set(t.columns))
        if "function" in t.columns and len(t) and not (lang == "zh" and has_chinese_name):
            t.insert(t.columns.get_loc("function") + 1, "function_label",
                     t["function"].map(lambda f: names.get(f) or function_label(str(f), lang)))
        if "cohort" in t.columns and len(t):
            t.insert(t.columns.get_loc("cohort") + 1, "cohort_label",
                     t["cohort"].map(lambda c: cohort_label(str(c), lang) if isinstance(c, str) and c else ""))
        if key == "circles" and "circle_id" in t.columns:
            t.insert(t.columns.get_loc("circle_id") + 1, "circle_name",
                     [circles.get(c, "") for c in t["circle_id"]])
        out[key] = t
    out["check"] = check_table(run, lang)
    return out


def write_plan_workbook(run: Run, lang: str, sites: pd.DataFrame, facilities: pd.DataFrame,
                        coverage_by_function: pd.DataFrame, coverage_by_circle: pd.DataFrame,
                        path: Path) -> None:
    """Write ``plan.xlsx``: sites, facilities, coverage per circle and per function, the check.

    Parameters
    ----------
    run
        The run (its scenario names the functions; its check fills the check sheet).
    lang
        ``zh`` or ``en``: the sheet names and the words added for readers.
    sites, facilities, coverage_by_function, coverage_by_circle
        The tables ``plan_sites.csv``, ``plan_facilities.csv``, ``coverage_by_function.csv``
        and ``coverage_by_circle.csv`` are written from, as they are (not rounded yet).
    path
        The ``.xlsx`` file to write (in the run's partial folder: it comes with the run or not at all).
    """
    functions = list(run.scenario.functions)
    chinese = {n: function_label(n, "zh", fn.label_zh) for n, fn in run.scenario.functions.items()}
    sheets, formats = {}, {}
    for key, table in plan_sheets(run, lang, sites, facilities, coverage_by_function, coverage_by_circle).items():
        name = pick(lang, zh=SHEETS[key]["zh"], en=SHEETS[key]["en"])
        headers = {c: header(c, functions, chinese) for c in table.columns}
        sheets[name] = table.rename(columns=headers)
        formats[name] = {headers[c]: f for c in table.columns if (f := number_format(c))}
    write_workbook(sheets, path, number_formats=formats, wrap_header=True)
