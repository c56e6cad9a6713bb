"""Supervision over the API: tasks with their lights and reasons, progress, milestones, the
board and periodic summaries, inspections and findings, the rectification ledger,
escalations and urging letters (with their .docx and .pdf).

Same rules as cases: an object outside the caller's scope is 404; a step the caller may not
take is 403; a step the state does not allow is 409; bad input is 422 with a stable code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from cityloop.core import clock, events, openapi
from cityloop.core.downloads import attachment
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.schemas import API_ERRORS, Limit, Offset, ref
from cityloop.org import queries as org_queries
from cityloop.supervision import queries, rules, services, workflow
from cityloop.supervision.actions import ESCALATIONS, LETTERS, RECTIFICATIONS, TASKS
from cityloop.supervision.lights import past_due
from cityloop.supervision.models import Colour, Escalation, Finding, Rectification, Task
from cityloop.supervision.scheduling import Step
from cityloop.supervision.schemas import (
    BoardOut,
    DoneIn,
    EscalationDecideIn,
    EscalationOut,
    FindingIn,
    FindingOut,
    InspectionIn,
    InspectionOut,
    LetterIn,
    LetterOut,
    MilestoneOut,
    PlanIn,
    ProgressIn,
    ProgressOut,
    RectificationOut,
    RectificationReportIn,
    ReinspectIn,
    SummaryOut,
    TaskActionIn,
    TaskEventOut,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskPatchIn,
    TextIn,
)

router = Router(tags=["supervision"])

ERRORS = API_ERRORS


# --- shaping ---------------------------------------------------------------------------------


def _task_ref(task: Task | None) -> dict[str, Any] | None:
    return None if task is None else {"id": task.pk, "code": task.code, "name": task.title}


def _row(task: Task, colour: str, reasons: list[dict]) -> dict[str, Any]:
    return {
        "id": task.pk,
        "code": task.code,
        "title": task.title,
        "kind": task.kind.name,
        "category": task.category.name,
        "level": task.level,
        "responsible_unit": ref(task.responsible_unit),
        "leader": ref(task.leader),
        "deadline": task.deadline,
        "state": task.state,
        "progress": float(task.progress) if task.progress is not None else None,
        "light": colour,
        "reasons": reasons,
    }


def _milestone(m) -> dict[str, Any]:
    return {
        "id": m.pk,
        "title": m.title,
        "due": m.due,
        "planned_percent": float(m.planned_percent) if m.planned_percent is not None else None,
        "duration_days": m.duration_days,
        "done_on": m.done_on,
    }


def task_out(user, task: Task, as_of: date | None = None) -> dict[str, Any]:
    colour, reasons = queries.task_light(task, as_of)
    explanation = queries.open_explanation(task) or task.explanations.first()
    return {
        **_row(task, colour, reasons),
        "annual_goal": task.annual_goal,
        "indicator_name": task.indicator_name,
        "indicator_unit": task.indicator_unit,
        "target_value": float(task.target_value) if task.target_value is not None else None,
        "current_value": float(task.current_value) if task.current_value is not None else None,
        "progress_text": task.progress_text,
        "last_report_on": task.last_report_on,
        "start": task.start,
        "done_on": task.done_on,
        "report_cadence": task.report_cadence,
        "supervising_unit": ref(task.supervising_unit),
        "assisting_units": [ref(u) for u in task.assisting_units.all()],
        "parent": _task_ref(task.parent),
        "children": [_task_ref(c) for c in task.children.order_by("code")],
        "milestones": [_milestone(m) for m in task.milestones.all()],
        "explanation": explanation,
        "allowed_actions": rules.task_actions(
            user, task, explanation_open=bool(explanation and explanation.state == "open")
        ),
    }


def _finding_out(f: Finding) -> dict[str, Any]:
    rect = getattr(f, "rectification", None)
    return {
        "id": f.pk,
        "kind": f.kind,
        "description": f.description,
        "severity": f.severity,
        "is_problem": f.is_problem,
        "unit": ref(f.unit),
        "task": _task_ref(f.task),
        "place": ref(f.place),
        "found_at": f.found_at,
        "repeat_count": f.repeat_count,
        "rectification": None
        if rect is None
        else {"id": rect.pk, "mode": rect.mode, "state": rect.state, "due": rect.due},
        "photos": [
            reverse("supervision:finding_photo", args=[f.pk, i]) for i in range(len(f.photos))
        ],
    }


def _rect_out(r: Rectification, age: int | None = None, overdue: int | None = None):
    return {
        "id": r.pk,
        "mode": r.mode,
        "state": r.state,
        "due": r.due,
        "plan": r.plan,
        "report": r.report,
        "failed_reinspections": r.failed_reinspections,
        "opened_at": r.opened_at,
        "closed_at": r.closed_at,
        "unit": ref(r.unit),
        "age_days": age,
        "overdue_days": overdue,
        "finding": {
            "id": r.finding.pk,
            "kind": r.finding.kind,
            "description": r.finding.description,
            "repeat_count": r.finding.repeat_count,
            "inspection": r.finding.inspection.code,
            "task": _task_ref(r.finding.task),
        },
        "milestones": [_milestone(m) for m in r.milestones.all()],
    }


def letter_out(letter) -> dict[str, Any]:
    return {
        "id": letter.pk,
        "reference": letter.reference,
        "year": letter.year,
        "number": letter.number,
        "issuer": ref(letter.series.issuer),
        "addressee": ref(letter.addressee),
        "subject": letter.subject,
        "items": letter.items,
        "answer_due": letter.answer_due,
        "state": letter.state,
        "sent_at": letter.sent_at,
        "received_at": letter.received_at,
        "answered_at": letter.answered_at,
        "answer": letter.answer,
        "overdue": letter.state != "answered" and past_due(letter.answer_due, clock.today()),
        "docx_url": reverse("api:letter_docx", args=[letter.pk]),
        "pdf_url": reverse("api:letter_pdf", args=[letter.pk]),
    }


def _year(year: int | None) -> int | None:
    if year is not None and not (year == 0 or 1900 <= year <= 2999):
        raise InvalidInput(
            "task_year_invalid", _("A year is 1900 to 2999, or 0 for all years."), {"year": year}
        )
    return year


def _counts(items) -> list[dict[str, Any]]:
    return [{"name": name, "counts": counts} for name, counts in items]


# --- tasks -----------------------------------------------------------------------------------


@router.get("/tasks", response={200: TaskPage, **ERRORS})
def list_tasks(
    request: HttpRequest,
    colour: str = Query("", description="red / yellow / blue / done, or a done colour"),
    unit_id: int | None = None,
    category_id: int | None = None,
    leader_id: int | None = None,
    kind_id: int | None = None,
    year: int | None = None,
    q: str = "",
    as_of: date | None = None,
    limit: int = Limit(100, 1000),
    offset: int = Offset,
):
    """Tasks in the caller's scope with their light and its reasons, red first."""
    if colour and colour not in {*Colour.values, "done"}:
        raise InvalidInput("task_colour_invalid", _("Unknown light colour"), {"colour": colour})
    as_of = as_of or clock.today()
    flt = queries.BoardFilter(
        unit=unit_id, category=category_id, leader=leader_id, kind=kind_id, year=_year(year), q=q
    )
    rows = queries.select_colour(queries.board(request.auth, as_of=as_of, flt=flt).rows, colour)
    order = {Colour.RED: 0, Colour.YELLOW: 1, Colour.BLUE: 2}
    rows.sort(key=lambda r: (order.get(r.colour, 3), r.task.deadline, r.task.code))
    page = rows[offset : offset + limit]
    return {
        "items": [_row(r.task, r.colour, r.reasons) for r in page],
        "count": len(rows),
        "limit": limit,
        "offset": offset,
        "as_of": as_of,
    }


