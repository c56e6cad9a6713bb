"""Token flow and the 401 codes a client can rely on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cityloop.core import clock, tokens
from cityloop.core.models import ApiToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_issues_a_token_that_works(anon, street_a_user):
    r = anon.post("/auth/token", {"username": "jyl-staff", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["token"].startswith(tokens.PREFIX)
    anon.token = body["token"]
    me = anon.get("/me")
    assert me.status_code == 200
    assert me.json()["username"] == "jyl-staff"


def test_wrong_password_and_unknown_user_get_the_same_answer(anon, street_a_user):
    wrong = anon.post("/auth/token", {"username": "jyl-staff", "password": "nope-nope-1"})
    unknown = anon.post("/auth/token", {"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "auth_bad_credentials"
    assert wrong.json()["message"] == unknown.json()["message"]
    assert not ApiToken.objects.exists()


def test_login_body_must_have_both_fields(anon):
    r = anon.post("/auth/token", {"username": "x"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input"


def test_no_credentials_is_auth_required(anon, tree):
    r = anon.get("/places")
    assert r.status_code == 401
    assert r.json() == {
        "code": "auth_required",
        "message": r.json()["message"],
        "detail": {},
    }


def test_garbage_token_is_invalid(anon, tree):
    anon.token = "cl_not-a-real-token"
    r = anon.get("/me")
    assert (r.status_code, r.json()["code"]) == (401, "auth_invalid_token")


def test_expired_token(street_a_user, client_as):
    issued_at = datetime(2025, 3, 3, 9, 0)
    with clock.frozen(issued_at):
        c = client_as(street_a_user)  # default ttl from settings
        assert c.get("/me").status_code == 200
    later = issued_at + timedelta(days=91)
    with clock.frozen(later):
        r = c.get("/me")
    assert (r.status_code, r.json()["code"]) == (401, "auth_token_expired")


def test_revoked_token(street_a_user, client_as):
    c = client_as(street_a_user)
    assert c.post("/auth/token/revoke").status_code == 204
    r = c.get("/me")
    assert (r.status_code, r.json()["code"]) == (401, "auth_token_revoked")
    assert ApiToken.objects.get().revoked_at is not None


def test_me_shows_roles_unit_and_scope(street_a_user, client_as, tree):
    body = client_as(street_a_user).get("/me").json()
    assert body["roles"] == ["street_staff"]
    assert body["unit"]["code"] == tree.office_a.code
    assert body["scope"]["everything"] is False
    assert body["scope"]["place_paths"] == [tree.street_a.path]


def test_session_login_also_works(street_a_user, tree):
    from django.test import Client

    c = Client()
    c.force_login(street_a_user)
    r = c.get("/api/v1/places", {"kind": "street"})
    assert r.status_code == 200
    assert [p["code"] for p in r.json()["items"]] == [tree.street_a.code]
