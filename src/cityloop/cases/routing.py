"""Which unit dispatches a case at its level, and which unit a category sends it to.

The place tree decides: a case in a compound is dispatched by the community that holds the
compound (its committee, else the street office above it), a street-level case by the street
office, a district-level case by the district's own office. The rule is the same for intake,
escalation and the default of the dispatch form, so it lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import QuerySet

from cityloop.cases.models import Category, Level
from cityloop.org.models import Place, Unit

# The place kind whose office dispatches a case of each level.
DISPATCH_PLACE_KIND = {
    Level.BUILDING: Place.Kind.COMMUNITY,
    Level.COMPOUND: Place.Kind.COMMUNITY,
    Level.COMMUNITY: Place.Kind.COMMUNITY,
    Level.STREET: Place.Kind.STREET,
    Level.DISTRICT: Place.Kind.DISTRICT,
}
# Which kinds of unit act for a place, best first.
OFFICE_KINDS = {
    Place.Kind.COMMUNITY: [Unit.Kind.COMMUNITY_COMMITTEE],
    Place.Kind.STREET: [Unit.Kind.STREET_OFFICE],
    Place.Kind.DISTRICT: [Unit.Kind.PARTY_GOVERNMENT, Unit.Kind.BUREAU],
}
_KIND_ORDER = [k.value for k in Place.Kind]


def ancestors(place: Place | None) -> list[Place]:
    """The place and its ancestors, nearest first (one query for the whole chain)."""
    if place is None:
        return []
    codes = [c for c in place.path.strip("/").split("/") if c]
    chain = getattr(place, "_cityloop_chain", None)  # read with the place (intake)
    if chain is None or [p.code for p in reversed(chain)] != codes:
        by_code = {p.code: p for p in Place.objects.filter(code__in=codes)}
        chain = [by_code[c] for c in reversed(codes) if c in by_code]
    return chain


# Inside :func:`memo` (a batch of reports): each place chain and office is read once.
_memo: ContextVar[dict | None] = ContextVar("routing_memo", default=None)


@contextmanager
def memo() -> Iterator[None]:
    """Read each place chain and each office once while the block runs (a batch intake,
    where many reports fall in the same few compounds)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: str, load: Callable[[], Any]) -> Any:
    """``load()`` — once per :func:`memo` block when one is running (a query set is read
    into a list then), else every time."""
    cache = _memo.get()
    if cache is None:
        return load()
    if key not in cache:
        value = load()
        cache[key] = list(value) if isinstance(value, QuerySet) else value
    return cache[key]


def memoising() -> bool:
    """Whether a :func:`memo` block is running."""
    return _memo.get() is not None


def remember(key: Any, value: Any) -> None:
    """Keep ``value`` under ``key`` for the running :func:`memo` block (none: nothing kept),
    for :func:`remembered` to give back: what a batch worked out for all its rows at once."""
    cache = _memo.get()
    if cache is not None:
        cache[key] = value


def place_with_chain(pks: list[int], deepest: int) -> Place | None:
    cache = _memo.get()
    if cache is None:
        return _place_with_chain(pks, deepest)
    key = ("chain", tuple(pks), deepest)
    if key not in cache:
        cache[key] = _place_with_chain(pks, deepest)
    return cache[key]


def _place_with_chain(pks: list[int], deepest: int) -> Place | None:
    """Place ``deepest`` with its ancestors kept on it for :func:`ancestors`, in one query
    when ``pks`` (what the map found around a point) holds the whole chain."""
    by_pk = {p.pk: p for p in Place.objects.filter(pk__in={*pks, deepest})}
    place = by_pk.get(deepest)
    if place is None:
        return None
    by_code = {p.code: p for p in by_pk.values()}
    codes = [c for c in place.path.strip("/").split("/") if c]
    if all(c in by_code for c in codes):
        place._cityloop_chain = [by_code[c] for c in reversed(codes)]
    return place


def office_for(place: Place | None, level: str) -> Unit | None:
    """The unit that acts for ``place`` at ``level``; climbs when a level has no office."""
    cache = _memo.get()
    if cache is None or place is None:
        return _office_for(place, level)
    key = ("office", place.pk, level)
    if key not in cache:
        cache[key] = _office_for(place, level)
    return cache[key]


def _office_for(place: Place | None, level: str) -> Unit | None:
    chain = ancestors(place)
    wanted = DISPATCH_PLACE_KIND[Level(level)]
    start = _KIND_ORDER.index(wanted)
    kinds = _KIND_ORDER[start::-1]  # wanted kind, then the kinds above it
    seats = [p for p in chain if p.kind in kinds and p.kind in OFFICE_KINDS]
    if not seats:
        return None
    # Every candidate office of the chain in one query; the outermost of a kind first (a
    # street office, not one of its internal offices).
    offices: dict[tuple[int, str], Unit] = {}
    wanted_kinds = {k for p in seats for k in OFFICE_KINDS[p.kind]}
    for unit in Unit.objects.filter(place__in=seats, kind__in=wanted_kinds).order_by(
        "depth", "path"
    ):
        offices.setdefault((unit.place_id, unit.kind), unit)
    for kind in kinds:
        for p in chain:
            if p.kind != kind:
                continue
            for unit_kind in OFFICE_KINDS.get(kind, []):
                unit = offices.get((p.pk, unit_kind))
                if unit is not None:
                    return unit
    return None


def default_unit(category: Category | None, place: Place | None, level: str) -> Unit | None:
    """Where the dispatch form points by default: the category's unit, or the office of the
    place at the category's level."""
    if category is not None and category.routing == Category.Routing.UNIT and category.default_unit:
        return category.default_unit
    return office_for(place, level)


def level_of_place(place: Place | None) -> str:
    """The handling level a place sits at (a compound's case is a compound matter)."""
    if place is None:
        return Level.COMMUNITY
    return {
        Place.Kind.BUILDING: Level.BUILDING,
        Place.Kind.COMPOUND: Level.COMPOUND,
        Place.Kind.COMMUNITY: Level.COMMUNITY,
        Place.Kind.STREET: Level.STREET,
        Place.Kind.DISTRICT: Level.DISTRICT,
    }[Place.Kind(place.kind)]


def initial_level(category: Category | None, place: Place | None) -> str:
    """Start at the category's level, but never below the area the case was found in: a case
    found in a compound or building may start as low as the building; one known only by its
    community or street starts at that level."""
    order = Level.order()
    level = category.level if category is not None else Level.COMMUNITY
    inside_compound = place is not None and place.kind in (Place.Kind.BUILDING, Place.Kind.COMPOUND)
    floor = Level.BUILDING if inside_compound else level_of_place(place)
    return max(level, floor, key=order.index)
