"""Triage over the API: a case's suggestions, the model registry, production accuracy and
hotspots. Reads go through the caller's scope; switching models is for administrators."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from cityloop.cases import queries as case_queries
from cityloop.cases import rules
from cityloop.core import clock
from cityloop.core.errors import Forbidden, InvalidInput
from cityloop.core.roles import AccountRole, has_any
from cityloop.core.schemas import API_ERRORS
from cityloop.intel import queries, services
from cityloop.intel.models import Kind
from cityloop.intel.schemas import AccuracyPage, HotspotOut, ModelOut, SuggestionOut

router = Router(tags=["intel"])

ERRORS = API_ERRORS
MAX_PERIOD = timedelta(days=3660)


def _period(since: date | None, until: date | None) -> tuple[date, date]:
    until = until or clock.today()
    since = since or until.replace(day=1)
    if since > until or until - since > MAX_PERIOD:
        raise InvalidInput("period_invalid", _("The period is not valid."))
    return since, until


def _require_admin(user) -> None:
    if not has_any(user, {AccountRole.ADMIN}):
        raise Forbidden("intel_admin_only", _("Only an administrator may switch models."))


def _require_staff(user) -> None:
    if not has_any(user, rules.STAFF_SOURCES_ROLES):
        raise Forbidden("intel_staff_only", _("Triage information is for staff."))


@router.get("/intel/cases/{case_id}/suggestions", response={200: list[SuggestionOut], **ERRORS})
def case_suggestions(request: HttpRequest, case_id: int):
    """What the triage models suggested for the case at intake, and what staff decided."""
    case = case_queries.case_get(request.auth, case_id)  # out of scope: 404 case_not_found
    if not case_queries.sees_internal(request.auth, case):
        raise Forbidden("intel_staff_only", _("Triage information is for staff."))
    return [vars(s) for s in queries.suggestions_of(case)]


@router.get("/intel/models", response={200: list[ModelOut], **ERRORS})
def models(request: HttpRequest, kind: str | None = None):
    """Every stored model, newest first per kind, with its cross-validated metrics."""
    _require_staff(request.auth)
    if kind is not None and kind not in Kind.values:
        raise InvalidInput("intel_bad_kind", _("Unknown kind."), {"allowed": Kind.values})
    return list(queries.model_rows(kind))


@router.post("/intel/models/{model_id}/activate", response={200: ModelOut, **ERRORS})
def activate(request: HttpRequest, model_id: int):
    _require_admin(request.auth)
    return services.model_activate(model_id=model_id, actor=request.auth)


@router.post("/intel/models/rollback", response={200: ModelOut, **ERRORS})
def rollback(request: HttpRequest, kind: str):
    """Back to the model of this kind that was active before the current one."""
    _require_admin(request.auth)
    if kind not in Kind.values:
        raise InvalidInput("intel_bad_kind", _("Unknown kind."), {"allowed": Kind.values})
    return services.model_rollback(kind=kind, actor=request.auth)


@router.get("/intel/accuracy", response={200: AccuracyPage, **ERRORS})
def accuracy(request: HttpRequest, since: date | None = None, until: date | None = None):
    """How often staff kept the suggestions, for cases in scope reported in the period."""
    _require_staff(request.auth)
    since, until = _period(since, until)
    rows = queries.production_accuracy(request.auth, since=since, until=until)
    return {
        "since": since,
        "until": until,
        "rule": queries.accuracy_rule(),
        "kinds": [vars(a) for a in rows.values()],
    }


@router.get("/intel/hotspots", response={200: list[HotspotOut], **ERRORS})
def hotspots(
    request: HttpRequest,
    since: date | None = None,
    until: date | None = None,
    top: int = 20,
    metres: float = 200.0,
):
    """Groups of cases in scope about one problem, ranked by heat (default: this month)."""
    _require_staff(request.auth)
    since, until = _period(since, until)
    if not 1 <= top <= 100 or not 0 < metres <= 5000:
        raise InvalidInput("intel_bad_parameter", _("top is 1–100, metres 0–5000."))
    found = queries.case_hotspots(request.auth, since=since, until=until, metres=metres, top=top)
    return [{**vars(h), "case_ids": list(h.keys)} for h in found]
