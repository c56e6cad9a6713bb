from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    detail: dict[str, Any] = {}


# The error answers every router declares: the same shape, a stable ``code`` in each.
API_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def ref(obj, name_attr: str = "name") -> dict[str, Any] | None:
    """How an answer names a related object: id, code and name."""
    if obj is None:
        return None
    return {"id": obj.pk, "code": getattr(obj, "code", ""), "name": getattr(obj, name_attr)}


class TokenIn(Schema):
    username: str
    password: str
    # Fewer days than CITYLOOP_TOKEN_TTL_DAYS (the default and the ceiling); more is refused
    # with 422 ``token_ttl_too_long``.
    ttl_days: int | None = None


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
