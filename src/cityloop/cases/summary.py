"""The case figures summary: counters by local day, place, unit, category and source.

:func:`cityloop.cases.queries.case_figures` sums :class:`CaseDayFigure` rows instead of reading
every case. A case *contributes* to the day of each of its milestones, as it stands now:

- ``reported`` on the day of reported_at, ``accepted`` on the day of accepted_at;
- ``closed`` on the day of closed_at, with the closed pieces of the other figures: due to close
  (``closed_due``: not cancelled, rejected, merged or suspended), of those closed on time,
  ``reworked`` (a rework or reopen) and the handling hours (``hours_count``/``hours_sum``);
- ``visited``/``pleased`` on the day of visited_at (with a satisfaction answer).

Each day's row has its month's roll-up beside it (``span`` ``month``, the day the month's
first), written by the same upsert: a long period sums its whole months' rows and the days
of its partial edge months only.

What depends on "now" is not summed by day: a case is also due to close when its handling
deadline fell in the period and has passed, though it was not closed in the period. Those
cases are few (open ones, and closed ones whose close and deadline straddle the period's
edge) and :func:`cityloop.cases.queries.case_figures` reads them from the cases through the
index on (handle_due_at, closed_at).

:func:`record` keeps the summary in the transaction of each case save (old contribution out,
new in, as one upsert), :func:`forget` takes a deleted case out; :func:`rebuild` recomputes
it from the cases with set-based statements, after bulk changes that bypass the
workflow (raw SQL, a category moved to another parent: ``cityloop manage
rebuild_case_figures``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from cityloop.cases.models import Case, CaseDayFigure
from cityloop.core import clock

S = Case.Status
# Not due to close whatever the dates: finished without a close, or suspended now.
NOT_DUE = (S.CANCELLED, S.REJECTED, S.MERGED, S.SUSPENDED)
PLEASED = (Case.Satisfaction.SATISFIED, Case.Satisfaction.BASICALLY)
DIMS = ("day", "place_path", "unit_id", "dispatcher_id", "category_id", "source")
KEY = ("span", *DIMS)  # the summary table's unique key: a day's row or its month's roll-up
COUNTERS = (
    "reported",
    "accepted",
    "closed",
    "closed_due",
    "closed_due_on_time",
    "reworked",
    "hours_count",
    "hours_sum",
    "visited",
    "pleased",
)
# The case fields a contribution is made of (attnames).
FIELDS = (
    "status",
    "source",
    "place_path",
    "responsible_unit_id",
    "dispatcher_unit_id",
    "category_id",
    "reported_at",
    "accepted_at",
    "closed_at",
    "closed_on_time",
    "visited_at",
    "satisfaction",
    "rework_count",
    "reopen_count",
    "handling_hours",
)

Key = tuple[date, str, int, int, int, str]


def _day(moment) -> date:
    return moment.astimezone(clock.local_zone()).date()


def contribution(row: Mapping[str, Any]) -> dict[Key, dict[str, float]]:
    """What one case (its :data:`FIELDS`) adds to the summary, by row key."""
    dims = (
        row["place_path"] or "",
        row["responsible_unit_id"] or 0,
        row["dispatcher_unit_id"] or 0,
        row["category_id"] or 0,
        row["source"],
    )
    out: dict[Key, dict[str, float]] = {}

    def add(moment, **counts: float) -> None:
        bucket = out.setdefault((_day(moment), *dims), {})
        for name, n in counts.items():
            bucket[name] = bucket.get(name, 0) + n

    if row["reported_at"] is not None:
        add(row["reported_at"], reported=1)
    if row["accepted_at"] is not None:
        add(row["accepted_at"], accepted=1)
    if row["closed_at"] is not None:
        due = row["status"] not in NOT_DUE
        hours = row["handling_hours"]
        add(
            row["closed_at"],
            closed=1,
            closed_due=int(due),
            closed_due_on_time=int(due and bool(row["closed_on_time"])),
            reworked=int(bool(row["rework_count"] or row["reopen_count"])),
            hours_count=int(hours is not None),
            hours_sum=hours or 0.0,
        )
    if row["visited_at"] is not None and row["satisfaction"]:
        add(row["visited_at"], visited=1, pleased=int(row["satisfaction"] in PLEASED))
    return out


def _row_of(case: Case) -> dict[str, Any]:
    return {f: getattr(case, f) for f in FIELDS}


def record(case: Case, *, adding: bool) -> None:
    """Move the summary from the case as it was loaded to the case as it is (call it in the
    transaction that saves the case, before or after the save)."""
    loaded = getattr(case, "_loaded", None)
    if adding:
        old: Mapping[str, Any] | None = None
    elif loaded is not None and all(f in loaded for f in FIELDS):
        old = loaded
    else:  # loaded with deferred fields, or never loaded: ask the database
        old = Case.objects.filter(pk=case.pk).values(*FIELDS).first()
    new = _row_of(case)
    if old is not None and all(old[f] == new[f] for f in FIELDS):
        return
    delta: dict[Key, dict[str, float]] = {}
    for sign, part in ((-1, contribution(old) if old else {}), (1, contribution(new))):
        for key, counts in part.items():
            bucket = delta.setdefault(key, {})
            for name, n in counts.items():
                bucket[name] = bucket.get(name, 0) + sign * n
    apply(delta)
    case._loaded = {**(loaded or {}), **new}


def record_added(cases: Iterable[Case]) -> None:
    """New cases written in bulk (:func:`cityloop.cases.workflow.report_many`): their
    contributions summed into one upsert, in the batch's transaction."""
    delta: dict[Key, dict[str, float]] = {}
    for case in cases:
        row = _row_of(case)
        for key, counts in contribution(row).items():
            bucket = delta.setdefault(key, {})
            for name, n in counts.items():
                bucket[name] = bucket.get(name, 0) + n
        case._loaded = row
    apply(delta)


