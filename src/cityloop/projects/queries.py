"""Reads for projects: what a user may see, the derived progress and the light, lists with
counts by type and stage, the progress history behind the chart, opinion counts, inspections,
acceptance history, and the portfolio figures reports print (quantities, budgets, areas,
the investment pipeline).

Everything starts from :func:`visible_projects`: a project outside the reader's scope is
not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import NotFound
from cityloop.core.scope import scope_for
from cityloop.projects.models import (
    Acceptance,
    Opinion,
    Project,
    ProjectInspection,
    ProjectType,
    QuantityReport,
    ResidentRequest,
    WorkItem,
)
from cityloop.supervision import queries as sv_queries
from cityloop.supervision.lights import MilestoneFacts, TaskFacts, light, past_due
from cityloop.supervision.models import Colour, Finding, Rectification

# A project without quantity reports for this long is "late reporting" (as a weekly task).
REPORT_CADENCE_DAYS = 7


def _unit_ids(actor) -> QuerySet | None:
    """Ids of the units an actor covers (None: all) — the same rule supervision uses."""
    from cityloop.org.models import Unit

    scope = scope_for(actor)
    if scope.everything:
        return None
    return Unit.objects.filter(scope.covered_units_q()).values("pk")


def project_place(project: Project, place_id: int):
    """One of the project's own places (what its forms offer): whoever works on the project
    records opinions there, though the place itself may lie outside the reader's scope (a
    street office responsible for a compound's renovation)."""
    place = project.places.filter(pk=place_id).first()
    if place is None:
        raise NotFound("place_not_found", _("Not found"))
    return place


def visible_projects(actor) -> QuerySet[Project]:
    """Projects whose responsible or supervising unit the actor covers, projects at a place
    the actor covers, and projects the actor leads or coordinates. ``None`` is the system
    (CLI, demo), which sees everything; an anonymous user is not ``None`` and sees nothing."""
    if actor is None:
        return Project.objects.all()
    units = _unit_ids(actor)
    if units is None:
        return Project.objects.all()
    scope = scope_for(actor)
    places = Project.places.through.objects.filter(scope.places_q("place__")).values("project_id")
    q = Q(responsible_unit_id__in=units) | Q(supervising_unit_id__in=units) | Q(pk__in=places)
    person = getattr(actor, "person", None) if getattr(actor, "pk", None) else None
    if person is not None:
        q |= Q(leader=person) | Q(coordinator=person)
    return Project.objects.filter(q)


def project_get(actor, project_id: int | None = None, *, code: str | None = None) -> Project:
    lookup = {"pk": project_id} if project_id is not None else {"code": code}
    project = (
        visible_projects(actor)
        .select_related(
            "type", "responsible_unit", "supervising_unit", "leader", "coordinator", "task"
        )
        .filter(**lookup)
        .first()
    )
    if project is None:
        raise NotFound("project_not_found", _("Project not found"))
    return project


# --- progress ------------------------------------------------------------------------------


def weighted_share(items: Iterable[tuple[Decimal, Decimal, Decimal]]) -> float | None:
    """Percent done of ``(planned, done, weight)`` rows: each item's done/planned (capped at
    1) weighted; ``None`` when no item carries weight."""
    total = Decimal(0)
    acc = 0.0
    for planned, done, weight in items:
        if not planned or not weight:
            continue
        total += weight
        acc += float(weight) * min(1.0, float(done) / float(planned))
    if not total:
        return None
    return round(100 * acc / float(total), 1)


def stage_share(project: Project) -> float:
    """For a project without weighted work items (an investment project): how far along its
    stages it is, the last stage being 100 %."""
    codes = project.type.stage_codes
    if len(codes) < 2 or project.stage not in codes:
        return 0.0
    return round(100 * codes.index(project.stage) / (len(codes) - 1), 1)


def derived_progress(project: Project) -> float:
    """The one progress figure of a project: weighted over its work items, else its stage."""
    rows = project.items.values_list("planned", "done", "weight")
    share = weighted_share(rows)
    return stage_share(project) if share is None else share


def progress_history(project: Project) -> list[dict[str, Any]]:
    """The derived progress after each day with quantity reports (the chart's line)."""
    items = {i.pk: i for i in project.items.all()}
    done: dict[int, Decimal] = defaultdict(Decimal)
    out: list[dict[str, Any]] = []
    reports = QuantityReport.objects.filter(item__project=project).order_by("on", "pk")
    by_day: dict[date, list[QuantityReport]] = defaultdict(list)
    for r in reports:
        by_day[r.on].append(r)
    for day in sorted(by_day):
        for r in by_day[day]:
            done[r.item_id] += r.quantity
        pct = weighted_share((i.planned, done[i.pk], i.weight) for i in items.values())
        out.append({"on": day.isoformat(), "percent": pct})
    return out


