"""Demo meetings (周例会) [seed 003 "落实周例会工作机制…保障事事有落实，件件有回音"].

济源路街道 holds its weekly meeting on Monday mornings. Last week's meeting signed in the
street's staff, the 城管办 and 新华街社区 (the community worker sent her apologies), recorded
its minutes and three decisions — each a supervision task: one done on time, one past its
deadline (red), one still running (blue) — and issued the minutes. This week's meeting opens
with how those three stand. Played through :mod:`cityloop.meetings.workflow` with the clock
frozen at each step, so events, codes and lights are what real use would have made.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from cityloop.core import clock
from cityloop.demo import cases as demo_cases
from cityloop.meetings import workflow
from cityloop.meetings.models import Meeting
from cityloop.supervision import workflow as supervision_workflow

ORGANISER = "jyl-street"  # 济源路街道办事处工作人员
ATTENDING = ("jyl-cgb", "xhj-community")


def present() -> bool:
    return Meeting.objects.filter(is_demo=True).exists()


def delete_meetings() -> int:
    """Meetings and their decisions (the decisions' tasks go with the demo supervision)."""
    n, _ = Meeting.objects.filter(is_demo=True).delete()
    return n


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=clock.local_zone())


def _decide(actor, meeting: Meeting, text: str, unit: str, deadline: date, category: str):
    return workflow.decide(
        actor=actor,
        code=meeting.code,
        data=workflow.DecisionInput(
            text=text,
            responsible_unit=unit,
            deadline=deadline,
            category=category,
            leader=actor.person.code,
        ),
    )


def _weekly(actor, people, monday: date, agenda: str) -> Meeting:
    """济源路街道's Monday-morning weekly meeting, chaired by the organiser."""
    return workflow.schedule(
        actor=actor,
        data=workflow.MeetingInput(
            kind="weekly",
            title=f"济源路街道周例会（{monday.month}月{monday.day}日）",
            unit=actor.person.unit.code,
            held_at=_at(monday, 9),
            chair=actor.person.code,
            location="街道办事处三楼会议室",
            agenda=agenda,
            attendees=[p.code for p in people],
            is_demo=True,
        ),
    )


@transaction.atomic
def load_meetings() -> dict[str, Any]:
    users = (
        get_user_model()
        .objects.select_related("person")
        .filter(username__in=(ORGANISER, *ATTENDING))
    )
    by_name = {u.username: u for u in users}
    actor = by_name.get(ORGANISER)
    if actor is None or getattr(actor, "person", None) is None:
        return {"meetings": 0}
    people = [by_name[n].person for n in ATTENDING if n in by_name]
    end = demo_cases.as_of()
    today = end.astimezone(clock.local_zone()).date()
    this_monday = today - timedelta(days=today.weekday())
    last_monday = this_monday - timedelta(days=7)
    with demo_cases.quiet_channels():
        with clock.frozen(_at(last_monday - timedelta(days=3), 16)):
            last = _weekly(
                actor,
                people,
                last_monday,
                "一、上周重点工作完成情况\n二、占道经营专项整治\n三、老旧小区改造进度",
            )
        with clock.frozen(_at(last_monday, 8, 55)):
            workflow.sign_in(actor=actor, code=last.code, person=actor.person.code)
            for p in people:
                if p.unit and p.unit.kind == "community_committee":
                    workflow.sign_in(
                        actor=actor, code=last.code, person=p.code, absence="参加区民政局培训"
                    )
                else:
                    workflow.sign_in(actor=actor, code=last.code, person=p.code)
        with clock.frozen(_at(last_monday, 10, 30)):
            workflow.record_minutes(
                actor=actor,
                code=last.code,
                minutes=(
                    "会议听取了城管办关于济源路沿线占道经营整治情况的汇报，研究了新华街社区06小区"
                    "雨污分流改造方案，部署了入冬前燃气安全隐患排查工作。会议议定事项如下，"
                    "由街道督查室跟踪督办，下周例会通报落实情况。"
                ),
            )
            units = {p.unit.kind: p.unit.code for p in people if p.unit}
            office = units.get("office", actor.person.unit.code)
            community = units.get("community_committee", office)
            done = _decide(
                actor,
                last,
                "清理济源路与许昌路交叉口占道经营摊点，建立每日巡查台账",
                office,
                last_monday + timedelta(days=4),
                "community_governance",
            )
            _decide(
                actor,
                last,
                "新华街社区06小区雨污分流改造方案报街道审定",
                community,
                last_monday + timedelta(days=3),
                "old_compound_renovation",
            )
            running = _decide(
                actor,
                last,
                "入冬前完成辖区老旧小区燃气管道隐患排查，建立问题清单",
                office,
                last_monday + timedelta(days=35),
                "emergency_management",
            )
            workflow.issue(actor=actor, code=last.code)
        with clock.frozen(_at(last_monday + timedelta(days=3), 17)):
            supervision_workflow.complete(
                actor=actor, task_id=done.task_id, note="摊点已清理，巡查台账已建立"
            )
        # The 城管办 reports on the running one each week, as its weekly cadence asks.
        reporter = by_name.get("jyl-cgb", actor)
        for back, (pct, text) in enumerate(
            (
                (20, "已完成新华街社区12个老旧小区排查，发现隐患7处"),
                (45, "累计排查26个小区，隐患清单已报燃气公司"),
            ),
        ):
            day = last_monday + timedelta(days=4 + 5 * back)
            if _at(day, 17) <= end:
                with clock.frozen(_at(day, 17)):
                    supervision_workflow.report_progress(
                        actor=reporter, task_id=running.task_id, text=text, percent=pct
                    )
        with clock.frozen(_at(last_monday + timedelta(days=4), 16)):
            this = _weekly(
                actor, people, this_monday, "一、上周议定事项落实情况\n二、本周重点工作安排"
            )
        if end >= _at(this_monday, 9):
            with clock.frozen(_at(this_monday, 8, 58)):
                workflow.sign_in(actor=actor, code=this.code, person=actor.person.code)
        with clock.frozen(end):
            for decision in last.decisions.all():
                supervision_workflow.refresh_light(task_id=decision.task_id, as_of=today)
    return {"meetings": 2, "decisions": last.decisions.count()}
