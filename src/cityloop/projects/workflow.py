"""Every state change of a project, each with its event in the same transaction.

Quantities reported (they add to a work item's done, the project's progress follows and, for
a project linked to a supervision task, so does the task's progress — through supervision's
own ``report_progress``, so the figure is never typed twice); stages moved; inspections
opened and findings recorded through supervision's chain; acceptance rounds, where a failed
round's open points become findings with a time limit and the next round re-inspects them.
A project with an acceptance stage is complete only after a passed acceptance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core import photos as core_photos
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from cityloop.core.notify import Message, notify
from cityloop.core.roles import UNIT_STAFF
from cityloop.org.models import Place, Unit
from cityloop.org.queries import unit_staff
from cityloop.projects import queries, rules
from cityloop.projects.actions import PROJECTS
from cityloop.projects.models import (
    Acceptance,
    Project,
    ProjectEvent,
    ProjectInspection,
    QuantityReport,
    WorkItem,
)
from cityloop.supervision import queries as sv_queries
from cityloop.supervision import rules as sv_rules
from cityloop.supervision import services as sv_services
from cityloop.supervision import workflow as sv_workflow
from cityloop.supervision.models import Finding, Inspection, Rectification, Task

TEXT_MAX = 4000
ACCEPTANCE_FINDING_KIND = "验收问题"


def _event(actor, project: Project, verb: str, **fields: Any) -> ProjectEvent:
    entry = PROJECTS.by_verb(verb)
    if entry is not None and hasattr(project, "locked_state"):
        # A bug, not bad input, when the function left the project where its entry says it
        # cannot (the transaction rolls back).
        PROJECTS.check_move(entry.name, project.locked_state, project.state, project.pk)
    return events.record(ProjectEvent, actor=actor, verb=verb, project=project, **fields)


def _locked(actor, project_id: int) -> Project:
    project = (
        queries.visible_projects(actor)
        .select_for_update(of=("self",))
        .select_related("type", "responsible_unit", "supervising_unit", "task")
        .order_by()
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise NotFound("project_not_found", _("Project not found"))
    project.locked_state = project.state  # what the registry measures the event against
    return project


def _require_active(project: Project) -> None:
    if project.state != Project.State.ACTIVE:
        raise InvalidTransition(
            "project_not_active",
            _("The project is %(state)s; it takes no more changes.")
            % {"state": project.get_state_display()},
            {"state": project.state},
        )


def _require_state(project: Project, action: str) -> None:
    """The project is in a state ``action``'s entry may be taken from (every entry names the
    one state "in progress", so the refusal is :func:`_require_active`'s)."""
    if project.state not in PROJECTS[action].sources:
        raise InvalidTransition(
            "project_not_active",
            _("The project is %(state)s; it takes no more changes.")
            % {"state": project.get_state_display()},
            {"state": project.state, "action": action},
        )


def _require_manager(actor, project: Project) -> None:
    if not rules.manages(actor, project):
        raise Forbidden("project_not_manager", _("Only the project's managers may do this."))


def _refresh_progress(project: Project) -> Decimal:
    project.progress = Decimal(str(queries.derived_progress(project)))
    project.save(update_fields=["progress"])
    return project.progress


def _push_to_task(actor, project: Project, on: date, text: str) -> None:
    """The linked task's progress is the project's: reported through supervision's workflow
    (which also re-lights the task). A finished or cancelled task takes no more reports."""
    if project.task_id is None:
        return
    task = Task.objects.filter(pk=project.task_id).first()
    if task is None or task.state != Task.State.ACTIVE:
        return
    if task.last_report_on and on < task.last_report_on:
        on = task.last_report_on  # a back-dated quantity still moves today's figure
    sv_workflow.report_progress(
        actor=actor, task_id=task.pk, text=text, percent=project.progress, on=on
    )


# --- quantities ------------------------------------------------------------------------------


