"""``lifecircle report``: one offline page and figures that state exactly what the run folder says.

The demo scenario is solved once for the session and written as a run folder the way
``lifecircle solve`` writes it (``demo_run`` of ``tests/conftest.py``); a test that changes
the folder or the report's options works on its own copy (``run_dir``), the tests that only
read the pages share one copy with both languages rendered once (``demo_report``). A test whose
fact holds of any run (a missing file, a failed figure, ``--out`` and ``--frontier``, ``--lang zh``)
works on a copy of a tiny run instead (``tiny_run_dir``: two units, two sites, its report drawn in
about a fifth of the demo's time).
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from run_wide import once_per_run

from optimizer.cli import main
from optimizer.report import figures
from optimizer.run_folder import read_run_folder

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "yuzhong-demo.yaml"
# a resource the page would fetch: src=, href=, url(...), @import, with a scheme or protocol-relative
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


@pytest.fixture(scope="session")
def tiny_solved(tmp_path_factory) -> Path:
    """A tiny run (two units, two sites, 20 M yuan: both converted), solved once per test run (read-only)."""
    def make(into: Path) -> None:
        (into / "path.txt").write_text(str(_tiny_run(into, 2e7)), encoding="utf-8")

    return Path((once_per_run(tmp_path_factory, "tiny-report-run", make) / "path.txt").read_text(encoding="utf-8"))


@pytest.fixture
def tiny_run_dir(tiny_solved, tmp_path) -> Path:
    """A private copy of the tiny run folder (tests may write into it or break it)."""
    return Path(shutil.copytree(tiny_solved, tmp_path / "tiny-run"))


def _report(*args: str):
    return CliRunner().invoke(main, ["report", *map(str, args)])


def _data(page: str) -> dict:
    m = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def test_facility_reach_lists_exactly_the_people_each_new_facility_reaches(demo_run):
    """facility_reach.csv: the units within each new facility's threshold add up to its people_in_reach."""
    reach = pd.read_csv(demo_run / "facility_reach.csv", encoding="utf-8-sig")
    fac = pd.read_csv(demo_run / "plan_facilities.csv", encoding="utf-8-sig")
    import geopandas as gpd

    demand = gpd.read_file(demo_run / "plan.gpkg", layer="demand_coverage").set_index("unit_id")
    assert set(zip(reach["site_id"], reach["function"], strict=True)) == set(zip(fac["site_id"], fac["function"],
                                                                                strict=True))
    for row in fac.itertuples():
        mine = reach[(reach["site_id"] == row.site_id) & (reach["function"] == row.function)]
        assert (mine["minutes"] <= row.threshold_min + 0.01).all()
        assert demand.loc[mine["unit_id"], row.cohort].sum() == pytest.approx(row.people_in_reach)
        # every unit the facility reaches is covered for that function (by it or by a running facility)
        assert (demand.loc[mine["unit_id"], f"{row.function}_status"] != "unreached").all()


def test_report_page_and_figures_are_written_into_the_run_folder(demo_report):
    """Default: report.html (Chinese) and the three PNGs land in RUN_DIR, no temporary file is left."""
    run_dir = demo_report  # `report RUN_DIR` then `report RUN_DIR --lang en`, both exit 0 (conftest.py)
    for name in ("report.html", "report_map.png", "report_coverage.png", "report_cost.png"):
        path = run_dir / name
        assert path.is_file() and path.stat().st_size > 1000, name
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")], "temporary files left behind"
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "%%" not in page, "every placeholder is filled"
    assert len(page.encode()) < 2_500_000, "the demo's page stays a reasonable size"


def test_the_page_makes_no_network_request(demo_report):
    """Offline: no script, stylesheet, image, font or url() is fetched from anywhere (not even a namespace URL)."""
    run_dir = demo_report  # rendered with --lang en (conftest.py)
    page = (run_dir / "report_en.html").read_text(encoding="utf-8")
    assert not REMOTE.search(page), REMOTE.search(page)
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(?:script|img|link|iframe)[^>]+(?:src|href)=[\"'](?!data:)", page), \
        "every resource is inline (data: URIs only)"
    assert "<style>" in page and "<script>" in page


