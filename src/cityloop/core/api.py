"""Authentication, the current account and its inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from cityloop.core import queries, services, tokens
from cityloop.core.schemas import ErrorOut, Limit, MeOut, Offset, TokenIn, TokenOut

router = Router(tags=["auth"])


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 422: ErrorOut})
def create_token(request: HttpRequest, payload: TokenIn):
    """Exchange a username and password for a bearer token. ``ttl_days`` asks for a shorter
    life than the configured one (never a longer one). 用账号密码换取令牌。"""
    token = tokens.token_for_credentials(
        request=request,
        username=payload.username,
        password=payload.password,
        ttl_days=payload.ttl_days,
    )
    return {"token": token}


@router.post("/auth/token/revoke", response={204: None, 401: ErrorOut})
def revoke_token(request: HttpRequest):
    """Revoke the bearer token this request was made with."""
    header = request.headers.get("Authorization", "")
    tokens.token_revoke(actor=request.auth, token=header.partition(" ")[2].strip())
    return Status(204, None)


@router.get("/me", response={200: MeOut, 401: ErrorOut})
def me(request: HttpRequest):
    """The account behind this request: roles, unit, place and scope."""
    return queries.account_summary(request.auth)


# --- inbox ----------------------------------------------------------------------------------
# Schemas here rather than in core/schemas.py only because that file had another owner when
# this was written; they may move there.


INBOX_ERRORS = {401: ErrorOut, 422: ErrorOut}


class InboxItemOut(Schema):
    id: int
    verb: str
    title: str
    body: str
    link: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class InboxPage(Schema):
    items: list[InboxItemOut]
    count: int  # all matching rows, not just this page
    limit: int
    offset: int
    unread_count: int  # the caller's unread rows, whatever the filter


class InboxReadIn(Schema):
    ids: list[int] | None = Field(None, max_length=1000)


class InboxReadOut(Schema):
    marked: int


@router.get("/inbox", tags=["inbox"], response={200: InboxPage, **INBOX_ERRORS})
def inbox(
    request: HttpRequest,
    unread: bool = False,
    limit: int = Limit(50, 500),
    offset: int = Offset,
):
    """The caller's own notifications, newest first; ``unread=true`` for unread only.
    我的消息（站内通知），最新的在前。"""
    user = request.auth
    qs = queries.inbox_for(user, unread_only=unread)
    items = list(qs[offset : offset + limit])
    short = len(items) < limit and (items or offset == 0)
    return {
        "items": items,
        "count": offset + len(items) if short else qs.count(),
        "limit": limit,
        "offset": offset,
        "unread_count": queries.unread_count(user),
    }


@router.post("/inbox/read", tags=["inbox"], response={200: InboxReadOut, **INBOX_ERRORS})
def inbox_read(request: HttpRequest, payload: InboxReadIn):
    """Mark notifications read: ``{"ids": [1, 2]}`` for some, ``{}`` for all of the caller's.
    Other people's ids are ignored. 标记已读。"""
    return {"marked": services.inbox_mark_read(user=request.auth, ids=payload.ids)}
