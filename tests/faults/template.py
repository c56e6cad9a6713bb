"""A migrated database the fault tests' servers start from, made once per session.

Migrating a new database costs a minute on a loaded 2-core machine, and each server of the
fault tests used to migrate its own. The test database pytest-django has just migrated is
exactly what ``migrate`` makes, so before any test writes to it a copy is taken (SQLite: a
file; PostgreSQL: a database of its own, used as ``CREATE DATABASE … TEMPLATE``). Each
server then gets a database of its own copied from it, still nobody else's.

The copy is taken only when a collected test asks for ``migrated_template``, and not when
the test database may hold rows already (``--reuse-db``) or was built without the
migrations (``--nomigrations``): then :func:`current` is ``None`` and each server migrates
its own database as before. Its name carries the process id, so two runs at once (CI's
SQLite and PostgreSQL passes) never share one; it is dropped at the session's end, with the
PostgreSQL databases the tests made (:func:`drop_at_session_end`).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

FIXTURE = "migrated_template"


@dataclass(frozen=True)
class Template:
    vendor: str  # "sqlite" or "postgresql"
    name: str  # the SQLite file, or the PostgreSQL database


_current: list[Template] = []
_to_drop: list[str] = []  # PostgreSQL databases of this session's tests, dropped at its end


def drop_at_session_end(name: str) -> None:
    """Drop a test's PostgreSQL database with the others when the session ends: every DROP
    DATABASE waits for a checkpoint of the whole server, 5 to 30 s on the loaded CI machine
    (the other pass writes too); one after another at the end, only the first has much to
    write."""
    if name not in _to_drop:
        _to_drop.append(name)


def wanted(items) -> bool:
    return any(FIXTURE in getattr(item, "fixturenames", ()) for item in items)


def current() -> Template | None:
    return _current[0] if _current else None


def sqlite_copy(source: str, target: str) -> None:
    """A consistent copy through SQLite's backup API (it reads what the WAL holds too)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def snapshot(folder: Path) -> Template | None:
    """Copy the test database as it is now: call right after it was created and migrated."""
    from django.db import connection, connections

    from tests.faults.test_backup import admin_sql

    if connection.vendor == "sqlite":
        made = Template("sqlite", str(folder / f"migrated-{os.getpid()}.sqlite3"))
        sqlite_copy(connection.settings_dict["NAME"], made.name)
    else:
        made = Template("postgresql", f"h_template_{os.getpid()}_{uuid.uuid4().hex[:6]}")
        # A template must have no other session: this process's own connections close here
        # (Django opens them again when a test needs one).
        connections.close_all()
        source = connection.settings_dict["NAME"]
        try:
            admin_sql(f'CREATE DATABASE "{made.name}" TEMPLATE "{source}"')
        except Exception as exc:  # the servers then migrate their own databases, slower
            warnings.warn(f"no migrated template for the fault servers: {exc!r}", stacklevel=1)
            return None
    _current[:] = [made]
    return made


def drop() -> None:
    """At the session's end: the template and every database :func:`drop_at_session_end` was
    given."""
    made = current()
    _current.clear()
    names = list(_to_drop)
    _to_drop.clear()
    if made is not None and made.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(made.name + suffix).unlink(missing_ok=True)
    elif made is not None:
        names.append(made.name)
    if names:
        from tests.faults.test_backup import admin_sql

        for name in names:
            admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
