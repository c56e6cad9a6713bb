"""The case loop end to end through the workflow functions, and the transition table."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cityloop.cases import workflow
from cityloop.cases.models import Case
from cityloop.core import clock
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from tests.cases.conftest import IN_COMPOUND, SH

pytestmark = pytest.mark.django_db


def verbs(case):
    return list(case.events.order_by("at", "pk").values_list("verb", flat=True))


def test_report_locates_the_point_and_starts_the_accept_clock(new_case, tree, at_monday):
    c = new_case
    assert c.status == "reported"
    assert c.place == tree.compound_a
    assert c.place_path == tree.compound_a.path
    assert c.dispatcher_unit == tree.office_a  # no community committee: the street dispatches
    assert c.stage == "accept"
    # 2 working hours from Monday 09:00 on 08:30–12:00 / 13:30–17:30 is 11:00.
    assert c.due_at == datetime(2026, 11, 23, 11, 0, tzinfo=SH)
    assert c.light == "green"
    assert len(c.code) == 12 and c.code.startswith("261123-")
    assert verbs(c) == ["report"]
    assert "乱堆物堆料" in c.search_text.split()


def test_full_loop_with_rework_and_return_visit(new_case, cast, at_monday):
    c = workflow.accept(actor=cast.desk, case_id=new_case.pk)
    assert (c.status, c.stage) == ("accepted", "dispatch")
    c = workflow.dispatch(actor=cast.desk, case_id=c.pk, unit=cast.cgb, note="请尽快清理")
    assert (c.status, c.responsible_unit, c.stage) == ("dispatched", cast.cgb, "handle")
    # 5 working days from Monday 09:00 → next Monday 09:00.
    assert c.handle_due_at == datetime(2026, 11, 30, 9, 0, tzinfo=SH)
    c = workflow.take(actor=cast.handler, case_id=c.pk)
    assert c.status == "handling"
    c = workflow.reply(actor=cast.handler, case_id=c.pk, result="已清理完毕")
    assert (c.status, c.stage) == ("replied", "verify")
    with pytest.raises(Forbidden) as e:  # the handler cannot verify its own reply
        workflow.verify(actor=cast.handler, case_id=c.pk, passed=True)
    assert e.value.code == "case_not_allowed"
    c = workflow.verify(actor=cast.desk, case_id=c.pk, passed=False, note="楼道里还有杂物")
    assert (c.status, c.rework_count) == ("handling", 1)
    c = workflow.reply(actor=cast.handler, case_id=c.pk, result="楼道也已清理")
    c = workflow.verify(actor=cast.verifier, case_id=c.pk, passed=True)
    assert (c.status, c.closed_on_time, c.stage) == ("closed", True, "return_visit")
    c = workflow.return_visit(actor=cast.desk, case_id=c.pk, satisfaction="dissatisfied")
    assert c.satisfaction == "dissatisfied" and c.visited_at is not None
    c = workflow.reopen(actor=cast.desk, case_id=c.pk, reason="居民反映又堆上了")
    assert (c.status, c.reopen_count, c.satisfaction) == ("dispatched", 1, "")
    assert verbs(c) == [
        "report",
        "accept",
        "dispatch",
        "take",
        "reply",
        "verify",
        "reply",
        "verify",
        "return_visit",
        "reopen",
    ]
    ev = c.events.get(verb="dispatch")
    assert ev.actor == cast.desk and ev.from_state == "accepted" and ev.to_state == "dispatched"


def test_invalid_transition_is_a_stable_409_code(new_case, cast):
    with pytest.raises(InvalidTransition) as e:
        workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    assert e.value.code == "case_bad_state" and e.value.http_status == 409
    assert Case.objects.get(pk=new_case.pk).status == "reported"  # nothing changed


def test_out_of_scope_is_not_found(new_case, cast):
    with pytest.raises(NotFound):
        workflow.accept(actor=cast.outsider, case_id=new_case.pk)


def test_resident_cannot_accept_but_can_cancel_own_report(new_case, cast):
    with pytest.raises(Forbidden):
        workflow.accept(actor=cast.resident, case_id=new_case.pk)
    c = workflow.cancel(actor=cast.resident, case_id=new_case.pk, reason="已自行解决")
    assert c.status == "cancelled" and c.light == ""


def test_reject_needs_a_reason(new_case, cast):
    with pytest.raises(InvalidInput) as e:
        workflow.reject(actor=cast.desk, case_id=new_case.pk, reason="  ")
    assert e.value.code == "reason_required"
    c = workflow.reject(actor=cast.desk, case_id=new_case.pk, reason="不属于城市管理范围")
    assert c.status == "rejected" and c.reject_reason == "不属于城市管理范围"


def test_send_back_records_who_refused(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    c = workflow.send_back(actor=cast.handler, case_id=new_case.pk, reason="不是我办职责")
    assert (c.status, c.responsible_unit) == ("accepted", None)
    ev = c.events.get(verb="send_back")
    assert ev.actor == cast.handler and ev.data["unit"] == "城管办"


def test_escalation_climbs_one_level_and_changes_the_desk(new_case, cast, tree):
    from cityloop.org import services as s

    district_office, _ = s.unit_save(
        actor=None, code="QWB", name="区委办", kind="party_government", place=tree.district
    )
    c = workflow.accept(actor=cast.desk, case_id=new_case.pk)
    assert c.level == "community"
    c = workflow.escalate(actor=cast.desk, case_id=c.pk, reason="需要街道协调")
    assert (c.level, c.status, c.dispatcher_unit) == ("street", "accepted", tree.office_a)
    c = workflow.escalate(actor=cast.desk, case_id=c.pk, reason="需要区级部门")
    assert (c.level, c.dispatcher_unit, c.escalations) == ("district", district_office, 2)
    # The street desk works at street level: a district case is no longer its to dispatch.
    with pytest.raises(Forbidden):
        workflow.dispatch(actor=cast.desk, case_id=c.pk, unit=tree.bureau)


def test_merge_counts_heat_on_the_master(new_case, cast, category):
    second = workflow.report(
        actor=None,
        source="resident",
        description="06小区3号楼门口乱堆物堆料",
        category=category,
        lng=IN_COMPOUND[0] + 0.0001,
        lat=IN_COMPOUND[1],
    )
    c = workflow.merge(actor=cast.desk, case_id=second.pk, master_id=new_case.pk)
    assert (c.status, c.master_id) == ("merged", new_case.pk)
    assert Case.objects.get(pk=new_case.pk).heat == 2
    with pytest.raises(InvalidInput):
        workflow.merge(actor=cast.desk, case_id=new_case.pk, master_id=new_case.pk)


def test_suspension_stops_the_clock(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    c = workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    due = c.due_at  # Monday 2026-11-30 09:00
    c = workflow.request(actor=cast.handler, case_id=c.pk, kind="suspend", reason="等待产权单位")
    with pytest.raises(Conflict):
        workflow.request(actor=cast.handler, case_id=c.pk, kind="extend", reason="x", days=1)
    c = workflow.decide(actor=cast.desk, case_id=c.pk, approve=True)
    assert (c.status, c.due_at, c.light) == ("suspended", None, "")
    # Two working days later (Wednesday 09:00) it resumes: the deadline moves by two days.
    with clock.frozen(datetime(2026, 11, 25, 9, 0, tzinfo=SH)):
        c = workflow.resume(actor=cast.desk, case_id=c.pk)
    assert c.status == "dispatched"
    assert c.due_at == due + timedelta(days=2)
    assert c.suspended_hours == pytest.approx(15.0)


def test_at_most_two_extensions(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    c = workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    due = c.due_at
    c = workflow.extend(actor=cast.desk, case_id=c.pk, days=1, reason="材料未到")
    # Monday 09:00 + 1 working day = Tuesday 09:00.
    assert c.due_at == due + timedelta(days=1)
    c = workflow.extend(actor=cast.desk, case_id=c.pk, days=1, reason="材料未到")
    with pytest.raises(Conflict) as e:
        workflow.extend(actor=cast.desk, case_id=c.pk, days=1, reason="再延")
    assert e.value.code == "case_extension_limit"
    assert Case.objects.get(pk=c.pk).extensions == 2


def test_resident_rates_on_the_tracking_page_with_phone(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    workflow.reply(actor=cast.handler, case_id=new_case.pk, result="已清理")
    workflow.verify(actor=cast.desk, case_id=new_case.pk, passed=True)
    with pytest.raises(NotFound):
        workflow.return_visit(
            actor=None, code=new_case.code, satisfaction="satisfied", reporter_phone="139"
        )
    c = workflow.return_visit(
        actor=None,
        code=new_case.code.lower(),
        satisfaction="satisfied",
        reporter_phone="138-0000-0001",
    )
    assert c.satisfaction == "satisfied"
    assert c.events.get(verb="return_visit").data["channel"] == "resident"


def test_patrol_report_is_tied_to_the_chiefs_zone(cast, tree, category, at_monday):
    c = workflow.report(
        actor=cast.chief,
        source="patrol",
        description="济源路路灯不亮",
        category=category,
        lng=113.265,
        lat=34.7851,
    )
    assert c.zone == tree.road_a and c.road == tree.road_a
    with pytest.raises(Forbidden) as e:
        workflow.report(
            actor=cast.resident, source="patrol", description="x", lng=113.265, lat=34.7851
        )
    assert e.value.code == "case_source_not_allowed"


def test_steward_reports_for_residents(cast, tree, at_monday):
    c = workflow.report(
        actor=cast.steward,
        source="steward",
        description="3号楼下水道堵塞，污水外溢",
        on_behalf_of="微信群 06小区居民群 王大爷",
        address="06小区3号楼",
    )
    assert c.place == tree.compound_a and c.on_behalf_of.startswith("微信群")
    assert c.category is None
    with pytest.raises(InvalidInput) as e:
        workflow.accept(actor=cast.desk, case_id=c.pk)
    assert e.value.code == "case_needs_category"


def test_bad_locations_are_refused(cast, category, at_monday):
    with pytest.raises(InvalidInput) as e:
        workflow.report(actor=None, source="resident", description="x", lng=120.0, lat=30.0)
    assert e.value.code == "case_outside_area"
    with pytest.raises(InvalidInput) as e:
        workflow.report(actor=None, source="resident", description="x")
    assert e.value.code == "case_location_required"
    assert Case.objects.count() == 0


def test_idempotency_key_gives_one_case(cast, category, at_monday):
    kw = dict(
        actor=cast.desk,
        source="desk",
        description="占道经营",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        idempotency_key="k-1",
        client="desk",
    )
    a = workflow.report(**kw)
    b = workflow.report(**kw)
    assert a.pk == b.pk and Case.objects.count() == 1


def test_steps_notify_the_people_they_concern(new_case, cast):
    from cityloop.core.models import Notification

    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    to_reporter = Notification.objects.get(verb="case_accept")
    assert to_reporter.recipient == cast.resident
    assert to_reporter.link == f"/track/{new_case.code}/" and new_case.code in to_reporter.title
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    to_unit = Notification.objects.filter(verb="case_dispatch")
    assert [n.recipient for n in to_unit] == [cast.handler]
    with pytest.raises(InvalidTransition):  # a refused step tells nobody anything
        workflow.verify(actor=cast.desk, case_id=new_case.pk, passed=True)
    assert not Notification.objects.filter(verb="case_close").exists()


def test_a_steward_reports_only_for_their_own_compound(cast, tree, at_monday):
    with pytest.raises(InvalidInput) as e:
        workflow.report(
            actor=cast.steward,
            source="steward",
            description="鸿泰花园门口垃圾满溢",
            address="鸿泰花园",
        )
    assert e.value.code == "case_place_not_yours"
    assert not Case.objects.exists()


def test_desk_news_reaches_the_desk_not_every_office(new_case, cast, tree, make_account):
    from cityloop.core.models import Notification

    community_worker = make_account("cw", roles=("community_worker",), unit=cast.cgb)
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    workflow.reply(actor=cast.handler, case_id=new_case.pk, result="已清理")
    told = {n.recipient for n in Notification.objects.filter(verb="case_reply")}
    # The street office's own staff hear it; the 城管办's community worker (no desk in the
    # street office) is told as a desk role in the subtree, the handler is not.
    assert cast.desk in told and cast.verifier in told and cast.handler not in told
    assert community_worker in told


def test_channels_follow_roles_and_duties(cast):
    # One rule for the intake page's choices and for report() itself.
    assert workflow.sources_for(cast.resident) == ["resident"]
    assert {"desk", "hotline", "supervision"} <= set(workflow.sources_for(cast.desk))
    assert "patrol" not in workflow.sources_for(cast.desk)
    assert "patrol" in workflow.sources_for(cast.chief)
    assert "steward" in workflow.sources_for(cast.steward)
    assert "steward" not in workflow.sources_for(cast.chief)


def test_an_extension_below_half_a_day_is_refused_by_the_workflow_as_by_the_form(cast, new_case):
    """The form said 0.5–30 and the workflow took anything above 0; the rule is now one."""
    from cityloop.cases.forms import ExtendForm
    from cityloop.core.errors import InvalidInput

    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    with pytest.raises(InvalidInput) as refused:
        workflow.extend(actor=cast.desk, case_id=new_case.pk, days=0.25, reason="材料未到")
    assert refused.value.code == "case_extension_days"
    new_case.refresh_from_db()
    assert new_case.extensions == 0
    form = ExtendForm({"days": "0.25", "reason": "材料未到"}, user=cast.desk, case=new_case)
    assert not form.is_valid() and "days" in form.errors
    assert workflow.extend(actor=cast.desk, case_id=new_case.pk, days=0.5, reason="材料未到")
