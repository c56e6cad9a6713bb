"""API shapes of the triage app."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema


class SuggestionOut(Schema):
    kind: str
    label: str
    target_id: int | None
    target_name: str
    confidence: float
    needs_review: bool
    model_version: int
    outcome: str
    final_name: str
    auto: bool
    alternatives: list[tuple[str, float]]


class ModelOut(Schema):
    id: int
    kind: str
    version: int
    implementation: str
    is_active: bool
    trained_at: datetime
    activated_at: datetime | None
    source: str
    size_bytes: int
    labels: list[str]
    metrics: dict


class HotspotOut(Schema):
    rank: int
    heat: float
    reports: int
    support: int
    title: str
    place: str
    first: datetime | None
    last: datetime | None
    case_ids: list[int]


class AccuracyOut(Schema):
    kind: str
    decided: int
    accepted: int
    changed: int
    pending: int
    auto: int
    rate: float | None
    confident_rate: float | None


class AccuracyPage(Schema):
    since: date
    until: date
    rule: str
    kinds: list[AccuracyOut]
