"""The 公文 layout (GB/T 9704-2012) every document a leader signs is set in.

One engine, used by the urging letter (``supervision.documents``), the bulletins, the notices
and the supervision reports (``bulletins.render``) and the 会议纪要 (``meetings.documents``),
so that the rules live in one place and hold for Word and PDF alike:

- A4, margins 37 mm top, 35 mm bottom, 28 mm left (订口), 26 mm right: a 156 × 225 mm text
  block with 22 lines of 28 characters of 3号 (16 pt) text.
- Fonts by role, named as an office PC has them (方正小标宋简体 title, 仿宋_GB2312 body, 黑体
  first-level headings, 楷体_GB2312 second level); the .docx names them on ``w:eastAsia`` (where
  Word looks for Chinese) and names the installed Noto / AR PL fonts as their alternatives; the
  PDF lists the same families and falls back to the installed free fonts.
- Named paragraph styles (公文正文, 公文标题, 发文字号, …) rather than direct formatting, so an
  office can restyle a document in Word.
- Page numbers "— 1 —" in 4号 宋体, on the right of odd pages and the left of even pages (a real
  PAGE field in Word, ``counter(page)`` in the PDF).
- Tables whose column widths come from their content (a community name never stacks one
  character per line), whose header row repeats on every page and whose rows do not split.
- A title broken between words or phrases, never inside one.
- The signature and date kept on the page of the last body lines, never alone on a page.
- Figures in running text with their unit, rounded by one rule (:func:`score_text`).
- One frame around every kind's body (:class:`Frame`, :func:`compose`): 份号 / 密级, the
  issuing unit's red header and 发文字号, title, 主送 under it, 附件说明, 署名 and 成文日期,
  the 版记 (抄送, 印发) between rules — or the office's uploaded .docx template
  (:func:`template_document`) with the body at its {{正文}}. The kinds fill the frame from the
  issuing unit's letterhead through ``bulletins.queries.frame_of``.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# --- the page -------------------------------------------------------------------------------

PAGE_MM = (210.0, 297.0)
MARGIN_TOP_MM, MARGIN_BOTTOM_MM = 37.0, 35.0
MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 28.0, 26.0
TEXT_WIDTH_MM = PAGE_MM[0] - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
TEXT_HEIGHT_MM = PAGE_MM[1] - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225
LINES_PER_PAGE = 22
# 225 mm / 22 lines: the fixed pitch of a 3号 body line.
LINE_PITCH_PT = math.floor(TEXT_HEIGHT_MM / 25.4 * 72 / LINES_PER_PAGE * 10) / 10

# --- fonts and sizes (号 → pt) ---------------------------------------------------------------

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
FONT_LATIN = "Times New Roman"
# What a machine without the office fonts shows instead: the free fonts the install brings
# (fonts-noto-cjk, fonts-arphic-ukai).
FALLBACK = {
    FONT_TITLE: "Noto Serif CJK SC",
    FONT_BODY: "Noto Serif CJK SC",
    FONT_SONG: "Noto Serif CJK SC",
    FONT_HEI: "Noto Sans CJK SC",
    FONT_KAI: "AR PL UKai CN",
}
# CSS font stacks for WeasyPrint: the office font first, then the installed one.
CSS_FAMILIES = {
    FONT_TITLE: '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "Noto Serif CJK SC", serif',
    FONT_BODY: '"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC", serif',
    FONT_SONG: '"宋体", "SimSun", "Noto Serif CJK SC", serif',
    FONT_HEI: '"黑体", "SimHei", "Noto Sans CJK SC", sans-serif',
    FONT_KAI: '"楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "AR PL UKai CN", serif',
}

SIZE_2 = 22.0  # 2号: the title
SIZE_3 = 16.0  # 3号: body, headings, 发文字号, signature
SIZE_4 = 14.0  # 4号: page numbers, 版记
SIZE_TABLE = 10.5  # 5号: table text
RED = "C00000"
PT_PER_MM = 72 / 25.4
CELL_PADDING_MM = 5.0  # both sides of a cell together (Word: 1.9 mm a side) and a border
TITLE_CHARS_PER_LINE = int(TEXT_WIDTH_MM * PT_PER_MM // SIZE_2)  # 20


# --- figures ---------------------------------------------------------------------------------


def number_text(value: Any, places: int = 2) -> str:
    """A figure as printed: rounded half-up to ``places`` decimals, trailing zeros dropped
    (92.50 → 92.5, 6.0 → 6, 88.125 → 88.13). The one rounding rule of every document."""
    if value is None or value == "":
        return "—"
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def figure_text(value: Any, unit: str, places: int = 2) -> str:
    """A figure with its unit, as running text must carry it: 6分, 12件, 3项."""
    return number_text(value, places) + unit


def score_text(value: Any) -> str:
    """A score (or deduction) in running text: 92.5分."""
    return figure_text(value, "分")


def percent_text(rate: Any) -> str:
    """A rate 0–1 as a percentage with one decimal: 0.9167 → 91.7%."""
    if rate is None:
        return "—"
    return number_text(Decimal(str(rate)) * 100, 1) + "%"


# --- text measurement and breaking ------------------------------------------------------------


def text_width(text: str) -> float:
    """Width in character cells: a Chinese (full-width) character is 1, ASCII 0.6 (digits
    and Latin letters of the CJK fonts run a little wider than half a cell)."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


