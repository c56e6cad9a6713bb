"""Creating campaign records: the seeded output kinds, campaigns, the sessions they hold
(with sign-ins, outputs, resources and photos) and late sign-ins.

These are new records, not state changes of existing ones, so they live here; each function
checks scope and role and leaves an event in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.campaigns import queries, rules
from cityloop.campaigns.actions import CAMPAIGNS
from cityloop.campaigns.models import (
    Campaign,
    CampaignEvent,
    Output,
    OutputKind,
    ResourceUse,
    Session,
    SignIn,
)
from cityloop.core import clock, events
from cityloop.core import photos as core_photos
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from cityloop.org.models import Person, Place, Unit, Zone

# (code, name, unit): seeded by migration; an admin adds more.
OUTPUT_KINDS = (
    ("dead_corners", "清理卫生死角", "处"),
    ("flyers", "清除小广告", "张"),
    ("illegal_structures", "拆除违法建设", "处"),
    ("garbage", "清运垃圾", "吨"),
    ("trees_treated", "防治树木", "株"),
    ("compounds_covered", "整治楼院", "个"),
    ("vehicles_moved", "规范车辆停放", "辆"),
)
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def seed(kind_model=OutputKind) -> None:
    """Idempotent; also called by the migration with its historical model."""
    for i, (code, name, unit) in enumerate(OUTPUT_KINDS):
        kind_model.objects.get_or_create(
            code=code, defaults={"name": name, "unit": unit, "order": i}
        )


def _event(actor, campaign: Campaign, verb: str, **fields: Any) -> CampaignEvent:
    return events.record(CampaignEvent, actor=actor, verb=verb, campaign=campaign, **fields)


def _positive(value: Any, code: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(code, _("Not a number: %(value)s") % {"value": value}) from None
    if not number.is_finite() or number <= 0:
        raise InvalidInput(code, _("Give a quantity above zero."), {"value": str(value)})
    return number


@dataclass
class CampaignInput:
    code: str
    title: str
    kind: str
    organiser: str  # unit code
    start: date
    recurrence: str = Campaign.Recurrence.ONCE
    weekday: int | None = None
    end: date | None = None
    partners: list[str] = field(default_factory=list)  # unit codes
    places: list[str] = field(default_factory=list)  # place codes
    description: str = ""
    is_demo: bool = False


def new_campaign_code(start: date) -> str:
    """A code for a campaign opened on a page, where nobody types one: its start date and a
    random suffix (HD-20260508-7F3A2C). The API's callers still choose their own."""
    return f"HD-{start:%Y%m%d}-{secrets.token_hex(3).upper()}"


@dataclass
class CheckedCampaign:
    """A campaign's fields as refused or accepted once, for creating and for editing."""

    title: str
    kind: str
    recurrence: str
    weekday: int | None
    start: Any
    end: Any
    organiser: Unit
    partners: list[Unit]
    places: list[Place]
    description: str


def checked(data: CampaignInput) -> CheckedCampaign:
    """Every rule on a campaign's fields (not its code), in one place."""
    title = data.title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("campaign_title_invalid", _("A campaign title has 1 to 200 characters."))
    if data.kind not in Campaign.Kind.values:
        raise InvalidInput("campaign_kind_invalid", _("Unknown kind of campaign."))
    if data.recurrence not in Campaign.Recurrence.values:
        raise InvalidInput("campaign_recurrence_invalid", _("One-off or every week?"))
    weekday = data.weekday
    if data.recurrence == Campaign.Recurrence.WEEKLY:
        if weekday is None or not 0 <= int(weekday) <= 6:
            raise InvalidInput(
                "campaign_weekday_required", _("A weekly campaign names its weekday (0–6).")
            )
    else:
        weekday = None
    if data.end is not None and data.end < data.start:
        raise InvalidInput("campaign_dates_invalid", _("The end is before the start."))
    organiser = Unit.objects.filter(code=data.organiser).first()
    if organiser is None:
        raise InvalidInput("unit_unknown", _("Unknown unit."), {"code": data.organiser})
    partners = []
    for c in data.partners:
        unit = Unit.objects.filter(code=c).first()
        if unit is None:
            raise InvalidInput("unit_unknown", _("Unknown unit."), {"code": c})
        partners.append(unit)
    places = []
    for c in data.places:
        place = Place.objects.filter(code=c).first()
        if place is None:
            raise InvalidInput("place_unknown", _("Unknown place."), {"code": c})
        places.append(place)
    return CheckedCampaign(
        title=title,
        kind=data.kind,
        recurrence=data.recurrence,
        weekday=weekday,
        start=data.start,
        end=data.end,
        organiser=organiser,
        partners=partners,
        places=places,
        description=data.description.strip(),
    )


