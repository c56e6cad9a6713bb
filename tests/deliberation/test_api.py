"""Deliberation over /api/v1/topics: the stages, ballots and the tally as data, with the same
scope and error rules as the rest of the API."""

from __future__ import annotations

import pytest

from cityloop.deliberation.models import Ballot, Topic
from tests.api.conftest import anon, client_as  # noqa: F401
from tests.deliberation.conftest import FIVE_UNITS, units_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(desk, outsider, client_as):  # noqa: F811
    return {"desk": client_as(desk), "outsider": client_as(outsider)}


def test_topic_through_the_vote_over_the_api(api, tree, register, at_day):
    register(FIVE_UNITS)
    desk = api["desk"]
    r = desk.post(
        "/topics", {"place_id": tree.compound_a.pk, "title": "文化墙改造", "rule": "owners_major"}
    )
    assert r.status_code == 201, r.json()
    topic = r.json()
    assert (topic["stage"], topic["actions"]) == ("soliciting", ["propose", "withdraw"])
    tid = topic["id"]
    r = desk.post(f"/topics/{tid}/opinions", {"channel": "paper_form", "text": "希望保留老照片"})
    assert r.status_code == 201 and r.json()["channel"] == "paper_form"
    r = desk.post(f"/topics/{tid}/actions/open_vote", {"question": "?"})
    assert (r.status_code, r.json()["code"]) == (409, "topic_bad_stage")
    assert desk.post(f"/topics/{tid}/actions/propose", {"proposal": "建文化墙"}).status_code == 200
    r = desk.post(f"/topics/{tid}/actions/deliberate", {"minutes": "同意", "attendance": 0})
    assert (r.status_code, r.json()["code"]) == (422, "attendance_required")
    assert (
        desk.post(
            f"/topics/{tid}/actions/deliberate", {"minutes": "同意", "attendance": 11}
        ).status_code
        == 200
    )
    r = desk.post(f"/topics/{tid}/actions/open_vote", {"question": "是否同意改造方案？"})
    assert r.status_code == 200 and r.json()["vote"]["units_on_roll"] == 5
    topic_obj = Topic.objects.get(pk=tid)
    units = units_of(topic_obj)
    for n, key in enumerate(["1号楼-1-101", "1号楼-1-102", "1号楼-2-201", "2号楼-1-101"], 1):
        r = desk.post(
            f"/topics/{tid}/ballots",
            {"household_id": units[key].pk, "choice": "for", "ballot_no": f"B{n}"},
        )
        assert r.status_code == 201
    r = desk.post(
        f"/topics/{tid}/ballots",
        {"household_id": units["1号楼-1-101"].pk, "choice": "against", "ballot_no": "B9"},
    )
    assert (r.status_code, r.json()["code"]) == (409, "ballot_duplicate")
    sealed = desk.get(f"/topics/{tid}/tally")  # even the organiser: no count while open
    assert (sealed.status_code, sealed.json()["code"]) == (409, "vote_sealed")
    assert desk.get(f"/topics/{tid}").json()["vote"]["tally"] == {}
    r = desk.post(f"/topics/{tid}/actions/close_vote", {})
    vote = r.json()["vote"]
    assert vote["passed"] is True and vote["ballots"] == 4
    tally = desk.get(f"/topics/{tid}/tally").json()
    assert "live" not in tally
    by_key = {t["key"]: t for t in tally["thresholds"]}
    assert tally["rule_label"] == "业主共同决定：改建重建等重大事项（四分之三以上）"
    assert by_key["participation_area"] == {
        "key": "participation_area",
        "key_label": "参与表决：占专有部分总面积",
        "part": "330",
        "whole": "400",
        "part_exact": "330",
        "whole_exact": "400",
        "share": "82.50",
        "need": "≥ 2/3",
        "met": True,
    }
    assert (
        by_key["participation_heads"]["part"] == "3"
        and by_key["participation_heads"]["whole"] == "4"
    )
    assert [e["verb"] for e in desk.get(f"/topics/{tid}/events").json()][-1] == "close_vote"
    assert Ballot.objects.count() == 4