def test_every_chosen_site_and_facility_is_in_the_embedded_map_data(demo_report):
    """The map data holds one marker per planned facility (site x function), and every converted site."""
    run_dir = demo_report  # rendered as is (conftest.py)
    data = _data((run_dir / "report.html").read_text(encoding="utf-8"))["map"]
    fac = pd.read_csv(run_dir / "plan_facilities.csv", encoding="utf-8-sig")
    sites = pd.read_csv(run_dir / "plan_sites.csv", encoding="utf-8-sig")
    pairs = {(f["site"], f["f"]) for f in data["facilities"]}
    assert pairs == set(zip(fac["site_id"], fac["function"], strict=True))
    assert {f["site"] for f in data["facilities"]} == set(sites["site_id"])
    assert len(data["units"]["x"]) == 5500 and data["reach_available"]
    # reach lists are the facility_reach rows, by unit position
    reach = pd.read_csv(run_dir / "facility_reach.csv", encoding="utf-8-sig")
    f0 = data["facilities"][0]
    ids = [data["units"]["id"][i] for i in f0["reach"]]
    assert sorted(ids) == sorted(reach[(reach["site_id"] == f0["site"]) & (reach["function"] == f0["f"])]["unit_id"])
    # coordinates are whole metres inside the drawn extent
    assert all(isinstance(v, int) and 0 <= v <= data["width"] for v in data["units"]["x"])


def test_headline_numbers_equal_run_json(demo_report):
    """Status, objective, cost and site count shown are those of run.json."""
    run_dir = demo_report  # rendered in both languages (conftest.py)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    for name in ("report.html", "report_en.html"):
        page = (run_dir / name).read_text(encoding="utf-8")
        shown = dict(re.findall(r'data-key="(\w+)" data-value="([^"]*)"', page))
        assert float(shown["objective"]) == pytest.approx(record["objective"])
        assert float(shown["cost"]) == pytest.approx(record["plan"]["cost"])
        assert int(shown["sites"]) == record["plan"]["sites_converted"]
        assert shown["proven"] == str(record["proven_optimal"]).lower()
    assert record["proven_optimal"] and "已证明最优" in (run_dir / "report.html").read_text(encoding="utf-8")


def test_both_languages_render_in_their_own_words(demo_report, tiny_run_dir, tmp_path):
    """--lang zh writes report.html in Chinese, --lang en report_en.html in English; both keep the figures."""
    run_dir = demo_report  # rendered as is (zh, the default) and with --lang en (conftest.py)
    explicit = _report(tiny_run_dir, "--lang", "zh", "--out", tmp_path)
    assert explicit.exit_code == 0, explicit.output
    assert '<html lang="zh-CN">' in (tmp_path / "report.html").read_text(encoding="utf-8"), "--lang zh is Chinese"
    zh = (run_dir / "report.html").read_text(encoding="utf-8")
    en = (run_dir / "report_en.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh and "规划一张图" in zh and "社区食堂" in zh and "独立复核" in zh
    assert '<html lang="en">' in en and "The plan on one map" in en and "community canteen" in en
    assert "规划一张图" not in en
    assert (run_dir / "report_en_map.png").is_file()
    assert _data(zh)["words"]["status_new"] == "规划新覆盖" and _data(en)["words"]["status_new"] != "规划新覆盖"


def test_the_objective_is_stated_with_its_unit_and_meaning_in_both_languages(demo_report):
    """The headline names the objective's unit (percentage points for share), what it sums, and each function's
    people newly covered; no bare 'weighted people' figure for a share run."""
    run_dir = demo_report  # rendered in both languages (conftest.py)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert record["objective_kind"] == "share" and record["objective_unit"] == "percentage points"
    words = {"zh": ("个百分点", "各服务人群新覆盖比例之和", "各功能新增覆盖", "加权新覆盖人次"),
             "en": ("percentage points", "cohort shares newly covered, summed", "Newly covered, by function",
                    "weighted people")}
    for lang, name in (("zh", "report.html"), ("en", "report_en.html")):
        page = (run_dir / name).read_text(encoding="utf-8")
        unit, label, gains, not_this = words[lang]
        assert f'<small class="unit" data-key="objective_unit">{unit}</small>' in page
        assert label in page and gains in page and not_this not in page
        for row in record["plan"]["by_function"]:
            assert f'data-function="{row["function"]}"' in page
            assert f"+{row['newly_covered']:,.0f} " in page
    assert "百分点" not in (run_dir / "report_en.html").read_text(encoding="utf-8")


def test_the_fairness_table_shows_each_function_s_worst_circle_median_and_gini_in_both_languages(demo_report):
    """Per function: the worst circle before -> after (share and circle), the median and the Gini, as run.json says."""
    from optimizer.report.words import share

    run_dir = demo_report  # rendered in both languages (conftest.py)
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    spread = {(r["function"], r["moment"]): r for r in record["fairness"]}
    heads = {"zh": ("生活圈之间的公平（人均平衡）", "最差生活圈", "基尼系数", "中位数"),
             "en": ("Fairness between life circles", "Worst circle", "Gini index", "Median")}
    for lang, name in (("zh", "report.html"), ("en", "report_en.html")):
        page = (run_dir / name).read_text(encoding="utf-8")
        section = page[page.index('<section id="fairness">'):]
        section = section[:section.index("</section>")]
        assert all(h in section for h in heads[lang]), lang
        rows = [re.sub(r"<[^>]+>", "", r) for r in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1])]
        assert len(rows) == len({f for f, _ in spread})
        for f in {f for f, _ in spread}:
            before, after = spread[(f, "before")], spread[(f, "after")]
            worst = (f"{share(before['share_min'])} ({before['worst_circle']}) → "
                     f"{share(after['share_min'])} ({after['worst_circle']})")
            assert any(worst in r and f"{before['gini']:.2f} → {after['gini']:.2f}" in r for r in rows), (lang, f)
    assert "Worst circle" not in (run_dir / "report.html").read_text(encoding="utf-8")
    assert "最差生活圈" not in (run_dir / "report_en.html").read_text(encoding="utf-8")


