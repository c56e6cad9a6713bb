"""Keys (CLI, hashed, revocable, rate-limited) and client updates (the FixMyStreet
``POST servicerequestupdates``): a note through the case loop, never a state change."""

from __future__ import annotations

import hashlib
import uuid
from io import StringIO

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from cityloop.cases.models import Case, CaseEvent
from cityloop.core.models import Event
from cityloop.open311 import services
from cityloop.open311.models import ApiClient, ClientUpdate
from tests.conftest import in_ci
from tests.open311.conftest import IN_COMPOUND, errors_of, json_body, xml_items

pytestmark = pytest.mark.django_db


def _report(key: str, category) -> Case:
    r = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": category.code,
            "lat": IN_COMPOUND[1],
            "long": IN_COMPOUND[0],
            "description": "井盖松动",
        },
    )
    assert r.status_code == 200, r.content.decode()
    return Case.objects.get(code=json_body(r)[0]["service_request_id"])


# --- keys --------------------------------------------------------------------------------------


def test_cli_create_list_revoke(cast):
    out, err = StringIO(), StringIO()
    call_command("open311", "key", "create", "市民App", "--account", "resident", stdout=out)
    key = out.getvalue().strip()
    client = ApiClient.objects.get(name="市民App")
    # Only the digest is kept; the key itself is nowhere in the table.
    assert client.key_digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiClient.objects.values().get())
    assert (client.account, client.source) == (cast.resident, "resident")
    assert Event.objects.filter(verb="open311_key_create", object_id=str(client.pk)).exists()

    out = StringIO()
    call_command("open311", "key", "list", stdout=out)
    assert out.getvalue().startswith("市民App\t" + client.key_prefix)
    assert key not in out.getvalue()

    call_command("open311", "key", "revoke", "市民App", stderr=err)
    client.refresh_from_db()
    assert client.revoked_at is not None
    r = Client().get("/open311/v2/services.json", {"api_key": key})
    assert r.status_code == 403


def test_cli_makes_an_account_of_its_own(db):
    out = StringIO()
    call_command("open311", "key", "create", "便民 小程序", stdout=out, stderr=StringIO())
    client = ApiClient.objects.select_related("account").get(name="便民 小程序")
    assert client.account.get_username() == "open311-便民-小程序"
    assert out.getvalue().strip().startswith("o311_")


def test_cli_refuses_a_channel_the_account_may_not_use(cast):
    with pytest.raises(CommandError) as e:
        call_command(
            "open311", "key", "create", "热线", "--account", "resident", "--source", "hotline"
        )
    assert "client_source_not_allowed" in str(e.value)
    assert not ApiClient.objects.exists()


def test_a_hotline_key_reports_through_the_hotline(cast, category, at_monday):
    _client, key = services.key_create(
        actor=None, name="12345", account=cast.desk, source="hotline"
    )
    case = _report(key, category)
    assert (case.source, case.reporter) == ("hotline", cast.desk)


@pytest.fixture(params=["locmem", "redis"])
def rate_cache(request, settings):
    """The limit counted in local memory, and in Redis as CI's scaled-out run has it."""
    if request.param == "redis":
        import redis

        url = "redis://127.0.0.1:6379/14"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.exceptions.ConnectionError:
            if in_ci():
                pytest.fail("Redis on 127.0.0.1:6379 is not reachable in CI")
            pytest.skip("Redis not running (outside CI)")
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": f"t{uuid.uuid4().hex}"}}
    yield caches["default"]
    caches["default"].clear() if request.param == "locmem" else None


