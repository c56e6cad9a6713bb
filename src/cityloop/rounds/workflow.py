"""Every change to a demand round, each with its event in the same transaction.

open a round (the street's six default improvement lists are made with its first) → record
demands → sort each into a list → handle each once: merge into the same matter (counted once),
link to the projects carrying it out, solve on the spot (with a note), or escalate to a district
department with a deadline — a supervision task (:func:`cityloop.supervision.services.
create_task`) supervised by the street, so the board's light and the urging-letter path apply
when it is late. A refused step raises and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cityloop.core import clock, codes, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from cityloop.org.models import Person, Unit
from cityloop.projects import queries as project_queries
from cityloop.rounds import queries, rules
from cityloop.rounds.models import Demand, ImprovementList, Round, RoundEvent
from cityloop.supervision import services as supervision_services

# Seed 002's six 提升清单; stored in Chinese (data, not interface), renamed in the admin.
DEFAULT_LISTS = (
    "道路建设",
    "热力管网提升",
    "公园升级改造",
    "环境品质提升",
    "小区设施",
    "其他",
)
TEXT_MAX = 2000
DEMANDS_MAX = 500
ESCALATION_KIND = "key_work"
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _text(value: str, code: str, message: str, *, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if (required and not value) or len(value) > limit:
        raise InvalidInput(code, message)
    return value


def parse_week(week: str) -> date:
    """``2026-W48`` → its Monday; anything else is refused."""
    m = WEEK.match((week or "").strip())
    try:
        if m:
            return date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError:
        pass
    raise InvalidInput("round_week_invalid", _("A week is written like 2026-W48."))


def _event(actor, rnd: Round, verb: str, **fields) -> RoundEvent:
    return events.record(RoundEvent, actor=actor, verb=verb, round=rnd, **fields)


def ensure_lists(unit: Unit, *, is_demo: bool = False) -> list[ImprovementList]:
    """The street's lists; the six defaults when it has none yet."""
    rows = list(ImprovementList.objects.filter(unit=unit).order_by("order", "pk"))
    if rows:
        return rows
    return ImprovementList.objects.bulk_create(
        [
            ImprovementList(unit=unit, name=name, order=i, is_demo=is_demo)
            for i, name in enumerate(DEFAULT_LISTS, start=1)
        ]
    )


@dataclass
class RoundInput:
    unit: str  # street unit code
    week: str  # ISO week, 2026-W48
    researchers: list[str] = field(default_factory=list)  # person codes
    places: list[str] = field(default_factory=list)
    is_demo: bool = False


def open_round(*, actor, data: RoundInput) -> Round:
    week_start = parse_week(data.week)
    unit = Unit.objects.filter(code=data.unit).first() if data.unit else None
    if unit is None:
        raise InvalidInput("unit_unknown", _("Unknown unit."))
    if not rules.runs(actor, unit):
        raise Forbidden("round_not_runner", _("You may not run rounds for this unit."))
    wanted = list(dict.fromkeys(c for c in data.researchers if c))
    people = {p.code: p for p in Person.objects.filter(code__in=wanted)}
    missing = [c for c in wanted if c not in people]
    if missing:
        raise InvalidInput("person_unknown", _("Unknown person."), {"codes": missing})
    places = [p.strip() for p in data.places if p and p.strip()]
    if any(len(p) > 200 for p in places) or len(places) > 100:
        raise InvalidInput("round_places_invalid", _("Up to 100 places of 200 characters."))
    week = f"{week_start.isocalendar()[0]}-W{week_start.isocalendar()[1]:02d}"
    if Round.objects.filter(unit=unit, week=week).exists():
        raise Conflict("round_week_taken", _("This street already has a round for that week."))
    now = clock.now()
    with transaction.atomic():
        ensure_lists(unit, is_demo=data.is_demo)
        rnd = Round.objects.create(
            code=codes.dated_code(Round, now, prefix="DY"),
            unit=unit,
            week=week,
            week_start=week_start,
            places="\n".join(places),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            is_demo=data.is_demo,
        )
        rnd.researchers.set([people[c] for c in wanted])
        _event(actor, rnd, "create", data={"week": week, "researchers": wanted})
    return rnd


