"""Reads for assessment pages, API and documents: schemes, rankings with movement, and each
score explained down to its records. A scheme the reader may not see is "not found"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from cityloop.assessment import indicators, periods, rules, scoring
from cityloop.assessment.models import Appeal, AssessmentEvent, Item, Period, Scheme, Score
from cityloop.core.errors import NotFound


def visible_schemes(actor) -> list[Scheme]:
    qs = Scheme.objects.select_related("owner__place", "place").order_by("code", "-version")
    return [s for s in qs if rules.sees_scheme(actor, s)]


def scheme_get(actor, code: str, version: int | None = None) -> Scheme:
    qs = Scheme.objects.select_related("owner__place", "place").filter(code=code)
    scheme = (
        qs.filter(version=version).first()
        if version
        else (qs.filter(state=Scheme.State.ACTIVE).first() or qs.order_by("-version").first())
    )
    if scheme is None or not rules.sees_scheme(actor, scheme):
        raise NotFound("assessment_scheme_not_found", _("Assessment scheme not found"))
    return scheme


MAX_CHOICES = 500


def owner_units(actor) -> list:
    """The units the actor may draw up a scheme for (:func:`rules.defines_for`), tree order."""
    from cityloop.org import queries as org_queries

    if not rules.defines(actor):
        return []
    return [u for u in org_queries.unit_rows(actor)[:MAX_CHOICES] if rules.defines_for(actor, u)]


def scheme_places(actor) -> QuerySet:
    """Areas a scheme may assess: the districts and streets the actor sees, tree order."""
    from cityloop.org import queries as org_queries

    return (
        org_queries.visible_places(actor).filter(kind__in=("district", "street")).order_by("path")
    )


def how_scored(item: Item) -> str:
    """A computed item in words: its indicator's Chinese name, then its rule."""
    if not indicators.is_known(item.indicator):
        return str(_("Indicator no longer available"))
    ind = indicators.get(item.indicator)
    rule = scoring.describe(item.rule, item.weight, percent=ind.kind == "rate")
    return f"{ind.label}：{rule}"


def periods_of(actor, code: str) -> QuerySet[Period]:
    scheme_get(actor, code)
    return Period.objects.filter(code=code).select_related("scheme").order_by("-start")


def period_get(actor, code: str, key: str) -> Period:
    scheme = scheme_get(actor, code)
    key = periods.normalise(scheme.period_kind, key)
    period = (
        Period.objects.select_related("scheme__owner", "scheme__place")
        .filter(code=code, key=key)
        .first()
    )
    if period is None:
        raise NotFound("assessment_period_not_found", _("That period has not been computed yet."))
    return period


@dataclass
class RankingRow:
    score: Score
    lines: list[Any] = field(default_factory=list)

    @property
    def movement(self) -> int | None:
        return self.score.movement


