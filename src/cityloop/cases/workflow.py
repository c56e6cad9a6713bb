"""Every change of a case's state, and nothing else.

The action registry (:mod:`cases.actions`) says which action is allowed from which state,
who may take it and where it leads; the status is written from it (:func:`_move`) and every
event is checked against it (:func:`_record`). Each action function locks the row (a case
outside the actor's scope is *not found*), checks the entry and the actor's part, changes
the case, restarts the stage clock on the calendar of the unit that must act next, and
writes the event — all in one transaction. Notifications go out only after commit. Pages,
API, imports, the demo and the sweeper all come through here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext as _

from cityloop.cases import actions, deadlines, notices, routing, rules, summary
from cityloop.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    IdempotencyKey,
    Level,
    Stage,
)
from cityloop.cases.queries import case_for_idempotency_key, visible_cases
from cityloop.core import clock, codes, events, geo, hooks, notify, worktime
from cityloop.core.db import insert_rows
from cityloop.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from cityloop.core.photos import Photo
from cityloop.core.roles import has_any
from cityloop.core.scope import duties_for, scope_for
from cityloop.core.text import search_document
from cityloop.org.models import Person, Place, Unit, Zone, ZoneRole

# What the case loop announces after a step commits (cityloop.core.hooks); intel listens.
CASE_REPORTED = "case.reported"
CASE_ACCEPTED = "case.accepted"
CASE_DISPATCHED = "case.dispatched"

S = Case.Status
OPEN_WORK = actions.OPEN_WORK
# The action names, in table order (:mod:`cases.actions` declares each one).
ACTIONS = tuple(actions.REGISTRY)
MAX_EXTENSIONS = 2
# An extension, in working days: the workflow's rule, which the page forms take as theirs.
MIN_EXTENSION_DAYS, MAX_EXTENSION_DAYS = 0.5, 30
MAX_DESCRIPTION = 2000


# --- the parts an actor can play --------------------------------------------------------------


def _replier_id(case: Case) -> int | None:
    if hasattr(case, "replier_id"):  # read with the locked row, or set by this reply
        return case.replier_id
    return (
        case.events.filter(verb="reply")
        .order_by("-at", "-pk")
        .values_list("actor_id", flat=True)
        .first()
    )


def keep_assisting(case: Case, units: Iterable[Unit]) -> None:
    """Let ``case.assisting_units.all()`` answer from ``units`` (known here) without a query."""
    qs = Unit.objects.all()
    qs._result_cache, qs._prefetch_done = list(units), True
    cache = getattr(case, "_prefetched_objects_cache", None)
    if cache is None:
        cache = case._prefetched_objects_cache = {}
    cache["assisting_units"] = qs


def may(actor, case: Case, action: str) -> bool:
    """May ``actor`` take ``action`` on ``case`` in its current state? (No payload checks.)"""
    entry = actions.REGISTRY[action]
    if case.status not in entry.sources:
        return False
    if entry.precondition is not None and not entry.precondition(actor, case):
        return False
    return _plays(actor, case, entry.part)


def _plays(actor, case: Case, who: str) -> bool:
    if who == "dispatcher":
        return rules.is_dispatcher(actor, case)
    if who == "handler":
        return rules.is_handler(actor, case)
    if who == "verifier":
        return rules.can_verify(actor, case, _replier_id(case))
    if who == "visitor":
        return rules.is_dispatcher(actor, case) or rules.is_reporter(actor, case)
    if who == "dispatcher_or_handler":
        return rules.is_dispatcher(actor, case) or rules.is_handler(actor, case)
    if who == "dispatcher_or_reporter":
        return rules.is_dispatcher(actor, case) or rules.is_reporter(actor, case)
    return True  # viewer: whoever could load the case may comment


def allowed_actions(actor, case: Case) -> list[str]:
    """The actions this actor may take now, in table order (the buttons a page shows)."""
    return [a.name for a in actions.buttons() if may(actor, case, a.name)]


# --- shared steps ------------------------------------------------------------------------------


def _locked(actor, case_id: int) -> Case:
    # The last replier and whether there are photos come with the row (the verifier's part
    # and the answer need them), so an action reads its case in one query.
    last_reply = CaseEvent.objects.filter(case=OuterRef("pk"), verb="reply").order_by("-at", "-pk")
    try:  # scope filter and row lock in one query; not visible == not found
        case = (
            visible_cases(actor)
            # Lock the case row only: PostgreSQL refuses FOR UPDATE on the nullable side of
            # the outer joins, and the related rows are not changed here.
            .select_for_update(of=("self",))
            .select_related("category__parent", "responsible_unit", "dispatcher_unit", "place")
            .annotate(
                replier_id=Subquery(last_reply.values("actor_id")[:1]),
                has_photos=Exists(CasePhoto.objects.filter(case=OuterRef("pk"))),
                has_assisting=Exists(
                    Case.assisting_units.through.objects.filter(case=OuterRef("pk"))
                ),
            )
            .order_by()
            .get(pk=case_id)
        )
    except Case.DoesNotExist:
        raise NotFound("case_not_found", _("Case not found")) from None
    if not case.has_assisting:
        keep_assisting(case, [])
    return case


def _begin(actor, case_id: int, action: str) -> Case:
    """Every action starts here: the row, locked and in scope, and the table's say-so."""
    case = _locked(actor, case_id)
    _check(actor, case, action)
    return case


def _check(actor, case: Case, action: str) -> None:
    entry = actions.REGISTRY[action]
    if case.status not in entry.sources:
        raise InvalidTransition(
            "case_bad_state",
            _("This action is not possible while the case is %(status)s.")
            % {"status": Case.Status(case.status).label},
            {"status": case.status, "action": action},
        )
    if not may(actor, case, action):
        if _plays(actor, case, entry.part):  # right person, but a precondition fails
            raise InvalidTransition(
                "case_action_unavailable",
                _("This action is not available for this case now."),
                {"status": case.status, "action": action},
            )
        raise Forbidden(
            "case_not_allowed",
            _("You may not do this to this case."),
            {"action": action, "part": entry.part},
        )


def _move(case: Case, action: str, to: str | None = None) -> str:
    """Set the status ``action`` leads to (its entry's one target, or ``to`` among its
    targets); answer the status it had."""
    return actions.REGISTRY.move(case, action, to)


def _required(text: str, code: str, message: str, limit: int = 1000) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(code, message)
    if len(text) > limit:
        raise InvalidInput(
            "text_too_long",
            _("The text is too long (at most %(limit)d characters).") % {"limit": limit},
        )
    return text


def _record(
    actor,
    case: Case,
    action: str,
    *,
    from_state: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    photos: Sequence[Photo] = (),
    step: str = "",
    public: bool | None = None,
) -> CaseEvent:
    # A bug, not bad input, when the function moved the case where its entry says it cannot.
    actions.REGISTRY.check_move(action, from_state, case.status, case.pk)
    event = events.record(
        CaseEvent,
        actor=actor,
        verb=action,
        case=case,
        from_state=from_state,
        to_state=case.status,
        note=note,
        data=data or {},
        attachments=[p.file for p in photos],
        public=actions.is_public(action) if public is None else public,
    )
    if action == "reply":
        case.replier_id = getattr(actor, "pk", None)
    if photos:
        case.has_photos = True
        case.new_photos = CasePhoto.objects.bulk_create(
            CasePhoto(
                case=case,
                event=event,
                step=step or action,
                file=p.file,
                width=p.width,
                height=p.height,
                sha256=p.sha256,
                created_at=event.at,
            )
            for p in photos
        )
    return event


