"""What a planner sees while lifecircle works: the solve's progress line, and which piece of a long command runs.

On a terminal a running solve is one line rewritten in place (solver, clock, incumbent,
bound, gap), ended with a newline; in a log file the incumbent is logged as it improves;
with ``-q`` nothing. Long commands (the frontier here) say which piece runs and about how
long is left once a piece has finished.
"""
from __future__ import annotations

import io
import logging
import re

import pytest
from batch_scenarios import write_tiny_district, write_tiny_project
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.commands.common import SolveLine, _LogHandler, progress_text
from optimizer.progress import PieceProgress, time_left
from solvers.result import SolveProgress


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def optimizer_log_level():
    """Set the ``optimizer`` logger's level for one test (as -q or the default verbosity would), then restore it."""
    logger = logging.getLogger("optimizer")
    before = logger.level

    def set_level(level: int) -> None:
        logger.setLevel(level)

    yield set_level
    logger.setLevel(before)


def _progress(incumbent, bound, gap, solver="highs"):
    return SolveProgress(solver=solver, elapsed_s=1.0, incumbent=incumbent, bound=bound, gap=gap, nodes=10)


def test_on_a_terminal_the_solve_line_is_rewritten_in_place_and_ends_with_a_newline(optimizer_log_level):
    optimizer_log_level(logging.INFO)  # the default verbosity
    terminal = _Terminal()
    line = SolveLine(terminal, tick_s=3600.0)  # no clock ticks: only what the solver says is drawn
    line.solve_started("highs", 60.0)
    line.solve_progress(_progress(103.0, 107.6, 0.0447))
    line.solve_progress(_progress(106.9, 107.2, 0.0028))
    line.solve_finished()
    out = terminal.getvalue()
    # every drawing starts at the beginning of the line: one line on screen, not one per update
    drawings = [d for d in out.split("\r") if d.strip("\x1b[K\n")]
    assert len(drawings) >= 3
    assert "\n" not in out[:-1] and out.endswith("\n")
    final = drawings[-1]
    assert final.startswith("solve highs  0:0")
    assert "incumbent 106.9" in final and "bound 107.2" in final and "gap 0.28 %" in final


def test_with_q_the_solve_line_shows_nothing(optimizer_log_level):
    optimizer_log_level(logging.WARNING)  # what -q sets
    terminal = _Terminal()
    line = SolveLine(terminal, tick_s=3600.0)
    line.solve_started("highs", None)
    line.solve_progress(_progress(103.0, 107.6, 0.0447))
    line.solve_finished()
    assert terminal.getvalue() == ""


def test_without_a_terminal_the_solve_line_stays_off_and_leaves_it_to_the_log(optimizer_log_level):
    # a log file or CI gets log lines (the heartbeat, the incumbent), never carriage returns
    optimizer_log_level(logging.INFO)
    stream = io.StringIO()
    line = SolveLine(stream, tick_s=3600.0)
    assert not line.live
    line.solve_started("highs", None)
    line.solve_progress(_progress(103.0, 107.6, 0.0447))
    line.solve_finished()
    assert stream.getvalue() == ""


def test_a_log_record_takes_the_line_off_the_terminal_before_it_is_written(optimizer_log_level):
    # the log line must not be glued to the end of the progress line
    optimizer_log_level(logging.INFO)
    terminal = _Terminal()
    line = SolveLine(terminal, tick_s=3600.0)
    handler = _LogHandler(terminal)
    handler.setFormatter(logging.Formatter("%(message)s"))
    line.solve_started("cbc", None)
    line.solve_progress(_progress(5.0, 6.0, 0.2, solver="cbc"))
    handler.emit(logging.LogRecord("optimizer", logging.INFO, __file__, 1, "incumbent 5", None, None))
    line.solve_finished()
    out = terminal.getvalue()
    assert "\r\x1b[Kincumbent 5\n" in out


def test_the_line_names_where_the_plan_comes_from_and_says_when_there_is_none_yet():
    assert progress_text("highs", 5.0, None) == "solve highs  0:05  no plan yet"
    # the greedy start's plan, before the exact solver has one of its own
    assert progress_text("highs", 65.0, _progress(102.9, None, None, solver="greedy")) == \
        "solve highs  1:05  incumbent 102.9 (greedy)"


