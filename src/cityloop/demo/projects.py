"""Demo projects and campaigns, played through the projects and campaigns services and
workflow — the functions the pages and the API call — with the clock frozen at each step, so
every figure below is read back from records, never typed in.

Projects:

1. 济源路街道 06小区 renovation [000]: 拆除外伸防盗网、花架 1680 个, 路边石修补 1410 米, 人行道砖
   1830 平方米, 5 组团苗木栽植 90 % (4.5 of 5), reported week by week; it drives a supervision
   task (its progress is the project's).
2. 中心路街道 "三注重" renovation [000]: opinions first (door-to-door visits, phone calls,
   two 小板凳恳谈会) turned into a design list; quality and safety inspections during works by
   the street's 区域办 and 应急办 with findings rectified and re-inspected; the first
   acceptance fails with two open points, they are rectified and the second passes.
3. 夏港街's works [002], shown under 新安路街道 (夏港街 is not in 上街区): 4 pocket parks (624 万,
   9035 m²), 18 road renovations and 12 overpass repaintings with 5 roads and 2 bridges
   accepted, 雨污分流 (220 units, 654.537 ha, 96.7 %), greening (1660 trees trimmed, 1500
   planted, 68000 m²).
4. 中心路街道's investment pipeline [001]: 27 projects, 9 in negotiation, 15 landed, each with
   a leader in charge and a coordinator (一个项目一名领导、一个企业一名联络员 [000]).

Campaigns:

5. 晨光社区's 全城清洁 every Friday [003]: 32 sessions, 1356 person-times, 72 trucks, 104 dead
   corners, 10 illegal structures, with the 9 partner units.
6. 中心路街道's clean-up of 34 unmanaged compounds [003]: 1300 flyers, 340 dead corners, 21
   illegal structures.
7. 区农委's 杨柳飞絮防治 [000]: 16 roads and 5 compounds sprayed, 8 kg, 2000 trees.

All dates are counted back from the demo's as-of moment (``CITYLOOP_AS_OF``), so the lights
are live whatever day the demo is loaded for. Deterministic: fixed data, no randomness.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.campaigns import queries as campaign_queries
from cityloop.campaigns import services as campaign_services
from cityloop.campaigns.models import Campaign
from cityloop.core import clock
from cityloop.demo import cases as demo_cases
from cityloop.demo import dataset as ds
from cityloop.org.models import Person, Place, Unit, Zone
from cityloop.projects import queries, services, workflow
from cityloop.projects.models import Project
from cityloop.projects.services import ItemInput, ProjectInput, RequestInput
from cityloop.projects.workflow import OpenPoint
from cityloop.supervision import services as sv_services
from cityloop.supervision import workflow as sv_workflow
from cityloop.supervision.models import Task

PREFIX = "DEMO-"
TASK_CODE = "PRJ-JYL-06"
DISTRICT = ds.DISTRICT_CODE
JYL, ZXL, XAL, XW = (f"{DISTRICT}{s}" for s in ("001", "002", "003", "100"))
COMPOUND_06 = f"{JYL}001001"
CHENGUANG = f"{XW}001"
PARKS = (  # [002] name, 万元, m²: 624 万 and 9035 m² in all
    ("滨河路企业文化口袋公园", 168, 2600),
    ("东晖儿童口袋公园", 152, 2100),
    ("青年休闲公园", 141, 1985),
    ("普晖滨江体育口袋公园", 163, 2350),
)
SEED_ROADS = ("友谊路", "东辉路", "明珠路", "沿河路")
SEED_BRIDGES = ("志诚大道立交桥", "开发大道立交桥")
ENTERPRISES = (
    "启迪智能制造产业园",
    "欧亚大陆桥物流园",
    "郑州铝精深加工",
    "豫通新材料",
    "华中通航服务",
    "中原冷链物流",
    "上街文旅小镇",
    "鑫源环保科技",
    "航空零部件产业园",
    "恒达再生资源",
    "绿城康养中心",
    "中原数字产业园",
    "金桂食品",
    "翠竹包装",
    "紫荆电子",
    "锦绣商业综合体",
    "盛世汽车服务",
    "和谐医疗器械",
    "幸福里社区商业",
    "丽景酒店",
    "康桥教育",
    "书香文化",
    "名仕建材",
    "嘉和机械",
    "馨园家居",
    "泰和能源",
    "兴隆商贸",
)


def as_of_day() -> date:
    return demo_cases.as_of().astimezone(clock.local_zone()).date()


def _at(day: date, hour: float = 10) -> datetime:
    """A moment on ``day`` in local time, never after the demo's as-of moment."""
    h, m = int(hour), round((hour % 1) * 60)
    moment = datetime.combine(day, dtime(h, m), tzinfo=clock.local_zone())
    return min(moment, demo_cases.as_of())


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _people(unit_code: str, n: int) -> list[Person]:
    unit = Unit.objects.get(code=unit_code)
    rows = list(
        Person.objects.filter(unit__path__startswith=unit.path).order_by("code")[: max(n, 1)]
    )
    return rows or list(Person.objects.order_by("code")[:1])


