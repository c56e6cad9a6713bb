"""Every state change in supervision, each with its event in the same transaction.

Tasks: progress reports, milestones done, completion, cancellation, the stored light (and
the explanation a red light requires). Inspections: findings that open rectifications,
rectification reports, re-inspections, the repeat count and the escalations it proposes.
Urging letters: issued with the next number of the issuer's series, received, answered.
Each function locks the row it changes, checks scope and role, and re-lights the tasks the
change concerns, so the light shown never lags the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import translation
from django.utils.translation import gettext as _

from cityloop.core import clock, edits, events, worktime
from cityloop.core import photos as core_photos
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from cityloop.core.notify import Message, notify, notify_many
from cityloop.core.roles import OVERSEERS, UNIT_STAFF
from cityloop.core.scope import covers
from cityloop.org.models import Place, Unit
from cityloop.org.queries import unit_staff
from cityloop.supervision import queries, rules, services
from cityloop.supervision.actions import ESCALATIONS, LETTERS, RECTIFICATIONS, TASKS
from cityloop.supervision.lights import past_due
from cityloop.supervision.models import (
    Cadence,
    Colour,
    Escalation,
    Explanation,
    Finding,
    Inspection,
    LetterSeries,
    LightRecord,
    Milestone,
    ProgressReport,
    Rectification,
    SupervisionEvent,
    Task,
    TaskLevel,
    UrgingLetter,
)

TEXT_MAX = 4000


def _text(value: str, code: str, message: str, *, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(code, message)
    if len(value) > limit:
        raise InvalidInput(
            "text_too_long",
            _("The text is too long (at most %(limit)d characters).") % {"limit": limit},
        )
    return value


def _decimal(value: Any, code: str, *, lo: float | None = None, hi: float | None = None):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(code, _("Not a number: %(value)s") % {"value": value}) from None
    if (
        not number.is_finite()
        or (lo is not None and number < lo)
        or (hi is not None and number > hi)
    ):
        raise InvalidInput(
            code, _("Out of range: %(value)s") % {"value": value}, {"min": lo, "max": hi}
        )
    return number


def _event(actor, verb: str, **fields: Any) -> SupervisionEvent:
    _check_left(verb, fields)
    return events.record(SupervisionEvent, actor=actor, verb=verb, **fields)


def _check_left(verb: str, fields: dict[str, Any]) -> None:
    """Refuse, as a bug (the transaction rolls back), an event of a registered action whose
    task, rectification or letter is in a state its entry does not name (measured from the
    state it had when it was locked)."""
    task = fields.get("task")
    entry = TASKS.by_verb(verb)
    if entry is not None and task is not None and hasattr(task, "locked_state"):
        TASKS.check_move(entry.name, task.locked_state, task.state, task.pk)
    finding = fields.get("finding")
    entry = RECTIFICATIONS.by_verb(verb)
    if entry is not None and finding is not None:
        rect = getattr(finding, "rectification", None)  # set on the finding when locked
        if rect is not None and hasattr(rect, "locked_state"):
            RECTIFICATIONS.check_move(entry.name, rect.locked_state, rect.state, rect.pk)
    letter = fields.get("letter")
    entry = LETTERS.by_verb(verb)
    if entry is not None and letter is not None and hasattr(letter, "locked_state"):
        LETTERS.check_move(entry.name, letter.locked_state, letter.state, letter.pk)


def _tell(people: Iterable, verb: str, title: str, link: str, **data: Any) -> None:
    notify(
        recipients=list(people),
        message=Message(verb=verb, title=title, link=link, data=data),
    )


# --- tasks --------------------------------------------------------------------------------


def _task_locked(actor, task_id: int) -> Task:
    task = (
        queries.visible_tasks(actor)
        .select_for_update(of=("self",))
        .select_related("responsible_unit", "supervising_unit", "leader")
        .order_by()
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("task_not_found", _("Task not found"))
    task.locked_state = task.state  # what the registry measures the event against
    return task


def _require_state(task: Task, action: str) -> None:
    """The task is in a state ``action``'s entry may be taken from."""
    if task.state not in TASKS[action].sources:
        raise InvalidTransition(
            "task_not_active",
            _("The task is %(state)s; it takes no more changes.")
            % {"state": task.get_state_display()},
            {"state": task.state},
        )


def _require_reporter(actor, task: Task) -> None:
    if not rules.reports_for(actor, task.responsible_unit):
        raise Forbidden(
            "task_not_responsible", _("Only the responsible unit reports on this task.")
        )


def _require_supervisor(actor, task: Task) -> None:
    if not rules.supervises_task(actor, task):
        raise Forbidden("task_not_supervisor", _("Only the task's supervisors may do this."))


