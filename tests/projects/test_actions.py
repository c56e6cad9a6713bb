"""The project registry is the one statement of the project actions: the allowed actions, the
OpenAPI description and the guide's table come from it, and no workflow function may leave a
project in a state its entry does not name."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from cityloop.core.actions import Action
from cityloop.core.errors import InvalidTransition
from cityloop.core.management.commands.docs_tables import GUIDE_DIR, rewrite
from cityloop.projects import rules, workflow
from cityloop.projects.actions import PROJECTS
from cityloop.projects.models import Project, ProjectEvent

pytestmark = pytest.mark.django_db
P = Project.State


@pytest.fixture
def project(make_project, on_day):
    on_day(date(2026, 5, 6))
    return make_project()


def test_the_allowed_actions_are_the_registry_s_for_the_part(crew, project):
    assert rules.project_actions(crew.doer, project) == ["report", "opinion", "design_item"]
    assert rules.project_actions(crew.supervisor, project) == [
        "report", "opinion", "design_item", "advance", "inspect", "schedule", "link_task",
        "cancel", "edit",
    ]  # fmt: skip
    assert rules.project_actions(crew.outsider, project) == []


def test_a_registered_action_is_allowed_described_and_a_row_of_the_guide(client, crew, project):
    PROJECTS.register(
        Action("site_walk", frozenset({P.ACTIVE}), None, "manager", "现场巡看（测试）", "note")
    )
    try:
        assert "site_walk" in rules.project_actions(crew.supervisor, project)
        assert "site_walk" not in rules.project_actions(crew.doer, project)
        schema = client.get("/api/v1/openapi.json").json()
        op = schema["paths"]["/api/v1/projects/{project_id}"]["get"]
        assert "`site_walk` 现场巡看（测试）（项目的管理单位；输入：note）" in op["description"]
        fresh = rewrite((GUIDE_DIR / "projects.md").read_text(encoding="utf-8"))
        assert "| 现场巡看（测试） | 项目的管理单位 | 推进中 | 不变 |  |" in fresh
    finally:
        PROJECTS.unregister("site_walk")


def test_the_committed_guide_table_is_the_registry():
    text = (GUIDE_DIR / "projects.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/guide/projects.md is stale: run `cityloop docs-tables`"
    assert "| 撤销项目 | 项目的管理单位 | 推进中 | 已撤销 |" in text
    assert "| Cancel the project | the project's managers | In progress | Cancelled |" in text


def test_cancel_writes_the_state_its_entry_names_and_then_nothing_is_open(crew, project):
    workflow.cancel(actor=crew.supervisor, project_id=project.pk, reason="规划调整")
    project.refresh_from_db()
    assert project.state == P.CANCELLED
    event = ProjectEvent.objects.filter(project=project, verb="cancel").get()
    assert (event.from_state, event.to_state) == ("active", "cancelled")
    assert rules.project_actions(crew.supervisor, project) == []
    with pytest.raises(InvalidTransition) as err:
        workflow.cancel(actor=crew.supervisor, project_id=project.pk, reason="再撤一次")
    assert err.value.code == "project_not_active"


def test_a_project_event_for_a_state_its_entry_does_not_name_is_refused(
    crew, make_task, project, monkeypatch
):
    task = make_task()
    # The entry says linking a task cancels the project; the function leaves it in progress.
    cancels = dataclasses.replace(PROJECTS["link_task"], targets=frozenset({P.CANCELLED}))
    monkeypatch.setitem(PROJECTS, "link_task", cancels)
    with pytest.raises(RuntimeError, match="link_task"):
        workflow.link_task(actor=crew.supervisor, project_id=project.pk, task_id=task.pk)
    project.refresh_from_db()
    assert project.task_id is None  # the transaction rolled back
    assert not ProjectEvent.objects.filter(project=project, verb="link_task").exists()