_OPENERS = set("（(《“‘〔[【")
_CLOSERS = set("）)》”’〕]】，。、；：！？,.;:!?")


def phrases(text: str) -> list[str]:
    """``text`` cut into pieces a line may break between: jieba's words, with a lone
    character kept on its word (催办 + 函 → 催办函, 中心 + 路 → 中心路), numbers kept with their
    measure word (2020年, 6月) and brackets kept with what they enclose."""
    from cityloop.core.text import _tokenizer

    out: list[str] = []
    for tok in _tokenizer().cut(text):
        if not tok:
            continue
        if (
            out
            and (
                out[-1][-1] in _OPENERS
                or tok[0] in _CLOSERS
                # a lone character stays on its word; "的" too: …工作的 / 催办函
                or (len(tok) == 1 and not tok.isspace())
                or (tok.isdigit() and out[-1][-1:].isdigit())
            )
        ):
            out[-1] += tok
        else:
            out.append(tok)
    return out


def break_title(title: str, per_line: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """The title's lines: as few as fit ``per_line`` characters, as even as possible, broken
    only between :func:`phrases`. A phrase longer than a line is the only thing cut."""
    title = (title or "").strip()
    if text_width(title) <= per_line:
        return [title] if title else []
    pieces: list[str] = []
    for p in phrases(title):
        while text_width(p) > per_line:  # only a run-on token longer than a line
            pieces.append(p[:per_line])
            p = p[per_line:]
        pieces.append(p)
    n = math.ceil(text_width(title) / per_line)
    for lines in range(n, len(pieces) + 1):
        best = _balanced(pieces, lines, per_line)
        if best is not None:
            return best
    return pieces


def _balanced(pieces: list[str], lines: int, per_line: int) -> list[str] | None:
    """Split ``pieces`` into exactly ``lines`` lines of at most ``per_line`` each, as even as
    possible (least squares), or None."""
    widths = [text_width(p) for p in pieces]
    target = sum(widths) / lines
    k = len(pieces)
    inf = float("inf")
    # cost[i][j]: best cost of putting pieces[:i] on j lines
    cost = [[inf] * (lines + 1) for _ in range(k + 1)]
    back = [[0] * (lines + 1) for _ in range(k + 1)]
    cost[0][0] = 0.0
    for i in range(1, k + 1):
        for j in range(1, lines + 1):
            w = 0.0
            for s in range(i - 1, -1, -1):
                w += widths[s]
                if w > per_line:
                    break
                c = cost[s][j - 1] + (w - target) ** 2
                if c < cost[i][j]:
                    cost[i][j], back[i][j] = c, s
    if cost[k][lines] == inf:
        return None
    out, i = [], k
    for j in range(lines, 0, -1):
        s = back[i][j]
        out.append("".join(pieces[s:i]))
        i = s
    return out[::-1]


# --- table columns ----------------------------------------------------------------------------

NAME_KEEP = 10  # a cell this wide or narrower (a name, a date) is kept on one line
HEADER_KEEP = 4  # so is a short column header (逾期天数); a longer one wraps between words


def _unbreakable(text: str, *, header: bool) -> float:
    """The widest part of a cell that must stay on one line."""
    text = str(text or "")
    if text_width(text) <= (HEADER_KEEP if header else NAME_KEEP):
        return text_width(text)
    return max((text_width(p) for p in phrases(text)), default=0.0) if text else 0.0


def column_widths(
    columns: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    total_mm: float = TEXT_WIDTH_MM,
    font_pt: float = SIZE_TABLE,
) -> list[float]:
    """Column widths in mm from the content: every column at least two characters and its
    widest unbreakable piece (a community name, a date), the rest of the text width shared
    by how much text each column holds."""
    rows = [list(r) for r in rows]
    if not columns:
        return []
    char_mm = font_pt / PT_PER_MM

    def mm(chars: float) -> float:
        return chars * char_mm + CELL_PADDING_MM

    natural, body_min, head_min = [], [], []
    for i, head in enumerate(columns):
        texts = [str("" if i >= len(r) or r[i] is None else r[i]) for r in rows]
        natural.append(mm(max([text_width(str(head))] + [text_width(t) for t in texts])))
        body = max([2.0] + [_unbreakable(t, header=False) for t in texts])
        body_min.append(mm(body))
        head_min.append(mm(max(body, _unbreakable(str(head), header=True))))

    def spread(low: list[float], high: list[float]) -> list[float]:
        spare = total_mm - sum(low)
        want = sum(h - lo for h, lo in zip(high, low, strict=True)) or 1.0
        share = min(1.0, spare / want)
        out = [lo + (h - lo) * share for h, lo in zip(high, low, strict=True)]
        extra = (total_mm - sum(out)) / len(out)
        return [round(w + extra, 1) for w in out]

    if sum(natural) <= total_mm:
        scale = total_mm / sum(natural)
        return [round(w * scale, 1) for w in natural]
    if sum(head_min) <= total_mm:  # every word whole, in the header too
        return spread(head_min, natural)
    if sum(body_min) <= total_mm:  # the cells whole; a long header wraps between characters
        return spread(body_min, head_min)
    # Too much for one text width: shrink, but never below two characters.
    scale = total_mm / sum(body_min)
    return [round(max(mm(2), w * scale), 1) for w in body_min]


# --- Word -------------------------------------------------------------------------------------

# name: (east-Asian font, size pt, bold, alignment, first-line indent in chars, colour)
STYLES: dict[str, tuple[str, float, bool, str, float, str]] = {
    "发文机关标志": (FONT_TITLE, 30.0, False, "center", 0, RED),
    "刊名": (FONT_TITLE, 42.0, False, "center", 0, RED),  # a bulletin's name: 上街信息
    "刊头": (FONT_BODY, SIZE_3, False, "left", 0, ""),  # its office and date over the rule
    "发文字号": (FONT_BODY, SIZE_3, False, "center", 0, ""),
    "公文标题": (FONT_TITLE, SIZE_2, False, "center", 0, ""),
    "主送机关": (FONT_BODY, SIZE_3, False, "justify", 0, ""),
    "公文正文": (FONT_BODY, SIZE_3, False, "justify", 2, ""),
    "一级标题": (FONT_HEI, SIZE_3, False, "justify", 2, ""),
    "二级标题": (FONT_KAI, SIZE_3, False, "justify", 2, ""),
    "三级标题": (FONT_BODY, SIZE_3, True, "justify", 2, ""),
    "发文机关署名": (FONT_BODY, SIZE_3, False, "right", 0, ""),
    "成文日期": (FONT_BODY, SIZE_3, False, "right", 0, ""),
    "版记": (FONT_BODY, SIZE_4, False, "justify", 0, ""),
    "表头": (FONT_HEI, SIZE_TABLE, False, "center", 0, ""),
    "表格文字": (FONT_BODY, SIZE_TABLE, False, "center", 0, ""),
    "页码": (FONT_SONG, SIZE_4, False, "right", 0, ""),
    "份号": (FONT_HEI, SIZE_3, False, "left", 0, ""),  # 份号 and 密级, top left
}


def _align(name: str):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    return {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[name]


def set_fonts(element_with_rpr: Any, east_asian: str) -> None:
    """Name the Chinese font where Word reads it (``w:eastAsia``) and Times New Roman for
    Latin text and digits; python-docx alone sets only the Latin name."""
    from docx.oxml.ns import qn

    fonts = element_with_rpr.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), FONT_LATIN)
    fonts.set(qn("w:hAnsi"), FONT_LATIN)


