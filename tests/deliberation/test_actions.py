"""The topic registry is the one statement of the stage actions: the allowed actions, the
page buttons, the OpenAPI description and the guide's table come from it, and no workflow
function may leave a topic at a stage its entry does not name."""

from __future__ import annotations

import dataclasses

import pytest

from cityloop.core.actions import Action
from cityloop.core.errors import InvalidTransition
from cityloop.core.management.commands.docs_tables import GUIDE_DIR, rewrite
from cityloop.deliberation import services, workflow
from cityloop.deliberation.actions import TOPICS
from cityloop.deliberation.models import Topic, TopicEvent

pytestmark = pytest.mark.django_db
S = Topic.Stage


@pytest.fixture
def topic(desk, tree, at_day):
    return services.topic_create(
        actor=desk, place=tree.compound_a, title="楼道照明", rule="meeting"
    )


def test_the_allowed_actions_are_the_registry_s_for_the_part(desk, outsider, topic):
    assert workflow.allowed_actions(desk, topic) == ["propose", "withdraw"]
    assert workflow.allowed_actions(outsider, topic) == []


def test_a_registered_action_is_a_button_described_and_a_row_of_the_guide(client, desk, topic):
    TOPICS.register(
        Action(
            "site_visit", frozenset({S.SOLICITING}), None, "organiser", "现场踏勘（测试）", "note"
        )
    )
    try:
        assert workflow.allowed_actions(desk, topic) == ["propose", "withdraw", "site_visit"]
        client.force_login(desk)
        page = client.get(f"/deliberation/topics/{topic.pk}/").content.decode()
        assert 'data-action="site_visit"' in page
        assert "现场踏勘（测试）" in page
        schema = client.get("/api/v1/openapi.json").json()
        op = schema["paths"]["/api/v1/topics/{topic_id}"]["get"]
        line = "`site_visit` 现场踏勘（测试）（议题所在地的议事协商组织者；输入：note）"
        assert line in op["description"]
        fresh = rewrite((GUIDE_DIR / "deliberation.md").read_text(encoding="utf-8"))
        assert "| 现场踏勘（测试） | 议题所在地的议事协商组织者 | 征集意见 | 不变 |  |" in fresh
    finally:
        TOPICS.unregister("site_visit")


def test_the_committed_guide_table_is_the_registry():
    text = (GUIDE_DIR / "deliberation.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/guide/deliberation.md is stale: run `cityloop docs-tables`"
    assert "| 撤回议题 | 议题所在地的议事协商组织者 | 征集意见、已提议、已商议 | 已撤回 |" in text
    assert "| Close the vote and count | the organisers of deliberation" in text


def test_withdraw_writes_the_stage_its_entry_names_and_then_nothing_is_open(desk, topic):
    workflow.withdraw(actor=desk, topic_id=topic.pk, reason="与其他议题合并")
    topic.refresh_from_db()
    assert topic.stage == S.WITHDRAWN
    event = TopicEvent.objects.filter(topic=topic, verb="withdraw").get()
    assert (event.from_state, event.to_state) == ("soliciting", "withdrawn")
    assert workflow.allowed_actions(desk, topic) == []
    with pytest.raises(InvalidTransition) as err:
        workflow.withdraw(actor=desk, topic_id=topic.pk, reason="再撤一次")
    assert err.value.code == "topic_bad_stage"


def test_a_topic_moved_to_a_stage_its_entry_does_not_name_is_refused(desk, topic, monkeypatch):
    # The entry says a proposal withdraws the topic; the function moves it to "proposed".
    withdraws = dataclasses.replace(TOPICS["propose"], targets=frozenset({S.WITHDRAWN}))
    monkeypatch.setitem(TOPICS, "propose", withdraws)
    with pytest.raises(RuntimeError, match="propose"):
        workflow.propose(actor=desk, topic_id=topic.pk, proposal="更换楼道灯")
    topic.refresh_from_db()
    assert topic.stage == S.SOLICITING  # the transaction rolled back
    assert not TopicEvent.objects.filter(topic=topic, verb="propose").exists()


def test_an_event_for_a_stage_its_entry_does_not_name_is_refused(desk, topic, monkeypatch):
    # A stage written past the registry (not through ``TOPICS.move``) is caught by the event.
    real_move = TOPICS.move

    def skips_ahead(record, name, to=None):
        old = real_move(record, name, to)
        record.stage = S.VOTING
        return old

    monkeypatch.setattr(TOPICS, "move", skips_ahead)
    with pytest.raises(RuntimeError, match="propose"):
        workflow.propose(actor=desk, topic_id=topic.pk, proposal="更换楼道灯")
    topic.refresh_from_db()
    assert topic.stage == S.SOLICITING