def _check_photos(photos: Sequence[Photo]) -> None:
    from django.conf import settings

    limit = settings.CITYLOOP.upload_max_photos
    if len(photos) > limit:
        raise InvalidInput(
            "upload_too_many",
            _("At most %(limit)d photos per step.") % {"limit": limit},
            {"limit": limit, "given": len(photos)},
        )


def _acting_unit(case: Case) -> Unit | None:
    """Whose calendar the current stage runs on."""
    if case.status in (S.DISPATCHED, S.HANDLING) and case.responsible_unit_id:
        return case.responsible_unit
    return case.dispatcher_unit


def _start_stage(case: Case, stage: str, at: datetime) -> None:
    limit = deadlines.limit_for(case.category, stage)
    c = deadlines.stage_clock(at, limit, unit=_acting_unit(case))
    case.stage, case.stage_started_at, case.warn_at, case.due_at = stage, at, c.warn_at, c.due_at
    case.light = deadlines.light_at(at, warn_at=c.warn_at, due_at=c.due_at)
    if stage == Stage.HANDLE:
        case.handle_due_at = c.due_at


def _stop_clock(case: Case) -> None:
    case.stage, case.stage_started_at, case.warn_at, case.due_at, case.light = (
        "",
        None,
        None,
        None,
        "",
    )


def _save(case: Case, now: datetime) -> None:
    case.updated_at = now
    adding = case._state.adding
    case.save()
    summary.record(case, adding=adding)  # the figures summary, in the same transaction


def _new_code(now: datetime) -> str:
    """A short code a resident can type (:func:`cityloop.core.codes.dated_code`)."""
    return codes.dated_code(Case, now, length=5)


# --- intake ------------------------------------------------------------------------------------

STAFF_SOURCES = {
    Case.Source.HOTLINE,
    Case.Source.DESK,
    Case.Source.SUPERVISION,
    Case.Source.INSPECTION,
    Case.Source.MEDIA,
}
PATROL_ROLES = {ZoneRole.Role.ROAD_CHIEF, ZoneRole.Role.GRID_WORKER, ZoneRole.Role.INSPECTOR}


def _person_of(actor) -> Person | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return rules.person_of(actor)


# The duties that open a channel that is not a desk's: (source, duty roles).
DUTY_SOURCES = {
    Case.Source.PATROL: PATROL_ROLES,
    Case.Source.STEWARD: {ZoneRole.Role.RED_STEWARD},
}


def sources_for(actor) -> list[str]:
    """The channels this account may report through: anyone as a resident, desk roles
    through the desk channels, duty holders through their duty's channel."""
    allowed = [Case.Source.RESIDENT.value]
    if has_any(actor, rules.STAFF_SOURCES_ROLES):
        allowed += [s.value for s in Case.Source if s in STAFF_SOURCES]
    superuser = getattr(actor, "is_superuser", False)
    held = set() if superuser else {d.role for d in duties_for(actor)}
    for source, roles in DUTY_SOURCES.items():
        if superuser or held & {r.value for r in roles}:
            allowed.append(source.value)
    return allowed


_SOURCE_VALUES = frozenset(Case.Source.values)


def _check_source(actor, source: str, zone: Zone | None) -> Zone | None:
    """Each source has its people; returns the patrol zone the report is tied to."""
    if source not in _SOURCE_VALUES:
        raise InvalidInput("case_source_invalid", _("Unknown source %(s)s.") % {"s": source})
    # A batch (a file import, under routing.memo) reads the actor's channels once.
    key = f"sources:{getattr(actor, 'pk', None)}"
    allowed = routing.remembered(key, lambda: sources_for(actor))
    if source not in allowed:
        raise Forbidden(
            "case_source_not_allowed",
            _("You may not report through the channel “%(source)s”.")
            % {"source": Case.Source(source).label},
        )
    if zone is not None and zone.kind == Zone.Kind.HAZARD_POINT:
        return zone  # a hazard point is named by whoever reports there (an alarm)
    if source != Case.Source.PATROL or getattr(actor, "is_superuser", False):
        return None if source == Case.Source.RESIDENT else zone
    patrol = {r.value for r in PATROL_ROLES}
    zone_ids = sorted({d.zone_id for d in duties_for(actor) if d.role in patrol and d.zone_id})
    if zone is not None and zone.pk not in zone_ids:
        raise InvalidInput(
            "case_zone_not_yours", _("This zone is not one you patrol."), {"zone": zone.pk}
        )
    if zone is None and len(zone_ids) == 1:
        zone = Zone.objects.select_related("place").get(pk=zone_ids[0])
    return zone


def _check_steward_place(actor, place: Place) -> None:
    """A red steward speaks for the residents of their own compound(s), not anywhere."""
    if getattr(actor, "is_superuser", False):
        return
    paths = [
        d.place_path
        for d in duties_for(actor)
        if d.role == ZoneRole.Role.RED_STEWARD and d.place_path
    ]
    if paths and not any(place.path.startswith(p) for p in paths):
        raise InvalidInput(
            "case_place_not_yours",
            _("A red steward reports for the compounds in their care."),
            {"place": place.code},
        )


def _place_from_point(lng: float, lat: float) -> dict[str, Any]:
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise InvalidInput("case_location_invalid", _("The coordinates are not a place on Earth."))
    # Under routing.memo a batch has located its points ahead (locate_ahead); else one look.
    found = routing.remembered(("located", lng, lat), lambda: geo.locate(lng, lat))
    if not found.get("street") and not found.get("district"):
        raise InvalidInput(
            "case_outside_area",
            _("The point is outside the area this system serves."),
            {"lng": lng, "lat": lat},
        )
    return found


def locate_ahead(points: Iterable[tuple[float, float]]) -> None:
    """Locate the points of a batch in one pass over the map (inside a
    :func:`cityloop.cases.routing.memo` block, else it does nothing): each report's
    :func:`plan_report` then reads its point's answer instead of querying the map alone.
    The answers are :func:`cityloop.core.geo.locate`'s, point for point."""
    if not routing.memoising():
        return
    unique = list(
        dict.fromkeys(
            (float(lng), float(lat))
            for lng, lat in points
            if -180 <= float(lng) <= 180 and -90 <= float(lat) <= 90
        )
    )
    for point, found in zip(unique, geo.locate_many(unique), strict=True):
        routing.remember(("located", *point), found)


def _deepest(found: dict[str, Any]) -> Place | None:
    kinds = ("building", "compound", "community", "street", "district")
    pks = [found[k]["id"] for k in kinds if found.get(k)]
    # The place and its ancestors in one query (routing reads the chain from the place).
    return routing.place_with_chain(pks, pks[0]) if pks else None


def place_from_address(address: str) -> Place | None:
    """The most specific place whose name the address mentions (e.g. "…06小区3号楼")."""
    text = (address or "").strip()
    if not text:
        return None
    by_name, longest = routing.remembered("named_places", _places_by_name)
    # Every piece of the address looked up by name: a short address against any number of
    # places (a hotline file of thousands of rows reads the places once, under routing.memo).
    found: list[tuple[int, Place]] = []
    for i in range(len(text)):
        for j in range(i + 1, min(len(text), i + longest) + 1):
            found += by_name.get(text[i:j], ())
    if not found:
        return None
    # Deepest, then longest name; among equals the first place read.
    return max(found, key=lambda f: (f[1].depth, len(f[1].name), -f[0]))[1]


def _places_by_name() -> tuple[dict[str, list[tuple[int, Place]]], int]:
    by_name: dict[str, list[tuple[int, Place]]] = {}
    places = Place.objects.only("pk", "name", "depth", "path", "kind", "parent_id")
    for n, place in enumerate(places):
        if place.name:
            by_name.setdefault(place.name, []).append((n, place))
    return by_name, max((len(name) for name in by_name), default=0)


