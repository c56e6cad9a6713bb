"""Reading rosters through the reader's scope: the shifts of units the reader covers.

The one read the rest of the platform uses is :func:`on_duty_now`: who is on duty, and which
leader is on call, for a unit at a moment — shown at dispatch and on a case's page, and asked
by the escalation (:mod:`cityloop.duty.workflow`). It is not a scoped read: it answers "who must
be told", for a unit the caller already reached through its own scope.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import NotFound
from cityloop.duty.models import FloodCheck, FloodPlan, Handover, Shift, Swap
from cityloop.org import queries as org_queries
from cityloop.org.models import Place, Unit, Zone

# The street's board looks this far ahead for shifts nobody is on.
BOARD_DAYS = 7


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=clock.local_zone())


def visible_shifts(actor) -> QuerySet[Shift]:
    return Shift.objects.filter(unit__in=org_queries.visible_units(actor).values("pk"))


def roster_unit(actor, code: str) -> Unit:
    """A unit of the reader's scope, by code; another street's is not found (404)."""
    unit = org_queries.visible_units(actor).filter(code=code).first()
    if unit is None:
        raise NotFound("unit_not_found", _("Unit not found."))
    return unit


def roster_units(actor) -> list[Unit]:
    """Units in scope that keep a roster: round-the-clock units and any unit with shifts."""
    units = org_queries.visible_units(actor)
    with_shifts = Shift.objects.values("unit_id")
    return list(units.filter(Q(round_the_clock=True) | Q(pk__in=with_shifts)).order_by("path"))


def shift_get(actor, shift_id: int) -> Shift:
    shift = (
        visible_shifts(actor)
        .select_related("unit", "on_duty", "leader")
        .filter(pk=shift_id)
        .first()
    )
    if shift is None:
        raise NotFound("shift_not_found", _("Shift not found."))
    return shift


def swap_get(actor, swap_id: int) -> Swap:
    swap = (
        Swap.objects.filter(shift__in=visible_shifts(actor))
        .select_related("shift", "shift__unit", "requested_by", "replacement")
        .filter(pk=swap_id)
        .first()
    )
    if swap is None:
        raise NotFound("swap_not_found", _("Swap not found."))
    return swap


def shifts_between(unit: Unit, start: datetime, end: datetime) -> list[Shift]:
    """The unit's shifts overlapping [start, end), in time order."""
    return list(
        Shift.objects.filter(unit=unit, starts_at__lt=end, ends_at__gt=start)
        .select_related("on_duty", "leader", "handover")
        .order_by("starts_at", "pk")
    )


