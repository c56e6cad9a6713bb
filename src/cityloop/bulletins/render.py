"""One document model, three outputs: HTML (the page and the PDF's source), .docx
(python-docx; a deployment's own template when the series names one) and PDF (WeasyPrint).
Charts are drawn with matplotlib (Agg) in the CJK font and put into all three.

Layout and fonts come from the shared 公文 engine (:mod:`cityloop.core.documents`, GB/T
9704-2012): the office fonts named on ``w:eastAsia`` in Word, the installed Noto CJK fonts
(fonts-noto-cjk) in the PDF and the charts.
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

from cityloop.bulletins.document import Document
from cityloop.core import documents as gw

log = logging.getLogger(__name__)

CJK_FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
RED = gw.RED
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
        table = (
            gw.html_table(it.table["columns"], it.table.get("rows") or [])
            if it.table.get("columns")
            else None
        )
        items.append(
            {"item": it, "chart": chart, "paragraphs": paragraphs(it.body), "table": table}
        )
    return {
        "doc": doc,
        "items": [x for x in items if not x["item"].short],
        "shorts": [x for x in items if x["item"].short],
        "title_lines": gw.break_title(doc.heading) if doc.heading else [],
        "g": {**gw.html_frame(doc.frame()), "imprint": [x.split("\t") for x in imprint_lines(doc)]},
        "gongwen_css": gw.css(masthead_pt=30 if doc.kind == "notice" else 42),
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


def _bulletin_head(doc: Document):
    """A bulletin's 版头: 份号 / 密级, its name in red, 第 N 期, the issuing office and date
    over the red rule, then the heading if any."""
    from docx.shared import Mm

    def head(document, frame: gw.Frame) -> None:
        gw.marks(document, frame)
        gw.paragraph(document, "刊名", doc.series_title)
        gw.paragraph(document, "发文字号", doc.number_label)
        line = gw.paragraph(document, "刊头", doc.issuer + "\t" + doc.date_label)
        line.paragraph_format.tab_stops.add_tab_stop(Mm(gw.TEXT_WIDTH_MM), alignment=2)
        gw.rule(line, colour=gw.RED, size=12)
        if doc.heading:
            gw.title(document, doc.heading)

    return head


def imprint_lines(doc: Document) -> list[str]:
    """The 版记 lines: a notice's 抄送 (the frame's); a bulletin's 本期送, 发, 抄送 and, on
    the right, the editors."""
    if doc.kind == "notice":
        return doc.frame().imprint_lines()
    lines = []
    if doc.send_to:
        lines.append(_("Sent to: ") + doc.send_to)
    if doc.distribute_to:
        lines.append(_("Distributed to: ") + doc.distribute_to)
    lines.extend(gw.Frame(copy_to=doc.copy_to).imprint_lines())
    if doc.editors:
        lines.append("\t" + _("Responsible editors: ") + doc.editors)
    return lines


def template_of(doc: Document, template: str | Path | None = None) -> bytes:
    """The Word template the document is filled into: the issuing unit's uploaded one (the
    letterhead page), else a series' template on the server (``template``), else none."""
    from cityloop.bulletins.queries import letterhead_template

    blob = letterhead_template(doc.issuer_unit)
    if not blob and template:
        blob = Path(template).read_bytes()
    return blob


def to_docx(doc: Document, *, template: str | Path | None = None) -> bytes:
    """The .docx through the shared 公文 engine (:func:`cityloop.core.documents.compose`):
    the head (a notice's 发文机关标志, 发文字号, title and 主送; a bulletin's name, 第 N 期 and
    office line) or the office's template ({{刊名}} … {{正文}}), the items with the
    contributing unit in brackets, △ short items, tables, charts, the 附件说明, the signature
    kept with the last lines, then the 版记; page numbers in the footer."""
    values = {
        "刊名": doc.series_title,
        "期号": doc.number_label,
        "发文单位": doc.issuer,
        "日期": doc.date_label,
    }
    document = gw.compose(
        doc.frame(),
        lambda document: _items_docx(document, doc),
        template=template_of(doc, template),
        head_fn=None if doc.kind == "notice" else _bulletin_head(doc),
        imprint_lines=imprint_lines(doc),
        values=values,
    )
    return gw.docx_bytes(document)


def _items_docx(document, doc: Document):
    """The items; returns the last paragraph (the signature keeps to it)."""
    from docx.shared import Mm

    last = None
    for item in doc.items:
        if item.heading:
            gw.paragraph(document, "一级标题", item.heading)
        texts = paragraphs(item.body) or [""]
        for n, text in enumerate(texts):
            par = gw.paragraph(document, "公文正文")
            if item.short and n == 0:
                gw.run(par, "△", "公文正文")
            if n == 0 and item.title and not item.short:
                gw.run(par, item.title + " ", "公文正文", bold=True)
            gw.run(par, text, "公文正文")
            if n == len(texts) - 1 and item.unit_label:
                gw.run(par, f"（{item.unit_label}）", "公文正文")
            last = par
        if item.table.get("columns"):
            t = gw.table(
                document,
                item.table["columns"],
                item.table.get("rows") or [],
                keep_last_row_with_next=True,
            )
            if len(t.rows) > 1:  # the table ends the item: the signature keeps to its last row
                last = t.rows[-1].cells[-1].paragraphs[-1]
        if item.chart.get("labels"):
            document.add_picture(io.BytesIO(chart_png(item.chart)), width=Mm(140))
            last = document.paragraphs[-1]
    return last


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
