"""The form of the 新建考核方案 page: the scheme's heading (a Django form) and its item rows
(``item-<n>-<field>`` inputs, so a row cloned in the browser is read like the others).

The form reads types and turns a row into a :class:`services.ItemInput` with its scoring
rule; the workflow decides what is allowed (weights add up to 100, the rule is valid, who
may draw up a scheme for which unit). Rates are typed in per cent (95 for 95%) and stored
as the rule keeps them (0.95); shares are per cent of the item's weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cityloop.assessment import indicators, scoring
from cityloop.assessment.models import Item, PeriodKind, Scheme, TargetKind
from cityloop.assessment.services import ItemInput
from cityloop.core.errors import DomainError, InvalidInput
from cityloop.org.models import Place, Unit

CHOOSE = _lazy("Choose from the list.")
RULE_KINDS = (
    ("thresholds", _lazy("Thresholds")),
    ("linear", _lazy("Linear")),
    ("deduction", _lazy("Deduction per occurrence")),
)
STEPS = (1, 2, 3)
DIRECTIONS = (
    ("min", _lazy("At least the bound (higher is better)")),
    ("max", _lazy("At most the bound (lower is better)")),
)
ROWS_SHOWN = 4  # rows offered on a new form; 添加一行 adds more
MAX_ROWS = 30
ROW_FIELDS = (
    "code",
    "name",
    "weight",
    "mode",
    "indicator",
    "rule",
    "direction",
    *(f"t{n}_{k}" for n in STEPS for k in ("bound", "share")),
    "else_share",
    "zero",
    "full",
    "per",
    "free",
    "floor",
    "if_none",
    "min_volume",
    "standard",
    "sample",
)
ROW_KEY = re.compile(r"^item-(\d{1,3})-name$")
# A refusal of the workflow shown next to the field it is about; the others above the form.
ERROR_FIELDS = {
    "assessment_scheme_exists": "code",
    "assessment_scheme_incomplete": "name",
    "assessment_target_kind_invalid": "target_kind",
    "assessment_period_kind_invalid": "period_kind",
    "assessment_not_assessor": "owner",
}


class _Named(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class SchemeForm(forms.Form):
    name = forms.CharField(label=_lazy("Scheme name"), max_length=100)
    code = forms.CharField(
        label=_lazy("Scheme code"),
        max_length=40,
        help_text=_lazy("Proposed for you; it stays the same through revisions."),
    )
    target_kind = forms.ChoiceField(
        label=_lazy("targets"),
        choices=TargetKind.choices,
        error_messages={"invalid_choice": CHOOSE},
    )
    period_kind = forms.ChoiceField(
        label=_lazy("period"),
        choices=PeriodKind.choices,
        initial=PeriodKind.MONTH,
        error_messages={"invalid_choice": CHOOSE},
    )
    owner = _Named(
        label=_lazy("assessing unit"),
        queryset=Unit.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": CHOOSE},
    )
    place = _Named(
        label=_lazy("area assessed"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_lazy("The assessing unit's area"),
        help_text=_lazy("For communities or streets: those under this area are assessed."),
        error_messages={"invalid_choice": CHOOSE},
    )
    description = forms.CharField(
        label=_lazy("description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, owners, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Unit.objects.filter(pk__in=[u.pk for u in owners]).order_by(
            "path"
        )
        self.fields["place"].queryset = places

    def refuse(self, exc: DomainError) -> None:
        """Put the workflow's refusal next to the field it is about, or above the form."""
        where = ERROR_FIELDS.get(exc.code)
        self.add_error(where if where in self.fields else None, str(exc.message))


@dataclass
class Preview:
    rule: str  # the rule in words (scoring.describe)
    sample: str = ""  # the sample value as typed, with its unit
    points: Decimal | None = None


@dataclass
class ItemRow:
    """One item row as typed: its raw values (to show again), its errors, and once read, the
    ItemInput it stands for."""

    index: int
    data: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    item: ItemInput | None = None
    sample: float | None = None
    preview: Preview | None = None

    @property
    def blank(self) -> bool:
        return not (self.data.get("name") or self.data.get("weight"))

    @property
    def steps(self) -> list[tuple[int, str, str]]:
        """The threshold steps as typed: (n, bound, share)."""
        d = self.data
        return [(n, d.get(f"t{n}_bound", ""), d.get(f"t{n}_share", "")) for n in STEPS]


