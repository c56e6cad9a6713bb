"""The Chinese words for a campaign's history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.campaigns.models import Campaign
from cityloop.core import labels

VOCABULARY = labels.register(
    "campaigns",
    verbs={
        "create": _("Campaign created"),
        "session": _("Session recorded"),
        "sign_in": _("Signed in"),
        "end": _("Campaign ended"),
        "edit": _("Campaign particulars changed"),
    },
    states=dict(Campaign.State.choices),
)
