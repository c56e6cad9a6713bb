"""Writing events: the one way every state change leaves its trail."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from cityloop.core import clock
from cityloop.core.models import Event, EventBase


def actor_label(actor) -> str:
    if actor is None:
        return "系统"
    person = getattr(actor, "person", None) if hasattr(actor, "pk") else None
    try:
        return person.name if person is not None else actor.get_username()
    except Exception:  # an unsaved/anonymous user has no person relation
        return str(actor)


def event_fields(
    *,
    actor,
    verb: str,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: list[Any] | None = None,
) -> dict[str, Any]:
    """Field values shared by every event table."""
    return {
        "at": clock.now(),
        "actor": actor if getattr(actor, "pk", None) else None,
        "actor_label": actor_label(actor),
        "verb": verb,
        "from_state": from_state,
        "to_state": to_state,
        "note": note,
        "data": data or {},
        "attachments": attachments or [],
    }


def record(model: type[EventBase], *, actor, verb: str, **fields: Any) -> EventBase:
    """Write an event row of ``model``; must run inside the transaction of the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are written in the transaction of the change they record")
    own = {k: fields.pop(k) for k in list(fields) if k not in _SHARED}
    return model.objects.create(**event_fields(actor=actor, verb=verb, **fields), **own)


def record_on(obj: models.Model, *, actor, verb: str, **fields: Any) -> Event:
    """Write a generic :class:`Event` about any object (reference data, accounts)."""
    return record(
        Event,
        actor=actor,
        verb=verb,
        object_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        **fields,
    )


def event_out(e: EventBase, **extra: Any) -> dict[str, Any]:
    """The API form of an event row of any table (the one serialiser; its schema is
    :class:`cityloop.core.schemas.EventOut`). ``extra`` adds a loop's own fields."""
    return {
        "id": e.pk,
        "at": e.at,
        "actor": e.actor_label,
        "verb": e.verb,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "note": e.note,
        "data": e.data,
        **extra,
    }


def events_of(obj: models.Model):
    return Event.objects.filter(
        object_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("at", "pk")


_SHARED = {"from_state", "to_state", "note", "data", "attachments"}
