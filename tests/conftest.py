"""Shared fixtures. ``tests/`` is on sys.path (rootdir conftest), so ``import tiny`` works."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests using it skip when it is not beside the checkout."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path
