"""The demo supervision: 济源路街道's 2020 board, 区督查局's 2023 livelihood tasks, and the
live year's inspections, escalations and urging letters — all played through the workflow.

Loaded once for the module (the frame and the supervision; the cases are not needed here)
inside a transaction rolled back at the end; each test runs in its own savepoint.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from cityloop.core import clock
from cityloop.demo import cases as demo_cases
from cityloop.demo import supervision as demo
from cityloop.demo.builder import load_demo
from cityloop.supervision import queries
from cityloop.supervision.models import (
    Escalation,
    Explanation,
    Finding,
    Rectification,
    SupervisionEvent,
    Task,
    UrgingLetter,
)
from tests.demo.conftest import demo_load_once

YELLOW_2020 = "中安街里坊特色街打造"


@pytest.fixture(scope="module")
def loaded_once(django_db_setup, django_db_blocker):
    with demo_load_once(django_db_blocker, cases=False, supervision=True) as result:
        yield result


@pytest.fixture
def loaded(loaded_once, db):
    return loaded_once


def user(username: str):
    return get_user_model().objects.get(username=username)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.local_zone())


def counts(board) -> tuple[int, int, int]:
    return tuple(board.counts.get(c, 0) for c in ("red", "yellow", "blue"))


def test_load_plays_the_workflow_in_a_bounded_number_of_statements(loaded):
    s = loaded["supervision"]
    assert s["outcome"] == "loaded"
    # The demo meetings' decisions and the demand round's escalation are tasks too, played
    # after (the last tests of this file).
    played = Task.objects.filter(
        is_demo=True, meeting_decision__isnull=True, round_demand__isnull=True
    )
    assert s["tasks"] == played.count() == 28 + 39 + 19
    assert s["steps"]["reports"] > 800 and s["steps"]["tasks"] == s["tasks"]
    # Every report and light went through the workflow: each report left its event.
    progress = SupervisionEvent.objects.filter(verb="progress", task__in=played)
    assert progress.count() == s["steps"]["reports"]
    # 24,623 statements with the frame when this bound was set (~22 per supervision step:
    # ~1,000 progress reports, 86 tasks; the frame ~1,500 of them, in bulk); it catches a
    # query storm on any machine.
    assert loaded["queries"] < 31_000, loaded["queries"]
    # The line `cityloop demo` prints.
    import io

    from rich.console import Console

    out = io.StringIO()
    with translation.override("zh-hans"):
        demo.report(Console(file=out, width=400), s)
    assert "2020-07-20 看板：红灯 0，黄灯 1，蓝灯 27" in out.getvalue()


def test_2020_board_is_one_yellow_and_27_blue(loaded):
    board = queries.board(
        user("jyl-street"), as_of=demo.BOARD_2020, flt=queries.BoardFilter(year=2020)
    )
    assert board.total == 28
    assert counts(board) == (0, 1, 27)
    assert board.sentence == queries.lights_sentence({"yellow": 1, "blue": 27})
    assert {name for name, _c in board.by_category} == {
        "财政收入",
        "经济指标",
        "老旧小区改造",
        "社区治理",
        "应急管理",
        "信访稳定",
    }
    (yellow,) = [r for r in board.rows if r.colour == "yellow"]
    assert yellow.task.title == YELLOW_2020
    assert [r["code"] for r in yellow.reasons] == ["milestone_near"]
    assert yellow.reasons[0]["data"]["working_days"] == 4
    # From the data, not forced: every task has its goal, leader, office and reports.
    for row in board.rows:
        t = row.task
        assert t.annual_goal and t.leader and t.responsible_unit.code.startswith("JYL-")
        assert t.reports.filter(on__lte=demo.BOARD_2020).exists()


def test_moving_the_clock_moves_the_2020_lights(loaded):
    actor = user("jyl-street")
    flt = queries.BoardFilter(year=2020)
    task = Task.objects.get(is_demo=True, title=YELLOW_2020)
    # The milestone due 2020-07-24 was missed: on the Monday after, the task is red.
    with clock.frozen(at(date(2020, 7, 27))):
        board = queries.board(actor, flt=flt)
    row = next(r for r in board.rows if r.task.pk == task.pk)
    assert row.colour == "red"
    assert [r["code"] for r in row.reasons] == ["milestone_overdue"]
    # The sweep stored it that day, opened the explanation and the office answered it.
    assert task.light_records.get(on=date(2020, 7, 27)).colour == "red"
    explanation = Explanation.objects.get(task=task)
    assert explanation.state == "answered"
    assert explanation.opened_at.astimezone(clock.local_zone()).date() == date(2020, 7, 27)
    # Done on the 29th: blue again the day after.
    with clock.frozen(at(date(2020, 7, 30))):
        row = next(r for r in queries.board(actor, flt=flt).rows if r.task.pk == task.pk)
    assert row.colour == "blue"
    # At the year's end every task is finished: early, on time, or late.
    end = queries.board(actor, as_of=date(2020, 12, 31), flt=flt)
    assert sum(end.counts.get(c, 0) for c in ("done_early", "done_on_time", "done_late")) == 28
    assert end.counts.get("done_late", 0) >= 1 and end.counts.get("done_early", 0) >= 10


def test_2023_livelihood_tasks_seven_done_early_32_going(loaded):
    board = queries.board(
        user("demo-supervisor"), as_of=demo.BOARD_2023, flt=queries.BoardFilter(year=2023)
    )
    assert board.total == 39
    assert board.counts.get("done_early") == 7
    assert sum(board.counts.get(c, 0) for c in ("red", "yellow", "blue")) == 32
    assert board.done_sentence == queries.done_sentence({"done_early": 7, "blue": 32})
    assert {r.task.level for r in board.rows} == {"province", "city", "district"}
    assert {r.task.supervising_unit.code for r in board.rows} == {"QDCJ"}
    # Finished later in 2023, all of them.
    end = queries.board(
        user("demo-supervisor"), as_of=date(2023, 12, 31), flt=queries.BoardFilter(year=2023)
    )
    assert sum(end.counts.get(c, 0) for c in ("done_early", "done_on_time", "done_late")) == 39


def test_live_board_has_all_three_colours(loaded):
    with clock.frozen(demo_cases.as_of()):
        board = queries.board(user("jyl-street"))
    red, yellow, blue = counts(board)
    assert red >= 2 and yellow >= 1 and blue >= 3
    reasons = {r["code"] for row in board.rows for r in row.reasons}
    assert {"open_finding", "letter_unanswered", "overdue", "milestone_near"} <= reasons


def test_findings_in_all_three_modes_and_a_summons_proposed(loaded):
    modes = set(
        Rectification.objects.filter(finding__inspection__is_demo=True).values_list(
            "mode", flat=True
        )
    )
    assert modes == {"immediate", "deadline", "plan"}
    plan = Rectification.objects.get(finding__inspection__is_demo=True, mode="plan")
    assert plan.milestones.count() == 3 and plan.state == "open"
    kinds = set(Finding.objects.filter(inspection__is_demo=True).values_list("inspection__kind"))
    assert {k for (k,) in kinds} == {"routine", "special", "key", "follow_up"}
    summons = Escalation.objects.get(kind="summons", finding__inspection__is_demo=True)
    assert summons.state == "proposed"
    assert summons.finding.repeat_count >= 2
    assert summons.finding.repeat_of is not None
    assert summons.finding.repeat_of.kind == summons.finding.kind
    assert summons.unit.code == "JYL-SQ001"
    assert set(summons.finding.escalations.values_list("kind", flat=True)) == {
        "summons",
        "criticism",
        "deduction",
    }


def test_letters_and_the_unanswered_one_turns_its_task_red(loaded):
    letters = UrgingLetter.objects.filter(is_demo=True)
    assert letters.count() == 5
    assert {ref.split("〔")[0] for ref in (str(x) for x in letters)} == {"济源督", "上督"}
    assert letters.filter(state="answered").count() == 4
    (open_letter,) = letters.exclude(state="answered")
    as_of = demo_cases.as_of().astimezone(clock.local_zone()).date()
    assert open_letter.answer_due < as_of
    (task,) = open_letter.tasks.all()
    colour, reasons = queries.lights_for([task], as_of)[task.pk]
    # Caught up with its plan since the letter; the unanswered letter alone keeps it red.
    assert colour == "red"
    assert [r["code"] for r in reasons] == ["letter_unanswered"]
    assert reasons[0]["data"]["ref"] == open_letter.reference
    # The day before the answer was due it was not red for the letter.
    colour, reasons = queries.lights_for([task], open_letter.answer_due)[task.pk]
    assert "letter_unanswered" not in [r["code"] for r in reasons]


def test_events_carry_the_dates_they_happened(loaded):
    first = SupervisionEvent.objects.filter(task__code=f"{demo.PREFIX_2020}01").order_by("at")
    assert first.first().at.astimezone(clock.local_zone()).date() == date(2020, 1, 2)
    assert first.last().at.year == 2020
    letter = UrgingLetter.objects.filter(is_demo=True, series__prefix="济源督").first()
    assert letter.sent_at.year == demo_cases.as_of().year


def test_second_load_is_skipped(loaded):
    before = Task.objects.filter(is_demo=True).count()
    result = load_demo(cases=False, supervision=True)
    assert result["status"] == "skipped"
    assert Task.objects.filter(is_demo=True).count() == before


def test_a_changed_demo_replaces_its_supervision(loaded, monkeypatch):
    from cityloop.org.models import Place

    played = []
    monkeypatch.setattr(demo, "load_supervision", lambda: played.append(1) or {"tasks": 0})
    old = set(Task.objects.filter(is_demo=True).values_list("pk", flat=True))
    district = Place.objects.get(code="410106")
    district.attrs = {**district.attrs, "demo_fingerprint": "stale"}
    district.save()
    result = load_demo(cases=False, supervision=True)
    assert result["supervision"]["outcome"] == "replaced" and played == [1]
    assert old and not Task.objects.filter(pk__in=old).exists()
    # Only the meetings and the demand round are played again: their tasks are the demo
    # tasks left.
    assert result["meetings"]["outcome"] == result["rounds"]["outcome"] == "loaded"
    assert not Task.objects.filter(
        is_demo=True, meeting_decision__isnull=True, round_demand__isnull=True
    ).exists()
    assert not UrgingLetter.objects.exists() and not Finding.objects.exists()


def test_delete_demo_removes_supervision_before_units(loaded):
    from cityloop.demo.builder import delete_demo
    from cityloop.org.models import Unit

    delete_demo()
    assert not Task.objects.exists() and not Escalation.objects.exists()
    assert not Unit.objects.filter(is_demo=True).exists()


def test_weekly_meetings_carry_their_decisions_as_lit_tasks(loaded):
    """Seed 003 周例会: last week's three decisions are tasks (done, red, blue at the as-of
    moment) and this week's meeting opens with them."""
    from cityloop.meetings import queries as meeting_queries
    from cityloop.meetings.models import Meeting

    assert loaded["meetings"]["outcome"] == "loaded"
    last, this = Meeting.objects.filter(is_demo=True).order_by("held_at")
    assert (last.state, this.previous) == ("issued", last)
    assert last.attendees.filter(signed_at__isnull=False).count() == 2
    assert last.attendees.exclude(absence="").count() == 1
    with clock.frozen(demo_cases.as_of()):
        rows = meeting_queries.carried_over(user("jyl-street"), this)
    assert [r.decision.number for r in rows] == [1, 2, 3]
    assert rows[0].colour in queries.Colour.done() and [r.colour for r in rows[1:]] == [
        "red",
        "blue",
    ]
    assert all(r.task.supervising_unit.code == "JYL" for r in rows)


