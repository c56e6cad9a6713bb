"""Browser test on a 390 px phone: a road chief starts a patrol, reports a problem with a
photo at the current position (geolocation granted), ends it; the 路长台账 shows it and the
case links back to the patrol."""

from __future__ import annotations

import io
import time

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the chromium fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


@pytest.fixture
def chief_account(tree):
    from cityloop.org import services as s

    person, _ = s.person_save(actor=None, code="RC-E2E", name="王路长", place=tree.community_a)
    s.duty_assign(actor=None, person=person, role="road_chief", level="community", zone=tree.road_a)
    return s.account_save(
        actor=None, username="wang-e2e", password=PASSWORD, roles=["road_chief"], person=person
    )


def _jpeg(path) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())


def test_road_chief_patrols_on_a_phone(browser, live_server, tree, chief_account, tmp_path):  # noqa: F811
    from cityloop.cases.models import Case
    from cityloop.patrols.models import Patrol, PatrolCase

    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        geolocation={"longitude": 113.265, "latitude": 34.785, "accuracy": 8},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/patrols/phone/")
    page.get_by_label("用户名").fill("wang-e2e")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/patrols/phone/")

    page.get_by_role("button", name="开始巡查").click()
    page.locator("#patrol-state[data-state=ongoing]").wait_for()
    assert not page.get_by_role("button", name="开始巡查").is_visible()  # one thumb, one button
    page.locator("#patrol-queue-count[data-count='0']").wait_for(timeout=15000)
    page.locator("#patrol-position", has_text="当前位置：").wait_for(timeout=15000)
    photo = tmp_path / "photo.jpg"
    _jpeg(photo)
    page.get_by_label("问题描述").fill("济源路人行道井盖缺失")
    page.get_by_label("照片").set_input_files(str(photo))
    page.screenshot(path=str(OUT / "patrol-01-report.png"), full_page=True)
    # In a stairwell without network: the report waits on the phone, listed as waiting …
    context.set_offline(True)
    page.get_by_role("button", name="在当前位置上报").click()
    page.locator("#patrol-queue li[data-kind=report]").wait_for()
    assert "待发送" in page.locator("#patrol-queue-count").inner_text()
    assert Case.objects.count() == 0
    # … and goes out, once, when the network returns.
    context.set_offline(False)
    page.get_by_text("问题已上报").wait_for(timeout=15000)
    page.get_by_role("button", name="结束巡查").click()
    page.locator("#patrol-state[data-state=idle]").wait_for()
    page.locator("#patrol-queue-count[data-count='0']").wait_for(timeout=15000)
    page.screenshot(path=str(OUT / "patrol-02-ended.png"), full_page=True)
    # The page shows the end at once and sends it from its queue: wait for the server to have
    # it (on a busy machine the queue's send lands after the count was read as 0).
    deadline = time.monotonic() + 15
    while Patrol.objects.get().state != "ended" and time.monotonic() < deadline:
        page.wait_for_timeout(200)

    patrol = Patrol.objects.get()
    assert (patrol.state, patrol.result) == ("ended", "problems")
    case = PatrolCase.objects.get(patrol=patrol).case
    assert case.source == Case.Source.PATROL
    assert case.lng == pytest.approx(113.265) and case.lat == pytest.approx(34.785)
    assert case.events.first().photos.count() == 1
    assert Case.objects.count() == 1

    page.goto(f"{live_server.url}/patrols/ledger/")
    row = page.locator("tr[data-road='R-A1']")
    assert "1 / 7" in row.locator("[data-done]").inner_text()
    assert row.locator("[data-found]").inner_text() == "1"
    page.screenshot(path=str(OUT / "patrol-03-ledger.png"), full_page=True)

    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("a[data-patrol-link]").click()
    page.wait_for_url(f"{live_server.url}/patrols/{patrol.pk}/")
    assert case.code in page.locator("[data-cases]").inner_text()
    assert errors == []
    context.close()
