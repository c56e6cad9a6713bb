"""Supervision fixtures: a street office that supervises, an office that carries out, a
leader in charge, and people outside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cityloop.core import clock

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def on_day():
    """Pin the clock to 09:00 of a day; call again to move it."""
    stack = []

    def pin(day: date):
        if stack:
            stack.pop().__exit__(None, None, None)
        cm = clock.frozen(datetime(day.year, day.month, day.day, 9, 0, tzinfo=SH))
        cm.__enter__()
        stack.append(cm)

    yield pin
    while stack:
        stack.pop().__exit__(None, None, None)


@dataclass
class Crew:
    supervisor: object  # street staff of 济源路街道: sets tasks, inspects, writes letters
    doer: object  # staff of the street's 城管办: reports progress, rectifies
    leader: object  # the leader in charge (分管领导), an account with a person
    outsider: object  # street staff of 中心路街道
    office: object  # 城管办 unit
    street: object  # 济源路街道办事处 unit
    series: object  # the street's letter series


@pytest.fixture
def crew(tree, make_account):
    from cityloop.org import services as s
    from cityloop.supervision.services import ensure_letter_series

    office, _ = s.unit_save(
        actor=None,
        code="JYL-CGB",
        name="城管办",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )
    return Crew(
        supervisor=make_account("jyl-dcb", roles=("street_staff",), unit=tree.office_a),
        doer=make_account("cgb-staff", roles=("department_staff",), unit=office),
        leader=make_account("leader", roles=("street_staff",), unit=tree.office_a),
        outsider=make_account("zxl-staff", roles=("street_staff",), unit=tree.office_b),
        office=office,
        street=tree.office_a,
        series=ensure_letter_series(issuer=tree.office_a, prefix="济源督"),
    )


@pytest.fixture
def make_task(crew):
    from cityloop.supervision.services import TaskInput, create_task

    def make(code="T1", **kw):
        data = {
            "code": code,
            "title": "老旧小区改造：06小区",
            "kind": "key_work",
            "category": "old_compound_renovation",
            "responsible_unit": crew.office.code,
            "supervising_unit": crew.street.code,
            "leader": crew.leader.person.code,
            "start": date(2026, 1, 1),
            "deadline": date(2026, 12, 31),
            "annual_goal": "完成 06 小区改造",
        }
        data.update(kw)
        return create_task(actor=crew.supervisor, data=TaskInput(**data))

    return make
