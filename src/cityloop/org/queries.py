"""Reads of places, units, zones and people, always through the reader's scope.

Every function takes the acting user first and starts from a ``visible_*`` queryset, so an
object outside the scope is simply *not found* (never "forbidden": existence must not leak).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.core import geo
from cityloop.core.errors import NotFound
from cityloop.core.scope import scope_for
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole

# Staff of one unit told about one step: enough for an office, bounded for a big bureau.
MAX_UNIT_RECIPIENTS = 50


def unit_staff(unit, roles: set | None = None) -> list:
    """Accounts to tell about a step that concerns ``unit``: the people of the unit itself,
    and people of its offices who hold one of ``roles`` (a street office's desk news reaches
    its desk, not every community worker of the street). Not a read through a scope: this is
    who is told, not what a reader sees."""
    from django.contrib.auth import get_user_model

    if unit is None:
        return []
    q = Q(person__unit=unit)
    if roles:
        q |= Q(person__unit__path__startswith=unit.path, groups__name__in=[r.value for r in roles])
    users = get_user_model().objects.filter(is_active=True).filter(q)
    return list(users.distinct().order_by("pk")[:MAX_UNIT_RECIPIENTS])


def visible_places(actor) -> QuerySet[Place]:
    return Place.objects.filter(scope_for(actor).places_q())


def visible_units(actor) -> QuerySet[Unit]:
    """Units in the reader's unit subtree, or covering a place in the reader's scope."""
    scope = scope_for(actor)
    if scope.everything:
        return Unit.objects.all()
    return Unit.objects.filter(scope.covered_units_q())


def visible_zones(actor) -> QuerySet[Zone]:
    return Zone.objects.filter(scope_for(actor).zones_q())


def visible_people(actor) -> QuerySet[Person]:
    return Person.objects.filter(scope_for(actor).people_q())


def visible_ids(actor, kind: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` (people or units) the reader may open: one query, for links."""
    if not ids:
        return set()
    qs = visible_people(actor) if kind == "people" else visible_units(actor)
    return set(qs.filter(pk__in=set(ids)).values_list("pk", flat=True))


def _get(qs: QuerySet, what: str, **lookup):
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise NotFound(f"{what}_not_found", _("Not found"))
    return obj


def place_get(actor, *, place_id: int | None = None, code: str | None = None) -> Place:
    lookup = {"pk": place_id} if place_id is not None else {"code": code}
    return _get(visible_places(actor).select_related("parent"), "place", **lookup)


def unit_get(actor, *, unit_id: int | None = None, code: str | None = None) -> Unit:
    lookup = {"pk": unit_id} if unit_id is not None else {"code": code}
    return _get(visible_units(actor).select_related("parent", "place"), "unit", **lookup)


def zone_get(actor, *, zone_id: int | None = None, code: str | None = None) -> Zone:
    lookup = {"pk": zone_id} if zone_id is not None else {"code": code}
    return _get(visible_zones(actor).select_related("place"), "zone", **lookup)


def person_get(actor, *, person_id: int) -> Person:
    return _get(visible_people(actor).select_related("unit", "place"), "person", pk=person_id)


