"""``lifecircle report RUN_DIR``: one offline HTML page and PNG figures of a finished run."""
from __future__ import annotations

import logging
from pathlib import Path

import click

from optimizer.commands.common import _fail, writable_root
from optimizer.i18n import DEFAULT_LANG, LANGUAGES

log = logging.getLogger(__name__)


@click.command("report")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANG, show_default=True,
              help="Language of the report (zh: report.html; en: report_en.html).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder to write into (default: RUN_DIR itself).")
@click.option("--frontier", "frontier", type=click.Path(),
              help="A `lifecircle frontier` folder or its frontier.csv, to add the budget frontier.")
@click.option("--screenshot", is_flag=True,
              help="Also save a screenshot of the page (report_screenshot.png) with headless Chromium, if present.")
def report_command(run_dir: str, lang: str, out_dir: str | None, frontier: str | None, screenshot: bool) -> None:
    """Write a report of RUN_DIR (a folder written by `lifecircle solve`): one self-contained HTML
    page (headline figures, an interactive map of what each life circle has, lacks and gains,
    coverage, cost, walking vs buffer, the frontier, the check) that works offline and prints,
    and PNG figures of the map, coverage and cost.
    """
    try:
        from optimizer.report.write import report_names, write_report

        writable_root(out_dir or run_dir, "--out" if out_dir else "RUN_DIR")
        files = write_report(run_dir, out_dir, lang=lang, frontier=frontier)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    click.echo(f"report: {files.html} ({files.size_bytes / 1024:,.0f} kB, works offline)")
    for role, path in files.pngs.items():
        click.echo(f"  {role:<9}{path}")
    if files.figure_lang != lang:
        click.echo("  note: no Chinese font on this machine, so the PNG figures use English labels")
    if screenshot:
        from optimizer.report.browser import BrowserError, find_chromium
        from optimizer.report.browser import screenshot as take_screenshot

        if find_chromium() is None:
            log.warning("no Chromium found: no screenshot (install Debian's chromium: apt-get install -y chromium)")
            return
        target = Path(files.html).with_name(report_names(lang)["screenshot"])
        try:
            take_screenshot(files.html, target)
        except BrowserError as exc:
            log.warning("screenshot failed: %s", exc)
            return
        click.echo(f"  screenshot {target}")
