"""Browser test of reply templates: the 城管办's staff follows the workbench link to 回复模板,
then on a dispatched case opens 反馈 (htmx) and picks a template in 插入模板 — the text area
fills in the browser with the case's code, place and category, the no-JS 插入 button is
hidden, and the reply goes through. Screenshots go to ``test-output/e2e/``."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_case_loop import log_in, loop_setup  # noqa: F401

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]

POINT = (113.2620, 34.7820)  # inside 06小区


def test_picking_a_template_fills_the_reply(browser, live_server, loop_setup):  # noqa: F811
    from django.contrib.auth import get_user_model

    from cityloop.cases import services, workflow
    from cityloop.cases.models import Case
    from cityloop.org.models import Unit

    users = get_user_model().objects
    desk, handler = users.get(username="e2e-desk"), users.get(username="e2e-handler")
    cgb = Unit.objects.get(code="JYL-CGB")
    case = workflow.report(
        actor=None,
        source="resident",
        description="06小区3号楼门口乱堆物堆料",
        category=loop_setup,
        lng=POINT[0],
        lat=POINT[1],
        reporter_name="李女士",
        reporter_phone="13800000009",
    )
    workflow.accept(actor=desk, case_id=case.pk)
    workflow.dispatch(actor=desk, case_id=case.pk, unit=cgb)
    services.reply_template_save(
        actor=handler, unit=cgb, title="堆物已清理", text="{编号}：{地点}的{类别}已清理。"
    )

    base = live_server.url
    context, page, errors = log_in(browser, base, "e2e-handler", "/cases/")
    page.locator('a[data-link="reply-templates"]').click()
    page.wait_for_url(f"{base}/cases/reply-templates/")
    assert page.locator("h1").inner_text() == "回复模板"
    assert page.locator("[data-templates=active] tbody tr").count() == 1
    page.screenshot(path=str(OUT / "reply-templates.png"), full_page=True)

    page.goto(f"{base}/cases/{case.pk}/")
    page.locator('#case-actions a[data-action="reply"]').click()
    page.locator('.action-panel[data-open-action="reply"]').wait_for()
    page.locator("[data-template-insert]").wait_for(state="hidden")
    page.get_by_label("插入模板").select_option(label="堆物已清理")
    expected = f"{case.code}：06小区的乱堆物堆料(测试)已清理。"
    assert page.locator("textarea[name=result]").input_value() == expected
    page.screenshot(path=str(OUT / "reply-template-picked.png"), full_page=True)
    page.locator('button[data-submit="reply"]').click()
    page.locator('#case-detail[data-status="replied"]').wait_for(timeout=15000)
    case.refresh_from_db()
    assert (case.status, case.result) == (Case.Status.REPLIED, expected)
    assert errors == []
    context.close()
