"""The periodic sweeper: one pass over everything whose state depends on the clock.

Apps register a function here (deadlines falling due, lights changing colour); the huey
periodic task calls :func:`run_sweep`. The database is the truth: a sweep only recomputes
from records, so a missed or doubled sweep is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("cityloop.sweep")

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


@register("calendar")
def _calendar_check() -> list[str]:
    from cityloop.core import worktime

    warnings = [str(w) for w in worktime.calendar_warnings()]
    for w in warnings:
        logger.warning(w)
    return warnings
