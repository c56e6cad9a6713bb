"""Hazard points (隐患点) and the duty watch [seed 003 防汛隐患点; issue 18 item 2].

A hazard point is a zone of kind ``hazard_point``. Its attributes may name its season
(``"season": [5, 10]``, months; a flood hazard point defaults to 汛期 May–October) and its
responsible unit (``"unit": "<unit code>"``; default: the nearest round-the-clock unit whose
place holds the point, else the street's office). A case at a hazard point in its season, or an
alarm raised on one (its report event carries ``"alarm": true``), is watched by the duty
escalation like an urgent case.

Pure reads; the state changes are in :mod:`cityloop.duty.workflow`.
"""

from __future__ import annotations

from datetime import datetime

from cityloop.core import clock
from cityloop.org.models import Place, Unit, Zone

FLOOD_SEASON = (5, 10)


def season(zone: Zone) -> tuple[int, int] | None:
    """The months (first, last) in which cases at the point are watched; None: all year."""
    raw = (zone.attrs or {}).get("season")
    if isinstance(raw, list | tuple) and len(raw) == 2:
        try:
            first, last = int(raw[0]), int(raw[1])
        except (TypeError, ValueError):
            return None
        if 1 <= first <= 12 and 1 <= last <= 12:
            return first, last
    if (zone.attrs or {}).get("hazard") == "flood":
        return FLOOD_SEASON
    return None


def in_season(zone: Zone, moment: datetime) -> bool:
    months = season(zone)
    if months is None:
        return True
    month = moment.astimezone(clock.local_zone()).month
    first, last = months
    return first <= month <= last if first <= last else (month >= first or month <= last)


def responsible_unit(zone: Zone) -> Unit | None:
    """The unit a hazard point's alarms and checks go to."""
    code = (zone.attrs or {}).get("unit")
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is not None:
            return unit
    place: Place = zone.place
    parts = [p for p in place.path.split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    nearest = (
        Unit.objects.filter(round_the_clock=True, place__path__in=prefixes)
        .order_by("-place__depth", "path")
        .first()
    )
    if nearest is not None:
        return nearest
    from cityloop.cases import routing

    return routing.office_for(place, routing.level_of_place(place))


def hazard_zone(case) -> Zone | None:
    zone = getattr(case, "zone", None) if case.zone_id else None
    return zone if zone is not None and zone.kind == Zone.Kind.HAZARD_POINT else None


def is_alarm(case) -> bool:
    from cityloop.cases.models import CaseEvent

    return CaseEvent.objects.filter(case_id=case.pk, verb="report", data__alarm=True).exists()


def watched_at_hazard(case) -> bool:
    """A case at a hazard point reported in the point's season, or an alarm raised on it."""
    zone = hazard_zone(case)
    if zone is None:
        return False
    return in_season(zone, case.reported_at) or is_alarm(case)
