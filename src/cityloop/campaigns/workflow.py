"""A campaign's changes: its particulars are edited, and it ends (a one-off is over, a weekly
one stops). Sessions, sign-ins and outputs are new records (:mod:`cityloop.campaigns.services`).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.campaigns import queries, rules
from cityloop.campaigns.actions import CAMPAIGNS
from cityloop.campaigns.models import Campaign, CampaignEvent
from cityloop.core import clock, edits, events
from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound


def _event(actor, campaign: Campaign, verb: str, **fields) -> CampaignEvent:
    entry = CAMPAIGNS.by_verb(verb)
    if entry is not None and hasattr(campaign, "locked_state"):
        # A bug, not bad input, when the function left the campaign where its entry says it
        # cannot (the transaction rolls back).
        CAMPAIGNS.check_move(entry.name, campaign.locked_state, campaign.state, campaign.pk)
    return events.record(CampaignEvent, actor=actor, verb=verb, campaign=campaign, **fields)


def _require_state(campaign: Campaign, action: str) -> None:
    """The campaign is in a state ``action``'s entry may be taken from (every entry names the
    one state "running", so the refusal is "the campaign has ended")."""
    if campaign.state not in CAMPAIGNS[action].sources:
        raise InvalidTransition("campaign_ended", _("The campaign has ended."))


def update_campaign(*, actor, campaign_id: int, data, note: str = "") -> bool:
    """修改活动信息: the same rules as creating (``services.checked``); one "edit" event lists
    what changed, old and new; nothing is written when nothing changed. Says whether anything
    changed."""
    from cityloop.campaigns import services

    c = services.checked(data)
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
        campaign.locked_state = campaign.state  # what the registry measures the event against
        if not (rules.runs(actor, campaign) and rules.runs_for(actor, c.organiser)):
            raise Forbidden("campaign_not_organiser", _("You may not organise for this unit."))
        _require_state(campaign, "edit")
        first = campaign.sessions.order_by("on").values_list("on", flat=True).first()
        if first and c.start > first:
            raise InvalidInput(
                "campaign_start_after_session", _("A session was held before that date.")
            )
        before = {
            "title": campaign.title,
            "kind": campaign.get_kind_display(),
            "recurrence": campaign.get_recurrence_display(),
            "weekday": campaign.weekday,
            "start": campaign.start,
            "end": campaign.end,
            "organiser": campaign.organiser.name,
            "partners": [u.name for u in campaign.partners.all()],
            "places": [p.name for p in campaign.places.all()],
            "description": campaign.description,
        }
        after = {
            "title": c.title,
            "kind": Campaign.Kind(c.kind).label,
            "recurrence": Campaign.Recurrence(c.recurrence).label,
            "weekday": c.weekday,
            "start": c.start,
            "end": c.end,
            "organiser": c.organiser.name,
            "partners": [u.name for u in c.partners],
            "places": [p.name for p in c.places],
            "description": c.description,
        }
        changed = edits.diff(before, after)
        if not changed:
            return False
        for name in ("title", "kind", "recurrence", "weekday", "start", "end", "description"):
            setattr(campaign, name, getattr(c, name))
        campaign.organiser = c.organiser
        campaign.save()
        campaign.partners.set(c.partners)
        campaign.places.set(c.places)
        _event(actor, campaign, "edit", note=note.strip(), data={"changed": changed})
    return True


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
        campaign.locked_state = campaign.state  # what the registry measures the event against
        if not rules.ends(actor, campaign):
            raise Forbidden("campaign_not_organiser", _("Only the organiser ends a campaign."))
        _require_state(campaign, "end")
        if end < campaign.start:
            raise InvalidInput("campaign_dates_invalid", _("The end is before the start."))
        last = campaign.sessions.order_by("-on").values_list("on", flat=True).first()
        if last and end < last:
            raise InvalidInput(
                "campaign_end_before_session", _("A session was held after that date.")
            )
        old = CAMPAIGNS.move(campaign, "end")
        campaign.end = end
        campaign.save(update_fields=["state", "end"])
        _event(
            actor,
            campaign,
            "end",
            from_state=old,
            to_state=campaign.state,
            note=note.strip(),
            data={"end": end.isoformat()},
        )
    return campaign
