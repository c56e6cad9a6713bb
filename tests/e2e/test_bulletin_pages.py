"""Browser test of the bulletin pages in Debian's chromium: the new-issue form proposes the
next number (and follows the date's year), the generated-item form shows the chosen
generator's pickers only, items are added by name and the red remove button is readable.
Screenshots go to test-output/e2e/."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.assessment.conftest import SH, play, scheme, zxl  # noqa: F401
from tests.e2e.test_browser import OUT, browser  # noqa: F401
from tests.e2e.test_case_loop import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


@pytest.fixture
def scene(zxl, scheme, play):  # noqa: F811
    from cityloop.assessment import workflow
    from cityloop.bulletins import services
    from cityloop.bulletins import workflow as bulletin
    from cityloop.core import clock

    for _ in range(3):
        play(zxl.sw)
    for _ in range(4):
        play(zxl.zx, late=True)
    clock.pin(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    services.series_save(
        code="SJXX", title="上街信息", issuer=zxl.office, issuer_name="中共上街区委办公室"
    )
    bulletin.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 6, 16), number=47)
    yield zxl
    clock.pin(None)


def test_new_issue_and_generated_items_by_name(browser, live_server, scene):  # noqa: F811
    from cityloop.bulletins.models import Issue, IssueItem

    base = live_server.url
    ctx, page, errors = log_in(browser, base, "zxl-desk", "/bulletins/")
    form = page.locator("form[data-new-issue]")
    assert form.locator("input[name=number]").input_value() == "48"
    assert form.locator("input[name=date]").input_value() == "2020-07-02"
    form.locator("input[name=date]").fill("2021-01-05")
    assert form.locator("input[name=number]").input_value() == "1"  # a new year
    form.locator("input[name=date]").fill("2020-07-02")
    assert form.locator("input[name=number]").input_value() == "48"
    page.screenshot(path=str(OUT / "bulletins-index.png"), full_page=True)
    form.get_by_role("button", name="新建一期").click()  # click 1
    page.wait_for_selector(".banner-success")
    issue = Issue.objects.get(number=48, year=2020)
    page.goto(f"{base}/bulletins/issues/{issue.pk}/")

    add = page.locator("form[data-generate]")
    add.locator("select[name=generator]").select_option(label="考核排名")  # click 2
    assert add.locator("fieldset[data-generator=ranking]").is_visible()
    assert not add.locator("fieldset[data-generator=board]").is_visible()
    period = add.locator("select[name=ranking__period]")
    assert period.locator("option:checked").inner_text() == "2020年6月"
    add.get_by_role("button", name="添加").click()  # click 3
    page.wait_for_selector(".placed li[data-item]")

    add = page.locator("form[data-generate]")
    add.locator("select[name=generator]").select_option(label="某地事件处置数据")  # click 4
    add.locator("select[name=case_figures__place]").select_option(label="三湾街社区")  # 5
    add.locator("input[name=case_figures__start]").fill("2020-06-01")
    add.locator("input[name=case_figures__end]").fill("2020-06-30")
    add.get_by_role("button", name="添加").click()  # click 6
    page.wait_for_selector(".placed li[data-item] >> nth=1")
    placed = page.locator(".placed").inner_text()
    assert "考核排名" in placed and "某地事件处置数据" in placed and "三湾街社区" in placed
    for raw in ("ranking", "case_figures", "CW", scene.sw.code):
        assert raw not in placed
    assert list(IssueItem.objects.filter(issue=issue).values_list("generator", flat=True)) == [
        "ranking",
        "case_figures",
    ]

    remove = page.locator(".placed button[value=remove]").first
    colour = remove.evaluate("b => getComputedStyle(b).color")
    background = remove.evaluate("b => getComputedStyle(b).backgroundColor")
    assert (colour, background) == ("rgb(198, 40, 40)", "rgb(255, 255, 255)")
    page.screenshot(path=str(OUT / "bulletins-issue-pickers.png"), full_page=True)
    assert not errors, errors
    ctx.close()
