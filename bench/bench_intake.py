"""Benchmark of case intake through the HTTP API against raw inserts of the same rows.

For each database (SQLite by default, PostgreSQL on ``127.0.0.1``) the script makes a fresh
database in a temporary ``CITYLOOP_DATA_DIR`` (for PostgreSQL a scratch database it creates
and drops), runs ``cityloop migrate``, builds a small district and a street-office account
with a bearer token, starts the real server (``cityloop serve --no-worker``: gunicorn as in
production) and posts ``POST /api/v1/cases`` from 1, 2 and 4 client threads, each on one
keep-alive ``http.client`` connection, every request with its own ``Idempotency-Key``.

The limit to compare with: the rows those requests wrote (the case, its ``report`` event and
its idempotency key, read back from the database) inserted again with the DB-API alone
(``sqlite3`` with the connection settings Django uses, ``psycopg``), one transaction per
case, from the same number of threads.

    .venv/bin/python bench/bench_intake.py [--requests 1000] [--clients 1,2,4] [--no-write]

Writes its section of ``docs/benchmarks.md`` between its markers, leaving the rest alone.
Exits non-zero when a request fails or the server does not come up; the server and the
temporary files are removed in every case.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bench:intake -->", "<!-- /bench:intake -->"
HOST = "127.0.0.1"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/cityloop_bench"
WARMUP = 24  # requests before the first row, spread over 4 connections (both web workers)

TEXTS = [
    "小区门口路灯不亮，晚上出入很黑，老人孩子容易摔倒",
    "垃圾桶已经满了两天没人清运，气味很大",
    "楼下井盖松动，车辆经过响声很大，存在安全隐患",
    "绿化带里有人私自种菜，破坏草坪",
    "共享单车堆放在盲道上，影响行人通行",
    "楼道里堆满杂物，消防通道被堵",
    "雨水井堵塞，下雨后路面积水严重",
    "有商户占道经营，晚上噪音扰民",
    "小区围墙有一段倒塌，需要尽快修复",
    "路边有一棵树枝断裂，随时可能掉落",
    "自来水管破裂，路面一直在冒水",
    "广告牌松动，刮风时摇晃得厉害",
    "小区里流浪狗很多，晚上追咬行人",
    "外墙瓷砖脱落，砸到了楼下停放的车辆",
    "公共厕所无人打扫，卫生条件很差",
    "道路中间出现大坑，电动车经过很危险",
]
SPOTS = ["东门", "西门", "南侧", "北侧", "1号楼", "2号楼", "3号楼", "5号楼", "停车场", "广场"]

# Runs inside the project's environment with Django set up: builds the district and the
# account and prints what the clients and the raw inserts need, as one JSON line.
SETUP = r"""
import json, django
django.setup()
from django.conf import settings
from cityloop.org import services as s
from cityloop.core.tokens import token_issue
from cityloop.cases.models import Category

def square(lng, lat, d):
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}

district, _ = s.place_save(actor=None, code="410106", name="上街区", kind="district",
                           geometry_json=square(113.26, 34.78, 0.06))
street, _ = s.place_save(actor=None, code="410106001", name="济源路街道", kind="street",
                         parent=district, geometry_json=square(113.26, 34.78, 0.03))
community, _ = s.place_save(actor=None, code="410106001001", name="新华街社区",
                            kind="community", parent=street,
                            geometry_json=square(113.26, 34.78, 0.01))
s.place_save(actor=None, code="410106001001001", name="06小区", kind="compound",
             parent=community, management="unmanaged",
             geometry_json=square(113.261, 34.781, 0.002))
s.unit_save(actor=None, code="QZJJ", name="区住建局", kind="bureau", place=district)
office, _ = s.unit_save(actor=None, code="JYL", name="济源路街道办事处", kind="street_office",
                        place=street)
user = s.account_save(actor=None, username="bench-desk", password="bench-pass-123",
                      unit=office, roles=["street_staff"])
