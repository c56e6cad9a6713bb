"""Case pages: the resident's report and tracking pages (no account), and the staff workbench,
case map, intake form and case detail with its action buttons.

Views stay thin: forms parse, :mod:`cityloop.cases.workflow` changes state, and
:mod:`cityloop.cases.queries` reads through the user's scope (a case outside it is not found,
404). Every :class:`~cityloop.core.errors.DomainError` is shown as its message, never a 500.
htmx requests get the named fragment of the same template (``page.html#partial``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityloop.cases import (
    actions,
    deadlines,
    forms,
    public,
    queries,
    routing,
    rules,
    services,
    workflow,
)
from cityloop.cases.models import Case, CasePhoto, ReplyTemplate, Stage
from cityloop.core import clock, exports, net, ratelimit
from cityloop.core.downloads import stored_image
from cityloop.core.errors import DomainError, InvalidInput, NotFound
from cityloop.core.photos import read_files, store_photos
from cityloop.core.steps import found
from cityloop.org import queries as org_queries
from cityloop.org.models import Place

PAGE_SIZE = 50
# Place kinds drawn on the public report map (buildings would only clutter a phone screen).
AREA_KINDS = [Place.Kind.DISTRICT, Place.Kind.STREET, Place.Kind.COMMUNITY, Place.Kind.COMPOUND]
MAP_LIMIT = 5000

# Timeline entries, by event verb.
VERB_LABELS = {
    "report": gettext_lazy("Reported"),
    "accept": gettext_lazy("Accepted"),
    "reject": gettext_lazy("Not accepted"),
    "merge": gettext_lazy("Merged as duplicate"),
    "duplicate_added": gettext_lazy("A duplicate report was merged in"),
    "dispatch": gettext_lazy("Dispatched"),
    "take": gettext_lazy("Taken on"),
    "send_back": gettext_lazy("Sent back"),
    "reply": gettext_lazy("Replied"),
    "verify": gettext_lazy("Verified"),
    "return_visit": gettext_lazy("Return visit"),
    "reopen": gettext_lazy("Reopened"),
    "escalate": gettext_lazy("Escalated"),
    "request": gettext_lazy("Request"),
    "decide": gettext_lazy("Decision on the request"),
    "suspend": gettext_lazy("Suspended"),
    "resume": gettext_lazy("Resumed"),
    "extend": gettext_lazy("Deadline extended"),
    "cancel": gettext_lazy("Cancelled"),
    "comment": gettext_lazy("Note"),
    "light_yellow": gettext_lazy("Near its limit"),
    "light_red": gettext_lazy("Overdue"),
}
# Actions whose text area a reply template can fill, and the templates they use.
TEMPLATE_ACTIONS = {
    "reply": ReplyTemplate.UsedFor.REPLY,
    "return_visit": ReplyTemplate.UsedFor.RETURN_VISIT,
}
LIGHT_COLOURS = {"red": "#c62828", "yellow": "#f9a825", "green": "#2e7d32", "": "#78909c"}
# Which form field a workflow error belongs to (the rest go above the form).
ERROR_FIELDS = {
    "case_description_required": "description",
    "text_too_long": "description",
    "case_location_invalid": "lng",
    "case_location_required": "lng",
    "case_outside_area": "lng",
    "case_category_not_leaf": "category",
    "case_needs_category": "category",
    "case_source_invalid": "source",
    "case_source_not_allowed": "source",
    "case_satisfaction_invalid": "satisfaction",
    "case_unit_out_of_reach": "unit",
    "case_unit_required": "unit",
    "case_extension_days": "days",
    "reason_required": "reason",
    "case_result_required": "result",
}


# --- helpers -----------------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(
    request: HttpRequest, template: str, context: dict, *, partial: str = "", status: int = 200
) -> HttpResponse:
    """Render the page, or only ``partial`` when htmx asked for it (not on history restore)."""
    if partial and _is_htmx(request):
        template = f"{template}#{partial}"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _add_error(form, exc: DomainError, default_field: str | None = None) -> None:
    """Put a workflow error next to the field it is about (or above the form)."""
    field = ERROR_FIELDS.get(exc.code, default_field)
    form.add_error(field if field in form.fields else None, str(exc.message))


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _location_config(request: HttpRequest) -> dict[str, Any]:
    cfg = settings.CITYLOOP
    return {
        "areaUrl": reverse("case-report-area"),
        # Staff open the map on their own area; residents on the whole district.
        "home": org_queries.home_bounds(request.user),
        "tileUrl": cfg.map_tile_url,
        "tileAttribution": cfg.map_tile_attribution,
        "labels": {
            "picked": _("Pin set at %(lng)s, %(lat)s"),
            "none": _("Tap the map where the problem is."),
            "locating": _("Finding your location…"),
            "located": _("Your location is set."),
            "denied": _("Your location is not available; tap the map instead."),
        },
    }


def photo_url(photo: CasePhoto, code: str = "") -> str:
    url = reverse("case-photo", args=[photo.pk])
    return f"{url}?c={code}" if code else url


# --- public: report ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The resident's mobile page: no account needed."""
    form = forms.ReportForm(request.POST or None, request.FILES or None)
    anonymous = not request.user.is_authenticated
    try:
        # Every anonymous submission counts against its address before any photo is read;
        # the phone once the form says which (ratelimit.check_intake, shared with Open311).
        if request.method == "POST" and anonymous:
            ratelimit.check_intake(address=net.client_address(request))
        valid = request.method == "POST" and form.is_valid()
        if valid and anonymous:
            ratelimit.check_intake(phone=form.cleaned_data.get("reporter_phone", ""))
    except ratelimit.RateLimited as exc:
        form.is_valid()  # so the page can show the fields as they were sent
        form.add_error(None, str(exc.message))
        context = {
            "form": form,
            "location_config": _location_config(request),
            "photos_lost": bool(request.FILES),
            "photo_limit": settings.CITYLOOP.upload_max_photos,
            "error_code": exc.code,
        }
        return render(request, "cases/report.html", context, status=429)
    if valid:
        case = _report(request, form, source=Case.Source.RESIDENT)
        if case is not None:
            messages.success(
                request,
                _(
                    "Thank you. Your case code is %(code)s; keep it to follow the case and to "
                    "rate the result."
                )
                % {"code": case.code},
            )
            return redirect("case-track-code", code=case.code)
    context = {
        "form": form,
        "location_config": _location_config(request),
        "photos_lost": bool(request.FILES) and bool(form.errors),
        "photo_limit": settings.CITYLOOP.upload_max_photos,
    }
    return render(request, "cases/report.html", context, status=400 if form.errors else 200)


