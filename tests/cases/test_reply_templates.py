"""回复模板: a unit's ready-made texts for replies and return visits — the page that keeps
them (list, create, edit, retire), who may touch them, and the select on the reply and the
return-visit forms that fills the text area (server-side with ``?template=<id>``)."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from cityloop.cases import queries, rules, services, workflow
from cityloop.cases.models import Category, ReplyTemplate
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.models import Event

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def offered(html: str) -> list[str]:
    """The headings in the "insert a template" select, in order."""
    box = re.search(r'<form method="get"[^>]*data-template-pick.*?</form>', html, re.S)
    if box is None:
        return []
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', box.group(0))


def textarea(html: str, name: str) -> str:
    m = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert m is not None, f"no textarea {name}"
    return htmllib.unescape(m.group(1)).strip()


def make(actor, unit, title, text="已处理完毕。", **kw) -> ReplyTemplate:
    return services.reply_template_save(actor=actor, unit=unit, title=title, text=text, **kw)


@pytest.fixture
def dispatched(cast, new_case):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    return workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)


@pytest.fixture
def other_category(category):
    return Category.objects.create(
        code="T-S0102", name="占道经营(测试)", parent=category.parent, kind="event"
    )


# --- the page -----------------------------------------------------------------------------------


def test_create_edit_and_retire_through_the_page(client, cast, category):
    login(client, cast.handler)
    url = reverse("cases:reply_templates")
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "unit": cast.cgb.pk,
            "used_for": "reply",
            "category": category.pk,
            "title": "堆物已清理",
            "text": "您反映的{地点}{类别}问题（{编号}）已清理。",
            "sort": "1",
        },
    )
    assert response.status_code == 302
    t = ReplyTemplate.objects.get()
    assert (t.unit, t.category, t.title, t.used_for, t.sort, t.active) == (
        cast.cgb,
        category,
        "堆物已清理",
        "reply",
        1,
        True,
    )
    page = client.get(url).content.decode()
    assert f'data-template="{t.pk}"' in page and "堆物已清理" in page

    edit = reverse("cases:reply_template", args=[t.pk])
    form = client.get(edit).content.decode()
    assert "您反映的{地点}{类别}问题（{编号}）已清理。" in htmllib.unescape(form)
    response = client.post(
        edit,
        {"unit": cast.cgb.pk, "used_for": "reply", "title": "堆物清理完毕", "text": "已清理。"},
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert (t.title, t.text, t.category) == ("堆物清理完毕", "已清理。", None)

    response = client.post(reverse("cases:reply_template_retire", args=[t.pk]))
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.active is False
    page = client.get(url).content.decode()
    assert 'data-templates="retired"' in page and f'data-restore="{t.pk}"' in page

    response = client.post(reverse("cases:reply_template_restore", args=[t.pk]))
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.active is True
    verbs = list(
        Event.objects.filter(object_id=str(t.pk), verb__startswith="reply_template")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "reply_template_created",
        "reply_template_updated",
        "reply_template_retired",
        "reply_template_restored",
    ]


def test_the_parent_units_staff_may_edit_an_offices_templates(client, cast):
    t = make(cast.handler, cast.cgb, "通用答复")
    login(client, cast.desk)  # street office staff; 城管办 is under the street office
    response = client.post(
        reverse("cases:reply_template", args=[t.pk]),
        {"unit": cast.cgb.pk, "used_for": "reply", "title": "通用答复", "text": "改过的文字"},
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.text == "改过的文字"


def test_another_streets_staff_gets_404_and_changes_nothing(client, cast):
    t = make(cast.handler, cast.cgb, "通用答复")
    events = Event.objects.count()
    login(client, cast.outsider)
    edit = reverse("cases:reply_template", args=[t.pk])
    assert client.get(edit).status_code == 404
    data = {"unit": cast.cgb.pk, "used_for": "reply", "title": "改名", "text": "改过"}
    assert client.post(edit, data).status_code == 404
    assert client.post(reverse("cases:reply_template_retire", args=[t.pk])).status_code == 404
    assert client.post(reverse("cases:reply_template_restore", args=[t.pk])).status_code == 404
    # Not in the list either, and cannot be created for the other street's unit.
    page = client.get(reverse("cases:reply_templates")).content.decode()
    assert f'data-template="{t.pk}"' not in page
    response = client.post(reverse("cases:reply_templates"), {**data, "title": "新模板"})
    assert response.status_code == 400
    t.refresh_from_db()
    assert (t.title, t.text, t.active) == ("通用答复", "已处理完毕。", True)
    assert ReplyTemplate.objects.count() == 1
    assert Event.objects.count() == events


def test_a_refused_save_says_why_in_chinese_and_writes_nothing(client, cast):
    login(client, cast.handler)
    url = reverse("cases:reply_templates")
    events = Event.objects.count()
    response = client.post(
        url, {"unit": cast.cgb.pk, "used_for": "reply", "title": "空模板", "text": "  "}
    )
    assert response.status_code == 400
    assert "请填写模板的正文。" in response.content.decode()
    assert ReplyTemplate.objects.count() == 0
    assert Event.objects.count() == events

    make(cast.handler, cast.cgb, "通用答复")
    events = Event.objects.count()
    response = client.post(
        url, {"unit": cast.cgb.pk, "used_for": "reply", "title": "通用答复", "text": "别的"}
    )
    assert response.status_code == 400
    assert "城管办已有名为通用答复的模板。" in response.content.decode()
    assert ReplyTemplate.objects.count() == 1
    assert Event.objects.count() == events


def test_the_service_refuses_what_the_form_would_let_through(cast, tree):
    events = Event.objects.count()
    with pytest.raises(InvalidInput) as empty:
        make(cast.handler, cast.cgb, "空模板", text="   ")
    assert empty.value.code == "reply_template_text_required"
    with pytest.raises(InvalidInput) as untitled:
        make(cast.handler, cast.cgb, " ")
    assert untitled.value.code == "reply_template_title_required"
    with pytest.raises(NotFound):
        make(cast.outsider, cast.cgb, "别人的单位")
    with pytest.raises(NotFound):
        make(cast.handler, tree.office_a, "上级单位的")  # an office does not keep its parent's
    assert ReplyTemplate.objects.count() == 0
    assert Event.objects.count() == events


def test_a_refused_edit_writes_nothing(client, cast):
    t = make(cast.handler, cast.cgb, "通用答复")
    events = Event.objects.count()
    login(client, cast.handler)
    response = client.post(
        reverse("cases:reply_template", args=[t.pk]),
        {"unit": cast.cgb.pk, "used_for": "reply", "title": "", "text": "新的文字"},
    )
    assert response.status_code == 400
    assert "请填写模板的标题。" in response.content.decode()
    t.refresh_from_db()
    assert (t.title, t.text) == ("通用答复", "已处理完毕。")
    assert Event.objects.count() == events


def test_workbench_links_the_page_for_template_keepers_only(client, cast):
    login(client, cast.handler)
    page = client.get(reverse("cases:workbench")).content.decode()
    assert 'data-link="reply-templates"' in page
    login(client, cast.resident)
    page = client.get(reverse("cases:workbench")).content.decode()
    assert 'data-link="reply-templates"' not in page
    assert client.get(reverse("cases:reply_templates")).status_code == 404


# --- on the case page ---------------------------------------------------------------------------


def test_reply_form_offers_only_the_matching_templates(
    client, cast, category, other_category, dispatched, tree
):
    h = cast.handler
    make(h, cast.cgb, "小类模板", category=category, sort=1)
    make(h, cast.cgb, "大类模板", category=category.parent, sort=2)
    make(h, cast.cgb, "通用模板", sort=3)
    make(h, cast.cgb, "别的小类", category=other_category)
    make(h, cast.cgb, "回访用", used_for="return_visit")
    retired = make(h, cast.cgb, "已停用")
    services.reply_template_retire(actor=h, template_id=retired.pk)
    make(cast.desk, tree.office_a, "街道办的")  # not the responsible unit
    make(cast.outsider, tree.office_b, "别的街道")

    login(client, h)
    response = client.get(reverse("cases:action", args=[dispatched.pk, "reply"]))
    assert response.status_code == 200
    assert offered(response.content.decode()) == ["小类模板", "大类模板", "通用模板"]


def test_template_parameter_prefills_the_reply_with_the_case_filled_in(
    client, cast, category, dispatched, tree
):
    t = make(cast.handler, cast.cgb, "堆物已清理", text="{编号}：{地点}的{类别}已清理。{其他}")
    theirs = make(cast.outsider, tree.office_b, "别的街道", text="不该出现")
    login(client, cast.handler)
    url = reverse("cases:action", args=[dispatched.pk, "reply"])
    html = client.get(url, {"template": t.pk}).content.decode()
    expected = f"{dispatched.code}：{dispatched.place.name}的{category.name}已清理。{{其他}}"
    assert textarea(html, "result") == expected
    assert f'value="{t.pk}" data-text="{htmllib.escape(expected)}" selected' in html
    # Another unit's template is not taken.
    assert textarea(client.get(url, {"template": theirs.pk}).content.decode(), "result") == ""
    # The pre-filled text goes through the ordinary reply.
    response = client.post(url, {"result": expected})
    assert response.status_code == 302
    dispatched.refresh_from_db()
    assert (dispatched.status, dispatched.result) == ("replied", expected)


def test_return_visit_form_uses_the_desks_templates(client, cast, dispatched, tree):
    workflow.reply(actor=cast.handler, case_id=dispatched.pk, result="已清理完毕")
    case = workflow.verify(actor=cast.verifier, case_id=dispatched.pk, passed=True)
    assert case.dispatcher_unit == tree.office_a
    mine = make(
        cast.desk, tree.office_a, "回访满意", text="{编号}回访：居民满意。", used_for="return_visit"
    )
    make(cast.desk, tree.office_a, "答复用")  # a reply template of the same unit
    make(cast.handler, cast.cgb, "城管办回访", used_for="return_visit")  # not the desk's unit
    login(client, cast.desk)
    url = reverse("cases:action", args=[case.pk, "return_visit"])
    html = client.get(url, {"template": mine.pk}).content.decode()
    assert offered(html) == ["回访满意"]
    assert textarea(html, "note") == f"{case.code}回访：居民满意。"


def test_reply_templates_for_reads_in_one_query(
    cast, category, dispatched, django_assert_num_queries
):
    make(cast.handler, cast.cgb, "通用模板")
    rules.is_handler(cast.handler, dispatched)  # the account's scope, read once per request
    with django_assert_num_queries(1):
        found = queries.reply_templates_for(cast.handler, dispatched, "reply")
    assert [t.title for t in found] == ["通用模板"]
    assert queries.reply_templates_for(cast.outsider, dispatched, "reply") == []
