"""patrol_coverage for the assessment: of the patrols the duties in the target's area owed
during the period, the share done (a second patrol the same day does not make up a missed one).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityloop.assessment import indicators
from cityloop.assessment.indicators import Context, Measure, Target
from cityloop.org.models import ZoneRole
from cityloop.patrols import coverage, queries


def _path(target: Target) -> str | None:
    place = target.place or getattr(target.unit, "place", None)
    return place.path if place is not None else None


def patrol_coverage(ctx: Context, target: Target) -> Measure:
    path = _path(target)
    if path is None:
        return Measure(None, 0, 0, 0, [])
    duties = list(
        ZoneRole.objects.filter(
            role__in=queries.PATROL_ROLES, zone__place__path__startswith=path
        ).select_related("zone", "person")
    )
    reqs = queries.requirements()
    facts = queries.patrol_facts(duties, ctx.start, ctx.end)
    required = done = 0
    records = []
    for d in duties:
        req = queries.requirement_for(reqs, d.role, d.level)
        if req is None:
            continue
        days = [day for _p, day in facts.get((d.person_id, d.zone_id), [])]
        t = coverage.tally(req.period, req.times, ctx.start, ctx.end, days)
        required += t.required
        done += t.done
        records.append(
            {
                "kind": "patrol_duty",
                "id": d.pk,
                "label": _("%(zone)s %(person)s: %(done)d of %(required)d patrols")
                % {
                    "zone": d.zone.name,
                    "person": d.person.name,
                    "done": t.done,
                    "required": t.required,
                },
            }
        )
    value = done / required if required else None
    return Measure(value, required, done, required, records)


def register() -> None:
    indicators.register(
        "patrol_coverage",
        patrol_coverage,
        label=gettext_lazy("Patrol coverage"),
        kind="rate",
        rule_text=lambda: str(
            _(
                "Patrols done by the road chiefs, grid workers and inspectors of the target's "
                "zones, over the patrols their required frequency asks for in the period."
            )
        ),
        app="patrols",
    )
