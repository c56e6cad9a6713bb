"""Campaigns over the API: list and create, sessions with sign-ins, outputs, resources and
photos, late sign-ins, the end of a campaign, and totals over any period and place.

Same rules as everywhere: out of scope is 404, not the organiser 403, an ended campaign 409,
bad input 422 with a stable code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from cityloop.campaigns import queries, rules, services, workflow
from cityloop.campaigns.actions import CAMPAIGNS
from cityloop.campaigns.models import Campaign, Session
from cityloop.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignRowOut,
    EndIn,
    OutputKindOut,
    SessionIn,
    SessionOut,
    SignInIn,
    TotalsOut,
)
from cityloop.core import openapi
from cityloop.core.schemas import ErrorOut, Limit, Offset
from cityloop.org import queries as org_queries

router = Router(tags=["campaigns"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _ref(obj) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": getattr(obj, "code", ""), "name": obj.name}


def _plain(value: Any) -> Any:
    """Decimals as numbers for JSON."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _row(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk,
        "code": c.code,
        "title": c.title,
        "kind": c.kind,
        "recurrence": c.recurrence,
        "weekday": c.weekday,
        "start": c.start,
        "end": c.end,
        "state": c.state,
        "organiser": _ref(c.organiser),
        "sessions": getattr(c, "n_sessions", None) or c.sessions.count(),
        "person_times": getattr(c, "person_times", None)
        or Session.objects.filter(campaign=c).aggregate(n=Count("sign_ins"))["n"],
    }


def campaign_out(user, c: Campaign) -> dict[str, Any]:
    return {
        **_row(c),
        "partners": [_ref(u) for u in c.partners.all()],
        "places": [_ref(p) for p in c.places.all()],
        "description": c.description,
        "totals": _plain(queries.totals(user, campaign=c).as_dict()),
        "allowed_actions": rules.campaign_actions(user, c),
    }


def _session(s: Session) -> dict[str, Any]:
    return {
        "id": s.pk,
        "campaign": s.campaign.code,
        "on": s.on,
        "place": _ref(s.place),
        "note": s.note,
        "person_times": s.sign_ins.count(),
        "outputs": [
            {
                "kind": o.kind.code,
                "name": o.kind.name,
                "unit": o.kind.unit,
                "quantity": float(o.quantity),
                "place": o.place.name,
                "zone": o.zone.name if o.zone else "",
            }
            for o in s.outputs.select_related("kind", "place", "zone")
        ],
        "resources": [
            {"name": r.name, "unit": r.unit, "quantity": float(r.quantity)}
            for r in s.resources.all()
        ],
        "photos": len(s.photos),
    }


@router.get("/campaigns", response={200: list[CampaignRowOut], **ERRORS})
def list_campaigns(
    request: HttpRequest,
    kind: str = "",
    state: str = "",
    place_id: int | None = None,
    q: str = "",
    limit: int = Limit(100, 1000),
    offset: int = Offset,
):
    place = org_queries.place_get(request.auth, place_id=place_id) if place_id else None
    rows = queries.campaign_rows(request.auth, kind=kind, state=state, place=place, q=q)
    return [_row(c) for c in rows[offset : offset + limit]]


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
def create_campaign(request: HttpRequest, payload: CampaignIn):
    c = services.create_campaign(actor=request.auth, data=services.CampaignInput(**payload.dict()))
    return Status(201, campaign_out(request.auth, queries.campaign_get(request.auth, c.pk)))


@router.get("/campaigns/output-kinds", response={200: list[OutputKindOut], **ERRORS})
def output_kinds(request: HttpRequest):
    return list(queries.output_kinds())


@router.get("/campaigns/totals", response={200: TotalsOut, **ERRORS})
def totals(
    request: HttpRequest,
    start: date | None = None,
    end: date | None = None,
    place_id: int | None = None,
    campaign_id: int | None = None,
    kind: str = "",
):
    """Sessions, person-times, outputs by kind and place, resources, over [start, end] under
    a place — the figures reports print."""
    place = org_queries.place_get(request.auth, place_id=place_id) if place_id else None
    campaign = queries.campaign_get(request.auth, campaign_id) if campaign_id else None
    result = queries.totals(
        request.auth, start=start, end=end, place=place, campaign=campaign, kind=kind
    )
    return _plain(result.as_dict())


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS})
def get_campaign(request: HttpRequest, campaign_id: int):
    return campaign_out(request.auth, queries.campaign_get(request.auth, campaign_id))


@router.get("/campaigns/{campaign_id}/sessions", response={200: list[SessionOut], **ERRORS})
def list_sessions(
    request: HttpRequest,
    campaign_id: int,
    start: date | None = None,
    end: date | None = None,
):
    c = queries.campaign_get(request.auth, campaign_id)
    rows = queries.sessions(request.auth, campaign=c, start=start, end=end).select_related(
        "campaign", "place"
    )
    return [_session(s) for s in rows.order_by("-on", "pk")[:500]]


def _participants(user, rows) -> list[services.Participant]:
    return [
        services.Participant(
            name=p.name,
            unit=org_queries.unit_get(user, unit_id=p.unit_id) if p.unit_id else None,
            is_volunteer=p.is_volunteer,
        )
        for p in rows
    ]


@router.post("/campaigns/{campaign_id}/sessions", response={201: SessionOut, **ERRORS})
def record_session(request: HttpRequest, campaign_id: int, payload: SessionIn):
    """One day the campaign ran: sign-ins (person-times), outputs, resources, photos."""
    user = request.auth
    queries.campaign_get(user, campaign_id)
    place = org_queries.place_get(user, place_id=payload.place_id)
    outputs = [
        services.OutputInput(
            kind=o.kind,
            quantity=o.quantity,
            place=org_queries.place_get(user, place_id=o.place_id) if o.place_id else None,
            zone=org_queries.zone_get(user, zone_id=o.zone_id) if o.zone_id else None,
        )
        for o in payload.outputs
    ]
    participants = _participants(user, payload.participants)
    session = services.record_session(
        actor=user,
        campaign_id=campaign_id,
        on=payload.on,
        place=place,
        note=payload.note,
        participants=participants,
        outputs=outputs,
        resources=[services.ResourceInput(**r.dict()) for r in payload.resources],
        photo_ids=payload.photo_ids,
    )
    return Status(201, _session(session))


@router.post("/campaigns/sessions/{session_id}/sign-ins", response={201: SessionOut, **ERRORS})
def sign_in(request: HttpRequest, session_id: int, payload: SignInIn):
    services.sign_in(
        actor=request.auth,
        session_id=session_id,
        participants=_participants(request.auth, payload.participants),
    )
    return Status(
        201, _session(Session.objects.select_related("campaign", "place").get(pk=session_id))
    )


@router.post("/campaigns/{campaign_id}/actions/end", response={200: CampaignOut, **ERRORS})
def end(request: HttpRequest, campaign_id: int, payload: EndIn):
    workflow.end_campaign(
        actor=request.auth, campaign_id=campaign_id, end=payload.end, note=payload.note
    )
    return campaign_out(request.auth, queries.campaign_get(request.auth, campaign_id))


@openapi.amend
def _describe_actions(schema: dict[str, Any]) -> None:
    """The campaign detail says what each name of its ``allowed_actions`` is (label, part,
    input shape), from the registry."""
    op = openapi.operation(schema, "/campaigns/{campaign_id}", "get")
    if op is None:
        return
    base = (op.get("description") or "").split("\n\n`allowed_actions` 中的操作")[0]
    op["description"] = (
        f"{base}\n\n`allowed_actions` 中的操作：\n\n{CAMPAIGNS.openapi_description()}"
    )
