"""Reads for campaigns: what a user may see, the calendar of sessions (and the Fridays a
weekly campaign is due), and the totals over any period and place that reports print —
sessions, person-times, outputs by kind, resources by name, outputs by place.

Place filters read the tree: "under 晨光社区" is everything whose path starts with its path.
Sessions, sign-ins and resources are placed by their session; outputs by their own place.
"""

from __future__ import annotations

import calendar as pycal
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cityloop.campaigns import rules
from cityloop.campaigns.models import Campaign, Output, OutputKind, ResourceUse, Session, SignIn
from cityloop.core.errors import NotFound
from cityloop.core.scope import scope_for
from cityloop.org import queries as org_queries

PLACE_KINDS = ("street", "community", "compound")
MAX_CHOICES = 500


def visible_campaigns(actor) -> QuerySet[Campaign]:
    """Campaigns whose organiser or a partner unit the actor covers, or held at a place the
    actor covers. ``None`` is the system (CLI, demo, reports run by the server), which sees
    everything; an anonymous user is not ``None`` and sees nothing."""
    if actor is None:
        return Campaign.objects.all()
    scope = scope_for(actor)
    if scope.everything:
        return Campaign.objects.all()
    from cityloop.org.models import Unit

    units = Unit.objects.filter(scope.covered_units_q()).values("pk")
    places = Campaign.places.through.objects.filter(scope.places_q("place__")).values("campaign_id")
    partners = Campaign.partners.through.objects.filter(unit_id__in=units).values("campaign_id")
    return Campaign.objects.filter(
        Q(organiser_id__in=units) | Q(pk__in=places) | Q(pk__in=partners)
    )


def organiser_units(actor) -> list:
    """The units the actor may open a campaign for (:func:`rules.runs_for`), tree order."""
    if not rules.creates(actor):
        return []
    units = org_queries.unit_rows(actor)[:MAX_CHOICES]
    return [u for u in units if rules.runs_for(actor, u)]


def partner_units(actor) -> QuerySet:
    """Units the actor may name as partners: those it sees, and the partner units (联建共建)
    that adopt a compound it sees — a bureau's party branch joining a community's clean-up."""
    from cityloop.org.models import Partnership, Unit

    adopting = Partnership.objects.filter(
        compound__in=org_queries.visible_places(actor).values("pk")
    ).values("unit_id")
    seen = org_queries.visible_units(actor).values("pk")
    return Unit.objects.filter(Q(pk__in=seen) | Q(pk__in=adopting)).order_by("path")


def campaign_places(actor) -> QuerySet:
    """Places a campaign may be held under: the streets, communities and compounds the actor
    sees, tree order."""
    return org_queries.visible_places(actor).filter(kind__in=PLACE_KINDS).order_by("path")


def campaign_get(actor, campaign_id: int | None = None, *, code: str | None = None) -> Campaign:
    lookup = {"pk": campaign_id} if campaign_id is not None else {"code": code}
    campaign = visible_campaigns(actor).select_related("organiser").filter(**lookup).first()
    if campaign is None:
        raise NotFound("campaign_not_found", _("Campaign not found"))
    return campaign


def campaign_rows(
    actor, *, kind: str = "", state: str = "", place=None, q: str = ""
) -> QuerySet[Campaign]:
    qs = (
        visible_campaigns(actor)
        .select_related("organiser")
        .annotate(
            n_sessions=Count("sessions", distinct=True),
            person_times=Count("sessions__sign_ins", distinct=True),
        )
    )
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if place is not None:
        qs = qs.filter(sessions__place__path__startswith=place.path).distinct()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q))
    return qs.order_by("-start", "code")


def sessions(
    actor,
    *,
    start: date | None = None,
    end: date | None = None,
    place=None,
    campaign: Campaign | None = None,
) -> QuerySet[Session]:
    qs = Session.objects.filter(campaign__in=visible_campaigns(actor))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if start is not None:
        qs = qs.filter(on__gte=start)
    if end is not None:
        qs = qs.filter(on__lte=end)
    if place is not None:
        qs = qs.filter(place__path__startswith=place.path)
    return qs


@dataclass
class Totals:
    """What campaigns achieved over a period and place, read from the records."""

    start: date | None
    end: date | None
    place: str
    campaigns: int = 0
    sessions: int = 0
    person_times: int = 0
    people: int = 0  # distinct names signed in
    outputs: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    by_place: list[dict[str, Any]] = field(default_factory=list)
    places_with_outputs: int = 0

    def output(self, code: str) -> Decimal:
        return next((o["quantity"] for o in self.outputs if o["code"] == code), Decimal(0))

    def resource(self, name: str) -> Decimal:
        return sum((r["quantity"] for r in self.resources if r["name"] == name), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "place": self.place,
            "campaigns": self.campaigns,
            "sessions": self.sessions,
            "person_times": self.person_times,
            "people": self.people,
            "outputs": self.outputs,
            "resources": self.resources,
            "by_place": self.by_place,
            "places_with_outputs": self.places_with_outputs,
        }


