"""API tokens: issue, verify, revoke. Only a digest is stored.

Lifetime: ``CITYLOOP_TOKEN_TTL_DAYS`` is both the default and the ceiling. A token may be asked
for a shorter life (``ttl_days``), never a longer one: a longer one is refused with
``token_ttl_too_long`` rather than silently capped, so a script that asked for a year learns it
did not get one. ``0`` ("never expires") is a longer life than any ceiling, so it is allowed
only when the ceiling itself is 0.

Revocation: one token (:func:`token_revoke`, :func:`token_revoke_id`) or all of an account's
(:func:`revoke_all`). Changing or resetting a password does the latter and ends the account's
sessions (:func:`password_changed`, wired to the user model in :mod:`cityloop.core.signals`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import OperationalError, transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import InvalidInput, NotFound, Unauthorized
from cityloop.core.models import ApiToken

PREFIX = "cl_"

log = logging.getLogger(__name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_ttl_days() -> int:
    """The longest life a token may have, in days; 0: no ceiling (tokens may never expire)."""
    return settings.CITYLOOP.token_ttl_days


def _ttl(ttl_days: int | None) -> int:
    ceiling = max_ttl_days()
    if ttl_days is None:
        return ceiling
    if ttl_days < 0:
        raise InvalidInput("token_ttl_negative", _("The number of days must not be negative"))
    if ceiling and (ttl_days == 0 or ttl_days > ceiling):
        raise InvalidInput(
            "token_ttl_too_long",
            _("A token may be valid for at most %(days)s days") % {"days": ceiling},
            {"max_days": ceiling},
        )
    return ttl_days


@transaction.atomic
def token_issue(*, user, label: str = "", ttl_days: int | None = None) -> str:
    """Create a token for ``user`` and return it; it cannot be shown again.

    ``ttl_days``: None for the configured lifetime, or fewer days (see the module docstring).
    """
    days = _ttl(ttl_days)
    token = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken.objects.create(
        user=user,
        prefix=token[:10],
        digest=_digest(token),
        label=label,
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    events.record_on(row, actor=user, verb="token_issue", note=label)
    return token


def token_for_credentials(
    *, request, username: str, password: str, ttl_days: int | None = None
) -> str:
    _ttl(ttl_days)  # a bad lifetime is refused before the password is looked at
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        # One answer for "no such user" and "wrong password": do not reveal which.
        raise Unauthorized("auth_bad_credentials", _("Wrong username or password"))
    return token_issue(user=user, label="api login", ttl_days=ttl_days)


def token_user(token: str):
    """The user a bearer token stands for, or :class:`Unauthorized` with the reason."""
    row = (
        ApiToken.objects.select_related("user").filter(digest=_digest(token)).first()
        if token
        else None
    )
    if row is None:
        raise Unauthorized("auth_invalid_token", _("Invalid token"))
    now = clock.now()
    if row.revoked_at is not None:
        raise Unauthorized("auth_token_revoked", _("This token has been revoked"))
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("auth_token_expired", _("This token has expired"))
    if not row.user.is_active:
        raise Unauthorized("auth_account_disabled", _("This account is disabled"))
    # Touch at most once a minute so that reads do not become writes.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        _touch(row, now)
    return row.user


def _touch(row: ApiToken, now) -> None:
    """Record the use; a write that cannot be made (SQLite locked by a long writer, a
    read-only replica) is logged and the request goes on: a GET never fails on bookkeeping."""
    try:
        # A savepoint, so a failure inside a caller's transaction does not poison it.
        with transaction.atomic():
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    except OperationalError as exc:
        log.warning("token %s: last_used_at not updated (%s)", row.pk, exc)


@transaction.atomic
def token_revoke(*, actor, token: str) -> None:
    row = ApiToken.objects.select_for_update().filter(digest=_digest(token)).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("auth_invalid_token", _("Invalid token"))
    row.revoked_at = clock.now()
    row.save(update_fields=["revoked_at"])
    events.record_on(row, actor=actor, verb="token_revoke")


@transaction.atomic
def token_revoke_id(*, actor, token_id: int) -> None:
    """Revoke one token by its row id (the admin and ``cityloop token revoke --token-id``)."""
    row = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if row is None:
        raise NotFound("token_not_found", _("No such token"))
    if row.revoked_at is not None:
        raise InvalidInput("token_already_revoked", _("This token has been revoked"))
    row.revoked_at = clock.now()
    row.save(update_fields=["revoked_at"])
    events.record_on(row, actor=actor, verb="token_revoke")


@transaction.atomic
def revoke_all(user, *, actor=None, reason: str = "") -> int:
    """Revoke every live token of ``user``; returns how many. Each one gets its event."""
    now = clock.now()
    rows = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    if not rows:
        return 0
    ApiToken.objects.filter(pk__in=[r.pk for r in rows]).update(revoked_at=now)
    for row in rows:
        events.record_on(row, actor=actor, verb="token_revoke", note=reason)
    log.info("revoked %d token(s) of user id %s (%s)", len(rows), user.pk, reason or "-")
    return len(rows)


def sessions_end(user, *, keep: str | None = None) -> int:
    """Delete the stored sessions of ``user`` except the one keyed ``keep``; returns how many.

    Only database-backed sessions (``db``, ``cached_db``) can be found by user; with another
    engine nothing is deleted, and Django's own check (the session holds a hash of the
    password) still refuses the old sessions on their next request.
    """
    from importlib import import_module

    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    engine = import_module(settings.SESSION_ENGINE)
    if not hasattr(engine.SessionStore, "get_model_class"):
        log.warning("sessions of user id %s not deleted: %s", user.pk, settings.SESSION_ENGINE)
        return 0
    model = engine.SessionStore.get_model_class()
    if not issubclass(model, Session):
        return 0
    store = engine.SessionStore()
    live = model.objects.filter(expire_date__gt=timezone.now())  # Django's clock, not ours
    mine = [
        row.session_key
        for row in live.exclude(session_key=keep)
        if str(store.decode(row.session_data).get(SESSION_KEY)) == str(user.pk)
    ]
    for key in mine:
        engine.SessionStore(session_key=key).delete()  # also clears cached_db's cache entry
    return len(mine)


def password_changed(user, *, actor=None, keep_session: str | None = None) -> None:
    """A password was changed or reset: the account's tokens and other sessions go.

    Whoever changes their own password on a page keeps that page's session: Django's
    ``update_session_auth_hash`` moves it to a new key with the new password hash.
    """
    with transaction.atomic():
        tokens = revoke_all(user, actor=actor, reason="password_change")
    sessions = sessions_end(user, keep=keep_session)
    log.info(
        "password of user id %s changed: %d token(s) revoked, %d session(s) ended",
        user.pk,
        tokens,
        sessions,
    )
