"""walk_vs_buffer.png and frontier.png: wholly in one language, functions by name, the report's colours.

Both figures are drawn from small made-up tables (no solve), in both languages; every
matplotlib ``Text`` of the drawn figure is read back.
"""
from __future__ import annotations

import itertools
import re

import matplotlib.text
import numpy as np
import pandas as pd
import pytest

from optimizer.i18n import function_label
from optimizer.map_style import FUNCTION_STYLES, NEUTRAL_COLOUR
from optimizer.outputs import figures
from optimizer.outputs.fonts import cjk_font

FUNCTIONS = ["canteen", "childcare", "elder_care", "parking"]
TITLE = "demo"
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

needs_cjk = pytest.mark.skipif(cjk_font() is None, reason="no font with Chinese glyphs: figures fall back to English")


@pytest.fixture
def drawn(monkeypatch):
    """The figures drawn, kept from being closed (matplotlib's ``plt.close`` is recorded instead)."""
    kept = []
    monkeypatch.setattr(figures.plt, "close", kept.append)
    yield kept
    monkeypatch.undo()
    for fig in kept:
        figures.plt.close(fig)


def _walk_table() -> pd.DataFrame:
    return pd.DataFrame({
        "function": FUNCTIONS, "label_zh": ["", "", "", ""], "cohort": ["total", "infants", "elderly", "cars"],
        "people": [1000.0, 80.0, 300.0, 400.0], "threshold_min": [10, 5, 10, 5],
        "buffer_radius_m": [600.0, 300.0, 600.0, 300.0], "reach_method": "network",
        "with_plan_covered_walking": [700.0, 40.0, 210.0, 100.0],
        "with_plan_covered_buffer": [900.0, 70.0, 280.0, 250.0]})


def _frontier_table() -> pd.DataFrame:
    budgets = np.linspace(0, 2.5e7, 11)
    out = pd.DataFrame({"budget": budgets, "status": "optimal", "proven_optimal": [True] * 10 + [False],
                        "cost": budgets * 0.95, "sites": np.arange(11)})
    for k, f in enumerate(FUNCTIONS):
        out[f"{f}_covered_share"] = np.minimum(1.0, 0.2 + 0.07 * np.arange(11) * (1 + k / 4))
    return out


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def _draw(kind: str, lang: str, tmp_path, drawn):
    path = tmp_path / f"{kind}_{lang}.png"
    if kind == "walk_vs_buffer":
        figures.walk_vs_buffer_figure(_walk_table(), path, TITLE, lang)
    else:
        figures.frontier_figure(_frontier_table(), path, TITLE, lang)
    assert path.stat().st_size > 1000
    return drawn[-1]


@needs_cjk
@pytest.mark.parametrize("kind", ["walk_vs_buffer", "frontier"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_figure_speaks_one_language_and_names_functions(kind, lang, tmp_path, drawn):
    """No raw function key, no word of the other language; each function by its name in ``lang``."""
    texts = _texts(_draw(kind, lang, tmp_path, drawn))
    joined = "\n".join(texts)
    assert "_" not in joined, f"a raw key in {kind}: {joined!r}"
    for f in FUNCTIONS:
        assert function_label(f, lang) in joined
    if lang == "zh":
        foreign = [t for t in texts if LATIN_WORD.search(t.replace(TITLE, ""))]
    else:
        foreign = [t for t in texts if CJK.search(t)]
    assert not foreign, f"{kind} in {lang} carries the other language: {foreign}"


def test_the_figures_use_the_report_s_palette(tmp_path, drawn):
    """Each function's line (frontier) and walking bar (walk vs buffer) in its map_style colour."""
    import matplotlib.colors as mc

    fig = _draw("frontier", "en", tmp_path, drawn)
    lines = {ln.get_label(): ln.get_color() for ln in fig.axes[0].get_lines()}
    for f in FUNCTIONS:
        assert mc.to_hex(lines[function_label(f, "en")]) == FUNCTION_STYLES[f][0]
    fig = _draw("walk_vs_buffer", "en", tmp_path, drawn)
    bars = [mc.to_hex(p.get_facecolor()) for p in fig.axes[0].patches]
    assert bars[:4] == [NEUTRAL_COLOUR] * 4
    assert bars[4:8] == [FUNCTION_STYLES[f][0] for f in FUNCTIONS]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_frontier_budget_labels_never_overlap_each_other_nor_the_share_axis(lang, tmp_path, drawn):
    """Budgets from 0 to 2,500 万元: the budget tick labels' boxes are apart from each other and the % labels."""
    if lang == "zh" and cjk_font() is None:
        pytest.skip("no font with Chinese glyphs")
    fig = _draw("frontier", lang, tmp_path, drawn)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    lo, hi = ax.get_xlim()
    xs = [t for t in ax.get_xticklabels() if t.get_text() and lo <= t.get_position()[0] <= hi]
    ys = [t for t in ax.get_yticklabels() if t.get_text()]
    assert 2 <= len(xs) <= 7
    boxes_x = [t.get_window_extent(renderer) for t in xs]
    boxes_y = [t.get_window_extent(renderer) for t in ys]
    for a, b in itertools.combinations(boxes_x, 2):
        assert not a.overlaps(b), f"budget labels overlap: {[t.get_text() for t in xs]}"
    for a, b in itertools.product(boxes_x, boxes_y):
        assert not a.overlaps(b), "a budget label runs into a share label"
    assert all(len(t.get_text()) <= 6 for t in xs), [t.get_text() for t in xs]
