"""API tokens: issue, verify, revoke. Only a digest is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import Unauthorized
from cityloop.core.models import ApiToken

PREFIX = "cl_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user, label: str = "", ttl_days: int | None = None) -> str:
    """Create a token for ``user`` and return it; it cannot be shown again."""
    token = PREFIX + secrets.token_urlsafe(32)
    days = settings.CITYLOOP.token_ttl_days if ttl_days is None else ttl_days
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


def token_for_credentials(*, request, username: str, password: str) -> str:
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        # One answer for "no such user" and "wrong password": do not reveal which.
        raise Unauthorized("auth_bad_credentials", _("Wrong username or password"))
    return token_issue(user=user, label="api login")


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
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


@transaction.atomic
def token_revoke(*, actor, token: str) -> None:
    row = ApiToken.objects.select_for_update().filter(digest=_digest(token)).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("auth_invalid_token", _("Invalid token"))
    row.revoked_at = clock.now()
    row.save(update_fields=["revoked_at"])
    events.record_on(row, actor=actor, verb="token_revoke")
