"""Assessment fixtures: 中心路街道 with two communities, the people who play a case through
its loop there, a 创卫-style scheme, and a clock pinned in June 2020."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cityloop.core import clock

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def at():
    """Pin the clock to a moment; call again to move it."""
    stack = []

    def pin(moment: datetime):
        if stack:
            stack.pop().__exit__(None, None, None)
        cm = clock.frozen(moment)
        cm.__enter__()
        stack.append(cm)

    yield pin
    while stack:
        stack.pop().__exit__(None, None, None)


@dataclass
class Zxl:
    street: object  # 中心路街道 (place)
    office: object  # 中心路街道办事处
    sw: object  # 三湾街社区
    zx: object  # 中心路社区
    sw_unit: object  # 三湾街社区居委会
    zx_unit: object
    cgb: object  # 城管办 of the street
    desk: object  # street staff: accepts, dispatches, assesses
    verifier: object
    handler: object  # 城管办 staff
    sw_worker: object  # community worker of 三湾街社区
    outsider: object  # street staff of 济源路街道
    category: object


@pytest.fixture
def zxl(tree, make_account):
    from cityloop.cases.models import Category
    from cityloop.org import services as s

    zx, _ = s.place_save(
        actor=None, code="410106002002", name="中心路社区", kind="community", parent=tree.street_b
    )
    sw_unit, _ = s.unit_save(
        actor=None,
        code="ZXL-SQ001",
        name="三湾街社区居民委员会",
        kind="community_committee",
        parent=tree.office_b,
        place=tree.community_b,
        short_name="三湾街社区",
    )
    zx_unit, _ = s.unit_save(
        actor=None,
        code="ZXL-SQ002",
        name="中心路社区居民委员会",
        kind="community_committee",
        parent=tree.office_b,
        place=zx,
        short_name="中心路社区",
    )
    cgb, _ = s.unit_save(
        actor=None,
        code="ZXL-CGB",
        name="中心路街道城管办",
        kind="office",
        parent=tree.office_b,
        place=tree.street_b,
        short_name="城管办",
    )
    main = Category.objects.create(code="T-Z01", name="市容环境(测试)", kind="event")
    category = Category.objects.create(
        code="T-Z0101",
        name="暴露垃圾(测试)",
        parent=main,
        kind="event",
        level="community",
        time_limits={
            "accept": {"amount": 2, "type": "work_hours"},
            "dispatch": {"amount": 2, "type": "work_hours"},
            "handle": {"amount": 2, "type": "work_days"},
            "verify": {"amount": 1, "type": "work_days"},
            "return_visit": {"amount": 3, "type": "work_days"},
        },
    )
    return Zxl(
        street=tree.street_b,
        office=tree.office_b,
        sw=tree.community_b,
        zx=zx,
        sw_unit=sw_unit,
        zx_unit=zx_unit,
        cgb=cgb,
        desk=make_account("zxl-desk", roles=("street_staff",), unit=tree.office_b),
        verifier=make_account("zxl-desk2", roles=("street_staff",), unit=tree.office_b),
        handler=make_account("zxl-cgb", roles=("department_staff",), unit=cgb),
        sw_worker=make_account(
            "sw-worker", roles=("community_worker",), unit=sw_unit, place=tree.community_b
        ),
        outsider=make_account("jyl-desk", roles=("street_staff",), unit=tree.office_a),
        category=category,
    )


@pytest.fixture
def play(zxl):
    """Play a case in a community from report to close (and a return visit)."""
    from cityloop.cases import workflow

    def run(
        community,
        *,
        late: bool = False,
        close: bool = True,
        reopen: bool = False,
        satisfaction: str = "satisfied",
        day: date = date(2020, 6, 1),
    ):
        start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=SH)
        with clock.frozen(start):
            case = workflow.report(
                actor=zxl.desk,
                source="hotline",
                description=f"{community.name}路边暴露垃圾未清运",
                category=zxl.category,
                place=community,
            )
            workflow.accept(actor=zxl.desk, case_id=case.pk)
            workflow.dispatch(actor=zxl.desk, case_id=case.pk, unit=zxl.cgb)
        if not close:
            return case
        # On time: the same afternoon; late: a week later (the limit is 2 working days).
        reply_at = (
            start.replace(hour=15)
            if not late
            else datetime(day.year, day.month, day.day + 7, 10, tzinfo=SH)
        )
        with clock.frozen(reply_at):
            workflow.reply(actor=zxl.handler, case_id=case.pk, result="已清运")
            if reopen:
                workflow.verify(actor=zxl.verifier, case_id=case.pk, passed=False, note="未清干净")
                workflow.reply(actor=zxl.handler, case_id=case.pk, result="已清干净")
            case = workflow.verify(actor=zxl.verifier, case_id=case.pk, passed=True)
            if satisfaction:
                case = workflow.return_visit(
                    actor=zxl.desk, case_id=case.pk, satisfaction=satisfaction
                )
        return case

    return run


@pytest.fixture
def scheme(zxl):
    """创卫复审百分考核 (test): on-time close 40 (min 3 cases), satisfaction 20, inspection
    findings 20 (2 off per finding), an entered 市容 item 20."""
    from cityloop.assessment import services, workflow
    from cityloop.assessment.services import ItemInput

    s = services.scheme_create(
        code="CW",
        name="创卫复审百分考核",
        target_kind="community",
        period_kind="month",
        owner=zxl.office,
        items=[
            ItemInput(
                "ontime",
                "按期结案率",
                40,
                "computed",
                "on_time_close_rate",
                {"kind": "linear", "zero": 0.5, "full": 1.0},
                min_volume=3,
            ),
            ItemInput(
                "satisfied",
                "群众满意率",
                20,
                "computed",
                "satisfaction_rate",
                {
                    "kind": "thresholds",
                    "steps": [{"min": 0.95, "share": 1}, {"min": 0.8, "share": 0.5}],
                },
            ),
            ItemInput(
                "findings",
                "督查发现问题",
                20,
                "computed",
                "inspection_findings",
                {"kind": "deduction", "per": 2, "floor": 0},
            ),
            ItemInput("appearance", "市容环境实地检查", 20, "entered", standard="督查小组实地打分"),
        ],
    )
    workflow.activate_scheme(actor=zxl.desk, code="CW", version=s.version)
    return s
