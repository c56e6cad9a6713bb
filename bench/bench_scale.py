"""City-scale benchmark: the demo district grown to N cases, every read timed as each role.

Generation (``bench/scalegen.py``): migrate, load the demo once (``cityloop demo``), then clone
its cases — with their events and assisting units — over three years with set-based SQL
(``INSERT … SELECT`` over ``generate_series`` on PostgreSQL, a recursive CTE on SQLite), ~3 %
open with the demo's live lights, then the rebuild hooks and ``ANALYZE``. Resumable: rerun
with the same ``--cases`` after a break, or a larger one to grow further.

Measurement, through the Django test client in this process (session login), as jyl-street
(street), demo-admin, xhj-community (community worker) and demo-zjj (department): the list
API, full text, figures for a month and a year (with the answer's size), the workbench, home,
a case page and the supervision board — p50 / p95 over ``--repeat`` requests (fewer when a row
exceeds ``--budget`` seconds; the table says how many), queries per request, and the slowest
SQL statement the view ran (captured with ``CaptureQueriesContext``) run again raw with the
DB-API → the ratio request ÷ raw SQL.

    # PostgreSQL (a database you created; the demo is loaded into it when empty)
    PYTHONPATH=src .venv/bin/python bench/bench_scale.py \\
        --db postgresql://postgres@127.0.0.1:5432/bench_1m --cases 1000000
    # SQLite: a data directory
    PYTHONPATH=src .venv/bin/python bench/bench_scale.py --sqlite /tmp/scale-sqlite --cases 100000
    # options: --generate-only, --measure-only, --repeat 20, --budget 60,
    #          --pg-set jit=off (session settings on top of whatever the app sets), --no-write

Writes its rows (one block per N and database, kept across runs) to its section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from sections import write_section  # noqa: E402  (bench/sections.py)

BEGIN, END = "<!-- bench:scale -->", "<!-- /bench:scale -->"
RESULTS = ROOT / "docs" / "bench_scale.json"  # every block measured, so the section keeps them
WORD = "垃圾"  # 垃圾 (rubbish): in a few per cent of the demo's cases

ROLES = {
    "street": "jyl-street",
    "admin": "demo-admin",
    "community": "xhj-community",
    "department": "demo-zjj",
}

# (request key, label, goal text, goal test on (p95 ms, bytes))
GOALS = {
    "list": ("`GET /api/v1/cases?limit=50`", "< 50 ms p95", lambda p, b: p < 50),
    "q": (f"`?q={WORD}` full text", "< 200 ms", lambda p, b: p < 200),
    "fig_month": ("`/api/v1/cases/figures` month", "< 300 ms", lambda p, b: p < 300),
    "fig_year": (
        "figures for a year",
        "< 1 s, < 200 kB",
        lambda p, b: p < 1000 and b < 200_000,
    ),
    "workbench": ("workbench `/cases/`", "< 150 ms", lambda p, b: p < 150),
    "home": ("home `/`", "< 300 ms", lambda p, b: p < 300),
    "detail": ("case detail", "keep (≤ 30 ms)", lambda p, b: p <= 30),
    "board": ("supervision board", "—", None),
}
# which requests for which role
PLAN = {
    "street": ["list", "q", "fig_month", "fig_year", "workbench", "home", "detail", "board"],
    "admin": ["list", "q", "fig_month", "fig_year", "workbench", "home", "detail", "board"],
    "community": ["list", "fig_month", "workbench", "home"],
    "department": ["list", "fig_month", "workbench", "home"],
}


def _configure(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityloop.settings")
    os.environ.pop("CITYLOOP_AS_OF", None)
    if args.sqlite:
        os.environ.pop("CITYLOOP_DATABASE_URL", None)
        os.environ["CITYLOOP_DATA_DIR"] = args.sqlite
        Path(args.sqlite).mkdir(parents=True, exist_ok=True)
    else:
        os.environ["CITYLOOP_DATABASE_URL"] = args.db
        os.environ.setdefault("CITYLOOP_DATA_DIR", f"/tmp/cl-bench-scale-{os.getpid()}")
    import django

    django.setup()
    if args.pg_set:
        from django.db.backends.signals import connection_created

        def _session(sender, connection, **kw):
            if connection.vendor == "postgresql":
                with connection.cursor() as c:
                    for opt in args.pg_set:
                        name, _, value = opt.partition("=")
                        c.execute(f"SET {name} = %s", [value])

        connection_created.connect(_session, weak=False)


def _prepare(log) -> None:
    """Migrate; load the demo when the database has no cases yet."""
    from django.core.management import call_command

    from cityloop.cases.models import Case

    call_command("migrate", verbosity=0)
    if not Case.objects.exists():
        t0 = time.perf_counter()
        call_command("demo")
        log(f"demo loaded in {time.perf_counter() - t0:.0f} s")


def _db_info() -> dict:
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SHOW server_version")
            version = "PostgreSQL " + c.fetchone()[0].split()[0]
            c.execute("SHOW jit")
            jit = c.fetchone()[0]
        else:
            import sqlite3

            version, jit = "SQLite " + sqlite3.sqlite_version, "—"
        c.execute("SELECT COUNT(*) FROM cases_case")
        n = c.fetchone()[0]
        c.execute(
            "SELECT COUNT(*) FROM cases_case WHERE status IN "
            "('reported','accepted','dispatched','handling','replied','suspended')"
        )
        n_open = c.fetchone()[0]
    return {"db": version, "jit": jit, "cases": n, "open": n_open}


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def _raw_ms(sql: str, repeat: int, budget: float) -> tuple[float, int]:
    """p50 of ``sql`` (params already inlined) run with the DB-API cursor alone."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    times = []
    t_start = time.perf_counter()
    for i in range(max(1, repeat)):
        cur = raw.cursor()
        t0 = time.perf_counter()
        cur.execute(sql)
        cur.fetchall()
        times.append(time.perf_counter() - t0)
        cur.close()
        if i >= min(2, repeat - 1) and time.perf_counter() - t_start > budget:
            break
    return statistics.median(times) * 1000, len(times)


