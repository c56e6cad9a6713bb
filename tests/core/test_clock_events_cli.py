from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import transaction

from cityloop.core import clock, events
from cityloop.core.config import CityloopConfig
from cityloop.core.models import Event


def test_frozen_clock_is_what_now_returns():
    with clock.frozen(datetime(2026, 10, 1, 9, 0)) as at:
        assert clock.now() == at
        assert at.tzinfo is not None
        assert clock.today().isoformat() == "2026-10-01"  # 09:00 Shanghai is still Oct 1
    assert clock.now() != at


def test_pinned_clock_from_config(monkeypatch):
    monkeypatch.setenv("CITYLOOP_AS_OF", "2026-06-30T09:00:00+08:00")
    cfg = CityloopConfig()
    clock.pin(cfg.as_of)
    try:
        assert clock.now() == datetime(2026, 6, 30, 1, 0, tzinfo=UTC)
    finally:
        clock.pin(None)


def test_empty_as_of_means_real_time(monkeypatch):
    monkeypatch.setenv("CITYLOOP_AS_OF", "")
    assert CityloopConfig().as_of is None


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused(tree):
    with pytest.raises(RuntimeError):
        events.record_on(tree.district, actor=None, verb="poke")
    assert not Event.objects.filter(verb="poke").exists()


@pytest.mark.django_db
def test_event_rows_carry_the_change(tree):
    with transaction.atomic(), clock.frozen(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)):
        ev = events.record_on(
            tree.district, actor=None, verb="poke", from_state="a", to_state="b", note="n"
        )
    assert (ev.actor_label, ev.verb, ev.from_state, ev.to_state) == ("系统", "poke", "a", "b")
    assert ev.at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert list(events.events_of(tree.district).filter(verb="poke")) == [ev]


@pytest.mark.django_db
def test_event_names_the_acting_person(tree, street_a_user):
    with transaction.atomic():
        ev = events.record_on(tree.compound_a, actor=street_a_user, verb="poke")
    assert ev.actor == street_a_user
    assert ev.actor_label == street_a_user.username  # the account's person is named after it
    assert Event.objects.filter(pk=ev.pk, actor=street_a_user).exists()


def test_cli_help_lists_commands_in_both_languages():
    exe = Path(sys.executable).with_name("cityloop")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for word in ("serve", "worker", "demo", "import", "user", "token", "迁移", "migrate"):
        assert word in out


def test_cli_rejects_unknown_command():
    exe = Path(sys.executable).with_name("cityloop")
    run = subprocess.run([str(exe), "frobnicate"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "未知命令" in run.stderr
