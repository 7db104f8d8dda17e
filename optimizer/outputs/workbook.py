"""An Excel workbook of reader tables, one sheet each: bold frozen header, fitting widths, numbers as numbers."""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

#: widest column, in Excel's character units
MAX_WIDTH = 48
#: rows a column's width is measured on (the first ones; their cells as written)
WIDTH_ROWS = 500
#: Excel's limit on a sheet name
SHEET_NAME_LENGTH = 31
#: characters Excel refuses in a sheet name
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

#: Excel number formats the plan's files use: yuan, areas and places, people, shares, degrees, text
YUAN_FORMAT = "#,##0.00"
AREA_FORMAT = "#,##0.0#"
PEOPLE_FORMAT = "#,##0"
SHARE_FORMAT = "0.0%"
DEGREES_FORMAT = "0.0000000"
TEXT_FORMAT = "@"


def text_width(value: object) -> int:
    """Columns ``value`` takes when shown (a Chinese character takes two)."""
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shown(value: object, number_format: str | None) -> object:
    """``value`` as Excel shows it in ``number_format`` (for the column's width; numbers only)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return value
    if number_format == SHARE_FORMAT:
        return f"{100 * value:.1f}%"
    if number_format in (YUAN_FORMAT, AREA_FORMAT):
        return f"{value:,.2f}"
    if number_format == PEOPLE_FORMAT:
        return f"{value:,.0f}"
    return value


def sheet_title(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """``name`` as Excel accepts it: no ``[]:*?/\\``, at most 31 characters, not one of ``taken``.

    Excel compares sheet names ignoring case; a name already taken gets `` (2)``, `` (3)``...
    """
    base = SHEET_NAME_FORBIDDEN.sub("_", str(name)).strip("'") or "Sheet"
    title, n = base[:SHEET_NAME_LENGTH], 1
    lower = {t.lower() for t in taken}
    while title.lower() in lower:
        n += 1
        suffix = f" ({n})"
        title = base[:SHEET_NAME_LENGTH - len(suffix)] + suffix
    return title


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path,
                   number_formats: dict[str, dict[str, str]] | None = None,
                   wrap_header: bool = False) -> None:
    """Write each table to a sheet of its name at ``path``.

    The header row is bold and frozen (it stays when scrolling), each column is as wide as
    its widest cell (at most :data:`MAX_WIDTH`), numbers are stored as numbers (blanks as
    empty cells), and each sheet has an auto-filter on its header. Sheet names are made
    valid for Excel (:func:`sheet_title`).

    Parameters
    ----------
    sheets
        Sheet name -> table (headers as readers see them).
    path
        The ``.xlsx`` file to write.
    number_formats
        Sheet name -> column header -> Excel number format of the column's cells (e.g.
        :data:`YUAN_FORMAT`; :data:`TEXT_FORMAT` for ids, so that Excel keeps them as text
        when they are edited). Columns not named keep Excel's ``General``.
    wrap_header
        Wrap headers at their spaces (a bilingual header ``中文 / English`` on two lines);
        a column is then as wide as its widest cell or the longer half of its header.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    taken: set[str] = set()
    for name, table in sheets.items():
        title = sheet_title(name, taken)
        taken.add(title)
        sheet = book.create_sheet(title=title)
        formats = (number_formats or {}).get(name, {})
        sheet.append([str(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
            if wrap_header:
                cell.alignment = wrapped
        rows = []
        for row in table.itertuples(index=False):
            cells = [_cell(v) for v in row]
            sheet.append(cells)
            if len(rows) < WIDTH_ROWS:
                rows.append(cells)
        unique = table.columns.is_unique  # else a column's cells are read from the table, as they were
        for j, column in enumerate(table.columns, 1):
            fmt = formats.get(str(column))
            if fmt:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
            header = max(text_width(part) for part in str(column).split(" / ")) if wrap_header \
                else text_width(column)
            cells = [r[j - 1] for r in rows] if unique else [_cell(v) for v in table[column].head(WIDTH_ROWS)]
            widest = max([header] + [text_width(shown(v, fmt)) for v in cells])
            sheet.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(8, widest + 2))
        if wrap_header:
            sheet.row_dimensions[1].height = 32  # two lines
        sheet.freeze_panes = "A2"
        if len(table.columns):
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(1, len(table) + 1)}"
    book.save(path)
    log.debug("wrote %s (%d sheets)", path, len(sheets))


def _cell(value: object) -> object:
    """A value as openpyxl stores it: numbers as numbers, blanks (NaN, NA, "") as empty cells."""
    if value is None or value is pd.NA or (isinstance(value, str) and not value):
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
