"""Project pages under ``/projects/``: the list with stage, progress bar and light, and a
project's page with its work items, progress chart, opinions, inspections and acceptance
history, and the steps the user may take.

Thin, as everywhere: the form is read, the workflow changes state (the same function the API
calls), queries read through the user's scope (outside it: 404). A refused step is shown as
its message and changes nothing.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from cityloop.core import clock, exports
from cityloop.core.downloads import stored_image
from cityloop.core.errors import DomainError, NotFound
from cityloop.core.photos import read_files, store_photos
from cityloop.core.steps import attempt, found, save_edit
from cityloop.org import queries as org_queries
from cityloop.projects import forms, queries, rules, services, workflow
from cityloop.projects.labels import VOCABULARY, state_namer
from cityloop.projects.models import Project, ProjectType, QuantityReport, RequestKind
from cityloop.supervision import queries as sv_queries
from cityloop.supervision.models import Colour, Rectification

MAX_PHOTOS = 6

# Parts of the project page an app above projects lends it, by template variable:
# ``part(user, project)`` answers the part's context or None. Registered in that app's
# ``ready`` (deliberation: "resolution"); projects imports none of them.
PAGE_PARTS: dict = {}


def register_page_part(name: str, part) -> None:
    PAGE_PARTS[name] = part


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if raw else None
    except ValueError:
        return None


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    g = request.GET
    flt = queries.ProjectFilter(
        type=g.get("type", ""), stage=g.get("stage", ""), state=g.get("state", ""), q=g.get("q", "")
    )
    rows = queries.with_lights(queries.project_rows(user, flt))
    colour = g.get("light", "")
    if colour:
        rows = [r for r in rows if r["colour"] == colour]
    counts = {c: sum(1 for r in rows if r["colour"] == c) for c in Colour.lit()}
    if exports.wants_xlsx(request):
        return _projects_xlsx(rows)
    return render(
        request,
        "projects/list.html",
        {
            "rows": rows,
            "types": ProjectType.objects.all(),
            "flt": flt,
            "colour": colour,
            "states": Project.State.choices,
            "lit": [(c, Colour(c).label, counts[c]) for c in Colour.lit()],
            "pipeline": queries.pipeline(user, type_code="investment")
            if ProjectType.objects.filter(code="investment").exists()
            else None,
            "can_create": rules.may_set_up_projects(user, org_queries.visible_units(user)),
        },
    )


PROJECT_COLUMNS = (
    exports.Column(_lazy("Code"), 14),
    exports.Column(_lazy("Project"), 30),
    exports.Column(_lazy("Type"), 12),
    exports.Column(_lazy("Stage"), 10),
    exports.Column(_lazy("Light"), 8),
    exports.Column(_lazy("Progress (%)"), 10),
    exports.Column(_lazy("Responsible unit"), 20),
    exports.Column(_lazy("Deadline"), 12),
    exports.Column(_lazy("Work items (done / planned)"), 60),
)


def _projects_xlsx(rows: list[dict]) -> HttpResponse:
    """The list as the page shows it, each project's work items in one cell (one query)."""
    from cityloop.projects.models import WorkItem

    items: dict[int, list[str]] = {}
    for w in WorkItem.objects.filter(project_id__in=[r["project"].pk for r in rows]).order_by(
        "project_id", "order", "pk"
    ):
        items.setdefault(w.project_id, []).append(
            f"{w.name} {w.done.normalize():f}/{w.planned.normalize():f} {w.unit_of_measure}"
        )

    def line(r: dict) -> list:
        p = r["project"]
        return [
            p.code,
            p.name,
            p.type.name,
            p.stage_name,
            r["label"],
            p.progress,
            p.responsible_unit.name,
            p.deadline,
            "；".join(items.get(p.pk, [])),
        ]

    name = _("Projects %(day)s") % {"day": f"{clock.today():%Y-%m-%d}"}
    return exports.xlsx_response(name, name, PROJECT_COLUMNS, map(line, rows))


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    """新建项目: the project, its work item rows and the task it drives, all through
    ``services.create_project`` (the API's function) in one transaction."""
    user = request.user
    units = list(org_queries.visible_units(user).order_by("path")[:500])
    if not rules.may_set_up_projects(user, units):
        raise PermissionDenied
    types = list(ProjectType.objects.all())
    post = request.POST if request.method == "POST" else None
    form = forms.ProjectForm(
        post,
        types=types,
        places=org_queries.visible_places(user).order_by("path")[:500],
        units=units,
        tasks=queries.linkable_tasks(user),
    )
    rows = forms.item_rows(post)
    if post is not None and form.is_valid():
        try:
            project = services.create_project(
                actor=user, data=form.project_input(forms.item_inputs(rows))
            )
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Project created."))
            return HttpResponseRedirect(reverse("projects:detail", args=[project.pk]))
    chosen = form["type"].value() or (types[0].code if types else "")
    return render(
        request,
        "projects/new.html",
        {"form": form, "rows": rows, "types": types, "chosen_type": chosen},
        status=400 if post is not None else 200,
    )


