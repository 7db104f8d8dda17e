"""The report: one offline HTML page of a finished run (map, figures, frontier) and its PNGs.

:mod:`~optimizer.report.gather` collects the page's data from a run folder,
:mod:`~optimizer.report.html` fills the page (template, stylesheet and script are the
package files in ``static/``), :mod:`~optimizer.report.charts` and
:mod:`~optimizer.report.figures` draw, :mod:`~optimizer.report.words` holds the reader's
words, :mod:`~optimizer.report.write` writes the folder and :mod:`~optimizer.report.browser`
takes the screenshot.
"""
