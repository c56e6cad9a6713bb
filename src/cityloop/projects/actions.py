"""The project loop's actions, each declared once (:class:`cityloop.core.actions.Action`).

A project is in progress, complete or cancelled; its stages are data (each project type has
its own), so an entry names the state and the stage rule stays in the workflow. From this
table: the workflow checks the state and writes the new one (:mod:`projects.workflow`) and
refuses an event for a state the entry does not name; the project page and the API's
``allowed_actions`` come from it (``rules.project_actions``); the OpenAPI description of the
project path lists it (:mod:`projects.api`); ``cityloop docs-tables`` writes the guide's table
(docs/guide/projects.md). The open points of an acceptance are supervision rectifications:
their actions are supervision's registry (:data:`supervision.actions.RECTIFICATIONS`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core.actions import Action, Part, Registry
from cityloop.core.roles import OVERSEERS, UNIT_STAFF
from cityloop.projects.models import Project

P = Project.State
ACTIVE = frozenset({P.ACTIVE})

# Who takes a project action (with the scope: ``rules.plays``).
PARTS: dict[str, Part] = {
    "reporter": Part(_("responsible unit, or the project's managers"), UNIT_STAFF),
    "manager": Part(_("the project's managers"), OVERSEERS),
    "editor": Part(_("who may set the project up"), OVERSEERS),
}
INPUTS = (
    "quantity",
    "opinion",
    "design_item",
    "stage",
    "inspection",
    "schedule",
    "task",
    "reason",
    "acceptance",
    "fields",
    "note",
)

PROJECTS = Registry(
    "projects", states=P, parts=PARTS, inputs=INPUTS, state_field="state", guide="projects.md"
)


def _at_acceptance(actor, project: Project) -> bool:
    stage = project.type.acceptance_stage
    return bool(stage) and project.stage == stage


for _entry in (
    Action(
        "report",
        ACTIVE,
        None,
        "reporter",
        _("Report quantities"),
        "quantity",
        verb="quantity",
        note=_("a quantity done for one work item (negative corrects); the progress follows"),
    ),
    Action(
        "opinion",
        ACTIVE,
        None,
        "reporter",
        _("Record opinion gathering"),
        "opinion",
        note=_("door-to-door visits, calls, small-stool meetings and the requests heard"),
    ),
    Action(
        "design_item",
        ACTIVE,
        None,
        "reporter",
        _("Add a design item"),
        "design_item",
        note=_("what the design takes up from the residents' requests"),
    ),
    Action(
        "advance",
        ACTIVE,
        frozenset({P.ACTIVE, P.COMPLETE}),
        "manager",
        _("Next stage"),
        "stage",
        verb="stage",
        note=_(
            "one stage on; acceptance only with the work items done, and out of acceptance "
            "only by a passed acceptance; the final stage completes the project"
        ),
    ),
    Action(
        "inspect",
        ACTIVE,
        None,
        "manager",
        _("Inspect"),
        "inspection",
        verb="inspection",
        note=_("quality or safety; its findings are rectified as in supervision"),
    ),
    Action(
        "schedule",
        ACTIVE,
        None,
        "manager",
        _("Schedule"),
        "schedule",
        note=_("steps scheduled backwards from the planned completion"),
    ),
    Action(
        "link_task",
        ACTIVE,
        None,
        "manager",
        _("Link to a task"),
        "task",
        note=_("the task's progress is the project's from then on"),
    ),
    Action(
        "cancel",
        ACTIVE,
        frozenset({P.CANCELLED}),
        "manager",
        _("Cancel the project"),
        "reason",
        note=_("reason required"),
    ),
    Action(
        "accept",
        ACTIVE,
        frozenset({P.ACTIVE, P.COMPLETE}),
        "manager",
        _("Record the acceptance"),
        "acceptance",
        verb="acceptance",
        precondition=_at_acceptance,
        note=_(
            "at the acceptance stage: passed completes the project; failed names the open "
            "points, each a rectification re-inspected at the next round"
        ),
    ),
    Action(
        "edit",
        ACTIVE,
        None,
        "editor",
        _("Edit the project"),
        "fields",
        note=_("one event lists the fields changed"),
    ),
):
    PROJECTS.register(_entry)
