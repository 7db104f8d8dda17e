"""The independent check's items and a run's warnings, in the report's language.

``run.json`` keeps the check's names and details and the warnings in English (the words
of the record, read by scripts). The report shows each in its own language: every check
name, check detail and warning the pipeline writes has a stable key here and a Chinese
and an English text, matched against the English record with a pattern. The pattern's
named parts are carried over into either text, each shown as what it is:

``fn*``
    a function's key, shown by its name (never the raw key);
``pairs*``
    ``SITE:function`` items (``YZ-S0012:elder_care, ...``), each shown as the site and the
    function's name;
``ids*``, ``name*``
    identifiers and names from the data (site ids, circle ids, district names): kept as
    written, marked as names (:func:`name_html`);
``num*``
    a number as the record writes it;
``op*``
    a comparison (``<=`` shown as ``≤``);
``w*``
    one of a few fixed English words (:data:`WORDS`), translated;
``tok*``
    a technical token (a solver's name, a setting's path), in ``<code>``;
``text*``
    free English text (e.g. a solver's own message): in the Chinese report it is kept in
    English and marked ``lang="en"`` with the word 原文.

A check detail or warning that matches no pattern is shown as written, marked as the
original English (``<span lang="en">``, with 原文 in the Chinese report), so nothing is
lost and the language check of the page knows it is quoted, not untranslated.

Examples
--------
>>> warning_html("objective least_cost: budgets are not imposed; the plan is the least one-off cost "
...              "that meets every requirement", "zh", {})[:12]
'目标为最少投入：不设预算'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from optimizer.i18n import check_lang, function_label, pick

#: a CJK character (the language of names in the Chinese data)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: a number as the record writes it
_NUM = r"-?[\d,]+(?:\.\d+)?"


@dataclass(frozen=True)
class Message:
    """One message the pipeline writes: its key, its English pattern and its two texts.

    Attributes
    ----------
    key
        Stable name of the message (for tests and translators).
    pattern
        Regular expression the whole English text matches; its named groups are the parts.
    zh, en
        The texts, with ``{group}`` where each part goes.
    """

    key: str
    pattern: str
    zh: str
    en: str

    def match(self, text: str) -> re.Match | None:
        """The match of the whole ``text``, or ``None``."""
        return re.fullmatch(self.pattern, text, re.S)


#: fixed English words inside messages (``w*`` parts): English -> (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    "weighted coverage": ("加权覆盖", "weighted coverage"),
    "cost of the solver's choice": ("求解器所选方案的投入", "cost of the solver's choice"),
    "matches": ("符合", "matches"),
    "is worse than": ("差于", "is worse than"),
    "disagrees with": ("不符合", "disagrees with"),
    "public one-off": ("财政一次性投入", "public one-off"),
    "public yearly": ("财政每年投入", "public yearly"),
    "public over the horizon": ("财政规划期总投入", "public over the horizon"),
    "time limit": ("达到时间上限", "time limit"),
    "gap limit": ("达到差距容许值", "gap limit"),
    "killed": ("超时被终止", "killed"),
    "interrupted": ("被中断", "interrupted"),
    "error": ("出错", "error"),
    "other": ("其他原因", "other"),
    "optimal": ("最优", "optimal"),
    "time_limit": ("达到时间上限", "time limit"),
    "gap_limit": ("达到差距容许值", "gap limit"),
    "people": ("人", "people"),
    "share": ("覆盖率", "share"),
    "places": ("个床位/托位", "places"),
}

#: comparisons (``op*`` parts) as shown
OPERATORS = {"<=": "≤", ">=": "≥", "!=": "≠", "=": "=", "<": "<", ">": ">"}

#: the independent check's item names (``run.json`` check.items[].check)
CHECK_NAMES: tuple[Message, ...] = (
    Message("eligibility", r"eligibility", "适建条件", "eligibility"),
    Message("space", r"space", "可用面积", "space"),
    Message("complexes", r"complexes", "综合体（渝邻汇）", "multi-function complexes"),
    Message("size", r"size", "设施规模", "facility size"),
    Message("budget", r"budget", "预算", "budget"),
    Message("budget_public", r"budget \((?P<w>public one-off|public yearly|public over the horizon)\)",
            "预算（{w}）", "budget ({w})"),
    Message("budget_per_year", r"budget per year", "分年度预算", "budget per year"),
    Message("budget_horizon", r"budget over the horizon", "规划期总预算", "budget over the horizon"),
    Message("budget_horizon_district", r"budget over the horizon \((?P<name>.+)\)", "规划期总预算（{name}）",
            "budget over the horizon ({name})"),
    Message("budget_district", r"budget \((?P<name>.+)\)", "预算（{name}）", "budget ({name})"),
    Message("forced_decisions", r"forced decisions", "指定决策", "forced decisions"),
    Message("coverage_status", r"coverage status \((?P<fn>\w+)\)", "覆盖状态（{fn}）", "coverage status ({fn})"),
    Message("served", r"served \((?P<fn>\w+)\)", "服务人数（{fn}）", "people served ({fn})"),
    Message("served_all", r"served within reach and capacity", "可达且容量足够", "served within reach and capacity"),
    Message("objective", r"objective", "目标值", "objective"),
    Message("bound", r"bound", "界", "bound"),
    Message("cost_model", r"cost model", "成本模型", "cost model"),
    Message("rule6", r"not built separately \(rule 6\)", "能合用的不单建（规则 6）", "not built separately (rule 6)"),
    Message("rule6_last_year", r"not built separately \(rule 6\), by the last year",
            "能合用的不单建（规则 6），至末年", "not built separately (rule 6), by the last year"),
    Message("worst_circle", r"worst circle \(fair\)", "最差生活圈（人均平衡）", "worst life circle (fair)"),
    Message("rule7", r"what must exist \(rule 7\)", "该有的不能少（规则 7）", "what must exist (rule 7)"),
    Message("rule7_last_year", r"what must exist \(rule 7\), by the last year", "该有的不能少（规则 7），至末年",
            "what must exist (rule 7), by the last year"),
    Message("funding_channels", r"funding channels", "资金渠道", "funding channels"),
    Message("claimed_figures", r"claimed figures", "申报数字", "claimed figures"),
    Message("opens_once", r"opens once", "每个项目只建一次", "opens once"),
    Message("keeps_serving", r"keeps serving", "建成后持续服务", "keeps serving"),
    Message("availability", r"availability", "点位可用年份", "availability"),
    Message("keeps_covering", r"keeps covering \((?P<fn>\w+), (?P<num>\d+)\)", "持续覆盖（{fn}，{num} 年）",
            "keeps covering ({fn}, {num})"),
    Message("milestones", r"milestones", "阶段目标", "milestones"),
)

#: the independent check's details (``run.json`` check.items[].detail), and the parts of a failure's list
CHECK_DETAILS: tuple[Message, ...] = (
    Message("eligibility_ok", r"every function sits on a site eligible for it", "每个功能都位于适合它的点位上",
            "every function sits on a site eligible for it"),
    Message("eligibility_bad", r"not eligible: (?P<pairs>.+)", "不适合：{pairs}", "not eligible: {pairs}"),
    Message("space_ok", r"every site's functions fit its usable area", "每个点位上的功能都未超出其可用面积",
            "every site's functions fit its usable area"),
    Message("space_bad", rf"(?P<ids>\S+) uses (?P<num>{_NUM}) of (?P<num2>{_NUM}) m2",
            "{ids} 用 {num} m²，可用 {num2} m²", "{ids} uses {num} of {num2} m²"),
    Message("complexes_ok", r"(?P<num>\d+) complexes each meet their type's rule \(functions, core functions, "
            r"floor area, site kind\)", "{num} 个综合体均符合其类型的规则（功能、核心功能、建筑面积、点位类型）",
            "{num} complexes each meet their type's rule (functions, core functions, floor area, site kind)"),
    Message("complexes_bad", r"complexes breaking their rule: (?P<text>.+)", "不符合规则的综合体：{text}",
            "complexes breaking their rule: {text}"),
    Message("size_ok", r"every facility's area is within its function's min and max",
            "每个设施的面积都在其功能的上下限之间", "every facility's area is within its function's min and max"),
    Message("size_bad", rf"(?P<pairs>\S+:\w+) (?P<num>{_NUM}) m2", "{pairs} {num} m²", "{pairs} {num} m²"),
    Message("budget_least_cost", rf"not imposed: least_cost asks what the requirements cost \((?P<num>{_NUM}) yuan\)",
            "不设上限：目标为最少投入，求满足全部要求所需的投入（{num} 元）",
            "not imposed: the objective least cost asks what the requirements cost ({num} yuan)"),
    Message("budget_cost", rf"cost (?P<num>{_NUM}) (?P<op><=|>) budget (?P<num2>{_NUM}) yuan",
            "投入 {num} 元 {op} 预算 {num2} 元", "cost {num} yuan {op} budget {num2} yuan"),
    Message("budget_public_least_cost", rf"not imposed: least_cost \((?P<num>{_NUM}) yuan\)",
            "不设上限：目标为最少投入（{num} 元）", "not imposed: the objective is least cost ({num} yuan)"),
    Message("budget_public", rf"(?P<num>{_NUM}) (?P<op><=|>) (?P<num2>{_NUM}) yuan", "{num} 元 {op} {num2} 元",
            "{num} yuan {op} {num2} yuan"),
    Message("funding_ok", r"the government's one-off share is funded by its channels within their caps",
            "政府一次性投入部分由各资金渠道在其上限内筹足",
            "the government's one-off share is funded by its channels within their caps"),
    Message("funding_bad", r"no allocation to the channels within their caps funds the plan",
            "各资金渠道在其上限内无法筹足本方案", "no allocation to the channels within their caps funds the plan"),
    Message("forced_ok", r"every forced decision is respected", "每项指定决策都得到遵守",
            "every forced decision is respected"),
    Message("forced_in_unused", r"(?P<ids>[^\s:]+) forced in but unused", "{ids} 被指定采用但未使用",
            "{ids} forced in but unused"),
    Message("forced_in_absent", r"(?P<pairs>\S+:\w+) forced in but absent", "{pairs} 被指定采用但未出现",
            "{pairs} forced in but absent"),
    Message("forced_out_used", r"(?P<ids>[^\s:]+) forced out but used", "{ids} 被指定排除但被使用",
            "{ids} forced out but used"),
    Message("forced_out_present", r"(?P<pairs>\S+:\w+) forced out but present", "{pairs} 被指定排除但出现",
            "{pairs} forced out but present"),
    Message("coverage_differs", r"the plan's coverage differs from the recomputation",
            "方案的覆盖与重新计算的结果不一致",
            "the plan's coverage differs from the recomputation"),
    Message("served_over", r"more people served than were left after running facilities",
            "服务人数多于现有设施服务之后剩余的人数", "more people served than were left after running facilities"),
    Message("served_none", r"nobody newly served", "没有新增服务人口", "nobody newly served"),
    Message("served_ok", rf"(?P<num>{_NUM}) people served", "服务 {num} 人", "{num} people served"),
    Message("served_short", rf"the planned facilities can serve only (?P<num>{_NUM}) of the (?P<num2>{_NUM}) people "
            r"the plan claims", "规划设施只能服务方案所称 {num2} 人中的 {num} 人",
            "the planned facilities can serve only {num} of the {num2} people the plan claims"),
    Message("served_all_ok", r"every person counted as served is within reach of a planned facility with room left, "
            r"after running facilities took their share \(independent max-flow\)",
            "计为已服务的每个人都在某个尚有余量的规划设施可达范围内（先扣除现有设施的服务；独立最大流计算）",
            "every person counted as served is within reach of a planned facility with room left, after running "
            "facilities took their share (independent max-flow)"),
    Message("objective_proven", rf"recomputed (?P<w>weighted coverage|cost of the solver's choice) (?P<num>{_NUM}) "
            rf"(?P<op>=|!=) solver's proven optimum (?P<num2>{_NUM})",
            "重新计算的{w} {num} {op} 求解器证明的最优值 {num2}",
            "recomputed {w} {num} {op} the solver's proven optimum {num2}"),
    Message("objective_incumbent", rf"recomputed (?P<w>weighted coverage|cost of the solver's choice) "
            rf"(?P<num>{_NUM}) (?P<w2>matches|is worse than) solver's incumbent value (?P<num2>{_NUM})",
            "重新计算的{w} {num} {w2}求解器当前最好方案的值 {num2}",
            "recomputed {w} {num} {w2} the solver's incumbent value {num2}"),
    Message("bound_lower", rf"recomputed cost (?P<num>{_NUM}) (?P<op>>=|<) proven lower bound (?P<num2>{_NUM})",
            "重新计算的投入 {num} {op} 已证明的下界 {num2}", "recomputed cost {num} {op} proven lower bound {num2}"),
    Message("bound_upper", rf"recomputed (?P<num>{_NUM}) (?P<op><=|>) proven bound (?P<num2>{_NUM})",
            "重新计算的值 {num} {op} 已证明的界 {num2}", "recomputed {num} {op} proven bound {num2}"),
    Message("cost_model", rf"model's cost of the solver's choice (?P<num>{_NUM}) (?P<op>=|!=) recomputed "
            rf"(?P<num2>{_NUM})", "模型对求解器所选方案的投入 {num} {op} 重新计算的 {num2}",
            "the model's cost of the solver's choice {num} {op} recomputed {num2}"),
    Message("rule6_ok", r"(?P<num>\d+) circle/group cases where both functions are new all share a site",
            "{num} 个生活圈/合用组中两项功能均为新增的情形，全部共用点位",
            "{num} circle/group cases where both functions are new all share a site"),
    Message("rule6_bad", r"circle (?P<name>.+?): (?P<fn>\w+) and (?P<fn2>\w+) on no common site",
            "生活圈 {name}：{fn}与{fn2}没有共用点位", "circle {name}: {fn} and {fn2} on no common site"),
    Message("worst_circle_bound", rf"recomputed worst circles' value (?P<num>{_NUM}) (?P<w>matches|disagrees with) "
            rf"stage 1's (?P<num2>{_NUM}) \(bound (?P<num3>{_NUM})\): (?P<shares>.*)",
            "重新计算的最差生活圈值 {num} {w}第一阶段的 {num2}（界 {num3}）：{shares}",
            "recomputed worst circles' value {num} {w} stage 1's {num2} (bound {num3}): {shares}"),
    Message("worst_circle", rf"recomputed worst circles' value (?P<num>{_NUM}) (?P<w>matches|disagrees with) "
            rf"stage 1's (?P<num2>{_NUM}): (?P<shares>.*)",
            "重新计算的最差生活圈值 {num} {w}第一阶段的 {num2}：{shares}",
            "recomputed worst circles' value {num} {w} stage 1's {num2}: {shares}"),
    Message("rule7_ok", r"all (?P<num>\d+) requirement targets met", "全部 {num} 项指标达标",
            "all {num} requirement targets met"),
    Message("rule7_bad", rf"circle (?P<name>\S+) (?P<fn>\w+): (?P<num>{_NUM}) of (?P<num2>{_NUM}) (?P<w>\w+)",
            "生活圈 {name} {fn}：{num}，要求 {num2} {w}", "circle {name} {fn}: {num} of {num2} {w}"),
    Message("claimed_ok", rf"all (?P<num>{_NUM}) figures the plan list claims agree with their recomputation from "
            r"its sites", "方案清单所列 {num} 个数字全部与按其点位重新计算的结果一致",
            "all {num} figures the plan list claims agree with their recomputation from its sites"),
)

#: the warnings a run can carry (``run.json`` warnings)
WARNINGS: tuple[Message, ...] = (
    Message("ineligible_sites", r"(?P<num>\d+) sites are eligible for no enabled function and were ignored: "
            r"(?P<ids>.+?)(?P<more> \.\.\.)?", "{num} 个点位不适合任何已启用的功能，已忽略：{ids}{more}",
            "{num} sites are eligible for no enabled function and were ignored: {ids}{more}"),
    Message("straight_line", rf"walking times are straight-line distance x detour factor (?P<num>{_NUM}): the weaker "
            r"method \(no street network\)", "步行时间按直线距离 × 绕行系数 {num} 计算：较弱的方法（没有街道网络）",
            "walking times are straight-line distance x detour factor {num}: the weaker method (no street network)"),
    Message("units_far", rf"(?P<num>\d+) demand units are farther than (?P<num2>{_NUM}) m from the network "
            r"\(reach\.max_snap_m\) and reach nothing: (?P<ids>.+?)(?P<more> \.\.\.)?",
            "{num} 个居民点距步行网络超过 {num2} m（{tok}），无法到达任何设施：{ids}{more}",
            "{num} demand units are farther than {num2} m from the network ({tok}) and reach nothing: {ids}{more}"),
    Message("units_off_main", r"(?P<num>\d+) demand units lie nearer to a part of the network that is not connected to "
            r"the main part; they were attached to the main part where within reach\.max_snap_m: "
            r"(?P<ids>.+?)(?P<more> \.\.\.)?",
            "{num} 个居民点离一段与主网不连通的路网更近；在 {tok} 范围内时已改接到主网：{ids}{more}",
            "{num} demand units lie nearer to a part of the network that is not connected to the main part; they "
            "were attached to the main part where within {tok}: {ids}{more}"),
    Message("not_proven_said", r"the plan is NOT proven optimal \((?P<tok>[^)]+)\): (?P<w>time limit|gap limit|killed|"
            rf"interrupted|error|other|optimal), best plan found(?: \((?P<tok2>[^)]+)\))?, bound (?P<num>{_NUM}), "
            rf"gap (?P<num2>{_NUM})%",
            "方案未被证明最优（{tok}）：{w}，为找到的最好方案，界 {num}，差距 {num2}%",
            "the plan is NOT proven optimal ({tok}): {w}, best plan found, bound {num}, gap {num2}%"),
    Message("not_proven_said_no_bound", r"the plan is NOT proven optimal \((?P<tok>[^)]+)\): (?P<w>time limit|"
            r"gap limit|killed|interrupted|error|other|optimal), best plan found(?: \((?P<tok2>[^)]+)\))?, no bound, "
            r"gap unknown", "方案未被证明最优（{tok}）：{w}，为找到的最好方案，无界，差距未知",
            "the plan is NOT proven optimal ({tok}): {w}, best plan found, no bound, gap unknown"),
    Message("not_proven_other", r"the plan is NOT proven optimal \((?P<tok>[^)]+)\): (?P<text>.+)",
            "方案未被证明最优（{tok}）：{text}", "the plan is NOT proven optimal ({tok}): {text}"),
    Message("not_proven_gap", rf"the plan is NOT proven optimal: (?P<tok>\S+) stopped \((?P<w>\w+)\) with gap "
            rf"(?P<num>{_NUM})%", "方案未被证明最优：{tok} 停止（{w}），差距 {num}%",
            "the plan is NOT proven optimal: {tok} stopped ({w}) with gap {num}%"),
    Message("not_proven_no_gap", r"the plan is NOT proven optimal: (?P<tok>\S+) stopped \((?P<w>\w+)\), gap unknown",
            "方案未被证明最优：{tok} 停止（{w}），差距未知",
            "the plan is NOT proven optimal: {tok} stopped ({w}), gap unknown"),
    Message("least_cost", r"objective least_cost: budgets are not imposed; the plan is the least one-off cost that "
            r"meets every requirement", "目标为最少投入：不设预算上限；方案是满足全部要求的最少一次性投入",
            "objective least cost: budgets are not imposed; the plan is the least one-off cost that meets every "
            "requirement"),
    Message("starved", rf"(?P<fn>\w+) gets no new facility although (?P<num>{_NUM}) yuan are left and its cheapest "
            rf"candidate costs (?P<num2>{_NUM}) yuan \(before the site's conversion\): raise its priority "
            r"\(functions\.(?P<tok>\w+)\.priority\) or check its candidates",
            "{fn}没有新增设施，尽管还剩 {num} 元，而其最便宜的候选只需 {num2} 元（不含场地改建费）：请提高其优先级"
            "（{tok}）或检查其候选点位",
            "{fn} gets no new facility although {num} yuan are left and its cheapest candidate costs {num2} yuan "
            "(before the site's conversion): raise its priority ({tok}) or check its candidates"),
    Message("requests_disabled", r"requests for disabled functions are ignored: (?P<asked>.+)",
            "未启用功能的居民需求已忽略：{asked}", "requests for disabled functions are ignored: {asked}"),
    Message("requests_channels", r"requests\.channels names (?P<name>.+), which no row of the ledger has",
            "{tok} 列出的 {name} 在需求台账中没有任何记录", "{tok} names {name}, which no row of the ledger has"),
    Message("requests_none", r"function (?P<fn>\w+) counts its requests only, but the ledger counts none for it "
            r"\(after requests\.since and requests\.channels\): it counts nobody",
            "{fn}只计居民需求，但需求台账（按 {tok} 与 {tok2} 筛选后）没有它的需求：它不计任何人",
            "{fn} counts its requests only, but the ledger counts none for it (after {tok} and {tok2}): it counts "
            "nobody"),
    Message("garages_short", rf"(?P<num>\d+) shared garages offer residents fewer than (?P<num2>{_NUM}) hours a day "
            r"\(shared_parking\.min_hours\) and are not eligible: (?P<hours>.+?)(?P<more> \.\.\.)?",
            "{num} 个共享车库每天向居民开放不足 {num2} 小时（{tok}），不可用：{hours}{more}",
            "{num} shared garages offer residents fewer than {num2} hours a day ({tok}) and are not eligible: "
            "{hours}{more}"),
    Message("complexes_not_phased", r"complexes \(渝邻汇\) are not phased yet: the yearly project lists take "
            r"no complex saving", "综合体（渝邻汇）尚未分年度安排：年度项目清单不计综合体节省",
            "multi-function complexes are not phased yet: the yearly project lists take no complex saving"),
    Message("phasing_filled", rf"no phasing\.budgets for (?P<text>[\d, ]+): each gets budget\.total / (?P<num>\d+) "
            rf"years = (?P<num2>{_NUM}) yuan", "{text} 年没有分年度预算：每年为总预算 / {num} 年 = {num2} 元",
            "no yearly budget for {text}: each gets the total budget / {num} years = {num2} yuan"),
    Message("phasing_ignored", r"phasing\.budgets of (?P<text>[\d, ]+) lie outside the horizon and are not used",
            "{text} 年的分年度预算在规划期之外，不使用", "the yearly budgets of {text} lie outside the horizon and are "
            "not used"),
    Message("phasing_late", r"(?P<num>\d+) sites are available only after (?P<num2>\d+) and are left out: "
            r"(?P<ids>.+?)(?P<more> \.\.\.)?", "{num} 个点位在 {num2} 年之后才可用，未纳入：{ids}{more}",
            "{num} sites are available only after {num2} and are left out: {ids}{more}"),
)

#: fixed technical tokens (settings' paths) some messages name, by message key and part
_FIXED_TOKENS: dict[str, dict[str, str]] = {
    "units_far": {"tok": "reach.max_snap_m"}, "units_off_main": {"tok": "reach.max_snap_m"},
    "garages_short": {"tok": "shared_parking.min_hours"}, "requests_channels": {"tok": "requests.channels"},
    "requests_none": {"tok": "requests.since", "tok2": "requests.channels"}}


def name_html(text: str) -> str:
    """A name or identifier from the data, kept as written and marked as a name.

    Chinese names (site names, circles, districts, communities) are wrapped in
    ``<span lang="zh">``; Latin identifiers (site and circle ids) in ``<span class="tok">``,
    so that the page's language check knows they are names, not untranslated words.

    Examples
    --------
    >>> name_html("解放碑街道")
    '<span lang="zh">解放碑街道</span>'
    >>> name_html("YZ-S0012")
    '<span class="tok">YZ-S0012</span>'
    """
    if not text:
        return ""
    if CJK.search(text):
        return f'<span lang="zh">{escape(text)}</span>'
    return f'<span class="tok">{escape(text)}</span>'


def original_html(text: str, lang: str) -> str:
    """English text of the record with no translation: quoted as it is, marked ``lang="en"``.

    In the Chinese report the word 原文 (original text) says that it is quoted.
    """
    if check_lang(lang) == "en":
        return f'<span lang="en">{escape(text)}</span>'
    return f'<span class="quoted">（原文）<span lang="en">{escape(text)}</span></span>'


def _ids_html(text: str, lang: str) -> str:
    """``S1, S2``: each id marked as a name, listed with the language's comma (、 in Chinese)."""
    return pick(lang, zh="、", en=", ").join(name_html(t.strip()) for t in text.split(","))


