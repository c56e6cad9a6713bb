"""Every state change of assessment: scheme activation and revision, running a period,
assessor entries, appeals and closing — each scope-checked, atomic, with its event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.assessment import periods, rules, services
from cityloop.assessment.models import (
    Appeal,
    AssessmentEvent,
    Entry,
    Item,
    ItemScore,
    Period,
    Scheme,
    Score,
)
from cityloop.core import clock, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound


def _event(actor, verb: str, **fields) -> AssessmentEvent:
    return events.record(AssessmentEvent, actor=actor, verb=verb, **fields)


def _scheme_for(actor, code: str, *, version: int | None = None, assess: bool = True) -> Scheme:
    qs = Scheme.objects.select_related("owner__place", "place").filter(code=code)
    scheme = (
        qs.filter(version=version).first()
        if version
        else (qs.filter(state=Scheme.State.ACTIVE).first() or qs.order_by("-version").first())
    )
    if scheme is None or not rules.sees_scheme(actor, scheme):
        raise NotFound("assessment_scheme_not_found", _("Assessment scheme not found"))
    if assess and not rules.can_assess(actor, scheme):
        raise Forbidden("assessment_not_assessor", _("Only the scheme's assessors may do this."))
    return scheme


def define_scheme(
    *,
    actor,
    code: str,
    name: str,
    target_kind: str,
    period_kind: str,
    owner,
    items: list[services.ItemInput],
    place=None,
    description: str = "",
    praise_top: int = 3,
    criticise_bottom: int = 2,
    supervision_deductions: bool = True,
) -> Scheme:
    """An assessor's new scheme, version 1, in draft (put in force with
    :func:`activate_scheme`). The items are checked as a whole, as for a revision."""
    if not rules.defines_for(actor, owner):
        raise Forbidden("assessment_not_assessor", _("You may not define schemes for this unit."))
    if Scheme.objects.filter(code=(code or "").strip()).exists():
        raise Conflict(
            "assessment_scheme_exists",
            _("A scheme with this code exists; revise it instead."),
            {"code": code},
        )
    with transaction.atomic():
        scheme = services.scheme_create(
            code=code,
            name=name,
            target_kind=target_kind,
            period_kind=period_kind,
            owner=owner,
            place=place,
            items=items,
            description=description,
            praise_top=praise_top,
            criticise_bottom=criticise_bottom,
            supervision_deductions=supervision_deductions,
        )
        _event(actor, "define", scheme=scheme, to_state="draft", data={"version": 1})
    return scheme


@transaction.atomic
def activate_scheme(*, actor, code: str, version: int) -> Scheme:
    """Put a draft version in force; the version in force before it retires."""
    scheme = _scheme_for(actor, code, version=version)
    if scheme.state != Scheme.State.DRAFT:
        raise InvalidTransition(
            "assessment_scheme_bad_state", _("Only a draft version can be put in force.")
        )
    services.check_items(services.items_of(scheme))
    old = Scheme.objects.filter(code=code, state=Scheme.State.ACTIVE).exclude(pk=scheme.pk)
    for o in old:
        o.state = Scheme.State.RETIRED
        o.save(update_fields=["state"])
        _event(actor, "retire", scheme=o, from_state="active", to_state="retired")
    scheme.state = Scheme.State.ACTIVE
    scheme.save(update_fields=["state"])
    _event(
        actor,
        "activate",
        scheme=scheme,
        from_state="draft",
        to_state="active",
        data={"version": scheme.version},
    )
    return scheme


@transaction.atomic
def revise_scheme(*, actor, code: str, items: list[services.ItemInput], note: str = "") -> Scheme:
    """A new draft version with new items; periods already computed keep their version."""
    current = _scheme_for(actor, code)
    latest = Scheme.objects.filter(code=code).order_by("-version").first()
    scheme = services.scheme_create(
        code=code,
        name=current.name,
        target_kind=current.target_kind,
        period_kind=current.period_kind,
        owner=current.owner,
        place=current.place,
        items=items,
        version=latest.version + 1,
        description=current.description,
        praise_top=current.praise_top,
        criticise_bottom=current.criticise_bottom,
        supervision_deductions=current.supervision_deductions,
        is_demo=current.is_demo,
    )
    _event(
        actor,
        "revise",
        scheme=scheme,
        to_state="draft",
        note=note,
        data={"from_version": current.version, "version": scheme.version},
    )
    return scheme


def _period_locked(actor, code: str, key: str, *, assess: bool = True) -> Period:
    scheme = _scheme_for(actor, code, assess=assess)
    key = periods.normalise(scheme.period_kind, key)
    period = Period.objects.select_for_update().filter(code=code, key=key).first()
    if period is None:
        raise NotFound("assessment_period_not_found", _("That period has not been computed yet."))
    return period


def _require_open(period: Period) -> None:
    if period.state == Period.State.CLOSED:
        raise InvalidTransition(
            "assessment_period_closed",
            _("This period is closed: its scores are frozen and cannot change."),
            {"period": period.key},
        )


@transaction.atomic
def run_period(*, actor, code: str, key: str, is_demo: bool = False) -> Period:
    """Compute (or recompute) every target of a period with the version in force; a closed
    period is frozen and refuses."""
    scheme = _scheme_for(actor, code)
    if scheme.state != Scheme.State.ACTIVE:
        raise InvalidTransition(
            "assessment_scheme_not_active", _("Put a version of this scheme in force first.")
        )
    key = periods.normalise(scheme.period_kind, key)
    start, end = periods.bounds(scheme.period_kind, key)
    if start > clock.today():
        raise InvalidInput(
            "assessment_period_future", _("This period has not begun yet."), {"period": key}
        )
    period = Period.objects.select_for_update().filter(code=code, key=key).first()
    old_state = period.state if period else ""
    if period is None:
        period = Period.objects.create(
            scheme=scheme, code=code, key=key, start=start, end=end, is_demo=is_demo
        )
    _require_open(period)
    if period.scheme_id != scheme.pk:
        # A period is computed with one version; entries and appeals refer to its items.
        scheme = period.scheme
    scores = services.score_period(period)
    period.state = Period.State.COMPUTED
    period.computed_at = clock.now()
    period.save(update_fields=["state", "computed_at"])
    _event(
        actor,
        "compute",
        scheme=scheme,
        period=period,
        from_state=old_state,
        to_state="computed",
        data={"targets": len(scores), "version": scheme.version},
    )
    return period


def _points(value, item: Item, code: str) -> Decimal:
    try:
        pts = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(code, _("Points are a number.")) from None
    if pts < 0 or pts > item.weight:
        raise InvalidInput(
            code,
            _("Points for “%(item)s” are between 0 and %(weight)s.")
            % {"item": item.name, "weight": item.weight},
            {"weight": str(item.weight)},
        )
    return pts


def _item(period: Period, item_code: str) -> Item:
    item = period.scheme.items.filter(code=item_code).first()
    if item is None:
        raise NotFound("assessment_item_not_found", _("That item is not in this scheme."))
    return item


def _target_score(period: Period, target_key: str) -> Score:
    score = period.scores.filter(target_key=target_key).select_related("place", "unit").first()
    if score is None:
        raise NotFound(
            "assessment_target_not_found", _("That target is not assessed in this period.")
        )
    return score


@transaction.atomic
def enter_points(
    *,
    actor,
    code: str,
    key: str,
    target_key: str,
    item_code: str,
    points,
    evidence: str,
    attachments: list | None = None,
) -> Period:
    """An assessor's points for an entered item, with evidence; the period is re-scored."""
    period = _period_locked(actor, code, key)
    _require_open(period)
    entry = _new_entry(actor, period, target_key, item_code, points, evidence, attachments)
    services.score_period(period)
    _entered(actor, period, entry)
    return period


