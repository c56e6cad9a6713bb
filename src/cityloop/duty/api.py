"""Duty rosters over the API (``/api/v1/duty/…``): the units that keep one, a unit's month,
who is on duty now, planning and staffing shifts, swaps and their approval, handovers.

Out of scope is 404, not the unit's staff 403, a decided swap or an overlap 409, bad input 422.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from cityloop.core import clock
from cityloop.core.schemas import API_ERRORS, ref
from cityloop.duty import queries, workflow
from cityloop.duty.models import Shift

router = Router(tags=["duty"])
ERRORS: dict[int, type] = dict(API_ERRORS)


class ShiftIn(Schema):
    unit: str = Field(description="unit code")
    kind: str = Field(description="full_day / day / night")
    starts_at: datetime
    ends_at: datetime
    on_duty: str = Field("", description="person code of the person on duty")
    leader: str = Field("", description="person code of the leader on call")
    note: str = ""


class AssignIn(Schema):
    on_duty: str = Field("", description="person code; empty leaves the place empty")
    leader: str = Field("", description="person code; empty leaves the place empty")


class SwapIn(Schema):
    role: str = Field(description="on_duty / leader")
    replacement: str = Field(description="person code")
    reason: str


class SwapDecisionIn(Schema):
    approve: bool
    note: str = ""


class HandoverIn(Schema):
    summary: str
    open_matters: str = ""
    received_by: str = Field("", description="person code; default: the next shift's person")


class ShiftOut(Schema):
    id: int
    unit: dict[str, Any]
    kind: str
    kind_label: str
    starts_at: datetime
    ends_at: datetime
    on_duty: dict[str, Any] | None
    leader: dict[str, Any] | None
    note: str


class GapOut(Schema):
    unit: dict[str, Any]
    starts_at: datetime
    ends_at: datetime
    shift: int | None
    reason: str


class OnDutyOut(Schema):
    unit: dict[str, Any]
    shift: ShiftOut | None
    nobody_on_duty: bool


class RosterOut(Schema):
    unit: dict[str, Any]
    round_the_clock: bool
    month: str
    shifts: list[ShiftOut]
    gaps: list[GapOut]


class SwapOut(Schema):
    id: int
    shift: int
    role: str
    requested_by: dict[str, Any]
    replacement: dict[str, Any]
    reason: str
    state: str


class HandoverOut(Schema):
    shift: int
    handed_by: dict[str, Any] | None
    received_by: dict[str, Any] | None
    at: datetime
    summary: str
    open_matters: str


def shift_out(s: Shift) -> dict[str, Any]:
    return {
        "id": s.pk,
        "unit": ref(s.unit),
        "kind": s.kind,
        "kind_label": s.get_kind_display(),
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "on_duty": ref(s.on_duty),
        "leader": ref(s.leader),
        "note": s.note,
    }


def _gap(g: queries.Gap) -> dict[str, Any]:
    return {
        "unit": ref(g.unit),
        "starts_at": g.starts_at,
        "ends_at": g.ends_at,
        "shift": g.shift.pk if g.shift else None,
        "reason": g.reason,
    }


def _swap(w) -> dict[str, Any]:
    return {
        "id": w.pk,
        "shift": w.shift_id,
        "role": w.role,
        "requested_by": ref(w.requested_by),
        "replacement": ref(w.replacement),
        "reason": w.reason,
        "state": w.state,
    }


@router.get("/duty/rosters", response={200: list[OnDutyOut], **ERRORS})
def rosters(request: HttpRequest):
    """Units in the caller's scope that keep a roster, each with who is on duty now."""
    out = []
    for unit in queries.roster_units(request.auth):
        now = queries.on_duty_now(unit)
        out.append(
            {
                "unit": ref(unit),
                "shift": shift_out(now.shift) if now and now.shift else None,
                "nobody_on_duty": bool(now and now.gap),
            }
        )
    return out


