"""Reads of the triage app: suggestions of a case, the model registry, production accuracy and
hotspots of cases — every case read through :func:`cityloop.cases.queries.visible_cases`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cityloop.cases.models import Case
from cityloop.cases.queries import case_get, visible_cases
from cityloop.intel import hotspots as hot
from cityloop.intel.models import Kind, Suggestion, TriageModel


@dataclass(frozen=True)
class SuggestionView:
    kind: str
    kind_label: str
    label: str
    target_id: int | None
    target_name: str
    confidence: float
    percent: int
    needs_review: bool
    model_version: int
    outcome: str
    outcome_label: str
    final_name: str
    auto: bool
    alternatives: list[tuple[str, float]]


def _view(s: Suggestion) -> SuggestionView:
    review = settings.CITYLOOP.intel_review_below
    return SuggestionView(
        kind=s.kind,
        kind_label=str(Kind(s.kind).label),
        label=s.label,
        target_id=s.target_id,
        target_name=s.target_name or s.label,
        confidence=s.confidence,
        percent=round(s.confidence * 100),
        needs_review=s.confidence < review,
        model_version=s.model_version,
        outcome=s.outcome,
        outcome_label=str(Suggestion.Outcome(s.outcome).label),
        final_name=s.final_name,
        auto=s.auto,
        alternatives=[(str(a[0]), float(a[1])) for a in (s.alternatives or [])],
    )


def suggestions_of(case: Case) -> list[SuggestionView]:
    """For a case already read through scope (the detail page has it in hand)."""
    rows = Suggestion.objects.filter(case=case).order_by("kind")
    return [_view(s) for s in rows]


def case_suggestions(actor, case_id: int) -> list[SuggestionView]:
    """A case's suggestions; a case outside the reader's scope is not found."""
    return suggestions_of(case_get(actor, case_id))


def model_rows(kind: str | None = None) -> QuerySet[TriageModel]:
    qs = TriageModel.objects.select_related("trained_by").order_by("kind", "-version")
    return qs.filter(kind=kind) if kind else qs


@dataclass
class Accuracy:
    """How often staff kept the suggestion, among suggestions they decided on."""

    kind: str
    kind_label: str
    decided: int = 0
    accepted: int = 0
    changed: int = 0
    pending: int = 0
    auto: int = 0
    confident_decided: int = 0  # at or above the review threshold
    confident_accepted: int = 0
    rate: float | None = None
    confident_rate: float | None = None
    case_ids: list[int] = field(default_factory=list)


def accuracy_rule() -> str:
    return _(
        "Suggestions staff kept ÷ suggestions staff decided on (accepting a case decides its "
        "category, dispatching it decides its unit), for cases reported in the period."
    )


def production_accuracy(actor, *, since: date, until: date) -> dict[str, Accuracy]:
    """Per kind, of suggestions made for cases in the reader's scope reported in the period."""
    start, end = hot.period_bounds(since, until)
    cases = visible_cases(actor).filter(reported_at__gte=start, reported_at__lt=end).values("pk")
    rows = Suggestion.objects.filter(case_id__in=cases).values_list(
        "kind", "outcome", "confidence", "auto", "case_id"
    )
    review = settings.CITYLOOP.intel_review_below
    out = {k: Accuracy(k, str(Kind(k).label)) for k in Kind.values}
    for kind, outcome, confidence, auto, case_id in rows:
        a = out[kind]
        if outcome == Suggestion.Outcome.PENDING:
            a.pending += 1
            continue
        a.decided += 1
        a.case_ids.append(case_id)
        kept = outcome == Suggestion.Outcome.ACCEPTED
        a.accepted += kept
        a.changed += not kept
        a.auto += bool(auto)
        if confidence >= review:
            a.confident_decided += 1
            a.confident_accepted += kept
    for a in out.values():
        a.rate = round(a.accepted / a.decided, 4) if a.decided else None
        if a.confident_decided:
            a.confident_rate = round(a.confident_accepted / a.confident_decided, 4)
    return out


def case_hotspots(
    actor,
    *,
    since: date,
    until: date,
    metres: float = 200.0,
    min_similarity: float = 0.45,
    min_reports: int = 2,
    top: int = 20,
) -> list[hot.Hotspot]:
    """Hotspots among the cases in the reader's scope reported in the period."""
    start, end = hot.period_bounds(since, until)
    cases = (
        visible_cases(actor)
        .filter(reported_at__gte=start, reported_at__lt=end)
        .select_related("place")
        .only(
            "pk",
            "code",
            "title",
            "description",
            "lng",
            "lat",
            "reported_at",
            "address",
            "heat",
            "place__name",
        )
        .order_by("reported_at", "pk")[:20000]
    )
    return hot.hotspots(
        hot.case_reports(cases),
        metres=metres,
        days=None,  # the period is the window
        min_similarity=min_similarity,
        min_reports=min_reports,
        top=top,
    )
