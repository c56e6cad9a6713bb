"""The board, the rectification ledger and the letters export what the page lists."""

from __future__ import annotations

import re
from datetime import date

from cityloop.supervision import workflow
from cityloop.supervision.services import create_inspection
from tests.xlsx import xlsx_rows


def test_the_board_exports_its_tasks_with_light_and_reasons(crew, make_task, on_day, client):
    on_day(date(2026, 7, 2))
    blue = make_task("T-blue")
    red = make_task("T-red", title="信访积案化解")
    workflow.report_progress(actor=crew.doer, task_id=blue.pk, text="按计划", percent=55)
    workflow.report_progress(actor=crew.doer, task_id=red.pk, text="滞后", percent=10)
    client.force_login(crew.supervisor)
    page = client.get("/supervision/").content.decode()
    assert "导出 Excel" in page
    shown = re.findall(r'data-task="([\w-]+)"', page)
    rows = xlsx_rows(client.get("/supervision/", {"format": "xlsx"}))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["任务编号", "任务", "亮灯"]
    assert [r[0] for r in body] == shown
    line = next(r for r in body if r[0] == "T-red")
    assert line[2] == "红灯" and line[header.index("进度（%）")] == 10
    assert line[header.index("完成时限")].date() == red.deadline  # a date cell
    assert line[-1]  # the reasons, in words
    only_red = xlsx_rows(client.get("/supervision/", {"colour": "red", "format": "xlsx"}))
    assert [r[0] for r in only_red[1:]] == ["T-red"]


def test_an_outsider_exports_no_task(crew, make_task, on_day, client):
    on_day(date(2026, 7, 2))
    make_task()
    client.force_login(crew.outsider)
    assert xlsx_rows(client.get("/supervision/", {"format": "xlsx"}))[1:] == []


def test_the_ledger_and_the_letters_export(crew, make_task, on_day, client):
    on_day(date(2026, 7, 2))
    make_task("T-late", deadline=date(2026, 6, 30))
    inspection = create_inspection(
        actor=crew.supervisor,
        code="DC-1",
        kind="routine",
        on=date(2026, 7, 2),
        subject="周督查",
        team="第一督查组",
        unit=crew.street,
    )
    workflow.record_finding(
        actor=crew.supervisor,
        inspection_id=inspection.pk,
        kind="垃圾乱堆",
        description="06小区门口垃圾未清运",
        unit=crew.office,
        mode="deadline",
        due=date(2026, 7, 3),
    )
    on_day(date(2026, 7, 6))
    letter = workflow.issue_letter(
        actor=crew.supervisor,
        issuer=crew.street,
        addressee=crew.office,
        answer_due=date(2026, 7, 10),
    )
    client.force_login(crew.supervisor)
    ledger = xlsx_rows(client.get("/supervision/ledger/", {"format": "xlsx"}))
    assert [r[:3] for r in ledger[1:]] == [["DC-1", "垃圾乱堆", "06小区门口垃圾未清运"]]
    assert ledger[1][ledger[0].index("逾期天数")] >= 1
    letters = xlsx_rows(client.get("/supervision/letters/", {"format": "xlsx"}))
    assert [r[0] for r in letters[1:]] == [letter.reference]
    assert letters[1][letters[0].index("事项")] == len(letter.items)
    client.force_login(crew.outsider)
    assert xlsx_rows(client.get("/supervision/ledger/", {"format": "xlsx"}))[1:] == []
    assert xlsx_rows(client.get("/supervision/letters/", {"format": "xlsx"}))[1:] == []
