"""Write the report of a run folder: HTML and PNG figures, each file atomically.

Every file is first written under a hidden temporary name in the output folder and
renamed into place only when all of them are complete, so a failure leaves the folder
as it was.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from optimizer.i18n import check_lang
from optimizer.report import figures
from optimizer.report.html import render_report
from optimizer.run_folder import RunFolder, read_run_folder

log = logging.getLogger(__name__)

#: the static figures: role -> how it is drawn
FIGURES = {"map": figures.map_figure, "coverage": figures.coverage_figure, "cost": figures.cost_figure}
#: figures drawn when the run folder has their data (the drawing says whether it drew): role -> how
OPTIONAL_FIGURES = {"walk_vs_buffer": figures.walk_buffer_figure, "frontier": figures.frontier_figure}


def report_names(lang: str) -> dict[str, str]:
    """File names of the report in ``lang``: ``report.html`` (Chinese) or ``report_en.html``, and figures."""
    prefix = "report" if check_lang(lang) == "zh" else f"report_{lang}"
    return {"html": f"{prefix}.html", "map": f"{prefix}_map.png", "coverage": f"{prefix}_coverage.png",
            "cost": f"{prefix}_cost.png", "walk_vs_buffer": f"{prefix}_walk_vs_buffer.png",
            "frontier": f"{prefix}_frontier.png", "screenshot": f"{prefix}_screenshot.png"}


@dataclass(frozen=True)
class ReportFiles:
    """What was written: the page, the figures, the language the figures use."""

    html: Path
    pngs: dict[str, Path]
    figure_lang: str
    folder: RunFolder
    size_bytes: int


def write_report(run_dir: str | Path, out_dir: str | Path | None = None, lang: str = "zh",
                 frontier: str | Path | None = None) -> ReportFiles:
    """Read ``run_dir`` and write its report into ``out_dir`` (default: ``run_dir``).

    Parameters
    ----------
    run_dir
        A folder written by ``lifecircle solve``.
    out_dir
        Where to write (created when missing).
    lang
        ``zh`` or ``en``: the page's language, and the figures' when a CJK font exists.
    frontier
        A ``lifecircle frontier`` folder or its ``frontier.csv`` (optional).

    Raises
    ------
    InputError
        The run folder is missing, incomplete or broken (exit 3); nothing is written.
    """
    check_lang(lang)
    folder = read_run_folder(run_dir, for_report=True, frontier=frontier)
    out = Path(out_dir) if out_dir is not None else folder.path
    out.mkdir(parents=True, exist_ok=True)
    names = report_names(lang)
    fig_lang = figures.figure_language(lang)
    temps: dict[str, Path] = {}
    try:
        for role, draw in FIGURES.items():
            tmp = out / f".{names[role]}.partial-{os.getpid()}.png"
            temps[role] = tmp
            draw(folder, tmp, fig_lang)
        for role, draw_if in OPTIONAL_FIGURES.items():  # in the report's language, whatever solve's was
            tmp = out / f".{names[role]}.partial-{os.getpid()}.png"
            temps[role] = tmp
            if not draw_if(folder, tmp, fig_lang):
                del temps[role]
        drawn = list(temps)
        pngs = {role: temps[role].read_bytes() for role in drawn}
        page = render_report(folder, lang, pngs=pngs, png_names={r: names[r] for r in drawn})
        tmp_html = out / f".{names['html']}.partial-{os.getpid()}"
        temps["html"] = tmp_html
        tmp_html.write_text(page, encoding="utf-8")
        final = {role: out / names[role] for role in temps}
        for role, tmp in temps.items():
            os.replace(tmp, final[role])
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    log.info("wrote %s (%.0f kB) and %d figures", final["html"], final["html"].stat().st_size / 1024, len(drawn))
    return ReportFiles(html=final["html"], pngs={r: final[r] for r in drawn}, figure_lang=fig_lang, folder=folder,
                       size_bytes=final["html"].stat().st_size)
