"""会议纪要: a meeting's minutes as Word (the master) and PDF, in the shared 公文 layout
(:mod:`cityloop.core.documents`, GB/T 9704-2012 — its 纪要格式: the 纪要标志 in red, the date
line, a red rule, the title, the body, the decisions with owner and deadline, then who attended
and who sent apologies, and the organising unit and date kept with the last lines).

One content object feeds both formats, so Word and PDF say the same thing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.template.loader import render_to_string

from cityloop.core import clock
from cityloop.core import documents as gw
from cityloop.meetings.models import Meeting
from cityloop.supervision.documents import DOCX_TYPE, PDF_TYPE, chinese_date, cjk_font_available

log = logging.getLogger(__name__)

__all__ = ["DOCX_TYPE", "PDF_TYPE", "minutes_content", "minutes_docx", "minutes_pdf"]


@dataclass
class MinutesContent:
    masthead: str  # 纪要标志: "<unit>会议纪要"
    date_line: str
    title: str
    body: list[str]
    decisions: list[str]
    attended: str
    absent: str
    issuer: str
    date: str
    draft: bool  # not issued yet: the PDF and Word say 草稿


def minutes_content(meeting: Meeting) -> MinutesContent:
    """What the minutes say, read from the meeting, its sign-in sheet and its decisions."""
    held = meeting.held_at.astimezone(clock.local_zone()).date()
    decisions = []
    for d in meeting.decisions.select_related("task__responsible_unit", "task__leader").order_by(
        "number"
    ):
        t = d.task
        owner = f"责任单位：{t.responsible_unit.name}"
        if t.leader_id:
            owner += f"；分管领导：{t.leader.name}"
        text = d.text.strip().rstrip("。；;.")
        decisions.append(f"{d.number}．{text}。（{owner}；完成时限：{chinese_date(t.deadline)}）")
    present, away = [], []
    for a in meeting.attendees.select_related("person", "person__unit").order_by("pk"):
        name = a.person.name
        if a.signed_at:
            present.append(name)
        elif a.absence:
            away.append(f"{name}（{a.absence}）")
    return MinutesContent(
        masthead=f"{meeting.unit.short_name or meeting.unit.name}会议纪要",
        date_line=chinese_date(held),
        title=meeting.title,
        body=[p.strip() for p in meeting.minutes.splitlines() if p.strip()],
        decisions=decisions,
        attended="、".join(present),
        absent="、".join(away),
        issuer=meeting.unit.name,
        date=chinese_date(held),
        draft=meeting.state != Meeting.State.ISSUED,
    )


def minutes_filename(meeting: Meeting, ext: str) -> str:
    return f"{meeting.title}（会议纪要）.{ext}"


def minutes_docx(meeting: Meeting) -> bytes:
    c = minutes_content(meeting)
    doc = gw.new_docx()
    doc.core_properties.title = f"{c.title} 会议纪要"
    doc.core_properties.author = c.issuer
    gw.paragraph(doc, "发文机关标志", c.masthead)
    gw.paragraph(doc, "发文字号", c.date_line + ("（草稿）" if c.draft else ""))
    gw.red_rule(doc)
    gw.title(doc, c.title)
    last = None
    for text in c.body:
        last = gw.paragraph(doc, "公文正文", text)
    if c.decisions:
        gw.keep_with_next(gw.paragraph(doc, "一级标题", "会议议定事项"))
        for text in c.decisions:
            last = gw.paragraph(doc, "公文正文", text)
    if c.attended:
        last = gw.paragraph(doc, "公文正文")
        gw.run(last, "出席：", "一级标题")
        gw.run(last, c.attended, "公文正文")
    if c.absent:
        last = gw.paragraph(doc, "公文正文")
        gw.run(last, "请假：", "一级标题")
        gw.run(last, c.absent, "公文正文")
    gw.signature(doc, c.issuer, c.date, after=last)
    return gw.docx_bytes(doc)


def minutes_html(meeting: Meeting) -> str:
    c = minutes_content(meeting)
    return render_to_string(
        "meetings/minutes_pdf.html",
        {"c": c, "css": gw.css(), "title_lines": gw.break_title(c.title)},
    )


def minutes_pdf(meeting: Meeting) -> bytes:
    from weasyprint import HTML

    if not cjk_font_available():
        log.warning("No CJK font: the minutes of %s render without Chinese glyphs.", meeting.code)
    document = HTML(string=minutes_html(meeting)).render()
    document.metadata.title = f"{meeting.title} 会议纪要"
    document.metadata.authors = [meeting.unit.name]
    return document.write_pdf()
