"""Projects over the API: list with stage, progress and light; detail with work items,
inspections and acceptance history; quantity reports (with photo uploads), stages, the link
to a supervision task, the backward schedule, opinion gathering and the design list,
inspections and findings, acceptance rounds, the pipeline and portfolio figures, import.

Same rules as cases and supervision: out of scope is 404; a step the caller may not take is
403; a step the state does not allow is 409; bad input is 422 with a stable code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from cityloop.core import events, openapi
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.schemas import ErrorOut, Limit, Offset
from cityloop.org import queries as org_queries
from cityloop.projects import importers, queries, rules, services, workflow
from cityloop.projects.actions import PROJECTS
from cityloop.projects.models import Project, ProjectType
from cityloop.projects.schemas import (
    AcceptanceIn,
    DesignItemIn,
    ImportOut,
    LinkIn,
    PipelineOut,
    PortfolioOut,
    ProjectEventOut,
    ProjectFindingIn,
    ProjectIn,
    ProjectInspectionIn,
    ProjectOpinionIn,
    ProjectOut,
    ProjectPage,
    ProjectPatchIn,
    QuantityIn,
    QuantityOut,
    ReasonIn,
    RectifiedIn,
    ScheduleIn,
    StageIn,
    TypeOut,
    WorkItemIn,
)
from cityloop.supervision.scheduling import Step

router = Router(tags=["projects"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _ref(obj) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": getattr(obj, "code", ""), "name": str(obj.name)}


def _num(value) -> float | None:
    return float(value) if value is not None else None


def _row(p: Project, colour: str, reasons: list[dict]) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "type": p.type.code,
        "type_name": p.type.name,
        "stage": p.stage,
        "stage_name": p.stage_name,
        "state": p.state,
        "progress": float(p.progress),
        "light": colour,
        "reasons": reasons,
        "responsible_unit": _ref(p.responsible_unit),
        "leader": _ref(p.leader),
        "start": p.start,
        "deadline": p.deadline,
        "task": None
        if p.task is None
        else {"id": p.task.pk, "code": p.task.code, "name": p.task.title},
    }


def _finding(f) -> dict[str, Any]:
    rect = getattr(f, "rectification", None)
    return {
        "id": f.pk,
        "kind": f.kind,
        "description": f.description,
        "unit": f.unit.name,
        "rectification": None
        if rect is None
        else {"id": rect.pk, "state": rect.state, "due": rect.due, "report": rect.report},
    }


def project_out(user, p: Project) -> dict[str, Any]:
    colour, reasons = queries.project_light(p)
    return {
        **_row(p, colour, reasons),
        "supervising_unit": _ref(p.supervising_unit),
        "coordinator": _ref(p.coordinator),
        "places": [_ref(x) for x in p.places.all()],
        "zones": [_ref(x) for x in p.zones.all()],
        "budget": _num(p.budget),
        "area": _num(p.area),
        "contractor": p.contractor,
        "enterprise": p.enterprise,
        "completed_on": p.completed_on,
        "last_report_on": p.last_report_on,
        "description": p.description,
        "stages": p.type.stages,
        "work_items": [
            {
                "id": i.pk,
                "name": i.name,
                "unit_of_measure": i.unit_of_measure,
                "planned": float(i.planned),
                "done": float(i.done),
                "weight": float(i.weight),
                "percent": round(100 * i.share, 1),
            }
            for i in p.items.all()
        ],
        "milestones": [
            {
                "title": m.title,
                "due": m.due,
                "planned_percent": _num(m.planned_percent),
                "duration_days": m.duration_days,
                "done_on": m.done_on,
            }
            for m in p.milestones.all()
        ],
        "opinions": queries.opinion_counts(p),
        "design_items": [
            {"id": d.pk, "title": d.title, "kind": d.kind.name if d.kind else "", "requests": d.n}
            for d in p.design_items.select_related("kind").annotate(n=Count("requests"))
        ],
        "inspections": [
            {
                "id": row["link"].pk,
                "inspection_id": row["inspection"].pk,
                "code": row["inspection"].code,
                "kind": row["link"].kind,
                "on": row["inspection"].on,
                "office": _ref(row["inspection"].unit),
                "team": row["inspection"].team,
                "findings": [_finding(f) for f in row["findings"]],
            }
            for row in queries.inspections_of(p)
        ],
        "acceptances": [
            {
                "id": row["acceptance"].pk,
                "round": row["acceptance"].round,
                "on": row["acceptance"].on,
                "result": row["acceptance"].result,
                "units": [_ref(u) for u in row["units"]],
                "checks": row["acceptance"].checks,
                "open_points": row["acceptance"].open_points,
                "note": row["acceptance"].note,
                "findings": [_finding(f) for f in row["findings"]],
            }
            for row in queries.acceptance_history(p)
        ],
        "allowed_actions": rules.project_actions(user, p),
    }


def _detail(user, project_id: int) -> dict[str, Any]:
    return project_out(user, queries.project_get(user, project_id))


# --- lists and figures --------------------------------------------------------------------------


@router.get("/projects", response={200: ProjectPage, **ERRORS})
def list_projects(
    request: HttpRequest,
    type: str = Query("", description="project type code / 项目类型"),
    stage: str = "",
    state: str = Query("", description="active / complete / cancelled"),
    light: str = Query("", description="red / yellow / blue"),
    unit_id: int | None = None,
    place_id: int | None = None,
    q: str = "",
    limit: int = Limit(100, 1000),
    offset: int = Offset,
):
    """Projects in the caller's scope with stage, derived progress and light."""
    if state and state not in Project.State.values:
        raise InvalidInput("project_state_invalid", _("Unknown state."), {"state": state})
    flt = queries.ProjectFilter(
        type=type, stage=stage, state=state, unit=unit_id, place=place_id, q=q
    )
    rows = queries.with_lights(queries.project_rows(request.auth, flt))
    if light:
        rows = [r for r in rows if r["colour"] == light]
    page = rows[offset : offset + limit]
    return {
        "items": [_row(r["project"], r["colour"], r["reasons"]) for r in page],
        "count": len(rows),
        "limit": limit,
        "offset": offset,
    }


