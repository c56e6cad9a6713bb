"""The one scope rule: which places, units and zones an account covers.

An account covers
- everything, if it is a superuser;
- the subtree of the place its person is attached to;
- the subtree of its unit, and the subtree of the place that unit covers
  (a street office covers its street);
- the objects of its duties (a road chief's roads, a compound head's compound).

Need to know: the whole district is read only by the roles whose work is the whole district
(``roles.DISTRICT_READERS``: administrator, district leader, supervisor — the district desk).
A district bureau (区住建局, 区城管局) sits at the district, but its staff see what is
dispatched to, assigned to or asked of their unit — through the unit, never through the
district place; where a unit or person sits does not by itself open every street's records.

The same holds one level down: a street's internal office (街道城管办, unit kind ``office``)
reads what reaches its unit — the cases it is responsible for, assists or dispatched, its
tasks, letters and projects, the people of its unit — not its whole street. The street is
read through an office only by the street desk itself (``roles.STREET_READERS``) and the
district readers.

Every app filters through :meth:`Scope.places_q` / :meth:`Scope.units_q` /
:meth:`Scope.zones_q` / :meth:`Scope.covered_units_q`, and asks :meth:`Scope.covers` (or
:func:`covers` for an account) before acting. A unit is covered if it lies in one of the
account's unit subtrees *or its place is covered* (a street office covers the committees and
offices that sit in its street) — the one rule, in :meth:`Scope.covers` and, for querysets, in
:meth:`Scope.covered_units_q`. An object outside the
scope is reported as *not found*, so that its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from cityloop.core import orgmodels, roles


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    place_paths: frozenset[str] = field(default_factory=frozenset)
    unit_paths: frozenset[str] = field(default_factory=frozenset)
    zone_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.place_paths or self.unit_paths or self.zone_ids)

    def _paths_q(self, paths: frozenset[str], lookup: str) -> Q:
        if self.everything:
            return Q()
        q = Q(pk__in=[])  # matches nothing: an empty scope sees nothing
        for path in sorted(paths):
            q |= Q(**{f"{lookup}__startswith": path})
        return q

    def places_q(self, prefix: str = "") -> Q:
        """Filter for a queryset of places (``prefix=""``) or of rows with a place FK
        (``prefix="place__"``)."""
        return self._paths_q(self.place_paths, f"{prefix}path")

    def units_q(self, prefix: str = "") -> Q:
        return self._paths_q(self.unit_paths, f"{prefix}path")

    def zones_q(self, prefix: str = "") -> Q:
        if self.everything:
            return Q()
        return self.places_q(f"{prefix}place__") | Q(**{f"{prefix}pk__in": sorted(self.zone_ids)})

    def covered_units_q(self, prefix: str = "") -> Q:
        """Filter for the units :meth:`covers` (``prefix=""``) or rows with a unit FK
        (``prefix="unit__"``): the unit is in a unit subtree, or sits in a covered place."""
        if self.everything:
            return Q()
        return self.units_q(prefix) | self.places_q(f"{prefix}place__")

    def people_q(self) -> Q:
        if self.everything:
            return Q()
        return self.places_q("place__") | self.units_q("unit__")

    def covers_path(self, path: str, *, unit: bool = False) -> bool:
        if self.everything:
            return True
        paths = self.unit_paths if unit else self.place_paths
        return any(path.startswith(p) for p in paths)

    def covers(self, obj) -> bool:
        """Does the scope cover this place, unit, zone or person?"""
        Person, Place, Unit, Zone = orgmodels.get("Person", "Place", "Unit", "Zone")

        if self.everything:
            return True
        if isinstance(obj, Place):
            return self.covers_path(obj.path)
        if isinstance(obj, Unit):  # the one unit rule (see covered_units_q)
            if self.covers_path(obj.path, unit=True):
                return True
            return obj.place_id is not None and self.covers_path(obj.place.path)
        if isinstance(obj, Zone):
            return obj.pk in self.zone_ids or self.covers_path(obj.place.path)
        if isinstance(obj, Person):
            return (obj.place is not None and self.covers_path(obj.place.path)) or (
                obj.unit is not None and self.covers_path(obj.unit.path, unit=True)
            )
        raise TypeError(f"scope has no rule for {type(obj).__name__}")

    def describe(self) -> dict:
        return {
            "everything": self.everything,
            "place_paths": sorted(self.place_paths),
            "unit_paths": sorted(self.unit_paths),
            "zone_ids": sorted(self.zone_ids),
        }


NOTHING = Scope()


def covers(user, obj) -> bool:
    """Does the account's scope cover this place, unit, zone or person (``None``: no)?"""
    return obj is not None and scope_for(user).covers(obj)


def scope_for(user) -> Scope:
    """The scope of an account, computed once per user object (i.e. per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_cityloop_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    user._cityloop_scope = scope
    return scope


def unit_ids_for(user, scope: Scope | None = None) -> tuple[int, ...]:
    """Ids of the units in the account's unit subtrees, read once per user object (one
    query) and kept there: lists pass them to the database as literals, so its planner can
    estimate them (a sub-query it cannot). ``scope`` defaults to the account's own."""
    own = scope_for(user)
    scope = own if scope is None else scope
    if not scope.unit_paths:
        return ()
    cacheable = scope is own and user is not None
    if cacheable and getattr(user, "_cityloop_unit_ids", None) is not None:
        return user._cityloop_unit_ids
    own_units = getattr(user, "_cityloop_own_unit_ids", None) if cacheable else None
    if own_units is not None and scope.unit_paths == frozenset({own_units[0]}):
        user._cityloop_unit_ids = own_units[1]  # read with the person (_load): no query
        return own_units[1]
    Unit = orgmodels.get("Unit")

    ids = tuple(
        sorted(Unit.objects.filter(scope.units_q()).order_by().values_list("pk", flat=True))
    )
    if cacheable:
        user._cityloop_unit_ids = ids
    return ids


