"""The demo rosters: a month of shifts for the two round-the-clock units, one night empty."""

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def loaded(shared_demo):
    return shared_demo  # the session's demo (tests/conftest.py)


@pytest.mark.django_db
def test_demo_rosters_have_one_gap_a_handover_and_a_swap(loaded):
    from datetime import timedelta

    from cityloop.core import clock
    from cityloop.demo import cases as demo_cases
    from cityloop.duty import queries
    from cityloop.duty.models import Handover, Shift, Swap
    from cityloop.org.models import Unit

    assert loaded["duty"]["outcome"] == "loaded" and loaded["duty"]["shifts"] > 60
    now = demo_cases.as_of()
    zb, fx = Unit.objects.get(code="JYL-CGB-ZB"), Unit.objects.get(code="XW-FXB")
    assert Shift.objects.filter(unit=zb, is_demo=True).count() >= 30
    with clock.frozen(now):
        standing = Shift.objects.get(unit=zb, starts_at__lte=now, ends_at__gt=now)
        assert standing.on_duty is not None  # the 值班室 has nobody missing now
        assert queries.on_duty_now(zb).person == standing.on_duty
        assert queries.gaps(zb, now - timedelta(days=20), now + timedelta(days=7)) == []
        holes = queries.gaps(fx, now - timedelta(days=20), now + timedelta(days=7))
    assert len(holes) == 1 and holes[0].shift.kind == "night"
    assert Handover.objects.filter(shift__unit=zb).exclude(open_matters="").count() == 1
    assert Swap.objects.filter(shift__unit=zb, state="approved").count() == 1


@pytest.mark.django_db
def test_demo_flood_season_three_checks(loaded):
    """峡窝镇 planned this year's 三查 over its five flood hazard points: 14 checks done, the
    in-season check of 废弃窑洞 missed (overdue, red), the post-season check of 城市积水路段 found
    a blocked ditch now open on the rectification ledger."""
    from cityloop.core import clock
    from cityloop.demo import cases as demo_cases
    from cityloop.duty import queries
    from cityloop.duty.models import FloodPlan
    from cityloop.supervision.models import Finding

    now = demo_cases.as_of()
    today = now.astimezone(clock.local_zone()).date()
    assert loaded["duty"]["flood_checks"] == 15 and loaded["duty"]["flood_done"] == 14
    plan = FloodPlan.objects.get(place__name="峡窝镇", year=today.year)
    staff = get_user_model().objects.get(username="xw-street")
    with clock.frozen(now):
        rows = queries.plan_checks(staff, plan)
    states = {(r.check.zone.code, r.check.window): r.state for r in rows}
    assert len(states) == 15
    assert [k for k, v in states.items() if v != "done"] == [("H-XW-03", "during")]
    assert states[("H-XW-03", "during")] == "overdue"
    ditch = next(r for r in rows if (r.check.zone.code, r.check.window) == ("H-XW-05", "after"))
    finding = Finding.objects.get(inspection=ditch.check.inspection)
    assert "排水沟淤堵" in finding.description and finding.inspection.is_demo
    assert finding.rectification.state == "open" and finding.rectification.due > today
    assert sum(r.findings for r in rows) == 1
