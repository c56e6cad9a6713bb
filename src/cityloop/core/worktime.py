"""Business-time maths on the work calendar: every deadline in the system is counted here.

A *working day* is Monday–Friday, minus the weekday holidays and plus the weekend 调休
workdays stored in ``work_calendar`` (``WorkCalendarDay`` keeps only those exceptions). A
unit's day has its own service hours (``Unit.work_hours``, default 08:30–12:00, 13:30–17:30,
7.5 hours); one "day" of a time limit is that many working hours, so one day from Monday 10:00
ends on Tuesday 10:00.

Two unit flags change the calendar:

* ``works_weekends`` (周末无休): Saturdays and Sundays are worked too, except the weekend days
  that belong to a public-holiday break (a weekend joined to a weekday holiday, e.g. the
  Saturday inside the National Day week). Weekday holidays stay off.
* ``round_the_clock`` (24 小时): every moment counts; the calendar is ignored.

Arithmetic runs on the local wall clock (``settings.TIME_ZONE``, Asia/Shanghai has no DST);
results are aware datetimes in UTC. A year the calendar does not know falls back to
Monday–Friday with a logged warning and a banner (:func:`calendar_warnings`), never an error:
a deadline one day too early is better than a case that cannot be dispatched.
"""

from __future__ import annotations

import logging
import re
import threading
import time as _time
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import InvalidInput

log = logging.getLogger("cityloop.worktime")

DEFAULT_WORK_HOURS = "08:30-12:00,13:30-17:30"
CACHE_TTL_SECONDS = 60.0

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_MAX_IDLE_DAYS = 366  # a longer run of days off can only be a data-entry mistake
_SPEC_PART = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


# --- work hours -------------------------------------------------------------------------------


def _bad_spec(spec: str, reason: str) -> InvalidInput:
    return InvalidInput(
        "work_hours_invalid",
        _("Invalid work hours %(spec)s: %(reason)s. Write them like 08:30-12:00,13:30-17:30.")
        % {"spec": repr(spec), "reason": reason},
        {"spec": spec},
    )


def _parse_offsets(spec: str) -> tuple[tuple[timedelta, timedelta], ...]:
    """The intervals as offsets from midnight; ``24:00`` is allowed as an end."""
    text = spec.strip() or DEFAULT_WORK_HOURS
    result: list[tuple[timedelta, timedelta]] = []
    for part in re.split(r"[,，;；]", text):
        match = _SPEC_PART.match(part)
        if not match:
            raise _bad_spec(spec, _("each part must be HH:MM-HH:MM"))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise _bad_spec(spec, _("not a time of day"))
        start, end = timedelta(hours=h1, minutes=m1), timedelta(hours=h2, minutes=m2)
        if end <= start:
            raise _bad_spec(spec, _("an interval must end after it starts"))
        if result and start < result[-1][1]:
            raise _bad_spec(spec, _("intervals must be in order and must not overlap"))
        result.append((start, end))
    return tuple(result)


def parse_work_hours(spec: str) -> tuple[tuple[time, time], ...]:
    """Parse ``"08:30-12:00,13:30-17:30"``; ``""`` is the default. An end of ``24:00`` comes
    back as ``time.max``. Raises ``InvalidInput("work_hours_invalid")``."""
    return tuple(
        (_offset_time(start), time.max if end == _DAY else _offset_time(end))
        for start, end in _parse_offsets(spec)
    )


def _offset_time(offset: timedelta) -> time:
    return (datetime.min + offset).time()


@dataclass(frozen=True)
class _Profile:
    """How one unit works: its daily intervals and which calendar it follows."""

    intervals: tuple[tuple[timedelta, timedelta], ...]
    day_length: timedelta
    works_weekends: bool
    round_the_clock: bool


@lru_cache(maxsize=256)
def _profile(work_hours: str, works_weekends: bool, round_the_clock: bool) -> _Profile:
    if round_the_clock:
        return _Profile(((_ZERO, _DAY),), _DAY, True, True)
    intervals = _parse_offsets(work_hours)
    length = sum((end - start for start, end in intervals), _ZERO)
    return _Profile(intervals, length, works_weekends, False)


