"""Need to know for district departments (issue 14, item 3).

A district bureau (区住建局) sits at the district, like demo-zjj's unit; its staff see the cases
dispatched to it or that it was asked to assist with, never another street's case it has no
part in — on the page, in the API, in the list counts and for comments (all 404, not 403).
Reading the whole district is a role (district leader, supervisor, administrator).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cityloop.cases import workflow
from tests.api.conftest import ApiClient
from tests.cases.conftest import IN_COMPOUND

# Inside compound_b (鸿泰花园, 三湾街社区, 中心路街道).
IN_STREET_B = (113.2915, 34.7815)
PHONE = "13800000001"


@pytest.fixture
def district(tree, make_account, cast, category, at_monday):
    """demo-like: the district desk dispatches one street-A case to 区住建局, one to the street's
    城管办 with 区住建局 assisting; a street-B case goes to 中心路's office alone."""
    from cityloop.core import tokens
    from cityloop.org import services as s

    dcc, _ = s.unit_save(
        actor=None, code="QCGZH", name="区数字城管中心", kind="bureau", place=tree.district
    )
    desk = make_account("dcc", roles=("supervisor",), unit=dcc)
    zjj = make_account("zjj", roles=("department_staff",), unit=tree.bureau)
    leader = make_account("leader", roles=("district_leader",), place=tree.district)

    def report(point, text):
        return workflow.report(
            actor=cast.resident,
            source="resident",
            description=text,
            category=category,
            lng=point[0],
            lat=point[1],
            reporter_name="李女士",
            reporter_phone=PHONE,
        )

    mine = report(IN_COMPOUND, "06小区3号楼墙体开裂，请住建部门查看")
    assisted = report(IN_COMPOUND, "06小区门口乱堆物堆料，涉及违建")
    foreign = report(IN_STREET_B, "鸿泰花园东门乱堆物堆料")
    for case, unit, assisting in (
        (mine, tree.bureau, ()),
        (assisted, cast.cgb, (tree.bureau,)),
        (foreign, tree.office_b, ()),
    ):
        workflow.accept(actor=desk, case_id=case.pk)
        workflow.dispatch(actor=desk, case_id=case.pk, unit=unit, assisting=assisting)

    def page(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return {
        "zjj": zjj,
        "leader": leader,
        "desk": desk,
        "mine": mine,
        "assisted": assisted,
        "foreign": foreign,
        "page": page,
        "api": lambda user: ApiClient(tokens.token_issue(user=user, label="test")),
    }


def test_department_reads_its_dispatched_and_assisted_cases(district):
    zjj = district["zjj"]
    page, api = district["page"](zjj), district["api"](zjj)
    for case in (district["mine"], district["assisted"]):
        assert page.get(f"/cases/{case.pk}/").status_code == 200
        assert api.get(f"/cases/{case.pk}").status_code == 200


def test_another_streets_case_is_not_found_for_the_department(district):
    zjj, foreign = district["zjj"], district["foreign"]
    page, api = district["page"](zjj), district["api"](zjj)
    assert page.get(f"/cases/{foreign.pk}/").status_code == 404
    r = api.get(f"/cases/{foreign.pk}")
    assert r.status_code == 404 and r.json()["code"] == "case_not_found"
    assert api.get(f"/cases/{foreign.pk}/events").status_code == 404
    # Nor may it comment on it (today it could): not found, and nothing written.
    before = foreign.events.count()
    r = api.post(f"/cases/{foreign.pk}/actions/comment", {"note": "住建局：已阅"})
    assert r.status_code == 404 and r.json()["code"] == "case_not_found"
    r = page.post(f"/cases/{foreign.pk}/actions/comment/", {"note": "住建局：已阅"})
    assert r.status_code == 404
    assert foreign.events.count() == before


def test_the_departments_list_counts_only_its_own(district):
    zjj = district["zjj"]
    body = district["api"](zjj).get("/cases", limit=50).json()
    assert body["count"] == 2
    assert {c["id"] for c in body["items"]} == {district["mine"].pk, district["assisted"].pk}
    workbench = district["page"](zjj).get("/cases/?tab=all").content.decode()
    assert district["foreign"].code not in workbench


def test_district_readers_still_see_every_street(district):
    every = {district["mine"].pk, district["assisted"].pk, district["foreign"].pk}
    for user in (district["leader"], district["desk"]):
        api = district["api"](user)
        body = api.get("/cases", limit=50).json()
        assert {c["id"] for c in body["items"]} == every
        assert api.get(f"/cases/{district['foreign'].pk}").status_code == 200


def test_the_department_reads_people_of_its_unit_only(district, cast):
    api = district["api"](district["zjj"])
    codes = {p["code"] for p in api.get("/people", limit=500).json()["items"]}
    assert "acct-zjj" in codes
    # the red steward sits at 06小区 (street A): today the district place covered them
    assert "acct-steward" not in codes
    assert "acct-desk" not in codes and "acct-zxl-desk" not in codes


def test_the_department_sees_tasks_of_its_unit_not_every_streets(district, tree):
    from cityloop.supervision import queries
    from cityloop.supervision.services import TaskInput, create_task

    def task(code, unit, assisting=()):
        return create_task(
            actor=district["desk"],
            data=TaskInput(
                code=code,
                title="老旧小区改造",
                kind="key_work",
                category="old_compound_renovation",
                responsible_unit=unit.code,
                assisting_units=[u.code for u in assisting],
                start=date(2026, 1, 1),
                deadline=date(2026, 12, 31),
            ),
        )

    own = task("T-ZJJ", tree.bureau)
    helps = task("T-HELP", tree.office_a, (tree.bureau,))
    other = task("T-ZXL", tree.office_b)
    assert set(queries.visible_tasks(district["zjj"]).values_list("pk", flat=True)) == {
        own.pk,
        helps.pk,
    }
    assert other in queries.visible_tasks(district["leader"])


def test_the_reporters_phone_is_whole_for_the_handling_units_only(district, cast):
    mine = district["mine"]
    for user in (district["zjj"], district["desk"]):
        page = district["page"](user).get(f"/cases/{mine.pk}/").content.decode()
        assert PHONE in page
    # The red steward of 06小区 reads the case through the compound but does not handle it.
    page = district["page"](cast.steward).get(f"/cases/{mine.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert PHONE not in text and "138****0001" in text
