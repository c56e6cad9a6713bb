"""The case loop over /api/v1: intake with Idempotency-Key, photos, actions, lists, figures."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from cityloop.cases.models import Case
from cityloop.core import tokens
from tests.api.conftest import API, ApiClient
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user():
    def make(user) -> ApiClient:
        return ApiClient(tokens.token_issue(user=user, label="test"))

    return make


def report_body(category, **extra):
    return {
        "source": "desk",
        "description": "06小区3号楼门口乱堆物堆料，堵住消防通道",
        "category_id": category.pk,
        "lng": IN_COMPOUND[0],
        "lat": IN_COMPOUND[1],
        **extra,
    }


def post_with_key(api: ApiClient, body: dict, key: str):
    return api.client.post(
        API + "/cases",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": key},
    )


def upload(api: ApiClient, name: str, data: bytes):
    return Client().post(
        API + "/uploads",
        {"file": _named(name, data)},
        headers={"Authorization": f"Bearer {api.token}"},
    )


def _named(name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return f


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_categories_are_a_two_level_tree(as_user, cast, category):
    r = as_user(cast.desk).get("/categories")
    assert r.status_code == 200
    mine = [c for c in r.json() if c["code"] == "T-S01"]
    assert mine and mine[0]["children"][0]["name"] == "乱堆物堆料(测试)"
    assert mine[0]["children"][0]["time_limits"]["handle"] == {"amount": 5, "type": "work_days"}


def test_same_idempotency_key_twice_is_one_case(as_user, cast, category, at_monday):
    api = as_user(cast.desk)
    first = post_with_key(api, report_body(category), "retry-7f3a")
    second = post_with_key(api, report_body(category), "retry-7f3a")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Case.objects.count() == 1
    third = post_with_key(api, report_body(category), "another-key")
    assert third.json()["id"] != first.json()["id"]


def test_report_validation_errors_have_stable_codes(as_user, cast, category, at_monday):
    api = as_user(cast.desk)
    r = api.post("/cases", report_body(category, lng=121.5, lat=31.2))
    assert (r.status_code, r.json()["code"]) == (422, "case_outside_area")
    r = api.post("/cases", {"description": "x"})
    assert (r.status_code, r.json()["code"]) == (422, "case_location_required")
    r = api.post("/cases", {"lng": 1})
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")
    r = as_user(cast.resident).post("/cases", report_body(category))  # desk source, no desk role
    assert (r.status_code, r.json()["code"]) == (403, "case_source_not_allowed")
    assert Case.objects.count() == 0


def test_actions_over_the_api(as_user, cast, category, at_monday):
    desk, handler = as_user(cast.desk), as_user(cast.handler)
    case_id = desk.post("/cases", report_body(category)).json()["id"]
    r = desk.post(f"/cases/{case_id}/actions/dispatch", {"unit_id": cast.cgb.pk})
    assert (r.status_code, r.json()["code"]) == (409, "case_bad_state")
    r = desk.post(f"/cases/{case_id}/actions/accept", {})
    assert r.status_code == 200 and "dispatch" in r.json()["allowed_actions"]
    r = desk.post(f"/cases/{case_id}/actions/dispatch", {"unit_id": cast.cgb.pk})
    assert r.json()["status"] == "dispatched"
    assert r.json()["responsible_unit"]["name"] == "城管办"
    steward = ApiClient(tokens.token_issue(user=cast.steward, label="t"))  # sees it, not its unit
    r = steward.post(f"/cases/{case_id}/actions/reply", {"result": "已清理"})
    assert (r.status_code, r.json()["code"]) == (403, "case_not_allowed")
    r = handler.post(f"/cases/{case_id}/actions/reply", {"result": "已清理"})
    assert r.json()["status"] == "replied"
    r = desk.post(f"/cases/{case_id}/actions/verify", {})
    assert (r.status_code, r.json()["code"]) == (422, "case_passed_required")
    r = desk.post(f"/cases/{case_id}/actions/verify", {"passed": True})
    assert r.json()["status"] == "closed"
    r = desk.post(f"/cases/{case_id}/actions/fly", {})
    assert (r.status_code, r.json()["code"]) == (404, "case_action_unknown")
    events = desk.get(f"/cases/{case_id}/events").json()
    assert [e["verb"] for e in events] == ["report", "accept", "dispatch", "reply", "verify"]


def test_out_of_scope_case_is_404(as_user, cast, new_case):
    outsider = as_user(cast.outsider)
    assert outsider.get(f"/cases/{new_case.pk}").json()["code"] == "case_not_found"
    r = outsider.post(f"/cases/{new_case.pk}/actions/accept", {})
    assert (r.status_code, r.json()["code"]) == (404, "case_not_found")
    assert outsider.get("/cases").json()["count"] == 0


def test_list_filters_and_chinese_full_text(as_user, cast, category, at_monday):
    desk = as_user(cast.desk)
    desk.post("/cases", report_body(category, description="济源路井盖缺失，夜里很危险"))
    desk.post("/cases", report_body(category, description="小区门口占道经营，水果摊堵路"))
    assert desk.get("/cases").json()["count"] == 2
    hits = desk.get("/cases", q="井盖").json()
    assert [i["title"][:5] for i in hits["items"]] == ["济源路井盖"]
    assert desk.get("/cases", q="占道经营").json()["count"] == 1
    assert desk.get("/cases", q="垃圾").json()["count"] == 0
    assert desk.get("/cases", status="reported", source="desk").json()["count"] == 2
    assert desk.get("/cases", status="closed").json()["count"] == 0
    r = desk.get("/cases", status="flying")
    assert (r.status_code, r.json()["code"]) == (422, "case_status_invalid")


def test_figures_explain_their_cases(as_user, cast, category, at_monday):
    desk, handler = as_user(cast.desk), as_user(cast.handler)
    case_id = desk.post("/cases", report_body(category, accept=True)).json()["id"]
    desk.post(f"/cases/{case_id}/actions/dispatch", {"unit_id": cast.cgb.pk})
    handler.post(f"/cases/{case_id}/actions/reply", {"result": "已清理"})
    desk.post(f"/cases/{case_id}/actions/verify", {"passed": True})
    desk.post(f"/cases/{case_id}/actions/return_visit", {"satisfaction": "satisfied"})
    r = desk.get("/cases/figures", since="2026-11-01", until="2026-11-30")
    assert r.status_code == 200
    f = r.json()["rows"][0]["figures"]
    assert f["reported"]["value"] == 1 and f["closed"]["case_ids"] == []  # ids on request
    asked = desk.get("/cases/figures", since="2026-11-01", until="2026-11-30", case_ids=True)
    assert asked.json()["rows"][0]["figures"]["closed"]["case_ids"] == [case_id]
    page = desk.get("/cases/figures/cases", figure="closed", since="2026-11-01", limit=1)
    assert page.json() == {"figure": "closed", "group": "", "ids": [case_id], "next": None}
    unit = desk.get(
        "/cases/figures/cases", figure="closed", since="2026-11-01", group_by="unit", group="0"
    )
    assert unit.json()["ids"] == []
    assert f["on_time_close_rate"]["value"] == 1.0
    assert f["satisfaction_rate"]["value"] == 1.0
    assert set(r.json()["rules"]) == set(f)  # every figure states how it is counted
    by_unit = desk.get("/cases/figures", since="2026-11-01", group_by="unit").json()
    assert [row["label"] for row in by_unit["rows"]] == ["城管办"]


def test_photo_upload_refuses_a_script_and_strips_exif(as_user, cast, category, at_monday):
    api = as_user(cast.desk)
    r = upload(api, "photo.jpg", b"#!/bin/sh\nrm -rf /\n")
    assert (r.status_code, r.json()["code"]) == (422, "upload_not_image")
    r = upload(api, "photo.jpg", jpeg())
    assert r.status_code == 201
    up = r.json()["id"]
    r = api.post("/cases", report_body(category, photo_ids=[up]))
    assert r.status_code == 201 and len(r.json()["photos"]) == 1
    r = api.post("/cases", report_body(category, photo_ids=[up]))  # an upload is used once
    assert (r.status_code, r.json()["code"]) == (404, "upload_not_found")
    assert Case.objects.count() == 1


def test_a_reporter_reads_only_the_public_timeline(as_user, cast, new_case):
    from cityloop.cases import workflow

    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.comment(actor=cast.desk, case_id=new_case.pk, note="内部：先联系物业")
    resident = [
        e["verb"] for e in as_user(cast.resident).get(f"/cases/{new_case.pk}/events").json()
    ]
    desk = [e["verb"] for e in as_user(cast.desk).get(f"/cases/{new_case.pk}/events").json()]
    assert resident == ["report", "accept"]
    assert desk == ["report", "accept", "comment"]


def test_a_retry_racing_its_first_try_with_photos_gets_the_same_case(
    as_user, cast, category, at_monday, monkeypatch
):
    """Two requests with one key and one photo: the second passed the key check before the
    first committed, then found the photo used. It answers the first's case (issue 16.6)."""
    from cityloop.cases import api as cases_api
    from cityloop.cases import queries

    api = as_user(cast.desk)
    up = upload(api, "photo.jpg", jpeg()).json()["id"]
    first = post_with_key(api, report_body(category, photo_ids=[up]), "race-1")
    assert first.status_code == 201
    real = queries.case_for_idempotency_key
    calls = {"n": 0}

    def racing(client, key):
        calls["n"] += 1  # the first look, before the first try had committed, saw nothing
        return None if calls["n"] == 1 else real(client, key)

    monkeypatch.setattr(cases_api.queries, "case_for_idempotency_key", racing)
    second = post_with_key(api, report_body(category, photo_ids=[up]), "race-1")
    assert second.status_code == 201, second.json()
    assert second.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1
    third = post_with_key(api, report_body(category, photo_ids=[up]), "other-key")
    assert (third.status_code, third.json()["code"]) == (404, "upload_not_found")
