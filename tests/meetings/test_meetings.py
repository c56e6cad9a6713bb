"""Meetings whose decisions are tracked [seed 003 落实周例会工作机制…事事有落实，件件有回音]:
a weekly meeting's decisions become supervision tasks with lights, the next week's meeting
opens with how they stand, and the record is the organising unit's."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityloop.core.errors import Conflict, Forbidden, InvalidInput
from cityloop.meetings import queries, workflow
from cityloop.meetings.models import Decision, Meeting, MeetingEvent
from cityloop.supervision import queries as supervision_queries
from cityloop.supervision import workflow as supervision_workflow
from cityloop.supervision.models import Task
from tests.supervision.conftest import SH

pytestmark = pytest.mark.django_db
API = "/api/v1/meetings"
MONDAY = date(2026, 11, 23)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH)


def _weekly(crew, day: date = MONDAY, **kw) -> Meeting:
    data = {
        "kind": "weekly",
        "title": f"{day:%m月%d日}周例会",
        "unit": crew.street.code,
        "held_at": _at(day),
        "chair": crew.leader.person.code,
        "attendees": [crew.doer.person.code],
        "agenda": "一、上周议定事项落实情况\n二、本周重点工作",
    }
    data.update(kw)
    return workflow.schedule(actor=crew.supervisor, data=workflow.MeetingInput(**data))


def _decide(crew, meeting, text: str, deadline: date) -> Decision:
    return workflow.decide(
        actor=crew.supervisor,
        code=meeting.code,
        data=workflow.DecisionInput(
            text=text,
            responsible_unit=crew.office.code,
            deadline=deadline,
            category="community_governance",
            leader=crew.leader.person.code,
        ),
    )


def test_decisions_become_tasks_lit_on_the_board_and_open_the_next_meeting(crew, on_day):
    on_day(MONDAY)
    first = _weekly(crew)
    assert (first.chair, first.previous, first.state) == (crew.leader.person, None, "planned")
    workflow.sign_in(actor=crew.supervisor, code=first.code, person=crew.leader.person.code)
    workflow.sign_in(
        actor=crew.supervisor, code=first.code, person=crew.doer.person.code, absence="外出培训"
    )
    workflow.record_minutes(actor=crew.supervisor, code=first.code, minutes="会议听取了……")
    near = _decide(crew, first, "清理济源路占道经营摊点", MONDAY + timedelta(days=4))
    far = _decide(crew, first, "完成06小区雨污分流方案\n报街道审定", MONDAY + timedelta(days=60))
    first.refresh_from_db()
    assert first.state == "held"
    assert (near.number, far.number) == (1, 2)
    task = Task.objects.get(code=f"{first.code}-01")
    assert task == near.task and task.title == "清理济源路占道经营摊点"
    assert (task.responsible_unit, task.supervising_unit) == (crew.office, crew.street)
    assert task.start == MONDAY and task.leader == crew.leader.person
    assert Task.objects.get(code=f"{first.code}-02").title == "完成06小区雨污分流方案"
    # On the supervisor's red/yellow/blue board like any other task.
    board = supervision_queries.board(crew.supervisor, as_of=MONDAY)
    assert {r.task.code for r in board.rows} >= {near.task.code, far.task.code}
    verbs = list(MeetingEvent.objects.filter(meeting=first).values_list("verb", flat=True))
    assert verbs == ["create", "sign_in", "absence", "minutes", "decide", "decide"]

    # A week on: the first decision is past its deadline, the second goes on; one is done.
    next_monday = MONDAY + timedelta(days=7)
    on_day(next_monday)
    second = _weekly(crew, next_monday)
    assert second.previous == first
    carried = {r.decision.number: r for r in queries.carried_over(crew.supervisor, second)}
    assert carried[1].colour == "red"
    assert carried[2].colour in {"blue", "yellow"}
    supervision_workflow.complete(actor=crew.supervisor, task_id=far.task_id)
    carried = {r.decision.number: r for r in queries.carried_over(crew.supervisor, second)}
    assert carried[2].colour not in {"red", "yellow", "blue"}  # a done colour
    # A meeting of another kind does not open with the weekly meeting's decisions.
    dispatch = _weekly(crew, next_monday, kind="dispatch", title="调度会")
    assert dispatch.previous is None and queries.carried_over(crew.supervisor, dispatch) == []


def test_refused_steps_write_nothing(crew, on_day):
    on_day(MONDAY)
    meeting = _weekly(crew)
    tasks, decisions = Task.objects.count(), Decision.objects.count()
    with pytest.raises(InvalidInput) as exc:
        _decide(crew, meeting, "补办", MONDAY - timedelta(days=1))
    assert exc.value.code == "decision_deadline_invalid"
    with pytest.raises(InvalidInput):
        workflow.decide(
            actor=crew.supervisor,
            code=meeting.code,
            data=workflow.DecisionInput(
                text="无主之事", responsible_unit="NO-SUCH", deadline=MONDAY, category="ecology"
            ),
        )
    with pytest.raises(InvalidInput) as exc:
        workflow.issue(actor=crew.supervisor, code=meeting.code)
    assert exc.value.code == "minutes_missing"
    # The attendee from the office may read the meeting but not run it.
    assert queries.meeting_get(crew.doer, meeting.code) == meeting
    with pytest.raises(Forbidden):
        workflow.record_minutes(actor=crew.doer, code=meeting.code, minutes="代记")
    assert (Task.objects.count(), Decision.objects.count()) == (tasks, decisions)
    workflow.record_minutes(actor=crew.supervisor, code=meeting.code, minutes="纪要")
    workflow.issue(actor=crew.supervisor, code=meeting.code)
    with pytest.raises(Conflict) as exc:
        _decide(crew, meeting, "会后追加", MONDAY + timedelta(days=3))
    assert exc.value.code == "meeting_issued"
    assert (Task.objects.count(), Decision.objects.count()) == (tasks, decisions)
    with pytest.raises(InvalidInput) as exc:
        _weekly(crew, kind="party")
    assert exc.value.code == "meeting_kind_invalid"


def test_other_streets_get_404_on_page_and_api(client, crew, on_day):
    on_day(MONDAY)
    meeting = _weekly(crew)
    client.force_login(crew.outsider)
    assert client.get(f"/meetings/{meeting.code}/").status_code == 404
    assert client.get(f"{API}/{meeting.code}").status_code == 404
    assert client.post(f"/meetings/{meeting.code}/minutes/", {"minutes": "x"}).status_code == 404
    assert client.get(API).json()["items"] == []
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_api_round_trip(client, crew, on_day):
    on_day(MONDAY)
    client.force_login(crew.supervisor)
    r = client.post(
        API,
        {
            "kind": "dispatch",
            "title": "三项工程调度会",
            "unit": crew.street.code,
            "held_at": _at(MONDAY, 15).isoformat(),
            "attendees": [crew.doer.person.code],
        },
        "application/json",
    )
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert r.json()["kind_label"] == "调度会" and r.json()["state_label"] == "待召开"
    r = client.post(f"{API}/{code}/sign-ins", {"person": crew.doer.person.code}, "application/json")
    assert r.status_code == 200 and r.json()["attendees"][0]["signed_at"]
    r = client.post(
        f"{API}/{code}/decisions",
        {
            "text": "本周内完成06小区施工围挡",
            "responsible_unit": crew.office.code,
            "deadline": (MONDAY + timedelta(days=5)).isoformat(),
            "category": "old_compound_renovation",
        },
        "application/json",
    )
    assert r.status_code == 201, r.content
    decision = r.json()["decisions"][0]
    assert decision["task"]["code"] == f"{code}-01" and decision["light_label"]
    bad = client.post(
        f"{API}/{code}/decisions",
        {
            "text": "",
            "responsible_unit": crew.office.code,
            "deadline": "2026-11-30",
            "category": "ecology",
        },
        "application/json",
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "decision_invalid")
    issued = client.post(f"{API}/{code}/actions/issue")
    assert (issued.status_code, issued.json()["code"]) == (422, "minutes_missing")
    client.post(f"{API}/{code}/minutes", {"minutes": "会议决定……"}, "application/json")
    assert client.post(f"{API}/{code}/actions/issue").json()["state"] == "issued"
    again = client.post(f"{API}/{code}/minutes", {"minutes": "改"}, "application/json")
    assert (again.status_code, again.json()["code"]) == (409, "meeting_issued")


def test_list_pages_by_keyset(client, crew, on_day):
    on_day(MONDAY)
    for i in range(5):
        _weekly(crew, MONDAY - timedelta(days=7 * i))
    client.force_login(crew.supervisor)
    first = client.get(API, {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_before"]
    second = client.get(API, {"limit": 2, "before": first["next_before"]}).json()
    third = client.get(API, {"limit": 2, "before": second["next_before"]}).json()
    held = [m["held_at"] for page in (first, second, third) for m in page["items"]]
    assert len(held) == 5 and held == sorted(held, reverse=True) and not third["next_before"]
    bad = client.get(API, {"before": "yesterday"})
    assert (bad.status_code, bad.json()["code"]) == (422, "cursor_invalid")


def test_pages_schedule_decide_and_show_lights(client, crew, on_day):
    on_day(MONDAY)
    client.force_login(crew.supervisor)
    page = client.get("/meetings/new/")
    assert page.status_code == 200
    r = client.post(
        "/meetings/new/",
        {
            "kind": "weekly",
            "title": "11月23日周例会",
            "unit": crew.street.code,
            "held_at": "2026-11-23T09:00",
            "chair": crew.leader.person.code,
            "attendees": [crew.doer.person.code],
        },
    )
    assert r.status_code == 302, r.content.decode()
    meeting = Meeting.objects.get(title="11月23日周例会")
    r = client.post(
        f"/meetings/{meeting.code}/decisions/",
        {
            "text": "清理占道经营",
            "responsible_unit": crew.office.code,
            "deadline": "2026-11-27",
            "category": "community_governance",
        },
    )
    assert r.status_code == 302
    assert Decision.objects.filter(meeting=meeting).count() == 1
    refused = client.post(
        f"/meetings/{meeting.code}/decisions/",
        {
            "text": "补办",
            "responsible_unit": crew.office.code,
            "deadline": "2026-11-01",
            "category": "community_governance",
        },
        follow=True,
    )
    assert "截止日期早于会议日期" in refused.content.decode()
    assert Decision.objects.filter(meeting=meeting).count() == 1
    on_day(MONDAY + timedelta(days=7))
    nxt = _weekly(crew, MONDAY + timedelta(days=7))
    html = client.get(f"/meetings/{nxt.code}/").content.decode()
    assert "上次会议议定事项" in html
    assert 'data-decisions="carried"' in html and 'data-colour="red"' in html
    listing = client.get("/meetings/").content.decode()
    assert nxt.code in listing and meeting.code in listing and "周例会" in listing


def test_decision_lights_in_a_fixed_number_of_queries(crew, on_day):
    on_day(MONDAY)
    meeting = _weekly(crew)
    _decide(crew, meeting, "一", MONDAY + timedelta(days=3))

    def count() -> int:
        queries.decision_rows(crew.supervisor, meeting)  # the work calendar's cache, warmed
        with CaptureQueriesContext(connection) as ctx:
            queries.decision_rows(crew.supervisor, meeting)
        return len(ctx.captured_queries)

    one = count()
    for i in range(6):
        _decide(crew, meeting, f"事项{i}", MONDAY + timedelta(days=10 + i))
    assert count() == one


def test_minutes_as_word_and_pdf_in_the_official_layout(client, crew, on_day, tmp_path):
    """会议纪要: Word (named styles, the PAGE field, the decisions with owner and deadline, who
    attended) and PDF with the same text; a draft until issued."""
    from io import BytesIO

    from docx import Document
    from pypdf import PdfReader

    on_day(MONDAY)
    meeting = _weekly(crew)
    workflow.sign_in(actor=crew.supervisor, code=meeting.code, person=crew.leader.person.code)
    workflow.sign_in(
        actor=crew.supervisor, code=meeting.code, person=crew.doer.person.code, absence="外出培训"
    )
    workflow.record_minutes(
        actor=crew.supervisor, code=meeting.code, minutes="会议听取了城管办的汇报。\n会议强调……"
    )
    _decide(crew, meeting, "清理济源路占道经营摊点", date(2026, 11, 27))
    client.force_login(crew.supervisor)
    html = client.get(f"/meetings/{meeting.code}/").content.decode()
    assert f"/meetings/{meeting.code}/minutes.docx" in html
    r = client.get(f"/meetings/{meeting.code}/minutes.docx")
    from urllib.parse import quote

    assert r.status_code == 200 and quote("（会议纪要）.docx") in r["Content-Disposition"]
    doc = Document(BytesIO(r.content))
    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.text]
    assert styled[0] == ("发文机关标志", f"{crew.street.name}会议纪要")
    assert styled[1] == ("发文字号", "2026年11月23日（草稿）")
    assert ("公文标题", meeting.title) in styled
    assert ("一级标题", "会议议定事项") in styled
    decision = next(t for s, t in styled if t.startswith("1．"))
    assert decision == (
        f"1．清理济源路占道经营摊点。（责任单位：{crew.office.name}；"
        f"分管领导：{crew.leader.person.name}；完成时限：2026年11月27日）"
    )
    assert f"出席：{crew.leader.person.name}" in [t for _s, t in styled]
    assert f"请假：{crew.doer.person.name}（外出培训）" in [t for _s, t in styled]
    assert styled[-2:] == [("发文机关署名", crew.street.name), ("成文日期", "2026年11月23日")]
    assert " PAGE " in doc.sections[0].footer._element.xml
    workflow.issue(actor=crew.supervisor, code=meeting.code)
    issued = Document(BytesIO(client.get(f"/meetings/{meeting.code}/minutes.docx").content))
    assert issued.paragraphs[1].text == "2026年11月23日"
    pdf = client.get(f"/meetings/{meeting.code}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    flat = text.replace(" ", "").replace("\n", "")
    assert "会议纪要" in flat and "会议议定事项" in flat and "完成时限：2026年11月27日" in flat
    assert "—1—" in flat  # the page number, GB/T 9704's "— 1 —"
    assert client.get(f"/meetings/{meeting.code}/minutes.odt").status_code == 404
    client.force_login(crew.outsider)
    assert client.get(f"/meetings/{meeting.code}/minutes.docx").status_code == 404


def test_the_meeting_forms_offer_the_organising_unit_s_line_not_the_district(
    client, crew, on_day, make_account
):
    """A district account sees every person of the district; the JYL weekly meeting's sign-in
    and decision forms still offer JYL's people (and whoever attends), not ZXL's."""
    on_day(MONDAY)
    meeting = _weekly(crew)
    admin = make_account("district-admin", superuser=True)
    client.force_login(admin)
    html = client.get(f"/meetings/{meeting.code}/").content.decode()
    for person in (crew.supervisor, crew.doer, crew.leader):
        assert f'value="{person.person.code}"' in html
    assert f'value="{crew.outsider.person.code}"' not in html
    # Signing in someone off the line is refused and writes nothing.
    r = client.post(f"/meetings/{meeting.code}/sign-in/", {"person": crew.outsider.person.code})
    assert r.status_code == 400
    assert not meeting.attendees.filter(person=crew.outsider.person).exists()
    page = client.get("/meetings/new/").content.decode()
    assert f'value="{crew.outsider.person.code}"' in page  # a district meeting may invite ZXL
