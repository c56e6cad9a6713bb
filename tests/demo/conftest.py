"""One demo load per test module, inside a transaction rolled back at the module's end."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from django.db import transaction
from django.test import override_settings

# Fast hashing for demo loads: argon2 costs ~0.1 s per demo account.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextlib.contextmanager
def demo_load_once(django_db_blocker, **load_options) -> Iterator[dict]:
    """Load the demo once, time it, and roll everything back afterwards."""
    from cityloop.demo.builder import load_demo

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            started, cpu = time.perf_counter(), time.process_time()
            result = load_demo(**load_options)
            result["seconds"] = time.perf_counter() - started
            result["cpu_seconds"] = time.process_time() - cpu
            yield result
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
