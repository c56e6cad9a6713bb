"""One document model, three outputs: HTML (the page and the PDF's source), .docx
(python-docx; a deployment's own template when the series names one) and PDF (WeasyPrint).
Charts are drawn with matplotlib (Agg) in the CJK font and put into all three.

Fonts: Chinese text is set in "Noto Serif CJK SC" (body) and "Noto Sans CJK SC" (tables,
charts), the fonts-noto-cjk package; in Word the east-Asian font is set through
``w:eastAsia``, otherwise Word falls back to a Latin font for Chinese characters.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cityloop.bulletins.document import DocItem, Document

log = logging.getLogger(__name__)

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
CJK_FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
RED = "C00000"
FORMATS = {
    "html": ("text/html; charset=utf-8", ".html"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "pdf": ("application/pdf", ".pdf"),
}


# --- charts ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font():
    """The CJK font for charts, by path; without it Chinese labels come out as boxes, so
    say so loudly (install fonts-noto-cjk) and go on."""
    from matplotlib import font_manager

    if not CJK_FONT_FILE.exists():
        warnings.warn(
            f"{CJK_FONT_FILE} is missing: Chinese text in charts will not show; "
            "install fonts-noto-cjk (make system-deps)",
            RuntimeWarning,
            stacklevel=2,
        )
        log.warning("CJK font %s missing; charts will show boxes for Chinese", CJK_FONT_FILE)
        return None
    font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    return font_manager.FontProperties(fname=str(CJK_FONT_FILE))


def chart_png(chart: dict[str, Any], *, dpi: int = 150) -> bytes:
    """A bar chart (vertical ``bar`` or horizontal ``barh``) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; must precede pyplot
    import matplotlib.pyplot as plt

    labels = [str(x) for x in chart.get("labels", [])]
    values = [float(v or 0) for v in chart.get("values", [])]
    prop = _font()
    horizontal = chart.get("kind") == "barh"
    height = max(2.4, 0.32 * len(labels) + 0.8) if horizontal else 2.8
    fig, ax = plt.subplots(figsize=(6.0, height))
    colours = chart.get("colours") or ["#c00000" if horizontal else "#1a73e8"] * len(values)
    if horizontal:
        ax.barh(labels[::-1], values[::-1], color=colours[::-1])
        ticks = ax.get_yticklabels()
        for y, v in enumerate(values[::-1]):
            ax.text(v, y, f" {v:g}", va="center", fontsize=8)
    else:
        ax.bar(labels, values, color=colours)
        ticks = ax.get_xticklabels()
        for x, v in enumerate(values):
            ax.text(x, v, f"{v:g}{chart.get('unit', '')}", ha="center", va="bottom", fontsize=8)
        if len(labels) > 5:
            plt.setp(ticks, rotation=30, ha="right")
    for t in ticks:
        if prop is not None:
            t.set_fontproperties(prop)
        t.set_fontsize(8)
    if chart.get("title"):
        ax.set_title(chart["title"], fontproperties=prop, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    plt.close(fig)
    return out.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


# --- HTML and PDF ----------------------------------------------------------------------------


def _context(doc: Document, *, charts: bool = True) -> dict[str, Any]:
    items = []
    for it in doc.items:
        chart = _data_uri(chart_png(it.chart)) if charts and it.chart.get("labels") else ""
        items.append({"item": it, "chart": chart, "paragraphs": paragraphs(it.body)})
    return {
        "doc": doc,
        "items": [x for x in items if not x["item"].short],
        "shorts": [x for x in items if x["item"].short],
        "serif": SERIF,
        "sans": SANS,
    }


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", body or "") if p.strip()]


def to_html(doc: Document, *, charts: bool = True) -> str:
    """A standalone page (print CSS inside), also the PDF's source."""
    return render_to_string("bulletins/standalone.html", _context(doc, charts=charts))


def fragment_context(doc: Document) -> dict[str, Any]:
    """For the web page, which includes the same document partial."""
    return _context(doc)


def _weasyprint_html():
    """WeasyPrint's import sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES``, which would
    make the upload checks accept damaged photos: put the flag back as it was."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def to_pdf(doc: Document) -> bytes:
    html = _weasyprint_html()
    return html(string=to_html(doc)).write_pdf()


# --- Word ------------------------------------------------------------------------------------


def _east_asian(run, font: str = SERIF) -> None:
    from docx.oxml.ns import qn

    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def _run(
    par,
    text: str,
    *,
    size: float | None = None,
    bold: bool = False,
    colour: str = "",
    font: str = SERIF,
):
    from docx.shared import Pt, RGBColor

    run = par.add_run(text)
    _east_asian(run, font)
    if size:
        run.font.size = Pt(size)
    run.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    return run


def _rule(par, colour: str = RED, size: int = 12) -> None:
    """A horizontal rule under a paragraph (the red line under the masthead)."""
    from docx.oxml.ns import qn

    ppr = par._p.get_or_add_pPr()
    border = ppr.makeelement(qn("w:pBdr"), {})
    bottom = border.makeelement(
        qn("w:bottom"),
        {qn("w:val"): "single", qn("w:sz"): str(size), qn("w:space"): "1", qn("w:color"): colour},
    )
    border.append(bottom)
    ppr.append(border)


def _page_numbers(section) -> None:
    """A centred "- N -" page number in the footer (a PAGE field Word fills in)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    par = (
        section.footer.paragraphs[0]
        if section.footer.paragraphs
        else section.footer.add_paragraph()
    )
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(par, "- ", size=10)
    run = par.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), ("end", None)):
        if kind:
            el = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        else:
            el = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            el.text = text
        run._r.append(el)
    _run(par, " -", size=10)


