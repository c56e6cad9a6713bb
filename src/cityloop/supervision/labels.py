"""The Chinese words for supervision's history: tasks, findings and urging letters."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels
from cityloop.supervision.models import Colour, Escalation, Rectification, Task, UrgingLetter

VOCABULARY = labels.register(
    "supervision",
    verbs={
        "create": _("Task created"),
        "edit": _("Task details changed"),
        "plan": _("Milestone plan set"),
        "progress": _("Progress reported"),
        "milestone_done": _("Milestone done"),
        "complete": _("Task completed"),
        "cancel": _("Task cancelled"),
        "light": _("Light changed"),
        "explanation_requested": _("Explanation requested"),
        "explain": _("Explanation given"),
        "urged": _("Urged"),
        "finding": _("Problem found in inspection"),
        "rectified": _("Rectification reported"),
        "reinspect": _("Re-inspected"),
        "escalation_proposed": _("Accountability proposed"),
        "escalation_confirmed": _("Accountability confirmed"),
        "escalation_dismissed": _("Accountability dismissed"),
        "letter_sent": _("Urging letter sent"),
        "letter_received": _("Urging letter received"),
        "letter_answered": _("Urging letter answered"),
    },
    # Later choices win where two objects share a code ("open", "answered"): the words are
    # chosen to read right for both.
    states={
        **dict(Colour.choices),
        **dict(Task.State.choices),
        **dict(Rectification.State.choices),
        **dict(Escalation.State.choices),
        **dict(UrgingLetter.State.choices),
        "open": _("Open"),
        "withdrawn": _("No longer needed"),
    },
)
