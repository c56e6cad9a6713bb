"""Who may run a campaign: the staff of its organising unit (a community committee, a street
office, a bureau) and those above it — the same roles that report in supervision."""

from __future__ import annotations

from cityloop.supervision import rules as sv


def runs_for(user, unit) -> bool:
    return unit is not None and sv.reports_for(user, unit)


def runs(user, campaign) -> bool:
    return runs_for(user, campaign.organiser)


def ends(user, campaign) -> bool:
    return runs(user, campaign)
