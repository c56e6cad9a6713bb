"""Bad input gets the spec's error list with the right HTTP status, in the requested format,
and nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client

from cityloop.cases.models import Case, CaseEvent
from cityloop.open311 import services
from cityloop.open311.models import RequestToken
from tests.open311.conftest import IN_COMPOUND, errors_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def good(key, category) -> dict:
    return {
        "api_key": key,
        "service_code": category.code,
        "lat": IN_COMPOUND[1],
        "long": IN_COMPOUND[0],
        "description": "路灯不亮",
    }


def counts() -> tuple[int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), RequestToken.objects.count()


CASES = [
    # (what, change to the good request, HTTP status, cityloop_code)
    ("bad api_key", {"api_key": "o311_wrong"}, 403, "api_key_invalid"),
    ("no api_key", {"api_key": ""}, 403, "api_key_required"),
    ("unknown service_code", {"service_code": "NOPE"}, 400, "service_code_unknown"),
    ("main category", {"service_code": "B01"}, 400, "service_code_unknown"),
    ("no location", {"lat": "", "long": ""}, 400, "location_required"),
    ("half a location", {"long": ""}, 400, "location_incomplete"),
    ("latitude not a number", {"lat": "north"}, 400, "field_not_a_coordinate"),
    ("outside the area", {"lat": "39.9", "long": "116.4"}, 400, "case_outside_area"),
    ("unknown address_id", {"lat": "", "long": "", "address_id": "X1"}, 400, "address_id_unknown"),
    ("oversized description", {"description": "长" * 2001}, 400, "field_too_long"),
    ("oversized address", {"address_string": "路" * 201}, 400, "field_too_long"),
    ("oversized unknown field", {"whatever": "x" * 201}, 400, "field_too_long"),
    ("control characters", {"description": "a\x00b"}, 400, "field_bad_characters"),
    ("bad email", {"email": "not-an-address"}, 400, "email_invalid"),
    ("bad media_url", {"media_url": "javascript:alert(1)"}, 400, "media_url_invalid"),
    (
        "too many attributes",
        {f"attribute[a{i}]": "x" for i in range(31)},
        400,
        "attribute_too_many",
    ),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("what", "change", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_post_is_refused_and_writes_nothing(good, fmt, what, change, status, code, at_monday):
    before = counts()
    r = Client().post(f"/open311/v2/requests.{fmt}", {**good, **change})
    assert r.status_code == status, r.content.decode()
    (err,) = errors_of(r)
    assert str(err["code"]) == str(status)
    assert err["cityloop_code"] == code
    assert err["description"]  # a sentence for people, in the deployment's language
    assert counts() == before


def test_revoked_key_is_refused(good, client_key, at_monday):
    services.key_revoke(actor=None, name=client_key[0].name)
    r = Client().post("/open311/v2/requests.json", good)
    assert r.status_code == 403 and errors_of(r)[0]["cityloop_code"] == "api_key_invalid"
    assert Case.objects.count() == 0


def test_error_descriptions_are_chinese_by_default(good):
    r = Client().post("/open311/v2/requests.xml", {**good, "api_key": "wrong"})
    assert errors_of(r)[0]["description"] == "api_key 无效。"


BAD_WINDOWS = [
    ({"start_date": "yesterday"}, "field_bad_datetime"),
    ({"end_date": "2026-13-45T99:00:00Z"}, "field_bad_datetime"),
    ({"start_date": "2026-01-01", "end_date": "2025-01-01"}, "dates_reversed"),
    ({"start_date": "2025-01-01", "end_date": "2026-01-01"}, "dates_span_too_long"),
]
BAD_READS = [("requests", *w) for w in BAD_WINDOWS]
BAD_READS += [("servicerequestupdates", *w) for w in BAD_WINDOWS]
BAD_READS += [("requests", {"status": "pending"}, "status_invalid")]


@pytest.mark.parametrize(("path", "params", "code"), BAD_READS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_dates_and_status(path, params, code, fmt, db):
    r = Client().get(f"/open311/v2/{path}.{fmt}", params)
    assert r.status_code == 400
    assert errors_of(r)[0]["cityloop_code"] == code


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_not_found_answers(fmt, db):
    c = Client()
    for url, code in [
        (f"/open311/v2/services/NOPE.{fmt}", "service_code_unknown"),
        (f"/open311/v2/requests/000000-XXXXX.{fmt}", "request_not_found"),
        (f"/open311/v2/tokens/nope.{fmt}", "token_not_found"),
        (f"/open311/v2/elsewhere.{fmt}", "not_found"),
    ]:
        r = c.get(url)
        assert r.status_code == 404, url
        assert errors_of(r)[0]["cityloop_code"] == code


def test_unknown_format_and_method(db):
    r = Client().get("/open311/v2/services.html")
    assert r.status_code == 404 and errors_of(r)[0]["cityloop_code"] == "format_unknown"
    r = Client().delete("/open311/v2/requests.xml")
    assert r.status_code == 405 and r["Allow"] == "GET, POST"
    assert errors_of(r)[0]["cityloop_code"] == "method_not_allowed"


def test_jurisdiction_is_checked_when_configured(settings, monkeypatch, good, at_monday):
    monkeypatch.setattr(settings.CITYLOOP, "open311_jurisdiction_id", "shangjie.zz")
    c = Client()
    r = c.get("/open311/v2/services.json", {"jurisdiction_id": "other.city"})
    assert r.status_code == 404
    assert errors_of(r)[0]["cityloop_code"] == "jurisdiction_unknown"
    r = c.post("/open311/v2/requests.xml", {**good, "jurisdiction_id": "other.city"})
    assert r.status_code == 404 and Case.objects.count() == 0
    assert c.get("/open311/v2/services.json", {"jurisdiction_id": "shangjie.zz"}).status_code == 200
    r = c.post("/open311/v2/requests.json", {**good, "jurisdiction_id": "shangjie.zz"})
    assert r.status_code == 200 and Case.objects.count() == 1


def test_reads_need_a_key_when_not_public(settings, monkeypatch, key):
    monkeypatch.setattr(settings.CITYLOOP, "open311_public_reads", False)
    c = Client()
    r = c.get("/open311/v2/requests.json")
    assert r.status_code == 403 and errors_of(r)[0]["cityloop_code"] == "api_key_required"
    assert c.get("/open311/v2/requests.json", {"api_key": key}).status_code == 200


def test_post_is_csrf_exempt(good, at_monday):
    c = Client(enforce_csrf_checks=True)
    r = c.post("/open311/v2/requests.json", good)
    assert r.status_code == 200 and Case.objects.count() == 1
