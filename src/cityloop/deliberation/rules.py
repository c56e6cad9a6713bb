"""Who may do what in deliberation.

Staff who run deliberation (street and community staff, administrators) move a topic through
its stages, open and close votes, enter paper ballots and check owners in person, within the
places their scope covers. Those who meet residents where they live (compound heads,
building heads, red stewards, grid workers) may also record opinions. Residents act on the
public pages, as owners proven by a one-time code, never through an account.
"""

from __future__ import annotations

from cityloop.core.roles import AccountRole as R
from cityloop.core.roles import roles_of
from cityloop.core.scope import scope_for

MANAGE_ROLES = {R.ADMIN, R.DISTRICT_LEADER, R.STREET_STAFF, R.COMMUNITY_WORKER}
OPINION_ROLES = MANAGE_ROLES | {R.COMPOUND_HEAD, R.BUILDING_HEAD, R.RED_STEWARD, R.GRID_WORKER}


def _has(user, roles: set) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(set(roles_of(user)) & {r.value for r in roles})


def covers(user, place) -> bool:
    return place is not None and scope_for(user).covers(place)


def can_manage(user, place) -> bool:
    return _has(user, MANAGE_ROLES) and covers(user, place)


def can_record_opinion(user, place) -> bool:
    return _has(user, OPINION_ROLES) and covers(user, place)
