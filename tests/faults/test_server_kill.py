"""kill -9 of the real server under intake load (issue 16): four clients report cases through
``POST /api/v1/cases`` with an ``Idempotency-Key`` each, the ``cityloop serve`` process group
is SIGKILLed mid-run and started again, and every key that got no answer is sent again.

A write is *acknowledged* when the client got its 201 and the case code. After the runs:
every acknowledged key is in the database with the code the client was given (0 lost), every
key sent again answers 201 with its case (the same code when it had been acknowledged), no key
made two cases, every case has its report event, and no request got a 5xx.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from tests.faults.server import Server, closed_port, server_database

CLIENTS = 4
RUNS = 2  # kill -9 and restart this many times
ACKS_BEFORE_KILL = 25  # per run: the kill comes once this many more writes were acknowledged
PHASE_TIMEOUT = 30
REFUSED_BACKOFF = 0.5  # seconds a client waits after a refused connection


@pytest.fixture
def server(tmp_path, db, migrated_template):
    database = server_database(tmp_path, migrated_template)
    # The queue points nowhere on purpose: reporting must not need it (and nothing to clean).
    srv = Server(database, tmp_path / "data", f"redis://127.0.0.1:{closed_port()}/0")
    try:
        srv.prepare()
        srv.start()
        yield srv
    finally:
        srv.stop()
        database.drop()


def _payload(key: str) -> dict:
    return {
        "source": "resident",
        "description": f"压力测试上报 {key}：路灯不亮",
        "address": "上街区",
    }


def test_kill_9_under_intake_load_loses_no_acknowledged_write(server):
    acknowledged: dict[str, str] = {}  # key -> case code the client was given
    unanswered: list[str] = []
    in_flight: list[str] = []  # unanswered because the kill cut them, not refused while down
    statuses: Counter[int] = Counter()
    odd: list[str] = []
    sent: list[str] = []  # every key put on the wire, answered or not
    broken: list[str] = []  # a client error the harness did not expect (the thread goes on)
    stop = threading.Event()
    lock = threading.Lock()

    def client(i: int) -> None:
        n = 0
        while not stop.is_set():
            key = f"c{i}-{n}"
            n += 1
            with lock:
                sent.append(key)
            try:
                answer = server.post("/api/v1/cases", _payload(key), key=key)
            except Exception as exc:
                with lock:
                    broken.append(f"{key}: {exc!r}")
                    unanswered.append(key)
                time.sleep(0.05)
                continue
            with lock:
                statuses[answer.status] += 1
                if answer.status == 201:
                    acknowledged[key] = answer.body["code"]
                elif answer.status == 0:
                    unanswered.append(key)
                    if not answer.refused:
                        in_flight.append(key)
                else:
                    odd.append(f"{key}: {answer.status} {answer.body}")
            if answer.refused:
                # Nothing listens (the server is down, or not up yet): back off as a client
                # would. Each refused key is sent again below; spinning at 20 a second made
                # well over a thousand of them, and sending those again took most of the run.
                time.sleep(REFUSED_BACKOFF)
            elif answer.status == 0:
                time.sleep(0.05)  # cut in flight: try again soon

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + PHASE_TIMEOUT
        while len(acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acknowledged) >= count, (len(acknowledged), statuses, odd[:5])

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        for _ in range(RUNS):
            wait_for(len(acknowledged) + ACKS_BEFORE_KILL)
            server.kill9()
            time.sleep(0.5)  # the clients keep trying against the dead port
            server.start()
        wait_for(len(acknowledged) + ACKS_BEFORE_KILL)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a client is still waiting for its answer"

    # Every key without an answer is sent again; so is every acknowledged one.
    retried_unanswered = {k: server.post("/api/v1/cases", _payload(k), key=k) for k in unanswered}
    retried_acked = {k: server.post("/api/v1/cases", _payload(k), key=k) for k in acknowledged}
    retry_failures = [
        f"{k}: {a.status}"
        for k, a in (retried_unanswered | retried_acked).items()
        if a.status != 201
    ]
    changed_code = [k for k, a in retried_acked.items() if a.body.get("code") != acknowledged[k]]
    server.stop()

    rows = server.database.rows(
        "SELECT k.key, c.code FROM cases_idempotencykey k JOIN cases_case c ON c.id = k.case_id"
    )
    stored = dict(rows)
    cases = server.database.rows("SELECT COUNT(*) FROM cases_case")[0][0]
    without_report = server.database.rows(
        "SELECT COUNT(*) FROM cases_case c WHERE NOT EXISTS (SELECT 1 FROM cases_caseevent e "
        "WHERE e.case_id = c.id AND e.verb = 'report')"
    )[0][0]
    lost = [k for k, code in acknowledged.items() if stored.get(k) != code]
    duplicates = cases - len(stored)  # every case here was reported with a key of its own
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    server_errors += sum(1 for a in retried_unanswered.values() if a.status >= 500)
    print(
        f"\nkill -9 under load ({connection.vendor}): runs {RUNS}, clients {CLIENTS}, "
        f"requests {sum(statuses.values())}, acknowledged {len(acknowledged)}, "
        f"unanswered then retried {len(unanswered)} (cut in flight {len(in_flight)}), "
        f"lost {len(lost)}, duplicates "
        f"{duplicates}, 5xx {server_errors}, cases without report event {without_report}"
    )
    assert odd == []
    assert server_errors == 0
    assert unanswered, "the kill must catch some requests in flight or the clients while down"
    assert retry_failures == []
    assert changed_code == []
    assert lost == []
    assert duplicates == 0
    assert without_report == 0
    # Every key sent is stored once, whichever way its first answer went.
    assert set(acknowledged) | set(unanswered) == set(sent)
    assert set(stored) == set(sent), broken[:5]
    assert {a.body["code"] for a in retried_unanswered.values()} <= set(stored.values())
