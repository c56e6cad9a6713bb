"""Reads for supervision: what a user may see, the facts behind each light, the board and its
sentences, the rectification ledger, and the periodic summaries the bulletins print.

Lights for a past day are computed from the records as they stood that day (reports up to
it, findings not yet closed then, letters not yet answered then), so the board can be read
"as of" any date and moving the clock moves the lights as the rules say.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import NotFound
from cityloop.core.scope import scope_for
from cityloop.supervision.lights import (
    MilestoneFacts,
    Policy,
    TaskFacts,
    days_overdue,
    light,
    past_due,
    past_due_q,
)
from cityloop.supervision.models import (
    Cadence,
    Colour,
    Escalation,
    Explanation,
    Finding,
    Inspection,
    LightPolicy,
    LightRecord,
    Milestone,
    ProgressReport,
    Rectification,
    SupervisionEvent,
    Task,
    UrgingLetter,
)


def active_policy() -> Policy:
    row = LightPolicy.objects.filter(active=True).first()
    if row is None:
        return Policy()
    return Policy(
        red_behind_points=row.red_behind_points,
        yellow_behind_points=row.yellow_behind_points,
        near_working_days=row.near_working_days,
        report_grace_days=row.report_grace_days,
    )


def policy_row() -> LightPolicy:
    return LightPolicy.objects.filter(active=True).first() or LightPolicy()


# --- scope ---------------------------------------------------------------------------------


def _unit_ids(actor) -> QuerySet | None:
    """Ids of the units an actor covers (None: all)."""
    from cityloop.org.models import Unit

    scope = scope_for(actor)
    if scope.everything:
        return None
    return Unit.objects.filter(scope.covered_units_q()).values("pk")


def visible_tasks(actor) -> QuerySet[Task]:
    """Tasks whose responsible, assisting or supervising unit the actor covers, and tasks
    the actor leads."""
    units = _unit_ids(actor)
    if units is None:
        return Task.objects.all()
    assisting = Task.assisting_units.through.objects.filter(
        task_id=OuterRef("pk"), unit_id__in=units
    )
    q = Q(responsible_unit_id__in=units) | Q(supervising_unit_id__in=units) | Q(Exists(assisting))
    person = getattr(actor, "person", None) if getattr(actor, "pk", None) else None
    if person is not None:
        q |= Q(leader=person)
    return Task.objects.filter(q)


def task_get(actor, task_id: int) -> Task:
    task = (
        visible_tasks(actor)
        .select_related(
            "kind", "category", "leader", "responsible_unit", "supervising_unit", "parent"
        )
        .prefetch_related("assisting_units")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("task_not_found", _("Task not found"))
    return task


def visible_findings(actor) -> QuerySet[Finding]:
    units = _unit_ids(actor)
    if units is None:
        return Finding.objects.all()
    return Finding.objects.filter(Q(unit_id__in=units) | Q(inspection__unit_id__in=units))


def visible_inspections(actor) -> QuerySet[Inspection]:
    units = _unit_ids(actor)
    if units is None:
        return Inspection.objects.all()
    inspected = Inspection.units.through.objects.filter(
        inspection_id=OuterRef("pk"), unit_id__in=units
    )
    found = Finding.objects.filter(inspection_id=OuterRef("pk"), unit_id__in=units)
    return Inspection.objects.filter(Q(unit_id__in=units) | Q(Exists(inspected)) | Q(Exists(found)))


def visible_letters(actor) -> QuerySet[UrgingLetter]:
    units = _unit_ids(actor)
    qs = UrgingLetter.objects.select_related("series__issuer", "addressee")
    if units is None:
        return qs
    return qs.filter(Q(addressee_id__in=units) | Q(series__issuer_id__in=units))


def letter_get(actor, letter_id: int) -> UrgingLetter:
    letter = visible_letters(actor).filter(pk=letter_id).first()
    if letter is None:
        raise NotFound("letter_not_found", _("Urging letter not found"))
    return letter


def inspection_get(actor, inspection_id: int) -> Inspection:
    inspection = visible_inspections(actor).select_related("unit").filter(pk=inspection_id).first()
    if inspection is None:
        raise NotFound("inspection_not_found", _("Inspection not found"))
    return inspection


def rectification_get(actor, rect_id: int) -> Rectification:
    rect = (
        Rectification.objects.select_related("finding__inspection", "finding__task", "unit")
        .filter(finding__in=visible_findings(actor), pk=rect_id)
        .first()
    )
    if rect is None:
        raise NotFound("rectification_not_found", _("Rectification not found"))
    return rect


# --- facts and lights -----------------------------------------------------------------------


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=clock.local_zone())


def ids_in(ids: list[int]) -> RawSQL:
    """Many ids as one parameter (a JSON list on SQLite, an array on PostgreSQL) for
    ``field__in=``: the ORM spends milliseconds per thousand ids building ``IN (%s, …)``."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def facts_for(tasks: Iterable[Any], as_of: date) -> dict[int, TaskFacts]:
    """Each task as it stood at the end of ``as_of``, read in a fixed number of queries as
    plain rows (no model object per task, milestone or report). ``tasks``: :class:`Task`
    objects or anything with their ``pk``, ``start``, ``deadline``, ``state``, ``done_on``,
    ``target_value`` and ``report_cadence`` (the board's :class:`BoardTask`)."""
    tasks = list(tasks)
    if not tasks:
        return {}
    ids = ids_in([t.pk for t in tasks])
    end = _end_of(as_of)
    # The latest report of each task up to the day, one row per task (not the history).
    newest = (
        ProgressReport.objects.filter(task_id=OuterRef("pk"), on__lte=as_of)
        .order_by("-on", "-pk")
        .values("pk")[:1]
    )
    latest = {
        task_id: (on, percent, value)
        for task_id, on, percent, value in ProgressReport.objects.filter(
            pk__in=Task.objects.filter(pk__in=ids)
            .order_by()
            .annotate(report_id=Subquery(newest))
            .values("report_id")
        )
        .order_by()
        .values_list("task_id", "on", "percent", "value")
    }
    milestones: dict[int, list[MilestoneFacts]] = defaultdict(list)
    for task_id, title, due, planned, done_on in Milestone.objects.filter(
        task_id__in=ids
    ).values_list("task_id", "title", "due", "planned_percent", "done_on"):
        done = done_on if done_on and done_on <= as_of else None
        pct = float(planned) if planned is not None else None
        milestones[task_id].append(MilestoneFacts(title, due, pct, done))
    problems: dict[int, list[str]] = defaultdict(list)
    overdue: dict[int, list[tuple[str, date]]] = defaultdict(list)
    open_then = Q(rectification__closed_at__isnull=True) | Q(rectification__closed_at__gt=end)
    for task_id, is_problem, description, rect_due in (
        Finding.objects.filter(task_id__in=ids, found_at__lte=end)
        .filter(open_then)
        .values_list("task_id", "is_problem", "description", "rectification__due")
    ):
        if is_problem:
            problems[task_id].append(description[:80])
        if rect_due is not None and past_due(rect_due, as_of):
            overdue[task_id].append((description[:80], rect_due))
    letters: dict[int, list[tuple[str, date]]] = defaultdict(list)
    through = (
        UrgingLetter.tasks.through.objects.filter(task_id__in=ids, urgingletter__sent_at__lte=end)
        .filter(past_due_q("urgingletter__answer_due", as_of))
        .filter(Q(urgingletter__answered_at__isnull=True) | Q(urgingletter__answered_at__gt=end))
    )
    for row in through.select_related("urgingletter__series"):
        letter = row.urgingletter
        letters[row.task_id].append((letter.reference, letter.answer_due))
    facts: dict[int, TaskFacts] = {}
    for t in tasks:
        report = latest.get(t.pk)
        if t.state == Task.State.DONE and t.done_on and t.done_on <= as_of:
            state = "done"
        elif t.state == Task.State.CANCELLED:
            state = "cancelled"
        else:
            state = "active"
        facts[t.pk] = TaskFacts(
            start=t.start,
            deadline=t.deadline,
            state=state,
            done_on=t.done_on if state == "done" else None,
            progress=_percent(t.target_value, *report[1:]) if report else None,
            last_report_on=report[0] if report else None,
            cadence_days=Cadence.days(t.report_cadence),
            milestones=tuple(milestones[t.pk]),
            open_problems=tuple(problems[t.pk]),
            overdue_rectifications=tuple(overdue[t.pk]),
            overdue_letters=tuple(letters[t.pk]),
        )
    return facts


