"""Stage deadlines on the work calendar: holidays, 调休 Saturdays, urgent hours, suspension."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cityloop.cases import deadlines, workflow
from cityloop.cases.deadlines import TimeLimit
from cityloop.core import clock
from cityloop.core.errors import InvalidInput
from tests.cases.conftest import IN_COMPOUND, SH

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_five_working_days_cross_national_day_and_the_tiaoxiu_saturday(db):
    # Dispatched Tuesday 2026-09-29 10:00. Working days: 09-30, then the holiday 10-01…07,
    # then 10-08 (Thu), 10-09 (Fri), 10-10 (调休 Saturday, worked), 10-12 (Mon).
    due = deadlines.add_limit(at(2026, 9, 29, 10, 0), TimeLimit(5, "work_days"))
    assert due == at(2026, 10, 12, 10, 0)


def test_the_tiaoxiu_sunday_before_national_day_is_worked(db):
    # 2026-09-20 (Sunday) is a 调休 workday: Friday 09-18 16:30 + 2 working hours lands on it.
    due = deadlines.add_limit(at(2026, 9, 18, 16, 30), TimeLimit(2, "work_hours"))
    assert due == at(2026, 9, 20, 9, 30)


def test_urgent_hours_and_calendar_days_run_round_the_clock(db):
    start = at(2026, 10, 1, 20, 0)  # a holiday evening
    assert deadlines.add_limit(start, TimeLimit(4, "urgent_hours")) == at(2026, 10, 2, 0, 0)
    assert deadlines.add_limit(start, TimeLimit(3, "calendar_days")) == at(2026, 10, 4, 20, 0)


def test_yellow_at_eighty_percent_red_when_due(db):
    c = deadlines.stage_clock(at(2026, 11, 23, 9, 0), TimeLimit(5, "work_days"))
    # 80 % of 5 × 7.5 h = 30 working hours → Thursday 09:00 (4 days of 7.5 h).
    assert c.warn_at == at(2026, 11, 27, 9, 0)
    assert (
        deadlines.light_at(at(2026, 11, 27, 8, 59), warn_at=c.warn_at, due_at=c.due_at) == "green"
    )
    assert (
        deadlines.light_at(at(2026, 11, 27, 9, 0), warn_at=c.warn_at, due_at=c.due_at) == "yellow"
    )
    assert deadlines.light_at(c.due_at, warn_at=c.warn_at, due_at=c.due_at) == "red"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5工作日", TimeLimit(5, "work_days")),
        ("2工作时", TimeLimit(2, "work_hours")),
        ("4紧急工作时", TimeLimit(4, "urgent_hours")),
        ("3 自然日", TimeLimit(3, "calendar_days")),
        ({"amount": 1.5, "type": "work_days"}, TimeLimit(1.5, "work_days")),
    ],
)
def test_limits_read_from_text_or_dict(text, expected):
    assert deadlines.parse_limit(text) == expected


@pytest.mark.parametrize("bad", ["", "五工作日", "-1工作日", "3 fortnights", {"amount": 2}])
def test_bad_limits_are_refused(bad):
    with pytest.raises(InvalidInput) as e:
        deadlines.parse_limit(bad, stage="handle")
    assert e.value.code == "time_limit_invalid"


def test_case_dispatched_before_national_day(cast, category):
    with clock.frozen(at(2026, 9, 29, 10, 0)):
        case = workflow.report(
            actor=cast.desk,
            source="desk",
            description="占道经营",
            category=category,
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
            accept=True,
        )
        case = workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=cast.cgb)
    assert case.handle_due_at == at(2026, 10, 12, 10, 0)
    # Replying on the 调休 Saturday is on time; the figures see it that way.
    with clock.frozen(at(2026, 10, 10, 11, 0)):
        workflow.reply(actor=cast.handler, case_id=case.pk, result="已劝离")
        case = workflow.verify(actor=cast.desk, case_id=case.pk, passed=True)
    assert case.closed_on_time is True
    # Handling time: 09-29 10:00→17:30 (6 h: 2 + 4) + 09-30 (7.5 h) + 10-08, 10-09 (15 h)
    # + 10-10 08:30→11:00 (2.5 h) = 31 working hours.
    assert case.handling_hours == pytest.approx(31.0)


def test_a_suspended_case_keeps_no_clock_and_the_sweeper_ignores_it(cast, new_case):
    from cityloop.cases.sweep import stale_light_ids

    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    case = workflow.suspend(actor=cast.desk, case_id=new_case.pk, reason="待产权单位确认")
    assert case.due_at is None and case.remaining_seconds == pytest.approx(5 * 7.5 * 3600)
    # A month later it is still not late: the clock stood still.
    assert new_case.pk not in stale_light_ids(clock.now() + timedelta(days=30))
    with clock.frozen(clock.now() + timedelta(days=30)):
        case = workflow.resume(actor=cast.desk, case_id=new_case.pk)
        assert case.light == "green"
