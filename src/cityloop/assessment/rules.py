"""Who may do what in assessment.

Assessors (督查, district leaders, street staff) run, enter, decide appeals and close the
periods of schemes whose assessing unit they cover; a target's own staff read its scores and
lodge appeals. Out of scope is "not found", as everywhere.
"""

from __future__ import annotations

from cityloop.core.roles import AccountRole as R
from cityloop.core.roles import roles_of
from cityloop.core.scope import scope_for

ASSESS_ROLES = {R.ADMIN, R.SUPERVISOR, R.DISTRICT_LEADER, R.STREET_STAFF}
APPEAL_ROLES = ASSESS_ROLES | {R.DEPARTMENT_STAFF, R.COMMUNITY_WORKER}


def _has(user, roles: set) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(set(roles_of(user)) & {r.value for r in roles})


def covers_unit(user, unit) -> bool:
    if unit is None:
        return False
    scope = scope_for(user)
    if scope.everything or scope.covers_path(unit.path, unit=True):
        return True
    place = getattr(unit, "place", None)
    return place is not None and scope.covers_path(place.path)


def defines(user) -> bool:
    """May draw up schemes at all: an assessor with a unit or place in scope (or a superuser).
    Which units it may draw them up for is :func:`defines_for`; the pages ask this one to offer
    the 新建考核方案 form, the workflow asks :func:`defines_for`."""
    if not getattr(user, "is_authenticated", False):
        return False
    return _has(user, ASSESS_ROLES) and not scope_for(user).is_empty


def defines_for(user, unit) -> bool:
    """May draw up a scheme whose assessing unit is ``unit``."""
    return defines(user) and covers_unit(user, unit)


def can_assess(user, scheme) -> bool:
    return _has(user, ASSESS_ROLES) and covers_unit(user, scheme.owner)


def sees_scheme(user, scheme) -> bool:
    """Assessors of the scheme, and anyone whose places overlap the area assessed."""
    if covers_unit(user, scheme.owner):
        return True
    scope = scope_for(user)
    if scope.everything:
        return True
    area = scheme.place or scheme.owner.place
    if area is None:
        return False
    return any(p.startswith(area.path) or area.path.startswith(p) for p in scope.place_paths)


def is_target(user, score) -> bool:
    """The target's own staff: its place or its unit is in the user's scope."""
    scope = scope_for(user)
    if scope.everything:
        return True
    if score.place is not None and scope.covers_path(score.place.path):
        return True
    return score.unit is not None and covers_unit(user, score.unit)


def can_appeal(user, score) -> bool:
    return _has(user, APPEAL_ROLES) and is_target(user, score)
