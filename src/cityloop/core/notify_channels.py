"""Notification channels: the ways a message leaves the building.

A channel is any class with a ``name`` and ``send(recipient, message)``. ``send`` returns
``None`` when the message went out, :data:`SKIPPED` when the channel has no way to reach this
recipient (no e-mail address, no phone), and raises on failure; the caller records each
outcome on the notification row. Built-ins are registered by name; a deployment adds its own
by listing the class's dotted path in ``CITYLOOP_NOTIFY_CHANNELS``.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger("cityloop.notify")

WEBHOOK_TIMEOUT = 10  # seconds
SKIPPED: Final = "skipped"
WECOM_MAX_BYTES = 2048  # 企业微信群机器人 text.content limit


# ``Message.data[REDACTED_TITLE]``: what the stored row (and a deployment's console log) says
# once the message has gone out — a one-time code must not sit in clear in the inbox table or
# the log; the SMS channel sends the real title.
REDACTED_TITLE: Final = "redacted_title"


@dataclass(frozen=True)
class Message:
    """What is said. ``link`` is a site-relative URL (``/cases/12``); ``data`` is stored as
    JSON with the row and is there for channels that want more than the text."""

    verb: str
    title: str
    body: str = ""
    link: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Title, body and link as plain text, one per line, empty parts left out."""
        return "\n".join(part for part in (self.title, self.body, self.link) if part)


@dataclass(frozen=True)
class Recipient:
    """Who it is said to: an account, or just a contact (an anonymous resident reporter)."""

    user: Any = None
    name: str = ""
    phone: str = ""
    email: str = ""

    def label(self) -> str:
        if self.name:
            return self.name
        if self.user is not None:
            return self.user.get_username()
        return self.phone or self.email or "?"


@runtime_checkable
class Channel(Protocol):
    name: str

    def send(self, recipient: Recipient, message: Message) -> str | None:
        """Deliver, or return :data:`SKIPPED`; raise on failure."""


_REGISTRY: dict[str, type] = {}


def register_channel(cls: type) -> type:
    """Class decorator: make a channel available under its ``name``."""
    name = getattr(cls, "name", "")
    if not name or not callable(getattr(cls, "send", None)):
        raise TypeError(f"{cls!r} needs a name and a send() method to be a channel")
    _REGISTRY[name] = cls
    return cls


def registered_channels() -> dict[str, type]:
    return dict(_REGISTRY)


def channel_names(value: str | None = None) -> list[str]:
    """The configured entries (names or dotted paths), in order, without blanks or repeats."""
    raw = settings.CITYLOOP.notify_channels if value is None else value
    names: list[str] = []
    for part in raw.split(","):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


def load_channel(spec: str) -> Channel:
    """One channel from a registered name (``email``) or a dotted path
    (``mycity.notify.DingTalkChannel``); :class:`ImproperlyConfigured` when neither works."""
    cls = _REGISTRY.get(spec)
    if cls is None:
        if "." not in spec:
            known = ", ".join(sorted(_REGISTRY))
            raise ImproperlyConfigured(f"unknown notification channel {spec!r} (known: {known})")
        try:
            cls = import_string(spec)
        except ImportError as exc:
            raise ImproperlyConfigured(f"cannot import notification channel {spec!r}") from exc
    channel = cls()
    if not getattr(channel, "name", "") or not callable(getattr(channel, "send", None)):
        raise ImproperlyConfigured(f"{spec!r} is not a channel: it needs name and send()")
    return channel


def channels_from_config(value: str | None = None) -> list[Channel]:
    """Every channel listed in ``CITYLOOP_NOTIFY_CHANNELS`` (or ``value``), instantiated."""
    return [load_channel(spec) for spec in channel_names(value)]


def _post_json(url: str, payload: dict[str, Any]) -> bytes:
    """POST ``payload`` as UTF-8 JSON; an HTTP error status raises (urllib does that)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
        return response.read()


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- built-ins ------------------------------------------------------------------------------


@register_channel
class ConsoleChannel:
    """One log line on ``cityloop.notify``: for development and as a trail in the logs."""

    name = "console"

    def send(self, recipient: Recipient, message: Message) -> None:
        # A one-time code's message says what the stored row says ("……：******"): a
        # deployment's log is no place for a secret either (``REDACTED_TITLE``). Only a
        # development site (DEBUG) prints the code, the one way to read it without an SMS.
        title = message.title
        if not settings.DEBUG:
            title = message.data.get(REDACTED_TITLE) or title
        logger.info(
            "notify %s to %s: %s%s%s",
            message.verb,
            recipient.label(),
            _one_line(str(title)),
            f" — {_one_line(message.body)}" if message.body else "",
            f" [{message.link}]" if message.link else "",
        )


@register_channel
class EmailChannel:
    """Django's mail: SMTP when ``CITYLOOP_EMAIL_HOST`` is set, else the console backend."""

    name = "email"

    def send(self, recipient: Recipient, message: Message) -> str | None:
        address = recipient.email or getattr(recipient.user, "email", "")
        if not address:
            return SKIPPED
        body = "\n\n".join(part for part in (message.body, message.link) if part)
        send_mail(
            subject=_one_line(message.title),
            message=body or message.title,
            from_email=settings.CITYLOOP.email_from,
            recipient_list=[address],
        )
        return None


@register_channel
class SmsWebhookChannel:
    """An SMS gateway behind a webhook that takes ``{"phone", "text"}`` as JSON."""

    name = "sms"

    def __init__(self, url: str | None = None):
        self.url = settings.CITYLOOP.sms_webhook_url if url is None else url
        if not self.url:
            raise ImproperlyConfigured("sms channel: CITYLOOP_SMS_WEBHOOK_URL is not set")

    def send(self, recipient: Recipient, message: Message) -> str | None:
        if not recipient.phone:
            return SKIPPED
        text = "\n".join(part for part in (message.title, message.body) if part)
        _post_json(self.url, {"phone": recipient.phone, "text": text})
        return None


@register_channel
class WeComWebhookChannel:
    """A 企业微信 group robot: posts into the staff group, @-mentioning the recipient by phone.

    Residents without an account are not in the group, so they are skipped.
    """

    name = "wecom"

    def __init__(self, url: str | None = None):
        self.url = settings.CITYLOOP.wecom_webhook_url if url is None else url
        if not self.url:
            raise ImproperlyConfigured("wecom channel: CITYLOOP_WECOM_WEBHOOK_URL is not set")

    def send(self, recipient: Recipient, message: Message) -> str | None:
        if recipient.user is None:
            return SKIPPED
        content = message.text().encode("utf-8")[:WECOM_MAX_BYTES].decode("utf-8", "ignore")
        text: dict[str, Any] = {"content": content}
        if recipient.phone:
            text["mentioned_mobile_list"] = [recipient.phone]
        answer = _post_json(self.url, {"msgtype": "text", "text": text})
        # The robot answers 200 with {"errcode": 0, "errmsg": "ok"}; anything else failed.
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            result = {}
        if isinstance(result, dict) and result.get("errcode", 0) != 0:
            raise RuntimeError(f"wecom errcode {result.get('errcode')}: {result.get('errmsg')}")
        return None
