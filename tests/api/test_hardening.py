"""No 500 from input (14.7, 14.8): huge paging numbers, out-of-range floats, NUL and lone
surrogates answer a coded 422 and write nothing; schema names in the OpenAPI document are
unique; a real server error is logged with its traceback and a request id the answer quotes."""

from __future__ import annotations

import json
import logging
import re
import typing

import pytest
from django.test import Client
from pydantic import BaseModel

from cityloop.api import api
from cityloop.cases.models import Case
from cityloop.core.schemas import MAX_OFFSET
from cityloop.projects.models import Project, WorkItem
from tests.api.conftest import API, ApiClient
from tests.cases.conftest import IN_COMPOUND, at_monday, cast, category  # noqa: F401
from tests.projects.conftest import make_project  # noqa: F401
from tests.supervision.conftest import crew  # noqa: F401

pytestmark = pytest.mark.django_db

HUGE = "12463891335678660608"  # beyond bigint (found by schemathesis)


def _list_routes() -> list[str]:
    """Every GET route of the API that pages with ``offset``, from the OpenAPI document."""
    paths = api.get_openapi_schema()["paths"]
    return sorted(
        path
        for path, ops in paths.items()
        if any(p["name"] == "offset" for p in ops.get("get", {}).get("parameters", []))
    )


def _limited_routes() -> list[str]:
    """Every GET route of the API that takes a page size ``limit``."""
    paths = api.get_openapi_schema()["paths"]
    return sorted(
        path
        for path, ops in paths.items()
        if any(p["name"] == "limit" for p in ops.get("get", {}).get("parameters", []))
    )


def _fill(path: str, tree) -> str:
    return path.replace("{place_id}", str(tree.district.pk)).removeprefix(API)


def _is_invalid_input(r) -> bool:
    return r.status_code == 422 and r.json()["code"] == "invalid_input"


# --- paging ----------------------------------------------------------------------------------


def test_every_list_route_bounds_its_offset_in_the_document():
    routes = _list_routes()
    assert len(routes) >= 12  # inbox, org ×5, cases, tasks, inspections, topics, projects, …
    schema = api.get_openapi_schema()["paths"]
    unbounded = [
        path
        for path in routes
        for p in schema[path]["get"]["parameters"]
        if p["name"] in ("offset", "limit") and p["schema"].get("maximum") is None
    ]
    assert unbounded == []
    offsets = {
        p["schema"]["maximum"]
        for path in routes
        for p in schema[path]["get"]["parameters"]
        if p["name"] == "offset"
    }
    assert offsets == {MAX_OFFSET}


def test_huge_offset_or_limit_is_a_coded_422_on_every_list(tree, client_as, superuser):
    api_client = client_as(superuser)
    wrong = []
    for path in _list_routes():
        for param in ("offset", "limit"):
            r = api_client.get(_fill(path, tree), **{param: HUGE})
            if not _is_invalid_input(r):
                wrong.append((path, param, r.status_code))
        r = api_client.get(_fill(path, tree), offset=MAX_OFFSET)
        if r.status_code != 200:
            wrong.append((path, "offset=MAX_OFFSET", r.status_code))
    assert wrong == []


def test_a_limit_below_one_is_a_coded_422_on_every_list(tree, client_as, superuser):
    """Schemathesis found /patrols answering limit=-3 with a 500 (Django refuses negative
    slices): every page size is 1 … its maximum, checked before the handler runs."""
    api_client = client_as(superuser)
    routes = _limited_routes()
    assert "/api/v1/patrols" in routes
    wrong = [
        (path, limit, r.status_code)
        for path in routes
        for limit in (0, -3)
        if not _is_invalid_input(r := api_client.get(_fill(path, tree), limit=limit))
    ]
    assert wrong == []


def test_campaigns_and_topics_named_in_the_report(client_as, superuser):
    for path in ("/campaigns", "/topics"):
        r = client_as(superuser).get(path, offset=HUGE)
        assert r.status_code == 422
        assert r.json()["code"] == "invalid_input"
        assert r.json()["detail"]["errors"][0]["loc"] == ["query", "offset"]


# --- numbers out of range --------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("weight", 1.42e308),  # refused by the input guard, before any handler
        ("planned", 1e300),
        ("weight", 1e6),  # passes the guard, overflows the weight's 8 digits
        ("planned", 10**12),  # an integer beyond the planned quantity's 14 digits
    ],
)
def test_out_of_range_number_on_a_work_item_is_a_coded_422(
    crew,  # noqa: F811
    make_project,  # noqa: F811
    client_as,
    field,
    value,
):
    project = make_project()
    before = WorkItem.objects.count()
    body = {"name": "新增绿化", "unit_of_measure": "平方米", "planned": 10, "weight": 1}
    body[field] = value
    r = client_as(crew.supervisor).post(f"/projects/{project.pk}/items", body)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "invalid_input"
    assert r.json()["detail"]["reason"] == "out_of_range"
    assert WorkItem.objects.count() == before


