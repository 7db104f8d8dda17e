"""What each life circle has, lacks and should add, per function, graded by five-colour cards (五色卡).

Planning asks of every circle "有什么、缺什么、补什么" (what it has, lacks, should add).
For each life circle x function this module states:

- **has**: people of the function's counted cohort already within reach of a running
  facility (capacitated mode: served within its capacity, rule 4), the running facilities
  and their places in the circle, and the places the cohort needs where the function has
  ``capacity_demand``;
- **lacks**: the target (below) and how far what exists falls short of it;
- **adds**: the plan's facilities on the circle's sites, their places, the people newly
  covered, and what is still short after the plan.

Targets
-------
A circle x function is measured against the scenario's ``requirements`` (rule 7,
:mod:`optimizer.rules.requirements`) where one names that circle; otherwise against
:data:`DEFAULT_TARGETS`, each with its source. Both kinds are counted exactly as rule 7
counts them: ``min_share`` on the share of the counted cohort covered (running facilities
counted), ``min_per_1000`` on places per 1,000 residents of the circle (running facilities
in the circle plus planned ones on its sites, at standard size in coverage mode).

Attainment is the covered share for a share target, and places provided / places
required for a per-1,000 target (whose own target is then 100 %). The **gap** is the
target minus the attainment, in percentage points (for a per-1,000 target: the percent of
the required places missing).

Cards (五色卡)
--------------
Cards grade provision, not the target: the scenario's ``grading:`` table
(:mod:`optimizer.grading`, graded by :mod:`optimizer.studies.grades`) gives, per
level unit x function, a measure (by default places per 1,000 of the function's cohort),
its attainment of the standard and a card from baseline (running facilities alone) and
after the plan. Best to worst: 绿 green, 蓝 blue, 黄 yellow, 橙 orange, 红 red; with the
default bands 绿 >= 100 % of the standard, 蓝 >= 80 %, 黄 >= 50 %, 橙 >= 20 %, 红 below.
The life-circle table here carries the circle level's cards (blank where the grading
table has no circle rule for the function); ``attainment_*`` and ``gap_points_*`` are
against the target (what the circle lacks), ``grade_*`` the graded measure.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.grading import COLOURS, DEFAULT_CARDS, CardThresholds
from optimizer.i18n import cohort_label, function_label, pick
from optimizer.inputs.types import Inputs
from optimizer.rules.existing import ExistingService, facility_circles, unit_circles
from optimizer.rules.requirements import requirement_status, requirement_targets
from optimizer.scenario import Requirement, Scenario
from optimizer.studies.grades import LevelGrades, PlanProvision, grade_levels, level_counts

log = logging.getLogger(__name__)

GREEN, BLUE, YELLOW, ORANGE, RED = "green", "blue", "yellow", "orange", "red"
#: the five cards, best first
CARDS: tuple[str, ...] = COLOURS
#: fill colours of the cards (maps, spreadsheet cells)
CARD_COLOURS: dict[str, str] = {GREEN: "#2ca25f", BLUE: "#3182bd", YELLOW: "#fed24c", ORANGE: "#fd8d3c",
                                RED: "#de2d26"}
CARD_LABELS: dict[str, dict[str, str]] = {
    GREEN: {"zh": "绿", "en": "green"}, BLUE: {"zh": "蓝", "en": "blue"}, YELLOW: {"zh": "黄", "en": "yellow"},
    ORANGE: {"zh": "橙", "en": "orange"}, RED: {"zh": "红", "en": "red"},
}
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "district": {"zh": "区", "en": "district"}, "subdistrict": {"zh": "街道", "en": "sub-district"},
    "community": {"zh": "社区", "en": "community"}, "circle": {"zh": "生活圈", "en": "life circle"},
}
MEASURE_LABELS: dict[str, dict[str, str]] = {
    "places_per_1000": {"zh": "每千人设施规模", "en": "places per 1,000"},
    "share_covered": {"zh": "覆盖率", "en": "share covered"},
    "m2_per_resident": {"zh": "人均设施面积", "en": "m2 per resident"},
}


def card_meanings(cards: CardThresholds = DEFAULT_CARDS) -> dict[str, dict[str, str]]:
    """What each card means under ``cards`` (attainment = measure / standard), in both languages."""
    out = {}
    for colour in COLOURS[:-1]:
        lo = getattr(cards, colour).min
        out[colour] = {"zh": f"达标率不低于{lo:.0%}", "en": f"at least {lo:.0%} of the standard"}
    lo = cards.orange.min
    out[COLOURS[-1]] = {"zh": f"达标率低于{lo:.0%}", "en": f"below {lo:.0%} of the standard"}
    return out


#: the meanings of the cards under the default bands
CARD_MEANINGS: dict[str, dict[str, str]] = card_meanings()


def scenario_cards(scenario: Scenario) -> CardThresholds:
    """The bands of the circle level (else the first rule, else the default): for one legend."""
    rules = [r for r in scenario.grading if r.level == "circle"] or list(scenario.grading)
    return rules[0].cards if rules else DEFAULT_CARDS


@dataclass(frozen=True)
class DefaultTarget:
    """A target used where the scenario states no requirement for a circle and function.

    ``kind``: ``share`` (``level`` = share of the counted cohort covered) or ``per_1000``
    (``level`` = places per 1,000 residents). ``source``: where the figure comes from.
    """

    kind: str
    level: float
    source: str


#: The one place default targets are defined, with their sources.
DEFAULT_TARGETS: dict[str, DefaultTarget] = {
    "canteen": DefaultTarget("share", 0.8, "lifecircle default"),
    "childcare": DefaultTarget("per_1000", 4.5, "domain.md: national target of 4.5 childcare places per 1,000 "
                                                "residents (V; Chongqing 4.3 in 2025)"),
    "elder_care": DefaultTarget("share", 0.8, "lifecircle default"),
    "parking": DefaultTarget("share", 0.8, "lifecircle default (5分钟取停: park within a 5-minute walk)"),
}
#: the default target of a function a scenario adds
OTHER_FUNCTION_TARGET = DefaultTarget("share", 0.8, "lifecircle default")
SCENARIO_SOURCE = "scenario requirement (rule 7)"


@dataclass(frozen=True)
class PlanAdditions:
    """What a plan adds, per function and life circle.

    Attributes
    ----------
    new_people
        People of the counted cohort newly covered (capacitated: newly served).
    new_places
        Places of planned facilities on the circle's sites.
    new_sites
        Site ids of the planned facilities on the circle's sites.
    source
        Where the plan comes from (a run folder).
    facilities
        The plan's facilities (``plan_facilities.csv``), for grading at any level.
    covered_by_unit
        Per function and ``unit_id``: people covered after the plan (running facilities
        included), from the run's ``demand_coverage`` layer; empty when unknown.
    """

    new_people: dict[str, dict[str, float]] = field(default_factory=dict)
    new_places: dict[str, dict[str, float]] = field(default_factory=dict)
    new_sites: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    source: str = ""
    facilities: pd.DataFrame | None = None
    covered_by_unit: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def provision(self) -> PlanProvision:
        """What :func:`optimizer.studies.grades.grade_levels` needs of the plan."""
        return PlanProvision(self.facilities, self.covered_by_unit)


def additions_from_tables(coverage_by_circle: pd.DataFrame, facilities: pd.DataFrame, source: str = "",
                          covered_by_unit: dict[str, dict[str, float]] | None = None) -> PlanAdditions:
    """:class:`PlanAdditions` from a run's ``coverage_by_circle.csv`` and ``plan_facilities.csv``.

    ``covered_by_unit``: :func:`optimizer.studies.grades.covered_from_layer` of the run's
    ``demand_coverage`` layer (needed to grade ``share_covered`` after the plan at levels
    other than the circle).
    """
    people: dict[str, dict[str, float]] = {}
    for (fn, circle), value in coverage_by_circle.groupby(["function", "circle_id"])["newly_covered"].sum().items():
        people.setdefault(str(fn), {})[str(circle)] = float(value)
    places: dict[str, dict[str, float]] = {}
    sites: dict[str, dict[str, list[str]]] = {}
    for row in facilities.itertuples(index=False):
        fn, circle = str(row.function), str(row.circle_id)
        places.setdefault(fn, {})[circle] = places.get(fn, {}).get(circle, 0.0) + float(row.capacity)
        sites.setdefault(fn, {}).setdefault(circle, []).append(str(row.site_id))
    return PlanAdditions(people, places, sites, source, facilities, dict(covered_by_unit or {}))


def target_for(function: str) -> DefaultTarget:
    """The default target of ``function`` (:data:`DEFAULT_TARGETS`)."""
    return DEFAULT_TARGETS.get(function, OTHER_FUNCTION_TARGET)


def _requirements(scenario: Scenario, function: str, circles: list[str]) -> list[tuple[Requirement, str]]:
    """The scenario's requirements of ``function``, and the default for every circle they leave out."""
    own = [r for r in scenario.requirements if r.function == function]
    named = set()
    for r in own:
        named |= set(r.circles or circles)
    rest = tuple(c for c in circles if c not in named)
    out = [(r, SCENARIO_SOURCE) for r in own]
    if rest:
        d = target_for(function)
        req = Requirement(function, min_share=d.level if d.kind == "share" else None,
                          min_per_1000=d.level if d.kind == "per_1000" else None, circles=rest)
        out.append((req, d.source))
    return out


