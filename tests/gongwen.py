"""Reading a rendered document back the way a 办公室 checks 公文格式 (GB/T 9704-2012): the
.docx through python-docx and its XML, the PDF page by page through pypdf (text and where
it sits). Shared by the urging letter, bulletin and notice tests."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from docx.oxml.ns import qn

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MM_PER_PT = 25.4 / 72
A4_WIDTH_PT = 595.28


def docx(data: bytes):
    from docx import Document

    return Document(io.BytesIO(data))


def east_asian(style) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def assert_page_setup(d) -> None:
    """A4, 天头 37 mm, 35 mm bottom, 订口 28 mm, 26 mm right."""
    s = d.sections[0]
    got = [round(x.mm, 1) for x in (s.page_width, s.page_height)]
    assert got == [210.0, 297.0]
    got = [round(x.mm, 1) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)]
    assert got == [37.0, 35.0, 28.0, 26.0]


def assert_page_number_fields(d) -> None:
    """A PAGE field between em dashes ("— 1 —") in 宋体: right on odd pages, left on even."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    assert d.settings.odd_and_even_pages_header_footer is True
    s = d.sections[0]
    for footer, align in (
        (s.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        par = footer.paragraphs[0]
        xml = par._p.xml
        assert "<w:instrText" in xml and " PAGE " in xml
        assert [e.get(qn("w:fldCharType")) for e in par._p.iter(f"{W}fldChar")] == [
            "begin",
            "separate",
            "end",
        ]
        assert par.text.startswith("— ") and par.text.endswith(" —"), par.text
        align_of = (
            par.alignment if par.alignment is not None else par.style.paragraph_format.alignment
        )
        assert align_of == align
        assert east_asian(par.style) == "宋体" and par.style.font.size.pt == 14


def assert_styles(d) -> None:
    """The elements are named styles with the office fonts on w:eastAsia and their 号."""
    expected = {
        "公文正文": ("仿宋_GB2312", 16),
        "公文标题": ("方正小标宋简体", 22),
        "发文字号": ("仿宋_GB2312", 16),
        "一级标题": ("黑体", 16),
        "二级标题": ("楷体_GB2312", 16),
        "发文机关署名": ("仿宋_GB2312", 16),
        "成文日期": ("仿宋_GB2312", 16),
    }
    for name, (font, size) in expected.items():
        style = d.styles[name]
        assert (east_asian(style), style.font.size.pt) == (font, size), name
    body = d.styles["公文正文"].paragraph_format
    assert body.first_line_indent.pt == 32  # 首行缩进二字


def table_font_pt(table) -> float:
    """The size the table's text is set in (its first body cell's paragraph style)."""
    cell = table.rows[-1].cells[0].paragraphs[0]
    size = cell.runs[0].font.size if cell.runs and cell.runs[0].font.size else None
    if size is None:
        style = cell.style
        while size is None and style is not None:
            size = style.font.size
            style = style.base_style
    return size.pt if size is not None else 10.5


def column_mm(table) -> list[float]:
    cols = table._tbl.tblGrid.findall(f"{W}gridCol")
    return [int(c.get(qn("w:w"))) / 20 * MM_PER_PT for c in cols]


def width_chars(text: str) -> float:
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


def assert_table_rules(table, *, names: list[str] = ()) -> None:
    """Header row repeats (w:tblHeader), no row splits (w:cantSplit), every column at least
    two characters wide and wide enough for the longest name in it on one line."""
    rows = table.rows
    assert rows[0]._tr.trPr is not None and rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    for row in rows:
        assert row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    char_mm = table_font_pt(table) * MM_PER_PT
    padding_mm = 2 * 1.9  # Word's default cell margins
    widths = column_mm(table)
    assert len(widths) == len(rows[0].cells)
    for w in widths:
        assert w >= 2 * char_mm + padding_mm, widths
    for row in rows[1:]:
        for cell, w in zip(row.cells, widths, strict=True):
            if cell.text in names:
                assert w >= width_chars(cell.text) * char_mm + padding_mm, (cell.text, w)


def title_lines(d) -> list[str]:
    par = next(p for p in d.paragraphs if p.style.name == "公文标题")
    return par.text.split("\n")


def keeps_with_next(par) -> bool:
    fmt = par.paragraph_format
    return bool(fmt.keep_with_next) and bool(fmt.keep_together)


# --- PDF --------------------------------------------------------------------------------------


@dataclass
class Chunk:
    text: str
    x: float
    y: float


def pdf_pages(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages


def page_text(page) -> str:
    return page.extract_text()


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def chunks(page) -> list[Chunk]:
    """Each text show on the page with where it starts (points from the bottom left)."""
    out: list[Chunk] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            out.append(Chunk(text, x, y))

    page.extract_text(visitor_text=visit)
    return out


def assert_pdf_page_numbers(data: bytes) -> None:
    """Every page carries "— N —", N its number, in the bottom margin: on the right half of
    odd pages, the left half of even pages."""
    pages = pdf_pages(data)
    for n, page in enumerate(pages, start=1):
        text = page_text(page)
        assert text.rstrip().endswith(f"— {n} —"), (n, text[-40:])
        number = [c for c in chunks(page) if c.text.strip() == str(n) or f"— {n}" in c.text]
        bottom = [c for c in number if c.y < 35 / MM_PER_PT]
        assert bottom, (n, [(c.text, c.x, c.y) for c in chunks(page)][-5:])
        x = bottom[-1].x
        if n % 2:
            assert x > A4_WIDTH_PT / 2, (n, x)
        else:
            assert x < A4_WIDTH_PT / 2, (n, x)


def page_of(data: bytes, needle: str) -> int:
    """The page (1-based) whose text holds ``needle`` (white space ignored)."""
    for n, page in enumerate(pdf_pages(data), start=1):
        if compact(needle) in compact(page_text(page)):
            return n
    raise AssertionError(f"{needle!r} is on no page")


def lines_of(data: bytes) -> list[str]:
    return [ln for page in pdf_pages(data) for ln in page_text(page).split("\n")]


def assert_names_on_one_line(data: bytes, names: list[str]) -> None:
    """A name in a table row is printed whole on the row's line, followed by the row's
    figures (三湾街社区 3 3 …), never stacked a character or two per line (三湾 / 街社 / 区).
    The same name in running text is followed by words, so it does not count."""
    lines = lines_of(data)
    for name in names:
        row = re.compile(re.escape(name) + r" +[\d—≥>]")
        assert any(row.search(ln) for ln in lines), (name, [ln for ln in lines if name[:2] in ln])


SAMPLES = Path(__file__).resolve().parent.parent / "test-output" / "documents"


def save_sample(name: str, *, pdf: bytes, docx: bytes) -> None:
    """Keep what a test rendered, with a PNG of its first and last page (pdftoppm), in
    test-output/documents/ (not in git) for a person to look at."""
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / f"{name}.pdf").write_bytes(pdf)
    (SAMPLES / f"{name}.docx").write_bytes(docx)
    if shutil.which("pdftoppm") is None:
        return
    last = len(pdf_pages(pdf))
    for page, tag in ((1, "first"), (last, "last")):
        pages = ["-f", str(page), "-l", str(page)]
        files = [str(SAMPLES / f"{name}.pdf"), str(SAMPLES / f"{name}-{tag}")]
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", *pages, *files], check=True)


# --- the "Done when" list, for any kind ------------------------------------------------


def assert_run_fonts(d) -> None:
    """Every run of text (body and table cells) names its Chinese font on w:eastAsia, so an
    office PC does not fall back to its theme font."""
    pars = list(d.paragraphs) + [p for t in d.tables for c in t._cells for p in c.paragraphs]
    runs = [r for p in pars for r in p.runs if r.text.strip()]
    assert runs
    for r in runs:
        fonts = r._r.rPr.find(qn("w:rFonts")) if r._r.rPr is not None else None
        assert fonts is not None and fonts.get(qn("w:eastAsia")), r.text


def assert_pdf_fonts_embedded(data: bytes) -> None:
    """Every font a page uses is embedded (a FontFile in its descriptor), so the PDF shows the
    same glyphs on any machine."""
    seen = 0
    for page in pdf_pages(data):
        fonts = page["/Resources"].get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object()
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
            seen += 1
    assert seen


def assert_header_repeats(data: bytes, header: str, rows: list[str]) -> None:
    """On every page holding a row of the table (a line starting with one of ``rows``), the
    header line ``header`` is printed too."""
    for n, page in enumerate(pdf_pages(data), start=1):
        lines = page_text(page).split("\n")
        if any(ln.startswith(r) for ln in lines for r in rows):
            assert header in lines, (n, lines[:12])


def assert_done_when(
    docx_data: bytes,
    pdf_data: bytes,
    *,
    reference: str,
    title: str,
    closing: str,
    signature: str,
    names: list[str] = (),
    closing_pdf: str = "",
) -> None:
    """Issue 15's "Done when", read back from both files of one kind: the 发文字号 line and the
    title (broken into lines of at most 20 characters, between words), page numbers (a PAGE
    field in Word; "— N —" on every PDF page), the signature on the page of the last body
    paragraph (``closing``: its text, or the last cell's of a table that ends the body, then
    ``closing_pdf`` the row's text to find it in the PDF),
    tables to the rules (header repeated, rows whole, no column narrower than its longest
    name), fonts named in every .docx run and embedded in the PDF."""
    d = docx(docx_data)
    assert_page_setup(d)
    assert_styles(d)
    assert_page_number_fields(d)
    refs = [p.text for p in d.paragraphs if p.style.name == "发文字号"]
    assert refs[:1] == [reference]
    lines = title_lines(d)
    assert "".join(lines) == title and all(width_chars(x) <= 20 for x in lines), lines
    for t in d.tables:
        if len(t.rows) > 1 and len(t.columns) > 1:
            assert_table_rules(t, names=list(names))
    assert_run_fonts(d)
    cells = [p for t in d.tables for c in t._cells for p in c.paragraphs]
    last = [p for p in d.paragraphs + cells if p.text == closing]
    assert last and keeps_with_next(last[-1]), closing
    first = compact(page_text(pdf_pages(pdf_data)[0]))
    assert compact(reference) in first and compact(title) in first
    assert_pdf_page_numbers(pdf_data)
    assert page_of(pdf_data, closing_pdf or closing) == page_of(pdf_data, signature)
    if names:
        assert_names_on_one_line(pdf_data, list(names))
    assert_pdf_fonts_embedded(pdf_data)
