"""``/healthz``: is this node able to serve? For the load balancer (HAProxy) and monitoring.

Cheap and without data: ``SELECT 1`` on the database and a ``PING`` to the queue's Redis
(no check when the queue is huey on SQLite, which lives in this node's data directory).
Unauthenticated, no session or CSRF cookie, never cached, not rate limited, and left out of
the access log when it answers 200 (HAProxy asks every few seconds).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

log = logging.getLogger("cityloop.health")

PATH = "/healthz"
TIMEOUT = 1.0  # seconds per check: a balancer's check must answer before its own timeout


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def queue_redis_url() -> str:
    """The queue's Redis URL, or "" when the queue is not on Redis."""
    conf = getattr(settings, "HUEY", {}) or {}
    url = conf.get("url", "") if isinstance(conf, dict) else ""
    return url if url.startswith(("redis://", "rediss://")) else ""


def check_queue(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def run_checks() -> dict[str, str]:
    """``{"database": "ok"|"failed", "queue": "ok"|"failed"|"skipped"}``; failures logged."""
    checks: dict[str, str] = {}
    try:
        check_database()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"; the log says which
        log.warning("health check: database failed: %s: %s", type(exc).__name__, exc)
        checks["database"] = "failed"
    url = queue_redis_url()
    if not url:
        checks["queue"] = "skipped"
    else:
        try:
            check_queue(url)
            checks["queue"] = "ok"
        except Exception as exc:
            log.warning("health check: queue failed: %s: %s", type(exc).__name__, exc)
            checks["queue"] = "failed"
    return checks


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "OPTIONS"])  # HAProxy's httpchk defaults to OPTIONS
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(v in ("ok", "skipped") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failed", "checks": checks},
        status=200 if healthy else 503,
    )
