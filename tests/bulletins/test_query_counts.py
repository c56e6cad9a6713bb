"""Pinned query counts: an issue's page and its Word file read the same number of statements
however many unit items it carries (items are read in one batch, not one query each)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityloop.bulletins import workflow
from tests.bulletins.test_bulletins import issue, series  # noqa: F401

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    client.get(url)  # caches warmed
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def _add_items(zxl, issue, n: int) -> None:  # noqa: F811
    for i in range(n):
        s = workflow.submit(
            actor=zxl.sw_worker,
            series_code="SJXX",
            unit=zxl.sw_unit,
            title=f"三湾街社区开展第{i + 1}次环境整治",
            body=f"6月{i + 1}日，三湾街社区组织志愿者{10 + i}人清理楼道杂物。",
        )
        workflow.review(actor=zxl.desk, submission_id=s.pk, action="accept")
        workflow.place(actor=zxl.desk, issue_id=issue.pk, submission_id=s.pk)


@pytest.mark.parametrize("what", ["page", "docx"])
def test_an_issue_reads_in_a_fixed_number_of_queries(zxl, issue, client, what):  # noqa: F811
    client.force_login(zxl.desk)
    if what == "page":
        url = reverse("bulletins:issue", args=[issue.pk])
    else:
        url = reverse("bulletins:issue_file", args=[issue.pk, "docx"])
    few = _count(client, url)
    _add_items(zxl, issue, 5)
    issue.refresh_from_db()
    assert issue.items.count() >= 8
    assert _count(client, url) == few  # before: one more query per submitted item