def shift_at(unit: Unit | None, at: datetime | None = None) -> Shift | None:
    """The unit's shift running at ``at`` (now by default)."""
    if unit is None:
        return None
    at = at or clock.now()
    return (
        Shift.objects.filter(unit=unit, starts_at__lte=at, ends_at__gt=at)
        .select_related("on_duty", "leader")
        .order_by("-starts_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class OnDuty:
    """Who answers for a unit now. ``shift`` None: the unit has a roster but no shift now."""

    unit: Unit
    shift: Shift | None

    @property
    def person(self):
        return self.shift.on_duty if self.shift else None

    @property
    def leader(self):
        return self.shift.leader if self.shift else None

    @property
    def gap(self) -> bool:
        """Nobody on duty right now for a unit that keeps a roster: a red item."""
        return self.person is None


def has_roster(unit: Unit | None) -> bool:
    return unit is not None and (unit.round_the_clock or Shift.objects.filter(unit=unit).exists())


def on_duty_now(unit: Unit | None, at: datetime | None = None) -> OnDuty | None:
    """The person on duty and the leader on call for ``unit`` at ``at``; None when the unit
    keeps no roster (nothing to show)."""
    if not has_roster(unit):
        return None
    return OnDuty(unit, shift_at(unit, at))


@dataclass(frozen=True)
class Gap:
    """Time a roster leaves nobody on duty: a shift without a person, or no shift at all."""

    unit: Unit
    starts_at: datetime
    ends_at: datetime
    shift: Shift | None  # None: no shift covers this time

    @property
    def reason(self) -> str:
        if self.shift is None:
            return _("no shift planned")
        return _("nobody on duty")


def gaps(
    unit: Unit, start: datetime, end: datetime, shifts: list[Shift] | None = None
) -> list[Gap]:
    """Every stretch of [start, end) with nobody on duty. Only a round-the-clock unit must have
    someone at every moment; for another unit only its planned shifts without a person count."""
    shifts = shifts_between(unit, start, end) if shifts is None else shifts
    found: list[Gap] = []
    cursor = start
    for s in shifts:
        if unit.round_the_clock and s.starts_at > cursor:
            found.append(Gap(unit, cursor, min(s.starts_at, end), None))
        if s.on_duty_id is None:
            found.append(Gap(unit, max(s.starts_at, start), min(s.ends_at, end), s))
        cursor = max(cursor, s.ends_at)
    if unit.round_the_clock and cursor < end:
        found.append(Gap(unit, cursor, end, None))
    return found


@dataclass
class Day:
    day: date
    in_month: bool
    shifts: list[Shift] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def red(self) -> bool:
        return bool(self.gaps)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return first, last


def month_calendar(unit: Unit, year: int, month: int) -> list[list[Day]]:
    """Weeks (Monday first) of the month, each day with its shifts and its gaps."""
    first, last = month_bounds(year, month)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    shifts = shifts_between(unit, start, end)
    holes = gaps(unit, start, end, shifts)
    zone = clock.local_zone()
    days: dict[date, Day] = {}
    d = grid_start
    while d <= grid_end:
        days[d] = Day(d, first <= d <= last)
        d += timedelta(days=1)
    for s in shifts:
        key = s.starts_at.astimezone(zone).date()
        if key in days:
            days[key].shifts.append(s)
    for g in holes:
        if g.shift is not None:  # an empty shift is red on its day, where the calendar shows it
            key = g.shift.starts_at.astimezone(zone).date()
            if key in days:
                days[key].gaps.append(g)
            continue
        # Time no shift covers is red on every day it touches.
        d = g.starts_at.astimezone(zone).date()
        last_day = (g.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
        while d <= last_day:
            if d in days:
                days[d].gaps.append(g)
            d += timedelta(days=1)
    ordered = list(days.values())
    return [ordered[i : i + 7] for i in range(0, len(ordered), 7)]


def month_gaps(unit: Unit, year: int, month: int) -> list[Gap]:
    first, last = month_bounds(year, month)
    return gaps(unit, local_midnight(first), local_midnight(last + timedelta(days=1)))


def gaps_in_scope(actor, *, now: datetime | None = None, days: int = BOARD_DAYS) -> list[Gap]:
    """The street's board: stretches of the coming ``days`` (from the current shift on) with
    nobody on duty, for every round-the-clock unit the reader covers."""
    now = now or clock.now()
    end = now + timedelta(days=days)
    out: list[Gap] = []
    units = org_queries.visible_units(actor).filter(round_the_clock=True).order_by("path")
    for unit in units:
        out.extend(gaps(unit, now, end))
    return sorted(out, key=lambda g: (g.starts_at, g.unit.path))


def open_swaps(unit: Unit) -> list[Swap]:
    return list(
        Swap.objects.filter(shift__unit=unit, state=Swap.State.REQUESTED)
        .select_related("shift", "requested_by", "replacement")
        .order_by("shift__starts_at", "pk")
    )


def handovers(unit: Unit, start: datetime, end: datetime) -> list[Handover]:
    return list(
        Handover.objects.filter(
            shift__unit=unit, shift__starts_at__gte=start, shift__starts_at__lt=end
        )
        .select_related("shift", "handed_by", "received_by")
        .order_by("-shift__starts_at")
    )


def export_rows(unit: Unit, year: int, month: int) -> list[list]:
    """The month's roster as the .xlsx rows :mod:`cityloop.duty.imports` reads back."""
    from cityloop.duty.imports import KIND_NAMES

    first, last = month_bounds(year, month)
    zone = clock.local_zone()
    rows = []
    for s in shifts_between(unit, local_midnight(first), local_midnight(last + timedelta(days=1))):
        start = s.starts_at.astimezone(zone)
        end = s.ends_at.astimezone(zone)
        rows.append(
            [
                start.date(),
                KIND_NAMES[s.kind],
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                s.on_duty.code if s.on_duty else "",
                s.on_duty.name if s.on_duty else "",
                s.leader.code if s.leader else "",
                s.leader.name if s.leader else "",
                s.note,
            ]
        )
    return rows


# --- hazard points and the flood season's checks --------------------------------------------


def hazard_point(actor, code: str) -> Zone:
    """A hazard point of the reader's scope; another street's is not found (404)."""
    zone = (
        org_queries.visible_zones(actor)
        .filter(kind=Zone.Kind.HAZARD_POINT, code=code)
        .select_related("place")
        .first()
    )
    if zone is None:
        raise NotFound("hazard_point_not_found", _("Hazard point not found."))
    return zone


def hazard_points(actor) -> QuerySet[Zone]:
    return (
        org_queries.visible_zones(actor)
        .filter(kind=Zone.Kind.HAZARD_POINT)
        .select_related("place")
        .order_by("code")
    )


def flood_place(actor, code: str) -> Place:
    """A street or district of the reader's scope that may have a flood-season plan."""
    place = (
        org_queries.visible_places(actor)
        .filter(code=code, kind__in=[Place.Kind.STREET, Place.Kind.DISTRICT])
        .first()
    )
    if place is None:
        raise NotFound("place_not_found", _("Street or district not found."))
    return place


def flood_places(actor) -> list[Place]:
    return list(
        org_queries.visible_places(actor)
        .filter(kind__in=[Place.Kind.STREET, Place.Kind.DISTRICT])
        .order_by("path")
    )


def visible_flood_plans(actor) -> QuerySet[FloodPlan]:
    """Plans of places in scope, and plans above whose checks reach points in scope."""
    zones = org_queries.visible_zones(actor).values("pk")
    return (
        FloodPlan.objects.filter(
            Q(place__in=org_queries.visible_places(actor).values("pk")) | Q(checks__zone__in=zones)
        )
        .distinct()
        .select_related("place")
    )


def flood_plan_get(actor, plan_id: int) -> FloodPlan:
    plan = visible_flood_plans(actor).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound("flood_plan_not_found", _("Flood-season plan not found."))
    return plan


def visible_flood_checks(actor) -> QuerySet[FloodCheck]:
    return FloodCheck.objects.filter(zone__in=org_queries.visible_zones(actor).values("pk"))


def flood_check_get(actor, check_id: int) -> FloodCheck:
    check = (
        visible_flood_checks(actor)
        .select_related("zone__place", "unit", "plan", "inspection")
        .filter(pk=check_id)
        .first()
    )
    if check is None:
        raise NotFound("flood_check_not_found", _("Flood-season check not found."))
    return check


CHECK_STATES = ("done", "done_late", "due", "overdue", "upcoming")


def check_state(check: FloodCheck, today: date) -> str:
    """done / done_late (after its window) / due (window open) / overdue (closed undone: red)
    / upcoming."""
    if check.inspection_id is not None:
        return "done" if check.done_on is None or check.done_on <= check.due else "done_late"
    if today > check.due:
        return "overdue"
    return "due" if today >= check.starts else "upcoming"


@dataclass
class CheckRow:
    check: FloodCheck
    state: str
    findings: int = 0


def plan_checks(actor, plan: FloodPlan, *, today: date | None = None) -> list[CheckRow]:
    """The plan's checks the reader may see (a district plan shows a street its own points)."""
    from django.db.models import Count

    today = today or clock.today()
    checks = (
        visible_flood_checks(actor)
        .filter(plan=plan)
        .select_related("zone", "unit", "inspection")
        .annotate(n_findings=Count("inspection__findings"))
        .order_by("due", "zone__code", "pk")
    )
    return [CheckRow(c, check_state(c, today), c.n_findings) for c in checks]


def plan_counts(rows: list[CheckRow]) -> dict[str, int]:
    counts = dict.fromkeys(CHECK_STATES, 0)
    for row in rows:
        counts[row.state] += 1
    return counts
