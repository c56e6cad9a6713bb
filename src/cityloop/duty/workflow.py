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
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from cityloop.core.notify import Message, Recipient, notify
from cityloop.duty import hazards, queries, rules
from cityloop.duty.models import (
    DutyAlert,
    FloodCheck,
    FloodPlan,
    Handover,
    Shift,
    ShiftEvent,
    Swap,
)
from cityloop.org.models import Person, Unit, Zone

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
    """An urgent case — or a case at a hazard point in its season, or a hazard-point alarm —
    waiting, untaken, at a round-the-clock unit."""
    unit = case.responsible_unit
    if not (
        case.status == "dispatched"
        and unit is not None
        and unit.round_the_clock
        and case.dispatched_at is not None
    ):
        return False
    urgent = case.category is not None and case.category.urgency == "urgent"
    return urgent or hazards.watched_at_hazard(case)


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
    zone = hazards.hazard_zone(case)
    if stage == DutyAlert.Stage.DUTY and zone is not None:
        title = _("Hazard point %(zone)s: case %(code)s for %(unit)s, you are on duty")
    elif stage == DutyAlert.Stage.DUTY:
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
                    "zone": zone.name if zone is not None else "",
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
            .select_related("responsible_unit", "category", "zone")
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
    rows = (
        Case.objects.filter(
            status="dispatched",
            responsible_unit__round_the_clock=True,
            dispatched_at__isnull=False,
        )
        .filter(Q(category__urgency="urgent") | Q(zone__kind="hazard_point"))
        .filter(owed)
        .values_list("pk", "category__urgency")[:2000]
    )
    # A hazard-point case that is not urgent is watched only in season or as an alarm.
    keep = {pk for pk, urgency in rows if urgency == "urgent"}
    maybe = [pk for pk, urgency in rows if urgency != "urgent"]
    if maybe:
        cases = Case.objects.select_related("responsible_unit", "category", "zone")
        keep |= {c.pk for c in cases.filter(pk__in=maybe) if watched(c)}
    return sorted(keep)


# --- hazard points: alarms and the flood season's three checks ------------------------------

ALARM_SOURCES = ("desk", "supervision", "inspection", "patrol")


def _alarm_category(zone, code: str):
    from cityloop.cases.models import Category

    leaves = Category.objects.filter(is_active=True, parent__isnull=False)
    wanted = code or (zone.attrs or {}).get("category", "")
    if wanted:
        found = leaves.filter(code=wanted).first()
        if found is None:
            raise InvalidInput("category_unknown", _("Unknown category."), {"category": wanted})
        return found
    found = leaves.filter(urgency="urgent").order_by("code").first()
    if found is None:
        raise InvalidInput(
            "alarm_category_missing", _("Name the category: no urgent category is in use.")
        )
    return found


def raise_alarm(
    *,
    actor,
    code: str,
    description: str = "",
    category: str = "",
    idempotency_key: str = "",
    client: str = "",
):
    """报警 on a hazard point (a sensor, a patrol, the page's button): an urgent case at the point
    through the normal case workflow (:func:`cityloop.cases.workflow.report`), which sends it
    on to the point's responsible unit (:func:`route_alarm`): its person on duty is told by the
    dispatch (:func:`watched`)."""
    from cityloop.cases import workflow as case_workflow

    zone = queries.hazard_point(actor, code)
    cat = _alarm_category(zone, category)
    allowed = case_workflow.sources_for(actor)
    source = next((s for s in ALARM_SOURCES if s in allowed), None)
    if source is None:
        raise Forbidden("alarm_not_allowed", _("You may not raise an alarm here."))
    point = (zone.geometry or {}).get("coordinates") if zone.geometry else None
    lng, lat = (point[0], point[1]) if point and len(point) == 2 else (None, None)
    text = (description or "").strip()[:1000] or _("Alarm at hazard point %(zone)s") % {
        "zone": zone.name
    }
    with transaction.atomic():
        case = case_workflow.report(
            actor=actor,
            source=source,
            title=(_("Hazard-point alarm: %(zone)s") % {"zone": zone.name})[:120],
            description=text,
            category=cat,
            lng=lng,
            lat=lat,
            place=zone.place,
            zone=zone,
            idempotency_key=idempotency_key,
            client=client,
            accept=True,
            event_data={"alarm": True, "hazard_point": zone.code},
        )
    return case  # sent on to the point's unit by route_alarm (or, refused, at the desk)


