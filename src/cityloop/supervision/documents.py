"""An urging letter (催办函) as a document: Word (.docx, python-docx) and PDF (WeasyPrint).

Both follow the layout of Chinese official documents (党政机关公文格式, GB/T 9704, adapted to a
letter): the issuer in red across the top, the number (济源督〔2026〕12号) under it, a red
rule, the title, the addressee, the body with the answer date, the overdue items as a table,
the issuer and date on the right with a seal area, and an optional 抄送 line.

The wording is Chinese document text, like a bulletin's, not UI strings: a letter is sent as
it was written and is not re-translated for whoever downloads it. The items are the snapshot
stored on the letter (``letter.items``), so the document says what the letter said.

Layout, fonts, page numbers, tables and the kept-together closing come from the shared 公文
engine, :mod:`cityloop.core.documents`: 仿宋_GB2312 body, 方正小标宋简体 title, 黑体 headings as an
office PC has them; where they are missing (a Linux server) the .docx names Noto CJK as the
alternative and the PDF is set in the installed Noto CJK fonts. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from cityloop.core import clock
from cityloop.core import documents as gw
from cityloop.supervision.models import UrgingLetter

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"

RED = gw.RED  # the red of the issuer mark and the rule
# East-Asian fonts by role, as the standard names them (the shared engine's).
FONT_BODY = gw.FONT_BODY
FONT_HEADING = gw.FONT_HEI
FONT_TITLE = gw.FONT_TITLE
FONT_LATIN = gw.FONT_LATIN
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))

ITEM_KINDS = {"task": "任务", "rectification": "整改"}


# --- content shared by both renderers --------------------------------------------------------


def chinese_date(day: date) -> str:
    """2026年11月23日 — GB/T 9704-2012 writes the date in Arabic numerals, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def _iso_date(value: Any) -> str:
    """An item's time limit, stored as an ISO date string, written the Chinese way."""
    try:
        return chinese_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value or "")


def _item_label(item: dict[str, Any]) -> str:
    """【任务】 or 【整改】: a letter mixes tasks and rectifications in one table."""
    kind = ITEM_KINDS.get(str(item.get("kind", "")))
    return f"【{kind}】" if kind else ""


@dataclass(frozen=True)
class LetterRow:
    number: int
    title: str
    due: str
    days: str
    reason: str


@dataclass(frozen=True)
class LetterContent:
    """What both renderers print, in print order; ``frame`` holds the 公文 elements around
    the body (the issuer's letterhead: red header, 主送 = the addressee, 抄送, 署名)."""

    frame: gw.Frame
    body: tuple[str, ...]
    rows: tuple[LetterRow, ...]

    # The names the templates and callers have always read.
    issuer = property(lambda self: self.frame.masthead)
    reference = property(lambda self: self.frame.reference)
    subject = property(lambda self: self.frame.title)
    addressee = property(lambda self: self.frame.send_to)
    signature = property(lambda self: self.frame.signature)
    date = property(lambda self: self.frame.date)
    cc = property(lambda self: self.frame.copy_to)


def letter_content(letter: UrgingLetter, *, cc: str = "", **extras: Any) -> LetterContent:
    """The letter's text: from the letter row and its stored items only; the frame from the
    issuing unit's letterhead (``core.documents.frame_of``). ``extras``: optional frame
    elements (copy_number, secrecy, attachments)."""
    from cityloop.core.documents import frame_of

    series = letter.series
    sent = letter.sent_at.astimezone(clock.local_zone()).date()
    frame = frame_of(
        series.issuer,
        signature=(series.signature or "").strip(),
        reference=letter.reference,
        title=letter.subject,
        send_to=letter.addressee.name,
        copy_to=cc,
        date=chinese_date(sent),
        **extras,
    )
    rows = tuple(
        LetterRow(
            number=i,
            title=_item_label(item) + str(item.get("title", "")),
            due=_iso_date(item.get("due")),
            days=str(item.get("days", "")),
            reason=str(item.get("reason", "")),
        )
        for i, item in enumerate(letter.items or [], start=1)
    )
    body = (
        f"经督查，你单位承担的以下{len(rows)}项工作已超过规定时限或严重滞后于计划进度，"
        "尚未按要求完成（详见下表）。",
        "请你单位高度重视，认真查找原因，明确责任人和完成时限，采取有力措施加快推进，"
        f"并于{chinese_date(letter.answer_due)}前将办理情况书面报送{frame.signature}。"
        "逾期未报送的，相关事项按红色预警管理。",
        "特此函告。",
    )
    return LetterContent(frame=frame, body=body, rows=rows)


