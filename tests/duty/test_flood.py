"""Hazard points and the duty watch; the flood season's three checks (汛前 / 汛中 / 汛后)
[seed 003 防汛隐患点, 24小时专人在岗; issue 18 item 2]."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from cityloop.cases import workflow as case_workflow
from cityloop.core import clock, sweep
from cityloop.core.errors import Conflict
from cityloop.core.models import Notification
from cityloop.duty import hazards, queries, workflow
from cityloop.duty.models import DutyAlert, FloodCheck
from cityloop.supervision.models import Finding, Rectification
from tests.duty.conftest import IN_COMPOUND, SH

pytestmark = pytest.mark.django_db

ZONES = "/api/v1/zones"
FLOOD = "/api/v1/duty/flood-plans"


def jul(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=SH)


def _told(user, verb: str) -> int:
    return Notification.objects.filter(recipient=user, verb=verb).count()


def _point(place, code: str, name: str = "防汛隐患点", lnglat=IN_COMPOUND):
    from cityloop.org import services as s

    zone, _ = s.zone_save(
        actor=None,
        code=code,
        name=name,
        kind="hazard_point",
        place=place,
        geometry_json={"type": "Point", "coordinates": list(lnglat)},
        attrs={"hazard": "flood", "on_ledger": True},
    )
    return zone


@pytest.fixture
def point(tree):
    return _point(tree.community_a, "H-JYL-01", "金桥下穿隧道积水点")


@pytest.fixture
def far_point(tree):
    return _point(tree.street_b, "H-ZXL-01", "中心路低洼积水点", (113.30, 34.80))


def _staff_shift(roster, start):
    return workflow.plan_shift(
        actor=roster.staff,
        data=workflow.ShiftInput(
            unit=roster.unit.code,
            kind="full_day",
            starts_at=start,
            ends_at=start + timedelta(hours=24),
            on_duty=roster.officer.person.code,
            leader=roster.leader.person.code,
        ),
    )


def test_hazard_point_goes_to_the_nearest_round_the_clock_unit(roster, point):
    assert hazards.responsible_unit(point) == roster.unit
    assert hazards.season(point) == (5, 10)


def test_alarm_reaches_the_person_on_duty_then_the_leader_on_call(
    client, cast, roster, point, urgent
):
    with clock.frozen(jul(14, 7)):
        _staff_shift(roster, jul(14, 8))
    client.force_login(cast.desk)
    with clock.frozen(jul(14, 9)):
        made = client.post(
            f"{ZONES}/{point.code}/alarm",
            {"description": "水位传感器：积水超过30厘米"},
            content_type="application/json",
            headers={"Idempotency-Key": "sensor-1"},
        )
        assert made.status_code == 201, made.content
        body = made.json()
        assert body["status"] == "dispatched"
        assert body["unit"]["code"] == roster.unit.code
        assert body["on_duty"]["name"] == roster.officer.person.name
        again = client.post(
            f"{ZONES}/{point.code}/alarm",
            {"description": "水位传感器：积水超过30厘米"},
            content_type="application/json",
            headers={"Idempotency-Key": "sensor-1"},
        )
        assert again.status_code == 200 and again.json()["case"] == body["case"]
    assert _told(roster.officer, "duty_duty") == 1
    assert _told(roster.leader, "duty_leader") == 0
    alert = DutyAlert.objects.get(case_id=body["case"], stage="duty")
    assert alert.person == roster.officer.person
    with clock.frozen(jul(14, 9, 31)):
        assert sweep.run_sweep()["duty_escalation"] == {"leader": 1}
        assert sweep.run_sweep()["duty_escalation"] == {"leader": 0}
    assert _told(roster.leader, "duty_leader") == 1


def _report_at_point(cast, point, category, unit):
    case = case_workflow.report(
        actor=cast.desk,
        source="desk",
        description="隐患点旁排水口堵塞",
        category=category,
        zone=point,
        reporter_name="王师傅",
        reporter_phone="13800000002",
    )
    case_workflow.accept(actor=cast.desk, case_id=case.pk)
    return case_workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=unit)


def test_a_case_at_a_hazard_point_is_watched_in_its_season_only(cast, roster, point, category):
    """The category is a normal one: the hazard point alone makes the case watched."""
    assert category.urgency != "urgent"
    with clock.frozen(jul(14, 7)):
        _staff_shift(roster, jul(14, 8))
        _staff_shift(roster, datetime(2026, 11, 23, 8, tzinfo=SH))
    with clock.frozen(jul(14, 9)):
        in_season = _report_at_point(cast, point, category, roster.unit)
    assert DutyAlert.objects.filter(case=in_season, stage="duty").count() == 1
    with clock.frozen(jul(14, 10)):
        assert workflow.untaken_ids(clock.now()) == [in_season.pk]
    with clock.frozen(datetime(2026, 11, 23, 9, tzinfo=SH)):
        out_of_season = _report_at_point(cast, point, category, roster.unit)
    assert not DutyAlert.objects.filter(case=out_of_season).exists()
    with clock.frozen(datetime(2026, 11, 23, 11, tzinfo=SH)):
        assert out_of_season.pk not in workflow.untaken_ids(clock.now())


def test_an_alarm_out_of_season_is_still_watched(client, cast, roster, point, urgent):
    urgent.urgency = "normal"
    urgent.save(update_fields=["urgency"])
    with clock.frozen(datetime(2026, 11, 23, 7, tzinfo=SH)):
        _staff_shift(roster, datetime(2026, 11, 23, 8, tzinfo=SH))
    with clock.frozen(datetime(2026, 11, 23, 9, tzinfo=SH)):
        case = workflow.raise_alarm(actor=cast.desk, code=point.code, category=urgent.code)
    assert case.status == "dispatched" and case.zone == point
    assert _told(roster.officer, "duty_duty") == 1


def test_flood_plan_schedules_every_point_once(cast, roster, point, far_point, tree):
    with clock.frozen(datetime(2026, 4, 20, 9, tzinfo=SH)):
        plan = workflow.plan_flood_season(actor=cast.desk, place=tree.street_a.code, year=2026)
        checks = FloodCheck.objects.filter(plan=plan)
        assert sorted(checks.values_list("window", flat=True)) == ["after", "before", "during"]
        assert {c.zone_id for c in checks} == {point.pk}  # street B's point is not in scope
        assert {c.unit_id for c in checks} == {roster.unit.pk}
        before = checks.get(window="before")
        assert (before.starts, before.due) == (date(2026, 5, 1), date(2026, 5, 31))
        # Twice: nothing new, and planning the same year again keeps the one plan.
        assert workflow.schedule_checks(actor=cast.desk, plan_id=plan.pk) == 0
        again = workflow.plan_flood_season(actor=cast.desk, place=tree.street_a.code, year=2026)
        assert again.pk == plan.pk and FloodCheck.objects.count() == 3
        _point(tree.community_a, "H-JYL-02", "新增积水点", (113.265, 34.785))
        assert workflow.schedule_checks(actor=cast.desk, plan_id=plan.pk) == 3
        assert workflow.schedule_checks(actor=cast.desk, plan_id=plan.pk) == 0
    assert FloodCheck.objects.count() == 6


def test_missed_check_is_red_and_a_problem_feeds_the_ledger(client, cast, roster, point, tree):
    with clock.frozen(datetime(2026, 4, 20, 9, tzinfo=SH)):
        plan = workflow.plan_flood_season(actor=cast.desk, place=tree.street_a.code, year=2026)
        during = FloodCheck.objects.get(plan=plan, window="during")
        with pytest.raises(Conflict):  # its window has not opened
            workflow.record_check(actor=cast.desk, check_id=during.pk, summary="已检查")
    client.force_login(cast.desk)
    with clock.frozen(datetime(2026, 6, 5, 10, tzinfo=SH)):
        page = client.get(f"/duty/flood/{plan.pk}/").content.decode()
        before = FloodCheck.objects.get(plan=plan, window="before")
        row = page[page.index(f'data-check="{before.pk}"') :]
        row = row[: row.index("</tr>")]
        assert 'data-state="overdue"' in row and 'data-light="red"' in row
        done = client.post(
            f"/duty/flood/checks/{during.pk}/",
            {"summary": "汛中检查：排水泵站运行正常", "problem": "隧道口挡水板缺失两块"},
        )
        assert done.status_code == 302
    during.refresh_from_db()
    assert during.inspection is not None and during.done_on == date(2026, 6, 5)
    finding = Finding.objects.get(inspection=during.inspection)
    assert finding.unit == roster.unit and finding.place == point.place
    assert finding.rectification.state == Rectification.State.OPEN
    with clock.frozen(datetime(2026, 6, 5, 11, tzinfo=SH)):
        rows = {r.check.window: r.state for r in queries.plan_checks(cast.desk, plan)}
        assert rows == {"before": "overdue", "during": "done", "after": "upcoming"}
        api = client.get(f"{FLOOD}/{plan.pk}").json()
        assert api["counts"]["overdue"] == 1 and api["counts"]["done"] == 1
        with pytest.raises(Conflict):
            workflow.record_check(actor=cast.desk, check_id=during.pk, summary="再查")


def test_other_streets_hazard_points_and_plans_are_not_found(
    client, cast, roster, point, far_point, tree, urgent
):
    with clock.frozen(datetime(2026, 4, 20, 9, tzinfo=SH)):
        plan = workflow.plan_flood_season(actor=cast.desk, place=tree.street_a.code, year=2026)
    check = FloodCheck.objects.filter(plan=plan).first()
    client.force_login(cast.outsider)
    with clock.frozen(datetime(2026, 6, 5, 10, tzinfo=SH)):
        assert client.get(f"/duty/hazards/{point.code}/").status_code == 404
        assert client.post(f"/duty/hazards/{point.code}/alarm/").status_code == 404
        assert (
            client.post(
                f"{ZONES}/{point.code}/alarm", {}, content_type="application/json"
            ).status_code
            == 404
        )
        assert client.get(f"/duty/flood/{plan.pk}/").status_code == 404
        assert client.get(f"{FLOOD}/{plan.pk}").status_code == 404
        assert client.post(f"/duty/flood/checks/{check.pk}/", {"summary": "x"}).status_code == 404
        assert client.get(f"/duty/hazards/{far_point.code}/").status_code == 200
        listing = client.get("/duty/flood/").content.decode()
    assert point.name not in listing and far_point.name in listing


def test_hazard_page_alarm_button_dispatches_and_says_so(client, cast, roster, point, urgent):
    with clock.frozen(jul(14, 7)):
        _staff_shift(roster, jul(14, 8))
    client.force_login(cast.desk)
    with clock.frozen(jul(14, 9)):
        page = client.get(f"/duty/hazards/{point.code}/").content.decode()
        assert 'data-form="alarm"' in page and roster.officer.person.name in page
        done = client.post(
            f"/duty/hazards/{point.code}/alarm/", {"description": "巡查发现积水"}, follow=True
        )
    assert done.status_code == 200
    assert _told(roster.officer, "duty_duty") == 1
