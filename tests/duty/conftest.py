"""Roster fixtures: 济源路街道城管办值班室, a round-the-clock unit, with a person on duty, a
second duty officer and a leader on call; an urgent leaf category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.cases.conftest import (  # noqa: F401  (fixtures)
    IN_COMPOUND,
    SH,
    _fast_hasher,
    _fresh_geo_index,
    at_monday,
    cast,
    category,
)

API = "/api/v1/duty"


@dataclass
class Roster:
    unit: object  # JYL-CGB-ZB, round the clock
    officer: object  # account of the person on duty
    second: object  # another duty officer (swaps, the next shift)
    leader: object  # account of the leader on call
    staff: object  # street staff: keeps the roster


@pytest.fixture
def roster(tree, cast, make_account) -> Roster:  # noqa: F811
    from cityloop.org import services as s

    unit, _ = s.unit_save(
        actor=None,
        code="JYL-CGB-ZB",
        name="济源路街道城管办值班室",
        kind="office",
        parent=cast.cgb,
        place=tree.street_a,
        round_the_clock=True,
    )
    return Roster(
        unit=unit,
        officer=make_account("zb-li", roles=("department_staff",), unit=unit),
        second=make_account("zb-zhao", roles=("department_staff",), unit=unit),
        leader=make_account("jyl-leader", roles=("district_leader",), unit=tree.office_a),
        staff=cast.desk,
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in Shanghai."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


@pytest.fixture
def urgent(category):  # noqa: F811
    category.urgency = "urgent"
    category.save(update_fields=["urgency"])
    return category
