"""A report that names a hazard point is an alarm for the point's watch (issue 18 item 2): the
resident's /report/ page and the staff intake offer the hazard points; the case goes to the
point's round-the-clock unit and its person on duty is told, whoever reported it."""

from __future__ import annotations

import pytest

from cityloop.cases.models import Case, CaseEvent
from cityloop.core import clock
from cityloop.duty import workflow
from cityloop.duty.models import DutyAlert
from tests.duty.test_flood import _point, _staff_shift, _told, jul

pytestmark = pytest.mark.django_db


@pytest.fixture
def point(tree):
    return _point(tree.community_a, "H-JYL-01", "金桥下穿隧道积水点")


def test_a_resident_picks_the_hazard_point_and_the_person_on_duty_is_told(
    client, roster, point, urgent
):
    with clock.frozen(jul(14, 7)):
        _staff_shift(roster, jul(14, 8))
    with clock.frozen(jul(14, 9)):
        page = client.get("/report/").content.decode()
        assert "隐患点（可选）" in page and f'value="{point.code}"' in page
        assert "金桥下穿隧道积水点（新华街社区）" in page
        r = client.post(
            "/report/", {"description": "隧道积水已没过路牙", "hazard_point": point.code}
        )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert (case.zone, case.status, case.responsible_unit) == (point, "dispatched", roster.unit)
    # The resident named no category: the first urgent one in use (the alarm's default).
    assert case.source == "resident" and case.category.urgency == "urgent"
    assert case.place == point.place
    report = CaseEvent.objects.get(case=case, verb="report")
    assert report.data["alarm"] is True and report.data["hazard_point"] == point.code
    # A resident may not accept or dispatch: the watch's system account did.
    dispatch = CaseEvent.objects.get(case=case, verb="dispatch")
    assert dispatch.actor.username == workflow.ALARM_SYSTEM_USER
    assert not dispatch.actor.has_usable_password()
    assert DutyAlert.objects.get(case=case, stage="duty").person == roster.officer.person
    assert _told(roster.officer, "duty_duty") == 1


def test_staff_intake_names_the_hazard_point_and_dispatches_as_the_desk(
    client, cast, roster, point, urgent
):
    with clock.frozen(jul(14, 7)):
        _staff_shift(roster, jul(14, 8))
    client.force_login(cast.desk)
    with clock.frozen(jul(14, 9)):
        page = client.get("/cases/new/").content.decode()
        assert f'value="{point.code}"' in page
        r = client.post(
            "/cases/new/",
            {
                "source": "hotline",
                "category": str(urgent.pk),
                "description": "市民来电：隧道积水",
                "hazard_point": point.code,
                "accept": "on",
            },
        )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert (case.zone, case.status, case.responsible_unit) == (point, "dispatched", roster.unit)
    assert CaseEvent.objects.get(case=case, verb="dispatch").actor == cast.desk
    assert _told(roster.officer, "duty_duty") == 1


def test_an_unknown_hazard_point_is_refused_and_nothing_is_written(client, point, urgent):
    r = client.post("/report/", {"description": "积水", "hazard_point": "H-NOPE"})
    assert r.status_code == 400 and not Case.objects.exists()


def test_a_report_without_a_hazard_point_stays_at_the_desk(client, point, urgent, roster):
    r = client.post(
        "/report/", {"description": "路灯不亮", "address": "新华街社区06小区", "lng": "", "lat": ""}
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert (case.zone, case.status) == (None, "reported")
    assert not DutyAlert.objects.exists()