def _locked(actor, code: str) -> Round:
    rnd = queries.visible_rounds(actor).select_for_update(of=("self",)).filter(code=code).first()
    if rnd is None:
        raise NotFound("round_not_found", _("Round not found."))
    if not rules.runs(actor, rnd):
        raise Forbidden("round_not_runner", _("Only the street runs its rounds."))
    return rnd


def _list_of(rnd: Round, list_id: int | None) -> ImprovementList | None:
    if list_id is None:
        return None
    found = ImprovementList.objects.filter(unit_id=rnd.unit_id, pk=list_id).first()
    if found is None:
        raise InvalidInput("list_unknown", _("Unknown improvement list."))
    return found


@dataclass
class DemandInput:
    text: str
    place: str = ""
    raised_by: str = ""
    photos: list[str] = field(default_factory=list)  # stored photo ids
    list_id: int | None = None


def record_demand(*, actor, code: str, data: DemandInput) -> Demand:
    text = _text(data.text, "demand_invalid", _("A demand has 1 to 2,000 characters."), limit=2000)
    place = _text(
        data.place, "place_invalid", _("The place is too long."), limit=200, required=False
    )
    raised_by = _text(
        data.raised_by, "raised_by_invalid", _("The name is too long."), limit=100, required=False
    )
    photos = [str(p) for p in data.photos if str(p).strip()]
    if len(photos) > 9 or any(len(p) > 200 for p in photos):
        raise InvalidInput("photos_invalid", _("Up to 9 photos."))
    with transaction.atomic():
        rnd = _locked(actor, code)
        chosen = _list_of(rnd, data.list_id)
        last = rnd.demands.aggregate(n=Max("number"))["n"] or 0
        if last >= DEMANDS_MAX:
            raise InvalidInput("demands_too_many", _("A round records at most 500 demands."))
        demand = Demand.objects.create(
            round=rnd,
            number=last + 1,
            text=text,
            place=place,
            raised_by=raised_by,
            photos=photos,
            list=chosen,
            created_at=clock.now(),
        )
        _event(
            actor,
            rnd,
            "demand",
            to_state=demand.state,
            note=text,
            data={"number": demand.number, "list": chosen.name if chosen else ""},
        )
    return demand


def _demand(rnd: Round, number: int) -> Demand:
    found = Demand.objects.select_for_update().filter(round=rnd, number=number).first()
    if found is None:
        raise NotFound("demand_not_found", _("Demand not found."))
    return found


def _unhandled(demand: Demand) -> None:
    if demand.state != Demand.State.OPEN:
        raise Conflict("demand_handled", _("This demand has already been handled."))


def sort(*, actor, code: str, number: int, list_id: int | None) -> Demand:
    """Put the demand on one of the street's improvement lists."""
    if list_id is None:
        raise InvalidInput("list_missing", _("Choose an improvement list."))
    with transaction.atomic():
        rnd = _locked(actor, code)
        demand = _demand(rnd, number)
        chosen = _list_of(rnd, list_id)
        demand.list = chosen
        demand.save(update_fields=["list"])
        _event(actor, rnd, "sort", data={"number": number, "list": chosen.name})
    return demand


def merge(*, actor, code: str, number: int, into: int, into_round: str = "") -> Demand:
    """The same matter as demand ``into`` of this round — or, with ``into_round``, of another
    round of the same street (a matter raised again a week later): counted once, there."""
    with transaction.atomic():
        rnd = _locked(actor, code)
        demand = _demand(rnd, number)
        _unhandled(demand)
        target_round = rnd
        if into_round and into_round != rnd.code:
            target_round = (
                queries.visible_rounds(actor).filter(code=into_round, unit_id=rnd.unit_id).first()
            )
            if target_round is None:
                raise InvalidInput(
                    "merge_round_invalid",
                    _("Merge into a demand of a round of the same street."),
                    {"round": into_round},
                )
        target = Demand.objects.filter(round=target_round, number=into).first()
        if target is None or target.pk == demand.pk or target.state == Demand.State.MERGED:
            raise InvalidInput("merge_target_invalid", _("Merge into another demand of the round."))
        demand.state, demand.merged_into = Demand.State.MERGED, target
        if demand.list_id is None:
            demand.list_id = target.list_id
        demand.save(update_fields=["state", "merged_into", "list"])
        data: dict = {"number": number, "into": into}
        if target_round.pk != rnd.pk:
            data["into_round"] = target_round.code
        _event(actor, rnd, "merge", from_state="open", to_state="merged", data=data)
    return demand


