"""Reads behind the Open311 endpoints; no writes.

What an Open311 read shows is what the public tracking page shows, in bulk: both render
:func:`cityloop.cases.public.public_case`, and the feed lists only accepted cases
(:func:`cityloop.cases.public.public_cases`). The description, address and the reporter's
name, phone and e-mail are never read out. Whether a read needs an api_key is configuration
(``CITYLOOP_OPEN311_PUBLIC_READS``), checked by the view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.cases import public
from cityloop.cases.models import Case, CaseEvent, Category
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


def _request_rows(client: ApiClient | None = None) -> QuerySet[Case]:
    """The public feed (:func:`cityloop.cases.public.public_cases`); a keyed client also
    reads its own account's reports from the start, still only as the public projection."""
    if client is None:
        return public.public_cases()
    return public.with_public_parts(Case.objects.filter(public.LISTED | Q(reporter=client.account)))


def request_by_id(service_request_id: str, client: ApiClient | None = None) -> Case:
    case = _request_rows(client).filter(code=service_request_id.strip().upper()).first()
    if case is None:
        raise NotFound(
            "request_not_found",
            _("No request with service_request_id %(id)s.") % {"id": service_request_id},
            {"service_request_id": service_request_id},
        )
    return case


def requests_by_ids(ids: Iterable[str], client: ApiClient | None = None) -> list[Case]:
    """The requests named, in the order named; unknown (and unpublished) ids are left out."""
    wanted = [i.strip().upper() for i in ids]
    found = {c.code: c for c in _request_rows(client).filter(code__in=wanted)}
    return [found[i] for i in dict.fromkeys(wanted) if i in found]


def requests_list(
    *,
    start: datetime,
    end: datetime,
    service_codes: list[str],
    statuses: list[str],
    client: ApiClient | None = None,
) -> list[Case]:
    """Requests made in [start, end], newest first, at most 1000 (the spec's default)."""
    qs = _request_rows(client).filter(reported_at__gte=start, reported_at__lte=end)
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


def updates(*, start: datetime, end: datetime) -> list[CaseEvent]:
    """Public steps of every published (accepted) request in [start, end], oldest first so
    that a client can page by asking again from the last time it saw; at most 1000."""
    return list(
        CaseEvent.objects.filter(public=True, at__gte=start, at__lte=end)
        .filter(case__in=Case.objects.filter(public.LISTED).values("pk"))
        .exclude(verb="report")
        .select_related("case__category")
        .prefetch_related("photos")
        .order_by("at", "pk")[:MAX_RESULTS]
    )
