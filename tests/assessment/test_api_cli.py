"""Assessment and bulletins over /api/v1 (stable codes, scope, files) and the CLI."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cityloop.assessment import workflow
from cityloop.bulletins import services as bulletin_services
from cityloop.bulletins import workflow as bulletin
from tests.api.conftest import client_as  # noqa: F401

from .conftest import SH

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(zxl, scheme, play, at):
    for _ in range(3):
        play(zxl.sw)
    for _ in range(4):
        play(zxl.zx, late=True)
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    return zxl


def test_rankings_and_scores_over_the_api(computed, client_as):  # noqa: F811
    zxl = computed
    desk, outsider, worker = client_as(zxl.desk), client_as(zxl.outsider), client_as(zxl.sw_worker)
    r = desk.get("/rankings", scheme="CW", period="2020-06")
    assert r.status_code == 200
    body = r.json()
    assert body["label"] == "2020年6月" and body["scores"][0]["name"] == "三湾街社区"
    assert outsider.get("/rankings", scheme="CW", period="2020-06").json()["code"] == (
        "assessment_scheme_not_found"
    )
    sid = body["scores"][0]["id"]
    detail = desk.get(f"/assessments/scores/{sid}").json()
    ontime = next(x for x in detail["lines"] if x["item"] == "ontime")
    assert ontime["explanation"]["records"] and ontime["explanation"]["records"][0]["link"]
    # Bad input: a clear message, a stable code, nothing changed.
    r = desk.post(
        "/assessments/CW/periods/2020-06/entries",
        {"target": zxl.sw.code, "item": "appearance", "points": 30, "evidence": "x"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "assessment_points_invalid")
    assert "0" in r.json()["message"] and "20" in r.json()["message"]
    r = worker.post("/assessments/CW/periods/2020-06/actions/run")
    assert (r.status_code, r.json()["code"]) == (403, "assessment_not_assessor")
    r = worker.post(
        "/assessments/CW/periods/2020-06/appeals",
        {"target": zxl.sw.code, "item": "appearance", "reason": "实地检查时已清理"},
    )
    assert r.status_code == 200 and r.json()["state"] == "lodged"
    r = desk.post(
        f"/assessments/appeals/{r.json()['id']}/actions/decide",
        {"uphold": True, "decision": "属实", "points": 18},
    )
    assert r.json()["state"] == "upheld" and float(r.json()["points_after"]) == 18
    assert desk.post("/assessments/CW/periods/2020-06/actions/close").json()["state"] == "closed"
    r = desk.post("/assessments/CW/periods/2020-06/actions/run")
    assert (r.status_code, r.json()["code"]) == (409, "assessment_period_closed")
    assert desk.get("/assessments", scheme="CW").json()[0]["state"] == "closed"
    assert any(
        i["name"] == "on_time_close_rate" for i in desk.get("/assessments/indicators").json()
    )


def test_bulletin_files_over_the_api_and_the_cli(computed, client_as, at, tmp_path):  # noqa: F811
    zxl = computed
    bulletin_services.series_save(
        code="SJXX",
        title="上街信息",
        issuer=zxl.office,
        issuer_name="中共上街区委办公室",
        send_to="区县处级领导",
    )
    desk, worker = client_as(zxl.desk), client_as(zxl.sw_worker)
    r = worker.post(
        "/bulletins/submissions",
        {
            "series": "SJXX",
            "unit": zxl.sw_unit.code,
            "title": "三湾街社区创卫",
            "body": "清理死角12处。",
        },
    )
    assert r.status_code == 200
    sub = r.json()["id"]
    # The submitter reads its own item but does not edit the bulletin: refused, not hidden.
    refused = worker.post(f"/bulletins/submissions/{sub}/actions/accept")
    assert (refused.status_code, refused.json()["code"]) == (403, "bulletin_not_editor")
    assert desk.post(f"/bulletins/submissions/{sub}/actions/bless").json()["code"] == (
        "bulletin_review_invalid"
    )
    assert desk.post(f"/bulletins/submissions/{sub}/actions/accept").json()["state"] == "accepted"
    issue = desk.post("/bulletins", {"series": "SJXX", "date": "2020-07-02", "number": 47}).json()
    assert (
        desk.post("/bulletins", {"series": "SJXX", "date": "2020-07-02", "number": 47}).json()[
            "code"
        ]
        == "bulletin_number_taken"
    )
    desk.post(f"/bulletins/issues/{issue['id']}/actions/compile")
    r = desk.post(
        f"/bulletins/issues/{issue['id']}/generated",
        {"generator": "ranking", "params": {"scheme": "CW", "period": "2020-06"}},
    )
    assert r.status_code == 200
    detail = desk.get(f"/bulletins/issues/{issue['id']}").json()
    assert any("三湾街社区" in i["body"] for i in detail["items"] if i["generated"])
    assert worker.get(f"/bulletins/issues/{issue['id']}").status_code == 404  # a draft
    f = desk.get(f"/bulletins/issues/{issue['id']}/file", format="docx")
    assert f.status_code == 200 and f["Content-Type"].startswith("application/vnd.openxml")
    assert "filename*=UTF-8''" in f["Content-Disposition"]
    assert desk.get(f"/bulletins/issues/{issue['id']}/file", format="odt").json()["code"] == (
        "bulletin_format_invalid"
    )
    n = desk.get(
        "/bulletins/notices/file", kind="monthly", period="2020-06", scheme="CW", format="pdf"
    )
    assert n.status_code == 200 and n.content.startswith(b"%PDF")
    # The CLI: the same functions.
    out = io.StringIO()
    call_command("assess", "show", "CW", "--period", "2020-06", stdout=out)
    assert "三湾街社区" in out.getvalue()
    target = tmp_path / "n.docx"
    call_command(
        "report",
        "notice",
        "--kind",
        "monthly",
        "--period",
        "2020-06",
        "--scheme",
        "CW",
        "--format",
        "docx",
        "-o",
        str(target),
        stdout=io.StringIO(),
    )
    from docx import Document

    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    # The title is broken between words (a line break in its one paragraph).
    assert "关于2020年6月创卫复审\n百分考核排名情况的通报" in text and "通报表扬" in text
    at(datetime(2020, 7, 3, 9, 0, tzinfo=SH))
    out = io.StringIO()
    call_command(
        "bulletin",
        "compile",
        "SJXX",
        "--issue",
        "47",
        "--year",
        "2020",
        "--publish",
        "--format",
        "pdf",
        "-o",
        str(tmp_path / "b.pdf"),
        stdout=out,
    )
    assert "已印发" in out.getvalue() and (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="assessment_period_invalid"):
        call_command("assess", "run", "CW", "--period", "June", stdout=io.StringIO())
    assert date(2020, 7, 3)
    assert bulletin  # the workflow module the API calls