def test_the_demand_round_fills_six_lists_and_escalates_one_red_task(loaded):
    """Seed 002 民意调研: last week's round of 济源路街道 yields the six improvement lists with
    their counts; the heating network went to 区住建局 as a task now past its deadline."""
    from cityloop.demo import projects as demo_projects
    from cityloop.rounds import queries as round_queries
    from cityloop.rounds.models import Demand, Round

    assert loaded["rounds"]["outcome"] == "loaded"
    rnd = Round.objects.get(is_demo=True)
    demo_projects.run()  # the sub-project demands are linked once the projects are there
    actor = user("jyl-street")
    by_list = {
        f.label: (f.demands, f.solved, f.in_project, f.escalated, f.merged)
        for f in round_queries.figures_by_list(actor, round_code=rnd.code)
    }
    assert by_list == {
        "道路建设": (1, 0, 0, 0, 1),
        "热力管网提升": (1, 0, 0, 1, 0),
        "公园升级改造": (1, 1, 0, 0, 0),
        "环境品质提升": (1, 1, 0, 0, 0),
        "小区设施": (2, 0, 2, 0, 0),
        "其他": (1, 1, 0, 0, 0),
    }
    carried = Demand.objects.filter(round=rnd, state="in_project")
    # 梳理为多个细分项目: the two 小区设施 demands went into two sub-projects of their own.
    assert [[p.code for p in d.projects.all()] for d in carried.order_by("number")] == [
        ["DEMO-JYL-06-WLM"],
        ["DEMO-JYL-06-CDZ"],
    ]
    task = Demand.objects.get(round=rnd, state="escalated").task
    assert task.responsible_unit.code == "QZJJ" and task.light == "red"


