"""``lifecircle demo``: one command gives the demo's report, assessment and a what-if diff."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_command_writes_report_assessment_and_diff(tmp_path, monkeypatch):
    """A newcomer's one extra command leaves the demo's report, its 五色卡 and the half-budget diff."""
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["-q", "demo", "--lang", "en", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (run,) = [p for p in (tmp_path / "yuzhong-demo").iterdir() if (p / "run.json").exists()]
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["proven_optimal"] is True
    assert (run / "report_en.html").stat().st_size > 100_000
    assert (run / "report_en_map.png").exists()
    (frontier,) = (tmp_path / "yuzhong-demo").glob("frontier-*")
    assert len((frontier / "frontier.csv").read_text(encoding="utf-8-sig").splitlines()) == 6  # header + 5 budgets
    assert str(frontier / "frontier.csv") in (run / "report_en.html").read_text(encoding="utf-8")
    (assessment,) = (tmp_path / "yuzhong-demo").glob("assess-*")
    assert (assessment / "assessment.xlsx").exists()
    (diff,) = (tmp_path / "diffs").iterdir()
    memo = (diff / "diff.md").read_text(encoding="utf-8")
    assert "40 M yuan" in memo
