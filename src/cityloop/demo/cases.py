"""Demo cases: six months of the case loop in the demo district, played through the workflow.

Every case is reported and moved by :mod:`cityloop.cases.workflow` — the same functions the
pages and the API call — with the clock frozen at the moment of each step, so the timeline,
the deadlines, the lights and the figures are exactly what real use would have produced.
Nothing about a case's state is written here.

What is played (seeds cited as in :mod:`.dataset`):

* the 红管家 channel [004]: in every 无主管 compound of 济源路街道 the red steward enters what
  residents said in the compound's WeChat group (source ``steward``, ``on_behalf_of`` such as
  "06小区居民群 · 王大爷"); most matters are handled inside the compound by the steward under
  the community committee (小事不出楼栋、大事不出小区), a few are escalated; more than 400
  of them are closed, as the seed says ("解决……身边事 400 余件");
* 晨光社区 [003]: building heads and compound heads report and handle their own buildings;
* patrol reports by the road chiefs of 济源路街道's 71 roads [000] and of the other streets,
  resident reports, 12345 hotline cases (with the hotline's number), supervision findings;
* a realistic mix of outcomes: mostly closed on time and visited back, some reworked after a
  failed verification, reopened after a dissatisfied visit, escalated, sent back, rejected,
  merged as duplicates, suspended or extended, and cases still open at the as-of moment,
  some near their limit (yellow) and some overdue (red).

The story of each case is a generator: it takes a step, then says when its next step is due.
One heap runs all stories and an hourly light sweep in time order up to the as-of moment
(:func:`as_of`), so a later report can be merged into an earlier one that is still open, and
lights turn yellow and red when they would have. A story whose next step falls after the
as-of moment stops there: that case is open now.

The people who act are the demo accounts (``accounts.py``) and, for the many stewards, grid
workers, road chiefs and street desks of the demo data, accounts made here for those people
("actor" accounts: no password, they cannot log in; their names show in the timelines).
Notifications written while the past is played are inbox rows already delivered; nothing is
sent through the outside channels.

Deterministic: one seeded ``random.Random`` draws everything, so two loads give the same
cases (their tracking codes, random by design, differ).
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from cityloop.cases import deadlines, routing, workflow
from cityloop.cases.models import Case, Category, Level, LimitType, Stage
from cityloop.cases.queries import visible_cases
from cityloop.core import clock, worktime
from cityloop.core.errors import Conflict
from cityloop.core.models import Notification
from cityloop.demo import dataset as ds
from cityloop.org import services
from cityloop.org.models import Person, Place, Unit, Zone, ZoneRole

SH = ZoneInfo("Asia/Shanghai")
# The moment the demo stands at, unless CITYLOOP_AS_OF says otherwise: a Friday evening.
DEFAULT_AS_OF = datetime(2026, 11, 20, 17, 30, tzinfo=SH)
PERIOD_DAYS = 184  # the six months before the as-of moment
SEED = 410106
ACTOR_PREFIX = "actor-"  # accounts made for the demo's people so they can act; no password
SWEEP_HOURS = (9, 12, 15, 18)  # local hours of the light sweep while the past is played

JYL_STREET = "410106001"
CHENGUANG = "410106100001"

S = Case.Status


# The moment ``cityloop demo`` loads at (see :func:`stand_at`); None: DEFAULT_AS_OF.
_standing: datetime | None = None


def stand_at(moment: datetime | None) -> None:
    """Make the demo's live story stand at ``moment`` (the command: the day it is loaded).

    Tests and the seeds' dated boards keep :data:`DEFAULT_AS_OF`; ``cityloop demo`` passes
    the current time so that a newcomer opening the demo weeks later still sees open cases
    with a realistic mix of lights rather than everything overdue.
    """
    global _standing
    _standing = moment


def as_of() -> datetime:
    """The demo's "now": ``CITYLOOP_AS_OF`` when set, else the moment it was told to stand
    at (:func:`stand_at`), else :data:`DEFAULT_AS_OF`."""
    if getattr(settings.CITYLOOP, "as_of", None) is None and _standing is not None:
        return _standing.astimezone(ZoneInfo("UTC"))
    return pinned_as_of()


def pinned_as_of() -> datetime:
    """``CITYLOOP_AS_OF`` when set, else :data:`DEFAULT_AS_OF`: the "now" that names a demo
    (its fingerprint), whatever moment the command stood it at."""
    moment = getattr(settings.CITYLOOP, "as_of", None) or DEFAULT_AS_OF
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local_zone())
    return moment.astimezone(ZoneInfo("UTC"))


def present() -> bool:
    """Are there demo cases in the database?"""
    return Case.objects.filter(is_demo=True).exists()


def latest_moment() -> datetime | None:
    """When the newest demo case was reported: how far the loaded story reaches."""
    return (
        Case.objects.filter(is_demo=True)
        .order_by("-reported_at")
        .values_list("reported_at", flat=True)
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Texts: what residents, road chiefs and the hotline say, and what the units answer
# ---------------------------------------------------------------------------------------------

# Category (leaf name) → complaint templates. Slots: {b} building, {u} entrance, {f} floor,
# {road}, {pos} (a spot on the road), {place} (compound or road), {n} a small number.
STEWARD_TEXTS: dict[str, tuple[str, ...]] = {
    "乱堆物堆料": (
        "{b}号楼{u}单元楼道里堆了旧沙发、纸箱和废旧自行车，过道只剩一半，老人上下楼不方便，"
        "也有消防隐患。",
        "{b}号楼楼梯间拐角堆放杂物好几个月了，不知道是谁家的，希望统一清理。",
        "{b}号楼西侧空地被人堆了旧门窗和碎砖，下雨后积水，蚊子特别多。",
        "{b}号楼{u}单元一楼楼道被住户放了腌菜缸和旧柜子，推轮椅过不去。",
    ),
    "楼道灯不亮": (
        "{b}号楼{u}单元{f}楼楼道灯不亮好几天了，晚上上下楼只能打手电，老人不敢出门。",
        "{b}号楼{u}单元声控灯时亮时不亮，一楼到三楼晚上全黑。",
    ),
    "单元门损坏": (
        "{b}号楼{u}单元门锁坏了，门关不上，晚上经常有外人进出，住户不放心。",
        "{b}号楼{u}单元门闭门器掉了，门来回撞，声音很大，还夹过小孩的手。",
    ),
    "架空线缆杂乱": (
        "{b}号楼东侧一根网线从楼上脱落，垂下来离地不到两米，电动车进出容易挂住。",
        "{b}号楼有住户从{f}楼窗户拉电线下来给电动车充电（飞线充电），晚上一直插着，大家担心起火。",
        "院门口电线、网线缠成一团挂在树上，有一根已经断了耷拉下来。",
    ),
    "垃圾满溢": (
        "院里垃圾桶满了两天没人清运，垃圾袋堆在桶边，天热有异味、招苍蝇。",
        "{b}号楼旁边的垃圾桶已经溢出来了，野猫扒得满地都是。",
    ),
    "暴露垃圾": ("{b}号楼后面有人乱倒生活垃圾，堆成一小堆，没人管。",),
    "积存垃圾渣土": ("{b}号楼前有住户装修后的建筑垃圾一直没清走，已经堆了一个多星期。",),
    "非机动车乱停放": (
        "电动车都停在{b}号楼单元门口和楼道里，推婴儿车过不去。",
        "院里自行车、电动车乱停，消防通道被堵死了。",
    ),
    "绿地脏乱": ("院内绿化带里塑料袋、落叶很多，还有人在里面种菜搭架子。",),
    "健身器材损坏": ("院里健身器材的扶手松了，螺丝掉了两颗，孩子玩的时候晃得厉害。",),
    "小广告": ("单元门和楼道墙上贴满了开锁、通下水道的小广告，刚清理没几天又贴上了。",),
    "花坛花箱损坏": ("院门口花坛边砖被车撞坏了，碎砖散了一地。",),
    "垃圾箱损坏": ("院里的垃圾桶盖子坏了、桶底也漏了，脏水流一地。",),
    "噪音扰民": (
        "{b}号楼{f}楼住户晚上十一点以后还在打麻将，楼下老人休息不好，两家已经吵过一次。",
        "{b}号楼有住户在家里跳绳、拖椅子，声音很大，邻里之间有矛盾，希望帮忙调解。",
    ),
    "下水道堵塞冒溢": ("{b}号楼前下水井堵了，污水漫到院子里，臭味很大。",),
    "违法建设": ("{b}号楼一楼住户在院内私搭彩钢棚，占了公共通道，其他住户有意见。",),
}
STEWARD_WEIGHTS = {
    "乱堆物堆料": 16,
    "楼道灯不亮": 16,
    "单元门损坏": 12,
    "架空线缆杂乱": 4,
    "垃圾满溢": 9,
    "暴露垃圾": 5,
    "积存垃圾渣土": 5,
    "非机动车乱停放": 8,
    "绿地脏乱": 5,
    "健身器材损坏": 4,
    "小广告": 6,
    "花坛花箱损坏": 2,
    "垃圾箱损坏": 4,
    "噪音扰民": 3,
    "下水道堵塞冒溢": 3,
    "违法建设": 2,
}
ROAD_TEXTS: dict[str, tuple[str, ...]] = {
    "占道经营": (
        "{road}{pos}有流动摊贩占用人行道卖水果，影响行人通行。",
        "{road}{pos}早市摊点占道经营，机动车道被占了一半。",
    ),
    "店外经营": ("{road}{pos}一家{shop}把货架和桌椅摆到店外人行道上。",),
    "乱停乱放": ("{road}{pos}机动车占用人行道停放，行人只能走机动车道。",),
    "井盖破损": ("{road}{pos}人行道上一处井盖破裂下沉，行人容易踩空。",),
    "井盖缺失": ("{road}{pos}非机动车道上一处井盖丢失，已用锥桶临时围挡，请尽快处理。",),
    "路灯不亮": ("{road}{pos}连续{n}盏路灯不亮，晚上这一段很暗。",),
    "道路不洁": ("{road}{pos}路面有大片油污和泥土，疑似车辆遗撒。",),
    "人行道板破损": ("{road}{pos}人行道板松动翘起{n}块，雨天踩上去溅水。",),
    "护栏损坏": ("{road}{pos}道路中间护栏被撞倒{n}节。",),
    "小广告": ("{road}{pos}电线杆和配电箱上贴满了小广告。",),
    "违规户外广告": ("{road}{pos}一家{shop}私自在门头上加装大型广告牌，未见审批手续。",),
    "占道广告牌": ("{road}{pos}{shop}把落地广告牌摆在盲道上。",),
    "露天烧烤": ("{road}{pos}晚上有烧烤摊在人行道上露天烧烤，油烟很大。",),
    "非机动车乱停放": ("{road}{pos}共享单车堆放杂乱，占用盲道。",),
    "行道树缺株": ("{road}{pos}有{n}处行道树缺株，树穴裸露。",),
    "施工废弃料": ("{road}{pos}路边堆放施工废弃料，没有覆盖。",),
    "暴露垃圾": ("{road}{pos}绿化带边有人倾倒生活垃圾。",),
    "渣土车遗撒": ("{road}{pos}有渣土车遗撒，路面一长串泥土。",),
    "道路破损": ("{road}{pos}机动车道出现坑槽，约一平方米，车辆经过颠簸。",),
}
PATROL_WEIGHTS = {
    "占道经营": 14,
    "店外经营": 10,
    "乱停乱放": 8,
    "井盖破损": 5,
    "井盖缺失": 2,
    "路灯不亮": 7,
    "道路不洁": 6,
    "人行道板破损": 5,
    "护栏损坏": 2,
    "小广告": 8,
    "违规户外广告": 4,
    "占道广告牌": 5,
    "露天烧烤": 4,
    "非机动车乱停放": 6,
    "行道树缺株": 2,
    "施工废弃料": 3,
    "暴露垃圾": 4,
    "渣土车遗撒": 2,
    "道路破损": 3,
}
HOTLINE_TEXTS: dict[str, tuple[str, ...]] = {
    "噪音扰民": (
        "市民来电反映：{place}附近一家{shop}每晚音响声音很大，到十一点还不停，影响休息。",
        "市民来电反映：{place}楼下有人夜间施工，电钻声到半夜，希望相关部门处理。",
    ),
    "油烟扰民": ("市民来电反映：{place}楼下一家饭店油烟直排，家里窗户都不敢开。",),
    "下水道堵塞冒溢": ("市民来电反映：{place}门口下水道堵塞，污水外溢多日。",),
    "路灯不亮": ("市民来电反映：{road}{pos}路灯晚上不亮，已经一个星期了。",),
    "积水内涝": ("市民来电反映：{road}{pos}一下雨就积水，深处没过脚踝，行人无法通过。",),
    "自来水管破裂": ("市民来电反映：{place}附近地下自来水管破裂，水一直往外冒。",),
    "城市建设和市政管理": (
        "市民来电反映：{place}周边道路施工围挡拆除后路面一直没有恢复，坑洼不平。",
        "市民来电反映：{place}门口的公交站台顶棚破损，下雨没处躲。",
    ),
    "住房保障与房地产": (
        "市民来电咨询：{place}老旧小区改造什么时候开始，能否加装电梯。",
        "市民来电反映：{place}房产证迟迟办不下来，开发商一直推脱。",
    ),
    "房屋安全隐患": ("市民来电反映：{place}{b}号楼外墙皮大块脱落，担心砸到行人。",),
    "占道经营": ("市民来电反映：{road}早市摊贩占道经营，早上车辆无法通行。",),
    "环境污染": ("市民来电反映：{place}附近夜间有刺鼻气味，怀疑有小作坊偷排。",),
    "非机动车乱停放": ("市民来电反映：{road}{pos}共享单车乱停乱放，堵住小区出入口。",),
    "乱堆物堆料": ("市民来电反映：{place}{b}号楼楼道堆满杂物，多次协调无果。",),
}
ON_ROADS = {"路灯不亮", "积水内涝", "占道经营", "非机动车乱停放"}  # said of a road
HOTLINE_WEIGHTS = {
    "噪音扰民": 12,
    "油烟扰民": 8,
    "下水道堵塞冒溢": 7,
    "路灯不亮": 7,
    "积水内涝": 3,
    "自来水管破裂": 3,
    "城市建设和市政管理": 9,
    "住房保障与房地产": 5,
    "房屋安全隐患": 4,
    "占道经营": 7,
    "环境污染": 4,
    "非机动车乱停放": 4,
    "乱堆物堆料": 5,
}
RESIDENT_TEXTS: dict[str, tuple[str, ...]] = {
    "乱堆物堆料": ("我家楼下{b}号楼{u}单元楼道里堆满了杂物，上下楼很不方便。",),
    "楼道灯不亮": ("{b}号楼{u}单元楼道灯坏了，晚上漆黑一片。",),
    "垃圾满溢": ("小区垃圾桶满了没人清，味道很大。",),
    "非机动车乱停放": ("电动车停在单元门口，堵住了出入口。",),
    "小广告": ("楼道里小广告贴得到处都是。",),
    "噪音扰民": ("楼上住户每天晚上很吵，影响休息。",),
    "健身器材损坏": ("小区健身器材坏了，存在安全隐患。",),
    "绿地脏乱": ("小区绿地里全是垃圾，没人打扫。",),
    "下水道堵塞冒溢": ("小区下水道堵了，污水冒出来了。",),
    "架空线缆杂乱": ("楼外电线乱拉，有住户飞线给电动车充电。",),
}
RESIDENT_WEIGHTS = {
    "乱堆物堆料": 8,
    "楼道灯不亮": 6,
    "垃圾满溢": 6,
    "非机动车乱停放": 5,
    "小广告": 4,
    "噪音扰民": 5,
    "健身器材损坏": 3,
    "绿地脏乱": 3,
    "下水道堵塞冒溢": 3,
    "架空线缆杂乱": 3,
}
SUPERVISION_TEXTS: dict[str, tuple[str, ...]] = {
    "违规户外广告": ("督查发现：{road}{pos}{shop}门头广告牌未经审批设置，存在安全隐患。",),
    "工地扬尘": (
        "督查发现：{road}{pos}在建工地裸土未覆盖，车辆出入未冲洗，扬尘明显。",
        "督查发现：{road}{pos}工地围挡破损，渣土外露。",
    ),
    "积存垃圾渣土": ("督查发现：{road}{pos}积存垃圾渣土约{n}立方米，未及时清运。",),
    "绿地脏乱": ("督查发现：{road}{pos}绿化带内垃圾、杂物较多，管护不到位。",),
    "道路不洁": ("督查发现：{road}{pos}路面清扫保洁不到位，有明显积尘。",),
    "施工废弃料": ("督查发现：{road}{pos}施工废弃料堆放未覆盖。",),
    "乱堆物堆料": ("督查发现：{place}院内乱堆物堆料，楼道杂物未清理。",),
}
SUPERVISION_WEIGHTS = {
    "违规户外广告": 4,
    "工地扬尘": 6,
    "积存垃圾渣土": 5,
    "绿地脏乱": 4,
    "道路不洁": 4,
    "施工废弃料": 3,
    "乱堆物堆料": 4,
}
ALL_CATEGORY_NAMES = sorted(
    set(STEWARD_WEIGHTS)
    | set(PATROL_WEIGHTS)
    | set(HOTLINE_WEIGHTS)
    | set(RESIDENT_WEIGHTS)
    | set(SUPERVISION_WEIGHTS)
)

REPLIES: dict[str, tuple[str, ...]] = {
    "乱堆物堆料": (
        "已在居民群和楼道张贴通知，联系住户认领；无人认领的杂物由红管家和志愿者统一清运，"
        "楼道已畅通。",
        "与堆放住户沟通后，住户已自行清理，楼道恢复通畅。",
    ),
    "楼道灯不亮": ("已联系电工更换声控灯和开关，测试正常。", "已更换灯泡和线路接头，楼道灯恢复。"),
    "单元门损坏": ("已更换单元门锁芯，门可正常关闭。", "已重新安装闭门器并调试。"),
    "架空线缆杂乱": (
        "已联系运营商对脱落网线重新绑扎固定。",
        "已上门劝导住户拆除飞线，引导到院内充电桩充电，并在群里宣传用电安全。",
    ),
    "垃圾满溢": ("已联系环卫清运，并约定每天早晚各清运一次。",),
    "暴露垃圾": ("已组织清理，并在该处张贴禁止乱倒垃圾提示。",),
    "积存垃圾渣土": ("已督促装修住户清运建筑垃圾，现场已清理干净。",),
    "非机动车乱停放": ("已在院内划定非机动车停放区，劝导住户规范停放。",),
    "绿地脏乱": ("已组织党员志愿者清理绿化带，拆除私搭菜架。",),
    "健身器材损坏": ("已联系厂家维修加固，器材可正常使用。",),
    "小广告": ("已组织志愿者铲除小广告，并对张贴号码进行提醒。",),
    "花坛花箱损坏": ("已修补花坛边砖。",),
    "垃圾箱损坏": ("已更换新垃圾桶。",),
    "噪音扰民": (
        "已上门沟通调解，双方约定晚十点后不再有噪音，邻里和好。",
        "已现场劝导，噪音已停止，并告知相关规定。",
    ),
    "下水道堵塞冒溢": ("已联系疏通，下水道恢复通畅，现场已冲洗。",),
    "违法建设": ("已依法下达整改通知，当事人已自行拆除彩钢棚。",),
    "占道经营": ("已到场劝离摊贩，人行道恢复通行。", "已规劝摊贩入市经营，现场已清理。"),
    "店外经营": ("已责令店主将货架桌椅收回店内。",),
    "乱停乱放": ("已张贴违停告知单并联系车主挪车。",),
    "井盖破损": ("已联系权属单位更换井盖并恢复平整。",),
    "井盖缺失": ("已连夜补装井盖，撤除围挡。",),
    "路灯不亮": ("已联系路灯所更换灯具，路灯恢复照明。",),
    "道路不洁": ("已安排洒水车冲洗路面。",),
    "人行道板破损": ("已更换破损人行道板。",),
    "护栏损坏": ("已扶正并更换损坏护栏。",),
    "违规户外广告": ("已责令店主拆除违规广告牌。",),
    "占道广告牌": ("已责令店主收回落地广告牌。",),
    "露天烧烤": ("已取缔露天烧烤摊点。",),
    "行道树缺株": ("已补植行道树。",),
    "施工废弃料": ("已督促施工单位清运并覆盖。",),
    "渣土车遗撒": ("已查找遗撒车辆所属公司并责令清洗路面。",),
    "道路破损": ("已对坑槽进行修补。",),
    "油烟扰民": ("已责令饭店加装油烟净化设备，复查达标。",),
    "积水内涝": ("已疏通雨水管道，积水排除。",),
    "自来水管破裂": ("已联系自来水公司抢修，恢复供水。",),
    "城市建设和市政管理": ("已协调施工单位恢复路面。", "已联系公交公司维修站台。"),
    "住房保障与房地产": ("已向来电人答复政策及办理进度。",),
    "房屋安全隐患": ("已清除松动墙皮并设置警示围挡，纳入老旧小区改造计划。",),
    "环境污染": ("已会同生态环境部门排查，取缔一处无证小作坊。",),
    "工地扬尘": ("已责令工地覆盖裸土、设置冲洗设施，复查合格。",),
}
GENERIC_REPLY = "已到现场处置完毕，现场已恢复正常。"
REWORK_NOTES = (
    "现场核查：只处理了一部分，仍有遗留，请继续处置。",
    "现场核查：问题仍然存在，与反馈情况不符。",
    "现场核查：处置后又出现反弹，请彻底解决。",
)
DISSATISFIED_NOTES = (
    "居民表示问题反复出现，治标不治本。",
    "居民表示处理时间太长。",
    "居民表示处理后没几天又恢复原样。",
)
BASICALLY_NOTES = ("居民表示基本解决，希望以后多巡查。", "居民表示处理还算及时。")
SATISFIED_NOTES = ("居民表示满意。", "居民对处理结果很满意，在群里表示感谢。", "")
REJECT_REASONS = (
    "反映的是住户家中自有管道问题，属业主自行维修范围，已告知联系维修单位。",
    "反映事项属于民事纠纷，已引导通过人民调解途径解决。",
    "经现场核实，未发现所反映问题。",
    "反映事项不属于本辖区，已告知向所属区反映。",
)
ESCALATE_REASONS = {
    Level.BUILDING: "需更换整段线路，楼栋无力解决，提请楼院统一处理。",
    Level.COMPOUND: "楼院自管会协调不了，提请社区处理。",
    Level.COMMUNITY: "当事人拒不整改，社区和楼院协调无果，提请街道依法处理。",
    Level.STREET: "涉及房屋结构安全，超出街道处置能力，提请区级部门处理。",
}
SEND_BACK_REASONS = {
    "cgb": "该事项属生态环境问题，应由生态办处理，请改派。",
    "qcgj": "该事项属房屋安全，应由区住建局处理，请改派。",
}
SUSPEND_REASONS = (
    "需等供电部门停电检修后才能施工。",
    "当事人外出务工，暂时无法入户处理。",
)
EXTEND_REASONS = ("需采购配件，申请延期。", "需协调多户住户共同出资，申请延期。")

WHO = (
    "王大爷 李阿姨 张奶奶 刘师傅 陈姐 赵大哥 孙老师 周阿姨 吴大爷 郑女士 杨叔 马阿姨 "
    "胡大姐 高师傅 林奶奶 何先生 郭阿姨 罗大爷 宋大姐 谢师傅 韩奶奶 唐阿姨 冯大爷 于老师"
).split()
SHOPS = "水果店 烟酒店 小吃店 烧烤店 五金店 超市 理发店 修车铺 早餐店 饭店".split()
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 林 高 罗".split()
RESIDENT_PHONES = 5000  # residents' fake numbers: 139 0000 5000 …


# ---------------------------------------------------------------------------------------------
# The cast: who plays each part
# ---------------------------------------------------------------------------------------------


class DemoCasesError(Conflict):
    """The demo cases cannot be played (categories or demo accounts missing)."""


class _Cast:
    """Accounts by part. Demo accounts where the demo has one for the part; otherwise an actor
    account for the demo person who holds it (made once, reused by later loads)."""

    def __init__(self) -> None:
        from cityloop.demo.accounts import DEMO_ACCOUNTS

        User = get_user_model()
        usernames = [row[0] for row in DEMO_ACCOUNTS]
        self.users: dict[str, Any] = {
            u.username: u for u in User.objects.filter(username__in=usernames)
        }
        self.by_person: dict[int, Any] = {}
        self.made = 0
        self.units = {u.code: u for u in Unit.objects.filter(is_demo=True)}
        self.places = {
            p.code: p for p in Place.objects.filter(is_demo=True).order_by("depth", "code")
        }
        self.grid_workers: dict[str, Person] = {}
        self.stewards: dict[str, Person] = {}
        self.building_heads: dict[str, Person] = {}
        self.compound_heads: dict[str, Person] = {}
        self.road_chiefs: dict[str, list[tuple[str, Person]]] = {}
        roles = ZoneRole.objects.filter(is_demo=True).select_related("person", "zone", "place")
        for duty in roles.order_by("zone__code", "place__code", "level", "person__code"):
            p = duty.person
            if duty.role == ZoneRole.Role.GRID_WORKER:
                self.grid_workers[duty.zone.code] = p
            elif duty.role == ZoneRole.Role.RED_STEWARD:
                self.stewards[duty.place.code] = p
            elif duty.role == ZoneRole.Role.BUILDING_HEAD:
                self.building_heads[duty.place.code] = p
            elif duty.role == ZoneRole.Role.COMPOUND_HEAD:
                self.compound_heads[duty.place.code] = p
            elif duty.role == ZoneRole.Role.ROAD_CHIEF:
                self.road_chiefs.setdefault(duty.zone.code, []).append((duty.level, p))
        self.people = {p.code: p for p in Person.objects.filter(is_demo=True)}
        self.place_code = {p.pk: code for code, p in self.places.items()}
        by_pk = {u.pk: u for u in self.users.values()}
        linked = Person.objects.filter(is_demo=True, user__in=list(by_pk))
        for person_pk, user_pk in linked.values_list("pk", "user"):
            self.by_person[person_pk] = by_pk[user_pk]

    def account(self, username: str):
        try:
            return self.users[username]
        except KeyError:
            raise DemoCasesError(
                "demo_account_missing",
                _("The demo account %(user)s is missing; load the demo district first.")
                % {"user": username},
            ) from None

    def of(self, person: Person, roles: Iterable[str]):
        """The account of ``person``; an actor account with ``roles`` if it has none."""
        user = self.by_person.get(person.pk)
        if user is not None:
            return user
        User = get_user_model()
        username = f"{ACTOR_PREFIX}{person.code.lower()}"
        existing = User.objects.filter(username=username).first()
        roles = sorted(roles)
        if existing is None or sorted(existing.groups.values_list("name", flat=True)) != roles:
            self.made += existing is None
            services.account_save(
                actor=None,
                username=username,
                password=None,
                roles=roles,
                person=person,
                name=person.name,
                is_demo=True,
            )
        user = User.objects.get(username=username)
        self.by_person[person.pk] = user
        return user

    # --- parts ---------------------------------------------------------------------------

    def community_desk(self, community: str):
        """Accepts, dispatches, verifies and visits back for a community: the committee's
        worker (the first grid's worker doubles as community worker)."""
        if community == "410106001001":
            return self.account("xhj-community")
        return self.of(self.grid_workers[f"G-{community}-01"], ("community_worker", "grid_worker"))

    def community_handler(self, community: str):
        """Handles what the committee is given: the worker of the community's first grid
        (新华街社区) or second grid (elsewhere)."""
        if community == "410106001001":
            return self.account("demo-grid")
        return self.of(self.grid_workers[f"G-{community}-02"], ("grid_worker",))

    def street_desk(self, unit_code: str):
        accounts = {"JYL": "jyl-street", "ZXL": "zxl-street", "XW": "xw-street"}
        if unit_code in accounts:
            return self.account(accounts[unit_code])
        return self.of(self.people[f"P-SS-{unit_code}"], ("street_staff",))

    def desk_of(self, unit: Unit | None):
        """The desk of the unit that dispatches a case."""
        if unit is not None and unit.kind == Unit.Kind.COMMUNITY_COMMITTEE:
            return self.community_desk(self.place_code[unit.place_id])
        if unit is not None and unit.kind == Unit.Kind.STREET_OFFICE:
            return self.street_desk(unit.code)
        return self.account("demo-dcc")  # the district's desk

    def replier_of(self, unit: Unit, handler: Person | None):
        if handler is not None:
            return self.of(handler, _roles_for_handler(handler))
        if unit.kind == Unit.Kind.COMMUNITY_COMMITTEE:
            return self.community_handler(self.place_code[unit.place_id])
        if unit.code.startswith("JYL-CGB"):
            return self.account("jyl-cgb")
        if unit.code == "QZJJ":
            return self.account("demo-zjj")
        if unit.code.startswith("Q"):
            return self.account("demo-cgj")
        return self.street_desk(unit.code.split("-")[0])


def _roles_for_handler(person: Person) -> tuple[str, ...]:
    if person.code.startswith("P-BH-"):
        return ("building_head",)
    if person.code.startswith("P-CH-"):
        return ("compound_head",)
    return ("red_steward",)


# ---------------------------------------------------------------------------------------------
# Stories
# ---------------------------------------------------------------------------------------------


@dataclass
class Story:
    """One case from report to its last step before the as-of moment."""

    key: int
    at: datetime
    source: str
    category: Category
    description: str
    lng: float
    lat: float
    address: str
    community: str  # code of the community the point lies in
    reporter: Any = None
    reporter_name: str = ""
    reporter_phone: str = ""
    on_behalf_of: str = ""
    external_id: str = ""
    zone: Zone | None = None
    intake: Any = None  # staff account that enters and accepts at once (hotline, supervision)
    handler: Person | None = None  # named handler inside the compound (steward, building head)
    route: str = ""  # which office handles it at street/district level (cgb, stb, yjb, qcgj, qzjj)
    fate: str = "close"  # close | reject | merge | cancel
    twists: frozenset[str] = frozenset()
    visit: str = ""  # satisfaction given at the (first) return visit; "" = no visit
    visit_by_reporter: bool = False
    master: int | None = None  # key of the story this one duplicates
    pin: str = ""  # red | yellow | unaccepted: stays open at the as-of moment, so
    dispatch_at: datetime | None = None  # … with its dispatch placed to make that true
    title: str = ""
    texts: dict[str, str] = field(default_factory=dict)


def _title(description: str) -> str:
    """The complaint's first clause, without who passed it on."""
    text = description.split("：", 1)[-1] if "：" in description[:14] else description
    for stop in "，。；":
        text = text.split(stop, 1)[0]
    return text[:40]


def _urgent(limit: deadlines.TimeLimit) -> bool:
    return limit.type in (LimitType.URGENT_HOURS, LimitType.CALENDAR_DAYS)


def _share(start: datetime, end: datetime, fraction: float, limit, unit) -> datetime:
    """The moment ``fraction`` of the way from ``start`` to ``end``, counted as the limit
    counts (working time, or the wall clock for urgent hours)."""
    if end <= start:
        return start + timedelta(minutes=5)
    if _urgent(limit) or unit is None or unit.round_the_clock:
        return start + (end - start) * fraction
    span = worktime.work_time_between(start, end, unit=unit)
    return worktime.add_work_time(start, hours=span.total_seconds() / 3600 * fraction, unit=unit)


def _past(moment: datetime, work_days: float, limit, unit) -> datetime:
    """``work_days`` after ``moment`` (in hours × 8 for urgent limits)."""
    if _urgent(limit):
        return moment + timedelta(hours=8 * work_days)
    return worktime.add_work_time(moment, days=work_days, unit=unit)


class _Player:
    """Runs the stories in time order through the workflow."""

    def __init__(self, cast: _Cast, rng: random.Random, end: datetime) -> None:
        self.cast = cast
        self.rng = rng
        self.end = end
        self.pk: dict[int, int] = {}  # story key → case pk
        self.steps = Counter()

    # --- the clock ------------------------------------------------------------------------

    def run(self, stories: list[Story], start: datetime) -> None:
        heap: list[tuple[datetime, int, Generator]] = []
        for s in stories:
            heap.append((s.at, s.key, self._play(s)))
        heap.append((start, -1, self._sweeper(start)))  # its first step only says when
        heapq.heapify(heap)
        while heap:
            moment, key, story = heapq.heappop(heap)
            with clock.frozen(moment):
                try:
                    nxt = next(story)
                except StopIteration:
                    continue
            if nxt is None or nxt > self.end:
                story.close()
                continue
            heapq.heappush(heap, (max(nxt, moment), key, story))

    def _sweeper(self, start: datetime) -> Generator[datetime, None, None]:
        """The periodic light sweep, as the huey job would have run it (a few times a day
        here: often enough for the warnings to fall on the right day, cheap to play)."""
        day = start.astimezone(SH).date()
        while True:
            for hour in SWEEP_HOURS:
                moment = datetime(day.year, day.month, day.day, hour, tzinfo=SH)
                if moment < start:
                    continue
                yield moment
                self.steps["light"] += _sweep_lights(clock.now())
            day += timedelta(days=1)

    # --- one story ------------------------------------------------------------------------

    def _limit(self, case: Case, stage: str):
        return deadlines.limit_for(case.category, stage)

    def _desk(self, case: Case, s: Story):
        if s.intake is not None and not case.escalations:
            return s.intake
        return self.cast.desk_of(case.dispatcher_unit)

    def _soon(self, case: Case, stage: str, unit: Unit | None, lo: float, hi: float) -> datetime:
        """A moment within ``lo``…``hi`` of the stage's limit from now."""
        now = clock.now()
        limit = self._limit(case, stage)
        due = deadlines.add_limit(now, limit, unit=unit)
        return _share(now, due, self.rng.uniform(lo, hi), limit, unit)

    def _do(self, fn: Callable, **kw) -> Case:
        self.steps[fn.__name__] += 1
        return fn(**kw)

    def _play(self, s: Story) -> Generator[datetime | None, None, None]:
        rng = self.rng
        case = self._do(
            workflow.report,
            actor=s.reporter if s.intake is None else s.intake,
            source=s.source,
            description=s.description,
            title=s.title,
            category=s.category,
            lng=s.lng,
            lat=s.lat,
            address=s.address,
            zone=s.zone,
            reporter_name=s.reporter_name,
            reporter_phone=s.reporter_phone,
            on_behalf_of=s.on_behalf_of,
            external_id=s.external_id,
            accept=s.intake is not None and s.fate == "close",
            is_demo=True,
        )
        pk = self.pk[s.key] = case.pk
        desk = self._desk(case, s)

        # --- the desk: accept, or not -------------------------------------------------
        if case.status == S.REPORTED:
            if s.pin == "unaccepted":
                return
            if s.dispatch_at is not None:
                yield s.dispatch_at - timedelta(minutes=rng.randint(20, 40))
            else:
                yield self._soon(case, Stage.ACCEPT, case.dispatcher_unit, 0.1, 0.8)
            if s.fate == "cancel":
                actor = s.reporter if s.reporter is not None else desk
                self._do(
                    workflow.cancel, actor=actor, case_id=pk, reason="居民表示问题已自行解决。"
                )
                return
            if s.fate == "reject":
                self._do(workflow.reject, actor=desk, case_id=pk, reason=rng.choice(REJECT_REASONS))
                return
            if s.fate == "merge":
                master = visible_cases(desk).filter(pk=self.pk.get(s.master)).first()
                if master is not None and master.is_open and master.status != S.MERGED:
                    self._do(
                        workflow.merge,
                        actor=desk,
                        case_id=pk,
                        master_id=master.pk,
                        note=f"与 {master.code} 反映的是同一问题。",
                    )
                    return
                self._do(
                    workflow.reject,
                    actor=desk,
                    case_id=pk,
                    reason="同一问题此前已有人反映并已办结，已向反映人说明。",
                )
                return
            case = self._do(workflow.accept, actor=desk, case_id=pk)

        # --- escalated by the desk before dispatch ------------------------------------
        if "escalate_desk" in s.twists and Level.above(case.level):
            yield self._soon(case, Stage.DISPATCH, case.dispatcher_unit, 0.1, 0.6)
            case = self._do(
                workflow.escalate, actor=desk, case_id=pk, reason=ESCALATE_REASONS[case.level]
            )
            desk = self._desk(case, s)

        # --- dispatch -------------------------------------------------------------------
        if s.dispatch_at is not None:
            yield max(s.dispatch_at, clock.now())
        else:
            yield self._soon(case, Stage.DISPATCH, case.dispatcher_unit, 0.1, 0.7)
        first_route = s.route
        if "send_back" in s.twists:  # first to the wrong office, which sends it back
            dispatcher = case.dispatcher_unit
            if dispatcher.code == "JYL" and s.route == "stb":
                first_route = "cgb"
            elif dispatcher.kind == Unit.Kind.PARTY_GOVERNMENT and s.route == "qzjj":
                first_route = "qcgj"
        case, replier = self._dispatch(case, s, desk, first_route)

        rounds = 0
        visits = 0
        while True:
            rounds += 1
            unit = case.responsible_unit
            handle = self._limit(case, Stage.HANDLE)
            # A unit signs for the case (签收); a steward or building head just gets on with it.
            if case.status == S.DISPATCHED and unit.kind != Unit.Kind.COMMUNITY_COMMITTEE:
                yield _share(clock.now(), case.due_at, rng.uniform(0.02, 0.12), handle, unit)
                case = self._do(workflow.take, actor=replier, case_id=pk)
            if rounds == 1 and "send_back" in s.twists and first_route != s.route:
                yield _share(clock.now(), case.due_at, rng.uniform(0.05, 0.2), handle, unit)
                case = self._do(
                    workflow.send_back,
                    actor=replier,
                    case_id=pk,
                    reason=SEND_BACK_REASONS[first_route],
                )
                yield self._soon(case, Stage.DISPATCH, case.dispatcher_unit, 0.1, 0.6)
                case, replier = self._dispatch(case, s, desk, s.route)
                continue
            if rounds == 1 and "escalate_handler" in s.twists and Level.above(case.level):
                yield _share(clock.now(), case.due_at, rng.uniform(0.1, 0.4), handle, unit)
                case = self._do(
                    workflow.escalate,
                    actor=replier,
                    case_id=pk,
                    reason=ESCALATE_REASONS[case.level],
                )
                desk = self._desk(case, s)
                yield self._soon(case, Stage.DISPATCH, case.dispatcher_unit, 0.1, 0.7)
                case, replier = self._dispatch(case, s, desk, s.route)
                continue
            if rounds == 1 and "extend" in s.twists:
                yield _share(clock.now(), case.due_at, rng.uniform(0.4, 0.7), handle, unit)
                days = rng.choice((2, 3, 5))
                case = self._do(
                    workflow.request,
                    actor=replier,
                    case_id=pk,
                    kind="extend",
                    reason=rng.choice(EXTEND_REASONS),
                    days=days,
                )
                yield _share(clock.now(), case.due_at, 0.1, handle, unit)
                case = self._do(
                    workflow.decide, actor=desk, case_id=pk, approve=True, note="同意延期。"
                )
            if rounds == 1 and "suspend" in s.twists:
                yield _share(clock.now(), case.due_at, rng.uniform(0.2, 0.5), handle, unit)
                case = self._do(
                    workflow.request,
                    actor=replier,
                    case_id=pk,
                    kind="suspend",
                    reason=rng.choice(SUSPEND_REASONS),
                )
                yield worktime.add_work_time(clock.now(), hours=rng.uniform(0.5, 3), unit=unit)
                case = self._do(
                    workflow.decide, actor=desk, case_id=pk, approve=True, note="同意挂起。"
                )
                if s.pin == "suspended":
                    return  # still waiting at the as-of moment
                yield worktime.add_work_time(clock.now(), days=rng.uniform(3, 12), unit=unit)
                case = self._do(
                    workflow.resume, actor=desk, case_id=pk, note="条件具备，恢复处置。"
                )
            if s.pin == "red" and rounds == 1:
                return  # the unit has not answered: overdue at the as-of moment
            # --- reply --------------------------------------------------------------------
            now = clock.now()
            if s.pin == "yellow" and case.warn_at <= self.end < case.due_at:
                yield case.due_at - timedelta(minutes=5)
            elif "late" in s.twists and rounds == 1:
                yield _past(case.due_at, rng.uniform(0.3, 4), handle, unit)
            elif "near" in s.twists and rounds == 1:
                yield _share(now, case.due_at, rng.uniform(0.82, 0.97), handle, unit)
            else:
                yield _share(now, case.due_at, rng.uniform(0.15, 0.7), handle, unit)
            case = self._do(workflow.reply, actor=replier, case_id=pk, result=s.texts["reply"])
            # --- verify -------------------------------------------------------------------
            verifier = self._verifier(case, s, replier)
            verify = self._limit(case, Stage.VERIFY)
            yield _share(
                clock.now(), case.due_at, rng.uniform(0.1, 0.8), verify, case.dispatcher_unit
            )
            if "rework" in s.twists and case.rework_count == 0:
                case = self._do(
                    workflow.verify,
                    actor=verifier,
                    case_id=pk,
                    passed=False,
                    note=rng.choice(REWORK_NOTES),
                )
                yield _share(clock.now(), case.due_at, rng.uniform(0.2, 0.6), handle, unit)
                case = self._do(
                    workflow.reply, actor=replier, case_id=pk, result="已按核查意见返工处置完毕。"
                )
                yield _share(
                    clock.now(), case.due_at, rng.uniform(0.1, 0.8), verify, case.dispatcher_unit
                )
            case = self._do(
                workflow.verify, actor=verifier, case_id=pk, passed=True, note="现场核查合格。"
            )
            # --- return visit -------------------------------------------------------------
            if not s.visit:
                return
            visits += 1
            satisfaction = (
                s.visit
                if visits == 1
                else rng.choice(("satisfied", "satisfied", "basically_satisfied"))
            )
            visitor = s.reporter if s.visit_by_reporter and s.reporter is not None else None
            visitor = visitor or (s.intake if s.intake is not None else desk)
            yield worktime.add_work_time(
                clock.now(), hours=rng.uniform(1, 16), unit=case.dispatcher_unit
            )
            notes = {
                "satisfied": SATISFIED_NOTES,
                "basically_satisfied": BASICALLY_NOTES,
                "dissatisfied": DISSATISFIED_NOTES,
            }[satisfaction]
            case = self._do(
                workflow.return_visit,
                actor=visitor,
                case_id=pk,
                satisfaction=satisfaction,
                note=rng.choice(notes),
                channel="wechat" if visitor is s.reporter else "phone",
            )
            if satisfaction != "dissatisfied" or "reopen" not in s.twists or visits > 1:
                return
            yield worktime.add_work_time(clock.now(), hours=rng.uniform(1, 6), unit=None)
            case = self._do(
                workflow.reopen,
                actor=self._desk(case, s),
                case_id=pk,
                reason="回访不满意，经复核问题确未彻底解决，重新交办。",
            )

    def _dispatch(self, case: Case, s: Story, desk, route: str) -> tuple[Case, Any]:
        """Dispatch to the unit the case's level and route call for; returns the case and the
        account that will handle it."""
        cast = self.cast
        dispatcher = case.dispatcher_unit
        handler = None
        if dispatcher is not None and dispatcher.kind == Unit.Kind.COMMUNITY_COMMITTEE:
            unit = dispatcher
            if s.handler is not None and case.level in (
                Level.BUILDING,
                Level.COMPOUND,
                Level.COMMUNITY,
            ):
                handler = s.handler
        elif dispatcher is not None and dispatcher.kind == Unit.Kind.STREET_OFFICE:
            office = {"stb": "STB", "yjb": "YJB"}.get(route, "CGB")
            code = f"{dispatcher.code}-{office}"
            limit = self._limit(case, Stage.HANDLE)
            local = clock.now().astimezone(SH)
            night = local.hour >= 18 or local.hour < 8 or local.weekday() >= 5
            if code == "JYL-CGB" and _urgent(limit) and night:
                code = "JYL-CGB-ZB"  # the round-the-clock duty office
            unit = cast.units[code]
        else:
            unit = cast.units["QZJJ" if route == "qzjj" else "QCGJ"]
        case = self._do(workflow.dispatch, actor=desk, case_id=case.pk, unit=unit, handler=handler)
        return case, cast.replier_of(unit, handler)

    def _verifier(self, case: Case, s: Story, replier):
        if s.source == Case.Source.SUPERVISION and s.intake is not None:
            return s.intake  # the inspector checks the finding was put right
        if case.level == Level.DISTRICT:
            return self.cast.account("demo-dcc")
        desk = self.cast.community_desk(s.community)
        if desk.pk != replier.pk:
            return desk
        return self.cast.desk_of(case.dispatcher_unit)


# ---------------------------------------------------------------------------------------------
# Writing the stories
# ---------------------------------------------------------------------------------------------


@dataclass
class _Compound:
    place: Place
    community: str
    street: str
    geom: Any
    buildings: list[Place]


@dataclass
class _Road:
    zone: Zone
    street: str
    geom: Any
    chiefs: list[tuple[str, Person]]


class _Author:
    """Draws the stories: who reports what, where, when, and how it ends."""

    def __init__(self, cast: _Cast, rng: random.Random, end: datetime, categories) -> None:
        self.cast = cast
        self.rng = rng
        self.end = end
        self.start = end - timedelta(days=PERIOD_DAYS)
        self.categories = categories
        self.stories: list[Story] = []
        self.phone_no = 0
        self.external_no = Counter()
        places = cast.places
        children: dict[int, list[Place]] = {}
        for p in places.values():
            if p.parent_id:
                children.setdefault(p.parent_id, []).append(p)
        self.compounds: dict[str, _Compound] = {}
        for p in places.values():
            if p.kind != Place.Kind.COMPOUND:
                continue
            codes = [c for c in p.path.strip("/").split("/") if c]
            self.compounds[p.code] = _Compound(
                place=p,
                community=codes[2],
                street=codes[1],
                geom=shape(p.geometry),
                buildings=sorted(
                    (c for c in children.get(p.pk, []) if c.kind == Place.Kind.BUILDING),
                    key=lambda c: c.code,
                ),
            )
        self.communities = {
            p.code: shape(p.geometry) for p in places.values() if p.kind == Place.Kind.COMMUNITY
        }
        self.roads: list[_Road] = []
        for z in Zone.objects.filter(is_demo=True, kind=Zone.Kind.ROAD).select_related("place"):
            self.roads.append(
                _Road(z, z.place.code, shape(z.geometry), cast.road_chiefs.get(z.code, []))
            )
        self.roads.sort(key=lambda r: r.zone.code)

    # --- drawing helpers -----------------------------------------------------------------

    def category(self, name: str) -> Category:
        return self.categories[name]

    def pick(self, weights: dict[str, int]) -> str:
        names = sorted(weights)
        return self.rng.choices(names, weights=[weights[n] for n in names])[0]

    def day(self, *, workdays: bool = False) -> date:
        first = self.start.astimezone(SH).date()
        while True:
            day = first + timedelta(days=self.rng.randrange(PERIOD_DAYS))
            if workdays and not worktime.is_workday(day):
                continue
            # a little more in summer: more people out, more rain, more noise
            if day.month in (6, 7, 8) or self.rng.random() < 0.8:
                return day

    def moment(self, day: date, hours: tuple[tuple[float, float, float], ...]) -> datetime:
        lo, hi, _w = self.rng.choices(hours, weights=[h[2] for h in hours])[0]
        minute = self.rng.uniform(lo, hi) * 60
        at = datetime(day.year, day.month, day.day, tzinfo=SH) + timedelta(minutes=minute)
        at = at.replace(second=0, microsecond=0)
        if at >= self.end - timedelta(minutes=10):
            at = self.end - timedelta(minutes=self.rng.randint(20, 600))
        return at.astimezone(ZoneInfo("UTC"))

    def point_in(self, geom) -> tuple[float, float]:
        inner = geom.buffer(-0.00008)
        if inner.is_empty:
            inner = geom
        minx, miny, maxx, maxy = inner.bounds
        while True:
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if inner.contains(Point(x, y)):
                return round(x, 6), round(y, 6)

    def point_on(self, road: _Road) -> tuple[float, float]:
        p = road.geom.interpolate(self.rng.uniform(0.08, 0.92), normalized=True)
        return round(p.x, 6), round(p.y, 6)

    def community_of(self, lng: float, lat: float) -> str:
        p = Point(lng, lat)
        for code, geom in self.communities.items():
            if geom.covers(p):
                return code
        return min(self.communities, key=lambda c: self.communities[c].distance(p))

    def phone(self) -> str:
        self.phone_no += 1
        return f"{ds.PHONE_PREFIX}{RESIDENT_PHONES + self.phone_no % 4000:04d}"

    def fill(self, template: str, **known: str) -> str:
        rng = self.rng
        other = rng.choice(self.roads).zone.name
        slots = {
            "b": str(rng.randint(1, 8)),
            "u": str(rng.randint(1, 4)),
            "f": str(rng.randint(2, 7)),
            "n": str(rng.randint(2, 5)),
            "shop": rng.choice(SHOPS),
            "pos": rng.choice(
                (f"与{other}交叉口", f"{rng.randint(1, 199)}号门前", "中段", "公交站台附近")
            ),
            "road": "",
            "place": "",
        }
        slots.update(known)
        return template.format(**slots)

    def add(self, **kw) -> Story:
        s = Story(key=len(self.stories), **kw)
        s.title = _title(s.description)
        name = s.category.name
        s.texts["reply"] = self.rng.choice(REPLIES.get(name, (GENERIC_REPLY,)))
        self.stories.append(s)
        return s

    def outcome(self, profile: dict[str, float], *, recent: bool) -> tuple[str, frozenset, str]:
        """(fate, twists, satisfaction) drawn from a channel's profile of probabilities."""
        rng = self.rng
        r = rng.random()
        fate = "close"
        for name in ("reject", "merge", "cancel"):
            p = profile.get(name, 0)
            if r < p:
                fate = name
                break
            r -= p
        twists = set()
        for name in (
            "escalate_desk",
            "escalate_handler",
            "send_back",
            "rework",
            "extend",
            "suspend",
            "near",
        ):
            if rng.random() < profile.get(name, 0):
                twists.add(name)
        if rng.random() < profile.get("late", 0) * (2.5 if recent else 1):
            twists.add("late")
        visit = ""
        if rng.random() < profile.get("visit", 0):
            v = rng.random()
            if v < profile.get("dissatisfied", 0.04):
                visit = "dissatisfied"
                if rng.random() < 0.6:
                    twists.add("reopen")
            elif v < profile.get("dissatisfied", 0.04) + 0.16:
                visit = "basically_satisfied"
            else:
                visit = "satisfied"
        return fate, frozenset(twists), visit

    def recent(self, at: datetime) -> bool:
        return at > self.end - timedelta(days=12)

    # --- channels -------------------------------------------------------------------------

    def stewards(self, n_jyl: int) -> None:
        """济源路街道's unmanaged compounds: the 红管家 channel [004]."""
        rng, cast = self.rng, self.cast
        compounds = [
            c
            for code, c in sorted(self.compounds.items())
            if c.street == JYL_STREET and c.place.management == Place.Management.UNMANAGED
        ]
        weights = [3 if c.place.name == "06小区" else 1 for c in compounds]
        profile = {
            "reject": 0.012,
            "merge": 0.0,
            "cancel": 0.01,
            "escalate_desk": 0.008,
            "escalate_handler": 0.025,
            "rework": 0.04,
            "extend": 0.02,
            "suspend": 0.008,
            "late": 0.05,
            "near": 0.1,
            "visit": 0.92,
            "dissatisfied": 0.035,
        }
        for _i in range(n_jyl):
            c = rng.choices(compounds, weights=weights)[0]
            steward = cast.stewards[c.place.code]
            name = self.pick(STEWARD_WEIGHTS)
            at = self.moment(self.day(), ((7, 9, 2), (9, 12, 3), (12, 18, 3), (18, 22, 3)))
            who = rng.choice(WHO)
            group = f"{c.place.name}居民群"
            text = self.fill(rng.choice(STEWARD_TEXTS[name]))
            fate, twists, visit = self.outcome(profile, recent=self.recent(at))
            lng, lat = self.point_in(c.geom)
            self.add(
                at=at,
                source=Case.Source.STEWARD,
                category=self.category(name),
                description=f"居民群里{who}反映：{text}",
                lng=lng,
                lat=lat,
                address=f"{c.place.name}",
                community=c.community,
                reporter=cast.of(steward, ("red_steward",)),
                reporter_name=steward.name,
                reporter_phone=steward.phone,
                on_behalf_of=f"{group} · {who}",
                handler=steward,
                route="stb" if name in ("噪音扰民",) else ("yjb" if "下水" in name else "cgb"),
                fate=fate,
                twists=twists,
                visit=visit,
                visit_by_reporter=rng.random() < 0.6,
            )

    def chenguang(self, n: int) -> None:
        """晨光社区 [003]: building heads and compound heads report and handle their own
        buildings (小事不出楼栋); the 红管家 of 原信用社家属院 speaks for its group."""
        rng, cast = self.rng, self.cast
        compounds = [
            c
            for code, c in sorted(self.compounds.items())
            if c.community == CHENGUANG and c.place.management == Place.Management.UNMANAGED
        ]
        profile = {
            "reject": 0.02,
            "escalate_handler": 0.05,
            "rework": 0.05,
            "late": 0.05,
            "near": 0.1,
            "visit": 0.9,
            "dissatisfied": 0.04,
        }
        headed = [c for c in compounds if c.buildings]
        stewarded = [c for c in compounds if c.place.code in cast.stewards]
        for i in range(n):
            at = self.moment(self.day(), ((7, 12, 3), (12, 18, 3), (18, 21, 2)))
            fate, twists, visit = self.outcome(profile, recent=self.recent(at))
            name = self.pick(
                {k: v for k, v in STEWARD_WEIGHTS.items() if k not in ("违法建设", "噪音扰民")}
            )
            template = rng.choice(STEWARD_TEXTS[name])
            text = self.fill(template)
            if i % 4 == 3 and stewarded:
                c = stewarded[0]
                steward = cast.stewards[c.place.code]
                lng, lat = self.point_in(c.geom)
                who = rng.choice(WHO)
                self.add(
                    at=at,
                    source=Case.Source.STEWARD,
                    category=self.category(name),
                    description=f"居民群里{who}反映：{text}",
                    lng=lng,
                    lat=lat,
                    address=c.place.name,
                    community=c.community,
                    reporter=cast.of(steward, ("red_steward",)),
                    reporter_name=steward.name,
                    reporter_phone=steward.phone,
                    on_behalf_of=f"{c.place.name}居民群 · {who}",
                    handler=steward,
                    fate=fate,
                    twists=twists,
                    visit=visit,
                    visit_by_reporter=True,
                )
                continue
            c = rng.choice(headed)
            building = rng.choice(c.buildings)
            head = cast.building_heads.get(building.code)
            compound_head = cast.compound_heads.get(c.place.code)
            inside = building.code.endswith("-01") or rng.random() < 0.7
            person = head if inside and head is not None else compound_head
            role = "building_head" if person is head else "compound_head"
            bpt = shape(building.geometry)
            lng, lat = round(bpt.x + rng.uniform(-4e-5, 4e-5), 6), round(bpt.y + 2e-5, 6)
            self.add(
                at=at,
                source=Case.Source.RESIDENT,
                category=self.category(name),
                description=self.fill(template, b=building.name.removesuffix("号楼")),
                lng=lng,
                lat=lat,
                address=f"{c.place.name}{building.name}",
                community=c.community,
                reporter=cast.of(person, (role,)),
                reporter_name=person.name,
                reporter_phone=person.phone,
                handler=person,
                fate=fate,
                twists=twists,
                visit=visit,
                visit_by_reporter=False,
            )

    def patrols(self, n_jyl: int, n_other: int) -> None:
        """Road chiefs report what they find on their roads [000][003]."""
        rng, cast = self.rng, self.cast
        profile = {
            "reject": 0.015,
            "send_back": 0.0,
            "escalate_handler": 0.02,
            "rework": 0.05,
            "extend": 0.03,
            "suspend": 0.012,
            "late": 0.07,
            "near": 0.12,
            "visit": 0.3,
            "dissatisfied": 0.05,
        }
        jyl = [r for r in self.roads if r.street == JYL_STREET and r.chiefs]
        other = [r for r in self.roads if r.street != JYL_STREET and r.chiefs]
        for count, roads in ((n_jyl, jyl), (n_other, other)):
            for _i in range(count):
                road = rng.choice(roads)
                level, chief = rng.choice(road.chiefs)
                if level == "district" and rng.random() < 0.7:
                    _level, chief = road.chiefs[0]
                reporter = cast.of(chief, ("road_chief",))
                name = self.pick(PATROL_WEIGHTS)
                day = self.day(workdays=rng.random() < 0.85)
                at = self.moment(day, ((8.5, 11.5, 3), (14.5, 17.5, 3), (19, 21, 1)))
                fate, twists, visit = self.outcome(profile, recent=self.recent(at))
                lng, lat = self.point_on(road)
                text = self.fill(rng.choice(ROAD_TEXTS[name]), road=road.zone.name)
                self.add(
                    at=at,
                    source=Case.Source.PATROL,
                    category=self.category(name),
                    description=text,
                    lng=lng,
                    lat=lat,
                    address=road.zone.name,
                    community=self.community_of(lng, lat),
                    reporter=reporter,
                    reporter_name=chief.name,
                    reporter_phone=chief.phone,
                    zone=road.zone,
                    route="cgb",
                    fate=fate,
                    twists=twists,
                    visit=visit,
                )

    def _somewhere(
        self, jyl_share: float, *, road: bool = False
    ) -> tuple[str, float, float, str, Zone | None]:
        """A place for a hotline report: a compound (most) or a road."""
        rng = self.rng
        in_jyl = rng.random() < jyl_share
        if not road and rng.random() < 0.6:
            options = [c for c in self.compounds.values() if (c.street == JYL_STREET) == in_jyl]
            c = rng.choice(sorted(options, key=lambda c: c.place.code))
            lng, lat = self.point_in(c.geom)
            return c.place.name, lng, lat, c.community, None
        roads = [r for r in self.roads if (r.street == JYL_STREET) == in_jyl]
        road = rng.choice(roads)
        lng, lat = self.point_on(road)
        return road.zone.name, lng, lat, self.community_of(lng, lat), None

    def hotline(self, n: int) -> Iterable[Story]:
        """12345 hotline cases, entered by the district centre's desk [000]."""
        rng, cast = self.rng, self.cast
        desk = cast.account("demo-dcc")
        profile = {
            "reject": 0.04,
            "send_back": 0.3,
            "escalate_handler": 0.02,
            "rework": 0.04,
            "extend": 0.04,
            "suspend": 0.01,
            "late": 0.09,
            "near": 0.12,
            "visit": 1.0,
            "dissatisfied": 0.08,
        }
        made = []
        for _i in range(n):
            name = self.pick(HOTLINE_WEIGHTS)
            if name == "积水内涝":
                day = self.day()
                while day.month not in (6, 7, 8, 9):
                    day = self.day()
            else:
                day = self.day()
            at = self.moment(day, ((8, 12, 3), (12, 18, 3), (18, 21, 1)))
            where, lng, lat, community, _z = self._somewhere(0.45, road=name in ON_ROADS)
            on_road = where.endswith(("路", "街", "巷"))
            road = where if on_road else rng.choice(self.roads).zone.name
            place = f"{where}{rng.choice(('沿街', '中段', '路口'))}" if on_road else where
            text = self.fill(rng.choice(HOTLINE_TEXTS[name]), place=place, road=road)
            fate, twists, visit = self.outcome(profile, recent=self.recent(at))
            route = {
                "噪音扰民": "stb",
                "油烟扰民": "stb",
                "环境污染": "stb",
                "下水道堵塞冒溢": "yjb",
                "住房保障与房地产": "qzjj",
                "房屋安全隐患": "qzjj",
            }.get(name, "cgb" if name != "积水内涝" else "qcgj")
            category = self.category(name)
            can_send_back = (route == "stb" and community.startswith(JYL_STREET)) or (
                route == "qzjj" and category.level == Level.DISTRICT
            )
            if not can_send_back:
                twists = twists - {"send_back"}
            if name == "房屋安全隐患" and rng.random() < 0.6:
                twists = twists | {"escalate_handler"}
            local = at.astimezone(SH)
            self.external_no[local.date()] += 1
            surname = rng.choice(SURNAMES)
            made.append(
                self.add(
                    at=at,
                    source=Case.Source.HOTLINE,
                    category=category,
                    description=text,
                    lng=lng,
                    lat=lat,
                    address=where,
                    community=community,
                    intake=desk,
                    reporter_name=f"{surname}{rng.choice(('先生', '女士'))}",
                    reporter_phone=self.phone(),
                    external_id=f"ZZ12345-{local:%Y%m%d}{self.external_no[local.date()]:04d}",
                    route=route,
                    fate=fate,
                    twists=twists,
                    visit=visit,
                )
            )
        return made

    def residents(self, n: int) -> None:
        """Residents report from the mobile page, mostly without an account."""
        rng, cast = self.rng, self.cast
        resident = cast.account("demo-resident")
        home = next(c for c in self.compounds.values() if c.place.name == "06小区")
        profile = {
            "reject": 0.04,
            "cancel": 0.02,
            "send_back": 0.3,  # noise at street level: first to 城管办, then to 生态办
            "rework": 0.04,
            "extend": 0.02,
            "late": 0.07,
            "near": 0.1,
            "visit": 0.9,
            "dissatisfied": 0.06,
        }
        for i in range(n):
            name = self.pick(RESIDENT_WEIGHTS)
            at = self.moment(self.day(), ((7, 9, 2), (9, 18, 3), (18, 22, 3)))
            fate, twists, visit = self.outcome(profile, recent=self.recent(at))
            text = self.fill(rng.choice(RESIDENT_TEXTS[name]))
            if i % 12 == 0:
                lng, lat = self.point_in(home.geom)
                self.add(
                    at=at,
                    source=Case.Source.RESIDENT,
                    category=self.category(name),
                    description=text,
                    lng=lng,
                    lat=lat,
                    address=home.place.name,
                    community=home.community,
                    reporter=resident,
                    reporter_name="石小雨",
                    reporter_phone=self.phone(),
                    route="stb" if name == "噪音扰民" else "cgb",
                    fate=fate,
                    twists=twists,
                    visit=visit,
                    visit_by_reporter=True,
                )
                continue
            options = sorted(self.compounds.values(), key=lambda c: c.place.code)
            c = rng.choice(options)
            lng, lat = self.point_in(c.geom)
            self.add(
                at=at,
                source=Case.Source.RESIDENT,
                category=self.category(name),
                description=text,
                lng=lng,
                lat=lat,
                address=c.place.name,
                community=c.community,
                reporter_name=f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}",
                reporter_phone=self.phone(),
                route="stb" if name == "噪音扰民" else ("yjb" if "下水" in name else "cgb"),
                fate=fate,
                twists=twists,
                visit=visit,
            )

    def supervision(self, n: int) -> None:
        """Findings of the district's inspectors (区督查局) on roads and in compounds [004]."""
        rng, cast = self.rng, self.cast
        inspectors = [cast.account("demo-supervisor")] + [
            cast.of(cast.people[f"P-IN-{s.unit_code}"], ("supervisor",)) for s in ds.STREETS
        ]
        profile = {"rework": 0.12, "extend": 0.05, "late": 0.1, "near": 0.1}
        for _i in range(n):
            name = self.pick(SUPERVISION_WEIGHTS)
            at = self.moment(self.day(workdays=True), ((9, 11.5, 1), (14.5, 17, 1)))
            fate, twists, _v = self.outcome(profile, recent=self.recent(at))
            if name == "乱堆物堆料":
                c = rng.choice(
                    [
                        c
                        for code, c in sorted(self.compounds.items())
                        if c.place.management == Place.Management.UNMANAGED
                    ]
                )
                lng, lat = self.point_in(c.geom)
                where, community = c.place.name, c.community
                text = self.fill(rng.choice(SUPERVISION_TEXTS[name]), place=where)
            else:
                road = rng.choice(self.roads)
                lng, lat = self.point_on(road)
                where, community = road.zone.name, self.community_of(lng, lat)
                text = self.fill(rng.choice(SUPERVISION_TEXTS[name]), road=where)
            self.add(
                at=at,
                source=Case.Source.SUPERVISION,
                category=self.category(name),
                description=text,
                lng=lng,
                lat=lat,
                address=where,
                community=community,
                intake=rng.choice(inspectors),
                route="stb" if name == "工地扬尘" else "cgb",
                fate=fate,
                twists=twists,
            )

    def duplicates(self, share: float) -> None:
        """Later reports of a problem already reported and still open: merged by the desk."""
        rng = self.rng
        originals = [
            s
            for s in self.stories
            if s.fate == "close" and s.source in (Case.Source.PATROL, Case.Source.RESIDENT)
        ]
        for s in originals:
            if rng.random() >= share:
                continue
            at = s.at + timedelta(hours=rng.uniform(1, 20))
            if at >= self.end:
                continue
            surname = rng.choice(SURNAMES)
            self.add(
                at=at,
                source=Case.Source.RESIDENT,
                category=s.category,
                description=f"又有人反映：{s.description}",
                lng=round(s.lng + rng.uniform(-1.5e-4, 1.5e-4), 6),
                lat=round(s.lat + rng.uniform(-1.5e-4, 1.5e-4), 6),
                address=s.address,
                community=s.community,
                reporter_name=f"{surname}{rng.choice(('先生', '女士'))}",
                reporter_phone=self.phone(),
                fate="merge",
                master=s.key,
            )

    def pinned(self, n_red: int, n_yellow: int, n_waiting: int, n_suspended: int) -> None:
        """Cases that are open at the as-of moment by construction: some overdue, some near
        their limit, some not yet accepted, some suspended."""
        rng, cast = self.rng, self.cast
        jyl_roads = [r for r in self.roads if r.street == JYL_STREET and r.chiefs]
        compounds = [
            c
            for code, c in sorted(self.compounds.items())
            if c.street == JYL_STREET and c.place.management == Place.Management.UNMANAGED
        ]
        cgb = cast.units["JYL-CGB"]
        for i in range(n_red + n_yellow):
            light = "red" if i < n_red else "yellow"
            if i % 2 == 0:
                road = rng.choice(jyl_roads)
                name = rng.choice(
                    ("占道经营", "店外经营", "人行道板破损", "违规户外广告", "路灯不亮")
                )
                _level, chief = road.chiefs[0]
                reporter = cast.of(chief, ("road_chief",))
                lng, lat = self.point_on(road)
                kw = {
                    "source": Case.Source.PATROL,
                    "description": self.fill(rng.choice(ROAD_TEXTS[name]), road=road.zone.name),
                    "address": road.zone.name,
                    "community": self.community_of(lng, lat),
                    "reporter": reporter,
                    "reporter_name": chief.name,
                    "reporter_phone": chief.phone,
                    "zone": road.zone,
                    "route": "cgb",
                }
                unit = cgb
            else:
                c = rng.choice(compounds)
                steward = cast.stewards[c.place.code]
                name = rng.choice(("乱堆物堆料", "单元门损坏", "健身器材损坏", "楼道灯不亮"))
                lng, lat = self.point_in(c.geom)
                who = rng.choice(WHO)
                kw = {
                    "source": Case.Source.STEWARD,
                    "description": f"居民群里{who}反映："
                    + self.fill(rng.choice(STEWARD_TEXTS[name])),
                    "address": c.place.name,
                    "community": c.community,
                    "reporter": cast.of(steward, ("red_steward",)),
                    "reporter_name": steward.name,
                    "reporter_phone": steward.phone,
                    "on_behalf_of": f"{c.place.name}居民群 · {who}",
                    "handler": steward,
                }
                unit = cast.units[f"JYL-SQ{c.community[-3:]}"]
            category = self.category(name)
            limit = deadlines.limit_for(category, Stage.HANDLE)
            dispatch_at = _dispatch_moment(
                self.end,
                limit,
                unit,
                rng,
                light=light,
                latest_due=self.end - timedelta(hours=rng.uniform(4, 140)),
            )
            self.add(
                at=dispatch_at - timedelta(minutes=rng.randint(45, 120)),
                category=category,
                lng=lng,
                lat=lat,
                pin=light,
                dispatch_at=dispatch_at,
                **kw,
            )
        for i in range(n_suspended):
            road = jyl_roads[(7 * i + 3) % len(jyl_roads)]
            _level, chief = road.chiefs[0]
            name = ("路灯不亮", "人行道板破损", "违规户外广告")[i % 3]
            lng, lat = self.point_on(road)
            self.add(
                at=self.end - timedelta(days=rng.uniform(6, 15)),
                source=Case.Source.PATROL,
                category=self.category(name),
                description=self.fill(rng.choice(ROAD_TEXTS[name]), road=road.zone.name),
                lng=lng,
                lat=lat,
                address=road.zone.name,
                community=self.community_of(lng, lat),
                reporter=cast.of(chief, ("road_chief",)),
                reporter_name=chief.name,
                reporter_phone=chief.phone,
                zone=road.zone,
                route="cgb",
                twists=frozenset({"suspend"}),
                pin="suspended",
            )
        for _i in range(n_waiting):
            c = rng.choice(compounds)
            steward = cast.stewards[c.place.code]
            name = self.pick(STEWARD_WEIGHTS)
            lng, lat = self.point_in(c.geom)
            who = rng.choice(WHO)
            self.add(
                at=self.end - timedelta(minutes=rng.randint(15, 600)),
                source=Case.Source.STEWARD,
                category=self.category(name),
                description=f"居民群里{who}反映：" + self.fill(rng.choice(STEWARD_TEXTS[name])),
                lng=lng,
                lat=lat,
                address=c.place.name,
                community=c.community,
                reporter=cast.of(steward, ("red_steward",)),
                reporter_name=steward.name,
                reporter_phone=steward.phone,
                on_behalf_of=f"{c.place.name}居民群 · {who}",
                handler=steward,
                pin="unaccepted",
            )


