"""Meetings over the API (``/api/v1/meetings``): list, one meeting with its decisions and
their lights, schedule, sign in, minutes, decisions (each a supervision task), issue.

Out of scope is 404, not the organiser 403, an issued record 409, bad input 422.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cityloop.core.schemas import API_ERRORS, Limit, ref
from cityloop.meetings import queries, workflow
from cityloop.meetings.models import Meeting

router = Router(tags=["meetings"])
ERRORS: dict[int, type] = dict(API_ERRORS)


class MeetingScheduleIn(Schema):
    kind: str = Field(description="weekly / dispatch / consultation / headquarters")
    title: str
    unit: str = Field(description="organising unit code")
    held_at: datetime
    chair: str = Field("", description="person code")
    location: str = ""
    agenda: str = ""
    attendees: list[str] = Field(default_factory=list, description="person codes")


class MeetingSignInIn(Schema):
    person: str = Field(description="person code")
    absence: str = Field("", description="reason for absence; empty signs the person in")


class MeetingMinutesIn(Schema):
    minutes: str


class MeetingDecisionIn(Schema):
    text: str
    responsible_unit: str = Field(description="unit code")
    deadline: date
    category: str = Field(description="task category code")
    leader: str = Field("", description="person code")
    title: str = Field("", description="the task's title; default: the decision's first line")


class MeetingDecisionOut(Schema):
    number: int
    text: str
    task: dict[str, Any]
    responsible_unit: dict[str, Any] | None
    leader: dict[str, Any] | None
    deadline: date
    light: str
    light_label: str
    reasons: list[dict[str, Any]]


class MeetingAttendeeOut(Schema):
    person: dict[str, Any]
    signed_at: datetime | None
    absence: str


class MeetingOut(Schema):
    code: str
    kind: str
    kind_label: str
    title: str
    state: str
    state_label: str
    unit: dict[str, Any]
    chair: dict[str, Any] | None
    held_at: datetime
    location: str
    url: str


class MeetingDetailOut(MeetingOut):
    agenda: str
    minutes: str
    previous: str | None
    attendees: list[MeetingAttendeeOut]
    decisions: list[MeetingDecisionOut]
    carried_over: list[MeetingDecisionOut]


class MeetingPage(Schema):
    items: list[MeetingOut]
    next_before: str = Field("", description="pass as ``before`` for the next page")


def _summary(m: Meeting) -> dict[str, Any]:
    return {
        "code": m.code,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "title": m.title,
        "state": m.state,
        "state_label": m.get_state_display(),
        "unit": ref(m.unit),
        "chair": ref(m.chair),
        "held_at": m.held_at,
        "location": m.location,
        "url": reverse("meetings:detail", args=[m.code]),
    }


def _decision(r: queries.DecisionRow) -> dict[str, Any]:
    t = r.task
    return {
        "number": r.decision.number,
        "text": r.decision.text,
        "task": {"id": t.pk, "code": t.code, "name": t.title},
        "responsible_unit": ref(t.responsible_unit),
        "leader": ref(t.leader),
        "deadline": t.deadline,
        "light": r.colour,
        "light_label": r.colour_label,
        "reasons": r.reasons,
    }


def meeting_out(actor, m: Meeting) -> dict[str, Any]:
    return {
        **_summary(m),
        "agenda": m.agenda,
        "minutes": m.minutes,
        "previous": m.previous.code if m.previous_id else None,
        "attendees": [
            {"person": ref(a.person), "signed_at": a.signed_at, "absence": a.absence}
            for a in m.attendees.all()
        ],
        "decisions": [_decision(r) for r in queries.decision_rows(actor, m)],
        "carried_over": [_decision(r) for r in queries.carried_over(actor, m)],
    }


def _detail(request: HttpRequest, code: str) -> dict[str, Any]:
    return meeting_out(request.auth, queries.meeting_get(request.auth, code))


@router.get("/meetings", response={200: MeetingPage, **ERRORS})
def list_meetings(
    request: HttpRequest,
    kind: str = "",
    before: str = Query("", max_length=80, description="cursor from next_before"),
    limit: int = Limit(50, 200),
):
    """Meetings in the caller's scope (and those the caller attended), newest first; keyset
    paged. 会议列表，最新的在前。"""
    cursor = queries.parse_cursor(before)
    rows = queries.meeting_rows(request.auth, kind=kind, before=cursor, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_summary(m) for m in rows],
        "next_before": queries.cursor_of(rows[-1]) if more else "",
    }


@router.post("/meetings", response={201: MeetingDetailOut, **ERRORS})
def schedule(request: HttpRequest, payload: MeetingScheduleIn):
    """Schedule a meeting of a unit the caller supervises. 新建会议。"""
    m = workflow.schedule(actor=request.auth, data=workflow.MeetingInput(**payload.dict()))
    return Status(201, _detail(request, m.code))


@router.get("/meetings/{code}", response={200: MeetingDetailOut, **ERRORS})
def detail(request: HttpRequest, code: str):
    """One meeting: sign-in sheet, minutes, decisions with their lights, and the previous
    meeting's decisions as they stand now."""
    return _detail(request, code)


@router.post("/meetings/{code}/sign-ins", response={200: MeetingDetailOut, **ERRORS})
def sign_in(request: HttpRequest, code: str, payload: MeetingSignInIn):
    workflow.sign_in(actor=request.auth, code=code, person=payload.person, absence=payload.absence)
    return _detail(request, code)


@router.post("/meetings/{code}/minutes", response={200: MeetingDetailOut, **ERRORS})
def minutes(request: HttpRequest, code: str, payload: MeetingMinutesIn):
    workflow.record_minutes(actor=request.auth, code=code, minutes=payload.minutes)
    return _detail(request, code)


@router.post("/meetings/{code}/decisions", response={201: MeetingDetailOut, **ERRORS})
def decide(request: HttpRequest, code: str, payload: MeetingDecisionIn):
    """Record a decision; it becomes a supervision task supervised by the organising unit."""
    workflow.decide(actor=request.auth, code=code, data=workflow.DecisionInput(**payload.dict()))
    return Status(201, _detail(request, code))


@router.post("/meetings/{code}/actions/issue", response={200: MeetingDetailOut, **ERRORS})
def issue(request: HttpRequest, code: str):
    workflow.issue(actor=request.auth, code=code)
    return _detail(request, code)
