"""The bulletin's patrol sentence (issue 18 item 1): "本周各级路长巡查 N 次，发现问题 M 件，已办结
K 件" as a generated item of an issue, read back from the produced .docx."""

from __future__ import annotations

import io

import pytest

from cityloop.bulletins import document, generators, render, services
from cityloop.bulletins import workflow as bulletin_workflow
from cityloop.cases.models import Case
from cityloop.core import clock
from cityloop.patrols import workflow

from .conftest import ON_ROAD

pytestmark = pytest.mark.django_db


def _docx_text(body: bytes) -> str:
    from docx import Document

    d = Document(io.BytesIO(body))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def _week_of_patrols(chief):
    """Two patrols today (one day of a daily duty), one problem found and closed."""
    first = workflow.start_patrol(actor=chief)
    case = workflow.report_problem(
        actor=chief, patrol_id=first.pk, description="占道经营", lng=ON_ROAD[0], lat=ON_ROAD[1]
    )
    workflow.end_patrol(actor=chief, patrol_id=first.pk)
    second = workflow.start_patrol(actor=chief)
    workflow.end_patrol(actor=chief, patrol_id=second.pk)
    Case.objects.filter(pk=case.pk).update(status="closed")


def test_patrol_sentence_in_the_docx(chief, tree, street_a_user):
    _week_of_patrols(chief)
    services.series_save(
        code="JYLJB",
        title="济源路街道工作简报",
        issuer=tree.office_a,
        issuer_name="济源路街道办事处",
    )
    issue = bulletin_workflow.new_issue(
        actor=street_a_user, series_code="JYLJB", day=clock.today(), number=1
    )
    bulletin_workflow.add_generated(
        actor=street_a_user,
        issue_id=issue.pk,
        generator="patrol_week",
        params={"place": tree.street_a.code},
        unit_label="济源路街道",
    )
    body, _ctype, _name = render.render(document.from_issue(issue), "docx")
    text = _docx_text(body)
    assert "路长巡查情况" in text
    assert "济源路街道各级路长巡查 2 次，发现问题 1 件，已办结 1 件。" in text
    # Two patrols on one day make one day of a daily duty: 1 of the week's 7.
    assert "应巡查 7 次，已巡查 1 次，1 名路长未达到巡查频次。" in text
    assert "济源路 | 王路长 | 社区级 | 1 / 7 | 1 | 1" in text


def test_another_streets_patrols_are_not_counted(chief, tree):
    _week_of_patrols(chief)
    other = generators.run("patrol_week", {"place": tree.street_b.code}, clock.today())
    assert (other.figures["patrols"], other.figures["found"], other.table) == (0, 0, {})
    assert "中心路街道各级路长巡查 0 次" in other.body
    mine = generators.run("patrol_week", {"place": tree.street_a.code}, clock.today())
    assert (mine.figures["patrols"], mine.figures["found"], mine.figures["closed"]) == (2, 1, 1)
    assert len(mine.sources["patrol"]) == 2
