"""Votes by building, entrance (单元) or chosen units (issue 18.3, seed 001 电梯加装): the
electorate is set when the vote is opened and checked against the topic's compound; only
its units are on the roll and may vote; the Civil Code art. 278 thresholds are counted over
it alone — exactly at each boundary passes, one household short fails, by floor area and by
number of owners.

Every compound here has units outside the electorate (3号楼1单元 and 4号楼) whose area and
owners would move every share if they were counted."""

from __future__ import annotations

import pytest
from django.utils import translation

from cityloop.core.errors import InvalidInput
from cityloop.deliberation import services, workflow
from cityloop.deliberation.models import RollEntry, TopicEvent, Vote

pytestmark = pytest.mark.django_db

# Outside the electorate: 3号楼1单元 and 4号楼, 1000 m² and four owners that never vote.
OTHERS = [
    ["3号楼", "1", "101", "300", "钱一", "Q1", "13900001001"],
    ["3号楼", "1", "102", "300", "钱二", "Q2", "13900001002"],
    ["4号楼", "1", "101", "200", "钱三", "Q3", "13900001003"],
    ["4号楼", "1", "102", "200", "钱四", "Q4", "13900001004"],
]


def _entrance(areas):
    """3号楼2单元 with one owner per unit and the given areas, in room order."""
    return [
        ["3号楼", "2", f"{201 + i}", str(a), f"住户{i}", f"E{i}", f"1390000{2000 + i:04d}"]
        for i, a in enumerate(areas)
    ]


@pytest.fixture
def lift_vote(desk, tree, register, at_day):
    """A lift (加装电梯, a renovation-class matter: ≥ 3/4) for 3号楼2单元, opened for that
    entrance only; returns ``(topic, units of the entrance in room order)``."""

    def make(areas, rule="owners_major"):
        register(OTHERS + _entrance(areas))
        topic = services.topic_create(
            actor=desk, place=tree.compound_a, title="3号楼2单元加装电梯", rule=rule
        )
        workflow.propose(actor=desk, topic_id=topic.pk, proposal="3号楼2单元加装电梯一部")
        workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="议事会同意", attendance=8)
        vote = workflow.open_vote(
            actor=desk,
            topic_id=topic.pk,
            question="是否同意3号楼2单元加装电梯？",
            electorate="entrance",
            building="3号楼",
            entrance="2",
        )
        units = [r.household for r in vote.roll.select_related("household").order_by("pk")]
        units.sort(key=lambda h: h.room)
        return topic, units

    return make


def _vote(desk, topic, units, choices):
    """Paper ballots: ``choices[i]`` for ``units[i]`` (None: that unit does not vote)."""
    for i, (unit, choice) in enumerate(zip(units, choices, strict=True)):
        if choice is not None:
            workflow.ballot_paper(
                actor=desk, topic_id=topic.pk, household_id=unit.pk, choice=choice, ballot_no=f"{i}"
            )
    return workflow.close_vote(actor=desk, topic_id=topic.pk).result


def _met(result, key):
    return next(t for t in result["thresholds"] if t["key"] == key)


# --- the roll -----------------------------------------------------------------------------------


def test_an_entrance_vote_rolls_only_that_entrance_and_records_it(desk, lift_vote):
    topic, _units = lift_vote([80, 80, 80])
    vote = Vote.objects.get(topic=topic)
    assert (vote.electorate, vote.electorate_building, vote.electorate_entrance) == (
        "entrance",
        "3号楼",
        "2",
    )
    assert vote.electorate_label == "3号楼2单元"
    rolled = RollEntry.objects.filter(vote=vote).select_related("household")
    assert sorted(r.household.label for r in rolled) == [
        "3号楼-2单元-201",
        "3号楼-2单元-202",
        "3号楼-2单元-203",
    ]
    event = TopicEvent.objects.get(topic=topic, verb="open_vote")
    assert event.data["electorate"] == "entrance"
    assert event.data["electorate_label"] == "3号楼2单元"
    assert (event.data["units"], event.data["total_area"], event.data["total_heads"]) == (
        3,
        "240",
        "3",
    )


