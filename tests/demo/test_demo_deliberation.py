"""The demo deliberation: 06小区's culture wall through every stage with a passing owners'
vote, a 晨光社区 topic failing participation, a lift for each entrance of 06小区 3号楼 voted
by that entrance (one passes, one fails), and the 1+1+1 documents."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo(shared_demo):
    # The session's whole demo (tests/conftest.py): as in the demo command, the projects come
    # first (the lift's resolution is carried out by 06小区's renovation project).
    return shared_demo


@pytest.fixture
def loaded(demo, db):
    return demo["deliberation"]


def test_culture_wall_goes_through_every_stage_and_passes(loaded):
    from cityloop.deliberation.models import Opinion, Topic, TopicStep
    from cityloop.demo.deliberation import WALL_TITLE

    topic = Topic.objects.get(title=WALL_TITLE)
    assert topic.stage == "rated" and topic.place.name == "06小区"
    assert set(topic.steps.values_list("kind", flat=True)) == set(TopicStep.Kind.values)
    assert set(topic.opinions.values_list("channel", flat=True)) == set(Opinion.Channel.values)
    vote = topic.vote
    assert vote.passed is True and vote.rule == "owners_major"
    result = vote.result
    assert all(t["met"] for t in result["thresholds"])
    assert result["ballots"]["paper"] > 0 and result["ballots"]["mobile"] > 0
    assert result["units"] == 36 and result["units_voted"] == 33
    # 36 units, one owner of two units and a pair of co-owners: 35 heads
    assert result["total_heads"] == "35"
    verbs = [
        v
        for v in topic.events.values_list("verb", flat=True)
        if v not in {"opinion", "ballot", "proxy", "rate"}
    ]
    assert verbs == [
        "create",
        "propose",
        "deliberate",
        "open_vote",
        "close_vote",
        "publish_resolution",
        "start_implementation",
        "publish_result",
        "close",
    ]
    assert topic.ratings.count() == 11


def test_chenguang_topic_fails_participation(loaded):
    from cityloop.deliberation.models import Topic
    from cityloop.demo.deliberation import PARKING_TITLE

    topic = Topic.objects.get(title=PARKING_TITLE)
    assert topic.stage == "not_adopted"
    assert topic.place.parent.name == "晨光社区"
    result = topic.vote.result
    assert result["participation_met"] is False and result["passed"] is False
    by_key = {t["key"]: t for t in result["thresholds"]}
    assert by_key["participation_heads"]["met"] is False


def test_charter_documents_and_coverage(loaded):
    from django.contrib.auth import get_user_model

    from cityloop.deliberation import queries
    from cityloop.org.models import Place

    user = get_user_model().objects.get(username="demo-admin")
    data = queries.coverage(user)
    complete = {r.place.name for r in data["rows"] if r.complete}
    assert {"06小区", "新华街社区", "晨光社区", "原矿务局家属院"} <= complete
    assert "鸿泰花园" not in complete
    assert data["summary"]["compound"]["total"] == 284
    assert data["summary"]["community"]["total"] == 59
    docs = queries.current_documents(Place.objects.get(code="410106001001001"))
    assert docs["residents_convention"].version == 2
    assert loaded["votes"] == {
        "06小区“长城的守望”主题文化墙改造": True,
        "原矿务局家属院停车管理与车位划线方案": False,
        "06小区3号楼1单元加装电梯": True,
        "06小区3号楼2单元加装电梯": False,
    }


def test_lift_votes_pass_for_one_entrance_and_fail_for_the_other(loaded):
    """Seed 001 电梯加装: each entrance of 06小区 3号楼 votes on its own lift; the thresholds
    are counted over that entrance's six flats only."""
    from cityloop.deliberation.models import Topic
    from cityloop.demo.deliberation import LIFT_TITLES

    passed = Topic.objects.get(title=LIFT_TITLES["1"])
    failed = Topic.objects.get(title=LIFT_TITLES["2"])
    assert (passed.stage, failed.stage) == ("resolution_published", "not_adopted")
    assert passed.place.name == failed.place.name == "06小区"
    for topic, entrance in ((passed, "1"), (failed, "2")):
        vote = topic.vote
        assert (vote.rule, vote.electorate, vote.electorate_label) == (
            "owners_major",
            "entrance",
            f"3号楼{entrance}单元",
        )
        labels = {r.household.label for r in vote.roll.select_related("household")}
        assert len(labels) == 6 and all(x.startswith(f"3号楼-{entrance}单元-") for x in labels)
        assert vote.result["units"] == 6 and vote.result["total_heads"] == "6"
        assert vote.result["electorate"]["label"] == f"3号楼{entrance}单元"
    assert passed.vote.passed is True and all(t["met"] for t in passed.vote.result["thresholds"])
    by_key = {t["key"]: t for t in failed.vote.result["thresholds"]}
    assert failed.vote.result["participation_met"] is True
    assert (by_key["approval_heads"]["part"], by_key["approval_heads"]["whole"]) == ("3", "5")
    assert by_key["approval_heads"]["met"] is False and failed.vote.passed is False
    link = passed.project_links.select_related("project").get()
    assert link.project.code == "DEMO-JYL-06" and not failed.project_links.exists()
    assert link.project.events.filter(verb="resolution").count() == 1
