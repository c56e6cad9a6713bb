"""``/healthz`` (issue 19.1): the balancer's check of the database and the queue."""

from __future__ import annotations

import os
import socket
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from cityloop.core.management.commands.serve import QuietHealthLogger, redact_query

REDIS_URL = os.environ.get("CITYLOOP_QUEUE_URL", "")
if not REDIS_URL.startswith("redis://"):
    REDIS_URL = "redis://127.0.0.1:6379/10"


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_huey(url: str) -> dict:
    return {"huey_class": "huey.RedisHuey", "name": "cityloop", "url": url, "immediate": False}


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # anonymous, and CSRF enforced as in production


@pytest.mark.django_db
def test_ok_without_a_queue_server_is_200_and_uncached(client, settings) -> None:
    settings.HUEY = {"huey_class": "huey.SqliteHuey", "name": "cityloop", "filename": "q.db"}
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "queue": "skipped"}}
    assert "no-store" in r["Cache-Control"]
    assert not r.cookies  # no session, no CSRF cookie


@pytest.mark.django_db
def test_ok_with_redis_queue(client, settings) -> None:
    settings.HUEY = _redis_huey(REDIS_URL)
    r = client.get("/healthz")
    assert r.status_code == 200, r.content
    assert r.json()["checks"] == {"database": "ok", "queue": "ok"}


@pytest.mark.django_db
def test_queue_on_a_closed_port_is_503(client, settings) -> None:
    settings.HUEY = _redis_huey(f"redis://127.0.0.1:{_closed_port()}/0")
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "failed", "checks": {"database": "ok", "queue": "failed"}}
    assert "no-store" in r["Cache-Control"]


@pytest.mark.django_db
def test_database_down_is_503(client, settings) -> None:
    settings.HUEY = _redis_huey(REDIS_URL)
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone")):
        r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "failed", "checks": {"database": "failed", "queue": "ok"}}


@pytest.mark.django_db
def test_balancer_methods_answer_and_writes_are_refused(client, settings) -> None:
    settings.HUEY = {"huey_class": "huey.SqliteHuey", "name": "cityloop", "filename": "q.db"}
    assert client.head("/healthz").status_code == 200
    assert client.options("/healthz").status_code == 200  # HAProxy's default httpchk
    assert client.post("/healthz").status_code == 405
    # No redirect to a slash URL and no login page in between.
    assert client.get("/healthz", follow=False).status_code == 200


@pytest.mark.django_db
def test_not_rate_limited(client, settings) -> None:
    settings.HUEY = {"huey_class": "huey.SqliteHuey", "name": "cityloop", "filename": "q.db"}
    assert {client.get("/healthz").status_code for _ in range(50)} == {200}


@pytest.mark.parametrize(
    ("path", "status", "logged"),
    [("/healthz", "200 OK", False), ("/healthz", "503 Service Unavailable", True),
     ("/cases/", "200 OK", True)],
)  # fmt: skip
def test_access_log_leaves_out_passing_health_checks(path, status, logged) -> None:
    logger = QuietHealthLogger.__new__(QuietHealthLogger)  # no gunicorn config needed
    with mock.patch("gunicorn.glogging.Logger.access") as base:
        logger.access(SimpleNamespace(status=status), None, {"PATH_INFO": path}, 0.001)
    assert base.called is logged


def test_the_access_log_never_carries_an_open311_key_or_a_residents_phone() -> None:
    logger = QuietHealthLogger.__new__(QuietHealthLogger)
    query = "service_code=001&api_key=k3y-s3cr3t&phone=13912341234&Email=a%40b.cn&lat=34.7"
    environ = {"PATH_INFO": "/open311/v2/requests.json", "QUERY_STRING": query,
               "RAW_URI": f"/open311/v2/requests.json?{query}"}  # fmt: skip
    with mock.patch("gunicorn.glogging.Logger.access") as base:
        logger.access(SimpleNamespace(status="200 OK"), None, environ, 0.001)
    logged = base.call_args.args[2]
    want = "service_code=001&api_key=***&phone=***&Email=***&lat=34.7"
    assert logged["QUERY_STRING"] == want
    assert logged["RAW_URI"] == f"/open311/v2/requests.json?{want}"
    assert environ["QUERY_STRING"] == query  # the request itself is untouched


@pytest.mark.parametrize(
    ("query", "want"),
    [("", ""), ("a=1", "a=1"), ("api_key", "api_key"), ("api%5Fkey=x", "api%5Fkey=***"),
     ("token=&q=2", "token=***&q=2")],
)  # fmt: skip
def test_redact_query(query, want) -> None:
    assert redact_query(query) == want
