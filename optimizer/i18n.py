"""Language of headers and report text: Chinese (``zh``) or English (``en``).

Planners in Chongqing read Chinese; consultants and reviewers often English. Every
command that writes something a person reads (``report``, ``assess``, ``diff``,
``plan --years``) takes ``--lang zh|en`` and looks its words up here or in a phrase table
kept next to its own code, through :func:`pick`.

Examples
--------
>>> pick("zh", zh="社区食堂", en="community canteen")
'社区食堂'
>>> function_label("elder_care", "en")
'elder care'
"""
from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
#: the languages every reader-facing output supports
LANGUAGES: tuple[str, ...] = ("zh", "en")
#: the default language of reader-facing outputs
DEFAULT_LANG: Lang = "zh"

#: the shipped functions, in both languages (a scenario's own ``label_zh`` wins in Chinese)
FUNCTION_LABELS: dict[str, dict[str, str]] = {
    "canteen": {"zh": "社区食堂", "en": "community canteen"},
    "childcare": {"zh": "托育", "en": "childcare"},
    "elder_care": {"zh": "养老服务", "en": "elder care"},
    "parking": {"zh": "停车", "en": "parking"},
    "after_school": {"zh": "四点半课堂", "en": "after-school care"},
    "health_post": {"zh": "社区卫生服务站", "en": "community health post"},
    "culture_room": {"zh": "文化活动室", "en": "culture room"},
}

#: the cohorts functions count, in both languages
COHORT_LABELS: dict[str, dict[str, str]] = {
    "total": {"zh": "常住人口", "en": "all residents"},
    "infants": {"zh": "3岁以下婴幼儿", "en": "children under 3"},
    "children": {"zh": "儿童", "en": "children"},
    "school_age": {"zh": "6-12岁儿童", "en": "children aged 6-12"},
    "elderly": {"zh": "60岁及以上老人", "en": "residents aged 60+"},
    "cars": {"zh": "小汽车", "en": "cars"},
}


#: capacity units of the shipped functions (``functions.*.unit_name``), in both languages
UNIT_LABELS: dict[str, dict[str, str]] = {
    "seat": {"zh": "座", "en": "seats"},
    "place": {"zh": "个床位/托位", "en": "places"},
    "space": {"zh": "个车位", "en": "spaces"},
}


#: how walking effort was obtained (``optimizer.reach.types.ReachMethod``), in both languages
REACH_METHOD_LABELS: dict[str, dict[str, str]] = {
    "network": {"zh": "步行路网", "en": "walk network"},
    "straight_line": {"zh": "直线距离 × 绕行系数", "en": "straight line x detour"},
    "od_table": {"zh": "给定步行时间表", "en": "given walk-time table"},
}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language, else raise ``ValueError`` naming both."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return lang  # type: ignore[return-value]


def pick(lang: str, *, zh: str, en: str) -> str:
    """The Chinese or the English text, by ``lang``."""
    return zh if check_lang(lang) == "zh" else en


def function_label(function: str, lang: str, label_zh: str = "") -> str:
    """A function's name for readers; ``label_zh`` (from the scenario) is used in Chinese."""
    check_lang(lang)
    if lang == "zh" and label_zh:
        return label_zh
    known = FUNCTION_LABELS.get(function)
    return known[lang] if known else function.replace("_", " ")


def cohort_label(cohort: str, lang: str) -> str:
    """A cohort's name for readers."""
    check_lang(lang)
    known = COHORT_LABELS.get(cohort)
    if known is None and "requests_" in cohort:  # with the market-demand ledger (optimizer.rules.requests)
        base = cohort.split("_and_requests_")[0] if "_and_requests_" in cohort else ""
        asked = pick(lang, zh="提出需求的居民", en="residents who asked")
        return pick(lang, zh=f"{cohort_label(base, lang)}（含{asked}）", en=f"{cohort_label(base, lang)} and {asked}") \
            if base else asked
    return known[lang] if known else cohort.replace("_", " ")


def unit_label(unit: str, lang: str) -> str:
    """A capacity unit's name for readers (an unknown unit as it is written)."""
    check_lang(lang)
    known = UNIT_LABELS.get(unit)
    return known[lang] if known else unit


def reach_method_label(method: str, lang: str) -> str:
    """How walking effort was obtained, for readers (an unknown method as it is written).

    Examples
    --------
    >>> reach_method_label("network", "zh")
    '步行路网'
    """
    check_lang(lang)
    known = REACH_METHOD_LABELS.get(str(method))
    return known[lang] if known else str(method).replace("_", " ")
