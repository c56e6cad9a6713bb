"""A patrol's changes: start, track points and check-ins, a problem reported, end.

Every change writes its :class:`PatrolEvent` in the same transaction. A phone that lost its
network sends the same requests later, possibly twice: the start carries a client key, each
point its own key, a report the case intake's ``Idempotency-Key`` and the end its key, so a
resend changes nothing and never makes a second case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.cases import queries as case_queries
from cityloop.cases import workflow as case_workflow
from cityloop.cases.models import Case, Category
from cityloop.core import clock, codes, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from cityloop.core.photos import Photo
from cityloop.org.models import Zone
from cityloop.patrols import coverage, queries
from cityloop.patrols.models import Patrol, PatrolCase, PatrolEvent, PatrolPoint

MAX_POINTS_PER_BATCH = 500
# A phone whose clock is off, or a point queued days ago, must not land far from its patrol.
CLOCK_SLACK_S = 300


@dataclass(frozen=True)
class PointIn:
    at: datetime
    lng: float
    lat: float
    accuracy_m: float | None = None
    key: str = ""


def _new_code(now: datetime) -> str:
    return codes.dated_code(Patrol, now, prefix="XC")


def _locked(actor, patrol_id: int) -> Patrol:
    patrol = (
        queries.visible_patrols(actor).select_for_update(of=("self",)).filter(pk=patrol_id).first()
    )
    if patrol is None:
        raise NotFound("patrol_not_found", _("Patrol not found"))
    if not getattr(actor, "is_superuser", False) and patrol.user_id != getattr(actor, "pk", None):
        raise Forbidden("patrol_not_yours", _("Only the person on patrol records it."))
    return patrol


def _ongoing(patrol: Patrol) -> None:
    if patrol.state != Patrol.State.ONGOING:
        raise InvalidTransition("patrol_ended", _("The patrol has ended."), {"patrol": patrol.pk})


def start_patrol(
    *,
    actor,
    zone_ids: Sequence[int] = (),
    client_key: str = "",
    at: datetime | None = None,
    is_demo: bool = False,
) -> Patrol:
    """巡查开始: over some (default: all) of the actor's own patrol zones. One patrol under way
    per account; the same client key again gives back the same patrol."""
    client_key = (client_key or "").strip()[:200]
    if client_key and getattr(actor, "pk", None):
        earlier = Patrol.objects.filter(user=actor, client_key=client_key).first()
        if earlier is not None:
            return earlier
    duties = queries.patrol_duties(actor)
    if not duties:
        raise Forbidden("patrol_no_duty", _("You hold no patrol duty on any zone."))
    mine = {d.zone_id: d for d in duties}
    wanted = list(dict.fromkeys(int(z) for z in zone_ids)) or list(mine)
    if any(z not in mine for z in wanted):
        raise InvalidInput(
            "patrol_zone_not_yours",
            _("This zone is not one you patrol."),
            {"zones": [z for z in wanted if z not in mine]},
        )
    duty = mine[wanted[0]]
    now = clock.now()
    started = at or now
    if started > now + _slack():
        raise InvalidInput("patrol_time_invalid", _("The time lies in the future."))
    try:
        with transaction.atomic():
            if Patrol.objects.filter(user=actor, state=Patrol.State.ONGOING).exists():
                raise Conflict(
                    "patrol_already_ongoing",
                    _("You are already on patrol: end it first."),
                    {"patrol": queries.ongoing_for(actor).pk},
                )
            zones = list(Zone.objects.filter(pk__in=wanted).select_related("place"))
            zones.sort(key=lambda z: wanted.index(z.pk))
            patrol = Patrol.objects.create(
                code=_new_code(started),
                person=duty.person,
                user=actor,
                role=duty.role,
                level=duty.level,
                place=zones[0].place,
                started_at=started,
                client_key=client_key,
                is_demo=is_demo,
            )
            patrol.zones.set(zones)
            events.record(
                PatrolEvent,
                actor=actor,
                verb="start",
                patrol=patrol,
                to_state="ongoing",
                data={"zones": [z.name for z in zones]},
            )
    except IntegrityError:
        earlier = Patrol.objects.filter(user=actor, client_key=client_key).first()
        if not client_key or earlier is None:
            raise
        return earlier
    return patrol


def _slack() -> timedelta:
    return timedelta(seconds=CLOCK_SLACK_S)


def add_points(*, actor, patrol_id: int, points: Sequence[PointIn]) -> int:
    """Store the thinned track of a batch of positions; returns how many points were kept.
    Points already stored (same key) and points out of the patrol's time are skipped."""
    if len(points) > MAX_POINTS_PER_BATCH:
        raise InvalidInput(
            "patrol_points_too_many",
            _("Send at most %(n)d points at once.") % {"n": MAX_POINTS_PER_BATCH},
        )
    for p in points:
        if not (-180 <= p.lng <= 180 and -90 <= p.lat <= 90):
            raise InvalidInput(
                "patrol_point_invalid", _("The coordinates are not a place on Earth.")
            )
    with transaction.atomic():
        patrol = _locked(actor, patrol_id)
        _ongoing(patrol)
        keys = [p.key for p in points if p.key]
        seen = set(patrol.points.filter(client_key__in=keys).values_list("client_key", flat=True))
        upper = clock.now() + _slack()
        stored = (
            patrol.points.filter(kind=PatrolPoint.Kind.GPS)
            .order_by("-at", "-pk")
            .values_list("lng", "lat", "at")
            .first()
        )
        # The track only moves forward: a point not after the last stored one is a resend of
        # a batch (thinning dropped some of its points, so their keys alone do not tell).
        after = stored[2] if stored else patrol.started_at - timedelta(microseconds=1)
        fresh = sorted(
            (p for p in points if p.key not in seen and after < p.at <= upper),
            key=lambda p: p.at,
        )
        last = stored[:2] if stored else None
        kept = [fresh[i] for i in coverage.thin([(p.lng, p.lat) for p in fresh], last=last)]
        PatrolPoint.objects.bulk_create(
            [
                PatrolPoint(
                    patrol=patrol,
                    at=p.at,
                    lng=p.lng,
                    lat=p.lat,
                    accuracy_m=p.accuracy_m,
                    client_key=p.key[:100],
                )
                for p in kept
            ]
        )
        prev = last
        for p in kept:
            if prev is not None:
                patrol.distance_m += round(coverage.distance_m(prev, (p.lng, p.lat)))
            prev = (p.lng, p.lat)
        if kept:
            patrol.save(update_fields=["distance_m"])
    return len(kept)


