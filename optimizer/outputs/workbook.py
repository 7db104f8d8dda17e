"""An Excel workbook of reader tables, one sheet each: bold frozen header, fitting widths, numbers as numbers."""
from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

#: widest column, in Excel's character units
MAX_WIDTH = 48
#: Excel's limit on a sheet name
SHEET_NAME_LENGTH = 31


def text_width(value: object) -> int:
    """Columns ``value`` takes when shown (a Chinese character takes two)."""
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """Write each table to a sheet of its name at ``path``.

    The header row is bold and frozen (it stays when scrolling), each column is as wide as
    its widest cell (at most :data:`MAX_WIDTH`), numbers are stored as numbers (blanks as
    empty cells), and each sheet has an auto-filter on its header.

    Parameters
    ----------
    sheets
        Sheet name -> table (headers as readers see them).
    path
        The ``.xlsx`` file to write.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for name, table in sheets.items():
        sheet = book.create_sheet(title=str(name)[:SHEET_NAME_LENGTH])
        sheet.append([str(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        for row in table.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for j, column in enumerate(table.columns, 1):
            widest = max([text_width(column)] + [text_width(v) for v in table[column].head(500)])
            sheet.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(8, widest + 2))
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
