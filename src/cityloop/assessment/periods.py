"""Period keys and their dates: ``2020-06`` (month), ``2020-06-H1`` / ``2020-06-H2``
(half-months: 1st–15th, 16th–end), ``2020-Q2`` (quarter), ``2020`` (year)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from django.utils.translation import gettext as _

from cityloop.core.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_HALF = re.compile(r"^(\d{4})-(\d{2})-H([12])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def _bad(key: str, kind: str) -> InvalidInput:
    examples = {
        "month": "2020-06",
        "half_month": "2020-06-H1",
        "quarter": "2020-Q2",
        "year": "2020",
    }
    return InvalidInput(
        "assessment_period_invalid",
        _("“%(key)s” is not a period of this scheme; write it like %(example)s.")
        % {"key": key, "example": examples.get(kind, "2020-06")},
        {"key": key, "kind": kind},
    )


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def bounds(kind: str, key: str) -> tuple[date, date]:
    """First and last day (both included) of the period ``key`` of ``kind``."""
    key = (key or "").strip().upper()
    try:
        if kind == "month" and (m := _MONTH.match(key)):
            y, mo = int(m[1]), int(m[2])
            return date(y, mo, 1), _month_end(y, mo)
        if kind == "half_month" and (m := _HALF.match(key)):
            y, mo, h = int(m[1]), int(m[2]), int(m[3])
            return (
                (date(y, mo, 1), date(y, mo, 15))
                if h == 1
                else (
                    date(y, mo, 16),
                    _month_end(y, mo),
                )
            )
        if kind == "quarter" and (m := _QUARTER.match(key)):
            y, qn = int(m[1]), int(m[2])
            return date(y, 3 * qn - 2, 1), _month_end(y, 3 * qn)
        if kind == "year" and (m := _YEAR.match(key)):
            return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    except ValueError:
        pass
    raise _bad(key, kind)


def normalise(kind: str, key: str) -> str:
    bounds(kind, key)
    return (key or "").strip().upper()


def key_for(kind: str, day: date) -> str:
    """The key of the period of ``kind`` that contains ``day``."""
    if kind == "month":
        return f"{day:%Y-%m}"
    if kind == "half_month":
        return f"{day:%Y-%m}-H{1 if day.day <= 15 else 2}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def previous(kind: str, key: str) -> str:
    start, _end = bounds(kind, key)
    return key_for(kind, start - timedelta(days=1))


def label(kind: str, key: str) -> str:
    """2020年6月 / 2020年6月上半月 / 2020年第二季度 / 2020年度 — for documents."""
    start, _end = bounds(kind, key)
    if kind == "month":
        return _("%(year)s, month %(month)s") % {"year": start.year, "month": start.month}
    if kind == "half_month":
        half = _("first half") if start.day == 1 else _("second half")
        return _("%(year)s, month %(month)s, %(half)s") % {
            "year": start.year,
            "month": start.month,
            "half": half,
        }
    if kind == "quarter":
        return _("%(year)s, quarter %(q)s") % {"year": start.year, "q": (start.month - 1) // 3 + 1}
    return _("year %(year)s") % {"year": start.year}