@router.post("/tasks", response={201: TaskOut, **ERRORS})
def create_task(request: HttpRequest, payload: TaskIn):
    task = services.create_task(actor=request.auth, data=services.TaskInput(**payload.dict()))
    return Status(201, task_out(request.auth, queries.task_get(request.auth, task.pk)))


@router.get("/tasks/board", response={200: BoardOut, **ERRORS})
def task_board(
    request: HttpRequest,
    as_of: date | None = None,
    year: int | None = None,
    unit_id: int | None = None,
    category_id: int | None = None,
    leader_id: int | None = None,
    kind_id: int | None = None,
):
    """红黄蓝看板: counts by colour, unit, category and leader, and the sentences."""
    flt = queries.BoardFilter(
        unit=unit_id, category=category_id, leader=leader_id, kind=kind_id, year=_year(year)
    )
    b = queries.board(request.auth, as_of=as_of, flt=flt)
    return {
        "as_of": b.as_of,
        "year": b.year,
        "total": b.total,
        "counts": b.counts,
        "by_unit": _counts(b.by_unit),
        "by_category": _counts(b.by_category),
        "by_leader": _counts(b.by_leader),
        "sentence": b.sentence,
        "done_sentence": b.done_sentence,
    }


@router.get("/tasks/summary", response={200: SummaryOut, **ERRORS})
def task_summary(request: HttpRequest, kind: str = "week", end: date | None = None):
    """Weekly supervision, monthly scheduling or quarterly notice, as data."""
    if kind not in queries.PERIOD_KINDS:
        raise InvalidInput("summary_kind_invalid", _("Unknown period"), {"kind": kind})
    return queries.summary(request.auth, kind=kind, end=end)


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def get_task(request: HttpRequest, task_id: int, as_of: date | None = None):
    return task_out(request.auth, queries.task_get(request.auth, task_id), as_of)


