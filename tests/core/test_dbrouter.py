"""The replica router's rules (core.dbrouter), apart from any real replica: which database a
read goes to, when the replica counts as usable, and who is kept on the primary after a write.
The real replica is exercised by tests/deploy/test_topology.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from cityloop.core import dbrouter, sweep
from cityloop.core.dbrouter import PRIMARY, REPLICA, ReplicaHealth

PATHS = ["/api/v1/", "/open311/"]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_reads_go_to_the_primary_outside_the_window():
    assert dbrouter.read_database(in_transaction=False, usable=lambda: True) == PRIMARY


def test_reads_in_the_window_go_to_a_usable_replica():
    with dbrouter.stale_reads_allowed():
        assert dbrouter.read_database(in_transaction=False, usable=lambda: True) == REPLICA
        assert dbrouter.read_database(in_transaction=False, usable=lambda: False) == PRIMARY
    assert dbrouter.read_database(in_transaction=False, usable=lambda: True) == PRIMARY


def test_reads_inside_a_transaction_stay_on_the_primary():
    with dbrouter.stale_reads_allowed():
        assert dbrouter.read_database(in_transaction=True, usable=lambda: True) == PRIMARY


def test_writes_and_migrations_are_on_the_primary():
    router = dbrouter.ReplicaRouter()
    with dbrouter.stale_reads_allowed():
        assert router.db_for_write(None) == PRIMARY
    assert router.allow_migrate(PRIMARY, "cases") is True
    assert router.allow_migrate(REPLICA, "cases") is False


def test_health_is_asked_at_most_once_per_period():
    asked = []
    clock = Clock()
    health = ReplicaHealth(lambda: asked.append(1) or 0.5, max_lag=10, every=5)
    assert health.usable(now=clock) is True
    clock.t += 4.9
    assert health.usable(now=clock) is True
    assert len(asked) == 1
    clock.t += 0.2
    assert health.usable(now=clock) is True
    assert len(asked) == 2


def test_a_replica_too_far_behind_is_not_used():
    lag = [3.0]
    clock = Clock()
    health = ReplicaHealth(lambda: lag[0], max_lag=10, every=5)
    assert health.usable(now=clock) is True
    lag[0] = 10.5
    clock.t += 5
    assert health.usable(now=clock) is False
    assert health.last_lag == 10.5
    lag[0] = 0.0
    clock.t += 5
    assert health.usable(now=clock) is True


def test_a_replica_that_cannot_be_asked_is_not_used():
    def down() -> float:
        raise ConnectionRefusedError("connection refused")

    health = ReplicaHealth(down, max_lag=10, every=5)
    assert health.usable(now=Clock()) is False
    assert health.last_lag is None


def test_a_failed_read_keeps_reads_off_the_replica_until_the_next_check():
    clock = Clock()
    asked = []
    health = ReplicaHealth(lambda: asked.append(1) or 0.0, max_lag=10, every=5)
    assert health.usable(now=clock) is True
    health.failed(now=clock)
    clock.t += 1
    assert health.usable(now=clock) is False
    clock.t += 5
    assert health.usable(now=clock) is True
    assert len(asked) == 2
    health.recheck()
    assert health.usable(now=clock) is True
    assert len(asked) == 3


@pytest.fixture
def rf():
    return RequestFactory()


def test_only_gets_of_listed_paths_may_read_stale(rf, db):
    assert dbrouter.may_read_stale(rf.get("/api/v1/cases"), PATHS) is True
    assert dbrouter.may_read_stale(rf.head("/open311/v2/requests.json"), PATHS) is True
    assert dbrouter.may_read_stale(rf.get("/admin/"), PATHS) is False
    assert dbrouter.may_read_stale(rf.post("/api/v1/cases"), PATHS) is False


def test_a_client_that_wrote_reads_from_the_primary_on_every_node(rf, db):
    """The mark is in the shared cache under the client's token, so a read that reaches
    another node is kept on the primary as well; another client is not affected."""
    write = rf.post("/api/v1/cases", HTTP_AUTHORIZATION="Bearer token-a")
    dbrouter.mark_write(write, HttpResponse(status=201), 30)
    after = rf.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer token-a")
    other = rf.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer token-b")
    assert dbrouter.may_read_stale(after, PATHS) is False
    assert dbrouter.may_read_stale(other, PATHS) is True


def test_a_client_without_token_or_session_is_kept_on_the_primary_by_its_cookie(rf, db):
    response = HttpResponse(status=201)
    dbrouter.mark_write(rf.post("/open311/v2/requests.json"), response, 30)
    cookie = response.cookies[dbrouter.COOKIE]
    assert cookie["max-age"] == 30
    read = rf.get("/open311/v2/requests.json")
    read.COOKIES[dbrouter.COOKIE] = cookie.value
    assert dbrouter.may_read_stale(read, PATHS) is False


def test_the_session_names_the_client(rf, settings):
    a = rf.get("/cases/")
    a.COOKIES[settings.SESSION_COOKIE_NAME] = "session-a"
    b = rf.get("/cases/")
    b.COOKIES[settings.SESSION_COOKIE_NAME] = "session-b"
    assert dbrouter.client_key(a) and dbrouter.client_key(a) != dbrouter.client_key(b)
    assert dbrouter.client_key(rf.get("/cases/")) == ""


def test_the_middleware_retries_on_the_primary_when_the_replica_read_failed(rf, monkeypatch):
    seen: list[bool] = []
    health = ReplicaHealth(lambda: 0.0, max_lag=10, every=5)
    monkeypatch.setattr(dbrouter, "_health", health)
    monkeypatch.setattr(dbrouter, "may_read_stale", lambda request, paths: True)

    def view(request):
        on_replica = dbrouter._stale_reads_ok.get()
        seen.append(on_replica)
        return HttpResponse(status=500 if on_replica else 200)

    middleware = dbrouter.ReplicaReadsMiddleware(view)
    response = middleware(rf.get("/api/v1/cases"))
    assert response.status_code == 200
    assert seen == [True, False]


def test_an_options_request_is_not_a_write(rf, db):
    middleware = dbrouter.ReplicaReadsMiddleware(lambda request: HttpResponse(status=200))
    response = middleware(rf.options("/api/v1/cases"))
    assert dbrouter.COOKIE not in response.cookies


def test_the_middleware_marks_every_write(rf, db):
    middleware = dbrouter.ReplicaReadsMiddleware(lambda request: HttpResponse(status=400))
    response = middleware(rf.post("/api/v1/cases", HTTP_AUTHORIZATION="Bearer token-c"))
    assert dbrouter.COOKIE in response.cookies
    read = rf.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer token-c")
    assert dbrouter.may_read_stale(read, PATHS) is False


def test_a_sweep_period_is_claimed_once(db):
    minute = datetime(2026, 6, 1, 1, 2, 3, tzinfo=UTC)
    key = sweep.period_key(minute)
    assert key == "sweep:2026-06-01T01:02"
    assert sweep.claim_period(key) is True
    assert sweep.claim_period(key) is False
    assert sweep.run_sweep_once(minute.replace(second=59)) is None  # this minute is taken
    ran = sweep.run_sweep_once(minute.replace(minute=3))  # the next minute is free
    assert ran is not None and "case_lights" in ran
