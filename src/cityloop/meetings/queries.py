"""Reading meetings through the reader's scope: meetings of the units the reader covers, and
those the reader attended. Outside it: :class:`NotFound` (a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.meetings.models import Attendee, Decision, Meeting
from cityloop.org import queries as org_queries
from cityloop.supervision import queries as supervision_queries
from cityloop.supervision.models import Colour


def visible_meetings(actor) -> QuerySet[Meeting]:
    q = Q(unit_id__in=org_queries.visible_units(actor).values("pk"))
    person = getattr(actor, "person", None) if getattr(actor, "pk", None) else None
    if person is not None:
        q |= Q(Exists(Attendee.objects.filter(meeting_id=OuterRef("pk"), person=person)))
    return Meeting.objects.filter(q)


def cursor_of(meeting: Meeting) -> str:
    """The keyset cursor after ``meeting``: ``<held_at ISO>_<id>``."""
    return f"{meeting.held_at.isoformat()}_{meeting.pk}"


def parse_cursor(raw: str) -> tuple[datetime, int] | None:
    """``before=`` of a list: empty is the first page; anything unparsable is refused."""
    if not raw:
        return None
    at, _sep, pk = raw.rpartition("_")
    try:
        return datetime.fromisoformat(at), int(pk)
    except ValueError:
        raise InvalidInput("cursor_invalid", _("Unknown page cursor.")) from None


def meeting_rows(
    actor, *, kind: str = "", before: tuple[datetime, int] | None = None, limit: int = 50
) -> list[Meeting]:
    """Newest first, keyset-paged on (held_at, id) — the ``meeting_held`` index's order."""
    qs = visible_meetings(actor).select_related("unit", "chair")
    if kind:
        qs = qs.filter(kind=kind)
    if before is not None:
        at, pk = before
        qs = qs.filter(Q(held_at__lt=at) | Q(held_at=at, pk__lt=pk))
    return list(qs.order_by("-held_at", "-pk")[:limit])


def meeting_get(actor, code: str) -> Meeting:
    meeting = (
        visible_meetings(actor)
        .select_related("unit", "chair", "previous")
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=Attendee.objects.select_related("person", "person__unit").order_by("pk"),
            )
        )
        .filter(code=code)
        .first()
    )
    if meeting is None:
        raise NotFound("meeting_not_found", _("Meeting not found."))
    return meeting


def line_people(actor, units) -> QuerySet:
    """Who may be picked as chair, attendee or leader of a meeting organised by one of
    ``units``: the people of those units and the units under them, as far as the reader sees
    them — not every person a district account can see (a street's meeting lists its own
    staff, offices and communities, not the whole district's)."""
    paths = sorted({u.path for u in units})
    if not paths:
        return org_queries.visible_people(actor).none()
    q = Q()
    for path in paths:
        q |= Q(unit__path__startswith=path)
    return (
        org_queries.visible_people(actor)
        .filter(q)
        .select_related("unit")
        .order_by("unit__path", "name", "pk")
    )


def meeting_people(actor, meeting: Meeting) -> list:
    """The people the meeting's forms offer: its organising unit's line, and whoever already
    attends (an invited person from another line stays pickable)."""
    people = list(line_people(actor, [meeting.unit]))
    listed = {p.pk for p in people}
    people += [a.person for a in meeting.attendees.all() if a.person_id not in listed]
    return people


@dataclass(frozen=True)
class DecisionRow:
    """A decision with how its task stands today (colour from the supervision board)."""

    decision: Decision
    colour: str
    colour_label: str
    reasons: list[dict]

    @property
    def task(self):
        return self.decision.task


def decision_rows(actor, meeting: Meeting, *, as_of: date | None = None) -> list[DecisionRow]:
    """The meeting's decisions, each with its task's light as the board computes it, in a fixed
    number of queries (the board's batched facts), whatever the number of decisions."""
    decisions = list(
        Decision.objects.filter(meeting=meeting)
        .select_related("task", "task__responsible_unit", "task__leader")
        .order_by("number")
    )
    if not decisions:
        return []
    as_of = as_of or clock.today()
    # The meeting's readers see how each of its decisions stands, whoever owns the task.
    lit = supervision_queries.lights_for([d.task for d in decisions], as_of)
    rows = []
    for d in decisions:
        colour, reasons = lit[d.task_id]
        rows.append(DecisionRow(d, colour, str(Colour(colour).label), reasons))
    return rows


def carried_over(actor, meeting: Meeting, *, as_of: date | None = None) -> list[DecisionRow]:
    """件件有回音: the previous meeting's decisions and how each stands now."""
    if meeting.previous_id is None:
        return []
    previous = visible_meetings(actor).filter(pk=meeting.previous_id).first()
    return decision_rows(actor, previous, as_of=as_of) if previous is not None else []


def previous_of(unit_id: int, kind: str, held_at: datetime, *, exclude: int | None = None):
    """The last meeting of the same unit and kind before ``held_at``."""
    qs = Meeting.objects.filter(unit_id=unit_id, kind=kind, held_at__lt=held_at)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-held_at", "-pk").first()
