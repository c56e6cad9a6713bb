"""The letterhead of one's own issuing unit over /api/v1 (issue 15.3): read and set as on the
letterhead page; another street's unit is 404 ``letterhead_unit_not_found``; a value too long
is 422 ``letterhead_too_long`` and changes nothing; the documents print what was set."""

from __future__ import annotations

import json

import pytest

from cityloop.bulletins import notices, render
from cityloop.bulletins.models import Letterhead
from tests import gongwen
from tests.bulletins.test_gongwen_layout import ranked  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1/bulletins/letterheads"


def _put(client, unit_id, body):
    return client.put(f"{API}/{unit_id}", json.dumps(body), content_type="application/json")


def test_read_and_set_the_own_units_letterhead(zxl, ranked, client):  # noqa: F811
    client.force_login(zxl.desk)
    listed = client.get(API).json()
    assert [u["unit_id"] for u in listed] == [zxl.office.pk]
    got = client.get(f"{API}/{zxl.office.pk}").json()
    assert got["header"] == "" and got["printed"]["header"] == zxl.office.name
    body = {"header": "中心路街道办事处文件", "abbreviation": "中街办", "copy_to": "区城管局"}
    r = _put(client, zxl.office.pk, body)
    assert r.status_code == 200
    out = r.json()
    assert (out["header"], out["abbreviation"], out["copy_to"], out["signature"]) == (
        "中心路街道办事处文件",
        "中街办",
        "区城管局",
        "",
    )
    assert out["printed"]["signature"] == zxl.office.name  # empty: the unit's own name
    d = gongwen.docx(render.to_docx(notices.notice("monthly", "2020-06", scheme="CW")))
    assert [p.text for p in d.paragraphs if p.style.name == "发文机关标志"] == [
        "中心路街道办事处文件"
    ]


def test_another_streets_unit_is_not_found_and_bad_input_changes_nothing(zxl, ranked, client):  # noqa: F811
    client.force_login(zxl.outsider)
    r = client.get(f"{API}/{zxl.office.pk}")
    assert (r.status_code, r.json()["code"]) == (404, "letterhead_unit_not_found")
    r = _put(client, zxl.office.pk, {"header": "伪造"})
    assert (r.status_code, r.json()["code"]) == (404, "letterhead_unit_not_found")
    assert not Letterhead.objects.exists()

    client.force_login(zxl.desk)
    r = _put(client, zxl.office.pk, {"abbreviation": "长" * 41})
    assert (r.status_code, r.json()["code"]) == (422, "letterhead_too_long")
    assert "40" in r.json()["message"] and "字" in r.json()["message"]
    r = _put(client, zxl.office.pk, {"header": ["不是文字"]})
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")
    assert not Letterhead.objects.exists()
    assert client.get(f"{API}/999999").status_code == 404


def test_without_an_account_the_letterheads_are_401(client):
    assert client.get(API).status_code == 401
