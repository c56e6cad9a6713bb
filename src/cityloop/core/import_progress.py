"""How far an import sent from a page has got, for that page to show while it waits.

The page puts a fresh token in the upload form; the request running the import reports its
stages (``check``, ``write``: rows done of rows) under that token in the shared cache (Redis,
or the file cache every worker of the machine shares), and the page asks for a small fragment
(:func:`read`) every second until its own answer arrives. A token is kept per account, so
nobody reads another's progress. Reporting never fails an import: a cache that cannot be
written only leaves the page without figures.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger("cityloop.imports")

TTL = 3600
MIN_INTERVAL = 0.25  # seconds between two writes of the same import's progress
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STAGES = ("upload", "check", "write", "done", "refused")


def new_token() -> str:
    return secrets.token_urlsafe(12)


def _key(user, token: str) -> str:
    return f"import-progress:{getattr(user, 'pk', 0)}:{token}"


def valid(token: str | None) -> bool:
    return bool(token) and bool(TOKEN_RE.match(token or ""))


def _put(user, token: str, value: dict[str, Any]) -> None:
    try:
        cache.set(_key(user, token), value, TTL)
    except Exception:  # progress is a courtesy, never an import's failure
        logger.warning("import progress not stored", exc_info=True)


def reporter(user, token: str | None) -> Callable[[str, int, int], None] | None:
    """The ``progress(stage, done, total)`` callback of an import, or ``None`` without a
    valid token. Writes at most four times a second, and always the last tick of a stage."""
    if not valid(token):
        return None
    assert token is not None
    last = {"at": 0.0}

    def tick(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last["at"] < MIN_INTERVAL:
            return
        last["at"] = now
        _put(user, token, {"stage": stage, "done": done, "total": total})

    tick("upload", 1, 1)  # the file has arrived: the page says so until the rows are read
    return tick


def finish(user, token: str | None, *, ok: bool, summary: str) -> None:
    if valid(token):
        assert token is not None
        _put(user, token, {"stage": "done" if ok else "refused", "summary": summary})


def read(user, token: str | None) -> dict[str, Any] | None:
    """What the import under ``token`` last reported (``None``: nothing yet)."""
    if not valid(token):
        return None
    try:
        value = cache.get(_key(user, token or ""))
    except Exception:  # no figures, not an error page
        return None
    if not isinstance(value, dict) or value.get("stage") not in STAGES:
        return None
    done, total = value.get("done") or 0, value.get("total") or 0
    value["percent"] = round(100 * done / total) if total else 0
    return value
