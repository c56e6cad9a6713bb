"""GCJ-02 conversion and the spatial index, without the API."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from cityloop.core import geo
from cityloop.core.geo import Feature, GeoIndex


@pytest.fixture(autouse=True)
def _fresh_index():
    geo.invalidate()
    yield
    geo.invalidate()


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    t = geo.utm_transformer(*a)
    return geo.distance_metres(shapely.Point(a), shapely.Point(b), t)


def test_reference_vector():
    # wandergis/coordtransform README: wgs84togcj02(116.404, 39.915)
    assert geo.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )


@settings(max_examples=300, deadline=None)
@given(lng=st.floats(73.7, 135.0), lat=st.floats(18.0, 53.5))
def test_inverse_is_within_half_a_metre(lng, lat):
    gcj = geo.wgs84_to_gcj02(lng, lat)
    assert 1 < _metres((lng, lat), gcj) < 1200  # the offset is real: tens to hundreds of m
    assert _metres((lng, lat), geo.gcj02_to_wgs84(*gcj)) < 0.5


def test_outside_china_is_unchanged():
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert geo.gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_convert_geometry_keeps_shape_and_extra_ordinates():
    poly = {"type": "Polygon", "coordinates": [[[113, 34], [113.1, 34], [113.1, 34.1], [113, 34]]]}
    out = geo.convert_geometry(poly, geo.wgs84_to_gcj02)
    assert out["type"] == "Polygon"
    assert out["coordinates"][0][1] == list(geo.wgs84_to_gcj02(113.1, 34))
    assert poly["coordinates"][0][0] == [113, 34]  # input untouched
    point3d = geo.convert_geometry(
        {"type": "Point", "coordinates": [113, 34, 95.0]}, geo.wgs84_to_gcj02
    )
    assert point3d["coordinates"][2] == 95.0
    coll = {
        "type": "GeometryCollection",
        "geometries": [{"type": "MultiPoint", "coordinates": [[113, 34], [114, 35]]}],
    }
    back = geo.convert_geometry(geo.convert_geometry(coll, geo.wgs84_to_gcj02), geo.gcj02_to_wgs84)
    assert back["geometries"][0]["coordinates"][1] == pytest.approx([114, 35], abs=1e-8)


# --- the index ------------------------------------------------------------------------------


def _features() -> list[Feature]:
    return [
        Feature("district", 1, "D", "区", shapely.box(113.0, 34.0, 113.2, 34.2), "/D/"),
        Feature("street", 2, "S1", "一街", shapely.box(113.0, 34.0, 113.1, 34.2), "/D/S1/"),
        Feature("street", 3, "S2", "二街", shapely.box(113.1, 34.0, 113.2, 34.2), "/D/S2/"),
        # two overlapping compounds: the smaller one wins
        Feature("compound", 4, "C1", "大院", shapely.box(113.01, 34.01, 113.05, 34.05), "/D/S1/"),
        Feature("compound", 5, "C2", "小院", shapely.box(113.02, 34.02, 113.03, 34.03), "/D/S1/"),
        Feature("building", 6, "B1", "1号楼", shapely.Point(113.025, 34.025), "/D/S1/C2/B1/"),
        Feature("grid", 7, "G1", "网格一", shapely.box(113.0, 34.0, 113.05, 34.05), "/D/S1/"),
        Feature(
            "road",
            8,
            "R1",
            "一路",
            shapely.LineString([(113.0, 34.0255), (113.1, 34.0255)]),
            "/D/S1/",
        ),
        Feature(
            "road",
            9,
            "R2",
            "二路",
            shapely.LineString([(113.0, 34.0252), (113.1, 34.0252)]),
            "/D/S2/",
        ),
    ]


def test_smallest_containing_and_nearest_road():
    idx = GeoIndex(_features(), road_snap_metres=50)
    at = idx.locate(113.025, 34.025)
    assert at["district"]["code"] == "D" and at["street"]["code"] == "S1"
    assert at["compound"]["code"] == "C2"
    assert at["grid"]["code"] == "G1"
    assert at["building"]["code"] == "B1"
    assert at["road"]["code"] == "R2"  # 22 m, R1 is 55 m → beyond the snap anyway
    assert at["road"]["distance_m"] == pytest.approx(22.2, abs=0.5)


def test_building_point_radius_is_15_metres():
    idx = GeoIndex(_features())
    metres_per_degree_lng = 111_320 * math.cos(math.radians(34.025))
    inside = idx.locate(113.025 + 12 / metres_per_degree_lng, 34.025)
    outside = idx.locate(113.025 + 18 / metres_per_degree_lng, 34.025)
    assert inside["building"]["code"] == "B1"
    assert outside["building"] is None


def test_visible_filter_picks_the_smallest_visible():
    idx = GeoIndex(_features())
    hide = {"C2", "B1", "R2"}
    at = idx.locate(113.025, 34.025, visible=lambda f: f.code not in hide)
    assert at["compound"]["code"] == "C1"
    assert at["building"] is None
    assert at["road"] is None  # R1 is beyond 50 m and R2 is hidden
    wide = GeoIndex(_features(), road_snap_metres=100)
    assert wide.locate(113.025, 34.025, visible=lambda f: f.code != "R2")["road"]["code"] == "R1"


def test_boundary_counts_as_inside_and_empty_index_answers_nulls():
    idx = GeoIndex(_features())
    assert idx.locate(113.1, 34.1)["street"]["code"] in {"S1", "S2"}
    empty = GeoIndex([])
    assert all(v is None for v in empty.locate(113.0, 34.0).values())


@pytest.mark.django_db
def test_cached_index_rebuilds_on_change(tree):
    geo.invalidate()
    first = geo.get_index()
    assert geo.get_index() is first  # cached
    from cityloop.org import services

    services.zone_save(
        actor=None,
        code="HZ-1",
        name="积水点",
        kind="hazard_point",
        place=tree.street_a,
        geometry_json={"type": "Point", "coordinates": [113.27, 34.79]},
    )
    assert geo.get_index() is not first  # a save in this process invalidates at once


@pytest.mark.django_db
def test_signature_notices_changes_made_elsewhere(tree, monkeypatch):
    # Raw ORM on purpose: it stands for a write this process's signals never see.
    geo.invalidate()
    first = geo.get_index()
    before = geo.data_signature()
    # Pretend another process changed a place: no signal here, only the poll can see it.
    from cityloop.org.models import Place

    outsider = Place(code="X-1", name="外来小区", kind="compound", parent=tree.community_a)
    outsider.compute_path()
    Place.objects.bulk_create([outsider])  # sends no post_save, like a write by another process
    assert geo.data_signature() != before
    monkeypatch.setattr(geo, "_checked_at", -geo.CHECK_SECONDS * 2)
    assert geo.get_index() is not first


def test_locate_many_answers_what_locate_answers_point_by_point():
    """The batch lookup of a hotline file (one query of the area tree for all its points)
    gives, for every point, exactly the single lookup's answer: inside, on a boundary,
    near a building point or a road, outside everything, and with a visibility filter."""
    idx = GeoIndex(_features(), road_snap_metres=50)
    points = [
        (113.0 + i * 0.0125, 34.0 + j * 0.0125)  # a 0.0125° grid over the district and beyond
        for i in range(-2, 19)
        for j in range(-2, 19)
    ] + [(113.025, 34.025), (113.025, 34.025), (113.1, 34.1), (120.0, 30.0)]
    many = idx.locate_many(points)
    assert many == [idx.locate(lng, lat) for lng, lat in points]
    assert {a["compound"]["code"] for a in many if a["compound"]} == {"C1", "C2"}
    assert any(a["road"] for a in many) and any(a["building"] for a in many)
    assert many[-1] == {kind: None for kind in (*geo.AREA_KINDS, "road")}
    hide = lambda f: f.code not in {"C2", "S1"}  # noqa: E731
    assert idx.locate_many(points, visible=hide) == [
        idx.locate(lng, lat, visible=hide) for lng, lat in points
    ]
    assert idx.locate_many([]) == []
    assert GeoIndex([]).locate_many([(113.0, 34.0)]) == [GeoIndex([]).locate(113.0, 34.0)]
