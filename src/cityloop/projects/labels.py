"""The Chinese words for a project's history. A project's stages are named by its type
(``ProjectType.stage_name``); the vocabulary names the rest."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels
from cityloop.projects.models import Project

VOCABULARY = labels.register(
    "projects",
    verbs={
        "create": _("Project created"),
        "edit": _("Project details changed"),
        "stage": _("Moved to the next stage"),
        "cancel": _("Project cancelled"),
        "link_task": _("Linked to a key task"),
        "resolution": _("Carries out a residents' resolution"),
        "work_item": _("Work item added"),
        "quantity": _("Quantity done reported"),
        "schedule": _("Schedule set"),
        "opinion": _("Residents' opinion recorded"),
        "design_item": _("Design list item added"),
        "inspection": _("Quality or safety inspection"),
        "finding": _("Problem found in inspection"),
        "rectified": _("Rectification reported"),
        "acceptance": _("Acceptance passed"),
        "acceptance_failed": _("Acceptance failed"),
    },
    states=dict(Project.State.choices),
)


def state_namer(project: Project) -> Callable[[str], str]:
    """A stage code reads as the stage's name in the project's type, anything else through
    the vocabulary."""
    stages = {s["code"]: s["name"] for s in project.type.stages}

    def name(code: str) -> str:
        return stages.get(code) or VOCABULARY.state(code)

    return name
