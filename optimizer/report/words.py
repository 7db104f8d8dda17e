"""The report's own phrases, in Chinese and English (shared words live in :mod:`optimizer.i18n`)."""
from __future__ import annotations

import math

from optimizer.i18n import check_lang, pick

#: key -> (Chinese, English)
PHRASES: dict[str, tuple[str, str]] = {
    "title": ("15分钟生活圈设施规划报告", "15-minute life circle plan report"),
    "subtitle": ("闲置资产改建：社区食堂、托育、养老、停车", "Idle assets converted to community services"),
    "scenario": ("情景", "Scenario"),
    "run_id": ("运行编号", "Run"),
    "created": ("生成时间 (UTC)", "Created (UTC)"),
    "headline": ("主要数字", "Headline figures"),
    "status": ("求解状态", "Status"),
    "proven": ("已证明最优", "proven optimal"),
    "not_proven": ("未证明最优", "not proven optimal"),
    "gap": ("差距", "gap"),
    "objective": ("目标值（加权新覆盖人次）", "Objective (weighted people newly covered)"),
    "objective_people": ("目标值（加权新覆盖人次）", "Objective (weighted people newly covered)"),
    "objective_share": ("目标值（各服务人群新覆盖比例之和）", "Objective (cohort shares newly covered, summed)"),
    "objective_fair": ("目标值（先保最差生活圈，再求新覆盖比例之和）",
                       "Objective (worst life circle first, then cohort shares newly covered)"),
    "objective_least_cost": ("目标值（一次性投入，元）", "Objective (one-off cost, yuan)"),
    "unit_share": ("个百分点", "percentage points"),
    "unit_fair": ("个百分点", "percentage points"),
    "unit_people": ("加权人次", "weighted people"),
    "unit_least_cost": ("元", "yuan"),
    "objective_note_share": ("每个功能：新覆盖人数 ÷ 服务人群总数 × 100 × 优先级，再对各功能求和。",
                             "Per function: people newly covered ÷ the cohort's total × 100 × its priority, "
                             "summed over the functions."),
    "objective_note_fair": ("先把各功能覆盖率最低的生活圈尽量提高，再在此前提下使各服务人群新覆盖比例之和最大。",
                            "First each function's worst life circle's covered share is raised as far as it goes; "
                            "then, keeping it, the sum of cohort shares newly covered is maximised."),
    "objective_note_people": ("同一居民被几个功能新覆盖就计几次（乘以功能权重），故可超过常住人口。",
                              "A resident counts once for each function that newly reaches them (times its "
                              "weight), so the figure can exceed the population."),
    "objective_note_least_cost": ("满足全部要求的最少一次性投入。",
                                  "The least one-off cost that meets every requirement."),
    "gains": ("各功能新增覆盖", "Newly covered, by function"),
    "persons": ("人", "people"),
    "points": ("个百分点", "percentage points"),
    "covered_after": ("规划后覆盖率", "covered after"),
    "fairness": ("生活圈之间的公平（人均平衡）", "Fairness between life circles (per person, not totals)"),
    "fairness_note": ("每个功能：覆盖率最低的生活圈（规划前 → 规划后）、各生活圈覆盖率的中位数，以及按人口加权的"
                      "基尼系数（0 表示各生活圈覆盖率相同）。明细见 fairness.csv 与 fairness_by_circle.csv。",
                      "Per function: the life circle with the lowest covered share (before -> after the plan), "
                      "the median of the circles' shares, and the people-weighted Gini index (0: every circle "
                      "the same). Details in fairness.csv and fairness_by_circle.csv."),
    "fairness_missing": ("该运行目录的 run.json 没有生活圈公平数据（较早版本写出）；用当前版本重新求解即可。",
                         "This run folder's run.json has no fairness figures (written by an older version); "
                         "solve again with the current version to get them."),
    "worst_circle": ("最差生活圈", "Worst circle"),
    "median": ("中位数", "Median"),
    "gini": ("基尼系数", "Gini index"),
    "circles": ("生活圈数", "Circles"),
    "stage1_proven": ("第一阶段（最差生活圈）已证明最优", "stage 1 (the worst circles) proven optimal"),
    "stage1_not_proven": ("第一阶段（最差生活圈）未证明最优", "stage 1 (the worst circles) NOT proven optimal"),
    "bound": ("界", "bound"),
    "cost": ("总投入", "Cost"),
    "budget": ("预算", "Budget"),
    "no_budget": ("未设预算上限", "no budget imposed"),
    "of_budget": ("占预算", "of the budget"),
    "sites": ("改建点位", "Sites converted"),
    "facilities": ("新增设施", "New facilities"),
    "solver": ("求解器", "Solver"),
    "reach_method": ("可达性方法", "Reach"),
    "weaker": ("较弱方法：直线距离 × 绕行系数，非步行网络",
               "WEAKER METHOD: straight line x detour, not the walk network"),
    "check": ("独立复核", "Independent check"),
    "check_passed": ("全部通过", "all passed"),
    "check_failed": ("未通过", "FAILED"),
    "map": ("规划一张图", "The plan on one map"),
    "map_help": ("拖动平移，滚轮或 +/− 缩放；悬停或点击新增设施，高亮其步行可达的居民点。",
                 "Drag to pan, wheel or +/- to zoom; hover or click a new facility to highlight the "
                 "demand units within its walk."),
    "colour_by": ("居民点着色：", "Colour demand units by:"),
    "layers": ("图层：", "Layers:"),
    "demand_units": ("居民点", "demand units"),
    "existing_facilities": ("现有设施", "running facilities"),
    "new_sites": ("新增设施", "new facilities"),
    "status_existing": ("现有设施已覆盖", "covered by running facilities"),
    "status_new": ("规划新覆盖", "newly covered by the plan"),
    "status_unreached": ("仍未覆盖", "still unreached"),
    "reach_missing": ("该运行目录没有 facility_reach.csv（较早版本写出），点击设施时无法高亮其可达范围；"
                      "用当前版本重新运行 lifecircle solve 即可。",
                      "This run folder has no facility_reach.csv (written by an older version): a facility's "
                      "reach cannot be highlighted. Solve again with the current version to get it."),
    "reach_of": ("步行可达居民点", "demand units within a walk"),
    "reset": ("复位", "reset"),
    "clear": ("取消高亮", "clear highlight"),
    "coverage": ("分功能覆盖", "Coverage by function"),
    "coverage_note": ("覆盖 = 在步行阈值内（含）；现有设施覆盖的人不重复计入新增。",
                      "Covered = within the walking threshold (inclusive); people a running facility "
                      "already reaches are not counted again as new."),
    "function": ("功能", "Function"),
    "cohort": ("服务人群", "Counted"),
    "people": ("人数", "People"),
    "existing": ("现有覆盖", "By running"),
    "new": ("新增覆盖", "Newly covered"),
    "unreached": ("未覆盖", "Unreached"),
    "share": ("覆盖率", "Covered"),
    "threshold": ("步行阈值", "Walk threshold"),
    "minutes": ("分钟", "min"),
    "by_circle": ("分生活圈覆盖率", "Coverage by life circle"),
    "by_circle_note": ("每个生活圈一条：灰色为规划前已覆盖，彩色为规划新增；按规划后覆盖率排序。",
                       "One bar per life circle: grey covered before, colour added by the plan; sorted by the "
                       "share after."),
    "circles_below": ("个生活圈规划后低于50%", "circles below 50 % after"),
    "amount": ("金额", "Amount"),
    "circle": ("生活圈", "Life circle"),
    "before": ("规划前", "before"),
    "after": ("规划后", "after"),
    "cost_breakdown": ("投入构成", "Cost breakdown"),
    "conversion": ("场地改建费", "Site conversion"),
    "function_cost": ("功能建设费", "Function fit-out"),
    "sharing_saving": ("合用节省", "Sharing saving"),
    "total": ("合计", "Total"),
    "by_district": ("分区、分功能投入", "By district and function"),
    "district": ("区", "District"),
    "yuan": ("元", "yuan"),
    "walk_vs_buffer": ("步行可达 vs 直线缓冲区", "Walking versus a straight-line buffer"),
    "walk_vs_buffer_note": ("同一批设施，若按直线半径画圈会多算的人数。", "What a straight-line circle around the same "
                            "facilities would claim, against who is really within a walk."),
    "radius": ("缓冲半径", "Buffer radius"),
    "walking": ("步行覆盖", "Covered walking"),
    "buffer": ("缓冲区覆盖", "Covered by buffer"),
    "overstates": ("缓冲区多算", "Buffer overstates"),
    "frontier": ("预算—覆盖前沿", "Budget-coverage frontier"),
    "budget_axis": ("预算（万元）", "Budget (million yuan)"),
    "frontier_note": ("每个预算下的最优方案（实心点：已证明最优）。",
                      "The best plan at each budget (filled: proven optimal)."),
    "frontier_missing": ("未提供（用 lifecircle frontier 生成，并以 --frontier 传入）。",
                         "Not given (make one with `lifecircle frontier` and pass it with --frontier)."),
    "requirements": ("该有的不能少（规则 7）", "What must exist (rule 7)"),
    "requirements_met": ("生活圈指标达标", "circle targets met"),
    "check_item": ("复核项", "Check"),
    "result": ("结果", "Result"),
    "detail": ("说明", "Detail"),
    "passed": ("通过", "passed"),
    "failed": ("未通过", "FAILED"),
    "figures": ("打印用静态图", "Figures for printing"),
    "figures_note": ("与本报告同目录的 PNG 文件，也嵌入于此。", "PNG files beside this report, also embedded here."),
    "warnings": ("提示", "Warnings"),
    "site": ("点位", "Site"),
    "kind": ("类型", "Kind"),
    "area": ("面积", "Area"),
    "capacity": ("规模", "Capacity"),
    "newly_covered_here": ("新覆盖", "newly covered"),
    "units": ("个居民点", "demand units"),
    "footer": ("由 lifecircle 生成；离线可用，无任何网络请求。",
               "Made by lifecircle; works offline, no network requests."),
    "no_sites": ("本方案没有改建点位。", "This plan converts no site."),
    "seconds": ("秒", "s"),
    "zoom_in": ("放大", "zoom in"),
    "zoom_out": ("缩小", "zoom out"),
    "requirements_file": ("明细见", "details in"),
}

