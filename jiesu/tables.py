"""Tables, written as CSV or Excel workbooks for download.

One `Table` shape serves the console's HTML tables, every report export and the FAQ
spreadsheets, so a figure on screen and in a downloaded file come from the same rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

Cell = str | int | float | None

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# Characters Excel refuses in a sheet name.
_SHEET_NAME_BAD: Final = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Table:
    """A titled table: `name` is its file and sheet name (ASCII), `title` what staff read."""

    name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def safe_cell(value: Cell) -> Cell:
    """`value`, with a leading apostrophe when it is text a spreadsheet would run as a
    formula; numbers and empty cells are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """`table` as UTF-8 CSV with a byte-order mark, so Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in table.headers])
    writer.writerows([safe_cell(c) for c in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(table: Table, used: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("", table.title)[:28] or table.name[:28]
    title, n = base, 2
    while title in used:
        title, n = f"{base}{n}", n + 1
    used.add(title)
    return title


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """An Excel workbook with one sheet per table (plain values, columns sized to fit)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table, used))
        sheet.append([safe_cell(h) for h in table.headers])
        for row in table.rows:
            sheet.append([safe_cell(c) for c in row])
        for column, header in enumerate(table.headers, start=1):
            width = max([len(str(header)), *(len(str(r[column - 1] or "")) for r in table.rows)])
            sheet.column_dimensions[get_column_letter(column)].width = min(60, 2 * width + 2)
    if not tables:
        workbook.create_sheet("空")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