def _measure_one(client, url: str, repeat: int, budget: float, raw_repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:  # also the warm-up
        resp = client.get(url)
    if resp.status_code != 200:
        return {"status": resp.status_code, "url": url}
    size = len(resp.content)
    # read now: every request resets the connection's query log
    n_queries = len(ctx.captured_queries)
    sql_ms = sum(float(q["time"] or 0) for q in ctx.captured_queries) * 1000
    main = max(ctx.captured_queries, key=lambda q: float(q["time"] or 0), default=None)
    times = []
    t_start = time.perf_counter()
    for i in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t0)
        if i >= 2 and time.perf_counter() - t_start > budget:
            break
    out = {
        "status": 200,
        "url": url,
        "bytes": size,
        "queries": n_queries,
        "sql_ms": sql_ms,
        "n": len(times),
        "p50": statistics.median(times) * 1000,
        "p95": _pct(times, 95) * 1000,
    }
    if main is not None:
        out["raw_ms"], out["raw_n"] = _raw_ms(main["sql"], raw_repeat, budget)
        out["sql"] = main["sql"][:4000]
    return out


ORDER = ["list", "q", "fig_month", "fig_year", "workbench", "home", "detail", "board"]


def measure(
    repeat: int,
    budget: float,
    log,
    *,
    roles: list[str] | None = None,
    keys: list[str] | None = None,
    raw_repeat: int | None = None,
    on_row=None,
) -> list[dict]:
    """Every request of :data:`PLAN`, most telling first (each request for every role before
    the next request), so a run cut short still has the list for every role."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from cityloop.cases.queries import visible_cases

    setup_test_environment()
    today = date.today()
    urls = {
        "list": "/api/v1/cases?limit=50",
        "q": f"/api/v1/cases?limit=50&q={WORD}",
        "fig_month": f"/api/v1/cases/figures?since={today.replace(day=1)}&until={today}",
        "fig_year": f"/api/v1/cases/figures?since={today - timedelta(days=365)}&until={today}",
        "workbench": "/cases/",
        "home": "/",
        "board": "/supervision/",
    }
    users = get_user_model().objects
    clients, latest = {}, {}
    for role in roles or list(ROLES):
        user = users.get(username=ROLES[role])
        clients[role] = Client()
        clients[role].force_login(user)
        # the newest case the role sees, for its case page (walks the id index backwards)
        latest[role] = visible_cases(user).order_by("-pk").values_list("pk", flat=True).first()
    # The heap as ``cityloop serve`` leaves it before its workers fork (core/heap.py).
    from cityloop.core import heap

    heap.freeze_startup()
    rows = []
    for key in keys or ORDER:
        for role, client in clients.items():
            if key not in PLAN[role]:
                continue
            url = urls.get(key) or (f"/cases/{latest[role]}/" if latest[role] else "")
            if not url:
                continue
            r = _measure_one(client, url, repeat, budget, raw_repeat or repeat)
            r.update(role=role, key=key)
            rows.append(r)
            log(_line(r))
            if on_row:
                on_row(rows)
    return rows


def _line(r: dict) -> str:
    if r.get("status") != 200:
        return f"{r['role']:<10} {r['key']:<10} HTTP {r['status']} {r['url']}"
    raw = r.get("raw_ms")
    ratio = r["p50"] / raw if raw else float("nan")
    return (
        f"{r['role']:<10} {r['key']:<10} p50 {r['p50']:9.1f} ms  p95 {r['p95']:9.1f} ms  "
        f"raw {raw or 0:8.1f} ms  ×{ratio:6.1f}  {r['queries']:3d} q  {r['bytes']:>9,} B  "
        f"n={r['n']}"
    )


def _fmt_ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def table(block: dict) -> list[str]:
    lines = [
        (f"**{block['label']}** — " if block.get("label") else "")
        + f"**{block['cases']:,} cases** ({block['open']:,} open) on {block['db']}, "
        f"jit {block['jit']}"
        f"{', session ' + ', '.join(block['pg_set']) if block.get('pg_set') else ''}; "
        f"measured {block['date']} at load {block['load']}, code {block['commit']}; "
        + (
            f"generated {block['gen']['cases']:,} cases + {block['gen']['events']:,} events in "
            f"{block['gen']['generate_s']:.0f} s ({block['gen']['rows_per_s']:,.0f} rows/s)."
            if block.get("gen") and block["gen"]["cases"]
            else "generation not timed in this run."
        ),
        "",
        "| N | request | role | p50 | p95 | raw SQL | ratio | queries | all SQL | answer | n "
        "| goal | met? |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in block["rows"]:
        label, goal, test = GOALS[r["key"]]
        if r.get("status") != 200:
            lines.append(
                f"| {block['cases']:,} | {label} | {r['role']} | HTTP {r['status']} | | | | | | | "
                f"| {goal} | |"
            )
            continue
        raw = r.get("raw_ms")
        met = "—" if test is None else ("yes" if test(r["p95"], r["bytes"]) else "**no**")
        all_sql = _fmt_ms(r["sql_ms"]) if "sql_ms" in r else "—"
        lines.append(
            f"| {block['cases']:,} | {label} | {r['role']} | {_fmt_ms(r['p50'])} | "
            f"{_fmt_ms(r['p95'])} | {_fmt_ms(raw) if raw else '—'} | "
            f"{r['p50'] / raw:.1f}× | {r['queries']} | {all_sql} | {r['bytes'] / 1000:,.0f} kB | "
            f"{r['n']} | "
            f"{goal} | {met} |"
            if raw
            else f"| {block['cases']:,} | {label} | {r['role']} | {_fmt_ms(r['p50'])} | "
            f"{_fmt_ms(r['p95'])} | — | — | {r['queries']} | {all_sql} | "
            f"{r['bytes'] / 1000:,.0f} kB | "
            f"{r['n']} | {goal} | {met} |"
        )
    return lines


def section(blocks: list[dict]) -> str:
    out = [
        BEGIN,
        "## City scale: lists, figures and pages at 100 k – 10 M cases",
        "",
        "`bench/bench_scale.py` grows a database to N cases by cloning the demo district's "
        "cases (with their events and assisting units) over three years with set-based SQL, "
        "~3 % open with the demo's live lights, then ANALYZE; then times each request through "
        "the Django test client as each role (session login): **p50 / p95** over **n** "
        "requests after one warm-up, **queries** per request, and the slowest statement the "
        "view ran (captured) run again raw with the DB-API: **ratio** = p50 ÷ raw SQL p50; "
        "**all SQL** is the time of every statement of the warm-up request together. "
        "A ratio near 1 means the SQL is the cost, not Python. Shared 2-core machine: absolute "
        "times drift by tens of per cent between runs.",
        "",
        "Rerun (PostgreSQL: a database you created, the demo is loaded into it when empty; "
        "rerunning with the same `--cases` resumes a broken-off generation, a larger one "
        "grows it further):",
        "",
        "```",
        "createdb -h 127.0.0.1 -U postgres bench_1m",
        "PYTHONPATH=src .venv/bin/python bench/bench_scale.py \\",
        "    --db postgresql://postgres@127.0.0.1:5432/bench_1m --cases 1000000",
        "PYTHONPATH=src .venv/bin/python bench/bench_scale.py --sqlite /tmp/scale-sqlite "
        "--cases 1000000",
        "# --generate-only | --measure-only, --repeat 20, --budget SECONDS (per row, ≥ 3 "
        "requests), --pg-set jit=off",
        "```",
        "",
    ]
    for block in blocks:
        out += [*table(block), ""]
    out.append(END)
    return "\n".join(out)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _save(block: dict) -> list[dict]:
    blocks = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []

    def key_of(b: dict) -> tuple:
        return (b["db"].split()[0], b["cases"], tuple(b.get("pg_set") or ()), b.get("label", ""))

    blocks = [b for b in blocks if key_of(b) != key_of(block)]
    blocks.append(block)
    blocks.sort(key=lambda b: (b["db"], b["cases"], b.get("label", ""), key_of(b)))
    RESULTS.write_text(json.dumps(blocks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return blocks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--db", help="PostgreSQL URL of a database you created")
    where.add_argument("--sqlite", help="a CITYLOOP_DATA_DIR for an SQLite database")
    ap.add_argument("--cases", type=int, help="clones to reach (the demo's cases come on top)")
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per row, at least 3")
    ap.add_argument("--pg-set", action="append", default=[], help="NAME=VALUE for the session")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--measure-only", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--roles", help="comma list of " + ", ".join(ROLES))
    ap.add_argument("--only", help="comma list of " + ", ".join(GOALS))
    ap.add_argument("--raw-repeat", type=int, help="raw SQL runs per row (default --repeat)")
    ap.add_argument("--render", action="store_true", help="rewrite the section from the JSON")
    ap.add_argument("--label", default="", help="a block name kept beside unlabelled runs")
    args = ap.parse_args()
    if args.render:
        blocks = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []
        write_section(section(blocks), BEGIN, END)
        return 0
    if not (args.db or args.sqlite) or not args.cases:
        # bench/run.py calls every benchmark bare; this one needs a database it may grow to
        # millions of rows, so it is run on purpose only.
        print("bench_scale: skipped; give --db URL (or --sqlite DIR) and --cases N")
        return 0

    def log(msg: str) -> None:
        print(msg, flush=True)

    _configure(args)
    import scalegen

    gen = None
    if not args.measure_only:
        _prepare(log)
        gen = scalegen.grow(args.cases, chunk=args.chunk, log=log)
    if args.generate_only:
        return 0
    info = _db_info()
    log(f"{info['cases']:,} cases ({info['open']:,} open) on {info['db']}, jit {info['jit']}")
    block = {
        **info,
        "pg_set": args.pg_set,
        "label": args.label,
        "date": str(date.today()),
        "load": f"{os.getloadavg()[0]:.1f}",
        "commit": _commit(),
        "python": platform.python_version(),
        "gen": gen,
        "rows": [],
    }

    def keep(rows: list[dict]) -> None:  # after every row: a run cut short keeps its rows
        block["rows"] = rows
        if not args.no_write:
            write_section(section(_save(block)), BEGIN, END)

    measure(
        args.repeat,
        args.budget,
        log,
        roles=args.roles.split(",") if args.roles else None,
        keys=args.only.split(",") if args.only else None,
        raw_repeat=args.raw_repeat,
        on_row=keep,
    )
    for line in table(block):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