def _hazard_point(code: str) -> Zone:
    zone = (
        Zone.objects.select_related("place")
        .filter(kind=Zone.Kind.HAZARD_POINT, code=(code or "").strip())
        .first()
    )
    if zone is None:
        raise InvalidInput(
            "hazard_point_unknown", _("There is no such hazard point."), {"hazard_point": code}
        )
    return zone


# Apps that act on a new case register a hook in their ``ready()``: ``hook(case, actor)``
# runs inside the report's transaction, after the intake, and answers the case as it now is
# (or ``None`` when it did nothing). Cases does not import those apps.
_AFTER_REPORT: list[Callable[[Case, object], Case | None]] = []


def register_after_report(hook: Callable[[Case, object], Case | None]) -> None:
    if hook not in _AFTER_REPORT:
        _AFTER_REPORT.append(hook)


def _root_place() -> Place | None:
    return routing.remembered(
        "root_place", lambda: Place.objects.filter(parent__isnull=True).order_by("path").first()
    )


def report(
    *,
    actor,
    source: str,
    description: str,
    title: str = "",
    category: Category | None = None,
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    place: Place | None = None,
    zone: Zone | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    on_behalf_of: str = "",
    external_id: str = "",
    photos: Sequence[Photo] = (),
    share_gps: bool = False,
    idempotency_key: str = "",
    client: str = "",
    accept: bool = False,
    is_demo: bool = False,
    event_data: dict[str, Any] | None = None,
    savepoint: bool = True,
    key_checked: bool = False,
    hazard_point: str = "",
) -> Case:
    """Take in a case from any channel.

    ``hazard_point``: the code of the hazard point (隐患点) the report names — the case is at
    that point and its report is an alarm (``"alarm": true`` on the report event), which the
    apps registered with :func:`register_after_report` (duty) send on to the point's watch.

    The same ``idempotency_key`` from the same client, or the same external number from the
    same source, gives back the first case (marked ``case.replayed = True``). ``event_data``
    is kept on the report event (an import's file name, the original call time).

    ``savepoint=False``: the caller holds the transaction and answers a duplicate key raced
    by another request itself (the :class:`IntegrityError` reaches it) — no nested savepoint.
    ``key_checked``: the caller has just looked the key up itself (and found nothing).
    """
    if idempotency_key and not key_checked:
        earlier = case_for_idempotency_key(client, idempotency_key)
        if earlier is not None:
            earlier.replayed = True
            return earlier
    if external_id:
        earlier = Case.objects.filter(source=source, external_id=external_id).first()
        if earlier is not None:
            earlier.replayed = True
            return earlier
    if hazard_point:
        zone = _hazard_point(hazard_point)
        event_data = {**(event_data or {}), "alarm": True, "hazard_point": zone.code}
        point = (zone.geometry or {}).get("coordinates") if zone.geometry else None
        if lng is None and not address and point and len(point) == 2:
            lng, lat = point[0], point[1]
        place = place or zone.place
    fields = {
        "actor": actor,
        "source": source,
        "description": description,
        "title": title,
        "category": category,
        "lng": lng,
        "lat": lat,
        "address": address,
        "place": place,
        "zone": zone,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "reporter_email": reporter_email,
        "on_behalf_of": on_behalf_of,
        "external_id": external_id,
        "photos": photos,
        "share_gps": share_gps,
        "accept": accept,
        "is_demo": is_demo,
        "event_data": event_data or {},
    }
    if not savepoint:
        case = _report(**fields)
        if idempotency_key:
            IdempotencyKey.objects.create(
                client=client, key=idempotency_key, case=case, created_at=case.reported_at
            )
        return case
    try:
        with transaction.atomic():
            case = _report(**fields)
            if idempotency_key:
                IdempotencyKey.objects.create(
                    client=client, key=idempotency_key, case=case, created_at=case.reported_at
                )
            return case
    except IntegrityError:
        # Another request with the same key (or external number) committed first.
        earlier = case_for_idempotency_key(client, idempotency_key) if idempotency_key else None
        if earlier is None and external_id:
            earlier = Case.objects.filter(source=source, external_id=external_id).first()
        if earlier is None:
            raise
        earlier.replayed = True
        return earlier


# --- intake in batches (machine channels) ----------------------------------------------------

BULK_MAX = 500


@dataclass
class BulkOutcome:
    """What became of one report of a batch: ``created`` (``case`` new), ``existing`` (its
    key or external number named an earlier case) or ``refused`` (``error`` says why)."""

    index: int
    outcome: str
    case: Case | None = None
    error: DomainError | None = None


def _unchecked_code(now: datetime) -> str:
    day = now.astimezone(clock.local_zone()).strftime("%y%m%d")
    return f"{day}-" + "".join(secrets.choice(codes.ALPHABET) for _ in range(5))


def report_many(*, actor, reports: Sequence[dict[str, Any]], client: str) -> list[BulkOutcome]:
    """Take in a batch of reports in one transaction, with the rules of :func:`report`.

    Each report is a dict of :func:`report`'s arguments (no photos, no ``accept``) with an
    optional ``idempotency_key``. A report the rules refuse is answered with its error and
    the others are stored (no savepoint per report: the rules run before anything is
    written); a key already used — earlier, or by an earlier report of the batch — answers
    that case. The rows go in with one INSERT per table. A batch that races another over a
    key is run once more (it then finds the other's cases)."""
    if len(reports) > BULK_MAX:
        raise InvalidInput(
            "bulk_too_many",
            _("At most %(limit)d reports per batch.") % {"limit": BULK_MAX},
            {"limit": BULK_MAX, "given": len(reports)},
        )
    for attempt in (1, 2):
        try:
            with transaction.atomic(), routing.memo():
                return _report_many(actor, [dict(r) for r in reports], client)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _report_many(actor, reports: list[dict[str, Any]], client: str) -> list[BulkOutcome]:
    keys = [str(r.pop("idempotency_key", "") or "")[:200] for r in reports]
    stored = _stored_earlier(client, reports, keys)
    outcomes: list[BulkOutcome] = []
    fresh: list[tuple[BulkOutcome, dict[str, Any], str]] = []
    first_of: dict[str, BulkOutcome] = {}  # a key (or external number) met in this batch
    for index, (fields, key) in enumerate(zip(reports, keys, strict=True)):
        marks = _batch_marks(key, _external_of(fields))
        earlier = next((stored[m] for m in marks if m in stored), None)
        if earlier is not None:
            outcomes.append(BulkOutcome(index, "existing", Case(pk=earlier)))
            continue
        twin = next((first_of[m] for m in marks if m in first_of), None)
        if twin is not None:
            outcomes.append(BulkOutcome(index, "existing", twin.case, twin.error))
            continue
        try:
            case, data = _new_report(
                actor=actor,
                photos=(),
                share_gps=False,
                is_demo=False,
                event_data={},
                new_code=_unchecked_code,
                **{k: v for k, v in _REPORT_DEFAULTS.items() if k not in fields},
                **fields,
            )
        except DomainError as exc:
            outcome = BulkOutcome(index, "refused", error=exc)
        else:
            outcome = BulkOutcome(index, "created", case)
            fresh.append((outcome, data, key))
        outcomes.append(outcome)
        first_of.update(dict.fromkeys(marks, outcome))
    if fresh:
        _insert_batch(actor, [(o.case, data, key) for o, data, key in fresh], client)
    _settle_existing(outcomes)
    return outcomes


def _external_of(fields: dict[str, Any]) -> tuple[str, str]:
    return (fields.get("source", ""), fields.get("external_id", "").strip()[:60])


