"""The households page's import template and its refused-upload report, and the .xlsx
exports of the households list, of a vote's tally and of its roll (who voted, never what
they chose), each on its page's own URL and only for those who may see the page."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from cityloop.deliberation import services, workflow
from cityloop.deliberation.models import Household, Owner
from tests.deliberation.conftest import FIVE_UNITS, units_of
from tests.xlsx import xlsx_rows

pytestmark = pytest.mark.django_db

HEADERS = ["楼栋", "单元", "房号", "面积", "业主", "业主标识", "电话", "可投票", "备注"]
PHONE = re.compile(r"1\d{10}")


@pytest.fixture
def staff(client, desk):
    client.force_login(desk)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _cells(rows) -> list[str]:
    return [str(c) for row in rows for c in row if c is not None]


def test_the_template_has_the_import_headers_and_its_example_imports(staff, desk, tree, tmp_path):
    page = staff.get(f"/deliberation/households/{tree.compound_a.pk}/").content.decode()
    assert "下载模板" in page and 'href="/deliberation/households/template/"' in page
    rows = xlsx_rows(staff.get("/deliberation/households/template/"))
    assert rows[0] == HEADERS
    assert rows[1][:7] == [
        "1号楼",
        "1",
        "101",
        "98.50",
        "王建国、李华",
        "W1、L1",
        "13900000001、13900000002",
    ]
    assert len(rows) == 2  # the header and one example row
    path = tmp_path / "template.xlsx"
    path.write_bytes(_body(staff.get("/deliberation/households/template/")))
    report = services.households_import(actor=desk, compound=tree.compound_a, path=path)
    assert report.ok, report.as_dict()
    unit = Household.objects.get()
    assert (unit.label, str(unit.area)) == ("1号楼-1单元-101", "98.50")
    assert sorted(o.name for o in unit.owners.all()) == ["李华", "王建国"]


def test_a_refused_upload_lists_each_bad_row_and_writes_nothing(staff, tree):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["1号楼", "1", "101", "100", "王建国", "W1", "13900000001", "是", ""])
    sheet.append(["1号楼", "1", "102", "-5", "钱多多", "Q1", "13900000002", "是", ""])  # line 3
    sheet.append(["1号楼", "1", "103", "80", "孙丽", "S1", "13900000003", "是", ""])
    sheet.append(["1号楼", "1", "104", "70", "周强", "Z1", "12345", "是", ""])  # line 5
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "households.xlsx"
    r = staff.post(f"/deliberation/households/{tree.compound_a.pk}/", {"file": data})
    assert r.status_code == 400
    text = r.content.decode()
    report = text[text.index("data-import-errors") : text.index("</table>")]
    assert '<th scope="col">行号</th>' in report and '<th scope="col">列</th>' in report
    assert '<th scope="col">问题</th>' in report
    assert sorted(set(re.findall(r'data-error-line="(\d+)"', report))) == ["3", "5"]
    assert "未导入任何数据" in report
    assert Household.objects.count() == 0 and Owner.objects.count() == 0


def test_the_households_export_has_the_page_rows_with_masked_phones(staff, tree, register):
    register(FIVE_UNITS)
    url = f"/deliberation/households/{tree.compound_a.pk}/"
    page = staff.get(url).content.decode()
    assert "导出 Excel" in page and "format=xlsx" in page
    shown = re.findall(r'<tr data-household="\d+"><td>([^<]+)</td>', page)
    rows = xlsx_rows(staff.get(url, {"format": "xlsx"}))
    header, body = rows[0], rows[1:]
    assert header == ["房屋", "专有部分面积（平方米）", "业主", "电话", "有表决权", "备注"]
    assert [r[0] for r in body] == shown and len(shown) == 5
    shared = next(r for r in body if r[0] == "1号楼-2单元-201")
    assert shared[1:5] == [80, "李华、赵敏", "139****0002、139****0003", "是"]
    assert not any(PHONE.search(c) for c in _cells(rows))
    assert all(re.fullmatch(r"(139\*{4}\d{4}、?)+", r[3]) for r in body)


def test_the_tally_and_roll_exports_are_the_page_rows_without_any_choice_while_open(
    staff, desk, topic_at_vote
):
    topic = topic_at_vote
    units = units_of(topic)
    for no, key, choice, name in (
        ("B1", "1号楼-1-101", "for", "王建国"),
        ("B2", "1号楼-2-201", "against", "李华"),
        ("B3", "2号楼-1-101", "abstain", "孙丽"),
    ):
        workflow.ballot_paper(
            actor=desk,
            topic_id=topic.pk,
            household_id=units[key].pk,
            choice=choice,
            ballot_no=no,
            voter_name=name,
        )
    url = f"/deliberation/topics/{topic.pk}/"
    page = staff.get(url).content.decode()
    assert "part=roll" in page and "part=tally" not in page  # sealed: no count while open
    assert "data-sealed" in page and "data-choice-totals" not in page
    r = staff.get(url, {"format": "xlsx", "part": "tally"}, follow=True)
    assert r.redirect_chain and "计票结果和各户选择在表决结束前保密" in r.content.decode()

    roll_page = re.findall(r'<tr data-roll="\d+"><td>([^<]+)</td>', page)
    roll = xlsx_rows(staff.get(url, {"format": "xlsx", "part": "roll"}))
    header, body = roll[0], roll[1:-1]
    assert roll[-1] == ["表决范围：06小区"]  # the last row says over whom the vote is taken
    assert header == ["房屋", "专有部分面积（平方米）", "业主", "表决渠道", "表决时间", "签署人"]
    assert "表决意见" not in header
    assert [r[0] for r in body] == roll_page and len(body) == 5
    by_unit = {r[0]: r for r in body}
    assert by_unit["1号楼-2单元-201"][2:4] == ["李华、赵敏", "纸质表决票"]
    assert by_unit["1号楼-2单元-201"][5] == "李华"
    assert by_unit["2号楼-1单元-102"][3:] == [None, None, None]  # on the roll, not voted
    cells = _cells(body)
    assert not {"同意", "反对", "弃权", "for", "against", "abstain"} & set(cells)

    # Closed: the tally is the page's rows; the organiser's roll now has each unit's choice.
    workflow.close_vote(actor=desk, topic_id=topic.pk)
    page = staff.get(url).content.decode()
    assert "part=tally" in page
    shown = re.findall(
        r'<tr data-choice="(\w+)"><th scope="row">([^<]+)</th>'
        r'<td class="num" data-area>([^<]+)</td><td class="num" data-heads>([^<]+)</td>',
        page,
    )
    assert [s[0] for s in shown] == ["for", "against", "abstain"]
    tally = xlsx_rows(staff.get(url, {"format": "xlsx", "part": "tally"}))
    assert tally[0] == ["表决意见", "专有部分面积（平方米）", "业主人数"]
    assert tally[1:-1] == [[label, float(area), float(heads)] for _k, label, area, heads in shown]
    assert tally[1:] == [["同意", 100, 1], ["反对", 80, 1], ["弃权", 90, 1], ["表决范围：06小区"]]
    roll = xlsx_rows(staff.get(url, {"format": "xlsx", "part": "roll"}))
    assert roll[0][-1] == "表决意见"
    by_unit = {r[0]: r for r in roll[1:-1]}
    assert by_unit["1号楼-2单元-201"][-1] == "反对"
    assert by_unit["2号楼-1单元-102"][-1] is None  # did not vote


def test_a_meeting_tally_exports_its_votes(staff, desk, tree, at_day):
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="楼道照明", rule="meeting"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="更换楼道灯")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=9)
    workflow.open_vote(actor=desk, topic_id=topic.pk, question="是否更换？")
    workflow.close_vote(actor=desk, topic_id=topic.pk, attendees=10, votes_for=6, votes_against=3)
    url = f"/deliberation/topics/{topic.pk}/"
    page = staff.get(url).content.decode()
    assert re.findall(
        r'<tr data-choice="(\w+)"><th scope="row">[^<]+</th><td class="num">(\d+)', page
    ) == [
        ("for", "6"),
        ("against", "3"),
        ("abstain", "1"),
    ]
    rows = xlsx_rows(staff.get(url, {"format": "xlsx", "part": "tally"}))
    assert rows == [
        ["表决意见", "票数"],
        ["同意", 6],
        ["反对", 3],
        ["弃权", 1],
        ["表决范围：06小区"],
    ]


def test_an_outsider_gets_404_for_every_export(client, outsider, tree, topic_at_vote):
    client.force_login(outsider)
    households = f"/deliberation/households/{tree.compound_a.pk}/"
    assert client.get(households, {"format": "xlsx"}).status_code == 404
    topic = f"/deliberation/topics/{topic_at_vote.pk}/"
    assert client.get(topic, {"format": "xlsx", "part": "tally"}).status_code == 404
    assert client.get(topic, {"format": "xlsx", "part": "roll"}).status_code == 404
