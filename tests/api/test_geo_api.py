"""/geo/locate and /map/features over the conftest district."""

from __future__ import annotations

import pytest

from cityloop.core import geo
from cityloop.org import services

pytestmark = pytest.mark.django_db

INSIDE_COMPOUND_A = (113.2620, 34.7828)
ANSWER_KEYS = (*geo.AREA_KINDS, "road")
NEAR_BUILDING_A = (113.26155, 34.7815)  # about 5 m from 1号楼's point
FAR_AWAY = (113.50, 34.95)


@pytest.fixture
def lane(tree):
    """A lane along the north side of compound A, about 33 m from INSIDE_COMPOUND_A."""
    zone, _ = services.zone_save(
        actor=None,
        code="R-A2",
        name="新华巷",
        kind="road",
        place=tree.community_a,
        geometry_json={
            "type": "LineString",
            "coordinates": [[113.260, 34.7831], [113.265, 34.7831]],
        },
    )
    return zone


def _locate(c, lng, lat, **extra):
    r = c.get("/geo/locate", lng=lng, lat=lat, **extra)
    assert r.status_code == 200, r.content
    return r.json()


def test_point_in_compound(client_as, street_a_user, tree, lane):
    body = _locate(client_as(street_a_user), *INSIDE_COMPOUND_A)
    assert body["street"]["name"] == "济源路街道"
    assert body["community"]["name"] == "新华街社区"
    assert body["compound"] == {
        "id": tree.compound_a.pk,
        "code": tree.compound_a.code,
        "name": "06小区",
    }
    assert body["building"] is None  # 1号楼 is ~150 m away
    assert body["road"]["code"] == "R-A2"
    assert 30 < body["road"]["distance_m"] < 37
    assert body["district"] is None  # above the street user's scope


def test_point_next_to_a_building_point(client_as, superuser, tree):
    body = _locate(client_as(superuser), *NEAR_BUILDING_A)
    assert body["building"]["code"] == tree.building_a.code
    assert body["district"]["code"] == tree.district.code


def test_far_point_is_all_nulls(client_as, superuser, tree, lane):
    body = _locate(client_as(superuser), *FAR_AWAY)
    assert {k: body[k] for k in ANSWER_KEYS} == dict.fromkeys(ANSWER_KEYS)


def test_other_street_learns_nothing(client_as, street_b_user, tree, lane):
    body = _locate(client_as(street_b_user), *INSIDE_COMPOUND_A)
    assert all(body[k] is None for k in ANSWER_KEYS)


def test_gcj02_input_is_converted(client_as, superuser, tree):
    gcj = geo.wgs84_to_gcj02(*INSIDE_COMPOUND_A)
    body = _locate(client_as(superuser), *gcj, crs="gcj02")
    assert body["compound"]["code"] == tree.compound_a.code
    assert abs(body["lng"] - INSIDE_COMPOUND_A[0]) < 1e-7


def test_new_place_is_found_without_restart(client_as, superuser, tree):
    c = client_as(superuser)
    assert _locate(c, *NEAR_BUILDING_A)["building"]["code"] == tree.building_a.code
    services.place_save(
        actor=None,
        code="410106001001001-02",
        name="2号楼",
        kind="building",
        parent=tree.compound_a,
        geometry_json={"type": "Point", "coordinates": [113.26156, 34.7815]},
    )
    assert _locate(c, *NEAR_BUILDING_A)["building"]["name"] == "2号楼"


def test_locate_rejects_bad_coordinates(client_as, superuser, tree):
    r = client_as(superuser).get("/geo/locate", lng=200, lat=34)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")


def test_map_layers_follow_scope(client_as, street_a_user, superuser, tree):
    a = client_as(street_a_user).get("/map/features", layer="compounds").json()
    assert a["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in a["features"]] == [tree.compound_a.code]
    props = a["features"][0]["properties"]
    assert props["id"] == tree.compound_a.pk and props["name"] == "06小区"
    assert props["kind"] == "compound"
    assert props["management"] == "unmanaged" and props["management_label"]
    assert a["features"][0]["geometry"]["type"] == "Polygon"

    roads = client_as(superuser).get("/map/features", layer="roads").json()
    assert {f["properties"]["code"] for f in roads["features"]} == {"R-A1", "R-B1"}
    assert "management" not in roads["features"][0]["properties"]
    streets = client_as(street_a_user).get("/map/features", layer="streets").json()
    assert [f["properties"]["name"] for f in streets["features"]] == ["济源路街道"]
    assert client_as(street_a_user).get("/map/features", layer="district").json()["features"] == []


def test_map_layer_in_gcj02(client_as, superuser, tree):
    c = client_as(superuser)
    wgs = c.get("/map/features", layer="roads").json()["features"][0]["geometry"]
    gcj = c.get("/map/features", layer="roads", crs="gcj02").json()["features"][0]["geometry"]
    assert gcj["coordinates"][0] == list(geo.wgs84_to_gcj02(*wgs["coordinates"][0]))


def test_unknown_layer_is_422(client_as, superuser):
    r = client_as(superuser).get("/map/features", layer="planets")
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")
