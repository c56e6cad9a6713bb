"""Account roles. Each is a Django group of the same name; what a role may do is decided in
the apps' workflow through :mod:`cityloop.core.scope` and these names."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DISTRICT_LEADER = "district_leader", _("District leader")
    SUPERVISOR = "supervisor", _("Supervisor")
    STREET_STAFF = "street_staff", _("Street staff")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    ROAD_CHIEF = "road_chief", _("Road chief")
    COMPOUND_HEAD = "compound_head", _("Compound head")
    BUILDING_HEAD = "building_head", _("Building head")
    RED_STEWARD = "red_steward", _("Red steward")
    RESIDENT = "resident", _("Resident")


def ensure_role_groups() -> None:
    from django.contrib.auth.models import Group

    # One read for all of them: account_save calls this for every account it writes (a demo
    # load writes hundreds), and once the groups exist there is nothing else to do.
    there = set(Group.objects.filter(name__in=AccountRole.values).values_list("name", flat=True))
    for role in AccountRole:
        if role.value not in there:
            Group.objects.get_or_create(name=role.value)


def roles_of(user) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_cityloop_roles", None)
    if cached is None and getattr(user, "_state", None) is not None:
        from cityloop.core.scope import person_for

        person_for(user)  # the person's query brings the roles along
        cached = getattr(user, "_cityloop_roles", None)
    if cached is None:
        cached = sorted(user.groups.values_list("name", flat=True))
        user._cityloop_roles = cached
    return cached


# --- role groups: each named once, read by every app's rules ------------------------------------

R = AccountRole

# The overseeing desks: 督查, leaders and street staff (and administrators). They set and
# supervise tasks, assess, edit bulletins, keep duty rosters and plan the flood season.
OVERSEERS: frozenset[AccountRole] = frozenset(
    {R.ADMIN, R.SUPERVISOR, R.DISTRICT_LEADER, R.STREET_STAFF}
)
# Staff who work for their unit: the overseers plus department staff and community workers.
# They report progress, explain and rectify, appeal a score, submit bulletin items, run
# campaigns and enter cases from staff sources (hotline, inspection, …).
UNIT_STAFF: frozenset[AccountRole] = OVERSEERS | {R.DEPARTMENT_STAFF, R.COMMUNITY_WORKER}
# The case desk: accepts, dispatches, verifies and visits back (a community committee too).
DESK: frozenset[AccountRole] = frozenset(
    {R.ADMIN, R.SUPERVISOR, R.DISTRICT_LEADER, R.STREET_STAFF, R.COMMUNITY_WORKER}
)
# Who handles a case sent to their unit (or to them by name).
HANDLERS: frozenset[AccountRole] = frozenset(
    {
        R.ADMIN,
        R.STREET_STAFF,
        R.DEPARTMENT_STAFF,
        R.COMMUNITY_WORKER,
        R.GRID_WORKER,
        R.ROAD_CHIEF,
        R.COMPOUND_HEAD,
        R.BUILDING_HEAD,
        R.RED_STEWARD,
    }
)
# Who runs residents' deliberation (its votes' organisers): street and community staff,
# district leaders and administrators.
ORGANISERS: frozenset[AccountRole] = frozenset(
    {R.ADMIN, R.DISTRICT_LEADER, R.STREET_STAFF, R.COMMUNITY_WORKER}
)
# Roles whose work is the whole district: only they read it through a district place.
DISTRICT_READERS: frozenset[AccountRole] = frozenset({R.ADMIN, R.DISTRICT_LEADER, R.SUPERVISOR})
# Roles whose work is the whole street (the street desk): only they (and the district readers)
# read a street through an internal office of it.
STREET_READERS: frozenset[AccountRole] = DISTRICT_READERS | {R.STREET_STAFF}


def has_any(user, roles) -> bool:
    """Does the account hold one of ``roles`` (role members or their names)? A superuser holds
    every role; an anonymous or missing account none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    mine = set(roles_of(user))
    return any(getattr(r, "value", r) in mine for r in roles)