def _percent(target, percent, value) -> float | None:
    """Percent from a report's figures: as given, or the indicator value against the target."""
    if percent is not None:
        return float(percent)
    if value is not None and target:
        return min(100.0, round(float(value) * 100 / float(target), 1))
    return None


def _progress_of(task: Task, report: ProgressReport | None) -> float | None:
    """Percent from the report: as given, or the indicator value against the target."""
    if report is None:
        return None
    return _percent(task.target_value, report.percent, report.value)


def lights_for(
    tasks: Iterable[Task], as_of: date, policy: Policy | None = None
) -> dict[int, tuple[str, list[dict]]]:
    policy = _remembering(policy or active_policy())
    return {pk: light(f, as_of, policy) for pk, f in facts_for(tasks, as_of).items()}


def _remembering(policy: Policy) -> Policy:
    """The policy with its working-day test remembered per day for one batch of lights
    (thousands of tasks ask about the same few days; the calendar answers each once)."""
    ask = policy.is_workday
    known: dict[date, bool] = {}

    def is_workday(day: date) -> bool:
        answer = known.get(day)
        if answer is None:
            answer = known[day] = ask(day)
        return answer

    return replace(policy, is_workday=is_workday)


def task_light(task: Task, as_of: date | None = None) -> tuple[str, list[dict]]:
    """The light shown for one task: stored if computed today, else computed now."""
    as_of = as_of or clock.today()
    if task.light and task.light_on == as_of:
        return task.light, task.light_reasons
    return lights_for([task], as_of)[task.pk]


