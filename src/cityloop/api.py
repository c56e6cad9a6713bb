"""The JSON API under /api/v1/: one NinjaAPI, one error shape, routers mounted per app."""

from __future__ import annotations

import json
import logging
from decimal import InvalidOperation

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger, _csrf_needed
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, django_auth

from cityloop.core import openapi, ratelimit, tokens
from cityloop.core.errors import DomainError
from cityloop.core.input_guard import GuardedParser
from cityloop.core.middleware import log_server_error, request_id_of

log = logging.getLogger("cityloop.api")


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = tokens.token_user(token)
        ratelimit.check_account_write(request.method, user)  # 429 through on_domain_error
        return user


class VendoredSwagger(Swagger):
    """Swagger UI from our own static files (``vendor/swagger-ui-5.17.14``), never a CDN.

    ninja renders its CDN template unless "ninja" is an installed app; this renders
    ``web/api_docs.html`` instead, whose only scripts are static files (the CSP allows no
    inline script).
    """

    template = "web/api_docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)


class CityloopAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return openapi.apply(schema)  # what registries declare (see core.openapi)


api = CityloopAPI(
    title="cityloop API",
    version="1",
    description="城市治理闭环平台 API。认证：`POST /api/v1/auth/token` 取得令牌，"
    "然后在请求头中带 `Authorization: Bearer <token>`。错误统一为 "
    "`{code, message, detail}`，`code` 稳定不变；500 另带 `request_id`"
    "（即响应头 `X-Request-ID`）。",
    renderer=ChineseJSONRenderer(),
    parser=GuardedParser(),
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    # validatorUrl None: Swagger UI would otherwise load a badge from validator.swagger.io.
    docs=VendoredSwagger(settings={"validatorUrl": None}),
)


def _error(request: HttpRequest, status: int, code: str, message: str, detail=None):
    body = {"code": code, "message": str(message), "detail": detail or {}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError):
    return _error(request, exc.http_status, exc.code, exc.message, exc.detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):
    return _error(request, 401, "auth_required", _("Authentication required"))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    errors = json.loads(json.dumps(exc.errors, default=str))
    return _error(request, 422, "invalid_input", _("Invalid input"), {"errors": errors})


@api.exception_handler(OverflowError)
def on_number_out_of_range(request: HttpRequest, exc: OverflowError):
    # An id beyond what SQLite's integers hold (found by schemathesis) fails in the driver,
    # before the database; it is bad input, not a server fault. PostgreSQL compares such an
    # id as numeric and finds nothing; offsets are bounded where they are declared.
    return _error(request, 422, "invalid_input", _("Invalid input"), {"reason": "out_of_range"})


@api.exception_handler(InvalidOperation)
def on_decimal_out_of_range(request: HttpRequest, exc: InvalidOperation):
    # A number the schema let through but a DecimalField's digits cannot hold: refused on the
    # way to the database (services write in one transaction, so its earlier rows go too).
    return _error(request, 422, "invalid_input", _("Invalid input"), {"reason": "out_of_range"})


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError):
    # The database refused a value (a numeric overflow, a string longer than its column on
    # PostgreSQL): bad input, logged because a schema should have said so first.
    log.warning("database refused a value [request_id=%s]: %s", request_id_of(request), exc)
    # 22003: numeric_value_out_of_range, PostgreSQL's word for what SQLite's Decimal says above
    too_big = getattr(exc.__cause__, "sqlstate", "") == "22003"
    reason = "out_of_range" if too_big else "refused_value"
    return _error(request, 422, "invalid_input", _("Invalid input"), {"reason": reason})


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    if isinstance(exc.__cause__, DomainError):  # the guarded parser's refusal, wrapped by ninja
        return on_domain_error(request, exc.__cause__)
    return _error(request, exc.status_code, f"http_{exc.status_code}", str(exc))


@api.exception_handler(SuspiciousOperation)
def on_bad_request(request: HttpRequest, exc: SuspiciousOperation):
    # Django's own refusals (a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a
    # bad Host): a 400 as Django answers them, in the API's shape.
    return _error(request, 400, "bad_request", _("Invalid input"), {"reason": type(exc).__name__})


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied):
    return _error(request, 403, "forbidden", _("Not allowed"))


@api.exception_handler(Exception)
def on_server_error(request: HttpRequest, exc: Exception):
    # Anything else is our fault: logged with its traceback and the request id, answered in
    # the API's shape (never Django's HTML page) with the id the client can quote.
    rid = log_server_error(request, exc)
    body = {
        "code": "server_error",
        "message": _("Server error, please try again later"),
        "detail": {},
        "request_id": rid,
    }
    return api.create_response(request, body, status=500)


api.add_router("", "cityloop.core.api.router")
api.add_router("", "cityloop.org.api.router")
api.add_router("", "cityloop.cases.api.router")
api.add_router("", "cityloop.supervision.api.router")
api.add_router("", "cityloop.deliberation.api.router")
api.add_router("", "cityloop.assessment.api.router")
api.add_router("", "cityloop.bulletins.api.router")
api.add_router("", "cityloop.intel.api.router")
api.add_router("", "cityloop.projects.api.router")
api.add_router("", "cityloop.campaigns.api.router")
api.add_router("", "cityloop.patrols.api.router")
api.add_router("", "cityloop.meetings.api.router")
api.add_router("", "cityloop.rounds.api.router")
api.add_router("", "cityloop.duty.api.router")
