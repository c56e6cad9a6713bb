"""Who may do what with bulletins: editors (staff of the issuing office and those above it)
review, compile and publish; any unit's staff submit items for their own unit."""

from __future__ import annotations

from cityloop.bulletins.actions import ISSUES, SUBMISSIONS
from cityloop.core.roles import OVERSEERS, UNIT_STAFF, has_any
from cityloop.core.scope import covers


def can_edit(user, series) -> bool:
    return has_any(user, OVERSEERS) and covers(user, series.issuer)


def can_submit(user, unit) -> bool:
    return has_any(user, UNIT_STAFF) and covers(user, unit)


def may_read_register(user) -> bool:
    """The 发文登记 is for those who issue or supervise documents; its rows are still only the
    reader's units'."""
    return has_any(user, OVERSEERS)


def can_set_letterhead(user, unit) -> bool:
    """An issuing unit's staff (and those above it) set its letterhead."""
    return has_any(user, OVERSEERS) and covers(user, unit)


def plays(user, record, part: str) -> bool:
    """Does ``user`` play ``part`` (of :data:`bulletins.actions.PARTS`) on an issue or a
    submission?"""
    if part == "editor":
        return can_edit(user, record.series)
    raise ValueError(f"unknown part {part!r}")


def issue_actions(user, issue) -> list[str]:
    """What the user may do to ``issue`` now, in the registry's order."""
    return ISSUES.allowed(user, issue, plays)


def submission_actions(user, submission) -> list[str]:
    """The review buttons the user may press on ``submission`` now."""
    return SUBMISSIONS.allowed(user, submission, plays)
