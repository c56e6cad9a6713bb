"""Reading rounds through the reader's scope: rounds of the units the reader covers. Outside
it: :class:`NotFound` (a 404). The figures per list and per week are what bulletins quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.core.errors import NotFound
from cityloop.org import queries as org_queries
from cityloop.rounds.models import Demand, ImprovementList, Round


def visible_rounds(actor) -> QuerySet[Round]:
    return Round.objects.filter(unit_id__in=org_queries.visible_units(actor).values("pk"))


def round_rows(actor, *, limit: int = 50) -> list[Round]:
    qs = visible_rounds(actor).select_related("unit").annotate(n=Count("demands"))
    return list(qs.order_by("-week_start", "-pk")[:limit])


def round_get(actor, code: str) -> Round:
    rnd = (
        visible_rounds(actor)
        .select_related("unit")
        .prefetch_related("researchers")
        .filter(code=code)
        .first()
    )
    if rnd is None:
        raise NotFound("round_not_found", _("Round not found."))
    return rnd


def demands_of(rnd: Round) -> list[Demand]:
    return list(
        Demand.objects.filter(round=rnd)
        .select_related("list", "merged_into__round", "task", "task__responsible_unit")
        .prefetch_related("projects")
        .order_by("number")
    )


def merge_rounds(rnd: Round, *, limit: int = 20) -> list[Round]:
    """The rounds a demand of ``rnd`` may be merged into: its own first, then the street's
    other rounds, newest first."""
    others = Round.objects.filter(unit_id=rnd.unit_id).exclude(pk=rnd.pk)
    return [rnd, *others.order_by("-week_start", "-pk")[:limit]]


def demands_of_project(actor, project) -> list[Demand]:
    """The round demands a project carries (细分项目), of rounds the reader may open."""
    return list(
        Demand.objects.filter(projects=project, round__in=visible_rounds(actor))
        .select_related("round", "list")
        .order_by("round__week_start", "number")
    )


def lists_of(unit_id: int) -> list[ImprovementList]:
    return list(ImprovementList.objects.filter(unit_id=unit_id).order_by("order", "pk"))


@dataclass(frozen=True)
class Figures:
    """One row of the figures: demands counted once (merged ones are not), and how many are
    solved on the spot, carried by projects, escalated, merged."""

    label: str
    demands: int
    solved: int
    in_project: int
    escalated: int
    merged: int
    key: str = ""


_COUNTS = {
    "demands": Count("pk", filter=~Q(state=Demand.State.MERGED)),
    "solved": Count("pk", filter=Q(state=Demand.State.SOLVED)),
    "in_project": Count("pk", filter=Q(state=Demand.State.IN_PROJECT)),
    "escalated": Count("pk", filter=Q(state=Demand.State.ESCALATED)),
    "merged": Count("pk", filter=Q(state=Demand.State.MERGED)),
}


def _demands(
    actor, *, unit_id: int | None, round_code: str, since: date | None, until: date | None
):
    qs = Demand.objects.filter(round__in=visible_rounds(actor))
    if unit_id is not None:
        qs = qs.filter(round__unit_id=unit_id)
    if round_code:
        qs = qs.filter(round__code=round_code)
    if since is not None:
        qs = qs.filter(round__week_start__gte=since)
    if until is not None:
        qs = qs.filter(round__week_start__lte=until)
    return qs


def figures_by_list(
    actor,
    *,
    unit_id: int | None = None,
    round_code: str = "",
    since: date | None = None,
    until: date | None = None,
) -> list[Figures]:
    """Per improvement list (and the unsorted ones last), in the reader's scope."""
    qs = _demands(actor, unit_id=unit_id, round_code=round_code, since=since, until=until)
    rows = qs.values("list_id", "list__name", "list__order").annotate(**_COUNTS)
    out = [
        Figures(
            r["list__name"] or _("Not sorted yet"),
            *(r[k] for k in _COUNTS),
            key=str(r["list_id"] or ""),
        )
        for r in sorted(rows, key=lambda r: (r["list_id"] is None, r["list__order"] or 0))
    ]
    return out


def figures_by_week(
    actor, *, unit_id: int | None = None, since: date | None = None, until: date | None = None
) -> list[Figures]:
    """Per ISO week, oldest first — "本周收集诉求 N 件，就地解决 M 件…"."""
    qs = _demands(actor, unit_id=unit_id, round_code="", since=since, until=until)
    rows = qs.values("round__week").annotate(**_COUNTS).order_by("round__week")
    return [Figures(r["round__week"], *(r[k] for k in _COUNTS), key=r["round__week"]) for r in rows]


def total(rows: list[Figures]) -> Figures:
    return Figures(_("Total"), *(sum(getattr(r, k) for r in rows) for k in _COUNTS))
