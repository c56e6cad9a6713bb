"""Supervision's action registries (tasks, rectifications) are the one statement of their
actions: an action declared there shows up as a button on the task page, an API action with
its OpenAPI description and a row of the guide's table, with no other edit; and no workflow
function may leave a task or a rectification in a state its entry does not name."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from django.urls import reverse

from cityloop.core import tokens
from cityloop.core.actions import Action
from cityloop.core.management.commands.docs_tables import GUIDE_DIR, rewrite
from cityloop.supervision import rules, workflow
from cityloop.supervision.actions import LETTERS, RECTIFICATIONS, TASKS
from cityloop.supervision.models import Rectification, SupervisionEvent, Task
from cityloop.supervision.services import create_inspection

pytestmark = pytest.mark.django_db
T = Task.State
R = Rectification.State


@pytest.fixture
def site_visit():
    """A test-only action: the task's supervisors note a site visit (no state change)."""
    entry = TASKS.register(
        Action(
            "site_visit",
            frozenset({T.ACTIVE}),
            None,
            "supervisor",
            "现场督导（测试）",
            "note",
            note="测试用操作",
        )
    )
    yield entry
    TASKS.unregister("site_visit")


@pytest.fixture
def task(make_task, on_day):
    on_day(date(2026, 6, 1))
    return make_task()


def test_a_registered_action_is_a_button_and_a_working_page_form(client, crew, task, site_visit):
    assert "site_visit" in rules.task_actions(crew.supervisor, task, explanation_open=False)
    assert "site_visit" not in rules.task_actions(crew.doer, task, explanation_open=False)
    client.force_login(crew.supervisor)
    page = client.get(reverse("supervision:task", args=[task.pk])).content.decode()
    assert 'data-action="site_visit"' in page
    assert "现场督导（测试）" in page
    url = reverse("supervision:task_action", args=[task.pk, "site_visit"])
    response = client.post(url, {"text": "已到现场督导"})
    assert response.status_code == 302
    event = SupervisionEvent.objects.filter(task=task, verb="site_visit").get()
    assert (event.note, event.from_state, event.to_state) == ("已到现场督导", "", "")
    client.force_login(crew.doer)
    page = client.get(reverse("supervision:task", args=[task.pk])).content.decode()
    assert 'data-action="site_visit"' not in page


