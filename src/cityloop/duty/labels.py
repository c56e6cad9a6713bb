"""The Chinese words for a shift's history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels

VOCABULARY = labels.register(
    "duty",
    verbs={
        "create": _("Shift planned"),
        "assign": _("Shift staffed"),
        "swap_request": _("Swap requested"),
        "swap_approve": _("Swap approved"),
        "swap_refuse": _("Swap refused"),
        "handover": _("Handover recorded"),
        "alert_duty": _("Urgent case told to the person on duty"),
        "alert_leader": _("Untaken urgent case told to the leader on call"),
    },
)
