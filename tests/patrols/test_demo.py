"""The demo week of patrols: played through the workflow after the demo cases."""

import pytest


@pytest.fixture
def loaded(shared_demo):
    return shared_demo  # the session's demo (tests/conftest.py)


@pytest.mark.django_db
def test_demo_road_chief_week(loaded):
    from cityloop.core import clock
    from cityloop.demo import cases as demo_cases
    from cityloop.patrols import queries
    from cityloop.patrols.models import Patrol, PatrolCase

    assert loaded["patrols"]["patrols"] == 6
    assert Patrol.objects.filter(is_demo=True, state="ended").count() == 6
    link = PatrolCase.objects.select_related("case").get(patrol__is_demo=True)
    assert link.case.source == "patrol" and link.patrol.result == "problems"
    chief = Patrol.objects.filter(is_demo=True).first().user
    today = demo_cases.as_of().astimezone(clock.local_zone()).date()
    items = queries.missed_for_person(chief, today)
    assert [(i.light, i.reason) for i in items][:1] == [("yellow", "昨日未巡查")]