@router.patch("/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def update_task(request: HttpRequest, task_id: int, payload: TaskPatchIn):
    """修改任务信息: change the fields given (one "edit" event lists them; none changed, none)."""
    data = payload.dict(exclude_unset=True)
    note = data.pop("note", "")
    workflow.update_task(actor=request.auth, task_id=task_id, data=data, note=note)
    return task_out(request.auth, queries.task_get(request.auth, task_id))


@router.get("/tasks/{task_id}/events", response={200: list[TaskEventOut], **ERRORS})
def task_events(request: HttpRequest, task_id: int):
    task = queries.task_get(request.auth, task_id)
    return [events.event_out(e) for e in queries.task_events(task)]


@router.get("/tasks/{task_id}/progress", response={200: list[ProgressOut], **ERRORS})
def task_progress(request: HttpRequest, task_id: int):
    return queries.progress_history(queries.task_get(request.auth, task_id))


@router.post("/tasks/{task_id}/progress", response={201: TaskOut, **ERRORS})
def report_progress(request: HttpRequest, task_id: int, payload: ProgressIn):
    workflow.report_progress(actor=request.auth, task_id=task_id, **payload.dict())
    return Status(201, task_out(request.auth, queries.task_get(request.auth, task_id)))


@router.get("/tasks/{task_id}/milestones", response={200: list[MilestoneOut], **ERRORS})
def task_milestones(request: HttpRequest, task_id: int):
    task = queries.task_get(request.auth, task_id)
    return [_milestone(m) for m in task.milestones.all()]


@router.put("/tasks/{task_id}/milestones", response={200: list[MilestoneOut], **ERRORS})
def set_milestones(request: HttpRequest, task_id: int, payload: PlanIn):
    """Replace the open milestones: from steps scheduled backwards (倒排工期), or given."""
    if bool(payload.steps) == bool(payload.milestones):
        raise InvalidInput("plan_one_of", _("Give either steps or milestones."))
    created = services.set_milestones(
        actor=request.auth,
        task_id=task_id,
        steps=[Step(s.title, s.duration_days) for s in payload.steps],
        milestones=[m.dict() for m in payload.milestones],
    )
    return [_milestone(m) for m in created]


@router.post(
    "/tasks/{task_id}/milestones/{milestone_id}/done", response={200: MilestoneOut, **ERRORS}
)
def milestone_done(request: HttpRequest, task_id: int, milestone_id: int, payload: DoneIn):
    m = workflow.complete_milestone(
        actor=request.auth, task_id=task_id, milestone_id=milestone_id, done_on=payload.done_on
    )
    return _milestone(m)


@router.post("/tasks/{task_id}/complete", response={200: TaskOut, **ERRORS})
def complete_task(request: HttpRequest, task_id: int, payload: DoneIn):
    workflow.complete(
        actor=request.auth, task_id=task_id, done_on=payload.done_on, note=payload.note
    )
    return task_out(request.auth, queries.task_get(request.auth, task_id))


@router.post("/tasks/{task_id}/cancel", response={200: TaskOut, **ERRORS})
def cancel_task(request: HttpRequest, task_id: int, payload: TextIn):
    workflow.cancel(actor=request.auth, task_id=task_id, reason=payload.text)
    return task_out(request.auth, queries.task_get(request.auth, task_id))


@router.post("/tasks/{task_id}/explanation", response={200: TaskOut, **ERRORS})
def explain(request: HttpRequest, task_id: int, payload: TextIn):
    """情况说明 for a red light, to the leader in charge."""
    workflow.explain(actor=request.auth, task_id=task_id, text=payload.text)
    return task_out(request.auth, queries.task_get(request.auth, task_id))


@router.post("/tasks/{task_id}/actions/{action}", response={200: TaskOut, **ERRORS})
def task_action(request: HttpRequest, task_id: int, action: str, payload: TaskActionIn):
    """A task action whose input is a note or a reason, by its registry name (the others have
    their own path, named in the list below)."""
    if action not in TASKS:
        raise NotFound("task_action_unknown", _("No such action."), {"action": action})
    workflow.perform_task(
        actor=request.auth,
        task_id=task_id,
        action=action,
        note=payload.note,
        reason=payload.reason,
    )
    return task_out(request.auth, queries.task_get(request.auth, task_id))


@openapi.amend
def _describe_actions(schema: dict[str, Any]) -> None:
    """The task action path names the registry's plain actions (an enum on ``action``), and its
    description lists every supervision action (label, part, input shape), by registry."""
    op = openapi.operation(schema, "/tasks/{task_id}/actions/{action}", "post")
    if op is None:
        return
    plain = [a.name for a in TASKS.values() if a.input in TASKS.generic_inputs]
    for param in op.get("parameters", []):
        if param.get("name") == "action":
            param["schema"] = {**param.get("schema", {}), "enum": plain}
    base = (op.get("description") or "").split("\n\n任务的操作")[0]
    op["description"] = (
        f"{base}\n\n任务的操作：\n\n{TASKS.openapi_description()}"
        f"\n\n整改的操作：\n\n{RECTIFICATIONS.openapi_description()}"
        f"\n\n问责建议的操作：\n\n{ESCALATIONS.openapi_description()}"
        f"\n\n催办函的操作：\n\n{LETTERS.openapi_description()}"
    )


# --- inspections and findings ------------------------------------------------------------------


def _inspection_out(inspection) -> dict[str, Any]:
    findings = inspection.findings.select_related("unit", "task", "place", "rectification")
    return {
        "id": inspection.pk,
        "code": inspection.code,
        "kind": inspection.kind,
        "cadence": inspection.cadence,
        "on": inspection.on,
        "subject": inspection.subject,
        "team": inspection.team,
        "unit": ref(inspection.unit),
        "summary": inspection.summary,
        "findings": [_finding_out(f) for f in findings],
    }


@router.get("/inspections", response={200: list[InspectionOut], **ERRORS})
def list_inspections(
    request: HttpRequest,
    kind: str = "",
    since: date | None = None,
    limit: int = Limit(100, 500),
    offset: int = Offset,
):
    qs = queries.visible_inspections(request.auth).select_related("unit")
    if kind:
        qs = qs.filter(kind=kind)
    if since:
        qs = qs.filter(on__gte=since)
    return [_inspection_out(i) for i in qs[offset : offset + limit]]


@router.post("/inspections", response={201: InspectionOut, **ERRORS})
def create_inspection(request: HttpRequest, payload: InspectionIn):
    actor = request.auth
    tasks = list(queries.visible_tasks(actor).filter(pk__in=payload.task_ids))
    places = list(org_queries.visible_places(actor).filter(pk__in=payload.place_ids))
    units = list(org_queries.visible_units(actor).filter(pk__in=payload.unit_ids))
    if (
        len(tasks) != len(set(payload.task_ids))
        or len(places) != len(set(payload.place_ids))
        or len(units) != len(set(payload.unit_ids))
    ):
        raise NotFound("inspection_target_not_found", _("A task, place or unit was not found"))
    follows = queries.inspection_get(actor, payload.follows_id) if payload.follows_id else None
    inspection = services.create_inspection(
        actor=actor,
        code=payload.code,
        kind=payload.kind,
        cadence=payload.cadence,
        on=payload.on,
        subject=payload.subject,
        team=payload.team,
        unit=org_queries.unit_get(actor, unit_id=payload.unit_id),
        tasks=tasks,
        places=places,
        units=units,
        follows=follows,
        summary=payload.summary,
    )
    return Status(201, _inspection_out(inspection))


@router.get("/inspections/{inspection_id}", response={200: InspectionOut, **ERRORS})
def get_inspection(request: HttpRequest, inspection_id: int):
    return _inspection_out(queries.inspection_get(request.auth, inspection_id))


@router.post("/inspections/{inspection_id}/findings", response={201: FindingOut, **ERRORS})
def record_finding(request: HttpRequest, inspection_id: int, payload: FindingIn):
    actor = request.auth
    # The inspection first: a reader who is not its inspector is refused (403), whatever unit
    # or place the body names (not a 404 about a unit beyond the reader's sight).
    workflow.inspection_for_finding(actor, inspection_id)
    task = queries.task_get(actor, payload.task_id) if payload.task_id else None
    place = org_queries.place_get(actor, place_id=payload.place_id) if payload.place_id else None
    unit = org_queries.unit_get(actor, unit_id=payload.unit_id)
    finding = workflow.record_finding(
        actor=actor,
        inspection_id=inspection_id,
        kind=payload.kind,
        description=payload.description,
        unit=unit,
        mode=payload.mode,
        due=payload.due,
        plan=payload.plan,
        plan_steps=[(s.title, s.due) for s in payload.plan_steps],
        severity=payload.severity,
        is_problem=payload.is_problem,
        task=task,
        place=place,
        photo_ids=payload.photo_ids,
    )
    return Status(201, _finding_out(finding))


# --- rectifications and escalations ------------------------------------------------------------


@router.get("/rectifications", response={200: list[RectificationOut], **ERRORS})
def rectification_ledger(request: HttpRequest, unit_id: int | None = None):
    """整改台账: everything open, oldest first, with its age and days overdue."""
    rows = queries.ledger(request.auth, unit=unit_id)
    return [_rect_out(r.rectification, r.age_days, r.overdue_days) for r in rows]


@router.get("/rectifications/{rect_id}", response={200: RectificationOut, **ERRORS})
def get_rectification(request: HttpRequest, rect_id: int):
    return _rect_out(queries.rectification_get(request.auth, rect_id))


@router.post("/rectifications/{rect_id}/report", response={200: RectificationOut, **ERRORS})
def rectification_report(request: HttpRequest, rect_id: int, payload: RectificationReportIn):
    rect = workflow.submit_rectification(
        actor=request.auth,
        rectification_id=rect_id,
        report=payload.text,
        photo_ids=payload.photo_ids,
    )
    return _rect_out(queries.rectification_get(request.auth, rect.pk))


@router.post("/rectifications/{rect_id}/reinspect", response={200: RectificationOut, **ERRORS})
def reinspect(request: HttpRequest, rect_id: int, payload: ReinspectIn):
    rect = workflow.reinspect(
        actor=request.auth,
        rectification_id=rect_id,
        passed=payload.passed,
        note=payload.note,
        photo_ids=payload.photo_ids,
    )
    return _rect_out(queries.rectification_get(request.auth, rect.pk))


def _escalation_out(e: Escalation) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "state": e.state,
        "unit": ref(e.unit),
        "points": float(e.points) if e.points is not None else None,
        "reason": e.reason,
        "proposed_at": e.proposed_at,
        "decided_at": e.decided_at,
        "finding_id": e.finding_id,
    }


