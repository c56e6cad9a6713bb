"""The two front doors of a roster — pages and /api/v1/duty — call the same workflow."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from cityloop.core import clock
from cityloop.duty.models import Handover, Shift, Swap
from tests.duty.conftest import API, at

pytestmark = pytest.mark.django_db


def test_api_plans_swaps_and_hands_over(client, roster):
    body = {
        "unit": roster.unit.code,
        "kind": "full_day",
        "starts_at": at(24, 8).isoformat(),
        "ends_at": at(25, 8).isoformat(),
        "on_duty": roster.officer.person.code,
        "leader": roster.leader.person.code,
    }
    with clock.frozen(at(23, 9)):
        client.force_login(roster.officer)  # a duty officer does not keep the roster
        assert (
            client.post(f"{API}/shifts", body, content_type="application/json").status_code == 403
        )
        client.force_login(roster.staff)
        made = client.post(f"{API}/shifts", body, content_type="application/json")
        assert made.status_code == 201, made.content
        shift_id = made.json()["id"]
        overlap = client.post(
            f"{API}/shifts",
            {**body, "starts_at": at(24, 20).isoformat(), "ends_at": at(25, 20).isoformat()},
            content_type="application/json",
        )
        assert overlap.status_code == 409
        client.force_login(roster.officer)
        asked = client.post(
            f"{API}/shifts/{shift_id}/swaps",
            {"role": "on_duty", "replacement": roster.second.person.code, "reason": "家中有事"},
            content_type="application/json",
        )
        assert asked.status_code == 201, asked.content
        client.force_login(roster.staff)
        decided = client.post(
            f"{API}/swaps/{asked.json()['id']}/decision",
            {"approve": True},
            content_type="application/json",
        )
        assert decided.json()["state"] == "approved"
        month = client.get(f"{API}/rosters/{roster.unit.code}?month=2026-11").json()
    assert [s["on_duty"]["code"] for s in month["shifts"]] == [roster.second.person.code]
    # Round the clock: everything of November but the 24th's shift is a gap.
    assert len(month["gaps"]) == 2 and all(g["shift"] is None for g in month["gaps"])
    with clock.frozen(at(25, 8)):
        client.force_login(roster.second)
        h = client.post(
            f"{API}/shifts/{shift_id}/handover",
            {"summary": "平稳", "open_matters": "井盖待更换"},
            content_type="application/json",
        )
    assert h.status_code == 201 and h.json()["handed_by"]["code"] == roster.second.person.code


def test_pages_plan_a_shift_decide_a_swap_and_import(client, roster):
    client.force_login(roster.staff)
    with clock.frozen(at(23, 9)):
        page = client.get(f"/duty/{roster.unit.code}/?month=2026-11")
        assert page.status_code == 200 and 'data-form="plan"' in page.content.decode()
        client.post(
            f"/duty/{roster.unit.code}/shifts/",
            {
                "kind": "full_day",
                "starts_at": "2026-11-24T08:00",
                "ends_at": "2026-11-25T08:00",
                "on_duty": roster.officer.person.code,
                "leader": roster.leader.person.code,
            },
        )
        shift = Shift.objects.get()
        client.force_login(roster.officer)
        client.post(
            f"/duty/shifts/{shift.pk}/swap/",
            {"role": "on_duty", "replacement": roster.second.person.code, "reason": "培训"},
        )
        swap = Swap.objects.get()
        client.force_login(roster.staff)
        assert (
            f'action="/duty/swaps/{swap.pk}/decide/"'
            in client.get(f"/duty/shifts/{shift.pk}/").content.decode()
        )
        client.post(f"/duty/swaps/{swap.pk}/decide/", {"decision": "refuse"})
        book = Workbook()
        book.active.append(["日期", "班次", "开始", "结束", "值班人员", "带班领导"])
        book.active.append(["2026-11-25", "白班", "08:00", "20:00", roster.officer.person.name, ""])
        data = io.BytesIO()
        book.save(data)
        data.seek(0)
        data.name = "排班.xlsx"
        client.post(f"/duty/{roster.unit.code}/import/", {"file": data})
    swap.refresh_from_db()
    shift.refresh_from_db()
    assert swap.state == "refused" and shift.on_duty == roster.officer.person
    imported = Shift.objects.get(starts_at=at(25, 8))
    assert (imported.kind, imported.on_duty) == ("day", roster.officer.person)
    with clock.frozen(at(25, 20)):
        client.force_login(roster.officer)
        client.post(f"/duty/shifts/{shift.pk}/handover/", {"summary": "交班", "open_matters": ""})
    assert Handover.objects.get().shift == shift