def assess(inputs: Inputs, scenario: Scenario, existing: ExistingService, additions: PlanAdditions,
           grades: LevelGrades | None = None) -> pd.DataFrame:
    """One row per life circle x function: what it has, lacks and adds, and its circle-level cards.

    Parameters
    ----------
    inputs, scenario
        The scenario and its validated inputs.
    existing
        Service by running facilities (:func:`optimizer.rules.existing.existing_service`).
    additions
        What the plan adds (:func:`additions_from_tables`).
    grades
        :func:`optimizer.studies.grades.grade_levels` of the same plan (computed when not given).

    Returns
    -------
    pandas.DataFrame
        Columns: ``circle_id``, ``function``, ``cohort``, ``residents``, ``people``
        (counted cohort), ``running_facilities``, ``existing_covered``, ``share_before``,
        ``existing_places``, ``places_needed`` (``capacity_demand``; NaN without),
        ``target_kind``, ``target_level``, ``target``, ``target_source``, ``unit``
        (people or places), ``required``, ``shortfall_before``, ``new_facilities``,
        ``new_sites``, ``new_places``, ``newly_covered``, ``share_after``, ``achieved``,
        ``shortfall_after``, ``attainment_before``, ``attainment_after``,
        ``gap_points_before``, ``gap_points_after`` (against the target), ``grade_measure``,
        ``grade_value_before``, ``grade_value_after``, ``grade_attainment_before``,
        ``grade_attainment_after``, ``card_before``, ``card_after`` (the circle level of the
        grading table; blank where it grades no circle for the function).
    """
    if grades is None:
        grades = grade_levels(inputs, scenario, existing, additions.provision)
    lv = grades.table
    circle_grades = lv[lv["level"] == "circle"].set_index(["function", "unit_id"])
    mode = scenario.model.mode
    u_c = unit_circles(inputs)
    circles = sorted(set(u_c.tolist()))
    residents = pd.Series(inputs.demand["total"].to_numpy(float)).groupby(u_c).sum()
    fac = inputs.facilities
    f_c = facility_circles(inputs)
    fac_fn = fac["function"].astype(str).to_numpy() if len(fac) else np.zeros(0, dtype=object)
    rows = []
    for name, fn in scenario.functions.items():
        cohort = fn.counted_cohort(mode)
        people = pd.Series(inputs.demand[cohort].to_numpy(float)).groupby(u_c).sum()
        served = pd.Series(existing.served[name]).groupby(u_c).sum()
        running = pd.Series(f_c[fac_fn == name]).value_counts() if len(fac) else pd.Series(dtype=float)
        need_people = None
        if fn.capacity_demand is not None:
            need_people = pd.Series(inputs.demand[fn.capacity_demand.of].to_numpy(float)).groupby(u_c).sum()
        new_people = additions.new_people.get(name, {})
        new_places = additions.new_places.get(name, {})
        new_sites = additions.new_sites.get(name, {})
        candidates: dict[str, list[dict]] = {}
        for req, source in _requirements(scenario, name, circles):
            sc_one = dataclasses.replace(scenario, requirements=(req,))
            targets = [t for t in requirement_targets(inputs, sc_one, existing) if t.circle in residents.index]
            status = requirement_status(targets, {name: new_people}, {name: new_places})
            for t, st in zip(targets, status.to_dict(orient="records"), strict=True):
                candidates.setdefault(t.circle, []).append(_target_row(t, st, source))
        for circle in circles:
            pick_row = max(candidates[circle], key=lambda r: (r["gap_points_after"], r["gap_points_before"]))
            pick_row = dict(pick_row)
            if len(candidates[circle]) > 1:
                pick_row["target"] += f" (worst of {len(candidates[circle])} targets)"
            n_people = float(people.get(circle, 0.0))
            covered = float(served.get(circle, 0.0))
            added = float(new_people.get(circle, 0.0))
            rows.append({
                "circle_id": circle, "function": name, "cohort": cohort,
                "residents": float(residents.get(circle, 0.0)), "people": n_people,
                "running_facilities": int(running.get(circle, 0)),
                "existing_covered": covered,
                "share_before": covered / n_people if n_people > 0 else np.nan,
                "existing_places": float(existing.capacity_by_circle.get(name, {}).get(circle, 0.0)),
                "places_needed": (fn.capacity_demand.per_1000 * float(need_people.get(circle, 0.0)) / 1000.0
                                  if need_people is not None else np.nan),
                **{k: pick_row[k] for k in ("target_kind", "target_level", "target", "target_source", "unit",
                                            "required", "shortfall_before")},
                "new_facilities": len(new_sites.get(circle, [])),
                "new_sites": ";".join(new_sites.get(circle, [])),
                "new_places": float(new_places.get(circle, 0.0)),
                "newly_covered": added,
                "share_after": (covered + added) / n_people if n_people > 0 else np.nan,
                **{k: pick_row[k] for k in ("achieved", "shortfall_after", "attainment_before", "attainment_after",
                                            "gap_points_before", "gap_points_after")},
                **_circle_grade(circle_grades, name, circle),
            })
    return pd.DataFrame(rows, columns=ASSESSMENT_COLUMNS)


