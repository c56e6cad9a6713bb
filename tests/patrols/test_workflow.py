"""Start, points, report through the case intake, end — and resends that change nothing."""

from datetime import timedelta

import pytest

from cityloop.cases.models import Case, IdempotencyKey
from cityloop.core import clock
from cityloop.core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from cityloop.patrols import workflow
from cityloop.patrols.models import Patrol, PatrolCase, PatrolEvent, PatrolPoint

from .conftest import ON_ROAD

pytestmark = pytest.mark.django_db


def test_start_over_own_zone_writes_event(chief, tree):
    p = workflow.start_patrol(actor=chief, client_key="k1")
    assert p.state == "ongoing" and list(p.zones.all()) == [tree.road_a]
    assert (p.role, p.level, p.place) == ("road_chief", "community", tree.street_a)
    assert PatrolEvent.objects.filter(patrol=p, verb="start").count() == 1
    # the same key again: the same patrol, nothing new
    assert workflow.start_patrol(actor=chief, client_key="k1").pk == p.pk
    assert Patrol.objects.count() == 1


def test_start_refusals(chief, tree, street_a_user):
    with pytest.raises(Forbidden) as e:
        workflow.start_patrol(actor=street_a_user)
    assert e.value.code == "patrol_no_duty"
    with pytest.raises(Exception) as e:
        workflow.start_patrol(actor=chief, zone_ids=[tree.road_b.pk])
    assert e.value.code == "patrol_zone_not_yours"
    workflow.start_patrol(actor=chief)
    with pytest.raises(Conflict):
        workflow.start_patrol(actor=chief)
    assert Patrol.objects.count() == 1


def test_points_are_thinned_and_deduplicated(chief):
    p = workflow.start_patrol(actor=chief)
    now = clock.now()
    pts = [
        workflow.PointIn(
            at=now + timedelta(seconds=i), lng=113.262 + i * 0.0001, lat=34.785, key=f"p{i}"
        )
        for i in range(10)
    ]  # ~9 m apart: every other one kept at 15 m
    kept = workflow.add_points(actor=chief, patrol_id=p.pk, points=pts)
    assert kept == 5
    assert workflow.add_points(actor=chief, patrol_id=p.pk, points=pts) == 0
    p.refresh_from_db()
    assert PatrolPoint.objects.filter(patrol=p).count() == 5
    assert 70 <= p.distance_m <= 80


def test_report_is_a_normal_patrol_case_linked_once(chief, tree):
    p = workflow.start_patrol(actor=chief)
    case = workflow.report_problem(
        actor=chief,
        patrol_id=p.pk,
        description="路面井盖缺失",
        lng=ON_ROAD[0],
        lat=ON_ROAD[1],
        idempotency_key="r1",
    )
    assert case.source == Case.Source.PATROL and case.zone == tree.road_a
    assert PatrolCase.objects.get(case=case).patrol == p
    again = workflow.report_problem(
        actor=chief, patrol_id=p.pk, description="路面井盖缺失", idempotency_key="r1"
    )
    assert again.pk == case.pk
    assert Case.objects.count() == 1 and PatrolCase.objects.count() == 1
    assert IdempotencyKey.objects.filter(client=f"user:{chief.pk}", key="r1").exists()
    ended = workflow.end_patrol(actor=chief, patrol_id=p.pk)
    assert ended.result == "problems"


def test_end_without_cases_is_no_problem_and_resend_is_safe(chief):
    p = workflow.start_patrol(actor=chief)
    ended = workflow.end_patrol(actor=chief, patrol_id=p.pk, key="e1", note="正常")
    assert (ended.state, ended.result) == ("ended", "no_problem")
    assert workflow.end_patrol(actor=chief, patrol_id=p.pk, key="e1").pk == p.pk
    with pytest.raises(InvalidTransition):
        workflow.end_patrol(actor=chief, patrol_id=p.pk, key="other")
    assert PatrolEvent.objects.filter(patrol=p, verb="end").count() == 1
    with pytest.raises(InvalidTransition):
        workflow.report_problem(actor=chief, patrol_id=p.pk, description="x")
    assert Case.objects.count() == 0


def test_other_street_cannot_see_or_touch(chief, street_b_user):
    p = workflow.start_patrol(actor=chief)
    with pytest.raises(NotFound):
        workflow.end_patrol(actor=street_b_user, patrol_id=p.pk)


def test_street_staff_sees_but_may_not_record(chief, street_a_user):
    p = workflow.start_patrol(actor=chief)
    with pytest.raises(Forbidden):
        workflow.end_patrol(actor=street_a_user, patrol_id=p.pk)
    p.refresh_from_db()
    assert p.state == "ongoing"
