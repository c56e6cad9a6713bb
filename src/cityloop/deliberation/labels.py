"""The Chinese words of deliberation shared by the pages and the API: event verbs,
thresholds of a tally and the channels of opinions and ballots (codes never shown raw)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from cityloop.deliberation.models import Ballot, Opinion

# The actions' own labels are the registry's (:data:`deliberation.actions.TOPICS`).
VERB_LABELS = {
    "create": gettext_lazy("Topic opened for opinions"),
    "opinion": gettext_lazy("Opinion recorded"),
    "ballot": gettext_lazy("Ballot"),
    "proxy": gettext_lazy("Proxy registered"),
    "owner_checked": gettext_lazy("Owner checked in person"),
    "phone_shown": gettext_lazy("Number shown"),
    "publish_choices": gettext_lazy("Choices published"),
    "unpublish_choices": gettext_lazy("Choices no longer published"),
    "rate": gettext_lazy("Rating"),
    "link_project": gettext_lazy("Linked to the project carrying it out"),
    "issue_document": gettext_lazy("Document issued and numbered"),
    "propose": gettext_lazy("Proposed"),
    "deliberate": gettext_lazy("Deliberated"),
    "open_vote": gettext_lazy("Vote opened"),
    "close_vote": gettext_lazy("Vote closed"),
    "publish_resolution": gettext_lazy("Resolution published"),
    "start_implementation": gettext_lazy("Implementation started"),
    "publish_result": gettext_lazy("Result published"),
    "close": gettext_lazy("Topic closed"),
    "withdraw": gettext_lazy("Withdrawn"),
}
THRESHOLD_LABELS = {
    "participation_area": gettext_lazy("Participation by floor area"),
    "participation_heads": gettext_lazy("Participation by number of owners"),
    "approval_area": gettext_lazy("In favour, by participating floor area"),
    "approval_heads": gettext_lazy("In favour, by participating owners"),
    "majority_of_attendees": gettext_lazy("In favour, of attendees"),
}


CHANNEL_LABELS = {**dict(Opinion.Channel.choices), **dict(Ballot.Channel.choices)}


def label(table: dict[str, Any], code: str) -> str:
    """The Chinese word for a code ("" for no code; an unknown code as "其他")."""
    if not code:
        return ""
    return str(table.get(code, gettext_lazy("Other")))
