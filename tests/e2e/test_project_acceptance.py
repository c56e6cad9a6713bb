"""Browser test of acceptance: the street office fails the first acceptance with an open
point, the 城管办 reports it rectified on the project page, the second acceptance passes and
the project is complete — in Debian's chromium. The clock is pinned process-wide (the live
server answers from another thread)."""

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

    clock.pin(datetime(2026, 9, 1, 9, 0, tzinfo=SH))
    yield
    clock.pin(None)


@pytest.fixture
def scene(pinned, tree, make_account):
    from cityloop.org import services as s
    from cityloop.projects import workflow
    from cityloop.projects.services import ItemInput, ProjectInput, create_project

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
    p = create_project(
        actor=boss,
        data=ProjectInput(
            code="E2E-06",
            name="06小区老旧小区改造",
            type="old_compound",
            responsible_unit=office.code,
            supervising_unit=tree.office_a.code,
            places=[tree.compound_a.code],
            start=date(2026, 3, 1),
            deadline=date(2026, 10, 31),
            items=[ItemInput("拆除防盗网", "个", 1680), ItemInput("路边石修补", "米", 1410)],
        ),
    )
    for stage in ("design", "construction"):
        workflow.advance(actor=boss, project_id=p.pk, to_stage=stage)
    for item in p.items.all():
        workflow.report_quantity(actor=doer, item_id=item.pk, quantity=item.planned)
    workflow.advance(actor=boss, project_id=p.pk, to_stage="acceptance")
    return {"project": p}


def test_acceptance_fails_is_rectified_and_passes(browser, live_server, scene):  # noqa: F811
    from cityloop.projects.models import Acceptance, Project
    from cityloop.supervision.models import Rectification

    base = live_server.url
    p = scene["project"]
    url = f"/projects/{p.pk}/"

    ctx, page, errors = log_in(browser, base, "e2e-boss", url)
    form = page.locator('form[data-form="acceptance"]')
    form.locator('input[name="result"][value="failed"]').check()
    form.locator("#acc-points").fill("3号楼雨水管未接入管网\n东门人行道砖松动")
    form.locator("#acc-due").fill("2026-09-10")
    form.locator("#acc-note").fill("第一次验收：两处问题限期整改")
    form.locator('button[type="submit"]').click()
    page.locator('.acceptance[data-round="1"][data-result="failed"]').wait_for()
    assert page.locator(".acceptance [data-open-point]").count() == 2
    page.screenshot(path=str(OUT / "project-acceptance-failed.png"), full_page=True)
    assert errors == []
    ctx.close()

    ctx, page, errors = log_in(browser, base, "e2e-doer", url)
    for _ in range(2):
        rect = page.locator("form[data-rectification]").first
        rect.locator("textarea").fill("已整改完毕，附照片")
        rect.locator('button[type="submit"]').click()
        page.wait_for_load_state()
    assert page.locator("form[data-rectification]").count() == 0
    assert set(Rectification.objects.values_list("state", flat=True)) == {"submitted"}
    assert errors == []
    ctx.close()

    ctx, page, errors = log_in(browser, base, "e2e-boss", url)
    form = page.locator('form[data-form="acceptance"]')
    for box in form.locator('input[name="check"]').all():
        box.check()
    form.locator('input[name="result"][value="passed"]').check()
    form.locator("#acc-note").fill("整改到位，验收合格")
    form.locator('button[type="submit"]').click()
    page.locator('[data-state="complete"]').wait_for()
    assert page.locator('.acceptance[data-round="2"][data-result="passed"]').count() == 1
    assert page.locator('[data-current-stage="handed_over"]').count() == 1
    page.screenshot(path=str(OUT / "project-acceptance-passed.png"), full_page=True)
    assert errors == []
    ctx.close()

    p = Project.objects.get(pk=p.pk)
    assert (p.state, p.stage) == ("complete", "handed_over")
    assert list(Acceptance.objects.filter(project=p).values_list("result", flat=True)) == [
        "failed",
        "passed",
    ]
    assert set(Rectification.objects.values_list("state", flat=True)) == {"closed"}
