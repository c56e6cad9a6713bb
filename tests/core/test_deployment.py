"""Settings a real deployment needs (CITYLOOP_TLS, CITYLOOP_TRUSTED_PROXIES, passwords)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from cityloop import settings as cityloop_settings
from cityloop.core.config import CityloopConfig
from cityloop.core.errors import InvalidInput
from cityloop.demo.accounts import DEMO_PASSWORD, SUPERUSER, demo_usernames
from cityloop.org import services
from tests.conftest import PASSWORD

# --- TLS -------------------------------------------------------------------------------------


def test_tls_is_off_by_default_for_the_plain_http_demo(monkeypatch):
    monkeypatch.delenv("CITYLOOP_TLS", raising=False)
    values = cityloop_settings.tls_settings(CityloopConfig())
    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    # and the running settings are the same (the test process has no CITYLOOP_TLS)
    assert settings.SESSION_COOKIE_SECURE is False
    assert settings.SECURE_PROXY_SSL_HEADER is None


def test_cityloop_tls_true_turns_on_secure_cookies_hsts_and_the_proxy_header(monkeypatch):
    monkeypatch.setenv("CITYLOOP_TLS", "true")
    values = cityloop_settings.tls_settings(CityloopConfig())
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    }


def test_hsts_seconds_can_be_set_and_zero_sends_none(monkeypatch):
    monkeypatch.setenv("CITYLOOP_TLS", "1")
    monkeypatch.setenv("CITYLOOP_HSTS_SECONDS", "0")
    values = cityloop_settings.tls_settings(CityloopConfig())
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SESSION_COOKIE_SECURE"] is True


def test_with_tls_a_forwarded_https_request_gets_hsts_and_a_secure_session_cookie(
    client, street_a_user
):
    on = cityloop_settings.tls_settings(CityloopConfig(tls=True))
    with override_settings(**on):
        response = client.post(
            reverse("login"),
            {"username": "jyl-staff", "password": PASSWORD},
            HTTP_X_FORWARDED_PROTO="https",
        )
        assert response.status_code == 302
        assert response.wsgi_request.is_secure()
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert response.cookies["sessionid"]["secure"] is True


def test_without_tls_the_forwarded_proto_header_is_not_believed(client):
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert not response.wsgi_request.is_secure()
    assert "Strict-Transport-Security" not in response


# --- axes behind proxies ----------------------------------------------------------------------


def _fail(client, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": "jyl-staff", "password": "wrong-wrong"},
        REMOTE_ADDR="10.0.0.1",  # the proxy
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def _login(client, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": "jyl-staff", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_one_proxy_ten_failures_lock_client_a_and_not_client_b(client, street_a_user):
    from axes.models import AccessAttempt

    config = settings.CITYLOOP.model_copy(update={"trusted_proxies": 1})
    with override_settings(CITYLOOP=config):
        for _ in range(10):
            _fail(client, "203.0.113.5")
        assert _login(client, "203.0.113.5").status_code == 429
        assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
        # B, behind the same proxy, logs in
        response = _login(client, "198.51.100.7")
        assert response.status_code == 302
        assert response.wsgi_request.user == street_a_user


def test_behind_one_proxy_a_forged_left_part_of_the_header_is_not_the_client(client, street_a_user):
    """A client may send its own X-Forwarded-For; the proxy appends the real address."""
    from axes.models import AccessAttempt

    config = settings.CITYLOOP.model_copy(update={"trusted_proxies": 1})
    with override_settings(CITYLOOP=config):
        for n in range(10):
            _fail(client, f"192.0.2.{n}, 203.0.113.5")
        assert _login(client, "192.0.2.99, 203.0.113.5").status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]


def test_without_trusted_proxies_the_header_is_ignored_and_the_proxy_is_the_client(
    client, street_a_user
):
    """The old behaviour, still the default: everybody behind the proxy shares one lockout."""
    for _ in range(10):
        _fail(client, "203.0.113.5")
    assert _login(client, "198.51.100.7").status_code == 429


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abcdefghi", "密码至少需要 10 个字符。"),  # 9 characters
        ("8265019374", "密码只包含数字。"),  # all digits, 10 of them
        ("password1234", "这个密码太常见了。"),
        ("wangfang-jyl", "密码跟 用户名 太相似了。"),
    ],
)
def test_weak_passwords_are_refused_in_chinese_and_nothing_is_written(tree, password, message):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as err:
        services.account_save(
            actor=None, username="wangfang-jyl", password=password, roles=["street_staff"]
        )
    assert err.value.code == "account_weak_password"
    assert message in str(err.value.message)
    assert not get_user_model().objects.filter(username="wangfang-jyl").exists()


def test_a_ten_character_password_is_accepted(tree):
    user = services.account_save(
        actor=None, username="wangfang", password="qz7-lumen-4", roles=["street_staff"]
    )
    assert user.check_password("qz7-lumen-4")


def test_the_demo_password_passes_every_validator_for_every_demo_account():
    User = get_user_model()
    for username in [*demo_usernames(), SUPERUSER]:
        validate_password(DEMO_PASSWORD, User(username=username))  # raises if refused


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "client"),
    [
        (0, "203.0.113.5", "10.0.0.1"),  # no trusted proxy: the header is ignored
        (1, "", "10.0.0.1"),  # came round the proxy
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),  # the left part is the client's own
        (2, "192.0.2.1, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer entries than proxies: the left-most
    ],
)
def test_client_address_counts_trusted_proxies_from_the_right(proxies, forwarded_for, client):
    from django.test import RequestFactory

    from cityloop.core.net import client_address

    meta = {"REMOTE_ADDR": "10.0.0.1"}
    if forwarded_for:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/", **meta)
    config = settings.CITYLOOP.model_copy(update={"trusted_proxies": proxies})
    with override_settings(CITYLOOP=config):
        assert client_address(request) == client
