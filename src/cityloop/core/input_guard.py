"""What no API input may carry, checked once on the way in (the API's parser).

PostgreSQL refuses NUL in text (a ``DataError``, so a 500); a lone surrogate cannot be encoded
as UTF-8 on either database; a float near ``1.8e308`` (or an integer beyond bigint) passes the
schemas but overflows a ``DecimalField`` or an integer column. All of them are bad input: the
parser refuses them with a coded 422 before any handler runs, so nothing is written.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from cityloop.core.errors import InvalidInput

# Larger than any quantity, amount or id the API takes (the widest DecimalField holds 14
# digits), smaller than where floats lose whole numbers (2**53 ≈ 9e15).
MAX_FLOAT = 1e15
MAX_INT = 2**63 - 1  # bigint, the widest integer column
MAX_DEPTH = 32  # nesting of JSON arrays / objects


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "nul_character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "lone_surrogate"
    return None


def problem(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` (parsed JSON or a form/query value) is refused, or ``None``."""
    if depth > MAX_DEPTH:
        return "too_deep"
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return "out_of_range" if abs(value) > MAX_INT else None
    if isinstance(value, float):
        return "out_of_range" if not math.isfinite(value) or abs(value) > MAX_FLOAT else None
    if isinstance(value, dict):
        for key, item in value.items():
            reason = problem(key, depth + 1) or problem(item, depth + 1)
            if reason:
                return reason
        return None
    if isinstance(value, list | tuple):
        for item in value:
            reason = problem(item, depth + 1)
            if reason:
                return reason
    return None


def refuse(reason: str) -> InvalidInput:
    return InvalidInput("invalid_input", _("Invalid input"), {"reason": reason})


class GuardedParser(Parser):
    """ninja's JSON parser, refusing NUL, lone surrogates, out-of-range numbers, deep nesting.

    ninja turns any exception from ``parse_body`` into a 400 "Cannot parse request body"; the
    API's ``HttpError`` handler finds our :class:`InvalidInput` as its cause and answers 422.
    """

    def parse_body(self, request):
        try:
            data = json.loads(request.body)
        except RecursionError as exc:
            raise refuse("too_deep") from exc
        reason = problem(data)
        if reason:
            raise refuse(reason)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields, request):
        for key, values in data.lists():
            for value in [key, *values]:
                reason = _bad_text(value) if isinstance(value, str) else None
                if reason:
                    raise refuse(reason)
        return super().parse_querydict(data, list_fields, request)
