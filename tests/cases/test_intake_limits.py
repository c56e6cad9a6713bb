"""Denial of service on the resident's report page (issue 14, item 6): anonymous reports
limited per client address and per phone number in the shared cache; bodies capped before
they are read; a picture too big to decode refused from its header, on the page and in the API.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from cityloop.cases.models import Case
from tests.cases.test_api import upload
from tests.cases.test_views import report_data
from tests.core.test_uploads import pixel_decodes

LIMIT_TEXT = "该网络地址或手机号码提交的上报太多"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def limits(settings, monkeypatch):
    def set_(address: int = 100, phone: int = 100):
        monkeypatch.setattr(settings.CITYLOOP, "intake_per_address_per_hour", address)
        monkeypatch.setattr(settings.CITYLOOP, "intake_per_phone_per_hour", phone)

    return set_


def report(category, *, address="10.0.0.1", **extra):
    return Client(REMOTE_ADDR=address).post(reverse("case-report"), report_data(category, **extra))


def test_anonymous_reports_from_one_address_are_limited(cast, category, at_monday, limits):
    limits(address=2)
    assert [report(category, reporter_phone=f"1380000000{i}").status_code for i in (1, 2)] == [
        302,
        302,
    ]
    r = report(category, reporter_phone="13800000003")
    assert r.status_code == 429
    page = r.content.decode()
    assert 'data-error-code="rate_limited"' in page and LIMIT_TEXT in page
    assert Case.objects.count() == 2  # the refused one wrote nothing
    assert report(category, address="10.0.0.2", reporter_phone="13800000004").status_code == 302


def test_anonymous_reports_with_one_phone_are_limited(cast, category, at_monday, limits):
    limits(phone=2)
    answers = [report(category, address=f"10.0.2.{i}").status_code for i in range(3)]
    assert answers == [302, 302, 429]
    assert Case.objects.count() == 2


def test_an_account_is_not_limited_by_address(cast, category, at_monday, limits):
    limits(address=1, phone=1)
    c = Client(REMOTE_ADDR="10.0.0.9")
    c.force_login(cast.steward)
    answers = [c.post(reverse("case-report"), report_data(category)).status_code for _ in "ab"]
    assert answers == [302, 302]


def test_a_body_beyond_the_request_cap_is_refused_before_it_is_read(
    cast, category, settings, monkeypatch
):
    monkeypatch.setattr(settings.CITYLOOP, "max_request_bytes", 1000)
    big = SimpleUploadedFile("p.jpg", b"\xff" * 5000, content_type="image/jpeg")
    r = Client().post(reverse("case-report"), report_data(category, photos=[big]))
    assert r.status_code == 413 and "请求过大" in r.content.decode()
    big = SimpleUploadedFile("p.jpg", b"\xff" * 5000, content_type="image/jpeg")
    r = Client().post("/api/v1/uploads", {"file": big})
    assert r.status_code == 413 and r.json()["code"] == "request_too_large"
    assert not Case.objects.exists()


def test_upload_memory_limits_are_set():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.CITYLOOP.max_request_bytes > settings.CITYLOOP.upload_max_bytes


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6300, 6300), (200, 100, 50)).save(out, "PNG")
    return out.getvalue()


def test_a_huge_png_is_refused_from_its_header_on_the_page(
    cast, category, at_monday, huge_png, monkeypatch
):
    decoded = pixel_decodes(monkeypatch)
    photo = SimpleUploadedFile("big.png", huge_png, content_type="image/png")
    r = report(category, photos=[photo])
    assert r.status_code == 400
    assert "图片过大：6300 × 6300 像素" in r.content.decode()
    assert not Case.objects.exists()
    assert decoded == []  # decoding it whole took ~3 s on the demo server


def test_a_huge_png_is_refused_with_a_code_in_the_api(cast, huge_png):
    from cityloop.core import tokens
    from tests.api.conftest import ApiClient

    api = ApiClient(tokens.token_issue(user=cast.desk, label="test"))
    r = upload(api, "big.png", huge_png)
    assert r.status_code == 422
    assert r.json()["code"] == "upload_too_many_pixels"
    assert r.json()["detail"]["limit"] == 4096 * 4096


def test_one_account_s_writes_are_limited_per_minute_on_pages_and_api(
    cast, category, at_monday, settings, monkeypatch
):
    """Issue 14.6: a signed-in account (a leaked session or token in a script) cannot flood
    the server with writes; the limit counts pages, session API and bearer token together,
    and the refused write changes nothing."""
    from cityloop.core import tokens

    monkeypatch.setattr(settings.CITYLOOP, "writes_per_account_per_minute", 3)
    page = Client()
    page.force_login(cast.steward)
    assert page.post(reverse("case-report"), report_data(category)).status_code == 302
    body = {
        "title": "路灯不亮",
        "description": "6号楼前路灯不亮",
        "category_id": category.pk,
        "lng": 113.2612,
        "lat": 34.7812,
    }
    r = page.post("/api/v1/cases", body, content_type="application/json")
    assert r.status_code == 201, r.content
    token = tokens.token_issue(user=cast.steward)
    bearer = Client(headers={"Authorization": f"Bearer {token}"})
    assert bearer.post("/api/v1/cases", body, content_type="application/json").status_code == 201
    assert Case.objects.count() == 3
    r = bearer.post("/api/v1/cases", body, content_type="application/json")
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited"
    assert r.json()["detail"]["limit_by"] == "account_writes"
    r = page.post(reverse("case-report"), report_data(category))
    assert r.status_code == 429 and "该账号一分钟内的修改太多" in r.content.decode()
    assert int(r["Retry-After"]) > 0
    assert Case.objects.count() == 3  # nothing refused was written
    # Reads go on, and another account has its own allowance.
    assert page.get("/api/v1/cases").status_code == 200
    other = Client()
    other.force_login(cast.desk)
    assert other.post("/api/v1/cases", body, content_type="application/json").status_code == 201


def test_the_account_write_limit_can_be_turned_off(
    cast, category, at_monday, settings, monkeypatch
):
    monkeypatch.setattr(settings.CITYLOOP, "writes_per_account_per_minute", 0)
    c = Client()
    c.force_login(cast.steward)
    answers = {c.post(reverse("case-report"), report_data(category)).status_code for _ in range(5)}
    assert answers == {302}
