"""Patrols over the API (``/api/v1/patrols``): start, track points, check-ins, problems
reported as cases, end, and the 路长台账.

Out of scope is 404, someone else's patrol 403, an ended patrol 409, bad input 422. The phone
page's offline queue sends every write with an ``Idempotency-Key``: a resend gives the first
answer and writes nothing twice (a report's key is the case intake's own key).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from cityloop.cases.models import Category
from cityloop.core import clock, photos
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.schemas import API_ERRORS, Limit, ref
from cityloop.patrols import queries, workflow
from cityloop.patrols.models import Patrol

router = Router(tags=["patrols"])
ERRORS: dict[int, type] = dict(API_ERRORS)


class PatrolStartIn(Schema):
    zone_ids: list[int] = Field([], max_length=50)
    started_at: datetime | None = None


class PointSchema(Schema):
    at: datetime
    lng: float
    lat: float
    accuracy_m: float | None = None
    key: str = Field("", max_length=100)


class PatrolPointsIn(Schema):
    points: list[PointSchema] = Field(..., max_length=workflow.MAX_POINTS_PER_BATCH)


class PointsOut(Schema):
    kept: int
    points: int
    distance_m: int


class PatrolCheckInIn(Schema):
    zone_id: int
    segment: str = Field("", max_length=100)


class PatrolReportIn(Schema):
    description: str = Field(..., max_length=2000)
    lng: float | None = None
    lat: float | None = None
    zone_id: int | None = None
    category_id: int | None = None
    photo_ids: list[int] = Field([], max_length=9)


class PatrolEndIn(Schema):
    note: str = Field("", max_length=2000)


class CaseRefOut(Schema):
    id: int
    code: str
    status: str
    status_label: str
    url: str


class PatrolOut(Schema):
    id: int
    code: str
    state: str
    state_label: str
    result: str
    result_label: str
    person: dict[str, Any]
    role_label: str
    level_label: str
    zones: list[dict[str, Any]]
    started_at: datetime
    ended_at: datetime | None
    distance_m: int
    points: int
    cases: list[CaseRefOut]
    url: str


class LedgerRowOut(Schema):
    zone: dict[str, Any]
    person: dict[str, Any]
    level_label: str
    period_label: str
    required: int
    done: int
    patrols: int
    cases_found: int
    cases_closed: int
    return_visits: int


class LedgerOut(Schema):
    week_start: date
    rows: list[LedgerRowOut]
    totals: dict[str, int]


def patrol_out(patrol: Patrol) -> dict[str, Any]:
    links = queries.case_links(patrol)
    return {
        "id": patrol.pk,
        "code": patrol.code,
        "state": patrol.state,
        "state_label": patrol.get_state_display(),
        "result": patrol.result,
        "result_label": patrol.get_result_display() if patrol.result else "",
        "person": ref(patrol.person),
        "role_label": patrol.get_role_display(),
        "level_label": patrol.get_level_display() if patrol.level else "",
        "zones": [ref(z) for z in patrol.zones.all()],
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "distance_m": patrol.distance_m,
        "points": patrol.points.count(),
        "cases": [
            {
                "id": link.case.pk,
                "code": link.case.code,
                "status": link.case.status,
                "status_label": link.case.get_status_display(),
                "url": reverse("cases:detail", args=[link.case.pk]),
            }
            for link in links
        ],
        "url": reverse("patrols:detail", args=[patrol.pk]),
    }


def _key(request: HttpRequest) -> str:
    return request.headers.get("Idempotency-Key", "").strip()[:200]


@router.get("/patrols", response={200: list[PatrolOut], **ERRORS})
def list_patrols(request: HttpRequest, state: str = "", limit: int = Limit(50, 1000)):
    """Patrols in the caller's scope, newest first."""
    if state and state not in Patrol.State.values:
        raise InvalidInput("patrol_state_invalid", _("Unknown state"), {"state": state})
    return [patrol_out(p) for p in queries.patrol_rows(request.auth, state=state, limit=limit)]


@router.post("/patrols", response={201: PatrolOut, **ERRORS})
def start(request: HttpRequest, payload: PatrolStartIn):
    """Start a patrol over some (default all) of one's own patrol zones. With an
    ``Idempotency-Key`` a resent start gives back the same patrol."""
    patrol = workflow.start_patrol(
        actor=request.auth,
        zone_ids=payload.zone_ids,
        client_key=_key(request),
        at=payload.started_at,
    )
    return Status(201, patrol_out(queries.patrol_get(request.auth, patrol.pk)))


