"""The Chinese words for the history of bulletin submissions and issues."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.bulletins.models import Issue, Submission
from cityloop.core import labels

VOCABULARY = labels.register(
    "bulletins",
    verbs={
        "submit": _("Submitted"),
        "accept": _("Accepted"),
        "edit": _("Accepted with edits"),
        "reject": _("Rejected"),
        "create": _("Issue started"),
        "compile": _("Issue compiled"),
        "generate": _("Items generated from figures"),
        "place": _("Placed in an issue"),
        "remove": _("Removed from an issue"),
        "recipients": _("Recipients set"),
        "publish": _("Issue published"),
        "number": _("Notice numbered in the register"),
    },
    states={
        **dict(Issue.State.choices),
        **dict(Submission.State.choices),
        "numbered": _("Numbered"),
    },
)