leaf = (Category.objects.filter(parent__isnull=False, is_active=True).order_by("pk").first())
if leaf is None:  # the seeded tree is not there: one test category will do
    main = Category.objects.create(code="BENCH", name="测试大类")
    leaf = Category.objects.create(code="BENCH01", name="测试小类", parent=main)
db = settings.DATABASES["default"]
print(json.dumps({
    "token": token_issue(user=user, label="bench"),
    "category_id": leaf.pk,
    "category": str(leaf),
    # Inside the compound 06小区 (113.261–113.263, 34.781–34.783), off its edges.
    "box": [113.2612, 34.7812, 113.2628, 34.7828],
    "vendor": db["ENGINE"].rsplit(".", 1)[-1],
    "sqlite_path": str(db["NAME"]),
    "sqlite_options": db.get("OPTIONS", {}),
    "conn_max_age": db.get("CONN_MAX_AGE", 0),
}))
"""


class BenchError(Exception):
    pass


# --- processes and scratch databases ----------------------------------------------------------


def cityloop_env(data_dir: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYLOOP_")}
    env["CITYLOOP_DATA_DIR"] = data_dir
    # One account posts thousands of reports a minute here: the per-account write limit
    # (a person's safety net) is not what is measured.
    env["CITYLOOP_WRITES_PER_ACCOUNT_PER_MINUTE"] = "0"
    if database_url:
        env["CITYLOOP_DATABASE_URL"] = database_url
    env["DJANGO_SETTINGS_MODULE"] = "cityloop.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


def run_python(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(args)[:60]} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def server(env: dict[str, str], log_path: Path):
    """``cityloop serve`` in its own process group, killed with all its workers on exit."""
    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cityloop.cli",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-worker",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise BenchError(f"server exited ({proc.returncode}):\n{tail(log_path)}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/api/v1/cases")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError(f"server did not answer in 90 s:\n{tail(log_path)}") from None
                time.sleep(0.2)
        yield port
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with suppress(ProcessLookupError):  # workers that outlived the master
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:]
    except OSError:
        return ""


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@contextmanager
def scratch_pg(url: str):
    name = urlsplit(url).path.lstrip("/")
    if not name.replace("_", "").isalnum() or "bench" not in name:
        raise BenchError(f"refusing to create and drop {name!r}: the name must contain 'bench'")
    host = urlsplit(url).hostname
    if host not in (HOST, "localhost"):
        raise BenchError(f"PostgreSQL must be on {HOST}, not {host}")
    try:
        pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin(url, f'CREATE DATABASE "{name}"')
    except Exception as exc:
        raise BenchError(
            f"PostgreSQL at {url} is not usable ({exc}); run with --databases sqlite to skip it"
        ) from exc
    try:
        yield url
    finally:
        with suppress(Exception):
            pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- measuring --------------------------------------------------------------------------------


class Row:
    def __init__(self, clients: int):
        self.clients = clients
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.seconds = 0.0
        self.capped = False
        self.reconnects = 0
        self.load = 0.0
        self.per = 1  # cases per call: 1 for a single report, the batch size for bulk

    @property
    def cases(self) -> int:
        return self.done * self.per

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Cases per second."""
        return self.cases / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def drive(clients: int, total: int, cap: float, work) -> Row:
    """``total`` calls of ``work(state, n)`` shared by ``clients`` threads, stopped at ``cap``
    seconds; ``work`` returns an error text or None."""
    row = Row(clients)
    lock = threading.Lock()
    counter = iter(range(total))
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        state: dict = {"index": index}
        try:
            start.wait()
            while True:
                with lock:
                    n = next(counter, None)
                if n is None or row.errors:
                    break
                if time.perf_counter() > deadline[0]:
                    row.capped = True
                    break
                began = time.perf_counter()
                error = work(state, n)
                took = time.perf_counter() - began
                with lock:
                    if error:
                        row.errors.append(error)
                    else:
                        row.latencies.append(took)
        except Exception as exc:
            with lock:
                row.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            with suppress(Exception):
                state.pop("close", lambda: None)()
            row.reconnects += state.get("reconnects", 0)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + cap
    start.wait()
    for t in threads:
        t.join(cap + 60)
    row.seconds = time.perf_counter() - began
    row.load = os.getloadavg()[0]
    if any(t.is_alive() for t in threads):
        row.errors.append("a client thread hung")
    return row


