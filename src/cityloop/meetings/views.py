"""Meeting pages: the list, scheduling one, and one meeting with its sign-in sheet, minutes,
decisions (each a task with its light) and how the previous meeting's decisions stand.

Thin: forms parse, :mod:`.workflow` changes state, :mod:`.queries` reads through the scope
(outside it: 404). A refused step is its message and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cityloop.core import documents as core_documents
from cityloop.core.downloads import attachment
from cityloop.core.errors import DomainError, InvalidInput
from cityloop.core.steps import attempt, found
from cityloop.meetings import forms, queries, rules, workflow
from cityloop.meetings.labels import VOCABULARY
from cityloop.meetings.models import Meeting
from cityloop.org import queries as org_queries
from cityloop.supervision.models import TaskCategory

PAGE = 50


def _before(request: HttpRequest) -> tuple[datetime, int] | None:
    """The keyset cursor of the next page; a mangled link shows the first page."""
    try:
        return queries.parse_cursor(request.GET.get("before", ""))
    except InvalidInput:
        return None


def _organised_units(user):
    return [u for u in org_queries.visible_units(user).order_by("path") if rules.organises(user, u)]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    kind = request.GET.get("kind", "")
    kind = kind if kind in Meeting.Kind.values else ""
    rows = queries.meeting_rows(user, kind=kind, before=_before(request), limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    last = rows[-1] if more else None
    return render(
        request,
        "meetings/index.html",
        {
            "meetings": rows,
            "kind": kind,
            "kinds": Meeting.Kind.choices,
            "next_cursor": queries.cursor_of(last) if last else "",
            "may_schedule": rules.schedules_meetings(user),
        },
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.schedules_meetings(user):
        raise PermissionDenied
    units = _organised_units(user)
    form = forms.MeetingForm(
        request.POST or None, units=units, people=queries.line_people(user, units)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                meeting = workflow.schedule(actor=user, data=form.meeting_input())
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Meeting scheduled."))
                return HttpResponseRedirect(reverse("meetings:detail", args=[meeting.code]))
    return render(request, "meetings/new.html", {"form": form}, status=status)


def _detail_context(user, meeting: Meeting) -> dict:
    actions = rules.meeting_actions(user, meeting)
    context = {
        "meeting": meeting,
        "actions": actions,
        "attendees": list(meeting.attendees.all()),
        "decisions": queries.decision_rows(user, meeting),
        "carried": queries.carried_over(user, meeting),
        "timeline": VOCABULARY.timeline(meeting.events.order_by("-at", "-pk")[:50]),
    }
    if actions:
        people = queries.meeting_people(user, meeting)
        context["sign_in_form"] = forms.SignInForm(people=people)
        context["minutes_form"] = forms.MinutesForm(initial={"minutes": meeting.minutes})
        context["decision_form"] = forms.DecisionForm(
            units=org_queries.visible_units(user).order_by("path"),
            people=people,
            categories=TaskCategory.objects.order_by("order", "code"),
        )
    return context


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    meeting = found(queries.meeting_get, request.user, code)
    return render(request, "meetings/detail.html", _detail_context(request.user, meeting))


def _back(code: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("meetings:detail", args=[code]))


def _refused(request: HttpRequest, code: str, form) -> HttpResponse:
    """A form that does not parse: the page again with the errors, nothing written."""
    meeting = found(queries.meeting_get, request.user, code)
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, e)
    return render(
        request, "meetings/detail.html", _detail_context(request.user, meeting), status=400
    )


@login_required
@require_POST
def sign_in(request: HttpRequest, code: str) -> HttpResponse:
    meeting = found(queries.meeting_get, request.user, code)
    form = forms.SignInForm(request.POST, people=queries.meeting_people(request.user, meeting))
    if not form.is_valid():
        return _refused(request, code, form)
    d = form.cleaned_data
    attempt(
        request,
        lambda: workflow.sign_in(
            actor=request.user, code=code, person=d["person"], absence=d.get("absence") or ""
        ),
        _("Absence recorded.") if d.get("absence") else _("Signed in."),
    )
    return _back(code)


@login_required
@require_POST
def minutes(request: HttpRequest, code: str) -> HttpResponse:
    found(queries.meeting_get, request.user, code)
    form = forms.MinutesForm(request.POST)
    if not form.is_valid():
        return _refused(request, code, form)
    attempt(
        request,
        lambda: workflow.record_minutes(
            actor=request.user, code=code, minutes=form.cleaned_data["minutes"]
        ),
        _("Minutes recorded."),
    )
    return _back(code)


@login_required
@require_POST
def decide(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    meeting = found(queries.meeting_get, user, code)
    form = forms.DecisionForm(
        request.POST,
        units=org_queries.visible_units(user).order_by("path"),
        people=queries.meeting_people(user, meeting),
        categories=TaskCategory.objects.order_by("order", "code"),
    )
    if not form.is_valid():
        return _refused(request, code, form)
    attempt(
        request,
        lambda: workflow.decide(actor=user, code=code, data=form.decision_input()),
        _("Decision recorded; its task is on the board."),
    )
    return _back(code)


@login_required
@require_POST
def issue(request: HttpRequest, code: str) -> HttpResponse:
    found(queries.meeting_get, request.user, code)
    attempt(request, lambda: workflow.issue(actor=request.user, code=code), _("Minutes issued."))
    return _back(code)


@login_required
@require_GET
def minutes_file(request: HttpRequest, code: str, ext: str) -> HttpResponse:
    """会议纪要 as Word (the master) or PDF, for whoever may read the meeting."""
    from cityloop.meetings import documents

    meeting = found(queries.meeting_get, request.user, code)
    if ext not in ("docx", "pdf"):
        raise Http404
    try:  # the optional 份号, 密级 and 附件 of the download form
        extras = core_documents.marks_from(*core_documents.marks_given(request.GET))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("meetings:detail", code=meeting.code)
    if ext == "docx":
        body, kind = documents.minutes_docx(meeting, **extras), documents.DOCX_TYPE
    else:
        body, kind = documents.minutes_pdf(meeting, **extras), documents.PDF_TYPE
    if meeting.state == meeting.State.ISSUED:
        core_documents.issued("minutes", meeting.pk, ext, body)  # into the 发文登记
    return attachment(body, kind, documents.minutes_filename(meeting, ext))
