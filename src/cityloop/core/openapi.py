"""Amendments to the OpenAPI document that only exist at run time.

A path's description is fixed when its handler is decorated, but some of what it should say
is declared elsewhere and may grow (the case actions of :mod:`cases.actions`). An app
registers a function here that rewrites its part of the schema each time it is produced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Amendment = Callable[[dict[str, Any]], None]
AMENDMENTS: list[Amendment] = []


def amend(fn: Amendment) -> Amendment:
    """Register ``fn(schema)`` to be applied to every OpenAPI document produced."""
    AMENDMENTS.append(fn)
    return fn


def apply(schema: dict[str, Any]) -> dict[str, Any]:
    for fn in AMENDMENTS:
        fn(schema)
    return schema


def operation(schema: dict[str, Any], path_suffix: str, method: str) -> dict[str, Any] | None:
    """The operation whose path ends with ``path_suffix`` (the API's prefix left out)."""
    for path, item in schema.get("paths", {}).items():
        if path.endswith(path_suffix) and method in item:
            return item[method]
    return None