def test_a_non_finite_number_is_refused(crew, make_project, client_as):  # noqa: F811
    project = make_project()
    before = WorkItem.objects.count()
    raw = '{"name": "x", "unit_of_measure": "个", "planned": Infinity}'
    r = client_as(crew.supervisor).client.post(
        f"{API}/projects/{project.pk}/items",
        raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client_as(crew.supervisor).token}"},
    )
    assert r.status_code == 422
    assert r.json()["detail"]["reason"] == "out_of_range"
    assert WorkItem.objects.count() == before


# --- NUL and lone surrogates -----------------------------------------------------------------


def _case_body(category, description):  # noqa: F811
    return {
        "source": "desk",
        "description": description,
        "category_id": category.pk,
        "lng": IN_COMPOUND[0],
        "lat": IN_COMPOUND[1],
    }


@pytest.mark.parametrize(
    "text, reason",
    [("门口乱堆\x00物", "nul_character"), ("门口乱堆\ud800物", "lone_surrogate")],
)
def test_bad_text_on_case_intake_is_a_coded_422(
    cast,  # noqa: F811
    category,  # noqa: F811
    at_monday,  # noqa: F811
    client_as,
    text,
    reason,
):
    r = client_as(cast.desk).post("/cases", _case_body(category, text))
    assert r.status_code == 422, r.content
    assert r.json() == {
        "code": "invalid_input",
        "message": "输入有误",
        "detail": {"reason": reason},
    }
    assert Case.objects.count() == 0


def test_bad_text_in_a_nested_list_or_a_key_is_refused(crew, tree, client_as):  # noqa: F811
    body = {
        "code": "P-NUL",
        "name": "06小区改造",
        "type": "old_compound",
        "responsible_unit": crew.office.code,
        "places": [tree.compound_a.code],
        "start": "2026-03-01",
        "deadline": "2026-10-31",
        "items": [{"name": "拆除\x00防盗网", "unit_of_measure": "个", "planned": 10}],
    }
    r = client_as(crew.supervisor).post("/projects", body)
    assert _is_invalid_input(r) and r.json()["detail"]["reason"] == "nul_character"
    body["items"] = [{"name": "拆除防盗网", "unit_of_measure": "个", "planned": 10, "\ud800": 1}]
    r = client_as(crew.supervisor).post("/projects", body)
    assert _is_invalid_input(r) and r.json()["detail"]["reason"] == "lone_surrogate"
    assert Project.objects.count() == 0


def test_nul_in_a_query_parameter_is_a_coded_422(cast, client_as):  # noqa: F811
    r = client_as(cast.desk).get("/cases", q="乱堆\x00")
    assert _is_invalid_input(r) and r.json()["detail"]["reason"] == "nul_character"


