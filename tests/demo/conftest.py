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
    """Load the demo once, count its statements and roll everything back afterwards.

    ``result["queries"]`` is the number of SQL statements the load ran: the bound the demo
    tests put on it catches a per-row query storm the same way on every machine, where a
    CPU-time bound would measure the machine (those figures live in bench/bench_demo.py)."""
    from django.db import connection

    from cityloop.demo.builder import load_demo

    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            started = time.perf_counter()
            with connection.execute_wrapper(count):
                result = load_demo(**load_options)
            result["seconds"] = time.perf_counter() - started
            result["queries"] = statements[0]
            yield result
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