def _pairs_html(text: str, names: dict[str, str], lang: str) -> str:
    out = []
    for item in text.split(","):
        site, _, fn = item.strip().rpartition(":")
        out.append(f"{name_html(site)}（{escape(_fn_name(fn, names, lang))}）" if lang == "zh"
                   else f"{name_html(site)} ({escape(_fn_name(fn, names, lang))})")
    return pick(lang, zh="、", en=", ").join(out)


def _fn_name(key: str, names: dict[str, str], lang: str) -> str:
    return names.get(key) or function_label(key, lang)


def _shares_html(text: str, names: dict[str, str], lang: str) -> str:
    """``canteen 12.3%, childcare 4.0%`` with each function by its name."""
    out = []
    for item in text.split(", "):
        fn, _, pct = item.rpartition(" ")
        out.append(f"{escape(_fn_name(fn, names, lang))} {escape(pct)}" if fn else escape(item))
    return pick(lang, zh="，", en=", ").join(out)


def _asked_html(text: str, names: dict[str, str], lang: str) -> str:
    """``canteen (3 rows, 120 residents), ...``: each function by its name, rows and residents in ``lang``."""
    out = []
    for fn, rows, residents in re.findall(rf"(\w+) \((\d+) rows, ({_NUM}) residents\)", text):
        name = escape(_fn_name(fn, names, lang))
        out.append(pick(lang, zh=f"{name}（{rows} 条，{residents} 人）",
                        en=f"{name} ({rows} rows, {residents} residents)"))
    return pick(lang, zh="，", en=", ").join(out) if out else escape(text)


