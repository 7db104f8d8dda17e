"""Work done once per test run and shared by every xdist worker: the demo's solve, its run folder, its reports.

The default run has two workers (``-n 2``), each with its own session, so a session fixture is made once
per worker; the demo's solve and its run folder (about 20 s of CPU) were made twice. Here the first worker
to ask makes the thing under an exclusive file lock in the run's own temporary folder (the parent of the
workers' ``basetemp``, fresh for every run), and the other worker waits for it and reads it. Without
xdist, or where ``fcntl`` is missing (Windows), the folder is the session's own and nothing is shared.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    if fcntl is not None and os.environ.get("PYTEST_XDIST_WORKER"):
        return base.parent  # pytest-of-<user>/pytest-<n>: this run's, shared by its workers
    return base


@contextlib.contextmanager
def _locked(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    root = _run_folder(tmp_path_factory)
    if fcntl is None:
        yield root / name
        return
    with open(root / f"{name}.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield root / name
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name`` of this test run, filled by ``make(folder)`` by the first worker that asks.

    ``make`` gets an empty folder; the folder is marked done only when ``make`` returns, so a worker
    that failed leaves nothing the other would take for finished (it makes it again, and fails the same
    way in its own test).
    """
    with _locked(tmp_path_factory, name) as folder:
        done = folder / ".done"
        if not done.is_file():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            make(folder)
            done.write_text("", encoding="utf-8")
        return folder


def object_once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[], Any]) -> Any:
    """``make()``, called by the first worker that asks; the others read its pickle."""
    folder = once_per_run(tmp_path_factory, name,
                          lambda into: (into / "object.pickle").write_bytes(pickle.dumps(make())))
    return pickle.loads((folder / "object.pickle").read_bytes())
