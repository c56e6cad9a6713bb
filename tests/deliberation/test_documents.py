"""A topic's 决议 and 结果公告 (issue 15.1): numbered once in the 发文登记 per issuing unit, kind
and year, refused before the count (and a 决议 for a vote that failed), issued and downloaded
by the organisers only, laid out by the shared 公文 engine — read back from the real .docx
and PDF (发文字号, title, page numbers, signature with the last lines, tables, fonts) — and
never printing a ballot: only the counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityloop.core.errors import Forbidden, InvalidTransition, NotFound
from cityloop.deliberation import documents, services, workflow
from cityloop.deliberation.models import TopicDocument, TopicEvent
from tests import gongwen

from .conftest import units_of

pytestmark = pytest.mark.django_db

REF = "济源路街道办事处〔2026〕{}号"
OWNER_WORDS = ["王建国", "李华", "赵敏", "孙丽", "周强", "1390000000", "101", "102", "201"]


def _count(desk, topic, against=("2号楼-1-102",)):
    units = units_of(topic)
    for i, (key, unit) in enumerate(sorted(units.items())):
        choice = "against" if key in against else "for"
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=unit.pk, choice=choice, ballot_no=str(i)
        )
    workflow.close_vote(actor=desk, topic_id=topic.pk)
    topic.refresh_from_db()
    return topic


@pytest.fixture
def passed(desk, topic_at_vote):
    """330 of 400 m² and 3 of 4 owners in favour: ≥ 3/4 of both, everyone voted."""
    return _count(desk, topic_at_vote)


@pytest.fixture
def meeting_topic(desk, tree, at_day):
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="06小区停车管理办法", rule="meeting"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="实行车位登记")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="讨论", attendance=9)
    workflow.open_vote(actor=desk, topic_id=topic.pk, question="是否同意停车管理办法？")
    workflow.close_vote(actor=desk, topic_id=topic.pk, attendees=30, votes_for=20, votes_against=6)
    topic.refresh_from_db()
    return topic


def test_numbers_run_per_issuer_kind_and_year_and_are_kept(desk, passed, meeting_topic):
    result = workflow.issue_document(actor=desk, topic_id=passed.pk, kind="result")
    assert (result.reference, result.issuer.name) == (REF.format(1), "济源路街道办事处")
    assert result.title == "关于06小区文化墙改造表决结果的公告"
    again = workflow.issue_document(actor=desk, topic_id=passed.pk, kind="result")
    assert again.pk == result.pk and TopicDocument.objects.count() == 1
    resolution = workflow.issue_document(actor=desk, topic_id=passed.pk, kind="resolution")
    assert resolution.reference == REF.format(1)  # its own kind: its own numbers
    other = workflow.issue_document(actor=desk, topic_id=meeting_topic.pk, kind="result")
    assert other.reference == REF.format(2)
    verbs = TopicEvent.objects.filter(topic=passed, verb="issue_document")
    assert [e.note for e in verbs.order_by("pk")] == [REF.format(1), REF.format(1)]


def test_a_deleted_topic_cannot_take_its_number_along(desk, passed):
    from django.db.models import ProtectedError

    workflow.issue_document(actor=desk, topic_id=passed.pk, kind="result")
    with pytest.raises(ProtectedError):
        passed.delete()


def test_refused_before_the_count_for_a_failed_vote_and_outside_the_organisers(
    desk, outsider, topic_at_vote, tree, make_account
):
    with pytest.raises(InvalidTransition) as exc:
        workflow.issue_document(actor=desk, topic_id=topic_at_vote.pk, kind="result")
    assert exc.value.code == "deliberation_document_before_count"
    failed = _count(desk, topic_at_vote, against=("2号楼-1-101", "2号楼-1-102"))
    with pytest.raises(InvalidTransition) as exc:
        workflow.issue_document(actor=desk, topic_id=failed.pk, kind="resolution")
    assert exc.value.code == "deliberation_resolution_not_passed"
    with pytest.raises(NotFound):
        workflow.issue_document(actor=outsider, topic_id=failed.pk, kind="result")
    steward = make_account("jyl-steward", roles=("red_steward",), place=tree.compound_a)
    with pytest.raises(Forbidden):
        workflow.issue_document(actor=steward, topic_id=failed.pk, kind="result")
    assert TopicDocument.objects.count() == 0
    # A failed vote still has its result announced.
    doc = workflow.issue_document(actor=desk, topic_id=failed.pk, kind="result")
    text = gongwen.compact(
        "".join(gongwen.page_text(p) for p in gongwen.pdf_pages(documents.to_pdf(doc)))
    )
    assert "表决事项未获通过" in text


def test_result_announcement_prints_the_counts_over_the_thresholds(desk, passed):
    doc = workflow.issue_document(actor=desk, topic_id=passed.pk, kind="result")
    data, pdf = documents.to_docx(doc), documents.to_pdf(doc)
    gongwen.save_sample("deliberation-result", pdf=pdf, docx=data)
    gongwen.assert_done_when(
        data,
        pdf,
        reference=REF.format(1),
        title=doc.title,
        closing="特此公告。",
        signature="济源路街道办事处2026年6月1日",
        names=["应参与表决", "参与表决：占业主总人数"],
    )
    d = gongwen.docx(data)
    counts, checks = d.tables[0], d.tables[1]
    assert [c.text for c in counts.rows[0].cells] == [
        "项目",
        "专有部分面积（平方米）",
        "业主人数（人）",
    ]
    assert [[c.text for c in r.cells] for r in counts.rows[1:]] == [
        ["应参与表决", "400", "4"],
        ["参与表决", "400", "4"],
        ["同意", "330", "3"],
        ["反对", "70", "1"],
        ["弃权", "0", "0"],
    ]
    assert [[c.text for c in r.cells] for r in checks.rows[1:]] == [
        ["参与表决：占专有部分总面积", "≥ 2/3", "100.00%", "达到"],
        ["参与表决：占业主总人数", "≥ 2/3", "100.00%", "达到"],
        ["同意：占参与表决专有部分面积", "≥ 3/4", "82.50%", "达到"],
        ["同意：占参与表决业主人数", "≥ 3/4", "75.00%", "达到"],
    ]
    text = gongwen.compact("".join(gongwen.page_text(p) for p in gongwen.pdf_pages(pdf)))
    assert "民法典》第二百七十八条规定的要求，表决事项获得通过。" in text
    assert "应参与表决的专有部分面积400平方米、业主4人" in text
    gongwen.assert_header_repeats(pdf, "项目 专有部分面积（平方米） 业主人数（人）", ["应参与表决"])
    # Secret ballots: no owner, phone or flat in either file.
    words = "".join(p.text for p in d.paragraphs) + "".join(
        c.text for t in d.tables for c in t._cells
    )
    for word in OWNER_WORDS:
        assert word not in words and word not in text, word


def test_resolution_of_a_passed_vote(desk, passed):
    workflow.publish_resolution(
        actor=desk,
        topic_id=passed.pk,
        resolution="同意建设“长城的守望”主题文化墙。\n由社区组织实施。",
    )
    doc = workflow.issue_document(actor=desk, topic_id=passed.pk, kind="resolution")
    extras = {"copy_number": "000007", "secrecy": "内部", "attachments": ("表决结果统计表",)}
    data, pdf = documents.to_docx(doc, **extras), documents.to_pdf(doc, **extras)
    gongwen.save_sample("deliberation-resolution", pdf=pdf, docx=data)
    gongwen.assert_done_when(
        data,
        pdf,
        reference=REF.format(1),
        title="关于06小区文化墙改造的决议",
        closing="特此决议。",
        signature="济源路街道办事处2026年6月1日",
        names=["应参与表决"],
    )
    texts = [p.text for p in gongwen.docx(data).paragraphs if p.text]
    assert texts[:2] == ["000007", "内部"]
    assert "同意建设“长城的守望”主题文化墙。" in texts and "由社区组织实施。" in texts
    assert texts.index("附件：表决结果统计表") == texts.index("特此决议。") + 1
    page = gongwen.page_of(pdf, "附件：表决结果统计表")
    assert page == gongwen.page_of(pdf, "特此决议。")


def test_meeting_vote_result(desk, meeting_topic):
    doc = workflow.issue_document(actor=desk, topic_id=meeting_topic.pk, kind="result")
    data, pdf = documents.to_docx(doc), documents.to_pdf(doc)
    gongwen.assert_done_when(
        data,
        pdf,
        reference=REF.format(1),
        title=doc.title,
        closing="特此公告。",
        signature="济源路街道办事处2026年6月1日",
    )
    text = gongwen.compact("".join(gongwen.page_text(p) for p in gongwen.pdf_pages(pdf)))
    assert "到会30人，同意20人，反对6人，弃权4人，同意人数占到会人数的66.67%。" in text


def test_the_organisers_issue_and_every_reader_in_scope_downloads(
    client, desk, outsider, passed, tree, make_account
):
    page = reverse("deliberation:topic", args=[passed.pk])
    issue = reverse("deliberation:document", args=[passed.pk, "result"])
    client.force_login(desk)
    assert issue in client.get(page).content.decode()
    assert client.get(issue, {"format": "docx"}).status_code == 404  # not issued yet
    assert client.post(issue).status_code == 302
    doc = TopicDocument.objects.get(topic=passed, kind="result")
    body = client.get(page).content.decode()
    assert doc.reference in body
    got = client.get(issue, {"format": "pdf", "copy_number": "12", "secrecy": "秘密★1年"})
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    first = gongwen.compact(gongwen.page_text(gongwen.pdf_pages(got.content)[0]))
    assert first.startswith("000012秘密★1年")
    from cityloop.bulletins.models import DocumentHash

    assert DocumentHash.objects.filter(kind="result", object_id=doc.pk, fmt="pdf").exists()
    # Bad input: a Chinese error on the page, no file.
    bad = client.get(issue, {"format": "docx", "secrecy": "一般"}, follow=True)
    assert "密级应为绝密、机密或秘密" in bad.content.decode()
    assert bad.redirect_chain and not DocumentHash.objects.filter(fmt="docx").exists()
    # Another street's desk: not found. Someone in scope who does not organise reads the
    # issued announcement (the register links it for every reader) but may not issue one.
    client.force_login(outsider)
    assert client.get(issue, {"format": "docx"}).status_code == 404
    steward = make_account("jyl-steward", roles=("red_steward",), place=tree.compound_a)
    client.force_login(steward)
    read = client.get(issue, {"format": "docx"})
    assert read.status_code == 200 and doc.reference in "".join(
        p.text for p in gongwen.docx(read.content).paragraphs
    )
    assert client.post(issue).status_code == 403
    resolution = reverse("deliberation:document", args=[passed.pk, "resolution"])
    assert client.get(resolution, {"format": "docx"}).status_code == 404  # not issued


def test_issued_documents_are_in_the_register(desk, passed):
    from cityloop.bulletins import queries

    doc = workflow.issue_document(actor=desk, topic_id=passed.pk, kind="result")
    rows = queries.register_rows(desk, queries.RegisterFilter(kind="result"))
    assert [(r.kind, r.pk, r.reference, r.title) for r in rows] == [
        ("result", doc.pk, REF.format(1), doc.title)
    ]
    assert rows[0].docx_url == reverse("deliberation:document", args=[passed.pk, "result"]) + (
        "?format=docx"
    )
    assert queries.register_rows(desk, queries.RegisterFilter(q="文化墙", kind="result"))
    assert not queries.register_rows(desk, queries.RegisterFilter(kind="resolution"))