def stored_or_computed_lights(tasks: list[Any], as_of: date) -> dict[int, tuple[str, list[dict]]]:
    """Each task's light on ``as_of``: today the sweeper's stored light (no reads) — lit today,
    or a finished task's final light (done early / on time / late, cancelled: the sweep
    lights it once and it does not change) — computed only for tasks it has not lit yet today
    and for any other date."""
    stored = {}
    if as_of == clock.today():
        stored = {
            t.pk: (t.light, t.light_reasons)
            for t in tasks
            if t.light and t.light_on and (t.light_on == as_of or _final(t, as_of))
        }
    missing = [t for t in tasks if t.pk not in stored]
    if missing:
        stored.update(lights_for(missing, as_of))
    return stored


FINAL = {*Colour.done(), Colour.CANCELLED}


def _final(t: Any, as_of: date) -> bool:
    """Is the stored light of ``t`` its light on ``as_of`` for good: finished, lit after it
    finished, and ``as_of`` not before that?"""
    if t.light not in FINAL or t.light_on > as_of:
        return False
    if t.state == Task.State.CANCELLED:
        return t.light == Colour.CANCELLED
    return (
        t.state == Task.State.DONE
        and t.light != Colour.CANCELLED
        and t.done_on is not None
        and t.done_on <= t.light_on
    )


# --- the board -------------------------------------------------------------------------------


class Named(NamedTuple):
    """A related row as the board names it (kind, category, unit, leader): no model object."""

    pk: int
    name: str
    code: str = ""
    short_name: str = ""


