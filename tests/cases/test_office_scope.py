"""Need to know inside a street (issue 14, item 3; docs/security.md).

A street's internal office (街道城管办, unit kind ``office``) reads what reaches its unit — the
cases dispatched to it or that it assists, its tasks, letters and projects, the people of its
unit — like a district bureau, not every record of its street. The street desk (street_staff)
reads the whole street, also when it sits in an office.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cityloop.cases import workflow
from tests.api.conftest import ApiClient
from tests.cases.conftest import IN_COMPOUND


@pytest.fixture
def street(tree, cast, category, at_monday, make_account):
    """Street A: one case dispatched to its 城管办, one to its 企业办, one to 城管办 as an
    assisting unit, one still waiting at the street desk."""
    from cityloop.core import tokens
    from cityloop.org import services as s

    qyb, _ = s.unit_save(
        actor=None,
        code="JYL-QYB",
        name="企业办",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )

    def report(text):
        return workflow.report(
            actor=cast.resident,
            source="resident",
            description=text,
            category=category,
            lng=IN_COMPOUND[0],
            lat=IN_COMPOUND[1],
        )

    texts = ("06小区乱堆物堆料", "06小区占道经营", "06小区企业噪声", "06小区路灯不亮")
    mine, assisted, other, waiting = (report(t) for t in texts)
    routes = ((mine, cast.cgb, ()), (assisted, qyb, (cast.cgb,)), (other, qyb, ()))
    for case, unit, assisting in routes:
        workflow.accept(actor=cast.desk, case_id=case.pk)
        workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=unit, assisting=assisting)

    def page(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return {
        "qyb": qyb,
        "mine": mine,
        "assisted": assisted,
        "other": other,
        "waiting": waiting,
        "page": page,
        "api": lambda user: ApiClient(tokens.token_issue(user=user, label="test")),
        "make_account": make_account,
    }


def test_the_office_scope_is_its_unit_not_its_street(cast, tree):
    from cityloop.core.scope import scope_for

    scope = scope_for(cast.handler)
    assert scope.place_paths == frozenset()
    assert scope.unit_paths == {cast.cgb.path}
    assert not scope.covers(tree.compound_a)
    assert scope_for(cast.desk).covers(tree.compound_a)


def test_the_office_reads_what_reaches_its_unit(street, cast):
    page, api = street["page"](cast.handler), street["api"](cast.handler)
    for case in (street["mine"], street["assisted"]):
        assert page.get(f"/cases/{case.pk}/").status_code == 200
        assert api.get(f"/cases/{case.pk}").status_code == 200
    body = api.get("/cases", limit=50).json()
    assert {c["id"] for c in body["items"]} == {street["mine"].pk, street["assisted"].pk}


def test_the_streets_other_cases_are_not_found_for_the_office(street, cast):
    page, api = street["page"](cast.handler), street["api"](cast.handler)
    for case in (street["other"], street["waiting"]):
        assert page.get(f"/cases/{case.pk}/").status_code == 404
        r = api.get(f"/cases/{case.pk}")
        assert r.status_code == 404 and r.json()["code"] == "case_not_found"
        before = case.events.count()
        r = api.post(f"/cases/{case.pk}/actions/comment", {"note": "城管办：已阅"})
        assert r.status_code == 404
        assert case.events.count() == before
    workbench = page.get("/cases/?tab=all").content.decode()
    assert street["other"].code not in workbench and street["waiting"].code not in workbench


def test_the_street_desk_still_reads_the_whole_street(street, cast, tree):
    every = {street[k].pk for k in ("mine", "assisted", "other", "waiting")}
    desk_in_office = street["make_account"]("cgb-desk", roles=("street_staff",), unit=cast.cgb)
    for user in (cast.desk, desk_in_office):
        body = street["api"](user).get("/cases", limit=50).json()
        assert {c["id"] for c in body["items"]} == every


def test_the_office_reads_people_of_its_unit_only(street, cast):
    people = street["api"](cast.handler).get("/people", limit=500).json()["items"]
    codes = {p["code"] for p in people}
    assert "acct-cgb-staff" in codes
    # the red steward sits at 06小区 and the desk in the street office: today the street
    # place of the office covered them
    assert "acct-steward" not in codes and "acct-desk" not in codes


def test_the_office_sees_its_tasks_not_the_other_offices(street, cast, tree):
    from cityloop.supervision import queries
    from cityloop.supervision.services import TaskInput, create_task

    def task(code, unit):
        return create_task(
            actor=cast.desk,
            data=TaskInput(
                code=code,
                title="老旧小区改造",
                kind="key_work",
                category="old_compound_renovation",
                responsible_unit=unit.code,
                supervising_unit=tree.office_a.code,
                start=date(2026, 1, 1),
                deadline=date(2026, 12, 31),
            ),
        )

    own, other = task("T-CGB", cast.cgb), task("T-QYB", street["qyb"])
    assert set(queries.visible_tasks(cast.handler)) == {own}
    assert {own, other} <= set(queries.visible_tasks(cast.desk))