def _batch_marks(key: str, ext: tuple[str, str]) -> list[str]:
    """How a report of a batch is recognised again: its idempotency key first, then its
    external number (source + number)."""
    marks = [f"k:{key}"] if key else []
    if ext[1]:
        marks.append(f"e:{ext[0]}:{ext[1]}")
    return marks


def _stored_earlier(client: str, reports: list[dict[str, Any]], keys: list[str]) -> dict[str, int]:
    """Cases already stored under a key or an external number of the batch, by batch mark."""
    wanted = {k for k in keys if k}
    known = IdempotencyKey.objects.filter(client=client, key__in=wanted).values_list(
        "key", "case_id"
    )
    stored = {f"k:{key}": pk for key, pk in known}
    externals = {e for e in map(_external_of, reports) if e[1]}
    if externals:
        rows = Case.objects.filter(external_id__in={e[1] for e in externals}).values_list(
            "source", "external_id", "pk"
        )
        for src, ext, pk in rows:
            if (src, ext) in externals:
                stored[f"e:{src}:{ext}"] = pk
    return stored


def _settle_existing(outcomes: list[BulkOutcome]) -> None:
    """Existing outcomes get their case's code; a twin of a refused report is refused too."""
    existing = {o.case.pk for o in outcomes if o.outcome == "existing" and o.case is not None}
    if existing:
        found = {c.pk: c for c in Case.objects.filter(pk__in=existing).only("pk", "code")}
        for o in outcomes:
            if o.outcome == "existing" and o.case is not None and o.case.pk in found:
                o.case = found[o.case.pk]
    for o in outcomes:
        if o.outcome == "existing" and o.case is None:
            o.outcome = "refused"


_REPORT_DEFAULTS: dict[str, Any] = {
    "title": "",
    "category": None,
    "lng": None,
    "lat": None,
    "address": "",
    "place": None,
    "zone": None,
    "reporter_name": "",
    "reporter_phone": "",
    "reporter_email": "",
    "on_behalf_of": "",
    "external_id": "",
}


def plan_report(*, actor, **fields: Any) -> tuple[Case, dict[str, Any]]:
    """Check one report by the intake rules and build its case, without writing anything:
    a file import checks every row first (outside any transaction) and writes the planned
    cases with :func:`write_planned`. Run it under :func:`cityloop.cases.routing.memo` so
    place chains, offices and the named places are read once per file."""
    given = {**_REPORT_DEFAULTS, "event_data": {}, **fields}
    return _new_report(
        actor=actor, photos=(), share_gps=False, is_demo=False, new_code=_unchecked_code, **given
    )


WRITE_CHUNK = 1000


def write_planned(
    actor, planned: Sequence[tuple[Case, dict[str, Any]]], *, tick=None
) -> list[Case]:
    """Write cases built by :func:`plan_report` — what :func:`report` writes for each (the
    case with its scope keys and light, its ``report`` event, the figures summary, the
    suggestion hook) with one INSERT per table and chunk. Runs in the caller's transaction;
    ``tick(done)`` after each chunk."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("planned cases are written in one transaction")
    done = 0
    for i in range(0, len(planned), WRITE_CHUNK):
        chunk = planned[i : i + WRITE_CHUNK]
        _insert_batch(actor, [(case, data, "") for case, data in chunk], "")
        done += len(chunk)
        if tick is not None:
            tick(done)
    return [case for case, _data in planned]


def _column_values(obj) -> dict[str, Any]:
    """A new row's values by attname, its id left to the database."""
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    }


def _insert_batch(actor, fresh: list[tuple[Case, dict[str, Any], str]], client: str):
    """``fresh``: ``(case, report event data, idempotency key or "")`` of new cases."""
    cases = [case for case, _d, _k in fresh]
    # Codes are drawn unchecked, then checked all at once (and against each other).
    while True:
        seen: set[str] = set()
        for case in cases:
            while case.code in seen:
                case.code = _unchecked_code(case.reported_at)
            seen.add(case.code)
        taken = set(Case.objects.filter(code__in=seen).values_list("code", flat=True))
        if not taken:
            break
        for case in cases:
            if case.code in taken:
                case.code = _unchecked_code(case.reported_at)
    for case in cases:
        case.updated_at = case.reported_at
        case.refresh_scope_keys()  # a bulk insert bypasses Case.save, which keeps them
    # One INSERT … SELECT over a JSON parameter per table (core.db.insert_rows): the ORM's
    # bulk_create compiles every value of ~70 columns, most of a batch's time.
    insert_rows(Case, [_column_values(case) for case in cases])
    ids = dict(Case.objects.filter(code__in=[c.code for c in cases]).values_list("code", "pk"))
    for case in cases:
        case.pk = ids[case.code]
        case._state.adding, case._state.db = False, "default"
    summary.record_added(cases)  # the insert bypasses _save: the figures summary, here
    # The report events: one built as a model (every column as the ORM fills it), the others
    # the same but for what differs per case — a model object each was a tenth of the time.
    shared = _column_values(
        CaseEvent(
            case=cases[0],
            public=actions.is_public("report"),
            **events.event_fields(actor=actor, verb="report", from_state="", to_state=""),
        )
    )
    insert_rows(
        CaseEvent,
        [
            {
                **shared,
                "case_id": case.pk,
                "to_state": case.status,
                "data": data or {},
                "at": clock.now(),
                "attachments": [],
            }
            for case, data, _k in fresh
        ],
    )
    IdempotencyKey.objects.bulk_create(
        IdempotencyKey(client=client, key=key, case=case, created_at=case.reported_at)
        for case, _d, key in fresh
        if key
    )
    # Suggestions (intel) follow after commit; nothing here without one.
    hooks.publish_many(CASE_REPORTED, [{"case": case, "actor": actor} for case in cases])


def _new_report(
    *,
    actor,
    source: str,
    description: str,
    title: str,
    category: Category | None,
    lng: float | None,
    lat: float | None,
    address: str,
    place: Place | None,
    zone: Zone | None,
    reporter_name: str,
    reporter_phone: str,
    reporter_email: str,
    on_behalf_of: str,
    external_id: str,
    photos: Sequence[Photo],
    share_gps: bool,
    is_demo: bool,
    event_data: dict[str, Any],
    new_code=None,
) -> tuple[Case, dict[str, Any]]:
    """The intake rules, once for every channel (one report or a batch): check the report
    and build its case, not saved yet, with its stage clock running, and the data of its
    ``report`` event. ``new_code``: how to make the case's code (default: one checked unused
    by a query; a batch checks all its codes at once)."""
    zone = _check_source(actor, source, zone)
    description = _required(
        description,
        "case_description_required",
        _("Please describe the problem."),
        MAX_DESCRIPTION,
    )
    if category is not None and (category.parent_id is None or not category.is_active):
        raise InvalidInput(
            "case_category_not_leaf",
            _("Choose a sub-category (小类) that is in use."),
            {"category": category.code},
        )
    _check_photos(photos)
    if (lng is None) != (lat is None):
        raise InvalidInput("case_location_invalid", _("Give both longitude and latitude."))
    found: dict[str, Any] = {}
    if lng is None and share_gps:  # the photo's own position, when the reporter allowed it
        gps = next((p.gps for p in photos if p.gps), None)
        if gps is not None:
            lng, lat = gps
    if lng is not None and lat is not None:
        found = _place_from_point(float(lng), float(lat))
        place = place or _deepest(found)
    if place is None and address:
        place = place_from_address(address) or _root_place()
    if place is None and zone is not None:
        place = zone.place
    if place is not None and source == Case.Source.STEWARD:
        _check_steward_place(actor, place)
    if place is None:
        raise InvalidInput(
            "case_location_required",
            _("Say where the problem is: a point on the map, your location or an address."),
        )
    now = clock.now()
    level = routing.initial_level(category, place)
    title = (title or "").strip()[:120] or description.replace("\n", " ")[:30]
    case = Case(
        code=(new_code or _new_code)(now),
        source=source,
        category=category,
        title=title,
        description=description,
        level=level,
        lng=lng,
        lat=lat,
        address=(address or "").strip()[:200],
        place=place,
        place_path=place.path,
        grid_id=(found.get("grid") or {}).get("id"),
        road_id=(found.get("road") or {}).get("id"),
        zone=zone,
        reporter=actor if getattr(actor, "is_authenticated", False) else None,
        reporter_name=reporter_name.strip()[:50],
        reporter_phone=reporter_phone.strip()[:30],
        reporter_email=reporter_email.strip(),
        on_behalf_of=on_behalf_of.strip()[:100],
        external_id=external_id.strip()[:60],
        dispatcher_unit=routing.office_for(place, level),
        share_gps=share_gps,
        reported_at=now,
        search_text=search_document(title, description, address),
        is_demo=is_demo,
    )
    _start_stage(case, Stage.ACCEPT, now)
    data = {**event_data, "source": source, "level": level, "on_behalf_of": case.on_behalf_of}
    return case, data