def create_campaign(*, actor, data: CampaignInput) -> Campaign:
    code = data.code.strip()
    if not code or len(code) > 40:
        raise InvalidInput("campaign_code_invalid", _("A campaign code has 1 to 40 characters."))
    c = checked(data)
    if not rules.runs_for(actor, c.organiser):
        raise Forbidden("campaign_not_organiser", _("You may not organise for this unit."))
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                code=code,
                title=c.title,
                kind=c.kind,
                recurrence=c.recurrence,
                weekday=c.weekday,
                start=c.start,
                end=c.end,
                organiser=c.organiser,
                description=c.description,
                created_at=clock.now(),
                is_demo=data.is_demo,
            )
            campaign.partners.set(c.partners)
            campaign.places.set(c.places)
            _event(actor, campaign, "create", to_state=campaign.state, data={"code": code})
    except IntegrityError:
        raise Conflict(
            "campaign_code_taken", _("A campaign with this code exists."), {"code": code}
        ) from None
    return campaign


@dataclass
class Participant:
    name: str
    unit: Unit | None = None
    person: Person | None = None
    is_volunteer: bool = True


@dataclass
class OutputInput:
    kind: str  # OutputKind code
    quantity: Any
    place: Place | None = None  # default: the session's place
    zone: Zone | None = None


@dataclass
class ResourceInput:
    name: str
    unit: str
    quantity: Any


