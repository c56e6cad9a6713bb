"""The queue pointing nowhere (issue 16): ``cityloop serve`` runs with ``CITYLOOP_QUEUE_URL`` at
a closed 127.0.0.1 port. Every write that notifies (accept, reject) must still answer 2xx with
its notification left pending (``sent_at`` empty); once the queue is back (the setting at the
real Redis) ``cityloop sweep --once`` delivers each exactly once, and a second sweep sends
nothing again."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection

from tests.conftest import in_ci
from tests.faults.server import Server, closed_port, server_database

WRITES = 6  # cases; each gets one notifying step (accept or reject)
# The queue that comes back: the suite's Redis, else the local one CI starts (its SQLite run
# sets no queue URL).
_configured = os.environ.get("CITYLOOP_QUEUE_URL", "")
REDIS = _configured if _configured.startswith("redis://") else "redis://127.0.0.1:6379/0"
SEED = """
from cityloop.cases.models import Category
main = Category.objects.create(code="F-S01", name="市容环境(故障测试)", kind="event")
Category.objects.create(
    code="F-S0101", name="乱堆物堆料(故障测试)", parent=main, kind="event", level="district"
)
"""


@pytest.fixture
def server(tmp_path, db, migrated_template):
    database = server_database(tmp_path, migrated_template)
    srv = Server(database, tmp_path / "data", f"redis://127.0.0.1:{closed_port()}/0")
    try:
        srv.prepare(seed=SEED, role="superuser")
        srv.start()
        yield srv
    finally:
        srv.stop()
        database.drop()


def _pending(server: Server) -> list[tuple]:
    return server.database.rows(
        "SELECT id, verb FROM core_notification WHERE sent_at IS NULL ORDER BY id"
    )


def test_writes_answer_while_the_queue_is_down_and_the_sweep_delivers_once(server):
    where = urlsplit(REDIS)
    try:
        socket.create_connection((where.hostname, where.port or 6379), timeout=2).close()
    except OSError:
        message = f"no Redis at {REDIS} to bring the queue back"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    (category_id,) = server.database.rows("SELECT id FROM cases_category WHERE code = 'F-S0101'")[0]
    statuses: list[int] = []
    for n in range(WRITES):
        made = server.post(
            "/api/v1/cases",
            {
                "source": "hotline",
                "description": f"队列故障中的第 {n} 件：楼道堆物",
                "address": "上街区",
                "category_id": category_id,
                "reporter_name": "李女士",
                "reporter_phone": f"1380000{n:04d}",
            },
        )
        statuses.append(made.status)
        assert made.status == 201, made.body
        action = "accept" if n % 2 == 0 else "reject"
        payload = {"note": "已受理"} if action == "accept" else {"reason": "不属于受理范围"}
        step = server.post(f"/api/v1/cases/{made.body['id']}/actions/{action}", payload)
        statuses.append(step.status)
        assert step.status == 200, step.body
    server.stop()
    # The server did try the queue and failed (logged), rather than never trying.
    assert server.log.read_text().count("could not queue notification") == WRITES

    pending = _pending(server)
    assert sorted({verb for _, verb in pending}) == ["case_accept", "case_reject"]
    assert len(pending) == WRITES  # one reporter each, none sent, none lost

    # The queue is back. The sweep only takes rows older than its grace (a queue may still
    # hold younger ones), so it runs as the operator's would a while later: CITYLOOP_AS_OF.
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    env = {"CITYLOOP_QUEUE_URL": REDIS, "CITYLOOP_AS_OF": later}
    first = server.cli("sweep", "--once", **env)
    after_first = server.database.rows(
        "SELECT id, sent_at, delivered FROM core_notification ORDER BY id"
    )
    second = server.cli("sweep", "--once", **env)
    after_second = server.database.rows(
        "SELECT id, sent_at, delivered FROM core_notification ORDER BY id"
    )
    delivered = [row for row in after_first if row[1] is not None]
    resent = sum(a != b for a, b in zip(after_first, after_second, strict=True))
    print(
        f"\nqueue down ({connection.vendor}): writes {len(statuses)}, 2xx "
        f"{sum(200 <= s < 300 for s in statuses)}, 5xx {sum(s >= 500 for s in statuses)}, "
        f"pending while down {len(pending)}, delivered by the sweep {len(delivered)}, "
        f"sent again by a second sweep {resent}"
    )
    assert f"notifications: {WRITES}" in first.stdout, first.stdout
    assert "notifications: 0" in second.stdout, second.stdout
    assert _pending(server) == []
    assert len(delivered) == len(after_first) == WRITES
    assert all("ok" in str(row[2]) for row in after_first)  # the console channel sent it
    assert after_second == after_first  # nothing claimed or sent twice