def blank_rows(n: int = ROWS_SHOWN, start: int = 0) -> list[ItemRow]:
    return [
        ItemRow(i, {"mode": "computed", "rule": "thresholds", "direction": "min"})
        for i in range(start, start + n)
    ]


def read_rows(post) -> list[ItemRow]:
    """The rows of a posted form, in the order shown (by index)."""
    indices = sorted({int(m.group(1)) for k in post if (m := ROW_KEY.match(k))})[:MAX_ROWS]
    return [
        ItemRow(i, {f: (post.get(f"item-{i}-{f}") or "").strip() for f in ROW_FIELDS})
        for i in indices
    ]


def _decimal(row: ItemRow, key: str, label: str, *, required: bool = True) -> Decimal | None:
    text = row.data.get(key, "").replace("%", "").strip()
    if not text:
        if required:
            row.errors.append(_("Give “%(field)s”.") % {"field": label})
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        row.errors.append(_("“%(field)s” is a number.") % {"field": label})
        return None
    if not value.is_finite():
        row.errors.append(_("“%(field)s” is a number.") % {"field": label})
        return None
    return value


def _number(row: ItemRow, key: str, label: str, *, required: bool = True) -> float | None:
    value = _decimal(row, key, label, required=required)
    return None if value is None else float(value)


def _scaled(row, key, label, scale, *, required=True) -> float | None:
    v = _number(row, key, label, required=required)
    return None if v is None else float(Decimal(str(v)) / scale)


def _share(row, key, label, *, required=True) -> float | None:
    v = _number(row, key, label, required=required)
    if v is None:
        return None
    if not 0 <= v <= 100:
        row.errors.append(_("A share is 0 to 100 per cent of the weight."))
        return None
    return float(Decimal(str(v)) / 100)


def _rule(row: ItemRow, scale: int) -> dict[str, Any]:
    kind = row.data.get("rule")
    rule: dict[str, Any] = {"kind": kind}
    if kind == "thresholds":
        steps = []
        bound = "max" if row.data.get("direction") == "max" else "min"
        for n in STEPS:
            if not (row.data.get(f"t{n}_bound") or row.data.get(f"t{n}_share")):
                continue
            value = _scaled(row, f"t{n}_bound", _("Step %(n)s: bound") % {"n": n}, scale)
            share = _share(row, f"t{n}_share", _("Step %(n)s: share") % {"n": n})
            if value is not None and share is not None:
                steps.append({bound: value, "share": share})
        rule["steps"] = steps
        rest = _share(row, "else_share", _("Otherwise: share"), required=False)
        rule["else"] = rest or 0
    elif kind == "linear":
        rule["zero"] = _scaled(row, "zero", _("No points at"), scale)
        rule["full"] = _scaled(row, "full", _("Full points at"), scale)
    elif kind == "deduction":
        rule["per"] = _number(row, "per", _("Points off per occurrence"))
        rule["free"] = _number(row, "free", _("Occurrences allowed"), required=False) or 0
        rule["floor"] = _number(row, "floor", _("Not below"), required=False) or 0
    else:
        row.errors.append(_("Choose a scoring rule."))
    if row.data.get("if_none") == "zero":
        rule["if_none"] = "zero"
    return rule


