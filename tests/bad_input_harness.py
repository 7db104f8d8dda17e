"""One harness for the table-driven bad-input suite (issue 16).

Every case starts from a fresh copy of one small, complete project (two life circles, a
building and a plot; the district of ``batch_scenarios.write_tiny_district``), spoils one
thing in it, runs one command in-process and asserts what a planner must see:

- exit code 3 (an input or scenario error), never 0, never 1 (a traceback);
- a message naming where the problem is (file, row, column or key: the case's ``names``);
- no traceback text anywhere in the output;
- the output folder exactly as it was before (nothing written half-way).

A case is ``Bad(id, spoil, names)``: ``spoil(project)`` changes the copy and returns the
command line (without the leading ``lifecircle``); ``names`` are substrings the message must
contain (case-insensitive).
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batch_scenarios import write_tiny_district
from click.testing import CliRunner, Result

from optimizer.cli import main


@dataclass(frozen=True)
class Project:
    """A copy of the small project: its folder, scenario file and output root (``out``, may not exist)."""

    folder: Path
    scenario: Path

    @property
    def out(self) -> Path:
        return self.folder / "out"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def scenario_text(self) -> str:
        return self.scenario.read_text(encoding="utf-8")

    def write_scenario(self, text: str) -> None:
        self.scenario.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Bad:
    """One bad input: a pytest id, how to spoil the project, and what the message must name."""

    id: str
    spoil: Callable[[Project], list[str]]
    names: tuple[str, ...]


def pristine(root: Path) -> Path:
    """Write the pristine project once under ``root`` (``output: {folder: out}``); returns the folder."""
    write_tiny_district(root, "output: {folder: out}\n")
    return root


def fresh_copy(pristine_folder: Path, where: Path) -> Project:
    """A fresh copy of the pristine project at ``where``."""
    shutil.copytree(pristine_folder, where)
    return Project(where, where / "tiny.yaml")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def invoke(project: Project, args: list[str]) -> Result:
    """Run ``lifecircle <args>`` in-process from the project folder (relative paths resolve there)."""
    import os

    cwd = os.getcwd()
    os.chdir(project.folder)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(cwd)


def assert_rejected(case: Bad, project: Project) -> Result:
    """Spoil ``project`` as ``case`` says, run it, and assert a clean rejection (see the module doc)."""
    args = case.spoil(project)
    before = _snapshot(project.out)
    result = invoke(project, args)
    text = result.output + (str(result.exception) if result.exception and not isinstance(result.exception,
                                                                                          SystemExit) else "")
    assert result.exit_code == 3, f"{case.id}: exit {result.exit_code}, expected 3:\n{text}\n{result.exc_info}"
    assert "Traceback" not in text, f"{case.id}: a traceback reached the user:\n{text}"
    missing = [n for n in case.names if n.lower() not in text.lower()]
    assert not missing, f"{case.id}: the message does not name {missing}:\n{text}"
    assert _snapshot(project.out) == before, f"{case.id}: the output folder changed"
    return result