def _hours_html(text: str, lang: str) -> str:
    """``G1 (6 h), G2 (4 h)``: each garage's id and its hours a day."""
    items = re.findall(rf"(\S+) \(({_NUM}) h\)", text)
    if not items:
        return escape(text)
    return pick(lang, zh="，", en=", ").join(
        f"{name_html(g)}{pick(lang, zh=f'（{h} 小时）', en=f' ({h} h)')}" for g, h in items)


def _part_html(group: str, value: str | None, names: dict[str, str], lang: str) -> str:
    if value is None:
        return ""
    kind = re.sub(r"\d+$", "", group)
    if kind == "fn":
        return escape(_fn_name(value, names, lang))
    if kind == "pairs":
        return _pairs_html(value, names, lang)
    if kind in ("ids", "name"):
        return _ids_html(value, lang) if kind == "ids" else name_html(value)
    if kind == "op":
        return escape(OPERATORS.get(value, value))
    if kind == "w":
        zh, en = WORDS.get(value, (value, value))
        return escape(pick(lang, zh=zh, en=en))
    if kind == "tok":
        return f"<code>{escape(value)}</code>"
    if kind == "asked":
        return _asked_html(value, names, lang)
    if kind == "hours":
        return _hours_html(value, lang)
    if kind == "shares":
        return _shares_html(value, names, lang)
    if kind == "more":
        return " …" if value else ""
    if kind == "text":
        if lang == "en" or not re.search(r"[A-Za-z]{3}", value):
            return escape(value)
        return f'<span lang="en">{escape(value)}</span>'
    return escape(value)  # num*


