"""修改项目信息: a project's name, place, units, dates and budget changed from its page through
``services.update_project``: one "edit" event listing exactly the changed fields, none when
nothing changed, the same permission as setting a project up."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cityloop.projects import services
from cityloop.projects.models import ProjectEvent
from tests.api.conftest import client_as  # noqa: F401
from tests.web.crawl import leaks

# The fixture accounts' names (jyl-dcb, cgb-staff, leader) are the only Latin words shown.
NAMES = {"jyl", "dcb", "cgb", "staff", "leader"}

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _url(project) -> str:
    return f"/projects/{project.pk}/edit/"


def _form(crew, tree, **kw):
    data = {
        "name": "06小区老旧小区改造",
        "place": tree.compound_a.code,
        "responsible_unit": crew.office.code,
        "supervising_unit": crew.street.code,
        "start": "2026-03-01",
        "deadline": "2026-10-31",
        "budget": "380",
        "note": "",
    }
    data.update(kw)
    return data


def _edits(project):
    return ProjectEvent.objects.filter(project=project, verb="edit")


def test_edit_through_the_page_changes_the_fields_and_writes_one_event(
    crew, tree, make_project, on_day
):
    on_day(date(2026, 3, 2))
    p = make_project()
    client = _client(crew.supervisor)
    detail = client.get(f"/projects/{p.pk}/").content.decode()
    assert 'data-action="project-edit"' in detail and ">编辑</a>" in detail
    page = client.get(_url(p)).content.decode()
    assert 'value="06小区老旧小区改造"' in page and 'value="2026-10-31"' in page
    assert 'name="code"' not in page and 'name="type"' not in page
    assert leaks(page, NAMES)[0] == []  # every word on the page reads in Chinese
    r = client.post(
        _url(p),
        _form(
            crew,
            tree,
            name="06、07小区老旧小区改造",
            place=tree.community_a.code,
            deadline="2026-11-30",
            budget="420.5",
            note="增加07小区",
        ),
    )
    assert r.status_code == 302 and r["Location"] == f"/projects/{p.pk}/"
    p.refresh_from_db()
    assert (p.name, p.deadline, float(p.budget)) == (
        "06、07小区老旧小区改造",
        date(2026, 11, 30),
        420.5,
    )
    assert list(p.places.all()) == [tree.community_a]
    edit = _edits(p).get()
    assert edit.data == {
        "changed": {
            "name": ["06小区老旧小区改造", "06、07小区老旧小区改造"],
            "places": ["06小区", tree.community_a.name],
            "deadline": ["2026-10-31", "2026-11-30"],
            "budget": ["380", "420.5"],
        }
    }
    assert edit.note == "增加07小区"
    page = client.get(r["Location"]).content.decode()
    assert "修改项目信息" in page and "项目信息已保存。" in page


def test_no_change_writes_no_event(crew, tree, make_project, on_day):
    on_day(date(2026, 3, 2))
    p = make_project()
    events = ProjectEvent.objects.count()
    r = _client(crew.supervisor).post(_url(p), _form(crew, tree))
    assert r.status_code == 302
    assert ProjectEvent.objects.count() == events


def test_a_deadline_before_the_start_is_refused_and_nothing_written(
    crew, tree, make_project, on_day
):
    on_day(date(2026, 3, 2))
    p = make_project()
    events = ProjectEvent.objects.count()
    r = _client(crew.supervisor).post(
        _url(p), _form(crew, tree, name="新名称", start="2026-09-01", deadline="2026-08-01")
    )
    assert r.status_code == 400
    assert "完成时限早于开始日期。" in r.content.decode()
    p.refresh_from_db()
    assert (p.name, p.start) == ("06小区老旧小区改造", date(2026, 3, 1))
    assert ProjectEvent.objects.count() == events


def test_outsider_404_and_doer_403(crew, tree, make_project, on_day):
    on_day(date(2026, 3, 2))
    p = make_project()
    outsider = _client(crew.outsider)
    assert outsider.get(_url(p)).status_code == 404
    assert outsider.post(_url(p), _form(crew, tree, name="改")).status_code == 404
    doer = _client(crew.doer)
    assert 'data-action="project-edit"' not in doer.get(f"/projects/{p.pk}/").content.decode()
    assert doer.get(_url(p)).status_code == 403
    assert doer.post(_url(p), _form(crew, tree, name="改")).status_code == 403
    p.refresh_from_db()
    assert p.name == "06小区老旧小区改造"
    assert _edits(p).count() == 0


def test_the_service_refuses_fields_that_are_not_editable(crew, make_project, on_day):
    from cityloop.core.errors import InvalidInput

    on_day(date(2026, 3, 2))
    p = make_project()
    with pytest.raises(InvalidInput) as exc:
        services.update_project(actor=crew.supervisor, project_id=p.pk, data={"code": "P9"})
    assert exc.value.code == "project_field_not_editable"
    assert _edits(p).count() == 0


def test_patch_over_the_api_changes_the_same_fields_with_the_same_event(
    crew,
    make_project,
    on_day,
    client_as,  # noqa: F811
):
    from tests.api.conftest import API

    on_day(date(2026, 3, 2))
    p = make_project()
    api = client_as(crew.supervisor)

    def patch(who, body):
        return who.client.patch(
            f"{API}/projects/{p.pk}", body, content_type="application/json", headers=who._headers()
        )

    r = patch(api, {"name": "06、07小区老旧小区改造", "budget": 420.5, "note": "增加07小区"})
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "06、07小区老旧小区改造"
    edit = _edits(p).get()
    assert edit.data == {
        "changed": {
            "name": ["06小区老旧小区改造", "06、07小区老旧小区改造"],
            "budget": ["380", "420.5"],
        }
    }
    r = patch(api, {"start": "2026-11-01"})
    assert r.status_code == 422 and r.json()["code"] == "project_dates_invalid"
    assert patch(client_as(crew.outsider), {"name": "改"}).status_code == 404
    assert patch(client_as(crew.doer), {"name": "改"}).status_code == 403
    assert _edits(p).count() == 1
