"""Benchmark of the two sweeps in sets (issue 20 item 4), each beside the raw SQL of its writes.

**Cases** (PostgreSQL; SQLite with ``--sqlite-cases``): a scratch database gets one street,
its desk, a handling office with two staff and one dispatched case made through the workflow;
that case is cloned to N open cases with one ``INSERT … SELECT`` (set-up, not timed), all
green and not due, then ANALYZE. Timed:

* **nothing stale** — ``cases.sweep.sweep_lights()`` over N open cases of which none changes;
* **K stale** — K of them (every N/K-th) made overdue while still stored yellow, then
  ``sweep_lights()``: K lights turned red, K events, 2 K notifications;
* **raw** — the same K rows put back and changed by hand-written set-based SQL: one
  ``UPDATE … RETURNING``, one ``INSERT … SELECT`` of the events, one of the notifications.

**Tasks** (SQLite and, with ``--pg``, PostgreSQL): ``bench_board``'s street of T tasks with
milestones and weekly reports; timed ``supervision.sweep.sweep_task_lights()`` (every task lit
for the day), beside the raw writes of the same rows (the lights on the tasks, the day
records and the events, ``executemany`` in one transaction); then the board for today
(stored lights) and for yesterday (computed).

    .venv/bin/python bench/bench_sweep.py [--cases 1000000] [--stale 100000] [--tasks 10000]
                                          [--pg] [--sqlite-cases] [--tasks-only]
                                          [--no-write]

Writes its section of ``docs/benchmarks.md`` between its markers, leaving the rest alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sections import write_section  # bench/sections.py: scripts run from bench/

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bench:sweep -->", "<!-- /bench:sweep -->"
PG_DB = os.environ.get("CITYLOOP_BENCH_PG_DB", "cityloop_bench_sweep")  # scratch: dropped
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def _admin_pg(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(sql)


# --- cases -------------------------------------------------------------------------------


def _case_scene():
    """A street, its desk, an office with two handlers, a category and one dispatched case."""
    from scene import street_desk

    from cityloop.cases import workflow
    from cityloop.cases.models import Category
    from cityloop.core import clock
    from cityloop.org import services as s
    from cityloop.org.models import Unit

    desk = street_desk("bench-Sweep-2026!")
    office = Unit.objects.get(code="EJYL")
    cgb, _ = s.unit_save(
        actor=None, code="ECGB", name="城管办", kind="office", parent=office, place=office.place
    )
    for i in range(2):
        s.account_save(
            actor=None,
            username=f"bench-cgb{i}",
            password="bench-Sweep-2026!",
            unit=cgb,
            roles=["department_staff"],
        )
    main = Category.objects.create(code="B-S01", name="市容环境", kind="event")
    category = Category.objects.create(
        code="B-S0101",
        name="乱堆物堆料",
        parent=main,
        kind="event",
        level="community",
        time_limits={
            "accept": {"amount": 2, "type": "work_hours"},
            "dispatch": {"amount": 2, "type": "work_hours"},
            "handle": {"amount": 5, "type": "work_days"},
        },
    )
    with clock.frozen(NOW - timedelta(days=1)):
        case = workflow.report(
            actor=desk,
            source="desk",
            description="小区门口乱堆物堆料，堵住消防通道",
            category=category,
            lng=113.25,
            lat=34.75,
            accept=True,
        )
        case = workflow.dispatch(actor=desk, case_id=case.pk, unit=cgb)
    return case


def _clone_cases(template_pk: int, n: int) -> None:
    """``n`` copies of the template case in one INSERT … SELECT over a counter."""
    from django.db import connection

    from cityloop.cases.models import Case

    q = connection.ops.quote_name
    cols = [
        f.column
        for f in Case._meta.concrete_fields
        if f.column not in ("id", "code") and not getattr(f, "generated", False)
    ]  # a generated column (light_rank) is the database's to write
    select = ", ".join(f"c.{q(col)}" for col in cols)
    # A recursive counter: the same SQL on SQLite and PostgreSQL.
    counter = (
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
        if connection.vendor == "sqlite"
        else ""
    )
    source = "g" if connection.vendor == "sqlite" else "generate_series(1, %s) AS g(n)"
    with connection.cursor() as c:
        c.execute(
            f"{counter}INSERT INTO {q(Case._meta.db_table)} ({', '.join(map(q, cols))}, code) "
            f"SELECT {select}, c.code || '-' || g.n FROM {q(Case._meta.db_table)} c, {source} "
            "WHERE c.id = %s",
            [n, template_pk],
        )


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("ANALYZE")


def _moment(value: datetime):
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)


def _set_clock(where: str, warn: timedelta, due: timedelta, light: str) -> int:
    from django.db import connection

    from cityloop.cases.models import Case

    with connection.cursor() as c:
        c.execute(
            f"UPDATE {Case._meta.db_table} SET warn_at = %s, due_at = %s, light = %s WHERE {where}",
            [_moment(NOW + warn), _moment(NOW + due), light],
        )
        return c.rowcount


def _raw_case_sweep() -> tuple[float, int]:
    """The K changes by hand: UPDATE … RETURNING, events and notifications INSERT … SELECT."""
    from django.db import connection, transaction

    from cityloop.cases.models import Case, CaseEvent
    from cityloop.core.models import Notification
    from cityloop.org.models import Person

    staff = list(
        Person.objects.filter(unit__code="ECGB", user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    open_states = ", ".join(f"'{s}'" for s in Case.OPEN)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        c.execute(
            f"UPDATE {Case._meta.db_table} SET light = 'red' WHERE status IN ({open_states}) "
            "AND due_at <= %s AND light <> 'red' RETURNING id",
            [_moment(NOW)],
        )
        ids = [row[0] for row in c.fetchall()]
        c.execute("CREATE TEMP TABLE IF NOT EXISTS relit (id bigint PRIMARY KEY)")
        c.execute("DELETE FROM relit")
        c.executemany("INSERT INTO relit VALUES (%s)", [(i,) for i in ids]) if (
            connection.vendor == "sqlite"
        ) else c.execute("INSERT INTO relit SELECT unnest(%s::bigint[])", [ids])
        c.execute(
            f"INSERT INTO {CaseEvent._meta.db_table} (at, actor_label, verb, from_state, "
            "to_state, note, data, attachments, case_id, public) "
            "SELECT %s, '系统', 'light_red', c.status, c.status, '', '{}', '[]', c.id, false "
            f"FROM {Case._meta.db_table} c JOIN relit r ON r.id = c.id",
            [_moment(NOW)],
        )
        for user_id in staff:
            c.execute(
                f"INSERT INTO {Notification._meta.db_table} (recipient_id, contact, verb, "
                "title, body, link, data, created_at, sent_at, channels, delivered) "
                "SELECT %s, '', 'case_light_red', '案件 ' || c.code || ' 已超时', c.title, "
                "'/cases/' || c.id || '/', '{}', %s, %s, '[]', '{}' "
                f"FROM {Case._meta.db_table} c JOIN relit r ON r.id = c.id",
                [user_id, _moment(NOW), _moment(NOW)],
            )
    return time.perf_counter() - t0, len(ids)


def measure_cases(n: int, stale: int) -> dict:
    import django

    django.setup()
    from django.db import connection

    from cityloop.cases.models import Case, CaseEvent
    from cityloop.cases.sweep import sweep_lights
    from cityloop.core import clock
    from cityloop.core.models import Notification

    template = _case_scene()
    t0 = time.perf_counter()
    _clone_cases(template.pk, n - 1)
    _set_clock("1 = 1", timedelta(days=1), timedelta(days=2), "green")
    _analyze()
    setup_s = time.perf_counter() - t0
    every = max(1, n // stale)
    with clock.frozen(NOW):
        t0 = time.perf_counter()
        none = sweep_lights()
        none_s = time.perf_counter() - t0
        assert sum(none.values()) == 0, none
        k = _set_clock(f"id %% {every} = 0", -timedelta(days=1), -timedelta(hours=1), "yellow")
        _analyze()
        events0, notes0 = CaseEvent.objects.count(), Notification.objects.count()
        t0 = time.perf_counter()
        changed = sweep_lights()
        stale_s = time.perf_counter() - t0
        events = CaseEvent.objects.count() - events0
        notes = Notification.objects.count() - notes0
        again_t0 = time.perf_counter()
        again = sweep_lights()
        again_s = time.perf_counter() - again_t0
        _set_clock(f"id %% {every} = 0", -timedelta(days=1), -timedelta(hours=1), "yellow")
        raw_s, raw_rows = _raw_case_sweep()
    return {
        "db": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite",
        "cases": Case.objects.count(),
        "setup_s": setup_s,
        "none_s": none_s,
        "stale": k,
        "changed": changed,
        "events": events,
        "notifications": notes,
        "stale_s": stale_s,
        "again_s": again_s,
        "again": again,
        "raw_s": raw_s,
        "raw_rows": raw_rows,
    }


# --- tasks -------------------------------------------------------------------------------


def _raw_task_writes(rows: list[tuple[int, str, str]], day: date) -> float:
    """The same lights, day records and events written with the DB-API, one transaction."""
    from django.db import connection, transaction

    from cityloop.supervision.models import LightRecord, SupervisionEvent, Task

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        c.executemany(
            f"UPDATE {Task._meta.db_table} SET light = %s, light_reasons = %s, light_on = %s "
            "WHERE id = %s",
            [(colour, reasons, day, pk) for pk, colour, reasons in rows],
        )
        c.executemany(
            f'INSERT INTO {LightRecord._meta.db_table} (task_id, "on", colour, reasons) '
            "VALUES (%s, %s, %s, %s)",
            [(pk, day, colour, reasons) for pk, colour, reasons in rows],
        )
        c.executemany(
            f"INSERT INTO {SupervisionEvent._meta.db_table} (at, actor_label, verb, from_state, "
            "to_state, note, data, attachments, task_id) "
            "VALUES (%s, '系统', 'light', '', %s, '', %s, '[]', %s)",
            [(NOW, colour, reasons, pk) for pk, colour, reasons in rows],
        )
    return time.perf_counter() - t0


def measure_tasks(n: int) -> dict:
    import django

    django.setup()
    from bench_board import AS_OF, raw_board_read
    from bench_board import _setup as board_setup
    from django.db import connection
    from django.db.models import Count

    from cityloop.supervision import queries
    from cityloop.supervision.models import LightRecord, Task
    from cityloop.supervision.sweep import sweep_task_lights

    admin, _reports = board_setup(n)  # pins the clock at AS_OF
    t0 = time.perf_counter()
    changed = sweep_task_lights()
    sweep_s = time.perf_counter() - t0
    records = LightRecord.objects.filter(on=AS_OF).count()
    t0 = time.perf_counter()
    again = sweep_task_lights()
    again_s = time.perf_counter() - t0
    rows = [
        (pk, colour, json.dumps(reasons, ensure_ascii=False))
        for pk, colour, reasons in Task.objects.values_list("pk", "light", "light_reasons")
    ]
    raw_s = _raw_task_writes(rows, AS_OF + timedelta(days=1))

    def best(fn, repeat=3):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    today_s = best(lambda: queries.board(admin, as_of=AS_OF))
    raw_today_s = raw_board_read()
    other_s = best(lambda: queries.board(admin, as_of=AS_OF - timedelta(days=1)))
    colours = dict(
        Task.objects.values_list("light").annotate(n=Count("pk")).values_list("light", "n")
    )
    return {
        "db": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite",
        "tasks": n,
        "sweep_s": sweep_s,
        "changed": changed,
        "records": records,
        "again_s": again_s,
        "again": again,
        "raw_s": raw_s,
        "board_today_ms": today_s * 1000,
        "raw_today_ms": raw_today_s * 1000,
        "board_other_ms": other_s * 1000,
        "colours": colours,
    }


# --- driver ------------------------------------------------------------------------------


def run_child(kind: str, args: list[str], pg: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="cityloop-bench-sweep-"))
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
    }
    env.pop("CITYLOOP_AS_OF", None)
    env.pop("CITYLOOP_QUEUE_URL", None)
    if pg:
        _admin_pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        _admin_pg(f"CREATE DATABASE {PG_DB}")
        env["CITYLOOP_DATABASE_URL"] = PG_URL
    else:
        env.pop("CITYLOOP_DATABASE_URL", None)
    try:
        cli = str(Path(sys.executable).with_name("cityloop"))
        subprocess.run([cli, "migrate", "--verbosity", "0"], env=env, check=True)
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind, *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"{kind} child failed")
        out = done.stdout
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        return json.loads(line[len("RESULT ") :])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg:
            _admin_pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


# The previous runs, kept beside the new one.
BEFORE = [
    "Before (2026-12-03: one UPDATE per (old, new) light and the events built in Python; the "
    "task sweep's `bulk_create` upsert and `bulk_update`): cases on PostgreSQL, 100,000 open, "
    "10,000 stale: **11.2 s** (raw 4.5 s, 2.5×); 10,000 tasks: SQLite **38.6 s** (raw 1.2 s, "
    "31×), board today 10.0 s; PostgreSQL **30.3 s** (raw 3.1 s, 9.8×), board today 5.9 s.",
    "",
    "Before the task part's second cut (2026-12-04, load 8–11: the board built a `Task` and four "
    "related objects per task even for today's stored lights; the sweep read its facts as "
    "models and wrote explanations with `bulk_create`): 10,000 tasks: SQLite sweep **12.9 s** "
    "(raw 1.5 s, 8.9×), board today **12,826 ms**, other day 25,708 ms; PostgreSQL sweep "
    "**40.8 s** (raw 10.8 s, 3.8×), board today **33,853 ms**, other day 22,985 ms.",
]


def _kept_case_rows() -> list[str]:
    """The case table's rows of the section now in docs/benchmarks.md (a run of the task part
    alone keeps them)."""
    from sections import DOC

    doc = DOC.read_text(encoding="utf-8")
    if BEGIN not in doc:
        return []
    body = doc.split(BEGIN, 1)[1].split(END, 1)[0].splitlines()
    start = next((i for i, x in enumerate(body) if x.startswith("| database | open cases")), None)
    if start is None:
        return []
    rows = []
    for line in body[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def section(cases: list[dict], tasks: list[dict], took: float) -> str:
    case_rows = [
        f"| {r['db']} | {r['cases']:,} | **{r['none_s']:.1f}** | {r['stale']:,} | "
        f"**{r['stale_s']:.1f}** | {r['events']:,} / {r['notifications']:,} | "
        f"{r['raw_s']:.1f} | **{r['stale_s'] / r['raw_s']:.1f}×** | {r['again_s']:.1f} |"
        for r in cases
    ]
    kept = not case_rows
    case_rows = case_rows or _kept_case_rows()
    load = os.getloadavg()
    task_rows = [
        f"| {r['db']} | {r['tasks']:,} | **{r['sweep_s']:.1f}** | {r['raw_s']:.1f} | "
        f"**{r['sweep_s'] / r['raw_s']:.1f}×** | {r['again_s']:.2f} | "
        f"**{r['board_today_ms']:.0f}** | {r['raw_today_ms']:.0f} | "
        f"**{r['board_today_ms'] / r['raw_today_ms']:.1f}×** | {r['board_other_ms']:.0f} |"
        for r in tasks
    ]
    return "\n".join(
        [
            BEGIN,
            "## Sweeps in sets: the case deadline sweep and the task light sweep",
            "",
            f"Measured {date.today()} with `bench/bench_sweep.py` on Python "
            f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; the run "
            f"took {took:.0f} s. Both sweeps read a chunk of stale rows with one query and "
            "write it in one transaction (issue 20 item 4). The case sweep changes the whole "
            "chunk with one guarded `UPDATE … FROM` of (case, old light, new light); on "
            "PostgreSQL the same statement inserts the warning events from the rows it really "
            "changed (a data-modifying `WITH`); then the notifications with one INSERT. The "
            "task sweep claims its chunk with one guarded `UPDATE … RETURNING` and writes the "
            "day records (an upsert), the lights and the events with one statement each over a "
            "JSON parameter (`cityloop.core.db.insert_rows` / `update_rows`: no model object "
            "or `CASE` per row). First: 100 k stale lights took 950 s on PostgreSQL (5,000 a "
            "minute at most); 10 k tasks 40 s SQLite / 144 s PostgreSQL.",
            "",
            *BEFORE,
            "",
            "* **nothing stale s** — `sweep_lights()` over N open cases of which none changes "
            "(goal < 10 s at 1 M).",
            "* **stale s** — K cases overdue but stored yellow: K lights red, K events and the "
            "notifications to the handling office's two staff (goal < 60 s for 100 k). "
            "**raw s** — the same K changes by hand-written SQL: one `UPDATE … RETURNING` and "
            "`INSERT … SELECT` of events and notifications; **÷ raw** is the sweep's price. "
            "**again s** — a second pass right after (nothing left).",
            "",
            "| database | open cases | nothing stale s | stale K | stale s | events / notices | "
            "raw s | ÷ raw | again s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *case_rows,
            *(
                ["", "(The case rows are kept from the previous run: this one ran the task part.)"]
                if kept
                else []
            ),
            "",
            "* **sweep s** — `sweep_task_lights()` on the morning of 2026-07-02, every task lit "
            "for the day (goal < 10 s at 10 k). **raw s** — the same lights, day records and "
            "events written with the DB-API `executemany` in one transaction. **again s** — the "
            "second pass of the day. **board today ms** — `board()` for today: the stored "
            "lights read off the task rows with one `values_list` query, no facts and no model "
            "objects (goal < 1 s at 10 k); **raw read ms** — the same rows fetched with the "
            "DB-API alone, **÷ raw** the board's price over it; **board other day ms** — for "
            "yesterday, computed from the facts (read as plain rows).",
            "",
            "| database | tasks | sweep s | raw s | ÷ raw | again s | board today ms | "
            "raw read ms | ÷ raw | board other day ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *task_rows,
            "",
            f"A shared machine (load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
            "over 1 / 5 / 15 minutes when the section was written): absolute times drift by "
            "tens of per cent between runs; compare the ÷ raw columns.",
            END,
        ]
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--stale", type=int, default=100_000)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--pg", action="store_true")
    ap.add_argument("--sqlite-cases", action="store_true")
    ap.add_argument("--tasks-only", action="store_true", help="the task part alone")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", choices=["cases", "tasks"])
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    if args.child == "cases":
        result = measure_cases(args.cases, args.stale)
    elif args.child == "tasks":
        result = measure_tasks(args.tasks)
    if args.child:
        print("RESULT " + json.dumps(result, default=str, ensure_ascii=False), flush=True)
        return 0
    t0 = time.perf_counter()
    case_args = ["--cases", str(args.cases), "--stale", str(args.stale)]
    cases, tasks = [], []
    if args.sqlite_cases:
        cases.append(run_child("cases", case_args, pg=False))
    if args.pg and not args.tasks_only:
        cases.append(run_child("cases", case_args, pg=True))
    tasks.append(run_child("tasks", ["--tasks", str(args.tasks)], pg=False))
    if args.pg:
        tasks.append(run_child("tasks", ["--tasks", str(args.tasks)], pg=True))
    for r in cases + tasks:
        print(json.dumps(r, ensure_ascii=False))
    if not args.no_write:
        write_section(section(cases, tasks, time.perf_counter() - t0), BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