def _profile_of(unit) -> _Profile:
    if unit is None:
        return _profile("", False, False)
    return _profile(unit.work_hours or "", bool(unit.works_weekends), bool(unit.round_the_clock))


def day_length(*, unit=None) -> timedelta:
    """The working time in one of the unit's working days (7.5 h by default, 24 h round the
    clock)."""
    return _profile_of(unit).day_length


# --- the calendar cache -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Year:
    known: bool
    days: dict[date, tuple[bool, str]]  # date -> (is_workday, name)
    loaded_at: float


_cache: dict[int, _Year] = {}
_cache_lock = threading.Lock()
_generation = 0  # bumped by each invalidation, so a load that raced with one is not kept
_warned_years: set[int] = set()


def invalidate_cache() -> None:
    """Forget every loaded year; the calendar services call this after each write."""
    global _generation
    with _cache_lock:
        _generation += 1
        _cache.clear()


def _load_year(year: int) -> _Year:
    from cityloop.core.models import WorkCalendarDay, WorkCalendarYear

    known = WorkCalendarYear.objects.filter(year=year).exists()
    rows = WorkCalendarDay.objects.filter(
        date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
    ).values_list("date", "is_workday", "name")
    days = {day: (is_workday, name) for day, is_workday, name in rows}
    if not known and year not in _warned_years:
        _warned_years.add(year)
        log.warning(
            "work calendar does not know %s: Monday-Friday is assumed; "
            "an administrator should enter that year's holidays",
            year,
        )
    return _Year(known, days, _time.monotonic())


def _year(year: int) -> _Year:
    entry = _cache.get(year)
    if entry is not None and _time.monotonic() - entry.loaded_at < CACHE_TTL_SECONDS:
        return entry
    generation = _generation
    entry = _load_year(year)
    with _cache_lock:
        if generation == _generation:
            _cache[year] = entry
    return entry


def year_is_known(year: int) -> bool:
    return _year(year).known


def day_info(day: date) -> tuple[bool | None, str]:
    """The stored exception for ``day``: ``(is_workday, name)``, or ``(None, "")``."""
    return _year(day.year).days.get(day, (None, ""))


# --- which days are worked --------------------------------------------------------------------


def _holiday_row(day: date) -> bool:
    return _year(day.year).days.get(day, (True, ""))[0] is False


def _weekend_in_break(day: date) -> bool:
    """Is this plain weekend day part of a public-holiday break (joined to a holiday)?"""
    before = day - _DAY
    while before.weekday() >= 5 and before not in _year(before.year).days:
        before -= _DAY
    after = day + _DAY
    while after.weekday() >= 5 and after not in _year(after.year).days:
        after += _DAY
    return _holiday_row(before) or _holiday_row(after)


def _is_workday(day: date, profile: _Profile) -> bool:
    if profile.round_the_clock:
        return True
    return _classify(day, profile, _year(day.year).days)


def _classify(day: date, profile: _Profile, days: dict[date, tuple[bool, str]]) -> bool:
    """Worked or not, given ``day``'s year's exceptions (the hot loop passes them in)."""
    stored = days.get(day)
    if stored is not None:
        return stored[0]
    if day.weekday() < 5:
        return True
    return profile.works_weekends and not _weekend_in_break(day)


def is_workday(day: date, *, unit=None) -> bool:
    """Is ``day`` a working day for ``unit`` (``None``: the ordinary office calendar)?"""
    return _is_workday(day, _profile_of(unit))


# --- time arithmetic --------------------------------------------------------------------------


def _local_naive(moment: datetime) -> datetime:
    zone = clock.local_zone()
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zone).replace(tzinfo=None)


def _to_utc(local: datetime) -> datetime:
    return local.replace(tzinfo=clock.local_zone()).astimezone(UTC)


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local_zone())
    return moment.astimezone(UTC)


def _amount(days: float, hours: float, profile: _Profile) -> timedelta:
    if days < 0 or hours < 0:
        raise InvalidInput(
            "work_time_negative",
            _("A time limit cannot be negative"),
            {"days": days, "hours": hours},
        )
    seconds = days * profile.day_length.total_seconds() + hours * 3600
    return timedelta(microseconds=round(seconds * 1_000_000))