def _shape(board) -> tuple:
    return (
        board.total,
        board.counts,
        board.by_unit,
        board.by_category,
        board.by_leader,
        board.sentence,
        board.done_sentence,
        [(r.task.pk, r.colour, r.reasons) for r in board.rows],
    )


def test_the_board_today_reads_the_stored_lights_and_says_what_computing_says(loaded):
    """Issue 20: the board for today is one read of the lights the sweep stored on the task
    rows (no facts, nothing per task), and the same board as the lights computed from the
    facts for the same day — over every demo task of every year."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cityloop.core.system import SYSTEM
    from cityloop.supervision.sweep import sweep_task_lights

    every_year = queries.BoardFilter(year=0)
    with clock.frozen(demo_cases.as_of()):
        sweep_task_lights()
        with CaptureQueriesContext(connection) as ctx:
            stored = queries.board(SYSTEM, flt=every_year)
        assert len(ctx.captured_queries) == 1
        street = queries.board(user("jyl-street"), flt=every_year)
        # Nothing stored for today: every light computed from the facts of the same day.
        Task.objects.update(light="", light_on=None)
        with CaptureQueriesContext(connection) as ctx:
            computed = queries.board(SYSTEM, flt=every_year)
        assert len(ctx.captured_queries) > 1
        street_computed = queries.board(user("jyl-street"), flt=every_year)
    assert stored.total == Task.objects.count() >= 90  # every demo task, of every year
    assert {r.colour for r in stored.rows} >= {"red", "yellow", "blue", "done_early"}
    assert _shape(stored) == _shape(computed)
    assert 0 < street.total < stored.total
    assert _shape(street) == _shape(street_computed)
