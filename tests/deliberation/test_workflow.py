"""Topics through 一征三议两公开: no stage skipped, every step an event, ballots once per unit,
results frozen, codes for owners."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from cityloop.core import clock
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from cityloop.deliberation import services, workflow
from cityloop.deliberation.models import Ballot, Topic, TopicEvent, TopicStep, Vote
from tests.deliberation.conftest import FIVE_UNITS, SH, units_of

pytestmark = pytest.mark.django_db


def test_stages_cannot_be_skipped(desk, tree, at_day):
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="加装电梯", rule="owners_major"
    )
    for action, call in [
        (
            "deliberate",
            lambda: workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="x", attendance=3),
        ),
        ("open_vote", lambda: workflow.open_vote(actor=desk, topic_id=topic.pk, question="?")),
        (
            "publish_resolution",
            lambda: workflow.publish_resolution(actor=desk, topic_id=topic.pk, resolution="x"),
        ),
        (
            "publish_result",
            lambda: workflow.publish_result(actor=desk, topic_id=topic.pk, result="x"),
        ),
        ("close", lambda: workflow.close(actor=desk, topic_id=topic.pk)),
    ]:
        with pytest.raises(InvalidTransition) as err:
            call()
        assert err.value.code == "topic_bad_stage", action
    topic.refresh_from_db()
    assert topic.stage == "soliciting"
    assert list(topic.events.values_list("verb", flat=True)) == ["create"]


def test_whole_path_records_steps_and_events(desk, tree, register, at_day):
    register(FIVE_UNITS)
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="文化墙", rule="owners_major"
    )
    workflow.opinion_record(
        actor=desk, topic_id=topic.pk, channel="fireside", text_body="想要老照片"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="建文化墙", participants="党支部5人")
    workflow.deliberate(
        actor=desk,
        topic_id=topic.pk,
        minutes="同意",
        amendments="加夜间照明",
        attendance=12,
        documents=["议事会纪要.pdf"],
    )
    workflow.open_vote(actor=desk, topic_id=topic.pk, question="同意吗？")
    units = units_of(topic)
    for n, key in enumerate(["1号楼-1-101", "1号楼-1-102", "1号楼-2-201", "2号楼-1-101"], 1):
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units[key].pk,
            choice="for",
            ballot_no=f"P{n:03d}",
        )
    vote = workflow.close_vote(actor=desk, topic_id=topic.pk)
    assert vote.passed is True
    workflow.publish_resolution(actor=desk, topic_id=topic.pk, resolution="通过", notice_days=7)
    with pytest.raises(InvalidTransition) as err:
        workflow.start_implementation(actor=desk, topic_id=topic.pk)
    assert err.value.code == "notice_period_running"
    with clock.frozen(datetime(2026, 6, 9, 9, 0, tzinfo=SH)):
        workflow.start_implementation(actor=desk, topic_id=topic.pk, note="施工队进场")
        workflow.publish_result(actor=desk, topic_id=topic.pk, result="文化墙建成", notice_days=5)
    with clock.frozen(datetime(2026, 6, 15, 9, 0, tzinfo=SH)):
        workflow.close(actor=desk, topic_id=topic.pk)
    topic.refresh_from_db()
    assert topic.stage == "rated"
    verbs = list(
        topic.events.exclude(verb__in=["opinion", "ballot"]).values_list("verb", "to_state")
    )
    assert verbs == [
        ("create", "soliciting"),
        ("propose", "proposed"),
        ("deliberate", "deliberated"),
        ("open_vote", "voting"),
        ("close_vote", "resolved"),
        ("publish_resolution", "resolution_published"),
        ("start_implementation", "implementing"),
        ("publish_result", "result_published"),
        ("close", "rated"),
    ]
    steps = {s.kind: s for s in topic.steps.all()}
    assert set(steps) == set(TopicStep.Kind.values)
    assert all(s.ended_at is not None for s in steps.values())
    assert steps["deliberate"].attendance == 12 and steps["deliberate"].amendments == "加夜间照明"
    assert steps["deliberate"].documents == ["议事会纪要.pdf"]
    assert topic.resolution_notice_until == date(2026, 6, 8)


def test_scope_and_roles(desk, outsider, tree, make_account, at_day):
    topic = services.topic_create(actor=desk, place=tree.compound_a, title="停车", rule="meeting")
    with pytest.raises(NotFound):
        workflow.propose(actor=outsider, topic_id=topic.pk, proposal="x")
    steward = make_account("steward", roles=("red_steward",), place=tree.compound_a)
    with pytest.raises(Forbidden):
        workflow.propose(actor=steward, topic_id=topic.pk, proposal="x")
    # a red steward records what residents said on a home visit
    op = workflow.opinion_record(
        actor=steward,
        topic_id=topic.pk,
        channel="home_visit",
        text_body="车位太少",
        author="张大爷",
    )
    assert (op.channel, op.stage) == ("home_visit", "soliciting")
    with pytest.raises(Forbidden):
        services.topic_create(actor=outsider, place=tree.compound_a, title="x", rule="meeting")


def test_owner_vote_needs_a_compound_and_households(desk, tree, at_day):
    with pytest.raises(InvalidInput) as err:
        services.topic_create(actor=desk, place=tree.community_a, title="x", rule="owners_major")
    assert err.value.code == "topic_owners_need_compound"
    topic = services.topic_create(actor=desk, place=tree.compound_a, title="x", rule="owners_major")
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="p")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="m", attendance=3)
    with pytest.raises(InvalidInput) as err:
        workflow.open_vote(actor=desk, topic_id=topic.pk, question="q")
    assert err.value.code == "vote_no_electorate"
    topic.refresh_from_db()
    assert topic.stage == "deliberated" and not Vote.objects.exists()


def test_meeting_vote_by_majority_of_attendees(desk, tree, at_day):
    topic = services.topic_create(
        actor=desk, place=tree.community_a, title="公约修订", rule="meeting"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="p")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="m", attendance=3)
    workflow.open_vote(actor=desk, topic_id=topic.pk, question="q")
    with pytest.raises(InvalidInput) as err:
        workflow.close_vote(
            actor=desk, topic_id=topic.pk, attendees=30, votes_for=20, votes_against=12
        )
    assert err.value.code == "meeting_numbers_inconsistent"
    vote = workflow.close_vote(
        actor=desk, topic_id=topic.pk, attendees=30, votes_for=15, votes_against=10
    )
    assert vote.passed is False  # 15 of 30 is not more than half
    topic.refresh_from_db()
    assert topic.stage == "not_adopted"


# --- ballots -----------------------------------------------------------------------------------


def test_paper_then_mobile_for_the_same_unit_is_refused(desk, topic_at_vote):
    topic = topic_at_vote
    unit = units_of(topic)["2号楼-1-101"]
    workflow.ballot_paper(
        actor=desk, topic_id=topic.pk, household_id=unit.pk, choice="for", ballot_no="001"
    )
    with pytest.raises(Conflict) as err:
        workflow.ballot_mobile(
            code=topic.code, phone="13900000004", household_id=unit.pk, choice="against"
        )
    assert err.value.code == "ballot_duplicate"
    assert "纸质表决票" in str(err.value.message)
    assert list(Ballot.objects.values_list("channel", "choice")) == [("paper", "for")]


def test_mobile_twice_and_mobile_then_paper_are_refused(desk, topic_at_vote):
    topic = topic_at_vote
    unit = units_of(topic)["2号楼-1-102"]
    workflow.ballot_mobile(code=topic.code, phone="13900000005", household_id=unit.pk, choice="for")
    with pytest.raises(Conflict) as err:
        workflow.ballot_mobile(
            code=topic.code, phone="13900000005", household_id=unit.pk, choice="against"
        )
    assert err.value.code == "ballot_duplicate"
    with pytest.raises(Conflict) as err:
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=unit.pk, choice="against", ballot_no="009"
        )
    assert err.value.code == "ballot_duplicate"
    assert Ballot.objects.count() == 1 and Ballot.objects.get().choice == "for"


def test_database_refuses_a_second_ballot_even_past_the_checks(topic_at_vote):
    from django.db import IntegrityError, transaction

    topic = topic_at_vote
    unit = units_of(topic)["2号楼-1-102"]
    workflow.ballot_mobile(code=topic.code, phone="13900000005", household_id=unit.pk, choice="for")
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            vote=topic.vote,
            household=unit,
            choice="for",
            channel="paper",
            ballot_no="X1",
            cast_at=clock.now(),
        )


def test_ballot_numbers_are_unique_and_required(desk, topic_at_vote):
    topic = topic_at_vote
    units = units_of(topic)
    workflow.ballot_paper(
        actor=desk,
        topic_id=topic.pk,
        household_id=units["1号楼-1-101"].pk,
        choice="for",
        ballot_no="001",
    )
    with pytest.raises(Conflict) as err:
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units["1号楼-1-102"].pk,
            choice="for",
            ballot_no="001",
        )
    assert err.value.code == "ballot_number_used"
    with pytest.raises(InvalidInput) as err:
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units["1号楼-1-102"].pk,
            choice="for",
            ballot_no=" ",
        )
    assert err.value.code == "ballot_number_required"
    with pytest.raises(InvalidInput) as err:
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units["1号楼-1-102"].pk,
            choice="maybe",
            ballot_no="002",
        )
    assert err.value.code == "ballot_choice_invalid"
    assert Ballot.objects.count() == 1


def test_a_phone_votes_only_for_its_own_units_or_by_proxy(desk, topic_at_vote):
    topic = topic_at_vote
    units = units_of(topic)
    with pytest.raises(Forbidden) as err:
        workflow.ballot_mobile(
            code=topic.code, phone="13900000005", household_id=units["2号楼-1-101"].pk, choice="for"
        )
    assert err.value.code == "ballot_not_your_unit"
    workflow.proxy_register(
        actor=desk,
        topic_id=topic.pk,
        household_id=units["2号楼-1-101"].pk,
        name="孙丽之子",
        phone="13700000001",
        document="委托书 2026-06-01",
    )
    b = workflow.ballot_mobile(
        code=topic.code, phone="13700000001", household_id=units["2号楼-1-101"].pk, choice="against"
    )
    assert b.by_proxy is True and b.owner is None


def test_close_freezes_the_result(desk, topic_at_vote, register):
    topic = topic_at_vote
    units = units_of(topic)
    # 王 (two units, 160 m²), 李/赵 (80 m²), 孙 (90 m²): 3 of 4 heads, 330 of 400 m²
    for n, key in enumerate(["1号楼-1-101", "1号楼-1-102", "1号楼-2-201", "2号楼-1-101"], 1):
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units[key].pk,
            choice="for",
            ballot_no=str(n),
        )
    vote = workflow.close_vote(actor=desk, topic_id=topic.pk)
    result = vote.result
    assert (result["total_heads"], result["participating_heads"]) == ("4", "3")
    assert (result["total_area"], result["participating_area"]) == ("400", "330")
    assert result["passed"] is True and result["ballots"] == {"paper": 4, "mobile": 0}
    frozen = dict(vote.result)
    # households change afterwards; the closed vote does not move, and no ballot lands
    register([["2号楼", "1", "102", "500", "周强", "Z2", "13900000005"]])
    with pytest.raises(InvalidTransition):
        workflow.ballot_mobile(
            code=topic.code,
            phone="13900000005",
            household_id=units["2号楼-1-102"].pk,
            choice="against",
        )
    vote.refresh_from_db()
    assert vote.result == frozen
    from cityloop.deliberation import queries

    assert queries.tally_of(vote) == frozen


def test_electorate_is_copied_when_the_vote_opens(topic_at_vote, register):
    register([["3号楼", "1", "101", "90", "钱多", "Q1", "13900000009"]])
    assert topic_at_vote.vote.roll.count() == 5  # the new unit is not on this vote's roll
    with pytest.raises(InvalidInput) as err:
        workflow.ballot_mobile(
            code=topic_at_vote.code,
            phone="13900000009",
            household_id=units_of(topic_at_vote)["3号楼-1-101"].pk,
            choice="for",
        )
    assert err.value.code == "ballot_not_on_roll"


# --- codes -------------------------------------------------------------------------------------


def _sent_code(phone):
    from cityloop.core.models import Notification

    row = Notification.objects.filter(contact=phone, verb="deliberation_code").latest("pk")
    return row.title.rsplit(" ", 1)[-1].split("：")[-1].split(":")[-1].strip()


def test_code_by_sms_then_verify(topic_at_vote):
    topic = topic_at_vote
    assert workflow.access_request(code=topic.code, phone="13900000001") is True
    code = _sent_code("13900000001")
    assert len(code) == 6 and code.isdigit()
    with pytest.raises(InvalidInput) as err:
        workflow.access_verify(
            code=topic.code, phone="13900000001", secret="000000" if code != "000000" else "111111"
        )
    assert err.value.code == "code_wrong"
    assert (
        workflow.access_verify(code=topic.code, phone="13900000001", secret=code) == "13900000001"
    )
    with pytest.raises(InvalidInput) as err:  # used once
        workflow.access_verify(code=topic.code, phone="13900000001", secret=code)
    assert err.value.code == "code_expired"


def test_code_requests_are_limited_and_unknown_numbers_get_none(topic_at_vote):
    from cityloop.core.models import Notification

    topic = topic_at_vote
    assert workflow.access_request(code=topic.code, phone="13811112222") is False
    assert not Notification.objects.filter(contact="13811112222").exists()
    with pytest.raises(Conflict) as err:  # an unknown number answers like a known one
        workflow.access_request(code=topic.code, phone="13811112222")
    assert err.value.code == "code_too_soon"
    workflow.access_request(code=topic.code, phone="13900000002")
    with pytest.raises(Conflict) as err:
        workflow.access_request(code=topic.code, phone="13900000002")
    assert err.value.code == "code_too_soon"
    with pytest.raises(InvalidInput) as err:
        workflow.access_request(code=topic.code, phone="12345")
    assert err.value.code == "phone_invalid"


def test_five_wrong_tries_spend_the_code(topic_at_vote):
    topic = topic_at_vote
    workflow.access_request(code=topic.code, phone="13900000004")
    code = _sent_code("13900000004")
    wrong = "999999" if code != "999999" else "888888"
    for _ in range(5):
        with pytest.raises(InvalidInput):
            workflow.access_verify(code=topic.code, phone="13900000004", secret=wrong)
    with pytest.raises(InvalidInput) as err:
        workflow.access_verify(code=topic.code, phone="13900000004", secret=code)
    assert err.value.code == "code_expired"


def test_staff_checked_code(desk, topic_at_vote):
    topic = topic_at_vote
    code = workflow.access_issue(actor=desk, topic_id=topic.pk, phone="13900000005")
    assert workflow.access_verify(code=topic.code, phone="13900000005", secret=code)
    with pytest.raises(InvalidInput) as err:
        workflow.access_issue(actor=desk, topic_id=topic.pk, phone="13811112222")
    assert err.value.code == "phone_not_registered"
    assert TopicEvent.objects.filter(topic=topic, verb="owner_checked").count() == 1


def test_public_opinion_and_rating(desk, topic_at_vote, at_day):
    topic = topic_at_vote
    with pytest.raises(InvalidTransition) as err:
        workflow.opinion_public(code=topic.code, text_body="意见")
    assert err.value.code == "topic_not_collecting"
    with pytest.raises(InvalidTransition):
        workflow.rate(code=topic.code, phone="13900000001", score="satisfied")
    assert topic.opinions.count() == 0


def test_withdraw_needs_a_reason(desk, tree, at_day):
    topic = services.topic_create(actor=desk, place=tree.compound_a, title="x", rule="meeting")
    with pytest.raises(InvalidInput):
        workflow.withdraw(actor=desk, topic_id=topic.pk, reason=" ")
    workflow.withdraw(actor=desk, topic_id=topic.pk, reason="与其他议题合并")
    topic.refresh_from_db()
    assert topic.stage == Topic.Stage.WITHDRAWN


def test_notice_days_are_checked(desk, topic_at_vote):
    topic = topic_at_vote
    units = units_of(topic)
    for n, key in enumerate(units, 1):
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units[key].pk,
            choice="for",
            ballot_no=str(n),
        )
    workflow.close_vote(actor=desk, topic_id=topic.pk)
    with pytest.raises(InvalidInput) as err:
        workflow.publish_resolution(actor=desk, topic_id=topic.pk, resolution="r", notice_days=0)
    assert err.value.code == "notice_days_invalid"
    topic.refresh_from_db()
    assert topic.stage == "resolved" and topic.resolution_notice_until is None
    assert timedelta(days=1)
