"""Creating supervision records: tasks (and their split to units), milestones from a backward
schedule, inspection rounds, letter series, and the seeded kinds and categories.

Creation is not a state change of an existing record, so it lives here rather than in the
workflow; each function still checks scope and role and leaves an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from cityloop.org.models import Person, Place, Unit
from cityloop.supervision import queries, rules
from cityloop.supervision.models import (
    Cadence,
    Inspection,
    LetterSeries,
    Milestone,
    SupervisionEvent,
    Task,
    TaskCategory,
    TaskKind,
    TaskLevel,
)
from cityloop.supervision.scheduling import ProposedMilestone, Step, schedule_backward

# (code, name) seeded by migration; an admin adds more.
KINDS = (("key_work", "重点工作"), ("livelihood_project", "民生实事"))
# The six headings of 济源路街道's board [003], then the district's [004].
CATEGORIES = (
    ("fiscal_revenue", "财政收入"),
    ("economic_indicators", "经济指标"),
    ("old_compound_renovation", "老旧小区改造"),
    ("community_governance", "社区治理"),
    ("emergency_management", "应急管理"),
    ("petitions_stability", "信访稳定"),
    ("livelihood", "民生保障"),
    ("urban_construction", "城市建设"),
    ("ecology", "生态环境"),
)


def seed(kind_model=TaskKind, category_model=TaskCategory) -> None:
    """Idempotent; also called by the migration with its historical models."""
    for code, name in KINDS:
        kind_model.objects.get_or_create(code=code, defaults={"name": name})
    for i, (code, name) in enumerate(CATEGORIES):
        category_model.objects.get_or_create(code=code, defaults={"name": name, "order": i})


@dataclass
class TaskInput:
    code: str
    title: str
    kind: str
    category: str
    responsible_unit: str
    start: date
    deadline: date
    level: str = TaskLevel.STREET
    annual_goal: str = ""
    indicator_name: str = ""
    indicator_unit: str = ""
    target_value: float | None = None
    leader: str = ""  # person code
    supervising_unit: str = ""
    assisting_units: list[str] = field(default_factory=list)
    parent: str = ""
    report_cadence: str = Cadence.WEEKLY
    is_demo: bool = False


def _by_code(model, code: str, error: str, message: str):
    obj = model.objects.filter(code=code).first() if code else None
    if code and obj is None:
        raise InvalidInput(error, message, {"code": code})
    return obj


def _validated(data: TaskInput) -> dict[str, Any]:
    """The checks a task's fields pass on creation and on every edit, written once: the
    fields of ``data`` (but its code and parent) resolved to the values a task stores."""
    title = data.title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("task_title_invalid", _("A task title has 1 to 200 characters."))
    if data.deadline < data.start:
        raise InvalidInput("task_dates_invalid", _("The deadline is before the start."))
    if data.level not in TaskLevel.values:
        raise InvalidInput("task_level_invalid", _("Unknown task level."))
    if data.report_cadence not in Cadence.values:
        raise InvalidInput("task_cadence_invalid", _("Unknown report cadence."))
    if data.target_value is not None and data.target_value <= 0:
        raise InvalidInput("task_target_invalid", _("The target value must be positive."))
    kind = _by_code(TaskKind, data.kind, "task_kind_unknown", _("Unknown task kind."))
    category = _by_code(
        TaskCategory, data.category, "task_category_unknown", _("Unknown task category.")
    )
    if kind is None or category is None:
        raise InvalidInput("task_kind_required", _("Give the task's kind and category."))
    unit = _by_code(Unit, data.responsible_unit, "unit_unknown", _("Unknown unit."))
    if unit is None:
        raise InvalidInput("task_unit_required", _("Give the responsible unit."))
    return {
        "title": title,
        "kind": kind,
        "category": category,
        "level": data.level,
        "annual_goal": data.annual_goal.strip(),
        "indicator_name": data.indicator_name.strip(),
        "indicator_unit": data.indicator_unit.strip(),
        "target_value": data.target_value,
        "leader": _by_code(Person, data.leader, "person_unknown", _("Unknown person.")),
        "responsible_unit": unit,
        "supervising_unit": _by_code(
            Unit, data.supervising_unit, "unit_unknown", _("Unknown unit.")
        ),
        "assisting_units": [
            _by_code(Unit, c, "unit_unknown", _("Unknown unit.")) for c in data.assisting_units
        ],
        "start": data.start,
        "deadline": data.deadline,
        "report_cadence": data.report_cadence,
    }


def within_parent(parent: Task | None, start: date, deadline: date) -> None:
    """A sub-task lies within its parent's dates."""
    if parent is not None and not (parent.start <= start and deadline <= parent.deadline):
        raise InvalidInput(
            "task_outside_parent", _("A sub-task must lie within its parent's dates.")
        )


