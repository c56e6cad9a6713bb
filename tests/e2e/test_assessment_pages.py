"""Browser test: the ranking, a bulletin issue and the leaders' overview in Debian's
chromium; the issue rendered as its document is saved to test-output/ as PNG evidence."""

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

    for late in (False, False, True, False):
        play(zxl.sw, late=late)
    for _ in range(5):
        play(zxl.zx)
    clock.pin(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    services.series_save(
        code="SJXX",
        title="上街信息",
        issuer=zxl.office,
        issuer_name="中共上街区委办公室",
        send_to="区县处级领导",
        distribute_to="峡窝镇、各街道办事处、区直各单位负责同志",
        editors="高歌 金嵩尧",
    )
    s = bulletin.submit(
        actor=zxl.desk,
        series_code="SJXX",
        unit=zxl.office,
        unit_label="中心路街道",
        title="中心路街道招商“脚步不停歇”",
        body="截止目前，招商引资项目27个，其中在谈项目9个，已落地项目15个。",
    )
    bulletin.review(actor=zxl.desk, submission_id=s.pk, action="accept")
    issue = bulletin.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 7, 2), number=47)
    bulletin.compile_issue(actor=zxl.desk, issue_id=issue.pk)
    bulletin.add_generated(
        actor=zxl.desk,
        issue_id=issue.pk,
        generator="ranking",
        params={"scheme": "CW", "period": "2020-06"},
        unit_label="中心路街道",
    )
    bulletin.add_generated(
        actor=zxl.desk,
        issue_id=issue.pk,
        generator="case_figures",
        params={"place": zxl.street.code, "start": "2020-06-01", "end": "2020-06-30"},
        unit_label="中心路街道",
    )
    yield issue
    clock.pin(None)


def test_ranking_issue_and_dashboard(browser, live_server, scene, zxl):  # noqa: F811
    from cityloop.bulletins import document, render

    base = live_server.url
    ctx, page, errors = log_in(browser, base, "zxl-desk", "/assessment/CW/2020-06/")
    assert page.locator("tr[data-target]").count() == 2
    page.wait_for_selector("#ranking-chart[data-ready='1']")
    page.screenshot(path=str(OUT / "assessment-ranking.png"), full_page=True)
    page.locator("tr[data-target] a").first.click()
    page.wait_for_selector("[data-item='ontime']")
    assert page.locator("[data-item='ontime'] details summary").count() == 1
    page.goto(f"{base}/bulletins/issues/{scene.pk}/")
    assert page.locator("[data-field='number']").inner_text() == "第 47 期"
    # 本期送 stands in the 版记 with 发 and the editors (one frame for every kind).
    assert "本期送：区县处级领导" in page.locator("[data-field='imprint']").inner_text()
    page.screenshot(path=str(OUT / "bulletin-issue-page.png"), full_page=True)
    page.goto(f"{base}/assessment/dashboard/")
    page.wait_for_selector("#states-chart[data-ready='1']")
    page.screenshot(path=str(OUT / "leaders-overview.png"), full_page=True)
    assert not errors, errors
    # The document itself (the PDF's HTML source), rendered to PNG as evidence.
    doc_page = ctx.new_page()
    doc_page.set_viewport_size({"width": 900, "height": 1200})
    doc_page.set_content(render.to_html(document.from_issue(scene)))
    doc_page.screenshot(path=str(OUT / "bulletin-47.png"), full_page=True)
    assert (OUT / "bulletin-47.png").stat().st_size > 10_000
    ctx.close()