@router.get("/escalations", response={200: list[EscalationOut], **ERRORS})
def list_escalations(request: HttpRequest, state: str = "proposed"):
    qs = Escalation.objects.filter(
        finding__in=queries.visible_findings(request.auth)
    ).select_related("unit")
    if state:
        qs = qs.filter(state=state)
    return [_escalation_out(e) for e in qs]


@router.post("/escalations/{escalation_id}/decide", response={200: EscalationOut, **ERRORS})
def decide_escalation(request: HttpRequest, escalation_id: int, payload: EscalationDecideIn):
    e = workflow.decide_escalation(
        actor=request.auth, escalation_id=escalation_id, confirm=payload.confirm, note=payload.note
    )
    return _escalation_out(e)


# --- urging letters ----------------------------------------------------------------------------


@router.get("/urging-letters", response={200: list[LetterOut], **ERRORS})
def list_letters(request: HttpRequest, state: str = "", year: int | None = None):
    qs = queries.visible_letters(request.auth)
    if state:
        qs = qs.filter(state=state)
    if year:
        qs = qs.filter(year=year)
    return [letter_out(x) for x in qs]


def _parse_items(items: list[str] | None) -> list[tuple[str, int]] | None:
    if items is None:
        return None
    parsed = []
    for item in items:
        kind, _sep, pk = item.partition(":")
        if kind not in ("task", "rectification") or not pk.isdigit():
            raise InvalidInput("letter_item_invalid", _("Bad item: %(item)s") % {"item": item})
        parsed.append((kind, int(pk)))
    return parsed


