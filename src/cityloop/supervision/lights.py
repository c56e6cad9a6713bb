"""The red / yellow / blue light of a task: one pure function and the facts it reads.

``light(task, as_of, policy)`` takes a :class:`TaskFacts` snapshot — plain values, no
database — and returns the colour and every reason that applies, worst first. The same
function lights the board, the API, the sweeper's daily record and the bulletins' sentences,
so a light can always say why it is what it is. The rules (seed 003; thresholds in
:class:`Policy`, tuned by an admin through :class:`~cityloop.supervision.models.LightPolicy`):

red
    past its deadline and not done; a milestone overdue; behind plan by at least
    ``red_behind_points``; an open finding marked as a problem; a rectification past its time
    limit; an urging letter unanswered past its answer date.
yellow
    the deadline or the next milestone within ``near_working_days`` working days; behind plan
    by at least ``yellow_behind_points``; a progress report late.
blue
    none of the above: on or ahead of schedule.

A finished task is not lit: it was done early, on time or late.

The plan at a day is read off a line through (start, 0 %), each milestone's planned percent
at its due date and (deadline, 100 %), straight between the points, in calendar days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from cityloop.supervision.models import Colour

SEVERITY = {
    Colour.RED: 3,
    Colour.YELLOW: 2,
    Colour.BLUE: 1,
}


def _calendar_workday(day: date) -> bool:
    from cityloop.core import worktime

    return worktime.is_workday(day)


@dataclass(frozen=True)
class Policy:
    red_behind_points: float = 20
    yellow_behind_points: float = 10
    near_working_days: int = 5
    report_grace_days: int = 2
    # Which days count as working days; the work calendar by default, injectable for tests.
    is_workday: Callable[[date], bool] = field(default=_calendar_workday, compare=False)


@dataclass(frozen=True)
class MilestoneFacts:
    title: str
    due: date
    planned_percent: float | None = None
    done_on: date | None = None


@dataclass(frozen=True)
class TaskFacts:
    """A task as it stood on a day: only what the rules read."""

    start: date
    deadline: date
    state: str = "active"  # active / done / cancelled, as of the day
    done_on: date | None = None
    progress: float | None = None  # percent, from the latest report up to the day
    last_report_on: date | None = None
    cadence_days: int = 7
    milestones: tuple[MilestoneFacts, ...] = ()
    open_problems: tuple[str, ...] = ()  # descriptions of open findings marked as problems
    overdue_rectifications: tuple[tuple[str, date], ...] = ()  # (description, time limit)
    overdue_letters: tuple[tuple[str, date], ...] = ()  # (reference, answer due)


@dataclass(frozen=True)
class Reason:
    code: str
    colour: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "colour": self.colour, "text": self.text, "data": self.data}


def working_days_after(
    start: date, end: date, is_workday: Callable[[date], bool], *, stop_after: int | None = None
) -> int:
    """Working days d with start < d <= end (0 when end <= start). With ``stop_after`` the
    count stops once it exceeds that many: the rules only ask "within N working days?", and a
    deadline months away need not be walked day by day."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_workday(day):
            count += 1
            if stop_after is not None and count > stop_after:
                break
        day += timedelta(days=1)
    return count


def planned_percent(task: TaskFacts, as_of: date) -> float:
    """Where the plan says the task should be on ``as_of``."""
    points = [(task.start, 0.0)]
    for m in sorted(task.milestones, key=lambda m: m.due):
        if m.planned_percent is not None and task.start < m.due < task.deadline:
            points.append((m.due, float(m.planned_percent)))
    points.append((task.deadline, 100.0))
    if as_of <= points[0][0]:
        return 0.0
    for (d0, p0), (d1, p1) in pairwise(points):
        if as_of <= d1:
            span = (d1 - d0).days
            return p1 if span <= 0 else p0 + (p1 - p0) * (as_of - d0).days / span
    return 100.0


def _finished(task: TaskFacts) -> tuple[str, list[Reason]]:
    if task.state == "cancelled":
        return Colour.CANCELLED, [Reason("cancelled", Colour.CANCELLED, _("Cancelled"))]
    done = task.done_on or task.deadline
    days = (task.deadline - done).days
    if days > 0:
        colour, text = Colour.DONE_EARLY, _("Done on %(done)s, %(days)d days before the deadline")
    elif days == 0:
        colour, text = Colour.DONE_ON_TIME, _("Done on %(done)s, on the deadline")
    else:
        colour, text = Colour.DONE_LATE, _("Done on %(done)s, %(days)d days after the deadline")
    data = {"done": done.isoformat(), "days": abs(days)}
    return colour, [Reason(colour, colour, text % data, data)]


# --- "overdue": one rule for every dated limit of supervision ----------------------------------


def past_due(due: date, as_of: date) -> bool:
    """Is a dated limit (a task's deadline, a milestone, a rectification's time limit, a
    letter's answer date) overdue on ``as_of``? From the day after it: the limit's own day
    is still in time. The light, the sweep, the ledger, the letters and the assessment all
    ask this (or :func:`past_due_q`, :func:`days_overdue`)."""
    return due < as_of


