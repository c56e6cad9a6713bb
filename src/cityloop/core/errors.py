"""The domain error hierarchy. Raised in workflow/services/queries, translated once at the edge.

Every error carries a stable ``code`` (for API clients and tests) and a translatable message
(for people). Views show the message; the API returns ``{"code", "message", "detail"}``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str = "", detail: dict[str, Any] | None = None):
        super().__init__(code)
        self.code = code
        self.message = message or code
        self.detail = detail or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "detail": self.detail}


class InvalidInput(DomainError):
    http_status = 422


class Unauthorized(DomainError):
    http_status = 401


class Forbidden(DomainError):
    http_status = 403


class NotFound(DomainError):
    http_status = 404


class InvalidTransition(DomainError):
    http_status = 409


class Conflict(DomainError):
    http_status = 409


class StorageFull(DomainError):
    """The disk (or the account's quota) under the media root is full: nothing was stored.

    507 Insufficient Storage: the request was fine and may be sent again once there is room.
    """

    http_status = 507


class StorageUnavailable(DomainError):
    """The media storage cannot be written (read-only, gone, an I/O error): nothing was stored."""

    http_status = 503
