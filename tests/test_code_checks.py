"""The shape of the code holds: lint, docstrings of public names, and types, checked with the tests.

The settings live in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``); both tools come
with the ``test`` extra, so README command 2 installs and runs them.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True)


def test_ruff_finds_nothing_and_every_public_name_has_a_docstring():
    done = _run("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_no_type_error_in_the_solvers_the_model_and_the_rules():
    done = _run("mypy", "--cache-dir", str(REPO / ".mypy_cache"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
