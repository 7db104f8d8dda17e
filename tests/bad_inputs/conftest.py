"""Fixtures of the bad-input suite: one pristine project per session, a fresh copy per case."""
from __future__ import annotations

from pathlib import Path

import pytest
from bad_input_harness import Project, fresh_copy, pristine


@pytest.fixture(scope="session")
def pristine_project(tmp_path_factory) -> Path:
    return pristine(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def project(pristine_project, tmp_path) -> Project:
    return fresh_copy(pristine_project, tmp_path / "project")