def test_rate_limit_per_key(rate_cache, cast, category, settings, monkeypatch):
    _client, key = services.key_create(
        actor=None, name="慢客户端", account=cast.resident, rate_per_minute=3
    )
    _other, other_key = services.key_create(actor=None, name="另一个", account=cast.steward)
    c = Client()
    answers = [c.get("/open311/v2/services.json", {"api_key": key}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    r = c.get("/open311/v2/services.xml", {"api_key": key})
    assert r.status_code == 429 and errors_of(r)[0]["cityloop_code"] == "rate_limited"
    # Another key has its own count.
    assert c.get("/open311/v2/services.json", {"api_key": other_key}).status_code == 200
    # Without a key, the address is counted against the configured default.
    monkeypatch.setattr(settings.CITYLOOP, "open311_rate_per_minute", 2)
    anon = [c.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert anon == [200, 200, 429]


# --- client updates ----------------------------------------------------------------------------


def test_client_update_is_a_note_and_changes_no_state(key, client_key, cast, category, at_monday):
    case = _report(key, category)
    before = case.status
    r = Client().post(
        "/open311/v2/servicerequestupdates.xml",
        {
            "api_key": key,
            "service_request_id": case.code,
            "update_id": "fms-77",
            "status": "CLOSED",
            "description": "已经有人清理了",
            "first_name": "女士",
            "last_name": "李",
            "updated_datetime": "2026-11-23T10:00:00+08:00",
        },
    )
    assert r.status_code == 200, r.content.decode()
    (answer,) = xml_items(r, "service_request_updates", "request_update")
    event = CaseEvent.objects.get(case=case, verb="comment")
    assert answer == {"update_id": str(event.pk)}
    assert (event.note, event.actor, event.public) == ("已经有人清理了", cast.resident, False)
    saved = ClientUpdate.objects.get(client=client_key[0], update_id="fms-77")
    assert saved.data["status"] == "CLOSED" and saved.event == event
    case.refresh_from_db()
    assert case.status == before  # the desk decides, not the client
    # A retry of the same update_id is the same answer, not a second note.
    again = Client().post(
        "/open311/v2/servicerequestupdates.json",
        {
            "api_key": key,
            "service_request_id": case.code,
            "update_id": "fms-77",
            "description": "已经有人清理了",
        },
    )
    assert json_body(again) == [{"update_id": str(event.pk)}]
    assert CaseEvent.objects.filter(case=case, verb="comment").count() == 1
    # The client's own note is not echoed back in the public feed.
    feed = json_body(Client().get("/open311/v2/servicerequestupdates.json"))
    assert all(u["update_id"] != str(event.pk) for u in feed)


def test_client_cannot_update_a_request_it_does_not_see(cast, category, at_monday, key):
    _other, other_key = services.key_create(actor=None, name="别的App", account=cast.outsider)
    case = _report(key, category)
    r = Client().post(
        "/open311/v2/servicerequestupdates.json",
        {
            "api_key": other_key,
            "service_request_id": case.code,
            "update_id": "1",
            "description": "试图留言",
        },
    )
    assert r.status_code == 404
    assert errors_of(r)[0]["cityloop_code"] == "request_not_found"
    assert not CaseEvent.objects.filter(verb="comment").exists()
    assert not ClientUpdate.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"api_key": ""}, 403, "api_key_required"),
        ({"update_id": ""}, 400, "field_required"),
        ({"description": ""}, 400, "field_required"),
        ({"description": "长" * 2001}, 400, "field_too_long"),
        ({"updated_datetime": "today-ish"}, 400, "field_bad_datetime"),
        ({"service_request_id": "000000-XXXXX"}, 404, "request_not_found"),
    ],
)
def test_bad_updates_write_nothing(change, status, code, key, category, at_monday):
    case = _report(key, category)
    data = {
        "api_key": key,
        "service_request_id": case.code,
        "update_id": "u1",
        "description": "补充说明",
        **change,
    }
    events = CaseEvent.objects.count()
    r = Client().post("/open311/v2/servicerequestupdates.json", data)
    assert r.status_code == status
    assert errors_of(r)[0]["cityloop_code"] == code
    assert CaseEvent.objects.count() == events and not ClientUpdate.objects.exists()


def test_idempotency_key_gives_the_same_request(key, category, at_monday):
    data = {
        "api_key": key,
        "service_code": category.code,
        "lat": IN_COMPOUND[1],
        "long": IN_COMPOUND[0],
        "description": "重复提交",
    }
    c = Client()
    first = json_body(c.post("/open311/v2/requests.json", data, headers={"Idempotency-Key": "k1"}))
    second = json_body(c.post("/open311/v2/requests.json", data, headers={"Idempotency-Key": "k1"}))
    assert first == second and Case.objects.count() == 1
