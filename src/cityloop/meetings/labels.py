"""The Chinese words for a meeting's history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels
from cityloop.meetings.models import Meeting

VOCABULARY = labels.register(
    "meetings",
    verbs={
        "create": _("Meeting scheduled"),
        "sign_in": _("Signed in"),
        "absence": _("Absence recorded"),
        "minutes": _("Minutes recorded"),
        "decide": _("Decision recorded"),
        "issue": _("Minutes issued"),
    },
    states=dict(Meeting.State.choices),
)