def _report(request: HttpRequest, form: forms.ReportForm, *, source: str) -> Case | None:
    """Store the photos, then report; on a refusal put the error on the form, return None."""
    try:
        photos = store_photos(read_files(form.cleaned_data.get("photos") or []))
    except DomainError as exc:
        form.add_error("photos", str(exc.message))
        return None
    user = request.user if request.user.is_authenticated else None
    kwargs = {"source": source, **form.report_kwargs()}
    try:
        return workflow.report(actor=user, photos=photos, **kwargs)
    except DomainError as exc:
        _add_error(form, exc)
        return None


@require_GET
def report_duplicates(request: HttpRequest) -> HttpResponse:
    """htmx: open cases near the pin that may be the same problem (public fields only)."""
    _choices, categories = forms.category_choices("")
    category = categories.get(_int(request.GET.get("category")) or 0)
    lng, lat = _float(request.GET.get("lng")), _float(request.GET.get("lat"))
    text = (request.GET.get("description") or "")[:2000]
    found = []
    if lng is not None and lat is not None and text.strip():
        found = queries.possible_duplicates(category=category, lng=lng, lat=lat, text=text)
    context = {"duplicates": found, "staff": request.GET.get("staff") == "1"}
    return render(request, "cases/_duplicates.html", context)


@require_GET
def report_area(request: HttpRequest) -> JsonResponse:
    """Outlines of the district, streets, communities and compounds for the report map: public
    names and shapes only, so no scope applies (the resident has no account)."""
    features = org_queries.public_outlines(AREA_KINDS)
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features},
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=600"
    return response


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


# --- public: tracking --------------------------------------------------------------------------


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = forms.TrackForm(request.GET or None)
    error = ""
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"].strip().upper()
        try:
            case = queries.case_by_code(code)
        except NotFound as exc:
            error = str(exc.message)
        else:
            return redirect("case-track-code", code=case.code)
    return render(
        request, "cases/track.html", {"form": form, "error": error}, status=404 if error else 200
    )


