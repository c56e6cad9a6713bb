"""The one clock. Everything that asks "what time is it" calls :func:`now`.

``CITYLOOP_AS_OF`` pins the clock for the demo; tests use :func:`frozen`. Keeping the
override in one place is what lets a whole deadline scenario be replayed at a chosen date.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_local = threading.local()
_pinned: datetime | None = None


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        return value.replace(tzinfo=local_zone())
    return value


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def now() -> datetime:
    """Aware UTC datetime: the frozen time of this thread, else the pinned time, else real."""
    frozen_at = getattr(_local, "frozen", None)
    if frozen_at is not None:
        return frozen_at
    if _pinned is not None:
        return _pinned
    return timezone.now()


def today() -> date:
    """Today's date in the deployment's time zone."""
    return now().astimezone(local_zone()).date()


def pin(value: datetime | None) -> None:
    """Pin the process-wide clock (``--as-of``); ``None`` releases it."""
    global _pinned
    _pinned = None if value is None else _aware(value).astimezone(ZoneInfo("UTC"))


@contextlib.contextmanager
def frozen(value: datetime) -> Iterator[datetime]:
    """Freeze the clock for the current thread (tests, replays)."""
    previous = getattr(_local, "frozen", None)
    _local.frozen = _aware(value).astimezone(ZoneInfo("UTC"))
    try:
        yield _local.frozen
    finally:
        _local.frozen = previous
