"""Stage time limits and the moments a case turns yellow and red.

A category gives each stage a limit with its type (紧急工作时 / 工作时 / 工作日 / 自然日). Working
time is counted on the calendar of the unit that must act (:mod:`cityloop.core.worktime`);
urgent hours and calendar days run round the clock. A stage turns yellow when 80 % of its
limit is used and red when it is used up. Suspension stops the clock: what was left is kept
and counted again from the moment the case resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from cityloop.cases.models import Case, Category, LimitType, Stage
from cityloop.core import worktime
from cityloop.core.errors import InvalidInput

YELLOW_AT = 0.8

# When a category says nothing: the usual 数字城管 limits for a normal event.
DEFAULT_LIMITS: dict[str, tuple[float, str]] = {
    Stage.ACCEPT: (2, LimitType.WORK_HOURS),
    Stage.DISPATCH: (2, LimitType.WORK_HOURS),
    Stage.HANDLE: (5, LimitType.WORK_DAYS),
    Stage.VERIFY: (1, LimitType.WORK_DAYS),
    Stage.RETURN_VISIT: (3, LimitType.WORK_DAYS),
}
URGENT_LIMITS: dict[str, tuple[float, str]] = {
    Stage.ACCEPT: (0.5, LimitType.URGENT_HOURS),
    Stage.DISPATCH: (0.5, LimitType.URGENT_HOURS),
    Stage.HANDLE: (4, LimitType.URGENT_HOURS),
    Stage.VERIFY: (2, LimitType.URGENT_HOURS),
    Stage.RETURN_VISIT: (1, LimitType.WORK_DAYS),
}


@dataclass(frozen=True)
class TimeLimit:
    amount: float
    type: str

    def label(self) -> str:
        amount = f"{self.amount:g}"
        return f"{amount} {LimitType(self.type).label}"

    def as_dict(self) -> dict:
        return {"amount": self.amount, "type": self.type}


def parse_limit(value: object, *, stage: str = "") -> TimeLimit:
    """Read ``{"amount": 5, "type": "work_days"}`` or the short text ``"5 work_days"`` /
    ``"5工作日"``; raises ``InvalidInput("time_limit_invalid")``."""
    amount: object
    kind: object
    if isinstance(value, dict):
        amount, kind = value.get("amount"), value.get("type")
    elif isinstance(value, str):
        amount, kind = _split_text(value)
    else:
        amount, kind = None, None
    try:
        number = float(amount)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1
    if number <= 0 or kind not in LimitType.values:
        raise InvalidInput(
            "time_limit_invalid",
            _(
                "Invalid time limit %(value)s for stage %(stage)s: give a positive amount and "
                "one of urgent_hours, work_hours, work_days, calendar_days."
            )
            % {"value": repr(value), "stage": stage},
            {"stage": stage, "value": str(value)},
        )
    return TimeLimit(number, str(kind))


# Chinese names accepted in spreadsheets, longest first so 紧急工作时 wins over 工作时.
_CHINESE_TYPES = [
    ("紧急工作时", LimitType.URGENT_HOURS),
    ("紧急小时", LimitType.URGENT_HOURS),
    ("工作日", LimitType.WORK_DAYS),
    ("自然日", LimitType.CALENDAR_DAYS),
    ("工作时", LimitType.WORK_HOURS),
    ("小时", LimitType.WORK_HOURS),
    ("天", LimitType.WORK_DAYS),
]


def _split_text(text: str) -> tuple[str, str | None]:
    text = text.strip()
    for word, kind in _CHINESE_TYPES:
        if text.endswith(word):
            return text[: -len(word)].strip(), kind.value
    amount, _sep, kind = text.partition(" ")
    return amount, kind.strip() or None


def limit_for(category: Category | None, stage: str) -> TimeLimit:
    """The category's limit for ``stage``, else the default for its urgency."""
    if category is not None and stage in (category.time_limits or {}):
        return parse_limit(category.time_limits[stage], stage=stage)
    urgent = category is not None and category.urgency == Category.Urgency.URGENT
    amount, kind = (URGENT_LIMITS if urgent else DEFAULT_LIMITS)[stage]
    return TimeLimit(amount, kind)


