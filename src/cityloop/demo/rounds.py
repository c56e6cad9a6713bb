"""Demo demand round (民意调研) [seed 002 "以周为单位组织‘民意调研员’深入一线…收集形成六大项
提升清单…梳理为多个细分项目…街道层面难以单独推进的具体需求事项及时向上反馈"].

济源路街道's researchers spent last week in 新华街社区 and along 济源路. Their demands fill the
six improvement lists: two are the same matter (merged), three were solved on the spot, two
are carried by the sub-projects the street split out of them (外立面整治, 充电桩建设; linked
once the projects are loaded: they come after the builder), one the street cannot do alone —
the heating network — went to 区住建局 as a task whose deadline has passed (red: the
urging-letter path applies). Played through :mod:`cityloop.rounds.workflow` with the clock
frozen at each step.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from cityloop.core import clock
from cityloop.demo import cases as demo_cases
from cityloop.projects import queries as project_queries
from cityloop.rounds import workflow
from cityloop.rounds.models import Demand, ImprovementList, Round
from cityloop.supervision import workflow as supervision_workflow

RUNNER = "jyl-street"  # 济源路街道办事处工作人员
RESEARCHERS = ("jyl-street", "xhj-community")
BUREAU = "QZJJ"  # 区住建局
# The sub-projects the two 小区设施 demands were split into (demo.projects.SUB_PROJECTS).
SUB_PROJECTS = ("DEMO-JYL-06-WLM", "DEMO-JYL-06-CDZ")
# (text, place, raised by, list, handling); handling: "" open, "solve:<note>", "merge:<n>",
# "project", "escalate".
DEMANDS = (
    ("济源路人行道砖破损，雨天积水", "济源路与许昌路交叉口", "李女士", "道路建设", ""),
    ("济源路人行道砖松动，老人易绊倒", "济源路北段", "王大爷", "道路建设", "merge:1"),
    ("06小区暖气不热，管网老化", "06小区", "张先生", "热力管网提升", "escalate"),
    ("游园健身器材损坏", "济源路游园", "赵阿姨", "公园升级改造", "solve:当场联系维保单位更换"),
    ("楼道堆放杂物", "06小区3号楼", "楼栋长", "环境品质提升", "solve:当场组织清理"),
    ("小区外立面老化，防盗网锈蚀", "06小区", "业委会", "小区设施", "project"),
    ("小区缺少电动车充电桩", "06小区", "刘先生", "小区设施", "project"),
    ("路灯不亮", "新华街", "孙女士", "其他", "solve:当场报修，已修复"),
)


def present() -> bool:
    return Round.objects.filter(is_demo=True).exists()


def delete_rounds() -> int:
    """The demo round and its demands (before the demo supervision: a demand protects its
    escalation's task) and the street's lists made with it."""
    Demand.objects.filter(round__is_demo=True).update(merged_into=None)
    n, _ = Round.objects.filter(is_demo=True).delete()
    ImprovementList.objects.filter(is_demo=True).delete()
    return n


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=clock.local_zone())


def _runner():
    return get_user_model().objects.select_related("person").filter(username=RUNNER).first()


def link_projects() -> int:
    """Link the two sub-project demands to the street's sub-projects (细分项目), once those
    are loaded (the demo command loads projects after the builder); idempotent."""
    actor = _runner()
    rnd = Round.objects.filter(is_demo=True).first()
    if actor is None or rnd is None:
        return 0
    visible = project_queries.visible_projects(actor).filter(is_demo=True)
    have = set(visible.filter(code__in=SUB_PROJECTS).values_list("code", flat=True))
    waiting = [n for n, (*_, how) in enumerate(DEMANDS, start=1) if how == "project"]
    linked = 0
    with clock.frozen(_at(rnd.week_start + timedelta(days=4), 16)):
        for number, code in zip(waiting, SUB_PROJECTS, strict=True):
            if code not in have:
                continue
            if Demand.objects.filter(round=rnd, number=number, state="open").exists():
                workflow.link_projects(actor=actor, code=rnd.code, number=number, projects=[code])
                linked += 1
    return linked


@transaction.atomic
def load_rounds() -> dict[str, Any]:
    users = get_user_model().objects.select_related("person").filter(username__in=RESEARCHERS)
    by_name = {u.username: u for u in users}
    actor = by_name.get(RUNNER)
    if actor is None or getattr(actor, "person", None) is None:
        return {"rounds": 0}
    today = demo_cases.as_of().astimezone(clock.local_zone()).date()
    monday = today - timedelta(days=today.weekday() + 7)  # last week's round
    iso = monday.isocalendar()
    with demo_cases.quiet_channels():
        with clock.frozen(_at(monday, 9)):
            rnd = workflow.open_round(
                actor=actor,
                data=workflow.RoundInput(
                    unit=actor.person.unit.code,
                    week=f"{iso[0]}-W{iso[1]:02d}",
                    researchers=[u.person.code for u in by_name.values() if u.person],
                    places=["新华街社区06小区", "济源路沿线", "济源路游园"],
                    is_demo=True,
                ),
            )
        lists = {x.name: x.pk for x in ImprovementList.objects.filter(unit=rnd.unit)}
        for i, (text, place, who, name, _how) in enumerate(DEMANDS):
            with clock.frozen(_at(monday + timedelta(days=i % 3), 10 + i % 6)):
                workflow.record_demand(
                    actor=actor,
                    code=rnd.code,
                    data=workflow.DemandInput(
                        text=text, place=place, raised_by=who, list_id=lists.get(name)
                    ),
                )
        escalated = None
        with clock.frozen(_at(monday + timedelta(days=3), 15)):
            for number, (*_, how) in enumerate(DEMANDS, start=1):
                if how.startswith("solve:"):
                    workflow.solve(actor=actor, code=rnd.code, number=number, note=how[6:])
                elif how.startswith("merge:"):
                    workflow.merge(actor=actor, code=rnd.code, number=number, into=int(how[6:]))
                elif how == "escalate":
                    escalated = workflow.escalate(
                        actor=actor,
                        code=rnd.code,
                        number=number,
                        data=workflow.EscalationInput(
                            unit=BUREAU,
                            deadline=monday + timedelta(days=6),
                            category="old_compound_renovation",
                            note="热力管网改造需区级统筹，街道层面难以单独推进",
                        ),
                    )
        linked = link_projects()
        if escalated is not None:
            with clock.frozen(demo_cases.as_of()):
                supervision_workflow.refresh_light(task_id=escalated.task_id, as_of=today)
    return {"rounds": 1, "demands": len(DEMANDS), "linked": linked}
