"""The light function: every rule, its boundaries, a holiday in the window, monotonicity."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cityloop.supervision.lights import (
    MilestoneFacts,
    Policy,
    TaskFacts,
    light,
    planned_percent,
    working_days_after,
)

# 2026-10-01..07 is the National Day holiday; in this test calendar Mon–Fri work, except the
# holiday, and Sunday 2026-10-11 is a make-up working day (调休).
HOLIDAY = {date(2026, 10, d) for d in range(1, 8)}
MAKEUP = {date(2026, 10, 11)}


def workday(day: date) -> bool:
    if day in MAKEUP:
        return True
    return day.weekday() < 5 and day not in HOLIDAY


P = Policy(is_workday=workday)


def facts(**kw) -> TaskFacts:
    base = {
        "start": date(2026, 1, 1),
        "deadline": date(2026, 12, 31),
        "progress": None,
        "last_report_on": None,
    }
    base.update(kw)
    return TaskFacts(**base)


def codes(reasons) -> set[str]:
    return {r["code"] for r in reasons}


# (case, facts, as_of, colour, reason codes that must be present)
TABLE = [
    (
        "on plan is blue",
        facts(progress=50, last_report_on=date(2026, 7, 1)),
        date(2026, 7, 2),
        "blue",
        {"on_schedule"},
    ),
    (
        "ahead is blue",
        facts(progress=90, last_report_on=date(2026, 7, 1)),
        date(2026, 7, 2),
        "blue",
        {"on_schedule"},
    ),
    (
        "not started is blue",
        facts(start=date(2026, 8, 1), progress=None),
        date(2026, 7, 2),
        "blue",
        {"on_schedule"},
    ),
    (
        "past deadline not done is red",
        facts(deadline=date(2026, 6, 30), progress=99, last_report_on=date(2026, 7, 1)),
        date(2026, 7, 1),
        "red",
        {"overdue"},
    ),
    (
        "the deadline day itself is not overdue",
        facts(deadline=date(2026, 7, 1), progress=100, last_report_on=date(2026, 7, 1)),
        date(2026, 7, 1),
        "yellow",
        {"deadline_near"},
    ),
    (
        "milestone overdue is red",
        facts(
            progress=60,
            last_report_on=date(2026, 7, 1),
            milestones=(MilestoneFacts("设计完成", date(2026, 6, 30), 40),),
        ),
        date(2026, 7, 1),
        "red",
        {"milestone_overdue"},
    ),
    (
        "milestone done on time is not overdue",
        facts(
            progress=60,
            last_report_on=date(2026, 7, 1),
            milestones=(MilestoneFacts("设计完成", date(2026, 6, 30), 40, date(2026, 6, 29)),),
        ),
        date(2026, 7, 1),
        "blue",
        {"on_schedule"},
    ),
    (
        "open problem finding is red",
        facts(progress=60, last_report_on=date(2026, 7, 1), open_problems=("工地围挡缺失",)),
        date(2026, 7, 2),
        "red",
        {"open_finding"},
    ),
    (
        "rectification past limit is red",
        facts(
            progress=60,
            last_report_on=date(2026, 7, 1),
            overdue_rectifications=(("垃圾清运不及时", date(2026, 6, 30)),),
        ),
        date(2026, 7, 2),
        "red",
        {"rectification_overdue"},
    ),
    (
        "unanswered letter is red",
        facts(
            progress=60,
            last_report_on=date(2026, 7, 1),
            overdue_letters=(("济源督〔2026〕3号", date(2026, 6, 30)),),
        ),
        date(2026, 7, 2),
        "red",
        {"letter_unanswered"},
    ),
    (
        "report late is yellow",
        facts(progress=60, last_report_on=date(2026, 6, 20)),
        date(2026, 7, 2),
        "yellow",
        {"report_late"},
    ),
    (
        "report on the last day of grace is not late",
        facts(progress=60, last_report_on=date(2026, 6, 23)),  # +7 +2 = 2026-07-02
        date(2026, 7, 2),
        "blue",
        {"on_schedule"},
    ),
    (
        "a finished task is done early",
        facts(state="done", done_on=date(2026, 11, 30)),
        date(2026, 12, 5),
        "done_early",
        {"done_early"},
    ),
    (
        "done on the deadline is on time",
        facts(state="done", done_on=date(2026, 12, 31)),
        date(2027, 1, 5),
        "done_on_time",
        {"done_on_time"},
    ),
    (
        "done after the deadline is late",
        facts(state="done", done_on=date(2027, 1, 4)),
        date(2027, 1, 5),
        "done_late",
        {"done_late"},
    ),
]


@pytest.mark.parametrize(
    ("facts_", "as_of", "colour", "must"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE]
)
def test_light_table(facts_, as_of, colour, must):
    got, reasons = light(facts_, as_of, P)
    assert got == colour, reasons
    assert must <= codes(reasons), reasons
    assert reasons[0]["colour"] == got  # worst reason first
    assert all(r["text"] for r in reasons)


def _at_plan(plan_behind: float, as_of: date) -> TaskFacts:
    f = facts(last_report_on=as_of)
    plan = planned_percent(f, as_of)
    return facts(progress=plan - plan_behind, last_report_on=as_of)


@pytest.mark.parametrize(
    ("behind", "colour"),
    [(9.9, "blue"), (10, "yellow"), (19.9, "yellow"), (20, "red"), (35, "red")],
)
def test_behind_plan_boundaries(behind, colour):
    as_of = date(2026, 7, 2)
    got, reasons = light(_at_plan(behind, as_of), as_of, P)
    assert got == colour, reasons
    if colour != "blue":
        assert "behind_plan" in codes(reasons)
        [r] = [r for r in reasons if r["code"] == "behind_plan"]
        assert r["data"]["behind"] == behind


def test_plan_line_follows_milestones():
    f = facts(
        start=date(2026, 1, 1),
        deadline=date(2026, 12, 31),
        milestones=(MilestoneFacts("方案", date(2026, 3, 1), 10),),
    )
    assert planned_percent(f, date(2026, 1, 1)) == 0
    assert planned_percent(f, date(2026, 3, 1)) == 10
    assert planned_percent(f, date(2026, 12, 31)) == 100
    # halfway between the milestone and the deadline: halfway between 10 and 100
    mid = date(2026, 3, 1) + (date(2026, 12, 31) - date(2026, 3, 1)) / 2
    assert planned_percent(f, mid) == pytest.approx(55, abs=0.3)


@pytest.mark.parametrize(
    ("as_of", "colour", "left"),
    [
        # deadline Fri 2026-07-17: from Fri 07-10, five working days (13..17) → yellow
        (date(2026, 7, 10), "yellow", 5),
        # from Thu 07-09: six working days → blue
        (date(2026, 7, 9), "blue", 6),
    ],
)
def test_exactly_five_working_days(as_of, colour, left):
    deadline = date(2026, 7, 17)
    f = TaskFacts(start=date(2026, 7, 1), deadline=deadline, progress=100, last_report_on=as_of)
    got, reasons = light(f, as_of, P)
    assert working_days_after(as_of, deadline, workday) == left
    assert got == colour, reasons


def test_holiday_inside_the_window_stretches_it():
    # Deadline Fri 2026-10-09. From Fri 09-25 that is 14 calendar days, but the National
    # Day week is off: working days are 09-28, 09-29, 09-30, 10-08, 10-09 = 5 → yellow.
    deadline = date(2026, 10, 9)
    f = TaskFacts(start=date(2026, 9, 1), deadline=deadline, progress=100, last_report_on=None)
    as_of = date(2026, 9, 25)
    assert working_days_after(as_of, deadline, workday) == 5
    got, reasons = light(TaskFacts(**{**f.__dict__, "last_report_on": as_of}), as_of, P)
    assert got == "yellow"
    [r] = [r for r in reasons if r["code"] == "deadline_near"]
    assert r["data"]["working_days"] == 5
    # The same span without the holiday counts ten working days: blue.
    plain = Policy(is_workday=lambda d: d.weekday() < 5)
    assert light(TaskFacts(**{**f.__dict__, "last_report_on": as_of}), as_of, plain)[0] == "blue"


def test_next_milestone_near_is_yellow():
    f = facts(
        progress=60,
        last_report_on=date(2026, 7, 1),
        milestones=(MilestoneFacts("主体完工", date(2026, 7, 6), 45),),
    )
    got, reasons = light(f, date(2026, 7, 1), P)
    assert got == "yellow"
    assert "milestone_near" in codes(reasons)


def test_policy_thresholds_are_used():
    as_of = date(2026, 7, 2)
    strict = Policy(red_behind_points=5, yellow_behind_points=2, is_workday=workday)
    assert light(_at_plan(6, as_of), as_of, strict)[0] == "red"
    assert light(_at_plan(6, as_of), as_of, P)[0] == "blue"


RANK = {"blue": 1, "yellow": 2, "red": 3}

days = st.integers(min_value=0, max_value=500)


@st.composite
def task_facts(draw):
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 200)))
    deadline = start + timedelta(days=draw(st.integers(0, 400)))
    milestones = tuple(
        MilestoneFacts(
            f"m{i}",
            start + timedelta(days=draw(st.integers(0, (deadline - start).days))),
            draw(st.one_of(st.none(), st.floats(0, 100))),
            None,
        )
        for i in range(draw(st.integers(0, 3)))
    )
    last = draw(st.one_of(st.none(), st.just(start + timedelta(days=draw(days)))))
    return TaskFacts(
        start=start,
        deadline=deadline,
        last_report_on=last,
        milestones=milestones,
        open_problems=("x",) if draw(st.booleans()) and draw(st.booleans()) else (),
    )


@given(
    f=task_facts(),
    offset=st.integers(-30, 600),
    low=st.floats(0, 100),
    more=st.floats(0, 100),
)
def test_more_progress_never_makes_a_light_worse(f, offset, low, more):
    as_of = f.start + timedelta(days=offset)
    high = min(100.0, low + more)
    worse_c, _ = light(TaskFacts(**{**f.__dict__, "progress": low}), as_of, P)
    better_c, _ = light(TaskFacts(**{**f.__dict__, "progress": high}), as_of, P)
    assert RANK[better_c] <= RANK[worse_c]
