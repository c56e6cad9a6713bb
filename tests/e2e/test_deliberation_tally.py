"""Browser test: the published tally of an owners' vote fits a 390 px phone.

The desk takes a topic of 06小区 through its vote with paper ballots (for, against and
abstain), closes it (not adopted: the count is public); a resident opens the public topic page on
a 390 × 844 phone. Nothing may be wider than the screen: the facts, the choice totals and
one card per threshold wrap, and no check mark glyphs are used. The screenshot goes to
``test-output/e2e/vote-tally-390.png``.
"""

from __future__ import annotations

import csv

import pytest

from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]

PHONE_VIEW = {"width": 390, "height": 844}
UNITS = [
    ["1号楼", "1", "101", "100", "王建国", "W1", "13900000001"],
    ["1号楼", "1", "102", "60", "王建国", "W1", "13900000001"],
    ["1号楼", "2", "201", "80.25", "李华、赵敏", "L1、Z1", "13900000002、13900000003"],
    ["2号楼", "1", "101", "90", "孙丽", "S1", "13900000004"],
    ["2号楼", "1", "102", "70", "周强", "Z2", "13900000005"],
]


@pytest.fixture
def published(tree, make_account, tmp_path):
    """A renovation-class topic whose vote failed: public with its count."""
    from cityloop.deliberation import services, workflow
    from cityloop.deliberation.models import Household

    desk = make_account("e2e-tally", roles=("street_staff",), unit=tree.office_a)
    path = tmp_path / "households.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["楼栋", "单元", "房号", "面积", "业主", "业主标识", "电话"])
        w.writerows(UNITS)
    assert services.households_import(actor=desk, compound=tree.compound_a, path=path).ok
    topic = services.topic_create(
        actor=desk,
        place=tree.compound_a,
        title="06小区文化墙改造及楼道照明、非机动车充电设施一并更新",
        rule="owners_major",
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="建设主题文化墙")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="议事会同意方案", attendance=9)
    workflow.open_vote(actor=desk, topic_id=topic.pk, question="是否同意改造方案？")
    units = {f"{h.building}-{h.room}": h for h in Household.objects.filter(compound=topic.place)}
    for no, key, choice in (
        ("P-001", "1号楼-101", "for"),
        ("P-002", "1号楼-102", "for"),
        ("P-003", "1号楼-201", "against"),
        ("P-004", "2号楼-101", "abstain"),
    ):
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=units[key].pk, choice=choice, ballot_no=no
        )
    workflow.close_vote(actor=desk, topic_id=topic.pk)  # not adopted: published with its count
    topic.refresh_from_db()
    assert topic.stage == "not_adopted"
    return topic


def test_the_public_tally_fits_a_390_px_phone(browser, live_server, published):  # noqa: F811
    context = browser.new_context(viewport=PHONE_VIEW, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/topics/{published.code}/")
    tally = page.locator("[data-resolution] [data-tally]")
    tally.wait_for()
    assert tally.locator("[data-verdict]").inner_text() == "未通过"
    assert tally.locator("[data-threshold]").count() == 4
    assert tally.locator('[data-choice="against"] [data-area]').inner_text() == "80.25"
    area = tally.locator('[data-threshold="participation_area"]').inner_text()
    assert "330.25 / 400.25" in area and "≥ 2/3" in area
    assert tally.locator('[data-threshold="approval_area"]').get_attribute("data-met") == "no"
    assert "未达到" in tally.locator('[data-threshold="approval_area"]').inner_text()
    text = page.locator("main").inner_text()
    assert "✔" not in text and "✘" not in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    # Every card of the tally stays inside the screen, its long label wrapped.
    for box in tally.locator("[data-threshold], [data-choice-totals], .tally-facts").all():
        right = box.evaluate("el => el.getBoundingClientRect().right")
        assert right <= 390, (box.inner_text(), right)
    tally.scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / "vote-tally-390.png"), full_page=True)
    context.close()
    assert errors == []
