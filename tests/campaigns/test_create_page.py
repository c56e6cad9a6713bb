"""新建活动: the page that opens a campaign through the service the API calls — offered to those
who may organise, scoped choices, refusals shown in Chinese with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cityloop.campaigns import services
from cityloop.campaigns.models import Campaign, CampaignEvent
from cityloop.core.errors import Forbidden
from tests.web.crawl import leaks

pytestmark = pytest.mark.django_db

URL = "/campaigns/new/"


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def people(tree, make_account, on_day):
    from cityloop.org import services as org

    on_day(date(2026, 5, 8))
    sq, _ = org.unit_save(
        actor=None,
        code="JYL-SQ1",
        name="新华街社区居委会",
        kind="community_committee",
        parent=tree.office_a,
        place=tree.community_a,
    )
    # 区住建局 adopts 06小区 (联建共建): the community may name it as a partner.
    org.partnership_save(actor=None, unit=tree.bureau, compound=tree.compound_a)
    return {
        "tree": tree,
        "sq": sq,
        "street": make_account("jyl-staff", roles=("street_staff",), unit=tree.office_a),
        "worker": make_account("sq-worker", roles=("community_worker",), unit=sq),
        "grid": make_account("grid", roles=("grid_worker",), place=tree.community_a),
        "outsider": make_account("zxl-staff", roles=("street_staff",), unit=tree.office_b),
    }


def _post(people, **changes):
    tree = people["tree"]
    data = {
        "title": "全城清洁",
        "kind": "cleanup",
        "organiser": people["sq"].pk,
        "partners": [tree.bureau.pk],
        "places": [tree.community_a.pk, tree.compound_a.pk],
        "start": "2026-05-08",
        "recurrence": "weekly",
        "weekday": "4",
        "end": "2026-12-31",
        "description": "每周五下午集中清理卫生死角。",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_button_shows_only_to_who_may_create(people):
    for who in ("street", "worker"):
        page = _client(people[who]).get("/campaigns/").content.decode()
        assert f'href="{URL}"' in page and "新建活动" in page, who
    page = _client(people["grid"]).get("/campaigns/").content.decode()
    assert URL not in page and "新建活动" not in page
    assert _client(people["grid"]).get(URL).status_code == 403
    assert _client(people["grid"]).post(URL, _post(people)).status_code == 403
    # The same rule refuses the service (and so the API): the grid worker sees the community.
    with pytest.raises(Forbidden):
        services.create_campaign(
            actor=people["grid"],
            data=services.CampaignInput(
                code="X", title="x", kind="cleanup", organiser="JYL-SQ1", start=date(2026, 5, 8)
            ),
        )
    assert Campaign.objects.count() == 0


def test_a_valid_post_creates_one_campaign_and_redirects(people):
    tree = people["tree"]
    client = _client(people["worker"])
    r = client.post(URL, _post(people))
    assert r.status_code == 302
    c = Campaign.objects.get()
    assert r["Location"] == f"/campaigns/{c.pk}/"
    assert (c.title, c.kind, c.organiser, c.recurrence, c.weekday) == (
        "全城清洁",
        "cleanup",
        people["sq"],
        "weekly",
        4,
    )
    assert (c.start, c.end) == (date(2026, 5, 8), date(2026, 12, 31))
    assert list(c.partners.all()) == [tree.bureau]
    assert set(c.places.all()) == {tree.community_a, tree.compound_a}
    assert c.description == "每周五下午集中清理卫生死角。"
    assert c.code.startswith("HD-20260508-") and len(c.code) <= 40
    assert CampaignEvent.objects.filter(campaign=c, verb="create").count() == 1
    page = client.get(r["Location"]).content.decode()
    assert "活动“全城清洁”已创建。" in page
    form = client.get(URL).content.decode()
    assert "区住建局" in form and "新华街社区居委会" in form and "济源路街道办事处" not in form


def test_a_one_off_campaign_without_places_or_end(people):
    r = _client(people["street"]).post(
        URL,
        _post(
            people,
            organiser=people["tree"].office_a.pk,
            recurrence="once",
            weekday="",
            partners=None,
            places=None,
            end="",
            kind="volunteer",
        ),
    )
    assert r.status_code == 302
    c = Campaign.objects.get()
    assert (c.recurrence, c.weekday, c.end, c.kind) == ("once", None, None, "volunteer")
    assert c.organiser == people["tree"].office_a
    assert not c.places.exists() and not c.partners.exists()


def test_weekly_without_weekday_is_refused_in_chinese(people):
    r = _client(people["worker"]).post(URL, _post(people, weekday=""))
    assert r.status_code == 400
    page = r.content.decode()
    assert "每周活动须指定星期几（0–6）。" in page
    assert 'data-field="weekday"' in page and "field-invalid" in page
    assert Campaign.objects.count() == 0 and CampaignEvent.objects.count() == 0
    # What was typed is kept.
    assert 'value="全城清洁"' in page


def test_the_end_before_the_start_is_refused(people):
    r = _client(people["worker"]).post(URL, _post(people, end="2026-05-01"))
    assert r.status_code == 400
    assert "结束日期早于开始日期。" in r.content.decode()
    assert Campaign.objects.count() == 0


def test_types_are_checked_first_in_chinese(people):
    r = _client(people["worker"]).post(URL, _post(people, title="", start="明天", kind="party"))
    assert r.status_code == 400
    page = r.content.decode()
    assert "此项为必填项。" in page and "请从列表中选择。" in page
    assert Campaign.objects.count() == 0


def test_no_unit_or_place_outside_the_scope(people):
    tree = people["tree"]
    client = _client(people["outsider"])
    form = client.get(URL).content.decode()
    assert "中心路街道办事处" in form
    assert "新华街社区" not in form and "06小区" not in form and "区住建局" not in form
    for changes in (
        {"organiser": people["sq"].pk, "places": [], "partners": []},
        {"organiser": tree.office_b.pk, "places": [tree.community_a.pk], "partners": []},
        {"organiser": tree.office_b.pk, "places": [], "partners": [people["sq"].pk]},
        {"organiser": tree.office_b.pk, "places": [], "partners": [tree.bureau.pk]},
        {"organiser": "abc", "places": [], "partners": []},
    ):
        r = client.post(URL, _post(people, weekday="4", **changes))
        assert r.status_code == 400, changes
        assert "请从列表中选择。" in r.content.decode()
    assert Campaign.objects.count() == 0
    # A community worker may not organise for the street office above it either.
    r = _client(people["worker"]).post(URL, _post(people, organiser=tree.office_a.pk))
    assert r.status_code == 400 and Campaign.objects.count() == 0
    # In scope, the same user succeeds.
    r = client.post(
        URL, _post(people, organiser=tree.office_b.pk, places=[tree.community_b.pk], partners=[])
    )
    assert r.status_code == 302 and Campaign.objects.get().organiser == tree.office_b


def test_the_page_reads_in_chinese(people):
    client = _client(people["street"])
    for page in (
        client.get(URL).content.decode(),
        client.post(URL, _post(people, weekday="")).content.decode(),
    ):
        for label in ("新建活动", "活动名称", "类型", "组织单位", "联建共建单位", "地点"):
            assert label in page, label
        for label in ("开始日期", "周期", "单次", "每周", "周一", "周日", "结束日期", "创建活动"):
            assert label in page, label
        for english in ("Title", "Kind", "Organiser", "Weekday", "Mondays", "Create"):
            assert english not in page, english
        words, _links = leaks(page, extra_allowed={"jyl", "staff"})  # the account's name
        assert words == [], words