@router.post("/projects", response={201: ProjectOut, **ERRORS})
def create_project(request: HttpRequest, payload: ProjectIn):
    data = payload.dict()
    data["items"] = [services.ItemInput(**i) for i in data["items"]]
    project = services.create_project(actor=request.auth, data=services.ProjectInput(**data))
    return Status(201, _detail(request.auth, project.pk))


@router.get("/projects/types", response={200: list[TypeOut], **ERRORS})
def project_types(request: HttpRequest):
    """Project types, their stages and acceptance checklists (configured in the admin)."""
    return list(ProjectType.objects.all())


@router.get("/projects/pipeline", response={200: PipelineOut, **ERRORS})
def project_pipeline(
    request: HttpRequest,
    type: str = "investment",
    unit_id: int | None = None,
    place_id: int | None = None,
):
    """Projects of a type counted by stage (招商引资: in negotiation, signed, landed)."""
    unit = org_queries.unit_get(request.auth, unit_id=unit_id) if unit_id else None
    place = org_queries.place_get(request.auth, place_id=place_id) if place_id else None
    return queries.pipeline(request.auth, type_code=type, unit=unit, place=place)


@router.get("/projects/portfolio", response={200: PortfolioOut, **ERRORS})
def project_portfolio(request: HttpRequest, type: str = "", unit_id: int | None = None):
    """Counts, completed, budget and area sums, and work-item quantities summed by name."""
    unit = org_queries.unit_get(request.auth, unit_id=unit_id) if unit_id else None
    pf = queries.portfolio(request.auth, type_code=type, unit=unit)
    return {
        "projects": pf.projects,
        "complete": pf.complete,
        "budget": float(pf.budget),
        "area": float(pf.area),
        "progress": pf.progress,
        "items": [
            {**i, "planned": float(i["planned"]), "done": float(i["done"])} for i in pf.items
        ],
    }


