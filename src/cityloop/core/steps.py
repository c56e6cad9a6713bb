"""What every page does around a read or a workflow step: not found is a 404 (existence must
not leak), a refused step is a message and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext as _

from cityloop.core.errors import DomainError, NotFound

T = TypeVar("T")


def found(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)``, with the query layer's "not found" as the page's 404."""
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def attempt(request: HttpRequest, fn: Callable[[], Any], done: str = "") -> Any:
    """Run one workflow step and say what happened: its result (``True`` when it returns
    nothing) after the ``done`` message, or ``None`` after the refusal's message."""
    try:
        result = fn()
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return None
    if done:
        messages.success(request, done)
    return result if result is not None else True


def save_edit(
    request: HttpRequest, form, fn: Callable[[], bool], *, saved: str, then: str
) -> HttpResponseRedirect | None:
    """Run an edit step (``fn`` answers whether anything changed) for a valid form: a
    redirect to ``then`` after "saved" or "nothing was changed", or ``None`` with the
    refusal put on the form (next to its field when the form's ``refuse`` knows which)."""
    try:
        edited = fn()
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        refuse = getattr(form, "refuse", None)
        if refuse is not None:
            refuse(exc)
        else:
            form.add_error(None, str(exc.message))
        return None
    if edited:
        messages.success(request, saved)
    else:
        messages.info(request, _("Nothing was changed."))
    return HttpResponseRedirect(then)
