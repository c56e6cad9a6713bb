"""Real clients against the server: the ``georeport`` package over HTTP (a live server), and
schemathesis generating requests from the Open311 Swagger description and from cityloop's
own OpenAPI. Runs are bounded (few examples per operation, derandomized) so they stay well
under a minute."""

from __future__ import annotations

import copy
import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from georeport import GeoReport
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from cityloop.cases.models import Category
from cityloop.open311 import services
from tests.open311.conftest import IN_COMPOUND, schema_dir

EXAMPLES = 8
# Generated bodies per write operation of /api/v1: 2 in every run (bounded, derandomized);
# before a release run more, e.g. CITYLOOP_SCHEMATHESIS_WRITE_EXAMPLES=25 (docs/security.md).
WRITE_EXAMPLES = int(os.environ.get("CITYLOOP_SCHEMATHESIS_WRITE_EXAMPLES", "2"))


@pytest.mark.usefixtures("seeded_calendar")
def test_georeport_client_lists_and_gets(live_server, tree, make_account):
    resident = make_account("app-bot", roles=("resident",))
    _client, key = services.key_create(actor=None, name="georeport", account=resident)
    category = Category.objects.get(code="B0102")  # a seeded leaf: 井盖破损
    root = live_server.url + "/open311/v2"
    for fmt in ("json", "xml"):
        api = GeoReport(root, api_key=key, output_format=fmt)
        listed = {s["service_code"]: s for s in api.get_service_list()}
        assert listed["B0102"]["service_name"] == "井盖破损"
        definition = api.get_service_definition("B0102")
        assert definition["service_code"] == "B0102"
    # georeport only reads; a request is made with a plain form POST, as apps do.
    import requests

    made = requests.post(
        root + "/requests.json",
        data={
            "api_key": key,
            "service_code": category.code,
            "lat": IN_COMPOUND[1],
            "long": IN_COMPOUND[0],
            "description": "人行道井盖破损，有人绊倒",
        },
        timeout=10,
    )
    assert made.status_code == 200, made.text
    code = made.json()[0]["service_request_id"]
    # The public feed lists it once a desk has accepted it.
    from cityloop.cases import workflow
    from cityloop.cases.models import Case

    admin = make_account("district-admin", superuser=True)
    workflow.accept(
        actor=admin, case_id=Case.objects.get(code=code).pk, public_summary="人行道井盖破损"
    )
    for fmt in ("json", "xml"):
        api = GeoReport(root, output_format=fmt)
        listed = api.get_service_requests()
        # xmltodict gives a dict for a one-item list.
        listed = listed if isinstance(listed, list) else [listed]
        assert [r["service_request_id"] for r in listed] == [code]
        one = api.get_service_request(code)
        assert one["service_request_id"] == code and one["status"] == "open"
        assert one["description"] == "人行道井盖破损"  # the public summary, not the report
        assert one["service_code"] == "B0102"
        by_id = api.get_service_requests(service_request_id=code)
        by_id = by_id if isinstance(by_id, list) else [by_id]
        assert by_id[0]["service_request_id"] == code


# --- schemathesis ------------------------------------------------------------------------------


@pytest.fixture
def wsgi_app(db):
    """The site as a WSGI app in this thread, inside the test's transaction. Django's test
    client keeps the connection across requests the same way (it does not close it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _open311_swagger() -> dict:
    """The Swagger description, read from ../shared/data, adjusted in memory only:

    - it has no basePath; ours is /open311/v2;
    - its response_format is any string; the spec's formats are json and xml (others get a
      404 error list, tested in test_errors), so generated requests reach the endpoints;
    - Swagger 2.0 cannot say "or null", while the spec's JSON Schemas in the same folder allow
      null for every optional field, so optional properties are marked ``x-nullable``.
    """
    raw = json.loads((schema_dir() / "swagger.json").read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["basePath"] = "/open311/v2"
    raw["parameters"]["response_format"]["enum"] = ["json", "xml"]
    for definition in raw["definitions"].values():
        required = set(definition.get("required", []))
        for name, prop in definition.get("properties", {}).items():
            if name not in required:
                prop["x-nullable"] = True
    return raw


def _run(
    schema,
    app,
    *,
    query: dict | None = None,
    headers: dict | None = None,
    examples: int = EXAMPLES,
) -> list[int]:
    """Generate and send EXAMPLES requests per operation; returns the status codes seen.

    Checks: no server error, a declared content type, and every 200 answer matches the
    schema. Not checked: that each status code is declared, because the Swagger description
    lists only 200 for most operations while the GeoReport spec itself answers bad input
    with 400/403/404."""
    schema.app = app
    seen: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            if query:
                case.query = {**(case.query or {}), **query}
            if headers:
                case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            case.validate_response(
                response,
                checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
            )
            seen.append(response.status_code)

        check()
    return seen


def test_schemathesis_against_the_open311_swagger(wsgi_app, cast, category, key, at_monday):
    schema = schemathesis.openapi.from_dict(_open311_swagger())
    # With a valid key, so that generated POSTs reach the intake rather than stop at the key.
    seen = _run(schema, wsgi_app, query={"api_key": key})
    assert len(seen) >= 6 * 2  # every operation really ran
    assert 200 in seen and set(seen) <= {200, 400, 403, 404}


def test_schemathesis_against_cityloop_openapi(wsgi_app, cast, new_case):
    """The reads of /api/v1 as a desk account (writes are the case tests' business)."""
    from cityloop.core import tokens

    token = tokens.token_issue(user=cast.desk, label="schemathesis")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    schema = schema.include(method="GET")
    seen = _run(schema, wsgi_app, headers={"Authorization": f"Bearer {token}"})
    assert 200 in seen and max(seen) < 500


def test_schemathesis_against_the_cityloop_api_writes(
    wsgi_app, cast, new_case, settings, monkeypatch
):
    """Every POST / PUT / PATCH of /api/v1 as a desk account with generated bodies: no server
    error, a declared content type, and every 2xx body as the document says. The per-account
    write limit is off here (it would answer 429 after 300 writes)."""
    from cityloop.core import tokens

    monkeypatch.setattr(settings.CITYLOOP, "writes_per_account_per_minute", 0)
    token = tokens.token_issue(user=cast.desk, label="schemathesis")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    schema = schema.include(method=["POST", "PUT", "PATCH"])
    seen = _run(
        schema, wsgi_app, headers={"Authorization": f"Bearer {token}"}, examples=WRITE_EXAMPLES
    )
    assert len(seen) >= 100 and max(seen) < 500


def test_what_schemathesis_found_in_the_api_stays_fixed(cast):
    """Huge ids and offsets are bad input (422) or simply not found, never a 500."""
    from django.test import Client

    from cityloop.core import tokens

    headers = {"Authorization": f"Bearer {tokens.token_issue(user=cast.desk)}"}
    c = Client()
    r = c.get("/api/v1/people", {"offset": 2**70}, headers=headers)
    assert r.status_code == 422
    r = c.get(f"/api/v1/cases/{2**70}", headers=headers)
    assert r.status_code == 404  # no case has that id: not found, not a server error
