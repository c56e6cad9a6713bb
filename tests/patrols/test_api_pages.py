"""The API under /api/v1/patrols and the pages: the phone's resends, the ledger, scope."""

from datetime import datetime, time, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from cityloop.cases.models import Case
from cityloop.core import clock
from cityloop.patrols import queries, workflow
from cityloop.patrols.models import Patrol, PatrolCase

from .conftest import ON_ROAD

pytestmark = pytest.mark.django_db
API = "/api/v1/patrols"


@pytest.fixture
def phone(client, chief):
    client.force_login(chief)
    return client


def test_phone_flow_with_resends(phone, tree, jpeg):
    r = phone.post(
        API, {"zone_ids": [tree.road_a.pk]}, "application/json", HTTP_IDEMPOTENCY_KEY="s1"
    )
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    again = phone.post(API, {}, "application/json", HTTP_IDEMPOTENCY_KEY="s1")
    assert (again.status_code, again.json()["id"]) == (201, pid)
    now = clock.now()
    pts = {
        "points": [
            {
                "at": (now + timedelta(seconds=i)).isoformat(),
                "lng": 113.262 + i * 0.0003,
                "lat": 34.785,
                "key": f"k{i}",
            }
            for i in range(3)
        ]
    }
    r = phone.post(f"{API}/{pid}/points", pts, "application/json")
    assert r.json()["kept"] == 3
    assert phone.post(f"{API}/{pid}/points", pts, "application/json").json()["points"] == 3
    up = phone.post("/api/v1/uploads", {"file": SimpleUploadedFile("p.jpg", jpeg, "image/jpeg")})
    assert up.status_code == 201, up.content
    body = {
        "description": "井盖缺失",
        "lng": ON_ROAD[0],
        "lat": ON_ROAD[1],
        "photo_ids": [up.json()["id"]],
    }
    r1 = phone.post(f"{API}/{pid}/reports", body, "application/json", HTTP_IDEMPOTENCY_KEY="c1")
    assert r1.status_code == 201, r1.content
    r2 = phone.post(f"{API}/{pid}/reports", body, "application/json", HTTP_IDEMPOTENCY_KEY="c1")
    assert r2.json()["id"] == r1.json()["id"]
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.source == "patrol" and case.events.first().photos.count() == 1
    end = phone.post(
        f"{API}/{pid}/actions/end", {"note": ""}, "application/json", HTTP_IDEMPOTENCY_KEY="e1"
    )
    assert end.status_code == 200 and end.json()["result_label"] == "发现问题并上报"
    assert (
        phone.post(
            f"{API}/{pid}/actions/end", {}, "application/json", HTTP_IDEMPOTENCY_KEY="e1"
        ).status_code
        == 200
    )
    late = phone.post(
        f"{API}/{pid}/reports", {"description": "x"}, "application/json", HTTP_IDEMPOTENCY_KEY="c2"
    )
    assert (late.status_code, late.json()["code"]) == (409, "patrol_ended")
    # the case page links back to the patrol
    page = phone.get(f"/cases/{case.pk}/")
    assert f"/patrols/{pid}/" in page.content.decode()


def test_other_street_gets_404(client, chief, tree, make_account):
    p = workflow.start_patrol(actor=chief)
    other = make_account("zxl-x", unit=tree.office_b)
    client.force_login(other)
    r = client.get(f"{API}/{p.pk}")
    assert (r.status_code, r.json()["code"]) == (404, "patrol_not_found")
    assert client.get(f"/patrols/{p.pk}/").status_code == 404


def test_bad_points_are_422_and_write_nothing(phone, chief):
    p = workflow.start_patrol(actor=chief)
    r = phone.post(
        f"{API}/{p.pk}/points",
        {"points": [{"at": clock.now().isoformat(), "lng": 500, "lat": 34.7}]},
        "application/json",
    )
    assert (r.status_code, r.json()["code"]) == (422, "patrol_point_invalid")
    assert p.points.count() == 0


def _done_patrol(chief, day_offset=0):
    """A patrol on the local day `day_offset` days ago.

    Earlier days start at local noon, not "now minus N days and an hour": run between
    00:00 and 01:00 Beijing time, that arithmetic landed on the day before and the
    yesterday test failed in CI.
    """
    p = workflow.start_patrol(actor=chief)
    if day_offset:
        day = clock.today() - timedelta(days=day_offset)
        noon = datetime.combine(day, time(12), tzinfo=clock.local_zone())
        Patrol.objects.filter(pk=p.pk).update(started_at=noon)
    return workflow.end_patrol(actor=chief, patrol_id=p.pk)