@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    """修改项目信息: the project's form pre-filled; ``services.update_project``."""
    user = request.user
    project = found(queries.project_get, user, project_id)
    if not rules.edits(user, project):
        raise PermissionDenied
    post = request.POST if request.method == "POST" else None
    form = forms.ProjectEditForm(
        post,
        project=project,
        places=org_queries.visible_places(user).order_by("path")[:500],
        units=org_queries.visible_units(user).order_by("path")[:500],
    )
    if post is not None and form.is_valid():
        done = save_edit(
            request,
            form,
            lambda: services.update_project(
                actor=user,
                project_id=project.pk,
                data=form.changes(),
                note=form.cleaned_data["note"],
            ),
            saved=_("Project details saved."),
            then=reverse("projects:detail", args=[project.pk]),
        )
        if done:
            return done
    return render(
        request,
        "projects/edit.html",
        {"form": form, "project": project},
        status=400 if post is not None else 200,
    )


RECORD_FORMS = {
    "opinion": "opinion_form",
    "design_item": "design_form",
    "inspect": "inspection_form",
}


def _record_form(user, project: Project, action: str, post=None):
    """The form for one kind of record added on the project's page (opinion gathering,
    design list item, inspection); bound to ``post`` when it was sent."""
    if action == "opinion":
        return forms.OpinionForm(
            post, places=project.places.all(), initial={"on": clock.today()}, auto_id="op-%s"
        )
    if action == "design_item":
        return forms.DesignItemForm(
            post,
            kinds=RequestKind.objects.all(),
            requests=queries.open_requests(project),
            auto_id="design-%s",
        )
    offices = [
        u
        for u in org_queries.visible_units(user).order_by("path")[:200]
        if rules.can_manage_unit(user, u)
    ]
    return forms.InspectionForm(
        post, offices=offices, initial={"on": clock.today()}, auto_id="insp-%s"
    )


def _detail_page(
    request: HttpRequest, project: Project, *, refused=None, status: int = 200
) -> HttpResponse:
    """The project's page; ``refused`` is ``(action, form)`` sent and refused, shown again."""
    user = request.user
    colour, reasons = queries.project_light(project)
    history = queries.progress_history(project)
    actions = rules.project_actions(user, project)
    codes = project.type.stage_codes
    here = codes.index(project.stage) if project.stage in codes else -1
    next_stage = codes[here + 1] if 0 <= here < len(codes) - 1 else None
    if project.type.acceptance_stage == project.stage:
        next_stage = None  # only a passed acceptance moves it on
    pending = list(queries.pending_rectifications(project).select_related("finding"))
    open_rects = list(
        Rectification.objects.filter(finding__in=queries._finding_ids(project))
        .exclude(state=Rectification.State.CLOSED)
        .select_related("finding")
    )
    tasks = []
    if "link_task" in actions and project.task_id is None:
        tasks = list(
            sv_queries.visible_tasks(user)
            .filter(state="active", project__isnull=True)
            .filter(responsible_unit__path__startswith=project.responsible_unit.path)
            .order_by("code")[:100]
        )
    context = {
        "project": project,
        # Parts other apps lend the page: deliberation's "resolution" — the residents'
        # resolution this project carries out, with its tally (issue 18.3); rounds'
        # "round_demands" — the demands it was split out of (issue 18.4).
        **{name: part(user, project) for name, part in PAGE_PARTS.items()},
        "colour": colour,
        "colour_label": Colour(colour).label,
        "reasons": reasons,
        "items": project.items.all(),
        "stages": [
            {"code": s["code"], "name": s["name"], "done": i < here, "current": i == here}
            for i, s in enumerate(project.type.stages)
        ],
        "next_stage": next_stage,
        "next_stage_name": project.type.stage_name(next_stage) if next_stage else "",
        "milestones": project.milestones.all(),
        "history": history,
        "chart_json": {
            "dates": [h["on"] for h in history],
            "percent": [h["percent"] for h in history],
        },
        "reports": queries.quantity_reports(project)[:30],
        "opinions": queries.opinion_counts(project),
        "gatherings": project.opinions.all(),
        "design_items": project.design_items.select_related("kind"),
        "inspections": queries.inspections_of(project),
        "acceptances": queries.acceptance_history(project),
        "pending": pending,
        "open_rects": open_rects,
        "can_rectify": rules.reports(user, project),
        "actions": actions,
        "tasks": tasks,
        "units": org_queries.visible_units(user).order_by("path")[:200]
        if "accept" in actions
        else [],
        "today": clock.today(),
        "task_visible": project.task_id is not None
        and sv_queries.visible_tasks(user).filter(pk=project.task_id).exists(),
        "timeline": VOCABULARY.timeline(
            project.events.order_by("-at", "-pk")[:50], state=state_namer(project)
        ),
        "request_kinds": RequestKind.objects.all() if "opinion" in actions else [],
        "request_rows": forms.request_rows(
            request.POST if refused is not None and refused[0] == "opinion" else None
        ),
    }
    for action, key in RECORD_FORMS.items():
        if action in actions:
            context[key] = _record_form(user, project, action)
    if refused is not None:
        action, form = refused
        if action in actions:
            context[RECORD_FORMS[action]] = form
        else:  # not the user's form: only its message
            for error in form.non_field_errors():
                messages.error(request, error)
    return render(request, "projects/detail.html", context, status=status)


