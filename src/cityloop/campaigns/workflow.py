"""The one state change of a campaign: it ends (a one-off is over, a weekly one stops).
Sessions, sign-ins and outputs are new records (:mod:`cityloop.campaigns.services`)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.campaigns import queries, rules
from cityloop.campaigns.models import Campaign, CampaignEvent
from cityloop.core import clock, events
from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound


def end_campaign(*, actor, campaign_id: int, end: date | None = None, note: str = "") -> Campaign:
    end = end or clock.today()
    with transaction.atomic():
        campaign = (
            queries.visible_campaigns(actor)
            .select_for_update(of=("self",))
            .select_related("organiser")
            .filter(pk=campaign_id)
            .first()
        )
        if campaign is None:
            raise NotFound("campaign_not_found", _("Campaign not found"))
        if not rules.ends(actor, campaign):
            raise Forbidden("campaign_not_organiser", _("Only the organiser ends a campaign."))
        if campaign.state != Campaign.State.ACTIVE:
            raise InvalidTransition("campaign_ended", _("The campaign has ended."))
        if end < campaign.start:
            raise InvalidInput("campaign_dates_invalid", _("The end is before the start."))
        last = campaign.sessions.order_by("-on").values_list("on", flat=True).first()
        if last and end < last:
            raise InvalidInput(
                "campaign_end_before_session", _("A session was held after that date.")
            )
        campaign.state = Campaign.State.ENDED
        campaign.end = end
        campaign.save(update_fields=["state", "end"])
        events.record(
            CampaignEvent,
            actor=actor,
            verb="end",
            campaign=campaign,
            from_state="active",
            to_state="ended",
            note=note.strip(),
            data={"end": end.isoformat()},
        )
    return campaign