@dataclass(frozen=True)
class PointsIn:
    """One assessor entry of :func:`enter_points_many` (the arguments of :func:`enter_points`
    that differ per target)."""

    target_key: str
    item_code: str
    points: Any
    evidence: str
    attachments: list | None = None


@transaction.atomic
def enter_points_many(*, actor, code: str, key: str, entries: Sequence[PointsIn]) -> Period:
    """:func:`enter_points` for many entries of one period (a day's inspection sheet): each
    checked and stored with its ``enter`` event as there, the period re-scored once at the
    end instead of after every entry — the same scores, since a computation replaces the
    one before it. One refused entry refuses them all."""
    period = _period_locked(actor, code, key)
    _require_open(period)
    made = [
        _new_entry(actor, period, e.target_key, e.item_code, e.points, e.evidence, e.attachments)
        for e in entries
    ]
    if made:
        services.score_period(period)
    for entry in made:
        _entered(actor, period, entry)
    return period


def _new_entry(
    actor, period: Period, target_key: str, item_code: str, points, evidence: str, attachments
) -> Entry:
    item = _item(period, item_code)
    if item.mode != Item.Mode.ENTERED:
        raise InvalidInput(
            "assessment_item_computed",
            _("This item is computed from the records; it cannot be entered by hand."),
        )
    _target_score(period, target_key)
    pts = _points(points, item, "assessment_points_invalid")
    evidence = (evidence or "").strip()
    if not evidence:
        raise InvalidInput(
            "assessment_evidence_required", _("Say what the points rest on (evidence).")
        )
    return Entry.objects.create(
        period=period,
        target_key=target_key,
        item=item,
        points=pts,
        evidence=evidence,
        attachments=attachments or [],
        entered_at=clock.now(),
        entered_by=actor if getattr(actor, "pk", None) else None,
        entered_by_label=events.actor_label(actor),
    )