@login_required
@require_GET
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    return _detail_page(request, found(queries.project_get, request.user, project_id))


def _record(request: HttpRequest, project: Project, which: str, step, done: str) -> HttpResponse:
    """Run ``step(form.cleaned_data)`` for the posted record form: done, back to the page;
    refused (the form or the service), the page again with the message, HTTP 400."""
    form = _record_form(request.user, project, which, request.POST)
    if form.is_valid():
        try:
            step(form.cleaned_data)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("projects:detail", args=[project.pk]))
    return _detail_page(request, project, refused=(which, form), status=400)


@login_required
@require_POST
def project_action(request: HttpRequest, project_id: int, action: str) -> HttpResponse:
    user = request.user
    project = found(queries.project_get, user, project_id)
    here = reverse("projects:detail", args=[project.pk])
    post = request.POST
    if action == "report":
        item_id = post.get("item", "")
        if not item_id.isdigit() or not project.items.filter(pk=int(item_id)).exists():
            raise Http404
        files = request.FILES.getlist("photos")[:MAX_PHOTOS]

        def report():
            stored = store_photos(read_files(files)) if files else []
            workflow.report_quantity(
                actor=user,
                project_id=project.pk,
                item_id=int(item_id),
                quantity=post.get("quantity", ""),
                on=_date(post.get("on")),
                note=post.get("note", ""),
                photos=[p.file for p in stored],
            )

        attempt(request, report, _("Quantity reported."))
    elif action == "advance":
        attempt(
            request,
            lambda: workflow.advance(
                actor=user,
                project_id=project.pk,
                to_stage=post.get("stage", ""),
                note=post.get("note", ""),
            ),
            _("Stage moved on."),
        )
    elif action == "accept":
        passed = post.get("result") == "passed"
        due = _date(post.get("due"))
        points = [
            workflow.OpenPoint(line.strip(), due)
            for line in post.get("open_points", "").splitlines()
            if line.strip()
        ]
        on = _date(post.get("on")) or clock.today()
        ticked = set(post.getlist("check"))
        checks = [{"item": c, "ok": c in ticked} for c in project.type.checklist]
        unit_ids = [int(u) for u in post.getlist("units") if u.isdigit()]
        units = [found(org_queries.unit_get, user, unit_id=u) for u in unit_ids]
        attempt(
            request,
            lambda: workflow.record_acceptance(
                actor=user,
                project_id=project.pk,
                on=on,
                passed=passed,
                units=units,
                checks=checks,
                open_points=points,
                note=post.get("note", ""),
            ),
            _("Acceptance recorded."),
        )
    elif action == "rectified":
        rect_id = post.get("rectification", "")
        if not rect_id.isdigit():
            raise Http404
        attempt(
            request,
            lambda: workflow.submit_rectification(
                actor=user,
                project_id=project.pk,
                rectification_id=int(rect_id),
                report=post.get("report", ""),
            ),
            _("Rectification reported; the next acceptance re-inspects it."),
        )
    elif action == "link_task":
        task_id = post.get("task", "")
        if not task_id.isdigit():
            raise Http404
        attempt(
            request,
            lambda: workflow.link_task(actor=user, project_id=project.pk, task_id=int(task_id)),
            _("The task's progress now comes from this project."),
        )
    elif action == "opinion":
        return _record(
            request,
            project,
            action,
            lambda d: services.record_opinion(
                actor=user,
                project_id=project.pk,
                method=d["method"],
                on=d["on"],
                people_reached=d["people_reached"],
                summary=d["summary"],
                place=found(queries.project_place, project, d["place"]) if d["place"] else None,
                requests=forms.request_inputs(post),
            ),
            _("Opinion gathering recorded."),
        )
    elif action == "design_item":
        return _record(
            request,
            project,
            action,
            lambda d: services.add_design_item(
                actor=user,
                project_id=project.pk,
                title=d["title"],
                request_ids=d["requests"],
                kind=d["kind"],
                note=d["note"],
            ),
            _("Added to the design list."),
        )
    elif action == "inspect":
        return _record(
            request,
            project,
            action,
            lambda d: workflow.open_inspection(
                actor=user,
                project_id=project.pk,
                kind=d["kind"],
                office=found(org_queries.unit_get, user, unit_id=d["office"]),
                on=d["on"],
                team=d["team"],
                summary=d["summary"],
            ),
            _("Inspection opened."),
        )
    else:
        raise Http404
    return HttpResponseRedirect(here)


@login_required
@require_GET
def report_photo(request: HttpRequest, report_id: int, index: int) -> HttpResponse:
    """A quantity report's evidence photo, for whoever sees the project."""
    report = QuantityReport.objects.filter(
        pk=report_id, item__project__in=queries.visible_projects(request.user)
    ).first()
    if report is None or not 0 <= index < len(report.photos):
        raise Http404
    return stored_image(report.photos[index])
