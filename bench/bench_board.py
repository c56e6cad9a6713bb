"""Benchmark of the red/yellow/blue board and the daily light sweep, against their limits.

A fresh SQLite database in a temporary ``CITYLOOP_DATA_DIR`` (PostgreSQL with ``--pg``: a
scratch database created and dropped) gets N tasks of one street, each with three milestones
and a weekly progress report since January, written with ``bulk_create`` (set-up, not timed).
Then, with the clock at 2026-07-02:

* **board** — ``supervision.queries.board(admin, as_of=…)``: every task's facts read from the
  database and lit by the pure function, as the page and ``GET /api/v1/tasks/board`` do;
* **limit** — the same rows read with the DB-API alone (tasks, milestones, the latest report
  per task) plus the pure ``light()`` over ready-made facts: what the board cannot beat;
* **sweep** — ``supervision.sweep.sweep_task_lights()``: every task re-lit for the day in
  chunks (one transaction each), its light stored and the change written as an event;
* **today** — the board again after the sweep, reading the stored lights;
* **sweep limit** — the light rows and events of that sweep inserted again with the DB-API,
  one transaction per task.

    .venv/bin/python bench/bench_board.py [--tasks 1000] [--pg] [--no-write]

Writes its section of ``docs/benchmarks.md`` between its markers, leaving the rest alone.
"""

from __future__ import annotations

import argparse
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
BEGIN, END = "<!-- bench:board -->", "<!-- /bench:board -->"
PG_DB = os.environ.get("CITYLOOP_BENCH_PG_DB", "cityloop_bench_board")  # scratch: dropped
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
AS_OF = date(2026, 7, 2)
SH = ZoneInfo("Asia/Shanghai")


def _prepare_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        c.execute(f"CREATE DATABASE {PG_DB}")


def _drop_pg() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def _setup(n: int):
    """Build the street, its office, the tasks, their milestones and reports."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from cityloop.core import clock
    from cityloop.org import services as s
    from cityloop.supervision.models import (
        Milestone,
        ProgressReport,
        Task,
        TaskCategory,
        TaskKind,
    )

    district, _ = s.place_save(actor=None, code="B410106", name="上街区", kind="district")
    street, _ = s.place_save(
        actor=None, code="B410106001", name="济源路街道", kind="street", parent=district
    )
    office, _ = s.unit_save(
        actor=None, code="BJYL", name="济源路街道办事处", kind="street_office", place=street
    )
    admin = get_user_model().objects.create_superuser("bench-admin", password="x")
    kind = TaskKind.objects.get(code="key_work")
    cats = list(TaskCategory.objects.all()[:6])
    now = datetime(2026, 1, 1, 9, tzinfo=SH)
    tasks = Task.objects.bulk_create(
        Task(
            code=f"B-{i:05d}",
            title=f"重点工作 {i}",
            kind=kind,
            category=cats[i % len(cats)],
            responsible_unit=office,
            supervising_unit=office,
            start=date(2026, 1, 1),
            deadline=date(2026, 12, 31) - timedelta(days=i % 60),
            created_at=now,
        )
        for i in range(n)
    )
    Milestone.objects.bulk_create(
        Milestone(
            task=t,
            order=k,
            title=f"节点{k + 1}",
            due=date(2026, 3 * k + 3, 28),
            planned_percent=25 * (k + 1),
            # the milestones already due were met, as on a real board most are
            done_on=date(2026, 3 * k + 3, 27) if date(2026, 3 * k + 3, 28) < AS_OF else None,
        )
        for t in tasks
        for k in range(3)
    )
    reports = []
    for i, t in enumerate(tasks):
        day = date(2026, 1, 5)
        pct = 0
        while day <= AS_OF:
            pct = min(100, pct + 1 + (i % 4))
            reports.append(
                ProgressReport(
                    task=t,
                    on=day,
                    at=datetime.combine(day, datetime.min.time(), SH),
                    text="本周进展",
                    percent=Decimal(pct),
                )
            )
            day += timedelta(days=7)
    ProgressReport.objects.bulk_create(reports, batch_size=2000)
    clock.pin(datetime(AS_OF.year, AS_OF.month, AS_OF.day, 9, tzinfo=SH))
    return admin, len(reports)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _raw_read(ids: list[int]) -> float:
    """Tasks, milestones and each task's latest report, with the DB-API alone."""
    from django.db import connection

    def run():
        with connection.cursor() as c:
            c.execute(
                "SELECT id, start, deadline, state, done_on, report_cadence FROM supervision_task"
            )
            c.fetchall()
            c.execute(
                "SELECT task_id, title, due, planned_percent, done_on FROM supervision_milestone"
            )
            c.fetchall()
            c.execute(
                'SELECT r.task_id, r.percent, r."on" FROM supervision_progressreport r '
                'JOIN (SELECT task_id, MAX("on") AS m FROM supervision_progressreport '
                'WHERE "on" <= %s GROUP BY task_id) l '
                'ON l.task_id = r.task_id AND l.m = r."on"',
                [AS_OF],
            )
            c.fetchall()

    return _best(run, 5)


