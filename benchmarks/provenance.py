"""Where a benchmark's figures come from: the commit they were measured at."""
from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def head_commit(mark_dirty: bool = True, repo: Path = REPO) -> str:
    """The short hash of HEAD of ``repo`` (this checkout by default), with ``+dirty`` when tracked files have
    changes (``mark_dirty``); ``unknown`` without git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=repo,
                              check=True).stdout.strip()
        dirty = mark_dirty and subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                              capture_output=True, text=True, cwd=repo).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
