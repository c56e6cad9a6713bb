"""The demo's assessment and bulletins, from the seeds.

[003] 中心路街道 runs 创卫复审 with "每天一检查、一周一例会、半月一通报、每月一排名" and a
百分量化考核 of its communities; [001]/[004] are issues of 上街信息 (第 46 期, 2020-06-16;
第 35 期, 2023-06-01). The demo plays what those mechanisms run on — May and June 2020 cases
in the ten communities of 中心路街道, the street's daily 创卫 inspections with their
findings (one repeated until it becomes a confirmed deduction), the 督查小组's on-site marks
— through the real workflows, then computes the May and June rankings and compiles the two
issues: the seeds' items as units' submissions, and generated items that state the figures
the records give. Nothing here types a figure.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from cityloop.assessment import workflow as assess
from cityloop.assessment.models import Period, Scheme
from cityloop.assessment.services import ItemInput, scheme_create
from cityloop.bulletins import services as bulletin_services
from cityloop.bulletins import workflow as bulletin
from cityloop.bulletins.models import Issue, Series, Submission
from cityloop.core import clock
from cityloop.core.system import SYSTEM
from cityloop.demo import cases as demo_cases

SH = ZoneInfo("Asia/Shanghai")
SEED = 2020_0616
SCHEME = "CW-ZXL"
SERIES = "SJXX"
STREET = "410106002"  # 中心路街道
# Cases per community over May and June 2020: uneven on purpose, so the minimum-volume rule
# shows (the last community has 3 cases; its rate does not outrank one resting on 30).
VOLUMES = (30, 26, 22, 18, 16, 14, 12, 10, 8, 3)
# Share of cases replied late, by community (the rest on time).
LATE = (0.05, 0.0, 0.1, 0.15, 0.05, 0.2, 0.1, 0.3, 0.0, 0.0)

ITEMS = [
    ItemInput(
        "ontime",
        "按期结案率",
        30,
        "computed",
        "on_time_close_rate",
        {"kind": "linear", "zero": 0.6, "full": 1.0},
        min_volume=5,
        standard="按期结案率 60% 以下不得分，100% 得满分，其间按比例计分",
    ),
    ItemInput(
        "rework",
        "返工率",
        10,
        "computed",
        "reopen_rate",
        {
            "kind": "thresholds",
            "steps": [{"max": 0.05, "share": 1}, {"max": 0.1, "share": 0.6}],
            "else": 0.2,
        },
        standard="返工率 5% 以内满分，10% 以内得 6 分，其余得 2 分",
    ),
    ItemInput(
        "satisfaction",
        "群众满意率",
        15,
        "computed",
        "satisfaction_rate",
        {
            "kind": "thresholds",
            "steps": [
                {"min": 0.95, "share": 1},
                {"min": 0.85, "share": 0.7},
                {"min": 0.7, "share": 0.4},
            ],
        },
        standard="满意率 95% 以上满分，85% 以上 10.5 分，70% 以上 6 分",
    ),
    ItemInput(
        "findings",
        "创卫督查发现问题",
        15,
        "computed",
        "inspection_findings",
        {"kind": "deduction", "per": 1.5, "floor": 0},
        standard="每天一检查，每发现一处问题扣 1.5 分，扣完为止",
    ),
    ItemInput(
        "overdue",
        "逾期未整改",
        10,
        "computed",
        "overdue_rectifications",
        {"kind": "deduction", "per": 2, "floor": 0},
        standard="每有一处超过整改时限未整改扣 2 分",
    ),
    ItemInput(
        "info",
        "信息报送",
        5,
        "computed",
        "bulletin_items_submitted",
        {"kind": "thresholds", "steps": [{"min": 2, "share": 1}, {"min": 1, "share": 0.6}]},
        standard="每月报送信息 2 条以上满分，1 条得 3 分",
    ),
    ItemInput(
        "appearance",
        "市容环境实地检查",
        15,
        "entered",
        standard="街道创卫督查小组每月实地检查打分（附检查记录）",
    ),
]

# [001] 上街信息 第 46 期 (2020-06-16): (unit code, printed unit, title, body, short)
ISSUE_46 = [
    (
        "QWB",
        "",
        "我区召开高品质城市建设工作推进会",
        "6月10日，区委书记宋洁主持召开高品质城市建设工作推进会，进一步动员全区上下深化思想认识，"
        "提高工作标准，迅速掀起全区“三项工程、一项管理”工作热潮，加快推进高品质城市建设。"
        "会上，各镇办、区住建局、农委等单位负责同志还畅谈了观摩的收获和感悟。",
        False,
    ),
    (
        "ZXL",
        "中心路街道",
        "中心路街道招商“脚步不停歇”",
        "中心路街道为改变疫情以来经济发展缓慢的现状，不断改进、创新招商措施。一是新举措，促招商。"
        "召开招商引资座谈会，聘请6位知名企业家为“招商特使”。二是新模式、助发展。三是新经济、解民忧。"
        "四是新常态、强筋骨。截止目前，招商引资项目27个，其中在谈项目9个，已落地项目15个，"
        "各项指标均有所突破。",
        False,
    ),
    (
        "QSCJGJ",
        "区市场监管局",
        "",
        "6月11日，郑州市规范医用口罩生产质量管理工作现场会在我区召开，现场向企业讲解如何规范医用口罩"
        "生产质量管理，我区就“三送一强”帮扶经验进行发言，企业代表介绍了医用口罩生产情况及经验，"
        "并递交了承诺书。",
        True,
    ),
    (
        "QNW",
        "区农委",
        "",
        "今年以来，我区积极开展省级农产品质量安全创建工作，目前，已顺利通过创建工作群众满意度测评。",
        True,
    ),
    (
        "QWB",
        "区侨联",
        "",
        "6月15日，区侨联走进三湾街社区“侨胞之家”，开展全国“两会”精神宣讲活动，侨界代表32人参加。",
        True,
    ),
]

# [004] 上街信息 第 35 期 (2023-06-01)
ISSUE_35 = [
    (
        "JYL",
        "济源路街道",
        "济源路街道“无主管”楼院治理服务再升级",
        "一是党建引领强堡垒。街道招募一批党员骨干担任社区“红管家”。二是线上线下齐发力。"
        "“红管家”在微信交流群线上收集居民的“小抱怨”“小矛盾”，线下及时协调解决。三是凝心聚力促提升。"
        "街道对辖区内 63 个无主管楼院开展联建共建，做到“小事不出楼栋、大事不出小区”。至目前，"
        "为辖区居民解决网线脱落、邻里纠纷调解等身边事 400 余件。",
        False,
    ),
    (
        "XAL",
        "新安路街道",
        "新安路街道“抢、拼、实”集聚发展新活力",
        "一是“抢”的意识抓招商。二是“拼”的劲头强产业。大力推进国际陆港第二节点建设。"
        "三是“实”的举措惠民生。推进二十二街坊特色商业街区建设，高效推进 56 中拆迁改造工作。",
        False,
    ),
    (
        "QDCJ",
        "区督查局",
        "区督查局多举措推动民生实事落地见效",
        "一是压实主体责任。二是强力督导推进。严格落实“三个一”机制，一线调研、一线督导、一线落实，"
        "同时采取“督查+协办”。三是强化绩效考核。把重点民生实事纳入全区综合考评体系，"
        "继续实行周督查、月调度、季通报。至目前，我区承办的省市区民生实事任务 7 项已提前完成，"
        "其余 32 项正在加紧推进。",
        False,
    ),
    (
        "QLGBJ",
        "区委老干部局",
        "区委老干部局搭建多种平台引导老干部发挥作用",
        "一是开展“五老十团”志愿服务。二是开展各类专题调研，召开座谈会 9 场，形成调研报告 3 篇。"
        "三是开展各类文体活动，向符合条件的 69 名老党员代表颁发了纪念章。",
        False,
    ),
    (
        "QNW",
        "区农委",
        "区农委多措并举全力护航“三夏”生产",
        "一是提前会商研判。二是精准技术指导。三是加大政策扶持。发放实际种粮农民一次性补贴，"
        "涉及 677 户 30008 元。四是全力服务保障。设立“三夏”农机服务点。",
        False,
    ),
    (
        "SSTHJJ",
        "市生态环境局上街分局",
        "市生态环境局上街分局“三聚焦”持续优化营商环境",
        "一是对全区重点项目建立“一项目一包靠领导、一清单一联络员”制度。二是聚焦执法服务并重。"
        "三是聚焦普法宣传共举。目前，已累计帮助 140 余家企业提标治理。",
        False,
    ),
    (
        "QTJJ",
        "区统计局",
        "",
        "近日，区统计局着力推动首次入库“四上”企业奖励工作，2021 年全区新入“四上”企业奖励，"
        "应发 410 万元，预计于 2023 年二季度末发放到位。",
        True,
    ),
    (
        "QWB",
        "区检察院",
        "",
        "5 月 31 日，区检察院举办“检爱同行，共护花开”主题开放日活动，"
        "邀请 16 名学生及其父母参加活动。",
        True,
    ),
]


def present() -> bool:
    return Issue.objects.filter(series__code=SERIES, is_demo=True).exists()


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def _category():
    from cityloop.cases.models import Category

    leaves = Category.objects.filter(parent__isnull=False, is_active=True)
    return leaves.filter(name__contains="垃圾").first() or leaves.order_by("code").first()


def _accounts():
    """The demo's superuser plays the desk and the 城管办 (it may act anywhere); the street's
    own account verifies and visits, since whoever replied may not verify."""
    from django.contrib.auth import get_user_model

    from cityloop.demo.accounts import SUPERUSER

    users = get_user_model().objects
    return users.get(username=SUPERUSER), users.get(username="zxl-street")


def _play_cases(rng: random.Random, communities, units) -> int:
    """May and June 2020 cases in each community, through the case workflow."""
    from cityloop.cases import routing
    from cityloop.cases import workflow as cases

    admin, street = _accounts()

    category = _category()
    cgb = units["ZXL-CGB"]
    n = 0
    with routing.memo():  # the frame stays put: each office and channel list read once
        n = _play_community_cases(rng, communities, cases, admin, street, category, cgb)
    return n


def _play_community_cases(rng, communities, cases, admin, street, category, cgb) -> int:
    n = 0
    for ci, (place, volume) in enumerate(zip(communities, VOLUMES, strict=False)):
        for k in range(volume):
            day = date(2020, 5, 4) + timedelta(days=int(k * 56 / volume))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            with clock.frozen(_at(day, 9, rng.randint(0, 50))):
                case = cases.report(
                    actor=street,
                    source="hotline",
                    category=category,
                    place=place,
                    description=place.name
                    + rng.choice(["路口", "楼院门口", "背街小巷", "农贸市场旁"])
                    + rng.choice(["暴露垃圾未清运", "乱堆物料", "小广告乱贴", "绿化带垃圾"]),
                    reporter_name="市民",
                    reporter_phone="12345",
                    is_demo=True,
                )
                cases.accept(actor=street, case_id=case.pk)
                cases.dispatch(actor=street, case_id=case.pk, unit=cgb, note="请按时限处置")
            late = rng.random() < LATE[ci]
            reply_day = day + timedelta(days=9 if late else 0)
            # The category allows 2 working hours: on time is before 11:00 on the day.
            with clock.frozen(_at(reply_day, 10, 0 if late else 55)):
                cases.reply(actor=admin, case_id=case.pk, result="已清理完毕")
                if rng.random() < 0.06:
                    cases.verify(actor=street, case_id=case.pk, passed=False, note="现场仍有残留")
                    cases.reply(actor=admin, case_id=case.pk, result="残留已清理")
                cases.verify(actor=street, case_id=case.pk, passed=True)
            with clock.frozen(_at(reply_day + timedelta(days=1), 10)):
                mood = rng.random()
                sat = (
                    "satisfied"
                    if mood < 0.82
                    else "basically_satisfied"
                    if mood < 0.95
                    else "dissatisfied"
                )
                cases.return_visit(actor=street, case_id=case.pk, satisfaction=sat)
            n += 1
    return n


def _inspections(rng: random.Random, communities, committees, office) -> dict[str, Any]:
    """每天一检查: the street's 创卫 team inspects on working days of June 2020; a problem
    at 工农社区 is found unrectified three times, which makes a confirmed deduction."""
    from cityloop.supervision import services as sup_services
    from cityloop.supervision import workflow as sup
    from cityloop.supervision.models import Escalation, LightPolicy

    admin, _street = _accounts()
    LightPolicy.objects.get_or_create(active=True, defaults={"name": "默认规则"})
    found = 0
    day = date(2020, 6, 1)
    kinds = ["暴露垃圾", "乱停车", "占道经营", "小广告", "卫生死角"]
    while day <= date(2020, 6, 24):
        if day.weekday() < 5:
            with clock.frozen(_at(day, 9)):
                insp = sup_services.create_inspection(
                    actor=admin,
                    code=f"CW-ZXL-{day:%Y%m%d}",
                    kind="routine",
                    on=day,
                    subject="创卫复审日常检查",
                    team="中心路街道创卫督查组",
                    unit=office,
                    places=list(communities),
                    is_demo=True,
                )
                for ci, place in enumerate(communities):
                    # Busier communities show more problems; some days none.
                    if rng.random() < 0.10 + 0.03 * (ci % 4):
                        sup.record_finding(
                            actor=admin,
                            inspection_id=insp.pk,
                            kind=rng.choice(kinds),
                            description=place.name
                            + rng.choice(["主干道", "背街小巷", "小区出入口"])
                            + "存在问题",
                            unit=committees[place.code],
                            place=place,
                            mode="deadline",
                            due=day + timedelta(days=3),
                        )
                        found += 1
                if day in (date(2020, 6, 2), date(2020, 6, 9), date(2020, 6, 16)):
                    gn = communities[5]  # 工农社区: the same problem, still there
                    sup.record_finding(
                        actor=admin,
                        inspection_id=insp.pk,
                        kind="卫生死角",
                        description=f"{gn.name}原粮站家属院后墙卫生死角仍未清理",
                        unit=committees[gn.code],
                        place=gn,
                        mode="deadline",
                        due=day + timedelta(days=2),
                    )
                    found += 1
        day += timedelta(days=1)
    with clock.frozen(_at(date(2020, 6, 17), 10)):
        for e in Escalation.objects.filter(kind=Escalation.Kind.DEDUCTION, state="proposed"):
            sup.decide_escalation(
                actor=admin,
                escalation_id=e.pk,
                confirm=True,
                note="创卫复审问题反复出现，按细则年终考核扣分",
            )
    return {"findings": found}


def _submit(rows, day: date, units) -> list[Submission]:
    out = []
    for i, (code, label, title, body, short) in enumerate(rows):
        with clock.frozen(_at(day, 9 + i // 6, 10 * (i % 6))):
            out.append(
                bulletin.submit(
                    actor=SYSTEM,
                    series_code=SERIES,
                    unit=units[code],
                    title=title,
                    body=body,
                    short=short,
                    unit_label=label,
                    bracket=bool(label),
                    is_demo=True,
                )
            )
    return out


def load_assessment() -> dict[str, Any]:
    """Play the records, compute May and June 2020, compile 第 46 期 and 第 35 期. Call inside
    the demo's transaction, after the frame is loaded; does nothing if already there."""
    from cityloop.org.models import Place, Unit

    if present():
        return {"outcome": "unchanged"}
    rng = random.Random(SEED)
    units = {u.code: u for u in Unit.objects.filter(is_demo=True)}
    communities = list(Place.objects.filter(kind="community", parent__code=STREET).order_by("code"))
    committees = {p.code: units[f"ZXL-SQ{int(p.code[-3:]):03d}"] for p in communities}
    # The played 2020 notifies the inbox only, as the other demo loaders do: no console, SMS
    # or e-mail, and no queue write per notification.
    with transaction.atomic(), demo_cases.quiet_channels():
        series = bulletin_services.series_save(
            code=SERIES,
            title="上街信息",
            issuer=units["QWB"],
            issuer_name="中共上街区委办公室",
            send_to="区县处级领导",
            distribute_to="峡窝镇、各街道办事处、区直各单位负责同志",
            editors="高歌 金嵩尧",
            is_demo=True,
        )
        cases = _play_cases(rng, communities, units)
        found = _inspections(rng, communities, committees, units["ZXL"])
        # 信息报送: communities send short items to the bulletin in June.
        for k, place in enumerate(communities[:7]):
            for j in range(1 + (k % 3 == 0)):
                with clock.frozen(_at(date(2020, 6, 3 + 2 * k + j), 11)):
                    bulletin.submit(
                        actor=SYSTEM,
                        series_code=SERIES,
                        unit=committees[place.code],
                        short=True,
                        body=f"{place.name}组织志愿者开展创卫复审环境整治，"
                        f"清理卫生死角{3 + k + j}处。",
                        unit_label=place.name,
                        is_demo=True,
                    )
        with clock.frozen(_at(date(2020, 5, 1), 9)):
            scheme = scheme_create(
                code=SCHEME,
                name="中心路街道创卫复审百分考核",
                target_kind="community",
                period_kind="month",
                owner=units["ZXL"],
                place=communities[0].parent,
                items=ITEMS,
                praise_top=3,
                criticise_bottom=2,
                is_demo=True,
                description="《中心路街道创卫复审工作细则》：每天一检查、一周一例会、半月一通报、每月一排名",
            )
            assess.activate_scheme(actor=SYSTEM, code=SCHEME, version=scheme.version)
        for key, day in (("2020-05", date(2020, 6, 2)), ("2020-06", date(2020, 7, 2))):
            with clock.frozen(_at(day, 9)):
                assess.run_period(actor=SYSTEM, code=SCHEME, key=key, is_demo=True)
                # The month's sheet in one go: every entry with its event, scored once.
                assess.enter_points_many(
                    actor=SYSTEM,
                    code=SCHEME,
                    key=key,
                    entries=[
                        assess.PointsIn(
                            target_key=place.code,
                            item_code="appearance",
                            points=15 - round(rng.uniform(0, 4) + (i % 5) * 0.5, 1),
                            evidence=f"{key} 创卫督查小组实地检查记录第{i + 1}页（{place.name}）",
                        )
                        for i, place in enumerate(communities)
                    ],
                )
        with clock.frozen(_at(date(2020, 6, 5), 9)):
            assess.close_period(actor=SYSTEM, code=SCHEME, key="2020-05")
        # 上街信息 第 46 期
        subs = _submit(ISSUE_46, date(2020, 6, 15), units)
        with clock.frozen(_at(date(2020, 6, 15), 16)):
            for s in subs:
                bulletin.review(actor=SYSTEM, submission_id=s.pk, action="accept")
            rejected = Submission.objects.filter(series=series, state="submitted").order_by("pk")
            for s in rejected[:2]:
                bulletin.review(
                    actor=SYSTEM,
                    submission_id=s.pk,
                    action="reject",
                    note="内容与上期重复，请补充具体成效",
                )
            issue46 = bulletin.new_issue(
                actor=SYSTEM, series_code=SERIES, day=date(2020, 6, 16), number=46, is_demo=True
            )
            for s in subs:
                bulletin.place(actor=SYSTEM, issue_id=issue46.pk, submission_id=s.pk)
            bulletin.add_generated(
                actor=SYSTEM,
                issue_id=issue46.pk,
                generator="case_figures",
                unit_label="中心路街道",
                params={
                    "place": STREET,
                    "start": "2020-06-01",
                    "end": "2020-06-15",
                    "title": "中心路街道创卫复审半月通报",
                },
            )
            bulletin.add_generated(
                actor=SYSTEM,
                issue_id=issue46.pk,
                generator="ranking",
                unit_label="中心路街道",
                params={
                    "scheme": SCHEME,
                    "period": "2020-05",
                    "title": "中心路街道5月份创卫复审百分考核排名",
                },
            )
        with clock.frozen(_at(date(2020, 6, 16), 9)):
            bulletin.publish(actor=SYSTEM, issue_id=issue46.pk)
        # 上街信息 第 35 期 (2023)
        subs = _submit(ISSUE_35, date(2023, 5, 30), units)
        with clock.frozen(_at(date(2023, 5, 31), 15)):
            for s in subs:
                if s.unit.code == "QDCJ":  # the editor trims the title, keeps the unit's text
                    bulletin.review(
                        actor=SYSTEM,
                        submission_id=s.pk,
                        action="edit",
                        title="区督查局多举措推动民生实事落地见效",
                        body=s.body,
                        note="标题规范",
                    )
                else:
                    bulletin.review(actor=SYSTEM, submission_id=s.pk, action="accept")
            issue35 = bulletin.new_issue(
                actor=SYSTEM, series_code=SERIES, day=date(2023, 6, 1), number=35, is_demo=True
            )
            bulletin.compile_issue(actor=SYSTEM, issue_id=issue35.pk)
            bulletin.add_generated(
                actor=SYSTEM,
                issue_id=issue35.pk,
                generator="submissions",
                unit_label="区委办",
                params={
                    "series": SERIES,
                    "start": "2023-01-01",
                    "end": "2023-05-31",
                    "title": "今年以来各单位信息报送情况",
                },
            )
            bulletin.add_generated(
                actor=SYSTEM,
                issue_id=issue35.pk,
                generator="board",
                unit_label="区督查局",
                params={"as_of": "2023-05-31", "title": "全区重点工作“红黄蓝”督查情况"},
            )
        with clock.frozen(_at(date(2023, 6, 1), 9)):
            bulletin.publish(actor=SYSTEM, issue_id=issue35.pk)
    return summarize() | {"outcome": "loaded", "cases": cases, **found}


