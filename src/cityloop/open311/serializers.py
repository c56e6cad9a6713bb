"""Shaping Open311 answers: cases, categories and events into the GeoReport v2 fields, and
those into JSON or XML with the spec's element names.

The one status table lives here (:data:`STATUSES`); docs/open311.md shows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from cityloop.cases import public
from cityloop.cases.models import Case, CaseEvent, CasePhoto, Category
from cityloop.cases.public import PublicCase
from cityloop.cases.queries import PUBLIC_NOTE_VERBS
from cityloop.core import clock
from cityloop.open311.models import ServiceAttribute
from cityloop.open311.queries import NOTE_VERBS

S = Case.Status
# cityloop status → (GeoReport status, extended status of the FixMyStreet extension).
STATUSES: dict[str, tuple[str, str]] = {
    S.REPORTED: ("open", "OPEN"),
    S.ACCEPTED: ("open", "INVESTIGATING"),
    S.DISPATCHED: ("open", "ACTION_SCHEDULED"),
    S.HANDLING: ("open", "IN_PROGRESS"),
    S.REPLIED: ("open", "IN_PROGRESS"),
    S.SUSPENDED: ("open", "ACTION_SCHEDULED"),
    S.CLOSED: ("closed", "FIXED"),
    S.REJECTED: ("closed", "NOT_COUNCILS_RESPONSIBILITY"),
    S.MERGED: ("closed", "DUPLICATE"),
    S.CANCELLED: ("closed", "CLOSED"),
}
# Steps whose extended status is the step itself, not the state it leads to.
VERB_STATUSES = {"reopen": "REOPEN"}
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Characters XML 1.0 cannot carry; input refuses them, this guards older rows.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the endpoints below last changed (the spec's discovery "changeset").
CHANGESET = "2026-01-01T00:00:00+08:00"


def w3c(moment: datetime | None) -> str | None:
    """W3C date-time in the deployment's zone, whole seconds: 2026-11-23T09:00:00+08:00."""
    if moment is None:
        return None
    return moment.astimezone(clock.local_zone()).isoformat(timespec="seconds")


def extended_status(status: str, verb: str = "") -> str:
    return VERB_STATUSES.get(verb) or STATUSES.get(status, ("open", "OPEN"))[1]


def step_note(event: CaseEvent | None) -> str:
    """What a public step means for the reporter: its note where the tracking page shows the
    note (reasons, results), else what the step did."""
    if event is None:
        return ""
    data = event.data or {}
    if event.verb in PUBLIC_NOTE_VERBS and event.note:
        return event.note
    if event.verb == "dispatch" and data.get("unit"):
        return _("Dispatched") + "：" + _("To %(unit)s") % {"unit": data["unit"]}
    if event.verb == "escalate" and data.get("unit"):
        return _("Escalated") + "：" + _("To %(unit)s") % {"unit": data["unit"]}
    if event.verb == "merge" and data.get("master"):
        return _("Merged as duplicate") + "：" + _("Into %(code)s") % {"code": data["master"]}
    if event.verb == "verify":
        return (
            _("Verified")
            + "："
            + (_("Passed") if data.get("passed") else _("Not passed: back to the unit"))
        )
    labels = {
        "accept": _("Accepted"),
        "reject": _("Not accepted"),
        "reply": _("Replied"),
        "reopen": _("Reopened"),
        "cancel": _("Cancelled"),
        "return_visit": _("Return visit"),
    }
    return str(labels.get(event.verb, ""))


def service_notice(case: Case) -> str:
    """What happens next and by when (the public projection's line)."""
    return public.next_step(case)[0]


def photo_url(request: HttpRequest, photo: CasePhoto, code: str) -> str:
    # The case code in the address lets a client without an account load the photo, as the
    # tracking page does; photos cannot be walked by number.
    return request.build_absolute_uri(reverse("case-photo", args=[photo.pk]) + f"?c={code}")


def status_notes(pc: PublicCase) -> str:
    """The latest public step that explains the status."""
    explaining = [e for e in pc.steps if e.verb in NOTE_VERBS]
    notes = step_note(explaining[-1]) if explaining else ""
    if pc.status == S.MERGED and pc.master_code and not notes:
        notes = _("Merged as duplicate") + "：" + _("Into %(code)s") % {"code": pc.master_code}
    return notes


