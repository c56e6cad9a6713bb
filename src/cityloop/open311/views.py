"""The Open311 GeoReport v2 endpoints: thin views over params, queries, services and
serializers. Every answer, errors included, comes in the format the address asks for.

Clients authenticate with ``api_key`` (no session), so the views are exempt from CSRF.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cityloop.cases import public
from cityloop.cases.models import Case
from cityloop.core import net, ratelimit
from cityloop.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Unauthorized,
)
from cityloop.open311 import params, queries, serializers, services
from cityloop.open311.models import ApiClient

# The spec knows 400, 403 and 404; a refused state change is a bad request here, and a
# missing key is "forbidden" as in the spec's own example.
STATUS = {
    InvalidInput: 400,
    Conflict: 400,
    InvalidTransition: 400,
    Unauthorized: 403,
    Forbidden: 403,
    NotFound: 404,
    services.RateLimited: 429,
}

Handler = Callable[[HttpRequest, str, QueryDict, ApiClient | None], HttpResponse]


def error(fmt: str, status: int, code: str, description: str) -> HttpResponse:
    body = [serializers.error_fields(status, code, str(description))]
    response = serializers.render(fmt, "errors", body, status=status)
    return response


def _status_of(exc: DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def _check_jurisdiction(data: QueryDict) -> None:
    wanted = settings.CITYLOOP.open311_jurisdiction_id
    given = params.text(data, "jurisdiction_id")
    if wanted and given and given != wanted:
        raise NotFound(
            "jurisdiction_unknown",
            _("jurisdiction_id %(id)s is not served here.") % {"id": given},
            {"jurisdiction_id": given},
        )


def _client(data: QueryDict, *, required: bool) -> ApiClient | None:
    key = params.text(data, "api_key")
    if key:
        return queries.client_for_key(key)
    if required:
        raise Forbidden("api_key_required", _("An api_key is required."))
    return None


def _serve(
    request: HttpRequest,
    fmt: str,
    handlers: dict[str, Handler],
    *,
    write_methods: frozenset[str] = frozenset({"POST"}),
) -> HttpResponse:
    """Check format, method, jurisdiction, key and rate, then run the method's handler; a
    :class:`DomainError` anywhere becomes the spec's error list."""
    if fmt not in serializers.FORMATS:
        return error("json", 404, "format_unknown", _("The format is json or xml."))
    handler = handlers.get(request.method or "")
    if handler is None:
        response = error(fmt, 405, "method_not_allowed", _("Method not allowed."))
        response["Allow"] = ", ".join(handlers)
        return response
    try:
        data = params.fields_of(request)
        params.check_all(data)
        _check_jurisdiction(data)
        writing = request.method in write_methods
        client = _client(data, required=writing or not settings.CITYLOOP.open311_public_reads)
        services.check_rate(client, net.client_address(request))
        return handler(request, fmt, data, client)
    except DomainError as exc:
        return error(fmt, _status_of(exc), exc.code, str(exc.message))


# --- handlers ----------------------------------------------------------------------------------


def _services(request, fmt, data, client) -> HttpResponse:
    rows = [serializers.service_fields(c, n) for c, n in queries.services()]
    return serializers.render(fmt, "services", rows)


def _definition(code: str) -> Handler:
    def handle(request, fmt, data, client) -> HttpResponse:
        category = queries.service(code)
        body = serializers.definition_fields(category, queries.questions(category))
        return serializers.render(fmt, "service_definition", body)

    return handle


def _request_list(request, fmt, data, client) -> HttpResponse:
    ids = params.comma_list(data, "service_request_id")
    if ids:  # the spec: a list of ids overrides every other argument
        cases = queries.requests_by_ids(ids, client)
    else:
        start, end = params.window(data)
        cases = queries.requests_list(
            start=start,
            end=end,
            service_codes=params.comma_list(data, "service_code"),
            statuses=params.statuses(data),
            client=client,
        )
    rows = [serializers.request_fields(request, pc) for pc in public.public_cases_for(cases)]
    return serializers.render(fmt, "service_requests", rows)


def _request_create(request, fmt, data, client) -> HttpResponse:
    req = params.new_request(data)
    # The key's own per-minute limit was counted in _serve. A key that reports as residents
    # is also counted per client address and per phone, the rule of the /report/ page; a staff
    # channel's key (the 12345 hotline relays every caller from one server) is not.
    if client is not None and client.source == Case.Source.RESIDENT:
        ratelimit.check_intake(address=net.client_address(request), phone=req.phone)
    idempotency_key = (request.headers.get("Idempotency-Key") or "").strip()[:200]
    case, token = services.request_create(client=client, req=req, idempotency_key=idempotency_key)
    rows = [serializers.created_fields(case, token)]
    return serializers.render(fmt, "service_requests", rows)


def _request_detail(request_id: str) -> Handler:
    def handle(request, fmt, data, client) -> HttpResponse:
        case = queries.request_by_id(request_id, client)
        rows = [serializers.request_fields(request, public.public_case(case))]
        return serializers.render(fmt, "service_requests", rows)

    return handle


def _token(token: str) -> Handler:
    def handle(request, fmt, data, client) -> HttpResponse:
        row = queries.case_for_token(token)
        rows = [{"service_request_id": row.case.code, "token": row.token}]
        return serializers.render(fmt, "service_requests", rows)

    return handle


def _update_list(request, fmt, data, client) -> HttpResponse:
    start, end = params.window(data)
    rows = [serializers.update_fields(request, e) for e in queries.updates(start=start, end=end)]
    return serializers.render(fmt, "service_request_updates", rows)


def _update_post(request, fmt, data, client) -> HttpResponse:
    event = services.update_post(client=client, upd=params.new_update(data))
    rows = [serializers.posted_update_fields(event.pk)]
    return serializers.render(fmt, "service_request_updates", rows)


# --- views -------------------------------------------------------------------------------------


@csrf_exempt
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    def handle(request, fmt, data, client) -> HttpResponse:
        return serializers.render(fmt, "discovery", serializers.discovery_fields(request))

    return _serve(request, fmt, {"GET": handle})


@csrf_exempt
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return _serve(request, fmt, {"GET": _services})


@csrf_exempt
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return _serve(request, fmt, {"GET": _definition(code)})


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    return _serve(request, fmt, {"GET": _request_list, "POST": _request_create})


@csrf_exempt
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    return _serve(request, fmt, {"GET": _request_detail(request_id)})


@csrf_exempt
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    return _serve(request, fmt, {"GET": _token(token)})


@csrf_exempt
def service_request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    return _serve(request, fmt, {"GET": _update_list, "POST": _update_post})


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error(fmt, 404, "not_found", _("No such Open311 address."))
