"""Opinion gathering, inspections through supervision's chain, and acceptance: failed →
rectification → acceptance again; complete only after a passed acceptance."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.core.errors import InvalidInput, InvalidTransition
from cityloop.projects import queries, services, workflow
from cityloop.projects.models import Acceptance, ProjectEvent
from cityloop.projects.workflow import OpenPoint
from cityloop.supervision import workflow as sv_workflow
from cityloop.supervision.models import Finding, Rectification

pytestmark = pytest.mark.django_db


def _to_acceptance(crew, p):
    for stage in ("design", "construction"):
        workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage=stage)
    for item in p.items.all():
        workflow.report_quantity(actor=crew.doer, item_id=item.pk, quantity=item.planned)
    workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="acceptance")


def _all_checks(p, ok=True):
    return [{"item": c, "ok": ok} for c in p.type.checklist]


def test_failed_acceptance_rectified_and_accepted_again(crew, make_project, tree, on_day):
    on_day(date(2026, 9, 1))
    p = make_project()
    _to_acceptance(crew, p)
    # Failed: two open points with time limits; they become supervision findings.
    first = workflow.record_acceptance(
        actor=crew.supervisor,
        project_id=p.pk,
        on=date(2026, 9, 1),
        passed=False,
        units=[tree.office_a, tree.bureau],
        checks=[{"item": p.type.checklist[0], "ok": True}],
        open_points=[
            OpenPoint("3号楼雨水管未接入管网", date(2026, 9, 10)),
            OpenPoint("东门人行道砖松动", date(2026, 9, 10)),
        ],
        note="第一次验收未通过",
    )
    assert first.round == 1 and first.result == "failed"
    assert len(first.checks) == len(p.type.checklist)  # every item of the list, ticked or not
    rects = list(Rectification.objects.filter(finding__inspection=first.inspection))
    assert len(rects) == 2 and {r.state for r in rects} == {"open"}
    assert {r.unit_id for r in rects} == {crew.office.pk}
    p.refresh_from_db()
    assert (p.stage, p.state) == ("acceptance", "active")
    # Not again before the points are reported rectified.
    with pytest.raises(InvalidTransition) as e:
        workflow.record_acceptance(
            actor=crew.supervisor,
            project_id=p.pk,
            on=date(2026, 9, 1),
            passed=True,
            checks=_all_checks(p),
        )
    assert e.value.code == "acceptance_rectification_open"
    # The unit rectifies: supervision's own step (through the project or the ledger).
    on_day(date(2026, 9, 8))
    workflow.submit_rectification(
        actor=crew.doer, project_id=p.pk, rectification_id=rects[0].pk, report="已接入管网"
    )
    sv_workflow.submit_rectification(
        actor=crew.doer, rectification_id=rects[1].pk, report="已重新铺设"
    )
    # Passed needs every check ticked.
    with pytest.raises(InvalidInput) as e:
        workflow.record_acceptance(
            actor=crew.supervisor,
            project_id=p.pk,
            on=date(2026, 9, 8),
            passed=True,
            checks=_all_checks(p, ok=False),
        )
    assert e.value.code == "acceptance_checks_failed"
    second = workflow.record_acceptance(
        actor=crew.supervisor,
        project_id=p.pk,
        on=date(2026, 9, 8),
        passed=True,
        units=[tree.office_a],
        checks=_all_checks(p),
        note="整改到位，验收合格",
    )
    assert (second.round, second.result) == (2, "passed")
    # The second round was the re-inspection: the rectifications are closed.
    assert set(
        Rectification.objects.filter(pk__in=[r.pk for r in rects]).values_list("state", flat=True)
    ) == {"closed"}
    p.refresh_from_db()
    assert (p.stage, p.state, p.completed_on) == ("handed_over", "complete", date(2026, 9, 8))
    history = queries.acceptance_history(p)
    assert [h["acceptance"].result for h in history] == ["failed", "passed"]
    assert len(history[0]["findings"]) == 2
    verbs = list(ProjectEvent.objects.filter(project=p).values_list("verb", flat=True))
    assert verbs.count("acceptance") == 2 and "rectified" in verbs
    with pytest.raises(InvalidTransition):
        workflow.record_acceptance(
            actor=crew.supervisor, project_id=p.pk, on=date(2026, 9, 8), passed=True
        )


def test_failed_again_sends_rectifications_back(crew, make_project, on_day):
    on_day(date(2026, 9, 1))
    p = make_project()
    _to_acceptance(crew, p)
    first = workflow.record_acceptance(
        actor=crew.supervisor,
        project_id=p.pk,
        on=date(2026, 9, 1),
        passed=False,
        open_points=[OpenPoint("绿化补植未完成", date(2026, 9, 15))],
    )
    rect = Rectification.objects.get(finding__inspection=first.inspection)
    workflow.submit_rectification(
        actor=crew.doer, project_id=p.pk, rectification_id=rect.pk, report="已补植"
    )
    second = workflow.record_acceptance(
        actor=crew.supervisor, project_id=p.pk, on=date(2026, 9, 1), passed=False, note="成活率不足"
    )
    assert second.result == "failed" and second.inspection is None
    rect.refresh_from_db()
    assert (rect.state, rect.failed_reinspections) == ("open", 1)
    assert Finding.objects.get(pk=rect.finding_id).repeat_count == 1
    assert Acceptance.objects.filter(project=p).count() == 2


def test_acceptance_only_at_its_stage_and_with_points(crew, make_project, on_day):
    on_day(date(2026, 9, 1))
    p = make_project()
    with pytest.raises(InvalidTransition) as e:
        workflow.record_acceptance(
            actor=crew.supervisor, project_id=p.pk, on=date(2026, 9, 1), passed=True
        )
    assert e.value.code == "project_bad_stage"
    _to_acceptance(crew, p)
    with pytest.raises(InvalidInput) as e:
        workflow.record_acceptance(
            actor=crew.supervisor, project_id=p.pk, on=date(2026, 9, 1), passed=False
        )
    assert e.value.code == "acceptance_points_required"
    with pytest.raises(InvalidInput) as e:
        workflow.record_acceptance(
            actor=crew.supervisor,
            project_id=p.pk,
            on=date(2026, 9, 1),
            passed=False,
            open_points=[OpenPoint("x", date(2026, 8, 1))],
        )
    assert e.value.code == "rectification_due_past"
    assert not Acceptance.objects.exists()


def test_quality_inspection_runs_through_supervision(crew, make_project, make_task, tree, on_day):
    from cityloop.org import services as org_services

    on_day(date(2026, 6, 3))
    yjb, _ = org_services.unit_save(
        actor=None,
        code="JYL-YJB",
        name="应急办",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )
    p = make_project()
    task = make_task("T-06")
    workflow.link_task(actor=crew.supervisor, project_id=p.pk, task_id=task.pk)
    link = workflow.open_inspection(
        actor=crew.supervisor,
        project_id=p.pk,
        kind="safety",
        office=yjb,
        on=date(2026, 6, 3),
        team="应急办安全检查组",
    )
    assert link.inspection.unit == yjb and link.inspection.code == "P1-JC01"
    finding = workflow.record_finding(
        actor=crew.supervisor,
        project_inspection_id=link.pk,
        kind="施工安全",
        description="脚手架未设防护网",
        due=date(2026, 6, 5),
    )
    assert finding.unit == crew.office and finding.task == task
    assert finding.place == tree.compound_a
    task.refresh_from_db()
    assert task.light == "red"  # an open problem on the linked task
    assert queries.project_light(p)[0] == "red"
    sv_workflow.submit_rectification(
        actor=crew.doer, rectification_id=finding.rectification.pk, report="已加装防护网"
    )
    sv_workflow.reinspect(
        actor=crew.supervisor, rectification_id=finding.rectification.pk, passed=True
    )
    rows = queries.inspections_of(p)
    assert rows[0]["findings"][0].rectification.state == "closed"


def test_opinions_counted_by_kind_and_turned_into_design_items(crew, make_project, tree, on_day):
    from cityloop.projects.services import RequestInput

    on_day(date(2026, 3, 20))
    p = make_project()
    visit = services.record_opinion(
        actor=crew.doer,
        project_id=p.pk,
        method="visit",
        on=date(2026, 3, 10),
        people_reached=120,
        requests=[
            RequestInput("parking", "增设停车位", 14),
            RequestInput("lighting", "楼道照明", 9),
        ],
    )
    services.record_opinion(
        actor=crew.doer,
        project_id=p.pk,
        method="meeting",
        on=date(2026, 3, 15),
        people_reached=35,
        summary="小板凳恳谈会",
        place=tree.compound_a,
        requests=[
            RequestInput("parking", "规划非机动车棚", 6),
            RequestInput("ageing", "加装扶手", 4),
        ],
    )
    services.record_opinion(
        actor=crew.doer, project_id=p.pk, method="call", on=date(2026, 3, 16), people_reached=40
    )
    counts = queries.opinion_counts(p)
    assert counts["reached"] == 195
    assert counts["methods"]["meeting"]["rounds"] == 1
    assert [(k["code"], k["requests"], k["people"]) for k in counts["kinds"]] == [
        ("parking", 2, 20),
        ("lighting", 1, 9),
        ("ageing", 1, 4),
    ]
    parking = list(visit.requests.filter(kind__code="parking").values_list("pk", flat=True))
    item = services.add_design_item(
        actor=crew.doer, project_id=p.pk, title="东侧绿地改建生态停车位 40 个", request_ids=parking
    )
    assert item.kind.code == "parking"
    assert queries.opinion_counts(p)["kinds"][0]["adopted"] == 1
    with pytest.raises(Exception) as e:
        services.add_design_item(
            actor=crew.doer, project_id=p.pk, title="重复", request_ids=parking
        )
    assert e.value.code == "request_already_adopted"
    with pytest.raises(InvalidInput) as e:
        services.record_opinion(
            actor=crew.doer, project_id=p.pk, method="visit", on=date(2026, 3, 21), people_reached=3
        )
    assert e.value.code == "opinion_in_future"


def test_backward_schedule(crew, make_project, on_day):
    from cityloop.supervision.scheduling import Step

    on_day(date(2026, 3, 2))
    p = make_project()
    ms = services.set_schedule(
        actor=crew.supervisor,
        project_id=p.pk,
        steps=[Step("方案设计", 20), Step("施工", 80), Step("竣工验收", 10)],
    )
    assert ms[-1].due == date(2026, 10, 30)  # 31 Oct 2026 is a Saturday: last working day
    assert [float(m.planned_percent) for m in ms] == [18.2, 90.9, 100.0]
    with pytest.raises(InvalidInput) as e:
        services.set_schedule(actor=crew.supervisor, project_id=p.pk, steps=[Step("施工", 400)])
    assert e.value.code == "schedule_does_not_fit"


def _upload(owner, colour=(200, 30, 30)):
    import io

    from PIL import Image

    from cityloop.core.photos import upload_save

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    return upload_save(owner=owner, filename="photo.jpg", data=buf.getvalue())


def _used(upload) -> bool:
    from cityloop.core.models import Upload

    return Upload.objects.get(pk=upload.pk).used


def test_project_steps_claim_their_uploads_in_their_own_transaction(
    crew, make_project, tree, on_day
):
    """Refused after the claim (supervision refuses inside the project's transaction): the
    uploads stay unused, and the same ids serve the next, valid call."""
    on_day(date(2026, 9, 1))
    p = make_project()
    _to_acceptance(crew, p)
    workflow.record_acceptance(
        actor=crew.supervisor,
        project_id=p.pk,
        on=date(2026, 9, 1),
        passed=False,
        units=[tree.office_a],
        checks=[{"item": p.type.checklist[0], "ok": True}],
        open_points=[OpenPoint("3号楼雨水管未接入管网", date(2026, 9, 10))],
    )
    (rect,) = Rectification.objects.filter(state="open")
    first, second = _upload(crew.doer), _upload(crew.doer, colour=(30, 200, 30))
    workflow.submit_rectification(
        actor=crew.doer,
        project_id=p.pk,
        rectification_id=rect.pk,
        report="已接入管网",
        photo_ids=[first.pk],
    )
    assert _used(first) is True
    event = ProjectEvent.objects.get(verb="rectified")
    assert event.attachments == [first.file]
    # Reported again: supervision refuses (no longer open) after the project claimed the photo.
    with pytest.raises(InvalidTransition):
        workflow.submit_rectification(
            actor=crew.doer,
            project_id=p.pk,
            rectification_id=rect.pk,
            report="再报一次",
            photo_ids=[second.pk],
        )
    assert _used(second) is False
    assert ProjectEvent.objects.filter(verb="rectified").count() == 1
    # The same upload serves the quantity report that follows.
    item = p.items.first()
    with pytest.raises(InvalidInput):  # would make the done quantity negative
        workflow.report_quantity(
            actor=crew.doer, item_id=item.pk, quantity=-(item.planned + 1), photo_ids=[second.pk]
        )
    assert _used(second) is False
    report = workflow.report_quantity(
        actor=crew.doer, item_id=item.pk, quantity=-1, photo_ids=[second.pk]
    )
    assert report.photos == [second.file]
    assert _used(second) is True
