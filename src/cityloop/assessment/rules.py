"""Who may do what in assessment.

Assessors (督查, district leaders, street staff) run, enter, decide appeals and close the
periods of schemes whose assessing unit they cover; a target's own staff read its scores and
lodge appeals. Out of scope is "not found", as everywhere.
"""

from __future__ import annotations

from cityloop.core.roles import OVERSEERS, UNIT_STAFF, has_any
from cityloop.core.scope import covers, scope_for


def defines(user) -> bool:
    """May draw up schemes at all: an assessor with a unit or place in scope (or a superuser).
    Which units it may draw them up for is :func:`defines_for`; the pages ask this one to offer
    the 新建考核方案 form, the workflow asks :func:`defines_for`."""
    if not getattr(user, "is_authenticated", False):
        return False
    return has_any(user, OVERSEERS) and not scope_for(user).is_empty


def defines_for(user, unit) -> bool:
    """May draw up a scheme whose assessing unit is ``unit``."""
    return defines(user) and covers(user, unit)


def can_assess(user, scheme) -> bool:
    return has_any(user, OVERSEERS) and covers(user, scheme.owner)


def sees_scheme(user, scheme) -> bool:
    """Assessors of the scheme, and anyone whose places overlap the area assessed."""
    if covers(user, scheme.owner):
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
    return score.unit is not None and covers(user, score.unit)


def can_appeal(user, score) -> bool:
    return has_any(user, UNIT_STAFF) and is_target(user, score)