@router.get("/duty/rosters/{code}", response={200: RosterOut, **ERRORS})
def roster(request: HttpRequest, code: str, month: str = ""):
    """One unit's month (``month=YYYY-MM``, default this month): shifts and the stretches
    with nobody on duty. 排班表。"""
    unit = queries.roster_unit(request.auth, code)
    try:
        year, mon = (int(x) for x in month.split("-")) if month else (0, 0)
        queries.month_bounds(year, mon)
    except ValueError:
        today = clock.today()
        year, mon = today.year, today.month
    first, last = queries.month_bounds(year, mon)
    start = queries.local_midnight(first)
    end = queries.local_midnight(last + timedelta(days=1))
    return {
        "unit": ref(unit),
        "round_the_clock": unit.round_the_clock,
        "month": f"{year}-{mon:02d}",
        "shifts": [shift_out(s) for s in queries.shifts_between(unit, start, end)],
        "gaps": [_gap(g) for g in queries.gaps(unit, start, end)],
    }


@router.get("/duty/rosters/{code}/now", response={200: OnDutyOut, **ERRORS})
def now(request: HttpRequest, code: str):
    """Who is on duty now and which leader is on call. 当前值班。"""
    unit = queries.roster_unit(request.auth, code)
    current = queries.on_duty_now(unit) or queries.OnDuty(unit, None)
    return {
        "unit": ref(unit),
        "shift": shift_out(current.shift) if current.shift else None,
        "nobody_on_duty": current.gap,
    }


@router.post("/duty/shifts", response={201: ShiftOut, **ERRORS})
def plan(request: HttpRequest, payload: ShiftIn):
    """Plan a shift of a unit whose roster the caller keeps."""
    s = workflow.plan_shift(actor=request.auth, data=workflow.ShiftInput(**payload.dict()))
    return Status(201, shift_out(queries.shift_get(request.auth, s.pk)))


@router.post("/duty/shifts/{shift_id}/assign", response={200: ShiftOut, **ERRORS})
def assign(request: HttpRequest, shift_id: int, payload: AssignIn):
    workflow.assign(actor=request.auth, shift_id=shift_id, **payload.dict())
    return shift_out(queries.shift_get(request.auth, shift_id))


@router.post("/duty/shifts/{shift_id}/swaps", response={201: SwapOut, **ERRORS})
def swap(request: HttpRequest, shift_id: int, payload: SwapIn):
    """Ask to hand one's place on the shift to another person; the unit's staff decide."""
    w = workflow.request_swap(actor=request.auth, shift_id=shift_id, **payload.dict())
    return Status(201, _swap(w))


@router.post("/duty/swaps/{swap_id}/decision", response={200: SwapOut, **ERRORS})
def decide(request: HttpRequest, swap_id: int, payload: SwapDecisionIn):
    w = workflow.decide_swap(actor=request.auth, swap_id=swap_id, **payload.dict())
    return _swap(w)


@router.post("/duty/shifts/{shift_id}/handover", response={201: HandoverOut, **ERRORS})
def handover(request: HttpRequest, shift_id: int, payload: HandoverIn):
    """交接班记录: what was handed on and the matters still open."""
    h = workflow.hand_over(actor=request.auth, shift_id=shift_id, **payload.dict())
    return Status(
        201,
        {
            "shift": h.shift_id,
            "handed_by": ref(h.handed_by),
            "received_by": ref(h.received_by),
            "at": h.at,
            "summary": h.summary,
            "open_matters": h.open_matters,
        },
    )


# --- hazard points: alarms, flood-season plans and checks -----------------------------------


class HazardAlarmIn(Schema):
    description: str = Field("", description="what the sensor or patrol saw; default: 报警")
    category: str = Field("", description="category code; default: the first urgent one")


class HazardAlarmOut(Schema):
    case: int
    code: str
    status: str
    zone: str
    unit: dict[str, Any] | None
    on_duty: dict[str, Any] | None
    replayed: bool


class FloodPlanIn(Schema):
    place: str = Field(description="code of the street or district")
    year: int
    before_start: date | None = None
    before_end: date | None = None
    during_start: date | None = None
    during_end: date | None = None
    after_start: date | None = None
    after_end: date | None = None


class FloodCheckOut(Schema):
    id: int
    zone: dict[str, Any]
    window: str
    window_label: str
    starts: date
    due: date
    unit: dict[str, Any]
    state: str = Field(description="done / done_late / due / overdue / upcoming")
    inspection: str | None
    findings: int


