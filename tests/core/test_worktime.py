"""Business-time maths: known dates, unit kinds, unknown years and properties."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityloop.core import clock, worktime
from cityloop.core.errors import InvalidInput
from cityloop.core.worktime import (
    add_work_time,
    calendar_warnings,
    is_workday,
    next_working_moment,
    parse_work_hours,
    work_days_between,
    work_time_between,
)

SH = ZoneInfo("Asia/Shanghai")
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SH)


@pytest.fixture
def units(db) -> dict[str, object]:
    from cityloop.org.services import unit_save

    def make(code: str, **kwargs):
        unit, _ = unit_save(actor=None, code=code, name=code, kind="office", **kwargs)
        return unit

    return {
        "default": None,
        "office": make("U-OFFICE"),
        "hall": make("U-HALL", works_weekends=True),
        "hotline": make("U-24H", round_the_clock=True),
        "custom": make("U-CUSTOM", work_hours="07:00-11:30,14:30-24:00"),
    }


# --- work hours -------------------------------------------------------------------------------


def test_parse_default_and_custom_hours():
    assert parse_work_hours("") == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
    assert parse_work_hours(" 09:00-12:00 ， 14:00-18:00 ") == (
        (time(9), time(12)),
        (time(14), time(18)),
    )
    assert parse_work_hours("18:00-24:00") == ((time(18), time.max),)


@pytest.mark.parametrize(
    "spec",
    ["8:30", "08:30-12:00,11:00-17:00", "13:30-17:30,08:30-12:00", "12:00-08:00", "25:00-26:00"],
)
def test_bad_work_hours_are_invalid_input(spec):
    with pytest.raises(InvalidInput) as err:
        parse_work_hours(spec)
    assert err.value.code == "work_hours_invalid"
    assert err.value.detail == {"spec": spec}


def test_unit_save_rejects_bad_hours(db):
    from cityloop.org.services import unit_save

    with pytest.raises(InvalidInput) as err:
        unit_save(actor=None, code="BAD", name="坏单位", kind="office", work_hours="9-5")
    assert err.value.code == "work_hours_invalid"


def test_day_length_follows_the_unit(units):
    assert worktime.day_length() == timedelta(hours=7.5)
    assert worktime.day_length(unit=units["hotline"]) == timedelta(hours=24)
    assert worktime.day_length(unit=units["custom"]) == timedelta(hours=14)


# --- which days are worked --------------------------------------------------------------------


@pytest.mark.django_db
def test_seeded_national_day_2026():
    assert [is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert is_workday(date(2026, 9, 20))  # Sunday 调休
    assert is_workday(date(2026, 10, 10))  # Saturday 调休
    assert is_workday(date(2026, 10, 9))
    assert not is_workday(date(2026, 11, 21))  # an ordinary weekend
    assert not is_workday(date(2026, 11, 22))
    assert is_workday(date(2026, 11, 23))


def test_weekend_unit_works_ordinary_weekends_not_holiday_breaks(units):
    hall = units["hall"]
    assert is_workday(date(2026, 11, 21), unit=hall)  # ordinary Saturday
    assert not is_workday(date(2026, 10, 1), unit=hall)  # weekday holiday
    assert not is_workday(date(2026, 10, 3), unit=hall)  # Saturday inside the National Day break
    assert not is_workday(date(2026, 10, 4), unit=hall)
    assert is_workday(date(2026, 10, 10), unit=hall)  # 调休 Saturday
    assert not is_workday(date(2022, 1, 1), unit=hall)  # weekend before the Monday 元旦 holiday
    assert is_workday(date(2021, 12, 31), unit=hall)


def test_round_the_clock_ignores_the_calendar(units):
    hotline = units["hotline"]
    start = at(2026, 9, 30, 22, 0)
    assert is_workday(date(2026, 10, 1), unit=hotline)
    assert add_work_time(start, hours=5, unit=hotline) == at(2026, 10, 1, 3, 0)
    assert add_work_time(start, days=2, unit=hotline) == at(2026, 10, 2, 22, 0)
    assert work_time_between(start, at(2026, 10, 8, 22), unit=hotline) == timedelta(days=8)


# --- adding and measuring ---------------------------------------------------------------------


@pytest.mark.django_db
def test_one_day_from_monday_morning_is_tuesday_same_time():
    due = add_work_time(at(2026, 11, 23, 10, 0), days=1)
    assert due == at(2026, 11, 24, 10, 0)
    assert due.tzinfo == UTC


@pytest.mark.django_db
def test_deadlines_jump_the_national_day_break():
    assert local(add_work_time(at(2026, 9, 30, 16), days=3)) == at(2026, 10, 10, 16)
    assert local(add_work_time(at(2026, 9, 30, 16), hours=2)) == at(2026, 10, 8, 9)
    assert work_days_between(at(2026, 9, 28, 10), at(2026, 10, 10, 10)) == 5


@pytest.mark.django_db
def test_start_outside_working_time_moves_to_next_working_moment():
    saturday = at(2026, 11, 21, 15)
    assert next_working_moment(saturday) == at(2026, 11, 23, 8, 30)
    assert next_working_moment(at(2026, 11, 23, 12, 30)) == at(2026, 11, 23, 13, 30)
    assert next_working_moment(at(2026, 11, 23, 12, 0)) == at(2026, 11, 23, 12, 0)
    assert add_work_time(saturday, hours=1) == at(2026, 11, 23, 9, 30)
    assert add_work_time(at(2026, 11, 23, 18), days=1) == at(2026, 11, 24, 17, 30)


@pytest.mark.django_db
def test_a_full_day_ends_at_closing_time_not_next_morning():
    assert add_work_time(at(2026, 11, 23, 8, 30), days=1) == at(2026, 11, 23, 17, 30)
    assert add_work_time(at(2026, 11, 23, 8, 30), hours=3.5) == at(2026, 11, 23, 12, 0)


@pytest.mark.django_db
def test_naive_start_means_local_time():
    assert add_work_time(datetime(2026, 11, 23, 10), hours=1) == at(2026, 11, 23, 11)


@pytest.mark.django_db
def test_negative_amounts_are_refused():
    with pytest.raises(InvalidInput) as err:
        add_work_time(at(2026, 11, 23, 10), days=-1)
    assert err.value.code == "work_time_negative"


@pytest.mark.django_db
def test_measuring_backwards_is_negative():
    a, b = at(2026, 11, 23, 10), at(2026, 11, 24, 10)
    assert work_time_between(a, b) == timedelta(hours=7.5)
    assert work_time_between(b, a) == -timedelta(hours=7.5)
    assert work_days_between(b, a) == -1.0
    assert work_time_between(a, a) == timedelta(0)


@pytest.mark.django_db
def test_a_year_of_working_days_uses_the_cache(django_assert_num_queries):
    start = at(2026, 1, 5, 9)
    add_work_time(start, days=250)  # warms 2026 and 2027
    with django_assert_num_queries(0):
        due = add_work_time(start, days=250)
    assert local(due).year == 2027
    assert work_days_between(start, due) == pytest.approx(250)


# --- unknown years ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_year_warns_and_falls_back_to_monday_to_friday(caplog):
    with clock.frozen(datetime(2031, 3, 3, 9)):
        warnings = calendar_warnings()
        caplog.set_level(logging.WARNING, logger="cityloop.worktime")
        assert is_workday(date(2031, 1, 1))  # New Year's Day, but the calendar cannot know
        assert not is_workday(date(2031, 1, 4))
        due = add_work_time(clock.now(), days=5)
    assert any("2031" in text for text in warnings)
    assert any("2032" in text for text in warnings)
    assert local(due) == at(2031, 3, 10, 9)
    worktime.invalidate_cache()
    is_workday(date(2031, 6, 2))
    logged = [r for r in caplog.records if r.name == "cityloop.worktime" and "2031" in r.message]
    assert len(logged) == 1  # once per year per process, not once per lookup


@pytest.mark.django_db
def test_no_warning_for_known_years():
    with clock.frozen(datetime(2025, 6, 1, 9)):
        assert calendar_warnings() == []


def test_warnings_never_raise(monkeypatch):
    def broken(year):
        raise RuntimeError("database is down")

    monkeypatch.setattr(worktime, "year_is_known", broken)
    assert calendar_warnings() == []


# --- properties -------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(SH)
)
hour_amounts = st.floats(min_value=0, max_value=600, allow_nan=False, allow_infinity=False)
day_amounts = st.floats(min_value=0, max_value=260, allow_nan=False, allow_infinity=False)
unit_kinds = st.sampled_from(["default", "office", "hall", "hotline", "custom"])


def in_working_time(moment: datetime, unit) -> bool:
    if unit is not None and unit.round_the_clock:
        return True
    moment = local(moment)
    intervals = parse_work_hours(unit.work_hours if unit else "")
    offset = moment - datetime.combine(moment.date(), time.min, tzinfo=SH)
    if is_workday(moment.date(), unit=unit) and any(
        _offset(begin) <= offset <= _offset(end) for begin, end in intervals
    ):
        return True
    # An interval ending at 24:00 ends at the next day's 00:00.
    previous = moment.date() - timedelta(days=1)
    return (
        offset == timedelta(0) and intervals[-1][1] == time.max and is_workday(previous, unit=unit)
    )


def _offset(value: time) -> timedelta:
    if value == time.max:
        return timedelta(days=1)
    return timedelta(hours=value.hour, minutes=value.minute)


@PROPERTY
@given(start=starts, hours=hour_amounts, kind=unit_kinds)
def test_adding_hours_then_measuring_gives_them_back(units, start, hours, kind):
    unit = units[kind]
    due = add_work_time(start, hours=hours, unit=unit)
    assert abs(work_time_between(start, due, unit=unit) - timedelta(hours=hours)) <= timedelta(
        microseconds=1
    )
    assert in_working_time(due, unit)


@PROPERTY
@given(start=starts, days=day_amounts, kind=unit_kinds)
def test_adding_days_then_measuring_gives_them_back(units, start, days, kind):
    unit = units[kind]
    due = add_work_time(start, days=days, unit=unit)
    assert work_days_between(start, due, unit=unit) == pytest.approx(days, abs=1e-9)
    assert in_working_time(due, unit)
    assert due.tzinfo == UTC


@PROPERTY
@given(start=starts, a=hour_amounts, b=hour_amounts, kind=unit_kinds)
def test_more_time_is_never_earlier(units, start, a, b, kind):
    unit = units[kind]
    low, high = sorted((a, b))
    assert add_work_time(start, hours=low, unit=unit) <= add_work_time(start, hours=high, unit=unit)


@PROPERTY
@given(first=starts, second=starts, hours=hour_amounts, kind=unit_kinds)
def test_later_start_is_never_earlier_deadline(units, first, second, hours, kind):
    unit = units[kind]
    early, late = sorted((first, second))
    assert add_work_time(early, hours=hours, unit=unit) <= add_work_time(
        late, hours=hours, unit=unit
    )
    assert work_time_between(early, late, unit=unit) == -work_time_between(late, early, unit=unit)
