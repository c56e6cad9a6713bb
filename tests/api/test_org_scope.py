"""The issue's "done when": a street user's token sees that street and not another."""

from __future__ import annotations

import pytest

from cityloop.org import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    a, _ = services.person_save(actor=None, code="P-A", name="王红", unit=tree.office_a)
    b, _ = services.person_save(actor=None, code="P-B", name="李明", unit=tree.office_b)
    services.duty_assign(actor=None, person=a, role="compound_head", place=tree.compound_a)
    services.duty_assign(actor=None, person=b, role="road_chief", level="street", zone=tree.road_b)
    return a, b


def _codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["items"]}


def test_street_user_lists_only_own_street(client_as, street_a_user, tree, people):
    c = client_as(street_a_user)
    places = _codes(c.get("/places", limit=500))
    assert tree.compound_a.code in places and tree.building_a.code in places
    assert tree.compound_b.code not in places and tree.street_b.code not in places
    assert tree.district.code not in places  # above the street
    assert _codes(c.get("/zones")) == {tree.road_a.code}
    people_codes = _codes(c.get("/people"))
    assert "P-A" in people_codes and "P-B" not in people_codes
    assert "acct-zxl-staff" not in people_codes  # the other street's account
    units = _codes(c.get("/units"))
    assert tree.office_a.code in units and tree.office_b.code not in units


def test_other_streets_objects_are_not_found(client_as, street_a_user, tree, people):
    c = client_as(street_a_user)
    for path, code in [
        (f"/places/{tree.compound_b.pk}", "place_not_found"),
        (f"/places/{tree.compound_b.pk}/children", "place_not_found"),
        (f"/zones/{tree.road_b.pk}", "zone_not_found"),
        (f"/people/{people[1].pk}", "person_not_found"),
        (f"/units/{tree.office_b.pk}", "unit_not_found"),
        ("/places/999999", "place_not_found"),
    ]:
        r = c.get(path)
        assert (r.status_code, r.json()["code"]) == (404, code), path
    # the same objects in the user's own street are there
    assert c.get(f"/places/{tree.compound_a.pk}").status_code == 200
    assert c.get(f"/zones/{tree.road_a.pk}").status_code == 200
    assert c.get(f"/people/{people[0].pk}").status_code == 200


def test_filter_by_other_streets_place_is_not_found(client_as, street_a_user, tree):
    r = client_as(street_a_user).get("/zones", place_id=tree.street_b.pk)
    assert (r.status_code, r.json()["code"]) == (404, "place_not_found")


def test_street_b_sees_the_mirror_image(client_as, street_b_user, tree, people):
    c = client_as(street_b_user)
    places = _codes(c.get("/places", limit=500))
    assert tree.compound_b.code in places and tree.compound_a.code not in places
    assert c.get(f"/places/{tree.compound_a.pk}").status_code == 404


def test_superuser_sees_everything(client_as, superuser, tree, people):
    c = client_as(superuser)
    places = _codes(c.get("/places", limit=500))
    assert {tree.district.code, tree.compound_a.code, tree.compound_b.code} <= places
    assert _codes(c.get("/zones")) == {tree.road_a.code, tree.road_b.code}
    assert {"P-A", "P-B"} <= _codes(c.get("/people"))
    assert c.get(f"/places/{tree.compound_b.pk}").status_code == 200


def test_account_without_unit_or_place_sees_nothing(client_as, make_account, tree):
    user = make_account("lonely", roles=())
    r = client_as(user).get("/places")
    assert r.status_code == 200
    assert r.json()["count"] == 0
