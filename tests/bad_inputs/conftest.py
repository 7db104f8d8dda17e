"""Fixtures of the bad-input suite: one pristine project per session, a fresh copy per case."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from bad_input_harness import Project, fresh_copy, pristine  # noqa: E402


@pytest.fixture(scope="session")
def pristine_project(tmp_path_factory) -> Path:
    return pristine(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def project(pristine_project, tmp_path) -> Project:
    return fresh_copy(pristine_project, tmp_path / "project")
