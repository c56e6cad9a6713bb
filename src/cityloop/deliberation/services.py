"""Writes other than stage changes: creating a topic, importing households and owners, and
publishing a new version of a "1+1+1" document. Each writes its event."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events, imports
from cityloop.core.errors import Conflict, Forbidden, InvalidInput
from cityloop.core.imports import Column, ImportFileError, ImportReport, RowError, Spec
from cityloop.deliberation import rules
from cityloop.deliberation.models import (
    CharterDocument,
    Household,
    Owner,
    Topic,
    TopicEvent,
    TopicStep,
)
from cityloop.org.models import Place

TITLE_MAX = 200
BULK_BATCH = 500  # rows per bulk statement (SQLite's parameter limit)
TEXT_MAX = 4000
PHONE_RE = re.compile(r"^1\d{10}$")


def text(value: str, code: str, message: str, *, limit: int = TEXT_MAX, required=True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(code, message)
    if len(value) > limit:
        raise InvalidInput(
            "text_too_long",
            _("The text is too long (at most %(limit)d characters).") % {"limit": limit},
            {"limit": limit},
        )
    return value


def _next_code(year: int) -> str:
    prefix = f"YS{year}-"
    last = (
        Topic.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
    ).first()
    n = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{n:04d}"


@transaction.atomic
def topic_create(
    *,
    actor,
    place: Place,
    title: str,
    description: str = "",
    rule: str = Topic.Rule.OWNERS_ORDINARY,
    is_demo: bool = False,
) -> Topic:
    """Open a topic for soliciting (一征) in a compound or community the actor manages."""
    title = text(title, "topic_title_required", _("Give the topic a title."), limit=TITLE_MAX)
    description = text(description, "", "", required=False)
    if place.kind not in (Place.Kind.COMPOUND, Place.Kind.COMMUNITY):
        raise InvalidInput("topic_place_kind", _("A topic belongs to a compound or a community."))
    if rule not in Topic.Rule.values:
        raise InvalidInput("topic_rule_invalid", _("Unknown vote rule."), {"rule": rule})
    if rule in Topic.Rule.owners() and place.kind != Place.Kind.COMPOUND:
        raise InvalidInput(
            "topic_owners_need_compound",
            _("An owners' vote is held in one compound; choose the compound, not the community."),
        )
    if not rules.can_manage(actor, place):
        raise Forbidden("topic_not_allowed", _("You may not open topics for this place."))
    now = clock.now()
    for _attempt in range(3):  # two desks opening a topic at once: take the next number
        try:
            with transaction.atomic():
                topic = Topic.objects.create(
                    code=_next_code(clock.today().year),
                    title=title,
                    description=description,
                    place=place,
                    rule=rule,
                    created_at=now,
                    updated_at=now,
                    created_by=actor if getattr(actor, "pk", None) else None,
                    is_demo=is_demo,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three collisions in a row
        raise Conflict("topic_code_busy", _("Please try again."))
    TopicStep.objects.create(topic=topic, kind=TopicStep.Kind.SOLICIT, started_at=now)
    events.record(
        TopicEvent,
        actor=actor,
        verb="create",
        topic=topic,
        to_state=topic.stage,
        note=title,
        data={"place": place.code, "rule": rule},
    )
    return topic


# --- households and owners ------------------------------------------------------------------

HOUSEHOLD_SPEC = Spec(
    kind="households",
    columns=(
        Column("building", ("楼栋", "building", "楼号"), required=True),
        Column("entrance", ("单元", "entrance", "unit")),
        Column("room", ("房号", "room", "门牌", "户号"), required=True),
        Column("area", ("面积", "area", "建筑面积", "专有部分面积"), required=True),
        Column("owners", ("业主", "owners", "业主姓名", "产权人"), required=True),
        Column("keys", ("业主标识", "owner_keys", "证件后四位", "身份标识")),
        Column("phones", ("电话", "phones", "联系电话", "手机")),
        Column("eligible", ("可投票", "eligible", "有表决权"), kind="bool"),
        Column("note", ("备注", "note")),
    ),
    key=("building", "entrance", "room"),
)
# What the columns hold: a longer value is a row error, not a database error at write time.
TEXT_LIMITS = {
    name: Household._meta.get_field(name).max_length
    for name in ("building", "entrance", "room", "note")
}
OWNER_NAME_MAX = Owner._meta.get_field("name").max_length
OWNER_KEY_MAX = Owner._meta.get_field("key").max_length
_area = Household._meta.get_field("area")
AREA_LIMIT = Decimal(10) ** (_area.max_digits - _area.decimal_places)
LIST_SPLIT = re.compile(r"[、,，;；/]")


def _split(value: str) -> list[str]:
    return [p.strip() for p in LIST_SPLIT.split(value or "") if p.strip()]


@dataclass
class _OwnerRow:
    key: str
    name: str
    phone: str
    line: int


def households_import(
    *,
    actor,
    compound: Place,
    path: Path | str,
    dry_run: bool = False,
    is_demo: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import a compound's units and owners from xlsx/csv: all rows or none.

    A unit is identified by building + entrance + room; a row for a unit already there
    updates it and replaces its owners with the row's. Owners are identified by their key
    (when the 业主标识 column is empty: the name), so the same key on several rows is one
    owner of several units (one head in a vote).
    """
    report = ImportReport(kind="households", source=str(path), dry_run=dry_run)
    if compound.kind != Place.Kind.COMPOUND:
        report.errors.append(RowError(0, "", _("Households belong to a compound."), "not_compound"))
        return report
    # ``actor=None`` is the system (the import command run by an operator on the server).
    if actor is not None and not rules.can_manage(actor, compound):
        raise Forbidden("household_not_allowed", _("You may not manage this compound."))
    try:
        table = imports.read_table(path)
    except ImportFileError as exc:
        report.errors.append(RowError(0, "", exc.reason, exc.code))
        return report
    parsed = imports.parse(table, HOUSEHOLD_SPEC)
    report.warnings.extend(parsed.warnings)
    report.rows = len(parsed.rows)
    if parsed.errors and not parsed.rows:
        report.errors.extend(parsed.errors)
        return report
    owners: dict[str, _OwnerRow] = {}
    plan: list[tuple[Any, dict[str, Any], list[str]]] = []
    tick = progress or (lambda stage, done, total: None)
    total = len(parsed.rows)
    for n, row in enumerate(parsed.rows, start=1):
        plan.append((row, *_check_row(row, parsed, owners)))
        if n % 500 == 0 or n == total:
            tick("check", n, total)
    report.errors.extend(parsed.errors)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            tick("write", 0, total)
            _write(actor, compound, plan, owners, report, is_demo)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    tick("write", total, total)
    return report


