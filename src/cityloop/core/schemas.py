from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    detail: dict[str, Any] = {}


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


class ScopeOut(Schema):
    everything: bool
    place_paths: list[str]
    unit_paths: list[str]
    zone_ids: list[int]


class MeOut(Schema):
    id: int
    username: str
    name: str
    is_superuser: bool
    roles: list[str]
    unit: dict[str, Any] | None
    place: dict[str, Any] | None
    scope: ScopeOut
