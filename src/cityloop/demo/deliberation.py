"""Demo deliberation (议事协商): two topics and the "1+1+1" documents, played through the
deliberation services and workflow with the clock frozen at each step.

1. 济源路街道 新华街社区 06小区 [003]: the "长城的守望" culture wall, taken through 一征三议两公开
   in spring and summer 2020 — opinions from every channel (小板凳恳谈会, 居民议事会, 意见征集单,
   微信小程序, the mobile page, 上门入户), the party organisation's proposal, the residents'
   council with an amendment, an owners' vote as a renovation-class matter (art. 278: ≥ 3/4)
   with paper and mobile ballots and one proxy, which passes; the resolution and later the
   result are published with a notice period, residents rate the wall, the topic closes.
2. 峡窝镇 晨光社区 原矿务局家属院 [003]: a parking plan put to the owners in autumn 2026 as an
   ordinary matter; too few owners vote, so it fails the 2/3 participation threshold and is
   not adopted.
3. 06小区 again, autumn 2026 [001 "老旧小区改造…重点解决好停车难、电梯加装…"]: a lift for each
   entrance of 3号楼 (加装电梯, a renovation-class matter, ≥ 3/4), each voted by the owners of
   its own entrance only (表决范围：3号楼1单元 / 3号楼2单元). 1单元: all six owners vote, five
   for — passed, published, and carried out by the 06小区 renovation project (when the demo
   projects are loaded). 2单元: five of six vote, three for and two against — participation
   is met but 3 of 5 owners is under 3/4, so it is not adopted.
4. The rules of procedure, meeting place and residents' convention of both compounds and both
   communities; 鸿泰花园 has its rules only, so the coverage view shows a gap.

Households and owners are imported from a generated table through the real import. Owners
and their phones are fictional (139 0000 7xxx). Deterministic: fixed data, a seeded random.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from cityloop.core import clock
from cityloop.deliberation import services, workflow
from cityloop.deliberation.models import CharterDocument, Household, Owner, Topic
from cityloop.demo import cases as demo_cases
from cityloop.org.models import Place
from cityloop.projects.models import Project

SH = ZoneInfo("Asia/Shanghai")
SEED = 278
COMPOUND_06 = "410106001001001"  # 新华街社区 06小区
XINHUAJIE = "410106001001"
KUANGWU = "410106100001001"  # 晨光社区 原矿务局家属院
CHENGUANG = "410106100001"
WALL_TITLE = "06小区“长城的守望”主题文化墙改造"
PARKING_TITLE = "原矿务局家属院停车管理与车位划线方案"
LIFT_PROJECT = "DEMO-JYL-06"  # 06小区老旧小区提档升级 (demo projects)
LIFT_TITLES = {"1": "06小区3号楼1单元加装电梯", "2": "06小区3号楼2单元加装电梯"}
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 林 高 罗".split()
GIVEN = "建国 秀兰 志强 桂英 德明 春燕 国庆 玉梅 卫东 丽华 海燕 宏伟 淑珍 永刚 凤英".split()


def _at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=SH)


def present() -> bool:
    """Are the demo topics in the database?"""
    titles = set(Topic.objects.filter(is_demo=True).values_list("title", flat=True))
    return {WALL_TITLE, PARKING_TITLE, *LIFT_TITLES.values()} <= titles


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _households(actor, compound: Place, buildings: int, per_building: int, rng, phone0: int):
    """Write a household table and import it like a community worker would."""
    rows = []
    n = 0
    for b in range(1, buildings + 1):
        for i in range(per_building):
            entrance, floor, door = 1 + i // 6, 1 + (i % 6) // 2, 1 + i % 2
            n += 1
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            area = f"{rng.randint(5200, 11800) / 100:.2f}"
            rows.append(
                [
                    f"{b}号楼",
                    str(entrance),
                    f"{floor}0{door}",
                    area,
                    name,
                    f"K{n:03d}",
                    f"139000{phone0 + n:05d}",
                ]
            )
    # Two units of one owner, and one unit with two co-owners: the head count differs from
    # the unit count, as it does in any real compound.
    rows[1][4:7] = rows[0][4:7]
    rows[2][4:7] = [
        f"{rows[2][4]}、{rng.choice(SURNAMES)}淑华",
        f"{rows[2][5]}、{rows[2][5]}B",
        f"{rows[2][6]}、139000{phone0 + 900:05d}",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "households.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["楼栋", "单元", "房号", "面积", "业主", "业主标识", "电话"])
            w.writerows(rows)
        report = services.households_import(actor=actor, compound=compound, path=path, is_demo=True)
    if not report.ok:  # pragma: no cover - the generated table is always valid
        raise RuntimeError(report.as_dict())
    return list(
        Household.objects.filter(compound=compound).order_by("building", "entrance", "room")
    )


def _phone_of(household: Household) -> str:
    return household.owners.order_by("pk").values_list("phone", flat=True).first() or ""


def _culture_wall(rng: random.Random) -> Topic:
    actor = _user("xhj-community")
    compound = Place.objects.get(code=COMPOUND_06)
    with clock.frozen(_at(2020, 4, 28)):
        units = _households(actor, compound, 3, 12, rng, 7000)
        topic = services.topic_create(
            actor=actor,
            place=compound,
            title=WALL_TITLE,
            rule=Topic.Rule.OWNERS_MAJOR,
            description="在06小区主干道东侧墙面建设以上街铝业记忆为主题的文化墙，同步整修墙面、"
            "增设夜间照明，经费列入老旧小区综合改造。",
            is_demo=True,
        )
    opinions = [
        (
            _at(2020, 4, 29, 19),
            "fireside",
            "希望墙上用八九十年代铝厂的老照片，大家都有回忆。",
            "李大爷",
        ),
        (
            _at(2020, 4, 30, 15),
            "council",
            "墙面先做防水处理，不然画上去两年就掉了。",
            "议事会成员 张",
        ),
        (_at(2020, 5, 2, 10), "paper_form", "支持，但施工期间不要占用停车位。", ""),
        (_at(2020, 5, 3, 21), "mini_program", "能不能加一段“长城的守望”的文字介绍？", "小程序用户"),
        (_at(2020, 5, 5, 16), "home_visit", "腿脚不便，希望施工时保持楼道口畅通。", "孙奶奶"),
    ]
    for moment, channel, text, author in opinions:
        with clock.frozen(moment):
            workflow.opinion_record(
                actor=actor,
                topic_id=topic.pk,
                channel=channel,
                text_body=text,
                author=author,
                household_id=rng.choice(units).pk,
            )
    with clock.frozen(_at(2020, 5, 6, 20)):
        workflow.opinion_public(
            code=topic.code, text_body="建议夜间灯光不要太亮，免得影响休息。", author="3号楼住户"
        )
    with clock.frozen(_at(2020, 5, 8)):
        workflow.propose(
            actor=actor,
            topic_id=topic.pk,
            body="新华街社区党委、06小区党支部",
            proposal="以“长城的守望”为主题建设文化墙：保留上街铝业的时代符号，配老照片与文字介绍；"
            "墙面先做防水，增设夜间照明；施工期 30 天，不占用停车位。",
            participants="社区党委书记、06小区党支部委员 5 人",
            documents=["提议书.pdf"],
        )
    with clock.frozen(_at(2020, 5, 12, 19)):
        workflow.deliberate(
            actor=actor,
            topic_id=topic.pk,
            attendance=15,
            minutes="居民议事会逐条讨论提议：同意主题与选址；照片由居民提供，社区统一筛选。",
            amendments="夜间照明采用暖色低亮度灯具，22 点后自动关闭。",
            participants="楼院长、楼长、居民代表、物业（自管会）代表",
            documents=["议事会纪要.pdf"],
        )
    with clock.frozen(_at(2020, 5, 15)):
        workflow.open_vote(
            actor=actor,
            topic_id=topic.pk,
            closes_on=date(2020, 5, 24),
            question="是否同意按议事会修改后的方案建设“长城的守望”主题文化墙？",
        )
        workflow.proxy_register(
            actor=actor,
            topic_id=topic.pk,
            household_id=units[5].pk,
            name="王小明",
            phone="13900007990",
            document="授权委托书（子女代为表决）",
        )
    # 33 of 36 units vote; 31 for: far above 3/4 of the participating area and owners.
    choices = ["for"] * 31 + ["against", "abstain"]
    voters = [u for i, u in enumerate(units) if i not in (1, 7, 20)]
    voters = voters[: len(choices)]
    for i, (unit, choice) in enumerate(zip(voters, choices, strict=True)):
        moment = _at(2020, 5, 16 + i % 8, 9 + i % 10)
        with clock.frozen(moment):
            if unit.pk == units[5].pk:
                workflow.ballot_mobile(
                    code=topic.code, phone="13900007990", household_id=unit.pk, choice=choice
                )
            elif i % 3 == 0:
                workflow.ballot_mobile(
                    code=topic.code, phone=_phone_of(unit), household_id=unit.pk, choice=choice
                )
            else:
                workflow.ballot_paper(
                    actor=actor,
                    topic_id=topic.pk,
                    household_id=unit.pk,
                    choice=choice,
                    ballot_no=f"06-{i + 1:03d}",
                    voter_name=unit.owners.first().name,
                )
    with clock.frozen(_at(2020, 5, 25, 9)):
        workflow.close_vote(actor=actor, topic_id=topic.pk, note="唱票、计票在议事角公开进行")
    with clock.frozen(_at(2020, 5, 25, 15)):
        workflow.publish_resolution(
            actor=actor,
            topic_id=topic.pk,
            notice_days=7,
            documents=["决议公告.jpg"],
            resolution="经业主共同决定，同意建设“长城的守望”主题文化墙（含墙面防水与夜间照明），"
            "于 6 月初开工。",
        )
    with clock.frozen(_at(2020, 6, 2)):
        workflow.start_implementation(
            actor=actor, topic_id=topic.pk, note="施工单位进场，居民监督员 2 名全程参与。"
        )
    with clock.frozen(_at(2020, 7, 10)):
        workflow.publish_result(
            actor=actor,
            topic_id=topic.pk,
            notice_days=7,
            documents=["竣工照片.jpg"],
            result="文化墙建成：运用上街区铝业制造的时代符号和 36 张老照片，墙面防水、"
            "夜间照明同步完成，费用按预算执行。",
        )
    scores = ["satisfied"] * 9 + ["basically_satisfied"] * 2
    for i, score in enumerate(scores):
        with clock.frozen(_at(2020, 7, 11 + i % 5, 20)):
            workflow.rate(
                code=topic.code,
                phone=_phone_of(units[3 + i]),
                score=score,
                note="看到它就想到了我们年轻的岁月" if i == 0 else "",
            )
    with clock.frozen(_at(2020, 7, 20)):
        workflow.close(actor=actor, topic_id=topic.pk, note="评议结束，资料归档。")
    return topic


def _parking(rng: random.Random) -> Topic:
    actor = _user("xw-street")
    compound = Place.objects.get(code=KUANGWU)
    with clock.frozen(_at(2026, 10, 9)):
        units = _households(actor, compound, 2, 12, rng, 7500)
        topic = services.topic_create(
            actor=actor,
            place=compound,
            title=PARKING_TITLE,
            rule=Topic.Rule.OWNERS_ORDINARY,
            description="楼院内划线 18 个车位，外来车辆登记进入，收取的管理费用于楼院保洁。",
            is_demo=True,
        )
        workflow.opinion_record(
            actor=actor,
            topic_id=topic.pk,
            channel="fireside",
            text_body="车越来越多，消防通道经常被堵。",
            author="楼院长 田守业",
        )
    with clock.frozen(_at(2026, 10, 13)):
        workflow.propose(
            actor=actor,
            topic_id=topic.pk,
            body="晨光社区党委、楼院临时党支部",
            proposal="划线车位 18 个，本院车辆优先，外来车辆登记。",
        )
    with clock.frozen(_at(2026, 10, 16, 19)):
        workflow.deliberate(
            actor=actor,
            topic_id=topic.pk,
            attendance=9,
            minutes="自管会讨论：多数同意，部分住户担心收费。",
            amendments="前三个月不收费，试行后再议。",
        )
    with clock.frozen(_at(2026, 10, 19)):
        workflow.open_vote(
            actor=actor,
            topic_id=topic.pk,
            closes_on=date(2026, 10, 30),
            question="是否同意楼院停车管理与车位划线方案（试行）？",
        )
    # Only 11 of 24 units vote: below 2/3 of the owners and of the area.
    for i, unit in enumerate(units[:11]):
        with clock.frozen(_at(2026, 10, 20 + i % 9, 10)):
            workflow.ballot_paper(
                actor=actor,
                topic_id=topic.pk,
                household_id=unit.pk,
                choice="for" if i % 4 else "against",
                ballot_no=f"KW-{i + 1:03d}",
            )
    with clock.frozen(_at(2026, 11, 2)):
        workflow.close_vote(
            actor=actor,
            topic_id=topic.pk,
            note="参与表决人数和面积均未达到三分之二，方案未通过，改为继续征求意见。",
        )
    return topic


def _lift(entrance: str, *, day: int) -> Topic:
    """A lift for one entrance of 06小区's 3号楼, voted by that entrance only. 1单元 passes
    (six of six vote, five for: the one against is the smallest flat, so the area in favour
    is over 5/6 too); 2单元 fails approval (five of six vote, three for: 3/5 < 3/4)."""
    actor = _user("xhj-community")
    compound = Place.objects.get(code=COMPOUND_06)
    units = list(
        Household.objects.filter(compound=compound, building="3号楼", entrance=entrance).order_by(
            "area", "room"
        )
    )
    with clock.frozen(_at(2026, 9, day)):
        topic = services.topic_create(
            actor=actor,
            place=compound,
            title=LIFT_TITLES[entrance],
            rule=Topic.Rule.OWNERS_MAJOR,
            description=f"06小区3号楼{entrance}单元为六层无电梯住宅，老年住户多，拟在楼北侧加装"
            "电梯一部，费用按楼层分摊，纳入老旧小区改造“电梯加装”项目申请补贴。",
            is_demo=True,
        )
        workflow.opinion_record(
            actor=actor,
            topic_id=topic.pk,
            channel="fireside",
            text_body="六楼的老人下楼一趟太难，早就盼着装电梯。",
            author=f"3号楼{entrance}单元住户",
        )
    with clock.frozen(_at(2026, 9, day + 3)):
        workflow.propose(
            actor=actor,
            topic_id=topic.pk,
            body="新华街社区党委、06小区党支部",
            proposal=f"3号楼{entrance}单元加装电梯一部：一楼不分摊，二至六楼按楼层递增分摊，"
            "申请老旧小区改造补贴。",
        )
    with clock.frozen(_at(2026, 9, day + 7, 19)):
        workflow.deliberate(
            actor=actor,
            topic_id=topic.pk,
            attendance=8,
            minutes="议事会讨论分摊办法：一楼住户担心采光和噪声，约定井道避开一楼窗户。",
            amendments="一楼住户不分摊费用，施工方出具采光影响说明。",
        )
    with clock.frozen(_at(2026, 9, day + 10)):
        workflow.open_vote(
            actor=actor,
            topic_id=topic.pk,
            closes_on=date(2026, 10, day + 5),
            question=f"是否同意3号楼{entrance}单元按议事会修改后的方案加装电梯？",
            electorate="entrance",
            building="3号楼",
            entrance=entrance,
        )
    if entrance == "1":
        choices = ["against"] + ["for"] * 5  # the smallest flat against
    else:
        choices = [None, "against", "against", "for", "for", "for"]  # the smallest does not vote
    for i, (unit, choice) in enumerate(zip(units, choices, strict=True)):
        if choice is None:
            continue
        with clock.frozen(_at(2026, 10, day - 10 + i, 10)):
            workflow.ballot_paper(
                actor=actor,
                topic_id=topic.pk,
                household_id=unit.pk,
                choice=choice,
                ballot_no=f"DT{entrance}-{i + 1:02d}",
                voter_name=unit.owners.first().name,
            )
    with clock.frozen(_at(2026, 10, day + 6)):
        workflow.close_vote(actor=actor, topic_id=topic.pk, note="本单元业主表决，唱票计票公开进行")
    if entrance == "1":
        with clock.frozen(_at(2026, 10, day + 6, 15)):
            workflow.publish_resolution(
                actor=actor,
                topic_id=topic.pk,
                notice_days=7,
                resolution="经3号楼1单元业主共同决定，同意在楼北侧加装电梯一部，一楼住户不分摊费用，"
                "纳入06小区老旧小区提档升级工程实施。",
            )
        # The 06小区 renovation project (demo projects, loaded before deliberation by the demo
        # command) carries the lift out; without the projects demo there is nothing to link.
        project = Project.objects.filter(code=LIFT_PROJECT, is_demo=True).first()
        if project is not None:
            with clock.frozen(_at(2026, 10, day + 8)):
                workflow.link_project(
                    actor=actor,
                    topic_id=topic.pk,
                    project_id=project.pk,
                    note="电梯加装列入06小区提档升级工程",
                )
    return topic


DOCUMENTS = {
    "rules_of_procedure": (
        "议事准则",
        "一、议事范围：楼院公共事务……\n二、议事程序：一征三议两公开……"
        "\n三、表决规则：按《民法典》第二百七十八条计算面积与人数。",
    ),
    "residents_convention": (
        "居民公约",
        "爱护公共设施，垃圾分类投放；车辆有序停放，不占消防通道；邻里互助，文明养犬。",
    ),
}


def _charter(
    place: Place,
    actor,
    *,
    adopted: date,
    meeting: tuple[str, int] | None,
    kinds=("rules_of_procedure", "meeting_place", "residents_convention"),
) -> int:
    n = 0
    with clock.frozen(_at(adopted.year, adopted.month, adopted.day)):
        for kind in kinds:
            if kind == "meeting_place":
                address, capacity = meeting or (f"{place.name}议事角", 30)
                services.document_publish(
                    actor=actor,
                    place=place,
                    kind=kind,
                    title=f"{place.name}议事场所",
                    address=address,
                    capacity=capacity,
                    adopted_on=adopted,
                    is_demo=True,
                )
            else:
                title, text = DOCUMENTS[kind]
                services.document_publish(
                    actor=actor,
                    place=place,
                    kind=kind,
                    title=f"{place.name}{title}",
                    text_body=text,
                    adopted_on=adopted,
                    is_demo=True,
                )
            n += 1
    return n


def _charters() -> int:
    xhj, xw = _user("xhj-community"), _user("xw-street")
    n = _charter(
        Place.objects.get(code=XINHUAJIE),
        xhj,
        adopted=date(2019, 9, 10),
        meeting=("新华街社区党群服务中心二楼议事厅", 60),
    )
    n += _charter(
        Place.objects.get(code=COMPOUND_06),
        xhj,
        adopted=date(2019, 10, 8),
        meeting=("06小区2号楼东侧“小板凳”议事角", 30),
    )
    # The 06小区 convention was revised after the culture wall: a second version.
    with clock.frozen(_at(2020, 8, 3)):
        services.document_publish(
            actor=xhj,
            place=Place.objects.get(code=COMPOUND_06),
            kind="residents_convention",
            title="06小区居民公约（2020年修订）",
            adopted_on=date(2020, 8, 3),
            is_demo=True,
            text_body=DOCUMENTS["residents_convention"][1] + "爱护文化墙，不在墙面张贴小广告。",
        )
    n += 1
    n += _charter(
        Place.objects.get(code=CHENGUANG),
        xw,
        adopted=date(2020, 3, 2),
        meeting=("晨光社区居委会一楼会议室", 40),
    )
    n += _charter(
        Place.objects.get(code=KUANGWU),
        xw,
        adopted=date(2020, 4, 15),
        meeting=("原矿务局家属院自管会活动室", 20),
    )
    hongtai = Place.objects.filter(name="鸿泰花园", kind=Place.Kind.COMPOUND).first()
    if hongtai is not None:  # rules only: the coverage view shows the gap
        n += _charter(
            hongtai, xw, adopted=date(2020, 5, 6), meeting=None, kinds=("rules_of_procedure",)
        )
    return n


def delete_deliberation() -> None:
    """Delete the demo topics (their steps, votes, ballots and events go with them), the demo
    documents, owners and households."""
    with transaction.atomic():
        Topic.objects.filter(is_demo=True).delete()
        CharterDocument.objects.filter(is_demo=True).delete()
        Owner.objects.filter(is_demo=True).delete()
        Household.objects.filter(is_demo=True).delete()


def summarize() -> dict[str, Any]:
    topics = list(Topic.objects.filter(is_demo=True).select_related("vote"))
    return {
        "topics": len(topics),
        "stages": dict(Counter(t.stage for t in topics)),
        "votes": {t.title: t.vote.passed for t in topics if hasattr(t, "vote")},
        "documents": CharterDocument.objects.filter(is_demo=True).count(),
    }


def load_deliberation() -> dict[str, Any]:
    """Play the demo deliberation (replacing an earlier one). Returns :func:`summarize`."""
    rng = random.Random(SEED)
    with transaction.atomic(), demo_cases.quiet_channels():  # the played past: inbox only
        delete_deliberation()
        _culture_wall(rng)
        _parking(rng)
        _lift("1", day=11)
        _lift("2", day=12)
        documents = _charters()
    return {**summarize(), "documents_written": documents}


def ensure(stdout=None) -> dict[str, Any]:
    """For the demo command: play unless already there; print one line."""
    if present():
        result = {"outcome": "unchanged", **summarize()}
    else:
        result = {"outcome": "loaded", **load_deliberation()}
    if stdout is not None:
        votes = "；".join(f"{k}：{'通过' if v else '未通过'}" for k, v in result["votes"].items())
        stdout.write(
            f"议事协商 deliberation: {result['topics']} 个议题 topics ({result['outcome']}), "
            f"{result['documents']} 份“1+1+1”文件 documents — {votes}\n"
        )
    return result
