"""Supervision's actions, each declared once: a registry each for tasks, rectifications,
escalations and urging letters.

Each entry (:class:`cityloop.core.actions.Action`) says from which states the action may be
taken, where it leaves the record, which part takes it, what extra condition must hold, its
Chinese label and the shape of its input. From it: the workflow checks the state and writes
the new one (:mod:`supervision.workflow`) and refuses an event for a state the entry does not
name; the task page and the ledger draw their buttons from it (``rules.task_actions``,
``rules.rectification_actions``); the API's ``allowed_actions`` and the OpenAPI description of
``/tasks/{task_id}/actions/{action}`` list it (:mod:`supervision.api`); ``cityloop
docs-tables`` writes the guide's tables (docs/guide/supervision.md).

An action whose input is a plain note or reason needs no function of its own: the workflow's
generic step (``workflow.perform_task``) moves the task and records it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core.actions import Action, Part, Registry
from cityloop.core.roles import OVERSEERS, UNIT_STAFF
from cityloop.supervision.models import Escalation, Explanation, Rectification, Task, UrgingLetter

T = Task.State
R = Rectification.State

# --- tasks -------------------------------------------------------------------------------------

# Who takes a task action (with the scope: ``rules.plays_task``).
TASK_PARTS: dict[str, Part] = {
    "unit": Part(_("responsible unit"), UNIT_STAFF),
    "supervisor": Part(_("the task's supervisors"), OVERSEERS),
    "editor": Part(_("who may set the task"), OVERSEERS),
}
# The input shapes: each names one page form and one API body.
TASK_INPUTS = ("progress", "milestone", "text", "plan", "done", "fields", "reason", "note")

TASKS = Registry(
    "tasks",
    states=T,
    parts=TASK_PARTS,
    inputs=TASK_INPUTS,
    state_field="state",
    guide="supervision.md",
)


def _explanation_open(actor, task: Task) -> bool:
    known = getattr(task, "explanation_open", None)  # set by the page that already read it
    if known is not None:
        return bool(known)
    return task.explanations.filter(state=Explanation.State.OPEN).exists()


ACTIVE = frozenset({T.ACTIVE})

for _entry in (
    Action(
        "report",
        ACTIVE,
        None,
        "unit",
        _("Report progress"),
        "progress",
        verb="progress",
        note=_("text and a percent or an indicator value; the light follows at once"),
    ),
    Action(
        "milestone_done",
        ACTIVE,
        None,
        "unit",
        _("Mark a milestone done"),
        "milestone",
        note=_("a milestone of this task, not in the future"),
    ),
    Action(
        "explain",
        frozenset(T.values),
        None,
        "unit",
        _("Explain a red light"),
        "text",
        precondition=_explanation_open,
        note=_("only while an explanation is awaited; the leader in charge is told"),
    ),
    Action(
        "plan",
        ACTIVE,
        None,
        "supervisor",
        _("Plan the milestones"),
        "plan",
        note=_("steps scheduled backwards from the deadline in working days, or given dates"),
    ),
    Action(
        "complete",
        ACTIVE,
        frozenset({T.DONE}),
        "supervisor",
        _("Confirm the task is done"),
        "done",
        note=_("done early, on time or late by the date given; open explanations lapse"),
    ),
    Action(
        "cancel",
        ACTIVE,
        frozenset({T.CANCELLED}),
        "supervisor",
        _("Cancel the task"),
        "reason",
        note=_("reason required"),
    ),
    Action(
        "edit",
        ACTIVE,
        None,
        "editor",
        _("Edit the task"),
        "fields",
        note=_("one event lists the fields changed"),
    ),
):
    TASKS.register(_entry)


# --- rectifications ----------------------------------------------------------------------------

RECTIFICATION_PARTS: dict[str, Part] = {
    "rectifier": Part(_("rectifying unit"), UNIT_STAFF),
    "inspector": Part(_("inspecting unit"), OVERSEERS),
}
RECTIFICATION_INPUTS = ("text", "reinspect", "note", "reason")

RECTIFICATIONS = Registry(
    "rectifications",
    states=R,
    parts=RECTIFICATION_PARTS,
    inputs=RECTIFICATION_INPUTS,
    state_field="state",
    guide="supervision.md",
)

for _entry in (
    Action(
        "report",
        frozenset({R.OPEN}),
        frozenset({R.SUBMITTED}),
        "rectifier",
        _("Report rectified"),
        "text",
        verb="rectified",
        note=_("what was done, with photos; a re-inspection must confirm it"),
    ),
    Action(
        "reinspect",
        frozenset({R.OPEN, R.SUBMITTED}),
        frozenset({R.CLOSED, R.OPEN}),
        "inspector",
        _("Re-inspect"),
        "reinspect",
        note=_(
            "pass closes; fail (with what is still wrong) reopens it and counts the problem "
            "as come back"
        ),
    ),
):
    RECTIFICATIONS.register(_entry)


# --- escalations (问责建议) ---------------------------------------------------------------------

E = Escalation.State

ESCALATION_PARTS: dict[str, Part] = {"inspector": Part(_("inspecting unit"), OVERSEERS)}

ESCALATIONS = Registry(
    "escalations",
    states=E,
    parts=ESCALATION_PARTS,
    inputs=("decide",),
    state_field="state",
    guide="supervision.md",
)
ESCALATIONS.register(
    Action(
        "decide",
        frozenset({E.PROPOSED}),
        frozenset({E.CONFIRMED, E.DISMISSED}),
        "inspector",
        _("Confirm or dismiss"),
        "decide",
        note=_("a confirmed deduction is what the assessment reads"),
    )
)


# --- urging letters (催办函) --------------------------------------------------------------------

L = UrgingLetter.State

LETTER_PARTS: dict[str, Part] = {"addressee": Part(_("the addressed unit"), UNIT_STAFF)}

LETTERS = Registry(
    "letters",
    states=L,
    parts=LETTER_PARTS,
    inputs=("none", "text"),
    state_field="state",
    guide="supervision.md",
)
for _entry in (
    Action(
        "receive",
        frozenset({L.SENT}),
        frozenset({L.RECEIVED}),
        "addressee",
        _("Acknowledge receipt"),
        "none",
        verb="letter_received",
        note=_("only the addressed unit's own staff"),
    ),
    Action(
        "answer",
        frozenset({L.SENT, L.RECEIVED}),
        frozenset({L.ANSWERED}),
        "addressee",
        _("Send the answer"),
        "text",
        verb="letter_answered",
        note=_("an answer after the date is recorded as late; the letter's tasks are re-lit"),
    ),
):
    LETTERS.register(_entry)
