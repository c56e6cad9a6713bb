"""The figures summary gives the numbers of a recount from the cases.

Random histories of cases are played through the real workflow functions (hypothesis draws
each next action among those allowed); then, for several readers, periods and every grouping,
the figures summed from :class:`CaseDayFigure` equal the case-by-case recount (the reference,
:func:`cityloop.cases.queries._recount`), and the maintained summary equals a rebuild.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cityloop.cases import queries, summary, workflow
from cityloop.cases.models import Case, CaseDayFigure
from cityloop.core import clock, tokens
from cityloop.core.errors import DomainError
from cityloop.core.scope import scope_for
from tests.api.conftest import ApiClient
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 10, 26, 9, 0, tzinfo=SH)
IN_B = (113.2912, 34.7812)  # in the compound of the second street
ON_ROAD_A = (113.265, 34.785)
PERIODS = (
    (date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 10, 28), date(2026, 11, 3)),
    (date(2026, 11, 2), date(2026, 11, 2)),
    (date(2026, 10, 1), date(2026, 12, 31)),
)


@pytest.fixture
def as_user():
    return lambda user: ApiClient(tokens.token_issue(user=user, label="test"))


@pytest.fixture
def people(cast, tree, make_account):
    admin = make_account("district-admin", roles=("admin",), superuser=True)
    bureau_staff = make_account("bureau-staff", roles=("department_staff",), unit=tree.bureau)
    return {
        "admin": admin,
        "desk": cast.desk,
        "handler": cast.handler,
        "outsider": cast.outsider,
        "chief": cast.chief,
        "resident": cast.resident,
        "bureau": bureau_staff,
    }


def _payload(action: str, data, case: Case, ctx: dict) -> dict | None:
    draw = data.draw
    if action == "accept":
        return {"category": ctx["category"]}
    if action == "dispatch":
        return {"unit": draw(st.sampled_from(ctx["units"]))}
    if action == "reply":
        return {"result": "已处理完毕"}
    if action == "verify":
        return {"passed": draw(st.booleans())}
    if action == "return_visit":
        return {"satisfaction": draw(st.sampled_from(Case.Satisfaction.values))}
    if action == "request":
        return {"kind": draw(st.sampled_from(["extend", "suspend"])), "reason": "需要", "days": 2}
    if action == "decide":
        return {"approve": draw(st.booleans())}
    if action == "extend":
        return {"days": 2, "reason": "材料未到"}
    if action == "resume":
        return {"note": "恢复"}
    if action == "merge":
        masters = [pk for pk in ctx["ids"] if pk != case.pk]
        return {"master_id": draw(st.sampled_from(masters))} if masters else None
    if action in ("comment", "take"):
        return {"note": ""} if action == "take" else None
    return {"reason": "原因说明"}


def _play(data, people: dict, ctx: dict, cases: int) -> None:
    """Report ``cases`` cases and move each through up to 12 drawn actions, in time order."""
    actors = [people[k] for k in ("admin", "desk", "handler", "bureau", "outsider")]
    now = START
    for _n in range(cases):
        now += timedelta(hours=data.draw(st.integers(0, 60)))
        where = data.draw(st.sampled_from([IN_COMPOUND, IN_B, ON_ROAD_A]))
        reporter = data.draw(st.sampled_from(["admin", "resident", "desk"]))
        with clock.frozen(now):
            try:
                case = workflow.report(
                    actor=people[reporter],
                    source={"admin": "hotline", "resident": "resident", "desk": "desk"}[reporter],
                    description="路灯不亮，晚上很黑",
                    category=ctx["category"] if data.draw(st.booleans()) else None,
                    lng=where[0],
                    lat=where[1],
                )
            except DomainError:
                continue
        ctx["ids"].append(case.pk)
        for _step in range(data.draw(st.integers(0, 12))):
            now += timedelta(hours=data.draw(st.integers(1, 90)))
            with clock.frozen(now):
                case = Case.objects.get(pk=case.pk)
                options = sorted(
                    {
                        (a, i)
                        for i, who in enumerate(actors)
                        for a in workflow.allowed_actions(who, case)
                        if a != "comment"
                    }
                )
                if not options:
                    break
                action, i = data.draw(st.sampled_from(options))
                payload = _payload(action, data, case, ctx)
                if payload is None:
                    continue
                try:
                    workflow.perform(actors[i], case.pk, action, payload)
                except DomainError:
                    pass


def _plain(rows) -> list:
    return [
        (r.group, r.label, {k: (f.value, f.numerator, f.denominator) for k, f in r.figures.items()})
        for r in rows
    ]


def _summary_rows() -> dict:
    out = {}
    for r in CaseDayFigure.objects.values():
        key = tuple(r[k] for k in summary.KEY)
        counts = {c: round(r[c], 6) for c in summary.COUNTERS}
        if any(counts.values()):
            out[key] = counts
    return out


def _month_rows() -> dict:
    """The roll-up rows as written, by (month, dims), zero rows left out."""
    return {k[1:]: v for k, v in _summary_rows().items() if k[0] == "month"}


def _days_grouped_by_month() -> dict:
    """The day rows summed by month with a hand-written GROUP BY (the reference)."""
    month = (
        "date_trunc('month', day)::date"
        if connection.vendor == "postgresql"
        else "date(day, 'start of month')"
    )
    dims = ", ".join(summary.DIMS[1:])
    sums = ", ".join(f"SUM({c})" for c in summary.COUNTERS)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {month}, {dims}, {sums} FROM {CaseDayFigure._meta.db_table} "
            f"WHERE span = 'day' GROUP BY {month}, {dims}"
        )
        found = cur.fetchall()
    out = {}
    for row in found:
        day = row[0] if isinstance(row[0], date) else date.fromisoformat(row[0])
        counts = {c: round(v, 6) for c, v in zip(summary.COUNTERS, row[6:], strict=True)}
        if any(counts.values()):
            out[(day, *row[1:6])] = counts
    return out


def test_a_year_reads_month_rows_for_its_whole_months():
    q = summary.period_q(date(2025, 12, 4), date(2026, 12, 4))
    months = [date(2026, m, 1) for m in range(1, 12)]
    assert q == (
        Q(span="month", day__in=months)
        | Q(span="day", day__gte=date(2025, 12, 4), day__lt=date(2026, 1, 1))
        | Q(span="day", day__gte=date(2026, 12, 1), day__lte=date(2026, 12, 4))
    )
    assert summary.period_q(date(2026, 2, 1), date(2026, 2, 28)) == Q(
        span="month", day__in=[date(2026, 2, 1)]
    )
    assert summary.period_q(date(2026, 10, 28), date(2026, 11, 3)) == Q(
        span="day", day__gte=date(2026, 10, 28), day__lte=date(2026, 11, 3)
    )


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example plays a history
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_summed_figures_equal_a_recount_over_random_histories(data, people, cast, tree, category):
    from cityloop.org.models import Unit

    ctx = {"category": category, "units": [cast.cgb, tree.bureau, tree.office_a], "ids": []}
    with transaction.atomic():
        _play(data, people, ctx, data.draw(st.integers(1, 8)))
        # "Now" inside the periods: the due-to-close rule reads deadlines passed by now.
        at = START + timedelta(
            days=data.draw(st.integers(0, 40)), hours=data.draw(st.integers(0, 23))
        )
        with clock.frozen(at):
            for who, actor in people.items():
                for since, until in PERIODS:
                    for group_by in (None, *queries.GROUPS):
                        want = queries._recount(actor, since=since, until=until, group_by=group_by)
                        got = queries.case_figures(
                            actor, since=since, until=until, group_by=group_by, with_ids=False
                        )
                        assert _plain(got) == _plain(want), (who, since, until, group_by)
                        assert all(not f.case_ids for r in got for f in r.figures.values())
        maintained = _summary_rows()
        assert _month_rows() == _days_grouped_by_month()
        summary.rebuild()
        assert _summary_rows() == maintained
        assert _month_rows() == _days_grouped_by_month()
        assert Unit.objects.exists()
        transaction.set_rollback(True)


def test_a_rebuild_equals_the_maintained_summary_and_undoes_a_bulk_change(
    people, cast, category, at_monday
):
    case = workflow.report(
        actor=people["admin"],
        source="hotline",
        description="井盖缺失",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    workflow.accept(actor=people["admin"], case_id=case.pk, category=category)
    maintained = _summary_rows()
    days = {k: c for k, c in maintained.items() if k[0] == "day"}
    assert [c["reported"] for c in days.values()] == [1]
    assert sum(c["accepted"] for c in days.values()) == 1
    assert _month_rows() == _days_grouped_by_month() != {}
    Case.objects.filter(pk=case.pk).update(reported_at=case.reported_at - timedelta(days=40))
    summary.rebuild()
    rebuilt = _summary_rows()
    assert rebuilt != maintained
    assert _month_rows() == _days_grouped_by_month()
    assert {k[1] for k in rebuilt if k[0] == "day"} == {
        (case.reported_at - timedelta(days=40)).astimezone(SH).date(),
        case.reported_at.astimezone(SH).date(),
    }


def test_the_figures_answer_reads_a_fixed_number_of_queries(
    as_user, people, cast, category, at_monday
):
    def count(n: int) -> int:
        for _ in range(n):
            c = workflow.report(
                actor=people["admin"],
                source="hotline",
                description="路面坑洼",
                category=category,
                lng=IN_COMPOUND[0],
                lat=IN_COMPOUND[1],
            )
            workflow.accept(actor=people["admin"], case_id=c.pk, category=category)
            workflow.dispatch(actor=people["admin"], case_id=c.pk, unit=cast.cgb)
        api = as_user(cast.desk)
        scope_for(cast.desk)
        api.get("/cases/figures", group_by="unit")
        with CaptureQueriesContext(connection) as ctx:
            r = api.get("/cases/figures", group_by="unit")
        assert r.status_code == 200
        assert r.json()["rows"][0]["figures"]["reported"]["case_ids"] == []
        return len(ctx.captured_queries)

    few = count(1)
    assert count(6) == few
    assert few <= 12, few


def test_a_deleted_case_leaves_the_summary(people, category, at_monday):
    case = workflow.report(
        actor=people["admin"],
        source="hotline",
        description="井盖缺失",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    workflow.accept(actor=people["admin"], case_id=case.pk, category=category)
    for span in ("day", "month"):  # the month's roll-up beside its day
        rows = [c for k, c in _summary_rows().items() if k[0] == span]
        assert sum(c["reported"] + c["accepted"] for c in rows) == 2, span
    Case.objects.filter(pk=case.pk).delete()
    assert _summary_rows() == {}


def test_cases_due_but_not_closed_in_a_period_are_found_by_their_own_indexes(
    people, category, at_monday
):
    """Due in the period and not closed in it: not closed at all, closed before the period
    or after it — and not the cases closed in it or due outside it; on both databases (on
    PostgreSQL through the span index of migration 0012: its plan at 1 M cases is in
    docs/benchmarks.md)."""
    start, end = datetime(2026, 11, 1, tzinfo=SH), datetime(2026, 12, 1, tzinfo=SH)
    day = timedelta(days=1)
    # (handle deadline, closed at): the first three straddle the period, the others do not
    shapes = [
        (start + 3 * day, None),  # due in it, never closed
        (start + 2 * day, start - day),  # closed early, before the period began
        (start + 20 * day, end + 4 * day),  # closed late, after it ended
        (start + 5 * day, start + 9 * day),  # due and closed in it
        (start - 3 * day, start + 2 * day),  # due before it
        (end + 2 * day, start - 5 * day),  # due after it, closed before it
        (start + 4 * day, start + 4 * day),  # closed at its deadline, in the period
    ]
    ids = []
    for i, (due, closed) in enumerate(shapes):
        case = workflow.report(
            actor=people["admin"],
            source="hotline",
            description=f"第{i}处井盖缺失",
            category=category,
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
        )
        Case.objects.filter(pk=case.pk).update(handle_due_at=due, closed_at=closed)
        ids.append(case.pk)

    def straddling(due_limit: datetime) -> list[int]:
        """Each arm's cases, as the figures count them (the arms must not overlap)."""
        found = []
        for arm in queries._straddling_arms(start, end, due_limit):
            found += Case.objects.filter(arm, pk__in=ids).values_list("pk", flat=True)
        return sorted(found)

    assert straddling(end) == ids[:3]  # the whole period has passed
    # A deadline still ahead (now in the period) is not due yet.
    assert straddling(start + 10 * day) == ids[:2]
    if connection.vendor == "postgresql":
        # The span test is written exactly as the GiST index holds it: with scans that
        # ignore indexes turned off, only case_closed_span can answer it.
        span = Case.objects.filter(
            Q(queries._SpanHolds(start)), closed_at__lt=start, handle_due_at__lt=end
        )
        sql, params = span.order_by().values("pk").query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        assert "Bitmap Index Scan on case_closed_span" in plan, plan
        # and it stays right inside a sub-query, where Django renames the table
        inner = Case.objects.filter(pk__in=span.values("pk"))
        assert sorted(inner.values_list("pk", flat=True)) == [ids[1]]