def _fridays(end: date, n: int) -> list[date]:
    last = end - timedelta(days=(end.weekday() - 4) % 7)
    return [last - timedelta(weeks=i) for i in reversed(range(n))]


def present() -> bool:
    return (
        Project.objects.filter(is_demo=True).exists()
        or Campaign.objects.filter(is_demo=True).exists()
    )


# --- projects ---------------------------------------------------------------------------------


def _project(actor, day: date, **kw) -> Project:
    with clock.frozen(_at(day, 9)):
        return services.create_project(actor=actor, data=ProjectInput(is_demo=True, **kw))


def _advance(actor, project: Project, stages: list[str], day: date) -> None:
    with clock.frozen(_at(day, 9.5)):
        for stage in stages:
            workflow.advance(actor=actor, project_id=project.pk, to_stage=stage)


def _report(actor, project: Project, name: str, qty, day: date, note: str = "") -> None:
    item = project.items.get(name=name)
    with clock.frozen(_at(day, 16)):
        workflow.report_quantity(
            actor=actor, item_id=item.pk, quantity=Decimal(str(qty)), on=day, note=note
        )


def _spread(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` nearly equal pieces (to 3 decimals) that add up exactly."""
    base = (total / parts).quantize(Decimal("0.001"))
    pieces = [base] * (parts - 1)
    return [*pieces, total - sum(pieces)]


def _accept_all(actor, project: Project, day: date, units: list[Unit], note: str) -> None:
    with clock.frozen(_at(day, 15)):
        workflow.record_acceptance(
            actor=actor,
            project_id=project.pk,
            on=day,
            passed=True,
            units=units,
            checks=[{"item": c, "ok": True} for c in project.type.checklist],
            note=note,
        )


def _compound_06(end: date) -> Project:
    street, cgb = _user("jyl-street"), _user("jyl-cgb")
    start = end - timedelta(days=200)
    leader = Person.objects.get(code="P-ACC-jyl-street")
    with clock.frozen(_at(start, 9)):
        task = sv_services.create_task(
            actor=street,
            data=sv_services.TaskInput(
                code=TASK_CODE,
                title="06小区老旧小区提档升级（一拆五改三增加）",
                kind="key_work",
                category="old_compound_renovation",
                responsible_unit="JYL-CGB",
                supervising_unit="JYL",
                leader=leader.code,
                start=start,
                deadline=end + timedelta(days=40),
                annual_goal="完成 06 小区“一拆五改三增加”改造",
                is_demo=True,
            ),
        )
    p = _project(
        street,
        start,
        code=f"{PREFIX}JYL-06",
        name="06小区老旧小区提档升级",
        type="old_compound",
        responsible_unit="JYL-CGB",
        supervising_unit="JYL",
        places=[COMPOUND_06],
        start=start,
        deadline=end + timedelta(days=40),
        budget=460,
        contractor="河南省某建设工程有限公司",
        leader=leader.code,
        items=[
            ItemInput("拆除外伸防盗网、花架", "个", 1800),
            ItemInput("路边石修补", "米", 1600),
            ItemInput("人行道砖铺设", "平方米", 2000),
            ItemInput("绿化小景观苗木栽植", "组团", 5),
        ],
        description="按照“一拆五改三增加”部署提档升级 [000]",
    )
    _advance(street, p, ["design", "construction"], start + timedelta(days=20))
    with clock.frozen(_at(start + timedelta(days=21), 10)):
        workflow.link_task(actor=street, project_id=p.pk, task_id=task.pk)
    weeks = 16
    first = start + timedelta(days=28)
    totals = (
        ("拆除外伸防盗网、花架", Decimal(1680)),
        ("路边石修补", Decimal(1410)),
        ("人行道砖铺设", Decimal(1830)),
    )
    pieces = {name: _spread(total, weeks) for name, total in totals}
    plants = (1, 1, 1, 1, Decimal("0.5"))  # 5 组团, 90 % planted: weeks 10 to 14
    for i in range(weeks):  # week by week, so the task's reports follow the calendar
        for name, _total in totals:
            _report(cgb, p, name, pieces[name][i], first + timedelta(weeks=i), "本周施工进度")
        if 10 <= i < 10 + len(plants):
            day = first + timedelta(weeks=i)
            _report(cgb, p, "绿化小景观苗木栽植", plants[i - 10], day, "组团苗木栽植")
    return p


# The sub-projects (细分项目) the street split out of last week's demand round [002 "梳理为
# 多个细分项目"]: the round's two 小区设施 demands are linked to them (demo.rounds).
SUB_PROJECTS = (
    ("JYL-06-WLM", "06小区外立面及防盗网整治", ItemInput("外立面清洗粉刷", "平方米", 3200), 48),
    ("JYL-06-CDZ", "06小区电动车充电桩建设", ItemInput("充电桩安装", "个", 40), 18),
)


def _compound_06_subprojects(end: date) -> list[Project]:
    street = _user("jyl-street")
    start = end - timedelta(days=3)
    return [
        _project(
            street,
            start,
            code=f"{PREFIX}{code}",
            name=name,
            type="old_compound",
            responsible_unit="JYL-CGB",
            supervising_unit="JYL",
            places=[COMPOUND_06],
            start=start,
            deadline=end + timedelta(days=90),
            budget=budget,
            items=[item],
            description="民意调研诉求梳理形成的细分项目 [002]",
        )
        for code, name, item, budget in SUB_PROJECTS
    ]


def _three_emphases(end: date) -> Project:
    """中心路街道 "三注重": opinion → design → works with inspections → failed then passed
    acceptance."""
    street = _user("zxl-street")
    compound = (
        Place.objects.filter(kind="compound", path__startswith=f"/{DISTRICT}/{ZXL}/")
        .order_by("code")
        .first()
    )
    start = end - timedelta(days=240)
    leader = _people("ZXL", 1)[0]
    p = _project(
        street,
        start,
        code=f"{PREFIX}ZXL-SZZ",
        name=f"{compound.name}老旧小区改造（“三注重”）",
        type="old_compound",
        responsible_unit="ZXL",
        supervising_unit="ZXL",
        places=[compound.code],
        start=start,
        deadline=end - timedelta(days=20),
        budget=320,
        contractor="郑州某市政工程有限公司",
        leader=leader.code,
        items=[
            ItemInput("雨污管网改造", "米", 860),
            ItemInput("楼道照明", "盏", 96),
            ItemInput("外墙保温及粉刷", "平方米", 5400, 2),
            ItemInput("非机动车棚", "个", 3),
        ],
        description="施工前重民意、改造中重质量、竣工后重验收 [000]",
    )
    gatherings = (
        (
            "visit",
            10,
            186,
            "逐户走访",
            [
                ("parking", "增设停车位", 42),
                ("pipes", "雨污管网堵塞", 31),
                ("lighting", "楼道照明", 18),
            ],
        ),
        ("call", 14, 64, "电话询问", [("facade", "外墙渗水", 12), ("ageing", "加装楼梯扶手", 9)]),
        (
            "meeting",
            18,
            35,
            "小板凳恳谈会（第一次）",
            [("parking", "规划非机动车棚", 15), ("greening", "补种绿化", 11)],
        ),
        (
            "meeting",
            25,
            28,
            "小板凳恳谈会（第二次）",
            [("security", "增设监控", 14), ("paving", "路面破损", 10)],
        ),
    )
    for method, days, people, summary, requests in gatherings:
        day = start + timedelta(days=days)
        with clock.frozen(_at(day, 19)):
            services.record_opinion(
                actor=street,
                project_id=p.pk,
                method=method,
                on=day,
                people_reached=people,
                summary=summary,
                place=compound,
                requests=[RequestInput(k, t, n) for k, t, n in requests],
            )
    design = (
        ("雨污分流及管网疏通改造", ["pipes"]),
        ("楼道照明更换为声控灯", ["lighting"]),
        ("外墙防水保温及粉刷", ["facade"]),
        ("利用边角地建设非机动车棚 3 处、施划停车位", ["parking"]),
        ("单元口加装扶手", ["ageing"]),
    )
    from cityloop.projects.models import ResidentRequest

    with clock.frozen(_at(start + timedelta(days=30), 10)):
        for title, kinds in design:
            ids = list(
                ResidentRequest.objects.filter(
                    opinion__project=p, kind__code__in=kinds, design_item__isnull=True
                ).values_list("pk", flat=True)
            )
            services.add_design_item(actor=street, project_id=p.pk, title=title, request_ids=ids)
    _advance(street, p, ["design"], start + timedelta(days=30))
    _advance(street, p, ["construction"], start + timedelta(days=55))
    # Inspections during works: quality by 区域办, safety by 应急办; findings rectified in time.
    for kind, office, team, day_offset, finding in (
        ("quality", "ZXL-QYB", "区域办质量检查组", 90, ("施工质量", "外墙保温板拼缝不严")),
        ("safety", "ZXL-YJB", "应急办安全检查组", 110, ("施工安全", "脚手架未挂设安全网")),
    ):
        day = start + timedelta(days=day_offset)
        with clock.frozen(_at(day, 9)):
            link = workflow.open_inspection(
                actor=street,
                project_id=p.pk,
                kind=kind,
                office=Unit.objects.get(code=office),
                on=day,
                team=team,
            )
            f = workflow.record_finding(
                actor=street,
                project_inspection_id=link.pk,
                kind=finding[0],
                description=finding[1],
                due=day + timedelta(days=3),
            )
        with clock.frozen(_at(day + timedelta(days=2), 16)):
            sv_workflow.submit_rectification(
                actor=street, rectification_id=f.rectification.pk, report="已按要求整改"
            )
        with clock.frozen(_at(day + timedelta(days=3), 10)):
            sv_workflow.reinspect(actor=street, rectification_id=f.rectification.pk, passed=True)
    weeks = 12
    first = start + timedelta(days=60)
    items = list(p.items.all())
    pieces = {item.name: _spread(item.planned, weeks) for item in items}
    for i in range(weeks):
        for item in items:
            _report(
                street,
                p,
                item.name,
                pieces[item.name][i],
                first + timedelta(weeks=i),
                "本周施工进度",
            )
    accept_day = first + timedelta(weeks=weeks, days=3)
    _advance(street, p, ["acceptance"], accept_day)
    units = [Unit.objects.get(code=c) for c in ("ZXL", "QZJJ", "ZXL-QYB")]
    with clock.frozen(_at(accept_day, 15)):
        workflow.record_acceptance(
            actor=street,
            project_id=p.pk,
            on=accept_day,
            passed=False,
            units=units,
            checks=[{"item": c, "ok": i != 4} for i, c in enumerate(p.type.checklist)],
            open_points=[
                OpenPoint("3号楼雨水立管未接入雨水管网", accept_day + timedelta(days=7)),
                OpenPoint("东门人行道砖局部松动", accept_day + timedelta(days=7)),
            ],
            note="竣工验收未通过，限期整改后重新验收",
        )
    for rect in list(queries.pending_rectifications(p)):
        with clock.frozen(_at(accept_day + timedelta(days=5), 16)):
            workflow.submit_rectification(
                actor=street, project_id=p.pk, rectification_id=rect.pk, report="已整改到位"
            )
    _accept_all(street, p, accept_day + timedelta(days=8), units, "整改到位，重新验收合格")
    return p


def _xiagang(end: date) -> list[Project]:
    """夏港街's works [002] (shown under 新安路街道)."""
    actor = _user(demo_cases_superuser())
    start = end - timedelta(days=300)
    made = []
    leaders = _people("XAL", 4)
    for i, (name, budget, area) in enumerate(PARKS):
        p = _project(
            actor,
            start,
            code=f"{PREFIX}XAL-PARK-{i + 1}",
            name=name,
            type="pocket_park",
            responsible_unit="XAL",
            places=[XAL],
            start=start,
            deadline=end + timedelta(days=60),
            budget=budget,
            area=area,
            leader=leaders[i % len(leaders)].code,
            items=[
                ItemInput("园路及场地铺装", "平方米", area),
                ItemInput("苗木栽植", "株", 120 + 10 * i),
            ],
        )
        _advance(actor, p, ["construction"], start + timedelta(days=30))
        _report(actor, p, "园路及场地铺装", round(area * 0.6), start + timedelta(days=120))
        _report(actor, p, "苗木栽植", 60 + 5 * i, start + timedelta(days=150))
        made.append(p)
    zone_names = list(
        Zone.objects.filter(kind="road", place__path__startswith=f"/{DISTRICT}/{XAL}/")
        .order_by("code")
        .values_list("name", flat=True)
    )
    roads = list(dict.fromkeys([*SEED_ROADS, *zone_names]))
    roads += [f"新安路街道主次干道{i}" for i in range(1, 19)]
    roads = roads[:18]
    bridges = [*SEED_BRIDGES, *(f"立交桥{i}号" for i in range(3, 13))]
    for kind, names, done, item, size in (
        ("road", roads, 5, "路面提升改造", 6000),
        ("bridge", bridges, 2, "桥体涂装", 1800),
    ):
        for i, name in enumerate(names):
            suffix = "道路提升改造" if kind == "road" else "重新涂装"
            p = _project(
                actor,
                start,
                code=f"{PREFIX}XAL-{kind.upper()}-{i + 1:02d}",
                name=f"{name}{suffix}",
                type=kind,
                responsible_unit="XAL",
                places=[XAL],
                start=start,
                deadline=end + timedelta(days=90),
                items=[ItemInput(item, "平方米", size)],
            )
            _advance(actor, p, ["construction"], start + timedelta(days=20))
            day = start + timedelta(days=100 + 7 * i)
            if i < done:
                _report(actor, p, item, size, day, "完工")
                _advance(actor, p, ["acceptance"], day + timedelta(days=2))
                _accept_all(
                    actor,
                    p,
                    day + timedelta(days=5),
                    [Unit.objects.get(code="QZJJ")],
                    "完工验收合格",
                )
            else:
                _report(actor, p, item, round(size * (0.3 + 0.04 * i), 0), day)
            made.append(p)
    # 雨污分流: the area share is the task's measure (96.7 %); units counted, weight 0.
    drain = _project(
        actor,
        start,
        code=f"{PREFIX}XAL-DRAIN",
        name="雨污分流及排水老旧管网更新改造",
        type="drainage",
        responsible_unit="XAL",
        places=[XAL],
        start=start,
        deadline=end + timedelta(days=45),
        items=[
            ItemInput("排水单元达标面积", "公顷", Decimal("676.874"), 1),
            ItemInput("排水单元达标", "个", 228, 0),
        ],
    )
    _advance(actor, drain, ["construction"], start + timedelta(days=15))
    for i, (area, units) in enumerate(
        zip(_spread(Decimal("654.537"), 10), _spread(Decimal(220), 10), strict=True)
    ):
        day = start + timedelta(days=30 + 21 * i)
        _report(actor, drain, "排水单元达标面积", area, day)
        _report(actor, drain, "排水单元达标", units, day)
    made.append(drain)
    green = _project(
        actor,
        start,
        code=f"{PREFIX}XAL-GREEN",
        name="开发大道沿线景观及绿化提升",
        type="greening",
        responsible_unit="XAL",
        places=[XAL],
        start=start,
        deadline=end + timedelta(days=30),
        items=[
            ItemInput("修剪树木", "株", 1660),
            ItemInput("新增、补种树木植被", "株", 1500),
            ItemInput("提升绿化面积", "平方米", 68000),
        ],
    )
    _advance(actor, green, ["construction"], start + timedelta(days=10))
    for name, total in (("修剪树木", 1660), ("新增、补种树木植被", 1500), ("提升绿化面积", 68000)):
        for i, qty in enumerate(_spread(Decimal(total), 4)):
            _report(actor, green, name, qty, start + timedelta(days=40 + 30 * i))
    made.append(green)
    return made


def demo_cases_superuser() -> str:
    from cityloop.demo.accounts import SUPERUSER

    return SUPERUSER


def _pipeline(end: date) -> list[Project]:
    """27 investment projects of 中心路街道: 15 landed, 9 in negotiation, 2 in contact, 1
    signed; one leader per project, one coordinator per enterprise."""
    street = _user("zxl-street")
    people = _people("ZXL", 12)
    leaders, coordinators = people[: max(1, len(people) // 3)], people
    start = end - timedelta(days=330)
    stages = ["landed"] * 15 + ["negotiation"] * 9 + ["contact"] * 2 + ["signed"]
    order = ["contact", "negotiation", "signed", "landed"]
    made = []
    for i, (enterprise, target) in enumerate(zip(ENTERPRISES, stages, strict=True)):
        day = start + timedelta(days=9 * i)
        p = _project(
            street,
            day,
            code=f"{PREFIX}ZXL-ZS-{i + 1:02d}",
            name=f"{enterprise}项目",
            type="investment",
            responsible_unit="ZXL",
            places=[ZXL],
            start=day,
            deadline=end + timedelta(days=120),
            enterprise=enterprise,
            budget=1000 + 500 * (i % 7),
            leader=leaders[i % len(leaders)].code,
            coordinator=coordinators[i % len(coordinators)].code,
        )
        for step, stage in enumerate(order[1 : order.index(target) + 1]):
            _advance(street, p, [stage], day + timedelta(days=20 * (step + 1)))
        made.append(p)
    return made


# --- campaigns --------------------------------------------------------------------------------

VOLUNTEER_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
VOLUNTEER_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"


def _volunteers(n: int, offset: int) -> list[str]:
    names = [a + b for a in VOLUNTEER_SURNAMES for b in VOLUNTEER_GIVEN]  # 400 names
    return [names[(offset + k) % len(names)] for k in range(n)]


def _split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole pieces as equal as can be, larger ones first."""
    base, extra = divmod(total, parts)
    return [base + 1 if i < extra else base for i in range(parts)]


def _chenguang_fridays(end: date) -> Campaign:
    actor = _user("xw-street")
    fridays = _fridays(end, 32)
    compounds = list(Place.objects.filter(kind="compound", parent__code=CHENGUANG).order_by("code"))
    partners = [u for u in Unit.objects.filter(code__in=ds.CHENGUANG_PARTNERS).order_by("code")]
    with clock.frozen(_at(fridays[0] - timedelta(days=3), 9)):
        campaign = campaign_services.create_campaign(
            actor=actor,
            data=campaign_services.CampaignInput(
                code=f"{PREFIX}CG-QCQJ",
                title="全城清洁及无主管楼院环境治理专项行动（每周五）",
                kind="cleanup",
                organiser="XW-SQ001",
                recurrence="weekly",
                weekday=4,
                start=fridays[0] - timedelta(days=3),
                partners=[u.code for u in partners],
                places=[CHENGUANG],
                description="每周五组织联建共建单位、社区党员志愿者对无主管楼院地毯式大扫除 [003]",
                is_demo=True,
            ),
        )
    people = _split(1356, 32)
    trucks = _split(72, 32)
    corners = _split(104, 32)
    for i, day in enumerate(fridays):
        place = compounds[i % len(compounds)]
        names = _volunteers(people[i], 13 * i)
        outputs = [campaign_services.OutputInput("dead_corners", corners[i])]
        if i % 3 == 0 and i // 3 < 10:  # 10 illegal structures over the sessions
            outputs.append(campaign_services.OutputInput("illegal_structures", 1))
        with clock.frozen(_at(day, 16.5)):
            campaign_services.record_session(
                actor=actor,
                campaign_id=campaign.pk,
                on=day,
                place=place,
                note=f"{place.name}集中整治",
                participants=[
                    campaign_services.Participant(
                        n, unit=partners[k % len(partners)] if k < 9 else None
                    )
                    for k, n in enumerate(names)
                ],
                outputs=outputs,
                resources=[campaign_services.ResourceInput("垃圾清运车", "辆", trucks[i])],
            )
    return campaign


def _zxl_unmanaged(end: date) -> Campaign:
    actor = _user("zxl-street")
    compounds = list(
        Place.objects.filter(
            kind="compound", management="unmanaged", path__startswith=f"/{DISTRICT}/{ZXL}/"
        ).order_by("code")[:34]
    )
    start = end - timedelta(days=120)
    with clock.frozen(_at(start, 9)):
        campaign = campaign_services.create_campaign(
            actor=actor,
            data=campaign_services.CampaignInput(
                code=f"{PREFIX}ZXL-WZG",
                title="无主管、无物业小区环境集中整治",
                kind="special",
                organiser="ZXL",
                start=start,
                places=[ZXL],
                description="发动居民群众和社会志愿者深入无主管、无物业小区 [003]",
                is_demo=True,
            ),
        )
    flyers, illegal = _split(1300, len(compounds)), [1] * 21 + [0] * (len(compounds) - 21)
    for i, place in enumerate(compounds):
        day = start + timedelta(days=2 + 3 * (i // 2))
        outputs = [
            campaign_services.OutputInput("flyers", flyers[i]),
            campaign_services.OutputInput("dead_corners", 10),
        ]
        if illegal[i]:
            outputs.append(campaign_services.OutputInput("illegal_structures", 1))
        with clock.frozen(_at(day, 11 + (i % 2) * 4)):
            campaign_services.record_session(
                actor=actor,
                campaign_id=campaign.pk,
                on=day,
                place=place,
                participants=[campaign_services.Participant(n) for n in _volunteers(8, 7 * i)],
                outputs=outputs,
            )
    return campaign


def _catkins(end: date) -> Campaign:
    """杨柳飞絮防治 [000]: 16 roads and 5 compounds sprayed with 8 kg, 2000 trees."""
    actor = _user(demo_cases_superuser())
    start = end - timedelta(days=200)
    with clock.frozen(_at(start, 9)):
        campaign = campaign_services.create_campaign(
            actor=actor,
            data=campaign_services.CampaignInput(
                code=f"{PREFIX}QNW-YLFX",
                title="杨柳飞絮防治",
                kind="special",
                organiser="QNW",
                start=start,
                places=[DISTRICT],
                description="物理防治与生物防治相结合：雾炮喷洒凝絮剂、高压打孔注射抑制剂 [000]",
                is_demo=True,
            ),
        )
    roads = list(Zone.objects.filter(kind="road").select_related("place").order_by("code")[:16])
    compounds = list(Place.objects.filter(kind="compound").order_by("code")[:5])
    trees_roads, trees_compounds = _split(1600, len(roads)), _split(400, len(compounds))
    kg = _split(8000, len(roads) + len(compounds))  # grams, counted in kilograms below
    for i, zone in enumerate(roads):  # late April: one road a day (物理防治)
        day = start + timedelta(days=1 + i)
        with clock.frozen(_at(day, 9)):
            campaign_services.record_session(
                actor=actor,
                campaign_id=campaign.pk,
                on=day,
                place=zone.place,
                note=f"{zone.name}雾炮喷洒凝絮剂",
                outputs=[
                    campaign_services.OutputInput("trees_treated", trees_roads[i], zone.place, zone)
                ],
                resources=[
                    campaign_services.ResourceInput("凝絮剂", "千克", Decimal(kg[i]) / 1000)
                ],
            )
    for j, place in enumerate(compounds):
        day = start + timedelta(days=20)
        with clock.frozen(_at(day, 9 + j)):
            campaign_services.record_session(
                actor=actor,
                campaign_id=campaign.pk,
                on=day,
                place=place,
                outputs=[campaign_services.OutputInput("trees_treated", trees_compounds[j])],
                resources=[
                    campaign_services.ResourceInput(
                        "凝絮剂", "千克", Decimal(kg[len(roads) + j]) / 1000
                    )
                ],
            )
    return campaign


# --- the load ---------------------------------------------------------------------------------


def load_projects() -> dict[str, Any]:
    """Play the demo projects and campaigns; inside the demo's transaction, after the frame."""
    started = time.perf_counter()
    end = as_of_day()
    with transaction.atomic(), demo_cases.quiet_channels():
        _compound_06(end)
        _compound_06_subprojects(end)
        _three_emphases(end)
        _xiagang(end)
        _pipeline(end)
        _chenguang_fridays(end)
        _zxl_unmanaged(end)
        _catkins(end)
    return {**summarize(), "seconds": round(time.perf_counter() - started, 1)}


def summarize() -> dict[str, Any]:
    """The figures the seeds quote, read back through the report queries."""
    pipeline = queries.pipeline(None, type_code="investment")
    stages = {s["code"]: s["count"] for s in pipeline["stages"]}
    friday = Campaign.objects.filter(code=f"{PREFIX}CG-QCQJ").first()
    totals = campaign_queries.totals(None, campaign=friday) if friday else None
    return {
        "projects": Project.objects.filter(is_demo=True).count(),
        "campaigns": Campaign.objects.filter(is_demo=True).count(),
        "investment": {"total": pipeline["total"], **stages},
        "fridays": {
            "sessions": totals.sessions if totals else 0,
            "person_times": totals.person_times if totals else 0,
        },
    }


def delete_projects() -> int:
    """Delete the demo projects and campaigns (their events and rows go with them), the
    supervision task and inspections they made, before the frame they point at."""
    from cityloop.projects.models import Acceptance, ProjectInspection
    from cityloop.supervision.models import Finding, Inspection

    with transaction.atomic():
        projects = Project.objects.filter(is_demo=True)
        inspections = list(
            ProjectInspection.objects.filter(project__in=projects).values_list(
                "inspection_id", flat=True
            )
        ) + list(
            Acceptance.objects.filter(project__in=projects, inspection__isnull=False).values_list(
                "inspection_id", flat=True
            )
        )
        n = projects.count()
        Campaign.objects.filter(is_demo=True).delete()
        projects.delete()
        Finding.objects.filter(inspection_id__in=inspections).delete()
        Inspection.objects.filter(pk__in=inspections).delete()
        Task.objects.filter(code=TASK_CODE, is_demo=True).delete()
    return n


def report(console, result: dict[str, Any]) -> None:
    if not result or result.get("outcome") == "skipped":
        return
    inv = result.get("investment", {})
    console.print(
        _(
            "Demo projects: %(projects)s, campaigns: %(campaigns)s — investment %(total)s "
            "(negotiating %(neg)s, landed %(landed)s); Friday clean-ups %(sessions)s sessions, "
            "%(pt)s person-times"
        )
        % {
            "projects": result.get("projects", 0),
            "campaigns": result.get("campaigns", 0),
            "total": inv.get("total", 0),
            "neg": inv.get("negotiation", 0),
            "landed": inv.get("landed", 0),
            "sessions": result.get("fridays", {}).get("sessions", 0),
            "pt": result.get("fridays", {}).get("person_times", 0),
        }
    )


def run(*, reset: bool = False, stdout=None) -> dict[str, Any]:
    """The demo command's step after the frame, cases and supervision: load the demo projects
    and campaigns unless this demo's are already there (``reset`` reloads them)."""
    if reset:
        delete_projects()
    if present():
        result = {"outcome": "unchanged", **summarize()}
    else:
        result = {"outcome": "loaded", **load_projects()}
    from cityloop.demo import rounds as demo_rounds

    demo_rounds.link_projects()  # the round's sub-project demands wait for the projects
    if stdout is not None:
        from rich.console import Console

        report(Console(file=stdout, highlight=False), result)
    return result
