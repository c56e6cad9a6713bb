"""An urging letter (催办函) as a document: Word (.docx, python-docx) and PDF (WeasyPrint).

Both follow the layout of Chinese official documents (党政机关公文格式, GB/T 9704, adapted to a
letter): the issuer in red across the top, the number (济源督〔2026〕12号) under it, a red
rule, the title, the addressee, the body with the answer date, the overdue items as a table,
the issuer and date on the right with a seal area, and an optional 抄送 line.

The wording is Chinese document text, like a bulletin's, not UI strings: a letter is sent as
it was written and is not re-translated for whoever downloads it. The items are the snapshot
stored on the letter (``letter.items``), so the document says what the letter said.

Fonts: 仿宋 for the body and 黑体 / 小标宋 for headings, as an office PC has them; where they
are missing (a Linux server) the .docx names Noto CJK as the alternative and the PDF is set in
the installed Noto CJK fonts. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from cityloop.core import clock
from cityloop.supervision.models import UrgingLetter

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"

RED = "C00000"  # the red of the issuer mark and the rule
# East-Asian fonts by role, as the standard names them, and the installed fallback for each.
FONT_BODY = "仿宋"
FONT_HEADING = "黑体"
FONT_TITLE = "方正小标宋简体"
FONT_LATIN = "Times New Roman"
FALLBACK = {
    FONT_BODY: "Noto Serif CJK SC",
    FONT_TITLE: "Noto Serif CJK SC",
    FONT_HEADING: "Noto Sans CJK SC",
}
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")
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
    """What both renderers print, in print order."""

    issuer: str
    reference: str
    subject: str
    addressee: str
    body: tuple[str, ...]
    rows: tuple[LetterRow, ...]
    signature: str
    date: str
    cc: str


def letter_content(letter: UrgingLetter, *, cc: str = "") -> LetterContent:
    """The letter's text: from the letter row and its stored items only."""
    series = letter.series
    issuer = (series.signature or series.issuer.name).strip()
    addressee = letter.addressee.name
    sent = letter.sent_at.astimezone(clock.local_zone()).date()
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
        f"并于{chinese_date(letter.answer_due)}前将办理情况书面报送{issuer}。"
        "逾期未报送的，相关事项按红色预警管理。",
        "特此函告。",
    )
    return LetterContent(
        issuer=issuer,
        reference=letter.reference,
        subject=letter.subject,
        addressee=addressee,
        body=body,
        rows=rows,
        signature=issuer,
        date=chinese_date(sent),
        cc=cc,
    )


def letter_filename(letter: UrgingLetter, ext: str) -> str:
    """济源督〔2026〕12号.docx — the number is what the office files it by."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", letter.reference).strip("_") or f"letter-{letter.pk}"
    return f"{stem}.{ext.lstrip('.')}"


# --- Word -------------------------------------------------------------------------------------


def _set_fonts(run, east_asian: str, *, size: float, bold: bool = False, colour: str = ""):
    """python-docx sets only the Latin font; the Chinese one lives in ``w:eastAsia``."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = FONT_LATIN
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), FONT_LATIN)
    fonts.set(qn("w:hAnsi"), FONT_LATIN)
    return run


def _paragraph(
    doc_or_cell,
    text: str,
    *,
    font: str = FONT_BODY,
    size: float = 16,
    bold: bool = False,
    colour: str = "",
    align: str = "left",
    indent_chars: float = 0,
    space_before: float = 0,
    space_after: float = 0,
    line: float | None = 28,
):
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    p = doc_or_cell.add_paragraph()
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    fmt = p.paragraph_format
    fmt.space_before = Pt(space_before)
    fmt.space_after = Pt(space_after)
    if line is not None:
        # 公文 body: a fixed line pitch (28–29 pt for 3号 text, 22 lines a page).
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    if indent_chars:
        fmt.first_line_indent = Pt(size * indent_chars)
    if text:
        _set_fonts(p.add_run(text), font, size=size, bold=bold, colour=colour)
    return p