@dataclass
class Ranking:
    period: Period
    scheme: Scheme
    items: list[Item]
    rows: list[RankingRow]

    @property
    def ranked(self) -> list[RankingRow]:
        return [r for r in self.rows if r.score.rank is not None]

    @property
    def unranked(self) -> list[RankingRow]:
        return [r for r in self.rows if r.score.rank is None]

    def top(self, n: int) -> list[RankingRow]:
        """The first ``n`` ranks (all who share the n-th rank come along), never more than
        half of those ranked: of two communities the one at 40 points is not "among the
        first" beside the one at 100."""
        ranked = self.ranked
        n = min(n, len(ranked) // 2)
        if n <= 0:
            return []
        cut = ranked[min(n, len(ranked)) - 1].score.rank
        return [r for r in ranked if r.score.rank <= cut]

    def bottom(self, n: int) -> list[RankingRow]:
        """The last ``n`` ranked targets (ties at the edge come along), never one also
        praised, never more than half of those ranked."""
        ranked = self.ranked
        n = min(n, len(ranked) // 2)
        if n <= 0:
            return []
        edge = ranked[max(0, len(ranked) - n)].score.rank
        top = {r.score.pk for r in self.top(self.scheme.praise_top)}
        return [r for r in ranked if r.score.rank >= edge and r.score.pk not in top]

    @property
    def label(self) -> str:
        return periods.label(self.scheme.period_kind, self.period.key)


def ranking(actor, code: str, key: str) -> Ranking:
    """The ranked targets first (by rank), then the unranked (minimum volume not met)."""
    period = period_get(actor, code, key)
    items = list(period.scheme.items.all())
    scores = list(
        period.scores.select_related("place", "unit").prefetch_related("lines__item", "deductions")
    )
    scores.sort(key=lambda s: (s.rank is None, s.rank or 0, -s.total, s.label))
    rows = [RankingRow(s, sorted(s.lines.all(), key=lambda ln: ln.item.order)) for s in scores]
    return Ranking(period, period.scheme, items, rows)


def score_get(actor, score_id: int) -> Score:
    score = (
        Score.objects.select_related(
            "period__scheme__owner", "period__scheme__place", "place", "unit"
        )
        .prefetch_related("lines__item", "deductions")
        .filter(pk=score_id)
        .first()
    )
    if score is None or not (
        rules.sees_scheme(actor, score.period.scheme) or rules.is_target(actor, score)
    ):
        raise NotFound("assessment_score_not_found", _("Score not found"))
    return score


def record_link(ref: dict[str, Any]) -> str:
    """Where a counted record is shown (empty when it has no page)."""
    kind, pk = ref.get("kind"), ref.get("id")
    names = {
        "case": "cases:detail",
        "task": "supervision:task",
        "finding": "",
        "rectification": "supervision:ledger",
        "escalation": "supervision:ledger",
        "submission": "bulletins:submission",
    }
    name = names.get(kind, "")
    if not name:
        return ""
    try:
        if name == "supervision:ledger":
            return reverse(name)
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


# Kinds of counted record an app above assessment adds (cases: "case", supervision: "task",
# bulletins: "submission"), each with its scope read ``visible(actor) -> QuerySet``;
# registered in that app's ``ready``.
_OPENABLE: dict[str, Any] = {}


def register_openable(kind: str, visible) -> None:
    _OPENABLE[kind] = visible


# The leader's dashboard's figures from the apps that own them (cases: "cases", supervision:
# "tasks"), each ``part(user) -> value``; registered in that app's ``ready``.
_DASHBOARD: dict[str, Any] = {}


def register_dashboard_part(name: str, part) -> None:
    _DASHBOARD[name] = part


def dashboard_parts(user) -> dict[str, Any]:
    """Every registered dashboard part, read for ``user`` (each one scoped by its app)."""
    return {name: part(user) for name, part in _DASHBOARD.items()}


def _openable(actor, refs: list[dict[str, Any]]) -> set[tuple[str, Any]]:
    """The counted records the reader may open: one query per kind of record, so a target
    sees links to its own records and no link that would answer 404."""
    visible = _OPENABLE
    wanted: dict[str, set[Any]] = {}
    for r in refs:
        if r.get("kind") in visible:
            wanted.setdefault(r["kind"], set()).add(r.get("id"))
    out = {(kind, None) for kind in ("rectification", "escalation")}  # the ledger is scoped
    for kind, ids in wanted.items():
        found = visible[kind](actor).filter(pk__in=ids).values_list("pk", flat=True)
        out |= {(kind, pk) for pk in found}
    return out


def explain(score: Score, actor) -> list[dict[str, Any]]:
    """Each item line with its rule, measure, points and the records it counted (linked where
    the reader may open them), then the deductions — what the score page and
    ``GET /assessments/scores/{id}`` show."""
    lines = sorted(score.lines.all(), key=lambda ln: ln.item.order)
    refs = [r for line in lines for r in line.explanation.get("records", [])]
    openable = _openable(actor, refs)
    out = []
    for line in lines:
        exp = dict(line.explanation)
        exp["records"] = [
            {
                **r,
                "link": record_link(r)
                if (r.get("kind"), r.get("id")) in openable or (r.get("kind"), None) in openable
                else "",
            }
            for r in exp.get("records", [])
        ]
        out.append(
            {
                "item": line.item.code,
                "name": line.item.name,
                "weight": line.item.weight,
                "mode": line.item.mode,
                "value": line.value,
                "volume": line.volume,
                "min_volume": line.item.min_volume,
                "points": line.points,
                "source": line.source,
                "explanation": exp,
            }
        )
    return out


def appeals_of(period: Period) -> QuerySet[Appeal]:
    return period.appeals.select_related("item").order_by("-lodged_at")


def period_events(period: Period) -> QuerySet[AssessmentEvent]:
    return period.events.order_by("at", "pk")


def indicator_catalogue() -> list[dict[str, str]]:
    return [
        {
            "name": i.name,
            "label": str(i.label),
            "kind": i.kind,
            "app": i.app,
            "rule": i.rule_text() if i.rule_text else "",
        }
        for i in indicators.known()
    ]


def trend(actor, code: str, target_key: str, last: int = 6) -> list[dict[str, Any]]:
    """A target's totals and ranks over the last periods (for the dashboard)."""
    scheme_get(actor, code)
    rows = (
        Score.objects.filter(period__code=code, target_key=target_key)
        .select_related("period")
        .order_by("-period__start")[:last]
    )
    return [
        {"period": s.period.key, "total": float(s.total), "rank": s.rank} for s in reversed(rows)
    ]
