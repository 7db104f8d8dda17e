"""One language per report: the Chinese page and its PNGs in Chinese, the English ones in English.

The demo's reports are rendered in headless Chromium and every visible text node is read
back. Text the page marks as another language (``lang="en"`` quoted originals,
``lang="zh"`` place names in the English page) and technical tokens (``<code>``,
``.tok``: file names, run ids, site ids, solver names) are skipped; everything else must
be in the page's language, and no raw key (``elder_care``, ``None``, ``nan``, ``%%``)
may show.
"""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.text
import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.report import figures
from optimizer.report.messages import CHECK_DETAILS, CHECK_NAMES, WARNINGS, check_detail_html, warning_html

#: Latin words allowed in the Chinese page, each a name readers know in Latin letters:
#: UTC (time zone of "created"), PNG (the figures' file type). Units (m, km, m², s) are shorter than three letters.
ZH_ALLOWED = {"UTC", "PNG"}
LATIN_RUN = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
#: what a raw key looks like: snake_case, an unfilled placeholder, Python's or pandas' empty values
RAW = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|%%|\bNone\b|\bnan\b|\bNaN\b")
#: elements whose text is never read: scripts, styles, technical tokens
SKIPPED_TAGS = {"script", "style", "code", "head"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Texts(HTMLParser):
    """The text nodes (and alt/aria-label texts) of a page that are in the page's language."""

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang, self.stack, self.texts = lang, [], []

    def _skipped(self, tag: str, attrs: dict) -> bool:
        other = attrs.get("lang") and attrs["lang"].split("-")[0] != self.lang
        return tag in SKIPPED_TAGS or "tok" in (attrs.get("class") or "").split() or bool(other)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skip = self._skipped(tag, a) or any(s for _, s in self.stack)
        if not skip:
            self.texts += [(a[k], f"{tag}@{k}") for k in ("alt", "aria-label") if a.get(k)]
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        if not (self._skipped(tag, a) or any(s for _, s in self.stack)):
            self.texts += [(a[k], f"{tag}@{k}") for k in ("alt", "aria-label") if a.get(k)]

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip() and not any(s for _, s in self.stack):
            self.texts.append((data.strip(), "/".join(t for t, _ in self.stack[-3:])))


def page_texts(html: str, lang: str) -> list[tuple[str, str]]:
    """Every visible text of ``html`` in the page's language ``lang``, with where it is."""
    body = html[html.index("<body"):] if "<body" in html else html
    parser = _Texts(lang)
    parser.feed(body)
    return parser.texts


def foreign(text: str, lang: str, keys: set[str] = frozenset()) -> list[str]:
    """What in ``text`` is not in ``lang``: Latin words (3+ letters) in Chinese, CJK in English, raw keys."""
    found = [w for w in LATIN_RUN.findall(text) if w not in ZH_ALLOWED] if lang == "zh" else CJK.findall(text)
    found += RAW.findall(text)
    found += [k for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text) and "_" in k]
    return found


def _report(*args: str):
    return CliRunner().invoke(main, ["report", *map(str, args)])


@pytest.fixture(scope="module", params=[
    pytest.param(False, id="solve-free"),
    # the explained site's proven loss (one re-solve of the demo): slow
    pytest.param(True, id="explained", marks=pytest.mark.slow)])
