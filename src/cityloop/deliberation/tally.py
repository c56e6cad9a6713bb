"""The count of a vote: one pure function per rule, exact rational arithmetic, every threshold
reported with its numbers.

Owners' decisions follow Civil Code art. 278 and the Supreme People's Court interpretation
on building ownership (法释〔2009〕7号, 2020 revision), arts. 8–9:

* **area** (专有部分面积) is the registered floor area of each unit; the total is the sum over
  the units on the roll;
* **heads** (业主人数): one unit counts as one owner, co-owners of a unit together count as
  one, and one owner of several units counts as one. Computed here as *owner groups*: units
  that share an owner (directly or through a chain of co-owners) form one group, and each
  group is one head;
* **participation**: a unit participates when a ballot was cast for it (for, against or
  abstain); a head participates when any of its units did. Both the area and the heads of
  participants must be at least 2/3 of the totals ("三分之二以上" includes 2/3 itself);
* **approval**, counted among participants: a renovation-class matter (art. 278 (6)–(8)) needs
  at least 3/4 of the participating area and at least 3/4 of the participating heads in
  favour; any other matter more than half of both ("过半数" is strictly more than 1/2);
* a head whose units voted differently is divided equally among its ballots (two units, one
  for and one against: half a head each way), so a head is never counted twice.

Nothing here uses floating point: areas are Decimals turned into Fractions, comparisons are
made by cross-multiplying, and the shares shown are rounded only for display.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)
HALF = Fraction(1, 2)

FOR, AGAINST, ABSTAIN = "for", "against", "abstain"
CHOICES = (FOR, AGAINST, ABSTAIN)


@dataclass(frozen=True)
class Unit:
    """One unit on the roll: its id, registered area and owner group."""

    id: int
    area: Decimal
    head: int


def owner_groups(units: Mapping[int, Iterable[Any]]) -> dict[int, int]:
    """``{unit_id: owner keys}`` → ``{unit_id: group number}``; units sharing an owner,
    directly or through co-owners, are one group (union-find). A unit without a known owner
    is a group of its own. Group numbers are stable: the smallest unit id of the group."""
    parent: dict[int, int] = {u: u for u in units}

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    first_unit: dict[Any, int] = {}
    for unit in sorted(units):
        for key in units[unit]:
            if key in first_unit:
                a, b = find(unit), find(first_unit[key])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_unit[key] = unit
    return {u: find(u) for u in units}


def _frac(value: Decimal | int | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def fmt(value: Fraction, places: int = 2) -> str:
    """A Fraction as a decimal string for people (rounded half up), exact when it is one."""
    if value.denominator == 1:
        return str(value.numerator)
    q = Decimal(value.numerator) / Decimal(value.denominator)
    return str(q.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _share(part: Fraction, whole: Fraction) -> str:
    """A percentage, always with two decimals (rounded half up)."""
    if whole == 0:
        return "0.00"
    share = part / whole * 100
    q = Decimal(share.numerator) / Decimal(share.denominator)
    return str(q.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _check(
    key: str, part: Fraction, whole: Fraction, need: Fraction, *, strict: bool
) -> dict[str, Any]:
    # part/whole >= need  ⇔  part * need.den >= need.num * whole (whole > 0): no division.
    if whole == 0:
        met = False
    elif strict:
        met = part * need.denominator > need.numerator * whole
    else:
        met = part * need.denominator >= need.numerator * whole
    return {
        "key": key,
        "part": fmt(part),
        "whole": fmt(whole),
        "part_exact": str(part),
        "whole_exact": str(whole),
        "share": _share(part, whole),
        "need": f"{'>' if strict else '≥'} {need.numerator}/{need.denominator}",
        "met": met,
    }


def owners(rule: str, roll: Iterable[Unit], ballots: Mapping[int, str]) -> dict[str, Any]:
    """Tally an owners' decision. ``rule`` is ``owners_major`` (≥ 3/4) or ``owners_ordinary``
    (> 1/2); ``ballots`` maps unit id → choice; ballots for units not on the roll are
    ignored (the workflow never accepts them)."""
    units = {u.id: u for u in roll}
    heads: dict[int, list[int]] = defaultdict(list)
    for u in units.values():
        heads[u.head].append(u.id)
    total_area = sum((_frac(u.area) for u in units.values()), Fraction(0))
    total_heads = Fraction(len(heads))
    area_by = dict.fromkeys(CHOICES, Fraction(0))
    heads_by = dict.fromkeys(CHOICES, Fraction(0))
    part_heads = Fraction(0)
    part_units = 0
    for members in heads.values():
        cast = [(m, ballots[m]) for m in members if m in ballots]
        if not cast:
            continue
        part_heads += 1
        share = Fraction(1, len(cast))  # one head, divided among its ballots
        for unit_id, choice in cast:
            area_by[choice] += _frac(units[unit_id].area)
            heads_by[choice] += share
            part_units += 1
    part_area = sum(area_by.values(), Fraction(0))
    major = rule == "owners_major"
    need = THREE_QUARTERS if major else HALF
    checks = [
        _check("participation_area", part_area, total_area, TWO_THIRDS, strict=False),
        _check("participation_heads", part_heads, total_heads, TWO_THIRDS, strict=False),
        _check("approval_area", area_by[FOR], part_area, need, strict=not major),
        _check("approval_heads", heads_by[FOR], part_heads, need, strict=not major),
    ]
    return {
        "rule": rule,
        "units": len(units),
        "units_voted": part_units,
        "total_area": fmt(total_area),
        "total_heads": fmt(total_heads),
        "participating_area": fmt(part_area),
        "participating_heads": fmt(part_heads),
        "area": {c: fmt(v) for c, v in area_by.items()},
        "heads": {c: fmt(v) for c, v in heads_by.items()},
        "heads_exact": {c: str(v) for c, v in heads_by.items()},
        "thresholds": checks,
        "participation_met": checks[0]["met"] and checks[1]["met"],
        "passed": all(c["met"] for c in checks),
    }


def meeting(attendees: int, votes_for: int, votes_against: int) -> dict[str, Any]:
    """A residents' (representatives') meeting: passed with more than half of the attendees
    in favour. Attendees who voted neither way count as not in favour."""
    check = _check(
        "majority_of_attendees", Fraction(votes_for), Fraction(attendees), HALF, strict=True
    )
    return {
        "rule": "meeting",
        "attendees": attendees,
        "votes": {
            FOR: votes_for,
            AGAINST: votes_against,
            ABSTAIN: attendees - votes_for - votes_against,
        },
        "thresholds": [check],
        "participation_met": attendees > 0,
        "passed": check["met"],
    }