def test_a_registered_action_is_in_the_api_and_its_openapi_description(
    client, crew, task, site_visit
):
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/tasks/{task_id}/actions/{action}"]["post"]
    param = next(p for p in op["parameters"] if p["name"] == "action")
    assert param["schema"]["enum"] == ["cancel", "site_visit"]
    assert "`site_visit` 现场督导（测试）（任务的督查单位；输入：note）" in op["description"]
    assert "`reinspect` 复查（督查单位；输入：reinspect）" in op["description"]
    token = tokens.token_issue(user=crew.supervisor, label="t")
    auth = {"Authorization": f"Bearer {token}"}
    response = client.post(
        f"/api/v1/tasks/{task.pk}/actions/site_visit",
        {"note": "API 现场督导"},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 200, response.content
    assert "site_visit" in response.json()["allowed_actions"]
    assert SupervisionEvent.objects.filter(task=task, verb="site_visit", note="API 现场督导")
    doer = tokens.token_issue(user=crew.doer, label="t")
    refused = client.post(
        f"/api/v1/tasks/{task.pk}/actions/site_visit",
        {"note": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {doer}"},
    )
    assert refused.status_code == 403
    outsider = tokens.token_issue(user=crew.outsider, label="t")
    hidden = client.post(
        f"/api/v1/tasks/{task.pk}/actions/site_visit",
        {"note": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {outsider}"},
    )
    assert hidden.status_code == 404  # another street's task is not found


def test_cancel_through_the_action_path_moves_the_task_by_its_entry(client, crew, task):
    token = tokens.token_issue(user=crew.supervisor, label="t")
    response = client.post(
        f"/api/v1/tasks/{task.pk}/actions/cancel",
        {"reason": "并入其他任务"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.state == T.CANCELLED
    event = SupervisionEvent.objects.filter(task=task, verb="cancel").get()
    assert (event.from_state, event.to_state, event.note) == ("active", "cancelled", "并入其他任务")


def test_a_registered_action_is_a_row_of_the_guide_table(site_visit):
    fresh = rewrite((GUIDE_DIR / "supervision.md").read_text(encoding="utf-8"))
    assert "| 现场督导（测试） | 任务的督查单位 | 推进中 | 不变 | 测试用操作 |" in fresh
    assert "| 现场督导（测试） | the task's supervisors | In progress | unchanged |" in fresh


def test_the_committed_guide_tables_are_the_registries():
    text = (GUIDE_DIR / "supervision.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/guide/supervision.md is stale: run `cityloop docs-tables`"
    assert "| 确认任务完成 | 任务的督查单位 | 推进中 | 已完成 |" in text
    assert "| Re-inspect | inspecting unit | Being rectified, Awaiting re-inspection |" in text


def test_complete_writes_the_state_its_entry_names(crew, task):
    workflow.complete(actor=crew.supervisor, task_id=task.pk, done_on=date(2026, 6, 1))
    task.refresh_from_db()
    assert task.state == T.DONE
    event = SupervisionEvent.objects.filter(task=task, verb="complete").get()
    assert (event.from_state, event.to_state) == ("active", "done")


def test_a_task_event_for_a_state_its_entry_does_not_name_is_refused(crew, task, monkeypatch):
    # The entry says a progress report completes the task; the function leaves it active.
    completes = dataclasses.replace(TASKS["report"], targets=frozenset({T.DONE}))
    monkeypatch.setitem(TASKS, "report", completes)
    with pytest.raises(RuntimeError, match="report"):
        workflow.report_progress(actor=crew.doer, task_id=task.pk, text="进展", percent=10)
    task.refresh_from_db()
    assert task.progress_text == ""  # the transaction rolled back
    assert not SupervisionEvent.objects.filter(task=task, verb="progress").exists()


def test_a_state_written_around_the_registry_is_refused(crew, task):
    task.locked_state = task.state
    task.state = T.DONE  # a function that wrote the state itself, for a cancel
    with pytest.raises(RuntimeError, match="cancel"):
        workflow._event(crew.supervisor, "cancel", task=task, from_state="active", to_state="done")
    assert not SupervisionEvent.objects.filter(task=task, verb="cancel").exists()


@pytest.fixture
def rectification(crew, on_day):
    on_day(date(2026, 7, 1))
    inspection = create_inspection(
        actor=crew.supervisor,
        code="DC-1",
        kind="routine",
        on=date(2026, 7, 1),
        subject="日常督查",
        team="第一督查组",
        unit=crew.street,
    )
    finding = workflow.record_finding(
        actor=crew.supervisor,
        inspection_id=inspection.pk,
        kind="垃圾乱堆",
        description="06小区门口垃圾未清运",
        unit=crew.office,
        mode="deadline",
        due=date(2026, 7, 9),
    )
    return finding.rectification


def test_the_ledger_buttons_follow_the_rectification_registry(crew, rectification):
    assert rules.rectification_actions(crew.doer, rectification) == ["report"]
    assert rules.rectification_actions(crew.outsider, rectification) == []
    # The inspecting street covers the office: it may report for it, and re-inspects.
    assert rules.rectification_actions(crew.supervisor, rectification) == ["report", "reinspect"]
    workflow.submit_rectification(actor=crew.doer, rectification_id=rectification.pk, report="清了")
    rectification.refresh_from_db()
    assert rules.rectification_actions(crew.doer, rectification) == []
    assert rectification.state == R.SUBMITTED
    assert rules.rectification_actions(crew.supervisor, rectification) == ["reinspect"]
    workflow.reinspect(actor=crew.supervisor, rectification_id=rectification.pk, passed=True)
    rectification.refresh_from_db()
    assert rectification.state == R.CLOSED
    assert rules.rectification_actions(crew.supervisor, rectification) == []


def test_a_reinspection_that_leaves_a_state_its_entry_does_not_name_is_stopped(
    crew, rectification, monkeypatch
):
    workflow.submit_rectification(actor=crew.doer, rectification_id=rectification.pk, report="清了")
    # The entry says a re-inspection can only close; failing it would send it back.
    closes_only = dataclasses.replace(RECTIFICATIONS["reinspect"], targets=frozenset({R.CLOSED}))
    monkeypatch.setitem(RECTIFICATIONS, "reinspect", closes_only)
    with pytest.raises(RuntimeError, match="reinspect"):
        workflow.reinspect(
            actor=crew.supervisor, rectification_id=rectification.pk, passed=False, note="仍有"
        )
    rectification.refresh_from_db()
    assert (rectification.state, rectification.failed_reinspections) == (R.SUBMITTED, 0)
    assert not SupervisionEvent.objects.filter(verb="reinspect").exists()


@pytest.fixture
def letter(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    make_task("T-late", title="雨污分流改造：3号排水单元", deadline=date(2026, 6, 30))
    on_day(date(2026, 7, 6))
    return workflow.issue_letter(
        actor=crew.supervisor,
        issuer=crew.street,
        addressee=crew.office,
        answer_due=date(2026, 7, 10),
    )


def test_the_letter_page_buttons_follow_the_letter_registry(client, crew, letter):
    assert rules.letter_actions(crew.doer, letter) == ["receive", "answer"]
    assert rules.letter_actions(crew.supervisor, letter) == []  # the issuer does not answer
    client.force_login(crew.doer)
    page = client.get(reverse("supervision:letter", args=[letter.pk])).content.decode()
    assert 'value="receive"' in page and 'value="answer"' in page
    workflow.receive_letter(actor=crew.doer, letter_id=letter.pk)
    letter.refresh_from_db()
    assert rules.letter_actions(crew.doer, letter) == ["answer"]
    event = SupervisionEvent.objects.filter(letter=letter, verb="letter_received").get()
    assert (event.from_state, event.to_state) == ("sent", "received")
    workflow.answer_letter(actor=crew.doer, letter_id=letter.pk, answer="已加派施工队")
    letter.refresh_from_db()
    assert rules.letter_actions(crew.doer, letter) == []
    page = client.get(reverse("supervision:letter", args=[letter.pk])).content.decode()
    assert 'value="answer"' not in page


def test_the_answer_writes_the_state_its_entry_names_and_a_state_around_it_is_refused(
    crew, letter, monkeypatch
):
    # The function takes the answer's state from its entry: the registry decides.
    held = dataclasses.replace(LETTERS["answer"], targets=frozenset({"received"}))
    monkeypatch.setitem(LETTERS, "answer", held)
    workflow.answer_letter(actor=crew.doer, letter_id=letter.pk, answer="已办")
    letter.refresh_from_db()
    assert (letter.state, letter.answer) == ("received", "已办")
    # A function that wrote the state itself, for a receipt, is stopped at its event.
    letter.locked_state, letter.state = "sent", "answered"
    with pytest.raises(RuntimeError, match="receive"):
        workflow._event(crew.doer, "letter_received", letter=letter)
    assert not SupervisionEvent.objects.filter(letter=letter, verb="letter_received").exists()
