"""Roster pages: the units that keep one, a unit's month calendar (who is on duty each day,
red where nobody is), one shift with its swaps and handover, and the .xlsx in and out.

Thin: forms parse, :mod:`.workflow` changes state, :mod:`.queries` reads through the scope
(another street's roster: 404). A refused step is its message and changes nothing.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cityloop.core import clock, exports
from cityloop.core.imports import ImportFileError
from cityloop.core.steps import attempt, found
from cityloop.duty import forms, hazards, imports, queries, rules, workflow
from cityloop.duty.labels import VOCABULARY
from cityloop.org import queries as org_queries


def _people(user):
    return org_queries.visible_people(user).select_related("unit").order_by("name", "pk")


def _month(request: HttpRequest) -> tuple[int, int]:
    """``?month=YYYY-MM``; anything else is this month."""
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        date(year, month, 1)
        return year, month
    except (ValueError, TypeError):
        today = clock.today()
        return today.year, today.month


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = [(u, queries.on_duty_now(u)) for u in queries.roster_units(user)]
    return render(
        request,
        "duty/index.html",
        {"rows": rows, "gaps": queries.gaps_in_scope(user)[:50]},
    )


def _roster_context(user, unit, year: int, month: int) -> dict:
    first, _last = queries.month_bounds(year, month)
    prev_month = date(year - 1, 12, 1) if month == 1 else date(year, month - 1, 1)
    next_month = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    start = queries.local_midnight(first)
    end = queries.local_midnight(next_month)
    manages = rules.manages(user, unit)
    context = {
        "unit": unit,
        "month": first,
        "prev_month": f"{prev_month:%Y-%m}",
        "next_month": f"{next_month:%Y-%m}",
        "weeks": queries.month_calendar(unit, year, month),
        "gaps": queries.month_gaps(unit, year, month),
        "now": queries.on_duty_now(unit),
        "swaps": queries.open_swaps(unit),
        "handovers": queries.handovers(unit, start, end),
        "manages": manages,
    }
    if manages:
        context["shift_form"] = forms.ShiftForm(people=_people(user))
        context["import_form"] = forms.ImportForm()
    return context


@login_required
def roster(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = found(queries.roster_unit, user, code)
    year, month = _month(request)
    if exports.wants_xlsx(request):
        return exports.xlsx_response(
            f"{unit.name}排班表{year}-{month:02d}.xlsx",
            f"{year}-{month:02d}",
            imports.export_columns(),
            queries.export_rows(unit, year, month),
        )
    return render(request, "duty/roster.html", _roster_context(user, unit, year, month))


def _back(code: str, month: str = "") -> HttpResponseRedirect:
    url = reverse("duty:roster", args=[code])
    return HttpResponseRedirect(f"{url}?month={month}" if month else url)


@login_required
@require_POST
def plan(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = found(queries.roster_unit, user, code)
    if not rules.manages(user, unit):
        raise PermissionDenied
    form = forms.ShiftForm(request.POST, people=_people(user))
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return _back(code)
    d = form.cleaned_data
    shift = attempt(
        request,
        lambda: workflow.plan_shift(
            actor=user,
            data=workflow.ShiftInput(
                unit=unit.code,
                kind=d["kind"],
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                on_duty=d.get("on_duty") or "",
                leader=d.get("leader") or "",
                note=d.get("note") or "",
            ),
        ),
        _("Shift planned."),
    )
    month = d["starts_at"].astimezone(clock.local_zone()).strftime("%Y-%m") if shift else ""
    return _back(code, month)


@login_required
@require_POST
def import_file(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = found(queries.roster_unit, user, code)
    if not rules.manages(user, unit):
        raise PermissionDenied
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a roster file."))
        return _back(code)
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        messages.error(request, _("A roster is an .xlsx or .csv file."))
        return _back(code)
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            report = imports.import_roster(user, unit, handle.name)
        except ImportFileError as exc:
            messages.error(request, str(exc.reason))
            return _back(code)
    if report.ok:
        messages.success(
            request,
            _("Roster imported: %(created)d new shifts, %(updated)d changed.")
            % {"created": report.total("created"), "updated": report.total("updated")},
        )
    else:
        for e in report.sorted_errors()[:20]:
            messages.error(request, f"{e.where} {e.column}：{e.reason}")
    return _back(code)


def _shift_context(user, shift) -> dict:
    manages = rules.manages(user, shift.unit)
    people = list(_people(user))
    context = {
        "shift": shift,
        "manages": manages,
        "swaps": list(shift.swaps.select_related("requested_by", "replacement")),
        "handover": getattr(shift, "handover", None),
        "timeline": VOCABULARY.timeline(shift.events.order_by("-at", "-pk")[:50]),
        "may_swap": shift.ends_at > clock.now()
        and any(rules.may_request_swap(user, shift, r) for r in ("on_duty", "leader")),
        "may_hand_over": rules.may_hand_over(user, shift),
    }
    if manages:
        context["assign_form"] = forms.AssignForm(
            people=people,
            initial={
                "on_duty": shift.on_duty.code if shift.on_duty else "",
                "leader": shift.leader.code if shift.leader else "",
            },
        )
    if context["may_swap"]:
        context["swap_form"] = forms.SwapForm(people=people)
    if context["may_hand_over"] and context["handover"] is None:
        context["handover_form"] = forms.HandoverForm()
    return context


@login_required
def shift(request: HttpRequest, shift_id: int) -> HttpResponse:
    s = found(queries.shift_get, request.user, shift_id)
    return render(request, "duty/shift.html", _shift_context(request.user, s))


def _to_shift(shift_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("duty:shift", args=[shift_id]))


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, e)


@login_required
@require_POST
def assign(request: HttpRequest, shift_id: int) -> HttpResponse:
    user = request.user
    found(queries.shift_get, user, shift_id)
    form = forms.AssignForm(request.POST, people=_people(user))
    if form.is_valid():
        d = form.cleaned_data
        attempt(
            request,
            lambda: workflow.assign(
                actor=user,
                shift_id=shift_id,
                on_duty=d.get("on_duty") or "",
                leader=d.get("leader") or "",
            ),
            _("Shift staffed."),
        )
    else:
        _form_errors(request, form)
    return _to_shift(shift_id)


@login_required
@require_POST
def swap(request: HttpRequest, shift_id: int) -> HttpResponse:
    user = request.user
    found(queries.shift_get, user, shift_id)
    form = forms.SwapForm(request.POST, people=_people(user))
    if form.is_valid():
        d = form.cleaned_data
        attempt(
            request,
            lambda: workflow.request_swap(
                actor=user,
                shift_id=shift_id,
                role=d["role"],
                replacement=d["replacement"],
                reason=d["reason"],
            ),
            _("Swap requested: the unit's staff will decide."),
        )
    else:
        _form_errors(request, form)
    return _to_shift(shift_id)


@login_required
@require_POST
def decide(request: HttpRequest, swap_id: int) -> HttpResponse:
    user = request.user
    s = found(queries.swap_get, user, swap_id)
    approve = request.POST.get("decision") == "approve"
    attempt(
        request,
        lambda: workflow.decide_swap(
            actor=user, swap_id=swap_id, approve=approve, note=request.POST.get("note", "")
        ),
        _("Swap approved.") if approve else _("Swap refused."),
    )
    return _to_shift(s.shift_id)


@login_required
@require_POST
def handover(request: HttpRequest, shift_id: int) -> HttpResponse:
    user = request.user
    found(queries.shift_get, user, shift_id)
    form = forms.HandoverForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        attempt(
            request,
            lambda: workflow.hand_over(
                actor=user,
                shift_id=shift_id,
                summary=d["summary"],
                open_matters=d.get("open_matters") or "",
            ),
            _("Handover recorded."),
        )
    else:
        _form_errors(request, form)
    return _to_shift(shift_id)


# --- hazard points and the flood season's three checks (汛前 / 汛中 / 汛后) -------------------


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


@login_required
def flood(request: HttpRequest) -> HttpResponse:
    """Flood-season plans in scope, the hazard points, and (staff) a form to plan a year."""
    user = request.user
    if request.method == "POST":
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            messages.error(request, _("Give a year between 2000 and 2100."))
            return HttpResponseRedirect(reverse("duty:flood"))
        plan = attempt(
            request,
            lambda: workflow.plan_flood_season(
                actor=user, place=request.POST.get("place", ""), year=year
            ),
            _("Flood-season plan saved; its checks are scheduled."),
        )
        if plan:
            return HttpResponseRedirect(reverse("duty:flood_plan", args=[plan.pk]))
        return HttpResponseRedirect(reverse("duty:flood"))
    places = [p for p in queries.flood_places(user) if rules.plans_flood(user, p)]
    plans = list(queries.visible_flood_plans(user).order_by("-year", "place__path")[:50])
    return render(
        request,
        "duty/flood.html",
        {
            "plans": plans,
            "points": list(queries.hazard_points(user)[:200]),
            "places": places,
            "year": clock.today().year,
        },
    )


@login_required
def flood_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A plan's checks, each done / due / overdue (red: its window closed undone)."""
    user = request.user
    plan = found(queries.flood_plan_get, user, plan_id)
    if request.method == "POST":
        made = attempt(request, lambda: workflow.schedule_checks(actor=user, plan_id=plan.pk))
        if made is not None:
            messages.success(
                request,
                _("%(n)d checks scheduled.") % {"n": 0 if made is True else made},
            )
        return HttpResponseRedirect(reverse("duty:flood_plan", args=[plan.pk]))
    rows = queries.plan_checks(user, plan)
    return render(
        request,
        "duty/flood_plan.html",
        {
            "plan": plan,
            "rows": rows,
            "counts": queries.plan_counts(rows),
            "plans": rules.plans_flood(user, plan.place),
        },
    )


