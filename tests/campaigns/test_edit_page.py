"""修改活动信息: the organiser changes a campaign's particulars on its page; one "edit" event
lists what changed; the same rules as creating; nothing written on refusal."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cityloop.campaigns.models import Campaign, CampaignEvent
from cityloop.campaigns.services import CampaignInput, create_campaign
from tests.campaigns.test_create_page import people  # noqa: F401  (the shared people)
from tests.web.crawl import leaks


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def campaign(people):  # noqa: F811
    tree = people["tree"]
    return create_campaign(
        actor=people["worker"],
        data=CampaignInput(
            code="HD-1",
            title="全城清洁",
            kind="cleanup",
            organiser=people["sq"].code,
            start=date(2026, 5, 8),
            recurrence="weekly",
            weekday=4,
            places=[tree.compound_a.code],
        ),
    )


def _form(people, **changes):  # noqa: F811
    tree = people["tree"]
    data = {
        "title": "全城清洁",
        "kind": "cleanup",
        "organiser": people["sq"].pk,
        "places": [tree.compound_a.pk],
        "start": "2026-05-08",
        "recurrence": "weekly",
        "weekday": "4",
        "end": "",
        "description": "",
    }
    data.update(changes)
    return data


def test_the_organiser_edits_and_one_event_lists_the_changes(people, campaign):  # noqa: F811
    worker = _client(people["worker"])
    page = worker.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'href="/campaigns/{campaign.pk}/edit/"' in page
    form = worker.get(f"/campaigns/{campaign.pk}/edit/")
    html = form.content.decode()
    assert form.status_code == 200 and 'value="全城清洁"' in html
    assert leaks(html, {"sq", "worker"})[0] == []  # the account name in the top bar
    r = worker.post(
        f"/campaigns/{campaign.pk}/edit/",
        _form(people, title="每周五全城清洁", weekday="3", note="改到周四"),
    )
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.title, campaign.weekday, campaign.code) == ("每周五全城清洁", 3, "HD-1")
    (event,) = CampaignEvent.objects.filter(campaign=campaign, verb="edit")
    assert event.data["changed"] == {"title": ["全城清洁", "每周五全城清洁"], "weekday": ["4", "3"]}
    assert event.note == "改到周四"
    history = worker.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "修改活动信息" in history and "改到周四" in history
    # the same again changes nothing and writes nothing
    worker.post(
        f"/campaigns/{campaign.pk}/edit/", _form(people, title="每周五全城清洁", weekday="3")
    )
    assert CampaignEvent.objects.filter(campaign=campaign, verb="edit").count() == 1


def test_a_refused_edit_writes_nothing(people, campaign):  # noqa: F811
    worker = _client(people["worker"])
    r = worker.post(f"/campaigns/{campaign.pk}/edit/", _form(people, weekday="", title="新名称"))
    assert r.status_code == 400 and "每周活动须指定星期几" in r.content.decode()
    r = worker.post(f"/campaigns/{campaign.pk}/edit/", _form(people, end="2026-01-01"))
    assert r.status_code == 400
    campaign.refresh_from_db()
    assert campaign.title == "全城清洁" and campaign.end is None
    assert not CampaignEvent.objects.filter(campaign=campaign, verb="edit").exists()


def test_who_may_edit(people, campaign):  # noqa: F811
    assert _client(people["outsider"]).get(f"/campaigns/{campaign.pk}/edit/").status_code == 404
    grid = _client(people["grid"])
    assert grid.get(f"/campaigns/{campaign.pk}/edit/").status_code == 403
    assert (
        'data-action="edit-campaign"' not in grid.get(f"/campaigns/{campaign.pk}/").content.decode()
    )
    before = Campaign.objects.get(pk=campaign.pk).title
    grid.post(f"/campaigns/{campaign.pk}/edit/", _form(people, title="别人改的"))
    assert Campaign.objects.get(pk=campaign.pk).title == before
