"""Duty rosters [seed 003 确保24小时专人在岗，主管领导手机24小时保持畅通]: the person on duty gets
the urgent case; untaken within the limit, the leader on call gets it; a shift with nobody on
duty is red; swaps, handovers, scope and the .xlsx round trip."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook

from cityloop.cases import workflow as case_workflow
from cityloop.core import clock, sweep
from cityloop.core.errors import Conflict, Forbidden, InvalidInput
from cityloop.core.models import Notification
from cityloop.duty import imports, queries, workflow
from cityloop.duty.models import DutyAlert, Shift, ShiftEvent
from tests.duty.conftest import API, IN_COMPOUND, at

pytestmark = pytest.mark.django_db


def _shift(roster, start, hours=24, *, on_duty=None, leader=None, kind="full_day") -> Shift:
    return workflow.plan_shift(
        actor=roster.staff,
        data=workflow.ShiftInput(
            unit=roster.unit.code,
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            on_duty=on_duty.person.code if on_duty else "",
            leader=leader.person.code if leader else "",
        ),
    )


def _urgent_case(cast, roster):
    """An urgent case reported, accepted and dispatched to the duty office at the frozen now."""
    case = case_workflow.report(
        actor=cast.resident,
        source="resident",
        description="06小区3号楼燃气管道泄漏，有刺鼻气味",
        category=roster.urgent,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        reporter_name="李女士",
        reporter_phone="13800000001",
    )
    case_workflow.accept(actor=cast.desk, case_id=case.pk)
    return case_workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=roster.unit)


def _told(user, verb: str) -> int:
    return Notification.objects.filter(recipient=user, verb=verb).count()


@pytest.fixture
def staffed(roster, urgent):
    roster.urgent = urgent
    with clock.frozen(at(23, 7)):
        _shift(roster, at(23, 8), on_duty=roster.officer, leader=roster.leader)
    return roster


def test_urgent_case_goes_to_the_person_on_duty_then_to_the_leader_on_call(cast, staffed):
    r = staffed
    with clock.frozen(at(23, 9)):
        case = _urgent_case(cast, r)
    assert _told(r.officer, "duty_duty") == 1
    assert _told(r.leader, "duty_leader") == 0
    alert = DutyAlert.objects.get(case=case, stage="duty")
    assert alert.person == r.officer.person and alert.shift.on_duty == r.officer.person

    # 29 minutes later, untaken: not yet the leader's.
    with clock.frozen(at(23, 9, 29)):
        sweep.run_sweep()
    assert _told(r.leader, "duty_leader") == 0

    # Past the 30-minute limit: the leader on call is told, once, however often the sweep runs.
    with clock.frozen(at(23, 9, 31)):
        assert sweep.run_sweep()["duty_escalation"] == {"leader": 1}
        assert sweep.run_sweep()["duty_escalation"] == {"leader": 0}
    assert _told(r.leader, "duty_leader") == 1
    assert _told(r.officer, "duty_duty") == 1
    leader_alert = DutyAlert.objects.get(case=case, stage="leader")
    assert leader_alert.person == r.leader.person
    verbs = list(ShiftEvent.objects.filter(shift=alert.shift).values_list("verb", flat=True))
    assert verbs == ["create", "alert_duty", "alert_leader"]


def test_a_case_taken_within_the_limit_does_not_reach_the_leader(cast, staffed, settings):
    r = staffed
    settings.CITYLOOP.duty_escalate_minutes = 10
    with clock.frozen(at(23, 9)):
        case = _urgent_case(cast, r)
    with clock.frozen(at(23, 9, 5)):
        case_workflow.take(actor=r.officer, case_id=case.pk)
    with clock.frozen(at(23, 9, 11)):
        assert sweep.run_sweep()["duty_escalation"] == {"leader": 0}
    assert _told(r.leader, "duty_leader") == 0
    assert not DutyAlert.objects.filter(stage="leader").exists()


def test_a_normal_case_or_an_ordinary_unit_alerts_nobody(cast, staffed, category):
    r = staffed
    category.urgency = "normal"
    category.save(update_fields=["urgency"])
    with clock.frozen(at(23, 9)):
        _urgent_case(cast, r)
    with clock.frozen(at(23, 11)):
        sweep.run_sweep()
    assert not DutyAlert.objects.exists()
    assert _told(r.officer, "duty_duty") == 0 and _told(r.leader, "duty_leader") == 0


def test_with_nobody_on_duty_the_leader_is_told_at_dispatch(cast, roster, urgent):
    roster.urgent = urgent
    with clock.frozen(at(23, 7)):
        _shift(roster, at(23, 8), leader=roster.leader)
    with clock.frozen(at(23, 9)):
        _urgent_case(cast, roster)
    assert _told(roster.leader, "duty_leader") == 1


def test_empty_shift_is_red_on_the_roster_and_the_street_board(client, cast, roster):
    with clock.frozen(at(23, 7)):
        _shift(roster, at(23, 8), on_duty=roster.officer, leader=roster.leader)
        empty = _shift(roster, at(24, 8), leader=roster.leader)
        _shift(roster, at(25, 8), on_duty=roster.second)
    with clock.frozen(at(23, 9)):
        holes = queries.gaps(roster.unit, at(23, 8), at(26, 8))
        assert [(g.starts_at, g.shift) for g in holes] == [(at(24, 8), empty)]
        client.force_login(roster.staff)
        page = client.get(f"/duty/{roster.unit.code}/?month=2026-11").content.decode()
        # The day of the empty shift is red; the staffed days are not.
        assert 'data-day="2026-11-24" data-light="red"' in page
        assert 'data-day="2026-11-25" data-light="red"' not in page
        assert 'data-day="2026-11-23" data-light="red"' in page  # 00:00–08:00 has no shift
        home = client.get("/").content.decode()
    assert 'data-gap-unit="JYL-CGB-ZB"' in home
    assert f'href="/duty/shifts/{empty.pk}/"' in home


def test_another_streets_roster_is_not_found(client, roster, street_b_user):
    with clock.frozen(at(23, 7)):
        shift = _shift(roster, at(23, 8), on_duty=roster.officer)
    client.force_login(street_b_user)
    assert client.get(f"/duty/{roster.unit.code}/").status_code == 404
    assert client.get(f"/duty/shifts/{shift.pk}/").status_code == 404
    assert client.get(f"{API}/rosters/{roster.unit.code}").status_code == 404
    assert client.get(f"{API}/rosters/{roster.unit.code}/now").status_code == 404
    home = client.get("/").content.decode()
    assert "JYL-CGB-ZB" not in home


def test_swap_asked_by_the_person_and_approved_by_the_unit(roster):
    with clock.frozen(at(23, 7)):
        shift = _shift(roster, at(24, 8), on_duty=roster.officer, leader=roster.leader)
        with pytest.raises(Forbidden):  # not the second officer's place to give away
            workflow.request_swap(
                actor=roster.second,
                shift_id=shift.pk,
                role="on_duty",
                replacement=roster.second.person.code,
                reason="想换",
            )
        swap = workflow.request_swap(
            actor=roster.officer,
            shift_id=shift.pk,
            role="on_duty",
            replacement=roster.second.person.code,
            reason="家中有事",
        )
        with pytest.raises(Forbidden):  # the person asking does not approve
            workflow.decide_swap(actor=roster.officer, swap_id=swap.pk, approve=True)
        workflow.decide_swap(actor=roster.staff, swap_id=swap.pk, approve=True)
        with pytest.raises(Conflict):
            workflow.decide_swap(actor=roster.staff, swap_id=swap.pk, approve=False)
    shift.refresh_from_db()
    assert shift.on_duty == roster.second.person and shift.leader == roster.leader.person
    verbs = list(shift.events.order_by("at", "pk").values_list("verb", flat=True))
    assert verbs == ["create", "swap_request", "swap_approve"]
    assert _told(roster.officer, "duty_swap") == 1 and _told(roster.second, "duty_swap") == 1


def test_handover_names_the_open_matters_and_the_next_person(roster):
    with clock.frozen(at(23, 7)):
        first = _shift(roster, at(23, 8), on_duty=roster.officer)
        _shift(roster, at(24, 8), on_duty=roster.second)
    with clock.frozen(at(24, 8)):
        h = workflow.hand_over(
            actor=roster.officer,
            shift_id=first.pk,
            summary="夜间巡查2次，处置占道1起",
            open_matters="济源路井盖缺失待区住建局回复",
        )
        assert (h.handed_by, h.received_by) == (roster.officer.person, roster.second.person)
        with pytest.raises(Conflict):
            workflow.hand_over(actor=roster.officer, shift_id=first.pk, summary="再交一次")
    assert first.events.filter(verb="handover").count() == 1


def test_roster_xlsx_round_trip(client, roster, tmp_path):
    with clock.frozen(at(23, 7)):
        _shift(roster, at(23, 8), on_duty=roster.officer, leader=roster.leader)
        _shift(roster, at(24, 8), 12, on_duty=roster.second, kind="day")
        _shift(roster, at(24, 20), 12, leader=roster.leader, kind="night")
        client.force_login(roster.staff)
        response = client.get(f"/duty/{roster.unit.code}/?month=2026-11&format=xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["日期", "班次", "开始", "结束", "值班人员编号", "值班人员"]
    assert rows[3][1:4] == ["夜班", "20:00", "08:00"]
    before = [
        (s.kind, s.starts_at, s.ends_at, s.on_duty_id, s.leader_id)
        for s in Shift.objects.order_by("starts_at")
    ]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(data)
    # The same file again changes nothing; into an empty roster it makes the same shifts.
    with clock.frozen(at(23, 8)):
        again = imports.import_roster(roster.staff, roster.unit, path)
        assert again.ok and again.total("unchanged") == 3 and again.total("created") == 0
        Shift.objects.all().delete()
        fresh = imports.import_roster(roster.staff, roster.unit, path)
    assert fresh.ok and fresh.total("created") == 3
    after = [
        (s.kind, s.starts_at, s.ends_at, s.on_duty_id, s.leader_id)
        for s in Shift.objects.order_by("starts_at")
    ]
    assert after == before


def test_roster_import_reports_every_bad_row_and_writes_nothing(roster, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "班次", "开始", "结束", "值班人员编号", "带班领导编号"])
    sheet.append(["2026-11-23", "24小时", "08:00", "08:00", roster.officer.person.code, ""])
    sheet.append(["2026-11-24", "早班", "08:00", "20:00", "", ""])
    sheet.append(["2026-11-25", "白班", "8点", "20:00", "NOBODY", ""])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with clock.frozen(at(23, 7)):
        report = imports.import_roster(roster.staff, roster.unit, path)
    assert not report.ok
    assert sorted({(e.line, e.column) for e in report.errors}) == [
        (3, "班次"),
        (4, "值班人员编号"),
        (4, "开始"),
    ]
    assert not Shift.objects.exists()


def test_case_page_shows_who_is_on_duty_for_the_responsible_unit(client, cast, staffed):
    with clock.frozen(at(23, 9)):
        case = _urgent_case(cast, staffed)
        client.force_login(cast.desk)
        page = client.get(f"/cases/{case.pk}/").content.decode()
        api = client.get(f"{API}/rosters/{staffed.unit.code}/now").json()
    assert f'data-on-duty="{staffed.unit.code}"' in page
    assert staffed.officer.person.name in page and staffed.leader.person.name in page
    assert api["shift"]["on_duty"]["code"] == staffed.officer.person.code
    assert api["nobody_on_duty"] is False


def test_overlapping_shift_is_refused(roster):
    with clock.frozen(at(23, 7)):
        _shift(roster, at(23, 8), on_duty=roster.officer)
        with pytest.raises(Conflict):
            _shift(roster, at(23, 20), 12, on_duty=roster.second, kind="night")
    assert Shift.objects.count() == 1


def test_a_failing_alert_never_fails_the_dispatch_and_the_sweep_makes_it_up(
    cast, staffed, monkeypatch
):
    r = staffed
    real = workflow.alert_dispatched

    def broken(case):
        raise RuntimeError("channel down")

    monkeypatch.setattr(workflow, "alert_dispatched", broken)
    with clock.frozen(at(23, 9)):
        case = _urgent_case(cast, r)
    case.refresh_from_db()
    assert case.status == "dispatched" and not DutyAlert.objects.exists()
    monkeypatch.setattr(workflow, "alert_dispatched", real)
    with clock.frozen(at(23, 9, 1)):
        assert sweep.run_sweep()["duty_escalation"] == {"leader": 0}
    assert _told(r.officer, "duty_duty") == 1 and _told(r.leader, "duty_leader") == 0


def test_dispatch_form_shows_who_is_on_duty_at_the_routed_unit(client, cast, staffed):
    r = staffed
    r.urgent.routing, r.urgent.default_unit = "unit", r.unit
    r.urgent.save(update_fields=["routing", "default_unit"])
    with clock.frozen(at(23, 9)):
        case = case_workflow.report(
            actor=cast.resident,
            source="resident",
            description="06小区燃气泄漏",
            category=r.urgent,
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
            reporter_name="李女士",
            reporter_phone="13800000001",
        )
        case_workflow.accept(actor=cast.desk, case_id=case.pk)
        client.force_login(cast.desk)
        page = client.get(f"/cases/{case.pk}/?action=dispatch").content.decode()
    panel = page[page.index('data-open-action="dispatch"') :]
    assert f'data-on-duty="{r.unit.code}"' in panel
    assert r.officer.person.name in panel


def test_only_people_of_the_units_line_stand_its_watch(roster, make_account, tree):
    """Another street's staff can be neither on duty, nor leader on call, nor a replacement."""
    from cityloop.duty.models import Swap

    stranger = make_account("zxl-duty", roles=("street_staff",), unit=tree.office_b)
    with clock.frozen(at(23, 7)):
        shift = _shift(roster, at(24, 8), on_duty=roster.officer, leader=roster.leader)
        for kwargs in ({"on_duty": stranger.person.code}, {"leader": stranger.person.code}):
            with pytest.raises(InvalidInput) as err:
                workflow.assign(actor=roster.staff, shift_id=shift.pk, **kwargs)
            assert err.value.code == "duty_person_outside_unit"
        with pytest.raises(InvalidInput) as err:
            workflow.request_swap(
                actor=roster.officer,
                shift_id=shift.pk,
                role="on_duty",
                replacement=stranger.person.code,
                reason="家中有事",
            )
        assert err.value.code == "duty_person_outside_unit"
        with pytest.raises(InvalidInput):
            _shift(roster, at(25, 8), on_duty=stranger)
    shift.refresh_from_db()
    assert (shift.on_duty, shift.leader) == (roster.officer.person, roster.leader.person)
    assert not Swap.objects.exists() and Shift.objects.count() == 1