def raw_board_read() -> float:
    """The board's rows for today with the DB-API alone: each task with its stored light and
    reasons, its kind, category, units and leader (best of 5, seconds)."""
    from django.db import connection

    from cityloop.org.models import Person, Unit
    from cityloop.supervision.models import Task, TaskCategory, TaskKind

    t, k, c = (m._meta.db_table for m in (Task, TaskKind, TaskCategory))
    u, p = Unit._meta.db_table, Person._meta.db_table
    sql = (
        "SELECT t.id, t.code, t.title, t.level, t.annual_goal, t.start, t.deadline, t.state, "
        "t.done_on, t.progress, t.target_value, t.report_cadence, t.light, t.light_reasons, "
        f"t.light_on, k.name, c.name, ru.name, ru.short_name, su.name, lp.name FROM {t} t "
        f"JOIN {k} k ON k.id = t.kind_id JOIN {c} c ON c.id = t.category_id "
        f"JOIN {u} ru ON ru.id = t.responsible_unit_id "
        f"LEFT JOIN {u} su ON su.id = t.supervising_unit_id "
        f'LEFT JOIN {p} lp ON lp.id = t.leader_id ORDER BY c."order", t.code'
    )

    def run():
        with connection.cursor() as cur:
            cur.execute(sql)
            cur.fetchall()

    return _best(run, 5)


def measure(n: int, pg: bool) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    from cityloop.supervision import queries
    from cityloop.supervision.lights import light
    from cityloop.supervision.models import LightRecord, SupervisionEvent, Task
    from cityloop.supervision.sweep import sweep_task_lights

    admin, n_reports = _setup(n)
    tasks = list(Task.objects.all())
    facts = queries.facts_for(tasks, AS_OF)
    policy = queries.active_policy()
    light_s = _best(lambda: [light(f, AS_OF, policy) for f in facts.values()], 5)
    board_s = _best(lambda: queries.board(admin, as_of=AS_OF), 3)
    raw_s = _raw_read([t.pk for t in tasks])
    counts = queries.board(admin, as_of=AS_OF).counts

    t0 = time.perf_counter()
    changed = sweep_task_lights()
    sweep_s = time.perf_counter() - t0
    records = list(LightRecord.objects.values_list("task_id", "colour"))
    events = SupervisionEvent.objects.filter(verb="light").count()
    # The limit of the sweep: the same rows (a light row and an event per task) inserted
    # with the DB-API, one transaction per task.
    table_l, table_e = LightRecord._meta.db_table, SupervisionEvent._meta.db_table
    day2 = AS_OF + timedelta(days=1)
    stamp = datetime(2026, 7, 3, 9, tzinfo=SH)
    t0 = time.perf_counter()
    for task_id, colour in records:
        with transaction.atomic(), connection.cursor() as c:
            c.execute(
                f'INSERT INTO {table_l} (task_id, "on", colour, reasons) VALUES (%s, %s, %s, %s)',
                [task_id, day2, colour, "[]"],
            )
            c.execute(
                f"INSERT INTO {table_e} (at, actor_label, verb, from_state, to_state, note, data, "
                "attachments, task_id) VALUES (%s, '系统', 'light', '', %s, '', '{}', '[]', %s)",
                [stamp, colour, task_id],
            )
    raw_sweep_s = time.perf_counter() - t0
    # After the sweep every light is stored for the day: the board reads them off the rows.
    today_s = _best(lambda: queries.board(admin, as_of=AS_OF), 3)
    raw_today_s = raw_board_read()
    return {
        "db": "PostgreSQL" if pg else "SQLite",
        "version": connection.cursor().connection.info.server_version
        if pg
        else __import__("sqlite3").sqlite_version,
        "tasks": n,
        "reports": n_reports,
        "board_ms": board_s * 1000,
        "today_ms": today_s * 1000,
        "raw_today_ms": raw_today_s * 1000,
        "limit_ms": (raw_s + light_s) * 1000,
        "light_us": light_s / n * 1e6,
        "raw_ms": raw_s * 1000,
        "sweep_s": sweep_s,
        "sweep_rows": len(records),
        "events": events,
        "raw_sweep_s": raw_sweep_s,
        "counts": counts,
        "changed": changed,
        "engine": settings.DATABASES["default"]["ENGINE"],
    }


def child(n: int, pg: bool) -> None:
    import json

    print("RESULT " + json.dumps(measure(n, pg), default=str, ensure_ascii=False), flush=True)