def add_limit(start: datetime, limit: TimeLimit, *, unit=None, fraction: float = 1.0) -> datetime:
    """``start`` plus ``fraction`` of the limit, on the unit's calendar where it applies."""
    amount = limit.amount * fraction
    if limit.type == LimitType.URGENT_HOURS:
        return start + timedelta(hours=amount)
    if limit.type == LimitType.CALENDAR_DAYS:
        return start + timedelta(days=amount)
    if limit.type == LimitType.WORK_HOURS:
        return worktime.add_work_time(start, hours=amount, unit=unit)
    return worktime.add_work_time(start, days=amount, unit=unit)


def elapsed(start: datetime, end: datetime, limit: TimeLimit, *, unit=None) -> timedelta:
    """Time used between two moments, counted the way the limit counts."""
    if end <= start:
        return timedelta(0)
    if limit.type in (LimitType.URGENT_HOURS, LimitType.CALENDAR_DAYS):
        return end - start
    return worktime.work_time_between(start, end, unit=unit)


def limit_span(limit: TimeLimit, *, unit=None) -> timedelta:
    """The whole limit as a duration in the counting it uses."""
    if limit.type == LimitType.URGENT_HOURS or limit.type == LimitType.WORK_HOURS:
        return timedelta(hours=limit.amount)
    if limit.type == LimitType.CALENDAR_DAYS:
        return timedelta(days=limit.amount)
    return worktime.day_length(unit=unit) * limit.amount


@dataclass(frozen=True)
class Clock:
    """The moments of one stage: started, turns yellow, due."""

    started_at: datetime
    warn_at: datetime
    due_at: datetime


def stage_clock(start: datetime, limit: TimeLimit, *, unit=None) -> Clock:
    return Clock(
        started_at=start,
        warn_at=add_limit(start, limit, unit=unit, fraction=YELLOW_AT),
        due_at=add_limit(start, limit, unit=unit),
    )


def resumed_clock(
    resume_at: datetime, remaining: timedelta, limit: TimeLimit, *, unit=None
) -> tuple[datetime, datetime]:
    """After a suspension: the stage has ``remaining`` left; return ``(warn_at, due_at)``."""
    span = limit_span(limit, unit=unit)
    yellow_left = remaining - span * (1 - YELLOW_AT)
    hours = remaining.total_seconds() / 3600
    yellow_hours = yellow_left.total_seconds() / 3600
    if limit.type in (LimitType.URGENT_HOURS, LimitType.CALENDAR_DAYS):
        due = resume_at + remaining
        warn = resume_at + max(yellow_left, timedelta(0))
    else:
        due = worktime.add_work_time(resume_at, hours=hours, unit=unit)
        warn = worktime.add_work_time(resume_at, hours=max(yellow_hours, 0), unit=unit)
    return warn, due


def is_overdue(case, now: datetime) -> bool:
    """Past its deadline: open and due at or before ``now`` — the moment its light turns red
    (:func:`light_at`). The one comparison the lists, pages, exports and sweep use."""
    return case.is_open and case.due_at is not None and case.due_at <= now


def overdue_q(now: datetime) -> Q:
    """:func:`is_overdue` as a filter."""
    return Q(status__in=Case.OPEN, due_at__lte=now)


def light_at(now: datetime, *, warn_at: datetime | None, due_at: datetime | None) -> str:
    """The light of an open stage: red when due, yellow from 80 %, green before."""
    if due_at is None:
        return ""
    if now >= due_at:
        return "red"
    if warn_at is not None and now >= warn_at:
        return "yellow"
    return "green"


def light_conditions(now: datetime) -> dict[str, Q]:
    """:func:`light_at` as one filter per colour, for set-based sweeps (same boundaries)."""
    return {
        "red": Q(due_at__lte=now),
        "yellow": Q(warn_at__lte=now, due_at__gt=now),
        "green": Q(due_at__gt=now) & (Q(warn_at__isnull=True) | Q(warn_at__gt=now)),
    }


def stale_light_q(now: datetime) -> Q:
    """Cases whose stored light is not what :func:`light_at` says at ``now`` (cases with no
    deadline, e.g. suspended, are never stale)."""
    stale = Q()
    for colour, cond in light_conditions(now).items():
        stale |= cond & ~Q(light=colour)
    return stale
