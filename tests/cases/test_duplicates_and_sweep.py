"""Possible duplicates at intake, and the light sweeper (idempotent, once per change)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from cityloop.cases import queries, workflow
from cityloop.cases.models import Case, CaseEvent
from cityloop.cases.sweep import sweep_lights
from cityloop.core import clock
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db

METRE_LAT = 1 / 111_320  # degrees of latitude per metre


def test_distance_is_in_metres():
    d = queries.distance_metres(113.26, 34.78, 113.26, 34.78 + 100 * METRE_LAT)
    assert d == pytest.approx(100, abs=0.5)


def test_near_identical_report_20_m_away_is_offered_500_m_is_not(new_case, category):
    lng, lat = IN_COMPOUND
    text = "06小区3号楼门口乱堆物堆料，堵住了消防通道"
    near = queries.possible_duplicates(
        category=category, lng=lng, lat=lat + 20 * METRE_LAT, text=text
    )
    assert [d.case.pk for d in near] == [new_case.pk]
    assert near[0].distance_m == pytest.approx(20, abs=1)
    far = queries.possible_duplicates(
        category=category, lng=lng, lat=lat + 500 * METRE_LAT, text=text
    )
    assert far == []


def test_other_text_or_old_or_closed_cases_are_not_duplicates(new_case, category, cast):
    lng, lat = IN_COMPOUND
    assert (
        queries.possible_duplicates(
            category=category, lng=lng, lat=lat, text="路灯不亮，晚上一片漆黑"
        )
        == []
    )
    with clock.frozen(clock.now() + timedelta(days=8)):  # outside the 7-day window
        assert (
            queries.possible_duplicates(
                category=category, lng=lng, lat=lat, text=new_case.description
            )
            == []
        )
    workflow.reject(actor=cast.desk, case_id=new_case.pk, reason="已处理")
    assert (
        queries.possible_duplicates(category=category, lng=lng, lat=lat, text=new_case.description)
        == []
    )


def _overdue_case(cast, new_case):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    return workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)


def test_sweeper_turns_lights_and_writes_each_warning_once(cast, new_case):
    case = _overdue_case(cast, new_case)
    with clock.frozen(case.warn_at):
        assert sweep_lights()["yellow"] == 1
        assert sweep_lights() == {"yellow": 0, "red": 0, "green": 0}  # nothing left to do
    with clock.frozen(case.due_at + timedelta(minutes=1)):
        assert sweep_lights()["red"] == 1
        sweep_lights()
    verbs = list(
        CaseEvent.objects.filter(case=case, verb__startswith="light_").values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["light_yellow", "light_red"]
    assert Case.objects.get(pk=case.pk).light == "red"
    f = queries.CaseFilter(overdue=True)
    with clock.frozen(case.due_at + timedelta(minutes=1)):
        assert [c.pk for c in queries.case_rows(cast.desk, f)] == [case.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded_calendar")
def test_two_sweeps_at_once_write_one_warning(cast, category):
    with clock.frozen(clock.now()):
        case = workflow.report(
            actor=cast.desk,
            source="desk",
            description="井盖缺失",
            category=category,
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
            accept=True,
        )
        case = workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=cast.cgb)
    late = case.due_at + timedelta(hours=1)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run():
        try:
            with clock.frozen(late):
                barrier.wait()
                sweep_lights()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert CaseEvent.objects.filter(case=case, verb="light_red").count() == 1


def test_overdue_is_one_comparison_the_moment_the_light_turns_red(client, cast, new_case):
    """At its deadline exactly, a case is red in the sweep, overdue in the filter, on the
    workbench row and on its page — not red in one place and "not yet overdue" in another."""
    from django.urls import reverse

    from cityloop.cases import deadlines

    case = _overdue_case(cast, new_case)
    with clock.frozen(case.due_at):
        assert sweep_lights()["red"] == 1
        assert deadlines.is_overdue(case, case.due_at)
        f = queries.CaseFilter(overdue=True)
        assert [c.pk for c in queries.case_rows(cast.desk, f)] == [case.pk]
        not_overdue = queries.CaseFilter(overdue=False)
        assert case.pk not in [c.pk for c in queries.case_rows(cast.desk, not_overdue)]
        client.force_login(cast.desk)
        page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert '<span class="tag-bad">超时</span>' in page
    with clock.frozen(case.due_at - timedelta(seconds=1)):
        assert not deadlines.is_overdue(case, case.due_at - timedelta(seconds=1))


def test_visible_duplicates_are_the_possible_ones_the_actor_may_see(new_case, category, cast):
    """One rule behind the case page and GET /cases/{id}/duplicates."""
    later = workflow.report(
        actor=cast.resident,
        source="resident",
        description="06小区3号楼门口乱堆物堆料，堵住了消防通道",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1] + 20 * METRE_LAT,
        reporter_name="李女士",
        reporter_phone="13800000001",
    )
    assert [d.case.pk for d in queries.visible_duplicates(cast.desk, later)] == [new_case.pk]
    # Street B's desk: the same candidate is found, but lies outside what it may see.
    assert [
        d.case.pk
        for d in queries.possible_duplicates(
            category=category,
            lng=later.lng,
            lat=later.lat,
            text=f"{later.title} {later.description}",
            exclude_id=later.pk,
        )
    ] == [new_case.pk]
    assert queries.visible_duplicates(cast.outsider, later) == []


def test_the_duplicates_endpoint_answers_the_visible_rule(new_case, category, cast):
    from cityloop.core import tokens
    from tests.api.conftest import ApiClient

    later = workflow.report(
        actor=cast.resident,
        source="resident",
        description="06小区3号楼门口乱堆物堆料，堵住了消防通道",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1] + 20 * METRE_LAT,
        reporter_name="李女士",
        reporter_phone="13800000001",
    )
    desk = ApiClient(tokens.token_issue(user=cast.desk, label="test"))
    r = desk.get(f"/cases/{later.pk}/duplicates")
    assert (r.status_code, [d["id"] for d in r.json()]) == (200, [new_case.pk])
    assert r.json()[0]["code"] == new_case.code
