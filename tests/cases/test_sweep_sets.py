"""The light sweep in sets (issue 20): the same lights, events and notifications as the
per-case path, each change written once even with two sweeps at once, nothing the second
time, and a statement count that does not grow with the number of stale cases."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cityloop.cases import sweep as case_sweep
from cityloop.cases import workflow
from cityloop.cases.models import Case, CaseEvent
from cityloop.cases.sweep import stale_light_ids, sweep_lights
from cityloop.core import clock, db
from cityloop.core.models import Notification
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db


def _report(cast, category, text: str) -> Case:
    return workflow.report(
        actor=cast.resident,
        source="resident",
        description=text,
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        reporter_name="李女士",
        reporter_phone="13800000001",
    )


def _mixed_cases(cast, category) -> list[Case]:
    """Cases at three steps, so every audience of a light warning is heard: waiting for
    acceptance (the desk), dispatched (the unit), taken by a handler (the unit and the
    handler)."""
    waiting = _report(cast, category, "06小区3号楼门口乱堆物堆料")
    dispatched = _report(cast, category, "07小区北门垃圾满溢")
    workflow.accept(actor=cast.desk, case_id=dispatched.pk)
    workflow.dispatch(actor=cast.desk, case_id=dispatched.pk, unit=cast.cgb)
    taken = _report(cast, category, "08小区路灯不亮")
    workflow.accept(actor=cast.desk, case_id=taken.pk)
    workflow.dispatch(actor=cast.desk, case_id=taken.pk, unit=cast.cgb)
    workflow.take(actor=cast.handler, case_id=taken.pk)
    return list(Case.objects.filter(pk__in=[waiting.pk, dispatched.pk, taken.pk]).order_by("pk"))


_SERIAL = itertools.count()


def _clone(case: Case, n: int) -> list[int]:
    """``n`` copies of ``case`` (same units, clock and light), written in bulk."""
    copies = []
    for _ in range(n):
        i = next(_SERIAL)
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.code = f"{case.code}-{i}"
        copies.append(copy)
    return [c.pk for c in Case.objects.bulk_create(copies)]


def _outcome(ids: list[int]) -> dict:
    """Everything a light change leaves, comparable between two runs."""
    return {
        "lights": dict(Case.objects.filter(pk__in=ids).values_list("pk", "light")),
        "events": sorted(
            (e.case_id, e.verb, e.from_state, e.to_state, e.actor_label, e.public, str(e.data))
            for e in CaseEvent.objects.filter(case_id__in=ids, verb__startswith="light_")
        ),
        "notices": sorted(
            (n.data.get("case"), n.recipient_id, n.contact, n.verb, n.title, n.body, n.link)
            for n in Notification.objects.filter(verb__startswith="case_light_")
        ),
    }


def _per_case(now) -> None:
    for pk in stale_light_ids(now):
        workflow.update_light(case_id=pk, now=now)


@pytest.mark.parametrize("step", ["warn", "due"])
def test_the_set_sweep_leaves_what_the_per_case_path_leaves(cast, category, at_monday, step):
    cases = _mixed_cases(cast, category)
    ids = [c.pk for c in cases]
    moment = max(c.warn_at if step == "warn" else c.due_at for c in cases) + timedelta(minutes=1)
    with clock.frozen(moment):
        with transaction.atomic():
            _per_case(moment)
            expected = _outcome(ids)
            transaction.set_rollback(True)
        assert _outcome(ids)["events"] == []  # rolled back: the set path starts from the same
        changed = sweep_lights()
    assert _outcome(ids) == expected
    assert sum(changed.values()) == 3 and (step == "warn" or changed["red"] == 3)
    assert len(expected["events"]) == 3
    # the desk hears about the waiting case, the unit (and the handler) about the others
    heard = {case: set() for case in ids}
    for case_pk, recipient, *_rest in expected["notices"]:
        heard[case_pk].add(recipient)
    assert {cast.desk.pk, cast.verifier.pk} <= heard[cases[0].pk]
    assert cast.handler.pk not in heard[cases[0].pk]
    assert heard[cases[1].pk] == heard[cases[2].pk] == {cast.handler.pk}


def test_a_second_pass_changes_nothing(cast, category, at_monday):
    cases = _mixed_cases(cast, category)
    with clock.frozen(max(c.due_at for c in cases) + timedelta(minutes=1)):
        assert sweep_lights()["red"] == 3
        events, notices = CaseEvent.objects.count(), Notification.objects.count()
        assert sweep_lights() == {"yellow": 0, "red": 0, "green": 0}
    assert (CaseEvent.objects.count(), Notification.objects.count()) == (events, notices)


def test_a_sweep_that_loses_the_race_writes_nothing_twice(cast, category, at_monday, monkeypatch):
    """Between one sweep's read and its UPDATE another sweep re-lights everything: the guard
    (the stored light still the old one) makes the first write nothing."""
    cases = _mixed_cases(cast, category)
    for case in cases:
        _clone(case, 4)
    real = db.id_list_sql
    raced = []

    def other_sweep_first(ids):
        if not raced:
            raced.append(True)
            assert sweep_lights()["red"] == 15  # the other sweep, inside this one's read
        return real(ids)

    monkeypatch.setattr(db, "id_list_sql", other_sweep_first)
    with clock.frozen(max(c.due_at for c in cases) + timedelta(minutes=1)):
        assert sweep_lights() == {"yellow": 0, "red": 0, "green": 0}
    assert raced
    assert CaseEvent.objects.filter(verb="light_red").count() == 15
    per_case = CaseEvent.objects.filter(verb="light_red").values_list("case_id", flat=True)
    assert len(set(per_case)) == 15


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded_calendar")
def test_two_sweeps_in_threads_write_each_change_once(cast, category):
    with clock.frozen(clock.now()):
        first = _report(cast, category, "井盖缺失")
        workflow.accept(actor=cast.desk, case_id=first.pk)
        first = workflow.dispatch(actor=cast.desk, case_id=first.pk, unit=cast.cgb)
    ids = [first.pk, *_clone(first, 59)]
    late = first.due_at + timedelta(hours=1)
    errors: list[BaseException] = []
    results: list[dict] = []
    barrier = threading.Barrier(2)

    def run():
        try:
            with clock.frozen(late):
                barrier.wait()
                results.append(sweep_lights(chunk=7))  # small chunks: the two interleave
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r["red"] for r in results) == 60
    red = list(
        CaseEvent.objects.filter(case_id__in=ids, verb="light_red").values_list(
            "case_id", flat=True
        )
    )
    assert sorted(red) == sorted(ids)
    assert Notification.objects.filter(verb="case_light_red").count() == 60


def _sweep_statements(moment) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        changed = sweep_lights(chunk=1000)
    assert changed["red"] > 0
    inserts = sum(1 for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("INSERT"))
    return len(ctx.captured_queries) - inserts, inserts


def test_a_pass_reads_and_writes_in_a_fixed_number_of_statements(cast, category, at_monday):
    cases = _mixed_cases(cast, category)
    moment = max(c.due_at for c in cases) + timedelta(minutes=1)
    small = [pk for case in cases for pk in _clone(case, 16)]  # 48 stale
    with clock.frozen(moment):
        few = _sweep_statements(moment)
    Case.objects.filter(pk__in=small).update(light="green")  # stale again, and 10× more
    for case in cases:
        _clone(case, 150)
    with clock.frozen(moment):
        many = _sweep_statements(moment)
    assert Case.objects.filter(light="red").count() == 3 + 48 + 450
    # Reads and updates: one chunk read, one UPDATE … FROM for the whole chunk (every old and
    # new light), the units' people, the empty read that ends the pass.
    assert many[0] == few[0]
    assert few[0] <= 9, few
    if connection.vendor == "postgresql":
        # no INSERT of its own: the events and the notifications are inserted by the UPDATE's
        # statement (data-modifying WITH), from the rows it really changed
        assert many[1] == few[1] == 0
    else:  # SQLite's 999-parameter limit splits a bulk insert into batches of ~80 rows
        assert many[1] <= 2 + (500 * 4) // 80, many


def test_nothing_stale_is_one_read(cast, category, at_monday):
    _mixed_cases(cast, category)
    with CaptureQueriesContext(connection) as ctx:
        assert sweep_lights() == {"yellow": 0, "red": 0, "green": 0}
    selects = [q for q in ctx.captured_queries if "SELECT" in q["sql"].upper()]
    assert len(selects) == 1


def test_a_large_pass_analyzes_the_table_on_postgresql(cast, category, at_monday, monkeypatch):
    cases = _mixed_cases(cast, category)
    calls = []
    monkeypatch.setattr(
        case_sweep,
        "analyze_after_bulk",
        lambda model, changed, **kw: calls.append((model, changed, kw)),
    )
    with clock.frozen(max(c.due_at for c in cases) + timedelta(minutes=1)):
        sweep_lights()
    assert calls == [(Case, 3, {"fields": ("light", "light_rank")})]


def test_analyze_of_some_fields_names_their_columns(django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as ctx:
        with django_capture_on_commit_callbacks(execute=True):
            ran = db.analyze_after_bulk(Case, 100, threshold=100, fields=("light", "light_rank"))
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert ran is True and analyzed == ['ANALYZE "cases_case" ("light", "light_rank")']
    else:
        assert ran is False and analyzed == []


def test_analyze_after_bulk_runs_only_on_postgresql_and_past_the_threshold(
    django_capture_on_commit_callbacks,
):
    assert db.analyze_after_bulk(Case, 10, threshold=100) is False
    with CaptureQueriesContext(connection) as ctx:
        with django_capture_on_commit_callbacks(execute=True):
            ran = db.analyze_after_bulk(Case, 100, threshold=100)
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert ran is True and analyzed == ['ANALYZE "cases_case"']
    else:
        assert ran is False and analyzed == []
