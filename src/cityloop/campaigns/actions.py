"""The campaign loop's actions, each declared once (:class:`cityloop.core.actions.Action`).

A campaign is running or ended. While it runs its organisers record sessions (with their
sign-ins, outputs and resources), add late sign-ins and edit its particulars; ending it is the
one move of its state. From this table: the workflow and the session services check the state
(:mod:`campaigns.workflow`, :mod:`campaigns.services`), the workflow writes the new one and
refuses an event for a state the entry does not name; the campaign page and the API's
``allowed_actions`` come from it (``rules.campaign_actions``); the OpenAPI description of the
campaign path lists it (:mod:`campaigns.api`); ``cityloop docs-tables`` writes the guide's
table (docs/guide/projects.md, its campaigns section).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.campaigns.models import Campaign
from cityloop.core.actions import Action, Part, Registry
from cityloop.core.roles import UNIT_STAFF

C = Campaign.State
RUNNING = frozenset({C.ACTIVE})

# Who takes a campaign action (with the scope: ``rules.plays``).
PARTS: dict[str, Part] = {
    "organiser": Part(_("the organising unit's staff, or those above it"), UNIT_STAFF),
}
INPUTS = ("session", "sign_in", "end", "fields")

CAMPAIGNS = Registry(
    "campaigns", states=C, parts=PARTS, inputs=INPUTS, state_field="state", guide="projects.md"
)

for _entry in (
    Action(
        "session",
        RUNNING,
        None,
        "organiser",
        _("Record a session"),
        "session",
        note=_("one day the campaign ran: sign-ins, outputs, resources, photos"),
    ),
    Action(
        "sign_in",
        RUNNING,
        None,
        "organiser",
        _("Late sign-ins"),
        "sign_in",
        note=_("someone who came after the list of a recorded session was taken"),
    ),
    Action(
        "end",
        RUNNING,
        frozenset({C.ENDED}),
        "organiser",
        _("End the campaign"),
        "end",
        note=_("a one-off is over, a weekly one stops; not before its last session"),
    ),
    Action(
        "edit",
        RUNNING,
        None,
        "organiser",
        _("Edit the campaign"),
        "fields",
        note=_("one event lists the fields changed"),
    ),
):
    CAMPAIGNS.register(_entry)
