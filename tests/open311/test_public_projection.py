"""Security issue 14.2: the public Open311 feed publishes what the tracking page publishes, no
more. Both render :func:`cityloop.cases.public.public_case`; the feed lists a case only once
a desk has accepted it; the resident's own words, the address and the reporter never show."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cityloop.cases import public, workflow
from cityloop.cases.models import Case, CasePhoto
from cityloop.core import tokens
from tests.api.conftest import ApiClient
from tests.open311.conftest import IN_COMPOUND, Open311, rows

pytestmark = pytest.mark.django_db

# A resident's words as they often come in: a neighbour's name and a door number.
RESIDENT_TEXT = "居民群里马阿姨反映：6号楼1单元门口堆满纸箱"
SECRET_BITS = ("马阿姨", "6号楼1单元", "门口堆满纸箱", "王先生", "13900000009")
COMMUNITY = "新华街社区"


@pytest.fixture
def reported(cast, category, at_monday) -> Case:
    return workflow.report(
        actor=cast.resident,
        source="resident",
        description=RESIDENT_TEXT,
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        address="6号楼1单元",
        reporter_name="王先生",
        reporter_phone="13900000009",
    )


def feed(fmt: str = "json", **params) -> str:
    r = Open311(fmt).get("requests", **params)
    assert r.status_code == 200
    return r.content.decode("utf-8")


def feed_codes(fmt: str = "json", **params) -> list[str]:
    return [row["service_request_id"] for row in rows(Open311(fmt).get("requests", **params))]


def feed_row(code: str, fmt: str = "json") -> dict:
    r = Open311(fmt).get(f"requests/{code}")
    assert r.status_code == 200, r.content.decode()
    (row,) = rows(r)
    return row


def track(code: str) -> str:
    r = Client().get(f"/track/{code}/")
    assert r.status_code == 200
    return r.content.decode("utf-8")


def summary_on_page(html: str) -> str:
    match = re.search(r'<p class="public-summary" data-summary>([^<]*)</p>', html)
    assert match is not None
    return match.group(1)


def status_on_page(html: str) -> str:
    match = re.search(r"data-status>([^<]*)</span>", html)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_just_reported_case_is_not_in_the_feed_until_accepted(fmt, reported, cast):
    assert feed_codes(fmt) == []
    assert Open311(fmt).get(f"requests/{reported.code}").status_code == 404
    assert feed_codes(fmt, service_request_id=reported.code) == []
    # The reporter follows it on the tracking page from the start.
    assert "已上报" in track(reported.code)
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    assert feed_codes(fmt) == [reported.code]
    assert feed_row(reported.code, fmt)["service_request_id"] == reported.code


def test_not_accepted_and_merged_before_acceptance_stay_out(reported, cast, category):
    other = workflow.report(
        actor=cast.resident,
        source="resident",
        description="同一处纸箱",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    workflow.merge(actor=cast.desk, case_id=other.pk, master_id=reported.pk)
    workflow.reject(actor=cast.desk, case_id=reported.pk, reason="不属于城市管理范围")
    assert feed_codes() == []
    # The updates feed leaves out the steps of unpublished requests too.
    r = Open311("json").get("servicerequestupdates")
    assert [u["service_request_id"] for u in rows(r)] == []


def test_cancelled_after_acceptance_is_listed_as_closed(reported, cast):
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    workflow.cancel(actor=cast.desk, case_id=reported.pk, reason="重复上报")
    assert feed_row(reported.code)["status"] == "closed"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_residents_words_never_appear(fmt, reported, cast):
    page = track(reported.code)
    assert not [bit for bit in SECRET_BITS if bit in page]
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    workflow.dispatch(actor=cast.desk, case_id=reported.pk, unit=cast.cgb)
    for text in (
        feed(fmt),
        Open311(fmt).get(f"requests/{reported.code}").content.decode("utf-8"),
        Open311(fmt).get("servicerequestupdates").content.decode("utf-8"),
        track(reported.code),
    ):
        assert not [bit for bit in SECRET_BITS if bit in text]


def test_coordinates_are_rounded_to_about_100_m(reported, cast):
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    row = feed_row(reported.code)
    assert (row["lat"], row["long"]) == (34.781, 113.261)
    assert (row["lat"], row["long"]) != (reported.lat, reported.lng)
    xml = feed_row(reported.code, "xml")
    assert (xml["lat"], xml["long"]) == ("34.781", "113.261")
    pc = public.public_case(Case.objects.get(pk=reported.pk))
    assert (pc.lat, pc.lng) == (34.781, 113.261)


def test_default_summary_is_category_and_community(reported, cast, category):
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    expected = f"{category.name} · {COMMUNITY}"
    assert feed_row(reported.code)["description"] == expected
    assert summary_on_page(track(reported.code)) == expected


def test_staff_summary_shows_in_both(reported, cast):
    workflow.accept(actor=cast.desk, case_id=reported.pk, public_summary="楼道堆放纸箱，已受理")
    assert Case.objects.get(pk=reported.pk).public_summary == "楼道堆放纸箱，已受理"
    assert feed_row(reported.code)["description"] == "楼道堆放纸箱，已受理"
    assert feed_row(reported.code, "xml")["description"] == "楼道堆放纸箱，已受理"
    assert summary_on_page(track(reported.code)) == "楼道堆放纸箱，已受理"


def test_tracking_page_and_feed_agree(reported, cast):
    workflow.accept(actor=cast.desk, case_id=reported.pk, public_summary="楼道堆物")
    workflow.dispatch(actor=cast.desk, case_id=reported.pk, unit=cast.cgb)
    row, page = feed_row(reported.code), track(reported.code)
    assert summary_on_page(page) == row["description"] == "楼道堆物"
    assert status_on_page(page) == "已派遣"
    assert row["status"] == "open"
    assert row["address"] in page  # street and community, the same on both
    assert row["service_name"] in page


def test_both_outputs_come_from_public_case(reported, cast, monkeypatch):
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    original = public.public_case
    seen: list[str] = []

    def marked(case, **kwargs):
        seen.append(case.code)
        pc = original(case, **kwargs)
        pc.summary = "来自公开投影"
        pc.status_label = "投影状态"
        return pc

    monkeypatch.setattr(public, "public_case", marked)
    assert feed_row(reported.code)["description"] == "来自公开投影"
    (listed,) = rows(Open311("json").get("requests"))
    assert listed["description"] == "来自公开投影"
    page = track(reported.code)
    assert summary_on_page(page) == "来自公开投影"
    assert status_on_page(page) == "投影状态"
    assert seen == [reported.code] * 3


def test_internal_steps_and_their_photos_stay_out(reported, cast):
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    photo = workflow.Photo(file="cases/internal.jpg", width=10, height=10, sha256="0" * 64)
    workflow.comment(
        actor=cast.desk,
        case_id=reported.pk,
        note="内部：联系过王先生",
        public=False,
        photos=[photo],
    )
    internal = CasePhoto.objects.get(file="cases/internal.jpg")
    pc = public.public_case(Case.objects.get(pk=reported.pk))
    assert [e.verb for e in pc.steps] == ["report", "accept"]
    assert pc.photos == []
    row = feed_row(reported.code)
    assert row["media_url"] is None
    page = track(reported.code)
    updates = Open311("json").get("servicerequestupdates").content.decode("utf-8")
    for text in (str(row), page, updates):
        assert "内部：联系过王先生" not in text
        assert f"/cases/photos/{internal.pk}/" not in text


def test_media_url_is_a_photo_of_a_public_step(reported, cast):
    workflow.accept(actor=cast.desk, case_id=reported.pk)
    workflow.dispatch(actor=cast.desk, case_id=reported.pk, unit=cast.cgb)
    workflow.take(actor=cast.handler, case_id=reported.pk)
    after = workflow.Photo(file="cases/after.jpg", width=10, height=10, sha256="1" * 64)
    workflow.reply(actor=cast.handler, case_id=reported.pk, result="已清理", photos=[after])
    shown = CasePhoto.objects.get(file="cases/after.jpg")
    assert shown.event.public
    row = feed_row(reported.code)
    assert row["media_url"] == f"http://testserver/cases/photos/{shown.pk}/?c={reported.code}"
    assert f"/cases/photos/{shown.pk}/?c={reported.code}" in track(reported.code)


def test_accept_form_takes_a_public_summary(reported, cast):
    http = Client()
    http.force_login(cast.desk)
    r = http.post(
        f"/cases/{reported.pk}/actions/accept/", {"note": "", "public_summary": "楼道堆物待清理"}
    )
    assert r.status_code == 302, r.content.decode()[:500]
    case = Case.objects.get(pk=reported.pk)
    assert (case.status, case.public_summary) == ("accepted", "楼道堆物待清理")
    assert feed_row(reported.code)["description"] == "楼道堆物待清理"
    # Staff see on the case page what the public sees of it.
    page = http.get(f"/cases/{reported.pk}/").content.decode()
    assert re.search(r"<dt>公开摘要</dt><dd>楼道堆物待清理</dd>", page)


def test_accept_form_refuses_a_long_summary_and_writes_nothing(reported, cast):
    http = Client()
    http.force_login(cast.desk)
    r = http.post(f"/cases/{reported.pk}/actions/accept/", {"public_summary": "长" * 201})
    # The action forms answer a refusal with 200 and the form again (htmx swaps only 2xx).
    assert r.status_code == 200
    assert "确保该变量包含不超过 200 字符 (目前字符数 201)。" in r.content.decode()
    case = Case.objects.get(pk=reported.pk)
    assert (case.status, case.public_summary) == ("reported", "")
    assert case.events.filter(verb="accept").count() == 0


def test_api_accept_takes_a_public_summary(reported, cast):
    api = ApiClient(tokens.token_issue(user=cast.desk, label="t"))
    r = api.post(f"/cases/{reported.pk}/actions/accept", {"public_summary": "井边堆物"})
    assert r.status_code == 200, r.content.decode()
    assert r.json()["public_summary"] == "井边堆物"
    assert feed_row(reported.code)["description"] == "井边堆物"


def test_workflow_refuses_a_long_summary_and_writes_nothing(reported, cast):
    from cityloop.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        workflow.accept(actor=cast.desk, case_id=reported.pk, public_summary="长" * 201)
    assert exc.value.code == "case_public_summary_too_long"
    case = Case.objects.get(pk=reported.pk)
    assert (case.status, case.public_summary) == ("reported", "")
    assert case.events.filter(verb="accept").count() == 0


def test_open_closed_agrees_with_the_open311_status_table():
    from cityloop.open311.serializers import STATUSES

    for status, (open_or_closed, _ext) in STATUSES.items():
        assert open_or_closed == ("open" if status in Case.OPEN else "closed"), status
