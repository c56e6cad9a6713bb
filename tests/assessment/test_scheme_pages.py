"""新建考核方案 from the pages: offered to who may draw up schemes, item rows read into the
workflow the API calls, the sum of weights and the rules checked there (refused in Chinese,
nothing written), 预览 in words and points without writing, 启用 and 修订."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cityloop.assessment import forms, rules
from cityloop.assessment.models import AssessmentEvent, Item, Scheme
from tests.api.conftest import client_as  # noqa: F401
from tests.web.crawl import leaks

pytestmark = pytest.mark.django_db

URL = "/assessment/new/"
ENDS = {"zero": 0.5, "full": 1.0}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(zxl, rows=None, **changes):
    data = {
        "name": "街道城市管理百分考核",
        "code": "KH-T1",
        "target_kind": "community",
        "period_kind": "month",
        "owner": zxl.office.pk,
        "place": "",
        "description": "",
        "action": "save",
    }
    rows = (
        rows
        if rows is not None
        else [
            {
                "name": "按期结案率",
                "weight": "60",
                "mode": "computed",
                "indicator": "on_time_close_rate",
                "rule": "linear",
                "zero": "50",
                "full": "100",
                "min_volume": "3",
            },
            {
                "name": "督查发现问题",
                "weight": "20",
                "mode": "computed",
                "indicator": "inspection_findings",
                "rule": "deduction",
                "per": "2",
                "free": "1",
                "floor": "0",
            },
            {"name": "实地检查", "weight": "20", "mode": "entered", "standard": "督查小组实地打分"},
            {"name": "", "weight": "", "mode": "computed", "rule": "thresholds"},  # left empty
        ]
    )
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"item-{i}-{k}"] = v
    data.update(changes)
    return data


def _chinese(page: str) -> None:
    words, _links = leaks(page, extra_allowed={"zxl", "desk"})  # the account's name
    assert words == [], words


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_button_and_the_form_are_for_who_may_define(zxl):
    page = _text(_client(zxl.desk).get("/assessment/"))
    assert f'href="{URL}"' in page and "新建考核方案" in page
    for who in (zxl.handler, zxl.sw_worker):  # 城管办 staff, a community worker: no assessors
        page = _text(_client(who).get("/assessment/"))
        assert URL not in page and "新建考核方案" not in page
        assert _client(who).get(URL).status_code == 403
        assert _client(who).post(URL, _post(zxl)).status_code == 403
    # One rule for the page and the workflow.
    assert rules.defines(zxl.desk) and rules.defines_for(zxl.desk, zxl.office)
    assert not rules.defines(zxl.handler)
    assert not rules.defines_for(zxl.outsider, zxl.office)
    assert Scheme.objects.count() == 0


def test_the_form_shows_rows_without_script_and_indicators_in_chinese(zxl, tree):
    r = _client(zxl.desk).get(URL)
    assert r.status_code == 200
    page = _text(r)
    for i in range(4):
        assert f'name="item-{i}-name"' in page and f'name="item-{i}-weight"' in page
    assert 'name="item-4-name"' not in page
    assert '<option value="on_time_close_rate" data-kind="rate">按期结案率（%）</option>' in page
    assert '<option value="inspection_findings" data-kind="count">督查发现问题数</option>' in page
    assert re.search(r'name="code" value="KH-\d{6}-[0-9A-F]{4}"', page)
    # The assessing unit: units the desk may define for, not another street's office.
    assert f'<option value="{zxl.office.pk}"' in page
    assert f'<option value="{tree.office_a.pk}"' not in page
    assert "合计" in page and "添加一行" in page and "预览" in page
    _chinese(page)


def test_a_scheme_drawn_up_on_the_page_reads_back_on_the_page_and_the_api(zxl, client_as):  # noqa: F811
    r = _client(zxl.desk).post(URL, _post(zxl), follow=True)
    assert r.redirect_chain == [("/assessment/", 302)]
    page = _text(r)
    assert "考核方案“街道城市管理百分考核”已保存为草稿，确认无误后请启用。" in page
    assert "按期结案率：50% 得 0 分，100% 得满分 60 分，其间按比例计分" in page
    assert "督查发现问题数：满分 20 分，超过 1 次后每次扣 2 分，最低 0 分" in page
    assert "考核人员录入：督查小组实地打分" in page
    scheme = Scheme.objects.get()
    assert (scheme.code, scheme.version, scheme.state, scheme.owner) == (
        "KH-T1",
        1,
        "draft",
        zxl.office,
    )
    assert scheme.place == zxl.street  # the assessing unit's area by default
    items = list(scheme.items.values_list("code", "name", "weight", "mode", "indicator", "rule"))
    assert [(c, n, int(w), m, ind, rule) for c, n, w, m, ind, rule in items] == [
        (
            "item1",
            "按期结案率",
            60,
            "computed",
            "on_time_close_rate",
            {"kind": "linear", "zero": 0.5, "full": 1.0},
        ),
        (
            "item2",
            "督查发现问题",
            20,
            "computed",
            "inspection_findings",
            {"kind": "deduction", "per": 2.0, "free": 1.0, "floor": 0.0},
        ),
        ("item3", "实地检查", 20, "entered", "", {}),
    ]
    assert scheme.items.get(code="item1").min_volume == 3
    assert scheme.items.get(code="item3").standard == "督查小组实地打分"
    assert list(AssessmentEvent.objects.values_list("verb", "actor")) == [("define", zxl.desk.pk)]
    api = client_as(zxl.desk).get("/assessments/schemes").json()
    assert [(s["code"], s["version"], s["state"]) for s in api] == [("KH-T1", 1, "draft")]
    first = api[0]["items"][0]
    assert (first["code"], first["weight"], first["rule"]) == (
        "item1",
        "60.00",
        {"kind": "linear", "zero": 0.5, "full": 1.0},
    )


def test_weights_adding_up_to_95_are_refused_and_nothing_is_written(zxl):
    data = _post(zxl)
    data["item-2-weight"] = "15"
    r = _client(zxl.desk).post(URL, data)
    assert r.status_code == 400
    page = _text(r)
    assert "各项分值合计 95 分，须合计为 100 分。" in page
    # The rows come back as typed, with the sum the page shows.
    assert 'name="item-2-weight" id="item-2-weight" value="15"' in page
    assert '<strong id="weight-sum">95</strong> / 100' in page
    assert Scheme.objects.count() == 0 and Item.objects.count() == 0
    assert AssessmentEvent.objects.count() == 0


def test_a_linear_rule_with_equal_end_points_is_refused(zxl):
    data = _post(zxl)
    data["item-0-zero"] = "80"
    data["item-0-full"] = "80"
    r = _client(zxl.desk).post(URL, data)
    assert r.status_code == 400
    assert "按比例计分规则需要两个不同的端点。" in _text(r)
    assert Scheme.objects.count() == 0 and Item.objects.count() == 0


def test_a_share_over_100_and_a_word_for_a_number_are_refused(zxl):
    rows = [
        {
            "name": "群众满意率",
            "weight": "100",
            "mode": "computed",
            "indicator": "satisfaction_rate",
            "rule": "thresholds",
            "t1_bound": "九十五",
            "t1_share": "120",
        }
    ]
    r = _client(zxl.desk).post(URL, _post(zxl, rows))
    assert r.status_code == 400
    page = _text(r)
    assert "“第 1 档：界值”须为数字。" in page
    assert "得分比例须在 0 到 100（%）之间。" in page
    assert Scheme.objects.count() == 0


def test_a_weight_with_three_decimals_is_refused(zxl):
    data = _post(zxl)
    data["item-0-weight"], data["item-1-weight"] = "59.995", "20.005"
    r = _client(zxl.desk).post(URL, data)
    assert r.status_code == 400 and "分值最多保留两位小数。" in _text(r)
    assert Scheme.objects.count() == 0


def test_preview_describes_each_rule_and_scores_the_sample_without_writing(zxl):
    data = _post(zxl, action="preview")
    data["item-0-sample"] = "80"  # 60 × (0.80 − 0.50) ÷ (1.00 − 0.50) = 36
    data["item-1-sample"] = "4"  # 20 − 2 × (4 − 1) = 14
    r = _client(zxl.desk).post(URL, data)
    assert r.status_code == 200
    page = _text(r)
    assert "计分方式：50% 得 0 分，100% 得满分 60 分，其间按比例计分" in page
    assert "示例值 80% 时得 36.00 分" in page
    assert "计分方式：满分 20 分，超过 1 次后每次扣 2 分，最低 0 分" in page
    assert "示例值 4 时得 14.00 分" in page
    assert page.count("data-preview") == 2  # the entered item has no rule to preview
    _chinese(page)
    assert Scheme.objects.count() == 0 and AssessmentEvent.objects.count() == 0


def test_preview_of_thresholds(zxl):
    rows = [
        {
            "name": "群众满意率",
            "weight": "100",
            "mode": "computed",
            "indicator": "satisfaction_rate",
            "rule": "thresholds",
            "t1_bound": "95",
            "t1_share": "100",
            "t2_bound": "80",
            "t2_share": "60",
            "else_share": "10",
            "sample": "85",  # below 95%, at least 80%: 60% of 100 = 60
        }
    ]
    r = _client(zxl.desk).post(URL, _post(zxl, rows, action="preview"))
    page = _text(r)
    assert "计分方式：≥ 95%：100 分；≥ 80%：60 分；其余 10 分" in page
    assert "示例值 85% 时得 60.00 分" in page
    assert Scheme.objects.count() == 0


def test_lower_is_better_thresholds_are_kept_and_come_back_for_revision(zxl):
    rows = [
        {
            "name": "重复交办率",
            "weight": "100",
            "mode": "computed",
            "indicator": "reopen_rate",
            "rule": "thresholds",
            "direction": "max",
            "t1_bound": "5",
            "t1_share": "100",
            "t2_bound": "10",
            "t2_share": "60",
            "sample": "8",  # above 5%, at most 10%: 60% of 100 = 60
        }
    ]
    page = _text(_client(zxl.desk).post(URL, _post(zxl, rows, action="preview")))
    assert "计分方式：≤ 5%：100 分；≤ 10%：60 分；其余 0 分" in page
    assert "示例值 8% 时得 60.00 分" in page
    desk = _client(zxl.desk)
    assert desk.post(URL, _post(zxl, rows)).status_code == 302
    scheme = Scheme.objects.get()
    assert scheme.items.get().rule == {
        "kind": "thresholds",
        "steps": [{"max": 0.05, "share": 1.0}, {"max": 0.1, "share": 0.6}],
        "else": 0,
    }
    desk.post("/assessment/schemes/KH-T1/1/activate/")
    page = _text(desk.get("/assessment/schemes/KH-T1/revise/"))
    assert '<option value="max" selected>' in page
    assert 'name="item-0-t2_bound" id="item-0-t2_bound" value="10"' in page


def test_a_new_row_takes_a_code_no_kept_item_has(db):
    post = {
        "item-0-name": "甲",
        "item-0-code": "item1",
        "item-0-weight": "50",
        "item-0-mode": "entered",
        "item-1-name": "",  # emptied: skipped
        "item-1-code": "item2",
        "item-2-name": "乙",
        "item-2-weight": "30",
        "item-2-mode": "entered",
        "item-3-name": "丙",
        "item-3-code": "item3",
        "item-3-weight": "20",
        "item-3-mode": "entered",
    }
    items = forms.read_items(forms.read_rows(post))
    assert [(i.code, i.name) for i in items] == [("item1", "甲"), ("item2", "乙"), ("item3", "丙")]
    post["item-1-name"], post["item-1-weight"], post["item-1-mode"] = "丁", "10", "entered"
    items = forms.read_items(forms.read_rows(post))
    assert [i.code for i in items] == ["item1", "item2", "item4", "item3"]


def test_a_draft_is_put_in_force_from_the_index(zxl):
    desk = _client(zxl.desk)
    desk.post(URL, _post(zxl))
    action = "/assessment/schemes/KH-T1/1/activate/"
    page = _text(desk.get("/assessment/"))
    assert f'action="{action}"' in page and "启用</button>" in page
    # A community worker sees the scheme of its street but is no assessor: no button, refused.
    other = _client(zxl.sw_worker)
    assert action not in _text(other.get("/assessment/"))
    r = other.post(action, follow=True)
    assert "只有该方案的考核人员可以进行此操作。" in _text(r)
    assert Scheme.objects.get().state == "draft"
    r = desk.post(action, follow=True)
    assert r.redirect_chain == [("/assessment/", 302)]
    page = _text(r)
    assert "该方案版本已启用。" in page
    assert Scheme.objects.get().state == "active"
    assert action not in page and 'href="/assessment/schemes/KH-T1/revise/"' in page
    _chinese(page)
    assert list(AssessmentEvent.objects.values_list("verb", flat=True).order_by("pk")) == [
        "define",
        "activate",
    ]


def test_revising_an_active_scheme_makes_a_new_draft_version(zxl, scheme):
    desk = _client(zxl.desk)
    url = "/assessment/schemes/CW/revise/"
    r = desk.get(url)
    assert r.status_code == 200
    page = _text(r)
    # Pre-filled from version 1: rates back in per cent, shares in per cent of the weight.
    assert 'name="item-0-name" id="item-0-name" value="按期结案率"' in page
    assert 'name="item-0-zero" id="item-0-zero" value="50"' in page
    assert 'name="item-0-full" id="item-0-full" value="100"' in page
    assert 'name="item-1-t1_bound" id="item-1-t1_bound" value="95"' in page
    assert 'name="item-1-t2_share" id="item-1-t2_share" value="50"' in page
    assert 'name="item-2-per" id="item-2-per" value="2"' in page
    assert '<strong id="weight-sum">100</strong> / 100' in page
    _chinese(page)
    data = {
        k: v
        for k, v in (
            (m.group(1), m.group(2))
            for m in re.finditer(r'name="(item-\d+-\w+)" id="[^"]*" value="([^"]*)"', page)
        )
    }
    for i, item in enumerate(scheme.items.all()):
        data[f"item-{i}-mode"] = item.mode
        data[f"item-{i}-indicator"] = item.indicator
        data[f"item-{i}-rule"] = item.rule.get("kind", "thresholds")
        data[f"item-{i}-code"] = item.code
        data[f"item-{i}-standard"] = item.standard
    data["item-0-weight"], data["item-3-weight"] = "50", "10"
    data.update({"note": "提高按期结案分值", "action": "save"})
    r = desk.post(url, data, follow=True)
    assert r.redirect_chain == [("/assessment/", 302)]
    assert "“创卫复审百分考核”第 2 版已保存为草稿。" in _text(r)
    v2 = Scheme.objects.get(code="CW", version=2)
    assert v2.state == "draft"
    assert [(i.code, int(i.weight), i.mode, i.indicator, i.rule) for i in v2.items.all()] == [
        ("ontime", 50, "computed", "on_time_close_rate", {"kind": "linear", **ENDS}),
        (
            "satisfied",
            20,
            "computed",
            "satisfaction_rate",
            {
                "kind": "thresholds",
                "steps": [{"min": 0.95, "share": 1.0}, {"min": 0.8, "share": 0.5}],
                "else": 0,
            },
        ),
        (
            "findings",
            20,
            "computed",
            "inspection_findings",
            {"kind": "deduction", "per": 2.0, "free": 0, "floor": 0},
        ),
        ("appearance", 10, "entered", "", {}),
    ]
    assert v2.items.get(code="ontime").min_volume == 3
    assert AssessmentEvent.objects.filter(verb="revise", note="提高按期结案分值").count() == 1
    # A revision whose weights do not add up writes no version.
    data["item-0-weight"] = "40"
    r = desk.post(url, data)
    assert r.status_code == 400 and "各项分值合计 90 分，须合计为 100 分。" in _text(r)
    assert Scheme.objects.filter(code="CW").count() == 2
    # Who may not assess it is refused the page.
    assert _client(zxl.sw_worker).get(url).status_code == 403
    assert _client(zxl.outsider).get(url).status_code == 404
    assert _client(zxl.handler).get(url).status_code == 404  # 城管办: not its work
