"""上街信息 第46期 and the monthly ranking notice laid out to GB/T 9704-2012, read back from the
real .docx and PDF: styles and fonts, margins, page-number fields, tables (header repeated,
rows whole, names on one line), the notice's 发文字号, its title broken between words, its
signature on the page of its last lines and every score with its unit 分."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest

from cityloop.bulletins import document, notices, render
from tests import gongwen

from ..assessment.conftest import SH
from .test_bulletins import issue, series  # noqa: F401

pytestmark = pytest.mark.django_db

NAMES = ["三湾街社区", "中心路社区"]


def test_bulletin_46_docx(zxl, issue):  # noqa: F811
    d = gongwen.docx(render.to_docx(document.from_issue(issue)))
    gongwen.assert_page_setup(d)
    gongwen.assert_styles(d)
    gongwen.assert_page_number_fields(d)
    assert d.tables, "the case figures table"
    for t in d.tables:
        gongwen.assert_table_rules(t, names=NAMES)
    body = [p for p in d.paragraphs if "招商引资项目27个" in p.text]
    assert body and body[0].style.name == "公文正文"  # 仿宋_GB2312 3号, by style


def test_bulletin_46_pdf(zxl, issue):  # noqa: F811
    doc = document.from_issue(issue)
    pdf = render.to_pdf(doc)
    gongwen.save_sample("bulletin-46", pdf=pdf, docx=render.to_docx(doc))
    gongwen.assert_names_on_one_line(pdf, NAMES)
    gongwen.assert_pdf_page_numbers(pdf)


@pytest.fixture
def ranked(zxl, scheme, play, at):
    """June 2020 of 创卫复审百分考核: both communities ranked, 三湾街社区 with a deduction
    confirmed in supervision (found three times with the same problem)."""
    from cityloop.assessment import workflow
    from cityloop.supervision import services as sup_services
    from cityloop.supervision import workflow as sup
    from cityloop.supervision.models import Escalation, LightPolicy

    LightPolicy.objects.get_or_create(active=True, defaults={"name": "默认规则"})
    for community, n in ((zxl.sw, 3), (zxl.zx, 3)):
        for _ in range(n):
            play(community, day=date(2020, 6, 3))
    for day in (10, 11, 12):
        at(datetime(2020, 6, day, 9, 0, tzinfo=SH))
        insp = sup_services.create_inspection(
            actor=zxl.desk,
            code=f"CW-{day}",
            kind="routine",
            on=date(2020, 6, day),
            subject="创卫日常检查",
            team="街道创卫督查组",
            unit=zxl.office,
            places=[zxl.sw],
        )
        sup.record_finding(
            actor=zxl.desk,
            inspection_id=insp.pk,
            kind="暴露垃圾",
            description="三湾街路口暴露垃圾",
            unit=zxl.sw_unit,
            mode="immediate",
            place=zxl.sw,
        )
    deduction = Escalation.objects.get(kind="deduction")
    sup.decide_escalation(actor=zxl.desk, escalation_id=deduction.pk, confirm=True, note="扣分")
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    return deduction


def _monthly():
    return notices.notice("monthly", "2020-06", scheme="CW")


def test_monthly_notice_has_a_reference_line_and_scores_with_their_unit(zxl, ranked):
    doc = _monthly()
    assert re.fullmatch(r".+〔2020〕\s*\d*\s*号", doc.reference), doc.reference
    text = "\n".join(i.body for i in doc.items)
    points = f"{float(ranked.points):g}"
    assert f"三湾街社区 {points}分" in text  # "工农社区 6" never again: the unit follows
    # No figure in the running text of a score sentence without its unit.
    sentence = next(i.body for i in doc.items if "三湾街社区 " in i.body)
    assert not re.search(r"\d(?![\d.分%件项个])", sentence.split("：", 1)[1]), sentence

    d = gongwen.docx(render.to_docx(doc))
    gongwen.assert_page_setup(d)
    gongwen.assert_styles(d)
    gongwen.assert_page_number_fields(d)
    ref = [p for p in d.paragraphs if p.style.name == "发文字号"]
    assert ref and ref[0].text == doc.reference and "〔2020〕" in ref[0].text
    assert d.paragraphs[0].style.name == "发文机关标志" and d.paragraphs[0].text == doc.issuer
    body = [p for p in d.paragraphs if p.text and p.style.name == "公文正文"]
    assert body and all(gongwen.east_asian(p.style) == "仿宋_GB2312" for p in body)
    assert d.styles["公文正文"].font.size.pt == 16
    lines = gongwen.title_lines(d)
    assert "".join(lines) == doc.heading and all(len(x) <= 20 for x in lines)
    assert lines == ["关于2020年6月创卫复审", "百分考核排名情况的通报"]
    for t in d.tables:
        gongwen.assert_table_rules(t, names=NAMES)
    # The signature and date are kept with the last body lines.
    signature = next(p for p in d.paragraphs if p.style.name == "发文机关署名")
    before = signature._p.getprevious()
    from docx.text.paragraph import Paragraph

    assert gongwen.keeps_with_next(Paragraph(before, signature._parent))
    assert gongwen.keeps_with_next(Paragraph(before.getprevious(), signature._parent))


def test_monthly_notice_pdf(zxl, ranked):
    doc = _monthly()
    pdf = render.to_pdf(doc)
    gongwen.save_sample("monthly-notice", pdf=pdf, docx=render.to_docx(doc))
    gongwen.assert_names_on_one_line(pdf, NAMES)
    gongwen.assert_pdf_page_numbers(pdf)
    first = gongwen.page_text(gongwen.pdf_pages(pdf)[0])
    assert gongwen.compact(doc.reference) in gongwen.compact(first)
    lines = first.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("关于"))
    assert lines[start : start + 2] == ["关于2020年6月创卫复审", "百分考核排名情况的通报"]
    last_body = doc.items[-1].body
    assert gongwen.page_of(pdf, last_body[-12:]) == gongwen.page_of(
        pdf, doc.signature + doc.signed_date_label
    )


def test_the_register_numbers_a_notice_once_and_never_reuses_a_number(zxl, ranked, tmp_path):
    from django.core.management import call_command
    from django.db import IntegrityError, transaction

    from cityloop.assessment import workflow as assessment
    from cityloop.bulletins import workflow
    from cityloop.bulletins.models import NoticeNumber
    from cityloop.core.errors import Forbidden
    from cityloop.core.events import events_of

    before = _monthly().reference
    assert "〔2020〕\u3000\u3000号" in before  # drafted: the number left blank

    with pytest.raises(Forbidden) as e:  # another street's staff may not number it
        workflow.number_notice(actor=zxl.outsider, kind="monthly", period="2020-06", scheme="CW")
    assert e.value.code == "notice_number_not_allowed"
    assert not NoticeNumber.objects.exists()

    june = workflow.number_notice(actor=zxl.desk, kind="monthly", period="2020-06", scheme="CW")
    assert (june.number, june.reference) == (1, f"{zxl.office.name}〔2020〕1号")
    again = workflow.number_notice(actor=zxl.desk, kind="monthly", period="2020-06", scheme="CW")
    assert again.pk == june.pk and NoticeNumber.objects.count() == 1  # one notice, one number
    assert [ev.verb for ev in events_of(june)] == ["number"]

    doc = _monthly()
    assert doc.reference == june.reference
    d = gongwen.docx(render.to_docx(doc))
    assert [p.text for p in d.paragraphs if p.style.name == "发文字号"] == [june.reference]

    # The next notice of the issuer and year takes the next number, here through the CLI.
    assessment.run_period(actor=zxl.desk, code="CW", key="2020-05")
    out = tmp_path / "may.docx"
    call_command(
        "report", "notice", "--kind", "monthly", "--period", "2020-05", "--scheme", "CW",
        "--number", "--format", "docx", "-o", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    may = NoticeNumber.objects.get(key="monthly:CW:2020-05")
    assert may.number == 2 and may.reference in gongwen.docx(out.read_bytes()).paragraphs[1].text
    with pytest.raises(IntegrityError), transaction.atomic():  # never the same number twice
        NoticeNumber.objects.create(
            issuer=june.issuer, kind="monthly", year=2020, number=1, key="x", reference="x",
            title="x", issued_on=june.issued_on,
        )  # fmt: skip


def test_the_notice_form_and_the_cli_print_copy_number_secrecy_and_attachments(
    zxl, ranked, client, tmp_path
):
    """份号, 密级 and 附件 given on the notices form and to ``cityloop report notice``; bad
    input is a Chinese error, no file and no number."""
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.urls import reverse

    from cityloop.bulletins.models import NoticeNumber

    args = {"kind": "monthly", "period": "2020-06", "scheme": "CW", "format": "docx"}
    client.force_login(zxl.desk)
    marks = {"copy_number": "42", "secrecy": "秘密★1年", "attachments": "扣分明细\n排名表"}
    got = client.get(reverse("bulletins:notice"), {**args, **marks})
    assert got.status_code == 200
    texts = [p.text for p in gongwen.docx(got.content).paragraphs if p.text]
    assert texts[:2] == ["000042", "秘密★1年"]
    assert "附件：1. 扣分明细" in texts and "\u3000\u3000\u30002. 排名表" in texts
    bad = client.get(reverse("bulletins:notice"), {**args, "copy_number": "4x"}, follow=True)
    assert "份号为一至六位数字" in bad.content.decode()
    assert bad.redirect_chain[-1][0] == reverse("bulletins:index")

    out = tmp_path / "june.docx"
    with pytest.raises(CommandError, match="document_secrecy_invalid"):
        call_command(
            "report", "notice", "--kind", "monthly", "--period", "2020-06", "--scheme", "CW",
            "--number", "--secrecy", "一般", "-o", str(out), stdout=io.StringIO(),
        )  # fmt: skip
    assert not out.exists() and not NoticeNumber.objects.exists()
    call_command(
        "report", "notice", "--kind", "monthly", "--period", "2020-06", "--scheme", "CW",
        "--copy-number", "7", "--attachment", "扣分明细", "-o", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    texts = [p.text for p in gongwen.docx(out.read_bytes()).paragraphs if p.text]
    assert texts[0] == "000007" and "附件：扣分明细" in texts


def test_monthly_notice_meets_the_done_when_list(zxl, ranked):
    doc = _monthly()
    gongwen.assert_done_when(
        render.to_docx(doc),
        render.to_pdf(doc),
        reference=doc.reference,
        title=doc.heading,
        closing=doc.items[-1].body,
        signature=doc.signature + doc.signed_date_label,
        names=NAMES,
    )


def test_bulletin_46_names_its_fonts_in_every_run_and_embeds_them(zxl, issue):  # noqa: F811
    """A bulletin has no 发文字号 and no 公文标题 (its 刊名 and 第46期 stand there): the rest
    of the list — fonts in every .docx run, fonts embedded in the PDF, tables — holds."""
    doc = document.from_issue(issue)
    d = gongwen.docx(render.to_docx(doc))
    gongwen.assert_run_fonts(d)
    assert [p.text for p in d.paragraphs if p.style.name == "刊名"] == ["上街信息"]
    pdf = render.to_pdf(doc)
    gongwen.assert_pdf_fonts_embedded(pdf)
    assert "第46期" in gongwen.compact(gongwen.page_text(gongwen.pdf_pages(pdf)[0]))


@pytest.fixture
def half_ranked(zxl, play, at):
    """城市管理半月考核 for 1–15 June 2020: both communities ranked on on-time closes and
    satisfaction (the half-month notice reads a half-month scheme)."""
    from cityloop.assessment import services, workflow
    from cityloop.assessment.services import ItemInput

    s = services.scheme_create(
        code="BY",
        name="城市管理半月考核",
        target_kind="community",
        period_kind="half_month",
        owner=zxl.office,
        items=[
            ItemInput(
                "ontime",
                "按期结案率",
                60,
                "computed",
                "on_time_close_rate",
                {"kind": "linear", "zero": 0.5, "full": 1.0},
            ),
            ItemInput(
                "satisfied",
                "群众满意率",
                40,
                "computed",
                "satisfaction_rate",
                {"kind": "thresholds", "steps": [{"min": 0.95, "share": 1}]},
            ),
        ],
    )
    workflow.activate_scheme(actor=zxl.desk, code="BY", version=s.version)
    for community, late in ((zxl.sw, False), (zxl.zx, True)):
        for _ in range(3):
            play(community, late=late, day=date(2020, 6, 3))
    at(datetime(2020, 6, 16, 9, 0, tzinfo=SH))
    return workflow.run_period(actor=zxl.desk, code="BY", key="2020-06-H1")


def test_half_month_notice_meets_the_done_when_list(zxl, half_ranked):
    doc = notices.notice("half_month", "2020-06-H1", scheme="BY")
    assert re.fullmatch(r".+〔2020〕\s*\d*\s*号", doc.reference), doc.reference
    # Of two ranked communities one is praised and one criticised: never both praised.
    said = {str(i.heading): i.body for i in doc.items if i.heading}
    assert said["通报表扬"].startswith("三湾街社区工作成效突出")
    assert said["通报批评"].startswith("中心路社区")
    pdf = render.to_pdf(doc)
    gongwen.save_sample("half-month-notice", pdf=pdf, docx=render.to_docx(doc))
    gongwen.assert_done_when(
        render.to_docx(doc),
        pdf,
        reference=doc.reference,
        title=doc.heading,
        closing=doc.items[-1].body,
        signature=doc.signature + doc.signed_date_label,
        names=NAMES,
    )
