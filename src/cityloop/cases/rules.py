"""Who may do what to a case: role plus scope, written once for workflow, pages and API.

Three parts an account can play on a case:

* **dispatcher** — the desk that accepts, dispatches, verifies and visits back: an account with
  a desk role whose scope covers the case's place (or the dispatching unit) and whose own
  level is at least the case's level, so a community worker cannot dispatch what was
  escalated to the street;
* **handler** — the responsible unit: an account in that unit's subtree with a handling role,
  or the person named as handler (a building head for 小事不出楼栋);
* **reporter** — the account that reported it (may cancel while nobody has accepted it).
"""

from __future__ import annotations

from cityloop.cases.models import Case, Level
from cityloop.core.roles import DESK, HANDLERS, UNIT_STAFF, has_any
from cityloop.core.roles import AccountRole as R
from cityloop.core.scope import person_for, scope_for

# The case desk and the handlers are the kernel's groups (cityloop.core.roles); these two are
# the case loop's own: a grid worker verifies too, and staff sources (hotline, inspection …)
# are entered by any unit's staff.
VERIFY_ROLES = DESK | {R.GRID_WORKER}
STAFF_SOURCES_ROLES = UNIT_STAFF

# Unit kinds → the level their staff work at.
_UNIT_LEVEL = {
    "party_government": Level.DISTRICT,
    "bureau": Level.DISTRICT,
    "street_office": Level.STREET,
    "office": Level.STREET,
    "community_committee": Level.COMMUNITY,
}
_PLACE_LEVEL = {
    "district": Level.DISTRICT,
    "street": Level.STREET,
    "community": Level.COMMUNITY,
    "compound": Level.COMPOUND,
    "building": Level.BUILDING,
}


def person_of(user):
    """The account's person in the organisation, or None (read once per user object, with
    its roles and duties: :func:`cityloop.core.scope.person_for`)."""
    if getattr(user, "_state", None) is not None:
        return person_for(user)
    try:  # a stand-in actor that is not an account row
        return user.person
    except Exception:  # no person row: an account without a place in the organisation
        return None


_person = person_of


def actor_level(user) -> str:
    """The highest level an account works at (superusers: the district)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Level.BUILDING
    if user.is_superuser:
        return Level.DISTRICT
    cached = getattr(user, "_cityloop_level", None)
    if cached:
        return cached
    level = person_level(_person(user))
    user._cityloop_level = level
    return level


def person_level(person) -> str:
    """The highest level a person works at: its unit's, or its place's."""
    levels = [Level.BUILDING]
    if person is not None:
        if person.unit_id:
            levels.append(_UNIT_LEVEL.get(person.unit.kind, Level.COMMUNITY))
        if person.place_id:
            levels.append(_PLACE_LEVEL[person.place.kind])
    return max(levels, key=Level.order().index)


def covers_case_place(user, case: Case) -> bool:
    scope = scope_for(user)
    if scope.everything:
        return True
    if case.place_path and scope.covers_path(case.place_path):
        return True
    if case.dispatcher_unit_id and scope.covers_path(case.dispatcher_unit.path, unit=True):
        return True
    return bool(case.zone_id and case.zone_id in scope.zone_ids)


def is_dispatcher(user, case: Case) -> bool:
    order = Level.order()
    return (
        has_any(user, DESK)
        and covers_case_place(user, case)
        and order.index(actor_level(user)) >= order.index(case.level)
    )


def is_handler(user, case: Case) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    person = _person(user)
    if person is not None and case.handler_id and case.handler_id == person.pk:
        return True
    if case.responsible_unit_id is None or not has_any(user, HANDLERS):
        return False
    return scope_for(user).covers_path(case.responsible_unit.path, unit=True)


def is_assisting(user, case: Case) -> bool:
    """Staff of a unit asked to assist with the case (协办单位)."""
    if not has_any(user, HANDLERS):
        return False
    scope = scope_for(user)
    return any(scope.covers_path(u.path, unit=True) for u in case.assisting_units.all())


def sees_reporter_phone(user, case: Case) -> bool:
    """The reporter's phone is for those who must call back: the desk that dispatches, verifies
    and visits back, the responsible and the assisting units, and the reporter; everyone else
    who may read the case sees it masked."""
    return (
        is_reporter(user, case)
        or is_dispatcher(user, case)
        or is_handler(user, case)
        or is_assisting(user, case)
    )


def is_reporter(user, case: Case) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and case.reporter_id == user.pk
    )


def can_verify(user, case: Case, replier_id: int | None) -> bool:
    """Someone other than whoever replied, with a desk or grid role over the place."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if replier_id is not None and user.pk == replier_id:
        return False
    return has_any(user, VERIFY_ROLES) and covers_case_place(user, case)


# --- reply templates ---------------------------------------------------------------------------

TEMPLATE_ROLES = DESK | HANDLERS


def reply_template_root(user) -> str | None:
    """The unit path under which an account keeps reply templates: ``""`` (every unit) for a
    superuser, its own unit's path for staff with a unit (so a parent unit's staff keep its
    offices' templates too), ``None`` for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ""
    person = _person(user)
    if person is None or person.unit_id is None or not has_any(user, TEMPLATE_ROLES):
        return None
    return person.unit.path


def may_edit_reply_templates(user, unit) -> bool:
    """May this account write the reply templates of ``unit``?"""
    root = reply_template_root(user)
    return root is not None and unit is not None and unit.path.startswith(root)
