"""What the demo district contains, taken from the seed documents.

Seed files are cited as ``[000]`` … ``[004]`` (``shared/seeds/``). Where a seed gives a
number, the demo has that number; everything the seeds do not say (other community names,
compound names, people) is invented, plausible and marked demo data. People are fictional:
their names are drawn from fixed lists, never from the seeds' real officials.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DATASET_VERSION = "3"  # raise when the dataset changes in a way the fingerprint cannot see

DISTRICT_CODE = "410106"  # real administrative code of 上街区
DISTRICT_NAME = "上街区"

# Seed figures for the district as a whole [003]: "全区59个社区、284个小区楼院".
DISTRICT_COMMUNITIES = 59
DISTRICT_COMPOUNDS = 284


@dataclass(frozen=True)
class CommunitySpec:
    name: str
    compounds: int
    unmanaged: int = 0  # how many of its compounds are 无主管
    owners_committee: int = 0
    self_managed: int = 0
    # Named compounds first in the list: (name, management)
    named: tuple[tuple[str, str], ...] = ()
    attrs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StreetSpec:
    seq: str  # the 3-digit part of the administrative code
    name: str
    unit_code: str  # street office
    area_share: float  # share of the district's area (schematic)
    roads: int
    real_roads: tuple[str, ...]  # road names known for this street, placed first
    communities: tuple[CommunitySpec, ...]
    attrs: dict = field(default_factory=dict)


def _c(name: str, compounds: int, unmanaged: int = 0, **kw) -> CommunitySpec:
    return CommunitySpec(name=name, compounds=compounds, unmanaged=unmanaged, **kw)


# 晨光社区 [003]: 14 楼院, 9 of them 无主管; an owners' committee in 鸿泰花园; 自管会 in the
# unmanaged ones; party branches (4 provisional, 1 formal), 16 self-managed and 4 community
# party members; 8 楼院长 and 20 楼长; 9 partner party branches.
CHENGUANG_UNMANAGED = (
    "原矿务局家属院",
    "原耐材厂家属院",
    "原水泥厂家属院",
    "原供销社家属院",
    "原粮管所家属院",
    "原农机站家属院",
    "原砖瓦厂家属院",
    "原卫生院家属院",
    "原信用社家属院",
)
CHENGUANG_COMPOUND_HEADS = 8
CHENGUANG_BUILDINGS_PER_HEADED_COMPOUND = (3, 3, 3, 3, 2, 2, 2, 2)  # 20 楼长 in all
CHENGUANG_PARTNERS = (  # [003] "区发改委、区信访局、区教育局、峡窝镇机关等9个党支部"
    "QFGW",
    "QXFJ",
    "QJYJ",
    "XW",
    "QSFJ",
    "QTJJ",
    "QCZJ",
    "QRSJ",
    "QZRZYJ",
)

STREETS: tuple[StreetSpec, ...] = (
    StreetSpec(
        "001",
        "济源路街道",
        "JYL",
        0.15,
        roads=71,  # [000] "街道对辖区 71 条道路实行'路长制'全覆盖"
        real_roads=("济源路", "金华路", "新华街", "中安街", "汝南路", "许昌路", "淮阳路", "登封路"),
        # [004] 63 无主管楼院 under 联建共建; 80 compounds in all here.
        communities=(
            _c("新华街社区", 7, 6, named=(("06小区", "unmanaged"),)),  # [003] 06小区
            _c("中安街社区", 7, 6),  # [003] 中安街里坊
            _c("汝南路社区", 7, 6),
            _c("许昌路社区", 7, 6),
            _c("淮阳路社区", 7, 5),
            _c("登封路社区", 7, 5),
            _c("济源路社区", 7, 5),
            _c("兴华街社区", 7, 5),
            _c("安乐社区", 6, 5),
            _c("福华街社区", 6, 5),
            _c("朝阳社区", 6, 5, self_managed=1),
            _c("铝城社区", 6, 4, self_managed=1),
        ),
    ),
    StreetSpec(
        "002",
        "中心路街道",
        "ZXL",
        0.12,
        roads=16,
        real_roads=("中心路", "通航路"),
        # [003] "深入34个无主管、无物业小区"; 50 compounds in all here.
        communities=(
            _c("三湾街社区", 5, 4),  # [001] 三湾街社区"侨胞之家"
            _c("中心路社区", 5, 4),
            _c("金华路社区", 5, 4),
            _c("通航社区", 5, 4),
            _c("和平社区", 5, 3),
            _c("工农社区", 5, 3),
            _c("友谊社区", 5, 3),
            _c("新星社区", 5, 3),
            _c("红旗社区", 5, 3),
            _c("龙岗社区", 5, 3),
        ),
    ),
    StreetSpec(
        "003",
        "新安路街道",
        "XAL",
        0.11,
        roads=12,
        real_roads=("新安路", "宜阳路"),
        communities=(
            _c("颍苑社区", 5, 1),  # [003] 颍苑社区"侨胞之家"
            _c("新安路社区", 5, 1),
            _c("西苑社区", 5, 1),
            _c("永安社区", 5, 1),
            _c("康宁社区", 5, 1),
            _c("五一社区", 4, 1),
            _c("建设社区", 4, 1),
            _c("文化社区", 4, 1),
            _c("民主社区", 4),
            _c("金城社区", 4),
        ),
    ),
    StreetSpec(
        "004",
        "工业路街道",
        "GYL",
        0.10,
        roads=12,
        real_roads=("工业路",),
        communities=(
            # [003] 区房管中心 观摩 "红色物业" at 亚星江南小镇
            _c("江南社区", 5, named=(("亚星江南小镇", "property_company"),)),
            _c("工业路社区", 5, 1),
            _c("东方社区", 5, 1),
            _c("铝都社区", 5, 1),
            _c("振兴社区", 5, 1),
            _c("长江社区", 4, 1),
            _c("黄河社区", 4, 1),
            _c("华山社区", 4),
            _c("嵩山社区", 4),
            _c("育英社区", 4),
        ),
    ),
    StreetSpec(
        "005",
        "矿山街道",
        "KS",
        0.12,
        roads=10,
        real_roads=(),
        communities=(
            _c("矿山社区", 6, 2),
            _c("铁路社区", 6, 2),
            _c("东岭社区", 4, 1),
            _c("西岭社区", 4, 1),
            _c("青年社区", 4, 1),
            _c("育才社区", 3, 1),
            _c("光明社区", 3, 1),
        ),
    ),
    StreetSpec(
        # 峡窝镇 is a town (镇): towns take 1xx in the national code scheme.
        "100",
        "峡窝镇",
        "XW",
        0.40,
        roads=14,
        real_roads=("昆仑路",),  # [003] "昆仑路铁路沿线"
        communities=(
            _c(
                "晨光社区",
                14,
                9,
                owners_committee=1,
                named=(("鸿泰花园", "owners_committee"),),
                attrs={
                    "party_branches": {"provisional": 4, "formal": 1},
                    "party_members": {"self_managed": 16, "community": 4},
                    "self_management_committees": True,
                },
            ),
            _c("峡窝村", 3, self_managed=3),
            _c("马固村", 3, self_managed=3),
            _c("三李村", 2, self_managed=2),
            _c("上街村", 2, self_managed=2),
            _c("冯沟村", 2, self_managed=2),
            _c("西涧沟村", 2, self_managed=2),
            _c("东涧沟村", 2, self_managed=2),
            _c("后寨村", 2, self_managed=2),
            _c("金屏村", 2, self_managed=2),
        ),
    ),
)

# "两纵三横" five roads under district-level road chiefs [001].
MAIN_ROADS = ("济源路", "金华路", "中心路", "新安路", "工业路")

# Road names beyond the ones the seeds give: 上街's roads are named after Henan counties.
ROAD_POOL = (
    "洛阳路 孟津路 偃师路 巩义路 荥阳路 汝州路 鲁山路 宝丰路 郏县路 叶县路 "
    "舞阳路 临颍路 襄城路 禹州路 长葛路 鄢陵路 尉氏路 通许路 杞县路 兰考路 民权路 睢县路 "
    "宁陵路 柘城路 虞城路 夏邑路 永城路 固始路 淮滨路 息县路 正阳路 确山路 泌阳路 遂平路 "
    "西平路 上蔡路 新蔡路 平舆路 汝阳路 嵩县路 栾川路 卢氏路 灵宝路 渑池路 义马路 伊川路 "
    "新郑路 中牟路 林州路 滑县路 浚县路 淇县路 修武路 温县路 沁阳路 孟州路 博爱路 武陟路"
).split()

# Compound names for managed compounds: prefix × suffix, taken in order.
COMPOUND_PREFIXES = (
    "阳光 铝城 金桂 翠竹 紫荆 锦绣 盛世 和谐 幸福 丽景 康桥 书香 名仕 嘉和 馨园 "
    "桂香 海棠 泰和 兴隆 育才 文华 天悦 清华 东方 新城 怡和 鑫源 聚福 玉兰 碧水"
).split()
COMPOUND_SUFFIXES = ("花园", "苑", "家园", "小区", "华庭", "雅居")

# District bureaus and other units named in the seeds: (code, name, short name, kind).
BUREAUS: tuple[tuple[str, str, str, str], ...] = (
    ("QWB", "中共上街区委办公室", "区委办", "party_government"),  # [001][004] bulletin issuer
    ("QZJJ", "区住房和城乡建设局", "区住建局", "bureau"),  # [001]
    ("QNW", "区农业农村工作委员会", "区农委", "bureau"),  # [000][004]
    ("QSWJ", "区商务局", "区商务局", "bureau"),  # [000]
    ("QZWJ", "区政务服务和大数据管理局", "区政务和大数据局", "bureau"),  # [000]
    ("QDCJ", "区督查局", "区督查局", "bureau"),  # [004]
    ("QLGBJ", "中共上街区委老干部局", "区委老干部局", "party_government"),  # [004]
    ("SSTHJJ", "郑州市生态环境局上街分局", "市生态环境局上街分局", "bureau"),  # [004]
    ("QTJJ", "区统计局", "区统计局", "bureau"),  # [004]
    ("QCZJ", "区财政局", "区财政局", "bureau"),  # [003]
    ("QRSJ", "区人力资源和社会保障局", "区人社局", "bureau"),  # [003]
    ("QZRZYJ", "区自然资源和规划局", "区自然资源和规划局", "bureau"),  # [003]
    ("QFGZX", "区房产管理中心", "区房管中心", "bureau"),  # [003]
    ("QJYJ", "区教育局", "区教育局", "bureau"),  # [003]
    ("QSFJ", "区司法局", "区司法局", "bureau"),  # [003]
    ("QXFJ", "区信访局", "区信访局", "bureau"),  # [003]
    ("QFGW", "区发展和改革委员会", "区发改委", "bureau"),  # [003]
    ("QSCJGJ", "区市场监督管理局", "区市场监管局", "bureau"),  # [001]
)
# The district's city-management desk and bureau: the case loop's district level. The seeds
# do not name them; every district of the 数字城管 standard has both. The centre's code sorts
# first among the district's party/government units, so district-level cases reach its desk.
CITY_MANAGEMENT_UNITS: tuple[tuple[str, str, str, str], ...] = (
    ("QCGZH", "区数字化城市管理监督指挥中心", "区数字城管中心", "party_government"),
    ("QCGJ", "区城市管理局", "区城管局", "bureau"),
)
# Units that adopt 济源路街道's unmanaged compounds (联建共建 [004]), in turn.
JYL_PARTNERS = tuple(code for code, *_ in BUREAUS if code not in {"QWB"})

# Offices inside every street office [000][003]: (suffix, name).
STREET_OFFICES = (
    ("CGB", "城管办"),
    ("YJB", "应急办"),
    ("STB", "生态办"),
    ("QYB", "区域办"),
    ("JJB", "纪检办"),
)

# 防汛隐患点 of 峡窝镇 [003]: "昆仑路铁路沿线、渣土场、废弃窑洞、代建工地及部分城市积水严重路段".
HAZARD_POINTS = (
    "昆仑路铁路沿线",
    "渣土场",
    "废弃窑洞",
    "代建工地",
    "城市积水路段",
)

# Parks: (street seq, community index, name). 体育场法治公园 is named in [003].
PARKS = (
    ("001", 1, "体育场法治公园"),
    ("002", 0, "中心游园"),
    ("003", 0, "颍苑游园"),
    ("004", 0, "江南游园"),
)

GRIDS_PER_COMMUNITY = 2

# Fictional people: a name is a surname and a given name from these lists, in an order
# fixed by a seeded shuffle. Seed officials' names are excluded below.
SURNAMES = (
    "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 董 萧"
).split()
GIVEN_NAMES = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 玉兰 "
    "建国 志强 晓燕 海燕 红梅 立新 文博 子涵 雨欣 浩然 思远 嘉怡 宇航 梦琪 俊杰 雅婷"
).split()
SEED_PEOPLE = frozenset(
    "宋洁 耿勇军 李新军 邓书安 汤晓义 虎荣鑫 赵晨阳 张向奥 王文权 房玉雯 高歌 金嵩尧 "
    "刘丽军 禹建超 马彦 冯晓静 王腾卓 李立营 蔡肇娥 王宁 张笑颖 武雯静 杨国威 李玉娟 "
    "蔡京京 郭锦标 袁佳 周飞 崔赞 张臻 魏秀锋 时代 许峰 雷霄 杨珍珠 牛东旭 郝婕 柴亚文".split()
)
PHONE_PREFIX = "1390000"  # 139 0000 xxxx: a fixed fake block