def report_quantity(
    *,
    actor,
    item_id: int,
    quantity: Any,
    on: date | None = None,
    note: str = "",
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
    project_id: int | None = None,
) -> QuantityReport:
    """A quantity done on a day for one work item; it adds to the item's done, and the
    project's (and its task's) progress follows. A negative quantity corrects an earlier one.
    ``project_id``: the project the caller named (page, API path); an item of another
    project is not found. ``photo_ids``: the caller's uploads, claimed in this transaction
    (a refused report keeps them unused)."""
    today = clock.today()
    on = on or today
    if on > today:
        raise InvalidInput("quantity_in_future", _("A report cannot be dated in the future."))
    try:
        qty = Decimal(str(quantity))
    except Exception:
        raise InvalidInput(
            "quantity_invalid", _("Not a number: %(value)s") % {"value": quantity}
        ) from None
    if not qty.is_finite() or qty == 0:
        raise InvalidInput("quantity_invalid", _("Give the quantity done (not zero)."))
    if len(note) > TEXT_MAX:
        raise InvalidInput("text_too_long", _("The text is too long."))
    item = WorkItem.objects.filter(pk=item_id).only("project_id").first()
    if item is None or (project_id is not None and item.project_id != project_id):
        raise NotFound("work_item_not_found", _("Work item not found"))
    with transaction.atomic():
        project = _locked(actor, item.project_id)
        if not rules.reports(actor, project):
            raise Forbidden(
                "project_not_responsible", _("Only the project's units report quantities.")
            )
        _require_state(project, "report")
        item = WorkItem.objects.select_for_update().get(pk=item_id)
        if item.done + qty < 0:
            raise InvalidInput(
                "quantity_below_zero",
                _("The correction would make the done quantity negative."),
                {"done": str(item.done)},
            )
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        report = QuantityReport.objects.create(
            item=item,
            on=on,
            at=clock.now(),
            quantity=qty,
            note=note.strip(),
            photos=list(photos),
            reporter=actor if getattr(actor, "pk", None) else None,
            reporter_label=events.actor_label(actor),
        )
        item.done += qty
        item.save(update_fields=["done"])
        before = project.progress
        _refresh_progress(project)
        if project.last_report_on is None or on > project.last_report_on:
            project.last_report_on = on
            project.save(update_fields=["last_report_on"])
        text = _("%(item)s %(qty)s %(uom)s; project progress %(pct)s%%") % {
            "item": item.name,
            "qty": f"{qty:+}".rstrip("0").rstrip("."),
            "uom": item.unit_of_measure,
            "pct": project.progress,
        }
        _event(
            actor,
            project,
            "quantity",
            note=note.strip() or text,
            data={
                "item": item.pk,
                "quantity": str(qty),
                "done": str(item.done),
                "on": on.isoformat(),
                "progress": [str(before), str(project.progress)],
            },
            attachments=list(photos),
        )
        _push_to_task(actor, project, on, text)
    return report


# --- stages ------------------------------------------------------------------------------------


def advance(*, actor, project_id: int, to_stage: str, note: str = "") -> Project:
    """Move a project one stage on. Works reach acceptance only with every weighted item done;
    they leave acceptance only through a passed acceptance (:func:`record_acceptance`)."""
    with transaction.atomic():
        project = _locked(actor, project_id)
        _require_manager(actor, project)
        _require_state(project, "advance")
        ptype = project.type
        codes = ptype.stage_codes
        here = codes.index(project.stage) if project.stage in codes else -1
        if to_stage not in codes or here + 1 >= len(codes) or codes[here + 1] != to_stage:
            raise InvalidTransition(
                "project_bad_stage",
                _("The next stage of this project is not %(stage)s.") % {"stage": to_stage},
                {"stage": project.stage, "to": to_stage},
            )
        if ptype.acceptance_stage and project.stage == ptype.acceptance_stage:
            raise InvalidTransition(
                "acceptance_required", _("A project is complete only after a passed acceptance.")
            )
        if ptype.acceptance_stage and to_stage == ptype.acceptance_stage:
            share = queries.weighted_share(project.items.values_list("planned", "done", "weight"))
            if share is not None and share < 100:
                raise InvalidTransition(
                    "project_items_not_done",
                    _("Acceptance comes after the works: the work items are %(pct)s%% done.")
                    % {"pct": share},
                    {"progress": share},
                )
        before = project.stage
        project.stage = to_stage
        fields = ["stage"]
        if to_stage == ptype.final_stage:
            PROJECTS.move(project, "advance", Project.State.COMPLETE)
            project.completed_on = clock.today()
            fields += ["state", "completed_on"]
        project.save(update_fields=fields)
        _refresh_progress(project)
        _event(actor, project, "stage", from_state=before, to_state=to_stage, note=note)
        if not project.items.exists():  # a stage-driven project: its stage is its progress
            _push_to_task(
                actor,
                project,
                clock.today(),
                _("Stage: %(stage)s") % {"stage": ptype.stage_name(to_stage)},
            )
    return project


