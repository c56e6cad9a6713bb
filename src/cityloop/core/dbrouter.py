"""Reads that may be stale go to the streaming replica (``CITYLOOP_REPLICA_URL``).

Django's routers choose by model, not by page, so the choice is made per request: the
middleware opens a "stale reads allowed" window for a GET or HEAD of a path listed in
``CITYLOOP_REPLICA_READ_PATHS`` when the client has not written lately, and the router sends
reads to the replica only inside that window. Everything else stays on the primary:

- every write, and every read inside a transaction (``atomic``) — a workflow function reads
  what it is about to change from the primary;
- every read outside a request (workers, the sweep, management commands);
- a client's reads for ``CITYLOOP_READ_YOUR_WRITES_SECONDS`` after any write it sent
  (read-your-writes): the write marks the client in the shared cache (by bearer token or
  session, so every node sees it) and with a cookie (for a client with neither yet);
- every read while the replica is down or further behind than
  ``CITYLOOP_REPLICA_MAX_LAG_SECONDS``: checked at most every ``CITYLOOP_REPLICA_CHECK_SECONDS``
  per process, and at once when a read on the replica failed (the page is then served again
  from the primary, so the client sees no error).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("cityloop.dbrouter")

PRIMARY = "default"
REPLICA = "replica"
COOKIE = "cityloop_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LAG_SQL = (
    # 0 while the replica has replayed everything it received (an idle primary sends
    # nothing new, so the last replay time alone would read as growing lag).
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)

_stale_reads_ok: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cityloop_stale_reads_ok", default=False
)


class ReplicaHealth:
    """Is the replica usable for reads? One answer per process, kept ``every`` seconds."""

    def __init__(self, probe: Callable[[], float], *, max_lag: float, every: float) -> None:
        self.probe = probe  # the replica's lag in seconds; raises when it cannot be asked
        self.max_lag = max_lag
        self.every = every
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._usable = False
        self.last_lag: float | None = None

    def usable(self, *, now: Callable[[], float] = time.monotonic) -> bool:
        with self._lock:
            t = now()
            if self._checked_at is not None and t - self._checked_at < self.every:
                return self._usable
            self._checked_at = t  # before the probe: one slow probe at a time per process
        try:
            lag = float(self.probe())
        except Exception as exc:  # down, refusing, timed out: the primary answers instead
            log.warning("replica not usable: %s: %s", type(exc).__name__, exc)
            lag = None
        with self._lock:
            self.last_lag = lag
            self._usable = lag is not None and lag <= self.max_lag
            if lag is not None and not self._usable:
                log.warning(
                    "replica %.1f s behind (bound %.1f s): reads on the primary", lag, self.max_lag
                )
            return self._usable

    def recheck(self) -> None:
        """Ask the replica again at the next read."""
        with self._lock:
            self._checked_at = None

    def failed(self, *, now: Callable[[], float] = time.monotonic) -> None:
        """A read on the replica just failed: not usable until the next check is due."""
        with self._lock:
            self._checked_at = now()
            self._usable = False


def replica_lag() -> float:
    """How far the replica is behind the primary, in seconds (asked on the replica)."""
    connection = connections[REPLICA]
    with connection.cursor() as cursor:
        cursor.execute(LAG_SQL)
        (lag,) = cursor.fetchone()
    return float(lag)


_health: ReplicaHealth | None = None


def health() -> ReplicaHealth:
    global _health
    if _health is None:
        conf = settings.CITYLOOP
        _health = ReplicaHealth(
            replica_lag, max_lag=conf.replica_max_lag_seconds, every=conf.replica_check_seconds
        )
    return _health


@contextmanager
def stale_reads_allowed(allowed: bool = True) -> Iterator[None]:
    """Inside: reads outside a transaction may go to the replica (when it is usable)."""
    token = _stale_reads_ok.set(allowed)
    try:
        yield
    finally:
        _stale_reads_ok.reset(token)


def read_database(*, in_transaction: bool, usable: Callable[[], bool]) -> str:
    """The rule, apart from Django: which database answers a read now."""
    if not _stale_reads_ok.get() or in_transaction:
        return PRIMARY
    return REPLICA if usable() else PRIMARY


class ReplicaRouter:
    """Writes and migrations on the primary; reads as :func:`read_database` says."""

    def db_for_read(self, model, **hints) -> str:
        if not _stale_reads_ok.get():  # the common case costs nothing more
            return PRIMARY
        return read_database(
            in_transaction=connections[PRIMARY].in_atomic_block, usable=health().usable
        )

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == PRIMARY


def client_key(request: HttpRequest) -> str:
    """Who sent the request, for read-your-writes: the bearer token or the session, hashed;
    "" for a client with neither (it carries the cookie instead)."""
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth.lower().startswith("bearer "):
        seen = "t:" + auth[7:].strip()
    else:
        session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
        seen = "s:" + session if session else ""
    return hashlib.sha256(seen.encode()).hexdigest()[:32] if seen else ""


def _cache_key(key: str) -> str:
    return f"wrote:{key}"


def may_read_stale(request: HttpRequest, paths: list[str]) -> bool:
    """A GET/HEAD of a listed path by a client that has not written lately."""
    if request.method not in SAFE_METHODS or COOKIE in request.COOKIES:
        return False
    if not any(request.path.startswith(p) for p in paths):
        return False
    key = client_key(request)
    return not (key and cache.get(_cache_key(key)))


def mark_write(request: HttpRequest, response: HttpResponse, seconds: int) -> None:
    """After any write: this client reads from the primary for ``seconds``."""
    key = client_key(request)
    if key:
        cache.set(_cache_key(key), 1, timeout=seconds)
    response.set_cookie(COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax")


class ReplicaReadsMiddleware:
    """Opens the stale-reads window for the request (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        conf = settings.CITYLOOP
        self.paths = list(conf.replica_read_paths)
        self.window = conf.read_your_writes_seconds

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in WRITE_METHODS:
            response = self.get_response(request)
            mark_write(request, response, self.window)
            return response
        if not may_read_stale(request, self.paths):
            return self.get_response(request)
        request._cityloop_replica = True
        with stale_reads_allowed():
            response = self.get_response(request)
        failed = getattr(request, "_cityloop_replica_failed", False)
        if failed or response.status_code >= 500:
            # A read on the replica failed (it went down between two checks, or a broken
            # connection surfaced before the view): serve it again, from the primary. Only
            # GET/HEAD come here, which change nothing.
            if not failed:
                health().recheck()
            request._cityloop_replica = False
            with stale_reads_allowed(False):
                response = self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if getattr(request, "_cityloop_replica", False) and isinstance(exception, DatabaseError):
            log.warning("read on the replica failed: %s: retried on the primary", exception)
            health().failed()
            request._cityloop_replica_failed = True
        return None
