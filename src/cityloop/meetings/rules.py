"""Who may do what with meetings.

A meeting is the organising unit's: whoever supervises that unit (street staff, supervisors,
leaders — the roles that set tasks) schedules it, signs people in, records the minutes and the
decisions, and issues the minutes. A decision becomes a task, so recording one also needs the
right to set that task (:func:`cityloop.supervision.rules.sets_task_for`), checked by the task's
own creation.
"""

from __future__ import annotations

from cityloop.supervision import rules as supervision_rules


def schedules_meetings(user) -> bool:
    """May schedule a meeting at all (the 新建会议 button)."""
    return supervision_rules.sets_tasks(user)


def organises(user, meeting_or_unit) -> bool:
    """May run the meeting (or meetings of the unit): a supervising role covering its unit."""
    unit = getattr(meeting_or_unit, "unit", meeting_or_unit)
    return supervision_rules.can_supervise(user, unit)


def meeting_actions(user, meeting) -> list[str]:
    """What the user may do on the meeting's page now (the workflow checks again)."""
    if not organises(user, meeting):
        return []
    if meeting.state == "issued":
        return []
    actions = ["sign_in", "minutes", "decide"]
    if meeting.state == "held" and meeting.minutes:
        actions.append("issue")
    return actions