def place_rows(
    actor, *, kind: str | None = None, parent_id: int | None = None, q: str = ""
) -> QuerySet[Place]:
    qs = (
        visible_places(actor)
        .select_related("parent")
        .annotate(children_count=Count("children", distinct=True))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("path")


def place_roots(actor) -> QuerySet[Place]:
    """The top visible places: those whose parent is not visible (the reader's own roots)."""
    scope = scope_for(actor)
    qs = visible_places(actor)
    if scope.everything:
        return qs.filter(parent__isnull=True)
    return qs.filter(path__in=sorted(scope.place_paths))


def unit_rows(actor, *, kind: str | None = None, q: str = "") -> QuerySet[Unit]:
    qs = visible_units(actor).select_related("parent", "place")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("path")


def zone_rows(
    actor, *, kind: str | None = None, place_id: int | None = None, q: str = ""
) -> QuerySet[Zone]:
    qs = (
        visible_zones(actor)
        .select_related("place")
        .annotate(duty_count=Count("roles", distinct=True))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if place_id is not None:
        place = place_get(actor, place_id=place_id)
        qs = qs.filter(place__path__startswith=place.path)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("kind", "code")


def people_rows(
    actor, *, unit_id: int | None = None, place_id: int | None = None, q: str = ""
) -> QuerySet[Person]:
    qs = visible_people(actor).select_related("unit", "place")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if place_id is not None:
        qs = qs.filter(place_id=place_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(phone__icontains=q))
    return qs.order_by("code")


def duties_on(actor, target: Place | Zone) -> QuerySet[ZoneRole]:
    """Who is responsible for this place or zone (the target must be visible)."""
    lookup = {"zone": target} if isinstance(target, Zone) else {"place": target}
    return (
        ZoneRole.objects.filter(**lookup)
        .select_related("person", "person__unit")
        .order_by("role", "level", "person__code")
    )


def duties_of(actor, person: Person) -> QuerySet[ZoneRole]:
    """A person's duties that lie inside the reader's scope (the rest would be a dead link)."""
    scope = scope_for(actor)
    return (
        ZoneRole.objects.filter(person=person)
        .filter(scope.zones_q("zone__") | scope.places_q("place__"))
        .select_related("zone", "place")
        .order_by("role", "level", "pk")
    )


def partners_of(actor, compound: Place) -> QuerySet[Partnership]:
    return Partnership.objects.filter(compound=compound).select_related("unit")


def place_counts(actor) -> dict[str, int]:
    """Counts for the home page, by kind, all within the reader's scope."""
    places = dict(
        visible_places(actor).values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    zones = dict(
        visible_zones(actor).values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    unmanaged = visible_places(actor).filter(
        kind=Place.Kind.COMPOUND, management=Place.Management.UNMANAGED
    )
    return {
        **{f"places_{k}": v for k, v in places.items()},
        **{f"zones_{k}": v for k, v in zones.items()},
        "compounds_unmanaged": unmanaged.count(),
        "units": visible_units(actor).count(),
        "people": visible_people(actor).count(),
        "duties": ZoneRole.objects.filter(Q(person__in=visible_people(actor))).count(),
    }


# --- map and locate -----------------------------------------------------------------------

# layer name → (place or zone, kind)
LAYERS: dict[str, tuple[str, str]] = {
    "district": ("place", Place.Kind.DISTRICT),
    "streets": ("place", Place.Kind.STREET),
    "communities": ("place", Place.Kind.COMMUNITY),
    "compounds": ("place", Place.Kind.COMPOUND),
    "roads": ("zone", Zone.Kind.ROAD),
    "grids": ("zone", Zone.Kind.GRID),
    "hazard_points": ("zone", Zone.Kind.HAZARD_POINT),
}


def map_features(actor, layer: str, *, crs: str = "wgs84") -> dict[str, Any]:
    """One map layer as a GeoJSON FeatureCollection of what the reader may see."""
    family, kind = LAYERS[layer]
    source = visible_places if family == "place" else visible_zones
    rows = (
        source(actor)
        .filter(kind=kind, geometry__isnull=False)
        .order_by("code")
        .values_list(
            "pk", "code", "name", "geometry", *(["management"] if family == "place" else [])
        )
    )
    kind_label = str(Place.Kind(kind).label if family == "place" else Zone.Kind(kind).label)
    features = []
    for pk, code, name, geometry, *rest in rows:
        props: dict[str, Any] = {
            "id": pk,
            "code": code,
            "name": name,
            "kind": str(kind),
            "kind_label": kind_label,
        }
        if kind == Place.Kind.COMPOUND:
            management = rest[0]
            props["management"] = management
            props["management_label"] = (
                str(Place.Management(management).label) if management else ""
            )
        if crs == "gcj02":
            geometry = geo.convert_geometry(geometry, geo.wgs84_to_gcj02)
        features.append(
            {"type": "Feature", "id": f"{family}-{pk}", "geometry": geometry, "properties": props}
        )
    return {"type": "FeatureCollection", "layer": layer, "coords": crs, "features": features}


def locate(actor, lng: float, lat: float) -> dict[str, Any]:
    """What contains a WGS-84 point, naming only what the reader may see."""
    scope = scope_for(actor)

    def visible(f: geo.Feature) -> bool:
        return (f.is_zone and f.id in scope.zone_ids) or scope.covers_path(f.path)

    return geo.locate(lng, lat, visible=None if scope.everything else visible)


def place_summary(actor, place: Place) -> dict[str, Any]:
    """Counts below a place, by kind, within the reader's scope."""
    below = visible_places(actor).filter(path__startswith=place.path).exclude(pk=place.pk)
    zones = visible_zones(actor).filter(place__path__startswith=place.path)
    return {
        "children_count": below.filter(parent_id=place.pk).count(),
        "descendant_counts": _by_kind(below),
        "zone_counts": _by_kind(zones),
    }


def unit_summary(actor, unit: Unit) -> dict[str, int]:
    return {
        "children_count": visible_units(actor).filter(parent_id=unit.pk).count(),
        "people_count": visible_people(actor).filter(unit_id=unit.pk).count(),
    }


def _by_kind(qs: QuerySet) -> dict[str, int]:
    return dict(qs.order_by().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))


def _corners(coordinates: Any, box: list[float]) -> None:
    if coordinates and isinstance(coordinates[0], int | float):
        lng, lat = coordinates[0], coordinates[1]
        box[:] = [min(box[0], lat), min(box[1], lng), max(box[2], lat), max(box[3], lng)]
        return
    for part in coordinates or ():
        _corners(part, box)


def home_bounds(user) -> list[list[float]] | None:
    """Where a map should open for this account: the box of the one area its work covers
    (a steward's compound, a community worker's community), else None (the whole outline).
    """
    scope = scope_for(user)
    if scope.everything or len(scope.place_paths) != 1:
        return None
    (path,) = scope.place_paths
    geometry = Place.objects.filter(path=path).values_list("geometry", flat=True).first()
    if not geometry:
        return None
    box = [90.0, 180.0, -90.0, -180.0]
    _corners(geometry.get("coordinates"), box)
    if box[0] > box[2]:
        return None
    return [[box[0], box[1]], [box[2], box[3]]]


def public_outlines(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Names and shapes of the areas of ``kinds`` as GeoJSON features, for pages without an
    account (the resident's report map): public facts, so no scope applies."""
    rows = (
        Place.objects.filter(kind__in=kinds, geometry__isnull=False)
        .order_by("path")
        .values_list("kind", "name", "geometry")
    )
    return [
        {"type": "Feature", "geometry": geometry, "properties": {"kind": kind, "name": name}}
        for kind, name, geometry in rows
    ]