@pytest.mark.slow  # a demo report re-rendered; default: the report without facility reach, below
def test_a_run_folder_without_fairness_figures_still_reports_with_a_note(run_dir):
    """A run.json written before fairness was recorded: the section says so; the page is still written."""
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    for key in ("fairness", "objective_kind", "objective_unit", "objective_stages"):
        record.pop(key)
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    assert _report(run_dir, "--lang", "en").exit_code == 0
    page = (run_dir / "report_en.html").read_text(encoding="utf-8")
    assert "has no fairness figures" in page and "percentage points" in page


def test_cost_breakdown_adds_up_to_the_plan_cost(run_dir):
    """Conversion + each function's fit-out - sharing saving = the plan's total cost in run.json."""
    from optimizer.report.gather import cost_breakdown

    folder = read_run_folder(run_dir, for_report=True)
    c = cost_breakdown(folder, "en")
    assert c["conversion"] + sum(c["by_function"].values()) - c["sharing_saving"] == pytest.approx(c["total"])
    assert c["total"] == pytest.approx(folder.record["plan"]["cost"])
    assert c["by_district"]["total"].sum() == pytest.approx(c["total"])


def test_a_broken_run_folder_exits_3_naming_each_file_and_writes_nothing(run_dir, tmp_path):
    """Missing coverage table and unreadable run.json: exit 3, both named; no report is written."""
    (run_dir / "coverage_by_circle.csv").unlink()
    (run_dir / "run.json").write_text("{not json", encoding="utf-8")
    result = _report(run_dir)
    assert result.exit_code == 3
    assert "coverage_by_circle.csv" in result.output and "run.json" in result.output
    assert "not valid JSON" in result.output
    assert not list(run_dir.glob("report*"))
    missing = _report(tmp_path / "no-such-run")
    assert missing.exit_code == 3 and "no-such-run" in missing.output


def test_a_missing_column_is_named_with_its_file(run_dir):
    """A plan table without coordinates: exit 3 naming the file and the column."""
    fac = pd.read_csv(run_dir / "plan_facilities.csv", encoding="utf-8-sig")
    fac.drop(columns=["lon"]).to_csv(run_dir / "plan_facilities.csv", index=False, encoding="utf-8-sig")
    result = _report(run_dir)
    assert result.exit_code == 3
    assert re.search(r"plan_facilities\.csv.*column 'lon'", result.output)


