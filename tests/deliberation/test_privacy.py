"""Issue 14.1: ballot secrecy, the owners register and phones, by role — one rule
(``deliberation.rules``) for the pages, the exports and the API.

While a vote is open nobody sees a count or a household's choice; who has voted is the
organisers' (the street desk of 济源路, whose scope covers 06小区). After closing the tally is
public; each choice is the organisers' and auditors' (督查), and everyone's who may read the
topic once the organisers publish the choices (an event). The register (names, areas, phones)
is 404 to anyone else whose scope covers the compound — red steward, grid worker, road chief,
department staff.
"""

from __future__ import annotations

import re

import pytest

from cityloop.core.models import Event
from cityloop.deliberation import workflow
from cityloop.deliberation.models import Owner, TopicEvent, Vote
from tests.api.conftest import client_as  # noqa: F401
from tests.deliberation.conftest import units_of

pytestmark = pytest.mark.django_db

# Accounts whose scope covers 06小区 but who do not run its deliberation.
NOSY = {
    "steward": ("red_steward", "compound_a", None),
    "grid": ("grid_worker", "community_a", None),
    "road": ("road_chief", "street_a", None),
    "dept": ("department_staff", None, "bureau"),
}


@pytest.fixture
def nosy(tree, make_account):
    return {
        key: make_account(
            f"nosy-{key}",
            roles=(role,),
            place=getattr(tree, place) if place else None,
            unit=getattr(tree, unit) if unit else None,
        )
        for key, (role, place, unit) in NOSY.items()
    }


@pytest.fixture
def auditor(tree, make_account):
    return make_account("qdc-audit", roles=("supervisor",), place=tree.district)


@pytest.fixture
def voted(desk, topic_at_vote):
    """Three paper ballots in the open vote: for, against, abstain."""
    topic = topic_at_vote
    units = units_of(topic)
    for no, key, choice in (
        ("B1", "1号楼-1-101", "for"),
        ("B2", "1号楼-2-201", "against"),
        ("B3", "2号楼-1-101", "abstain"),
    ):
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=units[key].pk, choice=choice, ballot_no=no
        )
    return topic


def test_while_open_no_role_sees_a_choice_and_only_organisers_the_roll(
    voted,
    desk,
    nosy,
    auditor,
    client_as,  # noqa: F811
):
    tid = voted.pk
    # A district bureau reads only what reaches its unit (issue 14.3): the topic is not there.
    bureau = client_as(nosy["dept"])
    for path in ("", "/ballots", "/tally", "/events"):
        assert bureau.get(f"/topics/{tid}{path}").status_code == 404, path
    for user in [nosy["steward"], nosy["grid"], nosy["road"], auditor]:
        api = client_as(user)
        assert api.get(f"/topics/{tid}").status_code == 200, user  # the topic itself is in scope
        r = api.get(f"/topics/{tid}/ballots")
        assert (r.status_code, r.json()["code"]) == (404, "ballots_not_found"), user
        r = api.get(f"/topics/{tid}/tally")
        assert (r.status_code, r.json()["code"]) == (409, "vote_sealed"), user
        events = api.get(f"/topics/{tid}/events").json()
        assert not {e["verb"] for e in events} & {"ballot", "proxy", "owner_checked"}
        assert "1号楼-1单元-101" not in str(events)
    organiser = client_as(desk)
    listed = organiser.get(f"/topics/{tid}/ballots").json()
    assert [b["household"] for b in listed] == [
        "1号楼-1单元-101",
        "1号楼-2单元-201",
        "2号楼-1单元-101",
    ]
    assert all("choice" not in b for b in listed)  # sealed for the organisers too
    r = organiser.get(f"/topics/{tid}/tally")
    assert (r.status_code, r.json()["code"]) == (409, "vote_sealed")
    assert organiser.get(f"/topics/{tid}").json()["vote"]["tally"] == {}


def test_while_open_the_topic_page_shows_no_roll_and_no_count_but_to_organisers_the_roll(
    client, voted, desk, nosy
):
    url = f"/deliberation/topics/{voted.pk}/"
    client.force_login(nosy["steward"])
    page = client.get(url).content.decode()
    assert "data-sealed" in page and "表决结束前保密" in page
    assert "data-roll-table" not in page and "data-choice-totals" not in page
    assert "王建国" not in page and 'data-verb="ballot"' not in page
    assert "/deliberation/households/" not in page
    assert client.get(url, {"format": "xlsx", "part": "roll"}).status_code == 404
    client.force_login(desk)
    page = client.get(url).content.decode()
    assert "data-roll-table" in page and "王建国" in page and 'data-verb="ballot"' in page
    assert "data-choice-totals" not in page and "data-roll-choice" not in page


