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


def _frontier_table(budgets: tuple[float, ...] | None = None) -> pd.DataFrame:
    budgets = np.linspace(0, 2.5e7, 11) if budgets is None else np.asarray(budgets, dtype=float)
    n = len(budgets)
    out = pd.DataFrame({"budget": budgets, "status": "optimal", "proven_optimal": [True] * (n - 1) + [False],
                        "cost": budgets * 0.95, "sites": np.arange(n)})
    for k, f in enumerate(FUNCTIONS):
        out[f"{f}_covered_share"] = np.minimum(1.0, 0.2 + 0.07 * np.arange(n) * (1 + k / 4))
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


def _svg_text_boxes(svg: str, lang: str) -> list[tuple[str, float, float, float, float]]:
    """Each ``<text>`` of an SVG chart with its box (x0, x1, y0, y1), its width measured by matplotlib."""
    from html import unescape

    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    family = cjk_font() if lang == "zh" else None
    out = []
    for attrs, body in re.findall(r"<text ([^>]*)>(.*?)</text>", svg):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        size = float(a.get("font-size", 12))
        text = unescape(body)
        props = FontProperties(family=[family, "DejaVu Sans"] if family else None, size=size)
        width = measure.get_text_width_height_descent(text, props, ismath=False)[0]
        x, y = float(a["x"]), float(a["y"])
        x0 = {"start": x, "middle": x - width / 2, "end": x - width}[a.get("text-anchor", "start")]
        out.append((text, x0, x0 + width, y - 0.8 * size, y + 0.25 * size))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_s_frontier_chart_labels_budgets_compactly_without_overlap(lang):
    """The report's SVG frontier: labels like ``1,000`` (unit in the axis title), apart from each other and "0%"."""
    from optimizer.report.charts import frontier_chart
    from optimizer.report.words import say

    if lang == "zh" and cjk_font() is None:
        pytest.skip("no font with Chinese glyphs to measure with")
    names = {f: function_label(f, lang) for f in FUNCTIONS}
    colours = {f: FUNCTION_STYLES[f][0] for f in FUNCTIONS}
    # budgets as a planner tries them: close together at the low end, where "1,000.0 万元" labels collided
    svg = frontier_chart(_frontier_table((0, 1e6, 2e6, 5e6, 1e7, 1.5e7, 2e7, 2.5e7)), FUNCTIONS, names, colours, lang)
    boxes = _svg_text_boxes(svg, lang)
    shares = [b for b in boxes if b[0].endswith("%")]
    assert [b[0] for b in shares] == ["0%", "25%", "50%", "75%", "100%"]
    assert say("budget_axis", lang) in [b[0] for b in boxes]
    bottom = max(b[3] for b in shares)  # the axis: below the "0%" label
    budgets = [b for b in boxes if b[2] >= b[1] and b[3] > bottom - 10 and b[0] != say("budget_axis", lang)
               and not b[0].endswith("%")]
    labels = [b[0] for b in budgets]
    assert labels == ["0", "500", "1,000", "1,500", "2,000", "2,500"] if lang == "zh" else \
        labels == ["0", "5", "10", "15", "20", "25"], labels
    for a, b in itertools.combinations(budgets + shares, 2):
        apart = a[2] <= b[1] or b[2] <= a[1] or a[4] <= b[3] or b[4] <= a[3]
        assert apart, f"{a[0]!r} and {b[0]!r} overlap"