def read_item(row: ItemRow, code: str) -> ItemInput | None:
    """The row as an ItemInput with ``code`` (a new row's), or ``None`` with its errors."""
    d = row.data
    if not d.get("name"):
        row.errors.append(_("Give the item a name."))
    weight = _decimal(row, "weight", _("Weight"))
    if weight is not None and weight.as_tuple().exponent < -2:
        row.errors.append(_("A weight has at most two decimals."))
    mode = d.get("mode") or Item.Mode.COMPUTED
    if mode not in Item.Mode.values:
        row.errors.append(_("An item is computed or entered."))
        return None
    min_volume = 0
    rule: dict[str, Any] = {}
    indicator = ""
    if mode == Item.Mode.COMPUTED:
        indicator = d.get("indicator", "")
        if not indicators.is_known(indicator):
            row.errors.append(_("Choose an indicator."))
            return None
        scale = 100 if indicators.get(indicator).kind == "rate" else 1
        rule = _rule(row, scale)
        mv = _number(row, "min_volume", _("Minimum volume"), required=False)
        if mv is not None and (mv < 0 or mv != int(mv)):
            row.errors.append(_("The minimum volume is a whole number of records."))
        min_volume = int(mv or 0) if mv is not None and mv >= 0 else 0
        if not row.errors:
            try:
                scoring.validate_rule(rule)
            except InvalidInput as exc:
                row.errors.append(str(exc.message))
        if d.get("sample"):
            sample = _scaled(row, "sample", _("Sample value"), scale, required=False)
            row.sample = sample
    if row.errors:
        return None
    return ItemInput(
        code=d.get("code") or code,
        name=d["name"],
        weight=weight,
        mode=mode,
        indicator=indicator,
        rule=rule,
        min_volume=min_volume,
        standard=d.get("standard", "") if mode == Item.Mode.ENTERED else "",
    )


def read_items(rows: list[ItemRow]) -> list[ItemInput] | None:
    """The filled rows as ItemInputs (blank rows are skipped), or ``None`` when a row has
    errors (each row keeps its own)."""
    filled = [r for r in rows if not r.blank]
    kept = {r.data.get("code") for r in filled if r.data.get("code")}
    fresh = (c for c in (f"item{n}" for n in range(1, 10 * MAX_ROWS)) if c not in kept)
    items = []
    for row in filled:
        row.item = read_item(row, "" if row.data.get("code") else next(fresh))
        items.append(row.item)
    if any(i is None for i in items):
        return None
    return items


def preview(rows: list[ItemRow]) -> None:
    """For each computed row read without errors: the rule in words and, when a sample value
    was typed, the points it earns."""
    for row in rows:
        item = row.item
        if item is None or item.mode != Item.Mode.COMPUTED:
            continue
        ind = indicators.get(item.indicator)
        rate = ind.kind == "rate"
        p = Preview(scoring.describe(item.rule, item.weight, percent=rate))
        if row.sample is not None:
            p.sample = f"{row.data['sample'].rstrip('%')}{'%' if rate else ''}"
            p.points = scoring.points(item.rule, item.weight, row.sample)
        row.preview = p


def total_weight(rows: list[ItemRow]) -> Decimal | None:
    total = Decimal("0")
    for row in rows:
        text = row.data.get("weight", "")
        if not text:
            continue
        try:
            total += Decimal(text)
        except InvalidOperation:
            return None
    return total


def _fmt(v: float | int | Decimal | None, scale: int = 1) -> str:
    if v is None:
        return ""
    text = f"{Decimal(str(v)) * scale:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rows_of(scheme: Scheme) -> list[ItemRow]:
    """A scheme's items as rows, to revise them."""
    rows = []
    for i, item in enumerate(scheme.items.all()):
        d = {
            "code": item.code,
            "name": item.name,
            "weight": _fmt(item.weight),
            "mode": item.mode,
            "indicator": item.indicator,
            "min_volume": str(item.min_volume or ""),
            "standard": item.standard,
        }
        rule = item.rule or {}
        scale = (
            100
            if indicators.is_known(item.indicator) and indicators.get(item.indicator).kind == "rate"
            else 1
        )
        d["rule"] = rule.get("kind", "thresholds")
        d["if_none"] = rule.get("if_none", "")
        if d["rule"] == "thresholds":
            steps = rule.get("steps", [])
            d["direction"] = "max" if steps and "max" in steps[0] else "min"
            for n, step in enumerate(rule.get("steps", [])[: len(STEPS)], start=1):
                d[f"t{n}_bound"] = _fmt(step.get("min", step.get("max")), scale)
                d[f"t{n}_share"] = _fmt(step.get("share"), 100)
            d["else_share"] = _fmt(rule.get("else", 0), 100)
        elif d["rule"] == "linear":
            d["zero"], d["full"] = _fmt(rule.get("zero"), scale), _fmt(rule.get("full"), scale)
        elif d["rule"] == "deduction":
            d["per"] = _fmt(rule.get("per"))
            d["free"] = _fmt(rule.get("free") or 0)
            d["floor"] = _fmt(rule.get("floor") or 0)
        rows.append(ItemRow(i, d))
    return rows
