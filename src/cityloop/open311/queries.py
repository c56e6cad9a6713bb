"""Reads behind the Open311 endpoints; no writes.

What an Open311 read shows is what the public tracking page shows (status, public notes,
report photos), in bulk: the tracking page reads a case by its code alone
(:func:`cityloop.cases.queries.case_by_code`), and so do these. Personal fields (name,
phone, e-mail) are never read out. Whether a read needs an api_key is configuration
(``CITYLOOP_OPEN311_PUBLIC_READS``), checked by the view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.cases.models import Case, CaseEvent, CasePhoto, Category
from cityloop.cases.queries import PUBLIC_NOTE_VERBS
from cityloop.core.errors import Forbidden, NotFound
from cityloop.open311.models import ApiClient, RequestToken, ServiceAttribute
from cityloop.open311.params import MAX_RESULTS

# Events that explain a request's current status (status_notes) and make up the update feed.
NOTE_VERBS = frozenset(PUBLIC_NOTE_VERBS | {"accept", "merge", "dispatch", "verify", "escalate"})


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def client_for_key(api_key: str) -> ApiClient:
    """The client an api_key belongs to; one answer for unknown, revoked and disabled."""
    client = (
        ApiClient.objects.select_related("account").filter(key_digest=key_digest(api_key)).first()
    )
    if client is None or not client.is_active or not client.account.is_active:
        raise Forbidden("api_key_invalid", _("The api_key is not valid."))
    return client


def services() -> list[tuple[Category, int]]:
    """Categories in use as services (leaves only: a report needs a sub-category), with how
    many questions each has."""
    rows = (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .annotate(questions=Count("open311_attributes"))
        .order_by("parent__sort", "sort", "code")
    )
    return [(c, c.questions) for c in rows]


def service(code: str) -> Category:
    category = (
        Category.objects.select_related("parent")
        .filter(code=code, is_active=True, parent__isnull=False, parent__is_active=True)
        .first()
    )
    if category is None:
        raise NotFound(
            "service_code_unknown",
            _("No service with service_code %(code)s.") % {"code": code},
            {"service_code": code},
        )
    return category


def questions(category: Category) -> list[ServiceAttribute]:
    return list(category.open311_attributes.order_by("order", "code"))


def _request_rows() -> QuerySet[Case]:
    return Case.objects.select_related(
        "category__parent", "responsible_unit", "dispatcher_unit", "master", "place"
    )


def request_by_id(service_request_id: str) -> Case:
    case = _request_rows().filter(code=service_request_id.strip().upper()).first()
    if case is None:
        raise NotFound(
            "request_not_found",
            _("No request with service_request_id %(id)s.") % {"id": service_request_id},
            {"service_request_id": service_request_id},
        )
    return case


def requests_by_ids(ids: Iterable[str]) -> list[Case]:
    """The requests named, in the order named; unknown ids are left out."""
    wanted = [i.strip().upper() for i in ids]
    found = {c.code: c for c in _request_rows().filter(code__in=wanted)}
    return [found[i] for i in dict.fromkeys(wanted) if i in found]


def requests_list(
    *, start: datetime, end: datetime, service_codes: list[str], statuses: list[str]
) -> list[Case]:
    """Requests made in [start, end], newest first, at most 1000 (the spec's default)."""
    qs = _request_rows().filter(reported_at__gte=start, reported_at__lte=end)
    if service_codes:
        qs = qs.filter(category__code__in=service_codes)
    if statuses == ["open"]:
        qs = qs.filter(status__in=Case.OPEN)
    elif statuses == ["closed"]:
        qs = qs.filter(status__in=Case.FINISHED)
    return list(qs.order_by("-reported_at", "-pk")[:MAX_RESULTS])


def case_for_token(token: str) -> RequestToken:
    row = RequestToken.objects.select_related("case").filter(token=token.strip()).first()
    if row is None:
        raise NotFound("token_not_found", _("No request with this token."), {"token": token})
    return row


@dataclass
class Extras:
    """What the answer needs beyond the case rows, read for all of them at once."""

    notes: dict[int, CaseEvent] = field(default_factory=dict)  # latest explaining event
    reports: dict[int, CaseEvent] = field(default_factory=dict)  # the report event
    photos: dict[int, CasePhoto] = field(default_factory=dict)  # first report photo


def extras_for(cases: list[Case]) -> Extras:
    """Two queries whatever the number of cases (no per-row reads)."""
    ids = [c.pk for c in cases]
    out = Extras()
    if not ids:
        return out
    events = (
        CaseEvent.objects.filter(case_id__in=ids, public=True)
        .filter(Q(verb__in=NOTE_VERBS) | Q(verb="report"))
        .order_by("at", "pk")
    )
    for e in events:
        if e.verb == "report":
            out.reports.setdefault(e.case_id, e)
        else:
            out.notes[e.case_id] = e  # ordered by time: the last one wins
    photos = CasePhoto.objects.filter(case_id__in=ids, step="report").order_by("created_at", "pk")
    for p in photos:
        out.photos.setdefault(p.case_id, p)
    return out


def updates(*, start: datetime, end: datetime) -> list[CaseEvent]:
    """Public steps of every request in [start, end], oldest first so that a client can page
    by asking again from the last time it saw; at most 1000."""
    return list(
        CaseEvent.objects.filter(public=True, at__gte=start, at__lte=end)
        .exclude(verb="report")
        .select_related("case__category")
        .prefetch_related("photos")
        .order_by("at", "pk")[:MAX_RESULTS]
    )
