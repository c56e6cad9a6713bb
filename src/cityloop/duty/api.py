"""Duty rosters over the API (``/api/v1/duty/…``): the units that keep one, a unit's month,
who is on duty now, planning and staffing shifts, swaps and their approval, handovers.

Out of scope is 404, not the unit's staff 403, a decided swap or an overlap 409, bad input 422.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
