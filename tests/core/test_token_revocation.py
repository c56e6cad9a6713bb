"""Security issue 14.5: a password change revokes tokens and ends sessions; revoking from the
shell and the admin; token lifetimes are capped by CITYLOOP_TOKEN_TTL_DAYS."""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client

from cityloop.core import clock, tokens
from cityloop.core.errors import InvalidInput
from cityloop.core.models import ApiToken, Event
from cityloop.org import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "brand-new-pass-9"


def me(token: str):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def sessions_of(user) -> list[str]:
    return [
        s.session_key
        for s in Session.objects.all()
        if str(s.get_decoded().get(SESSION_KEY)) == str(user.pk)
    ]


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def staff(tree, make_account):
    return make_account("pw-staff", unit=tree.office_a)


# --- a password change revokes tokens and ends sessions ------------------------------------


def test_account_save_password_revokes_tokens_and_sessions(staff, caplog):
    token = tokens.token_issue(user=staff, label="script")
    other = tokens.token_issue(user=staff, label="phone")
    phone, laptop = logged_in(staff), logged_in(staff)
    assert me(token).status_code == 200 and len(sessions_of(staff)) == 2

    with caplog.at_level(logging.INFO, logger="cityloop.core.tokens"):
        services.account_save(actor=None, username="pw-staff", password=NEW_PASSWORD)

    for t in (token, other):
        r = me(t)
        assert (r.status_code, r.json()["code"]) == (401, "auth_token_revoked")
    assert sessions_of(staff) == []
    assert phone.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert Event.objects.filter(verb="token_revoke", note="password_change").count() == 2
    text = caplog.text
    assert "2 token(s) revoked, 2 session(s) ended" in text
    assert NEW_PASSWORD not in text and token not in text and token[:10] not in text


def test_an_untouched_password_revokes_nothing(staff):
    token = tokens.token_issue(user=staff)
    services.account_save(actor=None, username="pw-staff", name="改名不改密码")
    staff.refresh_from_db()
    staff.save()  # an ordinary save, e.g. last_login
    assert me(token).status_code == 200


def test_a_hasher_upgrade_at_login_is_not_a_password_change(staff):
    token = tokens.token_issue(user=staff)
    old_hash = make_password(PASSWORD, hasher="pbkdf2_sha256")
    get_user_model().objects.filter(pk=staff.pk).update(password=old_hash)
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)  # re-hashes with Argon2 and saves
    staff.refresh_from_db()
    assert staff.password.startswith("argon2")
    assert me(token).status_code == 200


def test_unusable_password_revokes(staff):
    token = tokens.token_issue(user=staff)
    staff.set_unusable_password()
    staff.save()
    assert me(token).json()["code"] == "auth_token_revoked"


def test_cli_set_password_revokes(staff):
    token = tokens.token_issue(user=staff)
    run("user", "set-password", "pw-staff", "--password", NEW_PASSWORD)
    assert me(token).json()["code"] == "auth_token_revoked"


def test_manage_changepassword_revokes(staff, monkeypatch):
    token = tokens.token_issue(user=staff)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", "pw-staff", stdout=io.StringIO())
    assert me(token).json()["code"] == "auth_token_revoked"


def test_page_password_change_keeps_this_session_and_ends_the_others(staff):
    token = tokens.token_issue(user=staff)
    here, elsewhere = logged_in(staff), logged_in(staff)
    page = here.get("/password/")
    assert page.status_code == 200

    r = here.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert (r.status_code, r["Location"]) == (302, "/")
    assert here.get("/").status_code == 200  # still signed in, on a new session key
    assert elsewhere.get("/").status_code == 302
    assert len(sessions_of(staff)) == 1
    assert me(token).json()["code"] == "auth_token_revoked"
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)


