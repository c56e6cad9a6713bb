"""The Chinese words for a patrol's history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels
from cityloop.patrols.models import Patrol

VOCABULARY = labels.register(
    "patrols",
    verbs={
        "start": _("Patrol started"),
        "check_in": _("Checked in"),
        "report": _("Problem reported"),
        "end": _("Patrol ended"),
    },
    states={**dict(Patrol.State.choices), **dict(Patrol.Result.choices)},
)
