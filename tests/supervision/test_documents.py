"""Urging letters as documents: the .docx opens and says everything; the PDF has real Chinese."""

from __future__ import annotations

import io
import logging
from datetime import date

import pytest
from django.utils import translation

from cityloop.supervision import documents, workflow


@pytest.fixture
def letter(crew, make_task, on_day):
    """A letter made through the workflow: a task past its deadline and a rectification past
    its time limit, both of 城管办."""
    on_day(date(2026, 9, 1))
    late = make_task("T-late", title="老旧小区改造：06小区雨污分流", deadline=date(2026, 10, 30))
    inspection = documents_inspection(crew)
    finding = workflow.record_finding(
        actor=crew.supervisor,
        inspection_id=inspection.pk,
        kind="楼道堆物",
        description="新华街社区06小区3号楼楼道堆放杂物未清理",
        unit=crew.office,
        mode="deadline",
        due=date(2026, 9, 10),
    )
    on_day(date(2026, 11, 23))
    with translation.override("zh-hans"):  # the letter is written in the UI's language
        letter = workflow.issue_letter(
            actor=crew.supervisor,
            issuer=crew.street,
            addressee=crew.office,
            answer_due=date(2026, 11, 30),
        )
    assert {i["kind"] for i in letter.items} == {"task", "rectification"}
    assert {i["title"] for i in letter.items} == {late.title, finding.description}
    return letter


def documents_inspection(crew):
    from cityloop.supervision.services import create_inspection

    return create_inspection(
        actor=crew.supervisor,
        code="DC-1",
        kind="routine",
        on=date(2026, 9, 1),
        subject="创卫复审日常督查",
        team="街道督查组",
        unit=crew.street,
    )


def test_docx_opens_and_contains_number_addressee_and_items(letter):
    from docx import Document

    data = documents.letter_docx(letter)
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    everything = text + "\n" + cells
    assert letter.reference == "济源督〔2026〕1号"
    assert letter.reference in text
    assert f"{letter.addressee.name}：" in text
    assert "2026年11月30日前" in text  # the answer date
    for item in letter.items:
        assert item["title"] in cells
    assert "（盖章）" in cells and "2026年11月23日" in everything
    assert doc.sections[0].page_width.cm == pytest.approx(21.0, abs=0.01)
    # The Chinese font is set where Word reads it (w:eastAsia), not only the Latin name.
    xml = doc.element.xml
    assert 'w:eastAsia="仿宋_GB2312"' in xml and 'w:eastAsia="方正小标宋简体"' in xml
    # The red issuer mark, by its named style (not direct formatting).
    assert doc.paragraphs[0].style.name == "发文机关标志"
    assert str(doc.styles["发文机关标志"].font.color.rgb) == "C00000"


def test_pdf_has_real_chinese_text(letter):
    from pypdf import PdfReader

    data = documents.letter_pdf(letter)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())
    assert letter.reference in compact
    assert letter.addressee.name in compact
    for item in letter.items:
        assert "".join(item["title"].split()) in compact
    assert "2026年11月30日" in compact
    assert "\ufffd" not in text and "□" not in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for ref in page["/Resources"]["/Font"].values()
        for font in [ref.get_object()]
    }
    assert any("CJK" in f for f in fonts), fonts


def test_pdf_warns_without_a_cjk_font(letter, monkeypatch, caplog):
    monkeypatch.setattr(documents, "cjk_font_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="cityloop.supervision.documents"):
        data = documents.letter_pdf(letter)
    assert data.startswith(b"%PDF")
    assert "fonts-noto-cjk" in caplog.text


def test_filename_is_the_number(letter):
    assert documents.letter_filename(letter, "docx") == "济源督〔2026〕1号.docx"
    assert documents.letter_filename(letter, ".pdf") == "济源督〔2026〕1号.pdf"