def _report(*, accept: bool, photos: Sequence[Photo], **fields: Any) -> Case:
    actor = fields["actor"]
    case, data = _new_report(photos=photos, **fields)
    now = case.reported_at
    _save(case, now)
    case.new_photos, case.has_photos = [], False  # _record fills them in when there are some
    keep_assisting(case, [])
    _record(actor, case, "report", from_state="", data=data, photos=photos)
    if accept and rules.is_dispatcher(actor, case):
        _accept(actor, case, category=None, note="")
    # Steps other apps add inside the intake (duty routes a hazard-point alarm).
    for hook in _AFTER_REPORT:
        case = hook(case, actor) or case
    # After commit: suggestions and auto-dispatch (intel subscribes); never stops the intake.
    hooks.publish(CASE_REPORTED, case=case, actor=actor)
    return case


# --- the actions -------------------------------------------------------------------------------


MAX_PUBLIC_SUMMARY = 200


def _accept(
    actor, case: Case, *, category: Category | None, note: str, public_summary: str = ""
) -> Case:
    public_summary = (public_summary or "").strip()
    if len(public_summary) > MAX_PUBLIC_SUMMARY:
        raise InvalidInput(
            "case_public_summary_too_long",
            _("The public summary is too long (at most %(limit)d characters).")
            % {"limit": MAX_PUBLIC_SUMMARY},
        )
    if category is not None:
        if category.parent_id is None or not category.is_active:
            raise InvalidInput(
                "case_category_not_leaf", _("Choose a sub-category (小类) that is in use.")
            )
        case.category = category
        case.level = routing.initial_level(category, case.place)
        case.dispatcher_unit = routing.office_for(case.place, case.level)
    if case.category is None:
        raise InvalidInput(
            "case_needs_category", _("Choose the category before accepting the case.")
        )
    now = clock.now()
    old, case.accepted_at = _move(case, "accept"), now
    if public_summary:  # empty keeps what is there (or the default of cases.public)
        case.public_summary = public_summary
    _start_stage(case, Stage.DISPATCH, now)
    _save(case, now)
    _record(actor, case, "accept", from_state=old, note=note, data={"category": case.category.code})
    hooks.publish(CASE_ACCEPTED, case=case, actor=actor)  # kept the suggested category?
    notices.send(case, "accept")
    return case


@transaction.atomic
def accept(
    *,
    actor,
    case_id: int,
    category: Category | None = None,
    note: str = "",
    public_summary: str = "",
) -> Case:
    """Accept a reported case; ``public_summary`` is what the tracking page and Open311 show
    of it (empty: "<category> · <community>", see :mod:`cityloop.cases.public`)."""
    case = _begin(actor, case_id, "accept")
    return _accept(actor, case, category=category, note=note, public_summary=public_summary)


@transaction.atomic
def reject(*, actor, case_id: int, reason: str) -> Case:
    case = _begin(actor, case_id, "reject")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    now = clock.now()
    old, case.reject_reason = _move(case, "reject"), reason
    _stop_clock(case)
    _save(case, now)
    _record(actor, case, "reject", from_state=old, note=reason)
    notices.send(case, "reject")
    return case