#: a solve's status and why the solver stopped (``run.json`` status, termination), for readers
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "optimal": ("最优", "optimal"),
    "feasible": ("可行，未证明最优", "feasible, not proven optimal"),
    "infeasible": ("无可行方案", "infeasible"),
    "unbounded": ("无界", "unbounded"),
    "no_solution": ("未找到方案", "no plan found"),
    "error": ("求解出错", "solver error"),
    "time_limit": ("达到时间上限", "time limit"),
    "gap_limit": ("达到差距容许值", "gap limit"),
    "killed": ("超时被终止", "stopped after its time limit"),
    "interrupted": ("被中断", "interrupted"),
    "other": ("其他原因", "other"),
}

#: site kinds, for readers
KIND_LABELS: dict[str, tuple[str, str]] = {
    "building": ("闲置楼宇", "idle building"),
    "plot": ("边角地块", "idle plot"),
    "existing_host": ("既有设施空余用房", "spare rooms in a running facility"),
    "shared_garage": ("错时共享车库", "garage shared off-hours"),
    "structure": ("构筑物", "structure"),
}

#: capacity units, for readers
def say(key: str, lang: str) -> str:
    """The phrase ``key`` in ``lang``."""
    zh, en = PHRASES[key]
    return pick(lang, zh=zh, en=en)


