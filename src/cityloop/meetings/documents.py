"""会议纪要: a meeting's minutes as Word (the master) and PDF, in the shared 公文 layout
(:mod:`cityloop.core.documents`, GB/T 9704-2012 — its 纪要格式: the 纪要标志 in red, the date
line, a red rule, the title, the body, the decisions with owner and deadline, then who attended
and who sent apologies, and the organising unit and date kept with the last lines).

One content object feeds both formats, so Word and PDF say the same thing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

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
    # The 公文 elements around the body: the organising unit's letterhead (主送, 抄送, 署名).
    frame: gw.Frame = field(default_factory=gw.Frame)


def minutes_content(meeting: Meeting, **extras: Any) -> MinutesContent:
    """What the minutes say, read from the meeting, its sign-in sheet and its decisions; the
    frame from the organising unit's letterhead. ``extras``: optional frame elements
    (copy_number, secrecy, attachments)."""
    from cityloop.core.documents import frame_of

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
    draft = meeting.state != Meeting.State.ISSUED
    masthead = f"{meeting.unit.short_name or meeting.unit.name}会议纪要"
    frame = frame_of(
        meeting.unit,
        masthead=masthead,
        reference=chinese_date(held) + ("（草稿）" if draft else ""),
        title=meeting.title,
        date=chinese_date(held),
        **extras,
    )
    return MinutesContent(
        masthead=masthead,
        date_line=chinese_date(held),
        title=meeting.title,
        body=[p.strip() for p in meeting.minutes.splitlines() if p.strip()],
        decisions=decisions,
        attended="、".join(present),
        absent="、".join(away),
        issuer=frame.signature,
        date=chinese_date(held),
        draft=draft,
        frame=frame,
    )


def minutes_filename(meeting: Meeting, ext: str) -> str:
    return f"{meeting.title}（会议纪要）.{ext}"


def minutes_docx(meeting: Meeting, **extras: Any) -> bytes:
    """The minutes through the shared engine (:func:`cityloop.core.documents.compose`): the
    unit's template or the 纪要 head, 主送, the body and decisions, 署名, 抄送 in the 版记."""
    from cityloop.core.documents import letterhead_template

    c = minutes_content(meeting, **extras)

    def body(doc):
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
        return last

    doc = gw.compose(c.frame, body, template=letterhead_template(meeting.unit))
    doc.core_properties.title = f"{c.title} 会议纪要"
    doc.core_properties.author = c.issuer
    return gw.docx_bytes(doc)


def minutes_html(meeting: Meeting, **extras: Any) -> str:
    c = minutes_content(meeting, **extras)
    return render_to_string(
        "meetings/minutes_pdf.html", {"c": c, "css": gw.css(), "g": gw.html_frame(c.frame)}
    )


def minutes_pdf(meeting: Meeting, **extras: Any) -> bytes:
    from weasyprint import HTML

    if not cjk_font_available():
        log.warning("No CJK font: the minutes of %s render without Chinese glyphs.", meeting.code)
    document = HTML(string=minutes_html(meeting, **extras)).render()
    document.metadata.title = f"{meeting.title} 会议纪要"
    document.metadata.authors = [meeting.unit.name]
    return document.write_pdf()
