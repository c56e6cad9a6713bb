"""Creating schemes and computing scores (compute-and-store). State changes that need an
event and a scope check (running a period, entries, appeals, closing) are in workflow.py and
call :func:`score_period` here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.assessment import indicators, periods, scoring
from cityloop.assessment.indicators import Context, Target
from cityloop.assessment.models import (
    Deduction,
    Entry,
    Item,
    ItemScore,
    Period,
    PeriodKind,
    Scheme,
    Score,
    TargetKind,
)
from cityloop.core import clock
from cityloop.core.errors import InvalidInput

HUNDRED = Decimal("100")


@dataclass
class ItemInput:
    code: str
    name: str
    weight: float | Decimal
    mode: str = "computed"
    indicator: str = ""
    rule: dict[str, Any] = field(default_factory=dict)
    min_volume: int = 0
    standard: str = ""


def check_items(items: list[ItemInput]) -> None:
    """Items are complete, their rules valid, their indicators known and their weights sum
    to exactly 100."""
    if not items:
        raise InvalidInput("assessment_no_items", _("A scheme needs at least one item."))
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise InvalidInput("assessment_item_duplicate", _("Two items have the same code."))
    total = Decimal("0")
    for i in items:
        if not (i.code or "").strip() or not (i.name or "").strip():
            raise InvalidInput(
                "assessment_item_incomplete", _("Every item needs a code and a name.")
            )
        try:
            weight = Decimal(str(i.weight))
        except Exception:
            raise InvalidInput(
                "assessment_weight_invalid", _("A weight is a number of points.")
            ) from None
        if weight <= 0:
            raise InvalidInput("assessment_weight_invalid", _("A weight is more than 0 points."))
        total += weight
        if i.mode not in Item.Mode.values:
            raise InvalidInput("assessment_item_mode_invalid", _("An item is computed or entered."))
        if i.mode == Item.Mode.COMPUTED:
            indicators.get(i.indicator)  # raises assessment_indicator_unknown
            scoring.validate_rule(i.rule)
    if total != HUNDRED:
        raise InvalidInput(
            "assessment_weights_not_100",
            _("The weights add up to %(total)s; they must add up to 100.") % {"total": total},
            {"total": str(total)},
        )


def new_scheme_code() -> str:
    """A code proposed for a scheme drawn up on a page (KH-202006-3F2A); the assessor may
    change it, and the API's callers still choose their own."""
    return f"KH-{clock.today():%Y%m}-{secrets.token_hex(2).upper()}"


def scheme_create(
    *,
    code: str,
    name: str,
    target_kind: str,
    period_kind: str,
    owner,
    items: list[ItemInput],
    place=None,
    version: int = 1,
    description: str = "",
    praise_top: int = 3,
    criticise_bottom: int = 2,
    supervision_deductions: bool = True,
    is_demo: bool = False,
) -> Scheme:
    """A new scheme version in draft, with its items (checked as a whole)."""
    if target_kind not in TargetKind.values:
        raise InvalidInput(
            "assessment_target_kind_invalid", _("Targets are communities, streets or units.")
        )
    if period_kind not in PeriodKind.values:
        raise InvalidInput(
            "assessment_period_kind_invalid", _("A period is a half-month, month, quarter or year.")
        )
    if not (code or "").strip() or not (name or "").strip():
        raise InvalidInput("assessment_scheme_incomplete", _("A scheme needs a code and a name."))
    if target_kind != TargetKind.UNIT and place is None:
        place = owner.place
    check_items(items)
    with transaction.atomic():
        scheme = Scheme.objects.create(
            code=code.strip(),
            version=version,
            name=name.strip(),
            target_kind=target_kind,
            period_kind=period_kind,
            owner=owner,
            place=place,
            description=description,
            praise_top=praise_top,
            criticise_bottom=criticise_bottom,
            supervision_deductions=supervision_deductions,
            created_at=clock.now(),
            is_demo=is_demo,
        )
        for n, i in enumerate(items, start=1):
            Item.objects.create(
                scheme=scheme,
                order=n,
                code=i.code.strip(),
                name=i.name.strip(),
                weight=Decimal(str(i.weight)),
                mode=i.mode,
                indicator=i.indicator if i.mode == Item.Mode.COMPUTED else "",
                rule=i.rule if i.mode == Item.Mode.COMPUTED else {},
                min_volume=i.min_volume,
                standard=i.standard,
            )
    return scheme


def items_of(scheme: Scheme) -> list[ItemInput]:
    return [
        ItemInput(i.code, i.name, i.weight, i.mode, i.indicator, i.rule, i.min_volume, i.standard)
        for i in scheme.items.all()
    ]


# --- targets ---------------------------------------------------------------------------------


def targets_for(scheme: Scheme) -> list[Target]:
    """Every community/street under the scheme's area, or every unit under its owner."""
    from cityloop.org.models import Place, Unit

    if scheme.target_kind == TargetKind.UNIT:
        units = Unit.objects.filter(parent=scheme.owner).select_related("place").order_by("code")
        return [Target(u.code, u.short_name or u.name, "unit", u.place, u) for u in units]
    kind = scheme.target_kind
    base = scheme.place or scheme.owner.place
    places = list(
        Place.objects.filter(kind=kind, path__startswith=base.path).order_by("code")
        if base is not None
        else Place.objects.none()
    )
    unit_kind = "community_committee" if kind == TargetKind.COMMUNITY else "street_office"
    serving = {
        u.place_id: u
        for u in Unit.objects.filter(place__in=places, kind=unit_kind).order_by("-code")
    }
    return [Target(p.code, p.name, kind, p, serving.get(p.pk)) for p in places]


# --- scoring ---------------------------------------------------------------------------------


