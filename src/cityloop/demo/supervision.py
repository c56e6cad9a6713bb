"""Demo supervision (督查督办): three stories played through the supervision workflow.

Every task, report, milestone, inspection, finding, rectification and letter is made by
:mod:`cityloop.supervision.services` / :mod:`cityloop.supervision.workflow` — the functions the
pages and the API call — with the clock frozen at the moment of each step, so the events,
the stored lights and the boards read "as of" any day are what real use would have produced.
No light is written here: the boards below come out of the task data.

1. 济源路街道's 2020 key work [003]: 28 tasks over the six headings of its "红黄蓝" board
   (财政收入、经济指标、老旧小区改造、社区治理、应急管理、信访稳定), each with an annual goal,
   a leader in charge, a responsible office, milestones (some scheduled backwards from the
   deadline, 倒排工期) and weekly (indicator tasks: monthly) progress reports. On
   :data:`BOARD_2020` (2020-07-20) the board reads "黄色预警1项，蓝色预警27项": one task's
   milestone (中安街里坊 west facade) is four working days away. That milestone is then
   finished late, so a week later the task is red (milestone overdue) and explained, and
   then blue again. All 28 are finished by the end of 2020 (or a little after their
   deadline, for two).
2. 区督查局's 2023 省市区民生实事 [004]: 39 tasks for district bureaus and streets; on
   :data:`BOARD_2023` (2023-06-01) "7 项已提前完成，其余 32 项正在加紧推进"; the 32 are
   finished later in 2023.
3. The live year (the as-of moment of the case demo, ``CITYLOOP_AS_OF`` respected): a handful
   of 济源路 tasks with red, yellow and blue lights; the street's 雨污分流 task split into
   drainage units per community, the late ones urged by letters as 夏港街 did [002] (one left
   unanswered past its answer date, which turns its task red); inspections of all four kinds
   with findings in all three rectification modes; and a problem found again unrectified
   at the same compound, which proposes a summons (约谈), a criticism and a deduction.

The live story is laid on the calendar of the default as-of moment and moved by whole weeks
to the actual one, so weekdays stay weekdays; steps after the as-of moment are not played.
The 2020 and 2023 stories stand at their own dates; a step after the as-of is not played
either, so ``CITYLOOP_AS_OF=2020-07-27`` shows that week's board as it was.

Deterministic: fixed data and one seeded ``random.Random``.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cityloop.core import clock, worktime
from cityloop.core.models import Notification
from cityloop.demo import cases as demo_cases
from cityloop.demo.accounts import person_code
from cityloop.demo.outcomes import outcome_label
from cityloop.org.models import Place, Unit
from cityloop.supervision import queries, services, workflow
from cityloop.supervision.lights import MilestoneFacts, TaskFacts, planned_percent
from cityloop.supervision.models import (
    Colour,
    Escalation,
    Finding,
    Inspection,
    LetterSeries,
    Rectification,
    Task,
    UrgingLetter,
)
from cityloop.supervision.scheduling import Step, schedule_backward

SEED = 20200720
BOARD_2020 = date(2020, 7, 20)  # a Monday: "截至目前，街道共有黄色预警1项，蓝色预警27项" [003]
BOARD_2023 = date(2023, 6, 1)  # "7 项已提前完成，其余 32 项正在加紧推进" [004]
LIVE_FROM = date(2024, 1, 1)  # the live story is played only when the as-of is after this
CATCH_UP_DAYS = 21  # a stalled task catches up with its plan over three weeks
SWEEP_DAYS = 21  # the daily light sweep is played for the live story's last three weeks
PREFIX_2020 = "JYL-2020-"
PREFIX_2023 = "QDCJ-2023-"
LIVE_PREFIXES = ("JYL-L", "QDCJ-L")
SERIES = (("JYL", "济源督", "济源路街道办事处"), ("QDCJ", "上督", "上街区督查局"))

# Leaders in charge: 济源路街道's leaders are its street-level road chiefs (路长制 [000]);
# the district's are the district leaders who chief the main roads [001].
JYL_LEADERS = tuple(f"P-RC-JYL-S{i:02d}" for i in range(1, 10))
DISTRICT_LEADERS = (person_code("demo-leader"), *(f"P-RC-D{i:02d}" for i in range(2, 6)))

# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------


@dataclass
class Spec:
    """One task of a story and how it goes."""

    code: str
    category: str
    unit: str
    title: str
    goal: str
    deadline: date
    start: date
    leader: str = ""
    kind: str = "key_work"
    level: str = "street"
    indicator: tuple[str, str, float] | None = None  # (name, unit, target)
    steps: tuple[tuple[str, int], ...] = ()  # backward schedule (title, working days)
    milestones: tuple[tuple[str, date, float], ...] = ()  # explicit (title, due, percent)
    # Monthly by default (月调度 [004]): the workflow writes a report and re-lights the task
    # in some 25 queries, so weekly reports for 90 tasks would make the demo slow to load.
    cadence: str = "monthly"
    report_day: int = 31  # a monthly report is due by this day of the month
    supervising: str = ""
    assisting: tuple[str, ...] = ()
    offset: float = 3.0  # points ahead of the plan the reports run
    done: date | None = None  # finished on (None: still going at the end of the story)
    stall: tuple[date, date] | None = None  # progress stands still between these days
    stall_text: str = "受地下管线迁改协调影响，本月推进缓慢，正在协调相关权属单位。"
    late_milestone: tuple[int, date] | None = None  # (index, done on) — finished after its due
    parent: str = ""
    # filled while playing
    rows: list[dict[str, Any]] = field(default_factory=list)
    task: Task | None = None


def _q(year: int) -> tuple[tuple[str, date, float], ...]:
    """Quarterly milestones, as indicator tasks are planned (计划按季度分解)."""
    return (
        ("一季度目标", date(year, 3, 31), 22.0),
        ("上半年目标（“双过半”）", date(year, 6, 30), 50.0),
        ("前三季度目标", date(year, 9, 30), 75.0),
    )


D20 = date(2020, 12, 31)
S20 = date(2020, 1, 1)


def _specs_2020() -> list[Spec]:
    """济源路街道 2020 年重点工作 — the six headings of the "红黄蓝" board [003]."""
    y = 2020
    QYB, CGB, YJB, STB, JJB = "JYL-QYB", "JYL-CGB", "JYL-YJB", "JYL-STB", "JYL-JJB"
    rows: list[tuple] = [
        # (category, office, title, goal, deadline, extra)
        ("fiscal_revenue", QYB, "一般公共预算收入", "全年完成一般公共预算收入8600万元",
         D20, {"indicator": ("一般公共预算收入", "万元", 8600), "milestones": _q(y)}),
        ("fiscal_revenue", QYB, "税收收入", "全年完成税收收入7200万元，重点税源应收尽收",
         D20, {"indicator": ("税收收入", "万元", 7200), "milestones": _q(y)}),
        ("fiscal_revenue", QYB, "非税收入征缴", "全年完成非税收入1400万元",
         D20, {"indicator": ("非税收入", "万元", 1400), "milestones": _q(y)}),
        ("fiscal_revenue", QYB, "重点税源企业走访服务", "走访服务辖区重点税源企业60家，协税护税",
         date(y, 11, 30), {"indicator": ("走访企业", "家", 60)}),
        ("economic_indicators", QYB, "固定资产投资", "全年完成固定资产投资12亿元",
         D20, {"indicator": ("固定资产投资", "亿元", 12), "milestones": _q(y)}),
        ("economic_indicators", QYB, "社会消费品零售总额", "全年社会消费品零售总额9.5亿元",
         D20, {"indicator": ("社会消费品零售总额", "亿元", 9.5), "milestones": _q(y)}),
        ("economic_indicators", QYB, "招商引资", "新签约项目6个，到位资金3亿元",
         D20, {"indicator": ("到位资金", "亿元", 3), "milestones": _q(y)}),
        ("economic_indicators", QYB, "新增市场主体", "全年新增各类市场主体800户",
         D20, {"indicator": ("新增市场主体", "户", 800)}),
        ("economic_indicators", QYB, "规上服务业企业培育入库", "培育规上服务业企业入库5家",
         date(y, 11, 30), {"indicator": ("入库企业", "家", 5), "done": date(y, 12, 8)}),
        ("old_compound_renovation", CGB, "新华街社区06小区综合改造",
         "完成06小区“微改造”，建成“长城的守望”主题文化墙，延续城市文脉",
         date(y, 10, 31), {"steps": (("征求居民意见（一征三议两公开）", 25), ("方案设计", 30),
                                     ("招标采购", 20), ("施工", 80), ("竣工验收", 10))}),
        ("old_compound_renovation", CGB, "中安街里坊特色街打造",
         "保留街道原有基调，完成两侧立面改造、主题牌坊、特色路标和文化墙，打造特色街",
         D20, {"milestones": (("方案设计及居民议事", date(y, 5, 29), 30.0),
                              ("西侧立面改造完成", date(y, 7, 24), 55.0),
                              ("主题牌坊及文化墙完成", date(y, 9, 30), 80.0)),
               "offset": -2.0, "late_milestone": (1, date(y, 7, 29))}),
        ("old_compound_renovation", CGB, "老旧小区综合改造（“三项工程、一项管理”）",
         "完成12个老旧楼院综合改造", D20,
         {"indicator": ("完成改造楼院", "个", 12),
          "steps": (("摸底调查", 20), ("设计及预算评审", 30), ("招标", 25), ("施工", 110),
                    ("验收移交", 15))}),
        ("old_compound_renovation", STB, "无主管楼院雨污分流改造", "完成8个无主管楼院雨污分流改造",
         date(y, 11, 30), {"steps": (("管网排查", 30), ("设计", 25), ("施工", 100),
                                     ("验收", 15))}),
        ("old_compound_renovation", CGB, "老旧小区二次供水改造", "完成6个楼院二次供水设施改造",
         date(y, 10, 31), {"steps": (("方案", 20), ("采购", 25), ("施工", 90), ("通水验收", 10))}),
        ("old_compound_renovation", CGB, "老旧楼院加装电梯", "完成4部既有住宅加装电梯",
         D20, {"indicator": ("加装电梯", "部", 4),
               "milestones": (("居民意见征集完成", date(y, 4, 30), 20.0),
                              ("规划报批完成", date(y, 6, 30), 40.0),
                              ("主体安装完成", date(y, 10, 30), 80.0))}),
        ("community_governance", QYB, "居民议事“1+1+1”机制全覆盖",
         "12个社区建立议事准则、议事场所、居民公约", date(y, 10, 31),
         {"indicator": ("覆盖社区", "个", 12)}),
        ("community_governance", CGB, "无主管楼院联建共建", "63个无主管楼院全部落实联建共建单位",
         date(y, 9, 30), {"indicator": ("落实楼院", "个", 63), "done": date(y, 9, 25)}),
        ("community_governance", CGB, "国家卫生城市复审迎检",
         "背街小巷、楼院卫生死角全面清零，通过复审",
         date(y, 11, 30), {"steps": (("全面排查", 20), ("集中整治", 90), ("巩固提升", 60),
                                     ("迎检", 15))}),
        ("community_governance", QYB, "网格化管理提质",
         "12个社区网格员配备到位，事件按期办结率95%以上",
         D20, {}),
        ("community_governance", QYB, "新时代文明实践站建设", "12个社区新时代文明实践站建成运行",
         date(y, 11, 30), {"indicator": ("建成实践站", "个", 12)}),
        ("emergency_management", YJB, "防汛隐患点排查整治",
         "汛前完成隐患点排查，汛期24小时值守，安全度汛",
         date(y, 9, 30), {"milestones": (("汛前排查整治完成", date(y, 5, 29), 45.0),
                                         ("主汛期值守", date(y, 8, 31), 85.0))}),
        ("emergency_management", YJB, "安全生产专项整治三年行动",
         "完成年度企业、九小场所安全隐患排查整改",
         D20, {}),
        ("emergency_management", YJB, "消防安全“打通生命通道”",
         "清理楼道堆物、飞线充电，畅通消防通道",
         date(y, 11, 30), {}),
        ("emergency_management", YJB, "疫情防控常态化",
         "落实常态化防控措施，重点场所、重点人员应检尽检",
         D20, {}),
        ("petitions_stability", JJB, "信访积案化解", "化解信访积案8件", D20,
         {"indicator": ("化解积案", "件", 8)}),
        ("petitions_stability", JJB, "矛盾纠纷排查化解",
         "每月排查，矛盾纠纷化解率98%以上", D20, {}),
        ("petitions_stability", JJB, "初信初访按期办结", "初信初访按期办结率100%", D20, {}),
        ("petitions_stability", JJB, "扫黑除恶专项斗争收官", "线索核查全部办结，完成收官验收",
         date(y, 11, 30), {"steps": (("线索核查", 60), ("整改落实", 60), ("总结验收", 20))}),
    ]  # fmt: skip
    rng = random.Random(SEED)
    specs = []
    for i, (category, office, title, goal, deadline, extra) in enumerate(rows, start=1):
        extra = dict(extra)
        if "steps" in extra:
            extra["steps"] = tuple(extra["steps"])
        spec = Spec(
            code=f"{PREFIX_2020}{i:02d}",
            category=category,
            unit=office,
            title=title,
            goal=goal,
            deadline=deadline,
            start=S20,
            leader=JYL_LEADERS[i % len(JYL_LEADERS)],
            report_day=17,  # 每月17日前报送进展: the month's figures before the board's date
            supervising="JYL",
            offset=extra.pop("offset", float(rng.randint(1, 5))),
            **extra,
        )
        if spec.done is None:
            # Finished at the year's end (indicator years close on the deadline), or a few
            # working days early.
            early = 0 if spec.indicator and deadline == D20 else rng.choice((0, 2, 5, 9, 14))
            spec.done = _workday_before(deadline, early)
        specs.append(spec)
    return specs


def _specs_2023() -> list[Spec]:
    """区督查局 2023 年承办的省市区民生实事 39 项 [004]."""
    y = 2023
    ZJJ, CGJ = "QZJJ", "QCGJ"
    d = date
    # (level, unit, title, goal, deadline, done, extra)
    rows: list[tuple] = [
        ("province", ZJJ, "城镇老旧小区改造", "改造城镇老旧小区24个", d(y, 11, 30), d(y, 11, 24),
         {"indicator": ("改造小区", "个", 24), "assisting": ("JYL", "ZXL", "GYL")}),
        ("province", ZJJ, "新建改扩建公办幼儿园", "新建改扩建公办幼儿园2所，新增学位540个",
         d(y, 8, 31), d(y, 8, 25), {"assisting": ("QJYJ",)}),
        ("province", "XW", "农村户厕改造", "完成农村户厕改造300户", d(y, 6, 30), d(y, 5, 19),
         {"indicator": ("改造户厕", "户", 300)}),
        ("province", ZJJ, "既有住宅加装电梯", "完成既有住宅加装电梯20部", d(y, 12, 31),
         d(y, 12, 29), {"indicator": ("加装电梯", "部", 20)}),
        ("province", CGJ, "城市生活垃圾分类示范小区", "建成生活垃圾分类示范小区10个",
         d(y, 10, 31), d(y, 10, 27), {"indicator": ("示范小区", "个", 10)}),
        ("province", ZJJ, "城镇燃气管道老化更新改造", "更新改造老化燃气管道12公里",
         d(y, 10, 31), d(y, 10, 31), {"indicator": ("更新管道", "公里", 12)}),
        ("province", CGJ, "城市公厕新建改造", "新建改造城市公厕15座", d(y, 9, 30), d(y, 9, 22),
         {"indicator": ("公厕", "座", 15)}),
        ("province", "JYL", "城市书房建设", "建成城市书房2处并对外开放", d(y, 7, 31), d(y, 5, 26),
         {}),
        ("province", ZJJ, "城市排水管网雨污分流改造", "汛前完成雨污分流改造排水单元40个",
         d(y, 6, 30), d(y, 7, 14),
         {"indicator": ("达标排水单元", "个", 40), "stall": (d(y, 4, 7), d(y, 6, 9))}),
        ("province", "GYL", "农贸市场标准化改造", "完成2个农贸市场标准化改造", d(y, 9, 30),
         d(y, 9, 28), {}),
        ("city", CGJ, "口袋公园建设", "建设口袋公园6处", d(y, 9, 30), d(y, 9, 26),
         {"indicator": ("口袋公园", "处", 6)}),
        ("city", CGJ, "背街小巷改造提升", "改造提升背街小巷20条", d(y, 11, 30), d(y, 11, 28),
         {"indicator": ("背街小巷", "条", 20)}),
        ("city", CGJ, "道路照明提升", "新增改造路灯600盏，消除照明盲区", d(y, 10, 31),
         d(y, 10, 20), {"indicator": ("路灯", "盏", 600)}),
        ("city", ZJJ, "老旧小区二次供水改造", "完成二次供水改造小区8个", d(y, 8, 31),
         d(y, 5, 30), {"indicator": ("改造小区", "个", 8)}),
        ("city", "JYL", "社区养老服务中心建设", "建成社区养老服务中心2个", d(y, 10, 31),
         d(y, 10, 25), {"assisting": ("QRSJ",)}),
        ("city", "ZXL", "社区养老服务中心建设（中心路）", "建成三湾街社区养老服务中心",
         d(y, 10, 31), d(y, 10, 30), {}),
        ("city", CGJ, "公共停车泊位建设", "新增公共停车泊位1200个", d(y, 12, 31), d(y, 12, 26),
         {"indicator": ("停车泊位", "个", 1200)}),
        ("city", "XAL", "电动自行车集中充电设施", "建设电动自行车集中充电桩300个",
         d(y, 8, 31), d(y, 5, 31), {"indicator": ("充电桩", "个", 300)}),
        ("city", CGJ, "城市绿道建设", "建设城市绿道8公里", d(y, 11, 30), d(y, 12, 8),
         {"indicator": ("绿道", "公里", 8), "stall": (d(y, 4, 21), d(y, 6, 16)),
          "offset": 0.0}),
        ("city", ZJJ, "老旧排水管网更新", "更新老旧排水管网6公里", d(y, 11, 30), d(y, 11, 17),
         {"indicator": ("管网", "公里", 6)}),
        ("city", "KS", "社区卫生服务站标准化建设", "完成3个社区卫生服务站标准化建设",
         d(y, 9, 30), d(y, 9, 27), {}),
        ("city", "GYL", "“红色物业”示范小区创建", "亚星江南小镇等4个小区创建红色物业示范",
         d(y, 12, 31), d(y, 12, 22), {}),
        ("city", "XW", "峡窝镇防汛隐患点整治", "整治昆仑路铁路沿线、渣土场、废弃窑洞等5处隐患点",
         d(y, 6, 30), d(y, 6, 20),
         {"milestones": (("隐患点排查建档", d(y, 3, 31), 30.0), ("工程整治完成", d(y, 6, 5), 85.0)),
          "offset": -1.0}),
        ("district", "JYL", "中安街里坊提质", "中安街里坊业态提升与夜间亮化", d(y, 12, 31),
         d(y, 12, 28), {}),
        ("district", "JYL", "无主管楼院“红管家”全覆盖", "63个无主管楼院“红管家”全覆盖",
         d(y, 6, 30), d(y, 5, 12), {"indicator": ("覆盖楼院", "个", 63)}),
        ("district", "ZXL", "三湾街社区“侨胞之家”提升", "建成标准化“侨胞之家”并开展服务",
         d(y, 9, 30), d(y, 9, 15), {}),
        ("district", "XW", "晨光社区无主管楼院整治", "整治晨光社区9个无主管楼院环境", d(y, 10, 31),
         d(y, 10, 24), {"indicator": ("整治楼院", "个", 9)}),
        ("district", "XAL", "颍苑游园改造", "完成颍苑游园提质改造", d(y, 9, 30), d(y, 9, 26),
         {}),
        ("district", "KS", "矿山社区背街小巷整治", "整治矿山社区背街小巷6条", d(y, 10, 31),
         d(y, 10, 27), {"indicator": ("小巷", "条", 6)}),
        ("district", CGJ, "全民健身路径更新", "更新全民健身路径30处", d(y, 8, 31), d(y, 5, 24),
         {"indicator": ("健身路径", "处", 30)}),
        ("district", ZJJ, "保障性租赁住房筹集", "筹集保障性租赁住房300套", d(y, 12, 31),
         d(y, 12, 27), {"indicator": ("筹集房源", "套", 300)}),
        ("district", "ZXL", "中心路街道无主管小区物业托管", "34个无主管小区落实物业托管",
         d(y, 11, 30), d(y, 11, 27), {"indicator": ("托管小区", "个", 34)}),
        ("district", CGJ, "城市家具更新", "更新公交候车亭、果皮箱等城市家具", d(y, 11, 30),
         d(y, 11, 22), {}),
        ("district", "GYL", "工业路街道便民市场", "建成便民市场1处", d(y, 10, 31), d(y, 5, 29),
         {}),
        ("district", ZJJ, "棚户区改造安置房交付", "交付棚户区改造安置房420套", d(y, 12, 31),
         d(y, 12, 29), {"indicator": ("交付安置房", "套", 420)}),
        ("district", "KS", "矿山街道老年助餐点", "建成老年助餐点3个", d(y, 9, 30), d(y, 9, 25),
         {}),
        ("district", "XAL", "新安路街道社区议事厅", "10个社区建成议事厅（“1+1+1”）", d(y, 11, 30),
         d(y, 11, 23), {"indicator": ("议事厅", "个", 10)}),
        ("district", CGJ, "市容环境卫生提升", "主次干道机扫率达到95%", d(y, 12, 31),
         d(y, 12, 29), {}),
        ("district", "XW", "峡窝镇农村道路硬化", "硬化农村道路10公里", d(y, 11, 30), d(y, 11, 16),
         {"indicator": ("硬化道路", "公里", 10)}),
    ]  # fmt: skip
    rng = random.Random(SEED + 2023)
    categories = {
        "城镇": "urban_construction",
        "排水": "urban_construction",
        "燃气": "urban_construction",
        "防汛": "emergency_management",
        "户厕": "ecology",
        "垃圾": "ecology",
        "绿道": "ecology",
        "公园": "ecology",
        "游园": "ecology",
    }
    specs = []
    for i, (level, unit, title, goal, deadline, done, extra) in enumerate(rows, start=1):
        category = next((c for k, c in categories.items() if k in title), "livelihood")
        specs.append(
            Spec(
                code=f"{PREFIX_2023}{i:02d}",
                category=category,
                unit=unit,
                title=title,
                goal=goal,
                deadline=deadline,
                start=date(y, 1, 1),
                done=done,
                kind="livelihood_project",
                level=level,
                leader=DISTRICT_LEADERS[i % len(DISTRICT_LEADERS)],
                supervising="QDCJ",
                offset=extra.pop("offset", float(rng.randint(1, 6))),
                **{k: tuple(v) if k == "assisting" else v for k, v in extra.items()},
            )
        )
    return specs


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _workday_before(day: date, n: int) -> date:
    """``day`` moved back to a working day and then ``n`` working days earlier."""
    while not worktime.is_workday(day):
        day -= timedelta(days=1)
    for _i in range(n):
        day -= timedelta(days=1)
        while not worktime.is_workday(day):
            day -= timedelta(days=1)
    return day


def _report_days(start: date, end: date, cadence: str, day_of_month: int = 31) -> list[date]:
    """Report days from ``start`` to ``end``: the last working day on or before the
    ``day_of_month`` of every month, or the last working day of every week (of every other
    week for a biweekly cadence)."""
    days = []
    if cadence == "monthly":
        month = date(start.year, start.month, 1)
        while month <= end:
            nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            last = nxt - timedelta(days=1)
            days.append(_workday_before(last.replace(day=min(day_of_month, last.day)), 0))
            month = nxt
    else:
        step = 14 if cadence == "biweekly" else 7
        monday = start - timedelta(days=start.weekday())
        while monday <= end:
            week = [monday + timedelta(days=i) for i in range(7)]
            work = [d for d in week if d > start and worktime.is_workday(d)]
            days.append(work[-1] if work else monday + timedelta(days=4))
            monday += timedelta(days=step)
    return [d for d in days if start < d <= end]


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, dtime(int(hour), int(hour % 1 * 60)), tzinfo=clock.local_zone())


class _Agenda:
    """Steps in time order; each runs with the clock frozen at its moment. Steps after
    ``end`` are not played: the story stands at the as-of moment."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.heap: list[tuple[datetime, int, Callable[[], Any]]] = []
        self.seq = itertools.count()

    def add(self, at: datetime, fn: Callable[[], Any]) -> None:
        heapq.heappush(self.heap, (at, next(self.seq), fn))

    def run(self) -> None:
        while self.heap:
            at, _n, fn = heapq.heappop(self.heap)
            if at > self.end:
                continue
            with clock.frozen(at):
                fn()


