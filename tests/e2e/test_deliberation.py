"""Browser test of a residents' deliberation, as the people who play each part.

A resident (an owner of two units of 06小区) opens the topic on the phone and gives an
opinion; the desk records the proposal and the council's deliberation and opens the owners'
vote; the resident proves the phone with the code sent by SMS and votes for both units on
the phone page (and cannot vote twice); the desk enters two paper ballots, closes the vote
and publishes the resolution; the resident's page then shows the resolution with the tally,
every threshold met, with its numbers. Screenshots go to ``test-output/e2e/``.
"""

from __future__ import annotations

import csv

import pytest

from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_case_loop import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]

PHONE = "13900000001"  # 王建国: owner of 1号楼-1单元-101 and -102
PHONE_VIEW = {"width": 390, "height": 800}
UNITS = [
    ["1号楼", "1", "101", "100", "王建国", "W1", PHONE],
    ["1号楼", "1", "102", "60", "王建国", "W1", PHONE],
    ["1号楼", "2", "201", "80", "李华、赵敏", "L1、Z1", "13900000002、13900000003"],
    ["2号楼", "1", "101", "90", "孙丽", "S1", "13900000004"],
    ["2号楼", "1", "102", "70", "周强", "Z2", "13900000005"],
]


@pytest.fixture
def topic(tree, make_account, tmp_path):
    from cityloop.deliberation import services

    desk = make_account("e2e-delib", roles=("street_staff",), unit=tree.office_a)
    path = tmp_path / "households.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["楼栋", "单元", "房号", "面积", "业主", "业主标识", "电话"])
        w.writerows(UNITS)
    assert services.households_import(actor=desk, compound=tree.compound_a, path=path).ok
    return services.topic_create(
        actor=desk, place=tree.compound_a, title="06小区文化墙改造", rule="owners_major"
    )


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"deliberation-{name}.png"), full_page=True)


def staff_step(page, action: str, fill) -> None:
    box = page.locator(f'details[data-action="{action}"]')
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    fill(box)
    box.locator("button[type=submit]").click()
    page.locator(".banner-success").wait_for()


def test_resident_opinion_and_mobile_vote_staff_close_and_published_tally(
    browser,  # noqa: F811
    live_server,
    topic,
):
    from cityloop.core.models import Notification
    from cityloop.deliberation.models import Ballot, Opinion

    base = live_server.url
    url = f"{base}/topics/{topic.code}/"

    # 1. The resident finds the topic of the compound and gives an opinion on the phone.
    resident = browser.new_context(viewport=PHONE_VIEW, locale="zh-CN", is_mobile=True)
    page = resident.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/topics/?compound={topic.place.code}")
    page.get_by_role("link", name="06小区文化墙改造").click()
    page.wait_for_url(url)
    assert page.locator("[data-stage-label]").inner_text() == "征集意见"
    page.get_by_role("button", name="提交意见").click()  # empty: refused by the browser
    assert Opinion.objects.count() == 0
    page.get_by_label("您的意见").fill("希望文化墙用上街铝厂的老照片")
    page.get_by_label("您的姓名（可不填）").fill("王建国")
    shot(page, "01-opinion-phone")
    page.get_by_role("button", name="提交意见").click()
    assert "您的意见已记录" in page.locator(".banner-success").inner_text()
    opinion = Opinion.objects.get()
    assert (opinion.channel, opinion.text) == ("mobile", "希望文化墙用上街铝厂的老照片")

    # 2. The desk records the proposal and the deliberation, and opens the owners' vote.
    desk_ctx, desk, desk_errors = log_in(
        browser, base, "e2e-delib", f"/deliberation/topics/{topic.pk}/"
    )
    assert desk.locator("[data-opinion]").count() == 1
    staff_step(
        desk, "propose", lambda b: b.get_by_label("党组织提议").fill("建设主题文化墙，保留老照片")
    )
    staff_step(
        desk,
        "deliberate",
        lambda b: (
            b.get_by_label("居民议事会会议纪要").fill("议事会同意方案"),
            b.get_by_label("到会人数").fill("12"),
        ),
    )
    staff_step(desk, "open_vote", lambda b: b.get_by_label("表决事项").fill("是否同意改造方案？"))
    assert desk.locator("#topic").get_attribute("data-stage") == "voting"
    shot(desk, "02-vote-open")

    # 3. The resident proves the phone with the SMS code and votes for both units.
    page.goto(url)
    page.get_by_label("登记的手机号码").fill(PHONE)
    page.get_by_role("button", name="发送验证码").click()
    assert "验证码已发送" in page.locator(".banner-success").inner_text()
    sms = Notification.objects.filter(contact=PHONE, verb="deliberation_code").latest("pk")
    code = sms.title.split("：")[-1].strip()
    page.get_by_label("验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="验证", exact=True).click()
    assert "验证码不正确" in page.locator(".banner-error").inner_text()
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="验证", exact=True).click()
    page.locator("[data-verified]").wait_for()
    assert "139****0001" in page.locator("[data-verified]").inner_text()
    assert page.locator("[data-unit]").count() == 2
    shot(page, "03-ballot-phone")
    for unit in ("1号楼-1单元-101", "1号楼-1单元-102"):
        page.locator(f'[data-unit="{unit}"]').get_by_role("button", name="同意").click()
        assert "您的表决已记录" in page.locator(".banner-success").inner_text()
        assert page.locator(f'[data-unit="{unit}"] [data-voted]').count() == 1
    assert page.locator("[data-unit] button").count() == 0  # nothing left to vote twice
    assert Ballot.objects.filter(channel="mobile").count() == 2

    # 4. The desk enters two paper ballots (one for a unit already voted: refused), closes
    # the vote and publishes the resolution.
    desk.reload()

    def paper(no: str, unit: str):
        def fill(b):
            b.get_by_label("表决票编号").fill(no)
            b.get_by_label("房屋").select_option(label=unit)

        return fill

    staff_step(desk, "ballot", paper("P-001", "1号楼-2单元-201"))
    staff_step(desk, "ballot", paper("P-002", "2号楼-1单元-101"))
    assert Ballot.objects.filter(channel="paper").count() == 2
    staff_step(desk, "close_vote", lambda b: None)
    assert desk.locator("#topic").get_attribute("data-stage") == "resolved"
    assert desk.locator("[data-verdict]").inner_text() == "通过"
    staff_step(
        desk,
        "publish_resolution",
        lambda b: b.get_by_label("决议").fill("同意建设主题文化墙，7 月开工"),
    )
    shot(desk, "04-resolution-published")
    desk_ctx.close()

    # 5. The resident sees the published resolution with the tally.
    page.goto(url)
    resolution = page.locator("[data-resolution]")
    assert "同意建设主题文化墙" in resolution.inner_text()
    assert resolution.locator("[data-verdict]").inner_text() == "通过"
    rows = resolution.locator("[data-threshold]")
    assert rows.count() == 4
    assert resolution.locator('[data-threshold][data-met="yes"]').count() == 4
    area = resolution.locator('[data-threshold="participation_area"]').inner_text()
    assert "330 / 400" in area and "82.50%" in area and "≥ 2/3" in area
    heads = resolution.locator('[data-threshold="participation_heads"]').inner_text()
    assert "3 / 4" in heads
    approval = resolution.locator('[data-threshold="approval_area"]').inner_text()
    assert "330 / 330" in approval and "≥ 3/4" in approval
    shot(page, "05-resolution-phone")
    resident.close()
    assert errors == desk_errors == []
