"""Every request gets an id: in ``request.request_id``, the ``X-Request-ID`` answer header and
every server-error log line, so a person quoting it from an error answer finds the traceback.

A client (or a proxy in front) may send its own ``X-Request-ID``; a sane one is kept.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

from django.http import HttpRequest, HttpResponse

log = logging.getLogger("cityloop.errors")

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    rid = getattr(request, "request_id", "")
    if not rid:  # a request that did not pass the middleware (a test calling a view directly)
        rid = request.request_id = uuid.uuid4().hex
    return rid


def log_server_error(request: HttpRequest, exc: BaseException) -> str:
    """Log an unhandled error with its traceback and the request id; return the id."""
    rid = request_id_of(request)
    if not getattr(request, "_server_error_logged", False):
        request._server_error_logged = True
        log.error(
            "server error %s %s [request_id=%s]",
            request.method,
            request.path,
            rid,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    return rid


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        given = request.headers.get(HEADER, "")
        request.request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


def on_uncaught_exception(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """``got_request_exception``: Django is about to answer 500 (the HTML page); log it.

    Django sends it for errors that become a 500 only (not ``Http404``/``PermissionDenied``),
    from views and middleware alike; the API answers its own 500s and logs them itself.
    """
    exc = sys.exc_info()[1]
    if request is not None and exc is not None:
        log_server_error(request, exc)


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``CITYLOOP_MAX_REQUEST_BYTES`` (413, ``request_too_large``)
    from its ``Content-Length`` alone, before anything reads it. Django itself reads at most
    ``Content-Length`` bytes, streams file parts above ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a
    temporary file and refuses other fields beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so this
    cap bounds what one request can make the server receive and store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        from django.conf import settings

        limit = settings.CITYLOOP.max_request_bytes
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if limit > 0 and size > limit:
            return _too_large(request, size, limit)
        return self.get_response(request)


def _too_large(request: HttpRequest, size: int, limit: int):
    from django.http import HttpResponse, JsonResponse
    from django.utils.translation import gettext as _

    message = _("The request is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
    if request.path.startswith("/api/") or request.path.startswith("/open311/"):
        body = {"code": "request_too_large", "message": message, "detail": {"limit": limit}}
        response = JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"  # the unread body is not kept for another request
    return response


class AccountWriteLimitMiddleware:
    """Limit the writes of a session-signed-in account (pages and the API from a browser);
    bearer tokens are counted where they are checked (:class:`cityloop.api.BearerToken`).
    Must come after Django's ``AuthenticationMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        from cityloop.core import ratelimit

        try:
            ratelimit.check_account_write(request.method, getattr(request, "user", None))
        except ratelimit.RateLimited as exc:
            return _rate_limited(request, exc)
        return self.get_response(request)


def _rate_limited(request: HttpRequest, exc) -> HttpResponse:
    from django.http import JsonResponse

    if request.path.startswith("/api/") or request.path.startswith("/open311/"):
        body = exc.as_dict()
        response = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(
            str(exc.message), status=429, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(exc.detail.get("retry_after", 60))
    return response