def test_without_facility_reach_the_report_still_renders_with_a_note(tiny_run_dir):
    """An older run folder (no facility_reach.csv): no highlight, a note says why."""
    run_dir = tiny_run_dir
    (run_dir / "facility_reach.csv").unlink()
    assert _report(run_dir, "--lang", "en").exit_code == 0
    page = (run_dir / "report_en.html").read_text(encoding="utf-8")
    data = _data(page)["map"]
    assert not data["reach_available"] and all(f["reach"] is None for f in data["facilities"])
    assert "has no facility_reach.csv" in re.sub(r"<[^>]+>", "", page)


def test_out_folder_and_frontier_from_its_own_folder(tiny_run_dir, tmp_path):
    """--out writes elsewhere (RUN_DIR untouched); --frontier DIR adds the budget frontier with every budget."""
    run_dir = tiny_run_dir
    frontier = tmp_path / "frontier-20260101T000000Z"
    frontier.mkdir()
    pd.DataFrame({
        "budget": [4e7, 8e7], "status": ["optimal", "time_limit"], "proven_optimal": [True, False],
        "objective": [4e5, 6.29e5], "bound": [4e5, 6.4e5], "gap": [0.0, 0.017], "cost": [3.99e7, 7.99e7],
        "sites": [25, 47], "canteen_covered_share": [0.75, 0.87], "childcare_covered_share": [0.6, 0.76],
        "elder_care_covered_share": [0.77, 0.89], "parking_covered_share": [0.35, 0.45],
    }).to_csv(frontier / "frontier.csv", index=False, encoding="utf-8-sig")
    out = tmp_path / "report-out"
    before = sorted(p.name for p in run_dir.iterdir())
    result = _report(run_dir, "--lang", "en", "--out", out, "--frontier", frontier)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in run_dir.iterdir()) == before
    page = (out / "report_en.html").read_text(encoding="utf-8")
    section = page[page.index('id="frontier"'):page.index('id="check"')]
    assert "40.00 M yuan" in section and "80.00 M yuan" in section and "<polyline" in section
    bad = _report(run_dir, "--frontier", tmp_path / "nowhere")
    assert bad.exit_code == 3 and "nowhere" in bad.output


def test_a_failure_while_drawing_leaves_no_file_behind(tiny_run_dir, monkeypatch):
    """Atomic: when a figure fails, neither the page nor any figure (nor a temporary file) is left."""
    run_dir = tiny_run_dir
    from optimizer.report import write

    def broken(folder, path, lang):
        raise RuntimeError("drawing failed")

    monkeypatch.setitem(write.FIGURES, "cost", broken)
    with pytest.raises(RuntimeError):
        write.write_report(run_dir, lang="en")
    assert not list(run_dir.glob("report*")) and not list(run_dir.glob(".report*"))


def test_without_a_chinese_font_the_figures_fall_back_to_english_with_a_warning(monkeypatch):
    """No CJK font: the PNG labels are English and a warning says so (nothing crashes, nothing is downloaded)."""
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("optimizer.report.figures")
    logger.addHandler(handler)
    try:
        assert figures.figure_language("zh") == "en"
        assert figures.figure_language("en") == "en"
    finally:
        logger.removeHandler(handler)
    assert any("Chinese" in r.getMessage() for r in records)


# ----------------------------------------------------------------------------- in a real browser
def _chromium():
    from optimizer.report.browser import find_chromium

    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install -y chromium) to run the browser test")
    return exe


def test_in_chromium_the_map_draws_every_site_and_highlights_a_facilitys_reach(demo_report):
    """Headless Chromium runs the page's script: all markers drawn; #focus=SITE:function lights its reach."""
    _chromium()
    from optimizer.report.browser import dump_dom

    run_dir = demo_report  # rendered with --lang en (conftest.py)
    page = run_dir / "report_en.html"
    dom = dump_dom(page, timeout=60)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-rendered="yes"' in body
    n_fac = len(pd.read_csv(run_dir / "plan_facilities.csv", encoding="utf-8-sig"))
    assert f'data-site-markers="{n_fac}"' in body
    assert dom.count('class="fac site') == n_fac
    assert dom.count('class="u s') == 5500
    reach = pd.read_csv(run_dir / "facility_reach.csv", encoding="utf-8-sig")
    site, function = reach.iloc[0]["site_id"], reach.iloc[0]["function"]
    expected = int(((reach["site_id"] == site) & (reach["function"] == function)).sum())
    focused = dump_dom(page, timeout=60, fragment=f"focus={site}:{function}")
    assert f'data-highlighted="{expected}"' in re.search(r"<body([^>]*)>", focused).group(1)
    assert len(re.findall(r'class="u s[012] hl"', focused)) == expected