class _DryRun(Exception):
    pass


def _check_row(row, parsed, owners: dict[str, _OwnerRow]) -> tuple[dict[str, Any], list[str]]:
    """One register line checked: lengths, the area, the owner lists; owners collected."""
    v = row.values
    _check_lengths(row, parsed)
    values: dict[str, Any] = {}
    area = _checked_area(row, parsed)
    if area is not None:
        values["area"] = area
    names = _split(v.get("owners", ""))
    keys = _split(v.get("keys", ""))
    phones = _split(v.get("phones", ""))
    _check_owner_lists(row, parsed, names, keys, phones)
    row_keys = _collect_owners(row, parsed, owners, names, keys, phones)
    values["eligible"] = True if v.get("eligible") is None else v["eligible"]
    values["note"] = v.get("note") or ""
    return values, row_keys


def _too_long(row, parsed, column: str, limit: int) -> None:
    parsed.error(
        row,
        column,
        _("Too long: at most %(limit)d characters.") % {"limit": limit},
        "cell_too_long",
    )


def _check_lengths(row, parsed) -> None:
    """Values longer than the register's columns hold are row errors, not a failed write."""
    for name, limit in TEXT_LIMITS.items():
        value = row.values.get(name)
        if isinstance(value, str) and len(value) > limit:
            _too_long(row, parsed, name, limit)


