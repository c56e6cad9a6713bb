"""The demo's projects and campaigns reproduce the seeds' quantities from records, read back
through the same queries that pages, the API and reports use."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cityloop.campaigns import queries as cq
from cityloop.campaigns.models import Campaign
from cityloop.demo import projects as demo_projects
from cityloop.org.models import Place
from cityloop.projects import queries as pq
from cityloop.projects.models import Acceptance, Project

P = demo_projects.PREFIX


@pytest.fixture(scope="module")
def demo(shared_demo):
    return shared_demo  # the session's whole demo, projects included (tests/conftest.py)


@pytest.fixture
def loaded(demo, db):
    return demo


def _items(codes):
    return {i["name"]: i for i in pq.portfolio(None, codes=codes).items}


def test_06_compound_quantities_and_its_task(loaded):
    items = _items([f"{P}JYL-06"])
    assert items["拆除外伸防盗网、花架"]["done"] == 1680
    assert items["路边石修补"]["done"] == 1410
    assert items["人行道砖铺设"]["done"] == 1830
    green = items["绿化小景观苗木栽植"]
    assert (green["done"], green["planned"]) == (Decimal("4.5"), 5)  # 5 组团, 90 %
    p = Project.objects.get(code=f"{P}JYL-06")
    p.task.refresh_from_db()
    assert p.task.progress == p.progress == Decimal(str(pq.derived_progress(p)))


def test_xiagang_parks_roads_bridges_drainage_greening(loaded):
    parks = pq.portfolio(None, type_code="pocket_park")
    assert (parks.projects, parks.budget, parks.area) == (4, 624, 9035)
    roads, bridges = pq.portfolio(None, type_code="road"), pq.portfolio(None, type_code="bridge")
    assert (roads.projects, roads.complete) == (18, 5)
    assert (bridges.projects, bridges.complete) == (12, 2)
    drain = Project.objects.get(code=f"{P}XAL-DRAIN")
    assert drain.progress == Decimal("96.7")
    d = _items([drain.code])
    assert d["排水单元达标"]["done"] == 220 and d["排水单元达标面积"]["done"] == Decimal("654.537")
    g = _items([f"{P}XAL-GREEN"])
    assert (g["修剪树木"]["done"], g["新增、补种树木植被"]["done"], g["提升绿化面积"]["done"]) == (
        1660,
        1500,
        68000,
    )


def test_investment_pipeline(loaded):
    pipe = pq.pipeline(None, type_code="investment")
    stages = {s["code"]: s["count"] for s in pipe["stages"]}
    assert (pipe["total"], stages["negotiation"], stages["landed"]) == (27, 9, 15)
    rows = Project.objects.filter(type__code="investment", is_demo=True)
    assert not rows.filter(leader__isnull=True).exists()
    assert not rows.filter(coordinator__isnull=True).exists()


def test_three_emphases_renovation_failed_then_passed(loaded):
    p = Project.objects.get(code=f"{P}ZXL-SZZ")
    assert (p.state, p.stage) == ("complete", "handed_over")
    rounds = list(Acceptance.objects.filter(project=p).values_list("result", flat=True))
    assert rounds == ["failed", "passed"]
    counts = pq.opinion_counts(p)
    assert counts["methods"]["meeting"]["rounds"] == 2 and counts["reached"] == 313
    assert {r["link"].kind for r in pq.inspections_of(p)} == {"quality", "safety"}
    assert p.design_items.count() == 5


def test_campaign_totals(loaded):
    chenguang = Place.objects.get(code=demo_projects.CHENGUANG)
    fri = cq.totals(None, place=chenguang, kind="cleanup")
    assert (fri.sessions, fri.person_times) == (32, 1356)
    assert fri.resource("垃圾清运车") == 72
    assert fri.output("dead_corners") == 104 and fri.output("illegal_structures") == 10
    zxl = cq.totals(None, campaign=Campaign.objects.get(code=f"{P}ZXL-WZG"))
    assert (zxl.output("flyers"), zxl.output("dead_corners"), zxl.output("illegal_structures")) == (
        1300,
        340,
        21,
    )
    assert zxl.places_with_outputs == 34
    catkins = cq.totals(None, campaign=Campaign.objects.get(code=f"{P}QNW-YLFX"))
    assert catkins.output("trees_treated") == 2000 and catkins.resource("凝絮剂") == 8
    assert catkins.sessions == 21  # 16 roads, 5 compounds


def test_demo_projects_can_be_deleted(loaded):
    assert demo_projects.present()
    demo_projects.delete_projects()
    assert not demo_projects.present()
