"""Lists that stay fast at any size (issue 20): the scope keys say what the scope rule says,
keyset pages return every visible case once, and on PostgreSQL the list, the admin list, the
full-text list and the light counts read through indexes at 100 k cases."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from cityloop.cases import queries, workflow
from cityloop.cases.models import Case, place_keys
from cityloop.core.scope import scope_for
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db


def _report(actor, text: str, source: str = "hotline", **kw) -> Case:
    return workflow.report(actor=actor, source=source, description=text, **kw)


def _history(cast, category) -> list[Case]:
    """Cases in street A at every step, one with an assisting unit, one of street B's desk,
    one of a resident: every kind of key the scope reads."""
    from cityloop.org import services as s

    helper, _ = s.unit_save(
        actor=None,
        code="JYL-ZJB",
        name="住建办",
        kind="office",
        parent=cast.cgb.parent,
        place=cast.cgb.place,
    )
    where = {"lng": IN_COMPOUND[0], "lat": IN_COMPOUND[1]}
    cases = [_report(cast.desk, f"第{i}处路灯不亮", **where) for i in range(9)]
    for c in cases[:6]:
        workflow.accept(actor=cast.desk, case_id=c.pk, category=category)
    workflow.dispatch(actor=cast.desk, case_id=cases[0].pk, unit=cast.cgb)
    workflow.dispatch(actor=cast.desk, case_id=cases[1].pk, unit=cast.cgb, assisting=[helper])
    workflow.take(actor=cast.handler, case_id=cases[1].pk)
    cases.append(_report(cast.outsider, "中心路井盖缺失", lng=113.292, lat=34.782))
    cases.append(_report(cast.resident, "小区门口垃圾满溢", source="resident", **where))
    return cases


def _stored_keys_are_fresh() -> None:
    through = Case.assisting_units.through
    for case in Case.objects.all():
        want = set(place_keys(case.place_path))
        want |= {f"u:{pk}" for pk in (case.responsible_unit_id, case.dispatcher_unit_id) if pk}
        want |= {f"z:{pk}" for pk in (case.zone_id, case.road_id, case.grid_id) if pk}
        want |= {f"r:{case.reporter_id}"} if case.reporter_id else set()
        ids = through.objects.filter(case_id=case.pk).values_list("unit_id", flat=True)
        want |= {f"a:{pk}" for pk in ids}
        assert set(case.scope_keys.split()) == want, case.code


def test_scope_keys_follow_every_change_and_say_what_the_rule_says(cast, category, at_monday):
    cases = _history(cast, category)
    kinds = {k[:2] for c in Case.objects.all() for k in c.scope_keys.split()}
    assert {"p:", "u:", "r:", "a:"} <= kinds, kinds
    _stored_keys_are_fresh()
    # The keys' reading (PostgreSQL's visible_cases) and the rule read the same cases.
    users = [cast.desk, cast.handler, cast.verifier, cast.outsider, cast.resident]
    users += [cast.steward, cast.chief]
    for user in users:
        rule = set(
            Case.objects.filter(queries.scope_rule_q(scope_for(user), user)).values_list(
                "pk", flat=True
            )
        )
        assert set(queries.visible_cases(user).values_list("pk", flat=True)) == rule, user
        # The open cases' reading (places as text first, then the other keys) agrees too.
        open_rule = set(
            Case.objects.filter(pk__in=rule, status__in=Case.OPEN).values_list("pk", flat=True)
        )
        found = queries.visible_cases(user, open_only=True).values_list("pk", flat=True)
        assert set(found) == open_rule, user
    # Sending back clears the assisting units' keys with them.
    workflow.send_back(actor=cast.handler, case_id=cases[1].pk, reason="不属于本单位")
    _stored_keys_are_fresh()
    # The generated rank follows the light whoever writes it, a bulk UPDATE too.
    Case.objects.filter(pk=cases[2].pk).update(light="red")
    Case.objects.filter(pk=cases[3].pk).update(light="yellow")
    ranks = dict(Case.objects.values_list("pk", "light_rank"))
    assert (ranks[cases[2].pk], ranks[cases[3].pk], ranks[cases[4].pk]) == (0, 1, 2)


def test_cursor_pages_return_every_visible_case_once_and_nothing_else(
    client, cast, category, at_monday
):
    cases = _history(cast, category)
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(light="red")
    client.force_login(cast.desk)
    visible = list(queries.case_rows(cast.desk).values_list("pk", flat=True))
    foreign = {cases[9].pk}  # street B's desk reported it, outside street A
    assert foreign.isdisjoint(visible) and len(visible) >= 9
    seen, after, pages = [], "", 0
    while True:
        params = {"limit": 4, **({"after": after} if after else {})}
        r = client.get("/api/v1/cases", params)
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["count"] == len(visible) and body["count_is_estimate"] is False
        seen += [row["id"] for row in body["items"]]
        pages += 1
        after = body["next"]
        if not after:
            break
    assert seen == visible  # the same order, each once
    assert pages == -(-len(visible) // 4)
    # The workbench pages by the same cursor ("下一页"), no page numbers.
    url = reverse("cases:workbench")
    html = client.get(url, {"tab": "all"}).content.decode()
    assert "data-first-page" not in html
    r = client.get(url, {"tab": "all", "after": queries.cursor_of(Case.objects.get(pk=visible[0]))})
    assert r.status_code == 200 and "data-first-page" in r.content.decode()
    bad = client.get("/api/v1/cases", {"after": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["code"] == "cursor_invalid"


def test_the_queue_pages_by_cursor_through_the_open_cases_reading(cast, category, at_monday):
    """The open cases' scope (places as text, then the other keys) inside the sub-query of a
    cursor page: every queued case once, in order, nothing else."""
    cases = _history(cast, category)
    Case.objects.filter(pk__in=[c.pk for c in cases[:4]]).update(light="red")
    queue = queries.my_queue(cast.desk)
    want = list(queue.values_list("pk", flat=True))
    assert len(want) >= 4
    seen, after = [], ""
    while True:
        page = queries.page_of(queries.my_queue(cast.desk), limit=2, after=after)
        seen += [c.pk for c in page.items]
        after = page.next
        if not after:
            break
    assert seen == want


def test_the_count_is_capped_and_says_so(cast, category, at_monday, monkeypatch):
    _history(cast, category)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    page = queries.page_of(queries.case_rows(cast.desk), limit=2)
    assert (page.count, page.count_is_estimate, len(page.items)) == (3, True, 2)
    few = queries.page_of(queries.case_rows(cast.desk).filter(pk=-1), limit=2)
    assert (few.count, few.count_is_estimate, few.next) == (0, False, "")


# --- PostgreSQL plans at 100 k cases ----------------------------------------------------------

ROWS = 100_000


def _grow(template: Case, other_street: str) -> None:
    """100 k cases cloned from one real case in one statement: 3 % open, half in street A and
    half in another street, three years of reports, lights on the open ones."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases_case' "
            "AND is_generated = 'NEVER' AND column_name NOT IN ('id')"
        )
        cols = [r[0] for r in cur.fetchall()]
        over = {
            "code": "'T' || g",
            "status": "CASE WHEN mod(g, 33) = 0 THEN 'handling' ELSE 'closed' END",
            "light": "CASE WHEN mod(g, 33) <> 0 THEN '' WHEN mod(g, 99) = 0 THEN 'red' "
            "WHEN mod(g, 66) = 0 THEN 'yellow' ELSE 'green' END",
            "due_at": "CASE WHEN mod(g, 33) = 0 THEN now() + (mod(g, 500)) * interval '1 hour' END",
            "reported_at": "now() - (mod(g, 1000)) * interval '1 day' - g * interval '1 second'",
            "external_id": "''",
            "search_text": "CASE WHEN mod(g, 50) = 0 THEN '井盖 缺失 中心路' "
            "ELSE '路灯 不亮 小区' END",
            "scope_keys": f"CASE WHEN mod(g, 2) = 0 THEN t.scope_keys ELSE '{other_street}' END",
            "place_path": "CASE WHEN mod(g, 2) = 0 THEN t.place_path ELSE '/X/XS/' END",
        }
        select = ", ".join(over.get(c, f"t.{c}") for c in cols)
        cur.execute(
            f"INSERT INTO cases_case ({', '.join(cols)}) SELECT {select} "
            f"FROM cases_case t, generate_series(1, {ROWS}) g WHERE t.id = %s",
            [template.pk],
        )
        cur.execute("ANALYZE cases_case")
        cur.execute("ANALYZE cases_case_assisting_units")