def test_screenshot_beside_the_report_is_a_real_picture(demo_screenshot):
    """`report --screenshot` saves report_screenshot.png beside the page; it shows the map, not a blank page."""
    _chromium()
    from PIL import Image

    run_dir = demo_screenshot  # `report RUN_DIR --screenshot` exited 0 (conftest.py)
    shot = run_dir / "report_screenshot.png"
    assert shot.is_file()
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (1000, 1400)
    colours = {tuple(c) for c in pixels[::4, ::4].reshape(-1, 3)}
    assert len(colours) > 50, "several distinct colours: the page and its map were drawn"
    # the status colours of the demand units appear
    for rgb in ((0x31, 0xA3, 0x54), (0xE3, 0x4A, 0x33), (0x9E, 0xCA, 0xE1)):
        assert (np.abs(pixels.astype(int) - rgb).sum(axis=2) < 30).sum() > 200, rgb


def _tiny_run(tmp_path: Path, budget: float) -> Path:
    """A two-unit, two-site scenario on straight-line reach, solved and written like `lifecircle solve`."""
    import geopandas as gpd
    from shapely.geometry import Point

    def points(records):
        geom = [Point(106.57 + r.pop("dx") / 97000, 29.56 + r.pop("dy") / 111000) for r in records]
        return gpd.GeoDataFrame(pd.DataFrame(records), geometry=geom, crs="EPSG:4326")

    data = tmp_path / "data"
    data.mkdir()
    points([{"unit_id": "U1", "dx": 0, "dy": 0, "total": 800, "elderly": 200, "infants": 20, "households": 300,
             "cars": 90, "circle_id": "LC1", "district": "渝中区"},
            {"unit_id": "U2", "dx": 900, "dy": 0, "total": 500, "elderly": 90, "infants": 12, "households": 200,
             "cars": 40, "circle_id": "LC2", "district": "渝中区"}]).to_file(data / "demand.gpkg", layer="demand")
    points([{"site_id": "S1", "dx": 30, "dy": 0, "kind": "building", "area_m2": 1500.0, "lowest_floor": 1,
             "name": "闲置厂房", "circle_id": "LC1", "district": "渝中区"},
            {"site_id": "S2", "dx": 880, "dy": 0, "kind": "plot", "area_m2": 2000.0, "lowest_floor": 1,
             "name": "边角地", "circle_id": "LC2", "district": "渝中区"}]).to_file(data / "sites.gpkg", layer="sites")
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text("inputs:\n  demand: data/demand.gpkg\n  sites: data/sites.gpkg\n"
                        f"reach: {{method: straight_line, cache: false}}\nbudget: {{total: {budget}}}\n"
                        "solver: {time_limit_s: 30}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    return next((tmp_path / "out" / "tiny").iterdir())


@pytest.mark.parametrize("budget, sites", [(2e7, 2), (100, 0)])
def test_a_tiny_run_and_an_empty_plan_both_report_and_say_the_weaker_method(tmp_path, budget, sites):
    """Straight-line reach is labelled the weaker method; a plan that converts nothing still gets a page."""
    run = _tiny_run(tmp_path, budget)
    result = _report(run, "--lang", "en")
    assert result.exit_code == 0, result.output
    page = (run / "report_en.html").read_text(encoding="utf-8")
    data = _data(page)["map"]
    assert len({f["site"] for f in data["facilities"]}) == sites
    assert "WEAKER METHOD" in page
    assert data["existing"] == [] and len(data["units"]["x"]) == 2


def _html_tables(page: str) -> list[list[list[str]]]:
    """Every table of the page as rows of cell texts (header row first, tags stripped)."""
    tables = []
    for t in re.findall(r"<table[^>]*>(.*?)</table>", page, re.S):
        rows = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
                for r in re.findall(r"<tr>(.*?)</tr>", t, re.S)]
        tables.append(rows)
    return tables


def _amount(cell: str) -> float:
    """``−286.0 万元`` or ``1.23 M yuan`` as shown, in the unit shown (a minus is U+2212 or ``-``)."""
    m = re.match(r"([−-]?)([\d,]+\.\d+)", cell)
    assert m, f"not an amount: {cell!r}"
    return (-1 if m.group(1) else 1) * float(m.group(2).replace(",", ""))


