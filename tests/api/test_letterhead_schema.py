"""The letterhead API is described in the OpenAPI document: its paths, methods, body, answer
and the stable error codes it may give."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_letterhead_paths_are_in_the_openapi_document(anon):
    schema = anon.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/bulletins/letterheads"]) == {"get"}
    one = paths["/api/v1/bulletins/letterheads/{unit_id}"]
    assert set(one) == {"get", "put"}
    for method in ("get", "put"):
        assert {"200", "401", "404", "422"} <= set(one[method]["responses"])
        assert "letterhead_unit_not_found" in one[method]["description"]
    assert "letterhead_too_long" in one["put"]["description"]
    body = one["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][body.rsplit("/", 1)[-1]]["properties"]
    assert set(fields) == {"header", "abbreviation", "send_to", "copy_to", "signature"}
    out = schema["components"]["schemas"]["LetterheadOut"]["properties"]
    assert {"unit_id", "printed", "template_name"} <= set(out)