# The account the watch's automatic steps are recorded under (a resident cannot accept or
# dispatch): a superuser that cannot log in, its name shown in the timeline.
ALARM_SYSTEM_USER = "cityloop-alarm"


def alarm_system_actor():
    from cityloop.core.system import system_account

    return system_account(ALARM_SYSTEM_USER, str(_("Hazard-point alarm")))


def route_alarm(case, actor=None):
    """A report that names a hazard point (its report event is an alarm) goes straight to the
    point's responsible unit: accepted (with the point's or the first urgent category when
    the reporter named none) and dispatched — by the reporter when they may, else by the
    watch's system account — so the dispatch tells the person on duty. Registered with the
    case intake (:func:`cityloop.cases.workflow.register_after_report`); answers the case as
    it now is, or None when it is no alarm or stays at the desk (a refusal is logged)."""
    from cityloop.cases import workflow as case_workflow

    zone = hazards.hazard_zone(case)
    if zone is None or case.status not in ("reported", "accepted"):
        return None
    if getattr(case, "replayed", False) or not hazards.is_alarm(case):
        return None
    unit = hazards.responsible_unit(zone)
    if unit is None:
        return None
    note = _("Hazard-point alarm")
    try:
        with transaction.atomic():
            if case.status == "reported":
                who = actor if case_workflow.may(actor, case, "accept") else alarm_system_actor()
                category = None if case.category_id else _alarm_category(zone, "")
                case = case_workflow.accept(
                    actor=who, case_id=case.pk, category=category, note=note
                )
            who = actor if case_workflow.may(actor, case, "dispatch") else alarm_system_actor()
            return case_workflow.dispatch(actor=who, case_id=case.pk, unit=unit, note=note)
    except DomainError as exc:
        logger.info("alarm case %s left at the desk: %s", case.code, exc.code)
        return None


def _flood_windows(year: int) -> dict[str, date]:
    """The default 三查 windows: 汛前 May, 汛中 June–September, 汛后 October."""
    return {
        "before_start": date(year, 5, 1),
        "before_end": date(year, 5, 31),
        "during_start": date(year, 6, 1),
        "during_end": date(year, 9, 30),
        "after_start": date(year, 10, 1),
        "after_end": date(year, 10, 31),
    }


