"""A request created over Open311 is an ordinary case, and its Open311 view follows the case
through the loop: status, status_notes and expected_datetime at every step, both formats."""

from __future__ import annotations

from datetime import datetime

import pytest

from cityloop.cases import queries as case_queries
from cityloop.cases import workflow
from cityloop.cases.models import Case, CaseEvent
from tests.open311.conftest import IN_COMPOUND, SH, Open311, rows

pytestmark = pytest.mark.django_db


def _create(o311: Open311, key: str, category, **extra) -> dict:
    data = {
        "api_key": key,
        "service_code": category.code,
        "lat": IN_COMPOUND[1],
        "long": IN_COMPOUND[0],
        "description": "06小区3号楼门口乱堆物堆料，堵住消防通道",
        "first_name": "女士",
        "last_name": "李",
        "phone": "13800000001",
        "email": "li@example.cn",
        "device_id": "dev-1",
        **extra,
    }
    r = o311.post("requests", data)
    assert r.status_code == 200, r.content.decode()
    (row,) = rows(r)
    return row


def _one(o311: Open311, code: str, **params) -> dict:
    r = o311.get(f"requests/{code}", **params)
    assert r.status_code == 200, r.content.decode()
    (row,) = rows(r)
    return row


def test_post_creates_an_ordinary_case(o311, key, client_key, cast, category, at_monday):
    row = _create(o311, key, category, **{"attribute[fixmystreet_id]": "4711"})
    case = Case.objects.get(code=row["service_request_id"])
    # Same intake as every channel: the key's account and source, routing, deadline, event.
    assert case.source == "resident" and case.reporter == cast.resident
    assert case.category == category and case.status == "reported"
    assert case.dispatcher_unit is not None and case.due_at is not None
    assert (case.reporter_name, case.reporter_phone) == ("李女士", "13800000001")
    assert case.place.name == "06小区"
    report = CaseEvent.objects.get(case=case, verb="report")
    assert report.data["channel"] == "open311" and report.data["client"] == "市民随手拍"
    assert report.data["device_id"] == "dev-1"
    # Attributes the service does not ask for (FixMyStreet sends its own) are kept, not refused.
    assert report.data["other_attributes"] == {"fixmystreet_id": ["4711"]}
    # The staff workbench lists it for the desk of the street.
    assert case in case_queries.case_rows(cast.desk)
    # The token answers with the id.
    assert row["token"]
    r = o311.get(f"tokens/{row['token']}")
    (tok,) = rows(r)
    assert tok == {"service_request_id": case.code, "token": row["token"]}
    assert "2026-11-23T11:00:00+08:00" in row["service_notice"]  # accept within 2 work hours


def test_status_follows_the_case_through_dispatch_and_close(o311, key, cast, category, at_monday):
    code = _create(o311, key, category)["service_request_id"]
    case = Case.objects.get(code=code)

    # Not yet reviewed: not public; the client that reported it reads it with its key.
    assert o311.get(f"requests/{code}").status_code == 404
    row = _one(o311, code, api_key=key)
    assert (row["status"], row["status_notes"], row["expected_datetime"]) == (
        "open",
        o311.none,
        o311.none,
    )

    workflow.accept(actor=cast.desk, case_id=case.pk)
    row = _one(o311, code)
    assert row["status"] == "open" and row["status_notes"] == "已受理"

    workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=cast.cgb, note="内部说明，不公开")
    row = _one(o311, code)
    assert row["status"] == "open"
    assert row["status_notes"] == "已派遣：至 城管办"
    assert row["agency_responsible"] == "城管办"
    # 5 working days from Monday 09:00: the next Monday 09:00.
    assert row["expected_datetime"] == "2026-11-30T09:00:00+08:00"
    assert "内部说明" not in str(row)

    workflow.take(actor=cast.handler, case_id=case.pk)
    workflow.reply(actor=cast.handler, case_id=case.pk, result="已清理完毕")
    row = _one(o311, code)
    assert (row["status"], row["status_notes"]) == ("open", "已清理完毕")
    assert row["expected_datetime"] == "2026-11-30T09:00:00+08:00"

    from cityloop.core import clock

    with clock.frozen(datetime(2026, 11, 24, 10, 0, tzinfo=SH)):
        workflow.verify(actor=cast.verifier, case_id=case.pk, passed=True)
    row = _one(o311, code)
    assert row["status"] == "closed"
    assert row["status_notes"] == "已核查：通过"
    assert row["expected_datetime"] == o311.none
    assert row["updated_datetime"] == "2026-11-24T10:00:00+08:00"


def test_rework_and_reject_show_their_reasons(o311, key, cast, category, at_monday):
    first = Case.objects.get(code=_create(o311, key, category)["service_request_id"])
    workflow.reject(actor=cast.desk, case_id=first.pk, reason="不属于城市管理范围")
    # Never accepted, never public; its reporter's client still reads the reason.
    assert o311.get(f"requests/{first.code}").status_code == 404
    row = _one(o311, first.code, api_key=key)
    assert (row["status"], row["status_notes"]) == ("closed", "不属于城市管理范围")


def test_list_filters_by_status_and_service(o311, key, cast, category, at_monday):
    a = _create(o311, key, category)["service_request_id"]
    b = _create(o311, key, category, description="另一处乱堆物")["service_request_id"]
    c = _create(o311, key, category, description="还没审核的")["service_request_id"]
    for code in (a, b):
        workflow.accept(actor=cast.desk, case_id=Case.objects.get(code=code).pk)
    workflow.cancel(actor=cast.desk, case_id=Case.objects.get(code=b).pk, reason="已解决")
    codes = lambda r: [x["service_request_id"] for x in rows(r)]  # noqa: E731
    assert set(codes(o311.get("requests"))) == {a, b}  # c is not reviewed yet
    assert set(codes(o311.get("requests", api_key=key))) == {a, b, c}  # the reporter's client
    assert codes(o311.get("requests", service_request_id=c)) == []
    assert codes(o311.get("requests", status="open")) == [a]
    assert codes(o311.get("requests", status="closed")) == [b]
    assert codes(o311.get("requests", service_code="NOPE")) == []
    # A list of ids overrides every other argument, and keeps its order.
    assert codes(o311.get("requests", service_request_id=f"{b},{a}", status="open")) == [b, a]
    # Outside the default 90 days: nothing.
    old = o311.get("requests", start_date="2025-01-01T00:00:00Z", end_date="2025-03-01T00:00:00Z")
    assert codes(old) == []


@pytest.mark.parametrize("n", [2, 12])
def test_list_reads_a_fixed_number_of_queries(
    n, key, cast, category, at_monday, django_assert_num_queries
):
    o311 = Open311("json")
    for i in range(n):
        row = _create(o311, key, category, description=f"第{i}处乱堆物")
        case = Case.objects.get(code=row["service_request_id"])
        workflow.accept(actor=cast.desk, case_id=case.pk)
    # rate count is in the cache; the reads: cases, their public events, their photos, the
    # places that name street and community.
    with django_assert_num_queries(4):
        r = o311.get("requests")
    assert len(rows(r)) == n