def past_due_q(field: str, as_of: date) -> Q:
    """:func:`past_due` as a filter on the date field ``field``."""
    return Q(**{f"{field}__lt": as_of})


def days_overdue(due: date, as_of: date) -> int:
    """Whole days past the limit on ``as_of`` (0 while :func:`past_due` is false)."""
    return max(0, (as_of - due).days)


def light(task: TaskFacts, as_of: date, policy: Policy | None = None) -> tuple[str, list[dict]]:
    """The colour of ``task`` on ``as_of`` and the reasons, worst first."""
    policy = policy or Policy()
    if task.state in ("done", "cancelled"):
        colour, reasons = _finished(task)
        return colour, [r.as_dict() for r in reasons]
    reasons: list[Reason] = []
    add = reasons.append
    red, yellow = Colour.RED, Colour.YELLOW

    if past_due(task.deadline, as_of):
        add(
            Reason(
                "overdue",
                red,
                _("Past its deadline %(deadline)s and not done (%(days)d days)")
                % {"deadline": task.deadline.isoformat(), "days": (as_of - task.deadline).days},
                {"deadline": task.deadline.isoformat(), "days": (as_of - task.deadline).days},
            )
        )
    for m in task.milestones:
        if m.done_on is None and past_due(m.due, as_of):
            add(
                Reason(
                    "milestone_overdue",
                    red,
                    _("Milestone “%(title)s” was due %(due)s and is not done")
                    % {"title": m.title, "due": m.due.isoformat()},
                    {"title": m.title, "due": m.due.isoformat()},
                )
            )
    progress = float(task.progress or 0)
    plan = planned_percent(task, as_of)
    behind = round(plan - progress, 1)
    plan_data = {"plan": round(plan, 1), "progress": round(progress, 1), "behind": behind}
    if behind >= policy.red_behind_points:
        add(
            Reason(
                "behind_plan",
                red,
                _("Progress %(progress)s%% is %(behind)s points behind the plan's %(plan)s%%")
                % plan_data,
                plan_data,
            )
        )
    elif behind >= policy.yellow_behind_points:
        add(
            Reason(
                "behind_plan",
                yellow,
                _("Progress %(progress)s%% is %(behind)s points behind the plan's %(plan)s%%")
                % plan_data,
                plan_data,
            )
        )
    for text in task.open_problems:
        add(Reason("open_finding", red, _("Open inspection finding: %s") % text, {"text": text}))
    for text, due in task.overdue_rectifications:
        add(
            Reason(
                "rectification_overdue",
                red,
                _("Rectification past its time limit %(due)s: %(text)s")
                % {"due": due.isoformat(), "text": text},
                {"due": due.isoformat(), "text": text},
            )
        )
    for ref, due in task.overdue_letters:
        add(
            Reason(
                "letter_unanswered",
                red,
                _("Urging letter %(ref)s unanswered since %(due)s")
                % {"ref": ref, "due": due.isoformat()},
                {"ref": ref, "due": due.isoformat()},
            )
        )

    if as_of <= task.deadline:
        left = working_days_after(
            as_of, task.deadline, policy.is_workday, stop_after=policy.near_working_days
        )
        if left <= policy.near_working_days:
            add(
                Reason(
                    "deadline_near",
                    yellow,
                    _("Deadline %(deadline)s is %(left)d working days away")
                    % {"deadline": task.deadline.isoformat(), "left": left},
                    {"deadline": task.deadline.isoformat(), "working_days": left},
                )
            )
    upcoming = [m for m in task.milestones if m.done_on is None and m.due >= as_of]
    if upcoming:
        m = min(upcoming, key=lambda m: m.due)
        left = working_days_after(
            as_of, m.due, policy.is_workday, stop_after=policy.near_working_days
        )
        if left <= policy.near_working_days and m.due != task.deadline:
            add(
                Reason(
                    "milestone_near",
                    yellow,
                    _("Milestone “%(title)s” is due %(due)s, %(left)d working days away")
                    % {"title": m.title, "due": m.due.isoformat(), "left": left},
                    {"title": m.title, "due": m.due.isoformat(), "working_days": left},
                )
            )
    if as_of >= task.start:
        since = task.last_report_on or task.start
        late_after = since + timedelta(days=task.cadence_days + policy.report_grace_days)
        if as_of > late_after:
            add(
                Reason(
                    "report_late",
                    yellow,
                    _("No progress report since %(since)s (due every %(days)d days)")
                    % {"since": since.isoformat(), "days": task.cadence_days},
                    {"since": since.isoformat(), "cadence_days": task.cadence_days},
                )
            )

    if not reasons:
        if as_of < task.start:
            text = _("Not started yet; starts %(start)s") % {"start": task.start.isoformat()}
        elif behind <= 0:
            text = (
                _("On or ahead of schedule: progress %(progress)s%%, plan %(plan)s%%") % plan_data
            )
        else:
            text = _("On schedule: progress %(progress)s%%, plan %(plan)s%%") % plan_data
        add(Reason("on_schedule", Colour.BLUE, text, plan_data))
    reasons.sort(key=lambda r: -SEVERITY[r.colour])
    return reasons[0].colour, [r.as_dict() for r in reasons]
