"""Pinned query counts: the workbench and the case page read in a number of queries that does
not grow with the rows or the history they show (no query per row, per event or per button)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityloop.cases import workflow
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db

# Pinned: a change that adds a query to these pages shows here (issue 20).
# session, user, person (roles and duties with it), then either the first page's ids with
# the capped count (one statement) and its rows, or a later page's rows and the capped count;
# on PostgreSQL first the planner's estimate of the rows (one EXPLAIN: queries.SORT_BELOW)
API_LIST = 5 + (connection.vendor == "postgresql")
# The cards read the figures summary; the unit ids and the top bar's person come with the
# person the scope reads; on PostgreSQL the cases due but not closed are counted in two arms,
# each by its own index (queries._straddling_arms).
HOME = 21 + (connection.vendor == "postgresql")


def _report(cast, n: int) -> list:
    return [
        workflow.report(
            actor=cast.desk,
            source="hotline",
            description=f"第{i}处路灯不亮",
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
        )
        for i in range(n)
    ]


def _count(client, url: str, params: dict | None = None) -> int:
    client.get(url, params or {})  # caches (calendar, categories, spatial index) warmed
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, params or {})
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_the_workbench_reads_in_a_fixed_number_of_queries(client, cast, category, at_monday):
    client.force_login(cast.desk)
    url = reverse("cases:workbench")
    # Both rounds have accepted and new cases: a related table is read once when some row
    # points at it, whatever the number of rows.
    for case in _report(cast, 2)[:1]:
        workflow.accept(actor=cast.desk, case_id=case.pk, category=category)
    few = {tab: _count(client, url, {"tab": tab}) for tab in ("all", "intake")}
    cases = _report(cast, 8)
    for case in cases[:4]:
        workflow.accept(actor=cast.desk, case_id=case.pk, category=category)
    more = {tab: _count(client, url, {"tab": tab}) for tab in ("all", "intake")}
    assert more == few
    assert max(more.values()) <= 40, more  # the page's whole budget, shell and counts included


def test_the_case_page_reads_in_a_fixed_number_of_queries(client, cast, category, at_monday):
    client.force_login(cast.desk)
    short, long = _report(cast, 2)
    workflow.accept(actor=cast.desk, case_id=short.pk, category=category)
    workflow.accept(actor=cast.desk, case_id=long.pk, category=category)
    workflow.dispatch(actor=cast.desk, case_id=long.pk, unit=cast.cgb)
    workflow.take(actor=cast.handler, case_id=long.pk)
    workflow.reply(actor=cast.handler, case_id=long.pk, result="已修复")
    one = _count(client, reverse("cases:detail", args=[short.pk]))
    many = _count(client, reverse("cases:detail", args=[long.pk]))
    # A longer history and other buttons, not more queries per event; a little slack for the
    # parts only a dispatched case has (the handling unit, its reply).
    assert many <= one + 4, (one, many)
    assert many <= 60, many


def _api_count(client, params: dict) -> int:
    client.get("/api/v1/cases", params)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/api/v1/cases", params)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries)


def test_the_api_list_reads_in_a_pinned_number_of_queries(client, cast, category, at_monday):
    """The first page: its ids and the capped count in one statement, then its rows with
    their joins; a cursor page: its rows, then the capped count (issue 20) — the same number
    whether the page holds every row or not, no COUNT over the table, nothing per row."""
    client.force_login(cast.desk)
    for case in _report(cast, 3)[:1]:
        workflow.accept(actor=cast.desk, case_id=case.pk, category=category)
    few = _api_count(client, {"limit": 2})
    cases = _report(cast, 8)
    for case in cases[:4]:
        workflow.accept(actor=cast.desk, case_id=case.pk, category=category)
    more = _api_count(client, {"limit": 2})
    after = client.get("/api/v1/cases", {"limit": 2}).json()["next"]
    paged = _api_count(client, {"limit": 2, "after": after})
    whole = _api_count(client, {"limit": 50})  # one page holds them all
    assert (few, more, paged, whole) == (API_LIST, API_LIST, API_LIST, API_LIST)


def test_the_home_page_reads_in_a_pinned_number_of_queries(client, cast, category, at_monday):
    client.force_login(cast.desk)
    _report(cast, 2)
    few = _count(client, "/")
    for case in _report(cast, 6)[:3]:
        workflow.accept(actor=cast.desk, case_id=case.pk, category=category)
    assert _count(client, "/") == few == HOME, few
