"""Before / after plans of the case lists (issue 20 item 2), EXPLAIN ANALYZE on PostgreSQL.

Grows a scratch PostgreSQL database to N cases (one real case reported through the workflow,
cloned with one ``INSERT … SELECT generate_series``: half in the desk's street, half in another,
~3 % open, three years of reports), ANALYZEs, then times each list query as it was before
issue 20 (scope as an ``OR`` of path prefix, unit sub-queries and ``EXISTS``; order by
``CASE light …``; exact ``COUNT(*)``; JIT on) and as it is now (scope keys through GIN, order
by the ``case_list_order`` index, capped count, JIT off). Prints a table; times are the
server's own execution + planning time, best of three.

    .venv/bin/python bench/explain_lists.py [--cases 100000] [--url postgresql://…/h_lists]

Growing ends with ``VACUUM ANALYZE`` (autovacuum does the same in time): the light counts read
their index alone only where the visibility map is set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _grow(template_pk: int, n: int, start: int = 1) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases_case' "
            "AND is_generated = 'NEVER' AND column_name <> 'id'"
        )
        cols = [r[0] for r in cur.fetchall()]
        over = {
            "code": "'T' || g",
            "status": "CASE WHEN mod(g, 33) = 0 THEN 'handling' ELSE 'closed' END",
            "light": "CASE WHEN mod(g, 33) <> 0 THEN '' WHEN mod(g, 99) = 0 THEN 'red' "
            "WHEN mod(g, 66) = 0 THEN 'yellow' ELSE 'green' END",
            "due_at": "CASE WHEN mod(g, 33) = 0 THEN now() + mod(g, 500) * interval '1 hour' END",
            "reported_at": "now() - mod(g, 1000) * interval '1 day' - g * interval '1 second'",
            "external_id": "''",
            "search_text": "CASE WHEN mod(g, 50) = 0 THEN '井盖 缺失 中心路' "
            "ELSE '路灯 不亮 小区' END",
            "scope_keys": "CASE WHEN mod(g, 2) = 0 THEN t.scope_keys "
            "ELSE 'p:/X/ p:/X/XS/ u:999999' END",
            "place_path": "CASE WHEN mod(g, 2) = 0 THEN t.place_path ELSE '/X/XS/' END",
            "responsible_unit_id": "CASE WHEN mod(g, 2) = 0 THEN t.responsible_unit_id END",
            "dispatcher_unit_id": "CASE WHEN mod(g, 2) = 0 THEN t.dispatcher_unit_id END",
        }
        select = ", ".join(over.get(c, f"t.{c}") for c in cols)
        cur.execute(
            f"INSERT INTO cases_case ({', '.join(cols)}) SELECT {select} "
            f"FROM cases_case t, generate_series({start}, {start + n - 1}) g WHERE t.id = %s",
            [template_pk],
        )
        cur.execute("VACUUM ANALYZE cases_case")


def _timed(sql: str, params, jit: bool) -> float:
    from django.db import connection

    best = None
    with connection.cursor() as cur:
        cur.execute(f"SET jit = {'on' if jit else 'off'}")
        for _ in range(3):
            cur.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            raw = cur.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            ms = plan["Execution Time"] + plan["Planning Time"]
            best = ms if best is None else min(best, ms)
    return best


def _sql(qs):
    return qs.query.sql_with_params()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/h_lists")
    args = ap.parse_args()
    os.environ["CITYLOOP_DATABASE_URL"] = args.url
    os.environ.setdefault("CITYLOOP_DATA_DIR", tempfile.mkdtemp(prefix="cl-explain-"))
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityloop.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count
    from django.db.models.expressions import RawSQL
    from scene import street_desk

    from cityloop.cases import queries, workflow
    from cityloop.cases.models import Case
    from cityloop.core.scope import scope_for

    call_command("migrate", verbosity=0)
    if not Case.objects.filter(code__startswith="T").exists():
        desk = street_desk("Bench-lists-2026!")
        first = workflow.report(
            actor=desk, source="hotline", description="济源路人行道井盖缺失", lng=113.25, lat=34.75
        )
        _grow(first.pk, args.cases)
    grown = Case.objects.filter(code__startswith="T").count()
    if grown < args.cases:  # a bigger run on the same database adds the rest
        template = Case.objects.exclude(code__startswith="T").order_by("pk").first()
        _grow(template.pk, args.cases - grown, start=grown + 1)
    desk = get_user_model().objects.get(username="bench-desk")
    admin = get_user_model().objects.filter(is_superuser=True).first()
    admin = admin or get_user_model().objects.create_superuser("bench-root", password="x" * 16)
    total = Case.objects.count()

    old_order = (
        RawSQL("CASE light WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END", []),
        "due_at",
        "-reported_at",
        "-pk",
    )
    rel = ("category__parent", "place", "responsible_unit", "dispatcher_unit")

    def old_rows(user, **kw):
        scope = scope_for(user)
        base = (
            Case.objects.all()
            if scope.everything
            else Case.objects.filter(queries.scope_rule_q(scope, user))
        )
        qs = base.select_related(*rel)
        if kw.get("q"):
            qs = queries.fts_filter(qs, kw["q"])
        return qs.order_by(*old_order)

    def new_rows(user, **kw):
        return queries.case_rows(user, queries.CaseFilter(q=kw.get("q", "")))

    rows = []
    for label, user, kw in (
        ("street list, 50", desk, {}),
        ("admin list, 50", admin, {}),
        ("street full text 井盖 (2 % of cases), 50", desk, {"q": "井盖"}),
        ("street full text 路灯 (98 % of cases), 50", desk, {"q": "路灯"}),
    ):
        before = _timed(*_sql(old_rows(user, **kw)[:51]), jit=True)
        after = _timed(*_sql(new_rows(user, **kw)[:51]), jit=False)
        rows.append((label, before, after))
    page = queries.page_of(new_rows(desk), limit=50)
    deep = new_rows(desk)
    for _ in range(20):  # page 21
        page = queries.page_of(deep, limit=50, after=page.next)
    before = _timed(*_sql(old_rows(desk)[1000:1051]), jit=True)
    after = _timed(*_sql(queries.after_cursor(deep, page.next)[:51]), jit=False)
    rows.append(("street page 21 (offset 1000 / cursor)", before, after))
    sql, params = _sql(old_rows(desk).order_by().values("pk"))
    before = _timed(f"SELECT COUNT(*) FROM ({sql}) s", params, jit=True)
    capped = new_rows(desk).order_by().values("pk")[: queries.COUNT_CAP + 1]
    sql, params = _sql(capped)
    after = _timed(f"SELECT COUNT(*) FROM ({sql}) s", params, jit=False)
    rows.append(("street count (exact / capped 1000)", before, after))
    sql, params = _sql(old_rows(desk, q="井盖").order_by().values("pk"))
    before = _timed(f"SELECT COUNT(*) FROM ({sql}) s", params, jit=True)
    capped = new_rows(desk, q="井盖").order_by().values("pk")[: queries.COUNT_CAP + 1]
    sql, params = _sql(capped)
    after = _timed(f"SELECT COUNT(*) FROM ({sql}) s", params, jit=False)
    rows.append(("street full text 井盖 count (exact / capped 1000)", before, after))

    def counts(qs, n="pk"):
        return qs.filter(status__in=Case.OPEN).order_by().values_list("light").annotate(n=Count(n))

    scope = scope_for(desk)
    before = _timed(*_sql(counts(Case.objects.filter(queries.scope_rule_q(scope, desk)))), jit=True)
    after = _timed(*_sql(counts(queries.visible_cases(desk), "*")), jit=False)
    rows.append(("street light counts (home)", before, after))
    print(f"{total} cases on PostgreSQL; ms = planning + execution, best of 3")
    print("| query | before (ms) | after (ms) |\n|---|---:|---:|")
    for label, b, a in rows:
        print(f"| {label} | {b:.1f} | {a:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
