"""Every list exports to Excel: one writer for all of them.

A list page builds its rows with the same query and filters as the page, names its columns in
Chinese and hands both here. The workbook is written in openpyxl's write-only mode, row by
row into a temporary file, so a list of a million cases costs a file on disk, not a million
cells in memory; the answer streams that file.

Cells keep their types so that Excel and WPS can sort and sum them: dates are dates (shown
``yyyy-mm-dd``), times are Asia/Shanghai wall-clock times (Excel has no time zones), numbers
stay numbers, ``None`` is an empty cell, and anything else becomes its text.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel refuses a sheet name longer than 31 characters or holding any of these.
_SHEET_FORBIDDEN = set("[]:*?/\\")
# Control characters other than tab / newline make the file "need repair" in Excel.
_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)}
# A list of a whole city is not a spreadsheet: past this many rows the file ends with a line
# asking for a narrower filter (Excel itself stops at 1 048 576 rows).
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header and its width in characters (CJK count double)."""

    header: str
    width: int = 14


def cell_value(value: Any) -> Any:
    """A Python value as openpyxl should store it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date | int | float):
        return value
    if isinstance(value, Decimal | Fraction):
        return float(value)
    return str(value).translate(_CONTROL)


def _number_format(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    return None


def sheet_title(title: str) -> str:
    clean = "".join(" " if c in _SHEET_FORBIDDEN else c for c in title).strip()
    return (clean or "Sheet1")[:31]


def write_xlsx(
    target,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    max_rows: int = MAX_ROWS,
) -> int:
    """Write one sheet to a path or binary file; return the number of data rows."""
    # openpyxl (and lxml under it) is imported when a sheet is written, not at start-up: every
    # process that loads the views (an import, the worker) would otherwise carry ~10 MB of it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font, cell.fill, cell.alignment = bold, fill, centre
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        if count >= max_rows:
            sheet.append(
                [_("Only the first %(n)s rows are exported: narrow the filters.") % {"n": max_rows}]
            )
            break
        cells = []
        for raw in row:
            value = cell_value(raw)
            fmt = _number_format(value)
            if fmt is None:
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt
                cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(target)
    return count


def xlsx_response(
    filename: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    max_rows: int = MAX_ROWS,
) -> FileResponse:
    """An .xlsx download under its Chinese file name, streamed from a temporary file."""
    handle = tempfile.TemporaryFile()  # FileResponse closes it once sent
    write_xlsx(handle, title, columns, rows, max_rows=max_rows)
    handle.seek(0)
    if not filename.endswith(".xlsx"):
        filename += ".xlsx"
    response = FileResponse(handle, content_type=XLSX_TYPE)
    ascii_name = filename.encode("ascii", "ignore").decode().strip(".") or "export"
    if not ascii_name.endswith(".xlsx"):
        ascii_name = "export.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def wants_xlsx(request) -> bool:
    """A list page answers its rows as .xlsx when asked with ``?format=xlsx``."""
    return request.GET.get("format") == "xlsx"