def summarize() -> dict[str, Any]:
    june = Period.objects.filter(code=SCHEME, key="2020-06").first()
    return {
        "schemes": Scheme.objects.filter(is_demo=True).count(),
        "june_ranking": [
            (s.rank, s.label, str(s.total))
            for s in sorted(
                june.scores.all() if june else [],
                key=lambda s: (s.rank is None, s.rank or 0, -s.total),
            )
        ],
        "issues": [str(i) for i in Issue.objects.filter(is_demo=True).order_by("year", "number")],
    }


def delete_assessment() -> None:
    """Remove the demo's assessment and bulletins (before the units they point at)."""
    from cityloop.assessment.models import Appeal, Entry, Score
    from cityloop.supervision.models import Escalation, Finding, Inspection

    Score.objects.filter(period__is_demo=True).delete()
    Entry.objects.filter(period__is_demo=True).delete()
    Appeal.objects.filter(period__is_demo=True).delete()
    Period.objects.filter(is_demo=True).delete()
    Scheme.objects.filter(is_demo=True).delete()
    Issue.objects.filter(is_demo=True).delete()
    Submission.objects.filter(is_demo=True).delete()
    Series.objects.filter(is_demo=True).delete()
    # The 创卫 inspections point at demo units (PROTECT): they go first.
    inspections = Inspection.objects.filter(code__startswith="CW-ZXL-", is_demo=True)
    Escalation.objects.filter(finding__inspection__in=inspections).delete()
    Finding.objects.filter(inspection__in=inspections).delete()
    inspections.delete()
