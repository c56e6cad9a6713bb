"""Bulletins: submissions reviewed, an issue compiled with short and generated items,
rendered to .docx and PDF and read back; generated figures follow the records until
publication freezes them."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest

from cityloop.bulletins import document, render, services, workflow
from cityloop.bulletins.models import BulletinEvent, Submission
from cityloop.cases.queries import case_figures
from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition
from tests import gongwen

from ..assessment.conftest import SH

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(zxl):
    return services.series_save(
        code="SJXX",
        title="上街信息",
        issuer=zxl.office,
        issuer_name="中共上街区委办公室",
        send_to="区县处级领导",
        distribute_to="峡窝镇、各街道办事处、区直各单位负责同志",
        editors="高歌 金嵩尧",
    )


@pytest.fixture
def issue(zxl, series, play, at):
    """第 46 期 of 2020: one full item, one short item, one rejected, one generated."""
    for late in (False, False, True):
        play(zxl.sw, late=late, day=date(2020, 6, 1))
    play(zxl.zx, day=date(2020, 6, 2), close=False)
    at(datetime(2020, 6, 15, 10, 0, tzinfo=SH))
    full = workflow.submit(
        actor=zxl.desk,
        series_code="SJXX",
        unit=zxl.office,
        unit_label="中心路街道",
        title="中心路街道招商“脚步不停歇”",
        body="截止目前，招商引资项目27个，其中在谈项目9个，已落地项目15个。",
    )
    short = workflow.submit(
        actor=zxl.sw_worker,
        series_code="SJXX",
        unit=zxl.sw_unit,
        short=True,
        body="6月15日，区侨联走进三湾街社区“侨胞之家”，开展全国“两会”精神宣讲活动，侨界代表32人参加。",
        unit_label="区侨联",
    )
    dull = workflow.submit(
        actor=zxl.sw_worker,
        series_code="SJXX",
        unit=zxl.sw_unit,
        title="社区简讯",
        body="本周社区工作正常开展。",
    )
    workflow.review(actor=zxl.desk, submission_id=full.pk, action="accept")
    workflow.review(
        actor=zxl.desk,
        submission_id=short.pk,
        action="edit",
        body=short.body.replace("32人", "32 人"),
        note="规范数字空格",
    )
    workflow.review(actor=zxl.desk, submission_id=dull.pk, action="reject", note="内容空泛")
    issue = workflow.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 6, 16), number=46)
    workflow.compile_issue(actor=zxl.desk, issue_id=issue.pk)
    workflow.add_generated(
        actor=zxl.desk,
        issue_id=issue.pk,
        generator="case_figures",
        params={
            "place": zxl.street.code,
            "start": "2020-06-01",
            "end": "2020-06-15",
            "title": "中心路街道上半月城市管理问题处置情况",
        },
        unit_label="中心路街道",
    )
    return issue


def _docx_text(body: bytes) -> str:
    from docx import Document

    d = Document(io.BytesIO(body))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    parts += [p.text for p in d.sections[0].footer.paragraphs]
    return "\n".join(parts)


def test_review_keeps_the_units_text_and_refuses_bad_input(zxl, issue):
    short = Submission.objects.get(short=True)
    assert short.state == "used" and "32人" in short.body and "32 人" in short.final_body
    rejected = Submission.objects.get(state="rejected")
    assert rejected.review_note == "内容空泛"
    with pytest.raises(InvalidInput) as e:
        workflow.review(actor=zxl.desk, submission_id=rejected.pk, action="reject", note=" ")
    assert e.value.code == "bulletin_reason_required"
    with pytest.raises(Forbidden) as e:  # a community worker submits for its own unit only
        workflow.submit(
            actor=zxl.sw_worker, series_code="SJXX", unit=zxl.zx_unit, title="x", body="y"
        )
    assert e.value.code == "bulletin_not_your_unit"
    with pytest.raises(InvalidInput) as e:
        workflow.submit(actor=zxl.sw_worker, series_code="SJXX", unit=zxl.sw_unit, body="无标题")
    assert e.value.code == "bulletin_title_required"
    verbs = list(BulletinEvent.objects.filter(submission=short).values_list("verb", flat=True))
    assert verbs == ["submit", "edit", "place"]


def test_docx_and_pdf_read_back_with_the_generated_figures(zxl, issue):
    from pypdf import PdfReader

    doc = document.from_issue(issue)
    f = {
        r.group: r.figures
        for r in case_figures(
            zxl.desk, since=date(2020, 6, 1), until=date(2020, 6, 15), group_by="street"
        )
    }[zxl.street.code]
    generated = next(i for i in doc.items if i.generated)
    assert generated.figures["reported"] == f["reported"].value == 4
    assert generated.figures["closed"] == f["closed"].value == 3
    rate = f"{f['on_time_close_rate'].value * 100:.1f}%"
    assert rate in generated.body

    body, ctype, name = render.render(doc, "docx")
    assert name == "上街信息2020年第46期.docx" and "wordprocessingml" in ctype
    text = _docx_text(body)
    for expected in (
        "上街信息",
        "第 46 期",
        "中共上街区委办公室",
        "2020 年 6 月 16 日",
        "中心路街道招商“脚步不停歇”",
        "（中心路街道）",
        "△6月15日",
        "（区侨联）",
        "本期送：区县处级领导",
        "发：峡窝镇、各街道办事处",
        "责任编辑：高歌 金嵩尧",
        rate,
        "三湾街社区 | 3 | 3",
    ):
        assert expected in text, expected
    assert "社区简讯" not in text  # the rejected item is not printed
    from docx import Document

    d = Document(io.BytesIO(body))
    masthead = d.paragraphs[0]
    # The red name is a named style, its Chinese font on w:eastAsia (the office font).
    assert masthead.style.name == "刊名" and str(masthead.style.font.color.rgb) == render.RED
    assert 'w:eastAsia="方正小标宋简体"' in masthead.runs[0]._element.xml
    assert "PAGE" in d.sections[0].footer._element.xml  # page numbers
    assert any(s.tag.endswith("drawing") for s in d.element.body.iter())  # the chart

    pdf, ctype, _name = render.render(doc, "pdf")
    assert ctype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    for expected in (
        "上街信息",
        "第46期",
        "中共上街区委办公室",
        "2020年6月16日",
        "本期送：区县处级领导",
        "责任编辑：高歌金嵩尧",
        rate.replace(" ", ""),
        "招商引资项目27个",
    ):
        assert expected in text, expected
    gongwen.assert_pdf_fonts_embedded(pdf)  # fonts are embedded for the Chinese text
    gongwen.assert_pdf_page_numbers(pdf)  # "— 1 —" on every page


def test_closing_a_case_changes_the_next_generated_figure_until_publication(zxl, issue, at):
    from cityloop.cases import workflow as cases
    from cityloop.cases.models import Case

    before = next(i for i in document.from_issue(issue).items if i.generated).figures
    open_case = Case.objects.get(status="dispatched")
    at(datetime(2020, 6, 3, 10, 0, tzinfo=SH))
    cases.reply(actor=zxl.handler, case_id=open_case.pk, result="已清运")
    cases.verify(actor=zxl.verifier, case_id=open_case.pk, passed=True)
    after = next(i for i in document.from_issue(issue).items if i.generated).figures
    assert after["closed"] == before["closed"] + 1
    at(datetime(2020, 6, 16, 9, 0, tzinfo=SH))
    workflow.publish(actor=zxl.desk, issue_id=issue.pk)
    issue.refresh_from_db()
    frozen = next(i for i in document.from_issue(issue).items if i.generated)
    assert str(after["closed"]) in frozen.body
    # A case closed after publication no longer moves the published figure.
    from tests.assessment.conftest import SH as _SH  # noqa: F401

    at(datetime(2020, 6, 17, 9, 0, tzinfo=SH))
    with pytest.raises(InvalidTransition) as e:
        workflow.add_generated(actor=zxl.desk, issue_id=issue.pk, generator="board", params={})
    assert e.value.code == "bulletin_issue_published"
    assert next(i for i in document.from_issue(issue).items if i.generated).body == frozen.body


def test_finishing_a_task_changes_the_board_sentence(zxl, at):
    from cityloop.bulletins import generators
    from cityloop.supervision import workflow as sup
    from cityloop.supervision.models import LightPolicy, TaskCategory, TaskKind
    from cityloop.supervision.services import TaskInput, create_task, seed

    if not TaskKind.objects.exists():
        seed(TaskKind, TaskCategory)
    LightPolicy.objects.get_or_create(active=True, defaults={"name": "默认规则"})
    at(datetime(2020, 6, 1, 9, 0, tzinfo=SH))
    task = create_task(
        actor=zxl.desk,
        data=TaskInput(
            code="ZXL-1",
            title="创卫复审迎检",
            kind="key_work",
            category="old_compound_renovation",
            responsible_unit=zxl.cgb.code,
            supervising_unit=zxl.office.code,
            start=date(2020, 6, 1),
            deadline=date(2020, 6, 30),
            annual_goal="迎检",
        ),
    )
    at(datetime(2020, 6, 10, 9, 0, tzinfo=SH))
    g1 = generators.board_item({"unit": zxl.office.code}, date(2020, 6, 10))
    sup.complete(actor=zxl.desk, task_id=task.pk, done_on=date(2020, 6, 10))
    g2 = generators.board_item({"unit": zxl.office.code}, date(2020, 6, 10))
    done = lambda g: sum(v for k, v in g.figures["counts"].items() if k.startswith("done"))  # noqa: E731
    assert done(g2) == done(g1) + 1
    assert g1.body != g2.body


def test_bad_generator_and_format_are_refused(zxl, issue):
    with pytest.raises(InvalidInput) as e:
        workflow.add_generated(
            actor=zxl.desk, issue_id=issue.pk, generator="case_figures", params={"place": "nowhere"}
        )
    assert e.value.code == "bulletin_param_invalid"
    with pytest.raises(InvalidInput) as e:
        render.render(document.from_issue(issue), "odt")
    assert e.value.code == "bulletin_format_invalid"
    count = issue.items.count()
    with pytest.raises(InvalidInput):
        workflow.add_generated(actor=zxl.desk, issue_id=issue.pk, generator="nope", params={})
    assert issue.items.count() == count


def test_deployment_template(zxl, issue, tmp_path):
    from docx import Document

    t = Document()
    t.add_paragraph("{{刊名}}（{{期号}}）")
    t.add_paragraph("{{发文单位}} {{日期}}")
    t.add_paragraph("{{正文}}")
    t.add_paragraph("本刊地址：上街区")
    path = tmp_path / "t.docx"
    t.save(path)
    body = render.to_docx(document.from_issue(issue), template=path)
    text = _docx_text(body)
    assert "上街信息（第 46 期）" in text and "本刊地址：上街区" in text
    assert text.index("招商") < text.index("本刊地址")