def api_work(port: int, token: str, category_id: int, box: list[float], tag: str):
    rng = random.Random(f"{tag}-{port}")

    def connect(state: dict) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        state["conn"], state["close"] = conn, conn.close
        return conn

    def work(state: dict, n: int) -> str | None:
        body = json.dumps(
            {
                "source": "desk",
                "description": f"{rng.choice(SPOTS)}：{TEXTS[n % len(TEXTS)]}",
                "category_id": category_id,
                "lng": round(rng.uniform(box[0], box[2]), 6),
                "lat": round(rng.uniform(box[1], box[3]), 6),
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{tag}-{n}",
        }
        for attempt in (1, 2):
            conn = state.get("conn") or connect(state)
            try:
                conn.request("POST", "/api/v1/cases", body, headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # The server closed the kept-alive connection: the key makes a retry safe.
                conn.close()
                state.pop("conn")
                state["reconnects"] = state.get("reconnects", 0) + 1
                if attempt == 2:
                    raise
        if resp.status != 201:
            return f"HTTP {resp.status}: {data[:300].decode(errors='replace')}"
        return None

    return work


def bulk_work(port: int, token: str, category_id: int, box: list[float], tag: str, batch: int):
    """``POST /api/v1/cases/bulk`` with ``batch`` hotline reports a call, each with its key."""
    rng = random.Random(f"bulk-{tag}-{port}")

    def work(state: dict, n: int) -> str | None:
        reports = [
            {
                "source": "hotline",
                "description": f"{rng.choice(SPOTS)}：{TEXTS[(n * batch + i) % len(TEXTS)]}",
                "category_id": category_id,
                "lng": round(rng.uniform(box[0], box[2]), 6),
                "lat": round(rng.uniform(box[1], box[3]), 6),
                "idempotency_key": f"bulk-{tag}-{n}-{i}",
            }
            for i in range(batch)
        ]
        body = json.dumps({"reports": reports}, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn = state.get("conn")
        if conn is None:
            conn = http.client.HTTPConnection(HOST, port, timeout=120)
            state["conn"], state["close"] = conn, conn.close
        conn.request("POST", "/api/v1/cases/bulk", body, headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            return f"HTTP {resp.status}: {data[:300].decode(errors='replace')}"
        created = json.loads(data)["created"]
        return None if created == batch else f"{created} of {batch} created: {data[:300]!r}"

    return work


# --- raw inserts through the DB-API -----------------------------------------------------------

TABLES = ("cases_case", "cases_caseevent", "cases_idempotencykey")


def read_templates(connect, limit: int) -> list[tuple[dict, dict, dict]]:
    """The rows the API wrote: each case with its ``report`` event and idempotency key."""
    conn = connect()
    try:
        cur = conn.cursor()

        def rows(sql: str) -> list[dict]:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

        cases = rows(f"SELECT * FROM cases_case ORDER BY id LIMIT {int(limit)}")
        events = {
            r["case_id"]: r for r in rows("SELECT * FROM cases_caseevent WHERE verb = 'report'")
        }
        keys = {r["case_id"]: r for r in rows("SELECT * FROM cases_idempotencykey")}
    finally:
        conn.close()
    out = [
        (c, events[c["id"]], keys[c["id"]]) for c in cases if c["id"] in events and c["id"] in keys
    ]
    if not out:
        raise BenchError("no case rows to copy: the API wrote nothing")
    return out


GENERATED = ("light_rank", "search_vector")  # cases_case's generated columns (PostgreSQL: both)


def insert_sql(table: str, columns: list[str], mark: str) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    return (
        f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join([mark] * len(columns))}) RETURNING "id"'
    )


def raw_work(vendor: str, connect, begin: str | None, templates, tag: str):
    """One transaction per case, as the API does: the case, its event, its key."""
    mark = "?" if vendor == "sqlite3" else "%s"
    # light_rank is computed by the database from light: never written.
    case_cols = [c for c in templates[0][0] if c not in ("id", *GENERATED)]
    event_cols = [c for c in templates[0][1] if c != "id"]
    key_cols = [c for c in templates[0][2] if c != "id"]
    sql = [
        insert_sql(t, cols, mark)
        for t, cols in zip(TABLES, (case_cols, event_cols, key_cols), strict=True)
    ]
    adapt = (lambda v: v) if vendor == "sqlite3" else _pg_adapt

    def work(state: dict, n: int) -> str | None:
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = connect()
            state["close"] = conn.close
        case, event, key = templates[n % len(templates)]
        case_values = {**case, "code": f"R{tag}{n:07d}"[:20]}
        cur = conn.cursor()
        if begin:
            cur.execute(begin)
        try:
            cur.execute(sql[0], [adapt(case_values[c]) for c in case_cols])
            case_id = cur.fetchone()[0]
            cur.execute(sql[1], [adapt({**event, "case_id": case_id}[c]) for c in event_cols])
            cur.fetchone()
            key_values = {**key, "case_id": case_id, "key": f"raw-{tag}-{n}"}
            cur.execute(sql[2], [adapt(key_values[c]) for c in key_cols])
            cur.fetchone()
            if begin:
                cur.execute("COMMIT")
            else:
                conn.commit()
        except BaseException:
            if begin:
                cur.execute("ROLLBACK")
            else:
                conn.rollback()
            raise
        return None

    return work


def raw_bulk_work(vendor: str, connect, begin: str | None, templates, tag: str, batch: int):
    """One transaction per batch, as the bulk endpoint does: one multi-row INSERT per table
    (the cases with RETURNING their ids, then their events, then their keys)."""
    mark = "?" if vendor == "sqlite3" else "%s"
    cols = [[c for c in templates[0][k] if c not in ("id", *GENERATED)] for k in range(3)]
    adapt = (lambda v: v) if vendor == "sqlite3" else _pg_adapt

    def multi(table: str, columns: list[str], rows: int, returning: bool) -> str:
        names = ", ".join(f'"{c}"' for c in columns)
        one = "(" + ", ".join([mark] * len(columns)) + ")"
        tail = ' RETURNING "id"' if returning else ""
        return f'INSERT INTO "{table}" ({names}) VALUES {", ".join([one] * rows)}{tail}'

    sql = [multi(t, c, batch, k == 0) for k, (t, c) in enumerate(zip(TABLES, cols, strict=True))]

    def work(state: dict, n: int) -> str | None:
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = connect()
            state["close"] = conn.close
        picked = [templates[(n * batch + i) % len(templates)] for i in range(batch)]
        cur = conn.cursor()
        if begin:
            cur.execute(begin)
        try:
            values = []
            for i, (case, _e, _k) in enumerate(picked):
                row = {**case, "code": f"B{tag}{n:05d}{i:04d}"[:20]}
                values += [adapt(row[c]) for c in cols[0]]
            cur.execute(sql[0], values)
            ids = [r[0] for r in cur.fetchall()]
            values = []
            for case_id, (_c, event, _k) in zip(ids, picked, strict=True):
                values += [adapt({**event, "case_id": case_id}[c]) for c in cols[1]]
            cur.execute(sql[1], values)
            values = []
            for i, (case_id, (_c, _e, key)) in enumerate(zip(ids, picked, strict=True)):
                row = {**key, "case_id": case_id, "key": f"rawbulk-{tag}-{n}-{i}"}
                values += [adapt(row[c]) for c in cols[2]]
            cur.execute(sql[2], values)
            if begin:
                cur.execute("COMMIT")
            else:
                conn.commit()
        except BaseException:
            if begin:
                cur.execute("ROLLBACK")
            else:
                conn.rollback()
            raise
        return None

    return work


def _pg_adapt(value):
    from psycopg.types.json import Jsonb

    return Jsonb(value) if isinstance(value, dict | list) else value


def sqlite_connector(path: str, options: dict):
    """A connection as Django's SQLite backend opens one: same timeout and PRAGMAs."""
    pragmas = [p.strip() for p in options.get("init_command", "").split(";") if p.strip()]

    def connect():
        conn = sqlite3.connect(
            path, timeout=options.get("timeout", 5), isolation_level=None, check_same_thread=False
        )
        for pragma in pragmas:
            conn.execute(pragma)
        return conn

    mode = options.get("transaction_mode") or "DEFERRED"
    return connect, f"BEGIN {mode}"


def pg_connector(url: str):
    import psycopg

    return (lambda: psycopg.connect(url, autocommit=False)), None


# --- one database -----------------------------------------------------------------------------


def bench_database(label: str, database_url: str, args, data_dir: Path) -> list[dict]:
    data_dir.mkdir(parents=True)
    env = cityloop_env(str(data_dir), database_url)
    print(f"[{label}] migrate …", flush=True)
    began = time.perf_counter()
    run_python(env, "-m", "cityloop.cli", "migrate", "--no-input", "-v", "0", timeout=600)
    info = json.loads(run_python(env, "-c", SETUP).strip().splitlines()[-1])
    print(
        f"[{label}] migrated and set up in {time.perf_counter() - began:.0f} s; "
        f"category {info['category']}",
        flush=True,
    )

    api_rows: list[Row] = []
    with server(env, data_dir / "server.log") as port:
        # Warm both web workers (imports, the spatial index, the calendar) before measuring.
        warm = drive(
            4,
            WARMUP,
            args.cap,
            api_work(port, info["token"], info["category_id"], info["box"], "warm"),
        )
        if warm.errors:
            raise BenchError(f"[{label}] warm-up failed: {warm.errors[0]}")
        for clients in args.clients:
            work = api_work(port, info["token"], info["category_id"], info["box"], f"c{clients}")
            row = drive(clients, args.requests, args.cap, work)
            if row.errors:
                raise BenchError(
                    f"[{label}] {clients} clients: {len(row.errors)} failed, "
                    f"first: {row.errors[0]}\n{tail(data_dir / 'server.log', 1500)}"
                )
            api_rows.append(row)
            print(
                f"[{label}] API  {clients} clients: {row.done} cases in {row.seconds:.1f} s, "
                f"{row.rate:,.0f}/s, p50 {row.pct(50):.1f} ms, p99 {row.pct(99):.1f} ms",
                flush=True,
            )
        for clients in args.bulk_clients:
            work = bulk_work(
                port, info["token"], info["category_id"], info["box"], f"b{clients}", args.batch
            )
            row = drive(clients, args.batches, args.cap, work)
            row.per = args.batch
            if row.errors:
                raise BenchError(
                    f"[{label}] bulk, {clients} clients: {len(row.errors)} failed, "
                    f"first: {row.errors[0]}\n{tail(data_dir / 'server.log', 1500)}"
                )
            api_rows.append(row)
            print(
                f"[{label}] BULK {clients} clients × {args.batch}: {row.cases} cases in "
                f"{row.seconds:.1f} s, {row.rate:,.0f}/s, p50 {row.pct(50):.0f} ms a batch",
                flush=True,
            )

    if info["vendor"] == "sqlite3":
        connect, begin = sqlite_connector(info["sqlite_path"], info["sqlite_options"])
    else:
        connect, begin = pg_connector(database_url)
    expected = WARMUP + sum(r.cases for r in api_rows)
    check = connect()
    try:
        cur = check.cursor()
        cur.execute("SELECT count(*) FROM cases_case")
        stored = cur.fetchone()[0]
    finally:
        check.close()
    if stored != expected:
        raise BenchError(f"[{label}] {stored} cases stored for {expected} answered requests")
    templates = read_templates(connect, 5000)

    results = []
    for api in api_rows:
        if api.per > 1:
            work = raw_bulk_work(
                info["vendor"], connect, begin, templates, f"{api.clients}", api.per
            )
            raw = drive(api.clients, args.batches, args.cap, work)
            raw.per = api.per
        else:
            work = raw_work(info["vendor"], connect, begin, templates, f"{api.clients}")
            raw = drive(api.clients, args.requests, args.cap, work)
        if raw.errors:
            raise BenchError(f"[{label}] raw inserts, {api.clients} threads: {raw.errors[0]}")
        print(
            f"[{label}] raw  {api.clients} threads ×{raw.per}: {raw.cases} cases in "
            f"{raw.seconds:.1f} s, "
            f"{raw.rate:,.0f}/s, p50 {raw.pct(50):.2f} ms, p99 {raw.pct(99):.2f} ms",
            flush=True,
        )
        results.append({"database": label, "api": api, "raw": raw, "info": info})
    return results


def pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


# --- report -----------------------------------------------------------------------------------


def table(results: list[dict]) -> str:
    lines = [
        "| database | intake | clients | API cases | API cases/s | API p50 ms | API p99 ms "
        "| raw cases/s | raw rows/s | raw p99 ms | API ÷ raw |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        api, raw = r["api"], r["raw"]
        capped = " (capped)" if api.capped else ""
        mode = f"bulk × {api.per}" if api.per > 1 else "single"
        lines.append(
            f"| {r['database']} | {mode} | {api.clients} | {api.cases:,}{capped} | "
            f"**{api.rate:,.0f}** | "
            f"{api.pct(50):,.1f} | {api.pct(99):,.1f} | {raw.rate:,.0f} | "
            f"{raw.rate * len(TABLES):,.0f} | {raw.pct(99):,.2f} | "
            f"**{api.rate / raw.rate:.1%}** |"
        )
    return "\n".join(lines)


def write_section(text: str) -> Path:
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{BEGIN}\n{text.rstrip()}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = f"{head}{section}{rest.split(END, 1)[1]}"
    else:
        current = f"{current.rstrip()}\n\n{section}\n"
    path.write_text(current, encoding="utf-8")
    return path


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per row")
    parser.add_argument("--clients", default="1,2,4", help="client threads per row")
    parser.add_argument("--cap", type=float, default=60.0, help="hard time cap per row, s")
    parser.add_argument("--batch", type=int, default=200, help="reports per bulk request")
    parser.add_argument("--batches", type=int, default=25, help="bulk requests per row")
    parser.add_argument("--bulk-clients", default="1", help="client threads per bulk row")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CITYLOOP_BENCH_PG_URL", PG_DEFAULT),
        help="scratch PostgreSQL database (created and dropped; its name must contain 'bench')",
    )
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    args.bulk_clients = [int(c) for c in args.bulk_clients.split(",") if c]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if set(databases) - {"sqlite", "postgresql", "sqlite-url"}:
        parser.error("--databases takes sqlite, postgresql and sqlite-url")

    # A SIGTERM (a CI timeout) unwinds like Ctrl-C, so the server and the files go too.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    loads = [os.getloadavg()[0]]
    results: list[dict] = []
    versions = {"sqlite": sqlite3.sqlite_version}
    tmp = Path(tempfile.mkdtemp(prefix="cityloop-bench-intake-"))
    try:
        for n, db in enumerate(databases):
            where = tmp / f"{n}-{db}"
            if db == "sqlite":
                results += bench_database("SQLite", "", args, where)
            elif db == "sqlite-url":
                # The same file named through CITYLOOP_DATABASE_URL, which settings.py gives
                # persistent connections (CONN_MAX_AGE 60); not in the default set.
                url = f"sqlite:///{where / 'cityloop.sqlite3'}"
                results += bench_database("SQLite via URL", url, args, where)
            else:
                with scratch_pg(args.pg_url) as url:
                    versions["postgresql"] = pg_version(url)
                    results += bench_database("PostgreSQL", url, args, where)
    except BenchError as exc:
        print(f"bench_intake: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_intake: interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    loads += [r["api"].load for r in results] + [r["raw"].load for r in results]

    figures = table(results)
    print(figures)
    print(f"whole run: {elapsed:.0f} s")
    ages = {r["database"]: r["info"]["conn_max_age"] for r in results}
    conn_note = "; ".join(
        f"{label}: {'a new connection per request' if not age else f'connections kept {age} s'}"
        for label, age in ages.items()
    )
    dbs = " and ".join(
        f"PostgreSQL {versions['postgresql']}"
        if d == "postgresql"
        else f"SQLite {versions['sqlite']}"
        for d in dict.fromkeys("sqlite" if d.startswith("sqlite") else d for d in databases)
    )
    text = f"""## Case intake: `POST /api/v1/cases` and `POST /api/v1/cases/bulk`

Measured {time.strftime("%Y-%m-%d")} with `bench/bench_intake.py` on Python \
{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, {dbs} (both on \
this machine, the PostgreSQL one a scratch database created and dropped by the script); the \
whole run took {elapsed:.0f} s. Each database is fresh and migrated, with a small district (one \
street, community and compound), a 济源路街道办事处 account with the role street_staff and a \
bearer token, and the real server: `cityloop serve --no-worker`, i.e. gunicorn with 2 worker \
processes × 4 threads, as in production. Up to {args.requests:,} requests per row (hard cap \
{args.cap:.0f} s per row; a row that hit it says "capped"), after {WARMUP} warm-up requests.

* **API cases/s** — `POST /api/v1/cases` answered 201 per second of wall time, from \
*clients* threads each holding one keep-alive `http.client` connection to 127.0.0.1; every \
request is a desk report (`source` desk, a leaf category, one of {len(TEXTS)} Chinese \
descriptions, a random point inside the compound) with its own `Idempotency-Key`. The \
script checks that the database holds exactly one case per answered request.
* **bulk × N** rows — the machine channels' endpoint `POST /api/v1/cases/bulk`: hotline \
reports, {args.batch} a request (each with its own `idempotency_key`), {args.batches} \
requests per row; the raw figure beside it inserts the same rows one transaction per batch \
with one multi-row `INSERT` per table (the cases `RETURNING` their ids), which is what the \
endpoint's set-based write does. Its p50 / p99 are per request, i.e. per batch.
* **API p50 / p99 ms** — time from sending a request to having read its whole answer, per \
request, as a client sees it.
* **raw cases/s** — the limit: the rows those requests wrote (the case, its `report` event \
and its idempotency key, all columns and values read back from the database, only the code \
and key made unique) inserted again through the DB-API alone, one transaction per case as the \
API does, from as many threads as the API row had clients: `sqlite3` with Django's settings \
for the file (WAL, `synchronous=NORMAL`, foreign keys on, `BEGIN IMMEDIATE`, 20 s busy \
timeout), `psycopg` for PostgreSQL; one persistent connection per thread. **raw rows/s** is \
the same figure counted in rows (three per case). **API ÷ raw** is how much of the storage \
limit intake reaches; the rest is Python, Django and HTTP.

{figures}

Load average (1 min) during the run: {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} \
CPUs; the clients, the web workers and PostgreSQL all share them, so the rows with more \
clients measure contention as much as capacity. This is a shared machine: its figures drift \
between runs by tens of per cent; compare rows of one run with each other, and rerun on a quiet \
machine for firm numbers. Database connections of the web workers (`CONN_MAX_AGE` as \
`settings.py` sets it) — {conn_note}.
"""
    if not args.no_write:
        print(f"written to {write_section(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