def test_scope_and_errors(api, anon, tree, desk, at_day):  # noqa: F811
    from cityloop.deliberation import services

    topic = services.topic_create(actor=desk, place=tree.compound_a, title="x", rule="meeting")
    assert api["outsider"].get(f"/topics/{topic.pk}").status_code == 404
    assert api["outsider"].get("/topics").json()["count"] == 0
    assert api["desk"].get("/topics").json()["count"] == 1
    r = api["outsider"].post(f"/topics/{topic.pk}/actions/propose", {"proposal": "x"})
    assert (r.status_code, r.json()["code"]) == (404, "topic_not_found")
    r = api["outsider"].post("/topics", {"place_id": tree.compound_a.pk, "title": "x"})
    assert r.status_code == 404  # the place itself is outside the scope
    r = api["desk"].post("/topics", {"place_id": tree.compound_a.pk, "title": "x", "rule": "nope"})
    assert (r.status_code, r.json()["code"]) == (422, "topic_rule_invalid")
    assert anon.get("/topics").status_code == 401
    r = api["desk"].get(f"/topics/{topic.pk}/tally")
    assert (r.status_code, r.json()["code"]) == (422, "vote_not_opened")
    assert Topic.objects.count() == 1


def test_owner_code_and_coverage(api, tree, register, desk, at_day):
    from cityloop.deliberation import services

    register(FIVE_UNITS)
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="x", rule="owners_ordinary"
    )
    r = api["desk"].post(f"/topics/{topic.pk}/owner-codes", {"phone": "13900000001"})
    assert r.status_code == 201 and len(r.json()["code"]) == 6
    r = api["desk"].post(f"/topics/{topic.pk}/owner-codes", {"phone": "139"})
    assert (r.status_code, r.json()["code"]) == (422, "phone_invalid")
    for kind, extra in (
        ("rules_of_procedure", {"text_body": "议事规则……"}),
        ("meeting_place", {"address": "06小区议事角", "capacity": 30}),
        ("residents_convention", {"text_body": "公约……"}),
    ):
        services.document_publish(actor=desk, place=tree.compound_a, kind=kind, title=kind, **extra)
    cov = api["desk"].get("/deliberation/coverage").json()
    assert cov["summary"]["compound"]["complete"] == 1
    row = next(p for p in cov["places"] if p["code"] == tree.compound_a.code)
    assert row["complete"] is True


def test_every_code_has_its_chinese_label(api, tree, desk, topic_at_vote):
    from cityloop.deliberation import services

    topic = topic_at_vote
    open_topic = services.topic_create(actor=desk, place=tree.compound_a, title="楼道照明")
    api["desk"].post(
        f"/topics/{open_topic.pk}/opinions", {"channel": "paper_form", "text": "保留老照片"}
    )
    desk = api["desk"]
    out = desk.get(f"/topics/{topic.pk}").json()
    assert (out["stage"], out["stage_label"]) == ("voting", "表决中")
    assert out["rule_label"] == "业主共同决定：改建重建等重大事项（四分之三以上）"
    assert out["place"]["kind_label"] == "小区"
    assert len(out["action_labels"]) == len(out["actions"]) and "" not in out["action_labels"]
    assert out["vote"]["rule_label"] == out["rule_label"]
    assert {s["kind"]: s["kind_label"] for s in out["steps"]}["solicit"] == "征集"
    assert set(out["rating_labels"]) == set(out["ratings"])
    assert out["vote"]["sealed"] is True and out["vote"]["tally"] == {}
    opinion = desk.get(f"/topics/{open_topic.pk}/opinions").json()[0]
    assert (opinion["channel_label"], opinion["stage_label"]) == ("意见征集单", "征集意见")
    events = desk.get(f"/topics/{topic.pk}/events").json()
    opened = next(e for e in events if e["verb"] == "open_vote")
    assert (opened["verb_label"], opened["to_state_label"]) == ("发起表决", "表决中")
    assert all(e["verb_label"] for e in events)


def test_the_ballot_list_says_who_voted_never_what_they_chose(api, topic_at_vote):
    topic = topic_at_vote
    units = units_of(topic)
    r = api["desk"].post(
        f"/topics/{topic.pk}/ballots",
        {"household_id": units["1号楼-1-101"].pk, "choice": "against", "ballot_no": "B1"},
    )
    assert r.status_code == 201 and "choice" not in r.json()
    listed = api["desk"].get(f"/topics/{topic.pk}/ballots").json()
    assert [(b["household"], b["channel"], b["channel_label"]) for b in listed] == [
        ("1号楼-1单元-101", "paper", "纸质表决票")
    ]
    assert all("choice" not in b for b in listed)
    assert "against" not in str(listed)
    assert Ballot.objects.get().choice == "against"  # counted, only never listed
    assert api["outsider"].get(f"/topics/{topic.pk}/ballots").status_code == 404
