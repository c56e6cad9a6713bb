"""Writes to the work calendar: seeding from ``chinese_calendar`` and administrators' edits.

Only exceptions to Monday–Friday are stored (weekday holidays, weekend 调休 workdays), so a
year is small and loads in one query. Every write invalidates the business-time cache of
:mod:`cityloop.core.worktime` at once and again when the transaction commits, so a reader
that loaded the old rows in between does not keep them for the cache's lifetime.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.core import events, worktime
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.models import WorkCalendarDay, WorkCalendarYear

SOURCE_PACKAGE = "chinese_calendar"
SOURCE_MANUAL = "manual"
IN_LIEU_WORKDAY = "调休上班"
MIN_YEAR, MAX_YEAR = 2000, 2100

# chinese_calendar's English holiday names -> the names shown to people.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_years() -> range:
    """The years the installed ``chinese_calendar`` knows (2004–2026 for 1.11)."""
    import chinese_calendar

    days = chinese_calendar.holidays.keys()
    return range(min(days).year, max(days).year + 1)


def package_exceptions(year: int) -> dict[date, tuple[bool, str]]:
    """The package's exceptions to Monday–Friday in ``year``: ``date -> (is_workday, name)``.

    Raises ``NotImplementedError`` (from the package) for a year it does not know.
    """
    import chinese_calendar

    result: dict[date, tuple[bool, str]] = {}
    day, end = date(year, 1, 1), date(year, 12, 31)
    while day <= end:
        worked = chinese_calendar.is_workday(day)
        if worked != (day.weekday() < 5):
            if worked:
                name = IN_LIEU_WORKDAY
            else:
                english = chinese_calendar.holidays.get(day, "")
                name = HOLIDAY_NAMES.get(english, english)
            result[day] = (worked, name)
        day += timedelta(days=1)
    return result


# The years the data migration seeds; tests that flush the database seed them again.
SEEDED_YEARS = range(2020, 2027)


def seed_years(year_model, day_model, years: Iterable[int]) -> dict[str, Any]:
    """Make the calendar agree with the package for ``years``; manual days are left alone.

    Takes the model classes so the data migration can pass its historical models. Package
    days the package no longer lists are removed, so re-seeding after an upgrade corrects
    them. Writes no events: :func:`calendar_seed` does that for live calls.
    """
    counts = {"years": [], "created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    counts["kept_manual"] = 0
    for year in sorted(set(years)):
        wanted = package_exceptions(year)
        year_model.objects.get_or_create(year=year, defaults={"source": SOURCE_PACKAGE})
        existing = {
            row.date: row
            for row in day_model.objects.filter(
                date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
            )
        }
        new_rows = []
        for day, (worked, name) in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                new_rows.append(
                    day_model(date=day, is_workday=worked, name=name, source=SOURCE_PACKAGE)
                )
            elif row.source == SOURCE_MANUAL:
                counts["kept_manual"] += 1
            elif (row.is_workday, row.name) != (worked, name):
                row.is_workday, row.name = worked, name
                row.save(update_fields=["is_workday", "name"])
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        day_model.objects.bulk_create(new_rows)
        counts["created"] += len(new_rows)
        stale = [
            row.pk
            for day, row in existing.items()
            if row.source == SOURCE_PACKAGE and day not in wanted
        ]
        if stale:
            counts["deleted"] += day_model.objects.filter(pk__in=stale).delete()[0]
        counts["years"].append(year)
    return counts


def _invalidate() -> None:
    worktime.invalidate_cache()
    transaction.on_commit(worktime.invalidate_cache)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(
            "calendar_year_out_of_range",
            _("The year must be between %(min)s and %(max)s") % {"min": MIN_YEAR, "max": MAX_YEAR},
            {"year": year},
        )


@transaction.atomic
def calendar_seed(years: Iterable[int] | None = None, *, actor=None) -> dict[str, Any]:
    """Seed ``years`` (default: every year the package knows) from ``chinese_calendar``.

    Idempotent; never overwrites a day an administrator entered. Raises
    ``InvalidInput("calendar_year_not_in_package")`` for a year the package does not know.
    """
    known = package_years()
    wanted = sorted(set(known if years is None else years))
    missing = [year for year in wanted if year not in known]
    if missing:
        raise InvalidInput(
            "calendar_year_not_in_package",
            _(
                "The chinese-calendar package only knows %(first)s–%(last)s; "
                "enter the holidays of %(years)s by hand."
            )
            % {"first": known.start, "last": known.stop - 1, "years": ", ".join(map(str, missing))},
            {"years": missing},
        )
    counts = seed_years(WorkCalendarYear, WorkCalendarDay, wanted)
    for year in WorkCalendarYear.objects.filter(year__in=wanted):
        events.record_on(
            year,
            actor=actor,
            verb="calendar_seeded",
            data={k: v for k, v in counts.items() if k != "years"},
        )
    _invalidate()
    return counts


@transaction.atomic
def calendar_year_add_manual(year: int, *, actor=None, note: str = "") -> WorkCalendarYear:
    """Mark ``year`` as known (its exceptions entered by hand); no-op if it already is."""
    _check_year(year)
    row, created = WorkCalendarYear.objects.get_or_create(
        year=year, defaults={"source": SOURCE_MANUAL, "note": note[:200]}
    )
    if created:
        events.record_on(row, actor=actor, verb="calendar_year_added", note=note)
        _invalidate()
    return row


@transaction.atomic
def calendar_day_set(*, actor, date: date, is_workday: bool, name: str = "") -> WorkCalendarDay:
    """Record that ``date`` is worked (``is_workday``) or off, as an administrator's entry.

    Overrides whatever the package said and survives re-seeding. Marks the year as known.
    """
    _check_year(date.year)
    name = name.strip()
    if len(name) > WorkCalendarDay._meta.get_field("name").max_length:
        raise InvalidInput("calendar_name_too_long", _("The name is too long"), {"name": name})
    year = WorkCalendarYear.objects.filter(year=date.year).first()
    if year is None:
        year = calendar_year_add_manual(date.year, actor=actor)
    row = WorkCalendarDay.objects.select_for_update().filter(date=date).first()
    before = _state(row)
    if row is None:
        row = WorkCalendarDay(date=date)
    row.is_workday, row.name, row.source = is_workday, name, SOURCE_MANUAL
    row.save()
    events.record_on(
        year,
        actor=actor,
        verb="calendar_day_set",
        from_state=before,
        to_state=_state(row),
        data={"date": date.isoformat(), "name": name},
    )
    _invalidate()
    return row


@transaction.atomic
def calendar_day_clear(*, actor, date: date) -> None:
    """Remove the exception stored for ``date``: it follows Monday–Friday again.

    A package day removed here comes back on the next seed; to overrule the package for
    good, use :func:`calendar_day_set`.
    """
    row = WorkCalendarDay.objects.select_for_update().filter(date=date).first()
    if row is None:
        raise NotFound(
            "calendar_day_not_found",
            _("No exception is stored for %(date)s") % {"date": date.isoformat()},
        )
    year = WorkCalendarYear.objects.filter(year=date.year).first()
    before = _state(row)
    data = {"date": date.isoformat(), "name": row.name, "source": row.source}
    # The event hangs on the year so one list shows a year's whole calendar history.
    events.record_on(
        year or row, actor=actor, verb="calendar_day_cleared", from_state=before, data=data
    )
    row.delete()
    _invalidate()


def _state(row: WorkCalendarDay | None) -> str:
    if row is None:
        return ""
    return "workday" if row.is_workday else "holiday"
