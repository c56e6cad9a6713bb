"""Creating project records: the seeded types and request kinds, projects, their work items,
their backward schedule, opinion gatherings and design-list items.

Creation is not a state change of an existing record, so it lives here; each function still
checks scope and role and leaves an event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cityloop.core import clock, edits, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from cityloop.org import queries as org_queries
from cityloop.org.models import Person, Place, Unit, Zone
from cityloop.projects import queries, rules, workflow
from cityloop.projects.models import (
    DesignItem,
    Opinion,
    Project,
    ProjectEvent,
    ProjectMilestone,
    ProjectType,
    RequestKind,
    ResidentRequest,
    WorkItem,
)
from cityloop.supervision.scheduling import Step, schedule_backward

RENOVATION_STAGES = [
    {"code": "opinion", "name": "征求意见"},
    {"code": "design", "name": "方案设计"},
    {"code": "construction", "name": "施工"},
    {"code": "acceptance", "name": "竣工验收"},
    {"code": "handed_over", "name": "移交"},
]
WORKS_STAGES = RENOVATION_STAGES[1:]
INVESTMENT_STAGES = [
    {"code": "contact", "name": "接洽"},
    {"code": "negotiation", "name": "在谈"},
    {"code": "signed", "name": "签约"},
    {"code": "landed", "name": "落地"},
]
COMMON_CHECKS = ["工程量与清单相符", "施工质量符合规范", "安全文明施工、场地清理完毕", "资料齐全"]
# (code, name, stages, acceptance stage, checklist): seeded by migration, editable in admin.
TYPES: tuple[tuple[str, str, list, str, list], ...] = (
    (
        "old_compound",
        "老旧小区改造",
        RENOVATION_STAGES,
        "acceptance",
        [*COMMON_CHECKS, "居民代表参与验收并签字", "管网、照明、安防设施运行正常"],
    ),
    ("road", "道路提升改造", WORKS_STAGES, "acceptance", [*COMMON_CHECKS, "路面平整、标线完整"]),
    ("bridge", "立交桥涂装", WORKS_STAGES, "acceptance", [*COMMON_CHECKS, "涂层均匀无漏涂"]),
    ("key_node", "重要节点提升", WORKS_STAGES, "acceptance", COMMON_CHECKS),
    ("pocket_park", "口袋公园", WORKS_STAGES, "acceptance", [*COMMON_CHECKS, "绿化成活率达标"]),
    ("drainage", "雨污分流改造", WORKS_STAGES, "acceptance", [*COMMON_CHECKS, "闭水试验合格"]),
    ("greening", "绿化提升", WORKS_STAGES, "acceptance", [*COMMON_CHECKS, "苗木成活率达标"]),
    ("investment", "招商引资", INVESTMENT_STAGES, "", []),
)
REQUEST_KINDS = (
    ("parking", "停车"),
    ("greening", "绿化"),
    ("lighting", "照明"),
    ("pipes", "管网"),
    ("facade", "外墙与屋面"),
    ("security", "安防"),
    ("ageing", "适老化"),
    ("paving", "路面"),
    ("other", "其他"),
)


def seed(type_model=ProjectType, kind_model=RequestKind) -> None:
    """Idempotent; also called by the migration with its historical models."""
    for i, (code, name, stages, acceptance, checklist) in enumerate(TYPES):
        type_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "stages": stages,
                "acceptance_stage": acceptance,
                "checklist": checklist,
                "order": i,
            },
        )
    for i, (code, name) in enumerate(REQUEST_KINDS):
        kind_model.objects.get_or_create(code=code, defaults={"name": name, "order": i})


def _event(actor, project: Project, verb: str, **fields: Any) -> ProjectEvent:
    return events.record(ProjectEvent, actor=actor, verb=verb, project=project, **fields)


def decimal_of(value: Any, code: str, *, positive: bool = False, allow_none: bool = True):
    """A finite decimal from user input, or a 422 with ``code``."""
    if value in (None, ""):
        if allow_none:
            return None
        raise InvalidInput(code, _("A number is required."))
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(code, _("Not a number: %(value)s") % {"value": value}) from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise InvalidInput(code, _("Out of range: %(value)s") % {"value": value})
    return number


@dataclass
class ItemInput:
    name: str
    unit_of_measure: str
    planned: Any
    weight: Any = 1
    row: int | None = None  # the caller's row number, for the message; default: its position


@dataclass
class ProjectInput:
    code: str
    name: str
    type: str
    responsible_unit: str
    start: date
    deadline: date
    supervising_unit: str = ""
    places: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    budget: Any = None
    area: Any = None
    contractor: str = ""
    enterprise: str = ""
    leader: str = ""  # person code
    coordinator: str = ""
    stage: str = ""  # default: the type's first stage
    description: str = ""
    items: list[ItemInput] = field(default_factory=list)
    task_id: int | None = None  # a supervision task the project then drives (link_task)
    is_demo: bool = False


def _by_code(model, code: str, error: str, message: str, visible=None):
    """The row with ``code``; one outside ``visible`` (the actor's scope) is unknown too."""
    qs = model.objects.all() if visible is None else visible
    obj = qs.filter(code=code).first() if code else None
    if code and obj is None:
        raise InvalidInput(error, message, {"code": code})
    return obj


def check_item(item: ItemInput) -> tuple[str, str, Decimal, Decimal]:
    name = (item.name or "").strip()
    uom = (item.unit_of_measure or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(
            "work_item_name_invalid", _("A work item's name has 1 to 100 characters.")
        )
    if not uom or len(uom) > 20:
        raise InvalidInput(
            "work_item_unit_invalid", _("Give the work item's unit of measure (个, 米, 平方米 …).")
        )
    planned = decimal_of(item.planned, "work_item_planned_invalid", positive=True, allow_none=False)
    weight = decimal_of(item.weight if item.weight is not None else 1, "work_item_weight_invalid")
    return name, uom, planned, weight


def _visible(actor, model):
    """The actor's scope of units or places; the system itself (``None``) sees everything."""
    if actor is None:
        return None
    return (org_queries.visible_units if model is Unit else org_queries.visible_places)(actor)


def _checked_items(items: Sequence[ItemInput]) -> list[tuple[str, str, Decimal, Decimal]]:
    """Every work item checked, a refusal naming its row (the caller's or its position)."""
    out: list[tuple[str, str, Decimal, Decimal]] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        row = item.row or n
        try:
            checked = check_item(item)
            if checked[0] in seen:
                raise InvalidInput("work_item_duplicate", _("Two work items have the same name."))
        except InvalidInput as exc:
            raise InvalidInput(
                exc.code,
                _("Work item row %(row)d: %(message)s") % {"row": row, "message": exc.message},
                {**exc.detail, "row": row},
            ) from None
        seen.add(checked[0])
        out.append(checked)
    return out


EDITABLE = (
    "name",
    "places",
    "responsible_unit",
    "supervising_unit",
    "start",
    "deadline",
    "budget",
)


def _validated(actor, data: ProjectInput) -> dict[str, Any]:
    """The checks a project's editable fields pass on creation and on every edit, written
    once: those fields of ``data`` resolved, within the actor's scope, to stored values."""
    name = data.name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("project_name_invalid", _("A project name has 1 to 200 characters."))
    if data.deadline < data.start:
        raise InvalidInput("project_dates_invalid", _("The deadline is before the start."))
    units = _visible(actor, Unit)
    unit = _by_code(Unit, data.responsible_unit, "unit_unknown", _("Unknown unit."), units)
    if unit is None:
        raise InvalidInput("project_unit_required", _("Give the responsible unit."))
    in_scope = _visible(actor, Place)
    return {
        "name": name,
        "places": [
            _by_code(Place, c, "place_unknown", _("Unknown place."), in_scope) for c in data.places
        ],
        "responsible_unit": unit,
        "supervising_unit": _by_code(
            Unit, data.supervising_unit, "unit_unknown", _("Unknown unit."), units
        ),
        "start": data.start,
        "deadline": data.deadline,
        "budget": decimal_of(data.budget, "project_budget_invalid"),
    }


def create_project(*, actor, data: ProjectInput) -> Project:
    """A new project (with its work items, if given, and the task it drives); the actor must
    manage its responsible or supervising unit, and its units and places are in scope."""
    code = data.code.strip()
    if not code or len(code) > 40:
        raise InvalidInput("project_code_invalid", _("A project code has 1 to 40 characters."))
    values = _validated(actor, data)
    ptype = _by_code(ProjectType, data.type, "project_type_unknown", _("Unknown project type."))
    if ptype is None:
        raise InvalidInput("project_type_required", _("Give the project's type."))
    stage = data.stage or (ptype.stage_codes[0] if ptype.stages else "")
    if stage not in ptype.stage_codes:
        raise InvalidInput(
            "project_stage_unknown",
            _("Unknown stage %(stage)s for %(type)s.") % {"stage": stage, "type": ptype.name},
            {"stages": ptype.stage_codes},
        )
    if ptype.acceptance_stage and stage == ptype.final_stage:
        raise InvalidInput(
            "acceptance_required", _("A project is complete only after a passed acceptance.")
        )
    places = values.pop("places")
    leader = _by_code(Person, data.leader, "person_unknown", _("Unknown person."))
    coordinator = _by_code(Person, data.coordinator, "person_unknown", _("Unknown person."))
    zones = [_by_code(Zone, c, "zone_unknown", _("Unknown zone.")) for c in data.zones]
    area = decimal_of(data.area, "project_area_invalid")
    items = _checked_items(data.items)
    if not rules.can_set_up(actor, values["responsible_unit"], values["supervising_unit"]):
        raise Forbidden("project_not_manager", _("You may not set up projects for this unit."))
    try:
        with transaction.atomic():
            project = Project.objects.create(
                code=code,
                type=ptype,
                stage=stage,
                area=area,
                contractor=data.contractor.strip()[:100],
                enterprise=data.enterprise.strip()[:100],
                leader=leader,
                coordinator=coordinator,
                description=data.description.strip(),
                created_at=clock.now(),
                is_demo=data.is_demo,
                **values,
            )
            project.places.set(places)
            project.zones.set(zones)
            for i, (iname, uom, planned, weight) in enumerate(items):
                WorkItem.objects.create(
                    project=project,
                    order=i,
                    name=iname,
                    unit_of_measure=uom,
                    planned=planned,
                    weight=weight,
                )
            project.progress = Decimal(str(queries.derived_progress(project)))
            project.save(update_fields=["progress"])
            _event(actor, project, "create", to_state=stage, data={"code": code})
            if data.task_id is not None:
                workflow.link_task(actor=actor, project_id=project.pk, task_id=data.task_id)
    except IntegrityError:
        raise Conflict(
            "project_code_taken", _("A project with this code exists."), {"code": code}
        ) from None
    return project


def _project_input(project: Project) -> ProjectInput:
    """The project's editable fields as it stands, in the form :func:`create_project` takes."""
    return ProjectInput(
        code=project.code,
        name=project.name,
        type=project.type.code,
        responsible_unit=project.responsible_unit.code,
        supervising_unit=project.supervising_unit.code if project.supervising_unit_id else "",
        places=[p.code for p in project.places.order_by("path")],
        start=project.start,
        deadline=project.deadline,
        budget=project.budget,
    )


def _shown(field: str, value: Any) -> tuple[Any, str]:
    """(what is compared, what the history shows) for one field's value: the budget to the
    fen, the rest as :func:`cityloop.core.edits.shown` shows it."""
    if field == "budget" and value is not None:
        number = Decimal(str(value)).quantize(Decimal("0.01")).normalize()
        return number, f"{number:f}"
    return edits.shown(field, value)


def update_project(*, actor, project_id: int, data: dict[str, Any], note: str = "") -> bool:
    """修改项目信息: change an active project's name, places, units, dates or budget under the
    checks :func:`create_project` makes; one "edit" event lists each changed field as
    ``[old, new]`` in words. Nothing changed: nothing written. Says whether anything changed."""
    note = (note or "").strip()
    if len(note) > workflow.TEXT_MAX:
        raise InvalidInput(
            "text_too_long",
            _("The text is too long (at most %(limit)d characters).")
            % {"limit": workflow.TEXT_MAX},
        )
    fixed = sorted(set(data) - set(EDITABLE))
    if fixed:
        raise InvalidInput(
            "project_field_not_editable",
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(fixed)},
            {"fields": fixed},
        )
    with transaction.atomic():
        project = _managed(actor, project_id)
        if not rules.edits(actor, project):
            raise Forbidden("project_not_manager", _("Only the project's managers may do this."))
        workflow._require_active(project)
        values = _validated(actor, replace(_project_input(project), **data))
        if not rules.can_set_up(actor, values["responsible_unit"], values["supervising_unit"]):
            raise Forbidden("project_not_manager", _("You may not set up projects for this unit."))
        before = {
            f: list(project.places.all()) if f == "places" else getattr(project, f)
            for f in EDITABLE
        }
        changed = edits.diff(before, values, _shown)
        if not changed:
            return False
        if ("start" in changed or "deadline" in changed) and project.milestones.filter(
            Q(due__lt=values["start"]) | Q(due__gt=values["deadline"])
        ).exists():
            raise InvalidInput(
                "project_dates_exclude_milestones",
                _("Some milestones fall outside the new dates: plan the milestones again first."),
            )
        edits.write(project, values, changed, many=("places",))
        _event(actor, project, "edit", note=note, data={"changed": changed})
    return True


def _managed(actor, project_id: int) -> Project:
    project = (
        queries.visible_projects(actor)
        .select_for_update(of=("self",))
        .select_related("type", "responsible_unit", "supervising_unit")
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise NotFound("project_not_found", _("Project not found"))
    return project


def add_work_item(*, actor, project_id: int, item: ItemInput) -> WorkItem:
    name, uom, planned, weight = check_item(item)
    with transaction.atomic():
        project = _managed(actor, project_id)
        if not rules.manages(actor, project):
            raise Forbidden("project_not_manager", _("Only the project's managers may do this."))
        if project.items.filter(name=name).exists():
            raise Conflict("work_item_duplicate", _("Two work items have the same name."))
        order = project.items.count()
        row = WorkItem.objects.create(
            project=project,
            order=order,
            name=name,
            unit_of_measure=uom,
            planned=planned,
            weight=weight,
        )
        project.progress = Decimal(str(queries.derived_progress(project)))
        project.save(update_fields=["progress"])
        _event(
            actor,
            project,
            "work_item",
            note=f"{name} {planned}{uom}",
            data={"item": row.pk, "planned": str(planned), "weight": str(weight)},
        )
    return row


def set_schedule(*, actor, project_id: int, steps: Sequence[Step]) -> list[ProjectMilestone]:
    """倒排工期: the project's open milestones proposed backwards from its deadline (supervision's
    scheduler, working days); milestones already done are kept."""
    with transaction.atomic():
        project = _managed(actor, project_id)
        if not rules.manages(actor, project):
            raise Forbidden("project_not_manager", _("Only the project's managers may do this."))
        proposed = schedule_backward(project.deadline, steps)
        if proposed[0].starts < project.start:
            raise InvalidInput(
                "schedule_does_not_fit",
                _("The steps need to start on %(starts)s, before the project starts (%(start)s).")
                % {"starts": proposed[0].starts, "start": project.start},
            )
        project.milestones.filter(done_on__isnull=True).delete()
        created = [
            ProjectMilestone.objects.create(
                project=project,
                order=i,
                title=p.title,
                duration_days=p.duration_days,
                due=p.due,
                planned_percent=p.planned_percent,
            )
            for i, p in enumerate(proposed)
        ]
        _event(
            actor,
            project,
            "schedule",
            data={"milestones": [{"title": m.title, "due": m.due.isoformat()} for m in created]},
        )
    return created


@dataclass
class RequestInput:
    kind: str  # RequestKind code
    text: str
    people: int = 1


def record_opinion(
    *,
    actor,
    project_id: int,
    method: str,
    on: date,
    people_reached: int,
    summary: str = "",
    place: Place | None = None,
    requests: Sequence[RequestInput] = (),
) -> Opinion:
    """One round of opinion gathering and what residents asked for."""
    if method not in Opinion.Method.values:
        raise InvalidInput("opinion_method_invalid", _("Unknown way of gathering opinions."))
    if on > clock.today():
        raise InvalidInput("opinion_in_future", _("A gathering cannot be dated in the future."))
    if people_reached is None or int(people_reached) < 1:
        raise InvalidInput("opinion_people_invalid", _("Say how many people were reached."))
    kinds = {k.code: k for k in RequestKind.objects.all()}
    rows = []
    for r in requests:
        text = (r.text or "").strip()
        if r.kind not in kinds:
            raise InvalidInput(
                "request_kind_unknown", _("Unknown kind of request."), {"kind": r.kind}
            )
        if not text or len(text) > 300:
            raise InvalidInput("request_text_invalid", _("A request has 1 to 300 characters."))
        if int(r.people) < 1:
            raise InvalidInput("request_people_invalid", _("At least one person asks."))
        rows.append((kinds[r.kind], text, int(r.people)))
    with transaction.atomic():
        project = _managed(actor, project_id)
        if not rules.reports(actor, project):
            raise Forbidden("project_not_responsible", _("Only the project's units record this."))
        if place is not None and not project.places.filter(pk=place.pk).exists():
            if not any(place.path.startswith(p.path) for p in project.places.all()):
                raise InvalidInput(
                    "opinion_place_outside", _("The place is not one the project covers.")
                )
        opinion = Opinion.objects.create(
            project=project,
            method=method,
            on=on,
            people_reached=int(people_reached),
            place=place,
            summary=summary.strip(),
            at=clock.now(),
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        for kind, text, people in rows:
            ResidentRequest.objects.create(opinion=opinion, kind=kind, text=text, people=people)
        _event(
            actor,
            project,
            "opinion",
            note=summary.strip(),
            data={
                "opinion": opinion.pk,
                "method": method,
                "on": on.isoformat(),
                "people_reached": int(people_reached),
                "requests": len(rows),
            },
        )
    return opinion


def add_design_item(
    *,
    actor,
    project_id: int,
    title: str,
    request_ids: Sequence[int] = (),
    kind: str = "",
    note: str = "",
) -> DesignItem:
    """An item of the design list, made from residents' requests (which it then answers)."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("design_title_invalid", _("A design item has 1 to 200 characters."))
    with transaction.atomic():
        project = _managed(actor, project_id)
        if not rules.reports(actor, project):
            raise Forbidden("project_not_responsible", _("Only the project's units record this."))
        requests = list(
            ResidentRequest.objects.select_for_update()
            .filter(opinion__project=project, pk__in=list(request_ids))
            .select_related("kind")
        )
        if len(requests) != len(set(request_ids)):
            raise NotFound("request_not_found", _("Resident request not found"))
        taken = [r.pk for r in requests if r.design_item_id]
        if taken:
            raise Conflict(
                "request_already_adopted",
                _("A request is already in the design list."),
                {"ids": taken},
            )
        kind_row = RequestKind.objects.filter(code=kind).first() if kind else None
        if kind and kind_row is None:
            raise InvalidInput("request_kind_unknown", _("Unknown kind of request."))
        if kind_row is None and requests:
            kind_row = requests[0].kind
        item = DesignItem.objects.create(
            project=project,
            order=project.design_items.count(),
            title=title,
            kind=kind_row,
            note=note.strip(),
            created_at=clock.now(),
        )
        ResidentRequest.objects.filter(pk__in=[r.pk for r in requests]).update(design_item=item)
        _event(
            actor,
            project,
            "design_item",
            note=title,
            data={"design_item": item.pk, "requests": [r.pk for r in requests]},
        )
    return item
