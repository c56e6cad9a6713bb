"""修改任务信息: a key task's fields changed from its page and over the API, through the same
``workflow.update_task``: one "edit" event listing exactly the changed fields, none when
nothing changed, the light recomputed, the same permission as creating a task."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.supervision import workflow
from cityloop.supervision.models import LightRecord, SupervisionEvent, Task
from tests.api.conftest import API, client_as  # noqa: F401
from tests.web.crawl import leaks

# The fixture accounts' names (jyl-dcb, cgb-staff, leader) are the only Latin words shown.
NAMES = {"jyl", "dcb", "cgb", "staff", "leader"}


def edit_url(task) -> str:
    return f"/supervision/tasks/{task.pk}/edit/"


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def _form(crew, task, **kw):
    """The edit form as the page pre-fills it for ``task`` (made by ``make_task``)."""
    data = {
        "kind": task.kind.code,
        "category": task.category.code,
        "level": task.level,
        "title": task.title,
        "annual_goal": task.annual_goal,
        "indicator_name": "",
        "indicator_unit": "",
        "target_value": "",
        "leader": str(crew.leader.person.pk),
        "responsible_unit": str(crew.office.pk),
        "supervising_unit": str(crew.street.pk),
        "start": "2026-01-01",
        "deadline": "2026-12-31",
        "report_cadence": "weekly",
        "note": "",
    }
    data.update(kw)
    return data


def _edits(task):
    return SupervisionEvent.objects.filter(task=task, verb="edit")


def test_the_edit_link_and_page_are_prefilled_for_supervisors(crew, make_task, on_day, login):
    on_day(date(2026, 3, 2))
    task = make_task()
    client = login(crew.supervisor)
    detail = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert 'data-action="task-edit"' in detail and ">编辑</a>" in detail
    page = client.get(edit_url(task))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="老旧小区改造：06小区"' in html and 'value="2026-12-31"' in html
    assert 'name="code"' not in html and 'name="parent"' not in html
    assert 'name="split_units"' not in html
    assert f'<option value="{crew.office.pk}" selected>' in html
    assert leaks(html, NAMES)[0] == []  # every word on the page reads in Chinese
    assert f'<option value="{crew.leader.person.pk}" selected>' in html


def test_edit_through_the_page_changes_the_fields_and_writes_one_event(
    crew, make_task, on_day, login
):
    on_day(date(2026, 3, 2))
    task = make_task()
    client = login(crew.supervisor)
    r = client.post(
        edit_url(task),
        _form(
            crew,
            task,
            title="老旧小区改造：06、07小区",
            deadline="2026-10-31",
            level="district",
            target_value="2",
            indicator_unit="个",
            assisting_units=[str(crew.street.pk)],
            note="区里要求提前完成",
        ),
    )
    assert r.status_code == 302 and r["Location"] == f"/supervision/tasks/{task.pk}/"
    task.refresh_from_db()
    assert task.title == "老旧小区改造：06、07小区"
    assert task.deadline == date(2026, 10, 31)
    assert task.level == "district"
    assert (float(task.target_value), task.indicator_unit) == (2.0, "个")
    assert list(task.assisting_units.all()) == [crew.street]
    assert task.code == "T1"
    edit = _edits(task).get()
    assert edit.data == {
        "changed": {
            "title": ["老旧小区改造：06小区", "老旧小区改造：06、07小区"],
            "level": ["街道", "区"],
            "indicator_unit": ["", "个"],
            "target_value": ["", "2"],
            "assisting_units": ["", "济源路街道办事处"],
            "deadline": ["2026-12-31", "2026-10-31"],
        }
    }
    assert edit.note == "区里要求提前完成"
    assert edit.actor == crew.supervisor
    page = client.get(r["Location"]).content.decode()
    assert "修改任务信息" in page and "区里要求提前完成" in page
    assert leaks(page, NAMES)[0] == []
    assert "任务信息已保存。" in page


def test_no_change_writes_no_event(crew, make_task, on_day, login):
    on_day(date(2026, 3, 2))
    task = make_task()
    events = SupervisionEvent.objects.count()
    lights = LightRecord.objects.count()
    r = login(crew.supervisor).post(edit_url(task), _form(crew, task, note="看一眼"))
    assert r.status_code == 302
    assert SupervisionEvent.objects.count() == events
    assert LightRecord.objects.count() == lights
    assert _edits(task).count() == 0
    page = login(crew.supervisor).get(r["Location"]).content.decode()
    assert "没有修改任何内容。" in page


def test_a_deadline_before_the_start_is_refused_and_nothing_written(crew, make_task, on_day, login):
    on_day(date(2026, 3, 2))
    task = make_task()
    events = SupervisionEvent.objects.count()
    r = login(crew.supervisor).post(
        edit_url(task), _form(crew, task, title="新标题", start="2026-06-01", deadline="2026-05-01")
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "完成时限早于开始日期。" in html
    assert 'value="新标题"' in html  # the form keeps what was typed
    task.refresh_from_db()
    assert (task.title, task.start, task.deadline) == (
        "老旧小区改造：06小区",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert SupervisionEvent.objects.count() == events


def test_new_dates_that_leave_a_milestone_outside_are_refused(crew, make_task, on_day, login):
    on_day(date(2026, 3, 2))
    task = make_task()
    task.milestones.create(order=0, title="施工", due=date(2026, 11, 30))
    events = SupervisionEvent.objects.count()
    r = login(crew.supervisor).post(edit_url(task), _form(crew, task, deadline="2026-10-31"))
    assert r.status_code == 400
    assert "有节点超出新的起止日期，请先重新编排节点计划。" in r.content.decode()
    task.refresh_from_db()
    assert task.deadline == date(2026, 12, 31)
    assert SupervisionEvent.objects.count() == events


def test_moving_the_deadline_recomputes_the_light(crew, make_task, on_day, login):
    # On 1 July with no progress, half of the year's straight-line plan is behind: red.
    on_day(date(2026, 1, 5))
    task = make_task(start=date(2026, 1, 1), deadline=date(2026, 12, 31))
    on_day(date(2026, 7, 1))
    assert workflow.refresh_light(task_id=task.pk) == "red"
    # Ten more years: the plan for 1 July is under 5 %, no longer behind.
    r = login(crew.supervisor).post(edit_url(task), _form(crew, task, deadline="2036-12-31"))
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.light != "red" and task.light_on == date(2026, 7, 1)
    # The clock is pinned: both light events share one moment, so the row order decides.
    light = SupervisionEvent.objects.filter(task=task, verb="light").order_by("at", "pk").last()
    assert (light.from_state, light.to_state) == ("red", task.light)
    assert LightRecord.objects.get(task=task, on=date(2026, 7, 1)).colour == task.light


def test_an_outsider_gets_404_on_the_page_and_the_api(
    crew,
    make_task,
    on_day,
    login,
    client_as,  # noqa: F811
):
    on_day(date(2026, 3, 2))
    task = make_task()
    client = login(crew.outsider)
    assert client.get(edit_url(task)).status_code == 404
    assert client.post(edit_url(task), _form(crew, task, title="改")).status_code == 404
    api = client_as(crew.outsider)
    r = api.client.patch(
        f"{API}/tasks/{task.pk}",
        {"title": "改"},
        content_type="application/json",
        headers=api._headers(),
    )
    assert r.status_code == 404
    task.refresh_from_db()
    assert task.title == "老旧小区改造：06小区"
    assert _edits(task).count() == 0


def test_a_doer_may_not_edit_as_they_may_not_create(
    crew,
    make_task,
    on_day,
    login,
    client_as,  # noqa: F811
):
    on_day(date(2026, 3, 2))
    task = make_task()
    client = login(crew.doer)
    detail = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert 'data-action="task-edit"' not in detail
    assert client.get(edit_url(task)).status_code == 403
    assert client.post(edit_url(task), _form(crew, task, title="改")).status_code == 403
    api = client_as(crew.doer)
    r = api.client.patch(
        f"{API}/tasks/{task.pk}",
        {"title": "改"},
        content_type="application/json",
        headers=api._headers(),
    )
    assert r.status_code == 403
    assert r.json()["code"] == "task_not_supervisor"
    task.refresh_from_db()
    assert task.title == "老旧小区改造：06小区"
    assert _edits(task).count() == 0


def test_patch_over_the_api_changes_the_same_fields_with_the_same_event(
    crew,
    make_task,
    on_day,
    client_as,  # noqa: F811
):
    on_day(date(2026, 3, 2))
    task = make_task()
    api = client_as(crew.supervisor)

    def patch(body):
        return api.client.patch(
            f"{API}/tasks/{task.pk}", body, content_type="application/json", headers=api._headers()
        )

    r = patch(
        {
            "title": "老旧小区改造：06、07小区",
            "deadline": "2026-10-31",
            "level": "district",
            "target_value": 2,
            "indicator_unit": "个",
            "assisting_units": [crew.street.code],
            "note": "区里要求提前完成",
        }
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["title"], body["deadline"], body["level"], body["target_value"]) == (
        "老旧小区改造：06、07小区",
        "2026-10-31",
        "district",
        2.0,
    )
    assert body["code"] == "T1" and "edit" in body["allowed_actions"]
    edit = _edits(task).get()
    assert edit.data == {
        "changed": {
            "title": ["老旧小区改造：06小区", "老旧小区改造：06、07小区"],
            "level": ["街道", "区"],
            "indicator_unit": ["", "个"],
            "target_value": ["", "2"],
            "assisting_units": ["", "济源路街道办事处"],
            "deadline": ["2026-12-31", "2026-10-31"],
        }
    }
    assert edit.note == "区里要求提前完成"
    # The same values again: nothing changes, no event.
    assert patch({"title": "老旧小区改造：06、07小区", "target_value": 2}).status_code == 200
    assert _edits(task).count() == 1
    # The code is not editable; a deadline before the start is refused.
    r = patch({"code": "T9"})
    assert r.status_code == 200  # an unknown field is ignored by the schema
    assert Task.objects.get(pk=task.pk).code == "T1"
    r = patch({"start": "2026-11-01"})
    assert r.status_code == 422 and r.json()["code"] == "task_dates_invalid"
    assert r.json()["message"] == "完成时限早于开始日期。"
    assert _edits(task).count() == 1
    assert Task.objects.get(pk=task.pk).start == date(2026, 1, 1)


def test_the_service_refuses_the_code_and_a_done_task(crew, make_task, on_day):
    from cityloop.core.errors import InvalidInput, InvalidTransition

    on_day(date(2026, 3, 2))
    task = make_task()
    with pytest.raises(InvalidInput) as exc:
        workflow.update_task(actor=crew.supervisor, task_id=task.pk, data={"code": "T9"})
    assert exc.value.code == "task_field_not_editable"
    workflow.complete(actor=crew.supervisor, task_id=task.pk)
    with pytest.raises(InvalidTransition):
        workflow.update_task(actor=crew.supervisor, task_id=task.pk, data={"title": "改"})
    assert _edits(task).count() == 0
