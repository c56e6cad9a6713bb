"""Schemathesis over the deliberation reads of /api/v1: whatever the ids, filters and pages,
never a server error, and every 200 matches the published schema."""

from __future__ import annotations

import pytest
import schemathesis

from tests.open311.test_clients import _run, wsgi_app  # noqa: F401

pytestmark = pytest.mark.django_db


def test_deliberation_reads_never_fail(wsgi_app, desk, topic_at_vote):  # noqa: F811
    from cityloop.core import tokens

    token = tokens.token_issue(user=desk, label="schemathesis")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    schema = schema.include(method="GET", path_regex=r"^/api/v1/(topics|deliberation)")
    seen = _run(schema, wsgi_app, headers={"Authorization": f"Bearer {token}"})
    assert len(seen) >= 8 * 6  # every read operation really ran
    assert 200 in seen and max(seen) < 500
