"""The staff inbox page: a dispatched case shows up for the unit, opening it marks it read."""

from __future__ import annotations

import pytest
from django.test import Client

from cityloop.cases import workflow
from cityloop.core.models import Notification

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_dispatch_lands_in_the_units_inbox_and_opening_marks_it_read(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    handler = login(cast.handler)
    page = handler.get("/inbox/").content.decode()
    assert f"新派遣事件 {new_case.code}" in page
    assert 'class="badge"' in page
    row = Notification.objects.get(recipient=cast.handler, verb="case_dispatch")
    r = handler.post("/inbox/", {"id": row.pk, "next": row.link})
    assert r.status_code == 302 and r.url == f"/cases/{new_case.pk}/"
    row.refresh_from_db()
    assert row.read_at is not None
    assert 'class="badge"' not in handler.get("/inbox/").content.decode()


def test_nobody_marks_another_accounts_rows(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    row = Notification.objects.get(verb="case_accept")  # the resident's
    outsider = login(cast.outsider)
    outsider.post("/inbox/", {"id": row.pk, "next": "//evil.example/"})
    outsider.post("/inbox/", {})  # "mark all" marks only the outsider's own rows
    row.refresh_from_db()
    assert row.read_at is None
    assert row.title not in outsider.get("/inbox/").content.decode()