@transaction.atomic
def merge(*, actor, case_id: int, master_id: int, note: str = "") -> Case:
    # Both rows locked at once, in id order: "A into B" racing "B into A" then queues (the
    # second finds its case merged and is refused) instead of deadlocking on PostgreSQL.
    # Locking reads nothing, so it leaks nothing outside the scope checked below.
    list(
        Case.objects.select_for_update()
        .filter(pk__in=sorted({case_id, master_id}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    case = _begin(actor, case_id, "merge")
    if master_id == case.pk:
        raise InvalidInput("case_merge_self", _("A case cannot be merged into itself."))
    master = visible_cases(actor).select_for_update(of=("self",)).filter(pk=master_id).first()
    if master is None:
        raise NotFound("case_not_found", _("Case not found"))
    if not master.is_open or master.status == S.MERGED:
        raise Conflict(
            "case_merge_target_closed", _("Merge into an open case."), {"master": master.code}
        )
    now = clock.now()
    old, case.master = _move(case, "merge"), master
    _stop_clock(case)
    _save(case, now)
    # The master carries the heat of every report of the problem, its own included.
    master.heat += case.heat
    case.heat = 1
    case.save(update_fields=["heat"])
    _save(master, now)
    _record(actor, case, "merge", from_state=old, note=note, data={"master": master.code})
    _record(
        actor,
        master,
        "duplicate_added",
        from_state=master.status,
        data={"duplicate": case.code, "heat": master.heat},
        public=False,
    )
    notices.send(case, "merge")
    return case


def _check_unit_choice(actor, case: Case, unit: Unit) -> None:
    """A desk dispatches inside its own area; only the district desk sends to any unit."""
    if case.level == Level.DISTRICT or scope_for(actor).everything:
        return
    if not scope_for(actor).covers(unit):
        raise InvalidInput(
            "case_unit_out_of_reach",
            _("%(unit)s is outside your area: escalate the case instead.") % {"unit": unit.name},
            {"unit": unit.pk},
        )


@transaction.atomic
def dispatch(
    *,
    actor,
    case_id: int,
    unit: Unit | None = None,
    assisting: Iterable[Unit] = (),
    handler: Person | None = None,
    note: str = "",
) -> Case:
    case = _begin(actor, case_id, "dispatch")
    unit = unit or routing.default_unit(case.category, case.place, case.level)
    if unit is None:
        raise InvalidInput("case_unit_required", _("Choose the unit that must handle the case."))
    _check_unit_choice(actor, case, unit)
    assisting = [u for u in assisting if u.pk != unit.pk]
    for other in assisting:
        _check_unit_choice(actor, case, other)
    now = clock.now()
    old = _move(case, "dispatch")
    first = case.dispatched_at is None  # never dispatched: no assisting units to replace
    case.responsible_unit, case.handler, case.dispatched_at = unit, handler, now
    _start_stage(case, Stage.HANDLE, now)
    case.refresh_scope_keys(assisting_ids=[u.pk for u in assisting])  # saved with the case
    _save(case, now)
    if assisting or not first:
        case._prefetched_objects_cache.pop("assisting_units", None)  # set() reads the old ones
        case.assisting_units.set(assisting)
    keep_assisting(case, assisting)
    _record(
        actor,
        case,
        "dispatch",
        from_state=old,
        note=note,
        data={
            "unit": unit.name,
            "unit_id": unit.pk,
            "assisting": [u.name for u in assisting],
            "handler": handler.name if handler else "",
            "due_at": case.due_at.isoformat(),
        },
    )
    hooks.publish(CASE_DISPATCHED, case=case, actor=actor)  # kept the suggested unit?
    notices.send(case, "dispatch")
    return case


@transaction.atomic
def take(*, actor, case_id: int, note: str = "") -> Case:
    case = _begin(actor, case_id, "take")
    now = clock.now()
    old = _move(case, "take")
    person = _person_of(actor)
    if case.handler_id is None and person is not None:
        case.handler = person
    _save(case, now)
    _record(actor, case, "take", from_state=old, note=note)
    return case


@transaction.atomic
def send_back(*, actor, case_id: int, reason: str) -> Case:
    case = _begin(actor, case_id, "send_back")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    now = clock.now()
    unit = case.responsible_unit
    old = _move(case, "send_back")
    case.responsible_unit, case.handler, case.pending_request = None, None, {}
    _start_stage(case, Stage.DISPATCH, now)
    case.refresh_scope_keys(assisting_ids=[])  # saved with the case
    _save(case, now)
    case.assisting_units.clear()
    keep_assisting(case, [])
    _record(
        actor,
        case,
        "send_back",
        from_state=old,
        note=reason,
        data={"unit": unit.name if unit else "", "unit_id": unit.pk if unit else None},
    )
    notices.send(case, "send_back")
    return case


@transaction.atomic
def reply(*, actor, case_id: int, result: str, photos: Sequence[Photo] = ()) -> Case:
    case = _begin(actor, case_id, "reply")
    result = _required(result, "case_result_required", _("Say what was done."), MAX_DESCRIPTION)
    _check_photos(photos)
    now = clock.now()
    old, case.result, case.replied_at = _move(case, "reply"), result, now
    case.pending_request = {}
    if case.dispatched_at is not None:
        worked = worktime.work_time_between(case.dispatched_at, now, unit=case.responsible_unit)
        case.handling_hours = round(worked.total_seconds() / 3600 - case.suspended_hours, 2)
    _start_stage(case, Stage.VERIFY, now)
    _save(case, now)
    _record(actor, case, "reply", from_state=old, note=result, photos=photos, step="after")
    notices.send(case, "reply")
    return case


@transaction.atomic
def verify(
    *, actor, case_id: int, passed: bool, note: str = "", photos: Sequence[Photo] = ()
) -> Case:
    case = _begin(actor, case_id, "verify")
    _check_photos(photos)
    now = clock.now()
    old = _move(case, "verify", S.CLOSED if passed else S.HANDLING)
    if passed:
        case.closed_at = now
        case.closed_on_time = bool(
            case.handle_due_at is None
            or (case.replied_at is not None and case.replied_at <= case.handle_due_at)
        )
        _start_stage(case, Stage.RETURN_VISIT, now)
    else:
        note = _required(note, "reason_required", _("Say what is still wrong."), 1000)
        case.rework_count += 1
        case.replied_at = None
        _start_stage(case, Stage.HANDLE, now)
    _save(case, now)
    _record(
        actor,
        case,
        "verify",
        from_state=old,
        note=note,
        data={"passed": bool(passed), "rework_count": case.rework_count},
        photos=photos,
    )
    notices.send(case, "close" if passed else "rework")
    return case


def return_visit(
    *,
    actor,
    case_id: int | None = None,
    code: str = "",
    satisfaction: str,
    note: str = "",
    channel: str = "phone",
    reporter_phone: str = "",
) -> Case:
    """Ask the reporter. Staff call it by case id; a resident rates on the tracking page by
    code, proving with the phone number given at report time."""
    with transaction.atomic():
        if case_id is not None:
            case = _begin(actor, case_id, "return_visit")
        else:
            case = _by_code_for_reporter(code, reporter_phone)
            if case.status != S.CLOSED or case.visited_at is not None:
                raise InvalidTransition(
                    "case_bad_state", _("This case cannot be rated now."), {"status": case.status}
                )
            channel = "resident"
        if satisfaction not in Case.Satisfaction.values:
            raise InvalidInput(
                "case_satisfaction_invalid",
                _("Choose satisfied, basically satisfied or dissatisfied."),
            )
        now = clock.now()
        case.satisfaction, case.visited_at = satisfaction, now
        _stop_clock(case)
        _save(case, now)
        _record(
            actor,
            case,
            "return_visit",
            from_state=case.status,
            note=(note or "").strip()[:1000],
            data={"satisfaction": satisfaction, "channel": channel},
        )
        notices.send(case, "return_visit")
        return case


def _by_code_for_reporter(code: str, phone: str) -> Case:
    case = Case.objects.select_for_update().filter(code=(code or "").strip().upper()).first()
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    known = "".join(ch for ch in (case.reporter_phone if case else "") if ch.isdigit())
    if case is None or not known or digits != known:
        # Same answer for a wrong code and a wrong phone: nothing to learn by guessing.
        raise NotFound("case_not_found", _("No case with this code and phone number."))
    return case


@transaction.atomic
def reopen(*, actor, case_id: int, reason: str) -> Case:
    case = _begin(actor, case_id, "reopen")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    now = clock.now()
    old = _move(case, "reopen")
    case.reopen_count += 1
    case.closed_at = case.closed_on_time = case.replied_at = None
    case.satisfaction, case.visited_at = "", None
    case.dispatched_at = now
    _start_stage(case, Stage.HANDLE, now)
    _save(case, now)
    _record(actor, case, "reopen", from_state=old, note=reason)
    notices.send(case, "dispatch")
    return case


@transaction.atomic
def escalate(*, actor, case_id: int, reason: str) -> Case:
    case = _begin(actor, case_id, "escalate")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    target = Level.above(case.level)
    now = clock.now()
    old, old_level = _move(case, "escalate"), case.level
    case.level = target
    case.accepted_at = case.accepted_at or now
    case.dispatcher_unit = routing.office_for(case.place, target)
    case.responsible_unit, case.handler, case.pending_request = None, None, {}
    case.escalations += 1
    _start_stage(case, Stage.DISPATCH, now)
    case.refresh_scope_keys(assisting_ids=[])  # saved with the case
    _save(case, now)
    case.assisting_units.clear()
    keep_assisting(case, [])
    _record(
        actor,
        case,
        "escalate",
        from_state=old,
        note=reason,
        data={
            "from_level": old_level,
            "to_level": target,
            "unit": case.dispatcher_unit.name if case.dispatcher_unit else "",
        },
    )
    notices.send(case, "escalate")
    return case


@transaction.atomic
def request(*, actor, case_id: int, kind: str, reason: str, days: float = 0) -> Case:
    """The handling unit asks to suspend or extend; the desk decides (:func:`decide`)."""
    case = _begin(actor, case_id, "request")
    if case.pending_request:
        raise Conflict("case_request_pending", _("A request is already waiting for a decision."))
    if kind not in ("suspend", "extend"):
        raise InvalidInput("case_request_kind", _("Ask to suspend or to extend."))
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    if kind == "extend":
        days = _extension_days(days)
        _check_extension_room(case)
    now = clock.now()
    case.pending_request = {"kind": kind, "days": days, "reason": reason, "at": now.isoformat()}
    _save(case, now)
    _record(
        actor,
        case,
        "request",
        from_state=case.status,
        note=reason,
        data={"kind": kind, "days": days},
    )
    notices.send(case, "request")
    return case


@transaction.atomic
def decide(*, actor, case_id: int, approve: bool, note: str = "") -> Case:
    case = _begin(actor, case_id, "decide")
    pending = dict(case.pending_request)
    case.pending_request = {}
    now = clock.now()
    _record(
        actor,
        case,
        "decide",
        from_state=case.status,
        note=note,
        data={"approve": bool(approve), **pending},
    )
    if not approve:
        _save(case, now)
        notices.send(case, "request_denied")
        return case
    if pending["kind"] == "suspend":
        return _suspend(actor, case, reason=pending["reason"])
    return _extend(actor, case, days=pending["days"], reason=pending["reason"])


def _suspend(actor, case: Case, *, reason: str) -> Case:
    now = clock.now()
    unit = _acting_unit(case)
    limit = deadlines.limit_for(case.category, Stage.HANDLE)
    left = deadlines.elapsed(now, case.due_at, limit, unit=unit) if case.due_at else timedelta(0)
    old = _move(case, "suspend")
    case.resume_status = old
    case.suspended_at, case.remaining_seconds = now, left.total_seconds()
    case.warn_at = case.due_at = None
    case.light = ""
    _save(case, now)
    _record(actor, case, "suspend", from_state=old, note=reason)
    return case


@transaction.atomic
def suspend(*, actor, case_id: int, reason: str) -> Case:
    case = _begin(actor, case_id, "suspend")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    return _suspend(actor, case, reason=reason)


@transaction.atomic
def resume(*, actor, case_id: int, note: str = "") -> Case:
    case = _begin(actor, case_id, "resume")
    now = clock.now()
    old = _move(case, "resume", case.resume_status or S.HANDLING)
    unit = _acting_unit(case)
    limit = deadlines.limit_for(case.category, Stage.HANDLE)
    remaining = timedelta(seconds=case.remaining_seconds or 0)
    case.warn_at, case.due_at = deadlines.resumed_clock(now, remaining, limit, unit=unit)
    case.handle_due_at = case.due_at
    if case.suspended_at is not None:
        paused = worktime.work_time_between(case.suspended_at, now, unit=unit)
        case.suspended_hours += paused.total_seconds() / 3600
    case.light = deadlines.light_at(now, warn_at=case.warn_at, due_at=case.due_at)
    case.suspended_at, case.resume_status, case.remaining_seconds = None, "", None
    _save(case, now)
    _record(actor, case, "resume", from_state=old, note=note)
    return case


def _extension_days(days: float) -> float:
    try:
        value = float(days)
    except (TypeError, ValueError):
        value = 0
    if not MIN_EXTENSION_DAYS <= value <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            "case_extension_days",
            _("An extension is %(min)s to %(max)s working days.")
            % {"min": MIN_EXTENSION_DAYS, "max": MAX_EXTENSION_DAYS},
            {"days": days},
        )
    return value


def _check_extension_room(case: Case) -> None:
    if case.extensions >= MAX_EXTENSIONS:
        raise Conflict(
            "case_extension_limit",
            _("A case can be extended at most %(n)d times.") % {"n": MAX_EXTENSIONS},
        )


def _extend(actor, case: Case, *, days: float, reason: str) -> Case:
    _check_extension_room(case)
    days = _extension_days(days)
    now = clock.now()
    unit = _acting_unit(case)
    old_due = case.due_at
    case.due_at = worktime.add_work_time(old_due or now, days=days, unit=unit)
    case.handle_due_at = case.due_at
    # Yellow again at 80 % of the stage as it now stands.
    start = case.stage_started_at or now
    span = worktime.work_time_between(start, case.due_at, unit=unit)
    case.warn_at = worktime.add_work_time(
        start, hours=span.total_seconds() / 3600 * deadlines.YELLOW_AT, unit=unit
    )
    case.extensions += 1
    case.light = deadlines.light_at(now, warn_at=case.warn_at, due_at=case.due_at)
    _save(case, now)
    _record(
        actor,
        case,
        "extend",
        from_state=case.status,
        note=reason,
        data={
            "days": days,
            "from": old_due.isoformat() if old_due else "",
            "to": case.due_at.isoformat(),
        },
    )
    return case


@transaction.atomic
def extend(*, actor, case_id: int, days: float, reason: str) -> Case:
    case = _begin(actor, case_id, "extend")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    return _extend(actor, case, days=days, reason=reason)


@transaction.atomic
def cancel(*, actor, case_id: int, reason: str) -> Case:
    case = _begin(actor, case_id, "cancel")
    reason = _required(reason, "reason_required", _("Give the reason."), 300)
    now = clock.now()
    old = _move(case, "cancel")
    _stop_clock(case)
    case.pending_request = {}
    _save(case, now)
    _record(actor, case, "cancel", from_state=old, note=reason)
    return case


@transaction.atomic
def comment(
    *, actor, case_id: int, note: str, photos: Sequence[Photo] = (), public: bool = False
) -> Case:
    case = _locked(actor, case_id)
    note = _required(note, "note_required", _("Write the note."), 2000)
    _check_photos(photos)
    _record(actor, case, "comment", from_state=case.status, note=note, photos=photos, public=public)
    return case


# --- the sweeper's one write -------------------------------------------------------------------


@transaction.atomic
def update_light(*, case_id: int, now: datetime | None = None) -> str | None:
    """Recompute one case's light; on a change write the warning event and notify. Returns
    the new light, or ``None`` when nothing changed (so two sweeps at once write once)."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "responsible_unit", "dispatcher_unit")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not case.is_open:
        return None
    now = now or clock.now()
    light = deadlines.light_at(now, warn_at=case.warn_at, due_at=case.due_at)
    if light == case.light:
        return None
    old, case.light = case.light, light
    case.save(update_fields=["light"])
    if light in ("yellow", "red"):
        events.record(
            CaseEvent,
            actor=None,
            verb=f"light_{light}",
            case=case,
            from_state=case.status,
            to_state=case.status,
            data={"from": old, "to": light, "stage": case.stage, "due_at": _iso(case.due_at)},
            public=False,
        )
        notices.send(case, f"light_{light}")
    return light


@dataclass
class Relit:
    """One chunk of :func:`relight_stale`: the changes per new light, and where to go on."""

    changed: dict[str, int]
    last_pk: int | None  # the highest pk examined; ``None`` when nothing was left
    examined: int = 0


def _light_now_sql(due: str, warn: str) -> str:
    """:func:`deadlines.light_at` in SQL on a row (``''`` without a deadline): the guard of
    the sweep's UPDATE compares it to the light it writes (same boundaries as
    :func:`deadlines.light_conditions`)."""
    return (
        f"CASE WHEN {due} <= %s THEN 'red'"
        f" WHEN {warn} <= %s AND {due} > %s THEN 'yellow'"
        f" WHEN {due} > %s AND ({warn} IS NULL OR {warn} > %s) THEN 'green' ELSE '' END"
    )


def _iso_sql(column: str) -> str:
    """PostgreSQL spelling of :func:`_iso` (UTC, ``+00:00``, microseconds only when some)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"COALESCE(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN mod(date_part('microseconds', {utc})::bigint, 1000000) <> 0"
        f" THEN to_char({utc}, '.US') ELSE '' END || '+00:00', '')"
    )