def test_a_building_vote_rolls_every_entrance_of_that_building_only(desk, tree, register, at_day):
    register(OTHERS + _entrance([80, 80]))
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="3号楼外墙", rule="owners_ordinary"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="外墙保温")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=5)
    vote = workflow.open_vote(
        actor=desk,
        topic_id=topic.pk,
        question="是否同意？",
        electorate="building",
        building="3号楼",
    )
    assert vote.electorate_label == "3号楼"
    labels = sorted(r.household.label for r in vote.roll.select_related("household"))
    assert labels == [
        "3号楼-1单元-101",
        "3号楼-1单元-102",
        "3号楼-2单元-201",
        "3号楼-2单元-202",
    ]


def test_chosen_units_vote_alone(desk, tree, register, at_day):
    register(OTHERS + _entrance([80, 80]))
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="顶层防水", rule="owners_ordinary"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="顶层防水")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=5)
    from cityloop.deliberation.models import Household

    chosen = list(Household.objects.filter(room__in=["101", "201"]).order_by("building", "room"))
    vote = workflow.open_vote(
        actor=desk,
        topic_id=topic.pk,
        question="是否同意？",
        electorate="units",
        household_ids=[h.pk for h in chosen],
    )
    assert set(vote.roll.values_list("household_id", flat=True)) == {h.pk for h in chosen}
    assert vote.electorate_label == "、".join(h.label for h in chosen)


def test_one_owner_of_flats_in_two_entrances_is_one_head_in_each_entrance_vote(
    desk, tree, register, at_day
):
    rows = OTHERS + _entrance([80, 80])
    rows[0][4:7] = rows[4][4:7]  # 住户0 also owns 3号楼-1单元-101
    register(rows)
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="电梯", rule="owners_major"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="加装电梯")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=5)
    vote = workflow.open_vote(
        actor=desk,
        topic_id=topic.pk,
        question="？",
        electorate="entrance",
        building="3号楼",
        entrance="2",
    )
    assert vote.roll.count() == 2 and len(set(vote.roll.values_list("head", flat=True))) == 2


# --- refusals -------------------------------------------------------------------------------------


def _deliberated(desk, tree, register, rule="owners_major"):
    register(OTHERS + _entrance([80, 80]))
    topic = services.topic_create(actor=desk, place=tree.compound_a, title="电梯", rule=rule)
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="加装电梯")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=5)
    return topic


@pytest.mark.parametrize(
    "scope",
    [
        {"electorate": "building", "building": "9号楼"},
        {"electorate": "entrance", "building": "3号楼", "entrance": "5"},
        {"electorate": "entrance", "building": "4号楼", "entrance": "2"},
    ],
)
def test_a_building_or_entrance_not_in_the_compound_is_refused(desk, tree, register, at_day, scope):
    topic = _deliberated(desk, tree, register)
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        workflow.open_vote(actor=desk, topic_id=topic.pk, question="？", **scope)
    assert refused.value.code == "electorate_outside_compound"
    assert "不在06小区内" in str(refused.value.message)
    topic.refresh_from_db()
    assert topic.stage == "deliberated" and not Vote.objects.filter(topic=topic).exists()


def test_a_building_place_of_another_compound_is_refused(desk, tree, register, at_day):
    from cityloop.org.models import Place

    other = Place.objects.create(
        code="410106002001001-01", name="3号楼", kind="building", parent=tree.compound_b
    )
    topic = _deliberated(desk, tree, register)
    with pytest.raises(InvalidInput) as refused:
        workflow.open_vote(
            actor=desk,
            topic_id=topic.pk,
            question="？",
            electorate="building",
            building_place_id=other.pk,
        )
    assert refused.value.code == "electorate_outside_compound"
    assert not Vote.objects.filter(topic=topic).exists()