def plan_flood_season(
    *, actor, place: str, year: int, windows: dict[str, date] | None = None
) -> FloodPlan:
    """The street's or district's flood-season plan for ``year`` (one per place and year: a
    second call changes its windows) and its checks scheduled (:func:`schedule_checks`)."""
    target = queries.flood_place(actor, place)
    if not rules.plans_flood(actor, target):
        raise Forbidden("flood_plan_not_staff", _("Only the street's staff plan the flood season."))
    if not 2000 <= int(year) <= 2100:
        raise InvalidInput("flood_year_invalid", _("Give a year between 2000 and 2100."))
    dates = {**_flood_windows(int(year)), **(windows or {})}
    pairs = [("before_start", "before_end"), ("during_start", "during_end")]
    pairs.append(("after_start", "after_end"))
    for start, end in pairs:
        if dates[end] < dates[start]:
            raise InvalidInput("flood_window_invalid", _("A check window ends after it starts."))
    if not (
        dates["before_end"] <= dates["during_start"] and dates["during_end"] <= dates["after_start"]
    ):
        raise InvalidInput(
            "flood_window_order", _("The checks run in order: before, during, after the season.")
        )
    with transaction.atomic():
        plan, created = FloodPlan.objects.select_for_update().get_or_create(
            place=target,
            year=int(year),
            defaults={
                **dates,
                "created_at": clock.now(),
                "created_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        if not created:
            for name, value in dates.items():
                setattr(plan, name, value)
            plan.save(update_fields=list(dates))
            for window, starts, due in plan.windows():
                plan.checks.filter(window=window, inspection__isnull=True).update(
                    starts=starts, due=due
                )
        schedule_checks(actor=actor, plan_id=plan.pk)
    logger.info("flood plan %s %s %s", plan.year, target.code, "created" if created else "changed")
    return plan


def schedule_checks(*, actor, plan_id: int) -> int:
    """One check per flood hazard point in the plan's place and window, for the point's
    responsible unit; idempotent — points already scheduled get nothing new. The number made."""
    plan = queries.flood_plan_get(actor, plan_id)
    if not rules.plans_flood(actor, plan.place):
        raise Forbidden("flood_plan_not_staff", _("Only the street's staff plan the flood season."))
    zones = list(
        Zone.objects.filter(
            kind=Zone.Kind.HAZARD_POINT,
            place__path__startswith=plan.place.path,
            attrs__hazard="flood",
        ).select_related("place")
    )
    have = set(FloodCheck.objects.filter(plan=plan).values_list("zone_id", "window"))
    rows = []
    for zone in zones:
        unit = hazards.responsible_unit(zone)
        if unit is None:
            logger.warning("flood check: hazard point %s has no responsible unit", zone.code)
            continue
        for window, starts, due in plan.windows():
            if (zone.pk, window) not in have:
                rows.append(
                    FloodCheck(
                        plan=plan, zone=zone, window=window, starts=starts, due=due, unit=unit
                    )
                )
    FloodCheck.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def record_check(
    *,
    actor,
    check_id: int,
    summary: str,
    problem: str = "",
    due: date | None = None,
    is_demo: bool = False,
) -> FloodCheck:
    """The check done: an inspection of the point (督查, kind special) by the caller's unit; a
    problem found becomes a finding and its rectification (整改台账) through supervision."""
    from cityloop.supervision import rules as sup_rules
    from cityloop.supervision import services as sup_services
    from cityloop.supervision import workflow as sup_workflow

    summary = (summary or "").strip()
    if not summary or len(summary) > TEXT_MAX:
        raise InvalidInput(
            "flood_check_summary", _("Say what the check found (at most 4,000 characters).")
        )
    problem = (problem or "").strip()
    today = clock.today()
    with transaction.atomic():
        queries.flood_check_get(actor, check_id)  # 404 outside the scope
        check = (
            FloodCheck.objects.select_for_update()
            .select_related("zone__place", "unit", "plan")
            .get(pk=check_id)
        )
        if not rules.records_flood_check(actor, check):
            raise Forbidden("flood_check_not_staff", _("Only the street's staff record checks."))
        if check.inspection_id is not None:
            raise Conflict("flood_check_done", _("This check has been recorded already."))
        if today < check.starts:
            raise Conflict("flood_check_not_open", _("This check's window has not opened yet."))
        person = getattr(actor, "person", None) if getattr(actor, "pk", None) else None
        own = person.unit if person is not None and person.unit_id else None
        inspecting = own if own is not None and sup_rules.can_supervise(actor, own) else check.unit
        inspection = sup_services.create_inspection(
            actor=actor,
            kind="special",
            on=today,
            subject=f"{check.get_window_display()}：{check.zone.name}"[:200],
            team=(person.name if person is not None else inspecting.name)[:100],
            unit=inspecting,
            places=[check.zone.place],
            units=[check.unit],
            summary=summary,
            is_demo=is_demo,
        )
        if problem:
            sup_workflow.record_finding(
                actor=actor,
                inspection_id=inspection.pk,
                kind=_("Flood hazard"),
                description=problem,
                unit=check.unit,
                mode="deadline",
                due=due or today + timedelta(days=7),
                place=check.zone.place,
            )
        check.inspection, check.done_on = inspection, today
        check.save(update_fields=["inspection", "done_on"])
    return check