def relight_stale(now: datetime | None = None, *, limit: int = 5000, after: int = 0) -> Relit:
    """The set-based sweep step: re-light up to ``limit`` stale open cases with pk > ``after``
    in one transaction — one read, then one guarded ``UPDATE … FROM`` of every (case, old,
    new light) of the chunk, the warning events and the notifications in bulk. On
    PostgreSQL the events are inserted by the UPDATE's own statement (a data-modifying
    ``WITH``) from the rows it really changed, on SQLite by one bulk INSERT of those. Same
    outcome as :func:`update_light` on each case; the guard (the stored light still the old
    one, the case still open and, by its deadlines now, due for the new one) makes two sweeps
    at once write each change once."""
    from django.db import connection
    from django.db.models import Case as Choose
    from django.db.models import CharField, Value, When

    from cityloop.core.db import id_list_sql, insert_rows

    now = now or clock.now()
    conds = deadlines.light_conditions(now)
    target = Choose(
        *(When(cond, then=Value(colour)) for colour, cond in conds.items()),
        default=Value(""),
        output_field=CharField(),
    )
    with transaction.atomic():
        # Plain rows, not Case objects: building thousands of models with their units and
        # handler cost more than the writes they feed.
        rows = list(
            Case.objects.filter(status__in=Case.OPEN, pk__gt=after)
            .filter(deadlines.stale_light_q(now))
            .annotate(new_light=target)
            .order_by("pk")
            .values("light", "new_light", "stage", *notices.LIGHT_FIELDS)[:limit]
        )
        if not rows:
            return Relit(changed={}, last_pk=None)
        pg = connection.vendor == "postgresql"
        qn = connection.ops.quote_name
        table = qn(Case._meta.db_table)
        col = {
            name: "c." + qn(Case._meta.get_field(name).column)
            for name in ("id", "light", "status", "stage", "due_at", "warn_at")
        }
        moment = connection.ops.adapt_datetimefield_value(now)
        open_states = [str(s) for s in Case.OPEN]
        ids_sql, ids_params = id_list_sql([row["pk"] for row in rows])
        if pg:
            pick = "unnest(%s::bigint[], %s::text[], %s::text[]) AS pick(id, old, new)"
            # Array literals, not lists: psycopg adapting thousands of items one by one costs
            # more than the UPDATE (lights are plain words, quoted for the empty one).
            pick_params: list[Any] = [
                "{" + ",".join(str(int(row["pk"])) for row in rows) + "}",
                "{" + ",".join(f'"{row["light"]}"' for row in rows) + "}",
                "{" + ",".join(f'"{row["new_light"]}"' for row in rows) + "}",
            ]
        else:
            import json

            pick = (
                "(SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS old,"
                " json_extract(value, '$[2]') AS new FROM json_each(%s)) AS pick"
            )
            pick_params = [json.dumps([[r["pk"], r["light"], r["new_light"]] for r in rows])]
        light_now = _light_now_sql(col["due_at"], col["warn_at"])
        update = (
            f"UPDATE {table} AS c SET {qn('light')} = pick.new FROM {pick}"
            f" WHERE {col['id']} = pick.id AND {col['id']} {ids_sql}"
            f" AND {col['light']} = pick.old"
            f" AND {col['status']} IN ({', '.join(['%s'] * len(open_states))})"
            f" AND {light_now} = pick.new"
        )
        params = [*pick_params, *ids_params, *open_states, *[moment] * light_now.count("%s")]
        shared = events.event_fields(actor=None, verb="")
        if pg:  # the events from the changed rows, in the same statement
            ev = CaseEvent._meta
            names = ("at", "actor_label", "verb", "from_state", "to_state", "note", "data")
            names += ("attachments", "actor", "case", "public")
            cols = ", ".join(qn(ev.get_field(n).column) for n in names)
            data = (
                "jsonb_build_object('from', m.old, 'to', m.new, 'stage', m.stage,"
                f" 'due_at', {_iso_sql('m.due_at')})"
            )
            # … and the notifications too, from the same rows: no message built in Python.
            unsent = notify.sends_outside()
            inbox, inbox_params = notices.light_inbox_sql(
                "moved", notices.light_audience(rows), unsent=unsent
            )
            sql = (
                f"WITH moved AS ({update} RETURNING {col['id']} AS id, pick.old AS old,"
                f" pick.new AS new, {col['status']} AS status, {col['stage']} AS stage,"
                f" {col['due_at']} AS due_at, c.{qn('code')} AS code, c.{qn('title')} AS title),"
                f" ev AS (INSERT INTO {qn(ev.db_table)} ({cols})"
                f" SELECT %s, %s, 'light_' || m.new, m.status, m.status, %s, {data},"
                " '[]'::jsonb, NULL, m.id, false FROM moved m"
                " WHERE m.new IN ('yellow', 'red')),"
                f" inbox AS ({inbox})"
                " SELECT id, new FROM moved"
                + (" UNION ALL SELECT id, NULL FROM inbox" if unsent else "")
            )
            params += [connection.ops.adapt_datetimefield_value(shared["at"])]
            params += [shared["actor_label"], shared["note"], *inbox_params]
        else:
            # SQLite's RETURNING names the updated table's columns bare (no alias).
            sql = f"{update} RETURNING {qn('id')}, {qn('light')}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            answer = cursor.fetchall()
        done = {pk: light for pk, light in answer if light is not None}
        if pg:  # the inbox rows the statement wrote, handed to the queue after commit
            notify.queue_written([pk for pk, light in answer if light is None])
        changed: dict[str, int] = {}
        steps: list[tuple[dict, str]] = []
        new_events: list[dict[str, Any]] = []
        shared["actor_id"] = shared.pop("actor")
        for row in rows:
            light = done.get(row["pk"])
            if light is None:
                continue
            changed[light] = changed.get(light, 0) + 1
            if light not in ("yellow", "red"):
                continue
            verb = f"light_{light}"
            steps.append((row, verb))
            if not pg:
                status = row["status"]
                data = {"from": row["light"], "to": light, "stage": row["stage"]}
                data["due_at"] = _iso(row["due_at"])
                new_events.append(
                    {
                        **shared,
                        "verb": verb,
                        "from_state": status,
                        "to_state": status,
                        "data": data,
                        "case_id": row["pk"],
                        "public": False,
                    }
                )
        if new_events:
            insert_rows(CaseEvent, new_events)
        if steps and not pg:
            notices.send_lights(steps)
    return Relit(changed=changed, last_pk=rows[-1]["pk"], examined=len(rows))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


