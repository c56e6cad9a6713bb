"""Campaign pages under ``/campaigns/``: the month calendar (sessions held, Fridays due),
totals over any period and place, the form that opens a campaign, and a campaign's page with
its sessions, results and the form to record a session (sign-ins, outputs, resources, photos).

Thin: the form is read, the service records (the same function the API calls), queries
read through the user's scope.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityloop.campaigns import forms, queries, rules, services, workflow
from cityloop.campaigns.labels import VOCABULARY
from cityloop.core import clock, exports
from cityloop.core.downloads import stored_image
from cityloop.core.errors import DomainError, NotFound
from cityloop.core.photos import read_files, store_photos
from cityloop.core.steps import save_edit
from cityloop.org import queries as org_queries

MAX_PHOTOS = 6


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if raw else None
    except ValueError:
        return None


def _place(user, raw: str | None):
    if not raw or not raw.isdigit():
        return None
    try:
        return org_queries.place_get(user, place_id=int(raw))
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = clock.today()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    place = _place(user, request.GET.get("place"))
    start = _date(request.GET.get("start"))
    end = _date(request.GET.get("end"))
    prev = date(year - 1, 12, 1) if month == 1 else date(year, month - 1, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    if exports.wants_xlsx(request):
        return _totals_xlsx(queries.totals(user, start=start, end=end, place=place), place)
    return render(
        request,
        "campaigns/calendar.html",
        {
            "cal": queries.month_calendar(user, year, month, place=place),
            "month": date(year, month, 1),
            "prev": prev,
            "next": nxt,
            "campaigns": queries.campaign_rows(user)[:100],
            "can_create": rules.creates(user),
            "totals": queries.totals(user, start=start, end=end, place=place),
            "start": start,
            "end": end,
            "place": place,
            "places": org_queries.visible_places(user)
            .filter(kind__in=["street", "community", "compound"])
            .order_by("path")[:500],
        },
    )


TOTAL_COLUMNS = (
    exports.Column(_lazy("Item"), 24),
    exports.Column(_lazy("Quantity"), 12),
    exports.Column(_lazy("Unit of measure"), 10),
    exports.Column(_lazy("Kind"), 10),
)


def _totals_xlsx(totals: queries.Totals, place) -> HttpResponse:
    """The totals the calendar page shows (same period and place), one line per figure."""
    lines = [
        [_("Sessions"), totals.sessions, _("times"), _("Activity")],
        [_("Person-times"), totals.person_times, _("person-times"), _("Activity")],
        *([o["name"], o["quantity"], o["unit"], _("Outputs")] for o in totals.outputs),
        *([r["name"], r["quantity"], r["unit"], _("Resources")] for r in totals.resources),
    ]
    where = place.name if place is not None else _("All places")
    name = _("Campaign totals %(where)s") % {"where": where}
    return exports.xlsx_response(name, name, TOTAL_COLUMNS, lines)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """新建活动: the form, then the service the API calls; a refusal is shown on the form."""
    user = request.user
    if not rules.creates(user):
        raise PermissionDenied
    form = forms.CampaignForm(
        request.POST or None,
        organisers=queries.organiser_units(user),
        partners=queries.partner_units(user),
        places=queries.campaign_places(user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.campaign_input(services.new_campaign_code(form.cleaned_data["start"]))
        try:
            campaign = services.create_campaign(actor=user, data=data)
        except DomainError as exc:
            form.refuse(exc)
        else:
            messages.success(
                request, _("Campaign “%(title)s” created.") % {"title": campaign.title}
            )
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    status = 400 if form.errors else 200
    return render(request, "campaigns/new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """修改活动信息: the create form, filled in; the workflow checks what creating checks."""
    user = request.user
    try:
        campaign = queries.campaign_get(user, campaign_id)
    except NotFound:
        raise Http404 from None
    if "edit" not in rules.campaign_actions(user, campaign):
        raise PermissionDenied
    initial = {
        "title": campaign.title,
        "kind": campaign.kind,
        "organiser": campaign.organiser_id,
        "partners": list(campaign.partners.values_list("pk", flat=True)),
        "places": list(campaign.places.values_list("pk", flat=True)),
        "start": campaign.start,
        "recurrence": campaign.recurrence,
        "weekday": campaign.weekday,
        "end": campaign.end,
        "description": campaign.description,
    }
    form = forms.CampaignForm(
        request.POST or None,
        initial=initial,
        organisers=queries.organiser_units(user),
        partners=queries.partner_units(user),
        places=queries.campaign_places(user),
    )
    if request.method == "POST" and form.is_valid():
        done = save_edit(
            request,
            form,
            lambda: workflow.update_campaign(
                actor=user,
                campaign_id=campaign.pk,
                data=form.campaign_input(campaign.code),
                note=request.POST.get("note", ""),
            ),
            saved=_("Campaign particulars saved."),
            then=reverse("campaigns:detail", args=[campaign.pk]),
        )
        if done:
            return done
    status = 400 if form.errors else 200
    return render(
        request, "campaigns/new.html", {"form": form, "campaign": campaign}, status=status
    )


@login_required
@require_GET
def detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = request.user
    try:
        campaign = queries.campaign_get(user, campaign_id)
    except NotFound:
        raise Http404 from None
    sessions = (
        queries.sessions(user, campaign=campaign)
        .select_related("place")
        .prefetch_related("outputs__kind", "resources")
        .order_by("-on", "pk")[:200]
    )
    roots = list(campaign.places.all())
    places = org_queries.visible_places(user).filter(kind__in=["community", "compound", "street"])
    if roots:
        from django.db.models import Q

        q = Q(pk__in=[])
        for r in roots:
            q |= Q(path__startswith=r.path)
        places = places.filter(q)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "sessions": sessions,
            "totals": queries.totals(user, campaign=campaign),
            "can_record": "session" in (actions := rules.campaign_actions(user, campaign)),
            "can_edit": "edit" in actions,
            "kinds": queries.output_kinds(),
            "places": places.order_by("path")[:500],
            "today": clock.today(),
            "timeline": VOCABULARY.timeline(campaign.events.order_by("-at", "-pk")[:30]),
        },
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("，", ",").splitlines() if line.strip()]


@login_required
@require_POST
def record_session(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = request.user
    try:
        campaign = queries.campaign_get(user, campaign_id)
    except NotFound:
        raise Http404 from None
    here = reverse("campaigns:detail", args=[campaign.pk])
    post = request.POST
    place = _place(user, post.get("place"))
    on = _date(post.get("on"))
    if place is None or on is None:
        messages.error(request, _("Give the date and the place."))
        return HttpResponseRedirect(here)
    names = [
        n
        for line in _lines(post.get("participants", ""))
        for n in line.replace("、", ",").split(",")
        if n.strip()
    ]
    outputs = []
    for kind in queries.output_kinds():
        raw = (post.get(f"output_{kind.code}") or "").strip()
        if raw:
            outputs.append(services.OutputInput(kind.code, raw))
    resources = []
    for line in _lines(post.get("resources", "")):
        parts = line.split()
        if len(parts) != 3:
            messages.error(
                request, _("Write each resource as: name unit quantity (垃圾清运车 辆 3).")
            )
            return HttpResponseRedirect(here)
        try:
            Decimal(parts[2])
        except InvalidOperation:
            messages.error(request, _("Not a number: %(value)s") % {"value": parts[2]})
            return HttpResponseRedirect(here)
        resources.append(services.ResourceInput(parts[0], parts[1], parts[2]))
    files = request.FILES.getlist("photos")[:MAX_PHOTOS]
    try:
        stored = store_photos(read_files(files)) if files else []
        services.record_session(
            actor=user,
            campaign_id=campaign.pk,
            on=on,
            place=place,
            note=post.get("note", ""),
            participants=[services.Participant(n.strip()) for n in names],
            outputs=outputs,
            resources=resources,
            photos=[p.file for p in stored],
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Session recorded."))
    return HttpResponseRedirect(here)


@login_required
@require_GET
def session_photo(request: HttpRequest, session_id: int, index: int) -> HttpResponse:
    session = queries.sessions(request.user).filter(pk=session_id).first()
    if session is None or not 0 <= index < len(session.photos):
        raise Http404
    return stored_image(session.photos[index])
