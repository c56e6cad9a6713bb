"""Every change to a meeting, each with its event in the same transaction.

schedule → sign people in (or record an absence) → record the minutes → record decisions, each
made a supervision task (:func:`cityloop.supervision.services.create_task`: its owner unit,
leader and deadline; its light from then on is the board's) → issue the minutes, after which
the record is closed. A refused step raises and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cityloop.core import clock, codes, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from cityloop.meetings import queries, rules
from cityloop.meetings.models import Attendee, Decision, Meeting, MeetingEvent
from cityloop.org.models import Person, Unit
from cityloop.supervision import services as supervision_services

TITLE_MAX = 200
TEXT_MAX = 20_000
DECISIONS_MAX = 60  # a meeting with more is a plan, not a set of decisions
DEFAULT_TASK_KIND = "key_work"


def _text(value: str, code: str, message: str, *, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if (required and not value) or len(value) > limit:
        raise InvalidInput(code, message)
    return value


def _new_code(at: datetime) -> str:
    return codes.dated_code(Meeting, at, prefix="HY")


def _event(actor, meeting: Meeting, verb: str, **fields) -> MeetingEvent:
    return events.record(MeetingEvent, actor=actor, verb=verb, meeting=meeting, **fields)


def _locked(actor, code: str) -> Meeting:
    meeting = queries.visible_meetings(actor).select_for_update(of=("self",)).filter(code=code)
    found = meeting.select_related("unit").first()
    if found is None:
        raise NotFound("meeting_not_found", _("Meeting not found."))
    if not rules.organises(actor, found):
        raise Forbidden("meeting_not_organiser", _("Only the organising unit runs this meeting."))
    return found


def _open(meeting: Meeting) -> None:
    if meeting.state == Meeting.State.ISSUED:
        raise Conflict(
            "meeting_issued", _("The minutes have been issued; the meeting record is closed.")
        )


@dataclass
class MeetingInput:
    kind: str
    title: str
    unit: str  # unit code
    held_at: datetime
    chair: str = ""  # person code
    location: str = ""
    agenda: str = ""
    attendees: list[str] | None = None  # person codes invited (to sign in)
    is_demo: bool = False


def schedule(*, actor, data: MeetingInput) -> Meeting:
    """A new meeting of ``data.unit``; it opens with the decisions of the unit's previous meeting
    of the same kind."""
    if data.kind not in Meeting.Kind.values:
        raise InvalidInput("meeting_kind_invalid", _("Unknown meeting kind."))
    title = _text(
        data.title, "meeting_title_invalid", _("A title has 1 to 200 characters."), limit=TITLE_MAX
    )
    unit = Unit.objects.filter(code=data.unit).first() if data.unit else None
    if unit is None:
        raise InvalidInput("unit_unknown", _("Unknown unit."))
    if not rules.organises(actor, unit):
        raise Forbidden("meeting_not_organiser", _("You may not hold meetings for this unit."))
    codes = list(dict.fromkeys(c for c in (data.attendees or []) if c))
    if data.chair and data.chair not in codes:
        codes.insert(0, data.chair)
    people = {p.code: p for p in Person.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in people]
    if missing:
        raise InvalidInput("person_unknown", _("Unknown person."), {"codes": missing})
    agenda = _text(
        data.agenda,
        "meeting_agenda_invalid",
        _("The agenda is too long."),
        limit=TEXT_MAX,
        required=False,
    )
    location = _text(
        data.location,
        "meeting_location_invalid",
        _("The location is too long."),
        limit=200,
        required=False,
    )
    now = clock.now()
    with transaction.atomic():
        meeting = Meeting.objects.create(
            code=_new_code(data.held_at),
            kind=data.kind,
            title=title,
            unit=unit,
            chair=people.get(data.chair),
            held_at=data.held_at,
            location=location,
            agenda=agenda,
            previous=queries.previous_of(unit.pk, data.kind, data.held_at),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            is_demo=data.is_demo,
        )
        Attendee.objects.bulk_create([Attendee(meeting=meeting, person=people[c]) for c in codes])
        _event(actor, meeting, "create", to_state=meeting.state, data={"code": meeting.code})
    return meeting


def sign_in(
    *, actor, code: str, person: str, absence: str = "", at: datetime | None = None
) -> Attendee:
    """签到 for one person (added to the list if not invited), or their reason for absence."""
    absence = _text(
        absence,
        "absence_invalid",
        _("The reason for absence is too long."),
        limit=200,
        required=False,
    )
    with transaction.atomic():
        meeting = _locked(actor, code)
        _open(meeting)
        who = Person.objects.filter(code=person).first() if person else None
        if who is None:
            raise InvalidInput("person_unknown", _("Unknown person."))
        row, _created = Attendee.objects.get_or_create(meeting=meeting, person=who)
        if absence:
            row.signed_at, row.absence = None, absence
            verb = "absence"
        else:
            if row.signed_at is not None:
                return row  # signing in twice is one sign-in
            row.signed_at, row.absence = at or clock.now(), ""
            verb = "sign_in"
        row.save(update_fields=["signed_at", "absence"])
        if meeting.state == Meeting.State.PLANNED and verb == "sign_in":
            meeting.state = Meeting.State.HELD
            meeting.save(update_fields=["state"])
        _event(
            actor,
            meeting,
            verb,
            to_state=meeting.state,
            note=absence,
            data={"person": who.code, "name": who.name},
        )
    return row


def record_minutes(*, actor, code: str, minutes: str) -> Meeting:
    """会议纪要 text; recording it means the meeting was held."""
    text = _text(
        minutes, "minutes_invalid", _("Minutes have 1 to 20,000 characters."), limit=TEXT_MAX
    )
    with transaction.atomic():
        meeting = _locked(actor, code)
        _open(meeting)
        if meeting.minutes == text:
            return meeting
        was = meeting.state
        meeting.minutes = text
        meeting.state = Meeting.State.HELD
        meeting.save(update_fields=["minutes", "state"])
        _event(actor, meeting, "minutes", from_state=was, to_state=meeting.state)
    return meeting


@dataclass
class DecisionInput:
    text: str
    responsible_unit: str  # unit code
    deadline: date
    category: str  # task category code
    leader: str = ""  # person code
    title: str = ""  # the task's title; default: the decision's first line


def decide(*, actor, code: str, data: DecisionInput) -> Decision:
    """One 议定事项, carried by a new supervision task of the meeting's unit's supervision: the
    owner unit, the leader in charge and the deadline are the task's, its light the board's."""
    text = _text(
        data.text, "decision_invalid", _("A decision has 1 to 2,000 characters."), limit=2000
    )
    title = (data.title or text.splitlines()[0]).strip()[:TITLE_MAX]
    with transaction.atomic():
        meeting = _locked(actor, code)
        _open(meeting)
        start = meeting.held_at.astimezone(clock.local_zone()).date()
        if data.deadline < start:
            raise InvalidInput(
                "decision_deadline_invalid", _("The deadline is before the meeting.")
            )
        last = meeting.decisions.aggregate(n=Max("number"))["n"] or 0
        if last >= DECISIONS_MAX:
            raise InvalidInput(
                "decisions_too_many",
                _("A meeting records at most %(max)d decisions.") % {"max": DECISIONS_MAX},
            )
        number = last + 1
        task = supervision_services.create_task(
            actor=actor,
            data=supervision_services.TaskInput(
                code=f"{meeting.code}-{number:02d}",
                title=title,
                kind=DEFAULT_TASK_KIND,
                category=data.category,
                responsible_unit=data.responsible_unit,
                start=start,
                deadline=data.deadline,
                leader=data.leader,
                supervising_unit=meeting.unit.code,
                is_demo=meeting.is_demo,
            ),
        )
        try:
            decision = Decision.objects.create(meeting=meeting, number=number, text=text, task=task)
        except IntegrityError:  # pragma: no cover - the lock above serialises numbering
            raise Conflict("decision_number_taken", _("Try again.")) from None
        _event(
            actor,
            meeting,
            "decide",
            to_state=meeting.state,
            note=text,
            data={"number": number, "task": task.code, "unit": task.responsible_unit.name},
        )
    return decision


def issue(*, actor, code: str) -> Meeting:
    """印发纪要: the minutes are final; the record takes no more changes (the tasks go on)."""
    with transaction.atomic():
        meeting = _locked(actor, code)
        _open(meeting)
        if not meeting.minutes:
            raise InvalidInput("minutes_missing", _("Record the minutes before issuing them."))
        was = meeting.state
        meeting.state = Meeting.State.ISSUED
        meeting.save(update_fields=["state"])
        _event(actor, meeting, "issue", from_state=was, to_state=meeting.state)
    return meeting