def _table(document, table: dict[str, Any]) -> None:
    from docx.shared import Pt

    cols = table.get("columns") or []
    rows = table.get("rows") or []
    if not cols:
        return
    t = document.add_table(rows=1, cols=len(cols))
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, cols, strict=False):
        cell.text = ""
        _run(cell.paragraphs[0], str(text), size=9, bold=True, font=SANS)
    for row in rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = ""
            _run(cell.paragraphs[0], "" if value is None else str(value), size=9, font=SANS)
    for r in t.rows:
        for c in r.cells:
            c.paragraphs[0].paragraph_format.space_after = Pt(0)


def _placeholders(document, values: dict[str, str]) -> Any:
    """Fill ``{{刊名}}``-style placeholders of a deployment template; return the paragraph
    marked ``{{正文}}`` (where the items go), if any."""
    marker = None
    for par in document.paragraphs:
        text = par.text
        if "{{正文}}" in text:
            marker = par
            continue
        if "{{" not in text:
            continue
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        for run in par.runs[1:]:
            run.text = ""
        if par.runs:
            par.runs[0].text = text
    return marker


def to_docx(doc: Document, *, template: str | Path | None = None) -> bytes:
    """The .docx: red masthead, 第 N 期, office and date line over a red rule, items with
    the contributing unit in brackets, △ short items, tables, charts, then the 本期送 / 发
    block and the editors; page numbers in the footer."""
    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    values = {
        "刊名": doc.series_title,
        "期号": doc.number_label,
        "发文单位": doc.issuer,
        "日期": doc.date_label,
        "标题": doc.heading,
    }
    if template:
        document = Docx(str(template))
        marker = _placeholders(document, values)
    else:
        document = Docx()
        marker = None
        sec = document.sections[0]
        sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
        sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
        sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
        style = document.styles["Normal"]
        style.font.size = Pt(14)
        _east_asian_style(style)
        title = document.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(title, doc.series_title, size=42, bold=True, colour=RED)
        num = document.add_paragraph()
        num.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(num, doc.number_label, size=16)
        line = document.add_paragraph()
        _run(line, doc.issuer, size=14)
        _run(line, "\t" + doc.date_label, size=14)
        line.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), alignment=2)  # right
        _rule(line)
        if doc.heading:
            h = document.add_paragraph()
            h.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(h, doc.heading, size=20, bold=True)
    _page_numbers(document.sections[0])
    # Keep the proxies alive: lxml then hands back the same objects, so "in" works.
    before = list(document.element.body)
    _items_docx(document, doc)
    if marker is not None:
        # Move what was appended to where the template's {{正文}} stood.
        body = document.element.body
        added = [
            el
            for el in body
            if not any(el is b for b in before) and el.tag.endswith(("}p", "}tbl"))
        ]
        for el in added:
            marker._p.addprevious(el)
        marker._p.getparent().remove(marker._p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _east_asian_style(style) -> None:
    from docx.oxml.ns import qn

    style.font.name = SERIF
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), SERIF)


def _items_docx(document, doc: Document) -> None:
    from docx.shared import Cm, Pt

    def body_par(item: DocItem, text: str, first: bool, last: bool, prefix: str = ""):
        par = document.add_paragraph()
        par.paragraph_format.first_line_indent = Pt(28)
        par.paragraph_format.line_spacing = Pt(28)
        if prefix:
            _run(par, prefix, size=14)
        if first and item.title and not item.short:
            _run(par, item.title, size=14, bold=True)
            _run(par, " ")
        _run(par, text, size=14)
        if last and item.unit_label:
            _run(par, f"（{item.unit_label}）", size=14)
        return par

    for item in doc.items:
        if item.heading:
            h = document.add_paragraph()
            _run(h, item.heading, size=15, bold=True, font=SANS)
        texts = paragraphs(item.body) or [""]
        for n, text in enumerate(texts):
            body_par(item, text, n == 0, n == len(texts) - 1, "△" if item.short and n == 0 else "")
        if item.table.get("columns"):
            _table(document, item.table)
        if item.chart.get("labels"):
            document.add_picture(io.BytesIO(chart_png(item.chart)), width=Cm(14))
    if doc.signature:
        sig = document.add_paragraph()
        sig.alignment = 2
        _run(sig, doc.signature, size=14)
        d = document.add_paragraph()
        d.alignment = 2
        _run(d, doc.date_label, size=14)
    if doc.send_to or doc.distribute_to or doc.editors:
        spacer = document.add_paragraph()
        _rule(spacer, colour="000000", size=6)
        if doc.send_to:
            p = document.add_paragraph()
            _run(p, _("Sent to: ") + doc.send_to, size=12)
            _rule(p, colour="000000", size=4)
        if doc.distribute_to:
            p = document.add_paragraph()
            _run(p, _("Distributed to: ") + doc.distribute_to, size=12)
            _rule(p, colour="000000", size=4)
        if doc.editors:
            p = document.add_paragraph()
            p.alignment = 2
            _run(p, _("Responsible editors: ") + doc.editors, size=12)


def render(
    doc: Document, fmt: str, *, template: str | Path | None = None
) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the document in ``fmt`` (html, docx, pdf)."""
    from cityloop.core.errors import InvalidInput

    if fmt not in FORMATS:
        raise InvalidInput(
            "bulletin_format_invalid",
            _("The format is html, docx or pdf."),
            {"allowed": list(FORMATS)},
        )
    ctype, ext = FORMATS[fmt]
    if fmt == "html":
        body = to_html(doc).encode()
    elif fmt == "docx":
        body = to_docx(doc, template=template or None)
    else:
        body = to_pdf(doc)
    return body, ctype, doc.filename + ext
