"""Who may do what with duty rosters.

A roster is its unit's: the staff covering that unit (street staff, department staff of the
unit, supervisors, leaders) plan and staff the shifts, approve or refuse swaps, and may record
any handover. The person on a shift asks for a swap of their own place and records the
handover of their own shift.
"""

from __future__ import annotations

from cityloop.core.roles import OVERSEERS, has_any
from cityloop.core.roles import AccountRole as R
from cityloop.core.scope import covers


def _person(user):
    return getattr(user, "person", None) if getattr(user, "pk", None) else None


def manages(user, unit) -> bool:
    """May plan the unit's shifts, staff them and decide swaps: street staff, supervisors and
    leaders covering the unit, and the department staff of a unit above it (城管办 keeps its
    duty room's roster). The duty officers of the unit itself do not approve their own swaps."""
    if getattr(user, "is_superuser", False):
        return True
    if has_any(user, OVERSEERS):
        return covers(user, unit)
    person = _person(user)
    if has_any(user, {R.DEPARTMENT_STAFF}) and person is not None and person.unit_id:
        own = person.unit
        return own.pk != unit.pk and unit.path.startswith(own.path)
    return False


def on_shift(user, shift, role: str | None = None) -> bool:
    """The user is the shift's person on duty (or leader on call, or either)."""
    person = _person(user)
    if person is None:
        return False
    ids = {
        "on_duty": shift.on_duty_id,
        "leader": shift.leader_id,
    }
    if role is not None:
        return ids.get(role) == person.pk
    return person.pk in ids.values()


def may_request_swap(user, shift, role: str) -> bool:
    return on_shift(user, shift, role) or manages(user, shift.unit)


def may_hand_over(user, shift) -> bool:
    return on_shift(user, shift, "on_duty") or manages(user, shift.unit)


def plans_flood(user, place) -> bool:
    """May plan a street's or district's flood season and record its checks: street staff,
    supervisors and leaders whose scope holds the place."""
    if getattr(user, "is_superuser", False):
        return True
    return has_any(user, OVERSEERS) and covers(user, place)


def records_flood_check(user, check) -> bool:
    """May record a check (an inspection): whoever plans the season of the point's place."""
    return plans_flood(user, check.zone.place)
