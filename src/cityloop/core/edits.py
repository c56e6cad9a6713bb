"""What an edit step does between "the new values are valid" and "one edit event": compare
each field as the history shows it, and write only what changed.

An edit event lists each changed field as ``[old, new]`` in words (names, not ids; dates as
ISO days), so the history reads the same whatever the field's type. Apps say how their own
fields are shown (decimal places, choice labels) and fall back on :func:`shown`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from django.db import models

# A field's value → (what is compared, what the history shows).
Shown = Callable[[str, Any], tuple[Any, str]]


def shown(field: str, value: Any) -> tuple[Any, str]:
    """The default: a record by its name, several records by their names in path (or name)
    order, a date as its ISO day, anything else as its text."""
    if value is None:
        return None, ""
    if isinstance(value, models.Model):
        return value.pk, str(getattr(value, "name", value))
    if isinstance(value, list | tuple | set | models.QuerySet):
        items = list(value)
        if items and all(isinstance(v, models.Model) for v in items):
            items.sort(key=lambda v: (getattr(v, "path", ""), str(getattr(v, "name", v))))
            return tuple(v.pk for v in items), "、".join(str(getattr(v, "name", v)) for v in items)
        texts = sorted(str(v) for v in items)
        return tuple(texts), "、".join(texts)
    if isinstance(value, date):
        return value, value.isoformat()
    return value, str(value)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], show: Shown = shown
) -> dict[str, list[str]]:
    """``{field: [old text, new text]}`` for each field of ``before`` whose compared value
    differs in ``after``."""
    changed: dict[str, list[str]] = {}
    for f, old in before.items():
        (old_key, old_text), (new_key, new_text) = show(f, old), show(f, after[f])
        if old_key != new_key:
            changed[f] = [old_text, new_text]
    return changed


def write(
    obj: models.Model,
    values: Mapping[str, Any],
    changed: Iterable[str],
    *,
    many: Iterable[str] = (),
) -> None:
    """Set and save the changed plain fields (``update_fields``) and set the changed
    many-to-many ones (``many``)."""
    many = set(many)
    changed = list(changed)
    fields = [f for f in changed if f not in many]
    for f in fields:
        setattr(obj, f, values[f])
    if fields:
        obj.save(update_fields=fields)
    for f in changed:
        if f in many:
            getattr(obj, f).set(values[f])
