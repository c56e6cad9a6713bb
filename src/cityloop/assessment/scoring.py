"""Scoring rules: pure functions from an indicator value to points, and the ranking rule.

Three rule kinds, stored as JSON on the item so an admin can set them without code:

- ``{"kind": "thresholds", "steps": [{"min": 0.95, "share": 1}, {"min": 0.9, "share": 0.8}],
  "else": 0}`` — the first step the value reaches gives that share of the weight (a step may
  say ``"max"`` instead of ``"min"`` for indicators where lower is better);
- ``{"kind": "linear", "zero": 0.6, "full": 0.95}`` — no points at ``zero``, full points at
  ``full``, straight line between (``zero > full`` for lower-is-better);
- ``{"kind": "deduction", "per": 2, "floor": 0, "free": 0}`` — ``per`` points off the weight
  for each occurrence beyond ``free``, never below ``floor``.

Every rule also takes ``"if_none": "full" | "zero"``: what a target gets when there is
nothing to measure (no case fell due); the default is full points, because nothing counted
against it — the minimum-volume rule keeps such a target out of the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from cityloop.core.errors import InvalidInput

RULE_KINDS = ("thresholds", "linear", "deduction")
TWO = Decimal("0.01")


def q2(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(TWO, rounding=ROUND_HALF_UP)


def _num(rule: dict, key: str, *, required: bool = True) -> float | None:
    value = rule.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(
            "assessment_rule_invalid",
            _("The scoring rule needs a number for “%(key)s”.") % {"key": key},
            {"key": key},
        )
    return float(value)


def validate_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Check a rule's shape; raise ``assessment_rule_invalid`` with a message if wrong."""
    if not isinstance(rule, dict) or rule.get("kind") not in RULE_KINDS:
        raise InvalidInput(
            "assessment_rule_invalid",
            _("A scoring rule is one of: thresholds, linear, deduction."),
            {"allowed": list(RULE_KINDS)},
        )
    kind = rule["kind"]
    if kind == "thresholds":
        steps = rule.get("steps")
        if not isinstance(steps, list) or not steps:
            raise InvalidInput(
                "assessment_rule_invalid", _("A thresholds rule needs at least one step.")
            )
        for step in steps:
            if not isinstance(step, dict) or ("min" in step) == ("max" in step):
                raise InvalidInput(
                    "assessment_rule_invalid",
                    _("Each threshold step has either “min” or “max”, and a “share”."),
                )
            _num(step, "min" if "min" in step else "max")
            share = _num(step, "share")
            if not 0 <= share <= 1:
                raise InvalidInput(
                    "assessment_rule_invalid", _("A share is between 0 and 1 of the weight.")
                )
    elif kind == "linear":
        zero, full = _num(rule, "zero"), _num(rule, "full")
        if zero == full:
            raise InvalidInput(
                "assessment_rule_invalid", _("A linear rule needs two different end points.")
            )
    else:
        if _num(rule, "per") <= 0:
            raise InvalidInput(
                "assessment_rule_invalid", _("Points per occurrence must be more than 0.")
            )
        _num(rule, "floor", required=False)
        _num(rule, "free", required=False)
    if rule.get("if_none", "full") not in ("full", "zero"):
        raise InvalidInput("assessment_rule_invalid", _("“if_none” is full or zero."))
    return rule


def points(rule: dict[str, Any], weight: Decimal | float, value: float | None) -> Decimal:
    """The points an item earns for an indicator value (0 … weight)."""
    weight = float(weight)
    if value is None:
        return q2(weight if rule.get("if_none", "full") == "full" else 0)
    kind = rule["kind"]
    if kind == "thresholds":
        share = float(rule.get("else", 0))
        for step in rule["steps"]:
            if ("min" in step and value >= step["min"]) or ("max" in step and value <= step["max"]):
                share = float(step["share"])
                break
        return q2(weight * share)
    if kind == "linear":
        zero, full = float(rule["zero"]), float(rule["full"])
        share = (value - zero) / (full - zero)
        return q2(weight * min(1.0, max(0.0, share)))
    per = float(rule["per"])
    floor = float(rule.get("floor") or 0)
    free = float(rule.get("free") or 0)
    return q2(max(floor, weight - per * max(0.0, value - free)))


def describe(rule: dict[str, Any], weight: Decimal | float, *, percent: bool = False) -> str:
    """The rule in one sentence, for the explanation next to each item."""

    def fmt(v: float) -> str:
        return f"{v * 100:g}%" if percent else f"{v:g}"

    weight = float(weight)
    kind = rule.get("kind")
    if kind == "thresholds":
        parts = []
        for step in rule["steps"]:
            bound = (
                _("≥ %(v)s") % {"v": fmt(step["min"])}
                if "min" in step
                else _("≤ %(v)s") % {"v": fmt(step["max"])}
            )
            parts.append(
                _("%(bound)s: %(points)s points")
                % {"bound": bound, "points": f"{weight * step['share']:g}"}
            )
        parts.append(
            _("otherwise %(points)s points")
            % {"points": f"{weight * float(rule.get('else', 0)):g}"}
        )
        return "；".join(parts)
    if kind == "linear":
        return _("0 points at %(zero)s, full %(weight)s points at %(full)s, linear between") % {
            "zero": fmt(rule["zero"]),
            "full": fmt(rule["full"]),
            "weight": f"{weight:g}",
        }
    if kind == "deduction":
        return _(
            "%(weight)s points, minus %(per)s per occurrence beyond %(free)s, not below %(floor)s"
        ) % {
            "weight": f"{weight:g}",
            "per": f"{float(rule['per']):g}",
            "free": f"{float(rule.get('free') or 0):g}",
            "floor": f"{float(rule.get('floor') or 0):g}",
        }
    return ""


@dataclass
class Ranked:
    key: str
    total: Decimal
    ranked: bool
    label: str
    rank: int | None = None
    tied: bool = False


def rank(rows: list[Ranked]) -> list[Ranked]:
    """Competition ranking (1, 2, 2, 4) of the rows that meet the minimum volume, by total;
    the others follow unranked, by total. Equal totals share a rank and are marked tied."""
    eligible = sorted((r for r in rows if r.ranked), key=lambda r: (-r.total, r.label, r.key))
    rest = sorted((r for r in rows if not r.ranked), key=lambda r: (-r.total, r.label, r.key))
    previous: Decimal | None = None
    current = 0
    for i, row in enumerate(eligible, start=1):
        if row.total != previous:
            current, previous = i, row.total
        row.rank = current
    counts: dict[Decimal, int] = {}
    for row in eligible:
        counts[row.total] = counts.get(row.total, 0) + 1
    for row in eligible:
        row.tied = counts[row.total] > 1
    for row in rest:
        row.rank, row.tied = None, False
    return eligible + rest