def _dispatch_moment(
    end: datetime, limit, unit: Unit, rng: random.Random, *, light: str, latest_due=None
) -> datetime:
    """A dispatch moment before ``end`` whose handling clock makes the case ``light`` at
    ``end``: red (due by ``latest_due``) or yellow (past 80 % of the limit, not yet due).
    Due and warning moments grow with the start, so two bisections find the stretch."""

    def clock_at(t: datetime) -> deadlines.Clock:
        return deadlines.stage_clock(t, limit, unit=unit)

    def last(pred: Callable[[datetime], bool]) -> datetime:
        lo, hi = end - timedelta(days=60), end - timedelta(minutes=10)
        while hi - lo > timedelta(minutes=10):
            mid = lo + (hi - lo) / 2
            lo, hi = (mid, hi) if pred(mid) else (lo, mid)
        return lo

    if light == "red":
        moment = last(lambda t: clock_at(t).due_at <= latest_due)
        moment -= timedelta(hours=rng.uniform(0, 20))
    else:
        first_yellow = last(lambda t: clock_at(t).due_at <= end)
        last_yellow = last(lambda t: clock_at(t).warn_at <= end)
        moment = first_yellow + (last_yellow - first_yellow) * rng.uniform(0.3, 0.9)
    return worktime.next_working_moment(moment, unit=unit)


