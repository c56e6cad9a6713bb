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

    for role in AccountRole:
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
