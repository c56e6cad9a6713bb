"""Demo duty rosters (值班) [seed 003 "确保24小时专人在岗，主管领导手机24小时保持畅通"] and the
flood season's three checks (汛期三查) of 峡窝镇's hazard points.

The two round-the-clock units of the demo keep a month of shifts around the as-of moment:
济源路街道城管办值班室 in 24-hour shifts (08:00–08:00), 峡窝镇防汛抗旱指挥部办公室 in day and
night shifts (08:00–20:00–08:00). Each shift names the person on duty and the leader on call;
one night shift of the flood office two days ahead is left with nobody on duty — the red item
on its roster and on the board. Yesterday's 城管 shift was handed over with one open matter,
and one swap was asked and approved.

峡窝镇 planned this year's flood season: every hazard point was checked before the season, one
point was missed during the season (the red check), and the post-season check found a blocked
ditch, now on the rectification ledger until its deadline.

Played through :mod:`cityloop.duty.workflow` with the clock frozen, so events are what real
use would have made.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from cityloop.core import clock
from cityloop.demo import cases as demo_cases
from cityloop.duty import workflow
from cityloop.duty.models import FloodCheck, FloodPlan, Shift
from cityloop.org.models import Person, Unit, Zone

# unit code → (street staff account keeping the roster, duty officers, leaders on call)
ROSTERS: dict[str, tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = {
    "JYL-CGB-ZB": (
        "jyl-street",
        [("马振华", "13900001001"), ("刘建军", "13900001002"), ("孙晓燕", "13900001003")],
        [("王志强", "13900001011"), ("陈红梅", "13900001012")],
    ),
    "XW-FXB": (
        "xw-street",
        [("杜国平", "13900002001"), ("韩明亮", "13900002002"), ("吴静", "13900002003")],
        [("黄德胜", "13900002011"), ("罗雪芳", "13900002012")],
    ),
}


def present() -> bool:
    return Shift.objects.filter(is_demo=True).exists()


def delete_duty() -> int:
    delete_flood()
    n, _ = Shift.objects.filter(is_demo=True).delete()
    return n


def delete_flood() -> int:
    """The flood plans of the demo places (their checks go with them), before the demo
    inspections the checks point at."""
    n, _ = FloodPlan.objects.filter(place__is_demo=True).delete()
    return n


FLOOD_STAFF = "xw-street"  # 峡窝镇人民政府工作人员
# Each check is made on day 10 + n of its window (n: the point's number); one is missed and
# one finds a problem: (hazard point code, window).
FLOOD_MISSED = ("H-XW-03", "during")  # 废弃窑洞: nobody went during the season
FLOOD_PROBLEMS = {
    ("H-XW-05", "after"): "城市积水路段排水沟淤堵，需清淤",
}


def load_flood(today: date) -> dict[str, Any]:
    """峡窝镇's plan for this year and its checks, recorded in their windows."""
    staff = get_user_model().objects.filter(username=FLOOD_STAFF).first()
    first = Zone.objects.filter(kind=Zone.Kind.HAZARD_POINT, code="H-XW-01").first()
    if staff is None or first is None:
        return {"flood_checks": 0}
    with clock.frozen(_at(date(today.year, 4, 20), 9)):
        plan = workflow.plan_flood_season(actor=staff, place=first.place.code, year=today.year)
    done = 0
    checks = plan.checks.select_related("zone").order_by("due", "zone__code")
    for check in checks:
        key = (check.zone.code, check.window)
        day = check.starts + timedelta(days=10 + int(check.zone.code[-2:]))
        if key == FLOOD_MISSED or day > today or day > check.due:
            continue
        problem = FLOOD_PROBLEMS.get(key, "")
        with clock.frozen(_at(day, 10)):
            workflow.record_check(
                actor=staff,
                check_id=check.pk,
                summary=(
                    f"{check.get_window_display()}：{check.zone.name}现场检查，"
                    + ("发现问题，已下达整改。" if problem else "未发现隐患。")
                ),
                problem=problem,
                due=min(day + timedelta(days=40), date(today.year, 12, 31)) if problem else None,
                is_demo=True,
            )
        done += 1
    return {"flood_checks": FloodCheck.objects.filter(plan=plan).count(), "flood_done": done}


def _at(day: date, hh: int) -> datetime:
    return datetime.combine(day, time(hh, 0), tzinfo=clock.local_zone())


def _people(unit: Unit, rows: list[tuple[str, str]], prefix: str, title: str) -> list[Person]:
    out = []
    for i, (name, phone) in enumerate(rows, start=1):
        person, _ = Person.objects.update_or_create(
            code=f"P-DUTY-{unit.code}-{prefix}{i}",
            defaults={"name": name, "phone": phone, "title": title, "unit": unit, "is_demo": True},
        )
        out.append(person)
    return out


@transaction.atomic
def load_duty() -> dict[str, Any]:
    today = demo_cases.as_of().astimezone(clock.local_zone()).date()
    first = today.replace(day=1) - timedelta(days=1)
    last = max((today.replace(day=28) + timedelta(days=4)).replace(day=1), today + timedelta(10))
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["jyl-street", "xw-street"])
    }
    shifts = 0
    gap_day = today + timedelta(days=2)
    with demo_cases.quiet_channels():
        for code, (staff_name, officers, leaders) in ROSTERS.items():
            unit = Unit.objects.filter(code=code).first()
            staff = users.get(staff_name)
            if unit is None or staff is None:
                continue
            duty = _people(unit, officers, "D", "值班员")
            lead = _people(unit, leaders, "L", "带班领导")
            with clock.frozen(_at(first - timedelta(days=3), 10)):
                day, n = first, 0
                while day <= last:
                    if code == "JYL-CGB-ZB":
                        slots = [("full_day", 8, 24)]
                    else:
                        slots = [("day", 8, 12), ("night", 20, 12)]
                    for kind, hour, hours in slots:
                        on_duty = duty[n % len(duty)]
                        if code == "XW-FXB" and day == gap_day and kind == "night":
                            on_duty = None  # the one gap: nobody on this night
                        workflow.plan_shift(
                            actor=staff,
                            data=workflow.ShiftInput(
                                unit=code,
                                kind=kind,
                                starts_at=_at(day, hour),
                                ends_at=_at(day, hour) + timedelta(hours=hours),
                                on_duty=on_duty.code if on_duty else "",
                                leader=lead[(day.toordinal() // 7) % len(lead)].code,
                                is_demo=True,
                            ),
                        )
                        n += 1
                        shifts += 1
                    day += timedelta(days=1)
            if code != "JYL-CGB-ZB":
                continue
            yesterday = Shift.objects.get(unit=unit, starts_at=_at(today - timedelta(days=1), 8))
            with clock.frozen(_at(today, 8)):
                workflow.hand_over(
                    actor=staff,
                    shift_id=yesterday.pk,
                    summary="夜间巡查济源路、中原西路2次；处置占道经营1起，已清理。",
                    open_matters="新华街社区06小区门口井盖缺失，已设警示，待区住建局更换。",
                )
            later = Shift.objects.get(unit=unit, starts_at=_at(today + timedelta(days=3), 8))
            with clock.frozen(_at(today, 10)):
                swap = workflow.request_swap(
                    actor=staff,
                    shift_id=later.pk,
                    role="on_duty",
                    replacement=next(p for p in duty if p.pk != later.on_duty_id).code,
                    reason="当日参加区城管局业务培训",
                )
                workflow.decide_swap(actor=staff, swap_id=swap.pk, approve=True, note="同意")
        flood = load_flood(today)
    return {"shifts": shifts, **flood}
