"""The campaign registry is the one statement of the campaign actions: the allowed actions,
the page's buttons, the OpenAPI description and the guide's table come from it, and no
workflow function may leave a campaign in a state its entry does not name."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from django.test import Client

from cityloop.campaigns import rules, workflow
from cityloop.campaigns.actions import CAMPAIGNS
from cityloop.campaigns.models import Campaign, CampaignEvent
from cityloop.core.actions import Action
from cityloop.core.errors import InvalidTransition
from cityloop.core.management.commands.docs_tables import GUIDE_DIR, rewrite
from tests.campaigns.test_create_page import people  # noqa: F401  (the shared people)
from tests.campaigns.test_edit_page import campaign  # noqa: F401

pytestmark = pytest.mark.django_db
C = Campaign.State


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_allowed_actions_are_the_registry_s_for_the_part(people, campaign):  # noqa: F811
    assert rules.campaign_actions(people["worker"], campaign) == [
        "session", "sign_in", "end", "edit",
    ]  # fmt: skip
    assert rules.campaign_actions(people["grid"], campaign) == []
    body = _client(people["worker"]).get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert body["allowed_actions"] == ["session", "sign_in", "end", "edit"]


def test_a_registered_action_is_allowed_described_and_a_row_of_the_guide(
    people,  # noqa: F811
    campaign,  # noqa: F811
):
    CAMPAIGNS.register(
        Action("review", frozenset({C.ACTIVE}), None, "organiser", "活动复盘（测试）", "fields")
    )
    try:
        assert rules.campaign_actions(people["worker"], campaign)[-1] == "review"
        schema = _client(people["worker"]).get("/api/v1/openapi.json").json()
        op = schema["paths"]["/api/v1/campaigns/{campaign_id}"]["get"]
        line = "`review` 活动复盘（测试）（组织单位的工作人员，或其上级；输入：fields）"
        assert line in op["description"]
        fresh = rewrite((GUIDE_DIR / "projects.md").read_text(encoding="utf-8"))
        assert "| 活动复盘（测试） | 组织单位的工作人员，或其上级 | 进行中 | 不变 |  |" in fresh
    finally:
        CAMPAIGNS.unregister("review")


def test_the_committed_guide_table_is_the_registry():
    text = (GUIDE_DIR / "projects.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/guide/projects.md is stale: run `cityloop docs-tables`"
    assert "| 结束活动 | 组织单位的工作人员，或其上级 | 进行中 | 已结束 |" in text
    assert "| End the campaign | the organising unit's staff, or those above it |" in text


def test_the_edit_button_follows_the_registry(people, campaign, monkeypatch):  # noqa: F811
    worker = _client(people["worker"])
    url = f"/campaigns/{campaign.pk}/"
    assert 'data-action="edit-campaign"' in worker.get(url).content.decode()
    ended_only = dataclasses.replace(CAMPAIGNS["edit"], sources=frozenset({C.ENDED}))
    monkeypatch.setitem(CAMPAIGNS, "edit", ended_only)
    assert 'data-action="edit-campaign"' not in worker.get(url).content.decode()
    assert worker.get(url + "edit/").status_code == 403


def test_end_writes_the_state_its_entry_names_and_then_nothing_is_open(
    people,  # noqa: F811
    campaign,  # noqa: F811
):
    worker = people["worker"]
    workflow.end_campaign(actor=worker, campaign_id=campaign.pk, end=date(2026, 5, 8))
    campaign.refresh_from_db()
    assert campaign.state == C.ENDED
    event = CampaignEvent.objects.filter(campaign=campaign, verb="end").get()
    assert (event.from_state, event.to_state) == ("active", "ended")
    assert rules.campaign_actions(worker, campaign) == []
    with pytest.raises(InvalidTransition) as err:
        workflow.end_campaign(actor=worker, campaign_id=campaign.pk)
    assert err.value.code == "campaign_ended"


def test_a_campaign_event_for_a_state_its_entry_does_not_name_is_refused(
    people,  # noqa: F811
    campaign,  # noqa: F811
    monkeypatch,
):
    # A state written past the registry: "end" leaves the campaign running, which its entry
    # (ended) does not name.
    def keeps_running(record, name, to=None):
        return record.state

    monkeypatch.setattr(CAMPAIGNS, "move", keeps_running)
    with pytest.raises(RuntimeError, match="end"):
        workflow.end_campaign(actor=people["worker"], campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == C.ACTIVE  # the transaction rolled back
    assert not CampaignEvent.objects.filter(campaign=campaign, verb="end").exists()