# --- one door for pages and API ----------------------------------------------------------------


def perform(actor, case_id: int, action: str, payload: dict[str, Any]) -> Case:
    """Run ``action`` with a payload already resolved to objects (units, categories …)."""
    entry = actions.REGISTRY.get(action)
    if entry is None:
        raise NotFound("case_action_unknown", _("No such action."), {"action": action})
    fn = _ACTION_FUNCTIONS.get(action)
    if fn is None:  # declared in the registry only: a plain move with a note or a reason
        return _generic(actor=actor, case_id=case_id, action=action, **payload)
    return fn(actor=actor, case_id=case_id, **payload)


@transaction.atomic
def _generic(*, actor, case_id: int, action: str, note: str = "", reason: str = "") -> Case:
    entry = actions.REGISTRY[action]
    if entry.input not in actions.GENERIC_INPUTS:
        raise RuntimeError(f"action {action!r} takes {entry.input!r} and needs its own function")
    case = _begin(actor, case_id, action)
    if entry.input == "reason":
        note = _required(reason, "reason_required", _("Give the reason."), 300)
    now = clock.now()
    old = _move(case, action) if entry.targets is not None else case.status
    _save(case, now)
    _record(actor, case, action, from_state=old, note=(note or "").strip()[:1000])
    return case


# The actions that do more than move the case; every name must be in the registry.
_ACTION_FUNCTIONS = {
    "accept": accept,
    "reject": reject,
    "merge": merge,
    "dispatch": dispatch,
    "take": take,
    "send_back": send_back,
    "reply": reply,
    "verify": verify,
    "return_visit": return_visit,
    "reopen": reopen,
    "escalate": escalate,
    "request": request,
    "decide": decide,
    "suspend": suspend,
    "resume": resume,
    "extend": extend,
    "cancel": cancel,
    "comment": comment,
}
if not set(_ACTION_FUNCTIONS) <= set(actions.REGISTRY):
    raise RuntimeError("an action function has no registry entry")
