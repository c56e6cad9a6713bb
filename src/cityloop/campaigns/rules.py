"""Who may run a campaign: the staff of its organising unit (a community committee, a street
office, a bureau) and those above it — the same roles that report in supervision."""

from __future__ import annotations

from cityloop.campaigns.actions import CAMPAIGNS
from cityloop.core.roles import UNIT_STAFF, has_any
from cityloop.core.scope import covers, scope_for


def creates(user) -> bool:
    """May open a campaign at all: a superuser, or an account with one of the reporting roles
    and a unit or place it covers. Which units it may organise for is :func:`runs_for`; the
    pages ask this one to offer the form, the service asks it through :func:`runs_for`."""
    return has_any(user, UNIT_STAFF) and not scope_for(user).is_empty


def runs_for(user, unit) -> bool:
    return unit is not None and creates(user) and covers(user, unit)


def runs(user, campaign) -> bool:
    return runs_for(user, campaign.organiser)


def ends(user, campaign) -> bool:
    return runs(user, campaign)


def plays(user, campaign, part: str) -> bool:
    """Does ``user`` play ``part`` (of :data:`campaigns.actions.PARTS`) on ``campaign``?"""
    if part == "organiser":
        return runs(user, campaign)
    raise ValueError(f"unknown part {part!r}")


def campaign_actions(user, campaign) -> list[str]:
    """What the user may do now, in the registry's order (the workflow checks again)."""
    return CAMPAIGNS.allowed(user, campaign, plays)