ASSESSMENT_COLUMNS = [
    "circle_id", "function", "cohort", "residents", "people", "running_facilities", "existing_covered",
    "share_before", "existing_places", "places_needed", "target_kind", "target_level", "target", "target_source",
    "unit", "required", "shortfall_before", "new_facilities", "new_sites", "new_places", "newly_covered",
    "share_after", "achieved", "shortfall_after", "attainment_before", "attainment_after", "gap_points_before",
    "gap_points_after", "grade_measure", "grade_value_before", "grade_value_after", "grade_attainment_before",
    "grade_attainment_after", "card_before", "card_after",
]


def _circle_grade(circle_grades: pd.DataFrame, function: str, circle: str) -> dict:
    """The circle level's measure, attainment and cards of one circle x function (blank when not graded)."""
    if (function, circle) not in circle_grades.index:
        return {"grade_measure": "", "grade_value_before": np.nan, "grade_value_after": np.nan,
                "grade_attainment_before": np.nan, "grade_attainment_after": np.nan,
                "card_before": "", "card_after": ""}
    g = circle_grades.loc[(function, circle)]
    return {"grade_measure": g["measure"], "grade_value_before": g["value_before"],
            "grade_value_after": g["value_after"], "grade_attainment_before": g["attainment_before"],
            "grade_attainment_after": g["attainment_after"], "card_before": g["card_before"],
            "card_after": g["card_after"]}