def report_progress(
    *,
    actor,
    task_id: int,
    text: str,
    percent: Any = None,
    value: Any = None,
    on: date | None = None,
    attachments: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> ProgressReport:
    """The responsible unit says where the task stands; the light follows at once.
    ``photo_ids``: the caller's uploads, claimed in this transaction with the report (a
    refused report keeps them unused); ``attachments``: files already stored."""
    today = clock.today()
    on = on or today
    text = _text(text, "progress_text_required", _("Say what progress was made."))
    pct = _decimal(percent, "progress_percent_invalid", lo=0, hi=100)
    val = _decimal(value, "progress_value_invalid", lo=0)
    if on > today:
        raise InvalidInput("progress_in_future", _("A report cannot be dated in the future."))
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        _require_reporter(actor, task)
        _require_state(task, "report")
        if pct is None and val is None:
            raise InvalidInput(
                "progress_number_required", _("Give the progress as a percent or a value.")
            )
        if val is not None and not task.target_value and pct is None:
            raise InvalidInput(
                "progress_no_indicator",
                _("This task has no indicator target; give a percent."),
            )
        if task.last_report_on and on < task.last_report_on:
            raise InvalidInput(
                "progress_out_of_order",
                _("A report dated %(on)s is older than the last one (%(last)s).")
                % {"on": on, "last": task.last_report_on},
            )
        attachments = [*attachments, *core_photos.files_from_uploads(actor, photo_ids)]
        report = ProgressReport.objects.create(
            task=task,
            on=on,
            at=clock.now(),
            text=text,
            percent=pct,
            value=val,
            attachments=list(attachments),
            reporter=actor if getattr(actor, "pk", None) else None,
            reporter_label=events.actor_label(actor),
        )
        task.progress = Decimal(str(queries._progress_of(task, report) or 0))
        task.current_value = val if val is not None else task.current_value
        task.progress_text = text
        task.last_report_on = on
        task.save(update_fields=["progress", "current_value", "progress_text", "last_report_on"])
        _event(
            actor,
            "progress",
            task=task,
            note=text,
            data={"on": on.isoformat(), "percent": _num(pct), "value": _num(val)},
            attachments=list(attachments),
        )
        _relight(task, today)
    return report


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def complete_milestone(
    *, actor, task_id: int, milestone_id: int, done_on: date | None = None
) -> Milestone:
    """A milestone of ``task_id`` done; one of another task is not found."""
    done_on = done_on or clock.today()
    if done_on > clock.today():
        raise InvalidInput("milestone_in_future", _("A milestone cannot be done in the future."))
    if not Milestone.objects.filter(pk=milestone_id, task_id=task_id).exists():
        raise NotFound("milestone_not_found", _("Milestone not found"))
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        _require_reporter(actor, task)
        _require_state(task, "milestone_done")
        milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
        if milestone.done_on:
            raise Conflict("milestone_already_done", _("This milestone is already done."))
        milestone.done_on = done_on
        milestone.save(update_fields=["done_on"])
        _event(
            actor,
            "milestone_done",
            task=task,
            note=milestone.title,
            data={
                "milestone": milestone.pk,
                "due": milestone.due.isoformat(),
                "done_on": str(done_on),
            },
        )
        _relight(task, clock.today())
    return milestone


def complete(*, actor, task_id: int, done_on: date | None = None, note: str = "") -> Task:
    """The supervisor confirms the task is done; it is then done early, on time or late."""
    today = clock.today()
    done_on = done_on or today
    if done_on > today:
        raise InvalidInput("task_done_in_future", _("A task cannot be done in the future."))
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        _require_supervisor(actor, task)
        _require_state(task, "complete")
        if done_on < task.start:
            raise InvalidInput(
                "task_done_before_start", _("A task cannot be done before it starts.")
            )
        old = TASKS.move(task, "complete")
        task.done_on = done_on
        task.save(update_fields=["state", "done_on"])
        _event(
            actor,
            "complete",
            task=task,
            from_state=old,
            to_state=task.state,
            note=note,
            data={"done_on": done_on.isoformat()},
        )
        task.explanations.filter(state=Explanation.State.OPEN).update(
            state=Explanation.State.WITHDRAWN
        )
        _relight(task, today)
    return task


def cancel(*, actor, task_id: int, reason: str) -> Task:
    reason = _text(reason, "task_cancel_reason", _("Say why the task is cancelled."))
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        _require_supervisor(actor, task)
        _require_state(task, "cancel")
        old = TASKS.move(task, "cancel")
        task.save(update_fields=["state"])
        _event(actor, "cancel", task=task, from_state=old, to_state=task.state, note=reason)
        task.explanations.filter(state=Explanation.State.OPEN).update(
            state=Explanation.State.WITHDRAWN
        )
        _relight(task, clock.today())
    return task


# --- one door for the registry's plain actions -----------------------------------------------


def perform_task(*, actor, task_id: int, action: str, note: str = "", reason: str = "") -> Task:
    """Take a task action whose input is a plain note or reason (``cancel``, or one declared
    in the registry only): the task's own function when it has one, else the generic step."""
    entry = TASKS.get(action)
    if entry is None:
        raise NotFound("task_action_unknown", _("No such action."), {"action": action})
    if entry.input not in TASKS.generic_inputs:
        raise InvalidInput(
            "task_action_has_own_form",
            _("This action takes more than a note; use its own form."),
            {"action": action, "input": entry.input},
        )
    if action == "cancel":
        return cancel(actor=actor, task_id=task_id, reason=reason)
    return _generic_task(actor=actor, task_id=task_id, action=action, note=note, reason=reason)


def _generic_task(*, actor, task_id: int, action: str, note: str, reason: str) -> Task:
    entry = TASKS[action]
    if entry.input == "reason":
        note = _text(reason, "reason_required", _("Give the reason."), limit=300)
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        if not rules.plays_task(actor, task, entry.part):
            raise Forbidden("task_not_allowed", _("You may not do this to this task."))
        _require_state(task, action)
        if entry.precondition is not None and not entry.precondition(actor, task):
            raise InvalidTransition(
                "task_action_unavailable", _("This action is not available for this task now.")
            )
        old = TASKS.move(task, action) if entry.targets is not None else task.state
        if old != task.state:
            task.save(update_fields=["state"])
        states = {"from_state": old, "to_state": task.state} if old != task.state else {}
        _event(actor, entry.event_verb, task=task, note=(note or "").strip()[:1000], **states)
        _relight(task, clock.today())
    return task


EDITABLE = (
    "title",
    "kind",
    "category",
    "level",
    "annual_goal",
    "indicator_name",
    "indicator_unit",
    "target_value",
    "leader",
    "responsible_unit",
    "assisting_units",
    "supervising_unit",
    "start",
    "deadline",
    "report_cadence",
)


def _input_of(task: Task) -> services.TaskInput:
    """The task as it stands, in the form :func:`services.create_task` takes."""
    return services.TaskInput(
        code=task.code,
        title=task.title,
        kind=task.kind.code,
        category=task.category.code,
        level=task.level,
        responsible_unit=task.responsible_unit.code,
        supervising_unit=task.supervising_unit.code if task.supervising_unit_id else "",
        assisting_units=[u.code for u in task.assisting_units.order_by("path")],
        leader=task.leader.code if task.leader_id else "",
        start=task.start,
        deadline=task.deadline,
        annual_goal=task.annual_goal,
        indicator_name=task.indicator_name,
        indicator_unit=task.indicator_unit,
        target_value=float(task.target_value) if task.target_value is not None else None,
        report_cadence=task.report_cadence,
    )


def _shown(field: str, value: Any) -> tuple[Any, str]:
    """(what is compared, what the history shows) for one field's value: the target to three
    places, level and cadence by their labels, the rest as :func:`cityloop.core.edits.shown`
    shows it."""
    if field == "target_value" and value is not None:
        number = Decimal(str(value)).quantize(Decimal("0.001")).normalize()
        return number, f"{number:f}"
    if field == "level":
        return value, str(TaskLevel(value).label)
    if field == "report_cadence":
        return value, str(Cadence(value).label)
    return edits.shown(field, value)


def update_task(
    *, actor, task_id: int, data: services.TaskInput | dict[str, Any], note: str = ""
) -> bool:
    """修改任务信息: change an active task's fields (never its code or parent) under the checks
    :func:`services.create_task` makes; one "edit" event lists each changed field as
    ``[old, new]`` in words, and the light is recomputed. Nothing changed: nothing written.
    Says whether anything changed."""
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise InvalidInput(
            "text_too_long",
            _("The text is too long (at most %(limit)d characters).") % {"limit": TEXT_MAX},
        )
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        if not rules.edits_task(actor, task):
            raise Forbidden("task_not_supervisor", _("You may not set tasks for this unit."))
        _require_state(task, "edit")
        current = _input_of(task)
        if isinstance(data, services.TaskInput):
            changes = {f: getattr(data, f) for f in EDITABLE}
        else:
            changes = dict(data)
            fixed = sorted(set(changes) - set(EDITABLE))
            if fixed:
                raise InvalidInput(
                    "task_field_not_editable",
                    _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(fixed)},
                    {"fields": fixed},
                )
        values = services._validated(replace(current, **changes))
        if not rules.sets_task_for(actor, values["responsible_unit"], values["supervising_unit"]):
            raise Forbidden("task_not_supervisor", _("You may not set tasks for this unit."))
        before = {
            f: list(task.assisting_units.all()) if f == "assisting_units" else getattr(task, f)
            for f in EDITABLE
        }
        changed = edits.diff(before, values, _shown)
        if not changed:
            return False
        services.within_parent(task.parent, values["start"], values["deadline"])
        if "start" in changed or "deadline" in changed:
            _require_dates_cover(task, values["start"], values["deadline"])
        edits.write(task, values, changed, many=("assisting_units",))
        _event(actor, "edit", task=task, note=note, data={"changed": changed})
        _relight(task, clock.today())
    return True