@login_required
@require_POST
def flood_check(request: HttpRequest, check_id: int) -> HttpResponse:
    user = request.user
    check = found(queries.flood_check_get, user, check_id)
    attempt(
        request,
        lambda: workflow.record_check(
            actor=user,
            check_id=check_id,
            summary=request.POST.get("summary", ""),
            problem=request.POST.get("problem", ""),
            due=_date(request.POST.get("due", "")),
        ),
        _("Check recorded."),
    )
    return HttpResponseRedirect(reverse("duty:flood_plan", args=[check.plan_id]))


@login_required
def hazard(request: HttpRequest, code: str) -> HttpResponse:
    """A hazard point: its season, responsible unit and who is on duty there, its checks, and
    the 报警 button."""
    user = request.user
    zone = found(queries.hazard_point, user, code)
    unit = hazards.responsible_unit(zone)
    months = hazards.season(zone)
    today = clock.today()
    checks = [
        queries.CheckRow(c, queries.check_state(c, today))
        for c in queries.visible_flood_checks(user)
        .filter(zone=zone)
        .select_related("plan", "unit", "inspection")
        .order_by("-plan__year", "due")[:30]
    ]
    return render(
        request,
        "duty/hazard.html",
        {
            "zone": zone,
            "unit": unit,
            "now": queries.on_duty_now(unit) if unit is not None else None,
            "season": months,
            "in_season": hazards.in_season(zone, clock.now()),
            "checks": checks,
        },
    )


@login_required
@require_POST
def hazard_alarm(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    found(queries.hazard_point, user, code)
    case = attempt(
        request,
        lambda: workflow.raise_alarm(
            actor=user, code=code, description=request.POST.get("description", "")
        ),
    )
    if case:
        if case.status == "dispatched":
            messages.success(
                request,
                _("Alarm raised: case %(code)s went to %(unit)s; the person on duty is told.")
                % {"code": case.code, "unit": case.responsible_unit.name},
            )
        else:
            messages.success(
                request,
                _("Alarm raised: case %(code)s waits at the desk for dispatch.")
                % {"code": case.code},
            )
    return HttpResponseRedirect(reverse("duty:hazard", args=[code]))
