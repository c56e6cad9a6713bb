"""Who hears about a case step, and what they read. Called by the workflow inside its
transaction; :func:`cityloop.core.notify.notify` writes the inbox rows there and delivers
through the outside channels only after commit."""

from __future__ import annotations

from django.utils.translation import gettext as _


def send(case, verb: str) -> None:
    """Placeholder until the notification layer lands (see core.notify)."""
    return None
