"""Campaign totals over a period and a place, against figures counted by hand below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cityloop.campaigns import queries, services, workflow
from cityloop.campaigns.models import CampaignEvent, Session
from cityloop.campaigns.services import (
    CampaignInput,
    OutputInput,
    Participant,
    ResourceInput,
)
from cityloop.core.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

FRI = [date(2026, 4, 3), date(2026, 4, 10), date(2026, 4, 17), date(2026, 5, 1)]


@pytest.fixture
def scene(tree, make_account, on_day):
    from cityloop.org import services as org

    on_day(date(2026, 5, 8))
    compound_c, _ = org.place_save(
        actor=None, code="410106001001002", name="07小区", kind="compound", parent=tree.community_a
    )
    sq, _ = org.unit_save(
        actor=None,
        code="JYL-SQ1",
        name="新华街社区居委会",
        kind="community_committee",
        parent=tree.office_a,
        place=tree.community_a,
    )
    worker = make_account("sq-worker", roles=("community_worker",), unit=sq)
    outsider = make_account("zxl", roles=("street_staff",), unit=tree.office_b)
    friday = services.create_campaign(
        actor=worker,
        data=CampaignInput(
            code="QCQJ",
            title="全城清洁",
            kind="cleanup",
            organiser="JYL-SQ1",
            recurrence="weekly",
            weekday=4,
            start=date(2026, 4, 1),
            partners=["QZJJ"],
            places=[tree.community_a.code],
        ),
    )
    a, c = tree.compound_a, compound_c

    def held(day, place, names, outputs, trucks):
        return services.record_session(
            actor=worker,
            campaign_id=friday.pk,
            on=day,
            place=place,
            participants=[Participant(n) for n in names],
            outputs=[OutputInput(k, q, p) for k, q, p in outputs],
            resources=[ResourceInput("垃圾清运车", "辆", trucks)],
        )

    # Hand count, per session: person-times / dead corners (place) / flyers / trucks
    held(FRI[0], a, ["王芳", "李强", "张伟"], [("dead_corners", 3, a), ("flyers", 40, a)], 2)
    held(FRI[1], c, ["王芳", "刘洋"], [("dead_corners", 2, c)], 1)
    held(
        FRI[2],
        a,
        ["王芳", "李强", "陈静", "赵磊"],
        [("dead_corners", 1, a), ("dead_corners", 4, c), ("flyers", 60, c)],
        3,
    )
    held(FRI[3], c, ["张伟"], [("illegal_structures", 1, c)], 1)
    return {
        "worker": worker,
        "outsider": outsider,
        "campaign": friday,
        "a": a,
        "c": c,
        "tree": tree,
    }


def test_totals_by_period_and_place(scene):
    w, tree = scene["worker"], scene["tree"]
    everything = queries.totals(w)
    assert (everything.sessions, everything.person_times, everything.people) == (4, 10, 6)
    assert everything.output("dead_corners") == 10
    assert everything.output("flyers") == 100
    assert everything.output("illegal_structures") == 1
    assert everything.resource("垃圾清运车") == 7
    assert everything.places_with_outputs == 2

    april = queries.totals(w, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert (april.sessions, april.person_times) == (3, 9)
    assert april.output("dead_corners") == 10 and april.output("illegal_structures") == 0
    assert april.resource("垃圾清运车") == 6

    mid = queries.totals(w, start=date(2026, 4, 10), end=date(2026, 4, 17))
    assert (mid.sessions, mid.person_times, mid.output("dead_corners")) == (2, 6, 7)

    # By place: outputs by their own place, sessions and sign-ins by where they were held.
    at_a = queries.totals(w, place=scene["a"])
    assert (at_a.sessions, at_a.person_times) == (2, 7)
    assert at_a.output("dead_corners") == 4 and at_a.output("flyers") == 40
    assert at_a.resource("垃圾清运车") == 5
    at_c = queries.totals(w, place=scene["c"])
    assert at_c.output("dead_corners") == 6 and at_c.output("flyers") == 60
    assert (at_c.sessions, at_c.person_times) == (2, 3)
    at_c_april = queries.totals(w, place=scene["c"], start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert at_c_april.output("dead_corners") == 6 and at_c_april.output("illegal_structures") == 0
    community = queries.totals(w, place=tree.community_a)
    assert community.output("dead_corners") == 10 and community.person_times == 10
    assert queries.totals(w, place=tree.street_b).sessions == 0
    by_place = {p["code"]: p["outputs"] for p in everything.by_place}
    assert by_place[scene["c"].code]["dead_corners"] == Decimal(6)


def test_totals_respect_scope(scene):
    none = queries.totals(scene["outsider"])
    assert (none.sessions, none.person_times, none.outputs) == (0, 0, [])


def test_weekly_calendar_shows_held_and_due_fridays(scene):
    cal = queries.month_calendar(scene["worker"], 2026, 4)
    days = {d["day"]: d for week in cal["weeks"] for d in week}
    assert [s.person_times for s in days[date(2026, 4, 3)]["sessions"]] == [3]
    assert [c.code for c in days[date(2026, 4, 24)]["due"]] == ["QCQJ"]  # not held
    assert days[date(2026, 4, 10)]["due"] == []


def test_session_rules(scene):
    w, c, a = scene["worker"], scene["campaign"], scene["a"]
    with pytest.raises(InvalidInput) as e:
        services.record_session(actor=w, campaign_id=c.pk, on=date(2026, 4, 9), place=a)
    assert e.value.code == "session_not_on_weekday"
    with pytest.raises(Conflict) as e:
        services.record_session(actor=w, campaign_id=c.pk, on=FRI[0], place=a)
    assert e.value.code == "session_exists"
    with pytest.raises(Conflict) as e:
        services.record_session(
            actor=w,
            campaign_id=c.pk,
            on=date(2026, 4, 24),
            place=a,
            participants=[Participant("王芳"), Participant("王芳")],
        )
    assert e.value.code == "sign_in_duplicate"
    with pytest.raises(InvalidInput) as e:
        services.record_session(
            actor=w, campaign_id=c.pk, on=date(2026, 4, 24), place=scene["tree"].compound_b
        )
    assert e.value.code == "session_place_outside"
    with pytest.raises(InvalidInput) as e:
        services.record_session(
            actor=w,
            campaign_id=c.pk,
            on=date(2026, 4, 24),
            place=a,
            outputs=[OutputInput("dead_corners", 0)],
        )
    assert e.value.code == "output_quantity_invalid"
    with pytest.raises(Exception) as e:
        services.record_session(actor=scene["outsider"], campaign_id=c.pk, on=FRI[0], place=a)
    assert e.value.code == "campaign_not_found"
    assert Session.objects.count() == 4
    late = services.sign_in(
        actor=w, session_id=Session.objects.get(on=FRI[3]).pk, participants=[Participant("周敏")]
    )
    assert len(late) == 1 and queries.totals(w).person_times == 11
    workflow.end_campaign(actor=w, campaign_id=c.pk, end=date(2026, 5, 8))
    with pytest.raises(Conflict):
        services.record_session(actor=w, campaign_id=c.pk, on=date(2026, 5, 8), place=a)
    assert CampaignEvent.objects.filter(campaign=c, verb="session").count() == 4


def test_only_the_organiser_records(scene, make_account):
    from cityloop.campaigns.models import Campaign

    with pytest.raises(Forbidden):
        services.create_campaign(
            actor=scene["outsider"],
            data=CampaignInput(
                code="X", title="x", kind="cleanup", organiser="JYL-SQ1", start=date(2026, 4, 1)
            ),
        )
    assert not Campaign.objects.filter(code="X").exists()


def test_participation_is_an_assessment_indicator(scene):
    """The assessment scores campaign person-times with the same hand counts as above."""
    from cityloop.assessment import indicators
    from cityloop.assessment.indicators import Context, Target

    ind = indicators.get("campaign_participation")
    assert ind.kind == "count" and ind.app == "campaigns"
    april = Context(date(2026, 4, 1), date(2026, 4, 30), [], "community")
    tree = scene["tree"]
    at = {
        "community": Target("c", "新华街社区", "community", place=tree.community_a),
        "a": Target("a", "06小区", "community", place=scene["a"]),
        "other": Target("b", "三湾街社区", "community", place=tree.community_b),
    }
    community = ind.fn(april, at["community"])
    assert (community.value, community.volume) == (9.0, 9)
    assert sorted(r["n"] for r in community.records) == [2, 3, 4]
    assert ind.fn(april, at["a"]).value == 7.0
    assert ind.fn(april, at["other"]).value == 0.0


def test_the_totals_export_as_the_calendar_shows_them(scene, client):
    from tests.xlsx import xlsx_rows

    client.force_login(scene["worker"])
    page = client.get("/campaigns/", {"start": "2026-04-01", "end": "2026-04-30"})
    assert "导出 Excel" in page.content.decode()
    rows = xlsx_rows(
        client.get("/campaigns/", {"start": "2026-04-01", "end": "2026-04-30", "format": "xlsx"})
    )
    assert rows[0] == ["事项", "数量", "计量单位", "类型"]
    figures = {r[0]: r[1] for r in rows[1:]}
    assert figures["场次"] == 3 and figures["人次"] == 9  # April, as the page says
    assert 6 in [r[1] for r in rows[1:] if r[3] == "投入资源"]  # 垃圾清运车 6 in April
    client.force_login(scene["outsider"])
    outsider = xlsx_rows(client.get("/campaigns/", {"format": "xlsx"}))
    assert {r[0]: r[1] for r in outsider[1:]} == {"场次": 0, "人次": 0}


def test_a_refused_day_keeps_its_uploads_for_the_next(scene):
    """The photos are claimed inside the day's transaction: a day refused after the claim (it
    is already recorded) leaves them unused, and the same ids serve the next day."""
    import io

    from PIL import Image

    from cityloop.core.models import Upload
    from cityloop.core.photos import upload_save

    w, c, a = scene["worker"], scene["campaign"], scene["a"]
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    photo = upload_save(owner=w, filename="day.jpg", data=buf.getvalue())
    with pytest.raises(Conflict) as e:
        services.record_session(actor=w, campaign_id=c.pk, on=FRI[0], place=a, photo_ids=[photo.pk])
    assert e.value.code == "session_exists"
    assert Upload.objects.get(pk=photo.pk).used is False
    session = services.record_session(
        actor=w, campaign_id=c.pk, on=date(2026, 4, 24), place=a, photo_ids=[photo.pk]
    )
    assert session.photos == [photo.file]
    assert Upload.objects.get(pk=photo.pk).used is True
    event = CampaignEvent.objects.filter(verb="session").latest("pk")
    assert event.attachments == [photo.file]