def _walk(start_local: datetime, remaining: timedelta, profile: _Profile) -> datetime:
    """The local moment ``remaining`` working time after ``start_local``."""
    day = start_local.date()
    offset = start_local - datetime.combine(day, time.min)
    idle = 0
    loaded_year, exceptions = 0, {}
    while True:
        if day.year != loaded_year:
            loaded_year, exceptions = day.year, _year(day.year).days
        if _classify(day, profile, exceptions):
            idle = 0
            if offset == _ZERO and remaining > profile.day_length:
                # A whole working day: skip it without looking at its intervals.
                remaining -= profile.day_length
            else:
                for begin, end in profile.intervals:
                    if end < offset:
                        continue
                    begin = max(begin, offset)
                    if remaining <= end - begin:
                        return datetime.combine(day, time.min) + begin + remaining
                    remaining -= end - begin
                    offset = end
        else:
            idle += 1
            if idle > _MAX_IDLE_DAYS:
                raise InvalidInput(
                    "work_calendar_no_workdays",
                    _("The work calendar has no working day for a whole year after %(date)s")
                    % {"date": day - _DAY * idle},
                )
        day += _DAY
        offset = _ZERO


def add_work_time(
    start: datetime, *, days: int | float = 0, hours: int | float = 0, unit=None
) -> datetime:
    """``start`` plus ``days`` working days and ``hours`` working hours on ``unit``'s calendar.

    A start outside working time counts from the next working moment; the result always lies
    in a working interval (its end included) and is an aware UTC datetime.
    """
    profile = _profile_of(unit)
    amount = _amount(days, hours, profile)
    if profile.round_the_clock:
        return _aware_utc(start) + amount
    return _to_utc(_walk(_local_naive(start), amount, profile))


def next_working_moment(start: datetime, *, unit=None) -> datetime:
    """``start`` if it is working time (an interval's end counts), else the next start of
    work."""
    return add_work_time(start, unit=unit)


def _worked_in_day(day: date, lo: timedelta, hi: timedelta, profile: _Profile) -> timedelta:
    if not _is_workday(day, profile):
        return _ZERO
    if lo == _ZERO and hi == _DAY:
        return profile.day_length
    total = _ZERO
    for begin, end in profile.intervals:
        overlap = min(end, hi) - max(begin, lo)
        if overlap > _ZERO:
            total += overlap
    return total


def work_time_between(start: datetime, end: datetime, *, unit=None) -> timedelta:
    """Working time in ``[start, end]``; negative when ``end`` is before ``start``."""
    profile = _profile_of(unit)
    start_utc, end_utc = _aware_utc(start), _aware_utc(end)
    if end_utc < start_utc:
        return -work_time_between(end_utc, start_utc, unit=unit)
    if profile.round_the_clock:
        return end_utc - start_utc
    lo, hi = _local_naive(start_utc), _local_naive(end_utc)
    first, last = lo.date(), hi.date()
    lo_offset = lo - datetime.combine(first, time.min)
    hi_offset = hi - datetime.combine(last, time.min)
    if first == last:
        return _worked_in_day(first, lo_offset, hi_offset, profile)
    total = _worked_in_day(first, lo_offset, _DAY, profile)
    day = first + _DAY
    loaded_year, exceptions = 0, {}
    while day < last:
        if day.year != loaded_year:
            loaded_year, exceptions = day.year, _year(day.year).days
        if _classify(day, profile, exceptions):
            total += profile.day_length
        day += _DAY
    return total + _worked_in_day(last, _ZERO, hi_offset, profile)


def work_days_between(start: datetime, end: datetime, *, unit=None) -> float:
    """Working time between two moments, in the unit's working days."""
    return work_time_between(start, end, unit=unit) / _profile_of(unit).day_length


# --- warnings ---------------------------------------------------------------------------------


def calendar_warnings() -> list[str]:
    """Banners for the current and the next year when the calendar does not know them."""
    try:
        this_year = clock.today().year
        return [
            _(
                "The work calendar does not know %(year)s: Monday–Friday is assumed. "
                "An administrator should enter that year's holidays."
            )
            % {"year": year}
            for year in (this_year, this_year + 1)
            if not year_is_known(year)
        ]
    except Exception:  # a banner must never break a page (e.g. before the first migrate)
        log.exception("could not check the work calendar")
        return []