def status_word(status: str, lang: str) -> str:
    """A solve's status (or why the solver stopped) for readers; an unknown one as written, without underscores."""
    zh, en = STATUS_WORDS.get(str(status), (str(status).replace("_", " "),) * 2)
    return pick(lang, zh=zh, en=en)


def kind_label(kind: str, lang: str) -> str:
    """A site kind's name for readers."""
    zh, en = KIND_LABELS.get(kind, (kind, kind.replace("_", " ")))
    return pick(lang, zh=zh, en=en)


def money(yuan: float | None, lang: str) -> str:
    """An amount of money as planners write it: 万元 in Chinese, million yuan in English."""
    check_lang(lang)
    if yuan is None or (isinstance(yuan, float) and math.isnan(yuan)):
        return "–"
    if lang == "zh":
        return f"{yuan / 1e4:,.1f} 万元"
    return f"{yuan / 1e6:,.2f} M yuan"


def saving(yuan: float | None, lang: str) -> str:
    """A saving as the negative amount a cost table's total adds: ``−286.0 万元`` (``–`` when unknown).

    Every cost table of the report writes the sharing saving this way, so that each row of
    the table, summed as shown, gives its total.

    Parameters
    ----------
    yuan
        The money saved (positive), in yuan.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        The amount with a minus sign (U+2212) unless it rounds to zero.
    """
    text = money(yuan, lang)
    if text == "–" or not yuan or money(abs(yuan), lang) == money(0.0, lang):
        return text
    return "\u2212" + money(abs(yuan), lang)


def people(n: float | None) -> str:
    """A count of people (or cars), rounded."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    return f"{n:,.0f}"


def share(x: float | None) -> str:
    """A share as a percentage with one decimal."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.1f}%"
