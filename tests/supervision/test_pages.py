"""The supervision pages: board with reasons, task page actions, ledger, letters; scope."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.supervision import workflow
from cityloop.supervision.models import Rectification
from cityloop.supervision.services import create_inspection


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def test_board_shows_counts_sentence_and_reasons(crew, make_task, on_day, login):
    on_day(date(2026, 7, 2))
    blue = make_task("T-blue")
    red = make_task("T-red", title="信访积案化解")
    workflow.report_progress(actor=crew.doer, task_id=blue.pk, text="按计划", percent=55)
    workflow.report_progress(actor=crew.doer, task_id=red.pk, text="滞后", percent=10)
    page = login(crew.supervisor).get("/supervision/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "共有红色预警1项、黄色预警0项、蓝色预警1项" in html
    assert 'data-task="T-red" data-colour="red"' in html
    assert 'data-reason="behind_plan"' in html
    only_red = login(crew.supervisor).get("/supervision/?colour=red").content.decode()
    assert 'data-task="T-red"' in only_red and 'data-task="T-blue"' not in only_red
    past = login(crew.supervisor).get("/supervision/?as_of=2026-03-01").content.decode()
    # on 1 March neither report existed: both tasks were behind plan and late to report
    assert "共有红色预警0项、黄色预警2项、蓝色预警0项" in past


def test_outsider_sees_an_empty_board_and_no_task(crew, make_task, on_day, login):
    on_day(date(2026, 7, 2))
    task = make_task()
    client = login(crew.outsider)
    assert 'data-task="T1"' not in client.get("/supervision/").content.decode()
    assert client.get(f"/supervision/tasks/{task.pk}/").status_code == 404


def test_task_page_reports_progress_and_explains(crew, make_task, on_day, login):
    on_day(date(2026, 7, 2))
    task = make_task()
    client = login(crew.doer)
    r = client.post(f"/supervision/tasks/{task.pk}/report/", {"text": "刚开工", "percent": "5"})
    assert r.status_code == 302
    html = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert 'data-explanation="open"' in html and 'data-reason="behind_plan"' in html
    client.post(f"/supervision/tasks/{task.pk}/explain/", {"text": "拆迁延误，正在协调"})
    html = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert 'data-explanation="answered"' in html and "拆迁延误" in html
    bad = client.post(f"/supervision/tasks/{task.pk}/report/", {"text": "x", "percent": "150"})
    assert bad.status_code == 302
    assert task.reports.count() == 1


def test_ledger_report_and_reinspect(crew, make_task, on_day, login, tree):
    on_day(date(2026, 7, 2))
    inspection = create_inspection(
        actor=crew.supervisor,
        code="DC-1",
        kind="routine",
        on=date(2026, 7, 2),
        subject="周督查",
        team="第一督查组",
        unit=crew.street,
    )
    finding = workflow.record_finding(
        actor=crew.supervisor,
        inspection_id=inspection.pk,
        kind="垃圾乱堆",
        description="06小区门口垃圾未清运",
        unit=crew.office,
        mode="deadline",
        due=date(2026, 7, 9),
    )
    rect = finding.rectification
    html = login(crew.doer).get("/supervision/ledger/").content.decode()
    assert f'data-rectification="{rect.pk}"' in html
    login(crew.doer).post(f"/supervision/rectifications/{rect.pk}/report/", {"text": "已清运"})
    rect.refresh_from_db()
    assert rect.state == "submitted"
    login(crew.supervisor).post(
        f"/supervision/rectifications/{rect.pk}/reinspect/", {"passed": "1", "note": ""}
    )
    rect.refresh_from_db()
    assert rect.state == Rectification.State.CLOSED


def test_finding_with_photo_through_the_inspection_page(crew, on_day, login, settings, tmp_path):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from cityloop.supervision.models import Finding

    settings.MEDIA_ROOT = tmp_path / "media"
    on_day(date(2026, 7, 2))
    inspection = create_inspection(
        actor=crew.supervisor,
        code="DC-P",
        kind="key",
        on=date(2026, 7, 2),
        subject="重点督查",
        team="第二督查组",
        unit=crew.street,
    )
    buf = BytesIO()
    Image.new("RGB", (320, 240), (120, 90, 60)).save(buf, "JPEG")
    client = login(crew.supervisor)
    r = client.post(
        f"/supervision/inspections/{inspection.pk}/",
        {
            "kind": "违章搭建",
            "description": "06小区楼顶违章搭建",
            "unit": crew.office.pk,
            "severity": "serious",
            "is_problem": "on",
            "mode": "plan",
            "due": "2026-09-30",
            "plan": "先约谈业主，再限期拆除",
            "plan_steps": "2026-07-15 约谈业主\n2026-08-31 完成拆除",
            "photos": SimpleUploadedFile("site.jpg", buf.getvalue(), content_type="image/jpeg"),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    finding = Finding.objects.get(kind="违章搭建")
    assert len(finding.photos) == 1 and finding.rectification.milestones.count() == 2
    photo = client.get(f"/supervision/findings/{finding.pk}/photos/0/")
    assert photo.status_code == 200 and photo["Content-Type"].startswith("image/")
    assert (
        login(crew.outsider).get(f"/supervision/findings/{finding.pk}/photos/0/").status_code == 404
    )
    bad = login(crew.supervisor).post(
        f"/supervision/inspections/{inspection.pk}/",
        {
            "kind": "x",
            "description": "y",
            "unit": crew.office.pk,
            "severity": "minor",
            "mode": "plan",
            "due": "2026-09-30",
            "plan": "",
            "plan_steps": "",
        },
    )
    assert bad.status_code == 200 and Finding.objects.count() == 1