@dataclass(slots=True)
class BoardTask:
    """A task as the board reads it: one ``values()`` row, what the page, the API list, the
    tallies and :func:`facts_for` use (no :class:`Task` and its four related objects)."""

    pk: int
    code: str
    title: str
    kind: Named
    category: Named
    level: str
    responsible_unit: Named
    supervising_unit: Named | None
    leader: Named | None
    annual_goal: str
    start: date
    deadline: date
    state: str
    done_on: date | None
    progress: Any
    target_value: Any
    report_cadence: str
    light: str
    light_reasons: list[dict]
    light_on: date | None

    @property
    def category_id(self) -> int:
        return self.category.pk

    @property
    def leader_id(self) -> int | None:
        return self.leader.pk if self.leader else None

    @property
    def reports(self) -> QuerySet[ProgressReport]:
        """The task's progress reports (a query, run only for a caller that asks)."""
        return ProgressReport.objects.filter(task_id=self.pk)


BOARD_FIELDS = (
    "pk",
    "code",
    "title",
    "kind_id",
    "kind__name",
    "kind__code",
    "category_id",
    "category__name",
    "category__code",
    "level",
    "responsible_unit_id",
    "responsible_unit__name",
    "responsible_unit__code",
    "responsible_unit__short_name",
    "supervising_unit_id",
    "supervising_unit__name",
    "supervising_unit__code",
    "supervising_unit__short_name",
    "leader_id",
    "leader__name",
    "leader__code",
    "annual_goal",
    "start",
    "deadline",
    "state",
    "done_on",
    "progress",
    "target_value",
    "report_cadence",
    "light",
    "light_reasons",
    "light_on",
)


def board_tasks(actor, flt: BoardFilter) -> list[BoardTask]:
    """The filtered tasks as plain rows, in the board's order, in one query (each kind,
    category, unit and leader named once, however many tasks share it)."""
    named: dict[tuple, Named] = {}

    def name(*key) -> Named:
        found = named.get(key)
        if found is None:
            found = named[key] = Named(*key)
        return found

    tasks = []
    for row in _filtered(actor, flt).values_list(*BOARD_FIELDS):
        (pk, code, title, kind_id, kind, kind_code, cat_id, cat, cat_code, level,
         unit_id, unit, unit_code, unit_short, sup_id, sup, sup_code, sup_short,
         leader_id, leader, leader_code, *rest) = row  # fmt: skip
        tasks.append(
            BoardTask(
                pk,
                code,
                title,
                name(kind_id, kind, kind_code),
                name(cat_id, cat, cat_code),
                level,
                name(unit_id, unit, unit_code, unit_short),
                name(sup_id, sup, sup_code, sup_short) if sup_id else None,
                name(leader_id, leader, leader_code) if leader_id else None,
                *rest,
            )
        )
    return tasks


@dataclass
class BoardRow:
    task: BoardTask
    colour: str
    reasons: list[dict]

    @property
    def colour_label(self) -> str:
        return str(Colour(self.colour).label)


