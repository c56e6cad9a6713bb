"""Background tasks (huey). Discovered by huey.contrib.djhuey from each app's tasks.py."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cityloop.core import sweep


@db_periodic_task(crontab(minute="*"))
def periodic_sweep() -> dict[str, object]:
    return sweep.run_sweep()


@db_task()
def ping(value: str) -> str:
    """A no-op round trip, used by ``cityloop worker --check`` and the queue tests."""
    return value