def _progress_text(spec: Spec, pct: float) -> str:
    if spec.indicator:
        name, unit, target = spec.indicator
        return f"{name}累计完成{_fmt(target * pct / 100)}{unit}，占年度目标{pct:.0f}%。"
    if pct >= 100:
        return "各项工作已全部完成，正在整理台账资料。"
    if pct < 15:
        return "已完成前期摸底和工作方案，正在组织实施。"
    if pct < 60:
        return f"按计划有序推进，完成约{pct:.0f}%。"
    return f"主体工作基本完成，完成约{pct:.0f}%，正在查漏补缺。"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


# ---------------------------------------------------------------------------------------------
# Playing a task list
# ---------------------------------------------------------------------------------------------


class _Play:
    def __init__(self, agenda: _Agenda, cast: demo_cases._Cast) -> None:
        self.agenda = agenda
        self.cast = cast
        self.counts: Counter = Counter()
        self.units = {u.code: u for u in Unit.objects.filter(is_demo=True)}

    # who acts --------------------------------------------------------------------------

    def supervisor_of(self, spec: Spec):
        code = spec.supervising or spec.unit.split("-")[0]
        if code == "QDCJ":
            return self.cast.account("demo-supervisor")
        return self.cast.street_desk(code)

    def reporter_of(self, unit_code: str):
        """Staff of the responsible unit; a street's offices without an account of their
        own report through the street's desk (the street collects the weekly reports)."""
        if unit_code.startswith("JYL-CGB"):
            return self.cast.account("jyl-cgb")
        if unit_code == "QZJJ":
            return self.cast.account("demo-zjj")
        if unit_code == "QCGJ":
            return self.cast.account("demo-cgj")
        unit = self.units[unit_code]
        if unit.kind == Unit.Kind.COMMUNITY_COMMITTEE:
            return self.cast.community_desk(self.cast.place_code[unit.place_id])
        return self.cast.street_desk(unit_code.split("-")[0])

    # steps ------------------------------------------------------------------------------

    def schedule(self, spec: Spec, created: date) -> None:
        """Create, plan, report weekly, finish — all on the agenda."""
        if spec.steps:
            proposed = schedule_backward(spec.deadline, [Step(t, n) for t, n in spec.steps])
            spec.rows = [
                {"title": p.title, "due": p.due, "planned_percent": p.planned_percent}
                for p in proposed
            ]
        else:
            spec.rows = [
                {"title": t, "due": due, "planned_percent": pct} for t, due, pct in spec.milestones
            ]
        self.agenda.add(_at(created, 9.5), lambda: self._create(spec))
        end = min(
            spec.done or spec.deadline + timedelta(days=60),
            self.agenda.end.astimezone(clock.local_zone()).date(),
        )
        for day in _report_days(max(spec.start, created), end, spec.cadence, spec.report_day):
            if spec.done and day >= spec.done:
                break
            self.agenda.add(_at(day, 16), lambda s=spec, d=day: self._report(s, d))
        for i, row in enumerate(spec.rows):
            due = row["due"]
            if row is spec.rows[-1] and due == _workday_before(spec.deadline, 0):
                continue  # the last step ends with the task itself
            if spec.late_milestone and spec.late_milestone[0] == i:
                on = spec.late_milestone[1]
            else:
                on = _workday_before(due, (i * 7 + len(spec.code)) % 3)
            if spec.done and on >= spec.done:
                continue
            self.agenda.add(_at(on, 11), lambda s=spec, i=i, d=on: self._milestone(s, i, d))
        if spec.done:
            self.agenda.add(_at(spec.done, 15), lambda s=spec: self._report(s, s.done, 100))
            self.agenda.add(_at(spec.done, 17), lambda s=spec: self._complete(s))

    def _create(self, spec: Spec) -> None:
        actor = self.supervisor_of(spec)
        data = services.TaskInput(
            code=spec.code,
            title=spec.title,
            kind=spec.kind,
            category=spec.category,
            responsible_unit=spec.unit,
            start=spec.start,
            deadline=spec.deadline,
            level=spec.level,
            annual_goal=spec.goal,
            indicator_name=spec.indicator[0] if spec.indicator else "",
            indicator_unit=spec.indicator[1] if spec.indicator else "",
            target_value=spec.indicator[2] if spec.indicator else None,
            leader=spec.leader,
            supervising_unit=spec.supervising,
            assisting_units=list(spec.assisting),
            parent=spec.parent,
            report_cadence=spec.cadence,
            is_demo=True,
        )
        spec.task = services.create_task(actor=actor, data=data)
        self.counts["tasks"] += 1
        if spec.steps:
            services.set_milestones(
                actor=actor, task_id=spec.task.pk, steps=[Step(t, n) for t, n in spec.steps]
            )
        elif spec.rows:
            services.set_milestones(actor=actor, task_id=spec.task.pk, milestones=spec.rows)

    def plan(self, spec: Spec, day: date) -> float:
        facts = TaskFacts(
            start=spec.start,
            deadline=spec.deadline,
            milestones=tuple(
                MilestoneFacts(r["title"], r["due"], r["planned_percent"]) for r in spec.rows
            ),
        )
        return planned_percent(facts, day)

    def percent(self, spec: Spec, day: date) -> float:
        value = self.plan(spec, day) + spec.offset
        if spec.stall and spec.stall[0] <= day:
            # Nothing moves while stalled; afterwards the unit catches up over three weeks.
            frozen = self.plan(spec, spec.stall[0]) + spec.offset
            caught = min(1.0, max(0.0, (day - spec.stall[1]).days / CATCH_UP_DAYS))
            value = frozen + (value - frozen) * caught
        return max(0.0, min(99.0, round(value)))

    def _report(self, spec: Spec, day: date, pct: float | None = None) -> None:
        pct = self.percent(spec, day) if pct is None else pct
        if spec.stall and spec.stall[0] <= day < spec.stall[1]:
            text = spec.stall_text
        else:
            text = _progress_text(spec, pct)
        kw: dict[str, Any] = {"percent": pct}
        if spec.indicator:
            kw = {"value": round(spec.indicator[2] * pct / 100, 2)}
        workflow.report_progress(
            actor=self.reporter_of(spec.unit), task_id=spec.task.pk, text=text, on=day, **kw
        )
        self.counts["reports"] += 1

    def _milestone(self, spec: Spec, index: int, day: date) -> None:
        milestone = spec.task.milestones.order_by("due", "order").filter(done_on__isnull=True)
        title = spec.rows[index]["title"]
        row = milestone.filter(title=title).first()
        if row is not None:
            workflow.complete_milestone(
                actor=self.reporter_of(spec.unit),
                task_id=spec.task.pk,
                milestone_id=row.pk,
                done_on=day,
            )
            self.counts["milestones"] += 1

    def _complete(self, spec: Spec) -> None:
        note = "经督查核实，年度目标任务已完成。"
        workflow.complete(actor=self.supervisor_of(spec), task_id=spec.task.pk, note=note)
        self.counts["completed"] += 1

    def sweep(self, spec: Spec, day: date) -> None:
        """The daily sweep's step for one task (the stored light of that day)."""
        self.agenda.add(_at(day, 8), lambda: workflow.refresh_light(task_id=spec.task.pk))

    def explain(self, spec: Spec, day: date, text: str) -> None:
        def step() -> None:
            if queries.open_explanation(spec.task) is not None:
                workflow.explain(actor=self.reporter_of(spec.unit), task_id=spec.task.pk, text=text)
                self.counts["explanations"] += 1

        self.agenda.add(_at(day, 15.5), step)