@dataclass
class Board:
    as_of: date
    year: int | None
    rows: list[BoardRow]
    counts: dict[str, int] = field(default_factory=dict)
    by_unit: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    by_category: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    by_leader: list[tuple[str, dict[str, int]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def sentence(self) -> str:
        return lights_sentence(self.counts)

    @property
    def done_sentence(self) -> str:
        return done_sentence(self.counts)


@dataclass
class BoardFilter:
    colour: str = ""
    unit: int | None = None
    category: int | None = None
    leader: int | None = None
    kind: int | None = None
    year: int | None = None
    q: str = ""


def _filtered(actor, flt: BoardFilter) -> QuerySet[Task]:
    qs = visible_tasks(actor)
    if flt.year:
        qs = qs.filter(start__lte=date(flt.year, 12, 31), deadline__gte=date(flt.year, 1, 1))
    if flt.unit:
        from cityloop.org.models import Unit

        unit = Unit.objects.filter(pk=flt.unit).first()
        qs = qs.filter(responsible_unit__path__startswith=unit.path) if unit else qs.none()
    if flt.category:
        qs = qs.filter(category_id=flt.category)
    if flt.leader:
        qs = qs.filter(leader_id=flt.leader)
    if flt.kind:
        qs = qs.filter(kind_id=flt.kind)
    if flt.q:
        qs = qs.filter(Q(title__icontains=flt.q) | Q(code__icontains=flt.q))
    return qs


def _tally(rows: list[BoardRow], key) -> list[tuple[str, dict[str, int]]]:
    groups: dict[str, Counter] = defaultdict(Counter)
    done = set(Colour.done())
    for row in rows:
        group = groups[key(row.task)]
        group[row.colour] += 1
        if row.colour in done:
            group["done"] += 1
    return sorted(
        ((name, dict(c)) for name, c in groups.items()),
        key=lambda item: (-item[1].get(Colour.RED, 0), -item[1].get(Colour.YELLOW, 0), item[0]),
    )


def board(actor, *, as_of: date | None = None, flt: BoardFilter | None = None) -> Board:
    """Every visible task of the year with its light on ``as_of``, and the counts: for today
    the lights the sweeper stored on the task rows (one read, no facts), computed from the
    facts only for the tasks not lit today and for any other date."""
    as_of = as_of or clock.today()
    flt = flt or BoardFilter()
    year = flt.year if flt.year is not None else as_of.year
    flt = BoardFilter(**{**flt.__dict__, "year": year or None, "colour": ""})
    tasks = board_tasks(actor, flt)
    lit = stored_or_computed_lights(tasks, as_of)
    rows = [BoardRow(t, *lit[t.pk]) for t in tasks]
    counts = Counter(r.colour for r in rows)
    result = Board(as_of=as_of, year=year or None, rows=rows, counts=dict(counts))
    result.by_unit = _tally(
        rows, lambda t: t.responsible_unit.short_name or t.responsible_unit.name
    )
    result.by_category = _tally(rows, lambda t: t.category.name)
    nobody = _("(none)")
    result.by_leader = _tally(rows, lambda t: t.leader.name if t.leader else nobody)
    return result


def select_colour(rows: list[BoardRow], colour: str) -> list[BoardRow]:
    if not colour:
        return rows
    if colour == "done":
        return [r for r in rows if r.colour in Colour.done()]
    return [r for r in rows if r.colour == colour]


def lights_sentence(counts: dict[str, int]) -> str:
    """截至目前,共有红色预警0项、黄色预警1项、蓝色预警27项 — from the counts."""
    return _(
        "As of now there are %(red)d red warnings, %(yellow)d yellow warnings and "
        "%(blue)d blue warnings"
    ) % {
        "red": counts.get(Colour.RED, 0),
        "yellow": counts.get(Colour.YELLOW, 0),
        "blue": counts.get(Colour.BLUE, 0),
    }


def done_sentence(counts: dict[str, int]) -> str:
    """7 项已提前完成,其余 32 项正在加紧推进 — from the counts."""
    early = counts.get(Colour.DONE_EARLY, 0)
    done = sum(counts.get(c, 0) for c in Colour.done())
    going = sum(counts.get(c, 0) for c in Colour.lit())
    if done == early:
        return _("%(early)d done ahead of time, the other %(going)d being pushed forward") % {
            "early": early,
            "going": going,
        }
    return _(
        "%(done)d done (%(early)d ahead of time), the other %(going)d being pushed forward"
    ) % {"done": done, "early": early, "going": going}


def light_trend(actor, *, days: int = 30, end: date | None = None) -> dict[str, Any]:
    """Stored daily lights, counted per day and colour, for the trend chart."""
    end = end or clock.today()
    start = end - timedelta(days=days - 1)
    rows = (
        LightRecord.objects.filter(task__in=visible_tasks(actor), on__range=(start, end))
        .values_list("on", "colour")
        .order_by("on")
    )
    per_day: dict[date, Counter] = defaultdict(Counter)
    for on, colour in rows:
        per_day[on][colour] += 1
    dates = [start + timedelta(days=i) for i in range(days)]
    return {
        "dates": [d.isoformat() for d in dates],
        # A day with no stored light (the sweeper did not run) is a gap, not a zero.
        "series": {
            c: [per_day[d].get(c, 0) if per_day.get(d) else None for d in dates]
            for c in Colour.lit()
        },
    }


def progress_history(task: Task) -> list[dict[str, Any]]:
    return [
        {
            "on": r.on.isoformat(),
            "percent": _progress_of(task, r),
            "value": float(r.value) if r.value is not None else None,
            "text": r.text,
            "by": r.reporter_label,
            "attachments": r.attachments,
        }
        for r in task.reports.order_by("on", "pk")
    ]


def task_events(task: Task) -> QuerySet[SupervisionEvent]:
    return task.events.order_by("at", "pk")


def open_explanation(task: Task) -> Explanation | None:
    return task.explanations.filter(state=Explanation.State.OPEN).first()


# --- rectification ledger -------------------------------------------------------------------


@dataclass
class LedgerRow:
    rectification: Rectification
    age_days: int
    overdue_days: int


def ledger(actor, *, as_of: date | None = None, unit: int | None = None) -> list[LedgerRow]:
    """整改台账: every open rectification the actor can see, oldest first, with its age."""
    as_of = as_of or clock.today()
    qs = (
        Rectification.objects.filter(finding__in=visible_findings(actor))
        .exclude(state=Rectification.State.CLOSED)
        .select_related("finding__inspection", "finding__task", "finding__place", "unit")
        .order_by("opened_at", "pk")
    )
    if unit:
        qs = qs.filter(unit_id=unit)
    zone = clock.local_zone()
    return [
        LedgerRow(
            r,
            (as_of - r.opened_at.astimezone(zone).date()).days,
            days_overdue(r.due, as_of),
        )
        for r in qs
    ]


def ledger_by_unit(rows: list[LedgerRow]) -> list[tuple[str, int, int]]:
    """(unit, open, overdue) for the ledger's summary."""
    open_: Counter = Counter()
    late: Counter = Counter()
    for row in rows:
        name = row.rectification.unit.short_name or row.rectification.unit.name
        open_[name] += 1
        late[name] += row.overdue_days > 0
    return sorted(((n, open_[n], late[n]) for n in open_), key=lambda x: (-x[2], -x[1], x[0]))


def proposed_escalations(actor) -> QuerySet[Escalation]:
    """Grouped by finding on the page (one finding may propose a summons, a criticism and a
    deduction at once), so ordered by it."""
    return (
        Escalation.objects.filter(
            finding__in=visible_findings(actor), state=Escalation.State.PROPOSED
        )
        .select_related("finding__inspection", "unit")
        .order_by("finding_id", "kind", "pk")
    )


def confirmed_deductions(*, unit=None, start: date | None = None, end: date | None = None):
    """Confirmed assessment deductions (for the assessment module)."""
    qs = Escalation.objects.filter(
        kind=Escalation.Kind.DEDUCTION, state=Escalation.State.CONFIRMED
    ).select_related("finding", "unit")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if start:
        qs = qs.filter(decided_at__gte=datetime.combine(start, time.min, clock.local_zone()))
    if end:
        qs = qs.filter(decided_at__lte=_end_of(end))
    return qs


# --- urging letters -------------------------------------------------------------------------


@dataclass
class OverdueItem:
    kind: str  # task / rectification
    pk: int
    title: str
    due: str
    days: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


RED_CODES_FOR_LETTERS = {"overdue", "milestone_overdue", "behind_plan", "rectification_overdue"}


def overdue_items(unit, *, as_of: date | None = None) -> list[OverdueItem]:
    """What a unit is late with: red tasks it is responsible for and rectifications past
    their time limit — the content of an urging letter."""
    as_of = as_of or clock.today()
    items: list[OverdueItem] = []
    tasks = list(
        Task.objects.filter(
            responsible_unit__path__startswith=unit.path, state=Task.State.ACTIVE
        ).order_by("deadline", "code")
    )
    lit = lights_for(tasks, as_of)
    for task in tasks:
        colour, reasons = lit[task.pk]
        late = [
            r for r in reasons if r["colour"] == Colour.RED and r["code"] in RED_CODES_FOR_LETTERS
        ]
        if colour == Colour.RED and late:
            items.append(
                OverdueItem(
                    "task",
                    task.pk,
                    task.title,
                    task.deadline.isoformat(),
                    max(0, (as_of - task.deadline).days),
                    "；".join(r["text"] for r in late),
                )
            )
    for rect in (
        Rectification.objects.filter(unit__path__startswith=unit.path)
        .filter(past_due_q("due", as_of))
        .exclude(state=Rectification.State.CLOSED)
        .select_related("finding")
        .order_by("due", "pk")
    ):
        items.append(
            OverdueItem(
                "rectification",
                rect.pk,
                rect.finding.description,
                rect.due.isoformat(),
                (as_of - rect.due).days,
                _("Rectification past its time limit"),
            )
        )
    return items


# --- periodic summaries (weekly supervision, monthly scheduling, quarterly notice) ----------


PERIOD_KINDS = ("week", "month", "quarter")


def period_bounds(kind: str, end: date) -> tuple[date, date]:
    if kind == "week":
        return end - timedelta(days=6), end
    if kind == "month":
        return end.replace(day=1), end
    if kind == "quarter":
        first_month = 3 * ((end.month - 1) // 3) + 1
        return end.replace(month=first_month, day=1), end
    raise ValueError(kind)


def summary(actor, *, kind: str, end: date | None = None) -> dict[str, Any]:
    """What a period's supervision report says, as data: the lights at its end and start,
    tasks that turned red or finished in it, findings opened and closed, letters sent."""
    return summaries(actor, kinds=(kind,), end=end)[0]


def summaries(
    actor, *, kinds: tuple[str, ...] = PERIOD_KINDS, end: date | None = None
) -> list[dict[str, Any]]:
    """The summaries of several periods ending on one day: the tasks and their lights at the
    end are read once for all of them (the board page shows all three)."""
    end = end or clock.today()
    tasks = board_tasks(actor, BoardFilter(year=end.year))
    now_lit = stored_or_computed_lights(tasks, end)
    return [_summary(actor, kind, end, tasks, now_lit) for kind in kinds]


def _summary(actor, kind: str, end: date, tasks: list[BoardTask], now_lit: dict) -> dict[str, Any]:
    start, end = period_bounds(kind, end)
    then_lit = lights_for(tasks, start - timedelta(days=1))
    counts = Counter(c for c, _r in now_lit.values())
    previous = Counter(c for c, _r in then_lit.values())
    turned_red = [
        {"code": t.code, "title": t.title, "reasons": [r["text"] for r in now_lit[t.pk][1]]}
        for t in tasks
        if now_lit[t.pk][0] == Colour.RED and then_lit[t.pk][0] != Colour.RED
    ]
    finished = [
        {"code": t.code, "title": t.title, "colour": now_lit[t.pk][0]}
        for t in tasks
        if now_lit[t.pk][0] in Colour.done() and then_lit[t.pk][0] not in Colour.done()
    ]
    lo = datetime.combine(start, time.min, clock.local_zone())
    hi = _end_of(end)
    findings = visible_findings(actor)
    return {
        "kind": kind,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "counts": dict(counts),
        "previous_counts": dict(previous),
        "sentence": lights_sentence(counts),
        "done_sentence": done_sentence(counts),
        "turned_red": turned_red,
        "finished": finished,
        "findings_opened": findings.filter(found_at__range=(lo, hi)).count(),
        "rectifications_closed": Rectification.objects.filter(
            finding__in=findings, closed_at__range=(lo, hi)
        ).count(),
        "letters_sent": visible_letters(actor).filter(sent_at__range=(lo, hi)).count(),
    }
