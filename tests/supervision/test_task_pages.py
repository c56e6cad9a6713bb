"""新建任务 (and 分解到多个单位) and 编排节点计划 from the pages: the same services as the API."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.supervision.models import Milestone, SupervisionEvent, Task
from tests.api.conftest import client_as  # noqa: F401

NEW = "/supervision/tasks/new/"


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


@pytest.fixture
def units(crew):
    """Two more offices of the street, for splitting a task."""
    from cityloop.org import services as s

    made = []
    for code, name in (("JYL-JJB", "经济办"), ("JYL-SQB", "社区办")):
        unit, _ = s.unit_save(
            actor=None,
            code=code,
            name=name,
            kind="office",
            parent=crew.street,
            place=crew.street.place,
        )
        made.append(unit)
    return made


def _form(crew, **kw):
    data = {
        "code": "JYL-2026-01",
        "kind": "livelihood_project",
        "category": "old_compound_renovation",
        "level": "street",
        "title": "新华街社区雨污分流改造",
        "annual_goal": "完成 3 个小区雨污分流",
        "indicator_name": "完成小区",
        "indicator_unit": "个",
        "target_value": "3",
        "leader": str(crew.leader.person.pk),
        "responsible_unit": str(crew.office.pk),
        "assisting_units": [str(crew.street.pk)],
        "supervising_unit": str(crew.street.pk),
        "start": "2026-03-01",
        "deadline": "2026-11-30",
        "report_cadence": "weekly",
    }
    data.update(kw)
    return data


def test_new_task_button_only_for_those_who_set_tasks(crew, tree, make_account, on_day, login):
    on_day(date(2026, 3, 2))
    board = login(crew.supervisor).get("/supervision/").content.decode()
    assert 'data-action="task-new"' in board and "新建任务" in board
    assert login(crew.supervisor).get(NEW).status_code == 200
    worker = make_account("sq-worker", roles=("community_worker",), place=tree.community_a)
    for user in (crew.doer, worker):
        client = login(user)
        assert 'data-action="task-new"' not in client.get("/supervision/").content.decode()
        assert client.get(NEW).status_code == 403
        assert client.post(NEW, _form(crew)).status_code == 403
    assert Task.objects.count() == 0


def test_create_a_task_through_the_page_and_read_it_back(
    crew,
    on_day,
    login,
    client_as,  # noqa: F811
):
    on_day(date(2026, 3, 2))
    client = login(crew.supervisor)
    page = client.get(NEW).content.decode()
    assert 'name="code"' in page and "分解到多个单位" in page
    assert crew.outsider.person.name not in page  # people of another street are not offered
    r = client.post(NEW, _form(crew))
    assert r.status_code == 302
    task = Task.objects.get(code="JYL-2026-01")
    assert r["Location"] == f"/supervision/tasks/{task.pk}/"
    assert (task.kind.code, task.level, task.responsible_unit, task.supervising_unit) == (
        "livelihood_project",
        "street",
        crew.office,
        crew.street,
    )
    assert task.leader == crew.leader.person
    assert list(task.assisting_units.all()) == [crew.street]
    assert (task.indicator_name, task.indicator_unit, float(task.target_value)) == (
        "完成小区",
        "个",
        3.0,
    )
    assert task.events.filter(verb="create").count() == 1
    detail = client.get(r["Location"]).content.decode()
    assert "新华街社区雨污分流改造" in detail and "任务已创建。" in detail
    api = client_as(crew.supervisor).get(f"/tasks/{task.pk}")
    assert api.status_code == 200
    body = api.json()
    assert (body["code"], body["title"], body["responsible_unit"]["id"]) == (
        "JYL-2026-01",
        "新华街社区雨污分流改造",
        crew.office.pk,
    )


def test_split_to_several_units_creates_one_child_per_unit(crew, make_task, units, on_day, login):
    on_day(date(2026, 3, 2))
    parent = make_task("P1")
    chosen = [crew.office, *units]
    r = login(crew.supervisor).post(
        NEW,
        _form(
            crew,
            code="P1-S",
            responsible_unit="",
            parent=str(parent.pk),
            split_units=[str(u.pk) for u in chosen],
        ),
    )
    assert r.status_code == 302 and r["Location"] == f"/supervision/tasks/{parent.pk}/"
    children = list(parent.children.order_by("code"))
    assert [c.code for c in children] == ["P1-S-01", "P1-S-02", "P1-S-03"]
    assert [c.responsible_unit for c in children] == chosen
    assert {c.title for c in children} == {"新华街社区雨污分流改造"}
    page = login(crew.supervisor).get(r["Location"]).content.decode()
    assert "任务已分解到 3 个单位。" in page and "经济办" in page


def test_a_split_that_fails_on_one_unit_writes_no_child(crew, make_task, units, on_day, login):
    on_day(date(2026, 3, 2))
    parent = make_task("P1")
    make_task("P1-S-02")  # the second child's code is taken
    before = Task.objects.count()
    r = login(crew.supervisor).post(
        NEW,
        _form(
            crew,
            code="P1-S",
            responsible_unit="",
            parent=str(parent.pk),
            split_units=[str(crew.office.pk), str(units[0].pk)],
        ),
    )
    assert r.status_code == 400
    assert "该任务编码已存在。" in r.content.decode()
    assert Task.objects.count() == before
    assert parent.children.count() == 0


def test_split_without_a_parent_is_refused(crew, units, on_day, login):
    on_day(date(2026, 3, 2))
    r = login(crew.supervisor).post(
        NEW, _form(crew, responsible_unit="", split_units=[str(u.pk) for u in units])
    )
    assert r.status_code == 400
    assert "分解到多个单位时，请选择上级任务。" in r.content.decode()
    assert Task.objects.count() == 0


def test_refused_input_writes_nothing_and_says_why(crew, on_day, login):
    on_day(date(2026, 3, 2))
    client = login(crew.supervisor)
    r = client.post(NEW, _form(crew, start="2026-11-30", deadline="2026-03-01"))
    assert r.status_code == 400
    html = r.content.decode()
    assert "完成时限早于开始日期。" in html
    assert 'value="新华街社区雨污分流改造"' in html  # the form keeps what was typed
    r = client.post(NEW, _form(crew, responsible_unit=""))
    assert r.status_code == 400 and "请填写责任单位。" in r.content.decode()
    assert Task.objects.count() == 0
    assert SupervisionEvent.objects.count() == 0


def test_a_unit_or_person_outside_the_scope_is_refused(crew, tree, on_day, login):
    on_day(date(2026, 3, 2))
    client = login(crew.supervisor)
    assert "中心路街道办事处" not in client.get(NEW).content.decode()
    r = client.post(NEW, _form(crew, responsible_unit=str(tree.office_b.pk)))
    assert r.status_code == 400 and "请从列出的选项中选择。" in r.content.decode()
    r = client.post(NEW, _form(crew, leader=str(crew.outsider.person.pk)))
    assert r.status_code == 400 and "请从列出的选项中选择。" in r.content.decode()
    assert Task.objects.count() == 0


# --- 编排节点计划 -------------------------------------------------------------------------------
#
# The 2026 calendar (seeded from chinese_calendar): 中秋 Fri 25 Sep (with the weekend 26–27)
# and 国庆 1–7 Oct are off; Sat 10 Oct is a 调休 workday, Sun 11 Oct is off.
# Backwards from Tue 13 Oct, steps 设计 3 + 施工 4 + 验收 2 working days:
#   验收: 12, 13 Oct                      -> due 2026-10-13
#   施工: 30 Sep, 8, 9, 10 Oct (Sat)      -> due 2026-10-10
#   设计: 24, 28, 29 Sep                  -> due 2026-09-29, first step starts 2026-09-24

STEPS = {"step_title": ["设计", "施工", "验收"], "step_days": ["3", "4", "2"]}


def _plan_task(make_task, start=date(2026, 9, 1)):
    return make_task("PLAN-1", start=start, deadline=date(2026, 10, 13))


def test_plan_form_shows_three_empty_rows_only_to_supervisors(crew, make_task, on_day, login):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task)
    html = login(crew.supervisor).get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert 'data-form="plan"' in html and "编排节点计划" in html
    assert html.count("<tr data-plan-row>") == 3 and "添加一行" in html
    doer = login(crew.doer)
    assert 'data-form="plan"' not in doer.get(f"/supervision/tasks/{task.pk}/").content.decode()
    r = doer.post(f"/supervision/tasks/{task.pk}/plan/", {**STEPS, "do": "save"})
    assert r.status_code == 400
    assert Milestone.objects.count() == 0


def test_propose_shows_the_backward_schedule_and_writes_nothing(crew, make_task, on_day, login):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task)
    events = SupervisionEvent.objects.count()
    r = login(crew.supervisor).post(
        f"/supervision/tasks/{task.pk}/plan/", {**STEPS, "do": "propose"}
    )
    assert r.status_code == 200
    html = r.content.decode()
    for due in ("2026-09-29", "2026-10-10", "2026-10-13"):
        assert f'name="step_due" value="{due}"' in html
    assert 'data-proposal-start="2026-09-24"' in html
    assert html.count("<tr data-plan-row>") == 3
    assert Milestone.objects.count() == 0
    assert SupervisionEvent.objects.count() == events


def test_a_plan_that_cannot_fit_shows_the_needed_start(crew, make_task, on_day, login):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task, start=date(2026, 9, 28))
    events = SupervisionEvent.objects.count()
    client = login(crew.supervisor)
    for do in ("propose", "save"):
        r = client.post(f"/supervision/tasks/{task.pk}/plan/", {**STEPS, "do": do})
        assert r.status_code == 400
        assert "各步骤须从 2026-09-24 开始，早于任务开始日期（2026-09-28）" in r.content.decode()
    assert Milestone.objects.count() == 0
    assert SupervisionEvent.objects.count() == events


def test_saving_the_proposed_and_edited_plan_writes_milestones_and_one_event(
    crew, make_task, on_day, login
):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task)
    client = login(crew.supervisor)
    r = client.post(
        f"/supervision/tasks/{task.pk}/plan/",
        {
            **STEPS,
            "step_title": ["设计", "施工", "验收", ""],
            "step_days": ["3", "4", "2", ""],
            "step_due": ["2026-09-28", "2026-10-10", "2026-10-13", ""],  # 设计 moved a day
            "do": "save",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/supervision/tasks/{task.pk}/"
    rows = list(task.milestones.values_list("title", "due", "duration_days", "planned_percent"))
    assert [(t, d, n, float(p)) for t, d, n, p in rows] == [
        ("设计", date(2026, 9, 28), 3, 33.3),
        ("施工", date(2026, 10, 10), 4, 77.8),
        ("验收", date(2026, 10, 13), 2, 100.0),
    ]
    plans = task.events.filter(verb="plan")
    assert plans.count() == 1
    assert plans.get().data["milestones"][0] == {"title": "设计", "due": "2026-09-28"}
    assert "节点计划已保存。" in client.get(r["Location"]).content.decode()


def test_saving_steps_without_dates_schedules_them(crew, make_task, on_day, login):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task)
    r = login(crew.supervisor).post(
        f"/supervision/tasks/{task.pk}/plan/", {**STEPS, "step_due": ["", "", ""], "do": "save"}
    )
    assert r.status_code == 302
    assert list(task.milestones.values_list("due", flat=True)) == [
        date(2026, 9, 29),
        date(2026, 10, 10),
        date(2026, 10, 13),
    ]
    assert task.events.filter(verb="plan").count() == 1


def test_a_row_without_working_days_is_refused(crew, make_task, on_day, login):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task)
    r = login(crew.supervisor).post(
        f"/supervision/tasks/{task.pk}/plan/",
        {"step_title": ["设计", "施工"], "step_days": ["3", "四"], "do": "propose"},
    )
    assert r.status_code == 400
    assert "第 2 行：工作日数请填写整数。" in r.content.decode()
    assert Milestone.objects.count() == 0


def test_a_plan_dated_on_some_rows_only_is_refused(crew, make_task, on_day, login):
    on_day(date(2026, 9, 1))
    task = _plan_task(make_task)
    r = login(crew.supervisor).post(
        f"/supervision/tasks/{task.pk}/plan/",
        {**STEPS, "step_due": ["2026-09-29", "", "2026-10-13"], "do": "save"},
    )
    assert r.status_code == 400
    assert "部分行有日期、部分行没有：请重新推算日期，或填写所有日期。" in r.content.decode()
    assert Milestone.objects.count() == 0
    assert task.events.filter(verb="plan").count() == 0
