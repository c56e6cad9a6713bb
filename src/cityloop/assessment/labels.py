"""The Chinese words for the history of assessment schemes, periods and appeals."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.assessment.models import Appeal, Period, Scheme
from cityloop.core import labels

VOCABULARY = labels.register(
    "assessment",
    verbs={
        "define": _("Scheme drawn up"),
        "revise": _("Scheme revised"),
        "activate": _("Scheme put into use"),
        "retire": _("Scheme retired"),
        "compute": _("Scores computed"),
        "enter": _("Score entered"),
        "close": _("Period closed"),
        "appeal": _("Appeal lodged"),
        "uphold": _("Appeal upheld"),
        "dismiss": _("Appeal dismissed"),
    },
    # "open" is a period's; a scheme's "active" reads the same for both.
    states={
        **dict(Scheme.State.choices),
        **dict(Period.State.choices),
        **dict(Appeal.State.choices),
    },
)
