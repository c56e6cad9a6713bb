"""Who may do what to a project: the supervision roles, read against the project's units.

Managers (the supervisors of the responsible or supervising unit) set a project up, schedule
it, move its stage, link it to a task, inspect and accept it; the responsible unit's staff
(and those above them) report quantities and record opinion gathering.
"""

from __future__ import annotations

from cityloop.projects.actions import PROJECTS
from cityloop.supervision import rules as sv


def can_manage_unit(user, unit) -> bool:
    """``user`` None is the system itself (the CLI import, the demo): it may do everything."""
    if unit is None:
        return False
    return user is None or sv.can_supervise(user, unit)


def can_set_up(user, unit, supervising=None) -> bool:
    """A project is set up by a manager of its responsible or its supervising unit."""
    return can_manage_unit(user, unit) or can_manage_unit(user, supervising)


def may_set_up_projects(user, units) -> bool:
    """Whether ``user`` may set up a project for any of ``units`` (those in their scope)."""
    return any(can_set_up(user, u) for u in units)


def manages(user, project) -> bool:
    return can_manage_unit(user, project.supervising_unit) or can_manage_unit(
        user, project.responsible_unit
    )


def edits(user, project) -> bool:
    """May change the project's fields (修改项目信息): whoever may set it up for its units."""
    return can_set_up(user, project.responsible_unit, project.supervising_unit)


def reports(user, project) -> bool:
    return user is None or sv.reports_for(user, project.responsible_unit) or manages(user, project)


def plays(user, project, part: str) -> bool:
    """Does ``user`` play ``part`` (of :data:`projects.actions.PARTS`) on ``project``?"""
    if part == "reporter":
        return reports(user, project)
    if part == "manager":
        return manages(user, project)
    if part == "editor":
        return edits(user, project)
    raise ValueError(f"unknown part {part!r}")


def project_actions(user, project) -> list[str]:
    """What the user may do now, in the registry's order (the workflow checks again when it
    is done)."""
    return PROJECTS.allowed(user, project, plays)