def _define_styles(document) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    normal = document.styles["Normal"]
    normal.font.name = FONT_LATIN
    normal.font.size = Pt(SIZE_3)
    set_fonts(normal.element, FONT_BODY)
    for name, (font, size, bold, align, indent, colour) in STYLES.items():
        try:
            style = document.styles[name]
        except KeyError:
            style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        style.font.name = FONT_LATIN
        style.font.size = Pt(size)
        style.font.bold = bold
        if colour:
            style.font.color.rgb = RGBColor.from_string(colour)
        set_fonts(style.element, font)
        fmt = style.paragraph_format
        fmt.alignment = _align(align)
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        fmt.widow_control = True
        if name in ("公文正文", "主送机关", "一级标题", "二级标题", "三级标题", "发文字号"):
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(LINE_PITCH_PT)
        elif name == "公文标题":
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(36)
        if indent:
            fmt.first_line_indent = Pt(size * indent)
        if name in ("发文机关署名", "成文日期"):
            fmt.right_indent = Pt(SIZE_3 * 2)  # 右空二字
        if name in ("一级标题", "二级标题", "三级标题", "公文标题"):
            fmt.keep_with_next = True  # a heading never ends a page


def font_fallbacks(document: Any) -> None:
    """Name each office font's installed alternative in the font table, so a machine without
    仿宋_GB2312 / 黑体 shows Chinese in a similar face rather than a random one."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from lxml import etree

    table = next(
        (r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable")),
        None,
    )
    if table is None:
        return
    root = etree.fromstring(table.blob)
    w = root.nsmap["w"]
    for name, alt in {**FALLBACK, FONT_LATIN: ""}.items():
        if root.find(f"{{{w}}}font[@{{{w}}}name='{name}']") is not None:
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


def _page_field(par) -> None:
    """ "— N —" with N a PAGE field Word fills in (a cached 1 for readers that do not)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run(text: str | None = None):
        r = par.add_run(text or "")
        set_fonts(r._r, FONT_SONG)
        return r

    run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        r = run()
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        r._r.append(el)
    end = run()
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), "end")
    end._r.append(el)
    run(" —")


def page_numbers(document: Any, section: Any = None) -> None:
    """Page numbers in 4号 宋体, "— 1 —": right on odd pages, left on even ones, one
    character in from the edge of the text block (GB/T 9704-2012 7.5)."""
    from docx.shared import Pt

    section = section or document.sections[0]
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        par = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        for r in list(par.runs):
            r._r.getparent().remove(r._r)
        par.style = document.styles["页码"]
        par.alignment = _align(align)
        if align == "right":
            par.paragraph_format.right_indent = Pt(SIZE_4)
        else:
            par.paragraph_format.left_indent = Pt(SIZE_4)
        _page_field(par)


