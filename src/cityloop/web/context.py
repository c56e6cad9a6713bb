"""Context every page gets: the shell's navigation, the signed-in person, and warnings."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cityloop.core.roles import has_any


def shell(request: HttpRequest) -> dict:
    from cityloop.core import worktime

    return {
        # Staff act on deadlines; a resident on a public page has nothing to do about it.
        "calendar_warnings": worktime.calendar_warnings() if _signed_in(request) else [],
        "shell_person": _person(request),
        "shell_section": _section(request),
        "shell_other_language": _other_language(request),
        "shell_unread": _unread(request),
        "shell_triage": _may_triage(request),
        "shell_register": _may_read_register(request),
    }


def _may_read_register(request: HttpRequest) -> bool:
    """The 发文登记 link, for those who issue or supervise documents (no query: roles cached)."""
    if not _signed_in(request):
        return False
    from cityloop.bulletins import rules

    return rules.may_read_register(request.user)


def _may_triage(request: HttpRequest) -> bool:
    """The triage page is for the staff who decide categories; others would get a 403."""
    if not _signed_in(request):
        return False
    from cityloop.cases import rules

    return has_any(request.user, rules.STAFF_SOURCES_ROLES)


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _unread(request: HttpRequest) -> int:
    """Unread notifications, for the badge on the inbox link (one COUNT, signed in only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from cityloop.core.queries import unread_count

    return unread_count(user)


def _person(request: HttpRequest):
    """The person an account stands for, shown in the top bar: the one the scope read for
    this request (with its unit and place), not a second read of the same row."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from cityloop.core.scope import person_for

    return person_for(user)


def _section(request: HttpRequest) -> str:
    """Which left-nav entry is current, from the URL name space/name of the request."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.namespace == "org":
        return "org"
    return match.url_name or ""


def _other_language(request: HttpRequest) -> tuple[str, str]:
    """The language the switch offers: the one of the two that is not active."""
    current = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    for code, name in settings.LANGUAGES:
        if code != current:
            return code, name
    return settings.LANGUAGES[0]
