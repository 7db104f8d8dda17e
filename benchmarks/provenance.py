"""Where a benchmark's figures come from: the commit they were measured at."""
from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def head_commit(mark_dirty: bool = True) -> str:
    """The short hash of HEAD, with ``+dirty`` when tracked files have changes (``mark_dirty``); ``unknown``
    without git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO,
                              check=True).stdout.strip()
        dirty = mark_dirty and subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                              capture_output=True, text=True, cwd=REPO).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