def _fill(message: Message, m: re.Match, names: dict[str, str], lang: str) -> str:
    """The message's text in ``lang`` with the parts of ``m`` (HTML)."""
    template = pick(lang, zh=message.zh, en=message.en)
    parts = m.groupdict()
    for group, token in _FIXED_TOKENS.get(message.key, {}).items():
        parts.setdefault(group, token)

    def one(piece: re.Match) -> str:
        group = piece.group(1)
        return _part_html(group, parts.get(group), names, lang)

    out, at = [], 0
    for piece in re.finditer(r"\{(\w+)\}", template):
        out.append(escape(template[at:piece.start()]))
        out.append(one(piece))
        at = piece.end()
    out.append(escape(template[at:]))
    return "".join(out)


def find_message(text: str, catalogue: tuple[Message, ...]) -> tuple[Message, re.Match] | None:
    """The first message of ``catalogue`` whose pattern matches the whole ``text``."""
    for message in catalogue:
        m = message.match(text)
        if m is not None:
            return message, m
    return None


def _translated(text: str, catalogue: tuple[Message, ...], names: dict[str, str], lang: str,
                split: str | None = None) -> str | None:
    found = find_message(text, catalogue)
    if found is not None:
        return _fill(found[0], found[1], names, lang)
    if split and split in text:  # a failure's list: each part on its own
        parts = [_translated(p, catalogue, names, lang) for p in text.split(split)]
        if all(p is not None for p in parts):
            return pick(lang, zh="；", en="; ").join(p for p in parts if p is not None)
    return None


def check_name_html(name: str, lang: str, names: dict[str, str]) -> str:
    """A check's name (``run.json`` check.items[].check) in ``lang``, as HTML."""
    done = _translated(name, CHECK_NAMES, names, lang)
    return done if done is not None else original_html(name, lang)


def check_detail_html(detail: str, lang: str, names: dict[str, str]) -> str:
    """A check's detail in ``lang``, as HTML (a failure's list item by item)."""
    done = _translated(detail, CHECK_DETAILS, names, lang, split="; ")
    return done if done is not None else original_html(detail, lang)


def warning_html(text: str, lang: str, names: dict[str, str]) -> str:
    """A run's warning in ``lang``, as HTML (an unknown warning quoted in English, marked as such)."""
    done = _translated(text, WARNINGS, names, lang)
    return done if done is not None else original_html(text, lang)


def is_translated(text: str, catalogue: tuple[Message, ...], split: str | None = None) -> bool:
    """Whether ``text`` has words in both languages here (not shown as the quoted original)."""
    return _translated(text, catalogue, {}, "en", split) is not None