def link_projects(*, actor, code: str, number: int, projects: list[str]) -> Demand:
    """细分项目: the projects carrying the demand out (more may be added later)."""
    wanted = list(dict.fromkeys(p for p in projects if p))
    if not wanted:
        raise InvalidInput("projects_missing", _("Choose at least one project."))
    with transaction.atomic():
        rnd = _locked(actor, code)
        demand = _demand(rnd, number)
        if demand.state not in (Demand.State.OPEN, Demand.State.IN_PROJECT):
            raise Conflict("demand_handled", _("This demand has already been handled."))
        found = list(project_queries.visible_projects(actor).filter(code__in=wanted))
        missing = sorted(set(wanted) - {p.code for p in found})
        if missing:
            raise InvalidInput("project_unknown", _("Unknown project."), {"codes": missing})
        was = demand.state
        demand.projects.add(*found)
        demand.state = Demand.State.IN_PROJECT
        demand.save(update_fields=["state"])
        _event(
            actor,
            rnd,
            "link",
            from_state=was,
            to_state=demand.state,
            data={"number": number, "projects": [p.code for p in found]},
        )
    return demand


def solve(*, actor, code: str, number: int, note: str) -> Demand:
    """就地解决: done during the round; the note says what was done."""
    note = _text(
        note, "note_invalid", _("Say how it was solved (1 to 2,000 characters)."), limit=TEXT_MAX
    )
    with transaction.atomic():
        rnd = _locked(actor, code)
        demand = _demand(rnd, number)
        _unhandled(demand)
        demand.state, demand.note = Demand.State.SOLVED, note
        demand.save(update_fields=["state", "note"])
        _event(
            actor,
            rnd,
            "solve",
            from_state="open",
            to_state="solved",
            note=note,
            data={"number": number},
        )
    return demand


@dataclass
class EscalationInput:
    unit: str  # the district department's code
    deadline: date | None
    category: str  # task category code
    note: str = ""


def escalate(*, actor, code: str, number: int, data: EscalationInput) -> Demand:
    """向上反馈: what the street cannot do alone goes to a district department as a task the
    street supervises (its light, and the urging letter when it is late, are the board's)."""
    note = _text(
        data.note, "note_invalid", _("The note is too long."), limit=TEXT_MAX, required=False
    )
    with transaction.atomic():
        rnd = _locked(actor, code)
        demand = _demand(rnd, number)
        _unhandled(demand)
        start = clock.today()
        if data.deadline is None:
            raise InvalidInput("deadline_missing", _("Give the deadline."))
        if data.deadline < start:
            raise InvalidInput("deadline_invalid", _("The deadline is in the past."))
        task = supervision_services.create_task(
            actor=actor,
            data=supervision_services.TaskInput(
                code=f"{rnd.code}-{number:03d}",
                title=demand.text.splitlines()[0].strip()[:200],
                kind=ESCALATION_KIND,
                category=data.category,
                responsible_unit=data.unit,
                start=start,
                deadline=data.deadline,
                supervising_unit=rnd.unit.code,
                is_demo=rnd.is_demo,
            ),
        )
        demand.state, demand.task, demand.note = Demand.State.ESCALATED, task, note
        demand.save(update_fields=["state", "task", "note"])
        _event(
            actor,
            rnd,
            "escalate",
            from_state="open",
            to_state="escalated",
            note=note,
            data={"number": number, "task": task.code, "unit": task.responsible_unit.name},
        )
    return demand