def _explain(qs) -> dict:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        raw = cur.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _case_scans(plan: dict, under_limit: bool = False) -> list[tuple[dict, bool]]:
    limited = under_limit or plan["Node Type"] == "Limit"
    found = [(plan, limited)] if plan.get("Relation Name") == "cases_case" else []
    for child in plan.get("Plans", []):
        found += _case_scans(child, limited)
    return found


def _index_names(plan: dict) -> set[str]:
    found = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _index_names(child)
    return found


def _assert_indexed(qs, what: str, *, capped: bool = False, open_index: bool = False) -> dict:
    plan = _explain(qs)
    scans = _case_scans(plan)
    assert scans, (what, plan)
    for node, limited in scans:
        kind = node["Node Type"]
        if capped and limited and kind == "Seq Scan":
            # A capped count of a common reader: the first 1,001 matches of the table, read in
            # its order and stopped there — as cheap as any index, never the whole table.
            continue
        assert kind != "Seq Scan", (what, plan)
        assert kind in {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}, (what, kind)
        if open_index and node.get("Index Name", "").startswith("case_open_"):
            continue  # a partial index of the open cases (3 %) read whole: small by design
        if kind != "Bitmap Heap Scan" and "Index Cond" not in node:
            # An ordered walk of the list index with no condition is only fine where a LIMIT
            # stops it at the page's end: never a whole-index scan.
            assert limited and node["Index Name"].startswith("case_"), (what, plan)
    return plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_lists_read_through_indexes_at_100k_cases(cast, category, at_monday, django_user_model):
    from cityloop.cases.queries import CaseFilter

    cases = _history(cast, category)
    _grow(cases[0], "p:/X/ p:/X/XS/ u:999999")
    admin = django_user_model.objects.create_superuser("root-lists", password="x" * 12)
    street = cast.desk
    _assert_indexed(queries.case_rows(street)[:51], "street list")
    _assert_indexed(queries.case_rows(admin)[:51], "admin list")
    _assert_indexed(queries.case_rows(street, CaseFilter(q="井盖缺失"))[:51], "full text")
    _assert_indexed(queries.case_rows(street, CaseFilter(open_only=True))[:51], "open list")
    # A queue page's ids (page_of picks them first) from an index of the open cases alone
    # (once vacuumed, an index-only walk of the covering case_open_list_order).
    ids = queries.my_queue(street).values("pk")[:51]
    scans = _case_scans(_assert_indexed(ids, "queue ids", open_index=True))
    assert scans and all(n.get("Index Name", "").startswith("case_open_") for n, _ in scans)
    page = queries.page_of(queries.case_rows(street), limit=50)
    _assert_indexed(queries.after_cursor(queries.case_rows(street), page.next)[:51], "page 2")
    # Full text on a rare term (2 % of the cases): the PostgreSQL planner knows the reader's
    # keys (literals) and the term's frequency (the stored ``search_vector``), and reads the
    # term's index or walks the list's order; never the recomputed ``to_tsvector``.
    rare = queries.case_rows(street, CaseFilter(q="井盖"))
    plan = _assert_indexed(rare[:51], "full text, rare term")
    assert "to_tsvector" not in json.dumps(plan, ensure_ascii=False)
    where = str(rare.query).split(" WHERE ", 1)[1]
    assert "search_vector @@" in where and "SELECT" not in where  # unit keys as literals
    capped = rare.order_by().values("pk")[: queries.COUNT_CAP + 1]
    _assert_indexed(capped, "capped count, rare term", capped=True)
    everything = queries.case_rows(street).order_by().values("pk")[: queries.COUNT_CAP + 1]
    _assert_indexed(everything, "capped count", capped=True)
    from django.db.models import Count

    counts = (
        queries.visible_cases(street, open_only=True)
        .order_by()
        .values_list("light")
        .annotate(n=Count("*"))
    )
    plan = _assert_indexed(counts, "light counts", open_index=True)
    # Only the open cases' own indexes: never the whole history's.
    names = _index_names(plan)
    assert names and all(n.startswith("case_open_") for n in names), names
    # Answers, not only plans: the street sees its half, never the other street's.
    assert page.count_is_estimate and page.count == queries.COUNT_CAP
    assert not any(c.place_path.startswith("/X/") for c in page.items)
    assert queries.light_counts(street)["open"] >= ROWS // 66
    _a_small_reader_is_sorted_not_walked(admin)