class FloodPlanOut(Schema):
    id: int
    place: dict[str, Any]
    year: int
    windows: list[dict[str, Any]]
    counts: dict[str, int]
    checks: list[FloodCheckOut]


class FloodCheckRecordIn(Schema):
    summary: str
    problem: str = Field("", description="a problem found: opens a rectification")
    due: date | None = Field(None, description="time limit of the rectification")


def _check_out(row: queries.CheckRow) -> dict[str, Any]:
    c = row.check
    return {
        "id": c.pk,
        "zone": {"code": c.zone.code, "name": c.zone.name},
        "window": c.window,
        "window_label": c.get_window_display(),
        "starts": c.starts,
        "due": c.due,
        "unit": ref(c.unit),
        "state": row.state,
        "inspection": c.inspection.code if c.inspection_id else None,
        "findings": row.findings,
    }


def _plan_out(actor, plan) -> dict[str, Any]:
    rows = queries.plan_checks(actor, plan)
    return {
        "id": plan.pk,
        "place": {"code": plan.place.code, "name": plan.place.name},
        "year": plan.year,
        "windows": [{"window": w, "starts": s, "due": d} for w, s, d in plan.windows()],
        "counts": queries.plan_counts(rows),
        "checks": [_check_out(r) for r in rows],
    }


@router.post("/zones/{code}/alarm", response={201: HazardAlarmOut, 200: HazardAlarmOut, **ERRORS})
def alarm(request: HttpRequest, code: str, payload: HazardAlarmIn):
    """报警 on a hazard point (a sensor, a patrol): an urgent case at the point, dispatched to
    its responsible unit when the caller may dispatch; the unit's person on duty is told at
    once. Send an ``Idempotency-Key`` header: a resend answers the first case (200)."""
    user = request.auth
    key = request.headers.get("Idempotency-Key", "")[:200]
    case = workflow.raise_alarm(
        actor=user,
        code=code,
        description=payload.description,
        category=payload.category,
        idempotency_key=key,
        client=f"user:{user.pk}",
    )
    unit = case.responsible_unit
    current = queries.on_duty_now(unit) if unit is not None else None
    body = {
        "case": case.pk,
        "code": case.code,
        "status": case.status,
        "zone": code,
        "unit": ref(unit),
        "on_duty": ref(current.person) if current and current.person else None,
        "replayed": bool(getattr(case, "replayed", False)),
    }
    return Status(200 if body["replayed"] else 201, body)


@router.get("/duty/flood-plans", response={200: list[FloodPlanOut], **ERRORS})
def flood_plans(request: HttpRequest):
    """Flood-season plans (汛期三查) in the caller's scope, with their checks."""
    plans = queries.visible_flood_plans(request.auth).order_by("-year", "place__path")[:50]
    return [_plan_out(request.auth, p) for p in plans]


@router.post("/duty/flood-plans", response={201: FloodPlanOut, **ERRORS})
def flood_plan(request: HttpRequest, payload: FloodPlanIn):
    """Plan (or re-plan) a street's flood season; checks are scheduled, once per point and
    window."""
    windows = {k: v for k, v in payload.dict().items() if k not in ("place", "year") and v}
    plan = workflow.plan_flood_season(
        actor=request.auth, place=payload.place, year=payload.year, windows=windows
    )
    return Status(201, _plan_out(request.auth, plan))


@router.get("/duty/flood-plans/{plan_id}", response={200: FloodPlanOut, **ERRORS})
def flood_plan_get(request: HttpRequest, plan_id: int):
    return _plan_out(request.auth, queries.flood_plan_get(request.auth, plan_id))


@router.post("/duty/flood-checks/{check_id}/record", response={200: FloodCheckOut, **ERRORS})
def flood_check_record(request: HttpRequest, check_id: int, payload: FloodCheckRecordIn):
    """The check done (an inspection); a problem found opens its rectification."""
    workflow.record_check(actor=request.auth, check_id=check_id, **payload.dict())
    check = queries.flood_check_get(request.auth, check_id)
    rows = [r for r in queries.plan_checks(request.auth, check.plan) if r.check.pk == check_id]
    return _check_out(rows[0])
