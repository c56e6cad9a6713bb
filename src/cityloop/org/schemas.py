"""Input and output shapes of the org API."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from ninja import Schema

T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int  # all matching rows, not just this page
    limit: int
    offset: int


class Ref(Schema):
    id: int
    code: str
    name: str


class PlaceRef(Ref):
    kind: str


class UnitRef(Ref):
    kind: str


# --- places ---------------------------------------------------------------------------------


class PlaceRow(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    path: str
    depth: int
    management: str
    management_label: str
    address: str
    children_count: int
    has_geometry: bool


class PlacePage(Page[PlaceRow]):
    pass


class PersonRef(Ref):
    title: str
    phone: str
    unit: UnitRef | None


class DutyTarget(Schema):
    type: Literal["zone", "place"]
    id: int
    code: str
    name: str
    kind: str


class DutyOut(Schema):
    id: int
    role: str
    role_label: str
    level: str
    level_label: str
    person: PersonRef
    target: DutyTarget


class PartnerOut(Schema):
    unit: UnitRef
    since: str | None
    note: str


class PlaceDetail(PlaceRow):
    parent: PlaceRef | None
    descendant_counts: dict[str, int]  # visible places under this one, by kind
    zone_counts: dict[str, int]  # visible zones belonging to this place or below, by kind
    duties: list[DutyOut]
    partners: list[PartnerOut]  # compounds only; empty otherwise
    attrs: dict[str, Any]
    geometry: dict[str, Any] | None


# --- units ----------------------------------------------------------------------------------


class UnitRow(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    parent_id: int | None
    place: PlaceRef | None
    path: str
    depth: int


class UnitPage(Page[UnitRow]):
    pass


class UnitDetail(UnitRow):
    parent: UnitRef | None
    work_hours: str
    works_weekends: bool
    round_the_clock: bool
    children_count: int
    people_count: int


# --- zones ----------------------------------------------------------------------------------


class ZoneRow(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    place: PlaceRef
    duty_count: int
    has_geometry: bool


class ZonePage(Page[ZoneRow]):
    pass


class ZoneDetail(ZoneRow):
    duties: list[DutyOut]
    attrs: dict[str, Any]
    geometry: dict[str, Any] | None


# --- people ---------------------------------------------------------------------------------


class PersonRow(Schema):
    id: int
    code: str
    name: str
    title: str
    phone: str
    unit: UnitRef | None
    place: PlaceRef | None
    has_account: bool


class PersonPage(Page[PersonRow]):
    pass


class PersonDetail(PersonRow):
    duties: list[DutyOut]


# --- geo ------------------------------------------------------------------------------------


class RoadHit(Ref):
    distance_m: float


class LocateOut(Schema):
    lng: float  # WGS-84, after conversion when the request was in GCJ-02
    lat: float
    district: Ref | None
    street: Ref | None
    community: Ref | None
    compound: Ref | None
    building: Ref | None
    grid: Ref | None
    road: RoadHit | None


class FeatureOut(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureCollectionOut(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    layer: str
    coords: Literal["wgs84", "gcj02"]
    features: list[FeatureOut]
