"""The demo accounts: one per role, all with one password (documented in docs/guide/demo.md).

Each account stands for a Person of the demo; where the role is a duty (road chief, grid
worker, compound head …), that person *is* the duty holder in the demo data, so logging in
shows the duty's roads, grid or compound.
"""

from __future__ import annotations

DEMO_PASSWORD = "cityloop-demo"
SUPERUSER = "demo-admin"

# (username, name, roles, unit code, place code, description)
DEMO_ACCOUNTS: list[tuple[str, str, tuple[str, ...], str, str, str]] = [
    (SUPERUSER, "演示管理员", ("admin",), "", "410106", "超级管理员，可见全部数据与后台"),
    (
        "demo-leader",
        "周立平",
        ("district_leader",),
        "",
        "410106",
        "区领导：全区范围；“两纵三横”济源路的区级路长",
    ),
    (
        "demo-supervisor",
        "沈慧敏",
        ("supervisor",),
        "QDCJ",
        "",
        "区督查局督查员：督查全区重点工作与民生实事",
    ),
    ("demo-zjj", "邵文斌", ("department_staff",), "QZJJ", "", "区住建局科员：接收街道上报的事项"),
    (
        "demo-dcc",
        "白雪梅",
        ("supervisor",),
        "QCGZH",
        "",
        "区数字化城市管理监督指挥中心坐席员：受理 12345 热线与区级案件，派遣、核查、回访",
    ),
    ("demo-cgj", "郑国庆", ("department_staff",), "QCGJ", "", "区城市管理局科员：处置区级城管案件"),
    ("jyl-street", "钱卫东", ("street_staff",), "JYL", "", "济源路街道办事处工作人员"),
    ("zxl-street", "孔德明", ("street_staff",), "ZXL", "", "中心路街道办事处工作人员"),
    ("xw-street", "江春燕", ("street_staff",), "XW", "", "峡窝镇人民政府工作人员"),
    (
        "jyl-cgb",
        "贺军辉",
        ("department_staff",),
        "JYL-CGB",
        "",
        "济源路街道城管办科员：处置街道派遣的城管案件",
    ),
    (
        "xhj-community",
        "程丽华",
        ("community_worker",),
        "JYL-SQ001",
        "410106001001",
        "新华街社区居委会工作人员",
    ),
    (
        "demo-grid",
        "方志刚",
        ("grid_worker",),
        "JYL-SQ001",
        "",
        "新华街社区第一网格网格员",
    ),
    (
        "demo-roadchief",
        "蒋红霞",
        ("road_chief",),
        "JYL-SQ001",
        "",
        "新华街社区社区级路长：负责社区内的道路",
    ),
    (
        "cg-compound",
        "田守业",
        ("compound_head",),
        "",
        "410106100001001",
        "晨光社区原矿务局家属院楼院长",
    ),
    (
        "cg-building",
        "姚桂兰",
        ("building_head",),
        "",
        "410106100001001",
        "晨光社区原矿务局家属院1号楼楼长",
    ),
    (
        "cg-steward",
        "汪建新",
        ("red_steward",),
        "",
        "410106100001009",
        "晨光社区原信用社家属院“红管家”",
    ),
    (
        "jyl-steward",
        "闫秀珍",
        ("red_steward",),
        "",
        "410106001001001",
        "新华街社区06小区（无主管楼院）“红管家”：代居民上报微信群里反映的问题",
    ),
    ("demo-resident", "石小雨", ("resident",), "", "", "居民（新华街社区06小区）：上报与评价"),
]


def person_code(username: str) -> str:
    """The Person an account stands for."""
    return f"P-ACC-{username}"


def demo_usernames() -> list[str]:
    return [row[0] for row in DEMO_ACCOUNTS]