def create_task(*, actor, data: TaskInput) -> Task:
    """A new task; the actor must supervise its responsible or supervising unit."""
    code = data.code.strip()
    if not code or len(code) > 40:
        raise InvalidInput("task_code_invalid", _("A task code has 1 to 40 characters."))
    values = _validated(data)
    assisting = values.pop("assisting_units")
    unit, supervising = values["responsible_unit"], values["supervising_unit"]
    parent = None
    if data.parent:
        parent = queries.visible_tasks(actor).filter(code=data.parent).first()
        if parent is None:
            raise InvalidInput("task_parent_unknown", _("Unknown parent task."))
        within_parent(parent, data.start, data.deadline)
    if not rules.sets_task_for(actor, unit, supervising):
        raise Forbidden("task_not_supervisor", _("You may not set tasks for this unit."))
    if supervising is None and parent is not None:
        values["supervising_unit"] = parent.supervising_unit
    try:
        with transaction.atomic():
            task = Task.objects.create(
                code=code,
                parent=parent,
                created_at=clock.now(),
                is_demo=data.is_demo,
                **values,
            )
            task.assisting_units.set(assisting)
            events.record(
                SupervisionEvent,
                actor=actor,
                verb="create",
                task=task,
                to_state=task.state,
                data={"code": code},
            )
    except IntegrityError:
        raise Conflict(
            "task_code_taken", _("A task with this code exists."), {"code": code}
        ) from None
    return task


SPLIT_MAX_UNITS = 50


def split_task(*, actor, data: TaskInput, units: Sequence[str]) -> list[Task]:
    """分解到多个单位: one sub-task of ``data.parent`` per unit in ``units``, all or none.

    Each sub-task is ``data`` with that unit responsible and the code ``<code>-01``,
    ``<code>-02``… in the order given; every one passes :func:`create_task`'s checks.
    """
    codes = list(dict.fromkeys(c for c in units if c))
    if not data.parent:
        raise InvalidInput(
            "split_parent_required", _("To split a task to several units, choose its parent task.")
        )
    if not codes:
        raise InvalidInput("split_units_required", _("Choose the units to split the task to."))
    if len(codes) > SPLIT_MAX_UNITS:
        raise InvalidInput(
            "split_too_many",
            _("A task splits to at most %(max)d units.") % {"max": SPLIT_MAX_UNITS},
        )
    base = data.code.strip()
    with transaction.atomic():
        return [
            create_task(
                actor=actor,
                data=replace(data, code=f"{base}-{i:02d}", responsible_unit=unit_code),
            )
            for i, unit_code in enumerate(codes, 1)
        ]


def _fitted(task: Task, steps: Sequence[Step]) -> list[ProposedMilestone]:
    proposed = schedule_backward(task.deadline, steps)
    if proposed[0].starts < task.start:
        raise InvalidInput(
            "schedule_does_not_fit",
            _("The steps need to start on %(starts)s, before the task starts (%(start)s).")
            % {"starts": proposed[0].starts, "start": task.start},
            {"starts": proposed[0].starts.isoformat(), "start": task.start.isoformat()},
        )
    return proposed