def totals(
    actor,
    *,
    start: date | None = None,
    end: date | None = None,
    place=None,
    campaign: Campaign | None = None,
    kind: str = "",
) -> Totals:
    """Totals over [start, end] (either open) under ``place``, for one campaign or all (of one
    kind). A few aggregate queries, whatever the number of sessions."""
    visible = visible_campaigns(actor)
    if campaign is not None:
        visible = visible.filter(pk=campaign.pk)
    if kind:
        visible = visible.filter(kind=kind)
    day = Q(session__campaign__in=visible)
    if start is not None:
        day &= Q(session__on__gte=start)
    if end is not None:
        day &= Q(session__on__lte=end)
    held = day & (Q(session__place__path__startswith=place.path) if place is not None else Q())
    session_qs = sessions(actor, start=start, end=end, place=place).filter(campaign__in=visible)
    agg = session_qs.aggregate(n=Count("pk"), campaigns=Count("campaign", distinct=True))
    signs = SignIn.objects.filter(held)
    out_filter = day & (Q(place__path__startswith=place.path) if place is not None else Q())
    outputs = (
        Output.objects.filter(out_filter)
        .values("kind__code", "kind__name", "kind__unit", "kind__order")
        .annotate(quantity=Sum("quantity"))
        .order_by("kind__order")
    )
    resources = (
        ResourceUse.objects.filter(held)
        .values("name", "unit")
        .annotate(quantity=Sum("quantity"))
        .order_by("name", "unit")
    )
    by_place = (
        Output.objects.filter(out_filter)
        .values("place__code", "place__name", "kind__code")
        .annotate(quantity=Sum("quantity"))
        .order_by("place__code")
    )
    places: dict[str, dict[str, Any]] = {}
    for row in by_place:
        entry = places.setdefault(
            row["place__code"],
            {"code": row["place__code"], "name": row["place__name"], "outputs": {}},
        )
        entry["outputs"][row["kind__code"]] = row["quantity"]
    return Totals(
        start=start,
        end=end,
        place=place.name if place is not None else "",
        campaigns=agg["campaigns"],
        sessions=agg["n"],
        person_times=signs.count(),
        people=signs.values("name", "unit").distinct().count(),
        outputs=[
            {
                "code": o["kind__code"],
                "name": o["kind__name"],
                "unit": o["kind__unit"],
                "quantity": o["quantity"],
            }
            for o in outputs
        ],
        resources=[
            {"name": r["name"], "unit": r["unit"], "quantity": r["quantity"]} for r in resources
        ],
        by_place=list(places.values()),
        places_with_outputs=len(places),
    )


def due_days(campaign: Campaign, start: date, end: date) -> list[date]:
    """The days a weekly campaign is due within [start, end] (its weekday, inside its dates)."""
    if campaign.recurrence != Campaign.Recurrence.WEEKLY or campaign.weekday is None:
        return []
    first = max(start, campaign.start)
    last = min(end, campaign.end) if campaign.end else end
    day = first + timedelta(days=(campaign.weekday - first.weekday()) % 7)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=7)
    return out


def month_calendar(actor, year: int, month: int, *, place=None) -> dict[str, Any]:
    """Weeks of the month, each day with the sessions held and the weekly campaigns due but
    not (yet) held."""
    first = date(year, month, 1)
    last = date(year, month, pycal.monthrange(year, month)[1])
    held: dict[date, list[Session]] = defaultdict(list)
    for s in (
        sessions(actor, start=first, end=last, place=place)
        .select_related("campaign", "place")
        .annotate(person_times=Count("sign_ins"))
        .order_by("on", "campaign__code")
    ):
        held[s.on].append(s)
    due: dict[date, list[Campaign]] = defaultdict(list)
    weekly = visible_campaigns(actor).filter(recurrence=Campaign.Recurrence.WEEKLY)
    for c in weekly:
        for d in due_days(c, first, last):
            if not any(s.campaign_id == c.pk for s in held[d]):
                due[d].append(c)
    weeks = []
    for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append(
            [
                {
                    "day": d,
                    "in_month": d.month == month,
                    "sessions": held.get(d, []),
                    "due": due.get(d, []),
                }
                for d in week
            ]
        )
    return {"year": year, "month": month, "weeks": weeks}


def output_kinds() -> QuerySet[OutputKind]:
    return OutputKind.objects.all()