def _red_rule(doc) -> None:
    """The red separator line under the number: a bottom border on an empty paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = _paragraph(doc, "", size=6, line=6, space_after=12)
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "1"), ("color", RED)):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


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


def _font_fallbacks(doc) -> None:
    """Name the installed Noto CJK family as each font's alternative in the font table, so a
    machine without 仿宋 / 黑体 shows Chinese in a similar face rather than a random one."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = next(
        (r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")),
        None,
    )
    if table is None:
        return
    from lxml import etree

    root = etree.fromstring(table.blob)
    for name, alt in {**FALLBACK, FONT_LATIN: ""}.items():
        if root.find(f"{{{root.nsmap['w']}}}font[@{{{root.nsmap['w']}}}name='{name}']") is not None:
            continue
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        if alt:
            el = OxmlElement("w:altName")
            el.set(qn("w:val"), alt)
            font.append(el)
        charset = OxmlElement("w:charset")
        charset.set(qn("w:val"), "86" if alt else "00")  # 86: GB2312
        font.append(charset)
        root.append(font)
    table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def letter_docx(letter: UrgingLetter, *, cc: str = "") -> bytes:
    """The letter as a Word document (A4, official margins, red issuer mark and rule)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    content = letter_content(letter, cc=cc)
    doc = Document()
    section = doc.sections[0]
    # GB/T 9704: A4, 天头 37 mm, 订口 28 mm; text block 156 × 225 mm.
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = FONT_LATIN
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT_BODY
    )
    doc.core_properties.title = f"{content.reference} {content.subject}"
    doc.core_properties.author = content.issuer
    _font_fallbacks(doc)

    _paragraph(
        doc, content.issuer, font=FONT_TITLE, size=30, bold=True, colour=RED, align="center",
        line=None, space_after=6,
    )  # fmt: skip
    _paragraph(doc, content.reference, align="center", line=None, space_before=12)
    _red_rule(doc)
    _paragraph(
        doc, content.subject, font=FONT_TITLE, size=22, bold=True, align="center", line=36,
        space_after=12,
    )  # fmt: skip
    _paragraph(doc, f"{content.addressee}：")
    for text in content.body[:-1]:
        _paragraph(doc, text, align="justify", indent_chars=2)

    headers = ("序号", "事项", "时限", "逾期天数", "情况")
    widths = (Cm(1.4), Cm(5.2), Cm(2.8), Cm(1.8), Cm(4.4))
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = width
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_fonts(cell.paragraphs[0].add_run(text), FONT_HEADING, size=12)
    for row in content.rows:
        cells = table.add_row().cells
        values = (str(row.number), row.title, row.due, row.days, row.reason)
        for i, (cell, text, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = width
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER if i in (0, 2, 3) else WD_ALIGN_PARAGRAPH.LEFT
            _set_fonts(p.add_run(text), FONT_BODY, size=12)

    _paragraph(doc, content.body[-1], indent_chars=2, space_before=12)
    _paragraph(doc, "", line=None, space_after=12)

    # The seal goes over the issuer and date: a bordered box on the right holds both.
    seal = doc.add_table(rows=1, cols=1)
    seal.alignment = WD_TABLE_ALIGNMENT.RIGHT
    cell = seal.rows[0].cells[0]
    cell.width = Cm(6.5)
    _cell_borders(cell, style="dashed", size=6, colour="999999")
    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(cell.paragraphs[0].add_run("（盖章）"), FONT_BODY, size=12, colour="999999")
    _paragraph(cell, content.signature, align="center", line=None, space_before=18)
    _paragraph(cell, content.date, align="center", line=None, space_after=6)

    if content.cc:
        _paragraph(doc, "", line=None, space_after=18)
        _paragraph(doc, f"抄送：{content.cc}。", size=14, indent_chars=1)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------


@functools.cache
def cjk_font_available() -> bool:
    """Is a Noto CJK font installed where fontconfig (and so WeasyPrint) finds it?"""
    for folder in FONT_DIRS:
        root = Path(folder)
        if root.is_dir() and any(root.rglob("Noto*CJK*")):
            return True
    return False


def letter_html(letter: UrgingLetter, *, cc: str = "") -> str:
    return render_to_string(
        "supervision/letter_pdf.html",
        {"c": letter_content(letter, cc=cc), "families": CJK_FAMILIES, "red": f"#{RED}"},
    )


def letter_pdf(letter: UrgingLetter, *, cc: str = "") -> bytes:
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
    document = HTML(string=letter_html(letter, cc=cc)).render()
    document.metadata.title = f"{letter.reference} {letter.subject}"
    document.metadata.authors = [letter.series.signature or letter.series.issuer.name]
    document.metadata.created = letter.sent_at.isoformat(timespec="seconds")
    return document.write_pdf()
