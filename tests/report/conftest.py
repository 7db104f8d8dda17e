"""The report tests' demo run folders: a private copy of the session's demo run (``demo_run`` of
``tests/conftest.py``) per test, one copy with the report rendered in both languages, shared, and one with the
Chinese report and its screenshot, shared."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def run_dir(demo_run, tmp_path) -> Path:
    """A private copy of the demo run folder (tests may write into it or break it)."""
    return Path(shutil.copytree(demo_run, tmp_path / "run"))


@pytest.fixture(scope="session")
def demo_report(demo_run, tmp_path_factory) -> Path:
    """A copy of the demo run with ``lifecircle report`` run twice, once as is (report.html, Chinese) and once
    with ``--lang en`` (report_en.html), for the session (read-only: the tests that only read the pages and
    figures share it; a test that changes the folder or the options takes ``run_dir``)."""
    from click.testing import CliRunner

    from optimizer.cli import main

    run = Path(shutil.copytree(demo_run, tmp_path_factory.mktemp("report") / "run"))
    for args in ([], ["--lang", "en"]):
        result = CliRunner().invoke(main, ["report", str(run), *args])
        assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="session")
def demo_screenshot(demo_run, tmp_path_factory) -> Path:
    """A copy of the demo run with ``lifecircle report --screenshot`` run once (report.html, Chinese, and
    report_screenshot.png beside it), for the session (read-only: the browser tests that only read the page and
    its picture share it). Skips without Chromium, as the browser tests do."""
    from click.testing import CliRunner

    from optimizer.cli import main
    from optimizer.report.browser import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install -y chromium) to run the browser test")
    run = Path(shutil.copytree(demo_run, tmp_path_factory.mktemp("screenshot") / "run"))
    result = CliRunner().invoke(main, ["report", str(run), "--screenshot"])
    assert result.exit_code == 0, result.output
    return run
