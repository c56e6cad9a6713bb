"""倒排工期: milestone dates proposed backwards from a deadline, in working days.

Each step takes a number of working days and ends on its due date; the step before it ends on
the working day before this one starts. The last step ends on the deadline. The proposal also
says on which day the first step must start, so that a plan that cannot fit between the
task's start and its deadline is seen before anyone agrees to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from cityloop.core.errors import InvalidInput

MAX_STEP_DAYS = 400


@dataclass(frozen=True)
class Step:
    title: str
    duration_days: int


@dataclass(frozen=True)
class ProposedMilestone:
    title: str
    duration_days: int
    starts: date
    due: date
    planned_percent: float


def _previous_workday(day: date, is_workday: Callable[[date], bool]) -> date:
    day -= timedelta(days=1)
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def _last_workday_on_or_before(day: date, is_workday: Callable[[date], bool]) -> date:
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def schedule_backward(
    deadline: date,
    steps: Sequence[Step],
    *,
    is_workday: Callable[[date], bool] | None = None,
) -> list[ProposedMilestone]:
    """Due dates for ``steps`` (in order) so that the last ends on ``deadline``.

    Planned percents are the share of working days done by each due date, so the plan line
    the lights read follows the schedule.
    """
    if is_workday is None:
        from cityloop.core import worktime

        is_workday = worktime.is_workday
    _check(steps)
    total = sum(s.duration_days for s in steps)
    proposed: list[ProposedMilestone] = []
    due = _last_workday_on_or_before(deadline, is_workday)
    done_after = total
    for step in reversed(steps):
        starts = due
        for _i in range(step.duration_days - 1):
            starts = _previous_workday(starts, is_workday)
        proposed.append(
            ProposedMilestone(
                title=step.title.strip(),
                duration_days=step.duration_days,
                starts=starts,
                due=due,
                planned_percent=round(100 * done_after / total, 1),
            )
        )
        done_after -= step.duration_days
        due = _previous_workday(starts, is_workday)
    proposed.reverse()
    return proposed


def planned_percents(steps: Sequence[Step]) -> list[float]:
    """The planned percent at the end of each step, as :func:`schedule_backward` gives it
    (for a plan whose dates were edited by hand after the proposal)."""
    _check(steps)
    total = sum(s.duration_days for s in steps)
    result, done = [], 0
    for step in steps:
        done += step.duration_days
        result.append(round(100 * done / total, 1))
    return result


def _check(steps: Sequence[Step]) -> None:
    if not steps:
        raise InvalidInput("schedule_no_steps", _("Give at least one step to schedule."))
    for step in steps:
        if not step.title.strip():
            raise InvalidInput("schedule_step_title", _("Every step needs a title."))
        if not 1 <= step.duration_days <= MAX_STEP_DAYS:
            raise InvalidInput(
                "schedule_step_days",
                _("A step takes 1 to %(max)d working days.") % {"max": MAX_STEP_DAYS},
                {"title": step.title, "duration_days": step.duration_days},
            )
