"""The indicators this platform has out of the box: case figures (through
:func:`cityloop.cases.queries.case_figures`, the one rule for each rate) and supervision
figures (through :mod:`cityloop.supervision.queries`). Registered at start-up."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy

from cityloop.assessment.indicators import Context, Measure, Target, register
from cityloop.core import clock
from cityloop.core.system import SYSTEM


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.local_zone())


def _day_end(day) -> datetime:
    return datetime.combine(day, time.max, tzinfo=clock.local_zone())


# --- cases -----------------------------------------------------------------------------------

GROUP_FOR = {"community": "community", "street": "street", "unit": "unit"}


def _case_rows(ctx: Context) -> dict[str, object]:
    from cityloop.cases.queries import case_figures

    def compute():
        rows = case_figures(
            SYSTEM, since=ctx.start, until=ctx.end, group_by=GROUP_FOR[ctx.target_kind]
        )
        return {row.group: row.figures for row in rows}

    return ctx.once("case_figures", compute)


def _group_key(target: Target) -> str:
    if target.kind == "unit":
        return str(target.unit.pk) if target.unit is not None else ""
    return target.place.code if target.place is not None else ""


def _case_labels(ctx: Context, ids: list[int]) -> dict[int, str]:
    from cityloop.cases.models import Case

    known: dict[int, str] = ctx.cache.setdefault("case_codes", {})
    missing = [i for i in ids if i not in known]
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        known.update(Case.objects.filter(pk__in=chunk).values_list("pk", "code"))
    return known


def _case_measure(key: str):
    def fn(ctx: Context, target: Target) -> Measure:
        figures = _case_rows(ctx).get(_group_key(target))
        if figures is None:
            return Measure(None, 0, 0, 0)
        fig = figures[key]
        labels = _case_labels(ctx, fig.case_ids)
        records = [{"kind": "case", "id": pk, "label": labels.get(pk, "")} for pk in fig.case_ids]
        if key in ("reported", "accepted", "closed"):
            return Measure(float(fig.value), fig.numerator, fig.numerator, None, records)
        return Measure(fig.value, fig.denominator, fig.numerator, fig.denominator, records)

    return fn


def _case_rule(key: str):
    def text() -> str:
        from cityloop.cases.queries import figure_rules

        return str(figure_rules()[key])

    return text


for _key, _label, _kind in (
    ("on_time_close_rate", _lazy("On-time close rate"), "rate"),
    ("reopen_rate", _lazy("Reopen rate"), "rate"),
    ("satisfaction_rate", _lazy("Satisfaction rate"), "rate"),
    ("reported", _lazy("Cases reported"), "count"),
    ("closed", _lazy("Cases closed"), "count"),
):
    register(
        _key, _case_measure(_key), label=_label, kind=_kind, rule_text=_case_rule(_key), app="cases"
    )


# --- supervision -----------------------------------------------------------------------------


def _unit_q(target: Target, field: str) -> Q:
    if target.unit is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__path__startswith": target.unit.path})


def blue_task_share(ctx: Context, target: Target) -> Measure:
    """Share of the target's tasks that are blue or done at the end of the period."""
    from cityloop.supervision.models import Colour, Task
    from cityloop.supervision.queries import lights_for, visible_tasks

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
    from cityloop.supervision.models import Rectification

    end = _day_end(ctx.end)
    place_q = (
        Q(finding__place__path__startswith=target.place.path)
        if target.place is not None
        else Q(pk__in=[])
    )
    rows = list(
        Rectification.objects.filter(_unit_q(target, "unit") | place_q)
        .filter(opened_at__lte=end, due__lt=ctx.end)
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
    from cityloop.supervision.models import Finding

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
    from cityloop.supervision.models import Escalation

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


register(
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
register(
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
register(
    "inspection_findings",
    inspection_findings,
    label=_lazy("Problems found by inspections"),
    kind="count",
    rule_text=_text(
        _lazy("Problems that inspections found at the target's places or units in the period.")
    ),
    app="supervision",
)
register(
    "summons",
    summons,
    label=_lazy("Summons"),
    kind="count",
    rule_text=_text(_lazy("Confirmed summons (约谈) of the target's unit decided in the period.")),
    app="supervision",
)


def supervision_deductions(target: Target, start, end) -> list[dict]:
    """Confirmed deductions (repeat failures) of the target's unit decided in the period:
    taken off the total automatically."""
    from cityloop.supervision.queries import confirmed_deductions

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


__all__ = ["supervision_deductions"]
