"""Business-time maths on the work calendar. (Being written: see issue 2.)"""

from __future__ import annotations


def calendar_warnings() -> list[str]:
    return []


def parse_work_hours(spec: str):
    return spec