def run_one(n: int, pg: bool) -> dict:
    import json

    tmp = Path(tempfile.mkdtemp(prefix="cityloop-bench-board-"))
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
    }
    env.pop("CITYLOOP_AS_OF", None)
    if pg:
        _prepare_pg()
        env["CITYLOOP_DATABASE_URL"] = PG_URL
    else:
        env.pop("CITYLOOP_DATABASE_URL", None)
    try:
        cli = str(Path(sys.executable).with_name("cityloop"))
        subprocess.run([cli, "migrate", "--verbosity", "0"], env=env, check=True)
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--tasks", str(n)] + (["--pg"] if pg else []),
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        return json.loads(line[len("RESULT ") :])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg:
            _drop_pg()


# The previous run, kept beside the new one.
BEFORE = (
    "Before (2026-11-23: one transaction per task in the sweep; the board's facts read as "
    "model objects, no board for today measured): 1,000 tasks, SQLite board **857 ms** "
    "(limit 235, 3.7×), sweep **39.1 s** (raw 0.78 s, 50×); PostgreSQL board **906 ms** "
    "(limit 94, 9.6×), sweep **134.2 s** (raw 7.62 s, 18×)."
)


def section(results: list[dict], took: float) -> str:
    rows = []
    for r in results:
        rows.append(
            f"| {r['db']} | {r['tasks']:,} | {r['reports']:,} | **{r['board_ms']:.0f}** | "
            f"{r['limit_ms']:.0f} | **{r['board_ms'] / r['limit_ms']:.1f}×** | "
            f"{r['light_us']:.0f} | **{r['sweep_s']:.1f}** | {r['raw_sweep_s']:.2f} | "
            f"**{r['sweep_s'] / r['raw_sweep_s']:.1f}×** | **{r['today_ms']:.0f}** | "
            f"{r['raw_today_ms']:.0f} | **{r['today_ms'] / r['raw_today_ms']:.1f}×** |"
        )
    return "\n".join(
        [
            BEGIN,
            "## Supervision: the red/yellow/blue board and the daily light sweep",
            "",
            f"Measured {date.today()} with `bench/bench_board.py` on Python "
            f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; the run "
            f"took {took:.0f} s. One street, N tasks with three milestones each and a weekly "
            "progress report since January (written with `bulk_create`, not timed); the clock at "
            "2026-07-02.",
            "",
            BEFORE,
            "",
            "* **board ms** — `supervision.queries.board(admin, as_of=…)`: every task's facts "
            "read (tasks, milestones, the latest report per task, open findings and "
            "rectifications, unanswered letters) and lit by the pure `light()` function; "
            "best of 3.",
            "* **limit ms** — the same task, milestone and latest-report rows read with the "
            "DB-API alone, plus `light()` over ready-made facts: what the board cannot beat. "
            "**board ÷ limit** is the price of the ORM and of the per-finding and per-letter "
            "queries. **light µs** is the pure function per task.",
            "* **sweep s** — `sweep_task_lights()`: every task re-lit for the day, a chunk of "
            "1,000 per transaction (the claim, the facts, the day records, lights, events, "
            "explanations and notices one statement each). **raw s** — the same light rows and "
            "events inserted with the DB-API, one transaction per task; **sweep ÷ raw** is the "
            "sweep's price over those writes.",
            "* **today ms** — the board again after the sweep: every light stored for the day, "
            "read off the task rows with one `values_list` query (no facts, no model objects). "
            "**raw read ms** — the same rows (each task with its stored light and reasons, kind, "
            "category, units and leader) fetched with the DB-API alone; **÷ raw** is the "
            "board's price over that read.",
            "",
            "| database | tasks | reports | board ms | limit ms | board ÷ limit | light µs | "
            "sweep s | raw s | sweep ÷ raw | today ms | raw read ms | ÷ raw |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "The sweep runs once a day per task, so its rate matters only as a bound on how many "
            "tasks one worker can keep lit; the board is read on every page view. This is a "
            "shared machine (load average {:.1f} / {:.1f} / {:.1f} over 1 / 5 / 15 minutes when "
            "the section was written): absolute times drift by tens of per cent between runs; "
            "the ratios are the figures to compare.".format(*os.getloadavg()),
            END,
        ]
    )


def write(text: str) -> None:
    write_section(text, BEGIN, END)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--pg", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        child(args.tasks, args.pg)
        return 0
    t0 = time.perf_counter()
    results = [run_one(args.tasks, False)]
    if args.pg:
        results.append(run_one(args.tasks, True))
    for r in results:
        print(
            f"{r['db']}: {r['tasks']} tasks, board {r['board_ms']:.0f} ms "
            f"(limit {r['limit_ms']:.0f} ms), light {r['light_us']:.0f} µs/task, "
            f"sweep {r['sweep_s']:.1f} s (raw {r['raw_sweep_s']:.2f} s), counts {r['counts']}"
        )
    if not args.no_write:
        write(section(results, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
