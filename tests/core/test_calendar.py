"""Seeding and editing the work calendar: migration data, services, command and admin."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command

from cityloop.core import calendar, clock, events, worktime
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.models import WorkCalendarDay, WorkCalendarYear


def days_of(year: int) -> dict[date, tuple[bool, str, str]]:
    rows = WorkCalendarDay.objects.filter(date__year=year)
    return {r.date: (r.is_workday, r.name, r.source) for r in rows}


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


# --- the data migration -----------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_seeded_2020_to_2026():
    years = dict(WorkCalendarYear.objects.values_list("year", "source"))
    assert {y: years.get(y) for y in range(2020, 2027)} == dict.fromkeys(
        range(2020, 2027), "chinese_calendar"
    )
    seeded = days_of(2026)
    assert seeded[date(2026, 10, 1)] == (False, "国庆节", "chinese_calendar")
    assert seeded[date(2026, 9, 20)] == (True, "调休上班", "chinese_calendar")
    assert seeded[date(2026, 2, 17)] == (False, "春节", "chinese_calendar")
    # Only exceptions to Monday–Friday are stored: no weekday workdays, no weekend days off.
    assert all(worked == (d.weekday() >= 5) for d, (worked, _, _) in seeded.items())
    assert days_of(2020)[date(2020, 10, 1)] == (False, "国庆节", "chinese_calendar")


def test_every_package_holiday_has_a_chinese_name():
    english = {h.value for h in chinese_calendar.Holiday}
    assert english <= set(calendar.HOLIDAY_NAMES)
    assert calendar.package_exceptions(2015)[date(2015, 9, 3)] == (False, "抗战胜利70周年纪念日")


# --- seeding ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_is_idempotent_and_adds_years():
    first = calendar.calendar_seed([2019])
    assert first["created"] > 0
    assert WorkCalendarYear.objects.get(year=2019).source == "chinese_calendar"
    before = days_of(2019)
    again = calendar.calendar_seed([2019, 2026])
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert days_of(2019) == before
    year = WorkCalendarYear.objects.get(year=2019)
    assert [e.verb for e in events.events_of(year)] == ["calendar_seeded", "calendar_seeded"]


@pytest.mark.django_db
def test_seed_refuses_years_the_package_does_not_know():
    with pytest.raises(InvalidInput) as err:
        calendar.calendar_seed([2026, 2031])
    assert err.value.code == "calendar_year_not_in_package"
    assert err.value.detail == {"years": [2031]}
    assert not WorkCalendarYear.objects.filter(year=2031).exists()


@pytest.mark.django_db
def test_seed_keeps_manual_days_and_repairs_package_days(admin_user):
    calendar.calendar_day_set(actor=admin_user, date=date(2026, 10, 1), is_workday=True)
    WorkCalendarDay.objects.filter(date=date(2026, 10, 2)).update(name="错误")
    WorkCalendarDay.objects.create(
        date=date(2026, 3, 4), is_workday=False, name="旧数据", source="chinese_calendar"
    )
    counts = calendar.calendar_seed([2026])
    assert (counts["kept_manual"], counts["updated"], counts["deleted"]) == (1, 1, 1)
    seeded = days_of(2026)
    assert seeded[date(2026, 10, 1)] == (True, "", "manual")
    assert seeded[date(2026, 10, 2)] == (False, "国庆节", "chinese_calendar")
    assert date(2026, 3, 4) not in seeded
    assert worktime.is_workday(date(2026, 10, 1))


# --- manual edits -----------------------------------------------------------------------------


@pytest.fixture
def admin_user(make_account):
    return make_account("calendar-admin", roles=(), superuser=True)


@pytest.mark.django_db
def test_manual_day_overrides_and_invalidates_the_cache(admin_user):
    thursday = date(2026, 10, 8)
    assert worktime.is_workday(thursday)  # loads 2026 into the cache
    row = calendar.calendar_day_set(
        actor=admin_user, date=thursday, is_workday=False, name=" 临时停工 "
    )
    assert (row.source, row.name) == ("manual", "临时停工")
    assert not worktime.is_workday(thursday)
    due = worktime.add_work_time(datetime(2026, 9, 30, 16), hours=2)
    assert due == datetime(2026, 10, 9, 9, tzinfo=clock.local_zone())
    event = list(events.events_of(WorkCalendarYear.objects.get(year=2026)))[-1]
    assert (event.verb, event.from_state, event.to_state, event.actor) == (
        "calendar_day_set",
        "",
        "holiday",
        admin_user,
    )
    assert event.data == {"date": "2026-10-08", "name": "临时停工"}

    calendar.calendar_day_clear(actor=admin_user, date=thursday)
    assert worktime.is_workday(thursday)
    assert not WorkCalendarDay.objects.filter(date=thursday).exists()


@pytest.mark.django_db
def test_entering_a_day_of_an_unknown_year_makes_it_known(admin_user):
    with clock.frozen(datetime(2031, 2, 1, 9)):
        assert any("2031" in w for w in worktime.calendar_warnings())
        calendar.calendar_day_set(
            actor=admin_user, date=date(2031, 1, 1), is_workday=False, name="元旦"
        )
        warnings = worktime.calendar_warnings()
    assert not any("2031" in w for w in warnings)
    assert any("2032" in w for w in warnings)
    assert WorkCalendarYear.objects.get(year=2031).source == "manual"
    assert not worktime.is_workday(date(2031, 1, 1))
    verbs = [e.verb for e in events.events_of(WorkCalendarYear.objects.get(year=2031))]
    assert verbs == ["calendar_year_added", "calendar_day_set"]


@pytest.mark.django_db
def test_manual_year_and_bad_input(admin_user):
    row = calendar.calendar_year_add_manual(2032, actor=admin_user, note="国务院办公厅通知")
    assert calendar.calendar_year_add_manual(2032) == row
    assert WorkCalendarYear.objects.get(year=2032).note == "国务院办公厅通知"
    with pytest.raises(InvalidInput) as err:
        calendar.calendar_year_add_manual(1999)
    assert err.value.code == "calendar_year_out_of_range"
    with pytest.raises(InvalidInput) as err:
        calendar.calendar_day_set(
            actor=admin_user, date=date(2032, 1, 1), is_workday=False, name="节" * 51
        )
    assert err.value.code == "calendar_name_too_long"
    with pytest.raises(NotFound) as err:
        calendar.calendar_day_clear(actor=admin_user, date=date(2032, 1, 1))
    assert err.value.code == "calendar_day_not_found"


# --- the command ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_check_and_add():
    out = run("check", "2026-10-01", "2026-10-10", "2026-11-21", "2031-01-01")
    lines = out.splitlines()
    assert lines[0].startswith("2026-10-01 周四 休 国庆节")
    assert lines[1].startswith("2026-10-10 周六 班 调休上班")
    assert lines[2].startswith("2026-11-21 周六 休")
    assert "2031-01-01 周三 班" in lines[3] and "unknown" in lines[3]
    assert run("add", "2026-09-30 16:00", "--days", "3").startswith("2026-10-10 16:00 周六")
    assert run("add", "2026-09-30 16:00", "--hours", "2").startswith("2026-10-08 09:00 周四")


@pytest.mark.django_db
def test_command_check_with_a_weekend_unit(db):
    from cityloop.org.services import unit_save

    unit_save(actor=None, code="HALL", name="政务服务大厅", kind="office", works_weekends=True)
    out = run("check", "2026-11-21", "2026-10-03", "--unit", "HALL")
    assert out.splitlines()[0].startswith("2026-11-21 周六 班")
    assert out.splitlines()[1].startswith("2026-10-03 周六 休")
    with pytest.raises(CommandError):
        run("check", "2026-11-21", "--unit", "NOPE")


@pytest.mark.django_db
def test_command_set_show_clear_seed():
    assert "2031" in run("show", "2031") and "Monday–Friday" in run("show", "2031")
    run("set", "2031-01-01", "--off", "--name", "元旦")
    shown = run("show", "2031")
    assert "元旦" in shown and "manual" in shown
    assert not worktime.is_workday(date(2031, 1, 1))
    run("clear", "2031-01-01")
    assert worktime.is_workday(date(2031, 1, 1))
    with pytest.raises(CommandError, match="calendar_day_not_found"):
        run("clear", "2031-01-01")
    with pytest.raises(CommandError, match="calendar_year_not_in_package"):
        run("seed", "2031")
    assert "2019" in run("seed", "2019")
    assert "国庆节" in run("show", "2019")


# --- admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_edits_go_through_the_service(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/core/workcalendarday/add/",
        {"date": "2026-12-31", "is_workday": "", "name": "跨年停工"},
    )
    assert response.status_code == 302, response.content[:2000]
    row = WorkCalendarDay.objects.get(date=date(2026, 12, 31))
    assert (row.is_workday, row.source) == (False, "manual")
    assert not worktime.is_workday(date(2026, 12, 31))
    verbs = [e.verb for e in events.events_of(WorkCalendarYear.objects.get(year=2026))]
    assert verbs[-1] == "calendar_day_set"
    for page in ("workcalendaryear", "workcalendarday", "apitoken", "event"):
        assert client.get(f"/admin/core/{page}/").status_code == 200
    assert client.get("/admin/core/event/add/").status_code == 403