def test_ledger_counts_and_xlsx(client, chief, tree, street_a_user):
    p = workflow.start_patrol(actor=chief)
    case = workflow.report_problem(
        actor=chief, patrol_id=p.pk, description="占道经营", lng=ON_ROAD[0], lat=ON_ROAD[1]
    )
    workflow.end_patrol(actor=chief, patrol_id=p.pk)
    rows = queries.ledger(street_a_user, clock.today())
    assert [
        (r.zone.name, r.person.name, r.required, r.done, r.cases_found, r.cases_closed)
        for r in rows
    ] == [("济源路", "王路长", 7, 1, 1, 0)]
    Case.objects.filter(pk=case.pk).update(status="closed")
    assert queries.ledger(street_a_user, clock.today())[0].cases_closed == 1
    client.force_login(street_a_user)
    page = client.get("/patrols/ledger/").content.decode()
    assert (
        "路长台账" in page
        and "1 / 7" in page
        and "本周各级路长巡查 1 次，发现问题 1 件，已办结 1 件" in page
    )
    x = client.get("/patrols/ledger/?format=xlsx")
    sheet = load_workbook(BytesIO(b"".join(x.streaming_content))).active
    assert [c.value for c in sheet[1]][:6] == [
        "道路",
        "路长",
        "级别",
        "巡查频次要求",
        "应巡查次数",
        "已巡查次数",
    ]
    assert [c.value for c in sheet[2]] == ["济源路", "王路长", "社区级", "每天", 7, 1, 1, 1, 0]
    api = client.get(f"{API}/ledger").json()
    assert api["totals"]["patrols"] == 1


def test_missed_patrol_is_an_item_on_home_and_patrol_page(client, chief, street_a_user):
    _done_patrol(chief, day_offset=3)  # nothing yesterday or the day before: red
    items = queries.missed_in_scope(street_a_user)
    assert [(i.light, i.reason) for i in items] == [("red", "连续两天及以上未巡查")]
    client.force_login(street_a_user)
    home = client.get("/").content.decode()
    assert "未按要求巡查" in home and "连续两天及以上未巡查" in home
    client.logout()
    client.force_login(chief)
    assert "我的未巡查提醒" in client.get("/patrols/").content.decode()


def test_yesterdays_patrol_clears_the_item(chief, street_a_user):
    _done_patrol(chief, day_offset=1)
    assert queries.missed_in_scope(street_a_user) == []


def test_pages_render(client, chief):
    p = workflow.start_patrol(actor=chief)
    client.force_login(chief)
    assert "开始巡查" in client.get("/patrols/phone/").content.decode()
    assert client.get(f"/patrols/{p.pk}/").status_code == 200
    sw = client.get("/patrols/sw.js")
    assert sw["Service-Worker-Allowed"] == "/patrols/" and "IndexedDB" in sw.content.decode()


def test_patrol_coverage_indicator(chief, tree):
    from datetime import date

    from cityloop.assessment import indicators
    from cityloop.assessment.indicators import Context, Target

    _done_patrol(chief, day_offset=0)
    today = clock.today()
    ctx = Context(start=today - timedelta(days=1), end=today, targets=[], target_kind="street")
    m = indicators.get("patrol_coverage").fn(ctx, Target("s", "s", "street", place=tree.street_a))
    assert (m.numerator, m.denominator) == (1, 2)
    assert isinstance(today, date)
    assert PatrolCase.objects.count() == 0


def test_the_case_links_back_to_its_patrol_only_for_those_who_may_open_it(
    client, chief, tree, make_account
):
    p = workflow.start_patrol(actor=chief)
    case = workflow.report_problem(
        actor=chief, patrol_id=p.pk, description="路面井盖缺失", lng=ON_ROAD[0], lat=ON_ROAD[1]
    )
    client.force_login(chief)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/patrols/{p.pk}/" data-patrol-link' in page
    # A community worker of the case's community reads the case, not the road's patrols: the
    # page names the channel without a link that would answer 404.
    assert case.place.kind == "community"
    worker = make_account("cw-link", roles=("community_worker",), place=case.place)
    client.force_login(worker)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert "data-patrol-link" not in page.content.decode()
    assert client.get(f"/patrols/{p.pk}/").status_code == 404