def _checked_area(row, parsed) -> Decimal | None:
    """The floor area: positive, at most two decimals, below AREA_LIMIT (kept even when too
    large, so the line's other checks still run)."""
    raw = row.values.get("area")
    raw = raw.strip() if isinstance(raw, str) else raw
    try:
        area = Decimal(str(raw))
        if not area.is_finite() or area <= 0 or area.as_tuple().exponent < -2:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        parsed.error(
            row,
            "area",
            _("The floor area must be a positive number with at most two decimals (m²)."),
            "area_invalid",
        )
        return None
    if area >= AREA_LIMIT:
        parsed.error(
            row,
            "area",
            _("The floor area must be below %(limit)s m².") % {"limit": AREA_LIMIT},
            "area_invalid",
        )
    return area


def _check_owner_lists(row, parsed, names, keys, phones) -> None:
    if not names:
        parsed.error(row, "owners", _("Name at least one owner."), "owner_required")
    if keys and len(keys) != len(names):
        parsed.error(
            row, "keys", _("Give one owner key per owner, in the same order."), "owner_keys_count"
        )
    if phones and len(phones) != len(names):
        parsed.error(
            row, "phones", _("Give one phone per owner, in the same order."), "owner_phone_count"
        )
    if any(len(name) > OWNER_NAME_MAX for name in names):
        _too_long(row, parsed, "owners", OWNER_NAME_MAX)
    if any(len(key) > OWNER_KEY_MAX for key in keys):
        _too_long(row, parsed, "keys", OWNER_KEY_MAX)


def _collect_owners(row, parsed, owners: dict[str, _OwnerRow], names, keys, phones) -> list[str]:
    """The line's owners added to those of the file; one owner named alike everywhere."""
    row_keys: list[str] = []
    for i, name in enumerate(names):
        key = keys[i] if i < len(keys) and keys else name
        phone = phones[i] if i < len(phones) and phones else ""
        if phone and not PHONE_RE.match(phone):
            parsed.error(
                row,
                "phones",
                _("%(phone)s is not a mobile number.") % {"phone": phone},
                "owner_phone_invalid",
            )
        seen = owners.get(key)
        if seen is None:
            owners[key] = _OwnerRow(key, name, phone, row.line)
        elif seen.name != name or (phone and seen.phone and seen.phone != phone):
            parsed.error(
                row,
                "owners",
                _("Owner %(key)s differs from line %(line)d (name or phone).")
                % {"key": key, "line": seen.line},
                "owner_inconsistent",
            )
        elif phone and not seen.phone:
            seen.phone = phone
        if key in row_keys:
            parsed.error(row, "owners", _("The same owner is named twice."), "owner_twice")
        row_keys.append(key)
    return row_keys