# --- light ---------------------------------------------------------------------------------


def _finding_ids(project: Project) -> QuerySet:
    """Findings of the project's inspections and of its acceptances."""
    return Finding.objects.filter(
        Q(inspection__project_link__project=project) | Q(inspection__acceptance__project=project)
    )


def facts_of(project: Project, as_of: date) -> TaskFacts:
    findings = list(
        _finding_ids(project)
        .filter(found_at__date__lte=as_of)
        .select_related("rectification")
        .exclude(rectification__state=Rectification.State.CLOSED)
    )
    milestones = tuple(
        MilestoneFacts(
            title=m.title,
            due=m.due,
            planned_percent=float(m.planned_percent) if m.planned_percent is not None else None,
            done_on=m.done_on,
        )
        for m in project.milestones.all()
    )
    has_items = project.items.exists()
    return TaskFacts(
        start=project.start,
        deadline=project.deadline,
        state={"complete": "done"}.get(project.state, project.state),
        done_on=project.completed_on,
        progress=float(project.progress),
        last_report_on=project.last_report_on,
        # Stage-driven projects (investment) report no quantities: no report cadence.
        cadence_days=REPORT_CADENCE_DAYS if has_items else 3650,
        milestones=milestones,
        open_problems=tuple(f.description for f in findings if f.is_problem),
        overdue_rectifications=tuple(
            (f.description, f.rectification.due)
            for f in findings
            if past_due(f.rectification.due, as_of)
        ),
    )


def project_light(project: Project, as_of: date | None = None) -> tuple[str, list[dict]]:
    """The light of a project: its linked task's light (the task is what supervision watches),
    else the same rules read from the project's own dates, progress and inspections."""
    as_of = as_of or clock.today()
    if project.task_id is not None:
        from cityloop.supervision.queries import task_light

        return task_light(project.task, as_of)
    return light(facts_of(project, as_of), as_of)


# --- lists -----------------------------------------------------------------------------------


@dataclass
class ProjectFilter:
    type: str = ""
    stage: str = ""
    state: str = ""
    unit: int | None = None
    place: int | None = None
    q: str = ""


def project_rows(actor, flt: ProjectFilter | None = None) -> QuerySet[Project]:
    flt = flt or ProjectFilter()
    qs = visible_projects(actor).select_related("type", "responsible_unit", "task", "leader")
    if flt.type:
        qs = qs.filter(type__code=flt.type)
    if flt.stage:
        qs = qs.filter(stage=flt.stage)
    if flt.state:
        qs = qs.filter(state=flt.state)
    if flt.unit:
        from cityloop.org.models import Unit

        unit = Unit.objects.filter(pk=flt.unit).first()
        qs = qs.filter(responsible_unit__path__startswith=unit.path) if unit else qs.none()
    if flt.place:
        from cityloop.org.models import Place

        place = Place.objects.filter(pk=flt.place).first()
        qs = qs.filter(places__path__startswith=place.path).distinct() if place else qs.none()
    if flt.q:
        qs = qs.filter(Q(name__icontains=flt.q) | Q(code__icontains=flt.q))
    return qs.order_by("type__order", "code")


def with_lights(projects: Iterable[Project], as_of: date | None = None) -> list[dict[str, Any]]:
    as_of = as_of or clock.today()
    rows = []
    for p in projects:
        colour, reasons = project_light(p, as_of)
        rows.append(
            {"project": p, "colour": colour, "label": Colour(colour).label, "reasons": reasons}
        )
    return rows


