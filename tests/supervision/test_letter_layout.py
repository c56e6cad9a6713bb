"""The urging letter laid out to GB/T 9704-2012, read back from the real .docx and PDF: styles
and fonts, margins, page numbers, the items table, the title broken between words, the seal
and date on the page of the closing line."""

from __future__ import annotations

import pytest

from cityloop.core.text import _tokenizer
from cityloop.supervision import documents
from tests import gongwen

from .test_documents import documents_inspection, letter  # noqa: F401

pytestmark = pytest.mark.django_db

# 24 characters: more than the 20 a 2号 title line holds, so it takes two lines; a plain
# 20-character wrap would cut 工作 into 工 / 作.
LONG_SUBJECT = "关于加快推进老旧小区改造和背街小巷整治工作的催办函"


def _items(n: int) -> list[dict]:
    return [
        {
            "kind": "task",
            "title": f"老旧小区改造：{i:02d}小区雨污分流管网改造及路面恢复",
            "due": "2026-10-30",
            "days": "12",
            "reason": "施工单位未按计划进场，进度滞后",
        }
        for i in range(1, n + 1)
    ]


def _word_boundaries(text: str) -> set[int]:
    cuts, at = {0}, 0
    for word in _tokenizer().cut(text):
        at += len(word)
        cuts.add(at)
    return cuts


def test_docx_follows_the_standard(letter):  # noqa: F811
    letter.subject = LONG_SUBJECT
    letter.items = _items(3)
    d = gongwen.docx(documents.letter_docx(letter))
    gongwen.assert_page_setup(d)
    gongwen.assert_styles(d)
    gongwen.assert_page_number_fields(d)
    items = d.tables[0]
    gongwen.assert_table_rules(items, names=["2026年10月30日", "序号"])
    body = [p for p in d.paragraphs if p.style.name == "公文正文" and p.text]
    assert body and all(p.runs[0]._r.xml.count('w:eastAsia="仿宋_GB2312"') for p in body)
    assert d.paragraphs[1].style.name == "发文字号" and d.paragraphs[1].text == letter.reference


def test_title_breaks_between_words_in_word_and_pdf(letter):  # noqa: F811
    letter.subject = LONG_SUBJECT
    letter.items = _items(2)
    cuts = _word_boundaries(LONG_SUBJECT)

    lines = gongwen.title_lines(gongwen.docx(documents.letter_docx(letter)))
    assert "".join(lines) == LONG_SUBJECT and len(lines) == 2
    assert len(lines[0]) in cuts and all(len(x) <= 20 for x in lines)
    assert lines == ["关于加快推进老旧小区改造和", "背街小巷整治工作的催办函"]

    pdf = documents.letter_pdf(letter)
    text = gongwen.page_text(gongwen.pdf_pages(pdf)[0]).split("\n")
    start = next(i for i, ln in enumerate(text) if ln.startswith("关于"))
    assert text[start : start + 2] == lines


@pytest.mark.parametrize("rows", [1, 2, 3, 5, 8, 12])
def test_seal_and_date_stay_with_the_closing_line(letter, rows):  # noqa: F811
    """Whatever the number of items, the closing line, the issuer and the date share a page
    (the old layout left the seal block alone on page 2 for some lengths)."""
    letter.items = _items(rows)
    pdf = documents.letter_pdf(letter)
    content = documents.letter_content(letter)
    closing = gongwen.page_of(pdf, content.body[-1])
    signed = gongwen.page_of(pdf, content.signature + content.date)
    assert closing == signed
    # ...and the closing line is not the only body text left on that page.
    page = gongwen.compact(gongwen.page_text(gongwen.pdf_pages(pdf)[signed - 1]))
    page = page.removesuffix(f"—{signed}—")
    block = gongwen.compact("（盖章）" + content.body[-1] + content.signature + content.date)
    assert len(page) > len(block), page
    gongwen.assert_pdf_page_numbers(pdf)


def test_docx_keeps_the_seal_block_with_the_closing_line(letter):  # noqa: F811
    letter.items = _items(6)
    d = gongwen.docx(documents.letter_docx(letter))
    content = documents.letter_content(letter)
    closing = next(p for p in d.paragraphs if p.text == content.body[-1])
    assert gongwen.keeps_with_next(closing)
    following = closing._p.getnext()
    while following is not None and following.tag.endswith("}p"):
        from docx.text.paragraph import Paragraph

        assert gongwen.keeps_with_next(Paragraph(following, closing._parent))
        following = following.getnext()
    # The last item row goes with the closing line: the block is never alone on a page.
    for cell in d.tables[0].rows[-1].cells:
        assert all(gongwen.keeps_with_next(p) for p in cell.paragraphs)
    seal = d.tables[-1]
    assert "（盖章）" in seal.rows[0].cells[0].text
    assert seal.rows[0]._tr.trPr.find(gongwen.qn("w:cantSplit")) is not None


def test_pdf_table_header_repeats_and_cells_do_not_stack(letter):  # noqa: F811
    letter.subject = LONG_SUBJECT
    letter.items = _items(12)
    pdf = documents.letter_pdf(letter)
    gongwen.save_sample("urging-letter", pdf=pdf, docx=documents.letter_docx(letter))
    pages = gongwen.pdf_pages(pdf)
    assert len(pages) >= 2
    for page in pages:
        if "老旧小区改造" in page_text_of(page):
            # The header row, each heading on one line, on every page of the table.
            assert "序号 事项 时限 逾期天数 情况" in gongwen.page_text(page).split("\n")
    gongwen.assert_names_on_one_line(pdf, ["2026年10月30日"])


def page_text_of(page) -> str:
    return gongwen.compact(gongwen.page_text(page))


def test_the_letter_meets_the_done_when_list(letter):  # noqa: F811
    letter.subject = LONG_SUBJECT
    letter.items = _items(12)
    content = documents.letter_content(letter)
    gongwen.assert_done_when(
        documents.letter_docx(letter),
        documents.letter_pdf(letter),
        reference=letter.reference,
        title=LONG_SUBJECT,
        closing="特此函告。",
        signature=content.signature + content.date,
        names=["2026年10月30日"],
    )