def _a_small_reader_is_sorted_not_walked(admin) -> None:
    """A reader whose cases are 1.5 % of the table, all at the end of the list's order (the
    oldest closed): PostgreSQL, assuming them spread evenly, would walk ``case_list_order``
    from the top through every other case (a department at 1 M cases: 180 k rows filtered,
    3.2 s). ``page_of`` sees the small estimate and has them sorted instead."""
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE cases_case SET scope_keys = scope_keys || ' u:777777' WHERE id IN ("
            "SELECT id FROM cases_case WHERE status = 'closed' "
            "ORDER BY reported_at LIMIT 1500)"
        )
        cur.execute("ANALYZE cases_case")
    keys = queries._Overlaps("(ARRAY[%s]::text[])", ["u:777777"])
    qs = queries.case_rows(admin).filter(keys)
    assert queries._few(qs)
    with CaptureQueriesContext(connection) as ctx:
        page = queries.page_of(qs, limit=50)
    assert (page.count, page.count_is_estimate, len(page.items)) == (1000, True, 50)
    assert all("u:777777" in c.scope_keys.split() for c in page.items)
    head = next(q["sql"] for q in ctx.captured_queries if "LIMIT 1001" in q["sql"])
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {head}")
        raw = cur.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    names = _index_names(plan)
    assert "case_scope_keys_gin" in names and "case_list_order" not in names, plan
    # A common reader (half the table) still walks the order from the top.
    assert not queries._few(queries.case_rows(admin))
    # A small share is sorted however many rows it is (10 M cases: 1.2 % is 120 k rows).
    from cityloop.core import db

    db._table_rows.clear()  # the table's size as it is now, not as an earlier test left it
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(queries, "SORT_BELOW", 100)
        assert queries._few(qs)  # 1,500 of 100 k rows: 1.5 %
        assert not queries._few(queries.case_rows(admin))
