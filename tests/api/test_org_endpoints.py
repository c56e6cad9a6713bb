"""Shapes, filters, pagination and query counts of the org endpoints."""

from __future__ import annotations

import json

import pytest

from cityloop.org import services
from tests.conftest import _square

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(tree):
    """A compound head, a red steward and a partner unit on compound A; a road chief on road A."""
    head, _ = services.person_save(
        actor=None, code="P-1", name="张楼院", unit=tree.office_a, phone="13800000001"
    )
    services.duty_assign(actor=None, person=head, role="compound_head", place=tree.compound_a)
    services.duty_assign(actor=None, person=head, role="red_steward", place=tree.compound_a)
    services.duty_assign(
        actor=None, person=head, role="road_chief", level="street", zone=tree.road_a
    )
    partner, _ = services.unit_save(actor=None, code="PT-1", name="区供电公司", kind="partner")
    services.partnership_save(actor=None, unit=partner, compound=tree.compound_a, note="包联")
    return head


def test_place_detail(client_as, superuser, tree, staffed):
    r = client_as(superuser).get(f"/places/{tree.compound_a.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "06小区"
    assert (body["management"], body["kind"]) == ("unmanaged", "compound")
    assert body["management_label"]  # translated label, not empty
    assert body["parent"] == {
        "id": tree.community_a.pk,
        "code": tree.community_a.code,
        "name": "新华街社区",
        "kind": "community",
    }
    assert body["children_count"] == 1
    assert body["descendant_counts"] == {"building": 1}
    assert [d["role"] for d in body["duties"]] == ["compound_head", "red_steward"]
    assert body["duties"][0]["person"]["name"] == "张楼院"
    assert body["duties"][0]["target"]["type"] == "place"
    assert [p["unit"]["name"] for p in body["partners"]] == ["区供电公司"]
    assert body["geometry"]["type"] == "Polygon"


def test_street_detail_counts_what_is_below(client_as, street_a_user, tree, staffed):
    body = client_as(street_a_user).get(f"/places/{tree.street_a.pk}").json()
    assert body["descendant_counts"] == {"community": 1, "compound": 1, "building": 1}
    assert body["zone_counts"] == {"road": 1}
    assert body["partners"] == []
    assert body["parent"]["code"] == tree.district.code  # the parent's name is shown


def test_children_and_filters(client_as, superuser, tree):
    c = client_as(superuser)
    kids = c.get(f"/places/{tree.district.pk}/children").json()
    assert [p["code"] for p in kids["items"]] == [tree.street_a.code, tree.street_b.code]
    assert kids["count"] == 2
    streets = c.get("/places", kind="street").json()
    assert {p["name"] for p in streets["items"]} == {"济源路街道", "中心路街道"}
    assert c.get("/places", q="鸿泰").json()["items"][0]["code"] == tree.compound_b.code
    under = c.get("/places", parent_id=tree.community_a.pk).json()
    assert [p["code"] for p in under["items"]] == [tree.compound_a.code]
    bad = c.get("/places", kind="planet")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


def test_pagination_counts_all_rows(client_as, superuser, tree):
    c = client_as(superuser)
    first = c.get("/places", limit=3, offset=0).json()
    second = c.get("/places", limit=3, offset=3).json()
    assert first["count"] == second["count"] == 8
    assert len(first["items"]) == 3 and len(second["items"]) == 3
    codes = [p["code"] for p in first["items"] + second["items"]]
    assert len(set(codes)) == 6
    tail = c.get("/places", limit=5, offset=6).json()
    assert (len(tail["items"]), tail["count"]) == (2, 8)
    past = c.get("/places", limit=5, offset=100).json()
    assert (past["items"], past["count"]) == ([], 8)
    assert c.get("/places", limit=0).status_code == 422
    assert c.get("/places", limit=501).status_code == 422


def test_units_zones_people(client_as, superuser, tree, staffed):
    c = client_as(superuser)
    unit = c.get(f"/units/{tree.office_a.pk}").json()
    assert unit["place"]["code"] == tree.street_a.code
    assert unit["people_count"] == 1
    assert c.get("/units", kind="street_office").json()["count"] == 2

    zones = c.get("/zones", kind="road", place_id=tree.street_a.pk).json()
    assert [z["code"] for z in zones["items"]] == [tree.road_a.code]
    assert zones["items"][0]["duty_count"] == 1
    zone = c.get(f"/zones/{tree.road_a.pk}").json()
    assert zone["duties"][0]["level"] == "street"
    assert zone["geometry"]["type"] == "LineString"

    found = c.get("/people", q="1380000").json()
    assert [p["code"] for p in found["items"]] == ["P-1"]
    person = c.get(f"/people/{staffed.pk}").json()
    assert {(d["role"], d["target"]["code"]) for d in person["duties"]} == {
        ("compound_head", tree.compound_a.code),
        ("red_steward", tree.compound_a.code),
        ("road_chief", tree.road_a.code),
    }
    assert c.get("/people", unit_id=tree.office_b.pk).json()["count"] == 0


def test_chinese_is_not_escaped(client_as, superuser, tree):
    r = client_as(superuser).get(f"/places/{tree.compound_b.pk}")
    assert "鸿泰花园".encode() in r.content
    assert b"\\u" not in r.content
    assert r["Content-Type"].startswith("application/json")


def test_openapi_lists_the_paths(anon):
    r = anon.get("/openapi.json")
    assert r.status_code == 200
    schema = json.loads(r.content)
    for path in [
        "/api/v1/places",
        "/api/v1/places/{place_id}",
        "/api/v1/places/{place_id}/children",
        "/api/v1/units",
        "/api/v1/zones/{zone_id}",
        "/api/v1/people/{person_id}",
        "/api/v1/geo/locate",
        "/api/v1/map/features",
        "/api/v1/auth/token",
    ]:
        assert path in schema["paths"], path


# --- query counts: pinned so that a per-row lookup (N+1) shows up as a failure ---------------


def _more(tree, n: int) -> None:
    """n more compounds, zones and people, each with relations the rows display."""
    for i in range(n):
        compound, _ = services.place_save(
            actor=None,
            code=f"X{i:03d}",
            name=f"小区{i}",
            kind="compound",
            parent=tree.community_a,
            management="property_company",
        )
        services.zone_save(
            actor=None,
            code=f"G{i:03d}",
            name=f"网格{i}",
            kind="grid",
            place=compound,
            geometry_json=_square(113.2601 + i * 0.0001, 34.7801),
        )
        person, _ = services.person_save(
            actor=None, code=f"Q{i:03d}", name=f"人{i}", unit=tree.office_a, place=compound
        )
        services.duty_assign(actor=None, person=person, role="compound_head", place=compound)
        services.unit_save(
            actor=None, code=f"U{i:03d}", name=f"科室{i}", kind="office", parent=tree.office_a
        )


LIST_URLS = ["/places", "/units", "/zones", "/people"]
# token lookup, scope (person + duties), rows, count
MAX_QUERIES = 5


@pytest.mark.parametrize("path", LIST_URLS)
def test_list_query_count_does_not_grow_with_rows(
    path, client_as, street_a_user, tree, django_assert_max_num_queries
):
    c = client_as(street_a_user)
    c.get("/me")  # the token's last_used_at is touched once; later calls read only
    with django_assert_max_num_queries(MAX_QUERIES):
        few = c.get(path, limit=500)
    _more(tree, 25)
    with django_assert_max_num_queries(MAX_QUERIES):
        many = c.get(path, limit=500)
    assert many.json()["count"] >= few.json()["count"] + 25


def test_map_layer_query_count(client_as, street_a_user, tree, django_assert_max_num_queries):
    c = client_as(street_a_user)
    _more(tree, 25)
    c.get("/me")  # the token's once-a-minute last_used_at write is behind us
    with django_assert_max_num_queries(MAX_QUERIES):
        r = c.get("/map/features", layer="grids")
    assert len(r.json()["features"]) == 25


def test_detail_query_count_does_not_grow_with_duties(
    client_as, superuser, tree, django_assert_max_num_queries
):
    c = client_as(superuser)
    c.get("/me")
    for i in range(10):
        person, _ = services.person_save(
            actor=None, code=f"H{i}", name=f"楼院长{i}", unit=tree.office_a
        )
        services.duty_assign(actor=None, person=person, role="red_steward", place=tree.compound_a)
    for path in [
        f"/places/{tree.compound_a.pk}",
        f"/zones/{tree.road_a.pk}",
        f"/people/{person.pk}",
        f"/units/{tree.office_a.pk}",
    ]:
        with django_assert_max_num_queries(9):
            assert c.get(path).status_code == 200
