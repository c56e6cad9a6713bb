"""Who may run a campaign: the staff of its organising unit (a community committee, a street
office, a bureau) and those above it — the same roles that report in supervision."""

from __future__ import annotations

from cityloop.core.roles import roles_of
from cityloop.core.scope import scope_for
from cityloop.supervision import rules as sv


def creates(user) -> bool:
    """May open a campaign at all: a superuser, or an account with one of the reporting roles
    and a unit or place it covers. Which units it may organise for is :func:`runs_for`; the
    pages ask this one to offer the form, the service asks it through :func:`runs_for`."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    roles = {r.value for r in sv.REPORT_ROLES}
    return bool(roles & set(roles_of(user))) and not scope_for(user).is_empty


def runs_for(user, unit) -> bool:
    return unit is not None and creates(user) and sv.covers_unit(user, unit)


def runs(user, campaign) -> bool:
    return runs_for(user, campaign.organiser)


def ends(user, campaign) -> bool:
    return runs(user, campaign)
