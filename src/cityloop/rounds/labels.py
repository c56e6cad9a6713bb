"""The Chinese words for a round's history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels
from cityloop.rounds.models import Demand

VOCABULARY = labels.register(
    "rounds",
    verbs={
        "create": _("Round opened"),
        "demand": _("Demand recorded"),
        "sort": _("Demand sorted"),
        "merge": _("Demand merged"),
        "link": _("Demand linked to projects"),
        "solve": _("Solved on the spot"),
        "escalate": _("Demand escalated"),
    },
    states=dict(Demand.State.choices),
)
