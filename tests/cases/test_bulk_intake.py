"""Bulk intake for machine channels: ``POST /api/v1/cases/bulk`` — one transaction per batch,
the single report's rules per report, per-report refusals by index, one key per report."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityloop.cases.models import Case, CaseEvent, IdempotencyKey
from cityloop.core import tokens
from tests.api.conftest import ApiClient
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_timed_rechecks(monkeypatch):
    """The per-process caches re-check the database every few seconds (spatial index,
    active triage models); on a slow machine a re-check inside the counted request would
    count. Counting is about the request's own statements."""
    from cityloop.core import geo
    from cityloop.intel import services as triage

    monkeypatch.setattr(geo, "CHECK_SECONDS", 3600.0)
    monkeypatch.setattr(triage, "ACTIVE_CHECK_SECONDS", 3600.0)


@pytest.fixture
def desk(cast, at_monday):
    return ApiClient(tokens.token_issue(user=cast.desk, label="feed"))


def one(category, n: int, **extra) -> dict:
    return {
        "source": "hotline",
        "description": f"12345工单{n}：06小区门口垃圾堆放",
        "category_id": category.pk,
        "lng": IN_COMPOUND[0],
        "lat": IN_COMPOUND[1],
        "idempotency_key": f"feed-{n}",
        **extra,
    }


def test_valid_reports_are_stored_and_refused_ones_answered_by_index(desk, category, tree):
    batch = [
        one(category, 1),
        one(category, 2, description="   "),
        one(category, 3, lng=120.0, lat=30.0),  # outside the district
        one(category, 4, category_id=999_999),
        one(category, 5, description="长" * 2001),
        one(category, 6),
    ]
    r = desk.post("/cases/bulk", {"reports": batch})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["existing"], body["refused"]) == (2, 0, 4)
    outcome = {i["index"]: (i["outcome"], (i["error"] or {}).get("code")) for i in body["items"]}
    assert outcome == {
        0: ("created", None),
        1: ("refused", "case_description_required"),
        2: ("refused", "case_outside_area"),
        3: ("refused", "category_not_found"),
        4: ("refused", "text_too_long"),
        5: ("created", None),
    }
    ids = [i["id"] for i in body["items"] if i["outcome"] == "created"]
    cases = Case.objects.filter(pk__in=ids)
    assert cases.count() == 2
    # The same rules as a single report: place, level, dispatching office, clock, event, key.
    for case in cases:
        # no community committee in this tree: the street dispatches, as for one report
        assert case.place.name == "06小区" and case.dispatcher_unit == tree.office_a
        assert case.due_at is not None and case.status == "reported" and case.search_text
        assert list(case.events.values_list("verb", flat=True)) == ["report"]
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"feed-1", "feed-6"}
    codes = [i["code"] for i in body["items"] if i["outcome"] == "created"]
    assert len(set(codes)) == 2 and all(codes)


def test_a_repeated_key_answers_the_earlier_case(desk, category):
    first = desk.post("/cases/bulk", {"reports": [one(category, 1), one(category, 1)]}).json()
    assert [i["outcome"] for i in first["items"]] == ["created", "existing"]
    assert first["items"][0]["id"] == first["items"][1]["id"]
    again = desk.post("/cases/bulk", {"reports": [one(category, 1), one(category, 2)]}).json()
    assert [i["outcome"] for i in again["items"]] == ["existing", "created"]
    assert again["items"][0]["id"] == first["items"][0]["id"]
    assert again["items"][0]["code"] == first["items"][0]["code"]
    assert Case.objects.count() == 2 and CaseEvent.objects.count() == 2


def test_a_channel_the_account_may_not_use_is_refused_per_report(cast, category, at_monday):
    resident = ApiClient(tokens.token_issue(user=cast.resident, label="feed"))
    r = resident.post(
        "/cases/bulk", {"reports": [one(category, 1), one(category, 2, source="resident")]}
    ).json()
    assert [(i["outcome"], (i["error"] or {}).get("code")) for i in r["items"]] == [
        ("refused", "case_source_not_allowed"),
        ("created", None),
    ]


def test_the_statements_of_a_batch_do_not_grow_with_its_size(desk, category):
    def count(start: int, n: int) -> int:
        batch = [one(category, start + i) for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            r = desk.post("/cases/bulk", {"reports": batch})
        assert r.json()["created"] == n
        return len(ctx.captured_queries)

    count(0, 2)  # caches warmed
    # Both batches fit one INSERT per table on every backend (SQLite allows 999 parameters a
    # statement: bulk_create splits a batch of cases into INSERTs of ~19 rows).
    few, many = count(100, 5), count(200, 15)
    assert many == few, (few, many)
    assert many <= 14, many


def test_too_many_reports_are_refused_whole(desk, category):
    r = desk.post("/cases/bulk", {"reports": [one(category, i) for i in range(501)]})
    assert r.status_code == 422
    assert Case.objects.count() == 0


def test_anonymous_callers_are_refused(category, at_monday):
    r = ApiClient().post("/cases/bulk", {"reports": [one(category, 1)]})
    assert r.status_code == 401


def test_a_batch_counts_in_the_figures_summary(desk, category):
    """bulk_create bypasses the per-case save: the batch adds its reports to the figures
    summary itself, exactly what a rebuild from the cases gives."""
    from cityloop.cases import summary
    from tests.cases.test_figure_summary import _summary_rows

    r = desk.post("/cases/bulk", {"reports": [one(category, n) for n in range(4)]})
    assert r.json()["created"] == 4
    maintained = _summary_rows()
    # Each report once in its day's row and once in its month's roll-up.
    assert sum(c["reported"] for k, c in maintained.items() if k[0] == "day") == 4
    assert sum(c["reported"] for k, c in maintained.items() if k[0] == "month") == 4
    summary.rebuild()
    assert _summary_rows() == maintained


def test_a_batch_writes_the_scope_keys_the_lists_read(desk, category, cast):
    """bulk_create bypasses Case.save: the batch computes each case's scope keys itself, so
    the desk's list (read through the keys on PostgreSQL) finds the new cases."""
    r = desk.post("/cases/bulk", {"reports": [one(category, n) for n in range(3)]})
    ids = {i["id"] for i in r.json()["items"]}
    for case in Case.objects.filter(pk__in=ids):
        stored = case.scope_keys
        case.refresh_scope_keys()
        assert stored and stored == case.scope_keys
    listed = desk.get("/cases?limit=50").json()
    assert ids <= {c["id"] for c in listed["items"]}
