"""Authentication and the current account."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from cityloop.core import queries, tokens
from cityloop.core.schemas import ErrorOut, MeOut, TokenIn, TokenOut

router = Router(tags=["auth"])


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 422: ErrorOut})
def create_token(request: HttpRequest, payload: TokenIn):
    """Exchange a username and password for a bearer token."""
    token = tokens.token_for_credentials(
        request=request, username=payload.username, password=payload.password
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
