"""Write an assessment (``lifecircle assess``) to ``<root>/<scenario>/assess-<UTC time>/``: all files, or none.

Files: ``assessment.csv`` (UTF-8 with BOM; per life circle x function: has, lacks, adds
and the circle level's cards), ``assessment_levels.csv`` (per graded level unit x
function: measure, attainment and card at baseline and after the plan),
``card_counts.csv`` (units per card per level and function, before and after),
``assessment.xlsx`` (a summary sheet with the counts and the grading table, a sheet per
function and one per graded level, headers in the chosen language, card cells filled in
the card's colour), ``assessment.gpkg`` (layers ``circles``: one point per life circle
with its cards per function, and ``assessment``: one point per circle x function;
EPSG:4326), ``assessment.png`` (a map per function coloured by the circle's card after
the plan) and ``assessment.json`` (which run, the grading table, targets, notes, warnings).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from optimizer.i18n import function_label, pick  # noqa: E402
from optimizer.inputs.types import Inputs  # noqa: E402
from optimizer.outputs.fonts import figure_lang  # noqa: E402
from optimizer.outputs.writers import atomic_folder, unused_folder_name  # noqa: E402
from optimizer.processes import process_tag  # noqa: E402
from optimizer.rules.existing import unit_circles  # noqa: E402
from optimizer.scenario import Scenario  # noqa: E402
from optimizer.studies.assessment import (  # noqa: E402
    CARD_COLOURS,
    CARD_LABELS,
    CARDS,
    DEFAULT_TARGETS,
    card_counts,
    card_label,
    card_meanings,
    column_label,
    level_label,
    level_reader_table,
    measure_label,
    reader_table,
    scenario_cards,
)
from optimizer.studies.grades import LevelGrades  # noqa: E402

log = logging.getLogger(__name__)

CSV_ENCODING = "utf-8-sig"
WGS84 = "EPSG:4326"
#: columns shown on each function's sheet, in order
SHEET_COLUMNS = ["circle_id", "card_before", "card_after", "cohort", "residents", "people", "running_facilities",
                 "existing_covered", "share_before", "existing_places", "places_needed", "target", "target_source",
                 "unit", "required", "shortfall_before", "new_facilities", "new_sites", "new_places",
                 "newly_covered", "share_after", "achieved", "shortfall_after", "gap_points_before",
                 "gap_points_after", "grade_measure", "grade_value_before", "grade_value_after",
                 "grade_attainment_before", "grade_attainment_after"]
#: columns shown on each graded level's sheet, in order
LEVEL_SHEET_COLUMNS = ["unit_id", "function", "card_before", "card_after", "measure", "cohort", "people",
                       "standard", "running_facilities", "new_facilities", "amount_before", "amount_after",
                       "value_before", "value_after", "attainment_before", "attainment_after", "measure_note"]
_PERCENT = {"share_before", "share_after", "grade_attainment_before", "grade_attainment_after",
            "attainment_before", "attainment_after"}
_ONE_DECIMAL = {"gap_points_before", "gap_points_after", "required", "shortfall_before", "shortfall_after",
                "achieved", "places_needed", "existing_places", "new_places", "amount_before", "amount_after",
                "people"}


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def csv_table(table: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """The CSV: stable English column names, plus the function and cards in ``lang``."""
    out = table.copy()
    words = reader_table(table, scenario, lang)
    out.insert(2, "function_label", words["function"])
    out["card_before_label"] = words["card_before"]
    out["card_after_label"] = words["card_after"]
    return out.round({c: 4 if ("share" in c or "attainment" in c or "value" in c) else 2
                      for c in out.columns if out[c].dtype.kind == "f"})


def levels_csv_table(levels: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """``assessment_levels.csv``: stable English column names, plus level, function and cards in ``lang``."""
    out = levels.copy()
    words = level_reader_table(levels, scenario, lang)
    out.insert(1, "level_label", words["level"])
    out.insert(4, "function_label", words["function"])
    out["card_before_label"] = words["card_before"]
    out["card_after_label"] = words["card_after"]
    return out.round({c: 4 for c in out.columns if out[c].dtype.kind == "f"})


def _sheet_name(text: str, used: set[str]) -> str:
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in text)[:31] or "sheet"
    base, i = name, 2
    while name.lower() in used:
        name = f"{base[:28]}-{i}"
        i += 1
    used.add(name.lower())
    return name


def _cell(v):
    if isinstance(v, (float, np.floating)) and not np.isfinite(v):
        return None
    return v.item() if isinstance(v, np.generic) else v


def write_xlsx(table: pd.DataFrame, grades: LevelGrades, scenario: Scenario, lang: str, path: Path,
               about: dict[str, str]) -> list[str]:
    """The workbook: a summary sheet, one sheet per function, one per graded level. Returns the sheet names."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fills = {c: PatternFill("solid", fgColor=CARD_COLOURS[c].lstrip("#").upper()) for c in CARDS}
    bold = Font(bold=True)
    counts = card_counts(grades.table)
    wb = Workbook()
    ws = wb.active
    used: set[str] = set()
    ws.title = _sheet_name(pick(lang, zh="汇总", en="summary"), used)
    ws.append([pick(lang, zh="五色卡评估", en="Five-colour cards (五色卡)")])
    ws["A1"].font = Font(bold=True, size=13)
    for key, value in about.items():
        ws.append([key, value])
    ws.append([])
    header = [column_label("level", lang), column_label("function", lang), column_label("units", lang)] + \
        [column_label(c, lang) for c in counts.columns if c not in ("level", "function", "units")]
    ws.append(header)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True)
    for j, col in enumerate(counts.columns, start=1):
        card = col.rsplit("_", 1)[0]
        if card in fills:
            ws.cell(head_row, j).fill = fills[card]
    for r in counts.to_dict(orient="records"):
        fn = scenario.functions.get(r["function"])
        ws.append([level_label(r["level"], lang), function_label(r["function"], lang, fn.label_zh if fn else "")]
                  + [r[c] for c in counts.columns if c not in ("level", "function")])
    ws.append([])
    ws.append([pick(lang, zh="评价规则（达标率 = 指标值 / 标准值）",
                    en="grading rules (attainment = measure / standard)")])
    ws.cell(ws.max_row, 1).font = bold
    ws.append([pick(lang, zh="规则", en="rule"), column_label("level", lang), column_label("measure", lang),
               pick(lang, zh="功能", en="functions"), column_label("standard", lang),
               pick(lang, zh="色卡", en="card"), pick(lang, zh="达标率下限", en="attainment at least"),
               pick(lang, zh="依据", en="basis")])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for i, rule in enumerate(scenario.grading):
        for colour in CARDS[:-1]:
            t = getattr(rule.cards, colour)
            ws.append([i, level_label(rule.level, lang), measure_label(rule.measure, lang),
                       ", ".join(rule.functions) or pick(lang, zh="全部", en="all"),
                       rule.standard if rule.standard is not None else pick(lang, zh="功能标准", en="function's"),
                       card_label(colour, lang), t.min, t.basis])
            ws.cell(ws.max_row, 6).fill = fills[colour]
            ws.cell(ws.max_row, 7).number_format = "0%"
        ws.append([i, level_label(rule.level, lang), measure_label(rule.measure, lang), "", "",
                   card_label(CARDS[-1], lang), pick(lang, zh=f"低于{rule.cards.orange.min:.0%}",
                                                     en=f"below {rule.cards.orange.min:.0%}"), ""])
        ws.cell(ws.max_row, 6).fill = fills[CARDS[-1]]
    if grades.notes:
        ws.append([])
        ws.append([pick(lang, zh="说明", en="notes")])
        ws.cell(ws.max_row, 1).font = bold
        for note in grades.notes:
            ws.append([note])
    ws.column_dimensions["A"].width = 22
    for j in range(2, max(len(header), 8) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 12
    words = reader_table(table, scenario, lang)
    for name, fn in scenario.functions.items():
        mine = table["function"] == name
        part, shown = table[mine], words[mine]
        sheet = wb.create_sheet(_sheet_name(function_label(name, lang, fn.label_zh), used))
        _fill_sheet(sheet, part, shown, SHEET_COLUMNS, lang, fills, bold)
    level_words = level_reader_table(grades.table, scenario, lang)
    for level in dict.fromkeys(grades.table["level"]):
        mine = grades.table["level"] == level
        sheet = wb.create_sheet(_sheet_name(pick(lang, zh=f"色卡-{level_label(level, lang)}",
                                                 en=f"cards {level_label(level, lang)}"), used))
        _fill_sheet(sheet, grades.table[mine], level_words[mine], LEVEL_SHEET_COLUMNS, lang, fills, bold)
    wb.save(path)
    return wb.sheetnames


def _fill_sheet(sheet, part: pd.DataFrame, shown: pd.DataFrame, columns: list[str], lang: str, fills: dict,
                bold) -> None:
    """One table sheet: headers in ``lang``, card cells filled, numbers formatted."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    sheet.append([column_label(c, lang) for c in columns])
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for (_, raw), (_, row) in zip(part.iterrows(), shown.iterrows(), strict=True):
        sheet.append([_cell(row[c]) for c in columns])
        r = sheet.max_row
        for c in ("card_before", "card_after"):
            if raw[c] in fills:
                sheet.cell(r, columns.index(c) + 1).fill = fills[raw[c]]
        for j, c in enumerate(columns, start=1):
            if c in _PERCENT:
                sheet.cell(r, j).number_format = "0.0%"
            elif c in _ONE_DECIMAL:
                sheet.cell(r, j).number_format = "#,##0.0"
    sheet.freeze_panes = "B2"
    for j, c in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = 30 if c in ("target", "target_source", "new_sites",
                                                                          "measure_note") else 12


def circle_layers(table: pd.DataFrame, points: gpd.GeoDataFrame, scenario: Scenario,
                  lang: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``circles`` (one point per circle, cards per function as columns) and ``assessment`` (long)."""
    words = reader_table(table, scenario, lang)
    wide = points[["circle_id", "demand_units", "geometry"]].copy()
    for name in scenario.functions:
        part = table[table["function"] == name].set_index("circle_id")
        shown = words[table["function"] == name].set_index("circle_id")
        for col in ("card_before", "card_after"):
            wide[f"{name}_{col}"] = wide["circle_id"].map(part[col])
            wide[f"{name}_{col}_label"] = wide["circle_id"].map(shown[col])
        for col in ("share_before", "share_after", "gap_points_after"):
            wide[f"{name}_{col}"] = wide["circle_id"].map(part[col]).astype(float).round(4)
    long = points[["circle_id", "geometry"]].merge(csv_table(table, scenario, lang), on="circle_id")
    return (gpd.GeoDataFrame(wide, geometry="geometry", crs=points.crs).to_crs(WGS84),
            gpd.GeoDataFrame(long, geometry="geometry", crs=points.crs).to_crs(WGS84))


def card_map(table: pd.DataFrame, inputs: Inputs, scenario: Scenario, lang: str, path: Path,
             planned: pd.DataFrame | None = None) -> str | None:
    """A map per function: demand units coloured by their circle's card after the plan.

    Returns a warning when Chinese labels were asked for and no Chinese font exists.
    """
    lang, font, warning = figure_lang(lang)
    names = list(scenario.functions)
    cols = 2 if len(names) > 1 else 1
    rows = int(np.ceil(len(names) / cols))
    units = inputs.demand.geometry.to_crs(WGS84)
    ux, uy = units.x.to_numpy(), units.y.to_numpy()
    circles = unit_circles(inputs)
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(rc):
        ratio = 1.0
        if len(ux) > 1 and np.ptp(uy) > 0:
            ratio = np.ptp(ux) * np.cos(np.radians(np.nanmean(uy))) / np.ptp(uy)
        panel_h = float(np.clip(6.2 / max(ratio, 1e-6), 2.5, 6.5)) + 0.6
        fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, panel_h * rows + 0.8), dpi=110, squeeze=False)
        for ax, name in zip(axes.ravel(), names, strict=False):
            part = table[table["function"] == name].set_index("circle_id")["card_after"]
            colours = pd.Series(circles).map(lambda c, p=part: CARD_COLOURS.get(p.get(c, ""), "#bbbbbb"))
            ax.scatter(ux, uy, c=colours.to_numpy(), s=3, linewidths=0)
            if planned is not None and len(planned):
                mine = planned[planned["function"] == name]
                ax.scatter(mine["lon"], mine["lat"], marker="^", s=22, c="black", linewidths=0,
                           label=pick(lang, zh="规划设施", en="planned facility"))
            counts = part.value_counts()
            fn = scenario.functions[name]
            ax.set_title(f"{function_label(name, lang, fn.label_zh)}: "
                         + ", ".join(f"{card_label(c, lang)} {int(counts.get(c, 0))}" for c in CARDS
                                     if counts.get(c, 0)), fontsize=9)
            ax.set_aspect(1 / np.cos(np.radians(np.nanmean(uy))) if len(uy) else 1)
            ax.tick_params(labelsize=7)
        for ax in axes.ravel()[len(names):]:
            ax.axis("off")
        meanings = card_meanings(scenario_cards(scenario))
        handles = [Line2D([], [], marker="o", ls="", color=CARD_COLOURS[c],
                          label=f"{card_label(c, lang)}: {meanings[c][lang]}") for c in CARDS]
        if planned is not None and len(planned):
            handles.append(Line2D([], [], marker="^", ls="", color="black",
                                  label=pick(lang, zh="规划设施", en="planned facility")))
        fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
        fig.suptitle(pick(lang, zh=f"{scenario.name}：规划后各生活圈色卡（按居民点着色）",
                          en=f"{scenario.name}: each life circle's card after the plan (homes coloured by circle)"),
                     fontsize=10)
        fig.tight_layout(rect=(0, 0.8 / (panel_h * rows + 0.8), 1, 0.97))
        fig.savefig(path)
        plt.close(fig)
    return warning