@router.post("/projects/import", response={**ERRORS, 200: ImportOut, 422: ImportOut})
def import_projects(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: str = Form("projects", description="projects / work_items"),
    dry_run: bool = Form(False),
):
    """Import projects or work items from xlsx/csv: every bad row is reported with its line
    number, and any bad row means nothing is imported."""
    if kind not in importers.KINDS:
        raise InvalidInput("import_bad_kind", _("Unknown import kind."), {"kind": kind})
    if file.size and file.size > MAX_IMPORT_BYTES:
        raise InvalidInput("import_too_large", _("The file is too large."))
    suffix = Path(file.name or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidInput("import_bad_file", _("Send an .xlsx or .csv file."))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(file.read())
        report = importers.run_import(kind, path, actor=request.auth, dry_run=dry_run)
    body = report.as_dict()
    return Status(200 if report.ok else 422, body)


# --- one project -----------------------------------------------------------------------------


@router.get("/projects/{project_id}", response={200: ProjectOut, **ERRORS})
def get_project(request: HttpRequest, project_id: int):
    return _detail(request.auth, project_id)


@router.patch("/projects/{project_id}", response={200: ProjectOut, **ERRORS})
def update_project(request: HttpRequest, project_id: int, payload: ProjectPatchIn):
    """修改项目信息: change the fields given (one "edit" event lists them; none changed, none)."""
    data = payload.dict(exclude_unset=True)
    note = data.pop("note", "")
    services.update_project(actor=request.auth, project_id=project_id, data=data, note=note)
    return _detail(request.auth, project_id)


@router.get("/projects/{project_id}/events", response={200: list[ProjectEventOut], **ERRORS})
def project_events(request: HttpRequest, project_id: int):
    p = queries.project_get(request.auth, project_id)
    return [events.event_out(e) for e in p.events.order_by("at", "pk")]


@router.get("/projects/{project_id}/progress", response={200: list[dict[str, Any]], **ERRORS})
def project_progress(request: HttpRequest, project_id: int):
    """The derived progress after each day with quantity reports."""
    return queries.progress_history(queries.project_get(request.auth, project_id))


@router.get("/projects/{project_id}/reports", response={200: list[QuantityOut], **ERRORS})
def project_reports(request: HttpRequest, project_id: int):
    p = queries.project_get(request.auth, project_id)
    return [
        {
            "id": r.pk,
            "item": r.item.name,
            "on": r.on,
            "quantity": float(r.quantity),
            "note": r.note,
            "by": r.reporter_label,
            "photos": len(r.photos),
        }
        for r in queries.quantity_reports(p)
    ]


@router.post("/projects/{project_id}/items", response={201: ProjectOut, **ERRORS})
def add_item(request: HttpRequest, project_id: int, payload: WorkItemIn):
    services.add_work_item(
        actor=request.auth, project_id=project_id, item=services.ItemInput(**payload.dict())
    )
    return Status(201, _detail(request.auth, project_id))


@router.post("/projects/{project_id}/items/{item_id}/reports", response={201: ProjectOut, **ERRORS})
def report_quantity(request: HttpRequest, project_id: int, item_id: int, payload: QuantityIn):
    """A quantity done (it adds to the item's done; the progress follows, and the linked
    task's). Photos: upload first with ``POST /uploads``, then name them here."""
    queries.project_get(request.auth, project_id)
    workflow.report_quantity(
        actor=request.auth,
        project_id=project_id,
        item_id=item_id,
        quantity=payload.quantity,
        on=payload.on,
        note=payload.note,
        photo_ids=payload.photo_ids,
    )
    return Status(201, _detail(request.auth, project_id))


@router.put("/projects/{project_id}/schedule", response={200: ProjectOut, **ERRORS})
def schedule(request: HttpRequest, project_id: int, payload: ScheduleIn):
    """倒排工期: milestones scheduled backwards from the deadline, in working days."""
    services.set_schedule(
        actor=request.auth,
        project_id=project_id,
        steps=[Step(s.title, s.duration_days) for s in payload.steps],
    )
    return _detail(request.auth, project_id)


@router.post("/projects/{project_id}/opinions", response={201: ProjectOut, **ERRORS})
def record_opinion(request: HttpRequest, project_id: int, payload: ProjectOpinionIn):
    place = (
        org_queries.place_get(request.auth, place_id=payload.place_id) if payload.place_id else None
    )
    services.record_opinion(
        actor=request.auth,
        project_id=project_id,
        method=payload.method,
        on=payload.on,
        people_reached=payload.people_reached,
        summary=payload.summary,
        place=place,
        requests=[services.RequestInput(**r.dict()) for r in payload.requests],
    )
    return Status(201, _detail(request.auth, project_id))


@router.post("/projects/{project_id}/design-items", response={201: ProjectOut, **ERRORS})
def add_design_item(request: HttpRequest, project_id: int, payload: DesignItemIn):
    services.add_design_item(
        actor=request.auth,
        project_id=project_id,
        title=payload.title,
        request_ids=payload.request_ids,
        kind=payload.kind,
        note=payload.note,
    )
    return Status(201, _detail(request.auth, project_id))


@router.post("/projects/{project_id}/inspections", response={201: ProjectOut, **ERRORS})
def open_inspection(request: HttpRequest, project_id: int, payload: ProjectInspectionIn):
    """A quality or safety inspection (a supervision inspection tied to the project)."""
    office = org_queries.unit_get(request.auth, unit_id=payload.office_id)
    workflow.open_inspection(
        actor=request.auth,
        project_id=project_id,
        kind=payload.kind,
        office=office,
        on=payload.on,
        team=payload.team,
        summary=payload.summary,
    )
    return Status(201, _detail(request.auth, project_id))


@router.post(
    "/projects/{project_id}/inspections/{link_id}/findings",
    response={201: ProjectOut, **ERRORS},
)
def record_finding(request: HttpRequest, project_id: int, link_id: int, payload: ProjectFindingIn):
    """A finding with its rectification (supervision's chain: rectify and re-inspect with
    ``/rectifications/{id}/actions/…``)."""
    p = queries.project_get(request.auth, project_id)
    if not p.inspections.filter(pk=link_id).exists():
        raise NotFound("project_inspection_not_found", _("Inspection not found"))
    place = (
        org_queries.place_get(request.auth, place_id=payload.place_id) if payload.place_id else None
    )
    workflow.record_finding(
        actor=request.auth,
        project_inspection_id=link_id,
        kind=payload.kind,
        description=payload.description,
        mode=payload.mode,
        due=payload.due,
        place=place,
        photo_ids=payload.photo_ids,
    )
    return Status(201, _detail(request.auth, project_id))


@router.post("/projects/{project_id}/acceptances", response={201: ProjectOut, **ERRORS})
def record_acceptance(request: HttpRequest, project_id: int, payload: AcceptanceIn):
    """An acceptance round: passed completes the project; failed opens a rectification per
    open point, and the next round re-inspects them."""
    units = [org_queries.unit_get(request.auth, unit_id=u) for u in payload.unit_ids]
    workflow.record_acceptance(
        actor=request.auth,
        project_id=project_id,
        on=payload.on,
        passed=payload.passed,
        units=units,
        checks=[c.dict() for c in payload.checks],
        open_points=[workflow.OpenPoint(p.text, p.due) for p in payload.open_points],
        note=payload.note,
    )
    return Status(201, _detail(request.auth, project_id))


@router.post(
    "/projects/{project_id}/rectifications/{rect_id}/actions/report",
    response={200: ProjectOut, **ERRORS},
)
def report_rectified(request: HttpRequest, project_id: int, rect_id: int, payload: RectifiedIn):
    workflow.submit_rectification(
        actor=request.auth,
        project_id=project_id,
        rectification_id=rect_id,
        report=payload.report,
        photo_ids=payload.photo_ids,
    )
    return _detail(request.auth, project_id)


@router.post("/projects/{project_id}/actions/advance", response={200: ProjectOut, **ERRORS})
def advance(request: HttpRequest, project_id: int, payload: StageIn):
    workflow.advance(
        actor=request.auth, project_id=project_id, to_stage=payload.stage, note=payload.note
    )
    return _detail(request.auth, project_id)


@router.post("/projects/{project_id}/actions/link-task", response={200: ProjectOut, **ERRORS})
def link_task(request: HttpRequest, project_id: int, payload: LinkIn):
    """From now on the task's progress comes from this project."""
    workflow.link_task(actor=request.auth, project_id=project_id, task_id=payload.task_id)
    return _detail(request.auth, project_id)


@router.post("/projects/{project_id}/actions/cancel", response={200: ProjectOut, **ERRORS})
def cancel(request: HttpRequest, project_id: int, payload: ReasonIn):
    workflow.cancel(actor=request.auth, project_id=project_id, reason=payload.reason)
    return _detail(request.auth, project_id)


@openapi.amend
def _describe_actions(schema: dict[str, Any]) -> None:
    """The project detail says what each name of its ``allowed_actions`` is (label, part,
    input shape), from the registry."""
    op = openapi.operation(schema, "/projects/{project_id}", "get")
    if op is None:
        return
    base = (op.get("description") or "").split("\n\n`allowed_actions` 中的操作")[0]
    op["description"] = (
        f"{base}\n\n`allowed_actions` 中的操作：\n\n{PROJECTS.openapi_description()}"
    )
