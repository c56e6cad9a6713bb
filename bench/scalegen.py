"""Grow a cityloop database to N cases of realistic shape with set-based SQL.

The demo district's cases are the templates: each clone copies every column of its template
(the column list is read from the table, so columns added later come along), with its code,
external number and every date/time column shifted, and the template's events and assisting
units copied with it. Clone ``k`` (1 … N) is deterministic:

* ~3 % (``k % 100 < 3``) are open: a clone of an open demo case, its times shifted by under a
  minute, so its stage, deadlines and light are the demo's own live mix (generated back from
  the moment the demo was loaded);
* the rest clone a finished demo case, reported at ``now − 3 years + (k / N) · (3 years − 30
  days)``, so ids grow with the report date as in a real database;
* the code is ``S`` + nine digits of ``k``: the generator resumes after the highest clone
  code present, one committed chunk at a time, so a run broken off (or a larger ``--cases``
  later) carries on where it stopped.

Derived data the clones cannot copy is rebuilt afterwards by :data:`REBUILD_HOOKS` (dotted
names of optional callables, skipped when not importable — extend the list, or set
``CITYLOOP_BENCH_REBUILD=mod.fn,mod.fn``); then ``ANALYZE``. SQLite's FTS table is kept by its
own triggers; ``search_text`` and ``place_path`` are copied with the title, address and place
they were made from.

Call :func:`grow` after ``django.setup()`` on a migrated database that holds the templates
(``cityloop demo``).
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta

CODE_PREFIX = "S"
CODE_DIGITS = 9
OPEN_PER_100 = 3
YEARS = 3
TEMPLATE_TABLE = "bench_scale_template"
CHUNK_TABLE = "bench_scale_chunk"

# Optional "rebuild derived data" callables, called without arguments after cloning, in order.
# Helpers adding denormalised columns or summary tables put their rebuild function here.
REBUILD_HOOKS: list[str] = [
    "cityloop.cases.scopekeys.rebuild",
    "cityloop.cases.sortkeys.rebuild",
    "cityloop.cases.summary.rebuild",
    "cityloop.cases.services.rebuild_derived",
]

CASE = "cases_case"
EVENT = "cases_caseevent"
ASSISTING = "cases_case_assisting_units"
OPEN_STATES = ("reported", "accepted", "dispatched", "handling", "replied", "suspended")


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _columns(table: str) -> list[tuple[str, str]]:
    """(name, kind) of every column of ``table``; kind is 'ts', 'date' or ''."""
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s AND table_schema = current_schema() "
                # Generated columns (light_rank) are computed by the database, never written.
                "AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position",
                [table],
            )
            rows = c.fetchall()
        else:
            c.execute(f'PRAGMA table_info("{table}")')  # leaves generated columns out
            rows = [(r[1], r[2]) for r in c.fetchall()]
    out = []
    for name, typ in rows:
        t = typ.lower()
        kind = "ts" if ("timestamp" in t or t == "datetime") else "date" if t == "date" else ""
        out.append((name, kind))
    return out


def _shift(expr: str, kind: str, delta: str) -> str:
    """``expr`` moved by ``delta`` seconds (an SQL expression)."""
    if _vendor() == "postgresql":
        if kind == "ts":
            return f"{expr} + make_interval(secs => {delta})"
        return f"({expr} + make_interval(days => round({delta} / 86400.0)::int))::date"
    if kind == "ts":
        return f"strftime('%Y-%m-%d %H:%M:%f', {expr}, ({delta}) || ' seconds')"
    return f"date({expr}, CAST(round(({delta}) / 86400.0) AS INTEGER) || ' days')"


def _q(name: str) -> str:
    return f'"{name}"'


def clone_code(k: int) -> str:
    return f"{CODE_PREFIX}{k:0{CODE_DIGITS}d}"


def clones_present() -> int:
    """The highest clone number in the database (0 when none)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            f"SELECT code FROM {CASE} WHERE code >= %s AND code <= %s ORDER BY code DESC LIMIT 1",
            [clone_code(0), CODE_PREFIX + "9" * CODE_DIGITS],
        )
        row = c.fetchone()
    return int(row[0][1:]) if row and len(row[0]) == CODE_DIGITS + 1 else 0


