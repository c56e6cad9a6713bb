"""The periodic sweeper: one pass over everything whose state depends on the clock.

Apps register a function here (deadlines falling due, lights changing colour); the huey
periodic task calls :func:`run_sweep`. The database is the truth: a sweep only recomputes
from records, so a missed or doubled sweep is harmless.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.cache import caches

logger = logging.getLogger("cityloop.sweep")

CLAIM_SECONDS = 3600  # a claimed period is remembered this long (well past its minute)
_SWEEPERS: dict[str, Callable[[], object]] = {}


def register(name: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def decorator(fn: Callable[[], object]) -> Callable[[], object]:
        _SWEEPERS[name] = fn
        return fn

    return decorator


def run_sweep() -> dict[str, object]:
    """Run every sweeper; one failing does not stop the others."""
    results: dict[str, object] = {}
    for name, fn in sorted(_SWEEPERS.items()):
        try:
            results[name] = fn()
        except Exception:  # a broken sweeper must not starve the rest
            logger.exception("sweeper %s failed", name)
            results[name] = "error"
    return results


def period_key(when: datetime | None = None) -> str:
    """The sweep's period: one UTC minute of the wall clock (huey schedules by it, so not
    ``clock.now()``, which the demo may pin)."""
    when = when or datetime.now(UTC)
    return "sweep:" + when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def claim_period(key: str) -> bool:
    """True for the one caller that claims ``key`` first, on any node: an atomic add in the
    shared cache (Redis ``SET NX`` with several nodes; a locked file cache on one machine)."""
    return caches["default"].add(key, os.getpid(), timeout=CLAIM_SECONDS)


def run_sweep_once(when: datetime | None = None) -> dict[str, object] | None:
    """Sweep unless another worker already swept this period; None when skipped."""
    key = period_key(when)
    if not claim_period(key):
        logger.info("sweep %s skipped: claimed by another worker", key)
        return None
    results = run_sweep()
    logger.info("sweep %s ran in process %s", key, os.getpid())
    return results


CALENDAR_WARNING_SECONDS = 86_400


@register("calendar")
def _calendar_check() -> list[str]:
    """Log a missing year of the work calendar — once a day, not once a sweep.

    The pages show the same warning to the administrators every time; the log needs it once
    a day per warning (across nodes, through the shared cache), or it drowns the lines an
    operator reads the log for.
    """
    from cityloop.core import worktime

    warnings = [str(w) for w in worktime.calendar_warnings()]
    for w in warnings:
        key = "sweep:calendar-warned:" + hashlib.sha1(w.encode()).hexdigest()
        if caches["default"].add(key, 1, timeout=CALENDAR_WARNING_SECONDS):
            logger.warning(w)
    return warnings