@require_http_methods(["GET", "POST"])
def track_case(request: HttpRequest, code: str) -> HttpResponse:
    try:
        case = queries.case_by_code(code)
    except NotFound as exc:
        context = {"form": forms.TrackForm(initial={"code": code}), "error": str(exc.message)}
        return render(request, "cases/track.html", context, status=404)
    can_rate = (
        case.status == Case.Status.CLOSED and case.visited_at is None and bool(case.reporter_phone)
    )
    rating = forms.RatingForm(request.POST or None) if can_rate else None
    if request.method == "POST" and rating is not None and rating.is_valid():
        try:
            workflow.return_visit(
                actor=None,
                code=case.code,
                satisfaction=rating.cleaned_data["satisfaction"],
                note=rating.cleaned_data.get("note", ""),
                reporter_phone=rating.cleaned_data["reporter_phone"],
            )
        except DomainError as exc:
            _add_error(rating, exc, default_field="reporter_phone")
        else:
            messages.success(request, _("Thank you for rating the result."))
            return redirect("case-track-code", code=case.code)
    # Everything shown comes from the public projection, the one Open311 serialises.
    pc = public.public_case(case)
    context = {
        "pc": pc,
        "events": [_event_row(e, code=pc.code) for e in pc.steps],
        "before": [(p, photo_url(p, pc.code)) for p in pc.photos if p.step == "report"],
        "after": [(p, photo_url(p, pc.code)) for p in pc.photos if p.step == "after"],
        "rating": rating,
        "can_rate": can_rate,
        "visited": case.visited_at is not None,
    }
    status = 400 if rating is not None and rating.errors else 200
    return render(request, "cases/track_case.html", context, status=status)


@dataclass
class EventRow:
    event: Any
    label: str
    detail: str
    photos: list[tuple[CasePhoto, str]]
    change: str = ""
    public_note: bool = False
    actor: str = ""


def _event_row(e, *, code: str = "") -> EventRow:
    """A timeline line: the verb in words and what the event's data adds."""
    data = e.data or {}
    detail = ""
    if e.verb == "dispatch" and data.get("unit"):
        detail = _("To %(unit)s") % {"unit": data["unit"]}
    elif e.verb == "verify":
        detail = _("Passed") if data.get("passed") else _("Not passed: back to the unit")
    elif e.verb == "return_visit" and data.get("satisfaction") in Case.Satisfaction.values:
        detail = str(Case.Satisfaction(data["satisfaction"]).label)
    elif e.verb == "escalate" and data.get("unit"):
        detail = _("To %(unit)s") % {"unit": data["unit"]}
    elif e.verb == "merge" and data.get("master"):
        detail = _("Into %(code)s") % {"code": data["master"]}
    elif e.verb == "duplicate_added" and data.get("duplicate"):
        detail = data["duplicate"]
    elif e.verb == "request" and data.get("kind"):
        detail = _("Extend by %(days)s working days") % {"days": data.get("days")}
        if data["kind"] == "suspend":
            detail = _("Suspend")
    elif e.verb == "decide":
        detail = _("Approved") if data.get("approve") else _("Refused")
    elif e.verb.startswith("light_") and data.get("stage") in Stage.values:
        detail = str(Stage(data["stage"]).label)
    elif e.verb == "extend" and data.get("days"):
        detail = _("By %(days)s working days") % {"days": data["days"]}
    label = VERB_LABELS.get(e.verb, e.verb)
    statuses = dict(Case.Status.choices)
    change = ""
    if e.from_state != e.to_state and e.from_state in statuses and e.to_state in statuses:
        change = f"{statuses[e.from_state]} → {statuses[e.to_state]}"
    return EventRow(
        e,
        str(label),
        detail,
        [(p, photo_url(p, code)) for p in e.photos.all()],
        change=change,
        public_note=e.verb in queries.PUBLIC_NOTE_VERBS,
        actor=_actor_label(e),
    )


def _actor_label(e) -> str:
    """Who did it; a report without an account shows its channel, not "system"."""
    source = (e.data or {}).get("source")
    if e.verb == "report" and e.actor_id is None and source in Case.Source.values:
        return str(Case.Source(source).label)
    return e.actor_label


