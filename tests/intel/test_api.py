"""The intel router: error shape, scope and roles."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient
from tests.cases.conftest import IN_COMPOUND
from tests.intel.conftest import committed_workflow as workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(cast, categories, category_model, at_monday):
    return workflow.report(
        actor=cast.resident,
        source="resident",
        description="3号楼楼道里堆满杂物纸箱，消防通道被堵死",
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )


def test_case_suggestions_in_scope_for_staff_only(client_as, cast, reported, categories):
    r = client_as(cast.desk).get(f"/intel/cases/{reported.pk}/suggestions")
    assert r.status_code == 200
    [s] = r.json()
    assert (s["kind"], s["target_id"], s["outcome"]) == (
        "category",
        categories["piles"].pk,
        "pending",
    )
    assert 0 < s["confidence"] <= 1
    r = client_as(cast.outsider).get(f"/intel/cases/{reported.pk}/suggestions")
    assert (r.status_code, r.json()["code"]) == (404, "case_not_found")
    r = client_as(cast.resident).get(f"/intel/cases/{reported.pk}/suggestions")
    assert (r.status_code, r.json()["code"]) == (403, "intel_staff_only")
    assert ApiClient().get(f"/intel/cases/{reported.pk}/suggestions").status_code == 401


def test_models_list_and_activate_needs_an_administrator(
    client_as,
    cast,
    make_account,
    category_model,
):
    r = client_as(cast.desk).get("/intel/models")
    assert r.status_code == 200
    assert [(m["kind"], m["version"], m["is_active"]) for m in r.json()] == [("category", 1, True)]
    assert "cv_macro_f1" in r.json()[0]["metrics"]
    r = client_as(cast.desk).post(f"/intel/models/{category_model.pk}/activate")
    assert (r.status_code, r.json()["code"]) == (403, "intel_admin_only")
    admin = make_account("admin", roles=("admin",), superuser=True)
    r = client_as(admin).post(f"/intel/models/{category_model.pk}/activate")
    assert r.status_code == 200 and r.json()["is_active"]
    r = client_as(admin).post("/intel/models/rollback?kind=category")
    assert (r.status_code, r.json()["code"]) == (409, "intel_no_previous_model")
    r = client_as(admin).post("/intel/models/9999/activate")
    assert (r.status_code, r.json()["code"]) == (404, "intel_model_not_found")


def test_accuracy_and_hotspots(client_as, cast, reported, categories, at_monday):
    twin = workflow.report(
        actor=cast.resident,
        source="resident",
        description="3号楼楼道里堆满杂物纸箱，消防通道被堵死了",
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1] + 20 / 111_320,
    )
    workflow.accept(actor=cast.desk, case_id=reported.pk, category=categories["piles"])
    day = at_monday.date().isoformat()
    r = client_as(cast.desk).get("/intel/accuracy", since=day, until=day)
    assert r.status_code == 200
    cat = next(k for k in r.json()["kinds"] if k["kind"] == "category")
    assert (cat["decided"], cat["accepted"], cat["pending"], cat["rate"]) == (1, 1, 1, 1.0)
    r = client_as(cast.desk).get("/intel/hotspots", since=day, until=day)
    assert r.status_code == 200
    [h] = r.json()
    assert sorted(h["case_ids"]) == sorted([reported.pk, twin.pk]) and h["reports"] == 2
    assert client_as(cast.outsider).get("/intel/hotspots", since=day, until=day).json() == []
    r = client_as(cast.desk).get("/intel/hotspots", since=day, until="2020-01-01")
    assert (r.status_code, r.json()["code"]) == (422, "period_invalid")