def forget(sender, instance: Case, **kwargs) -> None:
    """A deleted case takes its contribution out (``post_delete``; the demo's reset, an
    admin's delete). Bulk deletes by raw SQL need :func:`rebuild`."""
    apply({k: {c: -n for c, n in v.items()} for k, v in contribution(_row_of(instance)).items()})


def connect() -> None:
    from django.db.models.signals import post_delete

    post_delete.connect(forget, sender=Case, dispatch_uid="cases.summary.forget")


def month_of(day: date) -> date:
    """The ``day`` of the month row that rolls ``day`` up: the month's first."""
    return day.replace(day=1)


def period_q(since: date, until: date) -> Q:
    """The summary rows that sum to the days ``since`` … ``until``: the month rows of the
    whole months inside, the day rows of the days before and after them."""
    first = month_of(since) if since.day == 1 else _next_month(since)
    end = _next_month(until) if _next_month(until) - timedelta(days=1) == until else month_of(until)
    if first >= end:  # no whole month inside
        return Q(span="day", day__gte=since, day__lte=until)
    months, m = [], first
    while m < end:
        months.append(m)
        m = _next_month(m)
    q = Q(span="month", day__in=months)
    if since < first:
        q |= Q(span="day", day__gte=since, day__lt=first)
    if end <= until:
        q |= Q(span="day", day__gte=end, day__lte=until)
    return q


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def apply(delta: Mapping[Key, Mapping[str, float]]) -> None:
    """Add counters to summary rows, each day's and its month's roll-up, in one upsert
    statement (rows that net to zero skipped): the months stay the exact sum of their days
    whatever path writes (one case's save, a bulk intake, a delete)."""
    spans: dict[tuple[str, Key], dict[str, float]] = {}
    for key, counts in delta.items():
        month = (month_of(key[0]), *key[1:])
        for span, k in (("day", key), ("month", month)):
            bucket = spans.setdefault((span, k), {})
            for name, n in counts.items():
                bucket[name] = bucket.get(name, 0) + n
    rows = [(key, counts) for key, counts in spans.items() if any(v for v in counts.values())]
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(CaseDayFigure._meta.db_table)
    cols = (*KEY, *COUNTERS)
    values, params = [], []
    for (span, (day, *dims)), counts in sorted(rows, key=lambda r: (r[0][1][0], r[0][0])):
        values.append("(" + ", ".join(["%s"] * len(cols)) + ")")
        params += [span, connection.ops.adapt_datefield_value(day), *dims]
        params += [counts.get(c, 0) for c in COUNTERS]
    sets = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in COUNTERS)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in cols)}) VALUES {', '.join(values)} "
        f"ON CONFLICT ({', '.join(qn(c) for c in KEY)}) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _by_day(cases, field: str, where: Q, **counters) -> tuple[str, list]:
    """One milestone's counters by day and key, as SQL selecting every counter column."""
    tz = clock.local_zone()
    qs = (
        cases.objects.order_by()
        .filter(where, **{f"{field}__isnull": False})
        .annotate(
            day=TruncDate(field, tzinfo=tz),
            unit_key=Coalesce("responsible_unit_id", Value(0)),
            dispatcher_key=Coalesce("dispatcher_unit_id", Value(0)),
            category_key=Coalesce("category_id", Value(0)),
        )
        .values("day", "place_path", "unit_key", "dispatcher_key", "category_key", "source")
        .annotate(**counters)
    )
    sql, params = qs.query.sql_with_params()
    keys = ["day", "place_path", "unit_key", "dispatcher_key", "category_key", "source"]
    names = [f"s.{k} AS k{i}" for i, k in enumerate(keys)]
    names += [f"{'s.' + c if c in counters else '0'} AS c{i}" for i, c in enumerate(COUNTERS)]
    return f"SELECT {', '.join(names)} FROM ({sql}) s", list(params)


