"""``cityloop check --deploy`` (issue 19.4): Django's deployment checks plus cityloop's own."""

from __future__ import annotations

import re
import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from cityloop import cli
from cityloop.core import clock
from cityloop.core.models import WorkCalendarYear
from cityloop.settings import tls_settings
from tests.deploy.test_healthz import REDIS_URL, _closed_port, _redis_huey


def _deployment(settings, **config) -> None:
    """Settings of a node configured the way the operator guide says."""
    values = {"secret_key": secrets.token_urlsafe(50), "tls": True, "hsts_seconds": 3600}
    values |= config
    cfg = settings.CITYLOOP.model_copy(update=values)
    settings.CITYLOOP = cfg
    settings.SECRET_KEY = cfg.secret_key or settings.SECRET_KEY
    settings.ALLOWED_HOSTS = ["city.example"]
    settings.DEBUG = False
    for name, value in tls_settings(cfg).items():
        setattr(settings, name, value)
    settings.HUEY = _redis_huey(REDIS_URL)
    WorkCalendarYear.objects.get_or_create(year=clock.today().year + 1)


def _problems() -> set[str]:
    """The check ids reported, e.g. {"cityloop.E002"}; empty when the command passes."""
    try:
        call_command("cityloop_check", "--deploy")
    except SystemCheckError as exc:
        return set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", str(exc)))
    return set()


@pytest.mark.django_db
def test_a_configured_node_passes(settings) -> None:
    _deployment(settings)
    call_command("cityloop_check", "--deploy")  # raises SystemCheckError on any problem


@pytest.mark.django_db
def test_the_laptop_defaults_are_problems(settings) -> None:
    _deployment(settings, secret_key="", tls=False)
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    found = _problems()
    assert {"cityloop.E001", "cityloop.E002", "cityloop.W003"} <= found
    assert {"security.W012", "security.W016"} <= found  # Django's own ran too


@pytest.mark.django_db
def test_any_host_is_a_problem(settings) -> None:
    _deployment(settings)
    settings.ALLOWED_HOSTS = ["*"]
    assert _problems() == {"cityloop.E002"}


@pytest.mark.django_db
def test_tls_on_with_settings_undone_is_a_problem(settings) -> None:
    _deployment(settings)
    settings.SESSION_COOKIE_SECURE = False
    assert "cityloop.E003" in _problems()


@pytest.mark.django_db
def test_next_year_missing_from_the_calendar_is_a_problem(settings) -> None:
    _deployment(settings)
    WorkCalendarYear.objects.filter(year=clock.today().year + 1).delete()
    assert _problems() == {"cityloop.W004"}


@pytest.mark.django_db
def test_unreachable_queue_is_a_problem(settings) -> None:
    _deployment(settings)
    settings.HUEY = _redis_huey(f"redis://127.0.0.1:{_closed_port()}/0")
    assert _problems() == {"cityloop.E005"}


@pytest.mark.django_db
def test_the_console_script_exits_non_zero_on_a_problem(settings) -> None:
    _deployment(settings)
    assert cli.main(["check", "--deploy"]) == 0
    settings.ALLOWED_HOSTS = ["*"]
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", "--deploy"])
    assert exit_.value.code == 1


@pytest.mark.django_db
def test_without_deploy_the_laptop_passes(settings) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    call_command("cityloop_check")