def _write(actor, compound, plan, owners, report: ImportReport, is_demo: bool) -> None:
    """Everything checked: the compound's owners and households read once, then one bulk
    statement per table (new rows, changed rows, replaced owner links)."""
    stored_owners = {o.key: o for o in Owner.objects.filter(compound=compound)}
    owner_objs: dict[str, Owner] = {}
    new_owners: list[Owner] = []
    changed_owners: list[Owner] = []
    for key, o in owners.items():
        obj = stored_owners.get(key)
        if obj is None:
            obj = Owner(compound=compound, key=key, name=o.name, phone=o.phone, is_demo=is_demo)
            new_owners.append(obj)
            report.count("owner", "created")
        elif (obj.name, obj.phone) != (o.name, o.phone or obj.phone):
            obj.name, obj.phone = o.name, o.phone or obj.phone
            changed_owners.append(obj)
            report.count("owner", "updated")
        else:
            report.count("owner", "unchanged")
        owner_objs[key] = obj
    Owner.objects.bulk_create(new_owners, batch_size=BULK_BATCH)
    Owner.objects.bulk_update(changed_owners, ["name", "phone"], batch_size=BULK_BATCH)

    stored = {
        (h.building, h.entrance, h.room): h for h in Household.objects.filter(compound=compound)
    }
    Link = Owner.households.through
    keys_of: dict[int, set[str]] = {}
    for household_id, key in Link.objects.filter(household__compound=compound).values_list(
        "household_id", "owner__key"
    ):
        keys_of.setdefault(household_id, set()).add(key)
    new_households: list[tuple[Household, list[str]]] = []
    changed: list[tuple[Household, list[str]]] = []
    for row, values, keys in plan:
        v = row.values
        ident = (v["building"], v.get("entrance") or "", v["room"])
        obj = stored.get(ident)
        wanted = {"area": values["area"], "eligible": values["eligible"], "note": values["note"]}
        if obj is None:
            obj = Household(
                compound=compound,
                building=ident[0],
                entrance=ident[1],
                room=ident[2],
                is_demo=is_demo,
                **wanted,
            )
            new_households.append((obj, keys))
            outcome = "created"
        elif any(getattr(obj, k) != w for k, w in wanted.items()) or keys_of.get(
            obj.pk, set()
        ) != set(keys):
            for k, w in wanted.items():
                setattr(obj, k, w)
            changed.append((obj, keys))
            outcome = "updated"
        else:
            outcome = "unchanged"
        report.count("household", outcome)
    Household.objects.bulk_create([h for h, _k in new_households], batch_size=BULK_BATCH)
    Household.objects.bulk_update(
        [h for h, _k in changed], ["area", "eligible", "note"], batch_size=BULK_BATCH
    )
    replaced = [h.pk for h, _k in changed]
    for i in range(0, len(replaced), BULK_BATCH):
        Link.objects.filter(household_id__in=replaced[i : i + BULK_BATCH]).delete()
    Link.objects.bulk_create(
        (
            Link(owner_id=owner_objs[k].pk, household_id=h.pk)
            for h, keys in (*new_households, *changed)
            for k in keys
        ),
        batch_size=BULK_BATCH,
    )
    if new_households or changed:
        events.record_on(
            compound,
            actor=actor,
            verb="households_import",
            note=report.source,
            data={"rows": report.rows, "changed": len(new_households) + len(changed)},
        )


# --- "1+1+1" ---------------------------------------------------------------------------------


@transaction.atomic
def document_publish(
    *,
    actor,
    place: Place,
    kind: str,
    title: str,
    text_body: str = "",
    adopted_on: date | None = None,
    address: str = "",
    capacity: int | None = None,
    photo: str = "",
    is_demo: bool = False,
) -> CharterDocument:
    """Adopt a new version of a compound's or community's rules, meeting place or convention."""
    if place.kind not in (Place.Kind.COMPOUND, Place.Kind.COMMUNITY):
        raise InvalidInput(
            "document_place_kind", _("1+1+1 documents belong to a compound or a community.")
        )
    if kind not in CharterDocument.Kind.values:
        raise InvalidInput("document_kind_invalid", _("Unknown kind of document."))
    if not rules.can_manage(actor, place):
        raise Forbidden("document_not_allowed", _("You may not manage this place."))
    title = text(title, "document_title_required", _("Give the document a title."), limit=200)
    body = text(text_body, "", "", required=False, limit=20000)
    address = text(address, "", "", required=False, limit=200)
    if kind == CharterDocument.Kind.MEETING_PLACE:
        if not address:
            raise InvalidInput("document_address_required", _("A meeting place needs its address."))
        if capacity is None or capacity <= 0:
            raise InvalidInput(
                "document_capacity_required",
                _("A meeting place needs its capacity (number of people)."),
            )
    elif not body:
        raise InvalidInput("document_text_required", _("Give the text of the document."))
    adopted_on = adopted_on or clock.today()
    if adopted_on > clock.today():
        raise InvalidInput("document_in_future", _("A document cannot be adopted in the future."))
    last = (
        CharterDocument.objects.select_for_update()
        .filter(place=place, kind=kind)
        .order_by("-version")
        .first()
    )
    doc = CharterDocument.objects.create(
        place=place,
        kind=kind,
        version=(last.version + 1) if last else 1,
        title=title,
        text=body,
        adopted_on=adopted_on,
        address=address,
        capacity=capacity,
        photo=photo,
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
        is_demo=is_demo,
    )
    events.record_on(
        doc,
        actor=actor,
        verb="document_publish",
        note=title,
        data={"place": place.code, "kind": kind, "version": doc.version},
    )
    return doc