def test_a_plain_unreadable_body_stays_a_400(client_as, superuser):
    r = client_as(superuser).client.post(
        f"{API}/auth/token", "{not json", content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "http_400"


def test_a_body_beyond_django_s_limit_stays_a_coded_400(client_as, superuser, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with caplog.at_level(logging.ERROR, logger="cityloop.errors"):
        r = client_as(superuser).post("/inbox/read", {"ids": list(range(400))})
    assert r.status_code == 400
    assert r.json()["code"] == "bad_request"
    assert r.json()["detail"] == {"reason": "RequestDataTooBig"}
    assert [rec for rec in caplog.records if rec.name == "cityloop.errors"] == []


# --- schema names ----------------------------------------------------------------------------


def _models(tp, seen: set) -> None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in seen:
            return
        seen.add(tp)
        for field in tp.model_fields.values():
            _models(field.annotation, seen)
        return
    for arg in typing.get_args(tp):
        _models(arg, seen)


def test_no_two_schemas_share_a_name():
    seen: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                for model in op.models:
                    _models(model, seen)
                for response in op.response_models.values():
                    _models(response, seen)
    by_name: dict[str, set] = {}
    for model in seen:
        # ninja wraps each route's parameters and answers in models of its own: not in the document
        ninja_wrapper = getattr(model, "__ninja_param_source__", None) or (
            model.__name__ == "NinjaResponseSchema"
        )
        if not ninja_wrapper:
            by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__name__}")
    clashes = {name: mods for name, mods in by_name.items() if len(mods) > 1}
    assert clashes == {}


def test_both_decide_schemas_are_in_the_document(anon):
    schemas = anon.get("/openapi.json").json()["components"]["schemas"]
    assert {"EscalationDecideIn", "AppealDecideIn"} <= set(schemas)
    assert "DecideIn" not in schemas


# --- server errors ---------------------------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("the inbox query broke")


def test_an_api_server_error_is_json_logged_with_its_request_id(
    client_as, superuser, monkeypatch, caplog
):
    from cityloop.core import queries

    monkeypatch.setattr(queries, "inbox_for", _boom)
    with caplog.at_level(logging.ERROR, logger="cityloop.errors"):
        r = client_as(superuser).get("/inbox")
    assert r.status_code == 500
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    rid = r["X-Request-ID"]
    assert body == {
        "code": "server_error",
        "message": "服务器出错，请稍后再试",
        "detail": {},
        "request_id": rid,
    }
    [record] = [rec for rec in caplog.records if rec.name == "cityloop.errors"]
    assert f"[request_id={rid}]" in record.getMessage()
    assert record.exc_info[0] is RuntimeError
    assert "the inbox query broke" in caplog.text and "Traceback" in caplog.text


def test_a_page_server_error_keeps_the_html_page_and_is_logged(
    tree, street_a_user, monkeypatch, caplog
):
    from cityloop.org import queries

    monkeypatch.setattr(queries, "place_counts", _boom)
    client = Client(raise_request_exception=False)
    client.force_login(street_a_user)
    with caplog.at_level(logging.ERROR, logger="cityloop.errors"):
        r = client.get("/")
    assert r.status_code == 500
    assert r["Content-Type"].startswith("text/html")
    rid = r["X-Request-ID"]
    assert "服务器错误" in r.content.decode()
    assert f"请求编号：<code>{rid}</code>" in r.content.decode()
    [record] = [rec for rec in caplog.records if rec.name == "cityloop.errors"]
    assert f"[request_id={rid}]" in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_every_answer_carries_a_request_id_and_keeps_a_sane_given_one(anon):
    r = anon.get("/openapi.json")
    assert re.fullmatch(r"[0-9a-f]{32}", r["X-Request-ID"])
    given = anon.client.get(f"{API}/openapi.json", headers={"X-Request-ID": "lb-7f3a9c21"})
    assert given["X-Request-ID"] == "lb-7f3a9c21"
    forged = anon.client.get(f"{API}/openapi.json", headers={"X-Request-ID": "a b\r\nSet-Cookie"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_refused_input_is_not_logged_as_a_server_error(client_as, superuser, caplog):
    with caplog.at_level(logging.ERROR, logger="cityloop.errors"):
        client_as(superuser).get("/campaigns", offset=HUGE)
        client_as(superuser).get("/cases/999999")
    assert [rec for rec in caplog.records if rec.name == "cityloop.errors"] == []


# --- hostile payloads on write endpoints -----------------------------------------------------

HOSTILE = [
    {"description": 10**40},
    {"description": "x\x00"},
    {"description": "\udfff"},
    {"name": 1.7e308, "planned": -1e308},
    {"code": ["a"] * 3, "items": "not a list"},
    {"items": [{"planned": 10**30, "weight": 10**25, "name": "x", "unit_of_measure": "个"}]},
    {"deep": json.loads("[" * 200 + "]" * 200)},
    {"place_id": 2**70, "title": "\x00"},
    {"quantity": 10**20},
    {"username": {"a": None}, "password": [1.5e300]},
]


def _nest(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_hostile_payloads_never_get_a_5xx(
    crew,  # noqa: F811
    make_project,  # noqa: F811
    cast,  # noqa: F811
    category,  # noqa: F811
    at_monday,  # noqa: F811
    client_as,
):
    project = make_project()
    item = project.items.first()
    writers = {
        "/cases": client_as(cast.desk),
        "/projects": client_as(crew.supervisor),
        f"/projects/{project.pk}/items": client_as(crew.supervisor),
        f"/projects/{project.pk}/items/{item.pk}/reports": client_as(crew.doer),
        "/topics": client_as(crew.supervisor),
        "/auth/token": ApiClient(),
        # NUL in a text path parameter: no parser sees it; PostgreSQL refuses it (DataError)
        "/assessments/schemes/%00/versions": client_as(crew.supervisor),
    }
    wrong = []
    for path, who in writers.items():
        for body in HOSTILE:
            r = who.post(path, body)
            if r.status_code >= 500:
                wrong.append((path, body, r.status_code))
        for raw in (_nest(5000), "[" * 100000, '"\\u0000"', "1e999"):
            r = who.client.post(
                API + path, raw, content_type="application/json", headers=who._headers()
            )
            if r.status_code >= 500:
                wrong.append((path, raw[:20], r.status_code))
    assert wrong == []
    assert Case.objects.count() == 0