def _require_dates_cover(task: Task, start: date, deadline: date) -> None:
    """New dates keep the task's milestones and sub-tasks inside them."""
    if task.milestones.filter(Q(due__lt=start) | Q(due__gt=deadline)).exists():
        raise InvalidInput(
            "task_dates_exclude_milestones",
            _("Some milestones fall outside the new dates: plan the milestones again first."),
        )
    if task.children.filter(Q(start__lt=start) | Q(deadline__gt=deadline)).exists():
        raise InvalidInput(
            "task_dates_exclude_children",
            _("Some sub-tasks fall outside the new dates: change their dates first."),
        )


def _relight(task: Task, as_of: date) -> str | None:
    """Store the task's light for ``as_of``; a change is an event, and turning red opens the
    explanation the leader in charge must receive. Runs inside the caller's transaction with
    the task row locked."""
    colour, reasons = queries.lights_for([task], as_of)[task.pk]
    LightRecord.objects.update_or_create(
        task=task, on=as_of, defaults={"colour": colour, "reasons": reasons}
    )
    before = task.light
    task.light, task.light_reasons, task.light_on = colour, reasons, as_of
    task.save(update_fields=["light", "light_reasons", "light_on"])
    if before == colour:
        return None
    _event(
        None,
        "light",
        task=task,
        from_state=before,
        to_state=colour,
        note="；".join(r["text"] for r in reasons),
        data={"reasons": reasons, "on": as_of.isoformat()},
    )
    if colour == Colour.RED:
        _require_explanation(task, reasons)
    elif colour == Colour.YELLOW:
        # 黄色预警: near the limit or slow — the unit must find the cause and speed up.
        _tell(
            unit_staff(task.responsible_unit, UNIT_STAFF),
            "task_yellow",
            _("Task %(code)s turned yellow: find the cause and speed up") % {"code": task.code},
            f"/supervision/tasks/{task.pk}/",
            task=task.pk,
        )
    return colour


