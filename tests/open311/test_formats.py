"""Every endpoint in both formats: JSON validated against the spec's JSON Schemas, XML parsed
and compared field by field with the JSON answer (same values, the spec's element names)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from cityloop.cases import workflow
from cityloop.cases.models import Case
from cityloop.open311.models import ServiceAttribute
from tests.open311.conftest import IN_COMPOUND, Open311, as_text, json_body, xml_items, xml_root

pytestmark = pytest.mark.django_db
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def both(path: str, **params):
    """The JSON answer (decoded) and the XML answer (response) of one GET."""
    j, x = Open311("json").get(path, **params), Open311("xml").get(path, **params)
    assert j.status_code == x.status_code == 200, (j.content, x.content)
    return json_body(j), x


def same_items(json_rows: list[dict], xml_rows: list[dict], fields: list[str]) -> None:
    assert len(json_rows) == len(xml_rows)
    for j, x in zip(json_rows, xml_rows, strict=True):
        assert list(x) == fields  # every field, in the spec's order
        for name in fields:
            assert x[name] == as_text(j[name]), name


@pytest.fixture
def question(category):
    return ServiceAttribute.objects.create(
        category=category,
        code="blocking",
        description="是否堵塞消防通道？",
        datatype="singlevaluelist",
        required=True,
        order=1,
        values=[{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}],
    )


@pytest.fixture
def dispatched(key, cast, category, question, at_monday) -> Case:
    r = Open311("json").post(
        "requests",
        {
            "api_key": key,
            "service_code": category.code,
            "lat": IN_COMPOUND[1],
            "long": IN_COMPOUND[0],
            "address_string": "06小区3号楼东侧",
            "zipcode": "450041",
            "description": "楼道堆放纸箱＆旧家具 <很多>",
            "media_url": "https://photos.example.cn/a/1.jpg",
            "attribute[blocking]": "yes",
        },
    )
    assert r.status_code == 200, r.content.decode()
    case = Case.objects.get(code=json_body(r)[0]["service_request_id"])
    workflow.accept(actor=cast.desk, case_id=case.pk, public_summary="楼道堆物＆旧家具 <待清>")
    workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=cast.cgb)
    return case


def test_services(validate, category, question):
    j, x = both("services")
    validate("services", j)
    mine = next(s for s in j if s["service_code"] == category.code)
    assert mine == {
        "service_code": "T-S0101",
        "service_name": "乱堆物堆料(测试)",
        "description": None,
        "metadata": True,
        "type": "realtime",
        "keywords": None,
        "group": "市容环境(测试)",
    }
    seeded = next(s for s in j if s["service_code"] == "B0101")  # a seeded category
    assert seeded["service_name"] == "井盖缺失" and seeded["metadata"] is False
    assert seeded["keywords"].split(",")[:2] == ["井盖", "窨井盖"]
    assert all(s["service_code"] not in ("B01", "T-S01") for s in j)  # main categories are groups
    same_items(j, xml_items(x, "services", "service"), list(mine))


def test_service_definition(validate, category, question):
    j, x = both(f"services/{category.code}")
    validate("service-definition", j)
    assert j["service_code"] == category.code
    (attr,) = j["attributes"]
    assert attr["code"] == "blocking" and attr["required"] is True
    assert attr["values"] == [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
    tree = xml_root(x)
    assert tree.tag == "service_definition"
    assert tree.findtext("service_code") == category.code
    (node,) = tree.find("attributes").findall("attribute")
    for name in ("variable", "code", "datatype", "required", "order", "description"):
        assert node.findtext(name) == as_text(attr[name]), name
    assert node.findtext("datatype_description") == ""
    values = [(v.findtext("key"), v.findtext("name")) for v in node.find("values")]
    assert values == [("yes", "是"), ("no", "否")]


def test_requests_list_and_single(validate, dispatched):
    j, x = both("requests")
    validate("requests", j)
    same_items(j, xml_items(x, "service_requests", "request"), REQUEST_FIELDS)
    (row,) = j
    assert row["service_request_id"] == dispatched.code
    # The public projection only (cases.public): the staff's summary, not the report's text
    # nor the answers; street and community, not the address; the point rounded; no photo
    # URL the client sent (not one of ours, not checked for EXIF), no zipcode, no place code.
    assert row["description"] == "楼道堆物＆旧家具 <待清>"
    assert "楼道堆放纸箱" not in str(row) and "是否堵塞" not in str(row)
    assert row["media_url"] is None
    assert (row["lat"], row["long"]) == (34.781, 113.261)
    assert row["address"] == "济源路街道 新华街社区"
    assert row["zipcode"] is None and row["address_id"] is None
    assert x.content.decode("utf-8").count("楼道堆物＆旧家具 &lt;待清&gt;") == 1
    single, xs = both(f"requests/{dispatched.code}")
    validate("requests", single)
    assert single == j
    same_items(single, xml_items(xs, "service_requests", "request"), REQUEST_FIELDS)


def test_create_and_token_answers(validate, key, category, question, at_monday):
    for fmt in ("json", "xml"):
        r = Open311(fmt).post(
            "requests",
            {
                "api_key": key,
                "service_code": category.code,
                "address_id": "410106001001001",
                "attribute[blocking]": "no",
            },
        )
        assert r.status_code == 200, r.content.decode()
        if fmt == "json":
            (created,) = json_body(r)
        else:
            (created,) = xml_items(r, "service_requests", "request")
        assert list(created) == ["service_request_id", "token", "service_notice", "account_id"]
        case = Case.objects.get(code=created["service_request_id"])
        assert case.place.code == "410106001001001"
        # No description given: the service names the problem.
        assert case.description.startswith(category.name)
        t = Open311(fmt).get(f"tokens/{created['token']}")
        tok = json_body(t) if fmt == "json" else xml_items(t, "service_requests", "request")
        assert tok == [{"service_request_id": case.code, "token": created["token"]}]


def test_updates_feed(dispatched, cast):
    workflow.take(actor=cast.handler, case_id=dispatched.pk)
    workflow.reply(actor=cast.handler, case_id=dispatched.pk, result="已清理")
    j, x = both("servicerequestupdates")
    assert [u["status"] for u in j] == ["INVESTIGATING", "ACTION_SCHEDULED", "IN_PROGRESS"]
    assert [u["external_status_code"] for u in j] == ["accepted", "dispatched", "replied"]
    assert j[-1]["description"] == "已清理"
    assert all(u["service_request_id"] == dispatched.code for u in j)
    fields = [
        "update_id",
        "service_request_id",
        "status",
        "external_status_code",
        "updated_datetime",
        "description",
        "media_url",
    ]
    same_items(j, xml_items(x, "service_request_updates", "request_update"), fields)


def test_discovery():
    for fmt in ("json", "xml"):
        r = Client().get(f"/open311/discovery.{fmt}")
        assert r.status_code == 200
        if fmt == "json":
            body = json_body(r)
            (endpoint,) = body["endpoints"]
            assert endpoint["url"] == "http://testserver/open311/v2"
            assert endpoint["formats"] == ["text/xml", "application/json"]
            assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        else:
            tree = xml_root(r)
            assert tree.tag == "discovery"
            node = tree.find("endpoints/endpoint")
            assert node.findtext("url") == "http://testserver/open311/v2"
            assert [f.text for f in node.find("formats")] == ["text/xml", "application/json"]


def test_xml_is_utf8_with_chinese_intact(dispatched):
    r = Open311("xml").get(f"requests/{dispatched.code}")
    raw = r.content
    assert "至 城管办".encode() in raw  # not &#xxxx; escapes
    assert ET.fromstring(raw).findtext("request/status_notes") == "已派遣：至 城管办"