def _target_row(t, st: dict, source: str) -> dict:
    """Attainment and gap of one requirement target (what the circle lacks)."""
    existing, achieved, required = t.existing, st["achieved"], t.required
    if t.kind == "share":
        base, target = t.cohort_people, t.level
    else:
        base, target = required, 1.0
    a_before = existing / base if base > 0 else 1.0
    a_after = achieved / base if base > 0 else 1.0
    return {"target_kind": t.kind, "target_level": t.level, "target": t.describe(), "target_source": source,
            "unit": t.unit, "required": required, "shortfall_before": max(required - existing, 0.0),
            "achieved": achieved, "shortfall_after": st["shortfall"],
            "attainment_before": a_before, "attainment_after": a_after,
            "gap_points_before": max(100.0 * (target - a_before), 0.0),
            "gap_points_after": max(100.0 * (target - a_after), 0.0)}


def card_counts(levels: pd.DataFrame) -> pd.DataFrame:
    """Units per card per level and function, at baseline and after the plan (:func:`level_counts`)."""
    return level_counts(levels)


def circle_points(inputs: Inputs) -> gpd.GeoDataFrame:
    """One point per life circle at the resident-weighted centre of its demand units (analysis CRS).

    The inputs hold no circle outlines, so circles are mapped as points; units without
    residents weigh one each.
    """
    d = inputs.demand
    circles = unit_circles(inputs)
    w = d["total"].to_numpy(float)
    frame = pd.DataFrame({"circle_id": circles, "x": d.geometry.x.to_numpy(), "y": d.geometry.y.to_numpy(),
                          "w": np.where(w > 0, w, 0.0)})
    rows = []
    for circle, part in frame.groupby("circle_id", sort=True):
        weights = part["w"].to_numpy() if part["w"].sum() > 0 else np.ones(len(part))
        rows.append({"circle_id": circle, "demand_units": len(part),
                     "x": float(np.average(part["x"], weights=weights)),
                     "y": float(np.average(part["y"], weights=weights))})
    df = pd.DataFrame(rows, columns=["circle_id", "demand_units", "x", "y"])
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]),
                            crs=inputs.crs)


