"""Deliberation fixtures: a desk of 济源路街道 that runs topics, an outsider, and a way to
register a compound's households through the real import."""

from __future__ import annotations

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cityloop.core import clock

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["楼栋", "单元", "房号", "面积", "业主", "业主标识", "电话"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_code_limits(monkeypatch):
    """Each test counts code requests from zero: its own key prefix in the shared cache (never
    a flush, which on Redis would empty a database others use)."""
    import uuid

    from cityloop.deliberation import workflow

    monkeypatch.setattr(workflow, "LIMIT_PREFIX", f"test:{uuid.uuid4().hex}", raising=False)


@pytest.fixture
def at_day():
    with clock.frozen(datetime(2026, 6, 1, 9, 0, tzinfo=SH)) as now:
        yield now


@pytest.fixture
def desk(tree, make_account):
    return make_account("jyl-desk", roles=("street_staff",), unit=tree.office_a)


@pytest.fixture
def outsider(tree, make_account):
    return make_account("zxl-desk", roles=("street_staff",), unit=tree.office_b)


@pytest.fixture
def write_csv(tmp_path):
    def write(rows, name="households.csv", header=HEADER):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        return path

    return write


@pytest.fixture
def register(desk, tree, write_csv):
    """Register households of compound A: rows of (building, entrance, room, area, owners,
    keys, phones)."""
    from cityloop.deliberation import services

    def reg(rows, compound=None):
        report = services.households_import(
            actor=desk, compound=compound or tree.compound_a, path=write_csv(rows)
        )
        assert report.ok, report.as_dict()
        return report

    return reg


# Five units, four heads: 王 owns two units; 李 and 赵 co-own one. Total area 400 m².
FIVE_UNITS = [
    ["1号楼", "1", "101", "100", "王建国", "W1", "13900000001"],
    ["1号楼", "1", "102", "60", "王建国", "W1", "13900000001"],
    ["1号楼", "2", "201", "80", "李华、赵敏", "L1、Z1", "13900000002、13900000003"],
    ["2号楼", "1", "101", "90", "孙丽", "S1", "13900000004"],
    ["2号楼", "1", "102", "70", "周强", "Z2", "13900000005"],
]


@pytest.fixture
def topic_at_vote(desk, tree, register, at_day):
    """A renovation-class topic of compound A taken to the open vote."""
    from cityloop.deliberation import services, workflow

    register(FIVE_UNITS)
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="06小区文化墙改造", rule="owners_major"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="建设“长城的守望”主题文化墙")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="议事会讨论通过方案", attendance=9)
    workflow.open_vote(actor=desk, topic_id=topic.pk, question="是否同意改造方案？")
    topic.refresh_from_db()
    return topic


def units_of(topic):
    from cityloop.deliberation.models import Household

    return {
        f"{h.building}-{h.entrance}-{h.room}": h
        for h in Household.objects.filter(compound=topic.place)
    }
