"""The issuing unit's letterhead in the urging letter, the 会议纪要 and the supervision weekly
report (the same 公文 frame as 上街信息 and the notice, tests/bulletins/test_letterhead_kinds.py):
主送 under the title, 抄送 in the 版记, the header and 署名 — and 份号 / 密级 / 附件说明 — read
back from the produced .docx and PDF (issue 15.3)."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.bulletins import notices, render
from tests import gongwen
from tests.bulletins.test_letterhead_kinds import (
    SEND_TO,
    _assert_docx_frame,
    _assert_pdf_frame,
    _letterhead,
    _styled,
)

from .test_documents import documents_inspection, letter  # noqa: F401

pytestmark = pytest.mark.django_db


def test_urging_letter_prints_the_issuers_header_addressee_and_copies(crew, letter):  # noqa: F811
    from cityloop.supervision import documents

    _letterhead(crew.street, header="济源路街道办事处文件", signature="济源路街道督查办")
    data = documents.letter_docx(letter)
    d = gongwen.docx(data)
    assert _styled(d)[0] == ("发文机关标志", "济源路街道办事处文件")
    # The letter's own addressee is its 主送, not the unit's default list.
    _assert_docx_frame(data, send_to=crew.office.name)
    sig = [c.text for t in d.tables for c in t._cells]
    assert any("济源路街道督查办" in s for s in sig)
    assert "书面报送济源路街道督查办" in "".join(p.text for p in d.paragraphs)
    pdf = documents.letter_pdf(letter)
    _assert_pdf_frame(
        pdf, title=letter.subject, send_to=crew.office.name, signature="济源路街道督查办"
    )
    assert "济源路街道办事处文件" in gongwen.compact(gongwen.page_text(gongwen.pdf_pages(pdf)[0]))


def test_copy_number_secrecy_and_attachments_in_the_letter(crew, letter):  # noqa: F811
    from cityloop.supervision import documents

    extras = {"copy_number": "000042", "secrecy": "内部", "attachments": ("逾期事项明细表",)}
    d = gongwen.docx(documents.letter_docx(letter, **extras))
    assert _styled(d)[:2] == [("份号", "000042"), ("份号", "内部")]
    texts = [p.text for p in d.paragraphs]
    assert texts.index("附件：逾期事项明细表") == texts.index("特此函告。") + 2  # one line down
    pages = gongwen.pdf_pages(documents.letter_pdf(letter, **extras))
    texts = [gongwen.compact(gongwen.page_text(p)) for p in pages]
    assert texts[0].startswith("000042内部")
    # 附件说明 under the closing line, on its page, with the signature.
    page = next(t for t in texts if "附件：逾期事项明细表" in t)
    assert (
        page.index("特此函告。")
        < page.index("附件：逾期事项明细表")
        < page.rindex("2026年11月23日")
    )


def test_minutes_print_the_units_addressees_and_copies(crew, on_day):
    from cityloop.meetings import documents, workflow
    from tests.meetings.test_meetings import MONDAY, _weekly

    on_day(MONDAY)
    meeting = _weekly(crew)
    workflow.record_minutes(actor=crew.supervisor, code=meeting.code, minutes="会议听取了汇报。")
    _letterhead(crew.street, signature="济源路街道党工委")
    data = documents.minutes_docx(meeting)
    _assert_docx_frame(data, send_to=SEND_TO)
    assert ("发文机关署名", "济源路街道党工委") in _styled(gongwen.docx(data))
    _assert_pdf_frame(
        documents.minutes_pdf(meeting),
        title=meeting.title,
        send_to=SEND_TO,
        signature="济源路街道党工委",
    )


def test_supervision_report_goes_out_under_the_letter_issuers_letterhead(crew, letter):  # noqa: F811
    _letterhead(crew.street, header="济源路街道督查办公室", signature="济源路街道督查办")
    doc = notices.notice("weekly_supervision", "2026-11-29", day=date(2026, 11, 30))
    data = render.to_docx(doc)
    assert _styled(gongwen.docx(data))[0] == ("发文机关标志", "济源路街道督查办公室")
    _assert_docx_frame(data, send_to=SEND_TO)
    _assert_pdf_frame(
        render.to_pdf(doc), title=doc.heading, send_to=SEND_TO, signature="济源路街道督查办"
    )


def test_the_letter_and_minutes_pages_take_copy_number_secrecy_and_attachments(
    crew,
    letter,  # noqa: F811
    on_day,
    client,
):
    """The download forms of the letter and the minutes pass 份号 / 密级 / 附件 to the engine;
    bad input is a Chinese error on the page and no file (so no fingerprint)."""
    from django.urls import reverse

    from cityloop.bulletins.models import DocumentHash
    from cityloop.meetings import workflow
    from tests.meetings.test_meetings import MONDAY, _weekly

    client.force_login(crew.supervisor)
    url = reverse("supervision:letter_file", args=[letter.pk, "docx"])
    marks = {"copy_number": "000042", "secrecy": "机密★6个月", "attachments": "逾期事项明细表"}
    texts = [p.text for p in gongwen.docx(client.get(url, marks).content).paragraphs if p.text]
    assert texts[:2] == ["000042", "机密★6个月"] and "附件：逾期事项明细表" in texts
    page = client.get(reverse("supervision:letter", args=[letter.pk])).content.decode()
    assert 'name="copy_number"' in page and 'name="secrecy"' in page
    DocumentHash.objects.all().delete()
    bad = client.get(url, {"secrecy": "普通"}, follow=True)
    assert "密级应为绝密、机密或秘密" in bad.content.decode()
    assert not DocumentHash.objects.exists()

    on_day(MONDAY)
    meeting = _weekly(crew)
    workflow.record_minutes(actor=crew.supervisor, code=meeting.code, minutes="会议听取了汇报。")
    url = reverse("meetings:minutes_file", args=[meeting.code, "pdf"])
    pdf = client.get(url, {"copy_number": "3", "attachments": "签到表"}).content
    first = gongwen.compact(gongwen.page_text(gongwen.pdf_pages(pdf)[0]))
    assert first.startswith("000003") and "附件：签到表" in gongwen.compact(
        "".join(gongwen.page_text(p) for p in gongwen.pdf_pages(pdf))
    )
    bad = client.get(url, {"copy_number": "1234567"}, follow=True)
    assert "份号为一至六位数字" in bad.content.decode()
    assert bad.redirect_chain[-1][0] == reverse("meetings:detail", args=[meeting.code])


def test_minutes_meet_the_done_when_list(crew, on_day):
    from cityloop.meetings import documents, workflow
    from tests.meetings.test_meetings import MONDAY, _weekly

    on_day(MONDAY)
    meeting = _weekly(crew)
    workflow.record_minutes(
        actor=crew.supervisor, code=meeting.code, minutes="会议听取了汇报。\n会议研究了下步工作。"
    )
    meeting.refresh_from_db()
    c = documents.minutes_content(meeting)
    data, pdf = documents.minutes_docx(meeting), documents.minutes_pdf(meeting)
    gongwen.save_sample("minutes", pdf=pdf, docx=data)
    last = [p.text for p in gongwen.docx(data).paragraphs if p.style.name == "公文正文" and p.text]
    gongwen.assert_done_when(
        data,
        pdf,
        reference=c.frame.reference,
        title=c.title,
        closing=last[-1],
        signature=c.issuer + c.date,
    )


@pytest.mark.parametrize(
    ("kind", "period", "day"),
    [
        ("weekly_supervision", "2026-11-29", date(2026, 11, 30)),
        ("monthly_scheduling", "2026-11-30", date(2026, 12, 2)),
        ("quarterly_notice", "2026-09-30", date(2026, 10, 8)),
    ],
)
def test_supervision_reports_meet_the_done_when_list(crew, letter, kind, period, day):  # noqa: F811
    doc = notices.notice(kind, period, day=day)
    data, pdf = render.to_docx(doc), render.to_pdf(doc)
    gongwen.save_sample(kind.replace("_", "-"), pdf=pdf, docx=data)
    board = doc.items[-1].table  # the report ends with the board: its last row's last cell
    gongwen.assert_done_when(
        data,
        pdf,
        reference=doc.reference,
        title=doc.heading,
        closing=str(board["rows"][-1][-1]),
        closing_pdf="".join(str(v) for v in board["rows"][-1]),
        signature=doc.signature + doc.signed_date_label,
    )


def test_a_supervision_report_is_numbered_in_the_register(crew, letter):  # noqa: F811
    from cityloop.bulletins import workflow
    from cityloop.core.errors import Forbidden

    before = notices.notice("weekly_supervision", "2026-11-29", day=date(2026, 11, 30))
    assert before.reference == f"{crew.street.name}〔2026〕\u3000\u3000号"
    with pytest.raises(Forbidden):
        workflow.number_notice(actor=crew.doer, kind="weekly_supervision", period="2026-11-29")
    row = workflow.number_notice(
        actor=crew.supervisor, kind="weekly_supervision", period="2026-11-29"
    )
    again = workflow.number_notice(
        actor=crew.supervisor, kind="weekly_supervision", period="2026-11-29"
    )
    assert again.pk == row.pk and row.reference.endswith("〔2026〕1号")
    doc = notices.notice("weekly_supervision", "2026-11-29")
    refs = [
        p.text for p in gongwen.docx(render.to_docx(doc)).paragraphs if p.style.name == "发文字号"
    ]
    assert refs == [row.reference]
