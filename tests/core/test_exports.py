"""The one .xlsx writer: typed cells, Chinese headers, a streamed answer under a Chinese name."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.test import RequestFactory
from openpyxl import load_workbook

from cityloop.core.exports import Column, sheet_title, wants_xlsx, write_xlsx, xlsx_response
from tests.xlsx import xlsx_rows


def test_cells_keep_their_types():
    buffer = io.BytesIO()
    when = dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    rows = [["261120-AB", dt.date(2026, 11, 20), when, Decimal("12.5"), 7, None, True, "a\x00b"]]
    count = write_xlsx(buffer, "事件清单", [Column("编号"), Column("日期")], rows)
    assert count == 1
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert sheet.title == "事件清单"
    assert [c.value for c in sheet[1]][:2] == ["编号", "日期"]
    values = [c.value for c in sheet[2]]
    assert values[0] == "261120-AB"
    assert values[1] == dt.datetime(2026, 11, 20)  # a date cell (openpyxl reads it as midnight)
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert values[2] == dt.datetime(2026, 11, 20, 9, 30)
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert values[3] == 12.5 and values[4] == 7
    assert values[5] is None
    assert values[6] == "是"
    assert values[7] == "ab"  # a control character would make Excel "repair" the file
    assert sheet.freeze_panes == "A2"
    assert ZoneInfo("Asia/Shanghai")  # the wall clock shown is the one the pages show


def test_sheet_titles_obey_excel():
    assert sheet_title("a/b:c") == "a b c"
    assert len(sheet_title("长" * 40)) == 31


def test_response_is_a_named_download():
    response = xlsx_response("事件清单", "事件", [Column("编号")], [["A"], ["B"]])
    assert (
        "filename*=UTF-8''%E4%BA%8B%E4%BB%B6%E6%B8%85%E5%8D%95.xlsx"
        in (response["Content-Disposition"])
    )
    assert xlsx_rows(response) == [["编号"], ["A"], ["B"]]


def test_format_switch():
    factory = RequestFactory()
    assert wants_xlsx(factory.get("/cases/?format=xlsx&state=open"))
    assert not wants_xlsx(factory.get("/cases/"))
