from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Schema


class ErrorOut(Schema):
    code: str
    message: str
    detail: dict[str, Any] = {}


# Paging: every list's ``offset`` is this one parameter. Unbounded, an offset beyond bigint made
# PostgreSQL refuse the query (a 500) and SQLite's driver overflow; bounded, it is a coded 422.
MAX_OFFSET = 10**9
Offset = Query(0, ge=0, le=MAX_OFFSET, description="rows to skip / 跳过条数")


def Limit(default: int, maximum: int):
    """A list's page size: 1 to ``maximum`` rows."""
    return Query(default, ge=1, le=maximum, description="page size / 每页条数")


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


class EventOut(Schema):
    """An event row as the API gives it (:func:`cityloop.core.events.event_out`); each loop's
    event schema extends it under its own name."""

    id: int
    at: datetime
    actor: str
    verb: str
    from_state: str
    to_state: str
    note: str
    data: dict[str, Any]
