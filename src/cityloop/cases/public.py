"""What the public may see of a case: one projection for the tracking page and Open311.

:func:`public_case` turns a case into a :class:`PublicCase`; the tracking page renders it
and the Open311 feed serialises it, and neither reads the case row for anything shown. It
carries the category, a public summary (staff's ``public_summary``, or "<category> ·
<community>" when empty), the status (label and Open311 open/closed), street and community,
the point rounded to about 100 m, the public steps and their photos. It never carries the
description, the address, the reporter's name, phone or e-mail.

Which cases are listed (:func:`public_cases`): those a desk has accepted, whatever became of
them afterwards — ``accepted_at`` is set by ``workflow.accept`` and ``workflow.escalate``
(and kept by every later step), so accepted, dispatched, being handled, replied, suspended,
closed, and merged or cancelled *after* acceptance. Never listed: reported (not reviewed
yet), not accepted (rejected), merged or cancelled before acceptance. The tracking page
reads any case by its code (the reporter holds it from the start), but shows only this
projection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.cases.models import Case, CaseEvent, CasePhoto
from cityloop.core import clock
from cityloop.org.models import Place

S = Case.Status
# Accepted by a desk, and not turned down: see the module's text.
LISTED = Q(accepted_at__isnull=False) & ~Q(status__in=(S.REPORTED, S.REJECTED))
# Decimal places of the public point: 0.001° is about 110 m north–south, 90 m east–west here.
# Case has no field where the reporter agrees to publish the exact point (``share_gps`` only
# lets the photo's position place the case), so the point is always rounded.
DECIMALS = 3
SEPARATOR = " · "
_RELATED = ("category__parent", "place", "responsible_unit", "dispatcher_unit", "master")


@dataclass
class PublicCase:
    """A case as the public sees it."""

    code: str
    status: str  # the case's own state (reported, accepted, …)
    status_label: str  # in the deployment's language
    open311_status: str  # "open" or "closed"
    listed: bool  # in the Open311 feed (accepted); the tracking page shows it either way
    category_name: str
    category_code: str
    summary: str
    place_name: str  # street and community
    lat: float | None
    lng: float | None
    reported_at: datetime
    updated_at: datetime  # the latest public step
    closed_at: datetime | None
    unit_name: str  # the unit acting now (named by the public dispatch/escalate steps)
    master_code: str  # merged into
    reject_reason: str
    satisfaction_label: str
    next_step: str  # what happens next and by when
    expected_at: datetime | None
    steps: list[CaseEvent] = field(default_factory=list)  # public steps, oldest first
    photos: list[CasePhoto] = field(default_factory=list)  # photos of public steps only


def public_cases() -> QuerySet[Case]:
    """The cases the public feed lists, with what :func:`public_case` reads in few queries
    (the rows, their public steps, those steps' photos)."""
    return with_public_parts(Case.objects.filter(LISTED))


def with_public_parts(qs: QuerySet[Case]) -> QuerySet[Case]:
    steps = CaseEvent.objects.filter(public=True).order_by("at", "pk")
    return qs.select_related(*_RELATED).prefetch_related(
        Prefetch("events", queryset=steps.prefetch_related("photos"), to_attr="public_steps")
    )


def is_listed(case: Case) -> bool:
    return case.accepted_at is not None and case.status not in (S.REPORTED, S.REJECTED)


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _chain(case: Case, places: dict[str, Place] | None) -> list[Place]:
    """The case's place and its ancestors, outermost first."""
    if case.place_id is None:
        return []
    codes = [c for c in case.place.path.strip("/").split("/") if c]
    if places is None:
        places = {p.code: p for p in Place.objects.filter(code__in=codes)}
    return [places[c] for c in codes if c in places]


def place_name(chain: list[Place]) -> str:
    """Street and community: what a resident may see of where it is."""
    names = [p.name for p in chain if p.kind in (Place.Kind.STREET, Place.Kind.COMMUNITY)]
    if not names and chain:
        names = [chain[0].name]
    return " ".join(names)


def default_summary(case: Case, chain: list[Place]) -> str:
    """ "<category> · <community>" (the nearest community, else street, else the place)."""
    category = case.category.name if case.category_id else _("Not yet classified")
    area = ""
    for kind in (Place.Kind.COMMUNITY, Place.Kind.STREET, Place.Kind.DISTRICT):
        area = next((p.name for p in reversed(chain) if p.kind == kind), "")
        if area:
            break
    return SEPARATOR.join(x for x in (str(category), area) if x)


def next_step(case: Case) -> tuple[str, datetime | None]:
    """What happens next and by when, and when the work is expected done."""
    due = case.due_at
    text = ""
    # W3C time as Open311 has it (the tracking page does not show this line).
    when = due.astimezone(clock.local_zone()).isoformat(timespec="seconds") if due else ""
    if case.status == S.REPORTED and due:
        text = _("To be reviewed by %(time)s.") % {"time": when}
    elif case.status == S.ACCEPTED and due:
        text = _("To be dispatched by %(time)s.") % {"time": when}
    elif case.status in (S.DISPATCHED, S.HANDLING) and due and case.responsible_unit_id:
        text = _("%(unit)s handles it by %(time)s.") % {
            "unit": case.responsible_unit.name,
            "time": when,
        }
    expected = case.handle_due_at if case.status in (S.DISPATCHED, S.HANDLING, S.REPLIED) else None
    return text, expected


def public_case(case: Case, *, places: dict[str, Place] | None = None) -> PublicCase:
    """The public projection of one case. Reads the public steps prefetched by
    :func:`public_cases` / :func:`with_public_parts` when there, else asks for them."""
    steps = getattr(case, "public_steps", None)
    if steps is None:
        steps = list(
            case.events.filter(public=True).prefetch_related("photos").order_by("at", "pk")
        )
    chain = _chain(case, places)
    photos = [p for e in steps for p in e.photos.all()]
    agency = case.responsible_unit or case.dispatcher_unit
    notice, expected = next_step(case)
    return PublicCase(
        code=case.code,
        status=case.status,
        status_label=str(S(case.status).label),
        open311_status="open" if case.status in Case.OPEN else "closed",
        listed=is_listed(case),
        category_name=case.category.name if case.category_id else "",
        category_code=case.category.code if case.category_id else "",
        summary=case.public_summary.strip() or default_summary(case, chain),
        place_name=place_name(chain),
        lat=rounded(case.lat),
        lng=rounded(case.lng),
        reported_at=case.reported_at,
        updated_at=max([case.reported_at, *(e.at for e in steps)]),
        closed_at=case.closed_at,
        unit_name=agency.name if agency else "",
        master_code=case.master.code if case.master_id else "",
        reject_reason=case.reject_reason if case.status == S.REJECTED else "",
        satisfaction_label=str(Case.Satisfaction(case.satisfaction).label)
        if case.satisfaction
        else "",
        next_step=notice,
        expected_at=expected,
        steps=list(steps),
        photos=photos,
    )


def public_cases_for(cases: Iterable[Case]) -> list[PublicCase]:
    """:func:`public_case` for many cases, their places read in one query."""
    cases = list(cases)
    codes = {
        c for case in cases if case.place_id for c in case.place.path.strip("/").split("/") if c
    }
    places = {p.code: p for p in Place.objects.filter(code__in=codes)} if codes else {}
    return [public_case(case, places=places) for case in cases]