@require_GET
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A case photo, for whoever sees the case; a photo of a public step also for the tracking
    page, which names the case code (``?c=``) so photos cannot be walked by number."""
    p = found(queries.photo_for, request.user, photo_id, code=request.GET.get("c") or "")
    return stored_image(p.file)


# --- staff: workbench --------------------------------------------------------------------------


@dataclass
class BulkResult:
    code: str
    ok: bool
    message: str


def _workbench_rows(request: HttpRequest) -> tuple[str, forms.FilterForm, Any]:
    """The workbench's tab, filter form and rows: one reading for the page and its export."""
    user = request.user
    tab = "all" if request.GET.get("tab") == "all" else "mine"
    filters = forms.FilterForm(request.GET or None, user=user)
    f = filters.case_filter() if filters.is_bound else queries.CaseFilter()
    qs = queries.my_queue(user, f) if tab == "mine" else queries.case_rows(user, f)
    return tab, filters, qs


def _workbench_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    tab, filters, qs = _workbench_rows(request)
    # Keyset pages (``after=`` the last row's cursor): a page costs the same at any depth and
    # the count is capped, so the workbench never counts a street's whole history.
    after = request.GET.get("after") or ""
    try:
        page = queries.page_of(qs, limit=PAGE_SIZE, after=after)
    except InvalidInput:
        after, page = "", queries.page_of(qs, limit=PAGE_SIZE)
    now = clock.now()
    rows = list(page.items)
    for c in rows:
        c.overdue = deadlines.is_overdue(c, now)
        c.can_dispatch = c.status == Case.Status.ACCEPTED and workflow.may(user, c, "dispatch")
    return {
        "tab": tab,
        "filters": filters,
        "page": page,
        "rows": rows,
        "any_dispatch": any(c.can_dispatch for c in rows),
        "bulk": extra.pop("bulk", None) or forms.BulkDispatchForm(user=user),
        "counts": queries.light_counts(user),
        "keeps_templates": rules.reply_template_root(user) is not None,
        "count_label": f"{page.count}+" if page.count_is_estimate else str(page.count),
        "after": after,
        "query": _query_without(request, "page", "after"),
        "tab_query": _query_without(request, "page", "tab", "after"),
        "light_colours": LIGHT_COLOURS,
        **extra,
    }


CASE_COLUMNS = (
    exports.Column(gettext_lazy("Case code"), 16),
    exports.Column(gettext_lazy("Case title"), 40),
    exports.Column(gettext_lazy("Category"), 18),
    exports.Column(gettext_lazy("Place"), 20),
    exports.Column(gettext_lazy("Status"), 10),
    exports.Column(gettext_lazy("Light"), 8),
    exports.Column(gettext_lazy("Responsible unit"), 20),
    exports.Column(gettext_lazy("Due"), 17),
    exports.Column(gettext_lazy("overdue"), 8),
    exports.Column(gettext_lazy("reported at"), 17),
    exports.Column(gettext_lazy("source"), 12),
)