@dataclass(frozen=True)
class Duty:
    """One of a person's duties (:class:`~cityloop.org.models.ZoneRole`) as the rules read it."""

    role: str
    zone_id: int | None
    place_path: str


def _joined(vendor: str, expression: str, sep: str) -> str:
    if vendor == "postgresql":
        return f"STRING_AGG({expression}, '{sep}')"
    return f"GROUP_CONCAT({expression}, '{sep}')"


def _load(user) -> None:
    """Read the account's person (with its unit and places), its roles and its duties in one
    statement, and keep them on the user object: every rule of the request reads them from
    there (:func:`person_for`, :func:`duties_for`, :func:`~cityloop.core.roles.roles_of`)."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    Person = orgmodels.get("Person")

    vendor = connection.vendor
    zone = "CAST(zr.zone_id AS TEXT)" if vendor == "postgresql" else "zr.zone_id"
    roles_sql = (
        f"SELECT {_joined(vendor, 'g.name', ',')} FROM auth_group g "
        "JOIN auth_user_groups ug ON ug.group_id = g.id WHERE ug.user_id = org_person.user_id"
    )
    duty = f"zr.role || '|' || COALESCE({zone}, '') || '|' || COALESCE(dp.path, '')"
    duties_sql = (
        f"SELECT {_joined(vendor, duty, ';')} "
        "FROM org_zonerole zr LEFT JOIN org_place dp ON dp.id = zr.place_id "
        "WHERE zr.person_id = org_person.id"
    )
    # The ids of the person's unit subtree (the unit part of its scope), for lists that pass
    # them as literals (unit_ids_for); substr, not LIKE: a code may hold "_".
    uid = "CAST(u.id AS TEXT)" if vendor == "postgresql" else "u.id"
    units_sql = (
        f"SELECT {_joined(vendor, uid, ',')} FROM org_unit u "
        "JOIN org_unit pu ON pu.id = org_person.unit_id "
        "WHERE substr(u.path, 1, length(pu.path)) = pu.path"
    )
    person = (
        Person.objects.select_related("place", "unit", "unit__place")
        .annotate(
            _roles=RawSQL(roles_sql, ()),
            _duties=RawSQL(duties_sql, ()),
            _unit_ids=RawSQL(units_sql, ()),
        )
        .filter(user=user)
        .order_by()
        .first()
    )
    duties: list[Duty] = []
    if person is not None:
        if getattr(user, "_cityloop_roles", None) is None:
            user._cityloop_roles = sorted(r for r in (person._roles or "").split(",") if r)
        for part in (person._duties or "").split(";"):
            if not part:
                continue
            role, zone_id, path = part.split("|", 2)
            duties.append(Duty(role, int(zone_id) if zone_id else None, path))
        person._state.fields_cache["user"] = user
        if person.unit_id:
            ids = (int(x) for x in str(person._unit_ids or "").split(",") if x)
            user._cityloop_own_unit_ids = (person.unit.path, tuple(sorted(ids)))
    state = getattr(user, "_state", None)
    if state is not None:  # ``user.person`` answers from here too (None: no such row)
        state.fields_cache["person"] = person
    user._cityloop_person = person
    user._cityloop_duties = tuple(duties)


def person_for(user):
    """The account's person in the organisation (or None), read once per user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_cityloop_person"):
        _load(user)
    return user._cityloop_person


def duties_for(user) -> tuple[Duty, ...]:
    """The account's duties (zone roles), read once per user object with its person."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    if not hasattr(user, "_cityloop_duties"):
        _load(user)
    return user._cityloop_duties


def _compute(user) -> Scope:
    if user.is_superuser:
        return Scope(everything=True)
    person = person_for(user)
    if person is None:
        return NOTHING
    places: set[str] = set()
    units: set[str] = set()
    zones: set[int] = set()
    # A place of the person's or of the unit's; a district place only for a district reader,
    # the place of an internal office only for the street desk (roles are read only then, so
    # street and community accounts pay no extra query).
    if person.place is not None and _reads_place(user, person.place):
        places.add(person.place.path)
    unit = person.unit
    if unit is not None and unit.place is not None and _reads_place(user, unit.place, unit=unit):
        places.add(unit.place.path)
    if person.unit is not None:
        units.add(person.unit.path)
    for duty in duties_for(user):
        if duty.zone_id:
            zones.add(duty.zone_id)
        elif duty.place_path:
            places.add(duty.place_path)
    return Scope(
        place_paths=frozenset(_outermost(places)),
        unit_paths=frozenset(_outermost(units)),
        zone_ids=frozenset(zones),
    )


def _reads_place(user, place, *, unit=None) -> bool:
    """Does this seat open its place? A district only to a district reader; the place of an
    internal office only to the street desk; any other place (a street office's street, a
    community committee's community, a person's compound) always."""
    if place.kind == "district":
        return roles.has_any(user, roles.DISTRICT_READERS)
    if unit is not None and unit.kind == "office":
        return roles.has_any(user, roles.STREET_READERS)
    return True


def _outermost(paths: set[str]) -> set[str]:
    """Drop paths already inside another path of the set."""
    return {p for p in paths if not any(p != q and p.startswith(q) for q in paths)}
