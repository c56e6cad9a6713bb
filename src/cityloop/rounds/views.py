"""Round pages: the list with the street's figures, opening a round, one round with its
demands (recorded, sorted and handled there), its figures per list, and its .xlsx.

Thin: forms parse, :mod:`.workflow` changes state, :mod:`.queries` reads through the scope
(outside it: 404). A refused step is its message and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cityloop.core.errors import DomainError
from cityloop.core.exports import Column, xlsx_response
from cityloop.core.steps import attempt, found
from cityloop.org import queries as org_queries
from cityloop.org.models import Unit
from cityloop.projects import queries as project_queries
from cityloop.rounds import forms, queries, rules, workflow
from cityloop.rounds.labels import VOCABULARY
from cityloop.rounds.models import Round
from cityloop.supervision.models import TaskCategory


def _run_units(user):
    return [u for u in org_queries.visible_units(user).order_by("path") if rules.runs(user, u)]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    weeks = queries.figures_by_week(user)
    return render(
        request,
        "rounds/index.html",
        {
            "rounds": queries.round_rows(user),
            "weeks": weeks,
            "lists": queries.figures_by_list(user),
            "may_open": rules.opens_rounds(user),
        },
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.opens_rounds(user):
        raise PermissionDenied
    people = org_queries.visible_people(user).order_by("name", "pk")
    form = forms.RoundForm(request.POST or None, units=_run_units(user), people=people)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                rnd = workflow.open_round(
                    actor=user,
                    data=workflow.RoundInput(
                        unit=d["unit"],
                        week=d["week"],
                        researchers=list(d.get("researchers") or []),
                        places=forms._lines(d.get("places") or ""),
                    ),
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Round opened."))
                return HttpResponseRedirect(reverse("rounds:detail", args=[rnd.code]))
    return render(request, "rounds/new.html", {"form": form}, status=status)


def _handle_form(user, rnd: Round, data=None) -> forms.HandleForm:
    return forms.HandleForm(
        data,
        numbers=list(rnd.demands.order_by("number").values_list("number", flat=True)),
        lists=queries.lists_of(rnd.unit_id),
        projects=project_queries.visible_projects(user).order_by("code")[:200],
        # 向上反馈 goes to the district's bureaus, which are outside the street's own tree.
        units=Unit.objects.filter(kind=Unit.Kind.BUREAU).order_by("path"),
        categories=TaskCategory.objects.order_by("order", "code"),
        rounds=queries.merge_rounds(rnd),
    )


def _context(user, rnd: Round) -> dict:
    runs = rules.runs(user, rnd)
    lists = queries.figures_by_list(user, round_code=rnd.code)
    context = {
        "round": rnd,
        "runs": runs,
        "demands": queries.demands_of(rnd),
        "lists": lists,
        "total": queries.total(lists),
        "timeline": VOCABULARY.timeline(rnd.events.order_by("-at", "-pk")[:50]),
    }
    if runs:
        context["demand_form"] = forms.DemandForm(lists=queries.lists_of(rnd.unit_id))
        context["handle_form"] = _handle_form(user, rnd)
    return context


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    rnd = found(queries.round_get, request.user, code)
    return render(request, "rounds/detail.html", _context(request.user, rnd))


def _back(code: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("rounds:detail", args=[code]))


def _refused(request: HttpRequest, rnd: Round, form) -> HttpResponse:
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, e)
    return render(request, "rounds/detail.html", _context(request.user, rnd), status=400)


@login_required
@require_POST
def add_demand(request: HttpRequest, code: str) -> HttpResponse:
    rnd = found(queries.round_get, request.user, code)
    form = forms.DemandForm(request.POST, lists=queries.lists_of(rnd.unit_id))
    if not form.is_valid():
        return _refused(request, rnd, form)
    d = form.cleaned_data
    attempt(
        request,
        lambda: workflow.record_demand(
            actor=request.user,
            code=code,
            data=workflow.DemandInput(
                text=d["text"],
                place=d.get("place") or "",
                raised_by=d.get("raised_by") or "",
                photos=form.photo_ids(),
                list_id=d.get("list_id"),
            ),
        ),
        _("Demand recorded."),
    )
    return _back(code)


@login_required
@require_POST
def handle(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    rnd = found(queries.round_get, user, code)
    form = _handle_form(user, rnd, request.POST)
    if not form.is_valid():
        return _refused(request, rnd, form)
    d = form.cleaned_data
    number = d["number"]
    action = request.POST.get("action", "")
    steps = {
        "sort": (
            lambda: workflow.sort(actor=user, code=code, number=number, list_id=d.get("list_id")),
            _("Demand sorted."),
        ),
        "merge": (
            lambda: workflow.merge(
                actor=user,
                code=code,
                number=number,
                into=d.get("into") or 0,
                into_round=d.get("into_round") or "",
            ),
            _("Demand merged."),
        ),
        "link": (
            lambda: workflow.link_projects(
                actor=user, code=code, number=number, projects=list(d.get("projects") or [])
            ),
            _("Demand linked to projects."),
        ),
        "solve": (
            lambda: workflow.solve(actor=user, code=code, number=number, note=d.get("note") or ""),
            _("Solved on the spot."),
        ),
        "escalate": (
            lambda: workflow.escalate(
                actor=user,
                code=code,
                number=number,
                data=workflow.EscalationInput(
                    unit=d.get("unit") or "",
                    deadline=d.get("deadline"),
                    category=d.get("category") or "",
                    note=d.get("note") or "",
                ),
            ),
            _("Demand escalated; its task is on the board."),
        ),
    }
    if action not in steps:
        messages.error(request, _("Unknown action."))
        return _back(code)
    fn, done = steps[action]
    attempt(request, fn, done)
    return _back(code)


@login_required
@require_GET
def export(request: HttpRequest, code: str) -> HttpResponse:
    """The round's demands as .xlsx, for whoever may read the round."""
    rnd = found(queries.round_get, request.user, code)
    columns = [
        Column(_("No."), 6),
        Column(_("Demand"), 40),
        Column(_("Place"), 20),
        Column(_("Raised by"), 12),
        Column(_("Improvement list"), 14),
        Column(_("State"), 12),
        Column(_("Handling"), 40),
    ]

    def handling(d) -> str:
        if d.merged_into_id and d.merged_into.round_id != d.round_id:
            return _("Merged into no. %(n)s of %(week)s") % {
                "n": d.merged_into.number,
                "week": d.merged_into.round.week,
            }
        if d.merged_into_id:
            return _("Merged into no. %(n)s") % {"n": d.merged_into.number}
        if d.task_id:
            return f"{d.task.code} {d.task.responsible_unit.name} {d.task.deadline:%Y-%m-%d}"
        projects = "、".join(p.name for p in d.projects.all())
        return projects or d.note

    rows = (
        (
            d.number,
            d.text,
            d.place,
            d.raised_by,
            d.list.name if d.list_id else "",
            d.get_state_display(),
            handling(d),
        )
        for d in queries.demands_of(rnd)
    )
    title = f"{rnd.unit.name}{rnd.week}"
    return xlsx_response(_("Demands %(t)s") % {"t": title}, title, columns, rows)


def project_demands_panel(user, project) -> list[dict]:
    """For the project page: the residents' demands from the rounds it carries out (seed 002
    "梳理为多个细分项目"), each linked to its round."""
    return [
        {
            "week": d.round.week,
            "number": d.number,
            "text": d.text,
            "list": d.list.name if d.list_id else "",
            "url": reverse("rounds:detail", args=[d.round.code]),
        }
        for d in queries.demands_of_project(user, project)
    ]