@router.post("/urging-letters", response={201: LetterOut, **ERRORS})
def issue_letter(request: HttpRequest, payload: LetterIn):
    """A numbered letter listing the addressee's overdue items (all, or those named)."""
    actor = request.auth
    letter = workflow.issue_letter(
        actor=actor,
        issuer=org_queries.unit_get(actor, unit_id=payload.issuer_id),
        addressee=org_queries.unit_get(actor, unit_id=payload.addressee_id),
        answer_due=payload.answer_due,
        subject=payload.subject,
        only=_parse_items(payload.items),
    )
    return Status(201, letter_out(queries.letter_get(actor, letter.pk)))


@router.get("/urging-letters/{letter_id}", response={200: LetterOut, **ERRORS})
def get_letter(request: HttpRequest, letter_id: int):
    return letter_out(queries.letter_get(request.auth, letter_id))


@router.get(
    "/urging-letters/{letter_id}/docx",
    response={200: None, **ERRORS},
    url_name="letter_docx",
    openapi_extra={
        # 200 as an int, the key ninja itself uses: a "200" string would be a second key
        # "200" in openapi.json, which Swagger UI refuses (duplicated mapping key).
        "responses": {
            200: {
                "description": "the letter as Word / 催办函 Word 文档",
                "content": {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}
                },
            }
        }
    },
)
def letter_docx(request: HttpRequest, letter_id: int):
    from cityloop.supervision import documents

    letter = queries.letter_get(request.auth, letter_id)
    return attachment(
        documents.letter_docx(letter),
        documents.DOCX_TYPE,
        documents.letter_filename(letter, "docx"),
    )


