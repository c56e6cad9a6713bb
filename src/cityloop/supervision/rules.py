"""Who may do what in supervision.

Supervisors (督查) set tasks, inspect, write urging letters and decide escalations within
their scope; the responsible unit's staff report progress, explain a red light and rectify;
the leader in charge reads the explanation. Scope is the same as everywhere: a unit covers
its offices, a place covers the units that sit in it.
"""

from __future__ import annotations

from cityloop.core.roles import OVERSEERS, UNIT_STAFF, has_any
from cityloop.core.scope import covers
from cityloop.supervision.actions import LETTERS, RECTIFICATIONS, TASKS


def can_supervise(user, unit) -> bool:
    return has_any(user, OVERSEERS) and covers(user, unit)


def sets_tasks(user) -> bool:
    """May set tasks at all (the 新建任务 button): a supervising role."""
    return has_any(user, OVERSEERS)


def sets_task_for(user, unit, supervising=None) -> bool:
    """May set a task for ``unit``: supervises it, or the task's supervising unit."""
    return sets_tasks(user) and (covers(user, unit) or covers(user, supervising))


def edits_task(user, task) -> bool:
    """May change the task's fields (修改任务信息): whoever may set a task for its units."""
    return sets_task_for(user, task.responsible_unit, task.supervising_unit)


def supervises_task(user, task) -> bool:
    """Supervisors of the task's supervising unit, or of a unit above its responsible one."""
    return has_any(user, OVERSEERS) and (
        covers(user, task.supervising_unit) or covers(user, task.responsible_unit)
    )


def reports_for(user, unit) -> bool:
    """Staff of the responsible (or rectifying) unit and those above it."""
    return has_any(user, UNIT_STAFF) and covers(user, unit)


def answers_letter(user, letter) -> bool:
    """Only the addressed unit answers an urging letter: its own staff (or of its offices).

    Unlike progress reports, a unit above the addressee may not answer for it — above all not
    the issuing office, whose scope covers the addressee but who would be answering itself.
    """
    if not reports_for(user, letter.addressee):
        return False
    person = getattr(user, "person", None) if getattr(user, "pk", None) else None
    unit = getattr(person, "unit", None)
    return unit is not None and unit.path.startswith(letter.addressee.path)


def is_leader(user, task) -> bool:
    person = getattr(user, "person", None) if getattr(user, "pk", None) else None
    return person is not None and task.leader_id == person.pk


def plays_task(user, task, part: str) -> bool:
    """Does ``user`` play ``part`` (a part of :data:`supervision.actions.TASK_PARTS`)?"""
    if part == "unit":
        return reports_for(user, task.responsible_unit)
    if part == "supervisor":
        return supervises_task(user, task)
    if part == "editor":
        return edits_task(user, task)
    raise ValueError(f"unknown part {part!r}")


def task_actions(user, task, *, explanation_open: bool) -> list[str]:
    """What the user may do to the task now, in the registry's order (the workflow checks
    again when it is done)."""
    task.explanation_open = explanation_open
    return TASKS.allowed(user, task, plays_task)


def plays_rectification(user, rect, part: str) -> bool:
    """Does ``user`` play ``part`` (of :data:`supervision.actions.RECTIFICATION_PARTS`)?"""
    if part == "rectifier":
        return reports_for(user, rect.unit)
    if part == "inspector":
        return can_supervise(user, rect.finding.inspection.unit)
    raise ValueError(f"unknown part {part!r}")


def rectification_actions(user, rect) -> list[str]:
    """What the user may do to the rectification now (the ledger's buttons)."""
    return RECTIFICATIONS.allowed(user, rect, plays_rectification)


def letter_actions(user, letter) -> list[str]:
    """What the user may do to the urging letter now (the letter page's buttons)."""
    return LETTERS.allowed(user, letter, lambda u, lt, part: answers_letter(u, lt))
