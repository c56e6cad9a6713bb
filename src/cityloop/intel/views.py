"""The triage page: production accuracy, the models in use and the hotspots of a period."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cityloop.cases import rules
from cityloop.core import clock
from cityloop.core.roles import has_any
from cityloop.intel import queries


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = clock.today()
    until = _day(request.GET.get("until")) or today
    since = _day(request.GET.get("since")) or until.replace(day=1)
    if since > until or until - since > timedelta(days=3660):
        since, until = today.replace(day=1), today
    staff = has_any(user, rules.STAFF_SOURCES_ROLES)
    context = {
        "since": since,
        "until": until,
        "staff": staff,
        "accuracy": list(queries.production_accuracy(user, since=since, until=until).values())
        if staff
        else [],
        "rule": queries.accuracy_rule(),
        "models": list(queries.model_rows()) if staff else [],
        "hotspots": queries.case_hotspots(user, since=since, until=until, top=20) if staff else [],
    }
    return render(request, "intel/overview.html", context, status=200 if staff else 403)
