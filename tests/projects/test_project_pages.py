"""The project pages: the progress chart's data, 新建项目 (button by role, the form through the
same service as the API, all-or-nothing work item rows, scope), and the forms on a project's
page (opinion gathering, design list, inspection)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client

from tests.api.conftest import client_as  # noqa: F401

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


def _form(crew, tree, **kw):
    body = {
        "type": "old_compound",
        "code": "WEB-P1",
        "name": "06小区老旧小区改造",
        "place": tree.compound_a.code,
        "responsible_unit": crew.office.code,
        "supervising_unit": crew.street.code,
        "task": "",
        "start": "2026-03-01",
        "deadline": "2026-10-31",
        "budget": "380",
        "item_name": ["拆除防盗网", "路边石修补", ""],
        "item_uom": ["个", "米", ""],
        "item_planned": ["1800", "1500", ""],
        "item_weight": ["1", "2", "1"],
    }
    body.update(kw)
    return body


def test_new_project_button_only_for_who_may_set_up(crew, tree):
    boss = _client(crew.supervisor)
    page = boss.get("/projects/").content.decode()
    assert 'data-action="new-project"' in page
    r = boss.get("/projects/new/")
    assert r.status_code == 200
    assert 'name="item_name"' in r.content.decode()
    assert r.content.decode().count('name="item_name"') == 3
    for user in (crew.doer,):
        c = _client(user)
        assert 'data-action="new-project"' not in c.get("/projects/").content.decode()
        assert c.get("/projects/new/").status_code == 403
        assert c.post("/projects/new/", _form(crew, tree)).status_code == 403
    from cityloop.projects.models import Project

    assert Project.objects.count() == 0


def test_create_through_the_page_reads_back_on_page_and_api(
    crew,
    tree,
    make_task,
    on_day,
    client_as,  # noqa: F811
):
    from cityloop.projects.models import Project

    on_day(date(2026, 6, 1))
    task = make_task()
    boss = _client(crew.supervisor)
    r = boss.post("/projects/new/", _form(crew, tree, task=str(task.pk)))
    assert r.status_code == 302
    p = Project.objects.get(code="WEB-P1")
    assert r["Location"] == f"/projects/{p.pk}/"
    assert p.task_id == task.pk and p.stage == "opinion" and p.budget == 380
    assert [i.name for i in p.items.order_by("order")] == ["拆除防盗网", "路边石修补"]
    html = boss.get(r["Location"]).content.decode()
    assert "06小区老旧小区改造" in html and 'data-item="路边石修补"' in html
    api = client_as(crew.supervisor).get(f"/projects/{p.pk}")
    assert api.status_code == 200
    body = api.json()
    assert body["places"][0]["code"] == tree.compound_a.code
    assert body["responsible_unit"]["code"] == crew.office.code
    assert body["task"]["code"] == task.code
    items = {
        i["name"]: (i["unit_of_measure"], i["planned"], i["weight"]) for i in body["work_items"]
    }
    assert items == {"拆除防盗网": ("个", 1800.0, 1.0), "路边石修补": ("米", 1500.0, 2.0)}


def test_a_refused_row_writes_nothing_and_names_the_row(crew, tree):
    from cityloop.projects.models import Project, ProjectEvent, WorkItem

    boss = _client(crew.supervisor)
    r = boss.post(
        "/projects/new/",
        _form(crew, tree, item_planned=["1800", "很多", ""]),
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "工程量第 2 行" in html and "不是有效数字：很多" in html
    assert 'value="很多"' in html  # the typed rows come back
    assert Project.objects.count() == 0
    assert WorkItem.objects.count() == 0
    assert ProjectEvent.objects.count() == 0
    r = boss.post("/projects/new/", _form(crew, tree, item_uom=["个", "", ""]))
    assert r.status_code == 400 and "工程量第 2 行" in r.content.decode()
    assert Project.objects.count() == 0


def test_out_of_scope_place_or_unit_is_refused(crew, tree):
    from cityloop.projects.models import Project

    boss = _client(crew.supervisor)
    r = boss.post("/projects/new/", _form(crew, tree, place=tree.compound_b.code))
    assert r.status_code == 400 and "未知的地点" in r.content.decode()
    r = boss.post("/projects/new/", _form(crew, tree, responsible_unit=tree.office_b.code))
    assert r.status_code == 400 and "未知的单位" in r.content.decode()
    r = boss.post(
        "/projects/new/",
        _form(crew, tree, responsible_unit=crew.office.code, supervising_unit=tree.office_b.code),
    )
    assert r.status_code == 400 and "未知的单位" in r.content.decode()
    assert Project.objects.count() == 0
