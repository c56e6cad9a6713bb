"""Case pages through the Django test client: the resident's report and tracking pages, the
staff workbench, map data, intake, detail with its action buttons, bulk dispatch, photos."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from cityloop.cases import workflow
from cityloop.cases.models import Case, CaseEvent, CasePhoto
from cityloop.core import photos
from cityloop.core.errors import InvalidInput
from tests.cases.conftest import IN_COMPOUND

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PHONE = "13800000001"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def jpeg(name: str = "photo.jpg", colour=(200, 30, 30)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def report_data(category, **extra) -> dict:
    return {
        "category": category.pk,
        "description": "06小区3号楼门口乱堆物堆料，堵住消防通道",
        "lng": IN_COMPOUND[0],
        "lat": IN_COMPOUND[1],
        "address": "06小区3号楼",
        "reporter_name": "李女士",
        "reporter_phone": PHONE,
        **extra,
    }


def login(client, user):
    client.force_login(user)
    return client


def action_buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def close(cast, case_id: int) -> Case:
    """Walk a case to closed through the workflow: accept, dispatch, reply, verify."""
    workflow.accept(actor=cast.desk, case_id=case_id)
    workflow.dispatch(actor=cast.desk, case_id=case_id, unit=cast.cgb)
    workflow.reply(actor=cast.handler, case_id=case_id, result="已清理完毕")
    return workflow.verify(actor=cast.verifier, case_id=case_id, passed=True)


# --- resident: report --------------------------------------------------------------------------


def test_report_page_needs_no_login_and_lists_categories(client, category):
    response = client.get(reverse("case-report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "反映问题" in html
    assert "乱堆物堆料(测试)" in html and 'label="市容环境(测试)"' in html  # leaf under its class
    assert 'accept="image/*"' in html and "multiple" in html and "capture" in html


def test_resident_report_with_jpeg_creates_case_and_redirects_to_tracking(
    client, cast, category, at_monday
):
    response = client.post(reverse("case-report"), report_data(category, photos=[jpeg()]))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case-track-code", args=[case.code])
    assert (case.source, case.status, case.reporter_id) == ("resident", "reported", None)
    assert case.reporter_phone == PHONE and case.category == category
    assert case.place.name == "06小区"
    assert list(case.photos.values_list("step", flat=True)) == ["report"]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert case.code in html and "banner-success" in html  # the code is in the thank-you note


def test_report_with_a_script_as_photo_shows_the_chinese_error_and_saves_nothing(
    client, cast, category, at_monday
):
    script = b"#!/bin/sh\necho pwned\n"
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        photos.store_photos([("photo.jpg", script)])
    expected = str(refused.value.message)
    assert re.search(r"[\u4e00-\u9fff]", expected)  # the gate speaks Chinese
    bad = SimpleUploadedFile("photo.jpg", script, content_type="image/jpeg")
    response = client.post(reverse("case-report"), report_data(category, photos=[bad]))
    assert response.status_code == 400
    html = response.content.decode()
    assert expected in html
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


@pytest.mark.parametrize(
    "change,msgid",
    [
        ({"description": ""}, "Please describe the problem."),
        (
            {"lng": "", "lat": "", "address": ""},
            "Say where the problem is: a point on the map, your location or an address.",
        ),
        ({"lng": 121.5, "lat": 31.2}, "The point is outside the area this system serves."),
    ],
)
def test_bad_report_re_renders_with_the_chinese_error(
    client, cast, category, at_monday, change, msgid
):
    response = client.post(reverse("case-report"), report_data(category, **change))
    assert response.status_code == 400
    html = response.content.decode()
    assert zh(msgid) in html
    assert zh(msgid) != msgid  # really translated
    assert Case.objects.count() == 0


def test_report_duplicates_hint_names_the_open_case_nearby(client, new_case):
    url = reverse("case-report-duplicates")
    params = {
        "category": new_case.category_id,
        "description": "06小区3号楼门口乱堆物堆料",
        "lng": IN_COMPOUND[0] + 0.0001,
        "lat": IN_COMPOUND[1],
    }
    html = client.get(url, params, headers=HTMX).content.decode()
    assert f'data-code="{new_case.code}"' in html
    assert reverse("case-track-code", args=[new_case.code]) in html
    far = client.get(url, {**params, "lng": IN_COMPOUND[0] + 0.01}).content.decode()
    assert new_case.code not in far


def test_report_area_outline_is_public_geojson(client, tree):
    data = client.get(reverse("case-report-area")).json()
    kinds = sorted(f["properties"]["kind"] for f in data["features"])
    assert data["type"] == "FeatureCollection"
    assert kinds == [
        "community",
        "community",
        "compound",
        "compound",
        "district",
        "street",
        "street",
    ]


# --- resident: tracking and rating -------------------------------------------------------------


def test_tracking_shows_public_events_only_and_no_reporter_data(client, cast, new_case):
    workflow.accept(actor=cast.desk, case_id=new_case.pk, note="")
    workflow.comment(actor=cast.desk, case_id=new_case.pk, note="内部备注：先联系物业")
    assert CaseEvent.objects.filter(case=new_case, public=False).exists()
    response = client.get(reverse("case-track-code", args=[new_case.code.lower()]))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-verb="(\w+)"', html) == ["report", "accept"]
    assert "内部备注" not in html
    assert PHONE not in html and "李女士" not in html
    assert "新华街社区" in html and "06小区" not in html  # community level, not the compound
    assert zh("Accepted") in html


def test_track_form_finds_a_case_by_code_or_says_not_found(client, new_case):
    response = client.get(reverse("case-track"), {"code": new_case.code.lower()})
    assert response["Location"] == reverse("case-track-code", args=[new_case.code])
    missing = client.get(reverse("case-track"), {"code": "000000-XXXXX"})
    assert missing.status_code == 404
    assert zh("Case not found") in missing.content.decode()


def test_rating_with_a_wrong_phone_is_refused_and_the_right_phone_works(client, cast, new_case):
    close(cast, new_case.pk)
    url = reverse("case-track-code", args=[new_case.code])
    page = client.get(url).content.decode()
    assert 'name="satisfaction"' in page  # closed and not rated: the form is offered
    wrong = client.post(url, {"satisfaction": "satisfied", "reporter_phone": "13900000000"})
    assert wrong.status_code == 400
    assert zh("No case with this code and phone number.") in wrong.content.decode()
    new_case.refresh_from_db()
    assert new_case.satisfaction == "" and new_case.visited_at is None
    right = client.post(
        url, {"satisfaction": "satisfied", "reporter_phone": "138-0000-0001", "note": "很快"}
    )
    assert right.status_code == 302
    new_case.refresh_from_db()
    assert new_case.satisfaction == "satisfied" and new_case.visited_at is not None
    event = new_case.events.get(verb="return_visit")
    assert event.data["channel"] == "resident" and event.actor is None
    after = client.get(url).content.decode()
    assert "data-rating" in after and zh("Satisfied") in after
    assert 'name="satisfaction"' not in after  # rated once only


# --- staff: workbench --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("cases:workbench", []),
        ("cases:case_map", []),
        ("cases:map_data", []),
        ("cases:new", []),
        ("cases:detail", [1]),
        ("cases:action", [1, "accept"]),
    ],
)
def test_staff_pages_require_login(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_workbench_lists_only_cases_in_scope(client, cast, new_case):
    desk = login(client, cast.desk).get(reverse("cases:workbench"), {"tab": "all"})
    assert f'data-case="{new_case.code}"' in desk.content.decode()
    mine = client.get(reverse("cases:workbench")).content.decode()  # the desk's queue
    assert f'data-case="{new_case.code}"' in mine
    client.logout()
    outsider = login(client, cast.outsider).get(reverse("cases:workbench"), {"tab": "all"})
    html = outsider.content.decode()
    assert "data-case=" not in html and zh("No case matches.") in html


def test_workbench_filters_and_htmx_partial(client, cast, category, new_case):
    other = workflow.report(
        actor=cast.desk,
        source="hotline",
        description="济源路路灯不亮，晚上很黑",
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    login(client, cast.desk)
    url = reverse("cases:workbench")

    def codes(params) -> set[str]:
        html = client.get(url, {"tab": "all", **params}).content.decode()
        return set(re.findall(r'data-case="([\w-]+)"', html))

    assert codes({}) == {new_case.code, other.code}
    assert codes({"source": "hotline"}) == {other.code}
    assert codes({"status": "accepted"}) == {new_case.code}
    assert codes({"category": category.parent_id}) == {new_case.code}  # main class
    assert codes({"q": "路灯"}) == {other.code}
    assert codes({"status": "open", "light": "green"}) == {new_case.code, other.code}
    assert codes({"status": "closed"}) == set()
    part = client.get(url, {"tab": "all", "source": "hotline"}, headers=HTMX).content.decode()
    assert "<html" not in part and f'data-case="{other.code}"' in part
    assert 'id="bulk-form"' in part


def test_bulk_dispatch_reports_each_case(client, cast, category, new_case, tree):
    second = workflow.report(
        actor=cast.desk,
        source="desk",
        description="06小区2号楼东侧乱堆物堆料",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        accept=True,
    )
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    still_reported = workflow.report(
        actor=cast.desk,
        source="desk",
        description="06小区门口积存垃圾",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )
    login(client, cast.desk)
    listing = client.get(reverse("cases:workbench"), {"tab": "all"}).content.decode()
    ticks = set(re.findall(r'name="ids" value="(\d+)"', listing))
    assert ticks == {str(new_case.pk), str(second.pk)}  # only accepted cases can be ticked
    ids = [new_case.pk, second.pk, still_reported.pk]
    response = client.post(
        reverse("cases:bulk_dispatch") + "?tab=all",
        {"ids": ids, "unit": cast.cgb.pk},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    statuses = dict(Case.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {
        new_case.pk: "dispatched",
        second.pk: "dispatched",
        still_reported.pk: "reported",
    }
    assert Case.objects.get(pk=second.pk).responsible_unit == cast.cgb
    assert f'data-code="{new_case.code}" data-ok="1"' in html
    assert f'data-code="{still_reported.code}" data-ok="0"' in html
    bad_unit = client.post(
        reverse("cases:bulk_dispatch"), {"ids": [new_case.pk], "unit": tree.office_b.pk}
    )
    assert zh("Choose one of the units in the list.") in bad_unit.content.decode()


# --- staff: map --------------------------------------------------------------------------------


def test_map_json_has_the_open_cases_in_scope(client, cast, new_case):
    data = login(client, cast.desk).get(reverse("cases:map_data")).json()
    assert data["type"] == "FeatureCollection"
    (feature,) = data["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": list(IN_COMPOUND)}
    props = feature["properties"]
    assert (props["code"], props["light"], props["status"]) == (new_case.code, "green", "reported")
    assert props["url"] == reverse("cases:detail", args=[new_case.pk])
    client.logout()
    assert login(client, cast.outsider).get(reverse("cases:map_data")).json()["features"] == []
    page = client.get(reverse("cases:case_map"))
    assert page.status_code == 200 and "case-map-config" in page.content.decode()


# --- staff: intake -----------------------------------------------------------------------------


def test_staff_intake_registers_and_accepts(client, cast, category, at_monday):
    login(client, cast.desk)
    page = client.get(reverse("cases:new")).content.decode()
    select = re.search(r'<select name="source".*?</select>', page, re.S).group(0)
    sources = set(re.findall(r'<option value="(\w+)"', select))
    assert sources == {"desk", "hotline", "supervision"}  # a street desk has no patrol duty
    data = report_data(category, source="hotline", accept="on", on_behalf_of="王先生（12345）")
    response = client.post(reverse("cases:new"), data)
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert (case.source, case.status, case.on_behalf_of) == (
        "hotline",
        "accepted",
        "王先生（12345）",
    )


def test_staff_intake_through_a_channel_not_yours_shows_the_error(client, cast, category):
    login(client, cast.resident)
    response = client.post(reverse("cases:new"), report_data(category, source="desk"))
    assert response.status_code == 400
    html = response.content.decode()
    message = zh("You may not report through the channel “%(source)s”.") % {"source": zh("Desk")}
    assert message in html and Case.objects.count() == 0


# --- staff: detail and actions -----------------------------------------------------------------


def test_detail_shows_exactly_the_allowed_actions_per_user(client, cast, new_case):
    desk_html = login(client, cast.desk).get(reverse("cases:detail", args=[new_case.pk]))
    expected = set(workflow.allowed_actions(cast.desk, new_case)) | {"comment"}
    assert {"accept", "reject"} <= expected
    assert action_buttons(desk_html.content.decode()) == expected
    client.logout()
    # The 城管办 reads the case only once it reaches its unit (issue 14: need to know).
    handler_html = login(client, cast.handler).get(reverse("cases:detail", args=[new_case.pk]))
    assert handler_html.status_code == 404
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    new_case.refresh_from_db()
    html = client.get(reverse("cases:detail", args=[new_case.pk])).content.decode()
    allowed = set(workflow.allowed_actions(cast.handler, new_case))
    assert {"take", "reply"} <= allowed and "dispatch" not in allowed
    assert action_buttons(html) == allowed | {"comment"}


def test_the_reporters_own_account_sees_no_internal_entries(client, cast, new_case):
    workflow.comment(actor=cast.desk, case_id=new_case.pk, note="内部备注：先联系物业")
    html = login(client, cast.resident).get(reverse("cases:detail", args=[new_case.pk]))
    text = html.content.decode()
    assert html.status_code == 200 and new_case.code in text  # reported with this account
    assert "内部备注" not in text and 'data-verb="comment"' not in text
    client.logout()
    staff = login(client, cast.desk).get(reverse("cases:detail", args=[new_case.pk]))
    assert "内部备注" in staff.content.decode()


def test_detail_is_not_found_outside_scope(client, cast, new_case):
    response = login(client, cast.outsider).get(reverse("cases:detail", args=[new_case.pk]))
    assert response.status_code == 404


def test_action_form_opens_with_htmx_and_dispatch_defaults_to_the_routed_unit(
    client, cast, new_case
):
    from cityloop.cases import routing

    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    login(client, cast.desk)
    url = reverse("cases:action", args=[new_case.pk, "dispatch"])
    part = client.get(url, headers=HTMX).content.decode()
    assert part.lstrip().startswith('<section id="case-actions"')
    assert 'data-open-action="dispatch"' in part
    default = routing.default_unit(new_case.category, new_case.place, new_case.level)
    assert default is not None
    assert re.search(rf'<option value="{default.pk}" selected>', part)


def test_posting_an_action_changes_state_and_rerenders_the_detail(client, cast, new_case):
    login(client, cast.desk)
    url = reverse("cases:action", args=[new_case.pk, "accept"])
    response = client.post(url, {"note": "属实"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="case-detail"')
    assert 'data-message="success"' in html and 'data-status="accepted"' in html
    new_case.refresh_from_db()
    assert new_case.status == "accepted"
    assert new_case.events.filter(verb="accept", actor=cast.desk, note="属实").exists()
    # Without htmx: redirect back to the detail page with the message.
    url = reverse("cases:action", args=[new_case.pk, "dispatch"])
    response = client.post(url, {"unit": cast.cgb.pk, "note": "请尽快清理"})
    assert response["Location"] == reverse("cases:detail", args=[new_case.pk])
    new_case.refresh_from_db()
    assert (new_case.status, new_case.responsible_unit) == ("dispatched", cast.cgb)


def test_reply_with_photo_and_verification_through_the_views(client, cast, new_case):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)
    login(client, cast.handler)
    url = reverse("cases:action", args=[new_case.pk, "reply"])
    response = client.post(url, {"result": "已清理", "photos": [jpeg("after.jpg")]}, headers=HTMX)
    assert 'data-message="success"' in response.content.decode()
    assert list(new_case.photos.values_list("step", flat=True)) == ["after"]
    client.logout()
    login(client, cast.verifier)
    response = client.post(
        reverse("cases:action", args=[new_case.pk, "verify"]), {"passed": "1"}, headers=HTMX
    )
    new_case.refresh_from_db()
    assert new_case.status == "closed" and 'data-status="closed"' in response.content.decode()


def test_a_not_allowed_action_shows_the_error_and_changes_nothing(client, cast, new_case):
    before = new_case.events.count()
    login(client, cast.steward)  # reads the case through 06小区, may not accept it
    response = client.post(
        reverse("cases:action", args=[new_case.pk, "accept"]), {"note": "x"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-error-code="case_not_allowed"' in html
    assert zh("You may not do this to this case.") in html
    new_case.refresh_from_db()
    assert new_case.status == "reported" and new_case.events.count() == before
    # A form error (no reason) is shown too, and changes nothing either.
    client.logout()
    login(client, cast.desk)
    response = client.post(
        reverse("cases:action", args=[new_case.pk, "reject"]), {"reason": ""}, headers=HTMX
    )
    assert zh("Give the reason.") in response.content.decode()
    new_case.refresh_from_db()
    assert new_case.status == "reported"


def test_accept_screen_offers_duplicates_and_merges(client, cast, category, new_case):
    again = workflow.report(
        actor=None,
        source="resident",
        description="06小区3号楼门口乱堆物堆料，消防通道被堵",
        category=category,
        lng=IN_COMPOUND[0] + 0.0001,
        lat=IN_COMPOUND[1],
    )
    login(client, cast.desk)
    html = client.get(reverse("cases:detail", args=[again.pk])).content.decode()
    assert f'data-duplicate="{new_case.code}"' in html
    assert f'data-duplicate="{again.code}"' not in html  # not itself
    response = client.post(
        reverse("cases:action", args=[again.pk, "merge"]), {"master": new_case.code}, headers=HTMX
    )
    assert 'data-status="merged"' in response.content.decode()
    again.refresh_from_db()
    new_case.refresh_from_db()
    assert (again.status, again.master_id, new_case.heat) == ("merged", new_case.pk, 2)


def test_request_decide_resume_and_extend_through_the_views(client, cast, new_case):
    workflow.accept(actor=cast.desk, case_id=new_case.pk)
    workflow.dispatch(actor=cast.desk, case_id=new_case.pk, unit=cast.cgb)

    def post(user, action, data):
        client.force_login(user)
        url = reverse("cases:action", args=[new_case.pk, action])
        html = client.post(url, data, headers=HTMX).content.decode()
        new_case.refresh_from_db()
        return html

    html = post(cast.handler, "request", {"kind": "extend", "reason": "需协调物业"})
    assert "延期为 0.5 至 30 个工作日。" in html  # days missing
    assert new_case.pending_request == {}
    post(cast.handler, "request", {"kind": "suspend", "reason": "等待业主委员会决定"})
    assert new_case.pending_request["kind"] == "suspend"
    decide = client.get(reverse("cases:detail", args=[new_case.pk])).content.decode()
    assert 'data-action="decide"' not in decide  # the handler does not decide
    html = post(cast.desk, "decide", {"approve": "1", "note": "同意"})
    assert 'data-status="suspended"' in html and new_case.status == "suspended"
    post(cast.desk, "resume", {"note": ""})
    assert new_case.status == "dispatched" and new_case.due_at is not None
    due = new_case.due_at
    post(cast.desk, "extend", {"days": "2", "reason": "工程量大"})
    assert new_case.extensions == 1 and new_case.due_at > due


def test_accept_now_without_the_desk_part_says_so(client, cast, category, at_monday):
    login(client, cast.chief)  # a road chief may report (patrol) but not accept
    data = report_data(category, source="patrol", accept="on")
    response = client.post(reverse("cases:new"), data, follow=True)
    case = Case.objects.get()
    assert (case.source, case.status) == ("patrol", "reported")
    html = response.content.decode()
    assert zh("It was not accepted: you are not the desk for this place and level.") in html


def test_unknown_action_is_404(client, cast, new_case):
    login(client, cast.desk)
    assert client.get(reverse("cases:action", args=[new_case.pk, "explode"])).status_code == 404


# --- photos ------------------------------------------------------------------------------------


def test_photo_view_checks_scope_and_public_code(client, cast, category, at_monday):
    client.post(reverse("case-report"), report_data(category, photos=[jpeg()]))
    case = Case.objects.get()
    photo = case.photos.get()
    url = reverse("case-photo", args=[photo.pk])
    response = login(client, cast.desk).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (64, 48)
    client.logout()
    assert login(client, cast.outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404  # anonymous, no code
    assert client.get(url, {"c": "000000-AAAAA"}).status_code == 404
    assert client.get(url, {"c": case.code}).status_code == 200  # the tracking page's link
    track = client.get(reverse("case-track-code", args=[case.code])).content.decode()
    assert f"{url}?c={case.code}" in track


def test_photo_of_an_internal_note_is_not_public(client, cast, new_case):
    workflow.comment(
        actor=cast.desk,
        case_id=new_case.pk,
        note="现场照片",
        photos=photos.store_photos([("a.jpg", jpeg().read())]),
    )
    photo = new_case.photos.get()
    url = reverse("case-photo", args=[photo.pk])
    assert client.get(url, {"c": new_case.code}).status_code == 404
    assert login(client, cast.desk).get(url).status_code == 200


# --- home --------------------------------------------------------------------------------------


def test_home_shows_case_lights_and_month_figures(client, cast, new_case):
    html = login(client, cast.desk).get(reverse("home")).content.decode()

    def card(key: str) -> str:
        m = re.search(rf'data-card="{key}".*?data-value>([^<]+)</span>', html, re.S)
        assert m, key
        return m.group(1)

    assert (card("cases_red"), card("cases_green"), card("cases_open")) == ("0", "1", "1")
    assert card("cases_reported") == "1" and card("cases_closed") == "0"
    assert card("cases_on_time") == "—"
    assert "status=open&amp;light=red" in html