def _case_line(c: Case, now) -> list[Any]:
    return [
        c.code,
        c.title,
        c.category.name if c.category_id else None,
        c.place.name if c.place_id else None,
        c.get_status_display(),
        c.get_light_display(),
        c.responsible_unit.name if c.responsible_unit_id else None,
        c.due_at,
        deadlines.is_overdue(c, now),
        c.reported_at,
        c.get_source_display(),
    ]


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    if exports.wants_xlsx(request):
        tab, _filters, qs = _workbench_rows(request)
        now = clock.now()
        name = _("My cases") if tab == "mine" else _("All cases")
        rows = (_case_line(c, now) for c in qs.iterator(chunk_size=2000))
        return exports.xlsx_response(f"{name}-{clock.today():%Y%m%d}", name, CASE_COLUMNS, rows)
    return _render(request, "cases/workbench.html", _workbench_context(request), partial="table")


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch each ticked case to one unit; some may fail, each says why."""
    user = request.user
    form = forms.BulkDispatchForm(request.POST, user=user)
    ids = form.case_ids()
    results: list[BulkResult] = []
    if not ids:
        form.add_error(None, _("Tick the cases to dispatch first."))
    if form.is_valid() and ids:
        unit = form.cleaned_data["unit"]
        codes = dict(queries.visible_cases(user).filter(pk__in=ids).values_list("pk", "code"))
        for case_id in ids:
            try:
                case = workflow.dispatch(actor=user, case_id=case_id, unit=unit)
            except DomainError as exc:
                results.append(
                    BulkResult(codes.get(case_id, f"#{case_id}"), False, str(exc.message))
                )
            else:
                results.append(BulkResult(case.code, True, ""))
        form = forms.BulkDispatchForm(user=user)
    context = _workbench_context(request, bulk=form, results=results)
    context["results_ok"] = sum(1 for r in results if r.ok)
    context["results_failed"] = sum(1 for r in results if not r.ok)
    return _render(request, "cases/workbench.html", context, partial="table")


# --- staff: map --------------------------------------------------------------------------------


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    cfg = settings.CITYLOOP
    config = {
        "dataUrl": reverse("cases:map_data"),
        "featuresUrl": reverse("api:api-root") + "map/features",
        "tileUrl": cfg.map_tile_url,
        "tileAttribution": cfg.map_tile_attribution,
        "colours": LIGHT_COLOURS,
        "labels": {
            "details": _("Open the case"),
            "loaded": _("%(n)s open cases on the map."),
            "empty": _("No open case with a location in your area."),
            "failed": _("The cases could not be loaded."),
        },
    }
    counts = queries.light_counts(request.user)
    unlit = counts["open"] - counts["red"] - counts["yellow"] - counts["green"]
    legend = [
        ("red", Case.Light.RED.label, LIGHT_COLOURS["red"], counts["red"]),
        ("yellow", Case.Light.YELLOW.label, LIGHT_COLOURS["yellow"], counts["yellow"]),
        ("green", Case.Light.GREEN.label, LIGHT_COLOURS["green"], counts["green"]),
        ("", Case.Light.NONE.label, LIGHT_COLOURS[""], unlit),
    ]
    context = {"map_config": config, "legend": legend}
    return render(request, "cases/map.html", context)


@login_required
@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    """Open cases in the user's scope as a GeoJSON FeatureCollection (WGS-84)."""
    light = request.GET.get("light", "")
    f = queries.CaseFilter(open_only=True, light=light if light in LIGHT_COLOURS else "")
    qs = queries.case_rows(request.user, f).filter(lng__isnull=False, lat__isnull=False)
    rows = list(qs[: MAP_LIMIT + 1])
    features = [
        {
            "type": "Feature",
            "id": c.pk,
            "geometry": {"type": "Point", "coordinates": [c.lng, c.lat]},
            "properties": {
                "id": c.pk,
                "code": c.code,
                "title": c.title,
                "status": c.status,
                "status_label": str(Case.Status(c.status).label),
                "light": c.light,
                "category": c.category.name if c.category_id else "",
                "url": reverse("cases:detail", args=[c.pk]),
            },
        }
        for c in rows[:MAP_LIMIT]
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_LIMIT},
        json_dumps_params={"ensure_ascii": False},
    )


# --- staff: intake -----------------------------------------------------------------------------


def _sources_for(user) -> list[tuple[str, str]]:
    """The staff channels this account may report through (the workflow's rule)."""
    allowed = set(workflow.sources_for(user))
    mine = [(s.value, s.label) for s in forms.STAFF_SOURCES if s in allowed]
    # None at all: show every channel and let the workflow say why one is refused.
    return mine or [(s.value, s.label) for s in forms.STAFF_SOURCES]


