"""After-commit hooks between apps: a loop announces a step it took; another app acts on it
once the step is committed, in its own transaction.

The announcing app names the topic and knows nothing of who listens (cases does not import
intel); the listening app subscribes in its ``AppConfig.ready``. A subscriber

* runs **after** the announcing transaction committed — never inside it, so a slow or broken
  listener (the triage classifier) neither holds the intake's locks nor can undo it;
* runs in a transaction of its own: a failed attempt leaves nothing half-written;
* is **retried** (:data:`ATTEMPTS` in all) when it raises, each failure logged, the last as an
  error — and never turns the committed step into an error for the caller (no 500).

Subscribers must be idempotent: a retry runs the whole subscriber again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger("cityloop.hooks")

ATTEMPTS = 3

Subscriber = Callable[..., Any]
_SUBSCRIBERS: dict[str, list[Subscriber]] = defaultdict(list)
_IDLE: dict[Subscriber, Callable[[], bool]] = {}


def subscribe(topic: str, fn: Subscriber, *, idle: Callable[[], bool] | None = None) -> None:
    """Call ``fn(**payload)`` after every committed :func:`publish` of ``topic`` (once).

    ``idle()``: a cheap check, true when ``fn`` has nothing to do at all just now (intel with
    no active model); :func:`publish_many` asks it once for a whole batch instead of running
    ``fn`` in a transaction of its own for every payload."""
    if fn not in _SUBSCRIBERS[topic]:
        _SUBSCRIBERS[topic].append(fn)
    if idle is not None:
        _IDLE[fn] = idle


def subscribers(topic: str) -> tuple[Subscriber, ...]:
    return tuple(_SUBSCRIBERS.get(topic, ()))


def publish(topic: str, **payload: Any) -> None:
    """Announce ``topic``: its subscribers run once the current transaction commits (at once
    in autocommit). A rolled-back step announces nothing."""
    for fn in subscribers(topic):
        # A plain function with a name, not a partial: Django's robust on_commit logs a
        # failing callback by its __qualname__.
        def run(fn: Subscriber = fn) -> None:
            deliver(topic, fn, payload)

        run.__qualname__ = f"hooks[{topic}]:{getattr(fn, '__qualname__', fn)}"
        transaction.on_commit(run, robust=True)


def publish_many(topic: str, payloads: list[dict[str, Any]]) -> None:
    """:func:`publish` of each payload (a bulk intake): one after-commit callback per
    subscriber delivers them in order, each in its own transaction as :func:`deliver` does,
    unless the subscriber says it is idle."""
    if not payloads:
        return
    for fn in subscribers(topic):

        def run(fn: Subscriber = fn) -> None:
            idle = _IDLE.get(fn)
            if idle is not None and idle():
                return
            for payload in payloads:
                deliver(topic, fn, payload)

        run.__qualname__ = f"hooks[{topic}]*{len(payloads)}:{getattr(fn, '__qualname__', fn)}"
        transaction.on_commit(run, robust=True)


def deliver(topic: str, fn: Subscriber, payload: dict[str, Any]) -> bool:
    """Run one subscriber, each attempt in its own transaction; ``True`` once it succeeded."""
    name = getattr(fn, "__qualname__", repr(fn))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                fn(**payload)
            return True
        except Exception:
            if attempt < ATTEMPTS:
                log.warning(
                    "hook %s → %s failed (attempt %d of %d), retrying",
                    topic,
                    name,
                    attempt,
                    ATTEMPTS,
                    exc_info=True,
                )
            else:
                log.exception("hook %s → %s failed %d times; given up", topic, name, ATTEMPTS)
    return False
