"""The report tests' demo run folders: a private copy of the session's demo run (``demo_run`` of
``tests/conftest.py``) per test, one copy with the report rendered in both languages, and one with the Chinese report
and its screenshot, each made once per test run and shared by the workers (``tests/run_wide.py``)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from run_wide import once_per_run


@pytest.fixture
def run_dir(demo_run, tmp_path) -> Path:
    """A private copy of the demo run folder (tests may write into it or break it)."""
    return Path(shutil.copytree(demo_run, tmp_path / "run"))


@pytest.fixture(scope="session")
def demo_report(demo_run, tmp_path_factory) -> Path:
    """A copy of the demo run with ``lifecircle report`` run twice, once as is (report.html, Chinese) and once
    with ``--lang en`` (report_en.html), for the test run (read-only: the tests that only read the pages and
    figures share it; a test that changes the folder or the options takes ``run_dir``)."""
    from click.testing import CliRunner

    from optimizer.cli import main

    def render(into: Path) -> None:
        run = Path(shutil.copytree(demo_run, into / "run"))
        for args in ([], ["--lang", "en"]):
            result = CliRunner().invoke(main, ["report", str(run), *args])
            assert result.exit_code == 0, result.output

    return once_per_run(tmp_path_factory, "demo-report", render) / "run"


@pytest.fixture(scope="session")
def demo_screenshot(demo_run, tmp_path_factory) -> Path:
    """A copy of the demo run with ``lifecircle report --screenshot`` run once (report.html, Chinese, and
    report_screenshot.png beside it), for the test run (read-only: the browser tests that only read the page and
    its picture share it). Skips without Chromium, as the browser tests do."""
    from click.testing import CliRunner

    from optimizer.cli import main
    from optimizer.report.browser import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install -y chromium) to run the browser test")

    def render(into: Path) -> None:
        run = Path(shutil.copytree(demo_run, into / "run"))
        result = CliRunner().invoke(main, ["report", str(run), "--screenshot"])
        assert result.exit_code == 0, result.output

    return once_per_run(tmp_path_factory, "demo-screenshot", render) / "run"