@router.get(
    "/urging-letters/{letter_id}/pdf",
    response={200: None, **ERRORS},
    url_name="letter_pdf",
    openapi_extra={
        # 200 as an int, the key ninja itself uses: a "200" string would be a second key
        # "200" in openapi.json, which Swagger UI refuses (duplicated mapping key).
        "responses": {
            200: {
                "description": "the letter as PDF / 催办函 PDF",
                "content": {"application/pdf": {}},
            }
        }
    },
)
def letter_pdf(request: HttpRequest, letter_id: int):
    from cityloop.supervision import documents

    letter = queries.letter_get(request.auth, letter_id)
    return attachment(
        documents.letter_pdf(letter), "application/pdf", documents.letter_filename(letter, "pdf")
    )


@router.post("/urging-letters/{letter_id}/receive", response={200: LetterOut, **ERRORS})
def receive_letter(request: HttpRequest, letter_id: int):
    workflow.receive_letter(actor=request.auth, letter_id=letter_id)
    return letter_out(queries.letter_get(request.auth, letter_id))


@router.post("/urging-letters/{letter_id}/answer", response={200: LetterOut, **ERRORS})
def answer_letter(request: HttpRequest, letter_id: int, payload: TextIn):
    workflow.answer_letter(actor=request.auth, letter_id=letter_id, answer=payload.text)
    return letter_out(queries.letter_get(request.auth, letter_id))