def _ensure_templates() -> tuple[int, int]:
    """The template list (open 'o' and finished 'c' cases not themselves clones), made once
    and kept, so a resumed run clones from the same list. Returns (open, finished) counts."""
    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as c:
        tables = connection.introspection.table_names(c)
        if TEMPLATE_TABLE not in tables:
            epoch = (
                "extract(epoch FROM reported_at)"
                if pg
                else "CAST(strftime('%s', reported_at) AS REAL)"
            )
            c.execute(
                f"CREATE TABLE {TEMPLATE_TABLE} (kind char(1), idx integer, case_id integer, "
                "rep_epoch double precision, PRIMARY KEY (kind, idx))"
            )
            states = ", ".join(f"'{s}'" for s in OPEN_STATES)
            not_clone = f"NOT (code >= '{clone_code(0)}' AND code <= '{CODE_PREFIX}{'9' * 9}')"
            for kind, cond in (("o", f"status IN ({states})"), ("c", f"status NOT IN ({states})")):
                c.execute(
                    f"INSERT INTO {TEMPLATE_TABLE} (kind, idx, case_id, rep_epoch) "
                    f"SELECT '{kind}', ROW_NUMBER() OVER (ORDER BY id) - 1, id, {epoch} "
                    f"FROM {CASE} WHERE {cond} AND {not_clone}"
                )
        c.execute(f"SELECT kind, COUNT(*) FROM {TEMPLATE_TABLE} GROUP BY kind")
        counts = dict(c.fetchall())
    n_open, n_closed = counts.get("o", 0), counts.get("c", 0)
    if not n_open and not n_closed:
        raise RuntimeError("no template cases: load the demo first (cityloop demo)")
    return n_open, n_closed


def _series(a: int, b: int) -> str:
    if _vendor() == "postgresql":
        return f"SELECT g AS k FROM generate_series({a}, {b}) AS g"
    return (
        f"WITH RECURSIVE s(k) AS (SELECT {a} UNION ALL SELECT k + 1 FROM s WHERE k < {b}) "
        "SELECT k FROM s"
    )


def _chunk(a: int, b: int, n: int, n_open: int, n_closed: int, now: datetime) -> dict:
    """Clone numbers a … b (one transaction): cases, then their events and assisting units."""
    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    # Open clones take open templates where there are any (finished ones otherwise), and the
    # finished ones finished templates (open ones when the templates have none).
    o_n, c_n = (n_open or n_closed), (n_closed or n_open)
    o_kind, c_kind = ("o" if n_open else "c"), ("c" if n_closed else "o")
    span = YEARS * 365.25 * 86400 - 30 * 86400
    start = (now - timedelta(days=YEARS * 365.25)).timestamp()
    is_open = f"(s.k % 100) < {OPEN_PER_100}"
    pad = (
        f"'{CODE_PREFIX}' || lpad(s.k::text, {CODE_DIGITS}, '0')"
        if pg
        else f"'{CODE_PREFIX}' || substr('{'0' * CODE_DIGITS}' || s.k, -{CODE_DIGITS})"
    )
    real = "double precision" if pg else "REAL"
    stats = {}
    with transaction.atomic(), connection.cursor() as c:
        # Ids are given here (the next after the highest), so events and assisting units join
        # the clone by id; the id sequence is moved past them at the end.
        c.execute(f"SELECT COALESCE(MAX(id), 0) FROM {CASE}")
        base = c.fetchone()[0] - a + 1
        c.execute(f"DROP TABLE IF EXISTS {CHUNK_TABLE}")
        c.execute(
            f"CREATE TEMPORARY TABLE {CHUNK_TABLE} AS "
            f"SELECT s.k AS k, s.k + {base} AS id, {pad} AS code, t.case_id AS tid, "
            f"CAST(CASE WHEN {is_open} THEN -(s.k % 60) "
            f"ELSE {start} + (CAST(s.k AS {real}) / {n}) * {span} - t.rep_epoch END AS {real}) "
            f"AS delta FROM ({_series(a, b)}) s JOIN {TEMPLATE_TABLE} t "
            f"ON t.kind = CASE WHEN {is_open} THEN '{o_kind}' ELSE '{c_kind}' END "
            f"AND t.idx = s.k % CASE WHEN {is_open} THEN {o_n} ELSE {c_n} END"
        )
        c.execute(f"ANALYZE {CHUNK_TABLE}")
        cols = _columns(CASE)
        exprs = []
        for name, kind in cols:
            if name in ("id", "code"):
                exprs.append(f"x.{name}")
            elif name == "external_id":
                exprs.append(
                    "CASE WHEN c.external_id = '' THEN '' ELSE c.external_id || '-' || x.k END"
                )
            elif kind:
                exprs.append(_shift(f"c.{_q(name)}", kind, "x.delta"))
            else:
                exprs.append(f"c.{_q(name)}")
        c.execute(
            f"INSERT INTO {CASE} ({', '.join(_q(n) for n, _ in cols)}) "
            f"SELECT {', '.join(exprs)} FROM {CHUNK_TABLE} x JOIN {CASE} c ON c.id = x.tid "
            "ORDER BY x.k"
        )
        stats["cases"] = c.rowcount
        ev_cols = [(name, kind) for name, kind in _columns(EVENT) if name != "id"]
        ev_exprs = []
        for name, kind in ev_cols:
            if name == "case_id":
                ev_exprs.append("x.id")
            elif kind:
                ev_exprs.append(_shift(f"e.{_q(name)}", kind, "x.delta"))
            else:
                ev_exprs.append(f"e.{_q(name)}")
        c.execute(
            f"INSERT INTO {EVENT} ({', '.join(_q(n) for n, _ in ev_cols)}) "
            f"SELECT {', '.join(ev_exprs)} FROM {CHUNK_TABLE} x "
            f"JOIN {EVENT} e ON e.case_id = x.tid ORDER BY x.id, e.id"
        )
        stats["events"] = c.rowcount
        c.execute(
            f"INSERT INTO {ASSISTING} (case_id, unit_id) SELECT x.id, a.unit_id "
            f"FROM {CHUNK_TABLE} x JOIN {ASSISTING} a ON a.case_id = x.tid"
        )
        stats["assisting"] = c.rowcount
        c.execute(f"DROP TABLE {CHUNK_TABLE}")
        _reset_sequences(c)
    return stats


