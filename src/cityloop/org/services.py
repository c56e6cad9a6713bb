"""Writes to reference data: places, units, zones, people, duties, accounts.

Each function validates (``full_clean`` plus the tree rules), writes, and records an event;
importers and the demo call the same functions, so a rule is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import InvalidInput
from cityloop.core.roles import AccountRole, ensure_role_groups
from cityloop.org import geometry
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole


def _clean(obj) -> None:
    try:
        obj.full_clean(exclude=["path", "depth"])
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_record",
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
            {"fields": exc.message_dict},
        ) from exc


def _changed(obj, values: dict[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in values.items())


def _build(model, code: str, values: dict[str, Any], existing, *, fast: bool = False):
    """``(obj, outcome)`` for one upsert by code, checked but not written.

    ``existing`` is the stored row with that code, or None. ``fast`` leaves out the checks
    that query the database per row (foreign keys exist, code unique, table constraints):
    a bulk writer has looked the references up in batches and the database enforces the rest.
    """
    if existing is None:
        obj = model(code=code, **values)
        outcome = "created"
    elif _changed(existing, values):
        obj = existing
        for k, v in values.items():
            setattr(obj, k, v)
        outcome = "updated"
    else:
        return existing, "unchanged"
    if fast:
        _clean_fast(obj)
    else:
        _clean(obj)
    return obj, outcome


def _clean_fast(obj) -> None:
    relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    try:
        obj.full_clean(
            exclude=["path", "depth", *relations],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_record",
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
            {"fields": exc.message_dict},
        ) from exc


def _upsert(model, code: str, values: dict[str, Any], *, actor, verb: str):
    """Create or update by code; writes (and logs) only when something differs.

    Returns ``(obj, outcome)`` with outcome one of ``created``, ``updated``, ``unchanged``.
    """
    obj, outcome = _build(model, code, values, model.objects.filter(code=code).first())
    if outcome == "unchanged":
        return obj, outcome
    obj.save()
    events.record_on(obj, actor=actor, verb=f"{verb}_{outcome}", data={"code": code})
    return obj, outcome


BULK_BATCH = 500  # rows per INSERT/UPDATE and per lookup: under SQLite's variable limit


def _code_data(obj) -> dict[str, Any]:
    return {"code": obj.code}


def bulk_write(
    model,
    verb: str,
    built: list[tuple[Any, str]],
    fields: list[str],
    *,
    actor,
    verbs: dict[str, str] | None = None,
    data: Callable[[Any], dict[str, Any]] = _code_data,
) -> None:
    """Write rows checked by a ``*_build`` function: INSERTs and UPDATEs in batches, their
    history and their events in batches too. Runs in the caller's (one, short) transaction.

    Each row's event is ``<verb>_created`` / ``<verb>_updated`` (or ``verbs[outcome]``) with
    ``data(obj)`` (default: its code), as the row-by-row service records it.

    ``built`` is in the order rows may be written (a tree's parents before their children).
    Creating happens one tree level at a time, since a child's INSERT needs its parent's id.
    ``fields`` are the ones an update writes: only what the import owns, so a column another
    writer changed meanwhile (a person's account) is not put back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk_write runs in the transaction of the import")
    created = [o for o, outcome in built if outcome == "created"]
    updated = [o for o, outcome in built if outcome == "updated"]
    _bulk_create_by_level(model, created)
    if updated:
        for obj in updated:
            if getattr(obj, "parent", None) is not None:
                obj.parent_id = obj.parent.pk
        model.objects.bulk_update(updated, fields, batch_size=BULK_BATCH)
    if hasattr(model, "history"):
        _bulk_history(model.history.model, created, updated, actor)
    from django.contrib.contenttypes.models import ContentType

    from cityloop.core.models import Event

    shared = events.event_fields(actor=actor, verb="")
    shared["actor_id"] = shared.pop("actor").pk if shared["actor"] is not None else None
    object_type_id = ContentType.objects.get_for_model(model).pk
    _insert_many(
        Event,
        (
            {
                **shared,
                "verb": (verbs or {}).get(outcome) or f"{verb}_{outcome}",
                "data": data(o),
                "object_type_id": object_type_id,
                "object_id": str(o.pk),
            }
            for objs, outcome in ((created, "created"), (updated, "updated"))
            for o in objs
        ),
    )


def _bulk_create_by_level(model, created: list[Any]) -> None:
    """INSERT new rows one tree level at a time (a child needs its parent's id); each row
    gets its id."""
    levels: dict[int, list[Any]] = {}
    for obj in created:
        levels.setdefault(getattr(obj, "depth", 0), []).append(obj)
    for depth in sorted(levels):
        objs = levels[depth]
        for obj in objs:  # the parent got its id in the level before
            if getattr(obj, "parent", None) is not None:
                obj.parent_id = obj.parent.pk
        model.objects.bulk_create(objs, batch_size=BULK_BATCH)
        if objs and objs[0].pk is None:  # a database that does not return ids from INSERT
            if not hasattr(model, "code"):
                raise RuntimeError(f"{model.__name__}: the database gave back no ids")
            ids = {}
            for i in range(0, len(objs), BULK_BATCH):
                batch = [o.code for o in objs[i : i + BULK_BATCH]]
                ids.update(model.objects.filter(code__in=batch).values_list("code", "pk"))
            for obj in objs:
                obj.pk = ids[obj.code]


def _bulk_history(history, created: list[Any], updated: list[Any], actor) -> None:
    """What save() would have written, one record per row: "+" created, "~" updated."""
    user = actor if getattr(actor, "pk", None) else None
    now = clock.now()
    tracked = [f.attname for f in history.tracked_fields]
    _insert_many(
        history,
        (
            {
                **{a: getattr(o, a) for a in tracked},
                "history_date": now,
                "history_change_reason": None,
                "history_type": kind,
                "history_user_id": getattr(user, "pk", None),
            }
            for objs, kind in ((created, "+"), (updated, "~"))
            for o in objs
        ),
    )


_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _insert_many(model, rows: Iterable[dict[str, Any]]) -> None:
    """INSERT rows whose ids nobody needs back (history, events) with the DB-API's
    executemany: the ORM's per-value compiling was most of an import's time.

    ``rows`` hold attribute names (``actor_id``) and Python values; values of fields that
    need the database's form (JSON, time) go through the field, the rest are passed as is.
    They are consumed a chunk at a time, so 100 k rows are never all held as SQL values.
    """
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    plain = [isinstance(f, _PLAIN_FIELDS) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    rows = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(rows, BULK_BATCH * 4)):
            cursor.executemany(
                sql,
                [
                    [
                        row.get(f.attname)
                        if is_plain
                        else f.get_db_prep_save(row.get(f.attname), connection)
                        for f, is_plain in zip(fields, plain, strict=True)
                    ]
                    for row in chunk
                ],
            )


def place_build(
    *,
    code: str,
    name: str,
    kind: str,
    existing: Place | None,
    parent: Place | None = None,
    management: str = "",
    address: str = "",
    geometry_json: dict | None = None,
    attrs: dict | None = None,
    is_demo: bool = False,
    fast: bool = False,
) -> tuple[Place, str]:
    """A place checked by every rule of :func:`place_save`, not written (``fast``: see
    :func:`_build`). Its path is computed, so children built after it see it."""
    problem = Place(kind=kind, parent=parent).parent_problem()
    if problem:
        raise InvalidInput("place_bad_parent", problem)
    if geometry_json is not None:
        geometry.check(geometry_json, allowed={"Polygon", "MultiPolygon", "Point"})
    values = {
        "name": name,
        "kind": kind,
        "parent": parent,
        "management": management,
        "address": address,
        "geometry": geometry_json,
        "attrs": attrs or {},
        "is_demo": is_demo,
    }
    # The kind rule (each kind sits one level under the next) already makes cycles impossible.
    place, outcome = _build(Place, code, values, existing, fast=fast)
    if outcome != "unchanged":
        place.compute_path()
    return place, outcome


@transaction.atomic
def place_save(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    parent: Place | None = None,
    management: str = "",
    address: str = "",
    geometry_json: dict | None = None,
    attrs: dict | None = None,
    is_demo: bool = False,
) -> tuple[Place, str]:
    place, outcome = place_build(
        code=code,
        name=name,
        kind=kind,
        existing=Place.objects.filter(code=code).first(),
        parent=parent,
        management=management,
        address=address,
        geometry_json=geometry_json,
        attrs=attrs,
        is_demo=is_demo,
    )
    return _save_tree_node(place, outcome, actor=actor, verb=f"place_{outcome}")


# The fields an update of a built place / person / unit writes (bulk_write): every field its
# ``*_build`` sets, never a person's account link. One list for the importers and the demo.
PLACE_FIELDS = [
    "name",
    "kind",
    "parent",
    "management",
    "address",
    "geometry",
    "attrs",
    "is_demo",
    "path",
    "depth",
]
PERSON_FIELDS = ["name", "unit", "place", "phone", "title", "is_demo"]
UNIT_FIELDS = [
    "name",
    "kind",
    "parent",
    "place",
    "short_name",
    "work_hours",
    "works_weekends",
    "round_the_clock",
    "is_demo",
    "path",
    "depth",
]


def unit_build(
    *,
    code: str,
    name: str,
    kind: str,
    existing: Unit | None,
    parent: Unit | None = None,
    place: Place | None = None,
    short_name: str = "",
    work_hours: str = "",
    works_weekends: bool = False,
    round_the_clock: bool = False,
    is_demo: bool = False,
    fast: bool = False,
) -> tuple[Unit, str]:
    """A unit checked by every rule of :func:`unit_save`, not written (``fast``: see
    :func:`_build`); its path computed, so units built after it under it see it."""
    if work_hours:
        from cityloop.core.worktime import parse_work_hours

        parse_work_hours(work_hours)  # raises InvalidInput on a bad spec
    values = {
        "name": name,
        "kind": kind,
        "parent": parent,
        "place": place,
        "short_name": short_name,
        "work_hours": work_hours,
        "works_weekends": works_weekends,
        "round_the_clock": round_the_clock,
        "is_demo": is_demo,
    }
    if existing is not None and parent is not None and parent.path.startswith(existing.path):
        raise InvalidInput("unit_cycle", _("A unit cannot sit under itself"))
    unit, outcome = _build(Unit, code, values, existing, fast=fast)
    if outcome != "unchanged":
        unit.compute_path()
    return unit, outcome


@transaction.atomic
def unit_save(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    place: Place | None = None,
    short_name: str = "",
    work_hours: str = "",
    works_weekends: bool = False,
    round_the_clock: bool = False,
    is_demo: bool = False,
) -> tuple[Unit, str]:
    unit, outcome = unit_build(
        code=code,
        name=name,
        kind=kind,
        existing=Unit.objects.filter(code=code).first(),
        parent=parent,
        place=place,
        short_name=short_name,
        work_hours=work_hours,
        works_weekends=works_weekends,
        round_the_clock=round_the_clock,
        is_demo=is_demo,
    )
    return _save_tree_node(unit, outcome, actor=actor, verb=f"unit_{outcome}")


def _save_tree_node(node, outcome: str, *, actor, verb: str):
    """Save a built place or unit with its event, and move its subtree's paths when it
    moved: one step for both trees."""
    if outcome == "unchanged":
        return node, outcome
    node.save()
    events.record_on(node, actor=actor, verb=verb, data={"code": node.code})
    if outcome == "updated":
        _repath_descendants(type(node), node)
    return node, outcome


def _repath_descendants(model, node) -> None:
    """After a node moves, its descendants' paths follow (parents saved before children)."""
    for child in model.objects.filter(parent=node).order_by("pk"):
        old = child.path
        child.save(update_fields=["path", "depth"])
        if child.path != old:
            _repath_descendants(model, child)


ZONE_FIELDS = ["name", "kind", "place", "geometry", "attrs", "is_demo"]


def zone_build(
    *,
    code: str,
    name: str,
    kind: str,
    existing: Zone | None,
    place: Place,
    geometry_json: dict | None = None,
    attrs: dict | None = None,
    is_demo: bool = False,
    fast: bool = False,
) -> tuple[Zone, str]:
    """A zone checked by every rule of :func:`zone_save`, not written."""
    if geometry_json is not None:
        geometry.check(geometry_json, allowed=Zone.GEOMETRY_TYPES[Zone.Kind(kind)])
    values = {
        "name": name,
        "kind": kind,
        "place": place,
        "geometry": geometry_json,
        "attrs": attrs or {},
        "is_demo": is_demo,
    }
    return _build(Zone, code, values, existing, fast=fast)


@transaction.atomic
def zone_save(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    place: Place,
    geometry_json: dict | None = None,
    attrs: dict | None = None,
    is_demo: bool = False,
) -> tuple[Zone, str]:
    zone, outcome = zone_build(
        code=code,
        name=name,
        kind=kind,
        existing=Zone.objects.filter(code=code).first(),
        place=place,
        geometry_json=geometry_json,
        attrs=attrs,
        is_demo=is_demo,
    )
    if outcome == "unchanged":
        return zone, outcome
    zone.save()
    events.record_on(zone, actor=actor, verb=f"zone_{outcome}", data={"code": code})
    return zone, outcome


def _person_values(**values: Any) -> dict[str, Any]:
    return {k: values[k] for k in ("name", "unit", "place", "phone", "title", "is_demo")}


def person_build(
    *,
    code: str,
    name: str,
    existing: Person | None,
    unit: Unit | None = None,
    place: Place | None = None,
    phone: str = "",
    title: str = "",
    is_demo: bool = False,
    fast: bool = False,
) -> tuple[Person, str]:
    """A person checked by every rule of :func:`person_save`, not written."""
    values = _person_values(
        name=name, unit=unit, place=place, phone=phone, title=title, is_demo=is_demo
    )
    return _build(Person, code, values, existing, fast=fast)


@transaction.atomic
def person_save(
    *,
    actor,
    code: str,
    name: str,
    unit: Unit | None = None,
    place: Place | None = None,
    phone: str = "",
    title: str = "",
    is_demo: bool = False,
) -> tuple[Person, str]:
    values = _person_values(
        name=name, unit=unit, place=place, phone=phone, title=title, is_demo=is_demo
    )
    return _upsert(Person, code, values, actor=actor, verb="person")


ROLE_TARGET = {
    ZoneRole.Role.ROAD_CHIEF: ("zone", {Zone.Kind.ROAD}),
    ZoneRole.Role.GRID_WORKER: ("zone", {Zone.Kind.GRID}),
    ZoneRole.Role.COMPOUND_HEAD: ("place", {Place.Kind.COMPOUND}),
    ZoneRole.Role.BUILDING_HEAD: ("place", {Place.Kind.BUILDING}),
    ZoneRole.Role.RED_STEWARD: ("place", {Place.Kind.COMPOUND, Place.Kind.BUILDING}),
    ZoneRole.Role.INSPECTOR: ("either", set()),
}


def duty_key(person_id, role: str, level: str, zone_id, place_id) -> tuple:
    """What makes a duty the same duty (the table's unique constraints)."""
    return (person_id, str(role), level or "", zone_id, place_id)


def duty_build(
    *,
    person: Person,
    role: str,
    level: str = "",
    zone: Zone | None = None,
    place: Place | None = None,
    existing: ZoneRole | None,
    is_demo: bool = False,
    fast: bool = False,
) -> tuple[ZoneRole, str]:
    """A duty checked by every rule of :func:`duty_assign`, not written; ``existing``: the
    stored duty with the same person, role, level and target, or None."""
    role = ZoneRole.Role(role)
    if (zone is None) == (place is None):
        raise InvalidInput("duty_bad_target", _("A duty needs exactly one zone or place"))
    target_kind, kinds = ROLE_TARGET[role]
    target = zone or place
    if target_kind != "either" and (
        (target_kind == "zone") != (zone is not None) or target.kind not in kinds
    ):
        raise InvalidInput(
            "duty_bad_target",
            _("A %(role)s cannot be assigned to %(target)s")
            % {"role": role.label, "target": target.name},
        )
    if role == ZoneRole.Role.ROAD_CHIEF and not level:
        raise InvalidInput("duty_level_required", _("A road chief needs a level"))
    if existing is not None:
        return existing, "unchanged"
    duty = ZoneRole(person=person, role=role, level=level, zone=zone, place=place, is_demo=is_demo)
    if fast:
        _clean_fast(duty)
    else:
        _clean(duty)
    return duty, "created"


def duty_data(duty: ZoneRole) -> dict[str, Any]:
    return {"person": duty.person.code}


@transaction.atomic
def duty_assign(
    *,
    actor,
    person: Person,
    role: str,
    level: str = "",
    zone: Zone | None = None,
    place: Place | None = None,
    is_demo: bool = False,
) -> tuple[ZoneRole, str]:
    """Give a person a duty on a zone or place; assigning twice changes nothing."""
    existing = ZoneRole.objects.filter(
        person=person, role=role, level=level, zone=zone, place=place
    ).first()
    duty, outcome = duty_build(
        person=person,
        role=role,
        level=level,
        zone=zone,
        place=place,
        existing=existing,
        is_demo=is_demo,
    )
    if outcome == "unchanged":
        return duty, outcome
    duty.save()
    events.record_on(duty, actor=actor, verb="duty_assign", data=duty_data(duty))
    return duty, "created"


PARTNERSHIP_FIELDS = ["note", "since"]


def partnership_build(
    *,
    unit: Unit,
    compound: Place,
    existing: Partnership | None,
    note: str = "",
    since: date | None = None,
    is_demo: bool = False,
) -> tuple[Partnership, str]:
    """A partnership checked by the rules of :func:`partnership_save`, not written."""
    if compound.kind != Place.Kind.COMPOUND:
        raise InvalidInput("partnership_bad_target", _("Partner units adopt compounds"))
    values = {"note": note, "since": since}
    if existing is None:
        return Partnership(unit=unit, compound=compound, is_demo=is_demo, **values), "created"
    if not _changed(existing, values):
        return existing, "unchanged"
    for k, v in values.items():
        setattr(existing, k, v)
    return existing, "updated"


@transaction.atomic
def partnership_save(
    *,
    actor,
    unit: Unit,
    compound: Place,
    note: str = "",
    since: date | None = None,
    is_demo: bool = False,
) -> tuple[Partnership, str]:
    row, outcome = partnership_build(
        unit=unit,
        compound=compound,
        existing=Partnership.objects.filter(unit=unit, compound=compound).first(),
        note=note,
        since=since,
        is_demo=is_demo,
    )
    if outcome == "created":
        row.save()
    elif outcome == "updated":
        row.save(update_fields=PARTNERSHIP_FIELDS)
    else:
        return row, outcome
    events.record_on(row, actor=actor, verb=f"partnership_{outcome}")
    return row, outcome


def _set_password(user, password: str | None, *, created: bool) -> None:
    """The one password rule: settings.AUTH_PASSWORD_VALIDATORS (length, common passwords,
    similarity to the username, all digits), with Django's own Chinese messages. A new account
    without a password gets an unusable one."""
    if password is None:
        if created:
            user.set_unusable_password()
        return
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            "account_weak_password",
            " ".join(str(m) for m in exc.messages),
            {"problems": [e.code for e in exc.error_list]},
        ) from exc
    user.set_password(password)


def _move_person(person: Person, *, unit: Unit | None, place: Place | None) -> bool:
    """Seat the account's person in ``unit`` / ``place`` when given and different."""
    moved = {}
    if unit is not None and person.unit_id != unit.pk:
        moved["unit"] = unit
    if place is not None and person.place_id != place.pk:
        moved["place"] = place
    for k, v in moved.items():
        setattr(person, k, v)
    if moved:
        person.save()
    return bool(moved)


@transaction.atomic
def account_save(
    *,
    actor,
    username: str,
    password: str | None = None,
    unit: Unit | None = None,
    place: Place | None = None,
    roles: list[str] | tuple[str, ...] = (),
    person: Person | None = None,
    name: str = "",
    is_superuser: bool = False,
    is_demo: bool = False,
):
    """Create or update an account, its roles (groups) and the person it stands for."""
    ensure_role_groups()
    bad = [r for r in roles if r not in AccountRole.values]
    if bad:
        raise InvalidInput(
            "account_bad_role",
            _("Unknown role: %(roles)s") % {"roles": ", ".join(bad)},
            {"allowed": list(AccountRole.values)},
        )
    if not username or len(username) > 150:
        raise InvalidInput("account_bad_username", _("Username is required"))
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    _set_password(user, password, created=created)
    changed = created or password is not None
    staff = is_superuser or user.is_superuser or AccountRole.ADMIN in roles
    if (user.is_superuser, user.is_staff) != (is_superuser or user.is_superuser, staff):
        user.is_superuser = is_superuser or user.is_superuser
        user.is_staff = staff
        changed = True
    if changed:
        user.save()
    if roles and sorted(user.groups.values_list("name", flat=True)) != sorted(roles):
        user.groups.set(Group.objects.filter(name__in=roles))
        changed = True
    if person is None:
        person = Person.objects.filter(user=user).first()
    if person is None:
        person, _o = person_save(
            actor=actor,
            code=f"acct-{username}",
            name=name or username,
            unit=unit,
            place=place,
            is_demo=is_demo,
        )
    elif _move_person(person, unit=unit, place=place):
        changed = True
    if person.user_id != user.pk:
        person.user = user
        person.save(update_fields=["user"])
        changed = True
    if not changed:
        return user
    events.record_on(
        user,
        actor=actor,
        verb="account_create" if created else "account_update",
        data={"roles": list(roles), "person": person.code},
    )
    return user
