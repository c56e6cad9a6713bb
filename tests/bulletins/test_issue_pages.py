"""Bulletin pages without raw codes: the new-issue form proposes the next number of the
series and year; generated items are added through pickers (places, units, schemes and
their periods by name) and read back in Chinese; an out-of-scope choice writes nothing; the
remove button is readable."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from cityloop.assessment import workflow as assessment
from cityloop.bulletins import queries, services, workflow
from cityloop.bulletins.models import BulletinEvent, Issue, IssueItem
from tests.api.conftest import client_as  # noqa: F401

from ..assessment.conftest import SH

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "src/cityloop/web/static/web/bulletins.css"


@pytest.fixture
def series(zxl):
    return services.series_save(
        code="SJXX", title="上街信息", issuer=zxl.office, issuer_name="中共上街区委办公室"
    )


@pytest.fixture
def desk(client, zxl):
    client.force_login(zxl.desk)
    return client


@pytest.fixture
def computed(zxl, scheme, play, at):
    """创卫 ranked for June 2020: 三湾街社区 on time, 中心路社区 late."""
    for _ in range(3):
        play(zxl.sw)
    for _ in range(4):
        play(zxl.zx, late=True)
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    assessment.run_period(actor=zxl.desk, code="CW", key="2020-06")
    return zxl


@pytest.fixture
def draft(zxl, series, computed):
    return workflow.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 7, 2), number=1)


def _input_value(html: str, name: str) -> str:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert m, name
    return m.group(1)


def _placed(html: str) -> str:
    m = re.search(r'<ul class="placed">(.*?)</ul>', html, re.S)
    assert m
    return m.group(1)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_next_number_of_the_series_and_year_is_proposed(zxl, series, desk, at):
    for n in (46, 47):
        workflow.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 6, n - 40), number=n)
    assert queries.next_number(series, 2020) == 48
    assert queries.next_number(series, 2021) == 1
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    html = desk.get("/bulletins/").content.decode()
    form = html[html.index('id="new-issue"') :]
    form = form[: form.index("</section>")]
    assert _input_value(form, "number") == "48"
    assert _input_value(form, "date") == "2020-07-02"
    numbers = "{&quot;2020&quot;: 48}"  # the next number per year, for another date
    assert f'<option value="SJXX" data-numbers="{numbers}" selected>上街信息</option>' in form
    assert "SJXX" not in _text(form)  # the series is chosen by its title
    at(datetime(2021, 1, 4, 9, 0, tzinfo=SH))  # a new year starts at 1
    html = desk.get("/bulletins/").content.decode()
    assert _input_value(html[html.index('id="new-issue"') :], "number") == "1"


def test_an_issue_is_created_with_the_proposed_number_and_a_taken_one_refused(
    zxl, series, desk, at
):
    workflow.new_issue(actor=zxl.desk, series_code="SJXX", day=date(2020, 6, 16), number=47)
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    html = desk.get("/bulletins/").content.decode()
    number = _input_value(html[html.index('id="new-issue"') :], "number")
    r = desk.post(
        "/bulletins/",
        {"action": "new_issue", "series": "SJXX", "date": "2020-07-02", "number": number},
    )
    assert r.status_code == 302
    issue = Issue.objects.get(series=series, year=2020, number=48)
    assert issue.date == date(2020, 7, 2) and issue.state == "draft"
    # An empty number takes the next one, by the same rule.
    desk.post("/bulletins/", {"action": "new_issue", "series": "SJXX", "date": "2020-07-09"})
    assert Issue.objects.filter(series=series, year=2020, number=49).exists()
    count = Issue.objects.count()
    r = desk.post(
        "/bulletins/",
        {"action": "new_issue", "series": "SJXX", "date": "2020-07-10", "number": "47"},
    )
    assert r.status_code == 400
    assert "2020 年第 47 期已存在" in r.content.decode()
    assert _input_value(r.content.decode(), "number") == "47"  # the form keeps its values
    r = desk.post(
        "/bulletins/", {"action": "new_issue", "series": "SJXX", "date": "七月", "number": "1"}
    )
    assert r.status_code == 400 and "YYYY-MM-DD" in r.content.decode()
    assert Issue.objects.count() == count


def test_the_pickers_offer_names_from_the_users_scope(zxl, tree, draft, desk):
    html = desk.get(f"/bulletins/issues/{draft.pk}/").content.decode()
    add = html[html.index('id="add-generated"') :]
    assert '<option value="ranking">考核排名</option>' in add
    assert '<option value="board" selected>红黄蓝看板</option>' in add
    assert '<option value="case_figures">某地事件处置数据</option>' in add
    assert f'<option value="{zxl.street.code}" selected>中心路街道</option>' in add
    assert f'<option value="{zxl.sw.code}">三湾街社区</option>' in add
    assert tree.street_a.name not in add  # another street is not offered
    assert f'<option value="{zxl.cgb.code}">中心路街道城管办</option>' in add
    assert '<option value="CW" selected>创卫复审百分考核</option>' in add
    assert '<optgroup label="创卫复审百分考核" data-scheme="CW">' in add
    assert '<option value="2020-06">2020年6月</option>' in add
    assert 'type="date" name="case_figures__start" value="2020-07-01"' in add
    assert 'type="date" name="case_figures__end" value="2020-07-01"' in add
    for raw in ("地点编码", "单位编码"):
        assert raw not in add


def test_a_ranking_through_the_pickers_reads_back_in_chinese(zxl, draft, desk):
    r = desk.post(
        f"/bulletins/issues/{draft.pk}/",
        {
            "action": "generate",
            "generator": "ranking",
            "ranking__scheme": "CW",
            "ranking__period": "2020-06",
            "case_figures__place": zxl.street.code,  # another generator's picker: not taken
        },
    )
    assert r.status_code == 302
    assert r["Location"] == f"/bulletins/issues/{draft.pk}/?generator=ranking#add-generated"
    item = IssueItem.objects.get(issue=draft)
    assert (item.generator, item.params) == ("ranking", {"scheme": "CW", "period": "2020-06"})
    html = desk.get(r["Location"]).content.decode()
    assert '<option value="ranking" selected>考核排名</option>' in html  # the one just used
    placed = _text(_placed(html))
    assert "考核排名" in placed and "创卫复审百分考核" in placed and "2020年6月" in placed
    for raw in ("ranking", "CW", "2020-06"):
        assert raw not in placed
    assert "三湾街社区" in html  # the ranking itself, in the document


def test_case_figures_through_the_pickers_read_back_in_chinese(zxl, draft, desk):
    r = desk.post(
        f"/bulletins/issues/{draft.pk}/",
        {
            "action": "generate",
            "generator": "case_figures",
            "case_figures__place": zxl.street.code,
            "case_figures__start": "2020-06-01",
            "case_figures__end": "2020-06-30",
            "unit_label": "中心路街道",
        },
    )
    assert r.status_code == 302
    item = IssueItem.objects.get(issue=draft)
    assert item.params == {"place": zxl.street.code, "start": "2020-06-01", "end": "2020-06-30"}
    assert item.unit_label == "中心路街道"
    html = desk.get(f"/bulletins/issues/{draft.pk}/").content.decode()
    placed = _text(_placed(html))
    assert "某地事件处置数据" in placed and "中心路街道" in placed
    for raw in ("case_figures", zxl.street.code):
        assert raw not in placed
    # The document prints the live figures: 7 cases in June, all closed.
    assert "中心路街道事件处置情况" in html
    assert "问题 7 件，受理 7 件，办结 7 件" in html


def test_the_board_and_the_other_generators_show_their_chinese_names(zxl, draft, desk):
    posts = [
        {"generator": "board", "board__unit": zxl.office.code, "board__as_of": "2020-07-02"},
        {"generator": "supervision_summary", "supervision_summary__kind": "month"},
        {"generator": "submissions", "submissions__series": "SJXX"},
    ]
    for data in posts:
        r = desk.post(f"/bulletins/issues/{draft.pk}/", {"action": "generate", **data})
        assert r.status_code == 302, data
    assert list(IssueItem.objects.filter(issue=draft).values_list("generator", flat=True)) == [
        "board",
        "supervision_summary",
        "submissions",
    ]
    placed = _text(_placed(desk.get(f"/bulletins/issues/{draft.pk}/").content.decode()))
    assert "红黄蓝看板" in placed and "督查汇总（周督查、月调度、季通报）" in placed
    assert "各单位信息报送情况" in placed
    for raw in ("board", "supervision_summary", "submissions", "SJXX", zxl.office.code):
        assert raw not in placed


def test_an_out_of_scope_place_is_refused_and_nothing_written(zxl, tree, draft, desk):
    events = BulletinEvent.objects.count()
    r = desk.post(
        f"/bulletins/issues/{draft.pk}/",
        {
            "action": "generate",
            "generator": "case_figures",
            "case_figures__place": tree.street_a.code,  # 济源路街道: not the desk's
            "case_figures__start": "2020-06-01",
            "case_figures__end": "2020-06-30",
        },
    )
    assert r.status_code == 400
    assert "请从列表中选择地点。" in r.content.decode()
    assert IssueItem.objects.filter(issue=draft).count() == 0
    assert BulletinEvent.objects.count() == events
    # A period the scheme has not computed: said on the form, nothing written.
    r = desk.post(
        f"/bulletins/issues/{draft.pk}/",
        {
            "action": "generate",
            "generator": "ranking",
            "ranking__scheme": "CW",
            "ranking__period": "2019-01",
        },
    )
    assert r.status_code == 400
    assert "请选择考核方案及其已计算的周期。" in r.content.decode()
    assert '<option value="ranking" selected>' in r.content.decode()  # the choice is kept
    assert IssueItem.objects.filter(issue=draft).count() == 0
    assert BulletinEvent.objects.count() == events


def test_an_out_of_scope_unit_is_refused_on_the_page_and_over_the_api(
    zxl,
    tree,
    draft,
    desk,
    client_as,  # noqa: F811
):
    r = desk.post(
        f"/bulletins/issues/{draft.pk}/",
        {"action": "generate", "generator": "board", "board__unit": tree.office_a.code},
    )
    assert r.status_code == 400 and "请从列表中选择单位。" in r.content.decode()
    # The API adds through the same workflow step: the same refusal, the same code.
    api = client_as(zxl.desk)
    r = api.post(
        f"/bulletins/issues/{draft.pk}/generated",
        {"generator": "case_figures", "params": {"place": tree.street_a.code}},
    )
    assert (r.status_code, r.json()["code"]) == (422, "bulletin_param_invalid")
    assert r.json()["detail"] == {"param": "place"}
    assert IssueItem.objects.filter(issue=draft).count() == 0
    assert not BulletinEvent.objects.filter(verb="generate").exists()


def test_the_remove_button_is_readable_and_removes(zxl, draft, desk):
    workflow.add_generated(
        actor=zxl.desk,
        issue_id=draft.pk,
        generator="ranking",
        params={"scheme": "CW", "period": "2020-06"},
    )
    html = desk.get(f"/bulletins/issues/{draft.pk}/").content.decode()
    button = re.search(r'<button class="([^"]*)" name="action" value="remove">移除</button>', html)
    assert button and button.group(1) == "button button-danger button-small"
    css = CSS.read_text()
    rule = re.search(r"\.button-danger \{([^}]*)\}", css).group(1)
    assert "background: #fff" in rule and "color: var(--bad)" in rule
    assert 'href="/static/web/bulletins.css"' in html
    item = IssueItem.objects.get(issue=draft)
    r = desk.post(f"/bulletins/issues/{draft.pk}/", {"action": "remove", "item": item.pk})
    assert r.status_code == 302 and not IssueItem.objects.filter(issue=draft).exists()
