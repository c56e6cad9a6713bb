"""Read an .xlsx answer back the way a user's spreadsheet would: openpyxl, values as stored."""

from __future__ import annotations

import io

from openpyxl import load_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_rows(response) -> list[list]:
    """The header row and the data rows of the first sheet of a (streamed) .xlsx answer."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(body), read_only=True)
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
