"""Case-loop fixtures: a leaf category, and the people who play each part on a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cityloop.core import clock, geo

SH = ZoneInfo("Asia/Shanghai")
# Inside compound_a of the shared tree (06小区, 新华街社区, 济源路街道).
IN_COMPOUND = (113.2612, 34.7812)


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # argon2 costs ~0.15 s per account and each case test makes eight; the hasher itself is
    # tested in tests/org.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_geo_index():
    geo.invalidate()
    yield
    geo.invalidate()


@pytest.fixture
def at_monday():
    """Monday 2026-11-23 09:00 in Shanghai: an ordinary working morning."""
    with clock.frozen(datetime(2026, 11, 23, 9, 0, tzinfo=SH)) as now:
        yield now


@pytest.fixture
def category(db):
    from cityloop.cases.models import Category

    main = Category.objects.create(code="T-S01", name="市容环境(测试)", kind="event")
    return Category.objects.create(
        code="T-S0101",
        name="乱堆物堆料(测试)",
        parent=main,
        kind="event",
        level="community",
        time_limits={
            "accept": {"amount": 2, "type": "work_hours"},
            "dispatch": {"amount": 2, "type": "work_hours"},
            "handle": {"amount": 5, "type": "work_days"},
            "verify": {"amount": 1, "type": "work_days"},
            "return_visit": {"amount": 3, "type": "work_days"},
        },
    )


@dataclass
class Cast:
    desk: object  # street staff of street A: accepts, dispatches, verifies
    handler: object  # staff of the street's 城管办: handles
    verifier: object  # a second desk account
    outsider: object  # street staff of street B
    resident: object  # an account with no duties
    steward: object  # red steward of compound A
    chief: object  # road chief of road A
    cgb: object  # the 城管办 unit


@pytest.fixture
def cast(tree, make_account):
    from cityloop.org import services as s

    cgb, _ = s.unit_save(
        actor=None,
        code="JYL-CGB",
        name="城管办",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )
    steward = make_account("steward", roles=("red_steward",), place=tree.compound_a)
    chief = make_account("chief", roles=("road_chief",), unit=tree.office_a)
    for user, role, kw in (
        (steward, "red_steward", {"place": tree.compound_a}),
        (chief, "road_chief", {"zone": tree.road_a}),
    ):
        person = user.person
        s.duty_assign(actor=None, person=person, role=role, level="community", **kw)
    return Cast(
        desk=make_account("desk", roles=("street_staff",), unit=tree.office_a),
        handler=make_account("cgb-staff", roles=("department_staff",), unit=cgb),
        verifier=make_account("desk2", roles=("street_staff",), unit=tree.office_a),
        outsider=make_account("zxl-desk", roles=("street_staff",), unit=tree.office_b),
        resident=make_account("resident", roles=("resident",)),
        steward=steward,
        chief=chief,
        cgb=cgb,
    )


@pytest.fixture
def new_case(cast, category, at_monday):
    from cityloop.cases import workflow

    return workflow.report(
        actor=cast.resident,
        source="resident",
        description="06小区3号楼门口乱堆物堆料，堵住消防通道",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        reporter_name="李女士",
        reporter_phone="13800000001",
    )
