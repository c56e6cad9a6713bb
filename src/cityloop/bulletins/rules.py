"""Who may do what with bulletins: editors (staff of the issuing office and those above it)
review, compile and publish; any unit's staff submit items for their own unit."""

from __future__ import annotations

from cityloop.assessment.rules import covers_unit
from cityloop.core.roles import AccountRole as R
from cityloop.core.roles import roles_of

EDIT_ROLES = {R.ADMIN, R.SUPERVISOR, R.DISTRICT_LEADER, R.STREET_STAFF}
SUBMIT_ROLES = EDIT_ROLES | {R.DEPARTMENT_STAFF, R.COMMUNITY_WORKER}


def _has(user, roles: set) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(set(roles_of(user)) & {r.value for r in roles})


def can_edit(user, series) -> bool:
    return _has(user, EDIT_ROLES) and covers_unit(user, series.issuer)


def can_submit(user, unit) -> bool:
    return _has(user, SUBMIT_ROLES) and covers_unit(user, unit)


def may_read_register(user) -> bool:
    """The 发文登记 is for those who issue or supervise documents; its rows are still only the
    reader's units'."""
    return _has(user, EDIT_ROLES)


def can_set_letterhead(user, unit) -> bool:
    """An issuing unit's staff (and those above it) set its letterhead."""
    return _has(user, EDIT_ROLES) and covers_unit(user, unit)
