"""Context every page gets: the shell's navigation and warnings."""

from __future__ import annotations

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict:
    from cityloop.core import worktime

    return {"calendar_warnings": worktime.calendar_warnings()}
