"""Projects and campaigns over /api/v1: filters, scope (404), roles (403), states (409),
bad input (422) with stable codes, xlsx import with row-numbered errors."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import Workbook

from cityloop.projects.models import Project, WorkItem
from tests.api.conftest import client_as  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(crew, client_as):  # noqa: F811
    return {
        "boss": client_as(crew.supervisor),
        "doer": client_as(crew.doer),
        "outsider": client_as(crew.outsider),
    }


def _body(crew, tree, **kw):
    body = {
        "code": "API-P1",
        "name": "06小区老旧小区改造",
        "type": "old_compound",
        "responsible_unit": crew.office.code,
        "supervising_unit": crew.street.code,
        "places": [tree.compound_a.code],
        "start": "2026-03-01",
        "deadline": "2026-10-31",
        "items": [
            {"name": "拆除防盗网", "unit_of_measure": "个", "planned": 1680},
            {"name": "路边石修补", "unit_of_measure": "米", "planned": 1410},
        ],
    }
    body.update(kw)
    return body


def test_project_lifecycle_over_the_api(crew, tree, api, on_day):
    on_day(date(2026, 6, 1))
    r = api["boss"].post("/projects", _body(crew, tree))
    assert r.status_code == 201, r.content
    p = r.json()
    assert (p["stage"], p["progress"], p["light"]) == ("opinion", 0.0, p["light"])
    assert "advance" in p["allowed_actions"]
    pid, items = p["id"], {i["name"]: i["id"] for i in p["work_items"]}
    assert api["boss"].post("/projects", _body(crew, tree)).json()["code"] == "project_code_taken"
    r = api["doer"].post(f"/projects/{pid}/items/{items['拆除防盗网']}/reports", {"quantity": 1680})
    assert r.status_code == 201 and r.json()["progress"] == 50.0
    r = api["doer"].post(f"/projects/{pid}/items/{items['拆除防盗网']}/reports", {"quantity": "x"})
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")
    r = api["outsider"].get(f"/projects/{pid}")
    assert (r.status_code, r.json()["code"]) == (404, "project_not_found")
    r = api["doer"].post(f"/projects/{pid}/actions/advance", {"stage": "design"})
    assert (r.status_code, r.json()["code"]) == (403, "project_not_manager")
    r = api["boss"].post(f"/projects/{pid}/actions/advance", {"stage": "construction"})
    assert (r.status_code, r.json()["code"]) == (409, "project_bad_stage")
    for stage in ("design", "construction"):
        assert (
            api["boss"].post(f"/projects/{pid}/actions/advance", {"stage": stage}).status_code
            == 200
        )
    r = api["doer"].post(f"/projects/{pid}/items/{items['路边石修补']}/reports", {"quantity": 1410})
    assert r.json()["progress"] == 100.0
    assert (
        api["boss"].post(f"/projects/{pid}/actions/advance", {"stage": "acceptance"}).status_code
        == 200
    )
    r = api["boss"].post(
        f"/projects/{pid}/acceptances",
        {
            "on": "2026-06-01",
            "passed": False,
            "open_points": [{"text": "井盖缺失", "due": "2026-06-05"}],
        },
    )
    assert r.status_code == 201
    rect = r.json()["acceptances"][0]["findings"][0]["rectification"]["id"]
    r = api["boss"].post(f"/projects/{pid}/acceptances", {"on": "2026-06-01", "passed": True})
    assert (r.status_code, r.json()["code"]) == (409, "acceptance_rectification_open")
    r = api["doer"].post(
        f"/projects/{pid}/rectifications/{rect}/actions/report", {"report": "已补齐"}
    )
    assert r.status_code == 200
    checks = [{"item": c, "ok": True} for c in Project.objects.get(pk=pid).type.checklist]
    r = api["boss"].post(
        f"/projects/{pid}/acceptances",
        {"on": "2026-06-01", "passed": True, "checks": checks, "unit_ids": [tree.office_a.pk]},
    )
    assert r.status_code == 201, r.content
    done = r.json()
    assert (done["state"], done["stage"]) == ("complete", "handed_over")
    assert [a["result"] for a in done["acceptances"]] == ["failed", "passed"]
    listing = api["boss"].get("/projects", state="complete").json()
    assert [row["code"] for row in listing["items"]] == ["API-P1"]
    assert api["outsider"].get("/projects").json()["count"] == 0
    events = [e["verb"] for e in api["boss"].get(f"/projects/{pid}/events").json()]
    assert events[0] == "create" and events.count("acceptance") == 2
    pf = api["boss"].get("/projects/portfolio", type="old_compound").json()
    assert pf["complete"] == 1 and {i["name"]: i["done"] for i in pf["items"]}["路边石修补"] == 1410


def _xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_import_is_all_or_nothing_with_line_numbers(crew, tree, api, tmp_path, on_day):
    on_day(date(2026, 6, 1))
    head = [
        "项目编号",
        "项目名称",
        "项目类型",
        "责任单位编码",
        "地点编码",
        "开工日期",
        "完工期限",
        "投资（万元）",
    ]
    bad = _xlsx(
        tmp_path / "bad.xlsx",
        [
            head,
            [
                "IM-1",
                "口袋公园一",
                "口袋公园",
                crew.office.code,
                tree.compound_a.code,
                "2026-03-01",
                "2026-09-30",
                150,
            ],
            ["IM-2", "口袋公园二", "公园", crew.office.code, "", "2026-03-01", "2026-09-30", 120],
            ["IM-3", "口袋公园三", "pocket_park", "NOPE", "", "2026/03/01", "2026-02-01", ""],
        ],
    )
    with open(bad, "rb") as fh:
        r = api["boss"].client.post(
            "/api/v1/projects/import",
            {"file": fh, "kind": "projects"},
            headers=api["boss"]._headers(),
        )
    assert r.status_code == 422
    errors = {(e["line"], e["code"]) for e in r.json()["errors"]}
    assert errors == {(3, "project_type_unknown"), (4, "project_dates_invalid")}
    assert not Project.objects.exists()
    good = _xlsx(
        tmp_path / "good.xlsx",
        [
            head,
            *[
                row
                for row in [
                    [
                        "IM-1",
                        "口袋公园一",
                        "口袋公园",
                        crew.office.code,
                        tree.compound_a.code,
                        "2026-03-01",
                        "2026-09-30",
                        150,
                    ],
                    [
                        "IM-2",
                        "口袋公园二",
                        "pocket_park",
                        crew.office.code,
                        "",
                        "2026-03-01",
                        "2026-09-30",
                        120,
                    ],
                ]
            ],
        ],
    )
    with open(good, "rb") as fh:
        r = api["boss"].client.post(
            "/api/v1/projects/import",
            {"file": fh, "kind": "projects"},
            headers=api["boss"]._headers(),
        )
    assert r.status_code == 200, r.content
    assert r.json()["counts"]["projects"]["created"] == 2
    items = _xlsx(
        tmp_path / "items.xlsx",
        [
            ["项目编号", "工程量名称", "计量单位", "计划量", "权重"],
            ["IM-1", "园路铺装", "平方米", 900, 1],
            ["IM-1", "苗木栽植", "棵", 300, ""],
            ["IM-9", "苗木栽植", "棵", 300, ""],
        ],
    )
    from cityloop.projects.importers import run_import

    report = run_import("work_items", items, actor=crew.supervisor)
    assert [(e.line, e.code) for e in report.errors] == [(4, "project_not_found")]
    assert not WorkItem.objects.exists()
    ok = _xlsx(
        tmp_path / "items2.xlsx",
        [["项目编号", "工程量名称", "计量单位", "计划量"], ["IM-1", "园路铺装", "平方米", 900]],
    )
    assert run_import("work_items", ok, actor=crew.supervisor).ok
    again = run_import("work_items", ok, actor=crew.supervisor)
    assert again.counts["work_items"]["unchanged"] == 1


def test_campaign_api_totals(tree, make_account, client_as, on_day):  # noqa: F811
    on_day(date(2026, 4, 20))
    staff = make_account("jyl", unit=tree.office_a)
    c = client_as(staff)
    r = c.post(
        "/campaigns",
        {
            "code": "QCQJ",
            "title": "全城清洁",
            "kind": "cleanup",
            "organiser": tree.office_a.code,
            "recurrence": "weekly",
            "weekday": 4,
            "start": "2026-04-01",
        },
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    r = c.post(
        f"/campaigns/{cid}/sessions",
        {
            "on": "2026-04-17",
            "place_id": tree.compound_a.pk,
            "participants": [{"name": "王芳"}, {"name": "李强"}],
            "outputs": [{"kind": "dead_corners", "quantity": 3}],
            "resources": [{"name": "垃圾清运车", "unit": "辆", "quantity": 2}],
        },
    )
    assert r.status_code == 201 and r.json()["person_times"] == 2
    r = c.post(f"/campaigns/{cid}/sessions", {"on": "2026-04-16", "place_id": tree.compound_a.pk})
    assert (r.status_code, r.json()["code"]) == (422, "session_not_on_weekday")
    t = c.get(
        "/campaigns/totals", start="2026-04-01", end="2026-04-30", place_id=tree.community_a.pk
    ).json()
    assert (t["sessions"], t["person_times"], t["outputs"][0]["quantity"]) == (1, 2, 3.0)
    other = client_as(make_account("zxl", unit=tree.office_b))
    assert other.get(f"/campaigns/{cid}").status_code == 404
    assert other.get("/campaigns/totals").json()["sessions"] == 0


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_a_refused_report_keeps_its_photos_and_an_item_of_another_project_is_not_found(
    crew, tree, api, on_day
):
    from cityloop.core.models import Upload
    from cityloop.core.photos import upload_save
    from cityloop.projects.models import QuantityReport

    on_day(date(2026, 6, 1))
    p1 = api["boss"].post("/projects", _body(crew, tree)).json()
    p2 = api["boss"].post("/projects", _body(crew, tree, code="API-P2", name="07小区改造")).json()
    item1 = p1["work_items"][0]["id"]
    item2 = p2["work_items"][0]["id"]
    upload = upload_save(owner=crew.doer, filename="after.jpg", data=_jpeg())
    # The workflow refuses (a zero quantity): the upload named in the body stays unused.
    r = api["doer"].post(
        f"/projects/{p1['id']}/items/{item1}/reports", {"quantity": 0, "photo_ids": [upload.pk]}
    )
    assert (r.status_code, r.json()["code"]) == (422, "quantity_invalid")
    assert Upload.objects.get(pk=upload.pk).used is False
    # An item of the other project, named under this one: not found, and nothing written.
    r = api["doer"].post(
        f"/projects/{p1['id']}/items/{item2}/reports", {"quantity": 5, "photo_ids": [upload.pk]}
    )
    assert (r.status_code, r.json()["code"]) == (404, "work_item_not_found")
    assert not QuantityReport.objects.exists()
    assert Upload.objects.get(pk=upload.pk).used is False
    # The same upload then serves the accepted report.
    r = api["doer"].post(
        f"/projects/{p1['id']}/items/{item1}/reports", {"quantity": 5, "photo_ids": [upload.pk]}
    )
    assert r.status_code == 201, r.content
    (report,) = QuantityReport.objects.all()
    assert (report.item_id, len(report.photos)) == (item1, 1)
    assert Upload.objects.get(pk=upload.pk).used is True


def test_the_workflow_itself_refuses_an_item_of_another_project(crew, tree, api, on_day):
    from cityloop.core.errors import NotFound
    from cityloop.projects import workflow

    on_day(date(2026, 6, 1))
    p1 = api["boss"].post("/projects", _body(crew, tree)).json()
    p2 = api["boss"].post("/projects", _body(crew, tree, code="API-P2", name="07小区改造")).json()
    with pytest.raises(NotFound) as refused:
        workflow.report_quantity(
            actor=crew.doer,
            project_id=p1["id"],
            item_id=p2["work_items"][0]["id"],
            quantity=5,
        )
    assert refused.value.code == "work_item_not_found"
    assert WorkItem.objects.get(pk=p2["work_items"][0]["id"]).done == 0