def letter_filename(letter: UrgingLetter, ext: str) -> str:
    """济源督〔2026〕12号.docx — the number is what the office files it by."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", letter.reference).strip("_") or f"letter-{letter.pk}"
    return f"{stem}.{ext.lstrip('.')}"


# --- Word -------------------------------------------------------------------------------------


def letter_docx(letter: UrgingLetter, *, cc: str = "", **extras: Any) -> bytes:
    """The letter as a Word document, laid out by the shared 公文 engine
    (:func:`cityloop.core.documents.compose`): the issuer's letterhead or uploaded template,
    the title broken between words, 主送, the items table, the seal and date kept with the
    closing line, 抄送 in the 版记."""
    from cityloop.core.documents import letterhead_template

    content = letter_content(letter, cc=cc, **extras)

    def body(doc):
        from docx.shared import Pt

        for text in content.body[:-1]:
            gw.paragraph(doc, "公文正文", text)
        gw.table(
            doc,
            HEADERS,
            (_row_values(r) for r in content.rows),
            left=(1, 4),
            keep_last_row_with_next=True,
        )
        closing = gw.paragraph(doc, "公文正文", content.body[-1])
        closing.paragraph_format.space_before = Pt(12)
        return closing

    doc = gw.compose(
        content.frame,
        body,
        closing=lambda doc, last: _seal(doc, content, last),
        template=letterhead_template(letter.series.issuer),
    )
    doc.core_properties.title = f"{content.reference} {content.subject}"
    doc.core_properties.author = content.signature
    return gw.docx_bytes(doc)


def _seal(doc, content: LetterContent, last) -> None:
    """The seal goes over the issuer and date: a bordered box on the right holds both, and
    the closing line keeps it company on its page."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm, RGBColor

    spacer = gw.paragraph(doc, "公文正文")
    gw.keep_with_next(last, spacer)
    seal = doc.add_table(rows=1, cols=1)
    seal.alignment = WD_TABLE_ALIGNMENT.RIGHT
    seal.rows[0]._tr.get_or_add_trPr().append(_element("w:cantSplit"))
    cell = seal.rows[0].cells[0]
    cell.width = Mm(65)
    _cell_borders(cell, style="dashed", size=6, colour="999999")
    mark = cell.paragraphs[0]
    mark.style = doc.styles["表格文字"]
    run = mark.add_run("（盖章）")
    gw.set_fonts(run._r, gw.FONT_BODY)
    run.font.color.rgb = RGBColor.from_string("999999")
    sig = gw.paragraph(doc, "发文字号", content.signature, container=cell)
    day = gw.paragraph(doc, "发文字号", content.date, container=cell)
    gw.keep_with_next(mark, sig)
    day.paragraph_format.keep_together = True


HEADERS = ("序号", "事项", "时限", "逾期天数", "情况")


def _row_values(row: LetterRow) -> tuple[str, ...]:
    return (str(row.number), row.title, row.due, row.days, row.reason)


def _element(tag: str):
    from docx.oxml import OxmlElement

    return OxmlElement(tag)


def _cell_borders(cell, *, style: str = "single", size: int = 6, colour: str = "000000") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        for key, value in (("val", style), ("sz", str(size)), ("space", "0"), ("color", colour)):
            el.set(qn(f"w:{key}"), value)
        borders.append(el)
    tcpr.append(borders)


# --- PDF --------------------------------------------------------------------------------------


@functools.cache
def cjk_font_available() -> bool:
    """Is a Noto CJK font installed where fontconfig (and so WeasyPrint) finds it?"""
    for folder in FONT_DIRS:
        root = Path(folder)
        if root.is_dir() and any(root.rglob("Noto*CJK*")):
            return True
    return False


def letter_html(letter: UrgingLetter, *, cc: str = "", **extras: Any) -> str:
    c = letter_content(letter, cc=cc, **extras)
    return render_to_string(
        "supervision/letter_pdf.html",
        {
            "c": c,
            "css": gw.css(),
            "g": gw.html_frame(c.frame),
            "table": gw.html_table(HEADERS, (_row_values(r) for r in c.rows)),
        },
    )


def letter_pdf(letter: UrgingLetter, *, cc: str = "", **extras: Any) -> bytes:
    """The letter as PDF, set in the installed Noto CJK fonts (never downloaded)."""
    from weasyprint import HTML

    if not cjk_font_available():
        # Without a CJK font the Chinese comes out as empty boxes; say so instead of failing.
        log.warning(
            "No Noto CJK font found under %s: urging letter %s will render without Chinese "
            "glyphs. Install fonts-noto-cjk.",
            ", ".join(FONT_DIRS),
            letter.reference,
        )
    document = HTML(string=letter_html(letter, cc=cc, **extras)).render()
    document.metadata.title = f"{letter.reference} {letter.subject}"
    document.metadata.authors = [letter.series.signature or letter.series.issuer.name]
    document.metadata.created = letter.sent_at.isoformat(timespec="seconds")
    return document.write_pdf()
