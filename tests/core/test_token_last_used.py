"""Token auth records its use at most once a minute, and that write can never fail a read
(issue 16, item 3: a long import held SQLite's write lock and GETs failed on last_used_at)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.models import QuerySet
from django.test import Client

from cityloop.core import clock, tokens
from cityloop.core.models import ApiToken

pytestmark = pytest.mark.django_db


def get_me(token: str):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_last_used_at_is_written_at_most_once_a_minute(make_account, monkeypatch):
    account = make_account("desk", roles=("street_staff",))
    token = tokens.token_issue(user=account, label="t")
    start = clock.now()
    monkeypatch.setattr(tokens.clock, "now", lambda: start)
    assert get_me(token).status_code == 200
    assert ApiToken.objects.get().last_used_at == start

    monkeypatch.setattr(tokens.clock, "now", lambda: start + timedelta(seconds=59))
    assert get_me(token).status_code == 200
    assert ApiToken.objects.get().last_used_at == start

    later = start + timedelta(seconds=61)
    monkeypatch.setattr(tokens.clock, "now", lambda: later)
    assert get_me(token).status_code == 200
    assert ApiToken.objects.get().last_used_at == later


def test_a_locked_database_does_not_fail_the_read(make_account, monkeypatch, caplog):
    account = make_account("desk", roles=("street_staff",))
    token = tokens.token_issue(user=account, label="t")
    real_update = QuerySet.update

    def locked(self, **kwargs):
        if self.model is ApiToken and "last_used_at" in kwargs:
            raise OperationalError("database is locked")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", locked)
    with caplog.at_level(logging.WARNING, logger="cityloop.core.tokens"):
        r = get_me(token)

    assert r.status_code == 200
    assert r.json()["username"] == "desk"
    assert ApiToken.objects.get().last_used_at is None
    assert any("last_used_at not updated" in m for m in caplog.messages)
