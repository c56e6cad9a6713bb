"""Request limits, counted once for the whole site in Django's cache.

A limit kept in each worker's memory is no limit: with N gunicorn workers a client gets N
times its allowance (measured: Open311's 120 a minute let 223 of 300 through). So every
count goes to the cache that all workers share — Redis when ``CITYLOOP_CACHE_URL`` or a Redis
``CITYLOOP_QUEUE_URL`` is set (one count for every node), otherwise :class:`SharedFileCache`
in the data directory (one count for every worker of one machine; several machines need
Redis). Counts are per fixed window: ``rate:<bucket>:<who>:<window number>``.

Anonymous intake (the ``/report/`` page and Open311 ``POST requests``) is limited per client
address and per phone number (:func:`check_intake`); Open311 also per key per minute. Every
signed-in account's writes are limited per minute (:func:`check_account_write`), whether it
signed in with a session (pages, the API from a browser) or a bearer token.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.utils.translation import gettext as _

from cityloop.core.config import get_config
from cityloop.core.errors import DomainError

HOUR = 3600


class RateLimited(DomainError):
    http_status = 429


class SharedFileCache(FileBasedCache):
    """Django's file cache, with :meth:`incr` made atomic across processes by an exclusive
    ``flock`` on one lock file (the plain file cache reads then writes, and two workers
    counting at once would lose a hit)."""

    def _locked(self):
        os.makedirs(self._dir, exist_ok=True)
        fh = open(os.path.join(self._dir, ".lock"), "a")
        fcntl.flock(fh, fcntl.LOCK_EX)
        return fh

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        """Set ``key`` only if it is not there, atomically across processes (the periodic
        sweep claims its period this way)."""
        fh = self._locked()
        try:
            return super().add(key, value, timeout, version)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    def count_hit(self, key: str, timeout: int) -> int:
        fh = self._locked()
        try:
            count = (self.get(key) or 0) + 1
            self.set(key, count, timeout)
            return count
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


def count_hit(key: str, timeout: int) -> int:
    """Add one to the counter ``key`` in the shared cache and return the new count."""
    c = caches["default"]
    if isinstance(c, SharedFileCache):
        return c.count_hit(key, timeout)
    # add() then incr(): INCRBY is atomic on Redis; add() only creates a missing key.
    c.add(key, 0, timeout=timeout)
    try:
        return c.incr(key)
    except ValueError:  # expired between add and incr
        c.add(key, 1, timeout=timeout)
        return 1


def hit(bucket: str, who: str, *, limit: int, window: int, message: str = "") -> int:
    """Count one request of ``who`` in ``bucket``; raise :class:`RateLimited` (429,
    ``rate_limited``) when that makes more than ``limit`` in the current ``window`` seconds.
    A limit of 0 or less turns the bucket off."""
    if limit <= 0 or not who:
        return 0
    slot = int(time.time() // window)  # wall-clock windows: this paces traffic, dates nothing
    digest = hashlib.sha256(who.encode()).hexdigest()[:24]  # no addresses or phones as keys
    count = count_hit(f"rate:{bucket}:{digest}:{slot}", timeout=window + 60)
    if count > limit:
        retry = window - int(time.time()) % window
        raise RateLimited(
            "rate_limited",
            message or _("Too many requests; please try again later."),
            {"limit": limit, "window_seconds": window, "limit_by": bucket, "retry_after": retry},
        )
    return count


def phone_key(phone: str) -> str:
    """The digits of a phone number, so ``138 0000 0001`` and ``13800000001`` count as one."""
    return "".join(ch for ch in (phone or "") if ch.isdigit())


def check_intake(*, address: str = "", phone: str = "") -> None:
    """An anonymous report (the ``/report/`` page or Open311): at most
    ``CITYLOOP_INTAKE_PER_ADDRESS_PER_HOUR`` from one client address and
    ``CITYLOOP_INTAKE_PER_PHONE_PER_HOUR`` with one phone number, counted across workers."""
    cfg = get_config()
    message = _(
        "Too many reports from this network address or phone number. Please try again in an "
        "hour, or call the 12345 hotline."
    )
    if address:
        hit(
            "intake_address",
            address,
            limit=cfg.intake_per_address_per_hour,
            window=HOUR,
            message=message,
        )
    digits = phone_key(phone)
    if digits:
        hit(
            "intake_phone",
            digits,
            limit=cfg.intake_per_phone_per_hour,
            window=HOUR,
            message=message,
        )


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MINUTE = 60


def check_account_write(method: str, user) -> None:
    """One write by a signed-in account: at most ``CITYLOOP_WRITES_PER_ACCOUNT_PER_MINUTE``
    a minute for each account, whatever the front door (429 ``rate_limited``, ``limit_by``
    ``account_writes``). Reads and anonymous requests are not counted here."""
    if method not in UNSAFE_METHODS or user is None or not getattr(user, "is_authenticated", 0):
        return
    hit(
        "account_writes",
        f"user:{user.pk}",
        limit=get_config().writes_per_account_per_minute,
        window=MINUTE,
        message=_("Too many changes from this account in a minute; please wait and try again."),
    )
