"""A matter raised again in a later week is merged into the earlier round's demand (issue 18
item 4: merged when they are the same, across rounds too), and the rounds' figures become a
generated bulletin item read back from the .docx."""

from __future__ import annotations

import io
from datetime import date

import pytest

from cityloop.bulletins import document, generators, render, services
from cityloop.bulletins import workflow as bulletin_workflow
from cityloop.core.errors import InvalidInput
from cityloop.rounds import workflow
from cityloop.rounds.models import Demand, RoundEvent

from .test_rounds import MONDAY, _demand, _round

pytestmark = pytest.mark.django_db
API = "/api/v1/rounds"
LAST_MONDAY = date(2026, 11, 16)  # 2026-W47


def _two_weeks(crew, on_day):
    on_day(LAST_MONDAY)
    w47 = _round(crew, week="2026-W47")
    _demand(crew, w47, "济源路人行道破损", "道路建设")
    on_day(MONDAY)
    w48 = _round(crew, week="2026-W48")
    _demand(crew, w48, "济源路人行道还是破损", "道路建设")
    _demand(crew, w48, "游园健身器材损坏", "公园升级改造")
    _demand(crew, w48, "路灯不亮", "小区设施")
    return w47, w48


def test_a_demand_merges_into_last_weeks_round(crew, tree, on_day):
    w47, w48 = _two_weeks(crew, on_day)
    merged = workflow.merge(
        actor=crew.supervisor, code=w48.code, number=1, into=1, into_round=w47.code
    )
    first = Demand.objects.get(round=w47, number=1)
    assert (merged.state, merged.merged_into_id) == ("merged", first.pk)
    event = RoundEvent.objects.filter(round=w48, verb="merge").get()
    assert event.data == {"number": 1, "into": 1, "into_round": w47.code}
    # The figures count the matter once, in the week it was first raised.
    from cityloop.rounds import queries

    weeks = {f.label: (f.demands, f.merged) for f in queries.figures_by_week(crew.supervisor)}
    assert weeks == {"2026-W47": (1, 0), "2026-W48": (2, 1)}


def test_merging_into_another_streets_round_is_refused(crew, tree, on_day, make_account):
    _w47, w48 = _two_weeks(crew, on_day)
    zxl = make_account("zxl-rounds", roles=("street_staff",), unit=tree.office_b)
    other = workflow.open_round(
        actor=zxl,
        data=workflow.RoundInput(unit=tree.office_b.code, week="2026-W48", places=["三湾街"]),
    )
    workflow.record_demand(actor=zxl, code=other.code, data=workflow.DemandInput(text="路面坑洼"))
    with pytest.raises(InvalidInput) as e:
        workflow.merge(
            actor=crew.supervisor, code=w48.code, number=1, into=1, into_round=other.code
        )
    assert e.value.code == "merge_round_invalid"
    assert Demand.objects.get(round=w48, number=1).state == "open"


def test_the_round_page_and_api_merge_across_rounds(client, crew, tree, on_day):
    w47, w48 = _two_weeks(crew, on_day)
    client.force_login(crew.supervisor)
    page = client.get(f"/rounds/{w48.code}/").content.decode()
    assert "2026-W48（本轮）" in page and f'value="{w47.code}"' in page
    r = client.post(
        f"/rounds/{w48.code}/handle/",
        {"action": "merge", "number": "1", "into": "1", "into_round": w47.code},
    )
    assert r.status_code == 302
    page = client.get(f"/rounds/{w48.code}/").content.decode()
    assert f'data-merged-round="{w47.code}"' in page
    r = client.post(
        f"{API}/{w48.code}/demands/2/merge",
        {"into": 1, "round": w47.code},
        "application/json",
    )
    assert r.status_code == 200, r.content
    rows = {d["number"]: d for d in r.json()["demands"]}
    assert (rows[2]["merged_into"], rows[2]["merged_into_round"]) == (1, w47.code)


def _docx_text(body: bytes) -> str:
    from docx import Document

    d = Document(io.BytesIO(body))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_round_figures_sentence_in_the_docx(crew, tree, on_day):
    w47, w48 = _two_weeks(crew, on_day)
    workflow.merge(actor=crew.supervisor, code=w48.code, number=1, into=1, into_round=w47.code)
    workflow.solve(actor=crew.supervisor, code=w48.code, number=2, note="当场联系维保更换")
    services.series_save(
        code="JYLJB", title="济源路街道工作简报", issuer=crew.street, issuer_name="济源路街道办事处"
    )
    day = MONDAY.replace(day=27)  # Friday of W48
    on_day(day)
    issue = bulletin_workflow.new_issue(
        actor=crew.supervisor, series_code="JYLJB", day=day, number=1
    )
    bulletin_workflow.add_generated(
        actor=crew.supervisor,
        issue_id=issue.pk,
        generator="round_figures",
        params={"unit": crew.street.code, "end": day.isoformat()},
        unit_label="济源路街道",
    )
    body, _ctype, _name = render.render(document.from_issue(issue), "docx")
    text = _docx_text(body)
    # The week holding the day: W48 only (last week's demand is not counted again).
    assert (
        "11月23日至11月27日，济源路街道民意调研员收集诉求 2 件，归入 2 项提升清单：就地解决 1 件，"
        "纳入细分项目 0 件，向区直部门反馈 0 件；重复诉求合并 1 件。"
    ) in text
    assert "道路建设 | 0 | 0 | 0 | 0" in text and "公园升级改造 | 1 | 1 | 0 | 0" in text
    both = generators.run(
        "round_figures",
        {"unit": crew.street.code, "start": "2026-11-16", "end": "2026-11-29"},
        day,
    )
    assert (both.figures["demands"], both.figures["merged"]) == (3, 1)
    assert len(both.sources["demand"]) == 4


def test_the_project_page_shows_the_demands_it_carries(client, crew, tree, on_day, make_project):
    on_day(MONDAY)
    project = make_project()
    rnd = _round(crew)
    _demand(crew, rnd, "小区缺少电动车充电桩", "小区设施")
    workflow.link_projects(actor=crew.supervisor, code=rnd.code, number=1, projects=[project.code])
    client.force_login(crew.supervisor)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "承接的民意调研诉求" in page
    assert (
        f'href="/rounds/{rnd.code}/">2026-W48</a> 第 1 条：小区缺少电动车充电桩（小区设施）' in page
    )
    # The office carrying the project reads it, not the street's rounds: no demand shown.
    from cityloop.rounds import queries

    assert not queries.visible_rounds(crew.doer).exists()
    client.force_login(crew.doer)
    page = client.get(f"/projects/{project.pk}/")
    assert page.status_code == 200 and "小区缺少电动车充电桩" not in page.content.decode()
