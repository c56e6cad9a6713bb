"""Project fixtures: supervision's crew (a street office that manages, its 城管办 that does the
works, a leader, an outsider), and a renovation of 06小区 with three work items."""

from __future__ import annotations

from datetime import date

import pytest

from tests.supervision.conftest import _fast_hasher, crew, make_task, on_day  # noqa: F401


@pytest.fixture
def make_project(crew, tree):  # noqa: F811
    from cityloop.projects.services import ItemInput, ProjectInput, create_project

    def make(code="P1", items=None, **kw):
        data = {
            "code": code,
            "name": "06小区老旧小区改造",
            "type": "old_compound",
            "responsible_unit": crew.office.code,
            "supervising_unit": crew.street.code,
            "places": [tree.compound_a.code],
            "leader": crew.leader.person.code,
            "start": date(2026, 3, 1),
            "deadline": date(2026, 10, 31),
            "budget": 380,
            "contractor": "河南某建设工程有限公司",
            "items": [
                ItemInput("拆除防盗网", "个", 1800, 1),
                ItemInput("路边石修补", "米", 1500, 1),
                ItemInput("人行道砖铺设", "平方米", 2000, 2),
            ]
            if items is None
            else items,
        }
        data.update(kw)
        return create_project(actor=crew.supervisor, data=ProjectInput(**data))

    return make