def latest_entries(period: Period) -> dict[tuple[str, int], Entry]:
    out: dict[tuple[str, int], Entry] = {}
    for e in period.entries.order_by("entered_at", "pk"):
        out[(e.target_key, e.item_id)] = e
    return out


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if kind == "rate" else f"{value:g}"


def score_period(period: Period) -> list[Score]:
    """Compute every target of the period and store the scores, item lines, deductions,
    ranks and movement (replacing an earlier computation of the same open period).

    Upheld appeals keep their decided points over the computation."""
    from cityloop.assessment.models import Appeal

    scheme = period.scheme
    items = list(scheme.items.all())
    targets = targets_for(scheme)
    ctx = Context(period.start, period.end, targets, scheme.target_kind)
    entries = latest_entries(period)
    upheld = {
        (a.target_key, a.item_id): a
        for a in period.appeals.filter(state=Appeal.State.UPHELD).order_by("decided_at", "pk")
    }
    previous = _previous_ranks(period)
    rows: list[tuple[Target, list[dict], list[dict], scoring.Ranked]] = []
    for target in targets:
        lines: list[dict] = []
        short: list[str] = []
        for item in items:
            line = _line(ctx, target, item, entries.get((target.key, item.pk)))
            appeal = upheld.get((target.key, item.pk))
            if appeal is not None:
                line["explanation"]["appeal"] = {
                    "id": appeal.pk,
                    "points_before": str(line["points"]),
                    "decision": appeal.decision,
                }
                line["points"], line["source"] = appeal.points_after, ItemScore.Source.APPEAL
            if item.min_volume and line["volume"] < item.min_volume:
                short.append(
                    _("%(item)s rests on %(n)d records, fewer than the %(min)d needed to rank")
                    % {"item": item.name, "n": line["volume"], "min": item.min_volume}
                )
            lines.append(line)
        cuts = (
            indicators.deductions_from("supervision", target, period.start, period.end)
            if scheme.supervision_deductions
            else []
        )
        deducted = sum((Decimal(str(c["points"])) for c in cuts), Decimal("0"))
        total = max(Decimal("0"), sum((ln["points"] for ln in lines), Decimal("0")) - deducted)
        ranked = scoring.Ranked(target.key, scoring.q2(total), not short, target.label)
        rows.append((target, lines, cuts, ranked, "；".join(short), deducted))
    order = scoring.rank([r[3] for r in rows])
    position = {r.key: r for r in order}
    with transaction.atomic():
        period.scores.all().delete()
        stored = []
        for target, lines, cuts, ranked, why, deducted in rows:
            r = position[target.key]
            score = Score.objects.create(
                period=period,
                target_key=target.key,
                label=target.label,
                place=target.place,
                unit=target.unit,
                total=r.total,
                rank=r.rank,
                tied=r.tied,
                ranked=ranked.ranked,
                unranked_reason=why[:200],
                previous_rank=previous.get(target.key),
                deducted=scoring.q2(deducted),
            )
            ItemScore.objects.bulk_create(
                [ItemScore(score=score, **{k: v for k, v in ln.items()}) for ln in lines]
            )
            Deduction.objects.bulk_create(
                [
                    Deduction(
                        score=score,
                        points=scoring.q2(c["points"]),
                        reason=c["reason"],
                        source_kind=c["source_kind"],
                        source_id=c["source_id"],
                    )
                    for c in cuts
                ]
            )
            stored.append(score)
    return stored


def _line(ctx: Context, target: Target, item: Item, entry: Entry | None) -> dict[str, Any]:
    if item.mode == Item.Mode.ENTERED:
        if entry is None:
            return {
                "item": item,
                "value": None,
                "volume": 0,
                "points": Decimal("0"),
                "source": ItemScore.Source.MISSING,
                "explanation": {
                    "rule": item.standard,
                    "measure": _("Not entered yet: 0 points until an assessor enters them."),
                    "records": [],
                },
            }
        return {
            "item": item,
            "value": None,
            "volume": 1,
            "points": scoring.q2(entry.points),
            "source": ItemScore.Source.ENTERED,
            "explanation": {
                "rule": item.standard,
                "measure": _("Entered by %(who)s on %(day)s")
                % {
                    "who": entry.entered_by_label,
                    "day": entry.entered_at.astimezone(clock.local_zone()).date().isoformat(),
                },
                "evidence": entry.evidence,
                "attachments": entry.attachments,
                "records": [{"kind": "entry", "id": entry.pk, "label": entry.evidence[:60]}],
            },
        }
    ind = indicators.get(item.indicator)
    m = ind.fn(ctx, target)
    pts = scoring.points(item.rule, item.weight, m.value)
    measure = _("%(indicator)s: %(value)s") % {
        "indicator": ind.label,
        "value": _fmt(m.value, ind.kind),
    }
    if m.denominator:
        measure += _(" (%(num)d of %(den)d)") % {"num": m.numerator or 0, "den": m.denominator}
    return {
        "item": item,
        "value": m.value,
        "volume": m.volume,
        "points": pts,
        "source": ItemScore.Source.COMPUTED,
        "explanation": {
            "indicator": ind.name,
            "indicator_rule": ind.rule_text() if ind.rule_text else "",
            "rule": scoring.describe(item.rule, item.weight, percent=ind.kind == "rate"),
            "measure": measure,
            "numerator": m.numerator,
            "denominator": m.denominator,
            "note": m.note,
            "records": m.records,
        },
    }


def _previous_ranks(period: Period) -> dict[str, int]:
    key = periods.previous(period.scheme.period_kind, period.key)
    prev = Period.objects.filter(code=period.code, key=key).first()
    if prev is None:
        return {}
    return dict(prev.scores.filter(rank__isnull=False).values_list("target_key", "rank"))
