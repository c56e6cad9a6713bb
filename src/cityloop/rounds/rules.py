"""Who may do what with demand rounds: the street's supervising staff (those who set tasks
for it) open rounds, record, sort and handle demands; escalating also needs the right to set
the task, checked by the task's own creation."""

from __future__ import annotations

from cityloop.supervision import rules as supervision_rules


def opens_rounds(user) -> bool:
    return supervision_rules.sets_tasks(user)


def runs(user, round_or_unit) -> bool:
    unit = getattr(round_or_unit, "unit", round_or_unit)
    return supervision_rules.can_supervise(user, unit)
