"""The bulletin registries (issues, submissions) are the one statement of their actions: the
issue page's editing parts, the OpenAPI descriptions and the guide's tables come from them,
and no workflow function may leave an issue or a submission in a state its entry does not
name."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cityloop.bulletins import rules, workflow
from cityloop.bulletins.actions import ISSUES, SUBMISSIONS
from cityloop.bulletins.models import BulletinEvent, Issue, Submission
from cityloop.core.actions import Action
from cityloop.core.errors import InvalidTransition
from cityloop.core.management.commands.docs_tables import GUIDE_DIR, rewrite

from .test_bulletins import series  # noqa: F401  (the 上街信息 series)

pytestmark = pytest.mark.django_db
ISSUE_ACTIONS = ["place", "compile", "generate", "remove", "recipients", "publish"]


@pytest.fixture
def sub(zxl, series):  # noqa: F811
    return workflow.submit(
        actor=zxl.sw_worker, series_code="SJXX", unit=zxl.sw_unit, title="简讯", body="本周正常。"
    )


@pytest.fixture
def draft(zxl, series):  # noqa: F811
    return workflow.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 6, 16), number=7)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_actions_are_the_registry_s_for_the_part_and_the_state(zxl, sub, draft):
    assert rules.issue_actions(zxl.desk, draft) == ISSUE_ACTIONS
    assert rules.issue_actions(zxl.sw_worker, draft) == []
    assert rules.submission_actions(zxl.desk, sub) == ["accept", "edit", "reject"]
    assert rules.submission_actions(zxl.sw_worker, sub) == []
    workflow.review(actor=zxl.desk, submission_id=sub.pk, action="accept")
    workflow.compile_issue(actor=zxl.desk, issue_id=draft.pk)
    workflow.publish(actor=zxl.desk, issue_id=draft.pk)
    draft.refresh_from_db()
    sub.refresh_from_db()
    assert (draft.state, sub.state) == (Issue.State.PUBLISHED, Submission.State.USED)
    assert rules.issue_actions(zxl.desk, draft) == []
    assert rules.submission_actions(zxl.desk, sub) == []
    event = BulletinEvent.objects.get(verb="publish", issue=draft)
    assert (event.from_state, event.to_state) == ("draft", "published")
    with pytest.raises(InvalidTransition) as err:
        workflow.review(actor=zxl.desk, submission_id=sub.pk, action="reject", note="晚了")
    assert err.value.code == "bulletin_submission_used"
    with pytest.raises(InvalidTransition) as err:
        workflow.compile_issue(actor=zxl.desk, issue_id=draft.pk)
    assert err.value.code == "bulletin_issue_published"


def test_a_registered_action_is_described_and_a_row_of_the_guide(zxl, draft):
    ISSUES.register(
        Action("proofread", frozenset({Issue.State.DRAFT}), None, "editor", "校对（测试）", "none")
    )
    try:
        assert rules.issue_actions(zxl.desk, draft)[-1] == "proofread"
        schema = _client(zxl.desk).get("/api/v1/openapi.json").json()
        op = schema["paths"]["/api/v1/bulletins/issues/{issue_id}"]["get"]
        assert "`proofread` 校对（测试）（刊物的编辑；输入：none）" in op["description"]
        review = schema["paths"]["/api/v1/bulletins/submissions/{submission_id}/actions/{action}"]
        assert "`reject` 退回（刊物的编辑；输入：reason）" in review["post"]["description"]
        fresh = rewrite((GUIDE_DIR / "bulletins.md").read_text(encoding="utf-8"))
        assert "| 校对（测试） | 刊物的编辑 | 草稿 | 不变 |  |" in fresh
    finally:
        ISSUES.unregister("proofread")


def test_the_committed_guide_tables_are_the_registries():
    text = (GUIDE_DIR / "bulletins.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/guide/bulletins.md is stale: run `cityloop docs-tables`"
    assert "| 印发本期 | 刊物的编辑 | 草稿 | 已印发 |" in text
    assert "| Reject | the series' editors | Submitted, Accepted, Rejected | Rejected |" in text


def test_the_issue_page_edits_only_while_the_registry_opens_an_action(zxl, draft, monkeypatch):
    page = _client(zxl.desk).get(f"/bulletins/issues/{draft.pk}/").content.decode()
    assert 'value="publish"' in page
    for name in ISSUE_ACTIONS:
        monkeypatch.delitem(ISSUES, name)
    page = _client(zxl.desk).get(f"/bulletins/issues/{draft.pk}/").content.decode()
    assert 'value="publish"' not in page


def test_a_submission_event_for_a_state_its_entry_does_not_name_is_refused(zxl, sub, monkeypatch):
    # A state written past the registry: "reject" leaves the item submitted, which its entry
    # (rejected) does not name.
    monkeypatch.setattr(SUBMISSIONS, "move", lambda record, name, to=None: record.state)
    with pytest.raises(RuntimeError, match="reject"):
        workflow.review(actor=zxl.desk, submission_id=sub.pk, action="reject", note="内容空泛")
    sub.refresh_from_db()
    assert sub.state == Submission.State.SUBMITTED and sub.review_note == ""
    assert not BulletinEvent.objects.filter(verb="reject").exists()
