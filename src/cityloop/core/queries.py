"""Reads about accounts."""

from __future__ import annotations

from typing import Any

from cityloop.core import orgmodels
from cityloop.core.roles import roles_of
from cityloop.core.scope import scope_for


def _ref(obj) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": obj.code, "name": obj.name, "kind": obj.kind}


def account_summary(user) -> dict[str, Any]:
    Person = orgmodels.get("Person")

    person = Person.objects.select_related("unit", "place").filter(user=user).first()
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": person.name if person else user.get_full_name() or user.get_username(),
        "is_superuser": user.is_superuser,
        "roles": roles_of(user),
        "unit": _ref(person.unit if person else None),
        "place": _ref(person.place if person else None),
        "scope": scope_for(user).describe(),
    }


# --- inbox ----------------------------------------------------------------------------------


def inbox_for(user, *, unread_only: bool = False):
    """The user's own notifications, newest first; nobody else's, whoever asks."""
    from cityloop.core.models import Notification

    qs = Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user) -> int:
    return inbox_for(user, unread_only=True).count()