def pipeline(actor, *, type_code: str, unit=None, place=None) -> dict[str, Any]:
    """Projects of a type counted by stage (招商引资: 27 in all, 9 in negotiation, 15 landed)."""
    ptype = ProjectType.objects.filter(code=type_code).first()
    if ptype is None:
        raise NotFound("project_type_not_found", _("Unknown project type."))
    qs = visible_projects(actor).filter(type=ptype).exclude(state=Project.State.CANCELLED)
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    if place is not None:
        qs = qs.filter(places__path__startswith=place.path).distinct()
    counts = dict(qs.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    return {
        "type": ptype.code,
        "total": sum(counts.values()),
        "stages": [
            {"code": s["code"], "name": s["name"], "count": counts.get(s["code"], 0)}
            for s in ptype.stages
        ],
    }


@dataclass
class Portfolio:
    """Figures of a set of projects, read from the records."""

    projects: int = 0
    complete: int = 0
    budget: Decimal = Decimal(0)
    area: Decimal = Decimal(0)
    items: list[dict[str, Any]] = field(default_factory=list)
    progress: float | None = None


def portfolio(actor, *, type_code: str = "", unit=None, codes: Iterable[str] = ()) -> Portfolio:
    """Count, completed (a passed acceptance, or the last stage), budget and area sums, and
    work-item quantities summed by name and unit of measure."""
    qs = visible_projects(actor).exclude(state=Project.State.CANCELLED)
    if type_code:
        qs = qs.filter(type__code=type_code)
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    codes = list(codes)
    if codes:
        qs = qs.filter(code__in=codes)
    agg = qs.aggregate(
        n=Count("pk"),
        done=Count("pk", filter=Q(state=Project.State.COMPLETE)),
        budget=Sum("budget"),
        area=Sum("area"),
    )
    items = (
        WorkItem.objects.filter(project__in=qs)
        .values("name", "unit_of_measure")
        .annotate(planned=Sum("planned"), done=Sum("done"))
        .order_by("name", "unit_of_measure")
    )
    item_rows = [
        {
            "name": i["name"],
            "unit": i["unit_of_measure"],
            "planned": i["planned"],
            "done": i["done"],
        }
        for i in items
    ]
    progress = weighted_share(
        WorkItem.objects.filter(project__in=qs).values_list("planned", "done", "weight")
    )
    return Portfolio(
        projects=agg["n"],
        complete=agg["done"],
        budget=agg["budget"] or Decimal(0),
        area=agg["area"] or Decimal(0),
        items=item_rows,
        progress=progress,
    )


# --- opinions, inspections, acceptances --------------------------------------------------------


def opinion_counts(project: Project) -> dict[str, Any]:
    """Gatherings by method (rounds, people reached) and residents' requests by kind (requests,
    people asking, how many are in the design list)."""
    methods = {
        m: {"label": str(label), "rounds": 0, "people": 0} for m, label in Opinion.Method.choices
    }
    for row in (
        Opinion.objects.filter(project=project)
        .values("method")
        .annotate(rounds=Count("pk"), people=Sum("people_reached"))
    ):
        methods[row["method"]].update(rounds=row["rounds"], people=row["people"] or 0)
    kinds = (
        ResidentRequest.objects.filter(opinion__project=project)
        .values("kind__code", "kind__name", "kind__order")
        .annotate(
            requests=Count("pk"),
            people=Sum("people"),
            adopted=Count("pk", filter=Q(design_item__isnull=False)),
        )
        .order_by("-people", "kind__order")
    )
    return {
        "methods": methods,
        "kinds": [
            {
                "code": k["kind__code"],
                "name": k["kind__name"],
                "requests": k["requests"],
                "people": k["people"],
                "adopted": k["adopted"],
            }
            for k in kinds
        ],
        "reached": sum(m["people"] for m in methods.values()),
    }


def inspections_of(project: Project) -> list[dict[str, Any]]:
    links = (
        ProjectInspection.objects.filter(project=project)
        .select_related("inspection__unit")
        .prefetch_related("inspection__findings__rectification", "inspection__findings__unit")
        .order_by("-inspection__on", "-pk")
    )
    return [
        {
            "link": link,
            "inspection": link.inspection,
            "findings": list(link.inspection.findings.all()),
        }
        for link in links
    ]


def acceptance_history(project: Project) -> list[dict[str, Any]]:
    rows = (
        Acceptance.objects.filter(project=project)
        .select_related("inspection")
        .prefetch_related("units", "inspection__findings__rectification")
        .order_by("round")
    )
    return [
        {
            "acceptance": a,
            "units": list(a.units.all()),
            "findings": list(a.inspection.findings.all()) if a.inspection else [],
        }
        for a in rows
    ]


def pending_rectifications(project: Project) -> QuerySet[Rectification]:
    """Rectifications of failed acceptance rounds not yet closed (the next round re-inspects
    them)."""
    return Rectification.objects.filter(finding__inspection__acceptance__project=project).exclude(
        state=Rectification.State.CLOSED
    )


def quantity_reports(project: Project) -> QuerySet[QuantityReport]:
    return (
        QuantityReport.objects.filter(item__project=project)
        .select_related("item")
        .order_by("-on", "-pk")
    )


def linkable_tasks(actor, limit: int = 200):
    """Active supervision tasks in the actor's scope that no project drives yet."""
    return (
        sv_queries.visible_tasks(actor)
        .filter(state="active", project__isnull=True)
        .order_by("code")[:limit]
    )


def open_requests(project: Project):
    """The residents' requests of the project's gatherings not yet in the design list."""
    return (
        ResidentRequest.objects.filter(opinion__project=project, design_item__isnull=True)
        .select_related("kind")
        .order_by("opinion__on", "pk")
    )
