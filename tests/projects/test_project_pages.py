"""The project pages: the progress chart's data, 新建项目 (button by role, the form through the
same service as the API, all-or-nothing work item rows, scope), and the forms on a project's
page (opinion gathering, design list, inspection)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _json_script(html: str, element_id: str):
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_progress_chart_payload_is_a_dict(crew, make_project, on_day):
    on_day(date(2026, 6, 1))
    p = make_project()
    item = p.items.get(name="拆除防盗网")
    doer = _client(crew.doer)
    doer.post(f"/projects/{p.pk}/report/", {"item": item.pk, "quantity": "900", "on": "2026-05-30"})
    html = _client(crew.supervisor).get(f"/projects/{p.pk}/").content.decode()
    data = _json_script(html, "progress-data")
    assert isinstance(data, dict)
    assert set(data) == {"dates", "percent"}
    assert data["dates"] == ["2026-05-30"]
    assert len(data["percent"]) == 1