# ---------------------------------------------------------------------------------------------
# The live year
# ---------------------------------------------------------------------------------------------


# The live story on the calendar of the default as-of (Friday 2026-11-20); moved by whole
# weeks to the actual as-of.
LIVE_YEAR = 2026
YW_COMMUNITIES = (  # (committee, drainage units, deadline, done — None: unfinished)
    ("JYL-SQ001", 6, date(2026, 10, 30), date(2026, 10, 23)),
    ("JYL-SQ002", 5, date(2026, 10, 30), date(2026, 10, 28)),
    ("JYL-SQ003", 4, date(2026, 10, 30), date(2026, 11, 9)),  # urged, answered, done late
    ("JYL-SQ004", 5, date(2026, 10, 30), None),  # urged, answered, still not done
    ("JYL-SQ005", 7, date(2026, 12, 15), None),  # urged, never answered
    ("JYL-SQ006", 4, date(2026, 10, 30), date(2026, 11, 13)),  # urged, answered, done late
    ("JYL-SQ007", 5, date(2026, 10, 30), date(2026, 10, 30)),
    ("JYL-SQ008", 4, date(2026, 10, 30), date(2026, 10, 21)),
)


def _live_specs(shift: timedelta) -> tuple[list[Spec], list[Spec]]:
    """(tasks, drainage units) of the live year, moved by ``shift``."""
    y = LIVE_YEAR
    s = date(y, 1, 1)

    def d(m: int, day: int) -> date:
        return date(y, m, day) + shift

    CGB = "JYL-CGB"
    tasks = [
        Spec("JYL-L-01", "fiscal_revenue", "JYL-QYB", "一般公共预算收入",
             "全年完成一般公共预算收入9800万元", d(12, 31), s, JYL_LEADERS[0],
             indicator=("一般公共预算收入", "万元", 9800), milestones=_q(y), offset=2),
        Spec("JYL-L-02", "economic_indicators", "JYL-QYB", "固定资产投资",
             "全年完成固定资产投资15亿元", d(12, 31), s, JYL_LEADERS[1],
             indicator=("固定资产投资", "亿元", 15), milestones=_q(y), stall=(d(8, 31), d(12, 31)),
             stall_text="两个重点项目开工推迟，本月投资入统不及预期，正在对接项目单位。"),
        Spec("JYL-L-03", "old_compound_renovation", CGB, "中安街里坊二期提质改造",
             "完成中安街里坊二期立面改造、主题牌坊及文化墙", d(12, 31), s, JYL_LEADERS[2],
             milestones=(("方案设计", d(4, 30), 25.0), ("东侧立面改造", d(8, 28), 60.0)),
             offset=-1),
        Spec("JYL-L-04", "emergency_management", "JYL-YJB", "冬季消防安全隐患排查整治",
             "完成辖区楼院、九小场所冬季消防安全隐患排查整治", d(12, 31), s, JYL_LEADERS[3],
             milestones=(("九小场所排查整治", d(6, 30), 45.0),
                         ("楼院飞线充电清理", d(11, 26), 85.0))),
        Spec("JYL-L-05", "community_governance", "JYL-QYB", "无主管楼院“红管家”提质",
             "63个无主管楼院“红管家”代办事项按期办结率95%以上", d(12, 31), s, JYL_LEADERS[4],
             offset=4),
        Spec("JYL-L-06", "petitions_stability", "JYL-JJB", "信访积案化解",
             "化解信访积案6件", d(12, 31), s, JYL_LEADERS[5],
             indicator=("化解积案", "件", 6), done=d(10, 16)),
        Spec("JYL-L-07", "community_governance", CGB, "国家卫生城市长效管理",
             "背街小巷、楼院卫生长效管理，督查问题按期整改", d(12, 31), s, JYL_LEADERS[6],
             offset=3),
    ]  # fmt: skip
    parent = Spec(
        "JYL-L-YW",
        "old_compound_renovation",
        CGB,
        "雨污分流改造（排水单元达标）",
        "完成辖区40个排水单元雨污分流改造并达标",
        d(12, 31),
        s,
        JYL_LEADERS[2],
        offset=1,
    )
    tasks.append(parent)
    units = []
    for i, (committee, n, deadline, done) in enumerate(YW_COMMUNITIES, start=1):
        units.append(
            Spec(
                f"JYL-L-YW-{i:02d}",
                "old_compound_renovation",
                committee,
                f"雨污分流改造：{n}个排水单元",
                f"完成社区内{n}个排水单元雨污分流改造，通过达标验收",
                deadline + shift,
                d(3, 2),
                JYL_LEADERS[2],
                steps=(("管网排查", 20), ("设计", 20), ("管网施工", 70), ("达标验收", 10)),
                cadence="biweekly",
                indicator=("达标排水单元", "个", n),
                supervising="JYL",
                parent=parent.code,
                done=done + shift if done else None,
                offset=2,
                stall=(d(8, 14), d(10, 30)) if done is None or done > deadline else None,
            )
        )
    # 淮阳路社区 is behind at the letter, catches up after it, but never answers.
    units[4].stall = (d(8, 21), d(10, 23))
    for spec in tasks:
        spec.supervising = spec.supervising or "JYL"
        spec.report_day = 20
    return tasks, units


