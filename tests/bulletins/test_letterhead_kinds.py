"""The issuing unit's letterhead (red header, 主送, 抄送, 署名) in every kind made through the
公文 engine — 上街信息 and the monthly notice here; the urging letter, 会议纪要 and the
supervision weekly report in tests/supervision/test_letterhead_kinds.py — and the office's own
Word template, uploaded on the letterhead page and filled by the generator. Read back from the
produced .docx and PDF (issue 15.3)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from cityloop.bulletins import document, notices, render
from cityloop.bulletins.models import Letterhead
from cityloop.bulletins.preview import SAMPLE_TITLE
from tests import gongwen
from tests.bulletins.test_bulletins import issue, series  # noqa: F401
from tests.bulletins.test_gongwen_layout import ranked  # noqa: F401

pytestmark = pytest.mark.django_db

SEND_TO = "各社区党组织、居委会"
COPY_TO = "区委督查室、区政府督查室"


def _letterhead(unit, **kw) -> Letterhead:
    values = {"header": "", "send_to": SEND_TO, "copy_to": COPY_TO, "signature": ""}
    values.update(kw)
    return Letterhead.objects.create(unit=unit, **values)


def _styled(d) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in d.paragraphs if p.text]


def _assert_docx_frame(data: bytes, *, send_to: str, copy_to: str = COPY_TO) -> None:
    """主送 the paragraph right after the title; 抄送 the first 版记 line, ruled above, after
    the signature, and nothing but the 版记 after it."""
    d = gongwen.docx(data)
    styled = _styled(d)
    title = max(i for i, (s, _t) in enumerate(styled) if s == "公文标题")
    assert styled[title + 1] == ("主送机关", f"{send_to}：")
    imprint = [p for p in d.paragraphs if p.style.name == "版记" and p.text]
    assert imprint and imprint[0].text == f"抄送：{copy_to}。"
    assert imprint[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:top")) is not None
    texts = [t for _s, t in styled]
    assert texts[-len(imprint) :] == [p.text for p in imprint]


def _assert_pdf_frame(data: bytes, *, title: str, send_to: str, signature: str) -> None:
    """In the PDF: the 主送 line after the title and before the body; 抄送 after the
    signature, on the last page; page numbers on every page."""
    pages = gongwen.pdf_pages(data)
    text = gongwen.compact("".join(gongwen.page_text(p) for p in pages))
    at_title = text.index(gongwen.compact(title)[:8])
    at_send = text.index(gongwen.compact(send_to) + "：")
    assert at_title < at_send
    at_copy = text.index("抄送：" + gongwen.compact(COPY_TO))
    assert text.rindex(gongwen.compact(signature)) < at_copy
    assert "抄送：" in gongwen.compact(gongwen.page_text(pages[-1]))
    gongwen.assert_pdf_page_numbers(data)


def test_bulletin_takes_the_default_lists_and_copies(zxl, issue):  # noqa: F811
    issue.send_to = ""
    issue.save(update_fields=["send_to"])
    _letterhead(issue.series.issuer)
    doc = document.from_issue(issue)
    d = gongwen.docx(render.to_docx(doc))
    imprint = [p.text for p in d.paragraphs if p.style.name == "版记" and p.text]
    assert imprint[0] == f"本期送：{SEND_TO}"  # the unit's default 主送 for an empty issue list
    assert f"抄送：{COPY_TO}。" in imprint
    assert imprint[-1].endswith("高歌 金嵩尧")  # the editors close the 版记
    text = gongwen.compact(
        "".join(gongwen.page_text(p) for p in gongwen.pdf_pages(render.to_pdf(doc)))
    )
    assert f"本期送：{gongwen.compact(SEND_TO)}" in text
    assert text.index("抄送：" + COPY_TO) < text.index("责任编辑")


def test_monthly_notice_prints_send_to_under_its_title_and_copies(zxl, ranked):  # noqa: F811
    _letterhead(zxl.office, signature="中心路街道创卫办")
    doc = notices.notice("monthly", "2020-06", scheme="CW")
    _assert_docx_frame(render.to_docx(doc), send_to=SEND_TO)
    _assert_pdf_frame(
        render.to_pdf(doc), title=doc.heading, send_to=SEND_TO, signature="中心路街道创卫办"
    )


def _template_docx(*lines: str) -> bytes:
    d = Document()
    for line in lines:
        d.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _upload(client, unit, blob: bytes, name: str = "红头.docx", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"unit": unit.pk, "template": SimpleUploadedFile(name, blob), **fields}
    return client.post(reverse("bulletins:letterhead"), data, follow=True)


def test_an_uploaded_template_is_filled_by_the_generator(zxl, ranked, client):  # noqa: F811
    client.force_login(zxl.desk)
    blob = _template_docx("{{发文机关标志}}（模板）", "{{发文字号}}", "{{标题}}", "{{正文}}")
    r = _upload(client, zxl.office, blob, header="中心路街道办事处文件", copy_to=COPY_TO)
    assert r.status_code == 200 and "红头.docx" in r.content.decode()
    row = Letterhead.objects.get(unit=zxl.office)
    assert bytes(row.template) == blob and len(row.template_sha256) == 64
    doc = notices.notice("monthly", "2020-06", scheme="CW")
    d = gongwen.docx(render.to_docx(doc))
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts[0] == "中心路街道办事处文件（模板）"
    assert texts[1].startswith("中心路街道") and "〔2020〕" in texts[1]
    assert texts[2] == doc.heading
    assert texts[3] == doc.items[0].body  # the body where {{正文}} was
    assert f"抄送：{COPY_TO}。" in texts  # no {{抄送}} in the template: the engine's 版记
    assert "{{" not in "".join(texts)

    # Removing it brings back the built-in head.
    r = client.post(
        reverse("bulletins:letterhead"),
        {"unit": zxl.office.pk, "header": "中心路街道办事处文件", "remove_template": "1"},
    )
    assert r.status_code == 302 and not bytes(Letterhead.objects.get(unit=zxl.office).template)
    d = gongwen.docx(render.to_docx(notices.notice("monthly", "2020-06", scheme="CW")))
    assert _styled(d)[0] == ("发文机关标志", "中心路街道办事处文件")


@pytest.mark.parametrize(
    ("blob", "words"),
    [
        (b"plain text, not Word", "不是 Word 文档"),
        (_template_docx("{{标题}}"), "缺少 {{正文}}"),
    ],
)
def test_a_refused_template_says_why_and_changes_nothing(zxl, ranked, client, blob, words):  # noqa: F811
    client.force_login(zxl.desk)
    r = _upload(client, zxl.office, blob, header="不应保存")
    assert r.status_code == 200
    assert words in r.content.decode()
    assert not Letterhead.objects.exists()
    d = gongwen.docx(render.to_docx(notices.notice("monthly", "2020-06", scheme="CW")))
    assert _styled(d)[0] == ("发文机关标志", zxl.office.name)


def test_the_stored_template_downloads_back_and_previews_filled(zxl, ranked, client):  # noqa: F811
    """From the letterhead page: the uploaded .docx back as it was, and a sample notice in
    the letterhead and template, as .docx and as PDF; another street's unit is 404."""
    blob = _template_docx("{{发文机关标志}}（模板）", "{{发文字号}}", "{{标题}}", "{{正文}}")
    client.force_login(zxl.desk)
    _upload(
        client,
        zxl.office,
        blob,
        header="中心路街道办事处文件",
        abbreviation="中街办",
        copy_to=COPY_TO,
    )
    page = client.get(reverse("bulletins:letterhead")).content.decode()
    template_url = reverse("bulletins:letterhead_template", args=[zxl.office.pk])
    docx_url = reverse("bulletins:letterhead_preview", args=[zxl.office.pk, "docx"])
    pdf_url = reverse("bulletins:letterhead_preview", args=[zxl.office.pk, "pdf"])
    for url in (template_url, docx_url, pdf_url):
        assert url in page
    got = client.get(template_url)
    assert got.status_code == 200 and got.content == blob  # as uploaded, byte for byte

    d = gongwen.docx(client.get(docx_url).content)
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts[:3] == ["中心路街道办事处文件（模板）", "中街办〔2020〕1号", SAMPLE_TITLE]
    assert "特此通知。" in texts and f"抄送：{COPY_TO}。" in texts
    assert d.tables and d.tables[0].rows[1].cells[1].text == "中心路社区"

    # Without the template, the built-in layout: both files to the issue's "Done when".
    client.post(
        reverse("bulletins:letterhead"),
        {"unit": zxl.office.pk, "header": "中心路街道办事处文件", "abbreviation": "中街办",
         "remove_template": "1"},
    )  # fmt: skip
    assert client.get(template_url).status_code == 404
    data, pdf = client.get(docx_url).content, client.get(pdf_url).content
    gongwen.save_sample("letterhead-sample", pdf=pdf, docx=data)
    gongwen.assert_done_when(
        data,
        pdf,
        reference="中街办〔2020〕1号",
        title=SAMPLE_TITLE,
        closing="特此通知。",
        signature=f"{zxl.office.name}2020年",
        names=["中心路社区", "三湾街社区"],
    )
    first = gongwen.compact(gongwen.page_text(gongwen.pdf_pages(pdf)[0]))
    assert first.startswith("中心路街道办事处文件中街办〔2020〕1号")

    client.force_login(zxl.outsider)
    assert client.get(template_url).status_code == 404
    assert client.get(pdf_url).status_code == 404
