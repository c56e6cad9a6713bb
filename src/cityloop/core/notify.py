"""Notifications: an inbox row per recipient now, delivery through the channels after commit.

Call :func:`notify` inside the transaction of the change it reports (a workflow function).
The inbox rows are part of that transaction, so a rolled-back change leaves nothing and sends
nothing. After commit each row is handed to the queue (huey task
``cityloop.core.tasks.deliver_notification``), which calls :func:`deliver`: every configured
channel is tried, a failing one does not stop the others, and each outcome ("ok", "skipped"
or the error text) is kept on the row. A row is claimed before sending, so it is delivered at
most once; rows the queue never saw (queue down at commit time) are picked up by the
periodic sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from cityloop.core import clock, orgmodels, sweep
from cityloop.core.models import Notification
from cityloop.core.notify_channels import (
    REDACTED_TITLE,
    SKIPPED,
    Channel,
    Message,
    Recipient,
    channel_names,
    channels_from_config,
    load_channel,
    register_channel,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

__all__ = [
    "SKIPPED",
    "Channel",
    "Message",
    "Recipient",
    "channels_from_config",
    "deliver",
    "deliver_pending",
    "notify",
    "notify_accounts",
    "notify_many",
    "register_channel",
]

logger = logging.getLogger("cityloop.notify")

TITLE_MAX = 200
ERROR_MAX = 500
# The sweeper leaves fresh rows to the queue and gives up on stale ones.
PENDING_GRACE = timedelta(minutes=2)
PENDING_GIVE_UP = timedelta(days=1)
PENDING_BATCH = 500


def _as_recipient(value: Any) -> Recipient:
    if isinstance(value, Recipient):
        return value
    if getattr(value, "pk", None) is not None and hasattr(value, "get_username"):
        return Recipient(user=value)
    raise TypeError(f"not a recipient: {value!r} (give a Recipient or a saved user)")


def _contact(recipient: Recipient) -> str:
    return " ".join(part.strip() for part in (recipient.phone, recipient.email) if part.strip())


def _check(message: Message) -> None:
    if not message.verb or len(message.verb) > 40:
        raise ValueError(f"notification verb must be 1–40 characters: {message.verb!r}")
    if message.link and not message.link.startswith("/"):
        raise ValueError(f"notification link must be site-relative (/…): {message.link!r}")
    if len(message.link) > 300:
        raise ValueError("notification link longer than 300 characters")


def notify(
    *, recipients: Iterable[Recipient | AbstractBaseUser], message: Message
) -> list[Notification]:
    """Write one inbox row per recipient (accounts or :class:`Recipient`) and deliver them
    through the configured channels once the current transaction commits.

    The same account (or the same contact) named twice gets one row. A recipient with neither
    an account nor a phone/e-mail cannot be reached and is left out.
    """
    _check(message)
    rows = _rows_for(recipients, message, clock.now())
    if not rows:
        return []
    return _write(rows)


def notify_many(items: Iterable[tuple[Iterable[Recipient | AbstractBaseUser], Message]]) -> int:
    """:func:`notify` for many messages at once (a sweep's warnings): the same rows, written
    in one bulk insert and handed to the queue in batches after commit, not one queue write
    per row. Returns the number of rows written."""
    now = clock.now()
    rows: list[Notification] = []
    for recipients, message in items:
        _check(message)
        rows.extend(_rows_for(recipients, message, now))
    if not rows:
        return 0
    return len(_write(rows))


def notify_accounts(items: Iterable[tuple[Iterable[int], Message]]) -> int:
    """:func:`notify_many` for messages to accounts named by user id (the light sweep): the
    same rows — one per account and message, an account named twice heard once — prepared as
    plain values and written with one set-based INSERT (:func:`cityloop.core.db.insert_rows`),
    handed to the queue after commit like any other. Returns the number of rows written."""
    from cityloop.core.db import insert_rows

    now = clock.now()
    external = bool(channel_names())
    rows: list[dict[str, Any]] = []
    for user_ids, message in items:
        _check(message)
        title = str(message.title)
        if len(title) > TITLE_MAX:
            title = title[: TITLE_MAX - 1] + "…"
        data = dict(message.data)
        if not external and REDACTED_TITLE in data:  # what _write's _redact stores
            title = str(data.pop(REDACTED_TITLE))[:TITLE_MAX]
        body, link = str(message.body), message.link
        for user_id in dict.fromkeys(user_ids):
            rows.append(
                {
                    "recipient_id": user_id,
                    "contact": "",
                    "verb": message.verb,
                    "title": title,
                    "body": body,
                    "link": link,
                    "data": data,
                    "created_at": now,
                    "sent_at": None if external else now,
                    "channels": [],
                    "delivered": {},
                }
            )
    if not rows:
        return 0
    ids = insert_rows(Notification, rows, returning=external)
    if external:
        queue_written(ids)
    return len(rows)


def sends_outside() -> bool:
    """Whether inbox rows go on to outside channels (then they are written unsent and handed
    to the queue, see :func:`queue_written`); else the inbox row is the whole notice."""
    return bool(channel_names())


def queue_written(ids: list[int]) -> None:
    """Hand inbox rows written by set-based SQL (a sweep's ``INSERT … SELECT``) to the queue:
    after the current transaction commits, in batches with the transaction's other rows."""
    if not ids:
        return
    if not transaction.get_connection().in_atomic_block:
        _schedule(ids)
    else:
        _pending_ids().extend(ids)


def _rows_for(
    recipients: Iterable[Recipient | AbstractBaseUser], message: Message, now
) -> list[Notification]:
    title = str(message.title)
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    rows: list[Notification] = []
    seen: set[tuple[str, object]] = set()
    for value in recipients:
        recipient = _as_recipient(value)
        contact = _contact(recipient)
        key = ("user", recipient.user.pk) if recipient.user is not None else ("contact", contact)
        if key in seen or (recipient.user is None and not contact):
            continue
        seen.add(key)
        rows.append(
            Notification(
                recipient=recipient.user,
                contact=contact,
                verb=message.verb,
                title=title,
                body=str(message.body),
                link=message.link,
                data=dict(message.data),
                created_at=now,
            )
        )
    return rows


# Rows handed to the queue in one task (a transaction's rows, in batches of this many).
QUEUE_BATCH = 200


def _write(rows: list[Notification]) -> list[Notification]:
    external = bool(channel_names())
    if not external:  # nothing to send: the inbox row is the whole notification
        for row in rows:
            row.sent_at = rows[0].created_at
            _redact(row)
    if connection.features.can_return_rows_from_bulk_insert:
        rows = Notification.objects.bulk_create(rows, batch_size=1000)
    else:
        for row in rows:
            row.save(force_insert=True)
    if external:
        if not transaction.get_connection().in_atomic_block:
            _schedule([row.pk for row in rows])  # autocommit: already committed
        else:
            _pending_ids().extend(row.pk for row in rows)
    return rows


def _pending_ids() -> list[int]:
    """The rows this transaction wrote so far, handed to the queue in one batch after commit
    (one callback per transaction, not one per notification)."""
    conn = transaction.get_connection()
    batch = getattr(conn, "_cityloop_notify_batch", None)
    # The batch belongs to the callback still waiting on this connection; after a commit or
    # a rollback (which drops the callback) a new one starts.
    if batch is not None and any(item[1] is batch[1] for item in conn.run_on_commit):
        return batch[0]
    ids: list[int] = []

    # A plain function, not functools.partial: Django's robust on_commit names the callback
    # by its __qualname__ when it fails, and a partial has none — the failure of the queue
    # then became a 500 after the write had committed.
    def schedule() -> None:
        conn._cityloop_notify_batch = None
        _schedule(ids)

    conn._cityloop_notify_batch = (ids, schedule)
    transaction.on_commit(schedule, robust=True)
    return ids


def _schedule(ids: list[int]) -> None:
    """After commit: hand each row to the queue (in immediate mode this delivers now).

    The change is committed; a queue that cannot be reached must not turn it into an error.
    Each row stays pending (``sent_at`` empty) and the sweep delivers it when the queue is
    back, so a failure here is logged and nothing more.
    """
    from cityloop.core.tasks import deliver_notification, deliver_notifications

    if len(ids) > 1:  # one queue write for each QUEUE_BATCH rows of the transaction
        for start in range(0, len(ids), QUEUE_BATCH):
            batch = list(ids[start : start + QUEUE_BATCH])
            try:
                deliver_notifications(batch)
            except Exception:
                logger.exception(
                    "could not queue %d notifications; the sweep will deliver them", len(batch)
                )
        return
    for pk in ids:
        try:
            deliver_notification(pk)
        except Exception:
            logger.exception("could not queue notification %s; the sweep will deliver it", pk)


def _recipient_of(row: Notification) -> Recipient:
    phone = email = ""
    for part in row.contact.split():
        if "@" in part:
            email = email or part
        else:
            phone = phone or part
    user = row.recipient
    name = ""
    if user is not None:
        Person = orgmodels.get("Person")

        person = Person.objects.filter(user=user).only("name", "phone").first()
        if person is not None:
            name = person.name
            phone = phone or person.phone
        name = name or user.get_full_name() or user.get_username()
        email = email or user.email
    return Recipient(user=user, name=name, phone=phone, email=email)


def _message_of(row: Notification) -> Message:
    return Message(verb=row.verb, title=row.title, body=row.body, link=row.link, data=row.data)


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def deliver(notification_id: int) -> dict[str, str]:
    """Send one notification through every configured channel, synchronously, and record
    each outcome on the row. Returns ``{channel: "ok" | "skipped" | error text}``; ``{}`` when
    the row is gone or was already claimed by another delivery run."""
    claimed = Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=clock.now()
    )
    if not claimed:
        return {}
    row = Notification.objects.select_related("recipient").get(pk=notification_id)
    recipient, message = _recipient_of(row), _message_of(row)
    attempted: list[str] = []
    outcome: dict[str, str] = {}
    for spec in channel_names():
        name = spec
        try:
            channel: Channel = load_channel(spec)
            name = channel.name
            result = channel.send(recipient, message)
        except Exception as exc:  # one broken channel must not silence the others
            logger.exception(
                "notification %s: channel %s failed for %s", row.pk, name, recipient.label()
            )
            outcome[name] = _error_text(exc)
        else:
            outcome[name] = SKIPPED if result == SKIPPED else "ok"
        attempted.append(name)
    changes: dict[str, object] = {"channels": attempted, "delivered": outcome}
    if _redact(row):
        changes.update(title=row.title, data=row.data)
    Notification.objects.filter(pk=row.pk).update(**changes)
    return outcome


def _redact(row: Notification) -> bool:
    """Put the stored title the message asked for in place of the one sent; ``True`` if so."""
    data = dict(row.data or {})
    redacted = data.pop(REDACTED_TITLE, None)
    if redacted is None:
        return False
    row.title, row.data = str(redacted)[:TITLE_MAX], data
    return True


@sweep.register("notifications")
def deliver_pending() -> int:
    """Deliver rows the queue never got (queue down at commit): older than a couple of
    minutes, younger than a day. Safe beside the queue: each row is claimed once."""
    now = clock.now()
    ids = list(
        Notification.objects.filter(
            sent_at__isnull=True,
            created_at__lte=now - PENDING_GRACE,
            created_at__gte=now - PENDING_GIVE_UP,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:PENDING_BATCH]
    )
    stale = Notification.objects.filter(
        sent_at__isnull=True, created_at__lt=now - PENDING_GIVE_UP
    ).count()
    if stale:  # past retrying: said every sweep, so an operator sees them, never dropped silently
        logger.warning("%d notifications were never delivered and are over a day old", stale)
    return sum(1 for pk in ids if deliver(pk))
