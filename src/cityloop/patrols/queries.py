"""Reads for the patrol pages, API, ledger and indicator. Every read starts from
:func:`visible_patrols`: a patrol outside the reader's scope is not found, never forbidden."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from cityloop.cases.queries import SourceLink
from cityloop.core import clock
from cityloop.core.errors import NotFound
from cityloop.core.roles import roles_of
from cityloop.core.scope import scope_for
from cityloop.org.models import Person, Unit, Zone, ZoneRole
from cityloop.patrols import coverage
from cityloop.patrols.models import Patrol, PatrolCase, PatrolRequirement

# The duties that patrol (the same set the case intake opens the patrol channel to).
PATROL_ROLES = (
    ZoneRole.Role.ROAD_CHIEF,
    ZoneRole.Role.GRID_WORKER,
    ZoneRole.Role.INSPECTOR,
)


# The desks that run their own staff's patrols: a community committee's road chiefs and grid
# workers walk roads that belong to the street, and the committee follows their patrols.
DESK_ROLES = frozenset({"street_staff", "community_worker"})


def visible_patrols(actor) -> QuerySet[Patrol]:
    """Patrols over a zone the reader covers, patrols walked by the staff of a desk's units,
    and the reader's own. ``None`` is the system."""
    if actor is None:
        return Patrol.objects.all()
    scope = scope_for(actor)
    if scope.everything:
        return Patrol.objects.all()
    zones = Zone.objects.filter(scope.zones_q()).values("pk")
    through = Patrol.zones.through.objects.filter(zone_id__in=zones).values("patrol_id")
    q = Q(pk__in=through)
    if getattr(actor, "pk", None):
        q |= Q(user=actor)
        if scope.unit_paths and DESK_ROLES.intersection(roles_of(actor)):
            q |= Q(person__unit__in=Unit.objects.filter(scope.units_q()).values("pk"))
    return Patrol.objects.filter(q)


def case_source_link(actor, case) -> SourceLink | None:
    """ "巡查发现" on the case page, when the reader may open the patrol (else no link)."""
    patrol_id = (
        PatrolCase.objects.filter(case=case, patrol__in=visible_patrols(actor))
        .values_list("patrol_id", flat=True)
        .first()
    )
    if patrol_id is None:
        return None
    return SourceLink("patrol", _("Found on patrol"), reverse("patrols:detail", args=[patrol_id]))


def patrol_get(actor, patrol_id: int) -> Patrol:
    patrol = (
        visible_patrols(actor)
        .select_related("person", "place")
        .prefetch_related("zones")
        .filter(pk=patrol_id)
        .first()
    )
    if patrol is None:
        raise NotFound("patrol_not_found", _("Patrol not found"))
    return patrol


def patrol_rows(actor, *, state: str = "", limit: int = 200) -> list[Patrol]:
    qs = visible_patrols(actor).select_related("person", "place").prefetch_related("zones")
    if state:
        qs = qs.filter(state=state)
    return list(qs.order_by("-started_at", "-pk")[:limit])


def ongoing_for(actor) -> Patrol | None:
    """The account's patrol under way, if any (one at a time)."""
    if not getattr(actor, "pk", None):
        return None
    return (
        Patrol.objects.filter(user=actor, state=Patrol.State.ONGOING)
        .prefetch_related("zones")
        .order_by("-started_at")
        .first()
    )


def patrol_duties(actor) -> list[ZoneRole]:
    """The account's own patrol duties on zones: what the phone page offers to patrol."""
    if not getattr(actor, "pk", None):
        return []
    return list(
        ZoneRole.objects.filter(person__user=actor, role__in=PATROL_ROLES, zone__isnull=False)
        .select_related("zone", "person")
        .order_by("zone__name", "pk")
    )


def case_links(patrol: Patrol) -> list[PatrolCase]:
    return list(patrol.case_links.select_related("case").order_by("at", "pk"))


def track(patrol: Patrol) -> list[dict[str, Any]]:
    return [
        {
            "kind": p.kind,
            "at": p.at,
            "lng": p.lng,
            "lat": p.lat,
            "segment": p.segment,
            "zone": p.zone.name if p.zone_id else "",
        }
        for p in patrol.points.select_related("zone").order_by("at", "pk")
    ]


# --- requirements and facts -------------------------------------------------------------------


def requirements() -> dict[tuple[str, str], PatrolRequirement]:
    return {(r.role, r.level): r for r in PatrolRequirement.objects.all()}


def requirement_for(
    reqs: dict[tuple[str, str], PatrolRequirement], role: str, level: str
) -> PatrolRequirement | None:
    """The exact (role, level) row, else the role's row without a level."""
    return reqs.get((role, level)) or reqs.get((role, ""))


def _local_range(start: date, end: date) -> tuple[datetime, datetime]:
    zone = clock.local_zone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def patrol_facts(
    duties: list[ZoneRole], start: date, end: date
) -> dict[tuple[int, int], list[tuple[int, date]]]:
    """``{(person_id, zone_id): [(patrol_id, local start date)]}`` for ended patrols of these
    people over these zones that started in ``[start, end]``: one query for all duties."""
    if not duties:
        return {}
    lo, hi = _local_range(start, end)
    rows = Patrol.zones.through.objects.filter(
        patrol__person_id__in={d.person_id for d in duties},
        zone_id__in={d.zone_id for d in duties},
        patrol__state=Patrol.State.ENDED,
        patrol__started_at__gte=lo,
        patrol__started_at__lt=hi,
    ).values_list("patrol_id", "zone_id", "patrol__person_id", "patrol__started_at")
    zone = clock.local_zone()
    out: dict[tuple[int, int], list[tuple[int, date]]] = defaultdict(list)
    for patrol_id, zone_id, person_id, at in rows:
        out[(person_id, zone_id)].append((patrol_id, at.astimezone(zone).date()))
    return out


