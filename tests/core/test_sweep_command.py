"""`cityloop sweep --once` runs every sweeper in a fresh process, notifications included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_sweeper_is_registered_in_a_fresh_process(tmp_path):
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    # What `cityloop sweep` finds once Django is set up, before anything else is imported.
    code = (
        "import django; django.setup(); "
        "from cityloop.core import sweep; print(*sorted(sweep._SWEEPERS))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert set(out.split()) == {
        "calendar",
        "case_lights",
        "duty_escalation",
        "notifications",
        "task_lights",
    }, out


@pytest.mark.django_db
def test_the_command_runs_one_pass(capsys):
    from django.core.management import call_command

    call_command("sweep", "--once")
    out = capsys.readouterr().out
    assert {line.split(":")[0] for line in out.splitlines()} >= {"case_lights", "notifications"}


@pytest.mark.django_db
def test_notifications_past_retrying_are_reported(caplog, make_account):
    from datetime import timedelta

    from cityloop.core import clock, notify
    from cityloop.core.models import Notification

    user = make_account("n-user")
    Notification.objects.create(
        recipient=user,
        verb="case_dispatch",
        title="派遣",
        created_at=clock.now() - timedelta(days=2),
    )
    notify.deliver_pending()
    assert "1 notifications were never delivered" in caplog.text


def test_a_missing_calendar_year_is_logged_once_a_day_not_every_sweep(caplog, monkeypatch):
    from django.core.cache import caches

    from cityloop.core import sweep, worktime

    caches["default"].clear()
    monkeypatch.setattr(worktime, "calendar_warnings", lambda: ["2027 年工作日历未知"])
    with caplog.at_level("WARNING", logger="cityloop.sweep"):
        for _ in range(3):
            assert sweep._calendar_check() == ["2027 年工作日历未知"]
    assert [r.getMessage() for r in caplog.records] == ["2027 年工作日历未知"]
    caches["default"].clear()  # a day later the cache entry has expired: logged again
    with caplog.at_level("WARNING", logger="cityloop.sweep"):
        sweep._calendar_check()
    assert len(caplog.records) == 2
