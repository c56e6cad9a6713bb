"""The indicator registry: named measures a computed item scores.

An indicator is a function ``fn(ctx, target) -> Measure``: for one target in one period it
gives a value (a rate 0…1 or a count), the volume it rests on (for the minimum-volume rule)
and the records it counted, so each score can be explained down to them. Apps register
their own at start-up::

    from cityloop.assessment import indicators

    indicators.register(
        "campaign_participation", fn, label=_("Campaign person-times"), kind="count"
    )

``ctx.cache`` lets an indicator compute once per period for all targets (e.g. the case
figures grouped by community) and pick its target's row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from cityloop.core.errors import InvalidInput


@dataclass(frozen=True)
class Target:
    """What is assessed: a community or street (a place, with the unit that serves it) or a
    unit (with the place it covers)."""

    key: str  # place code or unit code: stable across periods, for movement
    label: str
    kind: str  # community / street / unit
    place: Any = None  # org.Place
    unit: Any = None  # org.Unit


@dataclass
class Measure:
    value: float | None
    volume: int = 0
    numerator: int | None = None
    denominator: int | None = None
    # [{"kind": "case", "id": 1, "label": "C-…"}]: what was counted
    records: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


@dataclass
class Context:
    start: date
    end: date
    targets: list[Target]
    target_kind: str
    cache: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


@dataclass(frozen=True)
class Indicator:
    name: str
    fn: Callable[[Context, Target], Measure]
    label: Any  # a (lazy) translatable string
    kind: str = "rate"  # rate (0…1, shown as %) or count
    rule_text: Callable[[], str] | None = None  # how the measure is counted, in words
    app: str = ""


_REGISTRY: dict[str, Indicator] = {}


def register(
    name: str,
    fn: Callable[[Context, Target], Measure],
    *,
    label: Any = None,
    kind: str = "rate",
    rule_text: Callable[[], str] | None = None,
    app: str = "",
) -> Indicator:
    """Register (or replace, on reload) the indicator ``name``."""
    if kind not in ("rate", "count"):
        raise ValueError(f"indicator kind must be rate or count, not {kind!r}")
    ind = Indicator(name, fn, label or name, kind, rule_text, app)
    _REGISTRY[name] = ind
    return ind


# Confirmed deductions an app above takes off a target's total (supervision: repeat failures),
# by name: ``fn(target, start, end) -> [{"points", "reason", "source_kind", "source_id"}]``.
_DEDUCTIONS: dict[str, Callable[[Target, Any, Any], list[dict]]] = {}


def register_deductions(name: str, fn: Callable[[Target, Any, Any], list[dict]]) -> None:
    _DEDUCTIONS[name] = fn


def deductions_from(name: str, target: Target, start, end) -> list[dict]:
    """The deductions source ``name`` gives for a target and period; none when that app is
    not installed."""
    fn = _DEDUCTIONS.get(name)
    return fn(target, start, end) if fn is not None else []


def get(name: str) -> Indicator:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidInput(
            "assessment_indicator_unknown",
            _("There is no indicator called “%(name)s”.") % {"name": name},
            {"name": name, "known": sorted(_REGISTRY)},
        ) from None


def known() -> list[Indicator]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def is_known(name: str) -> bool:
    return name in _REGISTRY