# --- the 路长台账 ------------------------------------------------------------------------------


@dataclass
class LedgerRow:
    zone: Zone
    person: Person
    level: str
    level_label: str
    period_label: str
    required: int
    done: int
    patrols: int
    cases_found: int
    cases_closed: int
    return_visits: int
    patrol_ids: list[int] = field(default_factory=list)

    @property
    def short(self) -> bool:
        return self.done < self.required


def ledger_duties(
    actor, *, role: str = ZoneRole.Role.ROAD_CHIEF, place_path: str = ""
) -> list[ZoneRole]:
    """The road chiefs' duties on roads the reader covers (under ``place_path`` when given)."""
    zones = Zone.objects.filter(scope_for(actor).zones_q()) if actor is not None else Zone.objects
    if place_path:
        zones = zones.filter(place__path__startswith=place_path)
    return list(
        ZoneRole.objects.filter(role=role, zone__in=zones.filter(kind=Zone.Kind.ROAD).values("pk"))
        .select_related("zone", "person")
        .order_by("zone__name", "zone__code", "level", "person__name", "pk")
    )


def ledger(actor, week: date, *, place_path: str = "") -> list[LedgerRow]:
    """Per road, per chief, for the week starting on ``week``'s Monday: patrols done against
    required, the cases they found, how many are closed and visited back, in a fixed number
    of queries whatever the number of roads (facts batched, not read per row). ``place_path``
    keeps the roads of one street or community (a bulletin's place)."""
    start = coverage.week_start(week)
    end = start + timedelta(days=6)
    duties = ledger_duties(actor, place_path=place_path)
    reqs = requirements()
    facts = patrol_facts(duties, start, end)
    patrol_ids = {pid for rows in facts.values() for pid, _d in rows}
    # A case counts for the road it was reported on (the patrol's first road when unset).
    cases: dict[tuple[int, int], list[tuple[str, bool]]] = defaultdict(list)
    links = PatrolCase.objects.filter(patrol_id__in=patrol_ids).values_list(
        "patrol_id", "patrol__person_id", "case__zone_id", "case__status", "case__visited_at"
    )
    first_zone = {
        pid: zid
        for pid, zid in Patrol.zones.through.objects.filter(patrol_id__in=patrol_ids)
        .order_by("-id")
        .values_list("patrol_id", "zone_id")
    }
    for pid, person_id, zone_id, status, visited in links:
        cases[(person_id, zone_id or first_zone.get(pid))].append((status, visited is not None))
    rows = []
    for d in duties:
        req = requirement_for(reqs, d.role, d.level)
        days = [day for _p, day in facts.get((d.person_id, d.zone_id), [])]
        if req is not None:
            t = coverage.tally(req.period, req.times, start, end, days)
        else:
            t = coverage.Tally(0, 0, len(days))
        found = cases.get((d.person_id, d.zone_id), [])
        rows.append(
            LedgerRow(
                zone=d.zone,
                person=d.person,
                level=d.level,
                level_label=d.get_level_display(),
                period_label=req.get_period_display() if req else _("Not required"),
                required=t.required,
                done=t.done,
                patrols=t.patrols,
                cases_found=len(found),
                cases_closed=sum(1 for s, _v in found if s == "closed"),
                return_visits=sum(1 for _s, v in found if v),
                patrol_ids=sorted({p for p, _d in facts.get((d.person_id, d.zone_id), [])}),
            )
        )
    return rows


def ledger_totals(rows: list[LedgerRow]) -> dict[str, int]:
    keys = ("required", "done", "patrols", "cases_found", "cases_closed", "return_visits")
    return {k: sum(getattr(r, k) for r in rows) for k in keys}


# --- missed patrols: the yellow / red items ---------------------------------------------------


@dataclass(frozen=True)
class MissedItem:
    duty: ZoneRole
    light: str
    reason: str
    last_patrol: date | None


def _missed(duties: list[ZoneRole], today: date) -> list[MissedItem]:
    reqs = requirements()
    facts = patrol_facts(duties, today - timedelta(days=21), today)
    out = []
    for d in duties:
        req = requirement_for(reqs, d.role, d.level)
        if req is None:
            continue
        days = [day for _p, day in facts.get((d.person_id, d.zone_id), [])]
        m = coverage.missed(req.period, req.times, today, days)
        if m.light:
            out.append(MissedItem(d, m.light, m.reason, max(days) if days else None))
    out.sort(key=lambda i: (i.light != "red", i.duty.zone.name, i.duty.person.name))
    return out


def missed_for_person(actor, today: date | None = None) -> list[MissedItem]:
    """The road chief's own page: their duties short of patrols."""
    return _missed(patrol_duties(actor), today or clock.today())


def missed_in_scope(actor, today: date | None = None) -> list[MissedItem]:
    """The street's board: every patrol duty on a zone the reader covers that is short."""
    zones = Zone.objects.filter(scope_for(actor).zones_q()).values("pk")
    duties = list(
        ZoneRole.objects.filter(role__in=PATROL_ROLES, zone__in=zones)
        .select_related("zone", "person")
        .order_by("zone__name", "pk")
    )
    return _missed(duties, today or clock.today())


def week_summary(actor, week: date, *, place_path: str = "") -> dict[str, int]:
    """本周各级路长巡查 N 次，发现问题 M 件，已办结 K 件: the bulletin sentence's figures."""
    return ledger_totals(ledger(actor, week, place_path=place_path))
