"""A community committee follows its own road chief's patrols (issue 14, item 3).

The community-level road chief of 新华街社区 sits in the committee's unit but walks a road that
belongs to the street; the committee (community_worker) reads the patrol, the committee's
grid worker and another community's committee do not (404)."""

from __future__ import annotations

import pytest

from cityloop.patrols import workflow


@pytest.fixture
def committee(tree, make_account):
    from cityloop.org import services as s
    from tests.conftest import PASSWORD

    units = {}
    for code, place in (("JYL-SQ001", tree.community_a), ("JYL-SQ002", tree.community_b)):
        units[code], _ = s.unit_save(
            actor=None,
            code=code,
            name=f"{place.name}居委会",
            kind="community_committee",
            parent=tree.office_a,
            place=place,
        )
    home = units["JYL-SQ001"]
    person, _ = s.person_save(actor=None, code="RC-SQ", name="蒋路长", unit=home)
    s.duty_assign(actor=None, person=person, role="road_chief", level="community", zone=tree.road_a)
    chief = s.account_save(
        actor=None, username="sq-rc", password=PASSWORD, roles=["road_chief"], person=person
    )
    return {
        "patrol": workflow.start_patrol(actor=chief),
        "worker": make_account("sq-worker", roles=("community_worker",), unit=home),
        "grid": make_account("sq-grid", roles=("grid_worker",), unit=home),
        "neighbour": make_account(
            "sq2-worker", roles=("community_worker",), unit=units["JYL-SQ002"]
        ),
    }


def test_the_committee_reads_its_road_chiefs_patrol(client, committee):
    patrol = committee["patrol"]
    client.force_login(committee["worker"])
    assert client.get(f"/patrols/{patrol.pk}/").status_code == 200
    assert client.get(f"/api/v1/patrols/{patrol.pk}").status_code == 200


def test_nobody_else_in_the_community_reads_it(client, committee):
    patrol = committee["patrol"]
    for user in (committee["grid"], committee["neighbour"]):
        client.force_login(user)
        assert client.get(f"/patrols/{patrol.pk}/").status_code == 404