def _reset_sequences(c) -> None:
    """Move the id sequences past the ids given explicitly (PostgreSQL; SQLite needs none)."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    case = apps.get_model("cases", "Case")
    models = [case, apps.get_model("cases", "CaseEvent"), case.assisting_units.through]
    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        c.execute(sql)


def rebuild_hooks() -> list[Callable[[], object]]:
    """The rebuild callables that exist in this code base, in order."""
    names = list(REBUILD_HOOKS)
    extra = os.environ.get("CITYLOOP_BENCH_REBUILD", "")
    names += [n.strip() for n in extra.split(",") if n.strip()]
    found = []
    for dotted in names:
        mod, _, attr = dotted.rpartition(".")
        try:
            fn = getattr(importlib.import_module(mod), attr)
        except (ImportError, AttributeError):
            continue
        if callable(fn):
            found.append(fn)
    return found


def analyze() -> None:
    """Fresh statistics; on PostgreSQL also the visibility map (``VACUUM``), as autovacuum
    leaves a table grown by inserts in time: the open cases' light counts and capped counts
    read their indexes alone only where pages are marked all-visible. VACUUM cannot run
    inside a transaction (a test's atomic block), where ANALYZE alone is what is possible."""
    from django.db import connection

    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def grow(
    n: int,
    *,
    chunk: int = 50_000,
    now: datetime | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Add clones until there are ``n`` of them; rebuild derived data; ANALYZE.

    Returns the rows written and the seconds taken (generation, rebuild, analyze)."""
    from django.db import connection

    from cityloop.core import clock

    now = now or clock.now()
    n_open, n_closed = _ensure_templates()
    have = clones_present()
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SET synchronous_commit = off")  # this session only: bulk set-up
    totals = {"cases": 0, "events": 0, "assisting": 0}
    t0 = time.perf_counter()
    k = have + 1
    while k <= n:
        b = min(n, k + chunk - 1)
        t1 = time.perf_counter()
        s = _chunk(k, b, n, n_open, n_closed, now)
        for key in totals:
            totals[key] += s[key]
        dt = time.perf_counter() - t1
        rows = s["cases"] + s["events"] + s["assisting"]
        log(
            f"  clones {k:,}–{b:,}: {s['cases']:,} cases, {s['events']:,} events, "
            f"{s['assisting']:,} assisting in {dt:.1f} s ({rows / max(dt, 1e-9):,.0f} rows/s)"
        )
        k = b + 1
    gen_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    hooks = []
    for fn in rebuild_hooks():
        log(f"  rebuild: {fn.__module__}.{fn.__qualname__}")
        fn()
        hooks.append(f"{fn.__module__}.{fn.__qualname__}")
    rebuild_s = time.perf_counter() - t1
    t1 = time.perf_counter()
    analyze()
    analyze_s = time.perf_counter() - t1
    rows = sum(totals.values())
    out = {
        **totals,
        "templates_open": n_open,
        "templates_finished": n_closed,
        "clones_before": have,
        "clones": max(have, n),
        "generate_s": gen_s,
        "rows_per_s": rows / gen_s if gen_s else 0.0,
        "cases_per_s": totals["cases"] / gen_s if gen_s else 0.0,
        "rebuild_s": rebuild_s,
        "analyze_s": analyze_s,
        "hooks": hooks,
    }
    log(
        f"grew {totals['cases']:,} cases + {totals['events']:,} events + "
        f"{totals['assisting']:,} assisting in {gen_s:.1f} s "
        f"({out['rows_per_s']:,.0f} rows/s, {out['cases_per_s']:,.0f} cases/s); "
        f"rebuild {rebuild_s:.1f} s, ANALYZE {analyze_s:.1f} s"
    )
    return out