# ------------------------------------------------------------------ words for readers
#: headers of the assessment table, in both languages
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "circle_id": {"zh": "生活圈", "en": "life circle"},
    "function": {"zh": "功能", "en": "function"},
    "cohort": {"zh": "服务人群", "en": "cohort"},
    "residents": {"zh": "常住人口", "en": "residents"},
    "people": {"zh": "服务人群人数", "en": "people of the cohort"},
    "running_facilities": {"zh": "现有设施数", "en": "running facilities"},
    "existing_covered": {"zh": "现有设施覆盖人数", "en": "covered by running facilities"},
    "share_before": {"zh": "现状覆盖率", "en": "share covered before"},
    "existing_places": {"zh": "现有床位/座位/车位", "en": "places of running facilities"},
    "places_needed": {"zh": "需求床位/座位/车位", "en": "places needed"},
    "target_kind": {"zh": "目标类型", "en": "target kind"},
    "target_level": {"zh": "目标值", "en": "target level"},
    "target": {"zh": "目标", "en": "target"},
    "target_source": {"zh": "目标依据", "en": "target source"},
    "unit": {"zh": "单位", "en": "unit"},
    "required": {"zh": "目标量", "en": "required"},
    "shortfall_before": {"zh": "现状缺口", "en": "short before"},
    "new_facilities": {"zh": "新增设施数", "en": "new facilities"},
    "new_sites": {"zh": "新增点位", "en": "new sites"},
    "new_places": {"zh": "新增床位/座位/车位", "en": "new places"},
    "newly_covered": {"zh": "新增覆盖人数", "en": "newly covered"},
    "share_after": {"zh": "规划后覆盖率", "en": "share covered after"},
    "achieved": {"zh": "规划后达到量", "en": "achieved after"},
    "shortfall_after": {"zh": "规划后缺口", "en": "short after"},
    "attainment_before": {"zh": "现状达标率", "en": "attainment before"},
    "attainment_after": {"zh": "规划后达标率", "en": "attainment after"},
    "gap_points_before": {"zh": "现状差距(百分点)", "en": "gap before (points)"},
    "gap_points_after": {"zh": "规划后差距(百分点)", "en": "gap after (points)"},
    "grade_measure": {"zh": "评价指标", "en": "graded measure"},
    "grade_value_before": {"zh": "现状指标值", "en": "measure before"},
    "grade_value_after": {"zh": "规划后指标值", "en": "measure after"},
    "grade_attainment_before": {"zh": "现状达标率(评价)", "en": "graded attainment before"},
    "grade_attainment_after": {"zh": "规划后达标率(评价)", "en": "graded attainment after"},
    "card_before": {"zh": "现状色卡", "en": "card before"},
    "card_after": {"zh": "规划后色卡", "en": "card after"},
    "circles": {"zh": "生活圈数", "en": "circles"},
    "level": {"zh": "层级", "en": "level"},
    "unit_id": {"zh": "评价单元", "en": "unit"},
    "units": {"zh": "单元数", "en": "units"},
    "measure": {"zh": "评价指标", "en": "measure"},
    "measure_note": {"zh": "说明", "en": "note"},
    "standard": {"zh": "标准值", "en": "standard"},
    "amount_before": {"zh": "现状供给量", "en": "provision before"},
    "amount_after": {"zh": "规划后供给量", "en": "provision after"},
    "value_before": {"zh": "现状指标值", "en": "measure before"},
    "value_after": {"zh": "规划后指标值", "en": "measure after"},
    "rule": {"zh": "评价规则", "en": "grading rule"},
}