@router.get("/patrols/current", response={200: PatrolOut | None, **ERRORS})
def current(request: HttpRequest):
    """The caller's patrol under way, or null."""
    patrol = queries.ongoing_for(request.auth)
    return patrol_out(patrol) if patrol else None


@router.get("/patrols/ledger", response={200: LedgerOut, **ERRORS})
def ledger(request: HttpRequest, week: date | None = None):
    """路长台账: per road and chief, the week's patrols done / required and the cases found."""
    from cityloop.patrols.coverage import week_start

    start = week_start(week or clock.today())
    rows = queries.ledger(request.auth, start)
    return {
        "week_start": start,
        "rows": [
            {
                "zone": ref(r.zone),
                "person": ref(r.person),
                "level_label": r.level_label,
                "period_label": r.period_label,
                "required": r.required,
                "done": r.done,
                "patrols": r.patrols,
                "cases_found": r.cases_found,
                "cases_closed": r.cases_closed,
                "return_visits": r.return_visits,
            }
            for r in rows
        ],
        "totals": queries.ledger_totals(rows),
    }


@router.get("/patrols/{patrol_id}", response={200: PatrolOut, **ERRORS})
def detail(request: HttpRequest, patrol_id: int):
    return patrol_out(queries.patrol_get(request.auth, patrol_id))


@router.post("/patrols/{patrol_id}/points", response={200: PointsOut, **ERRORS})
def points(request: HttpRequest, patrol_id: int, payload: PatrolPointsIn):
    """A batch of positions; thinned on arrival, points already stored (same key) skipped."""
    kept = workflow.add_points(
        actor=request.auth,
        patrol_id=patrol_id,
        points=[workflow.PointIn(**p.dict()) for p in payload.points],
    )
    patrol = queries.patrol_get(request.auth, patrol_id)
    return {"kept": kept, "points": patrol.points.count(), "distance_m": patrol.distance_m}


@router.post("/patrols/{patrol_id}/check-ins", response={201: PatrolOut, **ERRORS})
def check_in(request: HttpRequest, patrol_id: int, payload: PatrolCheckInIn):
    workflow.check_in(
        actor=request.auth,
        patrol_id=patrol_id,
        zone_id=payload.zone_id,
        segment=payload.segment,
        key=_key(request),
    )
    return Status(201, patrol_out(queries.patrol_get(request.auth, patrol_id)))


@router.post("/patrols/{patrol_id}/reports", response={201: CaseRefOut, **ERRORS})
def report(request: HttpRequest, patrol_id: int, payload: PatrolReportIn):
    """A problem found on the patrol, as a case (source patrol) linked to it. Photos are
    uploaded first (``POST /api/v1/uploads``). The ``Idempotency-Key`` is the case intake's:
    the same key again is the same case."""
    user = request.auth
    category = None
    if payload.category_id is not None:
        category = Category.objects.select_related("parent").filter(pk=payload.category_id).first()
        if category is None:
            raise NotFound("category_not_found", _("Category not found"))
    case = workflow.report_problem(
        actor=user,
        patrol_id=patrol_id,
        description=payload.description,
        lng=payload.lng,
        lat=payload.lat,
        zone_id=payload.zone_id,
        category=category,
        photo_loader=lambda: photos.photos_from_uploads(user, payload.photo_ids),
        idempotency_key=_key(request),
    )
    return Status(
        201,
        {
            "id": case.pk,
            "code": case.code,
            "status": case.status,
            "status_label": case.get_status_display(),
            "url": reverse("cases:detail", args=[case.pk]),
        },
    )


@router.post("/patrols/{patrol_id}/actions/end", response={200: PatrolOut, **ERRORS})
def end(request: HttpRequest, patrol_id: int, payload: PatrolEndIn):
    """End the patrol; its result is read off the cases it reported."""
    workflow.end_patrol(
        actor=request.auth, patrol_id=patrol_id, note=payload.note, key=_key(request)
    )
    return patrol_out(queries.patrol_get(request.auth, patrol_id))
