"""Browser test of supervision: the red/yellow/blue board, a red task's required explanation,
and a repeat failure's escalation confirmed on the ledger — in Debian's chromium.

The process-wide clock is pinned (the live server answers from another thread), so the
lights are computed for 2026-07-02 on both sides.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_case_loop import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def pinned():
    from cityloop.core import clock

    clock.pin(datetime(2026, 7, 2, 9, 0, tzinfo=SH))
    yield
    clock.pin(None)


@pytest.fixture
def scene(pinned, tree, make_account):
    from cityloop.org import services as s
    from cityloop.supervision import workflow
    from cityloop.supervision.services import TaskInput, create_inspection, create_task

    office, _ = s.unit_save(
        actor=None,
        code="JYL-CGB",
        name="城管办",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )
    boss = make_account("e2e-boss", roles=("street_staff",), unit=tree.office_a)
    doer = make_account("e2e-doer", roles=("department_staff",), unit=office)
    leader = make_account("e2e-leader", roles=("street_staff",), unit=tree.office_a)

    def task(code, title, percent):
        t = create_task(
            actor=boss,
            data=TaskInput(
                code=code,
                title=title,
                kind="key_work",
                category="community_governance",
                responsible_unit=office.code,
                supervising_unit=tree.office_a.code,
                leader=leader.person.code,
                start=date(2026, 1, 1),
                deadline=date(2026, 12, 31),
            ),
        )
        workflow.report_progress(actor=doer, task_id=t.pk, text="本周进展", percent=percent)
        return t

    red = task("E2E-RED", "背街小巷整治", 10)
    task("E2E-BLUE", "社区网格化管理", 60)
    inspection = create_inspection(
        actor=boss,
        code="E2E-DC1",
        kind="routine",
        on=date(2026, 7, 1),
        subject="日常督查",
        team="第一督查组",
        unit=tree.office_a,
    )
    first = workflow.record_finding(
        actor=boss,
        inspection_id=inspection.pk,
        kind="垃圾乱堆",
        description="06小区门口垃圾堆放",
        unit=office,
        mode="deadline",
        due=date(2026, 7, 3),
    )
    second = workflow.record_finding(
        actor=boss,
        inspection_id=inspection.pk,
        kind="垃圾乱堆",
        description="06小区门口又见垃圾",
        unit=office,
        mode="immediate",
    )
    workflow.submit_rectification(
        actor=doer, rectification_id=second.rectification.pk, report="清了"
    )
    workflow.reinspect(
        actor=boss, rectification_id=second.rectification.pk, passed=False, note="仍有"
    )
    assert first.pk != second.pk
    return {"red": red, "boss": boss, "doer": doer, "leader": leader}


def test_board_explanation_and_escalation(browser, live_server, scene):  # noqa: F811
    from cityloop.core.models import Notification
    from cityloop.supervision.models import Escalation, Explanation

    base = live_server.url
    ctx, page, errors = log_in(browser, base, "e2e-doer", "/supervision/")
    page.locator("#trend[data-ready='1']").wait_for(timeout=15000)
    assert (
        page.locator("[data-sentence]")
        .inner_text()
        .startswith("截至目前，共有红色预警1项、黄色预警0项、蓝色预警1项")
    )
    assert page.locator('[data-count="red"] .card-value').inner_text() == "1"
    page.locator('[data-count="red"]').click()
    page.wait_for_url("**colour=red**")
    assert page.locator("tr[data-task]").count() == 1
    row = page.locator('tr[data-task="E2E-RED"]')
    assert row.locator('[data-reason="behind_plan"]').count() == 1
    page.screenshot(path=str(OUT / "supervision-board.png"), full_page=True)
    row.get_by_role("link", name="背街小巷整治").click()
    page.locator('[data-explanation="open"]').wait_for()
    page.get_by_label("情况说明").fill("拆迁协商延误，已加派人手，月底追回进度")
    page.get_by_role("button", name="提交情况说明").click()
    page.locator('[data-explanation="answered"]').wait_for()
    assert Explanation.objects.get(task=scene["red"]).state == "answered"
    assert Notification.objects.filter(recipient=scene["leader"], verb="task_explained").exists()
    page.screenshot(path=str(OUT / "supervision-task.png"), full_page=True)
    assert errors == []
    ctx.close()

    ctx, page, errors = log_in(browser, base, "e2e-boss", "/supervision/ledger/")
    summons = page.locator('[data-escalation="summons"]')
    assert summons.count() == 1
    summons.get_by_role("button", name="确认").click()
    page.wait_for_url(f"{base}/supervision/ledger/")
    assert Escalation.objects.get(kind="summons").state == "confirmed"
    assert page.locator('[data-escalation="summons"]').count() == 0
    page.screenshot(path=str(OUT / "supervision-ledger.png"), full_page=True)
    assert errors == []
    ctx.close()