def test_after_close_the_tally_is_public_and_choices_go_to_organisers_and_auditors(
    voted,
    desk,
    nosy,
    auditor,
    client_as,  # noqa: F811
):
    tid = voted.pk
    workflow.close_vote(actor=desk, topic_id=tid)
    steward = client_as(nosy["steward"])
    tally = steward.get(f"/topics/{tid}/tally")
    assert tally.status_code == 200 and tally.json()["units_voted"] == 3
    assert steward.get(f"/topics/{tid}/ballots").status_code == 404
    for user in (desk, auditor):
        by_unit = {
            b["household"]: (b["choice"], b["choice_label"])
            for b in client_as(user).get(f"/topics/{tid}/ballots").json()
        }
        assert by_unit["1号楼-2单元-201"] == ("against", "反对"), user


def test_publishing_the_choices_is_an_organisers_setting_recorded_as_an_event(
    client,
    voted,
    desk,
    nosy,
    client_as,  # noqa: F811
):
    tid = voted.pk
    vote = Vote.objects.get(topic=voted)
    assert vote.publish_choices is False  # off by default
    steward = client_as(nosy["steward"])
    r = steward.post(f"/topics/{tid}/vote/publish-choices", {"publish": True})
    assert (r.status_code, r.json()["code"]) == (403, "topic_not_allowed")
    r = client_as(desk).post(
        f"/topics/{tid}/vote/publish-choices", {"publish": True, "note": "业主大会决定"}
    )
    assert r.status_code == 200 and r.json()["vote"]["publish_choices"] is True
    event = TopicEvent.objects.get(topic=voted, verb="publish_choices")
    assert (event.actor, event.data, event.note) == (
        desk,
        {"publish_choices": True},
        "业主大会决定",
    )
    # Published, but the vote is still open: still sealed.
    assert steward.get(f"/topics/{tid}/ballots").status_code == 404
    public = client.get(f"/topics/{voted.code}/").content.decode()
    assert "data-published-choices" not in public
    workflow.close_vote(actor=desk, topic_id=tid)  # not adopted: published with its count
    by_unit = {b["household"]: b["choice"] for b in steward.get(f"/topics/{tid}/ballots").json()}
    assert by_unit == {
        "1号楼-1单元-101": "for",
        "1号楼-2单元-201": "against",
        "2号楼-1单元-101": "abstain",
    }
    public = client.get(f"/topics/{voted.code}/").content.decode()
    assert "data-published-choices" in public and 'data-choice-of="1号楼-2单元-201">反对' in public
    assert "李华" not in public  # units, never names


def test_the_register_is_404_to_every_role_that_does_not_run_deliberation(
    client, tree, register, desk, nosy
):
    from tests.deliberation.conftest import FIVE_UNITS

    register(FIVE_UNITS)
    url = f"/deliberation/households/{tree.compound_a.pk}/"
    owner = Owner.objects.get(name="王建国")
    show = f"{url}owners/{owner.pk}/phone/"
    for user in nosy.values():
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.get(url, {"format": "xlsx"}).status_code == 404, user
        assert client.post(show).status_code == 404, user
    assert not Event.objects.filter(verb="phone_shown").exists()
    client.force_login(desk)
    assert client.get(url).status_code == 200


def test_phones_are_masked_and_each_showing_is_logged(client, tree, register, desk):
    from tests.deliberation.conftest import FIVE_UNITS

    register(FIVE_UNITS)
    client.force_login(desk)
    url = f"/deliberation/households/{tree.compound_a.pk}/"
    page = client.get(url).content.decode()
    assert "139****0001" in page and "13900000001" not in page and "显示号码" in page
    owner = Owner.objects.get(name="王建国")
    r = client.post(f"{url}owners/{owner.pk}/phone/")
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert 'href="tel:13900000001"' in page
    assert "13900000001" not in client.get(url).content.decode()  # shown once
    client.post(f"{url}owners/{owner.pk}/phone/")
    shown = Event.objects.filter(verb="phone_shown", object_id=str(owner.pk))
    assert shown.count() == 2 and {e.actor for e in shown} == {desk}
    assert shown.first().data == {"owner": "王建国", "phone": "139****0001"}


def test_the_admin_never_shows_a_choice(client, voted, make_account):
    admin_user = make_account("root-admin", roles=("admin",), superuser=True)
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    listing = client.get("/admin/deliberation/ballot/").content.decode()
    assert "1号楼-1单元-101" in listing
    assert not {"同意", "反对", "弃权"} & set(re.findall(r"<td[^>]*>([^<]*)</td>", listing))
    from cityloop.deliberation.models import Ballot

    detail = client.get(f"/admin/deliberation/ballot/{Ballot.objects.first().pk}/change/")
    assert detail.status_code == 200 and 'name="choice"' not in detail.content.decode()
    assert "field-choice" not in detail.content.decode()