def rebuild(*, cases=Case, figures=CaseDayFigure) -> int:
    """Recompute the whole summary from the cases, set-based, in one INSERT ordered by day
    (so a period's rows lie together on disk); answers the rows written.

    ``cases``/``figures``: the models to use (a migration passes its historical ones)."""
    qn = connection.ops.quote_name
    due = ~Q(status__in=NOT_DUE)
    parts = [
        ("reported_at", Q(), {"reported": Count("pk")}),
        ("accepted_at", Q(), {"accepted": Count("pk")}),
        (
            "closed_at",
            Q(),
            {
                "closed": Count("pk"),
                "closed_due": Count("pk", filter=due),
                "closed_due_on_time": Count("pk", filter=due & Q(closed_on_time=True)),
                "reworked": Count("pk", filter=Q(rework_count__gt=0) | Q(reopen_count__gt=0)),
                "hours_count": Count("handling_hours"),
                "hours_sum": Coalesce(Sum("handling_hours"), Value(0.0)),
            },
        ),
        (
            "visited_at",
            ~Q(satisfaction=""),
            {"visited": Count("pk"), "pleased": Count("pk", filter=Q(satisfaction__in=PLEASED))},
        ),
    ]
    selects, params = [], []
    for field, where, counters in parts:
        sql, p = _by_day(cases, field, where, **counters)
        selects.append(sql)
        params += p
    keys = ", ".join(f"u.k{i}" for i in range(len(DIMS)))
    sums = ", ".join(f"SUM(u.c{i})" for i in range(len(COUNTERS)))
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) p{i}" for i, sql in enumerate(selects))
    table = qn(figures._meta.db_table)
    with transaction.atomic():
        figures.objects.all().delete()
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} ({', '.join(qn(c) for c in (*KEY, *COUNTERS))}) "
                f"SELECT 'day', {keys}, {sums} FROM ({union}) u "
                f"GROUP BY {keys} ORDER BY u.k0",
                params,
            )
            # The months: their days' rows summed (the same grouping :func:`apply` keeps).
            months = (
                figures.objects.filter(span="day")
                .order_by()
                .annotate(month=TruncMonth("day"))
                .values("month", *DIMS[1:])
                .annotate(**{f"s_{c}": Sum(c) for c in COUNTERS})
            )
            sql, p = months.query.sql_with_params()
            cur.execute(
                f"INSERT INTO {table} ({', '.join(qn(c) for c in (*KEY, *COUNTERS))}) "
                f"SELECT 'month', m.{qn('month')}, "
                + ", ".join(f"m.{qn(c)}" for c in (*DIMS[1:], *(f"s_{c}" for c in COUNTERS)))
                + f" FROM ({sql}) m",
                p,
            )
        return figures.objects.count()


def totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Counters summed over summary rows (dicts with the :data:`COUNTERS`)."""
    out = dict.fromkeys(COUNTERS, 0)
    for r in rows:
        for c in COUNTERS:
            out[c] += r[c] or 0
    return out