def _planned_task(actor, task_id: int, *, lock: bool) -> Task:
    qs = queries.visible_tasks(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    task = qs.filter(pk=task_id).first()
    if task is None:
        raise NotFound("task_not_found", _("Task not found"))
    if not rules.supervises_task(actor, task):
        raise Forbidden("task_not_supervisor", _("Only the task's supervisors may do this."))
    return task


def propose_plan(*, actor, task_id: int, steps: Sequence[Step]) -> list[ProposedMilestone]:
    """The dates :func:`set_milestones` would give ``steps`` (倒排工期), writing nothing; a plan
    that cannot fit is refused the same way."""
    return _fitted(_planned_task(actor, task_id, lock=False), steps)


def set_milestones(
    *,
    actor,
    task_id: int,
    steps: Sequence[Step] = (),
    milestones: Sequence[dict[str, Any]] = (),
) -> list[Milestone]:
    """Replace a task's open plan: from ``steps`` scheduled backwards from the deadline
    (倒排工期), or from explicit ``milestones`` ({title, due, planned_percent}). Milestones
    already done are kept."""
    with transaction.atomic():
        task = _planned_task(actor, task_id, lock=True)
        if steps:
            proposed = _fitted(task, steps)
            rows = [
                {
                    "title": p.title,
                    "due": p.due,
                    "planned_percent": p.planned_percent,
                    "duration_days": p.duration_days,
                }
                for p in proposed
            ]
        else:
            rows = list(milestones)
        for row in rows:
            due = row["due"]
            if not (task.start <= due <= task.deadline):
                raise InvalidInput(
                    "milestone_outside_task", _("A milestone must fall within the task's dates.")
                )
            pct = row.get("planned_percent")
            if pct is not None and not 0 <= float(pct) <= 100:
                raise InvalidInput("milestone_percent_invalid", _("A planned percent is 0 to 100."))
            if not str(row.get("title", "")).strip():
                raise InvalidInput("milestone_title_required", _("Every milestone needs a title."))
        task.milestones.filter(done_on__isnull=True).delete()
        created = [
            Milestone.objects.create(
                task=task,
                order=i,
                title=str(row["title"]).strip()[:200],
                due=row["due"],
                planned_percent=row.get("planned_percent"),
                duration_days=row.get("duration_days"),
            )
            for i, row in enumerate(rows)
        ]
        events.record(
            SupervisionEvent,
            actor=actor,
            verb="plan",
            task=task,
            data={"milestones": [{"title": m.title, "due": m.due.isoformat()} for m in created]},
        )
    return created


def next_inspection_code(unit: Unit, year: int) -> str:
    """督查 numbers run per inspecting unit and year: JYL-DC2026-0007."""
    prefix = f"{unit.code}-DC{year}-"
    last = (
        Inspection.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    tail = last.removeprefix(prefix) if last else ""
    return f"{prefix}{int(tail) + 1 if tail.isdigit() else 1:04d}"


def create_inspection(
    *,
    actor,
    code: str = "",
    kind: str,
    on: date,
    subject: str,
    team: str,
    unit: Unit,
    cadence: str = Cadence.WEEKLY,
    tasks: Sequence[Task] = (),
    places: Sequence[Place] = (),
    units: Sequence[Unit] = (),
    follows: Inspection | None = None,
    summary: str = "",
    is_demo: bool = False,
) -> Inspection:
    if kind not in Inspection.Kind.values:
        raise InvalidInput("inspection_kind_invalid", _("Unknown kind of inspection."))
    if cadence not in Cadence.values:
        raise InvalidInput("inspection_cadence_invalid", _("Unknown cadence."))
    if not subject.strip() or not team.strip():
        raise InvalidInput(
            "inspection_fields_required", _("An inspection needs a subject and a team.")
        )
    if on > clock.today():
        raise InvalidInput(
            "inspection_in_future", _("An inspection cannot be dated in the future.")
        )
    if not rules.can_supervise(actor, unit):
        raise Forbidden("inspection_not_inspector", _("You may not inspect for this unit."))
    if kind == Inspection.Kind.FOLLOW_UP and follows is None:
        raise InvalidInput(
            "inspection_follows_required", _("A follow-up inspection names the one it follows.")
        )
    numbered = not code.strip()  # numbered here; a clash with a parallel one takes the next
    for _attempt in range(5):
        try:
            return _insert_inspection(
                actor,
                code.strip() or next_inspection_code(unit, on.year),
                kind=kind,
                cadence=cadence,
                on=on,
                subject=subject,
                team=team,
                unit=unit,
                follows=follows,
                summary=summary,
                tasks=tasks,
                places=places,
                units=units,
                is_demo=is_demo,
            )
        except IntegrityError:
            if not numbered:
                break
    raise Conflict("inspection_code_taken", _("An inspection with this code exists."))


def _insert_inspection(
    actor, code: str, *, subject: str, team: str, summary: str, tasks, places, units, **fields
) -> Inspection:
    with transaction.atomic():
        inspection = Inspection.objects.create(
            code=code,
            subject=subject.strip()[:200],
            team=team.strip()[:100],
            summary=summary.strip(),
            created_by=actor if getattr(actor, "pk", None) else None,
            **fields,
        )
        inspection.tasks.set(tasks)
        inspection.places.set(places)
        inspection.units.set(units)
    return inspection


def ensure_letter_series(*, issuer: Unit, prefix: str, signature: str = "") -> LetterSeries:
    series, _created = LetterSeries.objects.update_or_create(
        issuer=issuer, defaults={"prefix": prefix, "signature": signature or issuer.name}
    )
    return series