def write_assessment(table: pd.DataFrame, grades: LevelGrades, points: gpd.GeoDataFrame, inputs: Inputs,
                     scenario: Scenario, root: str | Path, lang: str, *, run_folder: str,
                     planned: pd.DataFrame | None = None, warnings: list[str] | None = None) -> tuple[Path, list[str]]:
    """Write every file of an assessment atomically; return the folder and any new warnings."""
    warnings = list(warnings or [])
    stamp = _stamp()
    scenario_dir = Path(root) / scenario.name
    scenario_dir.mkdir(parents=True, exist_ok=True)
    name = unused_folder_name(scenario_dir, f"assess-{stamp}-{process_tag()}")
    final = scenario_dir / name
    new_warnings: list[str] = []
    with atomic_folder(final, "assessment folder") as tmp:
        counts = card_counts(grades.table)
        csv_table(table, scenario, lang).to_csv(tmp / "assessment.csv", index=False, encoding=CSV_ENCODING)
        levels_csv_table(grades.table, scenario, lang).to_csv(tmp / "assessment_levels.csv", index=False,
                                                              encoding=CSV_ENCODING)
        counts.to_csv(tmp / "card_counts.csv", index=False, encoding=CSV_ENCODING)
        about = {pick(lang, zh="情景", en="scenario"): scenario.name,
                 pick(lang, zh="规划来源", en="plan from run"): run_folder,
                 pick(lang, zh="生成时间(UTC)", en="written (UTC)"): stamp}
        write_xlsx(table, grades, scenario, lang, tmp / "assessment.xlsx", about)
        wide, long = circle_layers(table, points, scenario, lang)
        wide.to_file(tmp / "assessment.gpkg", layer="circles", driver="GPKG", engine="pyogrio")
        long.to_file(tmp / "assessment.gpkg", layer="assessment", driver="GPKG", engine="pyogrio")
        warning = card_map(table, inputs, scenario, lang, tmp / "assessment.png", planned)
        if warning:
            new_warnings.append(f"assessment.png: {warning}")
        record = {
            "scenario": scenario.name, "source": scenario.source, "run_folder": run_folder, "lang": lang,
            "written_utc": stamp, "cards": {c: {"zh": CARD_LABELS[c]["zh"], "en": CARD_LABELS[c]["en"],
                                                "colour": CARD_COLOURS[c]} for c in CARDS},
            "grading": [asdict(r) for r in scenario.grading],
            "grading_from_scenario": "grading" in scenario.resolved,
            "grading_notes": grades.notes,
            "default_targets": {k: asdict(v) for k, v in DEFAULT_TARGETS.items()},
            "requirements_from_scenario": [asdict(r) for r in scenario.requirements],
            "card_counts": counts.to_dict(orient="records"),
            "warnings": warnings + new_warnings,
        }
        (tmp / "assessment.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str),
                                             encoding="utf-8")
    log.info("wrote %s", final)
    return final, new_warnings