def cancel(*, actor, project_id: int, reason: str) -> Project:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("project_cancel_reason", _("Say why the project is cancelled."))
    with transaction.atomic():
        project = _locked(actor, project_id)
        _require_manager(actor, project)
        _require_state(project, "cancel")
        old = PROJECTS.move(project, "cancel")
        project.save(update_fields=["state"])
        _event(actor, project, "cancel", from_state=old, to_state=project.state, note=reason)
    return project


def link_task(*, actor, project_id: int, task_id: int) -> Project:
    """From now on the task's progress is this project's: the current figure is reported at
    once, and every quantity report after it."""
    with transaction.atomic():
        project = _locked(actor, project_id)
        _require_manager(actor, project)
        _require_state(project, "link_task")
        task = (
            sv_queries.visible_tasks(actor)
            .filter(pk=task_id)
            .select_related("responsible_unit")
            .first()
        )
        if task is None:
            raise NotFound("task_not_found", _("Task not found"))
        if task.state != Task.State.ACTIVE:
            raise InvalidTransition("task_not_active", _("The task takes no more reports."))
        if not sv_rules.reports_for(actor, task.responsible_unit):
            raise Forbidden("task_not_responsible", _("You may not report on this task."))
        # The project's reporters must be able to report on the task too.
        if not task.responsible_unit.path.startswith(project.responsible_unit.path):
            raise InvalidInput(
                "task_other_unit",
                _("The task belongs to another unit than the project's responsible unit."),
            )
        if Project.objects.filter(task=task).exclude(pk=project.pk).exists():
            raise Conflict("task_already_linked", _("The task is already driven by a project."))
        project.task = task
        project.save(update_fields=["task"])
        _event(actor, project, "link_task", note=task.code, data={"task": task.pk})
        _push_to_task(
            actor,
            project,
            clock.today(),
            _("Progress from project %(code)s: %(pct)s%%")
            % {"code": project.code, "pct": project.progress},
        )
    return project


# --- inspections during works --------------------------------------------------------------


def open_inspection(
    *,
    actor,
    project_id: int,
    kind: str,
    office: Unit,
    on: date,
    team: str,
    summary: str = "",
) -> ProjectInspection:
    """A quality or safety inspection of the works by an office (应急办, 生态办, 区域办 …),
    recorded as a supervision inspection so its findings run through supervision's chain."""
    if kind not in ProjectInspection.Kind.values:
        raise InvalidInput("project_inspection_kind_invalid", _("Quality or safety?"))
    with transaction.atomic():
        project = _locked(actor, project_id)
        _require_manager(actor, project)
        _require_state(project, "inspect")
        n = ProjectInspection.objects.filter(project=project).count() + 1
        label = ProjectInspection.Kind(kind).label
        inspection = sv_services.create_inspection(
            actor=actor,
            code=f"{project.code}-JC{n:02d}",
            kind=Inspection.Kind.SPECIAL,
            on=on,
            subject=f"{project.name}·{label}",
            team=team,
            unit=office,
            places=list(project.places.all()),
            units=[project.responsible_unit],
            summary=summary,
            is_demo=project.is_demo,
        )
        link = ProjectInspection.objects.create(project=project, inspection=inspection, kind=kind)
        _event(
            actor,
            project,
            "inspection",
            note=inspection.subject,
            data={"inspection": inspection.pk, "kind": kind, "office": office.name},
        )
    return link