def test_a_building_place_of_the_compound_names_its_building(desk, tree, register, at_day):
    # tree.building_a is 06小区's "1号楼"; the register has a 1号楼 too.
    register([*OTHERS, ["1号楼", "1", "101", "90", "林一", "L9", "13900003001"]])
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="1号楼", rule="owners_major"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="加装电梯")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=5)
    vote = workflow.open_vote(
        actor=desk,
        topic_id=topic.pk,
        question="？",
        electorate="building",
        building_place_id=tree.building_a.pk,
    )
    assert vote.electorate_label == "1号楼" and vote.roll.count() == 1


def test_units_of_another_compound_are_refused(desk, tree, register, at_day):
    from cityloop.deliberation.models import Household

    foreign = Household.objects.create(
        compound=tree.compound_b, building="3号楼", entrance="2", room="201", area=90
    )
    topic = _deliberated(desk, tree, register)
    mine = Household.objects.filter(compound=tree.compound_a).first()
    with pytest.raises(InvalidInput) as refused:
        workflow.open_vote(
            actor=desk,
            topic_id=topic.pk,
            question="？",
            electorate="units",
            household_ids=[mine.pk, foreign.pk],
        )
    assert refused.value.code == "electorate_outside_compound"


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        ({"electorate": "street"}, "electorate_invalid"),
        ({"electorate": "building"}, "electorate_building_required"),
        ({"electorate": "entrance", "building": "3号楼"}, "electorate_entrance_required"),
        ({"electorate": "units"}, "electorate_units_required"),
    ],
)
def test_an_incomplete_electorate_is_refused(desk, tree, register, at_day, scope, code):
    topic = _deliberated(desk, tree, register)
    with pytest.raises(InvalidInput) as refused:
        workflow.open_vote(actor=desk, topic_id=topic.pk, question="？", **scope)
    assert refused.value.code == code


def test_a_meeting_cannot_be_limited_to_an_entrance(desk, tree, register, at_day):
    topic = _deliberated(desk, tree, register, rule="meeting")
    with pytest.raises(InvalidInput) as refused:
        workflow.open_vote(
            actor=desk,
            topic_id=topic.pk,
            question="？",
            electorate="entrance",
            building="3号楼",
            entrance="2",
        )
    assert refused.value.code == "electorate_needs_owners_vote"


def test_a_ballot_from_outside_the_entrance_is_refused_on_paper_and_mobile(desk, lift_vote):
    topic, _units = lift_vote([80, 80])
    from cityloop.deliberation.models import Household

    outside = Household.objects.get(building="3号楼", entrance="1", room="101")
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=outside.pk, choice="for", ballot_no="X1"
        )
    assert refused.value.code == "ballot_outside_electorate"
    assert str(refused.value.message) == "3号楼-1单元-101不在本次表决的表决范围（3号楼2单元）内。"
    with pytest.raises(InvalidInput) as refused:
        workflow.ballot_mobile(
            code=topic.code, phone="13900001001", household_id=outside.pk, choice="for"
        )
    assert refused.value.code == "ballot_outside_electorate"
    assert not Vote.objects.get(topic=topic).ballots.exists()


# --- art. 278 over the entrance: participation ≥ 2/3 of area and of owners ---------------------

# Seven flats: six of 50 m² and one of 150 m² → 450 m²; 2/3 of the area is exactly 300 m².
AREA_SEVEN = [50, 50, 50, 50, 50, 50, 150]


def test_participation_by_area_exactly_two_thirds_of_the_entrance_passes(desk, lift_vote):
    topic, units = lift_vote(AREA_SEVEN)
    result = _vote(desk, topic, units, ["for"] * 6 + [None])
    area = _met(result, "participation_area")
    assert (area["part"], area["whole"], area["share"], area["met"]) == (
        "300",
        "450",
        "66.67",
        True,
    )
    assert _met(result, "participation_heads")["met"] is True  # 6 of 7
    assert (result["units"], result["total_area"], result["total_heads"]) == (7, "450", "7")
    assert result["electorate"] == {"kind": "entrance", "label": "3号楼2单元"}
    assert result["passed"] is True


