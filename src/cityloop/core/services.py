"""Writes to the shared kernel's own tables that are not state changes of a loop."""

from __future__ import annotations

from cityloop.core import clock
from cityloop.core.models import Notification


def inbox_mark_read(*, user, ids: list[int] | None) -> int:
    """Mark the user's unread notifications read: those in ``ids``, or all when ``ids`` is
    ``None``. Rows of other users are never touched. Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=clock.now())