def _require_explanation(task: Task, reasons: list[dict]) -> None:
    if task.explanations.filter(state=Explanation.State.OPEN).exists():
        return
    policy = queries.policy_row()
    now = clock.now()
    due = worktime.add_work_time(
        now, days=policy.explanation_working_days, unit=task.responsible_unit
    )
    explanation = Explanation.objects.create(task=task, opened_at=now, due_at=due, reasons=reasons)
    _event(
        None,
        "explanation_requested",
        task=task,
        note="；".join(r["text"] for r in reasons if r["colour"] == Colour.RED),
        data={"explanation": explanation.pk, "due_at": due.isoformat()},
    )
    _tell(
        unit_staff(task.responsible_unit, UNIT_STAFF),
        "task_red",
        _("Task %(code)s turned red: explain to the leader in charge") % {"code": task.code},
        f"/supervision/tasks/{task.pk}/",
        task=task.pk,
    )


def refresh_light(*, task_id: int, as_of: date | None = None) -> str | None:
    """The sweeper's step for one task: the stored light for the day, under a row lock, so
    two sweeps at once write one change."""
    as_of = as_of or clock.today()
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("responsible_unit")
            .filter(pk=task_id)
            .first()
        )
        if task is None:
            return None
        if task.light_on == as_of and LightRecord.objects.filter(task=task, on=as_of).exists():
            return None
        return _relight(task, as_of)


def stale_tasks_q(as_of: date) -> Q:
    """Tasks whose light is not yet stored for ``as_of``: active ones once a day, finished ones
    once (done early / on time / late)."""
    active = Q(state=Task.State.ACTIVE) & (Q(light_on__isnull=True) | Q(light_on__lt=as_of))
    return active | (~Q(state=Task.State.ACTIVE) & Q(light_on__isnull=True))


