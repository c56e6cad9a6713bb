"""Demand rounds over the API (``/api/v1/rounds``): list, one round with its demands and
figures, open a round, record demands, sort, merge, link projects, solve, escalate; the
figures per list and per week for bulletins.

Out of scope is 404, not the street's 403, an already handled demand 409, bad input 422.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.responses import Status

from cityloop.core.schemas import API_ERRORS, ref
from cityloop.rounds import queries, workflow
from cityloop.rounds.models import Demand, Round

router = Router(tags=["rounds"])
ERRORS: dict[int, type] = dict(API_ERRORS)


class RoundOpenIn(Schema):
    unit: str = Field(description="street unit code")
    week: str = Field(description="ISO week, 2026-W48")
    researchers: list[str] = Field(default_factory=list, description="person codes")
    places: list[str] = Field(default_factory=list)


class DemandIn(Schema):
    text: str
    place: str = ""
    raised_by: str = ""
    photos: list[str] = Field(default_factory=list, description="stored photo ids")
    list_id: int | None = None


class DemandSortIn(Schema):
    list_id: int


class DemandMergeIn(Schema):
    into: int = Field(description="number of the demand it repeats")
    round: str = Field(
        "", description="code of another round of the same street (empty: this round)"
    )


class DemandLinkIn(Schema):
    projects: list[str] = Field(description="project codes")


class DemandSolveIn(Schema):
    note: str


class DemandEscalateIn(Schema):
    unit: str = Field(description="district department code")
    deadline: date
    category: str = Field(description="task category code")
    note: str = ""


class RoundFiguresOut(Schema):
    label: str
    key: str
    demands: int
    solved: int
    in_project: int
    escalated: int
    merged: int


class DemandOut(Schema):
    number: int
    text: str
    place: str
    raised_by: str
    photos: list[str]
    list: dict[str, Any] | None
    state: str
    state_label: str
    merged_into: int | None
    merged_into_round: str | None
    projects: list[dict[str, Any]]
    note: str
    task: dict[str, Any] | None


class RoundOut(Schema):
    code: str
    unit: dict[str, Any]
    week: str
    week_start: date
    url: str


class RoundDetailOut(RoundOut):
    researchers: list[dict[str, Any]]
    places: list[str]
    created_at: datetime
    demands: list[DemandOut]
    lists: list[RoundFiguresOut]


class RoundFiguresPage(Schema):
    by_list: list[RoundFiguresOut]
    by_week: list[RoundFiguresOut]


def _summary(r: Round) -> dict[str, Any]:
    return {
        "code": r.code,
        "unit": ref(r.unit),
        "week": r.week,
        "week_start": r.week_start,
        "url": reverse("rounds:detail", args=[r.code]),
    }


def _figures(f: queries.Figures) -> dict[str, Any]:
    return {k: getattr(f, k) for k in RoundFiguresOut.__annotations__}


def _demand(d: Demand) -> dict[str, Any]:
    return {
        "number": d.number,
        "text": d.text,
        "place": d.place,
        "raised_by": d.raised_by,
        "photos": list(d.photos),
        "list": {"id": d.list_id, "name": d.list.name} if d.list_id else None,
        "state": d.state,
        "state_label": d.get_state_display(),
        "merged_into": d.merged_into.number if d.merged_into_id else None,
        "merged_into_round": d.merged_into.round.code if d.merged_into_id else None,
        "projects": [{"code": p.code, "name": p.name} for p in d.projects.all()],
        "note": d.note,
        "task": (
            {
                "id": d.task.pk,
                "code": d.task.code,
                "unit": ref(d.task.responsible_unit),
                "deadline": d.task.deadline.isoformat(),
            }
            if d.task_id
            else None
        ),
    }


def _detail(request: HttpRequest, code: str) -> dict[str, Any]:
    r = queries.round_get(request.auth, code)
    return {
        **_summary(r),
        "researchers": [ref(p) for p in r.researchers.all()],
        "places": r.place_list,
        "created_at": r.created_at,
        "demands": [_demand(d) for d in queries.demands_of(r)],
        "lists": [_figures(f) for f in queries.figures_by_list(request.auth, round_code=r.code)],
    }


@router.get("/rounds", response={200: list[RoundOut], **ERRORS})
def list_rounds(request: HttpRequest):
    """Rounds in the caller's scope, newest week first. 调研轮次列表。"""
    return [_summary(r) for r in queries.round_rows(request.auth, limit=200)]


@router.get("/rounds/figures", response={200: RoundFiguresPage, **ERRORS})
def figures(request: HttpRequest, since: date | None = None, until: date | None = None):
    """Figures per improvement list and per week in the caller's scope (for bulletins)."""
    a = request.auth
    return {
        "by_list": [_figures(f) for f in queries.figures_by_list(a, since=since, until=until)],
        "by_week": [_figures(f) for f in queries.figures_by_week(a, since=since, until=until)],
    }


@router.post("/rounds", response={201: RoundDetailOut, **ERRORS})
def open_round(request: HttpRequest, payload: RoundOpenIn):
    """Open the week's round of a street the caller supervises. 新建调研轮次。"""
    r = workflow.open_round(actor=request.auth, data=workflow.RoundInput(**payload.dict()))
    return Status(201, _detail(request, r.code))


@router.get("/rounds/{code}", response={200: RoundDetailOut, **ERRORS})
def detail(request: HttpRequest, code: str):
    return _detail(request, code)


@router.post("/rounds/{code}/demands", response={201: RoundDetailOut, **ERRORS})
def record_demand(request: HttpRequest, code: str, payload: DemandIn):
    workflow.record_demand(
        actor=request.auth, code=code, data=workflow.DemandInput(**payload.dict())
    )
    return Status(201, _detail(request, code))


@router.post("/rounds/{code}/demands/{number}/sort", response={200: RoundDetailOut, **ERRORS})
def sort(request: HttpRequest, code: str, number: int, payload: DemandSortIn):
    workflow.sort(actor=request.auth, code=code, number=number, list_id=payload.list_id)
    return _detail(request, code)


@router.post("/rounds/{code}/demands/{number}/merge", response={200: RoundDetailOut, **ERRORS})
def merge(request: HttpRequest, code: str, number: int, payload: DemandMergeIn):
    workflow.merge(
        actor=request.auth, code=code, number=number, into=payload.into, into_round=payload.round
    )
    return _detail(request, code)


@router.post("/rounds/{code}/demands/{number}/projects", response={200: RoundDetailOut, **ERRORS})
def link(request: HttpRequest, code: str, number: int, payload: DemandLinkIn):
    workflow.link_projects(actor=request.auth, code=code, number=number, projects=payload.projects)
    return _detail(request, code)


@router.post("/rounds/{code}/demands/{number}/solve", response={200: RoundDetailOut, **ERRORS})
def solve(request: HttpRequest, code: str, number: int, payload: DemandSolveIn):
    workflow.solve(actor=request.auth, code=code, number=number, note=payload.note)
    return _detail(request, code)


@router.post("/rounds/{code}/demands/{number}/escalate", response={201: RoundDetailOut, **ERRORS})
def escalate(request: HttpRequest, code: str, number: int, payload: DemandEscalateIn):
    """向上反馈: a supervision task for the district department, supervised by the street."""
    workflow.escalate(
        actor=request.auth,
        code=code,
        number=number,
        data=workflow.EscalationInput(**payload.dict()),
    )
    return Status(201, _detail(request, code))
