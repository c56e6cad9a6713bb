"""Supervision over /api/v1: lights with reasons, progress, milestones, board, ledger,
letters (with the .docx), and the same error and scope rules as cases."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.supervision.models import ProgressReport, Task
from tests.api.conftest import client_as  # noqa: F401


@pytest.fixture
def api(crew, client_as):  # noqa: F811
    return {
        "boss": client_as(crew.supervisor),
        "doer": client_as(crew.doer),
        "outsider": client_as(crew.outsider),
    }


def _create(api, crew, **kw):
    body = {
        "code": "API-1",
        "title": "老旧小区改造：06小区",
        "kind": "key_work",
        "category": "old_compound_renovation",
        "responsible_unit": crew.office.code,
        "supervising_unit": crew.street.code,
        "leader": crew.leader.person.code,
        "start": "2026-01-01",
        "deadline": "2026-12-31",
        "annual_goal": "完成改造",
    }
    body.update(kw)
    return api["boss"].post("/tasks", body)


def test_task_lifecycle_over_the_api(crew, api, on_day):
    on_day(date(2026, 7, 2))
    r = _create(api, crew)
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["light"] == "red" and task["reasons"][0]["code"] == "behind_plan"
    assert "plan" in task["allowed_actions"]
    tid = task["id"]
    r = api["boss"].client.put(
        f"/api/v1/tasks/{tid}/milestones",
        {"steps": [{"title": "设计", "duration_days": 20}, {"title": "施工", "duration_days": 60}]},
        content_type="application/json",
        headers=api["boss"]._headers(),
    )
    assert r.status_code == 200, r.content
    assert [m["due"] for m in r.json()][-1] == "2026-12-31"
    r = api["doer"].post(f"/tasks/{tid}/progress", {"text": "主体施工", "percent": 60})
    assert r.status_code == 201
    assert r.json()["light"] in ("blue", "yellow")
    assert api["doer"].get(f"/tasks/{tid}/progress").json()[0]["percent"] == 60
    listing = api["boss"].get("/tasks", colour=r.json()["light"]).json()
    assert [t["code"] for t in listing["items"]] == ["API-1"]
    assert listing["items"][0]["reasons"]
    board = api["boss"].get("/tasks/board").json()
    assert board["total"] == 1 and "预警" in board["sentence"]
    summary = api["boss"].get("/tasks/summary", kind="month").json()
    assert summary["start"] == "2026-07-01"
    events = api["boss"].get(f"/tasks/{tid}/events").json()
    assert {"create", "plan", "progress", "light"} <= {e["verb"] for e in events}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"percent": 10}, 422, "invalid_input"),
        ({"text": "x", "percent": 101}, 422, "invalid_input"),
        ({"text": "x"}, 422, "progress_number_required"),
    ],
)
def test_bad_progress_is_refused_and_changes_nothing(crew, api, on_day, body, status, code):
    on_day(date(2026, 7, 2))
    tid = _create(api, crew).json()["id"]
    r = api["doer"].post(f"/tasks/{tid}/progress", body)
    assert r.status_code == status and r.json()["code"] == code
    assert not ProgressReport.objects.exists()


def test_scope_and_roles(crew, api, on_day):
    on_day(date(2026, 7, 2))
    tid = _create(api, crew).json()["id"]
    assert api["outsider"].get(f"/tasks/{tid}").json()["code"] == "task_not_found"
    assert api["outsider"].get("/tasks").json()["count"] == 0
    r = api["doer"].post(f"/tasks/{tid}/complete", {})
    assert r.status_code == 403 and r.json()["code"] == "task_not_supervisor"
    r = _create(api, crew, code="API-1")
    assert r.status_code == 409 and r.json()["code"] == "task_code_taken"
    r = _create(api, crew, code="API-2", deadline="2025-01-01")
    assert r.status_code == 422 and r.json()["code"] == "task_dates_invalid"
    assert Task.objects.count() == 1
    r = api["boss"].get("/tasks", colour="purple")
    assert r.status_code == 422 and r.json()["code"] == "task_colour_invalid"


def test_inspection_finding_ledger_and_letter(crew, api, on_day):
    on_day(date(2026, 7, 2))
    tid = _create(api, crew, code="API-L", deadline="2026-06-30", start="2026-01-01").json()["id"]
    r = api["boss"].post(
        "/inspections",
        {
            "code": "DC-9",
            "kind": "special",
            "on": "2026-07-02",
            "subject": "雨污分流专项督查",
            "team": "专项督查组",
            "unit_id": crew.street.pk,
            "task_ids": [tid],
        },
    )
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    r = api["boss"].post(
        f"/inspections/{iid}/findings",
        {
            "kind": "管网未接驳",
            "description": "3号排水单元雨污管网未接驳",
            "unit_id": crew.office.pk,
            "mode": "deadline",
            "due": "2026-07-10",
            "task_id": tid,
        },
    )
    assert r.status_code == 201, r.content
    ledger = api["doer"].get("/rectifications").json()
    assert len(ledger) == 1 and ledger[0]["finding"]["kind"] == "管网未接驳"
    r = api["boss"].post(
        "/urging-letters",
        {"issuer_id": crew.street.pk, "addressee_id": crew.office.pk, "answer_due": "2026-07-09"},
    )
    assert r.status_code == 201, r.content
    letter = r.json()
    assert letter["reference"] == "济源督〔2026〕1号"
    assert [i["kind"] for i in letter["items"]] == ["task"]
    doc = api["doer"].client.get(letter["docx_url"], headers=api["doer"]._headers())
    assert doc.status_code == 200 and doc.content[:2] == b"PK"
    assert "filename*=UTF-8''" in doc["Content-Disposition"]
    r = api["doer"].post(f"/urging-letters/{letter['id']}/answer", {"text": "已整改"})
    assert r.json()["state"] == "answered"
    r = api["boss"].post(
        "/urging-letters",
        {
            "issuer_id": crew.street.pk,
            "addressee_id": crew.office.pk,
            "answer_due": "2026-07-09",
            "items": ["bogus"],
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "letter_item_invalid"


@pytest.mark.parametrize("year", [20000, 1000, -1])
def test_a_year_out_of_range_is_refused(crew, api, on_day, year):
    on_day(date(2026, 7, 2))
    for path in ("/tasks", "/tasks/board"):
        r = api["boss"].get(path, year=year)
        assert r.status_code == 422 and r.json()["code"] == "task_year_invalid"
