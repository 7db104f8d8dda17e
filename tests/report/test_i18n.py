"""Reader-facing words come in Chinese and English from one place (optimizer/i18n.py)."""
from __future__ import annotations

import pytest

from optimizer.i18n import cohort_label, function_label, pick, unit_label


def test_capacity_units_are_named_in_the_readers_language():
    """A childcare room's capacity reads 托位/床位 in Chinese and places in English; unknown units stay as written."""
    assert unit_label("place", "zh") == "个床位/托位"
    assert unit_label("space", "en") == "spaces"
    assert unit_label("bench", "zh") == "bench"


def test_a_scenarios_own_chinese_label_wins_and_unknown_languages_are_refused():
    """A scenario's label_zh names the function in Chinese; a language other than zh/en is an error naming both."""
    assert function_label("canteen", "zh", label_zh="长者食堂") == "长者食堂"
    assert function_label("canteen", "en", label_zh="长者食堂") == "community canteen"
    assert cohort_label("elderly", "en") == "residents aged 60+"
    with pytest.raises(ValueError, match="zh, en"):
        pick("fr", zh="是", en="yes")


def test_every_report_phrase_is_chinese_in_chinese_and_english_in_english():
    """Each phrase of the report (the objective's units and the fairness table included) has Chinese text in zh and
    none in en."""
    import re

    from optimizer.report.words import PHRASES

    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert {"unit_share", "unit_people", "objective_fair", "fairness", "worst_circle", "gini"} <= set(PHRASES)
    assert [k for k, (zh, en) in PHRASES.items() if not cjk.search(zh) or cjk.search(en)] == []