def reports(demo_run, tmp_path_factory, request) -> dict:
    """The demo's zh and en reports, with a frontier (one point not proven), written once for the module; with
    ``explained``, one site explained with a re-solve first (its proven loss in the report's table)."""
    explained = request.param
    run = Path(shutil.copytree(demo_run, tmp_path_factory.mktemp("lang") / "run"))
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    # a warning a solver stopped by its time limit leaves, beside the demo's own
    record["warnings"] = list(record.get("warnings") or []) + [
        "the plan is NOT proven optimal (highs): time limit, best plan found (greedy), bound 128.99, gap 2.531%",
        "elder_care gets no new facility although 1,200,000 yuan are left and its cheapest candidate costs 300,000 "
        "yuan (before the site's conversion): raise its priority (functions.elder_care.priority) or check its "
        "candidates"]
    (run / "run.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    frontier = run.parent / "frontier.csv"
    keys = [r["function"] for r in record["plan"]["by_function"]]
    pd.DataFrame({"budget": [0.0, 2e7, 4e7, 8e7], "status": ["optimal", "optimal", "optimal", "feasible"],
                  "proven_optimal": [True, True, True, False], "cost": [0.0, 2e7, 4e7, 7.9e7], "sites": [0, 9, 17, 30],
                  **{f"{f}_covered_share": [0.4, 0.5, 0.6, 0.7] for f in keys}}).to_csv(frontier, index=False)
    # why the site that alone reaches the most people was chosen: one re-solve, so the report's table has a
    # proven re-planning figure beside the solve-free ones of the other sites
    if explained:
        only = pd.read_csv(run / "plan_facilities.csv", encoding="utf-8-sig").groupby("site_id")[
            "covered_only_here"].sum()
        done = CliRunner().invoke(main, ["-q", "explain", str(run), str(only.idxmax()), "--top", "0",
                                         "--time-limit", "900"])
        assert done.exit_code == 0, done.output
    kept: list = []
    import matplotlib.pyplot as plt

    close = plt.close
    plt.close = kept.append  # keep every figure drawn, to read its texts back
    try:
        for lang in ("zh", "en"):
            result = _report(run, "--lang", lang, "--frontier", frontier)
            assert result.exit_code == 0, result.output
    finally:
        plt.close = close
    figs = {"zh": kept[:len(kept) // 2], "en": kept[len(kept) // 2:]}
    yield {"run": run, "record": record, "keys": set(keys), "figures": figs, "explained": explained,
           "pages": {"zh": run / "report.html", "en": run / "report_en.html"}}
    for fig in kept:
        plt.close(fig)


# [zh] slow: the Chinese page in Chromium is checked by default in test_map_layers.py and test_report.py
@pytest.mark.parametrize("lang", [pytest.param("zh", marks=pytest.mark.slow), "en"])
def test_in_chromium_every_visible_text_of_the_report_is_in_its_language(reports, lang):
    """After its script ran, the page shows no word of the other language and no raw key (names of places and
    ids are marked as such and skipped)."""
    from optimizer.report.browser import dump_dom, find_chromium, screenshot

    if find_chromium() is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install -y chromium) to run the browser test")
    dom = dump_dom(reports["pages"][lang], timeout=180)
    assert 'data-rendered="yes"' in re.search(r"<body([^>]*)>", dom).group(1), "the page's script ran"
    texts = page_texts(dom, lang)
    assert len(texts) > 100, "the page's text was read"
    wrong = [(where, t[:120], foreign(t, lang, reports["keys"])) for t, where in texts
             if foreign(t, lang, reports["keys"])]
    assert not wrong, f"the {lang} report shows text of another language or a raw key:\n" + "\n".join(map(str, wrong))
    # the check table and the warnings are translated, not quoted
    check = dom[dom.index('<section id="check">'):]
    check = check[:check.index("</section>")]
    assert ("适建条件" if lang == "zh" else "eligibility") in check and "原文" not in check
    warns = dom[dom.index('<section id="warnings">'):]
    warns = warns[:warns.index("</section>")]
    assert "原文" not in warns and ('lang="en"' not in warns)
    assert ("方案未被证明最优" if lang == "zh" else "NOT proven optimal") in warns
    if lang == "en":
        assert '<span lang="zh">' in dom, "place names from the data are marked as Chinese names"
    # the map a planner recognises: the streets and the 11 life circles' outlines drawn
    streets = re.search(r'<g id="streets"[^>]*data-points="(\d+)"', dom)
    assert streets and int(streets.group(1)) > 20_000, "the walk network is drawn"
    assert 'data-circle-outlines="11"' in re.search(r"<body([^>]*)>", dom).group(1), "the 11 circle outlines"
    # why these sites: one row per chosen site, the explained one with its proven loss after re-planning
    explain = dom[dom.index('<section id="explain">'):]
    explain = explain[:explain.index("</section>")]
    assert explain.count("<tr>") >= reports["record"]["plan"]["sites_converted"] + 1
    if reports["explained"]:
        assert re.search(r'>(?:已证明|proven)</td>', explain), "the explained site's loss after re-planning is proven"
    # and the page as a planner sees it
    shot = reports["run"] / f"language-{lang}.png"
    screenshot(reports["pages"][lang], shot, timeout=180)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_png_of_the_report_is_in_its_language(reports, lang):
    """Map, coverage, cost, walk vs buffer and frontier: every title, label, tick and legend text in ``lang``.

    The scenario's name (``yuzhong-demo``, the name of its file, an identifier) is one token left out;
    the life circles' names on the map are the other (proper nouns from the data, drawn with the
    gid ``circle-name:<id>`` as the page marks them ``lang="zh"``).
    """
    if lang == "zh" and figures.figure_language("zh") != "zh":
        pytest.skip("no font with Chinese glyphs: the figures fall back to English")
    figs = reports["figures"][lang]
    assert len(figs) == 5, "map, coverage, cost, walk vs buffer, frontier"
    name = reports["record"]["scenario"]["name"]
    for fig in figs:
        texts = [t.get_text().replace(name, "") for t in fig.findobj(matplotlib.text.Text)
                 if t.get_visible() and t.get_text() and not str(t.get_gid() or "").startswith("circle-name:")]
        wrong = [(t, foreign(t, lang, reports["keys"])) for t in texts if foreign(t, lang, reports["keys"])]
        assert not wrong, f"{fig.get_suptitle() or fig.axes[0].get_title()}: {wrong}"


#: one English text of every message the catalogue translates, as the pipeline writes it
SAMPLES = {
    "warnings": [
        "61 sites are eligible for no enabled function and were ignored: YZ-S0012, YZ-S0022 ...",
        "walking times are straight-line distance x detour factor 1.3: the weaker method (no street network)",
        "3 demand units are farther than 300 m from the network (reach.max_snap_m) and reach nothing: U1, U2, U3",
        "2 demand units lie nearer to a part of the network that is not connected to the main part; they were "
        "attached to the main part where within reach.max_snap_m: U1, U2",
        "the plan is NOT proven optimal (cbc): time limit, best plan found, no bound, gap unknown",
        "the plan is NOT proven optimal (highs): HiGHS overran time limit + grace and was cancelled",
        "the plan is NOT proven optimal: greedy stopped (time_limit) with gap 3.10%",
        "the plan is NOT proven optimal: greedy stopped (killed), gap unknown",
        "objective least_cost: budgets are not imposed; the plan is the least one-off cost that meets every "
        "requirement",
        "requests for disabled functions are ignored: after_school (3 rows, 120 residents)",
        "requests.channels names 渝快办, which no row of the ledger has",
        "function after_school counts its requests only, but the ledger counts none for it (after requests.since "
        "and requests.channels): it counts nobody",
        "2 shared garages offer residents fewer than 8 hours a day (shared_parking.min_hours) and are not eligible: "
        "G1 (6 h), G2 (4 h)",
        "complexes (渝邻汇) are not phased yet: the yearly project lists take no complex saving",
        "no phasing.budgets for 2027, 2028: each gets budget.total / 3 years = 26,666,667 yuan",
        "phasing.budgets of 2030 lie outside the horizon and are not used",
        "6 sites are available only after 2028 and are left out: S1, S2",
    ],
    "details": [
        "not eligible: S1:canteen, S2:elder_care", "S1 uses 120.0 of 100.0 m2; S2 uses 90.5 of 80.0 m2",
        "2 complexes each meet their type's rule (functions, core functions, floor area, site kind)",
        "every facility's area is within its function's min and max", "S1:childcare 40.0 m2",
        "not imposed: least_cost asks what the requirements cost (12,000,000 yuan)",
        "cost 90,000,000 > budget 80,000,000 yuan", "not imposed: least_cost (1,000 yuan)",
        "1,000 <= 2,000 yuan", "the government's one-off share is funded by its channels within their caps",
        "no allocation to the channels within their caps funds the plan",
        "S1 forced in but unused; S2:canteen forced in but absent; S3 forced out but used; S4:parking forced out "
        "but present", "the plan's coverage differs from the recomputation",
        "more people served than were left after running facilities", "nobody newly served", "1,234.5 people served",
        "the planned facilities can serve only 10.0 of the 12.0 people the plan claims",
        "every person counted as served is within reach of a planned facility with room left, after running "
        "facilities took their share (independent max-flow)",
        "recomputed cost of the solver's choice 1,000.000 matches solver's incumbent value 1,000.000",
        "recomputed cost 1,000.000 >= proven lower bound 900.000",
        "4 circle/group cases where both functions are new all share a site",
        "circle 解放碑: elder_care and childcare on no common site",
        "recomputed worst circles' value 0.412000 matches stage 1's 0.412000 (bound 0.500000): canteen 41.2%, "
        "elder_care 50.0%",
        "all 22 requirement targets met", "circle LC1 elder_care: 10.0 of 20.0 people",
        "all 1,024 figures the plan list claims agree with their recomputation from its sites",
    ],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_warning_and_check_detail_the_pipeline_writes_has_words_in_both_languages(lang):
    """Each sample is translated (not quoted as the original), in ``lang`` only, functions by name."""
    keys = {"canteen", "childcare", "elder_care", "after_school", "parking"}
    for kind, render in (("warnings", warning_html), ("details", check_detail_html)):
        for text in SAMPLES[kind]:
            html = render(text, lang, {})
            assert "原文" not in html and 'lang="en"' not in html or "HiGHS overran" in text, (text, html)
            shown = " ".join(t for t, _ in page_texts(f"<body><p>{html}</p></body>", lang))
            assert not foreign(shown, lang, keys), (text, shown, foreign(shown, lang, keys))


def test_an_unknown_warning_is_quoted_as_the_original_marked_in_its_language():
    """A warning no catalogue entry knows is shown as written, inside lang="en", and 原文 says so in Chinese."""
    html = warning_html("something new happened to elder_care", "zh", {})
    assert '<span lang="en">something new happened to elder_care</span>' in html and "原文" in html
    assert page_texts(f"<body><p>{html}</p></body>", "zh") == [("（原文）", "body/p/span")]


def test_the_catalogue_keys_are_unique():
    """Each message has one stable key (translators and tests name messages by it)."""
    for catalogue in (CHECK_NAMES, CHECK_DETAILS, WARNINGS):
        keys = [m.key for m in catalogue]
        assert len(keys) == len(set(keys))


def test_the_description_is_shown_in_the_report_s_language_or_marked_as_the_other():
    """description_zh in the Chinese report, description in the English one; a single one keeps its language."""
    from optimizer.report.gather import description

    both = {"description": "Synthetic district.", "description_zh": "模拟城区。"}
    assert description(both, "zh") == ("模拟城区。", "zh") and description(both, "en") == ("Synthetic district.", "en")
    assert description({"description": "Synthetic district."}, "zh") == ("Synthetic district.", "en")
    assert description({"description": "渝中区模拟城区"}, "en") == ("渝中区模拟城区", "zh")
    from optimizer.report.html import in_language

    assert in_language("Synthetic district.", "en", "zh") == '<span lang="en">Synthetic district.</span>'


def test_the_scenario_takes_description_zh_and_still_refuses_unknown_keys(tmp_path):
    """description_zh is a known key (the shipped scenarios give both languages); description_fr is refused."""
    from optimizer.errors import ScenarioError
    from optimizer.scenario import load_scenario

    repo = Path(__file__).resolve().parents[2]
    demo = load_scenario(repo / "scenarios" / "yuzhong-demo.yaml")
    assert demo.description and CJK.search(demo.description_zh) and not CJK.search(demo.description)
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {repo / 'scenarios' / 'yuzhong-demo.yaml'}\ndescription_fr: Quartier\n",
                     encoding="utf-8")
    with pytest.raises(ScenarioError, match="description_fr: unknown key"):
        load_scenario(child)
    child.write_text(f"extends: {repo / 'scenarios' / 'yuzhong-demo.yaml'}\n", encoding="utf-8")
    assert load_scenario(child).description_zh == "", "a child does not inherit its parent's description"


@pytest.mark.slow
def test_the_warnings_of_every_shipped_scenario_s_inputs_are_translated():
    """Reading each shipped Yuzhong scenario's inputs (validate, the requests ledger, phasing's horizon) warns only
    with messages the report shows in both languages."""
    from optimizer.pipeline import validate
    from optimizer.rules.requests import with_requests
    from optimizer.scenario import load_scenario

    repo = Path(__file__).resolve().parents[2]
    seen = []
    for path in sorted((repo / "scenarios").glob("yuzhong-demo*.yaml")):
        scenario = load_scenario(path, ["reach.cache=false"])
        inputs, _forced, warnings = validate(scenario)
        warnings += with_requests(scenario, inputs)[2]
        seen += warnings
        for text in warnings:
            assert "原文" not in warning_html(text, "zh", {}), f"{path.name}: untranslated warning {text!r}"
    assert seen, "the demo warns about its sites eligible for nothing"