def test_the_estimate_is_the_time_per_finished_piece_times_the_pieces_left():
    now = [0.0]
    pieces = PieceProgress("budget", 4, clock=lambda: now[0])
    first = pieces.starting(1, "10,000,000 yuan")
    assert first == "budget 1/4: 10,000,000 yuan ... estimating..."  # nothing finished: no estimate yet
    now[0] = 30.0
    pieces.done("10,000,000 yuan", "proven")
    # 30 s for one piece, three left
    assert pieces.estimate_s() == pytest.approx(90.0)
    assert pieces.starting(2, "20,000,000 yuan") == "budget 2/4: 20,000,000 yuan ... about 2 min left (1 proven)"
    now[0] = 270.0
    pieces.done("20,000,000 yuan", "failed")
    assert pieces.estimate_s() == pytest.approx(270.0)  # 135 s a piece, two left
    assert time_left(pieces.estimate_s()) == "about 4 min left"


def test_pieces_already_done_before_do_not_make_the_estimate_look_short():
    # a resumed batch: skipped runs took no time, the estimate comes from the runs computed
    now = [0.0]
    runs = PieceProgress("run", 4, clock=lambda: now[0])
    runs.record("solved", skipped=True)
    runs.record("solved", skipped=True)
    assert runs.estimate_s() is None
    now[0] = 60.0
    said = runs.record("solved")
    assert runs.estimate_s() == pytest.approx(60.0)  # 60 s for the one computed, one left
    assert said == "about 60 s left (3 solved)"


def test_a_stage_with_a_time_limit_is_estimated_from_its_limit():
    # plan --years: the solve stage dwarfs the others; its time limit says more than the stages before it
    now = [0.0]
    stages = PieceProgress("stage", 4, clock=lambda: now[0])
    stages.starting(1, "validate, reach and build")
    now[0] = 6.0
    stages.record()
    stages.starting(2, "build the years")
    now[0] = 8.0
    stages.record()
    # 4 s a stage so far, one stage after the solve: 60 s + 4 s
    assert stages.starting(3, "solve", at_most_s=60.0) == "stage 3/4: solve ... at most about 64 s left (2 done)"


def _piece_lines(text: str) -> list[str]:
    return re.findall(r"budget \d/\d: [^\n]*", text)


def test_the_frontier_says_which_budget_runs_and_how_long_is_left(tmp_path):
    scenario = write_tiny_district(tmp_path, "output: {folder: out}\n")
    result = CliRunner().invoke(main, ["frontier", str(scenario), "--budgets", "1e6,5e6,1e7",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = _piece_lines(result.stderr)
    # one line per budget, smallest first, as each begins
    assert [re.match(r"budget (\d)/3", x).group(1) for x in lines] == ["1", "2", "3"]
    assert "1,000,000 yuan" in lines[0] and "10,000,000 yuan" in lines[2]
    assert "estimating" in lines[0]  # before any budget is finished
    assert all(re.search(r"about \d+ (s|min) left", x) for x in lines[1:])
    # and the incumbent is in the log as the solver improves it
    assert "incumbent " in result.stderr


def test_with_q_the_frontier_and_its_solves_say_nothing_while_they_work(tmp_path):
    scenario = write_tiny_district(tmp_path, "output: {folder: out}\n")
    result = CliRunner().invoke(main, ["frontier", str(scenario), "--budgets", "1e6,5e6", "--out",
                                       str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert _piece_lines(result.stderr) == []
    assert "incumbent" not in result.stderr and "solving with" not in result.stderr
    assert "\r" not in result.output


@pytest.mark.slow  # about 18 s: the batch's worker processes start and import the engine
def test_each_finished_batch_run_says_how_long_the_rest_will_take(tmp_path):
    # two runs, one after the other (skipped runs are left out of the estimate: see the test of PieceProgress above)
    batch = write_tiny_project(tmp_path, "runs:\n  - {scenario: tiny.yaml}\n"
                                         "  - {scenario: tiny.yaml, set: [budget.total=1e7]}\n")
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["batch", str(batch), "--out", str(out)])
    assert first.exit_code == 0, first.output
    ticks = re.findall(r"\[\d/2\][^\n]*", first.output)
    assert len(ticks) == 2
    assert re.search(r"; about \d+ (s|min) left \(1 solved\)$", ticks[0])
    assert ticks[1].endswith("; all finished (2 solved)")