# ---------------------------------------------------------------------------------------------
# Loading and deleting
# ---------------------------------------------------------------------------------------------


def _categories() -> dict[str, Category]:
    """The leaves the demo uses, by name (the seeded tree gives each name once)."""
    found: dict[str, Category] = {}
    for c in Category.objects.filter(
        name__in=ALL_CATEGORY_NAMES, parent__isnull=False, is_active=True
    ).order_by("code"):
        found.setdefault(c.name, c)
    missing = [n for n in ALL_CATEGORY_NAMES if n not in found]
    if missing:
        raise DemoCasesError(
            "demo_categories_missing",
            _(
                "The case categories the demo needs are not loaded (run cityloop migrate); "
                "missing: %(names)s"
            )
            % {"names": "、".join(missing)},
            {"missing": missing},
        )
    return found


def _sweep_lights(now: datetime) -> int:
    """The periodic light sweep at ``now``, as the huey job runs it: the workflow's set-based
    step (:func:`workflow.relight_stale`: one read, one guarded UPDATE, the warning events and
    notifications in bulk — what :func:`workflow.update_light` does to each case, without a
    locked read and a save per case). Returns how many lights changed."""
    changed, after = 0, 0
    while True:
        step = workflow.relight_stale(now, after=after)
        if step.last_pk is None:
            return changed
        changed += sum(n for light, n in step.changed.items() if light)
        after = step.last_pk