def new_docx(*, template: Any = None) -> Any:
    """A Word document set up to the standard: A4, margins, styles, page numbers, fonts."""
    from docx import Document
    from docx.shared import Mm

    document = Document(str(template)) if template else Document()
    if not template:
        sec = document.sections[0]
        sec.page_width, sec.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        sec.top_margin, sec.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
        sec.left_margin, sec.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
        sec.footer_distance = Mm(MARGIN_BOTTOM_MM - 7)  # the number sits 7 mm under the block
    _define_styles(document)
    # A deployment's template that numbers its pages already keeps its own footer.
    if not template or " PAGE " not in document.sections[0].footer._element.xml:
        page_numbers(document)
    font_fallbacks(document)
    return document


def paragraph(document: Any, style: str, text: str = "", *, container: Any = None) -> Any:
    """A paragraph in a named style (in ``container``, a table cell, if given); its runs name
    the style's Chinese font as well, since Word's theme fonts would otherwise win over the
    style on some installs."""
    p = (container if container is not None else document).add_paragraph(
        style=document.styles[style]
    )
    if text:
        run = p.add_run(text)
        set_fonts(run._r, STYLES[style][0])
    return p


def run(par: Any, text: str, style: str, *, bold: bool = False) -> Any:
    """A run of ``text`` in ``par`` naming its style's Chinese font."""
    r = par.add_run(text)
    set_fonts(r._r, STYLES[style][0])
    if bold:
        r.bold = True
    return r


def title(document: Any, text: str) -> Any:
    """The title in 2号 小标宋, one paragraph, its lines broken by :func:`break_title`."""
    p = document.add_paragraph(style=document.styles["公文标题"])
    for n, line in enumerate(break_title(text)):
        run = p.add_run(line)
        set_fonts(run._r, FONT_TITLE)
        if n:
            run._r.addprevious(_break())
    return p


def _break():
    from docx.oxml import OxmlElement

    r = OxmlElement("w:r")
    r.append(OxmlElement("w:br"))
    return r


def red_rule(document: Any, *, size: int = 18, style: str = "刊头") -> Any:
    """The red separator line: a bottom border on a thin paragraph."""
    from docx.shared import Pt

    p = document.add_paragraph(style=document.styles[style])
    p.paragraph_format.line_spacing = Pt(6)
    p.paragraph_format.space_after = Pt(12)
    rule(p, colour=RED, size=size)
    return p


def rule(p: Any, *, colour: str = "000000", size: int = 6, edge: str = "bottom") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    el = OxmlElement(f"w:{edge}")
    for key, value in (("val", "single"), ("sz", str(size)), ("space", "1"), ("color", colour)):
        el.set(qn(f"w:{key}"), value)
    borders.append(el)


