"""The vote-opening form lets staff choose the electorate (表决范围) from the compound's
register; the topic page, the residents' page, the tally, the exports and the API show it;
a refusal is shown in Chinese and opens nothing."""

from __future__ import annotations

import re

import pytest

from cityloop.deliberation import services, workflow
from cityloop.deliberation.models import Household, Vote
from tests.api.conftest import client_as  # noqa: F401
from tests.deliberation.test_electorate import OTHERS, _entrance
from tests.xlsx import xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, desk):
    client.force_login(desk)
    return client


@pytest.fixture
def deliberated(desk, tree, register, at_day):
    register(OTHERS + _entrance([80, 80, 80]))
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="3号楼2单元加装电梯", rule="owners_major"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="加装电梯一部")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="议事会同意", attendance=8)
    return topic


def test_the_opening_form_offers_every_building_and_entrance_of_the_register(staff, deliberated):
    page = staff.get(f"/deliberation/topics/{deliberated.pk}/").content.decode()
    form = page[page.index('data-action="open_vote"') :]
    form = form[: form.index("</form>")]
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', form)
    scopes = [o for o in options if not o[0].isdigit()]
    assert scopes == [
        ("compound", "全小区（06小区）"),
        ("building:3号楼", "3号楼（整栋）"),
        ("entrance:3号楼:1", "3号楼1单元"),
        ("entrance:3号楼:2", "3号楼2单元"),
        ("building:4号楼", "4号楼（整栋）"),
        ("entrance:4号楼:1", "4号楼1单元"),
        ("units", "选定的房屋（在下面选择）"),
    ]
    assert "表决范围（谁来表决）" in form


def test_opening_for_one_entrance_from_the_page_shows_it_everywhere(staff, desk, deliberated):
    topic = deliberated
    url = f"/deliberation/topics/{topic.pk}/"
    r = staff.post(
        url + "open_vote/",
        {"text": "是否同意3号楼2单元加装电梯？", "scope": "entrance:3号楼:2"},
        follow=True,
    )
    vote = Vote.objects.get(topic=topic)
    assert (vote.electorate, vote.electorate_label, vote.roll.count()) == (
        "entrance",
        "3号楼2单元",
        3,
    )
    page = r.content.decode()
    assert re.search(r'data-electorate="entrance"><strong>表决范围：3号楼2单元</strong>', page)
    rolled = re.findall(r'<tr data-roll="\d+"><td>([^<]+)</td>', page)
    assert rolled == ["3号楼-2单元-201", "3号楼-2单元-202", "3号楼-2单元-203"]
    public = staff.get(f"/topics/{topic.code}/").content.decode()
    assert "表决范围：3号楼2单元" in public

    # A paper ballot for a flat of 3号楼1单元 is refused with its reason; nothing is stored.
    outside = Household.objects.get(building="3号楼", entrance="1", room="101")
    r = staff.post(
        url + "ballot/", {"household": outside.pk, "choice": "for", "ballot_no": "X"}, follow=True
    )
    assert "不在本次表决的表决范围（3号楼2单元）内" in r.content.decode()
    assert not vote.ballots.exists()

    for i, unit in enumerate(r.household for r in vote.roll.select_related("household")):
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=unit.pk, choice="for", ballot_no=f"{i}"
        )
    workflow.close_vote(actor=desk, topic_id=topic.pk)
    page = staff.get(url).content.decode()
    assert "<p data-tally-electorate>表决范围：3号楼2单元</p>" in page
    tally = xlsx_rows(staff.get(url, {"format": "xlsx", "part": "tally"}))
    assert tally[-1] == ["表决范围：3号楼2单元"]
    roll = xlsx_rows(staff.get(url, {"format": "xlsx", "part": "roll"}))
    assert roll[-1] == ["表决范围：3号楼2单元"] and len(roll) == 1 + 3 + 1


def test_chosen_units_from_the_page(staff, deliberated):
    topic = deliberated
    picked = list(Household.objects.filter(room__in=["101", "202"]).order_by("building", "room"))
    staff.post(
        f"/deliberation/topics/{topic.pk}/open_vote/",
        {"text": "？", "scope": "units", "units": [h.pk for h in picked]},
    )
    vote = Vote.objects.get(topic=topic)
    assert vote.electorate == "units"
    assert set(vote.roll.values_list("household_id", flat=True)) == {h.pk for h in picked}


def test_an_entrance_not_in_the_compound_is_refused_on_the_page(staff, deliberated):
    topic = deliberated
    r = staff.post(
        f"/deliberation/topics/{topic.pk}/open_vote/",
        {"text": "？", "scope": "entrance:9号楼:1"},
        follow=True,
    )
    assert "9号楼1单元不在06小区内" in r.content.decode()
    topic.refresh_from_db()
    assert topic.stage == "deliberated" and not Vote.objects.filter(topic=topic).exists()


def test_the_api_opens_an_entrance_vote_and_reports_its_electorate(
    client_as,  # noqa: F811
    desk,
    deliberated,
):
    r = client_as(desk).post(
        f"/topics/{deliberated.pk}/actions/open_vote",
        {"question": "？", "electorate": "entrance", "building": "3号楼", "entrance": "2"},
    )
    assert r.status_code == 200, r.json()
    vote = r.json()["vote"]
    assert (vote["electorate"], vote["electorate_label"], vote["units_on_roll"]) == (
        "entrance",
        "3号楼2单元",
        3,
    )


def test_the_api_refuses_a_building_outside_the_compound(
    client_as,  # noqa: F811
    desk,
    deliberated,
):
    r = client_as(desk).post(
        f"/topics/{deliberated.pk}/actions/open_vote",
        {"question": "？", "electorate": "building", "building": "9号楼"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "electorate_outside_compound")
    assert "不在06小区内" in r.json()["message"]
