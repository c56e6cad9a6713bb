"""The workbench at 1366 px: a case code and a status stay on one line (they used to break
as "261113-/J29VU" and "处置/中"). The screenshot is the evidence."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]

IN_COMPOUND = (113.2612, 34.7812)


def test_codes_and_statuses_stay_on_one_line(browser, live_server, tree, make_account):  # noqa: F811
    from cityloop.cases import workflow
    from cityloop.cases.models import Category
    from cityloop.org import services as s

    desk = make_account("wb-desk", unit=tree.office_a)
    # Long names everywhere squeeze the narrow columns, as the real category tree does.
    main = Category.objects.create(code="WB-1", name="市容环境卫生管理", kind="event")
    leaf = Category.objects.create(
        code="WB-101",
        name="乱堆物堆料及占道经营违规设置户外广告",
        parent=main,
        kind="event",
        level="street",
    )
    unit, _ = s.unit_save(
        actor=None,
        code="JYL-ZHZF",
        name="济源路街道城市管理综合行政执法中队",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )
    for n in range(8):
        case = workflow.report(
            actor=desk,
            source="hotline",
            description=f"第{n}号楼前道路破损，坑洼积水，行人车辆通行不便，请尽快修补" * 2,
            category=leaf,
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
        )
        workflow.accept(actor=desk, case_id=case.pk)
        workflow.dispatch(actor=desk, case_id=case.pk, unit=unit)
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/login/?next=/cases/%3Ftab%3Dall")
    page.get_by_label("用户名").fill("wb-desk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("table.case-table")
    page.screenshot(path=str(OUT / "workbench-1366.png"), full_page=True)
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.case-table tbody tr')].map(tr => {
            const one = (td) => {
              const h = parseFloat(getComputedStyle(td).lineHeight) || 20;
              const r = document.createRange(); r.selectNodeContents(td);
              return r.getClientRects().length <= 1 || r.getBoundingClientRect().height < 1.6 * h;
            };
            return [one(tr.cells[2]), one(tr.cells[6])];
        })"""
    )
    assert len(lines) == 8
    assert all(code and status for code, status in lines), lines