def relight_stale(
    as_of: date | None = None, *, limit: int = 1000, after: int = 0, among: Q | None = None
) -> tuple[dict[str, int], int | None]:
    """The set-based sweep step: store ``as_of``'s light of up to ``limit`` stale tasks with
    pk > ``after`` in one transaction — the tasks claimed by one guarded UPDATE … RETURNING
    (so two sweeps at once light each task once), their facts read in a fixed number of
    queries, lights, day records, events, explanations and notifications written in bulk.
    Same outcome as :func:`refresh_light` on each. ``among``: only the stale tasks it
    matches (the demo's sweep of its live tasks). Returns (changes per colour, the highest pk
    examined or ``None`` when nothing was left)."""
    from django.db import connection

    from cityloop.core.db import id_list_sql, insert_rows, update_rows

    as_of = as_of or clock.today()
    with transaction.atomic():
        ids = list(
            Task.objects.filter(stale_tasks_q(as_of), among or Q(), pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return {}, None
        table = connection.ops.quote_name(Task._meta.db_table)
        pk, light_on, state = (
            connection.ops.quote_name(Task._meta.get_field(name).column)
            for name in ("id", "light_on", "state")
        )
        ids_sql, ids_params = id_list_sql(ids)
        day = connection.ops.adapt_datefield_value(as_of)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {light_on} = %s WHERE {pk} {ids_sql} AND ("
                f"({state} = %s AND ({light_on} IS NULL OR {light_on} < %s))"
                f" OR ({state} <> %s AND {light_on} IS NULL)) RETURNING {pk}",
                [day, *ids_params, Task.State.ACTIVE, day, Task.State.ACTIVE],
            )
            claimed = sorted(row[0] for row in cursor.fetchall())
        # Plain rows, not models: what the facts, the changes and the events read.
        tasks = [
            _SweptTask(*row)
            for row in Task.objects.filter(pk__in=queries.ids_in(claimed))
            .order_by("pk")
            .values_list(*_SweptTask.FIELDS)
        ]
        lit = queries.lights_for(tasks, as_of)
        # Day records and lights in one statement each (bulk_create's upsert and bulk_update
        # build a model or a CASE per row and field: most of a 10 k sweep's time).
        insert_rows(
            LightRecord,
            [
                {"task_id": t.pk, "on": as_of, "colour": lit[t.pk][0], "reasons": lit[t.pk][1]}
                for t in tasks
            ],
            conflict=(["task_id", "on"], ["colour", "reasons"]),
        )
        changed: dict[str, int] = {}
        moved: list[tuple[_SweptTask, str, str, list[dict]]] = []
        for t in tasks:
            colour, reasons = lit[t.pk]
            if t.light != colour:
                moved.append((t, t.light, colour, reasons))
                changed[colour] = changed.get(colour, 0) + 1
        update_rows(
            Task,
            [{"id": t.pk, "light": lit[t.pk][0], "light_reasons": lit[t.pk][1]} for t in tasks],
        )
        if moved:
            _lights_changed(moved, as_of)
    return changed, ids[-1]


@dataclass(frozen=True)
class _SweptTask:
    """A task as the set sweep reads it: what :func:`queries.facts_for` and the changes use."""

    FIELDS = (
        "pk",
        "code",
        "start",
        "deadline",
        "state",
        "done_on",
        "target_value",
        "report_cadence",
        "light",
        "responsible_unit_id",
    )

    pk: int
    code: str
    start: date
    deadline: date
    state: str
    done_on: date | None
    target_value: Any
    report_cadence: str
    light: str
    responsible_unit_id: int


def _lights_changed(moved: list[tuple[_SweptTask, str, str, list[dict]]], as_of: date) -> None:
    """:func:`_relight`'s consequences for many tasks at once: the events, an explanation for
    each task turned red that has none open, the units told."""
    from cityloop.core.db import insert_rows

    def event_row(task: _SweptTask, **fields: Any) -> dict[str, Any]:
        row = events.event_fields(actor=None, **fields)
        row["actor_id"] = row.pop("actor")
        row["task_id"] = task.pk
        return row

    # Plain rows written with one INSERT (no model object per event).
    new_events = [
        event_row(
            t,
            verb="light",
            from_state=before,
            to_state=colour,
            note="；".join(r["text"] for r in reasons),
            data={"reasons": reasons, "on": as_of.isoformat()},
        )
        for t, before, colour, reasons in moved
    ]
    red = [(t, reasons) for t, _b, colour, reasons in moved if colour == Colour.RED]
    explained = set(
        Explanation.objects.filter(
            task_id__in=[t.pk for t, _r in red], state=Explanation.State.OPEN
        ).values_list("task_id", flat=True)
    )
    red = [(t, reasons) for t, reasons in red if t.pk not in explained]
    units = Unit.objects.in_bulk({t.responsible_unit_id for t, _b, _c, _r in moved})
    staff: dict[int, list] = {}

    def people(task: _SweptTask) -> list:
        if task.responsible_unit_id not in staff:
            staff[task.responsible_unit_id] = unit_staff(
                units[task.responsible_unit_id], UNIT_STAFF
            )
        return staff[task.responsible_unit_id]

    told = []
    for t, _before, colour, _reasons in moved:
        if colour == Colour.YELLOW:
            told.append(
                (t, "task_yellow", _("Task %(code)s turned yellow: find the cause and speed up"))
            )
    if red:
        policy = queries.policy_row()
        now = clock.now()
        dues: dict[int | None, Any] = {}
        asked = []
        for t, reasons in red:
            if t.responsible_unit_id not in dues:
                dues[t.responsible_unit_id] = worktime.add_work_time(
                    now, days=policy.explanation_working_days, unit=units[t.responsible_unit_id]
                )
            asked.append(
                {
                    "task_id": t.pk,
                    "opened_at": now,
                    "due_at": dues[t.responsible_unit_id],
                    "reasons": reasons,
                    "state": Explanation.State.OPEN,
                    "text": "",
                }
            )
        # One INSERT (no model object per explanation), then each task's new one's pk.
        insert_rows(Explanation, asked)
        opened = dict(
            Explanation.objects.filter(
                task_id__in=queries.ids_in([t.pk for t, _r in red]),
                state=Explanation.State.OPEN,
            ).values_list("task_id", "pk")
        )
        for row, (t, reasons) in zip(asked, red, strict=True):
            new_events.append(
                event_row(
                    t,
                    verb="explanation_requested",
                    note="；".join(r["text"] for r in reasons if r["colour"] == Colour.RED),
                    data={
                        "explanation": opened[t.pk],
                        "due_at": row["due_at"].isoformat(),
                    },
                )
            )
            told.append(
                (t, "task_red", _("Task %(code)s turned red: explain to the leader in charge"))
            )
    insert_rows(SupervisionEvent, new_events)
    notify_many(
        (
            people(t),
            Message(
                verb=verb,
                title=title % {"code": t.code},
                link=f"/supervision/tasks/{t.pk}/",
                data={"task": t.pk},
            ),
        )
        for t, verb, title in told
    )


def explain(*, actor, task_id: int, text: str) -> Explanation:
    """The responsible unit explains a red light (情况说明); the leader in charge is told."""
    text = _text(text, "explanation_required", _("Write the explanation."))
    with transaction.atomic():
        task = _task_locked(actor, task_id)
        _require_reporter(actor, task)
        explanation = (
            task.explanations.select_for_update().filter(state=Explanation.State.OPEN).first()
        )
        if explanation is None:
            raise InvalidTransition(
                "explanation_not_required", _("No explanation is awaited for this task.")
            )
        explanation.state = Explanation.State.ANSWERED
        explanation.text = text
        explanation.answered_at = clock.now()
        explanation.answered_by = actor if getattr(actor, "pk", None) else None
        explanation.save(update_fields=["state", "text", "answered_at", "answered_by"])
        late = explanation.answered_at > explanation.due_at
        _event(
            actor,
            "explain",
            task=task,
            note=text,
            data={"explanation": explanation.pk, "late": late},
        )
        leader = task.leader.user if task.leader and task.leader.user_id else None
        if leader is not None:
            _tell(
                [leader],
                "task_explained",
                _("Explanation for red task %(code)s") % {"code": task.code},
                f"/supervision/tasks/{task.pk}/",
                task=task.pk,
            )
    return explanation


# --- inspections, findings, rectifications --------------------------------------------------


def inspection_for_finding(actor, inspection_id: int) -> Inspection:
    """The inspection a finding is for: 404 beyond the actor's sight, 403 to a non-inspector."""
    inspection = (
        queries.visible_inspections(actor).select_related("unit").filter(pk=inspection_id).first()
    )
    if inspection is None:
        raise NotFound("inspection_not_found", _("Inspection not found"))
    if not rules.can_supervise(actor, inspection.unit):
        raise Forbidden("inspection_not_inspector", _("Only the inspecting unit records findings."))
    return inspection


UNRECTIFIED = ~Q(rectification__state=Rectification.State.CLOSED) | Q(
    rectification__failed_reinspections__gt=0
)
REPEAT_WINDOW_DAYS = 365


def _earlier_unrectified(kind: str, unit: Unit, place: Place | None, before) -> Finding | None:
    """The latest earlier finding of the same kind at the same place or unit that was not
    put right: still open, failed a re-inspection, or closed after its time limit."""
    same_where = Q(unit=unit) | (Q(place=place) if place is not None else Q(pk__in=[]))
    candidates = (
        Finding.objects.filter(kind=kind, found_at__lte=before)
        .filter(found_at__gte=before - timedelta(days=REPEAT_WINDOW_DAYS))
        .filter(same_where)
        .select_related("rectification")
        .order_by("-found_at", "-pk")
    )
    for f in candidates[:20]:
        rect = getattr(f, "rectification", None)
        if rect is None:
            continue
        closed_late = rect.closed_at is not None and past_due(
            rect.due, rect.closed_at.astimezone(clock.local_zone()).date()
        )
        if rect.state != Rectification.State.CLOSED or rect.failed_reinspections or closed_late:
            return f
    return None


def record_finding(
    *,
    actor,
    inspection_id: int,
    kind: str,
    description: str,
    unit: Unit,
    mode: str,
    due: date | None = None,
    plan: str = "",
    plan_steps: Sequence[tuple[str, date]] = (),
    severity: str = Finding.Severity.GENERAL,
    is_problem: bool = True,
    task: Task | None = None,
    place: Place | None = None,
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> Finding:
    """A finding, and the rectification it opens in one of the three modes. ``photo_ids``:
    the caller's uploads, claimed in this transaction (a refused finding keeps them unused)."""
    kind = _text(kind, "finding_kind_required", _("Name the kind of problem."), limit=60)
    description = _text(description, "finding_description_required", _("Describe the problem."))
    today = clock.today()
    if mode not in Rectification.Mode.values:
        raise InvalidInput("rectification_mode_invalid", _("Choose how it is to be rectified."))
    if severity not in Finding.Severity.values:
        raise InvalidInput("finding_severity_invalid", _("Unknown severity."))
    if mode == Rectification.Mode.IMMEDIATE:
        due = due or today
    if due is None:
        raise InvalidInput(
            "rectification_due_required", _("Give the time limit for rectification.")
        )
    if due < today:
        raise InvalidInput("rectification_due_past", _("The time limit cannot be in the past."))
    if mode == Rectification.Mode.PLAN:
        plan = _text(plan, "rectification_plan_required", _("A plan rectification needs its plan."))
        if not plan_steps:
            raise InvalidInput(
                "rectification_plan_steps", _("A plan rectification needs its milestones.")
            )
        for _title, step_due in plan_steps:
            if step_due > due:
                raise InvalidInput(
                    "rectification_step_after_due",
                    _("A plan milestone falls after the time limit."),
                )
    with transaction.atomic():
        inspection = inspection_for_finding(actor, inspection_id)
        if task is not None and not queries.visible_tasks(actor).filter(pk=task.pk).exists():
            raise NotFound("task_not_found", _("Task not found"))
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        now = clock.now()
        earlier = _earlier_unrectified(kind, unit, place, now)
        finding = Finding.objects.create(
            inspection=inspection,
            kind=kind,
            description=description,
            severity=severity,
            is_problem=is_problem,
            task=task,
            place=place,
            unit=unit,
            photos=list(photos),
            found_at=now,
            repeat_count=(earlier.repeat_count + 1) if earlier else 0,
            repeat_of=earlier,
        )
        rect = Rectification.objects.create(
            finding=finding, mode=mode, unit=unit, due=due, plan=plan, opened_at=now
        )
        for i, (title, step_due) in enumerate(plan_steps):
            Milestone.objects.create(rectification=rect, order=i, title=title, due=step_due)
        _event(
            actor,
            "finding",
            finding=finding,
            to_state=rect.state,
            note=description,
            data={
                "inspection": inspection.code,
                "mode": mode,
                "due": due.isoformat(),
                "repeat_count": finding.repeat_count,
                "repeat_of": earlier.pk if earlier else None,
            },
            attachments=list(photos),
        )
        _tell(
            unit_staff(unit, UNIT_STAFF),
            "finding",
            _("Inspection finding for your unit: rectify by %(due)s") % {"due": due.isoformat()},
            "/supervision/ledger/",
            finding=finding.pk,
        )
        _maybe_escalate(finding)
        if task is not None:
            _relight(_task_locked(actor, task.pk), today)
    return finding


def _maybe_escalate(finding: Finding) -> list[Escalation]:
    """At the policy's repeat count, propose summons, criticism and a deduction, once."""
    policy = queries.policy_row()
    if finding.repeat_count < policy.repeat_escalation_at:
        return []
    reason = _("“%(kind)s” found unrectified %(count)d times at %(unit)s") % {
        "kind": finding.kind,
        "count": finding.repeat_count,
        "unit": finding.unit.name,
    }
    created = []
    now = clock.now()
    for kind in Escalation.Kind.values:
        escalation, new = Escalation.objects.get_or_create(
            finding=finding,
            kind=kind,
            defaults={
                "unit": finding.unit,
                "reason": reason,
                "proposed_at": now,
                "points": policy.deduction_points if kind == Escalation.Kind.DEDUCTION else None,
            },
        )
        if new:
            created.append(escalation)
    if created:
        _event(
            None,
            "escalation_proposed",
            finding=finding,
            note=reason,
            data={"kinds": [e.kind for e in created], "repeat_count": finding.repeat_count},
        )
        _tell(
            unit_staff(finding.inspection.unit, OVERSEERS),
            "escalation_proposed",
            _("Escalation proposed: %(reason)s") % {"reason": reason},
            "/supervision/ledger/",
            finding=finding.pk,
        )
    return created


def _rect_locked(actor, rect_id: int) -> Rectification:
    rect = (
        Rectification.objects.select_for_update(of=("self",))
        .filter(finding__in=queries.visible_findings(actor), pk=rect_id)
        .select_related("finding__inspection__unit", "unit")
        .first()
    )
    if rect is None:
        raise NotFound("rectification_not_found", _("Rectification not found"))
    rect.locked_state = rect.state  # what the registry measures the event against
    rect.finding.rectification = rect  # the events name the finding; the check reads this row
    return rect


def submit_rectification(
    *,
    actor,
    rectification_id: int,
    report: str,
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> Rectification:
    """The unit says it has put the problem right; a re-inspection must confirm it."""
    report = _text(report, "rectification_report_required", _("Say what was done."))
    with transaction.atomic():
        rect = _rect_locked(actor, rectification_id)
        if not rules.reports_for(actor, rect.unit):
            raise Forbidden(
                "rectification_not_responsible", _("Only the rectifying unit reports on this.")
            )
        if rect.state not in RECTIFICATIONS["report"].sources:
            raise InvalidTransition(
                "rectification_bad_state",
                _("This rectification is not open."),
                {"state": rect.state},
            )
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        old = RECTIFICATIONS.move(rect, "report")
        rect.report = report
        rect.save(update_fields=["state", "report"])
        _event(
            actor,
            "rectified",
            finding=rect.finding,
            from_state=old,
            to_state=rect.state,
            note=report,
            attachments=list(photos),
        )
        _tell(
            unit_staff(rect.finding.inspection.unit, OVERSEERS),
            "rectification_submitted",
            _("Rectification reported: please re-inspect"),
            "/supervision/ledger/",
            rectification=rect.pk,
        )
    return rect


def reinspect(
    *,
    actor,
    rectification_id: int,
    passed: bool,
    note: str = "",
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> Rectification:
    """Only a re-inspection closes a rectification; a failed one sends it back and counts as
    the problem coming back unrectified."""
    if not passed:
        note = _text(note, "reinspection_note_required", _("Say what is still wrong."))
    with transaction.atomic():
        rect = _rect_locked(actor, rectification_id)
        if not rules.can_supervise(actor, rect.finding.inspection.unit):
            raise Forbidden(
                "reinspection_not_inspector", _("Only the inspecting unit re-inspects.")
            )
        if rect.state not in RECTIFICATIONS["reinspect"].sources:
            raise InvalidTransition(
                "rectification_bad_state",
                _("This rectification is already closed."),
                {"state": rect.state},
            )
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        before = rect.state
        finding = rect.finding
        if passed:
            RECTIFICATIONS.move(rect, "reinspect", Rectification.State.CLOSED)
            rect.closed_at = clock.now()
        else:
            RECTIFICATIONS.move(rect, "reinspect", Rectification.State.OPEN)
            rect.failed_reinspections += 1
            finding.repeat_count += 1
            finding.save(update_fields=["repeat_count"])
        rect.save(update_fields=["state", "closed_at", "failed_reinspections"])
        _event(
            actor,
            "reinspect",
            finding=finding,
            from_state=before,
            to_state=rect.state,
            note=note,
            data={"passed": passed, "repeat_count": finding.repeat_count},
            attachments=list(photos),
        )
        if not passed:
            _tell(
                unit_staff(rect.unit, UNIT_STAFF),
                "reinspection_failed",
                _("Re-inspection failed: rectify again"),
                "/supervision/ledger/",
                rectification=rect.pk,
            )
            _maybe_escalate(finding)
        if finding.task_id:
            _relight(Task.objects.select_for_update().get(pk=finding.task_id), clock.today())
    return rect


def decide_escalation(*, actor, escalation_id: int, confirm: bool, note: str = "") -> Escalation:
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update(of=("self",))
            .filter(finding__in=queries.visible_findings(actor), pk=escalation_id)
            .select_related("finding__inspection__unit")
            .first()
        )
        if escalation is None:
            raise NotFound("escalation_not_found", _("Escalation not found"))
        if not rules.can_supervise(actor, escalation.finding.inspection.unit):
            raise Forbidden("escalation_not_allowed", _("Only the inspecting unit decides this."))
        if escalation.state not in ESCALATIONS["decide"].sources:
            raise InvalidTransition("escalation_decided", _("This escalation is already decided."))
        ESCALATIONS.move(
            escalation,
            "decide",
            Escalation.State.CONFIRMED if confirm else Escalation.State.DISMISSED,
        )
        escalation.decided_at = clock.now()
        escalation.decided_by = actor if getattr(actor, "pk", None) else None
        escalation.note = note.strip()[:TEXT_MAX]
        escalation.save(update_fields=["state", "decided_at", "decided_by", "note"])
        _event(
            actor,
            "escalation_" + escalation.state,
            finding=escalation.finding,
            note=note,
            data={"escalation": escalation.pk, "kind": escalation.kind},
        )
        if confirm:
            _tell(
                unit_staff(escalation.unit, UNIT_STAFF),
                "escalation_confirmed",
                str(Escalation.Kind(escalation.kind).label) + "：" + escalation.reason,
                "/supervision/ledger/",
                escalation=escalation.pk,
            )
    return escalation


# --- urging letters -------------------------------------------------------------------------


ANSWER_DAYS_MAX = 60


def issue_letter(
    *,
    actor,
    issuer: Unit,
    addressee: Unit,
    answer_due: date,
    subject: str = "",
    only: Sequence[tuple[str, int]] | None = None,
    is_demo: bool = False,
) -> UrgingLetter:
    """A letter listing what ``addressee`` is late with, numbered next in the issuer's
    series for the year. ``only`` narrows the items to some (kind, id) pairs."""
    today = clock.today()
    if answer_due <= today or answer_due > today + timedelta(days=ANSWER_DAYS_MAX):
        raise InvalidInput(
            "letter_answer_due_invalid",
            _("The answer date must be after today and within %(days)d days.")
            % {"days": ANSWER_DAYS_MAX},
        )
    if not rules.can_supervise(actor, issuer):
        raise Forbidden("letter_not_issuer", _("You may not issue letters for this unit."))
    if not covers(actor, addressee):
        raise NotFound("unit_not_found", _("Unit not found"))
    # A letter is a document in the deployment's language, whoever's browser issued it.
    with translation.override(settings.LANGUAGE_CODE):
        items = queries.overdue_items(addressee, as_of=today)
        default_subject = _("Letter urging %(unit)s to complete overdue work") % {
            "unit": addressee.short_name or addressee.name
        }
    if only is not None:
        wanted = {(k, int(pk)) for k, pk in only}
        items = [i for i in items if (i.kind, i.pk) in wanted]
    if not items:
        raise InvalidInput(
            "letter_no_items",
            _("%(unit)s has no overdue items to urge.") % {"unit": addressee.name},
        )
    subject = (subject or "").strip() or default_subject
    with transaction.atomic():
        series = LetterSeries.objects.select_for_update().filter(issuer=issuer).first()
        if series is None:
            raise InvalidInput(
                "letter_no_series",
                _("%(unit)s has no letter numbering set up.") % {"unit": issuer.name},
            )
        last = series.letters.filter(year=today.year).aggregate(n=Max("number"))["n"] or 0
        letter = UrgingLetter.objects.create(
            series=series,
            year=today.year,
            number=last + 1,
            addressee=addressee,
            subject=subject[:200],
            items=[i.as_dict() for i in items],
            answer_due=answer_due,
            sent_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
            is_demo=is_demo,
        )
        letter.tasks.set([i.pk for i in items if i.kind == "task"])
        letter.rectifications.set([i.pk for i in items if i.kind == "rectification"])
        _event(
            actor,
            "letter_sent",
            letter=letter,
            to_state=letter.state,
            note=letter.reference,
            data={"items": len(items), "answer_due": answer_due.isoformat()},
        )
        for task_id in [i.pk for i in items if i.kind == "task"]:
            _event(
                actor, "urged", task_id=task_id, note=letter.reference, data={"letter": letter.pk}
            )
        _tell(
            unit_staff(addressee, UNIT_STAFF),
            "letter_sent",
            _("Urging letter %(ref)s: answer by %(due)s")
            % {"ref": letter.reference, "due": answer_due.isoformat()},
            f"/supervision/letters/{letter.pk}/",
            letter=letter.pk,
        )
    return letter


def _letter_locked(actor, letter_id: int) -> UrgingLetter:
    letter = (
        queries.visible_letters(actor).select_for_update(of=("self",)).filter(pk=letter_id).first()
    )
    if letter is None:
        raise NotFound("letter_not_found", _("Urging letter not found"))
    letter.locked_state = letter.state  # what the registry measures the event against
    return letter


def receive_letter(*, actor, letter_id: int) -> UrgingLetter:
    with transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        if not rules.answers_letter(actor, letter):
            raise Forbidden("letter_not_addressee", _("Only the addressee acknowledges a letter."))
        if letter.state not in LETTERS["receive"].sources:
            raise InvalidTransition("letter_bad_state", _("This letter was already received."))
        old = LETTERS.move(letter, "receive")
        letter.received_at = clock.now()
        letter.save(update_fields=["state", "received_at"])
        _event(actor, "letter_received", letter=letter, from_state=old, to_state=letter.state)
    return letter


def answer_letter(*, actor, letter_id: int, answer: str) -> UrgingLetter:
    answer = _text(answer, "letter_answer_required", _("Write the answer."))
    with transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        if not rules.answers_letter(actor, letter):
            raise Forbidden("letter_not_addressee", _("Only the addressee answers a letter."))
        if letter.state not in LETTERS["answer"].sources:
            raise InvalidTransition("letter_bad_state", _("This letter was already answered."))
        now = clock.now()
        before = LETTERS.move(letter, "answer")
        letter.received_at = letter.received_at or now
        letter.answered_at = now
        letter.answer = answer
        letter.save(update_fields=["state", "received_at", "answered_at", "answer"])
        _event(
            actor,
            "letter_answered",
            letter=letter,
            from_state=before,
            to_state=letter.state,
            note=answer,
            data={"late": past_due(letter.answer_due, clock.today())},
        )
        today = clock.today()
        for task in Task.objects.select_for_update().filter(letters=letter):
            _relight(task, today)
    return letter