def _campaign_for_session(actor, campaign_id: int) -> Campaign:
    campaign = (
        queries.visible_campaigns(actor)
        .select_for_update(of=("self",))
        .select_related("organiser")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise NotFound("campaign_not_found", _("Campaign not found"))
    if not rules.runs(actor, campaign):
        raise Forbidden("campaign_not_organiser", _("Only the organiser records sessions."))
    if campaign.state not in CAMPAIGNS["session"].sources:
        raise Conflict("campaign_ended", _("The campaign has ended."))
    return campaign


def _within(place: Place, campaign: Campaign) -> bool:
    roots = list(campaign.places.all())
    return not roots or any(place.path.startswith(r.path) for r in roots)


def _participants(participants: Sequence[Participant]) -> list[Participant]:
    seen = set()
    out = []
    for p in participants:
        name = (p.name or "").strip()
        if not name or len(name) > 50:
            raise InvalidInput(
                "sign_in_name_invalid", _("A participant's name has 1 to 50 characters.")
            )
        key = (name, p.unit.pk if p.unit else None)
        if key in seen:
            raise Conflict(
                "sign_in_duplicate",
                _("%(name)s is signed in twice.") % {"name": name},
                {"name": name},
            )
        seen.add(key)
        out.append(Participant(name, p.unit, p.person, p.is_volunteer))
    return out


def record_session(
    *,
    actor,
    campaign_id: int,
    on: date,
    place: Place,
    note: str = "",
    participants: Sequence[Participant] = (),
    outputs: Sequence[OutputInput] = (),
    resources: Sequence[ResourceInput] = (),
    photos: Sequence[str] = (),
    photo_ids: Sequence[int] = (),
) -> Session:
    """One day the campaign ran at a place: who signed in, what was used, what was done.
    ``photo_ids``: the caller's uploads, claimed in this transaction (a refused day keeps
    them unused); ``photos``: files already stored (the page's)."""
    if on > clock.today():
        raise InvalidInput("session_in_future", _("A session cannot be dated in the future."))
    people = _participants(participants)
    kinds = {k.code: k for k in OutputKind.objects.all()}
    out_rows = []
    for o in outputs:
        if o.kind not in kinds:
            raise InvalidInput(
                "output_kind_unknown", _("Unknown kind of output."), {"kind": o.kind}
            )
        out_rows.append((kinds[o.kind], _positive(o.quantity, "output_quantity_invalid"), o))
    res_rows = []
    for r in resources:
        name, unit = (r.name or "").strip(), (r.unit or "").strip()
        if not name or len(name) > 60 or not unit or len(unit) > 20:
            raise InvalidInput(
                "resource_invalid", _("A resource needs a name and a unit of measure.")
            )
        res_rows.append((name, unit, _positive(r.quantity, "resource_quantity_invalid")))
    with transaction.atomic():
        campaign = _campaign_for_session(actor, campaign_id)
        if on < campaign.start or (campaign.end and on > campaign.end):
            raise InvalidInput(
                "session_outside_campaign", _("The date is outside the campaign's dates.")
            )
        if campaign.recurrence == Campaign.Recurrence.WEEKLY and on.weekday() != campaign.weekday:
            raise InvalidInput(
                "session_not_on_weekday",
                _("This campaign runs every %(day)s.") % {"day": WEEKDAY_NAMES[campaign.weekday]},
                {"weekday": campaign.weekday},
            )
        for p in [place, *(o.place for _k, _q, o in out_rows if o.place)]:
            if not _within(p, campaign):
                raise InvalidInput(
                    "session_place_outside",
                    _("%(place)s is not a place of this campaign.") % {"place": p.name},
                )
        photos = [*photos, *core_photos.files_from_uploads(actor, photo_ids)]
        now = clock.now()
        try:
            with transaction.atomic():
                session = Session.objects.create(
                    campaign=campaign,
                    on=on,
                    place=place,
                    note=note.strip(),
                    photos=list(photos),
                    at=now,
                    recorded_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError:
            raise Conflict(
                "session_exists",
                _("A session on this day at this place is already recorded."),
            ) from None
        SignIn.objects.bulk_create(
            [
                SignIn(
                    session=session,
                    name=p.name,
                    unit=p.unit,
                    person=p.person,
                    is_volunteer=p.is_volunteer,
                    at=now,
                )
                for p in people
            ]
        )
        Output.objects.bulk_create(
            [
                Output(session=session, kind=k, quantity=q, place=o.place or place, zone=o.zone)
                for k, q, o in out_rows
            ]
        )
        ResourceUse.objects.bulk_create(
            [ResourceUse(session=session, name=n, unit=u, quantity=q) for n, u, q in res_rows]
        )
        _event(
            actor,
            campaign,
            "session",
            note=note.strip(),
            data={
                "session": session.pk,
                "on": on.isoformat(),
                "place": place.code,
                "person_times": len(people),
                "outputs": {k.code: str(q) for k, q, _o in out_rows},
            },
            attachments=list(photos),
        )
    return session


def sign_in(*, actor, session_id: int, participants: Sequence[Participant]) -> list[SignIn]:
    """Late sign-ins to a recorded session (a volunteer who came after the list was taken)."""
    people = _participants(participants)
    session = (
        Session.objects.filter(pk=session_id, campaign__in=queries.visible_campaigns(actor))
        .select_related("campaign")
        .first()
    )
    if session is None:
        raise NotFound("session_not_found", _("Session not found"))
    with transaction.atomic():
        campaign = _campaign_for_session(actor, session.campaign_id)
        taken = set(session.sign_ins.values_list("name", "unit_id"))
        dup = [p.name for p in people if (p.name, p.unit.pk if p.unit else None) in taken]
        if dup:
            raise Conflict(
                "sign_in_duplicate",
                _("%(name)s is signed in twice.") % {"name": "、".join(dup)},
                {"names": dup},
            )
        now = clock.now()
        rows = SignIn.objects.bulk_create(
            [
                SignIn(
                    session=session,
                    name=p.name,
                    unit=p.unit,
                    person=p.person,
                    is_volunteer=p.is_volunteer,
                    at=now,
                )
                for p in people
            ]
        )
        _event(
            actor,
            campaign,
            "sign_in",
            data={"session": session.pk, "names": [p.name for p in people]},
        )
    return rows
