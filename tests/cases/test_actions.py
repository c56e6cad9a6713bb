"""The action registry is the one statement of the case actions: an action declared there
shows up as a button, a page form, an API action with its OpenAPI description and a row of
the user guide's table, with no other edit; and no action function may leave a case in a
state its entry does not name."""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import reverse

from cityloop.cases import actions, workflow
from cityloop.cases.models import Case, CaseEvent
from cityloop.core import tokens
from cityloop.core.management.commands.docs_tables import GUIDE_DIR, rewrite

pytestmark = pytest.mark.django_db
S = Case.Status


@pytest.fixture
def test_action():
    """A test-only action: the responsible unit marks a site check (a note, no state change)."""
    entry = actions.register(
        actions.CaseAction(
            "site_check",
            frozenset({S.DISPATCHED, S.HANDLING}),
            None,
            "handler",
            "现场核实（测试）",
            "note",
            note="测试用操作",
        )
    )
    yield entry
    actions.unregister("site_check")


@pytest.fixture
def dispatched(new_case, cast):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    return workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)


def test_a_registered_action_is_a_button_and_a_working_page_form(
    client, cast, dispatched, test_action
):
    assert "site_check" in workflow.allowed_actions(cast.handler, dispatched)
    assert "site_check" not in workflow.allowed_actions(cast.resident, dispatched)
    client.force_login(cast.handler)
    page = client.get(reverse("cases:detail", args=[dispatched.pk])).content.decode()
    assert 'data-action="site_check"' in page
    assert "现场核实（测试）" in page
    url = reverse("cases:action", args=[dispatched.pk, "site_check"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "已到现场"})
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=dispatched, verb="site_check").get()
    assert (event.note, event.from_state, event.to_state) == (
        "已到现场",
        S.DISPATCHED,
        S.DISPATCHED,
    )
    assert event.public is False


def test_a_registered_action_is_in_the_api_and_its_openapi_description(
    client, cast, dispatched, test_action
):
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/cases/{case_id}/actions/{action}"]["post"]
    param = next(p for p in op["parameters"] if p["name"] == "action")
    assert param["schema"]["enum"] == actions.names()
    assert "site_check" in param["schema"]["enum"]
    assert "`site_check` 现场核实（测试）（责任单位；输入：note）" in op["description"]
    token = tokens.token_issue(user=cast.handler, label="t")
    response = client.post(
        f"/api/v1/cases/{dispatched.pk}/actions/site_check",
        {"note": "API 现场核实"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content
    assert CaseEvent.objects.filter(case=dispatched, verb="site_check", note="API 现场核实")
    outsider = tokens.token_issue(user=cast.outsider, label="t")
    refused = client.post(
        f"/api/v1/cases/{dispatched.pk}/actions/site_check",
        {"note": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {outsider}"},
    )
    assert refused.status_code == 404  # another street's case is not found


def test_a_registered_action_is_a_row_of_the_guide_table(test_action):
    text = (GUIDE_DIR / "cases.md").read_text(encoding="utf-8")
    fresh = rewrite(text)
    assert "| 现场核实（测试） | 责任单位 | 已派遣、处置中 | 不变 | 测试用操作 |" in fresh
    assert (
        "| 现场核实（测试） | responsible unit | Dispatched, Being handled | unchanged |" in fresh
    )


def test_the_committed_guide_table_is_the_registry():
    text = (GUIDE_DIR / "cases.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/guide/cases.md is stale: run `cityloop docs-tables`"
    assert "| 受理 | 受理人员 | 已上报 | 已受理 |" in text
    assert "| Verify | verifier | Replied | Being handled, Closed |" in text


def test_a_function_that_asks_for_a_state_its_entry_does_not_name_is_stopped(
    cast, dispatched, monkeypatch
):
    workflow.reply(actor=cast.handler, case_id=dispatched.pk, result="已处理")
    # The entry says a verification can only close; failing it would send the case back.
    closes_only = dataclasses.replace(actions.REGISTRY["verify"], targets=frozenset({S.CLOSED}))
    monkeypatch.setitem(actions.REGISTRY, "verify", closes_only)
    with pytest.raises(RuntimeError, match="verify"):
        workflow.verify(actor=cast.verifier, case_id=dispatched.pk, passed=False, note="没扫干净")
    dispatched.refresh_from_db()
    assert dispatched.status == S.REPLIED  # the transaction rolled back
    assert not CaseEvent.objects.filter(case=dispatched, verb="verify").exists()


def test_an_event_for_a_state_its_entry_does_not_name_is_refused(cast, dispatched):
    # A function that wrote the status itself instead of through the registry.
    dispatched.status = S.CLOSED
    with pytest.raises(RuntimeError, match="take"):
        workflow._record(cast.handler, dispatched, "take", from_state=S.DISPATCHED)
    assert not CaseEvent.objects.filter(case=dispatched, verb="take").exists()


def test_every_action_function_has_an_entry_and_every_entry_a_form():
    from cityloop.cases import forms

    assert set(workflow._ACTION_FUNCTIONS) == set(actions.REGISTRY)
    for name, entry in actions.REGISTRY.items():
        assert forms.form_for(name) is forms.INPUT_FORMS[entry.input]
    public = {n for n, e in actions.REGISTRY.items() if e.public}
    assert public == {
        "accept", "reject", "merge", "dispatch", "reply", "verify",
        "return_visit", "reopen", "escalate", "cancel",
    }  # fmt: skip
    assert actions.is_public("report") and not actions.is_public("duplicate_added")