@login_required
@require_http_methods(["GET", "POST"])
def new_case(request: HttpRequest) -> HttpResponse:
    sources = _sources_for(request.user)
    form = forms.StaffReportForm(request.POST or None, request.FILES or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        case = _report(request, form, source=form.cleaned_data["source"])
        if case is not None:
            messages.success(request, _("Case %(code)s has been registered.") % {"code": case.code})
            if form.cleaned_data.get("accept") and case.status == Case.Status.REPORTED:
                messages.warning(
                    request,
                    _("It was not accepted: you are not the desk for this place and level."),
                )
            return redirect("cases:detail", case_id=case.pk)
    context = {
        "form": form,
        "location_config": _location_config(request),
        "photos_lost": bool(request.FILES) and bool(form.errors),
        "photo_limit": settings.CITYLOOP.upload_max_photos,
    }
    return render(request, "cases/new.html", context, status=400 if form.errors else 200)


# --- staff: detail and actions -----------------------------------------------------------------


def _detail_context(
    request: HttpRequest,
    case: Case,
    *,
    open_action: str = "",
    form: forms.ActionForm | None = None,
    message: str = "",
    level: str = "",
    error_code: str = "",
) -> dict[str, Any]:
    user = request.user
    allowed = workflow.allowed_actions(user, case)
    # The same rule as the API: a reporter without staff standing on the case sees what the
    # tracking page shows.
    events = list(queries.timeline_for(user, case))
    photos = [p for e in events for p in e.photos.all()]
    now = clock.now()
    duplicates = []
    if case.status == Case.Status.REPORTED and ("merge" in allowed or "accept" in allowed):
        duplicates = queries.visible_duplicates(user, case)
    suggestions = []
    if case.status in (Case.Status.REPORTED, Case.Status.ACCEPTED) or open_action in (
        "accept",
        "dispatch",
    ):
        suggestions = queries.suggestions_for(case)
    templates = []
    if open_action in TEMPLATE_ACTIONS:
        templates = queries.reply_templates_for(user, case, TEMPLATE_ACTIONS[open_action])
    if open_action and form is None:
        form = forms.form_for(open_action)(user=user, case=case)
        _preselect(form, open_action, suggestions)
        _prefill(form, templates, request.GET.get("template"))
    if open_action and not message and open_action != "comment" and open_action not in allowed:
        message, level = _("You may not do this to this case."), "error"
    return {
        "case": case,
        "allowed": allowed,
        "buttons": [(a, actions.label(a)) for a in [*allowed, "comment"]],
        "open_action": open_action,
        "open_label": actions.label(open_action) if open_action else "",
        "form": form,
        "message": message,
        "level": level,
        "error_code": error_code,
        "events": [_event_row(e) for e in events],
        "before": [(p, photo_url(p)) for p in photos if p.step == "report"],
        "after": [(p, photo_url(p)) for p in photos if p.step == "after"],
        "place_chain": list(reversed(routing.ancestors(case.place))),
        "assisting": list(case.assisting_units.all()),
        "reporter_phone": queries.reporter_phone_for(user, case),
        "merged": list(case.duplicates.order_by("reported_at").values_list("pk", "code")),
        "source_links": queries.source_links(user, case),
        "overdue": deadlines.is_overdue(case, now),
        "duplicates": duplicates,
        "suggestions": suggestions,
        "max_extensions": workflow.MAX_EXTENSIONS,
        "light_colours": LIGHT_COLOURS,
        "stage_label": _stage_label(case),
        "templates": [(t, queries.fill_template(t.text, case)) for t in templates],
        "template_id": _int(request.GET.get("template")) if request.method == "GET" else None,
    }


def _prefill(form: forms.ActionForm, templates: list, wanted: str | None) -> None:
    """``?template=<id>``: start the text area on that template, placeholders filled (the
    page without JavaScript; with it, the select fills the text area in the browser). Only a
    template the action offers is taken."""
    pk = _int(wanted)
    chosen = next((t for t in templates if t.pk == pk), None)
    if chosen is not None and form.template_field in form.fields:
        form.initial[form.template_field] = queries.fill_template(chosen.text, form.case)


def _preselect(form: forms.ActionForm, action: str, suggestions: list) -> None:
    """Start the accept/dispatch form on a confident suggestion the form can take; staff
    still see it and may change it (that choice is recorded as kept or changed)."""
    wanted = {"accept": ("category", "category"), "dispatch": ("unit", "unit")}.get(action)
    if wanted is None:
        return
    kind, name = wanted
    s = next((x for x in suggestions if x.kind == kind and not x.needs_review), None)
    field = form.fields.get(name)
    if s is None or s.target_id is None or field is None:
        return
    if kind == "category" and (form.case.category_id or s.target_id not in form.categories):
        return
    if kind == "unit" and not field.queryset.filter(pk=s.target_id).exists():
        return
    field.initial = s.target_id


def _stage_label(case: Case) -> str:
    return str(Stage(case.stage).label) if case.stage in Stage.values else ""


@login_required
@require_GET
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = found(queries.case_get, request.user, case_id)
    action = request.GET.get("action", "")
    open_action = action if action in actions.REGISTRY else ""
    return render(
        request, "cases/detail.html", _detail_context(request, case, open_action=open_action)
    )


@login_required
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """GET: the action's small form; POST: run it through the workflow and show the result."""
    if action not in actions.REGISTRY:
        raise Http404
    user = request.user
    case = found(queries.case_get, user, case_id)
    if request.method == "GET":
        context = _detail_context(request, case, open_action=action)
        if _is_htmx(request):
            return _render(request, "cases/detail.html", context, partial="actions")
        return render(request, "cases/detail.html", context)
    form = forms.form_for(action)(request.POST, request.FILES, user=user, case=case)
    error: DomainError | None = None
    if form.is_valid():
        try:
            payload = form.payload()
            if form.multipart:
                payload["photos"] = store_photos(read_files(form.cleaned_data.get("photos") or []))
            workflow.perform(user, case.pk, action, payload)
        except DomainError as exc:
            error = exc
            _add_error(form, exc)
        else:
            done = _("%(action)s: done.") % {"action": actions.label(action)}
            if not _is_htmx(request):
                messages.success(request, done)
                return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))
            case = found(queries.case_get, user, case.pk)
            context = _detail_context(request, case, message=done, level="success")
            return _render(request, "cases/detail.html", context, partial="detail")
    message = str(error.message) if error else _("Please correct the errors below.")
    context = _detail_context(
        request,
        case,
        open_action=action,
        form=form,
        message=message,
        level="error",
        error_code=error.code if error else "invalid_input",
    )
    return _render(request, "cases/detail.html", context, partial="detail")


