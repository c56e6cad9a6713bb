"""Background tasks (huey). Discovered by huey.contrib.djhuey from each app's tasks.py."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cityloop.core import notify, sweep


@db_periodic_task(crontab(minute="*"))
def periodic_sweep() -> dict[str, object] | None:
    # Every consumer (``cityloop worker``) schedules this each minute; the first to claim
    # the minute in the shared cache sweeps, the others skip (sweep.claim_period).
    return sweep.run_sweep_once()


@db_task()
def ping(value: str) -> str:
    """A no-op round trip, used by ``cityloop worker --check`` and the queue tests."""
    return value


@db_task()
def deliver_notification(notification_id: int) -> None:
    """Send one inbox row through the configured channels (see :mod:`cityloop.core.notify`).

    Returns nothing on purpose: huey keeps non-``None`` results until someone reads them.
    """
    notify.deliver(notification_id)


@db_task()
def deliver_notifications(notification_ids: list[int]) -> None:
    """Send a batch of inbox rows (written together by ``notify.notify_many``), one by one."""
    for pk in notification_ids:
        try:
            notify.deliver(pk)
        except Exception:  # one bad row must not hold back the rest; the sweep retries it
            notify.logger.exception("notification %s could not be delivered", pk)
