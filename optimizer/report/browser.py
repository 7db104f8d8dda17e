"""Headless Chromium for the report: the rendered page's DOM and a screenshot.

Debian's ``chromium`` package (``apt-get install -y chromium``) is enough. Chromium runs
with networking features off and a throwaway profile, so the report is shown exactly as
it is offline.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

#: executables tried, in this order
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: flags for a headless, offline, sandbox-free run (as root in CI)
HEADLESS_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio")


class BrowserError(RuntimeError):
    """Chromium is missing, failed or timed out."""


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable, or ``None``."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(page: Path, extra: list[str], timeout: float, fragment: str = "") -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        raise BrowserError("no Chromium found (install Debian's chromium: apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="lifecircle-chromium-") as profile:
        cmd = [exe, *HEADLESS_FLAGS, f"--user-data-dir={profile}", *extra,
               Path(page).resolve().as_uri() + (f"#{fragment}" if fragment else "")]
        log.debug("running %s", " ".join(cmd))
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"Chromium did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BrowserError(f"Chromium failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def dump_dom(page: Path, timeout: float = 60.0, fragment: str = "") -> str:
    """The page's DOM after its scripts ran (``--dump-dom``); ``fragment`` is added after ``#``."""
    return _run(page, ["--virtual-time-budget=5000", "--dump-dom"], timeout, fragment).stdout


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1400, 1000), timeout: float = 60.0,
               fragment: str = "") -> Path:
    """Save a screenshot of ``page`` to ``png`` (written beside it, then renamed into place).

    ``fragment`` is added after ``#``: ``focus=SITE_ID:function`` shows that facility's reach.
    """
    png = Path(png)
    tmp = png.with_name(f".{png.name}.partial-{os.getpid()}.png")
    try:
        _run(page, [f"--screenshot={tmp}", f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=5000"],
             timeout, fragment)
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise BrowserError("Chromium wrote no screenshot")
        os.replace(tmp, png)
    finally:
        tmp.unlink(missing_ok=True)
    return png
