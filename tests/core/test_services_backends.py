"""The real services the deployment is configured for: database and queue.

CI runs the suite twice (SQLite, then PostgreSQL + Redis); these tests prove each run really
talked to the backend it claims, and fail loudly in CI when a service is missing.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.db import connection
from huey import RedisHuey

from tests.conftest import in_ci


def test_database_is_the_configured_backend(db):
    url = os.environ.get("CITYLOOP_DATABASE_URL", "")
    expected = "postgresql" if url.startswith("postgres") else "sqlite"
    assert connection.vendor == expected
    if expected == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_keys")
            assert cur.fetchone()[0] == 1


def test_configured_queue_round_trip(db):
    """Enqueue through the configured huey storage and execute what comes back out."""
    from huey.contrib.djhuey import HUEY

    from cityloop.core.tasks import ping

    token = uuid.uuid4().hex
    HUEY.flush()
    result = ping(token)
    task = HUEY.dequeue()
    assert task is not None, "the task never reached the queue storage"
    HUEY.execute(task)
    assert result.get(blocking=True, timeout=5) == token


def test_queue_backend_matches_configuration():
    url = os.environ.get("CITYLOOP_QUEUE_URL", "")
    huey_class = settings.HUEY["huey_class"]
    assert huey_class == ("huey.RedisHuey" if url.startswith("redis") else "huey.SqliteHuey")


def test_redis_queue_round_trip():
    """Redis is a real started service in CI; outside CI it may be absent."""
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if in_ci():
            pytest.fail("Redis on 127.0.0.1:6379 is not reachable in CI")
        pytest.skip("Redis not running (outside CI)")
    # A name of its own: CI runs two passes at once on the same Redis database.
    huey = RedisHuey(f"cityloop-test-{os.getpid()}", url="redis://127.0.0.1:6379/15")
    huey.flush()

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    result = add(2, 3)
    task = huey.dequeue()
    huey.execute(task)
    assert result.get(blocking=True, timeout=5) == 5
    huey.flush()
