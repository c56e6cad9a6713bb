"""API test helpers: a Django test client speaking to the real /api/v1/ URLs."""

from __future__ import annotations

import pytest
from django.test import Client

from cityloop.core import geo, tokens

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_geo_index():
    # Test transactions roll back without signals; a cached index would outlive its rows.
    geo.invalidate()
    yield
    geo.invalidate()


class ApiClient:
    """GETs and POSTs against /api/v1 with an optional bearer token."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.client.get(API + path, params, headers=self._headers())

    def post(self, path: str, json: dict | None = None):
        return self.client.post(
            API + path, json or {}, content_type="application/json", headers=self._headers()
        )


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient()


@pytest.fixture
def client_as():
    def make(user) -> ApiClient:
        return ApiClient(tokens.token_issue(user=user, label="test"))

    return make


@pytest.fixture
def superuser(make_account):
    return make_account("root", roles=("admin",), superuser=True)