def _entered(actor, period: Period, entry: Entry) -> None:
    _event(
        actor,
        "enter",
        period=period,
        note=entry.evidence,
        data={
            "target": entry.target_key,
            "item": entry.item.code,
            "points": str(entry.points),
            "entry": entry.pk,
        },
    )


@transaction.atomic
def lodge_appeal(
    *, actor, code: str, key: str, target_key: str, item_code: str, reason: str
) -> Appeal:
    """申诉: the target's staff dispute one item of a computed, open period."""
    period = _period_locked(actor, code, key, assess=False)
    _require_open(period)
    score = _target_score(period, target_key)
    if not rules.can_appeal(actor, score):
        raise Forbidden("assessment_not_target", _("Only the assessed unit may appeal its score."))
    item = _item(period, item_code)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("assessment_appeal_reason", _("Give the reason for the appeal."))
    if period.appeals.filter(target_key=target_key, item=item, state=Appeal.State.LODGED).exists():
        raise Conflict("assessment_appeal_pending", _("An appeal on this item is already pending."))
    line = ItemScore.objects.get(score=score, item=item)
    appeal = Appeal.objects.create(
        period=period,
        target_key=target_key,
        item=item,
        reason=reason,
        points_before=line.points,
        lodged_at=clock.now(),
        lodged_by=actor if getattr(actor, "pk", None) else None,
    )
    _event(
        actor,
        "appeal",
        period=period,
        appeal=appeal,
        to_state="lodged",
        note=reason,
        data={"target": target_key, "item": item.code, "points": str(line.points)},
    )
    return appeal


@transaction.atomic
def decide_appeal(*, actor, appeal_id: int, uphold: bool, decision: str, points=None) -> Appeal:
    """Uphold (with the corrected points; the period is re-scored and re-ranked) or dismiss."""
    appeal = (
        Appeal.objects.select_for_update()
        .select_related("period", "item")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise NotFound("assessment_appeal_not_found", _("Appeal not found"))
    period = _period_locked(actor, appeal.period.code, appeal.period.key)
    _require_open(period)
    if appeal.state != Appeal.State.LODGED:
        raise InvalidTransition("assessment_appeal_decided", _("This appeal has been decided."))
    decision = (decision or "").strip()
    if not decision:
        raise InvalidInput("assessment_decision_required", _("Write the decision and its reason."))
    if uphold:
        if points is None or points == "":
            raise InvalidInput(
                "assessment_points_invalid", _("An upheld appeal needs the corrected points.")
            )
        appeal.points_after = _points(points, appeal.item, "assessment_points_invalid")
    appeal.state = Appeal.State.UPHELD if uphold else Appeal.State.DISMISSED
    appeal.decision = decision
    appeal.decided_at = clock.now()
    appeal.decided_by = actor if getattr(actor, "pk", None) else None
    appeal.save()
    if uphold:
        services.score_period(period)
    _event(
        actor,
        "uphold" if uphold else "dismiss",
        period=period,
        appeal=appeal,
        from_state="lodged",
        to_state=appeal.state,
        note=decision,
        data={
            "points_before": str(appeal.points_before),
            "points_after": str(appeal.points_after) if uphold else None,
        },
    )
    return appeal


@transaction.atomic
def close_period(*, actor, code: str, key: str) -> Period:
    """Freeze a computed period: its scores no longer change (no recompute, entry or
    appeal). Pending appeals must be decided first."""
    period = _period_locked(actor, code, key)
    _require_open(period)
    if period.appeals.filter(state=Appeal.State.LODGED).exists():
        raise Conflict(
            "assessment_appeals_pending", _("Decide the pending appeals before closing.")
        )
    old = period.state
    period.state = Period.State.CLOSED
    period.closed_at = clock.now()
    period.save(update_fields=["state", "closed_at"])
    _event(actor, "close", period=period, from_state=old, to_state="closed")
    return period