def table(
    document: Any,
    columns: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    total_mm: float = TEXT_WIDTH_MM,
    left: Sequence[int] = (),
    keep_last_row_with_next: bool = False,
) -> Any:
    """A table to the standard: widths from :func:`column_widths` (fixed layout, so Word
    keeps them), the header row repeated on every page (``w:tblHeader``), no row split
    across pages (``w:cantSplit``). ``left``: columns of running text, set flush left.
    ``keep_last_row_with_next``: the closing line that follows takes the last row along."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    rows = [["" if v is None else str(v) for v in r] for r in rows]
    columns = [str(c) for c in columns]
    widths = column_widths(columns, rows, total_mm=total_mm)
    t = document.add_table(rows=1, cols=len(columns))
    t.style = document.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tblpr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    for col, width in zip(t._tbl.tblGrid.gridCol_lst, widths, strict=True):
        col.w = Mm(width)

    def fill(row, values, style):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        for i, (cell, text, width) in enumerate(zip(row.cells, values, widths, strict=False)):
            cell.width = Mm(width)
            p = cell.paragraphs[0]
            p.style = document.styles[style]
            if i in left and style == "表格文字":
                p.alignment = _align("left")
            if text:
                run = p.add_run(text)
                set_fonts(run._r, STYLES[style][0])

    header = t.rows[0]
    fill(header, columns, "表头")
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for values in rows:
        fill(t.add_row(), values, "表格文字")
    if keep_last_row_with_next and len(t.rows) > 1:
        # Word keeps a row with the next paragraph through its paragraphs' keep-with-next.
        for cell in t.rows[-1].cells:
            keep_with_next(*cell.paragraphs)
    return t


def keep_with_next(*paragraphs: Any) -> None:
    """Keep each paragraph on the page of the next one (and its lines together): the last
    body lines, the signature and the date travel as one block."""
    for p in paragraphs:
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.keep_together = True


def signature(document: Any, issuer: str, day: str, *, after: Any = None) -> list:
    """发文机关署名 over 成文日期, kept on the page of ``after`` (the last body paragraph)."""
    from docx.shared import Pt

    spacer = paragraph(document, "公文正文")
    spacer.paragraph_format.first_line_indent = Pt(0)
    sig = paragraph(document, "发文机关署名", issuer)
    date = paragraph(document, "成文日期", day)
    keep_with_next(*([after] if after is not None else []), spacer, sig)
    return [sig, date]


def docx_bytes(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF (WeasyPrint) -------------------------------------------------------------------------


def css(*, masthead_pt: float = 30.0) -> str:
    """The print CSS of the same layout, for the HTML a PDF is made from."""
    from django.template.loader import render_to_string

    return render_to_string(
        "core/_gongwen_css.html",
        {
            "m": {
                "top": MARGIN_TOP_MM,
                "right": MARGIN_RIGHT_MM,
                "bottom": MARGIN_BOTTOM_MM,
                "left": MARGIN_LEFT_MM,
            },
            "f": {
                "title": CSS_FAMILIES[FONT_TITLE],
                "body": CSS_FAMILIES[FONT_BODY],
                "song": CSS_FAMILIES[FONT_SONG],
                "hei": CSS_FAMILIES[FONT_HEI],
                "kai": CSS_FAMILIES[FONT_KAI],
            },
            "s": {
                "body": SIZE_3,
                "title": SIZE_2,
                "page": SIZE_4,
                "table": SIZE_TABLE,
                "pitch": LINE_PITCH_PT,
                "masthead": masthead_pt,
            },
            "red": RED,
        },
    )


def html_table(columns: Sequence[Any], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """A table for the templates: the header, the rows and the same content widths as Word
    (``widths`` in mm, for a ``<colgroup>``)."""
    rows = [["" if v is None else str(v) for v in r] for r in rows]
    columns = [str(c) for c in columns]
    return {"columns": columns, "rows": rows, "widths": column_widths(columns, rows)}


def title_lines(text: str) -> list[str]:
    return break_title(text)


# --- the frame: what every kind prints around its body ---------------------------------------


@dataclass(frozen=True)
class Frame:
    """The elements of a 公文 around its body (GB/T 9704-2012 版头, 主送, 附件说明, 版记), the
    same for every kind; a kind fills them from its issuing unit's letterhead
    (``bulletins.queries.frame_of``) and its own record. An empty element is not printed.

    - ``copy_number`` 份号 (6 digits) and ``secrecy`` 密级和保密期限: top left, optional.
    - ``masthead`` 发文机关标志 in red; ``reference`` 发文字号 (or a minutes' date line).
    - ``title``; ``send_to`` 主送机关, printed under the title and ended with "：".
    - ``attachments`` 附件说明: "附件：1. …" under the body, left two characters.
    - ``copy_to`` 抄送 and ``printer`` / ``printed`` 印发机关 and 印发日期, in the 版记 between
      rules at the end.
    """

    masthead: str = ""
    reference: str = ""
    title: str = ""
    send_to: str = ""
    copy_to: str = ""
    signature: str = ""
    date: str = ""
    copy_number: str = ""
    secrecy: str = ""
    attachments: tuple[str, ...] = ()
    printer: str = ""
    printed: str = ""

    def values(self) -> dict[str, str]:
        """The placeholders an office's own .docx template may use ({{标题}} …)."""
        return {
            "份号": self.copy_number,
            "密级": self.secrecy,
            "发文机关标志": self.masthead,
            "发文字号": self.reference,
            "标题": self.title,
            "主送机关": self.send_to,
            "抄送": self.copy_to,
            "署名": self.signature,
            "成文日期": self.date,
            "印发机关": self.printer,
            "印发日期": self.printed,
            "附件": "、".join(self.attachments),
        }

    def imprint_lines(self) -> list[str]:
        """The 版记's lines: 抄送, then 印发机关 with 印发日期."""
        lines = []
        if self.copy_to:
            lines.append(f"抄送：{self.copy_to.rstrip('。')}。")
        if self.printer or self.printed:
            lines.append(f"{self.printer}\t{self.printed}印发" if self.printed else self.printer)
        return lines

    def attachment_lines(self) -> list[str]:
        """附件：1. …, then 2. … aligned under the first name (GB/T 9704-2012 7.3.4)."""
        names = [a.strip() for a in self.attachments if a and a.strip()]
        if len(names) == 1:
            return [f"附件：{names[0]}"]
        return [
            ("附件：" if i == 1 else "\u3000\u3000\u3000") + f"{i}. {name}"
            for i, name in enumerate(names, start=1)
        ]


SECRECY_LEVELS = ("绝密", "机密", "秘密")
ATTACHMENTS_MAX, ATTACHMENT_NAME_MAX = 10, 60


def marks_from(copy_number: str = "", secrecy: str = "", attachments: Any = "") -> dict[str, Any]:
    """份号, 密级和保密期限 and the 附件 names as a person gives them (a page's issue form, the
    CLI), checked: 份号 is one to six digits (printed as six, 000042); 密级 is 绝密, 机密 or 秘密,
    with an optional 保密期限 after ★ (秘密★1年, 机密★6个月, 机密★长期), or 内部; 附件 one name
    a line (or a list), at most ten of at most 60 characters. Returns the frame elements
    given (copy_number, secrecy, attachments); bad input raises InvalidInput and nothing is
    issued."""
    import re

    from django.utils.translation import gettext as _

    from cityloop.core.errors import InvalidInput

    out: dict[str, Any] = {}
    number = (copy_number or "").strip()
    if number:
        if not re.fullmatch(r"[0-9]{1,6}", number):
            raise InvalidInput(
                "document_copy_number_invalid",
                _("The copy number (份号) is one to six digits, such as 000042."),
            )
        out["copy_number"] = number.zfill(6)
    level = (secrecy or "").strip().replace("☆", "★")
    if level:
        term = r"★(?:[1-9][0-9]?年|[1-9][0-9]?个月|长期)"
        if not (level == "内部" or re.fullmatch(rf"(?:绝密|机密|秘密)(?:{term})?", level)):
            raise InvalidInput(
                "document_secrecy_invalid",
                _(
                    "The classification (密级) is 绝密, 机密 or 秘密, optionally with its term "
                    "after ★ (秘密★1年), or 内部."
                ),
            )
        out["secrecy"] = level
    names = attachments.splitlines() if isinstance(attachments, str) else list(attachments or ())
    names = [str(n).strip() for n in names if str(n).strip()]
    if len(names) > ATTACHMENTS_MAX or any(len(n) > ATTACHMENT_NAME_MAX for n in names):
        raise InvalidInput(
            "document_attachments_invalid",
            _(
                "List at most %(n)s attachments (附件), one name a line, each at most "
                "%(chars)s characters."
            )
            % {"n": ATTACHMENTS_MAX, "chars": ATTACHMENT_NAME_MAX},
        )
    if names:
        out["attachments"] = tuple(names)
    return out


def marks_given(params: Any) -> tuple[str, str, str]:
    """份号, 密级 and 附件 as a form (or query string) sends them, for :func:`marks_from`."""
    return (
        params.get("copy_number", ""),
        params.get("secrecy", ""),
        params.get("attachments", ""),
    )


def marks(document: Any, frame: Frame) -> None:
    """份号 and 密级 top left, in 3号 黑体, when given."""
    if frame.copy_number:
        paragraph(document, "份号", frame.copy_number)
    if frame.secrecy:
        paragraph(document, "份号", frame.secrecy)


def head(document: Any, frame: Frame, *, masthead_style: str = "发文机关标志") -> None:
    """份号 / 密级, the red 发文机关标志, the 发文字号, the red rule, the title and the
    主送机关 under it."""
    marks(document, frame)
    if frame.masthead:
        paragraph(document, masthead_style, frame.masthead)
    if frame.reference:
        paragraph(document, "发文字号", frame.reference)
    red_rule(document)
    if frame.title:
        title(document, frame.title)
    addressee(document, frame)


def addressee(document: Any, frame: Frame) -> Any:
    if not frame.send_to:
        return None
    return paragraph(document, "主送机关", f"{frame.send_to.rstrip('：:')}：")


def attachments(document: Any, frame: Frame, *, after: Any = None) -> Any:
    """附件说明 under the body (one blank line, left two characters); the last paragraph, so
    the signature keeps to it. ``after`` (the body's last paragraph) and every line of the
    list are kept with what follows: the closing line, the 附件 and the signature share a
    page."""
    from docx.shared import Pt

    last = None
    for n, line in enumerate(frame.attachment_lines()):
        if n == 0:
            gap = paragraph(document, "公文正文")
            keep_with_next(*([after] if after is not None else []), gap)
        last = paragraph(document, "公文正文", line)
        last.paragraph_format.first_line_indent = Pt(0)
        last.paragraph_format.left_indent = Pt(SIZE_3 * 2)
        keep_with_next(last)
    return last


def imprint(document: Any, lines: Sequence[str]) -> None:
    """The 版记 at the end: its lines in 4号 仿宋 between rules, one character in from each
    side; a tab in a line pushes what follows it to the right (印发日期)."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt

    lines = [line for line in lines if line]
    if not lines:
        return
    paragraph(document, "公文正文")
    for n, line in enumerate(lines):
        p = paragraph(document, "版记", line)
        p.paragraph_format.left_indent = Pt(SIZE_4)
        p.paragraph_format.right_indent = Pt(SIZE_4)
        if "\t" in line:
            p.paragraph_format.tab_stops.add_tab_stop(
                Mm(TEXT_WIDTH_MM) - Pt(SIZE_4 * 2), WD_TAB_ALIGNMENT.RIGHT
            )
        if n == 0:
            rule(p, edge="top", size=8)
        rule(p, edge="bottom", size=8 if n == len(lines) - 1 else 4)
        keep_with_next(*([p] if n < len(lines) - 1 else []))


def html_frame(frame: Frame) -> dict[str, Any]:
    """The frame for the PDF templates (``core/_gongwen_head.html`` …)."""
    return {
        "f": frame,
        "title_lines": break_title(frame.title) if frame.title else [],
        "attachments": frame.attachment_lines(),
        "imprint": [line.split("\t") for line in frame.imprint_lines()],
    }


# --- a body of paragraphs and tables, in both formats ----------------------------------------


@dataclass(frozen=True)
class Block:
    """One piece of a plain body: a paragraph in a named style (公文正文, 一级标题 …) or a
    table (``columns`` and ``rows``). A kind whose body is only these (a deliberation
    document, a template preview) renders it with :func:`blocks_docx` and
    :func:`blocks_html`; the last block is its closing line."""

    style: str = "公文正文"
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    @property
    def is_table(self) -> bool:
        return bool(self.columns)

    @property
    def css(self) -> str:
        return {"一级标题": "gw-h1", "二级标题": "gw-h2", "三级标题": "gw-h3"}.get(
            self.style, "gw-body"
        )

    def html_table(self) -> dict[str, Any]:
        return html_table(self.columns, self.rows)


def blocks_docx(document: Any, blocks: Sequence[Block]) -> Any:
    """The blocks into the document (tables to the rules of :func:`table`, first column flush
    left); returns the last paragraph, which the signature keeps to."""
    last = None
    for block in blocks:
        if block.is_table:
            table(document, block.columns, block.rows, left=(0,))
            continue
        last = paragraph(document, block.style, block.text)
        if block.style in ("一级标题", "二级标题", "三级标题"):
            keep_with_next(last)
    return last


def blocks_html(frame: Frame, blocks: Sequence[Block]) -> str:
    """The HTML a PDF of ``frame`` around ``blocks`` is made from (``core/gongwen_blocks.html``):
    the same head, body, closing kept with the signature, and 版记 as the .docx."""
    from django.template.loader import render_to_string

    return render_to_string(
        "core/gongwen_blocks.html",
        {
            "f": frame,
            "body": list(blocks[:-1]),
            "closing": blocks[-1] if blocks else None,
            "css": css(),
            "g": html_frame(frame),
        },
    )


def blocks_pdf(
    frame: Frame, blocks: Sequence[Block], *, title: str = "", author: str = ""
) -> bytes:
    from weasyprint import HTML

    document = HTML(string=blocks_html(frame, blocks)).render()
    document.metadata.title = title or f"{frame.reference} {frame.title}".strip()
    if author:
        document.metadata.authors = [author]
    return document.write_pdf()


# --- an office's own Word template ------------------------------------------------------------

BODY_MARK = "{{正文}}"
TEMPLATE_MAX_BYTES = 2 * 1024 * 1024


def _docxtpl():
    try:
        from docxtpl import DocxTemplate
    except ImportError:  # optional: plain {{name}} placeholders are filled without it
        return None
    return DocxTemplate


def template_document(
    blob: bytes, frame: Frame, extra: dict[str, str] | None = None
) -> tuple[Any, Any]:
    """An office's uploaded .docx with the frame's values in its placeholders ({{标题}},
    {{发文字号}} …, see :meth:`Frame.values`): through docxtpl when installed (it joins the
    runs Word splits a placeholder into and understands its Jinja tags), else by python-docx
    run by run. Returns the document (set up with the engine's styles) and the paragraph
    that held {{正文}}, where the body goes (None: appended at the end)."""
    from docx import Document

    values = {**frame.values(), **(extra or {})}
    tpl = _docxtpl()
    if tpl is not None:
        t = tpl(io.BytesIO(blob))
        t.render({**values, "正文": BODY_MARK}, autoescape=True)
        out = io.BytesIO()
        t.save(out)
        document = Document(io.BytesIO(out.getvalue()))
    else:
        document = Document(io.BytesIO(blob))
    marker = fill_placeholders(document, values)
    _define_styles(document)
    if " PAGE " not in document.sections[0].footer._element.xml:
        page_numbers(document)
    font_fallbacks(document)
    return document, marker


def template_names(blob: bytes) -> set[str]:
    """The placeholder names a template uses ({{抄送}} → 抄送)."""
    import re

    from docx import Document

    text = "\n".join(p.text for p in _all_paragraphs(Document(io.BytesIO(blob))))
    return set(re.findall(r"\{\{\s*([^{}\s|]+)\s*\}\}", text))


def compose(
    frame: Frame,
    body: Any,
    *,
    closing: Any = None,
    template: bytes = b"",
    head_fn: Any = None,
    imprint_lines: Sequence[str] | None = None,
    values: dict[str, str] | None = None,
) -> Any:
    """A whole document of any kind, in one order: the head (``head_fn(document, frame)``,
    default :func:`head`; an office's template instead when ``template`` is given), the
    kind's ``body(document)`` returning its last paragraph, the 附件说明, the closing
    (``closing(document, last)``, default the frame's 署名 and 成文日期 kept with the last
    lines), the 版记 (``imprint_lines``, default the frame's 抄送 and 印发 lines; left to the
    template when it has its own {{抄送}}). Returns the python-docx document."""
    lines = frame.imprint_lines() if imprint_lines is None else list(imprint_lines)
    marker = None
    if template:
        names = template_names(template)
        document, marker = template_document(template, frame, values)
        if "抄送" in names:
            lines = []
    else:
        document = new_docx()
        (head_fn or head)(document, frame)
    before = list(document.element.body)
    last = body(document)
    last = attachments(document, frame, after=last) or last
    if closing is not None:
        closing(document, last)
    elif frame.signature or frame.date:
        signature(document, frame.signature, frame.date, after=last)
    imprint(document, lines)
    move_to_marker(document, before, marker)
    return document


def _all_paragraphs(document: Any) -> Iterable[Any]:
    yield from document.paragraphs
    for t in document.tables:
        for row in t.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for section in document.sections:
        for part in (section.header, section.footer):
            yield from part.paragraphs


def fill_placeholders(document: Any, values: dict[str, str]) -> Any:
    """Put ``values`` into the ``{{name}}`` placeholders of every paragraph (body, tables,
    headers, footers); the text of a paragraph's runs is joined into its first run so a
    placeholder Word split over runs is still found. Returns the {{正文}} paragraph."""
    marker = None
    for par in _all_paragraphs(document):
        text = par.text
        if BODY_MARK in text:
            marker = marker or par
            continue
        if "{{" not in text:
            continue
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
        for r in par.runs[1:]:
            r.text = ""
        if par.runs:
            par.runs[0].text = text
    return marker


def move_to_marker(document: Any, before: list, marker: Any) -> None:
    """Move what was appended since ``before`` (the body's elements then) to where the
    template's {{正文}} stood, and drop the marker."""
    if marker is None:
        return
    body = document.element.body
    added = [
        el for el in body if not any(el is b for b in before) and el.tag.endswith(("}p", "}tbl"))
    ]
    for el in added:
        marker._p.addprevious(el)
    marker._p.getparent().remove(marker._p)


def check_template(blob: bytes) -> list[str]:
    """Why an uploaded template cannot be used (empty: it can): not a .docx, too big, or
    without the {{正文}} placeholder the body goes into."""
    import zipfile

    from django.utils.translation import gettext as _
    from docx import Document

    if len(blob) > TEMPLATE_MAX_BYTES:
        return [_("The template is larger than %(n)s MB.") % {"n": TEMPLATE_MAX_BYTES >> 20}]
    if not blob.startswith(b"PK"):
        return [_("The template is not a Word document (.docx); save it as .docx in Word.")]
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            if "word/document.xml" not in z.namelist():
                return [_("The template is not a Word document (.docx); save it as .docx in Word.")]
        document = Document(io.BytesIO(blob))
    except Exception:
        return [_("The template file is damaged and cannot be opened; save it again in Word.")]
    if not any(BODY_MARK in p.text for p in _all_paragraphs(document)):
        return [
            _("The template has no %(mark)s placeholder (the body goes where it stands).")
            % {"mark": BODY_MARK}
        ]
    tpl = _docxtpl()
    if tpl is not None:
        try:
            t = tpl(io.BytesIO(blob))
            t.render({**Frame().values(), "正文": BODY_MARK})
        except Exception as exc:
            message = _("A placeholder in the template is written wrongly: %(error)s")
            return [message % {"error": exc}]
    return []


# --- letterheads ---------------------------------------------------------------------------------
# An issuing unit's red header, 主送, 抄送, 署名 and uploaded template are kept by bulletins (its
# letterhead page); it registers its reader in ``AppConfig.ready`` so the apps that issue
# documents (letters, minutes) take their frame from here and import nothing of bulletins.
_LETTERHEADS: dict[str, Any] = {}


def register_letterheads(*, frame: Any, template: Any, abbreviation: Any = None) -> None:
    """``frame(unit, signature=…, **given) -> Frame``; ``template(unit) -> bytes``;
    ``abbreviation(unit) -> str`` (the 发文字号's issuer part)."""
    _LETTERHEADS.update(frame=frame, template=template)
    if abbreviation is not None:
        _LETTERHEADS["abbreviation"] = abbreviation


def frame_of(unit: Any, *, signature: str = "", **given: Any) -> Frame:
    """The frame of a document ``unit`` issues: its letterhead's elements unless the kind gives
    its own; without a registered letterhead reader, what the kind gives."""
    reader = _LETTERHEADS.get("frame")
    if reader is not None:
        return reader(unit, signature=signature, **given)
    return frame_over({"signature": signature}, **given)


def frame_over(defaults: dict[str, Any], **given: Any) -> Frame:
    """A frame of ``defaults`` (a letterhead's header, 主送, 抄送, 署名) with what the kind
    ``given`` over them; an empty given value (None, "") keeps the default, and the 附件
    names become a tuple. The one merge every kind's frame goes through."""
    values = {**defaults, **{k: v for k, v in given.items() if v not in (None, "")}}
    values["attachments"] = tuple(values.get("attachments") or ())
    return Frame(**values)


def letterhead_abbreviation(unit: Any) -> str:
    """The abbreviation of the unit's 发文字号 (济源督, 上街办): its letterhead's, else its short
    name, else its name."""
    reader = _LETTERHEADS.get("abbreviation")
    if reader is not None:
        return reader(unit)
    return (getattr(unit, "short_name", "") or getattr(unit, "name", "")).strip()


def letterhead_template(unit: Any) -> bytes:
    """The unit's uploaded Word template, or b"" (the built-in layout)."""
    reader = _LETTERHEADS.get("template")
    return reader(unit) if reader is not None else b""


# --- issued files ------------------------------------------------------------------------------
# The 发文登记 keeps the sha256 of each issued document's file (bulletins registers the keeper in
# its ``AppConfig.ready``); the apps that issue documents (letters, minutes, bulletins, notices)
# call :func:`issued` and do not import the register.
_ISSUED: list = []


def register_issued(keeper) -> None:
    """``keeper(kind, object_id, fmt, body)`` is told of every issued document's file."""
    if keeper not in _ISSUED:
        _ISSUED.append(keeper)


def issued(kind: str, object_id: int, fmt: str, body: bytes) -> None:
    """An issued document's file went out (a download of a letter, minutes, a notice …)."""
    for keeper in _ISSUED:
        keeper(kind, object_id, fmt, body)
