"""How a demo loader's outcome reads in the summary it prints."""

from __future__ import annotations

from django.utils.translation import gettext as _


def outcome_label(outcome: str) -> str:
    return {
        "loaded": _("loaded"),
        "replaced": _("replaced"),
        "unchanged": _("unchanged"),
    }.get(outcome, outcome)