@contextmanager
def quiet_channels():
    """Notifications of the played past go to the inbox only: no console, SMS or e-mail."""
    config = settings.CITYLOOP
    settings.CITYLOOP = config.model_copy(update={"notify_channels": ""})
    try:
        yield
    finally:
        settings.CITYLOOP = config


def load_cases() -> dict[str, Any]:
    """Play the demo cases; call inside the demo's transaction, after the frame is loaded.

    Returns counts: ``{"cases": n, "status": {…}, "source": {…}, "light": {…}, "steps": {…},
    "actors": n, "seconds": s}``.
    """
    started = time.perf_counter()
    end = as_of()
    rng = random.Random(SEED)
    categories = _categories()
    first_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    with transaction.atomic(), quiet_channels():
        cast = _Cast()
        author = _Author(cast, rng, end, categories)
        author.stewards(440)
        author.chenguang(24)
        author.patrols(80, 25)
        author.hotline(60)
        author.residents(45)
        author.supervision(16)
        author.duplicates(0.09)
        author.pinned(12, 10, 5, 3)
        stories = sorted(author.stories, key=lambda s: (s.at, s.key))
        player = _Player(cast, rng, end)
        # The frame does not change while the stories play: each place chain, office and
        # named place is read once (what a file import does), not once per report.
        with routing.memo():
            player.run(stories, author.start)
        # The sweep at the as-of moment itself.
        with clock.frozen(end):
            _sweep_lights(end)
        # The played past has been read; what came in the last two days has not.
        Notification.objects.filter(
            pk__gt=first_notification or 0, created_at__lt=end - timedelta(days=2)
        ).update(read_at=end - timedelta(days=2))
    summary = summarize()
    summary["steps"] = dict(sorted(player.steps.items()))
    summary["actors"] = cast.made
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def summarize() -> dict[str, Any]:
    """Demo cases by status, source and light (open cases), from the database."""
    rows = list(Case.objects.filter(is_demo=True).values_list("status", "source", "light"))
    return {
        "cases": len(rows),
        "status": dict(sorted(Counter(r[0] for r in rows).items())),
        "source": dict(sorted(Counter(r[1] for r in rows).items())),
        "light": dict(sorted(Counter(r[2] or "none" for r in rows if r[0] in Case.OPEN).items())),
    }


def delete_cases(*, accounts: bool = True) -> int:
    """Delete the demo cases (their events, photos and notifications go with them) and, with
    ``accounts``, the actor accounts. Cases go before the places and units they point at."""
    ids = list(Case.objects.filter(is_demo=True).values_list("pk", flat=True))
    with transaction.atomic():
        for chunk in _chunks(ids, 500):
            Notification.objects.filter(data__case__in=chunk).delete()
        # Duplicates first: a master is protected by the cases merged into it.
        Case.objects.filter(is_demo=True, master__isnull=False).delete()
        Case.objects.filter(is_demo=True).delete()
        if accounts:
            get_user_model().objects.filter(
                username__startswith=ACTOR_PREFIX, person__is_demo=True
            ).delete()
    return len(ids)


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
