"""Open311 fixtures: the case-loop cast, a client key, the spec's JSON Schemas and helpers to
call the endpoints in both formats."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.test import Client
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.cases.conftest import (  # noqa: F401  (fixtures shared with the case tests)
    IN_COMPOUND,
    SH,
    _fast_hasher,
    at_monday,
    cast,
    category,
    new_case,
)
from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT.parent / "shared" / "data" / "open311_schema"
V2 = "/open311/v2"


@pytest.fixture(autouse=True)
def _generous_rate(settings, monkeypatch):
    """Tests share one address; the limit itself is tested with its own small numbers."""
    monkeypatch.setattr(settings.CITYLOOP, "open311_rate_per_minute", 100_000)
    monkeypatch.setattr(settings.CITYLOOP, "intake_per_address_per_hour", 100_000)
    monkeypatch.setattr(settings.CITYLOOP, "intake_per_phone_per_hour", 100_000)
    monkeypatch.setattr(settings.CITYLOOP, "open311_jurisdiction_id", "")
    monkeypatch.setattr(settings.CITYLOOP, "open311_public_reads", True)


def schema_dir() -> Path:
    if not SCHEMA_DIR.is_dir():
        if in_ci():
            pytest.fail(f"Open311 schemas missing at {SCHEMA_DIR} (they must be there in CI)")
        pytest.skip(f"Open311 schemas not found at {SCHEMA_DIR} (../shared/data is absent)")
    return SCHEMA_DIR


_formats = jsonschema.FormatChecker()


@_formats.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None  # the spec's W3C format carries its offset


@_formats.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


@pytest.fixture(scope="session")
def validate():
    """validate(name, instance): check against ``<name>.json`` of the Open311 schemas."""
    folder = schema_dir()
    resources = {
        p.name: Resource.from_contents(
            json.loads(p.read_text(encoding="utf-8")),
            default_specification=DRAFT7,
        )
        for p in folder.glob("*.json")
        if p.name != "swagger.json"
    }
    registry = Registry().with_resources(resources.items())

    def check(name: str, instance) -> None:
        schema = resources[f"{name}.json"].contents
        validator = jsonschema.Draft7Validator(schema, registry=registry, format_checker=_formats)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)

    return check


@pytest.fixture
def client_key(cast, db):  # noqa: F811 (the imported fixture)
    """A resident-channel client reporting as the resident account, and its key."""
    from cityloop.open311 import services

    client, key = services.key_create(actor=None, name="市民随手拍", account=cast.resident)
    return client, key


@pytest.fixture
def key(client_key) -> str:
    return client_key[1]


class Open311:
    """GET/POST against /open311/v2 in one format, answers decoded."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.http = Client()
        # How an absent value reads: JSON null, an empty XML element.
        self.none = None if fmt == "json" else ""

    def url(self, path: str) -> str:
        return f"{V2}/{path}.{self.fmt}"

    def get(self, path: str, **params):
        return self.http.get(self.url(path), params)

    def post(self, path: str, data: dict, **headers):
        return self.http.post(self.url(path), data, headers=headers)


@pytest.fixture(params=["json", "xml"])
def o311(request) -> Open311:
    return Open311(request.param)


def xml_root(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def xml_items(response, root: str, item: str) -> list[dict[str, str]]:
    """The spec's XML list as dicts of element text (nested elements left as elements)."""
    tree = xml_root(response)
    assert tree.tag == root
    assert all(child.tag == item for child in tree)
    return [{el.tag: (el.text or "") for el in child} for child in tree]


def json_body(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def rows(response, root: str = "service_requests", item: str = "request") -> list[dict]:
    """Either format as a list of dicts; XML values are text, as XML has them."""
    if response["Content-Type"].startswith("text/xml"):
        return xml_items(response, root, item)
    return json_body(response)


def as_text(value) -> str:
    """A JSON value as the XML element text the same field has."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def errors_of(response) -> list[dict]:
    return rows(response, "errors", "error")