def _district_live(shift: timedelta) -> list[Spec]:
    y = LIVE_YEAR
    d = lambda m, day: date(y, m, day) + shift  # noqa: E731
    return [
        Spec("QDCJ-L-01", "emergency_management", "XW", "防汛隐患点整治提升",
             "昆仑路铁路沿线等5处防汛隐患点整治提升", d(11, 30), date(y, 3, 2),
             DISTRICT_LEADERS[0], kind="livelihood_project", level="district",
             milestones=(("排查建档", d(4, 30), 25.0), ("工程整治", d(9, 30), 75.0)),
             supervising="QDCJ", stall=(d(8, 3), d(10, 23))),
        Spec("QDCJ-L-02", "urban_construction", "QZJJ", "城镇老旧小区改造",
             "改造城镇老旧小区18个", d(12, 31), date(y, 1, 1), DISTRICT_LEADERS[1],
             kind="livelihood_project", level="province", supervising="QDCJ",
             indicator=("改造小区", "个", 18), offset=2),
        Spec("QDCJ-L-03", "ecology", "QCGJ", "口袋公园建设", "建设口袋公园5处", d(10, 31),
             date(y, 1, 1), DISTRICT_LEADERS[2], kind="livelihood_project", level="city",
             supervising="QDCJ", indicator=("口袋公园", "处", 5), done=d(10, 22)),
    ]  # fmt: skip


