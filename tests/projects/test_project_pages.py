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


def test_record_forms_show_by_role(crew, make_project, on_day):
    on_day(date(2026, 6, 1))
    p = make_project()
    boss = _client(crew.supervisor).get(f"/projects/{p.pk}/").content.decode()
    assert all(f'data-form="{f}"' in boss for f in ("opinion", "design-item", "inspection"))
    doer = _client(crew.doer).get(f"/projects/{p.pk}/").content.decode()
    assert 'data-form="opinion"' in doer and 'data-form="design-item"' in doer
    assert 'data-form="inspection"' not in doer
    leader = _client(crew.leader).get(f"/projects/{p.pk}/")
    assert leader.status_code == 200


def test_opinion_form_records_the_gathering_and_its_requests(crew, tree, make_project, on_day):
    from cityloop.projects.models import Opinion, ResidentRequest

    on_day(date(2026, 6, 1))
    p = make_project()
    doer = _client(crew.doer)
    body = {
        "method": "meeting",
        "on": "2026-05-28",
        "people_reached": "42",
        "place": str(tree.compound_a.pk),
        "summary": "小板凳恳谈会，居民代表参加",
        "request_kind": ["parking", "lighting", "other"],
        "request_text": ["增加停车位", "楼道照明", ""],
        "request_people": ["12", "5", "1"],
    }
    r = doer.post(f"/projects/{p.pk}/opinion/", body)
    assert r.status_code == 302
    o = Opinion.objects.get(project=p)
    assert (o.method, o.on, o.people_reached, o.place_id) == (
        "meeting",
        date(2026, 5, 28),
        42,
        tree.compound_a.pk,
    )
    assert sorted(ResidentRequest.objects.values_list("kind__code", "text", "people")) == [
        ("lighting", "楼道照明", 5),
        ("parking", "增加停车位", 12),
    ]
    page = doer.get(f"/projects/{p.pk}/").content.decode()
    assert 'data-kind="parking"' in page
    # refused: dated in the future — nothing written, the message shown, 400
    r = doer.post(f"/projects/{p.pk}/opinion/", {**body, "on": "2026-06-02"})
    assert r.status_code == 400
    assert "意见征集日期不能晚于今天。" in r.content.decode()
    assert 'value="增加停车位"' in r.content.decode()  # the typed requests come back
    assert Opinion.objects.count() == 1 and ResidentRequest.objects.count() == 2


def test_design_form_adds_an_item_answering_requests(crew, make_project, on_day):
    from cityloop.projects.models import DesignItem, ResidentRequest
    from cityloop.projects.services import RequestInput, record_opinion

    on_day(date(2026, 6, 1))
    p = make_project()
    record_opinion(
        actor=crew.doer,
        project_id=p.pk,
        method="visit",
        on=date(2026, 5, 20),
        people_reached=30,
        requests=[
            RequestInput("parking", "增加停车位", 9),
            RequestInput("greening", "补种绿植", 3),
        ],
    )
    parking = ResidentRequest.objects.get(kind__code="parking")
    doer = _client(crew.doer)
    page = doer.get(f"/projects/{p.pk}/").content.decode()
    assert f'value="{parking.pk}"' in page  # the open requests to answer
    r = doer.post(
        f"/projects/{p.pk}/design_item/",
        {"title": "新增停车位 40 个", "kind": "", "requests": [str(parking.pk)], "note": ""},
    )
    assert r.status_code == 302
    item = DesignItem.objects.get(project=p)
    assert (item.title, item.kind.code) == ("新增停车位 40 个", "parking")
    parking.refresh_from_db()
    assert parking.design_item_id == item.pk
    assert "新增停车位 40 个" in doer.get(f"/projects/{p.pk}/").content.decode()
    # refused: an empty title is the form's; the same request twice is the service's
    r = doer.post(f"/projects/{p.pk}/design_item/", {"title": "再加停车位", "requests": []})
    assert r.status_code == 302
    r = doer.post(
        f"/projects/{p.pk}/design_item/", {"title": "x" * 201, "requests": [], "note": ""}
    )
    assert r.status_code == 400
    assert DesignItem.objects.filter(project=p).count() == 2


def test_inspection_form_opens_an_inspection(crew, make_project, on_day):
    from cityloop.projects.models import ProjectInspection
    from cityloop.supervision.models import Inspection

    on_day(date(2026, 6, 1))
    p = make_project()
    boss = _client(crew.supervisor)
    body = {
        "kind": "safety",
        "office": str(crew.street.pk),
        "on": "2026-06-01",
        "team": "应急办检查组",
        "summary": "施工现场安全检查",
    }
    r = boss.post(f"/projects/{p.pk}/inspect/", body)
    assert r.status_code == 302
    link = ProjectInspection.objects.get(project=p)
    assert (link.kind, link.inspection.unit_id, link.inspection.team) == (
        "safety",
        crew.street.pk,
        "应急办检查组",
    )
    page = boss.get(f"/projects/{p.pk}/").content.decode()
    assert f'data-inspection="{link.inspection.code}"' in page
    # the doer may not open one: refused with the message, nothing written
    # (naming its own office: the street office is outside an internal office's scope)
    mine = {**body, "office": str(crew.office.pk)}
    r = _client(crew.doer).post(f"/projects/{p.pk}/inspect/", mine)
    assert r.status_code == 400
    assert "只有项目的管理单位可以执行此操作。" in r.content.decode()
    assert ProjectInspection.objects.count() == 1 and Inspection.objects.count() == 1
    # an office outside the scope is not found
    r = boss.post(
        f"/projects/{p.pk}/inspect/", {**body, "office": str(crew.outsider.person.unit_id)}
    )
    assert r.status_code == 404
    assert ProjectInspection.objects.count() == 1


def test_acceptance_form_records_a_round(crew, make_project, on_day):
    from cityloop.projects import workflow
    from cityloop.projects.models import Acceptance

    on_day(date(2026, 6, 1))
    p = make_project(items=[])
    for stage in ("design", "construction", "acceptance"):
        workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage=stage)
    boss = _client(crew.supervisor)
    assert 'data-form="acceptance"' in boss.get(f"/projects/{p.pk}/").content.decode()
    r = boss.post(
        f"/projects/{p.pk}/accept/",
        {"on": "2026-06-01", "result": "failed", "open_points": "井盖缺失", "due": "2026-06-10"},
    )
    assert r.status_code == 302
    a = Acceptance.objects.get(project=p)
    assert (a.round, a.result, a.open_points[0]["text"]) == (1, "failed", "井盖缺失")


def test_an_invisible_task_writes_no_project(crew, tree):
    from cityloop.projects.models import Project

    r = _client(crew.supervisor).post("/projects/new/", _form(crew, tree, task="999999"))
    assert r.status_code == 404
    assert Project.objects.count() == 0


def test_the_api_refuses_an_out_of_scope_unit_too(crew, tree, client_as):  # noqa: F811
    from cityloop.projects.models import Project

    body = {
        "code": "API-X",
        "name": "越界项目",
        "type": "road",
        "responsible_unit": tree.office_b.code,
        "supervising_unit": crew.street.code,
        "start": "2026-03-01",
        "deadline": "2026-10-31",
    }
    r = client_as(crew.supervisor).post("/projects", body)
    assert (r.status_code, r.json()["code"]) == (422, "unit_unknown")
    assert Project.objects.count() == 0
