"""Supervision figures the assessment can score (tasks' lights, overdue rectifications,
findings, summons), the confirmed deductions it takes off a total, and the task part of the
leader's dashboard. Registered from :class:`cityloop.supervision.apps.SupervisionConfig` when
the assessment app is installed: assessment reads these, never the supervision tables."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cityloop.assessment import indicators
from cityloop.assessment import queries as assessment_queries
from cityloop.assessment.indicators import Context, Measure, Target
from cityloop.core import clock
from cityloop.core.system import SYSTEM
from cityloop.supervision.lights import past_due_q
from cityloop.supervision.models import Colour, Escalation, Finding, Rectification, Task
from cityloop.supervision.queries import board, confirmed_deductions, lights_for, visible_tasks


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.local_zone())


def _day_end(day) -> datetime:
    return datetime.combine(day, time.max, tzinfo=clock.local_zone())


def _unit_q(target: Target, field: str) -> Q:
    if target.unit is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__path__startswith": target.unit.path})


def blue_task_share(ctx: Context, target: Target) -> Measure:
    """Share of the target's tasks that are blue or done at the end of the period."""
    tasks = list(
        visible_tasks(SYSTEM)
        .filter(_unit_q(target, "responsible_unit"))
        .filter(start__lte=ctx.end, deadline__gte=ctx.start)
        .exclude(state=Task.State.CANCELLED)
        .order_by("code")
    )
    if not tasks:
        return Measure(None, 0, 0, 0)
    lit = lights_for(tasks, ctx.end)
    good = [t for t in tasks if lit[t.pk][0] == Colour.BLUE or lit[t.pk][0] in Colour.done()]
    records = [
        {"kind": "task", "id": t.pk, "label": f"{t.code} {t.title}", "colour": lit[t.pk][0]}
        for t in tasks
    ]
    return Measure(round(len(good) / len(tasks), 4), len(tasks), len(good), len(tasks), records)


def overdue_rectifications(ctx: Context, target: Target) -> Measure:
    """Rectifications of the target past their time limit and still open at period end."""
    end = _day_end(ctx.end)
    place_q = (
        Q(finding__place__path__startswith=target.place.path)
        if target.place is not None
        else Q(pk__in=[])
    )
    rows = list(
        Rectification.objects.filter(_unit_q(target, "unit") | place_q)
        .filter(past_due_q("due", ctx.end), opened_at__lte=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=end))
        .select_related("finding")
        .order_by("due", "pk")
    )
    records = [
        {"kind": "rectification", "id": r.pk, "label": f"{r.due} {r.finding.description[:40]}"}
        for r in rows
    ]
    return Measure(float(len(rows)), len(rows), len(rows), None, records)


def inspection_findings(ctx: Context, target: Target) -> Measure:
    """Problems found by inspections in the period at the target's places or units."""
    place_q = (
        Q(place__path__startswith=target.place.path) if target.place is not None else Q(pk__in=[])
    )
    rows = list(
        Finding.objects.filter(_unit_q(target, "unit") | place_q)
        .filter(is_problem=True, found_at__range=(_day_start(ctx.start), _day_end(ctx.end)))
        .select_related("inspection")
        .order_by("found_at", "pk")
    )
    records = [
        {"kind": "finding", "id": f.pk, "label": f"{f.inspection.code} {f.description[:40]}"}
        for f in rows
    ]
    return Measure(float(len(rows)), len(rows), len(rows), None, records)


def summons(ctx: Context, target: Target) -> Measure:
    """Confirmed summons (约谈) of the target's unit decided in the period."""
    rows = list(
        Escalation.objects.filter(_unit_q(target, "unit"))
        .filter(
            kind=Escalation.Kind.SUMMONS,
            state=Escalation.State.CONFIRMED,
            decided_at__range=(_day_start(ctx.start), _day_end(ctx.end)),
        )
        .order_by("decided_at", "pk")
    )
    records = [{"kind": "escalation", "id": e.pk, "label": e.reason[:60]} for e in rows]
    return Measure(float(len(rows)), len(rows), len(rows), None, records)


def _text(s):
    return lambda: str(s)


def deductions(target: Target, start, end) -> list[dict]:
    """Confirmed deductions (repeat failures) of the target's unit decided in the period:
    taken off the total automatically."""
    if target.unit is None:
        return []
    return [
        {
            "points": e.points,
            "reason": e.reason,
            "source_kind": "escalation",
            "source_id": e.pk,
        }
        for e in confirmed_deductions(unit=target.unit, start=start, end=end).order_by("pk")
        if e.points
    ]


def dashboard_part(user) -> list[tuple[str, str, int]]:
    """The leader's dashboard's task figures: the board's colours, then done."""
    b = board(user, as_of=clock.today())
    colours = [(c, str(Colour(c).label), b.counts.get(c, 0)) for c in Colour.lit()]
    colours.append(("done", _("Done"), sum(b.counts.get(c, 0) for c in Colour.done())))
    return colours


def register() -> None:
    """Called from the supervision app's ``ready`` when assessment is installed."""
    indicators.register(
        "blue_task_share",
        blue_task_share,
        label=_lazy("Share of blue or done tasks"),
        kind="rate",
        rule_text=_text(
            _lazy(
                "Tasks of the unit whose light at the end of the period is blue or done ÷ its "
                "tasks running in the period (cancelled ones left out)."
            )
        ),
        app="supervision",
    )
    indicators.register(
        "overdue_rectifications",
        overdue_rectifications,
        label=_lazy("Overdue rectifications"),
        kind="count",
        rule_text=_text(
            _lazy(
                "Rectifications of the unit or at its places past their time limit and still "
                "open at the end of the period."
            )
        ),
        app="supervision",
    )
    indicators.register(
        "inspection_findings",
        inspection_findings,
        label=_lazy("Problems found by inspections"),
        kind="count",
        rule_text=_text(
            _lazy("Problems that inspections found at the target's places or units in the period.")
        ),
        app="supervision",
    )
    indicators.register(
        "summons",
        summons,
        label=_lazy("Summons"),
        kind="count",
        rule_text=_text(
            _lazy("Confirmed summons (约谈) of the target's unit decided in the period.")
        ),
        app="supervision",
    )
    indicators.register_deductions("supervision", deductions)
    assessment_queries.register_openable("task", visible_tasks)
    assessment_queries.register_dashboard_part("tasks", dashboard_part)
