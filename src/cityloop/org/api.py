"""Places, units, zones and people over the API, plus point location and map layers.

Every read starts from :mod:`cityloop.org.queries`, so an object outside the caller's scope
answers 404 ``<thing>_not_found`` exactly like a missing one.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from cityloop.core import geo
from cityloop.core.schemas import ErrorOut, Limit, Offset
from cityloop.org import queries
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole
from cityloop.org.schemas import (
    FeatureCollectionOut,
    LocateOut,
    PersonDetail,
    PersonPage,
    PlaceDetail,
    PlacePage,
    UnitDetail,
    UnitPage,
    ZoneDetail,
    ZonePage,
)

router = Router(tags=["org"])

MAX_LIMIT = 500
PageSize = Limit(50, MAX_LIMIT)
LIST_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DETAIL_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
Coords = Literal["wgs84", "gcj02"]


def _page(qs: QuerySet, row, limit: int, offset: int) -> dict[str, Any]:
    items = list(qs[offset : offset + limit])
    # A short page that is not past the end already tells the total: spare the COUNT query.
    short = len(items) < limit and (items or offset == 0)
    return {
        "items": [row(obj) for obj in items],
        "count": offset + len(items) if short else qs.count(),
        "limit": limit,
        "offset": offset,
    }


# --- shaping (no queries here: every relation used is select_related by the caller) ---------


def _place_ref(p: Place | None) -> dict[str, Any] | None:
    return None if p is None else {"id": p.pk, "code": p.code, "name": p.name, "kind": p.kind}


def _unit_ref(u: Unit | None) -> dict[str, Any] | None:
    return None if u is None else {"id": u.pk, "code": u.code, "name": u.name, "kind": u.kind}


def _place_row(p: Place) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "parent_id": p.parent_id,
        "path": p.path,
        "depth": p.depth,
        "management": p.management,
        "management_label": str(p.get_management_display()) if p.management else "",
        "address": p.address,
        "children_count": getattr(p, "children_count", 0),
        "has_geometry": p.geometry is not None,
    }


def _unit_row(u: Unit) -> dict[str, Any]:
    return {
        "id": u.pk,
        "code": u.code,
        "name": u.name,
        "short_name": u.short_name,
        "kind": u.kind,
        "kind_label": str(u.get_kind_display()),
        "parent_id": u.parent_id,
        "place": _place_ref(u.place),
        "path": u.path,
        "depth": u.depth,
    }


def _zone_row(z: Zone) -> dict[str, Any]:
    return {
        "id": z.pk,
        "code": z.code,
        "name": z.name,
        "kind": z.kind,
        "kind_label": str(z.get_kind_display()),
        "place": _place_ref(z.place),
        "duty_count": getattr(z, "duty_count", 0),
        "has_geometry": z.geometry is not None,
    }


def _person_row(p: Person) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "title": p.title,
        "phone": p.phone,
        "unit": _unit_ref(p.unit),
        "place": _place_ref(p.place),
        "has_account": p.user_id is not None,
    }


def _duty(d: ZoneRole, person: Person, target: Place | Zone) -> dict[str, Any]:
    return {
        "id": d.pk,
        "role": d.role,
        "role_label": str(d.get_role_display()),
        "level": d.level,
        "level_label": str(d.get_level_display()) if d.level else "",
        "person": {
            "id": person.pk,
            "code": person.code,
            "name": person.name,
            "title": person.title,
            "phone": person.phone,
            "unit": _unit_ref(person.unit),
        },
        "target": {
            "type": "zone" if isinstance(target, Zone) else "place",
            "id": target.pk,
            "code": target.code,
            "name": target.name,
            "kind": target.kind,
        },
    }


def _partner(row: Partnership) -> dict[str, Any]:
    return {
        "unit": _unit_ref(row.unit),
        "since": row.since.isoformat() if row.since else None,
        "note": row.note,
    }


# --- places ---------------------------------------------------------------------------------


@router.get("/places", response={200: PlacePage, **LIST_ERRORS})
def place_list(
    request: HttpRequest,
    kind: Place.Kind | None = None,
    parent_id: int | None = None,
    q: str = "",
    limit: int = PageSize,
    offset: int = Offset,
):
    """Places the caller can see, in tree order. 可见范围内的地点（区、街道、社区、小区、楼栋）。"""
    qs = queries.place_rows(request.auth, kind=kind, parent_id=parent_id, q=q)
    return _page(qs, _place_row, limit, offset)


@router.get("/places/{place_id}", response={200: PlaceDetail, **DETAIL_ERRORS})
def place_detail(request: HttpRequest, place_id: int):
    """One place with its parent, counts below it, duties, partner units and geometry."""
    actor = request.auth
    place = queries.place_get(actor, place_id=place_id)
    summary = queries.place_summary(actor, place)
    partners = (
        [_partner(r) for r in queries.partners_of(actor, place)]
        if place.kind == Place.Kind.COMPOUND
        else []
    )
    place.children_count = summary["children_count"]
    return {
        **_place_row(place),
        "parent": _place_ref(place.parent),
        "descendant_counts": summary["descendant_counts"],
        "zone_counts": summary["zone_counts"],
        "duties": [_duty(d, d.person, place) for d in queries.duties_on(actor, place)],
        "partners": partners,
        "attrs": place.attrs,
        "geometry": place.geometry,
    }


@router.get("/places/{place_id}/children", response={200: PlacePage, **DETAIL_ERRORS})
def place_children(
    request: HttpRequest, place_id: int, limit: int = PageSize, offset: int = Offset
):
    """The places directly under one place."""
    place = queries.place_get(request.auth, place_id=place_id)
    qs = queries.place_rows(request.auth, parent_id=place.pk)
    return _page(qs, _place_row, limit, offset)


# --- units ----------------------------------------------------------------------------------


@router.get("/units", response={200: UnitPage, **LIST_ERRORS})
def unit_list(
    request: HttpRequest,
    kind: Unit.Kind | None = None,
    q: str = "",
    limit: int = PageSize,
    offset: int = Offset,
):
    """Units the caller can see. 可见范围内的单位、部门、科室。"""
    qs = queries.unit_rows(request.auth, kind=kind, q=q)
    return _page(qs, _unit_row, limit, offset)


@router.get("/units/{unit_id}", response={200: UnitDetail, **DETAIL_ERRORS})
def unit_detail(request: HttpRequest, unit_id: int):
    actor = request.auth
    unit = queries.unit_get(actor, unit_id=unit_id)
    return {
        **_unit_row(unit),
        "parent": _unit_ref(unit.parent),
        "work_hours": unit.work_hours,
        "works_weekends": unit.works_weekends,
        "round_the_clock": unit.round_the_clock,
        **queries.unit_summary(actor, unit),
    }


# --- zones ----------------------------------------------------------------------------------


@router.get("/zones", response={200: ZonePage, **LIST_ERRORS})
def zone_list(
    request: HttpRequest,
    kind: Zone.Kind | None = None,
    place_id: int | None = None,
    q: str = "",
    limit: int = PageSize,
    offset: int = Offset,
):
    """Zones (roads, grids, hazard points, parks); ``place_id`` includes zones below it."""
    qs = queries.zone_rows(request.auth, kind=kind, place_id=place_id, q=q)
    return _page(qs, _zone_row, limit, offset)


@router.get("/zones/{zone_id}", response={200: ZoneDetail, **DETAIL_ERRORS})
def zone_detail(request: HttpRequest, zone_id: int):
    actor = request.auth
    zone = queries.zone_get(actor, zone_id=zone_id)
    duties = [_duty(d, d.person, zone) for d in queries.duties_on(actor, zone)]
    zone.duty_count = len(duties)
    return {**_zone_row(zone), "duties": duties, "attrs": zone.attrs, "geometry": zone.geometry}


# --- people ---------------------------------------------------------------------------------


@router.get("/people", response={200: PersonPage, **LIST_ERRORS})
def person_list(
    request: HttpRequest,
    unit_id: int | None = None,
    place_id: int | None = None,
    q: str = "",
    limit: int = PageSize,
    offset: int = Offset,
):
    """People the caller can see; ``q`` matches name, code or phone."""
    qs = queries.people_rows(request.auth, unit_id=unit_id, place_id=place_id, q=q)
    return _page(qs, _person_row, limit, offset)


@router.get("/people/{person_id}", response={200: PersonDetail, **DETAIL_ERRORS})
def person_detail(request: HttpRequest, person_id: int):
    actor = request.auth
    person = queries.person_get(actor, person_id=person_id)
    duties = [_duty(d, person, d.target) for d in queries.duties_of(actor, person)]
    return {**_person_row(person), "duties": duties}


# --- geo ------------------------------------------------------------------------------------


@router.get("/geo/locate", response={200: LocateOut, 401: ErrorOut, 422: ErrorOut})
def locate(
    request: HttpRequest,
    lng: float = Query(..., ge=-180, le=180),
    lat: float = Query(..., ge=-90, le=90),
    crs: Coords = "wgs84",
):
    """Which district, street, community, compound, building and grid contain a point, and
    the nearest road within the snap distance; only what the caller may see is named.
    ``crs=gcj02`` for a point taken from a Chinese web map. 定位一个点所在的街道、社区、小区、楼栋、
    网格和最近的道路。"""
    if crs == "gcj02":
        lng, lat = geo.gcj02_to_wgs84(lng, lat)
    return {"lng": lng, "lat": lat, **queries.locate(request.auth, lng, lat)}


Layer = Literal[
    "district", "streets", "communities", "compounds", "roads", "grids", "hazard_points"
]


@router.get("/map/features", response={200: FeatureCollectionOut, 401: ErrorOut, 422: ErrorOut})
def map_features(request: HttpRequest, layer: Layer, crs: Coords = "wgs84"):
    """One map layer as a GeoJSON FeatureCollection of what the caller may see. Properties:
    ``id, code, name, kind, kind_label``, and ``management, management_label`` on compounds.
    地图图层（GeoJSON）。"""
    return queries.map_features(request.auth, layer, crs=crs)
