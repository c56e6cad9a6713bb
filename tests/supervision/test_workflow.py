"""Tasks through progress, lights, explanations, completion; scope and bad input."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.core.errors import Forbidden, InvalidInput, NotFound
from cityloop.core.models import Notification
from cityloop.supervision import queries, workflow
from cityloop.supervision.models import Explanation, LightRecord, SupervisionEvent, Task


def test_progress_report_relights_and_is_kept(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    task = make_task()
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="完成设计招标", percent=20)
    task.refresh_from_db()
    assert task.light == "red"  # plan ~50 %, 20 % reported: 30 points behind
    assert any(r["code"] == "behind_plan" for r in task.light_reasons)
    on_day(date(2026, 7, 3))
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="主体施工过半", percent=55)
    task.refresh_from_db()
    assert task.light == "blue"
    assert float(task.progress) == 55
    history = queries.progress_history(task)
    assert [h["percent"] for h in history] == [20.0, 55.0]
    verbs = list(task.events.values_list("verb", flat=True))
    assert verbs.count("progress") == 2 and verbs.count("light") == 2
    assert LightRecord.objects.filter(task=task).count() == 2


def test_red_opens_an_explanation_and_the_leader_reads_it(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    task = make_task()
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="刚开工", percent=5)
    explanation = Explanation.objects.get(task=task)
    assert explanation.state == "open"
    assert explanation.due_at > explanation.opened_at
    assert Notification.objects.filter(recipient=crew.doer, verb="task_red").exists()
    workflow.explain(actor=crew.doer, task_id=task.pk, text="因拆迁协商延误，已加派人手")
    explanation.refresh_from_db()
    assert explanation.state == "answered" and explanation.text.startswith("因拆迁")
    assert Notification.objects.filter(recipient=crew.leader, verb="task_explained").exists()
    with pytest.raises(Exception) as err:
        workflow.explain(actor=crew.doer, task_id=task.pk, text="再说一次")
    assert err.value.code == "explanation_not_required"


def test_complete_early_and_late(crew, make_task, on_day):
    on_day(date(2026, 11, 20))
    early = make_task("T-early")
    workflow.complete(actor=crew.supervisor, task_id=early.pk, done_on=date(2026, 11, 20))
    early.refresh_from_db()
    assert early.light == "done_early" and early.state == "done"
    late = make_task("T-late", deadline=date(2026, 11, 10))
    workflow.complete(actor=crew.supervisor, task_id=late.pk)
    late.refresh_from_db()
    assert late.light == "done_late"
    with pytest.raises(Exception) as err:
        workflow.report_progress(actor=crew.doer, task_id=late.pk, text="x", percent=1)
    assert err.value.code == "task_not_active"


def test_only_the_responsible_unit_reports_and_outsiders_see_nothing(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    task = make_task()
    with pytest.raises(NotFound):
        workflow.report_progress(actor=crew.outsider, task_id=task.pk, text="x", percent=50)
    assert not queries.visible_tasks(crew.outsider).exists()
    with pytest.raises(Forbidden):
        workflow.complete(actor=crew.doer, task_id=task.pk)
    assert Task.objects.get(pk=task.pk).state == "active"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"text": "", "percent": 10}, "progress_text_required"),
        ({"text": "x", "percent": 120}, "progress_percent_invalid"),
        ({"text": "x", "percent": "abc"}, "progress_percent_invalid"),
        ({"text": "x"}, "progress_number_required"),
        ({"text": "x", "value": 3}, "progress_no_indicator"),
        ({"text": "x", "percent": 10, "on": date(2026, 7, 3)}, "progress_in_future"),
    ],
)
def test_bad_progress_changes_nothing(crew, make_task, on_day, kw, code):
    on_day(date(2026, 7, 2))
    task = make_task()
    before = SupervisionEvent.objects.count()
    with pytest.raises(InvalidInput) as err:
        workflow.report_progress(actor=crew.doer, task_id=task.pk, **kw)
    assert err.value.code == code
    assert SupervisionEvent.objects.count() == before
    assert not task.reports.exists()


def test_indicator_value_gives_the_percent(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    task = make_task(indicator_name="一般公共预算收入", indicator_unit="万元", target_value=2000)
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="上半年入库", value=1100)
    task.refresh_from_db()
    assert float(task.progress) == 55.0 and float(task.current_value) == 1100


def test_sweep_stores_one_light_a_day_and_changes_are_events(crew, make_task, on_day):
    from cityloop.supervision.sweep import sweep_task_lights

    on_day(date(2026, 7, 1))
    task = make_task(deadline=date(2026, 7, 31))
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="按计划", percent=3)
    on_day(date(2026, 7, 2))
    sweep_task_lights()
    sweep_task_lights()  # a second pass on the same day writes nothing more
    assert LightRecord.objects.filter(task=task, on=date(2026, 7, 2)).count() == 1
    on_day(date(2026, 7, 27))  # four working days before the deadline, report late
    sweep_task_lights()
    task.refresh_from_db()
    assert task.light == "red"  # 3 % against a plan of ~84 %
    changes = list(task.events.filter(verb="light").values_list("to_state", flat=True))
    assert changes[-1] == "red"


def test_a_milestone_is_done_only_through_its_own_task(crew, make_task, on_day):
    from cityloop.supervision.models import Milestone

    on_day(date(2026, 7, 2))
    mine, other = make_task("T-a"), make_task("T-b")
    m = Milestone.objects.create(task=other, title="方案", due=date(2026, 8, 1))
    with pytest.raises(NotFound):
        workflow.complete_milestone(actor=crew.doer, task_id=mine.pk, milestone_id=m.pk)
    workflow.complete_milestone(actor=crew.doer, task_id=other.pk, milestone_id=m.pk)
    m.refresh_from_db()
    assert m.done_on == date(2026, 7, 2)
