"""The workbench exports its own rows, with its own filters, as an .xlsx a spreadsheet reads."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityloop.cases import workflow
from tests.cases.conftest import IN_COMPOUND
from tests.xlsx import xlsx_rows


def _codes(html: str) -> list[str]:
    return re.findall(r'data-case="([\w-]+)"', html)


def test_the_workbench_exports_the_rows_it_shows(client, cast, category, new_case):
    other = workflow.report(
        actor=cast.desk,
        source="hotline",
        description="济源路路灯不亮，晚上很黑",
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    client.force_login(cast.desk)
    url = reverse("cases:workbench")
    page = client.get(url, {"tab": "all"}).content.decode()
    assert "导出 Excel" in page and "format=xlsx" in page
    rows = xlsx_rows(client.get(url, {"tab": "all", "format": "xlsx"}))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["事件编号", "标题", "类别"]
    assert [r[0] for r in body] == _codes(page)  # same rows, same order
    line = next(r for r in body if r[0] == other.code)
    assert line[header.index("来源")] == "12345 热线"
    assert isinstance(line[header.index("上报时间")], datetime)  # a date cell, not text
    filtered = xlsx_rows(client.get(url, {"tab": "all", "source": "hotline", "format": "xlsx"}))
    assert [r[0] for r in filtered[1:]] == [other.code]


def test_an_outsider_exports_nothing_of_another_street(client, cast, new_case):
    client.force_login(cast.outsider)
    rows = xlsx_rows(client.get(reverse("cases:workbench"), {"tab": "all", "format": "xlsx"}))
    assert rows[1:] == []


def test_the_export_reads_its_rows_in_a_fixed_number_of_queries(client, cast, category):
    for n in range(6):
        workflow.report(
            actor=cast.desk,
            source="hotline",
            description=f"第{n}处路灯不亮",
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
        )
    client.force_login(cast.desk)
    url = reverse("cases:workbench")
    with CaptureQueriesContext(connection) as few:
        xlsx_rows(client.get(url, {"tab": "all", "format": "xlsx"}))
    workflow.report(
        actor=cast.desk,
        source="hotline",
        description="又一处",
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    with CaptureQueriesContext(connection) as more:
        xlsx_rows(client.get(url, {"tab": "all", "format": "xlsx"}))
    assert len(more) == len(few)  # no query per row
