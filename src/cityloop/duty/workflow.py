"""Every change to a roster, each with its event in the same transaction.

plan a shift (unit, kind, start, end; the person on duty and the leader on call, either may be
left empty — an empty shift of a round-the-clock unit is red until staffed) → staff it →
a person asks to swap their place, the unit's staff approve (the shift changes hands) or refuse
→ the handover (交接班记录) at the end of the shift.

Escalation [seed 003 24小时专人在岗，主管领导手机24小时保持畅通]: an urgent case dispatched to a
round-the-clock unit is told to the person on duty at once (:func:`alert_dispatched`, called in
the dispatch's transaction); if the unit has not taken it within
``CITYLOOP.duty_escalate_minutes`` the sweep tells the leader on call (:func:`escalate_untaken`).
Each alert is one :class:`DutyAlert` row per dispatch and stage, so a doubled sweep tells nobody
twice; notifications go out after commit, so a failing channel never fails the step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput
from cityloop.core.notify import Message, Recipient, notify
from cityloop.duty import queries, rules
from cityloop.duty.models import DutyAlert, Handover, Shift, ShiftEvent, Swap
from cityloop.org.models import Person, Unit

logger = logging.getLogger("cityloop.duty")

TEXT_MAX = 4000
SHIFT_MAX = timedelta(hours=24)


def _event(actor, shift: Shift, verb: str, **fields) -> ShiftEvent:
    return events.record(ShiftEvent, actor=actor, verb=verb, shift=shift, **fields)


def _people(*codes: str) -> dict[str, Person]:
    wanted = [c for c in codes if c]
    found = {p.code: p for p in Person.objects.select_related("unit").filter(code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise InvalidInput("person_unknown", _("Unknown person."), {"codes": missing})
    return found


def _on_the_line(unit: Unit, *people: Person | None) -> None:
    """Who stands a unit's watch works in it (or one of its offices), and its leader on call in
    it or a unit above it (the street's leader for its 值班室): never someone of another line,
    such as another street's staff."""
    for person in people:
        if person is None:
            continue
        path = person.unit.path if person.unit_id else ""
        if not path or not (path.startswith(unit.path) or unit.path.startswith(path)):
            raise InvalidInput(
                "duty_person_outside_unit",
                _("%(name)s does not work in %(unit)s or a unit above it.")
                % {"name": person.name, "unit": unit.name},
                {"person": person.code},
            )


def _names(shift: Shift) -> dict[str, str]:
    return {
        "on_duty": shift.on_duty.name if shift.on_duty_id else "",
        "leader": shift.leader.name if shift.leader_id else "",
    }


def _locked(actor, shift_id: int) -> Shift:
    queries.shift_get(actor, shift_id)  # 404 outside the scope
    return Shift.objects.select_for_update().select_related("unit").get(pk=shift_id)


@dataclass
class ShiftInput:
    unit: str  # unit code
    kind: str
    starts_at: datetime
    ends_at: datetime
    on_duty: str = ""  # person code
    leader: str = ""  # person code
    note: str = ""
    is_demo: bool = False


def _check_times(unit: Unit, starts_at: datetime, ends_at: datetime, exclude: int | None) -> None:
    if ends_at <= starts_at or ends_at - starts_at > SHIFT_MAX:
        raise InvalidInput(
            "shift_times_invalid", _("A shift ends after it starts and lasts at most 24 hours.")
        )
    overlap = Shift.objects.filter(unit=unit, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        overlap = overlap.exclude(pk=exclude)
    if overlap.exists():
        raise Conflict("shift_overlap", _("This shift overlaps another shift of the unit."))


def plan_shift(*, actor, data: ShiftInput) -> Shift:
    """A new shift of ``data.unit``; a shift starting at the same moment is staffed anew."""
    if data.kind not in Shift.Kind.values:
        raise InvalidInput("shift_kind_invalid", _("Unknown kind of shift."))
    unit = Unit.objects.filter(code=data.unit).first() if data.unit else None
    if unit is None:
        raise InvalidInput("unit_unknown", _("Unknown unit."))
    if not rules.manages(actor, unit):
        raise Forbidden("roster_not_staff", _("Only the unit's staff keep its roster."))
    people = _people(data.on_duty, data.leader)
    _on_the_line(unit, *people.values())
    note = (data.note or "").strip()[:200]
    with transaction.atomic():
        existing = (
            Shift.objects.select_for_update().filter(unit=unit, starts_at=data.starts_at).first()
        )
        _check_times(unit, data.starts_at, data.ends_at, existing.pk if existing else None)
        if existing is not None:
            return _staff(actor, existing, people.get(data.on_duty), people.get(data.leader))
        shift = Shift.objects.create(
            unit=unit,
            kind=data.kind,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            on_duty=people.get(data.on_duty),
            leader=people.get(data.leader),
            note=note,
            created_at=clock.now(),
            is_demo=data.is_demo,
        )
        _event(actor, shift, "create", data={"kind": shift.kind, **_names(shift)})
    return shift


def _staff(actor, shift: Shift, on_duty: Person | None, leader: Person | None) -> Shift:
    before = _names(shift)
    if (shift.on_duty_id, shift.leader_id) == (
        on_duty.pk if on_duty else None,
        leader.pk if leader else None,
    ):
        return shift
    shift.on_duty, shift.leader = on_duty, leader
    shift.save(update_fields=["on_duty", "leader"])
    _event(actor, shift, "assign", data={"before": before, **_names(shift)})
    return shift


def assign(*, actor, shift_id: int, on_duty: str = "", leader: str = "") -> Shift:
    """Name the person on duty and the leader on call (empty leaves the place empty)."""
    people = _people(on_duty, leader)
    with transaction.atomic():
        shift = _locked(actor, shift_id)
        if not rules.manages(actor, shift.unit):
            raise Forbidden("roster_not_staff", _("Only the unit's staff keep its roster."))
        _on_the_line(shift.unit, *people.values())
        return _staff(actor, shift, people.get(on_duty), people.get(leader))


def request_swap(*, actor, shift_id: int, role: str, replacement: str, reason: str) -> Swap:
    """换班申请: the person in ``role`` on the shift asks to hand it to ``replacement``."""
    if role not in Shift.Role.values:
        raise InvalidInput("swap_role_invalid", _("Unknown place on the shift."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidInput("swap_reason_invalid", _("Give a reason of 1 to 200 characters."))
    who = _people(replacement).get(replacement)
    if who is None:
        raise InvalidInput("person_unknown", _("Unknown person."))
    with transaction.atomic():
        shift = _locked(actor, shift_id)
        if not rules.may_request_swap(actor, shift, role):
            raise Forbidden("swap_not_yours", _("Only the person on this shift asks to swap it."))
        _on_the_line(shift.unit, who)
        current = shift.on_duty if role == Shift.Role.ON_DUTY else shift.leader
        if current is None:
            raise Conflict("swap_nobody", _("Nobody holds this place on the shift yet."))
        if current.pk == who.pk:
            raise InvalidInput("swap_same_person", _("The replacement is already on this shift."))
        if shift.ends_at <= clock.now():
            raise Conflict("shift_over", _("This shift is over."))
        try:
            with transaction.atomic():
                swap = Swap.objects.create(
                    shift=shift,
                    role=role,
                    requested_by=current,
                    replacement=who,
                    reason=reason,
                    requested_at=clock.now(),
                )
        except IntegrityError:
            raise Conflict(
                "swap_open", _("A swap of this place already awaits approval.")
            ) from None
        _event(
            actor,
            shift,
            "swap_request",
            note=reason,
            data={"swap": swap.pk, "role": role, "from": current.name, "to": who.name},
        )
    return swap


def decide_swap(*, actor, swap_id: int, approve: bool, note: str = "") -> Swap:
    """The unit's staff approve (the replacement takes the place) or refuse a swap."""
    swap = queries.swap_get(actor, swap_id)
    with transaction.atomic():
        shift = _locked(actor, swap.shift_id)
        swap = Swap.objects.select_for_update().get(pk=swap_id)
        if not rules.manages(actor, shift.unit):
            raise Forbidden("roster_not_staff", _("Only the unit's staff approve swaps."))
        if swap.state != Swap.State.REQUESTED:
            raise Conflict("swap_decided", _("This swap has been decided already."))
        now = clock.now()
        swap.state = Swap.State.APPROVED if approve else Swap.State.REFUSED
        swap.decided_by = actor if getattr(actor, "pk", None) else None
        swap.decided_at = now
        swap.decision_note = (note or "").strip()[:200]
        swap.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        before = _names(shift)
        if approve:
            if swap.role == Shift.Role.ON_DUTY:
                shift.on_duty = swap.replacement
            else:
                shift.leader = swap.replacement
            shift.save(update_fields=["on_duty", "leader"])
        _event(
            actor,
            shift,
            "swap_approve" if approve else "swap_refuse",
            note=swap.decision_note,
            data={"swap": swap.pk, "role": swap.role, "before": before, **_names(shift)},
        )
    if approve:
        day = f"{shift.starts_at.astimezone(clock.local_zone()):%m-%d %H:%M}"
        notify(
            recipients=[p.user for p in (swap.requested_by, swap.replacement) if p.user_id],
            message=Message(
                verb="duty_swap",
                title=_("Swap approved: %(name)s takes the shift of %(day)s")
                % {"name": swap.replacement.name, "day": day},
                body=shift.unit.name,
                link=f"/duty/{shift.unit.code}/",
                data={"shift": shift.pk},
            ),
        )
    return swap


def hand_over(
    *, actor, shift_id: int, summary: str, open_matters: str = "", received_by: str = ""
) -> Handover:
    """交接班记录 of the shift: what was handed on and the matters still open; once per shift."""
    summary = (summary or "").strip()
    open_matters = (open_matters or "").strip()
    if not summary or len(summary) > TEXT_MAX or len(open_matters) > TEXT_MAX:
        raise InvalidInput(
            "handover_invalid", _("Say what was handed on (at most 4,000 characters).")
        )
    receiver = _people(received_by).get(received_by)
    with transaction.atomic():
        shift = _locked(actor, shift_id)
        if not rules.may_hand_over(actor, shift):
            raise Forbidden(
                "handover_not_yours", _("Only the person on duty hands the shift over.")
            )
        if Handover.objects.filter(shift=shift).exists():
            raise Conflict("handover_done", _("This shift has been handed over already."))
        if receiver is None:
            nxt = queries.shift_at(shift.unit, shift.ends_at)
            receiver = nxt.on_duty if nxt is not None else None
        handover = Handover.objects.create(
            shift=shift,
            handed_by=shift.on_duty,
            received_by=receiver,
            at=clock.now(),
            summary=summary,
            open_matters=open_matters,
        )
        _event(
            actor,
            shift,
            "handover",
            note=summary,
            data={
                "open_matters": open_matters,
                "received_by": receiver.name if receiver else "",
            },
        )
    return handover


# --- escalation -----------------------------------------------------------------------------


def escalate_after() -> timedelta:
    return timedelta(minutes=settings.CITYLOOP.duty_escalate_minutes)


def watched(case) -> bool:
    """An urgent case waiting, untaken, at a round-the-clock unit."""
    unit = case.responsible_unit
    return (
        case.status == "dispatched"
        and unit is not None
        and unit.round_the_clock
        and case.dispatched_at is not None
        and case.category is not None
        and case.category.urgency == "urgent"
    )


def _reach(person: Person | None) -> list:
    if person is None:
        return []
    if person.user_id:
        return [person.user]
    return [Recipient(name=person.name, phone=person.phone)] if person.phone else []


def _alert(case, stage: str, shift: Shift | None, person: Person | None) -> DutyAlert | None:
    """Write the stage's alert once for this dispatch (None: already written) and tell
    ``person``. Runs inside the caller's transaction; the savepoint keeps a lost race on the
    unique row from spoiling it."""
    try:
        with transaction.atomic():
            alert = DutyAlert.objects.create(
                case=case,
                unit=case.responsible_unit,
                dispatched_at=case.dispatched_at,
                stage=stage,
                shift=shift,
                person=person,
                at=clock.now(),
            )
    except IntegrityError:
        return None
    verb = "alert_duty" if stage == DutyAlert.Stage.DUTY else "alert_leader"
    if shift is not None:
        _event(
            None,
            shift,
            verb,
            data={"case": case.pk, "code": case.code, "person": person.name if person else ""},
        )
    if stage == DutyAlert.Stage.DUTY:
        title = _("Urgent case %(code)s for %(unit)s: you are on duty")
    else:
        title = _("Urgent case %(code)s not taken within %(minutes)d minutes: you are on call")
    people = _reach(person)
    if people:
        notify(
            recipients=people,
            message=Message(
                verb=f"duty_{stage}",
                title=title
                % {
                    "code": case.code,
                    "unit": case.responsible_unit.name,
                    "minutes": settings.CITYLOOP.duty_escalate_minutes,
                },
                body=case.title,
                link=f"/cases/{case.pk}/",
                data={"case": case.pk, "code": case.code, "stage": stage},
            ),
        )
    logger.info(
        "duty alert %s: case %s unit %s -> %s",
        stage,
        case.code,
        case.responsible_unit.code,
        person.code if person else "nobody",
    )
    return alert


def alert_dispatched(case) -> DutyAlert | None:
    """Tell the person on duty of an urgent case just dispatched to a round-the-clock unit.
    With nobody on duty the leader on call is told at once: there is no one to wait for."""
    if not watched(case):
        return None
    shift = queries.shift_at(case.responsible_unit, case.dispatched_at)
    if shift is not None and shift.on_duty_id is None and shift.leader_id is not None:
        return _alert(case, DutyAlert.Stage.LEADER, shift, shift.leader)
    return _alert(case, DutyAlert.Stage.DUTY, shift, shift.on_duty if shift else None)


def escalate_untaken(case_id: int, *, now: datetime | None = None) -> DutyAlert | None:
    """The sweep's step for one case: still untaken after the limit → the leader on call (of
    the shift running now; if none, of the shift it was dispatched in)."""
    from cityloop.cases.models import Case

    now = now or clock.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("responsible_unit", "category")
            .filter(pk=case_id)
            .first()
        )
        if case is None or not watched(case):
            return None
        if not DutyAlert.objects.filter(case=case, dispatched_at=case.dispatched_at).exists():
            # The dispatch's own alert did not happen (the app was installed later, or it
            # failed): the person on duty first.
            alert_dispatched(case)
        if case.dispatched_at + escalate_after() > now:
            return None
        shift = queries.shift_at(case.responsible_unit, now) or queries.shift_at(
            case.responsible_unit, case.dispatched_at
        )
        leader = shift.leader if shift is not None else None
        return _alert(case, DutyAlert.Stage.LEADER, shift, leader)


def untaken_ids(now: datetime) -> list[int]:
    """Urgent cases dispatched to round-the-clock units and still untaken that owe an alert:
    past the limit without their leader alert, or (a missed dispatch alert) without any."""
    from django.db.models import Exists, OuterRef, Q

    from cityloop.cases.models import Case

    def told(stage: str | None = None) -> Exists:
        alerts = DutyAlert.objects.filter(
            case_id=OuterRef("pk"), dispatched_at=OuterRef("dispatched_at")
        )
        return Exists(alerts.filter(stage=stage) if stage else alerts)

    owed = (Q(dispatched_at__lte=now - escalate_after()) & ~told(DutyAlert.Stage.LEADER)) | ~told()
    return list(
        Case.objects.filter(
            status="dispatched",
            responsible_unit__round_the_clock=True,
            category__urgency="urgent",
            dispatched_at__isnull=False,
        )
        .filter(owed)
        .values_list("pk", flat=True)[:2000]
    )
