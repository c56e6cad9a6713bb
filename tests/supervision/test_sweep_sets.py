"""The task light sweep in sets (issue 20): the same lights, records, events, explanations and
notices as the per-task path; once a day even when two sweeps race; the board reads today's
stored lights and computes only for another day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cityloop.core import clock, db
from cityloop.core.models import Notification
from cityloop.supervision import queries, workflow
from cityloop.supervision.models import Explanation, LightRecord, SupervisionEvent, Task
from cityloop.supervision.sweep import stale_task_ids, sweep_task_lights

pytestmark = pytest.mark.django_db


def _tasks(crew, make_task) -> list[int]:
    """A red task (behind plan), a yellow one (deadline near) and a blue one."""
    red = make_task("R1", deadline=date(2026, 7, 31))
    workflow.report_progress(actor=crew.doer, task_id=red.pk, text="慢", percent=3)
    yellow = make_task("Y1", start=date(2026, 6, 1), deadline=date(2026, 7, 8))
    workflow.report_progress(actor=crew.doer, task_id=yellow.pk, text="按计划", percent=95)
    blue = make_task("B1")
    workflow.report_progress(actor=crew.doer, task_id=blue.pk, text="超前", percent=60)
    ids = [red.pk, yellow.pk, blue.pk]
    # never lit yet: every light the sweep stores is a change
    Task.objects.filter(pk__in=ids).update(light="", light_reasons=[], light_on=None)
    Explanation.objects.filter(task_id__in=ids).delete()
    return ids


def _outcome(ids: list[int]) -> dict:
    return {
        "lights": sorted(Task.objects.filter(pk__in=ids).values_list("pk", "light", "light_on")),
        "records": sorted(
            LightRecord.objects.filter(task_id__in=ids).values_list("task_id", "on", "colour")
        ),
        "events": sorted(
            (e.task_id, e.verb, e.from_state, e.to_state, e.note)
            for e in SupervisionEvent.objects.filter(
                task_id__in=ids, verb__in=["light", "explanation_requested"]
            )
        ),
        "explanations": sorted(
            (x.task_id, x.state, x.due_at) for x in Explanation.objects.filter(task_id__in=ids)
        ),
        "notices": sorted(
            (n.recipient_id, n.verb, n.title, n.link)
            for n in Notification.objects.filter(verb__in=["task_red", "task_yellow"])
        ),
    }


def test_the_set_sweep_leaves_what_the_per_task_path_leaves(crew, make_task, on_day):
    on_day(date(2026, 7, 1))
    ids = _tasks(crew, make_task)
    on_day(date(2026, 7, 2))
    today = clock.today()
    with transaction.atomic():
        for pk in stale_task_ids(today):
            workflow.refresh_light(task_id=pk, as_of=today)
        expected = _outcome(ids)
        transaction.set_rollback(True)
    changed = sweep_task_lights()
    assert _outcome(ids) == expected
    colours = {colour for _pk, colour, _on in expected["lights"]}
    assert {"red", "yellow", "blue"} <= colours
    assert any(verb == "task_red" for _r, verb, *_ in expected["notices"])
    assert sum(changed.values()) == 3
    assert sweep_task_lights() == {}  # the second pass of the day writes nothing
    assert _outcome(ids) == expected


def test_a_sweep_that_loses_the_race_lights_nothing_twice(crew, make_task, on_day, monkeypatch):
    on_day(date(2026, 7, 1))
    ids = _tasks(crew, make_task)
    on_day(date(2026, 7, 2))
    real = db.id_list_sql
    raced = []

    def other_sweep_first(pks):
        if not raced:
            raced.append(True)
            sweep_task_lights()  # the other sweep claims every task between read and claim
        return real(pks)

    monkeypatch.setattr(db, "id_list_sql", other_sweep_first)
    assert sweep_task_lights() == {}
    assert raced
    assert LightRecord.objects.filter(task_id__in=ids, on=date(2026, 7, 2)).count() == 3
    assert Explanation.objects.filter(task_id__in=ids).count() == 1


def _board_queries(actor, as_of) -> int:
    with CaptureQueriesContext(connection) as ctx:
        queries.board(actor, as_of=as_of)
    return len(ctx.captured_queries)


def test_the_board_reads_stored_lights_today_and_computes_another_day(crew, make_task, on_day):
    on_day(date(2026, 7, 1))
    _tasks(crew, make_task)
    on_day(date(2026, 7, 2))
    sweep_task_lights()
    today = _board_queries(crew.supervisor, clock.today())
    for i in range(6):
        make_task(f"M{i}")
    sweep_task_lights()
    assert _board_queries(crew.supervisor, clock.today()) == today
    # reads the tasks and nothing per task or per fact: the stored lights are on the rows
    assert today <= 4, today
    other = _board_queries(crew.supervisor, clock.today() - timedelta(days=1))
    assert other >= today + 4  # reports, milestones, findings, letters: computed
    stored = {r.task.pk: r.colour for r in queries.board(crew.supervisor).rows}
    assert stored == dict(Task.objects.values_list("pk", "light"))


def _sweep_statements() -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        changed = sweep_task_lights()
    return len(ctx.captured_queries), changed


def test_a_pass_writes_in_a_fixed_number_of_statements(crew, make_task, on_day):
    """Lights, day records and events are one statement each (no bulk_update CASE per row,
    no batches): three times the tasks, the same statements."""
    on_day(date(2026, 7, 1))
    ids = _tasks(crew, make_task)
    on_day(date(2026, 7, 2))
    few, changed = _sweep_statements()
    assert sum(changed.values()) == 3
    on_day(date(2026, 7, 1))
    for i in range(2):  # two more of each light
        red = make_task(f"R{i + 2}", deadline=date(2026, 7, 31))
        workflow.report_progress(actor=crew.doer, task_id=red.pk, text="慢", percent=3)
        yellow = make_task(f"Y{i + 2}", start=date(2026, 6, 1), deadline=date(2026, 7, 8))
        workflow.report_progress(actor=crew.doer, task_id=yellow.pk, text="按计划", percent=95)
        blue = make_task(f"B{i + 2}")
        workflow.report_progress(actor=crew.doer, task_id=blue.pk, text="超前", percent=60)
        ids += [red.pk, yellow.pk, blue.pk]
    Task.objects.filter(pk__in=ids).update(light="", light_reasons=[], light_on=None)
    LightRecord.objects.filter(task_id__in=ids).delete()
    Explanation.objects.filter(task_id__in=ids).delete()
    on_day(date(2026, 7, 2))
    many, changed = _sweep_statements()
    assert sum(changed.values()) == 9
    assert Task.objects.filter(pk__in=ids, light="red").count() == 3
    assert LightRecord.objects.filter(task_id__in=ids, on=date(2026, 7, 2)).count() == 9
    assert many == few
    # 23: the claim, the plain task rows, five fact reads, the writes one statement each, the
    # units of the changed tasks in one read and the new explanations' ids read back
    assert few == 23, few