def request_fields(request: HttpRequest, pc: PublicCase) -> dict[str, Any]:
    """One service request with every field of the spec, in the spec's order, from the
    public projection only: ``description`` is the public summary, ``address`` the street
    and community, the point rounded; no address_id or zipcode (they place the reporter)."""
    report_photos = [p for p in pc.photos if p.step == "report"]
    photo = (report_photos or pc.photos or [None])[0]
    return {
        "service_request_id": pc.code,
        "status": pc.open311_status,
        "status_notes": status_notes(pc) or None,
        "service_name": pc.category_name or None,
        "service_code": pc.category_code,
        "description": pc.summary or None,
        "agency_responsible": pc.unit_name or None,
        "service_notice": pc.next_step or None,
        "requested_datetime": w3c(pc.reported_at),
        "updated_datetime": w3c(pc.updated_at),
        "expected_datetime": w3c(pc.expected_at),
        "address": pc.place_name or None,
        "address_id": None,
        "zipcode": None,
        "lat": pc.lat,
        "long": pc.lng,
        "media_url": photo_url(request, photo, pc.code) if photo else None,
    }


def created_fields(case: Case, token: str) -> dict[str, Any]:
    """The answer to ``POST requests``: the id at once, and a token for clients that want one."""
    return {
        "service_request_id": case.code,
        "token": token,
        "service_notice": service_notice(case) or None,
        "account_id": None,
    }


def service_fields(category: Category, questions: int) -> dict[str, Any]:
    keywords = ",".join(
        w.strip() for w in re.split(r"[、,，;；\s]+", category.keywords or "") if w.strip()
    )
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": questions > 0,
        "type": "realtime",
        "keywords": keywords or None,
        "group": category.parent.name if category.parent_id else None,
    }


def definition_fields(category: Category, questions: Iterable[ServiceAttribute]) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": q.variable,
                "code": q.code,
                "datatype": q.datatype,
                "required": q.required,
                "datatype_description": q.datatype_description or None,
                "order": q.order,
                "description": q.description,
                "values": [
                    {"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
                    for v in (q.values or [])
                ],
            }
            for q in questions
        ],
    }


def update_fields(request: HttpRequest, event: CaseEvent) -> dict[str, Any]:
    """One step of a request, as the FixMyStreet ``servicerequestupdates`` extension has it."""
    case = event.case
    photos = list(event.photos.all())
    return {
        "update_id": str(event.pk),
        "service_request_id": case.code,
        "status": extended_status(event.to_state, event.verb),
        "external_status_code": event.to_state,
        "updated_datetime": w3c(event.at),
        "description": step_note(event),
        "media_url": photo_url(request, photos[0], case.code) if photos else "",
    }


def posted_update_fields(update_id: int) -> dict[str, Any]:
    return {"update_id": str(update_id)}


def discovery_fields(request: HttpRequest) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": _("Ask the city's service desk for help with this interface."),
        "key_service": _("API keys are issued by the city's cityloop administrator."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def error_fields(status: int, code: str, description: str) -> dict[str, Any]:
    """One error of the spec's list. ``code`` is the HTTP status as the spec asks;
    ``cityloop_code`` adds a stable name for the cause."""
    return {"code": status, "description": description, "cityloop_code": code}


# --- JSON and XML ------------------------------------------------------------------------------

# Element name of a list's items, by the list's own element name (the spec's XML).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(name: str, value: Any) -> ET.Element:
    node = ET.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            node.append(_element(key, item))
    elif isinstance(value, list):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            node.append(_element(child, item))
    else:
        node.text = _text(value)
    return node


def to_xml(root: str, value: Any) -> str:
    body = ET.tostring(_element(root, value), encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """``value`` as JSON (the bare object or list, as the spec's JSON has it) or as XML under
    ``root``."""
    if fmt == "xml":
        content = to_xml(root, value)
    else:
        fmt = "json"
        content = json.dumps(value, ensure_ascii=False)
    return HttpResponse(content.encode("utf-8"), status=status, content_type=FORMATS[fmt])
