"""The account and token commands, end to end: a token made on the shell works on the API."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from cityloop.core.models import ApiToken, Event
from cityloop.org.models import Person

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_user_create_then_token_works_on_the_api(tree):
    run(
        "user",
        "create",
        "wanghong",
        "--password",
        "s3cret-pass",
        "--unit",
        tree.office_a.code,
        "--role",
        "street_staff",
        "--role",
        "road_chief",
        "--name",
        "王红",
    )
    user = get_user_model().objects.get(username="wanghong")
    assert user.check_password("s3cret-pass")
    assert sorted(user.groups.values_list("name", flat=True)) == ["road_chief", "street_staff"]
    assert Person.objects.get(user=user).name == "王红"
    assert Event.objects.filter(verb="account_create", object_id=str(user.pk)).exists()

    token = run("token", "create", "wanghong", "--label", "script").strip()
    assert token.startswith("cl_") and "\n" not in token  # only the token: scripts capture it
    r = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "王红" and body["unit"]["code"] == tree.office_a.code
    assert ApiToken.objects.get(user=user).label == "script"


def test_token_days_and_revoke(tree, make_account, monkeypatch):
    make_account("li", unit=tree.office_b)
    monkeypatch.setattr(settings.CITYLOOP, "token_ttl_days", 0)  # 0 days only without a ceiling
    forever = run("token", "create", "li", "--days", "0").strip()
    assert ApiToken.objects.get(prefix=forever[:10]).expires_at is None
    week = run("token", "create", "li", "--days", "7").strip()
    row = ApiToken.objects.get(prefix=week[:10])
    assert (row.expires_at - row.created_at).days == 7

    call_command("token", "revoke", week, stdout=io.StringIO(), stderr=io.StringIO())
    r = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {week}"})
    assert r.json()["code"] == "auth_token_revoked"
    with pytest.raises(CommandError) as again:
        call_command("token", "revoke", week, stderr=io.StringIO())
    assert again.value.returncode == 2


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--unit", "NOPE"], "NOPE"),
        (["--place", "999"], "999"),
    ],
)
def test_unknown_codes_exit_2_with_chinese_message(tree, args, fragment):
    with pytest.raises(CommandError) as err:
        run("user", "create", "x1", "--password", "long-enough", *args)
    assert err.value.returncode == 2
    assert fragment in str(err.value) and "编码" in str(err.value)
    assert not get_user_model().objects.filter(username="x1").exists()


def test_bad_input_from_the_service_exits_2(tree):
    with pytest.raises(CommandError) as err:
        run("user", "create", "x2", "--password", "short")
    assert err.value.returncode == 2 and "account_weak_password" in str(err.value)
    with pytest.raises(CommandError) as err:
        run("token", "create", "ghost")
    assert err.value.returncode == 2


def test_set_password_and_superuser_and_list(tree):
    run("user", "create", "admin1", "--password", "first-pass-1", "--superuser")
    run("user", "set-password", "admin1", "--password", "second-pass-2")
    admin = get_user_model().objects.get(username="admin1")
    assert admin.is_superuser and admin.check_password("second-pass-2")
    with pytest.raises(CommandError) as err:
        run("user", "set-password", "nobody", "--password", "second-pass-2")
    assert err.value.returncode == 2

    run(
        "user",
        "create",
        "zhang",
        "--password",
        "zhang-pass-1",
        "--place",
        tree.compound_a.code,
        "--role",
        "compound_head",
        "--name",
        "张三",
    )
    table = run("user", "list")
    assert "admin1" in table and "superuser" in table
    line = next(line for line in table.splitlines() if "zhang" in line)
    assert "张三" in line and "compound_head" in line and "06小区" in line


def test_password_is_required_off_a_terminal(tree, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError) as err:
        run("user", "create", "x3")
    assert err.value.returncode == 2
