"""Project figures the assessment can score: how far a target's projects have come."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityloop.assessment import indicators
from cityloop.assessment.indicators import Context, Measure, Target
from cityloop.projects.models import Project


def _projects(target: Target):
    """Projects the target carries out (its unit's subtree) or that lie in its place."""
    q = Q(pk__in=[])
    if target.unit is not None:
        q |= Q(responsible_unit__path__startswith=target.unit.path)
    if target.place is not None:
        q |= Q(places__path__startswith=target.place.path)
    return Project.objects.filter(q).exclude(state="cancelled").distinct()


def progress(ctx: Context, target: Target) -> Measure:
    """Mean derived progress (0…1) of the target's projects: the weighted work items, never
    a typed figure."""
    rows = list(_projects(target).order_by("code").values_list("pk", "code", "name", "progress"))
    if not rows:
        return Measure(None, 0, None, None, [], note=_("No projects."))
    total = sum(float(p) for *_rest, p in rows)
    records = [
        {"kind": "project", "id": pk, "label": f"{code} {name} {float(p):.1f}%"}
        for pk, code, name, p in rows
    ]
    return Measure(total / len(rows) / 100, len(rows), None, len(rows), records)


def register() -> None:
    indicators.register(
        "project_progress",
        progress,
        label=gettext_lazy("Project progress"),
        kind="rate",
        rule_text=lambda: str(
            _(
                "Mean progress of the target's projects (responsible unit or place), each "
                "derived from its work items."
            )
        ),
        app="projects",
    )