class _Live:
    """Inspections, findings and letters of the live year (beyond the task walk)."""

    def __init__(self, play: _Play, shift: timedelta, tasks: dict[str, Spec]) -> None:
        self.play = play
        self.shift = shift
        self.tasks = tasks
        self.cast = play.cast
        self.units = play.units
        self.inspections: dict[str, Inspection] = {}
        self.findings: dict[str, Finding] = {}
        self.letters: dict[str, UrgingLetter] = {}
        self.places = {p.name: p for p in Place.objects.filter(is_demo=True, kind="compound")}

    def d(self, m: int, day: int) -> date:
        return date(LIVE_YEAR, m, day) + self.shift

    def at(self, m: int, day: int, hour: float) -> datetime:
        return _at(self.d(m, day), hour)

    def add(self, m: int, day: int, hour: float, fn: Callable[[], Any]) -> None:
        self.play.agenda.add(self.at(m, day, hour), fn)

    def street(self):
        return self.cast.account("jyl-street")

    def inspect(
        self, key: str, kind: str, m: int, day: int, subject: str, *, unit: str = "JYL", **kw
    ) -> None:
        def step() -> None:
            actor = self.street() if unit == "JYL" else self.cast.account("demo-supervisor")
            follows = self.inspections.get(kw.pop("follows", ""), None)
            tasks = [self.tasks[c].task for c in kw.pop("tasks", ())]
            places = [self.places[n] for n in kw.pop("places", ())]
            units = [self.units[c] for c in kw.pop("units", ())]
            self.inspections[key] = services.create_inspection(
                actor=actor,
                code=f"DC-{LIVE_YEAR}-{key}",
                kind=kind,
                on=clock.today(),
                subject=subject,
                team="济源路街道督查组" if unit == "JYL" else "区督查局第二督查组",
                unit=self.units[unit],
                follows=follows,
                tasks=tasks,
                places=places,
                units=units,
                is_demo=True,
                **kw,
            )
            self.play.counts["inspections"] += 1

        self.add(m, day, 9, step)

    def find(self, key: str, inspection: str, m: int, day: int, hour: float, **kw) -> None:
        def step() -> None:
            insp = self.inspections[inspection]
            actor = (
                self.street() if insp.unit.code == "JYL" else self.cast.account("demo-supervisor")
            )
            unit = self.units[kw.pop("unit")]
            task = self.tasks[kw.pop("task")].task if "task" in kw else None
            place = self.places[kw.pop("place")] if "place" in kw else None
            if "due" in kw:
                kw["due"] = self.d(*kw["due"])
            if "plan_steps" in kw:
                kw["plan_steps"] = [(t, self.d(*md)) for t, md in kw["plan_steps"]]
            self.findings[key] = workflow.record_finding(
                actor=actor,
                inspection_id=insp.pk,
                unit=unit,
                task=task,
                place=place,
                **kw,
            )
            self.play.counts["findings"] += 1

        self.add(m, day, hour, step)

    def rectified(self, key: str, m: int, day: int, hour: float, report: str) -> None:
        def step() -> None:
            rect = self.findings[key].rectification
            workflow.submit_rectification(
                actor=self.play.reporter_of(rect.unit.code),
                rectification_id=rect.pk,
                report=report,
            )

        self.add(m, day, hour, step)

    def reinspect(self, key: str, m: int, day: int, hour: float, passed: bool, note: str) -> None:
        def step() -> None:
            finding = self.findings[key]
            actor = (
                self.street()
                if finding.inspection.unit.code == "JYL"
                else self.cast.account("demo-supervisor")
            )
            workflow.reinspect(
                actor=actor,
                rectification_id=finding.rectification.pk,
                passed=passed,
                note=note,
            )

        self.add(m, day, hour, step)

    def letter(
        self, key: str, issuer: str, addressee: str, m: int, day: int, due: tuple[int, int]
    ) -> None:
        def step() -> None:
            actor = self.street() if issuer == "JYL" else self.cast.account("demo-supervisor")
            unit = self.units[addressee]
            letter = workflow.issue_letter(
                actor=actor,
                issuer=self.units[issuer],
                addressee=unit,
                answer_due=self.d(*due),
                subject=f"关于督促{unit.short_name or unit.name}加快推进逾期工作的催办函",
                is_demo=True,
            )
            self.letters[key] = letter
            self.play.counts["letters"] += 1

        self.add(m, day, 10, step)

    def receive(self, key: str, m: int, day: int, answer: str = "") -> None:
        def step() -> None:
            letter = self.letters[key]
            actor = self.play.reporter_of(letter.addressee.code)
            if answer:
                workflow.answer_letter(actor=actor, letter_id=letter.pk, answer=answer)
                self.play.counts["letters_answered"] += 1
            else:
                workflow.receive_letter(actor=actor, letter_id=letter.pk)

        self.add(m, day, 14 if answer else 9.5, step)

    def story(self, units: list[Spec]) -> None:
        play = self.play
        # 日常督查 (routine): 06小区 clutter comes back unrectified → summons proposed.
        self.inspect(
            "01", "routine", 10, 12, "创卫长效管理日常督查（新华街社区）", cadence="daily",
            places=("06小区",), units=("JYL-SQ001", "JYL-CGB"),
            summary="检查楼院、背街小巷环境卫生，发现问题2处，现场交办。",
        )  # fmt: skip
        self.find(
            "clutter", "01", 10, 12, 10, kind="楼道乱堆物堆料", unit="JYL-SQ001", place="06小区",
            description="06小区3号楼2单元楼道堆放旧家具、纸箱，占用消防通道",
            mode="deadline", due=(10, 16), severity="general", is_problem=False,
            photos=["demo/supervision/06-3-2-before.jpg"],
        )  # fmt: skip
        self.find(
            "litter", "01", 10, 12, 10.5, kind="暴露垃圾", unit="JYL-CGB",
            description="新华街与汝南路交叉口东北角绿化带内暴露垃圾约1立方米",
            mode="immediate", severity="minor", is_problem=False,
        )  # fmt: skip
        self.rectified("litter", 10, 12, 15, "已组织环卫工人现场清理完毕，绿化带恢复整洁。")
        self.reinspect("litter", 10, 12, 16.5, True, "复查：已清理干净。")
        self.rectified("clutter", 10, 15, 16, "已通知住户自行清理，楼道基本畅通。")
        self.reinspect("clutter", 10, 19, 10, False, "复查：2单元楼道旧家具仍未清走，整改不到位。")
        # 专项督查 (special): the drainage-unit works.
        self.inspect(
            "02", "special", 10, 20, "雨污分流改造专项督查", cadence="weekly",
            tasks=("JYL-L-YW",), units=("JYL-CGB", "JYL-SQ004", "JYL-SQ005"),
            summary="督查各社区排水单元改造进度与施工安全文明措施。",
        )  # fmt: skip
        self.find(
            "fence", "02", 10, 20, 11, kind="施工围挡不规范", unit="JYL-CGB",
            description="许昌路社区排水管网施工段围挡破损、渣土未覆盖",
            mode="deadline", due=(10, 27), severity="general", is_problem=False,
        )  # fmt: skip
        self.rectified("fence", 10, 26, 16, "已更换破损围挡，渣土全部覆盖防尘网。")
        self.reinspect("fence", 10, 28, 10, True, "复查：围挡完好，渣土已覆盖。")
        # 跟踪督查 (follow-up): the same clutter found again at 06小区 → escalation.
        self.inspect(
            "03", "follow_up", 10, 26, "创卫问题整改跟踪督查（新华街社区）", cadence="weekly",
            follows="01", places=("06小区",), units=("JYL-SQ001",),
            summary="跟踪10月12日日常督查发现问题的整改情况。",
        )  # fmt: skip
        self.find(
            "clutter-again", "03", 10, 26, 10, kind="楼道乱堆物堆料", unit="JYL-SQ001",
            place="06小区", description="06小区3号楼2单元楼道杂物仍未清理，1单元又新增堆放",
            mode="deadline", due=(10, 30), severity="serious", is_problem=False,
        )  # fmt: skip
        self.rectified("clutter", 10, 29, 16, "社区联合物业、志愿者逐户动员，楼道杂物已全部清运。")
        self.rectified("clutter-again", 10, 29, 16.2, "1单元、2单元楼道杂物已全部清运。")
        self.reinspect("clutter", 10, 30, 10, True, "复查：楼道已畅通。")
        self.reinspect("clutter-again", 10, 30, 10.2, True, "复查：楼道已畅通。")
        # 重点督查 (key): 中安街里坊 behind → rectification by a plan; the task is red.
        self.inspect(
            "04", "key", 11, 9, "中安街里坊二期提质改造重点督查", cadence="monthly",
            tasks=("JYL-L-03",), units=("JYL-CGB",),
            summary="项目西侧立面改造滞后，要求制定整改方案，倒排工期。",
        )  # fmt: skip
        self.find(
            "zhongan", "04", 11, 9, 11, kind="重点项目进度滞后", unit="JYL-CGB", task="JYL-L-03",
            description="中安街里坊二期西侧立面改造未按节点完成，主题牌坊未开工",
            mode="plan", due=(12, 25), severity="serious", is_problem=True,
            plan="增加两个施工班组，实行白加黑作业；主题牌坊与文化墙同步施工。",
            plan_steps=[("西侧立面改造完成", (11, 30)), ("主题牌坊及文化墙完成", (12, 15)),
                        ("竣工验收", (12, 25))],
        )  # fmt: skip
        play.explain(
            self.tasks["JYL-L-03"],
            self.d(11, 11),
            "西侧立面涉及3户商户门头协调，已于11月10日达成一致；已增加施工班组，确保12月底完工。",
        )
        # 区督查局 special inspection of the district's flood task (open at the as-of).
        self.inspect(
            "05", "special", 11, 16, "民生实事专项督查（防汛隐患点整治）", unit="QDCJ",
            tasks=("QDCJ-L-01",), units=("XW",),
            summary="电话问询、实地走访、调阅资料，督查民生实事推进情况。",
        )  # fmt: skip
        self.find(
            "flood", "05", 11, 16, 11, kind="安全警示设施缺失", unit="XW", task="QDCJ-L-01",
            description="废弃窑洞隐患点警示标志和围挡未设置到位",
            mode="deadline", due=(11, 27), severity="general", is_problem=False,
        )  # fmt: skip

        # Urging letters [002]: the drainage units still unfinished after their deadline.
        for key, unit in (("yw3", "JYL-SQ003"), ("yw4", "JYL-SQ004"), ("yw5", "JYL-SQ005"),
                          ("yw6", "JYL-SQ006")):  # fmt: skip
            self.letter(key, "JYL", unit, 11, 3, (11, 10))
            self.receive(key, 11, 4)
        self.receive("yw3", 11, 6, "已增派施工队伍，剩余1个排水单元预计11月9日完工并申请验收。")
        self.receive("yw6", 11, 5, "管网施工已完成，正在闭水试验，预计11月中旬通过验收。")
        self.receive("yw4", 11, 9, "因燃气管线迁改，2个排水单元施工受阻，已报请区住建局协调。")
        # 淮阳路社区 (yw5) catches up but never answers: from 11-11 its task is red.
        play.explain(
            units[3], self.d(11, 4), "燃气管线迁改未完成，影响2个排水单元管网施工，已报请协调。"
        )
        self.letter("xw", "QDCJ", "XW", 10, 26, (11, 6))
        self.receive("xw", 11, 3, "已组织施工单位加快推进，11月中旬完成全部5处隐患点整治。")