def check_in(
    *, actor, patrol_id: int, zone_id: int, segment: str = "", key: str = ""
) -> PatrolPoint:
    """打卡: where there is no GPS, the patrol checks in on a road segment of its zone."""
    segment = (segment or "").strip()[:100]
    with transaction.atomic():
        patrol = _locked(actor, patrol_id)
        _ongoing(patrol)
        if key and (p := patrol.points.filter(client_key=key[:100]).first()) is not None:
            return p
        zone = patrol.zones.filter(pk=zone_id).first()
        if zone is None:
            raise InvalidInput(
                "patrol_zone_not_on_patrol", _("This zone is not part of the patrol.")
            )
        point = PatrolPoint.objects.create(
            patrol=patrol,
            kind=PatrolPoint.Kind.CHECK_IN,
            at=clock.now(),
            zone=zone,
            segment=segment,
            client_key=key[:100],
        )
        events.record(
            PatrolEvent,
            actor=actor,
            verb="check_in",
            patrol=patrol,
            data={"zone": zone.name, "segment": segment},
        )
    return point


def report_problem(
    *,
    actor,
    patrol_id: int,
    description: str,
    lng: float | None = None,
    lat: float | None = None,
    zone_id: int | None = None,
    category: Category | None = None,
    photos: Sequence[Photo] | None = None,
    photo_loader=None,
    idempotency_key: str = "",
    is_demo: bool = False,
) -> Case:
    """A problem found on patrol becomes an ordinary case through the case intake (source
    patrol, the patrol's zone), linked to the patrol. The same ``idempotency_key`` again is
    the same case and the same link. ``photo_loader`` claims uploads only once the key is
    known to be new (a retry must not try to claim them again)."""
    client = f"user:{actor.pk}" if getattr(actor, "pk", None) else "system"
    key = (idempotency_key or "").strip()[:200]
    with transaction.atomic():
        patrol = _locked(actor, patrol_id)
        earlier = case_queries.case_for_idempotency_key(client, key) if key else None
        if earlier is not None:
            _link(actor, patrol, earlier)
            return earlier
        _ongoing(patrol)
        zones = list(patrol.zones.all())
        zone = next((z for z in zones if z.pk == zone_id), None) if zone_id else zones[0]
        if zone is None:
            raise InvalidInput(
                "patrol_zone_not_on_patrol", _("This zone is not part of the patrol.")
            )
        if photos is None:
            photos = photo_loader() if photo_loader is not None else []
        case = case_workflow.report(
            actor=actor,
            source=Case.Source.PATROL,
            description=description,
            category=category,
            lng=lng,
            lat=lat,
            zone=zone,
            photos=photos,
            idempotency_key=key,
            client=client,
            is_demo=is_demo,
            event_data={"patrol": patrol.code},
        )
        _link(actor, patrol, case)
    return case


def _link(actor, patrol: Patrol, case: Case) -> None:
    _link_row, created = PatrolCase.objects.get_or_create(
        case=case, defaults={"patrol": patrol, "at": clock.now()}
    )
    if created:
        events.record(
            PatrolEvent,
            actor=actor,
            verb="report",
            patrol=patrol,
            data={"case": case.code, "case_id": case.pk},
        )


def end_patrol(*, actor, patrol_id: int, note: str = "", key: str = "") -> Patrol:
    """巡查结束. The result is read off the records: a patrol that reported cases found
    problems, one that did not is "未发现问题". Ending again with the same key is a resend."""
    key = (key or "").strip()[:200]
    with transaction.atomic():
        patrol = _locked(actor, patrol_id)
        if patrol.state == Patrol.State.ENDED:
            ended = patrol.events.filter(verb="end").order_by("-at").first()
            if key and ended is not None and ended.data.get("key") == key:
                return patrol
            _ongoing(patrol)
        now = clock.now()
        patrol.state = Patrol.State.ENDED
        patrol.ended_at = max(now, patrol.started_at)
        patrol.result = (
            Patrol.Result.PROBLEMS if patrol.case_links.exists() else Patrol.Result.NO_PROBLEM
        )
        patrol.note = (note or "").strip()[:2000]
        patrol.save(update_fields=["state", "ended_at", "result", "note"])
        events.record(
            PatrolEvent,
            actor=actor,
            verb="end",
            patrol=patrol,
            from_state="ongoing",
            to_state=patrol.result,
            note=patrol.note,
            data={"key": key, "points": patrol.points.count(), "distance_m": patrol.distance_m},
        )
    return patrol