def _assert_cost_tables_add_up(page: str, lang: str) -> None:
    """The sharing saving is a negative amount in every cost table; the rows shown add up to the total shown.

    The breakdown (conversion, each function, the saving) sums to its total row; in the table
    by district each row's columns sum to that district's total. Amounts are rounded to 0.1
    万元 (0.01 M yuan), so each summed cell may be off by half of that.
    """
    from optimizer.report.words import say

    tables = _html_tables(page)
    total, saving = say("total", lang), say("sharing_saving", lang)
    half = 0.05 if lang == "zh" else 0.005
    breakdown = next(t for t in tables if t[0] == [say("cost_breakdown", lang), say("amount", lang)])
    labels = [r[0] for r in breakdown]
    end = labels.index(total)
    parts = [_amount(r[1]) for r in breakdown[1:end]]
    assert _amount(breakdown[labels.index(saving)][1]) < 0, "the saving is shown as a negative amount"
    assert sum(parts) == pytest.approx(_amount(breakdown[end][1]), abs=half * (len(parts) + 1))
    district = next(t for t in tables if t[0][0] == say("district", lang))
    head = district[0]
    assert head[-1] == total and saving in head
    for row in district[1:]:
        parts = [_amount(c) for c in row[1:-1]]
        assert _amount(row[head.index(saving)]) <= 0
        assert sum(parts) == pytest.approx(_amount(row[-1]), abs=half * (len(parts) + 1)), row
    assert "不单建" not in page, "the sharing saving is not rule 6 (not built separately)"


@pytest.mark.parametrize("lang", ["zh", pytest.param("en", marks=pytest.mark.slow)])  # en PNG words: test_figures_lang
def test_report_pngs_speak_its_language_and_its_cost_tables_add_up(run_dir, tmp_path, lang, monkeypatch):
    """The report draws walk vs buffer and the frontier in its own language (the run's PNG is in solve's).

    Every text of both figures is read back: no raw function key, no word of the other language.
    On the same page, each cost table's rows add up to its total as shown, the sharing saving
    a negative amount (see :func:`_assert_cost_tables_add_up`).
    """
    from optimizer.outputs import figures as run_figures

    if lang == "zh" and figures.figure_language("zh") != "zh":
        pytest.skip("no font with Chinese glyphs")
    frontier = tmp_path / "frontier.csv"
    pd.DataFrame({"budget": [0.0, 1e6, 2e6, 1e7, 2e7], "status": "optimal", "proven_optimal": True,
                  "cost": [0.0, 1e6, 2e6, 1e7, 2e7], "sites": [0, 1, 2, 9, 18],
                  **{f"{f}_covered_share": [0.5, 0.55, 0.6, 0.8, 0.9]
                     for f in ("canteen", "childcare", "elder_care", "parking")}}).to_csv(frontier, index=False)
    kept = []
    monkeypatch.setattr(run_figures.plt, "close", kept.append)
    result = _report(run_dir, "--lang", lang, "--frontier", frontier)
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    prefix = "report" if lang == "zh" else "report_en"
    page = (run_dir / f"{prefix}.html").read_text(encoding="utf-8")
    _assert_cost_tables_add_up(page, lang)
    assert ("可达性方法: 步行路网" if lang == "zh" else "Reach: walk network") in page
    for role in ("walk_vs_buffer", "frontier"):
        assert (run_dir / f"{prefix}_{role}.png").stat().st_size > 1000
        assert f"<figcaption><code>{prefix}_{role}.png</code></figcaption>" in page
    import matplotlib.pyplot as plt
    import matplotlib.text

    scenario = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["scenario"]
    scenario = scenario.get("name", "") if isinstance(scenario, dict) else str(scenario)
    assert len(kept) == 5, "map, coverage, cost, then walk vs buffer and the frontier"
    for fig in kept[:3]:
        plt.close(fig)
    for fig in kept[3:]:
        texts = [t.get_text().replace(scenario, "") for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
        plt.close(fig)
        assert not [t for t in texts if "_" in t], texts
        other = re.compile(r"[A-Za-z]{2,}" if lang == "zh" else r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
        assert not [t for t in texts if other.search(t)], texts
