"""The demo rosters: a month of shifts for the two round-the-clock units, one night empty."""

import pytest


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