# --- staff: reply templates --------------------------------------------------------------------

TEMPLATE_ERROR_FIELDS = {
    "reply_template_unit_required": "unit",
    "unit_not_found": "unit",
    "reply_template_title_required": "title",
    "reply_template_title_too_long": "title",
    "reply_template_title_taken": "title",
    "reply_template_text_required": "text",
    "reply_template_text_too_long": "text",
    "reply_template_used_for_invalid": "used_for",
}


def _save_template(request: HttpRequest, form: forms.ReplyTemplateForm, template_id=None):
    """Run the form through :func:`services.reply_template_save`; None when refused."""
    if not form.is_valid():
        return None
    try:
        return services.reply_template_save(
            actor=request.user, template_id=template_id, **form.save_kwargs()
        )
    except NotFound as exc:
        if template_id is not None and exc.code == "reply_template_not_found":
            raise Http404(str(exc.message)) from exc
        form.add_error("unit", str(exc.message))
    except DomainError as exc:
        field = TEMPLATE_ERROR_FIELDS.get(exc.code)
        form.add_error(field if field in form.fields else None, str(exc.message))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def reply_templates(request: HttpRequest) -> HttpResponse:
    """回复模板: the templates the account's unit keeps, and a form for a new one."""
    user = request.user
    if rules.reply_template_root(user) is None:
        raise Http404(_("Only a unit's staff keep reply templates."))
    form = forms.ReplyTemplateForm(request.POST or None, user=user)
    if request.method == "POST":
        saved = _save_template(request, form)
        if saved is not None:
            messages.success(request, _("Template %(title)s saved.") % {"title": saved.title})
            return redirect("cases:reply_templates")
    rows = list(queries.reply_template_rows(user))
    context = {
        "form": form,
        "active": [t for t in rows if t.active],
        "retired": [t for t in rows if not t.active],
    }
    return render(
        request, "cases/reply_templates.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def reply_template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    user = request.user
    obj = found(services.reply_template_get, actor=user, template_id=template_id)
    initial = {
        "unit": obj.unit_id,
        "used_for": obj.used_for,
        "category": obj.category_id,
        "title": obj.title,
        "text": obj.text,
        "sort": obj.sort,
    }
    form = forms.ReplyTemplateForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST":
        saved = _save_template(request, form, template_id=obj.pk)
        if saved is not None:
            messages.success(request, _("Template %(title)s saved.") % {"title": saved.title})
            return redirect("cases:reply_templates")
    context = {"form": form, "template": obj}
    return render(
        request, "cases/reply_template_edit.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def reply_template_retire(request: HttpRequest, template_id: int) -> HttpResponse:
    obj = found(services.reply_template_retire, actor=request.user, template_id=template_id)
    messages.success(request, _("Template %(title)s retired.") % {"title": obj.title})
    return redirect("cases:reply_templates")


@login_required
@require_POST
def reply_template_restore(request: HttpRequest, template_id: int) -> HttpResponse:
    obj = found(services.reply_template_restore, actor=request.user, template_id=template_id)
    messages.success(request, _("Template %(title)s is in use again.") % {"title": obj.title})
    return redirect("cases:reply_templates")