def test_page_password_change_refused_changes_nothing(staff):
    token = tokens.token_issue(user=staff)
    here, elsewhere = logged_in(staff), logged_in(staff)
    r = here.post(
        "/password/",
        {
            "old_password": "wrong-one-1",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert r.status_code == 400
    assert me(token).status_code == 200
    assert elsewhere.get("/").status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_admin_password_form_revokes(staff, superuser):
    token = tokens.token_issue(user=staff)
    theirs = logged_in(staff)
    admin = logged_in(superuser)
    r = admin.post(
        f"/admin/auth/user/{staff.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert r.status_code == 302
    assert me(token).json()["code"] == "auth_token_revoked"
    assert theirs.get("/").status_code == 302
    assert admin.get("/admin/").status_code == 200  # the admin's own session is untouched


# --- revoking from the shell -----------------------------------------------------------------


def test_cli_revoke_user_reports_the_count(staff, make_account, tree):
    a, b = tokens.token_issue(user=staff), tokens.token_issue(user=staff)
    bystander = make_account("pw-other", unit=tree.office_b)
    kept = tokens.token_issue(user=bystander)
    out = run("token", "revoke", "--user", "pw-staff")
    assert "已吊销 pw-staff 的 2 个令牌" in out and "2 token(s) of pw-staff revoked" in out
    assert me(a).json()["code"] == me(b).json()["code"] == "auth_token_revoked"
    assert me(kept).status_code == 200
    again = run("token", "revoke", "--user", "pw-staff")
    assert "0 token(s)" in again
    with pytest.raises(CommandError) as err:
        run("token", "revoke", "--user", "ghost")
    assert err.value.returncode == 2


def test_cli_revoke_token_id(staff):
    a, b = tokens.token_issue(user=staff), tokens.token_issue(user=staff)
    row = ApiToken.objects.get(prefix=a[:10])
    out = run("token", "revoke", "--token-id", str(row.pk))
    assert "1 token revoked" in out and "已吊销 1 个令牌" in out
    assert me(a).json()["code"] == "auth_token_revoked" and me(b).status_code == 200
    with pytest.raises(CommandError) as err:
        run("token", "revoke", "--token-id", str(row.pk))
    assert err.value.returncode == 2
    with pytest.raises(CommandError) as err:
        run("token", "revoke", "--token-id", "99999")
    assert err.value.returncode == 2


# --- revoking in the admin -------------------------------------------------------------------


def test_admin_action_on_accounts_revokes_all_their_tokens(staff, superuser):
    a, b = tokens.token_issue(user=staff), tokens.token_issue(user=staff)
    own = tokens.token_issue(user=superuser)
    admin = logged_in(superuser)
    page = admin.get("/admin/auth/user/")
    assert "撤销该用户的全部令牌" in page.content.decode()
    r = admin.post(
        "/admin/auth/user/",
        {"action": "revoke_all_tokens", "_selected_action": [staff.pk]},
        follow=True,
    )
    assert r.status_code == 200
    assert me(a).json()["code"] == me(b).json()["code"] == "auth_token_revoked"
    assert me(own).status_code == 200
    assert Event.objects.filter(verb="token_revoke", note="admin").count() == 2


def test_admin_action_on_tokens(staff, superuser):
    a, b = tokens.token_issue(user=staff), tokens.token_issue(user=staff)
    row = ApiToken.objects.get(prefix=a[:10])
    admin = logged_in(superuser)
    admin.post(
        "/admin/core/apitoken/",
        {"action": "revoke_selected", "_selected_action": [row.pk]},
    )
    assert me(a).json()["code"] == "auth_token_revoked" and me(b).status_code == 200
    admin.post(
        "/admin/core/apitoken/",
        {"action": "revoke_all_of_user", "_selected_action": [row.pk]},
    )
    assert me(b).json()["code"] == "auth_token_revoked"


def test_admin_action_needs_permission(staff, make_account, tree):
    token = tokens.token_issue(user=staff)
    clerk = make_account("pw-clerk", roles=("admin",), unit=tree.office_a)  # staff, no perms
    r = logged_in(clerk).post(
        "/admin/auth/user/", {"action": "revoke_all_tokens", "_selected_action": [staff.pk]}
    )
    assert r.status_code == 403
    assert me(token).status_code == 200


# --- lifetimes -------------------------------------------------------------------------------


def test_a_longer_life_than_the_ceiling_is_refused(staff):
    ceiling = settings.CITYLOOP.token_ttl_days
    for days in (ceiling + 1, 0):  # 0 would mean "never expires"
        with pytest.raises(InvalidInput) as err:
            tokens.token_issue(user=staff, ttl_days=days)
        assert err.value.code == "token_ttl_too_long"
        assert err.value.detail == {"max_days": ceiling}
    assert not ApiToken.objects.exists()
    tokens.token_issue(user=staff, ttl_days=ceiling)
    row = ApiToken.objects.get()
    assert (row.expires_at - row.created_at).days == ceiling


def test_no_ceiling_allows_never(staff, monkeypatch):
    monkeypatch.setattr(settings.CITYLOOP, "token_ttl_days", 0)
    tokens.token_issue(user=staff, ttl_days=0)
    tokens.token_issue(user=staff, ttl_days=1000)
    assert sorted(ApiToken.objects.values_list("expires_at", flat=True), key=bool)[0] is None


def test_cli_days_is_capped(staff):
    token = run("token", "issue", "pw-staff", "--days", "3").strip()
    row = ApiToken.objects.get(prefix=token[:10])
    assert (row.expires_at - row.created_at).days == 3
    with pytest.raises(CommandError) as err:
        run("token", "create", "pw-staff", "--days", str(settings.CITYLOOP.token_ttl_days + 1))
    assert err.value.returncode == 2 and "token_ttl_too_long" in str(err.value)
    assert ApiToken.objects.count() == 1


def test_api_ttl_days(staff):
    c = Client()
    ok = c.post(
        "/api/v1/auth/token",
        {"username": "pw-staff", "password": PASSWORD, "ttl_days": 2},
        content_type="application/json",
    )
    assert ok.status_code == 200
    row = ApiToken.objects.get()
    assert (row.expires_at - row.created_at).days == 2
    bad = c.post(
        "/api/v1/auth/token",
        {"username": "pw-staff", "password": PASSWORD, "ttl_days": 9999},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "token_ttl_too_long")
    assert ApiToken.objects.count() == 1


def test_expired_short_token_is_401(staff):
    issued_at = datetime(2025, 3, 3, 9, 0)
    with clock.frozen(issued_at):
        token = tokens.token_issue(user=staff, ttl_days=1)
        assert me(token).status_code == 200
    with clock.frozen(issued_at + timedelta(days=1, seconds=1)):
        r = me(token)
    assert (r.status_code, r.json()["code"]) == (401, "auth_token_expired")


@pytest.fixture
def superuser(make_account):
    return make_account("pw-root", roles=("admin",), superuser=True)
