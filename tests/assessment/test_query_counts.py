"""Pinned query count: a period's ranking page reads the same number of statements however
many communities it ranks (scores, lines and movement are read in batches)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityloop.assessment import workflow
from cityloop.org import services as org

from .conftest import SH

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    client.get(url)  # caches warmed
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def _more_communities(zxl, n: int) -> list:
    places = []
    for i in range(n):
        code = f"41010600210{i}"
        place, _ = org.place_save(
            actor=None, code=code, name=f"测试{i + 1}社区", kind="community", parent=zxl.street
        )
        org.unit_save(
            actor=None,
            code=f"ZXL-SQ1{i}",
            name=f"测试{i + 1}社区居民委员会",
            kind="community_committee",
            parent=zxl.office,
            place=place,
            short_name=f"测试{i + 1}社区",
        )
        places.append(place)
    return places


def test_the_ranking_reads_in_a_fixed_number_of_queries(zxl, scheme, play, at, client):
    for late in (False, False, True):
        play(zxl.sw, late=late)
    play(zxl.zx)
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    period = workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    client.force_login(zxl.desk)
    url = "/assessment/CW/2020-06/"
    few = _count(client, url)
    assert period.scores.count() == 2
    for place in _more_communities(zxl, 4):
        for _ in range(3):
            play(place)
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    period = workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    assert period.scores.count() == 6
    assert _count(client, url) == few