# ---------------------------------------------------------------------------------------------
# Loading, summarizing, deleting
# ---------------------------------------------------------------------------------------------


def present() -> bool:
    """Are there demo supervision records in the database?"""
    return Task.objects.filter(is_demo=True, code__startswith=PREFIX_2020).exists()


def _live_shift(end: datetime) -> timedelta | None:
    """Whole weeks from the default as-of to the actual one; None: no live story."""
    today = end.astimezone(clock.local_zone()).date()
    if today < LIVE_FROM:
        return None
    default = demo_cases.DEFAULT_AS_OF.date()
    return timedelta(days=7 * ((today - default).days // 7))


def load_supervision() -> dict[str, Any]:
    """Play the demo supervision; call inside the demo's transaction, after the frame."""
    started, cpu = time.perf_counter(), time.process_time()
    end = demo_cases.as_of()
    first_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    with transaction.atomic(), demo_cases.quiet_channels():
        for issuer, prefix, signature in SERIES:
            unit = Unit.objects.get(code=issuer)
            services.ensure_letter_series(issuer=unit, prefix=prefix, signature=signature)
        cast = demo_cases._Cast()
        agenda = _Agenda(end)
        play = _Play(agenda, cast)
        specs = _specs_2020()
        for spec in specs:
            play.schedule(spec, date(2020, 1, 2))
        yellow = next(s for s in specs if s.late_milestone)
        # The week after the board: the milestone is missed, the sweep turns the task red
        # and the office explains; the milestone is done on the 29th and the task is blue.
        play.sweep(yellow, date(2020, 7, 27))
        play.explain(
            yellow,
            date(2020, 7, 27),
            "西侧立面3户商户门头改造方案反复征求意见，延误4个工作日；已达成一致，7月29日完成。",
        )
        for spec in specs:
            if spec.done and spec.done > spec.deadline:
                late_day = spec.deadline + timedelta(days=1)
                while not worktime.is_workday(late_day):
                    late_day += timedelta(days=1)
                play.sweep(spec, late_day)
                play.explain(spec, late_day, "入库材料需统计部门审核，比计划晚一周，已补齐。")
        specs_2023 = _specs_2023()
        for spec in specs_2023:
            play.schedule(spec, date(2023, 1, 3))
        for spec in specs_2023:
            if spec.stall:
                play.explain(
                    spec,
                    spec.stall[0] + timedelta(days=56),
                    "受地下管线迁改协调影响进度滞后，已召开专题调度会，倒排工期加快推进。",
                )
        shift = _live_shift(end)
        live_tasks: list[Spec] = []
        if shift is not None:
            jyl, units = _live_specs(shift)
            district = _district_live(shift)
            live_tasks = jyl + units + district
            created = date(LIVE_YEAR, 1, 5) + shift
            for spec in jyl + district:
                play.schedule(spec, created if spec.start <= created else spec.start)
            for spec in units:
                play.schedule(spec, spec.start)
            _Live(play, shift, {s.code: s for s in live_tasks}).story(units)
            # The daily sweep of the last month, for the trend chart and the red
            # explanations of tasks nobody touched.
            today = end.astimezone(clock.local_zone()).date()
            for n in range(SWEEP_DAYS, -1, -1):
                day = today - timedelta(days=n)
                agenda.add(_at(day, 7), lambda: _sweep_live())
        agenda.run()
        if shift is not None:
            with clock.frozen(end):
                _sweep_live()
        Notification.objects.filter(
            pk__gt=first_notification or 0, created_at__lt=end - timedelta(days=2)
        ).update(read_at=end - timedelta(days=2))
    summary = summarize()
    summary["steps"] = dict(sorted(play.counts.items()))
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["cpu_seconds"] = round(time.process_time() - cpu, 1)
    return summary


def _sweep_live() -> None:
    """The light sweeper's step for the live demo tasks not yet lit today: the set sweep
    (:func:`workflow.relight_stale`, the same outcome as ``refresh_light`` on each) over
    the active ones."""
    today = clock.today()
    live = Q(is_demo=True, state=Task.State.ACTIVE) & _live_q()
    after: int | None = 0
    while after is not None:
        _changed, after = workflow.relight_stale(today, after=after, among=live)


def _live_q() -> Q:
    q = Q(pk__in=[])
    for prefix in LIVE_PREFIXES:
        q |= Q(code__startswith=prefix)
    return q


def _counts(tasks: Iterable[Task], day: date) -> dict[str, int]:
    return dict(Counter(colour for colour, _r in queries.lights_for(tasks, day).values()))


def summarize() -> dict[str, Any]:
    """The demo's figures, computed from the records as the boards compute them."""
    demo = Task.objects.filter(is_demo=True)
    t2020 = list(demo.filter(code__startswith=PREFIX_2020))
    t2023 = list(demo.filter(code__startswith=PREFIX_2023))
    live = list(demo.filter(_live_q()))
    today = clock.today() if clock.now() <= demo_cases.as_of() else demo_cases.as_of().date()
    return {
        "tasks": demo.count(),
        "board_2020": _counts(t2020, BOARD_2020),
        "board_2023": _counts(t2023, BOARD_2023),
        "live": _counts(live, today) if live else {},
        "inspections": Inspection.objects.filter(is_demo=True).count(),
        "findings": Finding.objects.filter(inspection__is_demo=True).count(),
        "modes": dict(
            Counter(
                Rectification.objects.filter(finding__inspection__is_demo=True).values_list(
                    "mode", flat=True
                )
            )
        ),
        "escalations": Escalation.objects.filter(finding__inspection__is_demo=True).count(),
        "letters": UrgingLetter.objects.filter(is_demo=True).count(),
    }


def delete_supervision() -> int:
    """Delete the demo supervision records: escalations, letters and inspections (with their
    findings) before the tasks they point at, sub-tasks before their parents."""
    from cityloop.demo import duty as demo_duty
    from cityloop.demo import meetings as demo_meetings
    from cityloop.demo import rounds as demo_rounds

    tasks = Task.objects.filter(is_demo=True)
    n = tasks.count()
    with transaction.atomic():
        demo_duty.delete_flood()  # a flood check protects its inspection
        demo_meetings.delete_meetings()  # a decision protects the task that carries it
        demo_rounds.delete_rounds()  # so does an escalated demand
        findings = Finding.objects.filter(Q(inspection__is_demo=True) | Q(task__in=tasks))
        Escalation.objects.filter(finding__in=findings).delete()
        UrgingLetter.objects.filter(Q(is_demo=True) | Q(tasks__in=tasks)).delete()
        inspections = Inspection.objects.filter(Q(is_demo=True) | Q(findings__in=findings))
        while inspections.exists():  # follow-ups before the rounds they follow (PROTECT)
            inspections.filter(follow_ups__isnull=True).delete()
        Task.objects.filter(is_demo=True, parent__isnull=False).delete()
        tasks.delete()
        # Actor accounts are shared with the case demo and are deleted with it.
        LetterSeries.objects.filter(issuer__is_demo=True, letters__isnull=True).delete()
    return n


def report(console, result: dict[str, Any]) -> None:
    """The printed summary line of ``cityloop demo`` (a rich console)."""
    if result.get("outcome") in (None, "skipped"):
        return
    board = result.get("board_2020", {})
    console.print(
        _(
            "Demo supervision: %(tasks)s tasks (%(outcome)s) — board of %(day2020)s: "
            "red %(red)s, yellow %(yellow)s, blue %(blue)s; %(day2023)s: %(done)s; "
            "%(inspections)s inspections, %(findings)s findings, %(letters)s urging letters"
        )
        % {
            "tasks": result.get("tasks", 0),
            "outcome": outcome_label(result["outcome"]),
            "day2020": BOARD_2020.isoformat(),
            "red": board.get(Colour.RED, 0),
            "yellow": board.get(Colour.YELLOW, 0),
            "blue": board.get(Colour.BLUE, 0),
            "day2023": BOARD_2023.isoformat(),
            "done": queries.done_sentence(result.get("board_2023", {})),
            "inspections": result.get("inspections", 0),
            "findings": result.get("findings", 0),
            "letters": result.get("letters", 0),
        }
    )
    if "seconds" in result:
        console.print(
            _("Supervision played through the workflow in %(seconds)s s")
            % {"seconds": result["seconds"]}
        )
