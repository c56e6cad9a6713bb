"""Photos named by upload id are claimed inside the supervision step's own transaction: a
refused progress report, rectification report or re-inspection leaves the caller's uploads
unused, and the same ids serve the next, valid call."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from cityloop.core.models import Upload
from cityloop.core.photos import upload_save
from cityloop.supervision import workflow
from cityloop.supervision.models import Milestone, SupervisionEvent
from cityloop.supervision.services import create_inspection
from tests.api.conftest import client_as  # noqa: F401

pytestmark = pytest.mark.django_db


def _upload(owner, colour=(200, 30, 30)) -> Upload:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    return upload_save(owner=owner, filename="photo.jpg", data=buf.getvalue())


def _used(upload: Upload) -> bool:
    return Upload.objects.get(pk=upload.pk).used


def _rectification(crew):
    inspection = create_inspection(
        actor=crew.supervisor,
        code="DC-P1",
        kind="routine",
        on=date(2026, 7, 2),
        subject="日常督查",
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
    return finding.rectification


def test_a_refused_progress_report_keeps_its_uploads_for_the_next(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    task = make_task()
    photo = _upload(crew.doer)
    with pytest.raises(InvalidInput) as refused:  # no number: refused inside the transaction
        workflow.report_progress(
            actor=crew.doer, task_id=task.pk, text="进场施工", photo_ids=[photo.pk]
        )
    assert refused.value.code == "progress_number_required"
    assert _used(photo) is False
    report = workflow.report_progress(
        actor=crew.doer, task_id=task.pk, text="进场施工", percent=10, photo_ids=[photo.pk]
    )
    assert report.attachments == [photo.file]
    assert _used(photo) is True


def test_refused_rectification_steps_keep_their_uploads(crew, on_day):
    on_day(date(2026, 7, 2))
    rect = _rectification(crew)
    before = _upload(crew.doer)
    # The rectifying unit may not re-inspect its own work: refused, the upload stays unused.
    with pytest.raises(Forbidden):
        workflow.reinspect(
            actor=crew.doer, rectification_id=rect.pk, passed=True, photo_ids=[before.pk]
        )
    assert _used(before) is False
    workflow.submit_rectification(
        actor=crew.doer, rectification_id=rect.pk, report="已清运", photo_ids=[before.pk]
    )
    assert _used(before) is True
    rectified = SupervisionEvent.objects.get(verb="rectified")
    assert rectified.attachments == [before.file]
    # Reported twice: the second is refused (no longer open) and its upload stays unused.
    again = _upload(crew.doer, colour=(30, 200, 30))
    with pytest.raises(InvalidTransition):
        workflow.submit_rectification(
            actor=crew.doer, rectification_id=rect.pk, report="再报", photo_ids=[again.pk]
        )
    assert _used(again) is False
    # The inspector's re-inspection: a failed one without its note is refused first.
    check = _upload(crew.supervisor, colour=(30, 30, 200))
    with pytest.raises(InvalidInput):
        workflow.reinspect(
            actor=crew.supervisor, rectification_id=rect.pk, passed=False, photo_ids=[check.pk]
        )
    assert _used(check) is False
    workflow.reinspect(
        actor=crew.supervisor, rectification_id=rect.pk, passed=True, photo_ids=[check.pk]
    )
    assert _used(check) is True
    assert SupervisionEvent.objects.get(verb="reinspect").attachments == [check.file]


def test_someone_elses_upload_is_not_found_and_the_step_writes_nothing(crew, on_day):
    on_day(date(2026, 7, 2))
    rect = _rectification(crew)
    theirs = _upload(crew.supervisor)
    with pytest.raises(NotFound) as refused:
        workflow.submit_rectification(
            actor=crew.doer, rectification_id=rect.pk, report="已清运", photo_ids=[theirs.pk]
        )
    assert (refused.value.code, refused.value.detail) == ("upload_not_found", {"ids": [theirs.pk]})
    rect.refresh_from_db()
    assert (rect.state, rect.report) == ("open", "")
    assert _used(theirs) is False


def test_the_api_names_uploads_in_rectification_steps(crew, on_day, client_as):  # noqa: F811
    on_day(date(2026, 7, 2))
    rect = _rectification(crew)
    doer, boss = client_as(crew.doer), client_as(crew.supervisor)
    photo = _upload(crew.doer)
    r = doer.post(f"/rectifications/{rect.pk}/report", {"text": " ", "photo_ids": [photo.pk]})
    assert (r.status_code, r.json()["code"]) == (422, "rectification_report_required")
    assert _used(photo) is False
    r = doer.post(f"/rectifications/{rect.pk}/report", {"text": "已清运", "photo_ids": [photo.pk]})
    assert (r.status_code, r.json()["state"]) == (200, "submitted")
    assert _used(photo) is True
    check = _upload(crew.supervisor, colour=(30, 30, 200))
    r = boss.post(f"/rectifications/{rect.pk}/reinspect", {"passed": True, "photo_ids": [check.pk]})
    assert (r.status_code, r.json()["state"]) == (200, "closed")
    assert SupervisionEvent.objects.get(verb="reinspect").attachments == [check.file]


def test_a_milestone_of_another_task_is_a_coded_404_and_a_chinese_page_404(
    crew,
    make_task,
    on_day,
    client_as,  # noqa: F811
    client,
):
    on_day(date(2026, 7, 2))
    mine, other = make_task("T-a"), make_task("T-b")
    m = Milestone.objects.create(task=other, title="方案", due=date(2026, 8, 1))
    r = client_as(crew.doer).post(f"/tasks/{mine.pk}/milestones/{m.pk}/done", {})
    assert (r.status_code, r.json()["code"]) == (404, "milestone_not_found")
    assert r.json()["message"] == "未找到该节点"
    client.force_login(crew.doer)
    page = client.post(
        f"/supervision/tasks/{mine.pk}/milestone_done/",
        {"milestone": m.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 404
    m.refresh_from_db()
    assert m.done_on is None
