"""倒排工期: milestone dates backwards from the deadline, in working days."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.core.errors import InvalidInput
from cityloop.supervision import services
from cityloop.supervision.scheduling import Step, schedule_backward


def weekdays(d: date) -> bool:
    return d.weekday() < 5


def test_steps_end_on_the_deadline_and_chain_backwards():
    # deadline Fri 2026-07-31; 5 + 10 working days
    plan = schedule_backward(
        date(2026, 7, 31), [Step("设计", 5), Step("施工", 10)], is_workday=weekdays
    )
    assert [p.due for p in plan] == [date(2026, 7, 17), date(2026, 7, 31)]
    assert plan[1].starts == date(2026, 7, 20)  # Monday after the design is due
    assert plan[0].starts == date(2026, 7, 13)
    assert [p.planned_percent for p in plan] == [33.3, 100.0]


def test_a_deadline_on_a_holiday_moves_to_the_last_working_day(db):
    # 2026-10-04 is in the National Day holiday; the last working day before is 09-30.
    plan = schedule_backward(date(2026, 10, 4), [Step("验收", 1)])
    assert plan[0].due == date(2026, 9, 30)


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        ([], "schedule_no_steps"),
        ([Step("x", 0)], "schedule_step_days"),
        ([Step(" ", 1)], "schedule_step_title"),
    ],
)
def test_bad_steps(steps, code):
    with pytest.raises(InvalidInput) as err:
        schedule_backward(date(2026, 7, 31), steps, is_workday=weekdays)
    assert err.value.code == code


def test_set_milestones_from_steps_and_refuse_what_does_not_fit(crew, make_task, on_day):
    on_day(date(2026, 6, 1))
    task = make_task(start=date(2026, 6, 1), deadline=date(2026, 7, 31))
    created = services.set_milestones(
        actor=crew.supervisor, task_id=task.pk, steps=[Step("设计", 5), Step("施工", 10)]
    )
    assert [m.due for m in created] == [date(2026, 7, 17), date(2026, 7, 31)]
    with pytest.raises(InvalidInput) as err:
        services.set_milestones(actor=crew.supervisor, task_id=task.pk, steps=[Step("施工", 80)])
    assert err.value.code == "schedule_does_not_fit"
    assert task.milestones.count() == 2  # unchanged