def column_label(column: str, lang: str) -> str:
    """A header for readers; ``<card>_before``/``<card>_after`` count columns too."""
    if column in COLUMN_LABELS:
        return pick(lang, **COLUMN_LABELS[column])
    for when, zh, en in (("_before", "现状", "before"), ("_after", "规划后", "after")):
        card = column.removesuffix(when)
        if column.endswith(when) and card in CARD_LABELS:
            return pick(lang, zh=f"{zh}{CARD_LABELS[card]['zh']}卡", en=f"{CARD_LABELS[card]['en']} {en}")
    return column


def card_label(card: str, lang: str) -> str:
    """``绿``/``green`` etc.; blank for a circle not graded."""
    return pick(lang, **CARD_LABELS[card]) if card in CARD_LABELS else ""


def level_label(level: str, lang: str) -> str:
    """``街道``/``sub-district`` etc."""
    return pick(lang, **LEVEL_LABELS[level]) if level in LEVEL_LABELS else level


def measure_label(measure: str, lang: str) -> str:
    """``每千人设施规模``/``places per 1,000`` etc."""
    return pick(lang, **MEASURE_LABELS[measure]) if measure in MEASURE_LABELS else measure


def target_source_label(source: str, lang: str) -> str:
    """Where a target comes from, for readers."""
    if lang == "en":
        return source
    if source == SCENARIO_SOURCE:
        return "情景要求（规则7）"
    if source.startswith("domain.md"):
        return "domain.md：国家目标每千人4.5个托位（V）" if "childcare" in source else f"domain.md：{source}"
    return "lifecircle 默认值" + ("（5分钟取停）" if "5分钟取停" in source else "")


def reader_table(table: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """The assessment with function, cohort, card and source words in ``lang`` (values only)."""
    out = table.copy()
    labels = {n: function_label(n, lang, fn.label_zh) for n, fn in scenario.functions.items()}
    out["function"] = out["function"].map(lambda f: labels.get(f, f))
    out["cohort"] = out["cohort"].map(lambda c: cohort_label(c, lang))
    for col in ("card_before", "card_after"):
        out[col] = out[col].map(lambda c: card_label(c, lang))
    out["target_source"] = out["target_source"].map(lambda s: target_source_label(s, lang))
    out["unit"] = out["unit"].map(lambda u: pick(lang, zh={"people": "人", "places": "个"}.get(u, u), en=u))
    if lang == "zh":
        out["target"] = [(f"覆盖率不低于{lv:.0%}" if k == "share" else f"每千常住人口{lv:g}个")
                         + ("（取最差）" if "worst of" in t else "")
                         for k, lv, t in zip(table["target_kind"], table["target_level"], table["target"],
                                             strict=True)]
    out["target_kind"] = out["target_kind"].map(
        lambda k: pick(lang, zh={"share": "覆盖率", "per_1000": "每千人"}.get(k, k), en=k))
    out["grade_measure"] = out["grade_measure"].map(lambda m: measure_label(m, lang))
    return out


def level_reader_table(levels: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """The graded level table with level, function, measure, cohort and card words in ``lang``."""
    out = levels.copy()
    labels = {n: function_label(n, lang, fn.label_zh) for n, fn in scenario.functions.items()}
    out["function"] = out["function"].map(lambda f: labels.get(f, f))
    out["level"] = out["level"].map(lambda v: level_label(v, lang))
    out["measure"] = out["measure"].map(lambda m: measure_label(m, lang))
    out["cohort"] = out["cohort"].map(lambda c: cohort_label(c, lang))
    for col in ("card_before", "card_after"):
        out[col] = out[col].map(lambda c: card_label(c, lang))
    return out
