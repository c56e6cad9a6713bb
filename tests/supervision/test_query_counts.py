"""Pinned query counts: the red/yellow/blue board page and a task's page do not read per task
or per report (the board's facts are batched)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityloop.supervision import workflow

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    client.get(url)  # caches warmed
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_the_board_reads_in_a_fixed_number_of_queries(client, crew, make_task, on_day):
    on_day(date(2026, 6, 1))
    client.force_login(crew.supervisor)
    url = reverse("supervision:board")
    first = make_task("T1")
    workflow.report_progress(actor=crew.doer, task_id=first.pk, text="进展", percent=30)
    few = _count(client, url)
    for i in range(2, 9):
        task = make_task(f"T{i}", deadline=date(2026, 6, 1 + i))
        workflow.report_progress(actor=crew.doer, task_id=task.pk, text="进展", percent=10 * i)
    more = _count(client, url)
    assert more == few
    assert more <= 52, more  # today 50: the shell, the filters, the tallies and the batch


def test_a_task_page_does_not_read_per_report(client, crew, make_task, on_day):
    on_day(date(2026, 6, 1))
    client.force_login(crew.supervisor)
    task = make_task("T1")
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="进展", percent=10)
    url = reverse("supervision:task", args=[task.pk])
    one = _count(client, url)
    for day in range(2, 8):
        on_day(date(2026, 6, day))
        workflow.report_progress(actor=crew.doer, task_id=task.pk, text="进展", percent=10 + day)
    assert _count(client, url) == one


def test_the_board_for_today_is_one_read_whatever_the_tasks(crew, make_task, on_day):
    """Issue 20: with every light stored for today the board reads the task rows once (the
    lights are on them) and nothing per task; for another day it computes in a fixed number."""
    from cityloop.core.system import SYSTEM
    from cityloop.supervision import queries
    from cityloop.supervision.sweep import sweep_task_lights

    def board_queries(actor, as_of) -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.board(actor, as_of=as_of)
        return len(ctx.captured_queries)

    on_day(date(2026, 6, 1))
    make_task("T1")
    sweep_task_lights()
    today, yesterday = date(2026, 6, 1), date(2026, 5, 31)
    few = (board_queries(SYSTEM, today), board_queries(SYSTEM, yesterday))
    scoped = board_queries(crew.supervisor, today)
    for i in range(2, 12):
        task = make_task(f"T{i}", deadline=date(2026, 6, 1 + i))
        workflow.report_progress(actor=crew.doer, task_id=task.pk, text="进展", percent=5 * i)
    sweep_task_lights()
    assert (board_queries(SYSTEM, today), board_queries(SYSTEM, yesterday)) == few
    assert few == (1, 6)  # the rows; then the policy, reports, milestones, findings, letters
    assert board_queries(crew.supervisor, today) == scoped
