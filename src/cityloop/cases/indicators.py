"""Case figures the assessment can score, each through
:func:`cityloop.cases.queries.case_figures` (the one rule for each rate), and the case part of
the leader's dashboard. Registered from :class:`cityloop.cases.apps.CasesConfig` when the
assessment app is installed: assessment reads these, never the case tables."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils.translation import gettext_lazy as _lazy

from cityloop.assessment import indicators
from cityloop.assessment import queries as assessment_queries
from cityloop.assessment.indicators import Context, Measure, Target
from cityloop.cases.models import Case
from cityloop.cases.queries import case_figures, figure_rules, light_counts, visible_cases
from cityloop.core.system import SYSTEM

GROUP_FOR = {"community": "community", "street": "street", "unit": "unit"}


def _case_rows(ctx: Context) -> dict[str, object]:
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
        return str(figure_rules()[key])

    return text


INDICATORS = (
    ("on_time_close_rate", _lazy("On-time close rate"), "rate"),
    ("reopen_rate", _lazy("Reopen rate"), "rate"),
    ("satisfaction_rate", _lazy("Satisfaction rate"), "rate"),
    ("reported", _lazy("Cases reported"), "count"),
    ("closed", _lazy("Cases closed"), "count"),
)


def dashboard_part(user) -> dict[str, Any]:
    """The leader's dashboard's case figures: open cases by state and by light."""
    states = Counter(visible_cases(user).values_list("status", flat=True))
    labels = dict(Case.Status.choices)
    case_states = [(k, labels.get(k, k), n) for k, n in sorted(states.items(), key=lambda x: -x[1])]
    return {
        "case_states": case_states,
        "lights": light_counts(user),
        "total_cases": sum(states.values()),
    }


def register() -> None:
    """Called from the cases app's ``ready`` when assessment is installed."""
    for key, label, kind in INDICATORS:
        indicators.register(
            key, _case_measure(key), label=label, kind=kind, rule_text=_case_rule(key), app="cases"
        )
    assessment_queries.register_openable("case", visible_cases)
    assessment_queries.register_dashboard_part("cases", dashboard_part)