def test_participation_by_area_one_household_short_fails(desk, lift_vote):
    topic, units = lift_vote(AREA_SEVEN)
    result = _vote(desk, topic, units, ["for"] * 5 + [None, None])
    area = _met(result, "participation_area")
    assert (area["part"], area["whole"], area["met"]) == ("250", "450", False)
    assert _met(result, "participation_heads")["met"] is True  # 5 of 7 ≥ 2/3: area alone fails
    assert result["passed"] is False


# Six flats: one of 200 m², five of 40 m² → 400 m², six owners; 2/3 of the owners is four.
HEADS_SIX = [200, 40, 40, 40, 40, 40]


def test_participation_by_owners_exactly_two_thirds_of_the_entrance_passes(desk, lift_vote):
    topic, units = lift_vote(HEADS_SIX)
    result = _vote(desk, topic, units, ["for"] * 4 + [None, None])
    heads = _met(result, "participation_heads")
    assert (heads["part"], heads["whole"], heads["met"]) == ("4", "6", True)
    assert _met(result, "participation_area")["met"] is True  # 320 of 400
    assert result["passed"] is True


def test_participation_by_owners_one_household_short_fails(desk, lift_vote):
    topic, units = lift_vote(HEADS_SIX)
    result = _vote(desk, topic, units, ["for"] * 3 + [None, None, None])
    heads = _met(result, "participation_heads")
    assert (heads["part"], heads["whole"], heads["met"]) == ("3", "6", False)
    assert _met(result, "participation_area")["met"] is True  # 280 of 400 ≥ 2/3: owners fail
    assert result["passed"] is False


# --- approval for a lift (renovation-class, ≥ 3/4 of the participating area and owners) ----------


def test_lift_approval_exactly_three_quarters_of_area_and_owners_passes(desk, lift_vote):
    topic, units = lift_vote([50, 50, 50, 50])
    result = _vote(desk, topic, units, ["for", "for", "for", "against"])
    area, heads = _met(result, "approval_area"), _met(result, "approval_heads")
    assert (area["part"], area["whole"], area["need"], area["met"]) == ("150", "200", "≥ 3/4", True)
    assert (heads["part"], heads["whole"], heads["met"]) == ("3", "4", True)
    assert result["passed"] is True


def test_lift_approval_one_household_short_fails_on_area_and_owners(desk, lift_vote):
    topic, units = lift_vote([50, 50, 50, 50])
    result = _vote(desk, topic, units, ["for", "for", "against", "against"])
    assert _met(result, "approval_area")["met"] is False
    assert _met(result, "approval_heads")["met"] is False
    assert result["participation_met"] is True and result["passed"] is False


def test_lift_approval_by_area_just_short_fails_while_owners_are_three_quarters(desk, lift_vote):
    # The one against has 50.01 m²: 150 of 200.01 m² is under 3/4, the owners 3 of 4 are not.
    topic, units = lift_vote([50, 50, 50, "50.01"])
    result = _vote(desk, topic, units, ["for", "for", "for", "against"])
    assert _met(result, "approval_area")["met"] is False
    assert _met(result, "approval_heads")["met"] is True
    assert result["passed"] is False


def test_lift_approval_by_owners_short_fails_while_area_is_three_quarters(desk, lift_vote):
    # Three owners for with 300 m², two against with 100 m²: area 3/4 exactly, owners 3/5.
    topic, units = lift_vote([100, 100, 100, 50, 50])
    result = _vote(desk, topic, units, ["for", "for", "for", "against", "against"])
    assert _met(result, "approval_area")["met"] is True
    heads = _met(result, "approval_heads")
    assert (heads["part"], heads["whole"], heads["met"]) == ("3", "5", False)
    assert result["passed"] is False


def test_ordinary_matter_over_an_entrance_needs_more_than_half(desk, lift_vote):
    topic, units = lift_vote([50, 50, 50, 50], rule="owners_ordinary")
    result = _vote(desk, topic, units, ["for", "for", "against", "against"])
    assert _met(result, "approval_area")["need"] == "> 1/2"
    assert _met(result, "approval_area")["met"] is False and result["passed"] is False