def record_finding(
    *,
    actor,
    project_inspection_id: int,
    kind: str,
    description: str,
    due: date | None,
    mode: str = Rectification.Mode.DEADLINE,
    place: Place | None = None,
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> Finding:
    """A problem a project inspection found: a supervision finding with its rectification,
    against the project's responsible unit (and its task, when linked)."""
    link = (
        ProjectInspection.objects.filter(
            pk=project_inspection_id, project__in=queries.visible_projects(actor)
        )
        .select_related("project__responsible_unit", "inspection")
        .first()
    )
    if link is None:
        raise NotFound("project_inspection_not_found", _("Inspection not found"))
    with transaction.atomic():
        project = _locked(actor, link.project_id)
        _require_state(project, "inspect")
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        finding = sv_workflow.record_finding(
            actor=actor,
            inspection_id=link.inspection_id,
            kind=kind,
            description=description,
            unit=project.responsible_unit,
            mode=mode,
            due=due,
            task=project.task if project.task_id else None,
            place=place or project.places.first(),
            photos=photos,
        )
        _event(
            actor,
            project,
            "finding",
            note=description,
            data={"finding": finding.pk, "inspection": link.inspection.code, "kind": kind},
            attachments=list(photos),
        )
    return finding


# --- acceptance ------------------------------------------------------------------------------


@dataclass
class OpenPoint:
    text: str
    due: date


def _checks(project: Project, checks: Sequence[dict] | None) -> list[dict]:
    """The checklist as ticked: every item of the type's list, each ok or not, with a note."""
    given = {str(c.get("item", "")).strip(): c for c in (checks or [])}
    unknown = set(given) - set(project.type.checklist)
    if unknown:
        raise InvalidInput(
            "acceptance_check_unknown",
            _("Not on this type's checklist: %(items)s") % {"items": "、".join(sorted(unknown))},
        )
    return [
        {
            "item": item,
            "ok": bool(given.get(item, {}).get("ok", False)),
            "note": str(given.get(item, {}).get("note", "")).strip()[:300],
        }
        for item in project.type.checklist
    ]


def _open_points(*, on: date, passed: bool, open_points: Sequence[OpenPoint]) -> list[OpenPoint]:
    """The round's date and open points, checked before anything is locked."""
    today = clock.today()
    if on > today:
        raise InvalidInput(
            "acceptance_in_future", _("An acceptance cannot be dated in the future.")
        )
    points = [OpenPoint((p.text or "").strip(), p.due) for p in open_points]
    if passed and points:
        raise InvalidInput(
            "acceptance_passed_with_points", _("A passed acceptance leaves no open points.")
        )
    for p in points:
        if not p.text or len(p.text) > TEXT_MAX:
            raise InvalidInput("acceptance_point_invalid", _("Describe every open point."))
        if p.due is None or p.due < today:
            raise InvalidInput(
                "rectification_due_past", _("Give every open point a time limit from today on.")
            )
    return points


def _require_acceptance_stage(project: Project) -> None:
    ptype = project.type
    if not ptype.acceptance_stage:
        raise InvalidTransition(
            "acceptance_not_applicable", _("Projects of this type have no acceptance.")
        )
    if project.stage != ptype.acceptance_stage:
        raise InvalidTransition(
            "project_bad_stage",
            _("Acceptance takes place at the %(stage)s stage.")
            % {"stage": ptype.stage_name(ptype.acceptance_stage)},
            {"stage": project.stage},
        )


def _acceptance_findings(
    actor, acceptance: Acceptance, points: list[OpenPoint], *, acceptor, units: Sequence[Unit]
) -> None:
    """A failed round's open points: an inspection by the accepting unit, one finding to
    rectify by its time limit per point."""
    project, round_no = acceptance.project, acceptance.round
    inspection = sv_services.create_inspection(
        actor=actor,
        code=f"{project.code}-YS{round_no:02d}",
        kind=Inspection.Kind.SPECIAL,
        on=acceptance.on,
        subject=f"{project.name}·{_('acceptance round %(n)d') % {'n': round_no}}",
        team=_("Acceptance group"),
        unit=acceptor,
        places=list(project.places.all()),
        units=[project.responsible_unit, *units],
        summary=acceptance.note,
        is_demo=project.is_demo,
    )
    acceptance.inspection = inspection
    acceptance.save(update_fields=["inspection"])
    for p in points:
        sv_workflow.record_finding(
            actor=actor,
            inspection_id=inspection.pk,
            kind=ACCEPTANCE_FINDING_KIND,
            description=p.text,
            unit=project.responsible_unit,
            mode=Rectification.Mode.DEADLINE,
            due=p.due,
            task=project.task if project.task_id else None,
            place=project.places.first(),
        )


def record_acceptance(
    *,
    actor,
    project_id: int,
    on: date,
    passed: bool,
    units: Sequence[Unit] = (),
    checks: Sequence[dict] | None = None,
    open_points: Sequence[OpenPoint] = (),
    note: str = "",
) -> Acceptance:
    """One acceptance round. The rectifications of earlier failed rounds must all be reported
    done first; this round re-inspects them (passed closes them, failed sends them back).
    Failed: the open points become findings to rectify by their time limits. Passed: the
    project moves to its last stage and is complete."""
    points = _open_points(on=on, passed=passed, open_points=open_points)
    with transaction.atomic():
        project = _locked(actor, project_id)
        _require_manager(actor, project)
        _require_state(project, "accept")
        ptype = project.type
        _require_acceptance_stage(project)
        pending = list(queries.pending_rectifications(project).select_related("finding"))
        still_open = [r for r in pending if r.state == Rectification.State.OPEN]
        if still_open:
            raise InvalidTransition(
                "acceptance_rectification_open",
                _("%(n)d open points from the last acceptance are not reported rectified yet.")
                % {"n": len(still_open)},
                {"rectifications": [r.pk for r in still_open]},
            )
        ticked = _checks(project, checks)
        if passed and not all(c["ok"] for c in ticked):
            raise InvalidInput(
                "acceptance_checks_failed", _("A passed acceptance has every check ticked.")
            )
        if not passed and not points and not pending:
            raise InvalidInput(
                "acceptance_points_required", _("A failed acceptance names its open points.")
            )
        acceptor = (
            project.supervising_unit
            if rules.can_manage_unit(actor, project.supervising_unit)
            else project.responsible_unit
        )
        round_no = project.acceptances.count() + 1
        acceptance = Acceptance.objects.create(
            project=project,
            round=round_no,
            on=on,
            result=Acceptance.Result.PASSED if passed else Acceptance.Result.FAILED,
            checks=ticked,
            open_points=[{"text": p.text, "due": p.due.isoformat()} for p in points],
            note=note.strip(),
            at=clock.now(),
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        acceptance.units.set(list(units))
        for rect in pending:  # this round is the re-inspection of the last round's points
            sv_workflow.reinspect(
                actor=actor,
                rectification_id=rect.pk,
                passed=passed,
                note=note.strip() or _("Still open at acceptance round %(n)d") % {"n": round_no},
            )
        if points:
            _acceptance_findings(actor, acceptance, points, acceptor=acceptor, units=units)
        before = project.stage
        if passed:
            project.stage = ptype.final_stage
            PROJECTS.move(project, "accept", Project.State.COMPLETE)
            project.completed_on = on
            project.save(update_fields=["stage", "state", "completed_on"])
            _refresh_progress(project)
        _event(
            actor,
            project,
            "acceptance",
            from_state=before,
            to_state=project.stage,
            note=note.strip() or "；".join(p.text for p in points),
            data={
                "acceptance": acceptance.pk,
                "round": round_no,
                "result": acceptance.result,
                "open_points": len(points),
                "reinspected": [r.pk for r in pending],
            },
        )
        if not passed:
            recipients = unit_staff(project.responsible_unit, UNIT_STAFF)
            notify(
                recipients=recipients,
                message=Message(
                    verb="acceptance_failed",
                    title=_("Acceptance of %(name)s failed: rectify the open points")
                    % {"name": project.name},
                    link=f"/projects/{project.pk}/",
                    data={"project": project.pk, "round": round_no},
                ),
            )
    return acceptance


def submit_rectification(
    *,
    actor,
    project_id: int,
    rectification_id: int,
    report: str,
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> Rectification:
    """The responsible unit reports an open point put right: supervision's own step, for a
    rectification that belongs to this project."""
    project = queries.project_get(actor, project_id)
    belongs = Rectification.objects.filter(pk=rectification_id).filter(
        finding__in=queries._finding_ids(project)
    )
    if not belongs.exists():
        raise NotFound("rectification_not_found", _("Rectification not found"))
    with transaction.atomic():
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        rect = sv_workflow.submit_rectification(
            actor=actor, rectification_id=rectification_id, report=report, photos=photos
        )
        _event(
            actor,
            project,
            "rectified",
            note=report.strip(),
            data={"rectification": rect.pk},
            attachments=list(photos),
        )
    return rect
