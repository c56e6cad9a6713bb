"""Progress is derived from work items (weighted), never typed; a linked supervision task
takes its progress from the project."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition
from cityloop.projects import queries, workflow
from cityloop.projects.models import ProjectEvent, QuantityReport
from cityloop.supervision.models import ProgressReport

pytestmark = pytest.mark.django_db


def _item(project, name):
    return project.items.get(name=name)


def test_weighted_progress_from_quantity_reports(crew, make_project, on_day):
    on_day(date(2026, 5, 6))
    p = make_project()
    assert p.progress == 0
    a, b, c = (_item(p, n) for n in ("拆除防盗网", "路边石修补", "人行道砖铺设"))
    workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=900, note="一期拆除")
    workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=900)
    workflow.report_quantity(actor=crew.doer, item_id=b.pk, quantity=750)
    workflow.report_quantity(actor=crew.doer, item_id=c.pk, quantity=500)
    p.refresh_from_db()
    # (1·1 + 1·0.5 + 2·0.25) / 4 = 50 %
    assert p.progress == Decimal("50.0")
    assert _item(p, "拆除防盗网").done == 1800
    assert p.last_report_on == date(2026, 5, 6)
    assert ProjectEvent.objects.filter(project=p, verb="quantity").count() == 4
    # Over-delivery on one item does not hide a lagging one.
    workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=200)
    p.refresh_from_db()
    assert p.progress == Decimal("50.0")
    # A correction (negative) is a new report, not an edit.
    workflow.report_quantity(actor=crew.doer, item_id=b.pk, quantity=-150, note="复核多报")
    p.refresh_from_db()
    assert _item(p, "路边石修补").done == 600
    assert p.progress == Decimal("47.5")  # (1 + 0.4 + 2·0.25) / 4
    assert QuantityReport.objects.filter(item__project=p).count() == 6
    history = queries.progress_history(p)
    assert history[-1] == {"on": "2026-05-06", "percent": 47.5}


def test_bad_quantity_reports_change_nothing(crew, make_project, on_day):
    on_day(date(2026, 5, 6))
    p = make_project()
    a = _item(p, "拆除防盗网")
    with pytest.raises(InvalidInput) as e:
        workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=-5)
    assert e.value.code == "quantity_below_zero"
    with pytest.raises(InvalidInput) as e:
        workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity="abc")
    assert e.value.code == "quantity_invalid"
    with pytest.raises(InvalidInput) as e:
        workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=5, on=date(2026, 5, 7))
    assert e.value.code == "quantity_in_future"
    with pytest.raises(Exception) as e:
        workflow.report_quantity(actor=crew.outsider, item_id=a.pk, quantity=5)
    assert e.value.code == "project_not_found"
    assert not QuantityReport.objects.exists()
    p.refresh_from_db()
    assert p.progress == 0


def test_linked_task_takes_the_projects_progress(crew, make_project, make_task, on_day):
    on_day(date(2026, 5, 6))
    task = make_task("T-06", title="06小区改造")
    p = make_project()
    a = _item(p, "拆除防盗网")
    workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=900)
    workflow.link_task(actor=crew.supervisor, project_id=p.pk, task_id=task.pk)
    task.refresh_from_db()
    # 900/1800 of weight 1 over 4 → 12.5 %, pushed at once when linked.
    assert task.progress == Decimal("12.5")
    on_day(date(2026, 5, 13))
    workflow.report_quantity(actor=crew.doer, item_id=_item(p, "人行道砖铺设").pk, quantity=2000)
    task.refresh_from_db()
    p.refresh_from_db()
    assert task.progress == p.progress == Decimal("62.5")
    assert task.last_report_on == date(2026, 5, 13)
    reports = list(ProgressReport.objects.filter(task=task).values_list("percent", flat=True))
    assert reports == [Decimal("12.5"), Decimal("62.5")]
    # The project's light is the task's light.
    colour, _reasons = queries.project_light(p)
    assert colour == task.light
    # One task, one project.
    other = make_project("P2")
    with pytest.raises(Exception) as e:
        workflow.link_task(actor=crew.supervisor, project_id=other.pk, task_id=task.pk)
    assert e.value.code == "task_already_linked"


def test_stages_need_works_done_and_acceptance(crew, make_project, on_day):
    on_day(date(2026, 5, 6))
    p = make_project()
    workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="design")
    workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="construction")
    with pytest.raises(InvalidTransition) as e:
        workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="acceptance")
    assert e.value.code == "project_items_not_done"
    with pytest.raises(InvalidTransition) as e:
        workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="handed_over")
    assert e.value.code == "project_bad_stage"
    with pytest.raises(Forbidden):
        workflow.advance(actor=crew.doer, project_id=p.pk, to_stage="acceptance")
    for item in p.items.all():
        workflow.report_quantity(actor=crew.doer, item_id=item.pk, quantity=item.planned)
    workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="acceptance")
    with pytest.raises(InvalidTransition) as e:
        workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage="handed_over")
    assert e.value.code == "acceptance_required"
    p.refresh_from_db()
    assert (p.stage, p.state, p.progress) == ("acceptance", "active", Decimal("100.0"))


def test_investment_progress_follows_its_stage(crew, on_day):
    from cityloop.projects.services import ProjectInput, create_project

    on_day(date(2026, 5, 6))
    p = create_project(
        actor=crew.supervisor,
        data=ProjectInput(
            code="ZS-1",
            name="智能制造产业园",
            type="investment",
            responsible_unit=crew.street.code,
            start=date(2026, 1, 1),
            deadline=date(2026, 12, 31),
            enterprise="启迪科技",
            leader=crew.leader.person.code,
        ),
    )
    assert (p.stage, p.progress) == ("contact", 0)
    for stage, pct in (("negotiation", "33.3"), ("signed", "66.7"), ("landed", "100.0")):
        workflow.advance(actor=crew.supervisor, project_id=p.pk, to_stage=stage)
        p.refresh_from_db()
        assert p.progress == Decimal(pct)
    assert p.state == "complete" and p.completed_on == date(2026, 5, 6)


def test_project_progress_is_an_assessment_indicator(crew, make_project, on_day):
    """The assessment reads the derived progress of the target unit's projects."""
    from cityloop.assessment import indicators
    from cityloop.assessment.indicators import Context, Target

    on_day(date(2026, 5, 6))
    p = make_project()
    a = _item(p, "拆除防盗网")
    workflow.report_quantity(actor=crew.doer, item_id=a.pk, quantity=1800)
    p.refresh_from_db()
    ind = indicators.get("project_progress")
    ctx = Context(date(2026, 5, 1), date(2026, 5, 31), [], "unit")
    m = ind.fn(ctx, Target(crew.office.code, crew.office.name, "unit", unit=crew.office))
    assert m.value == pytest.approx(float(p.progress) / 100) and m.volume == 1
    assert m.records[0]["id"] == p.pk
    nobody = ind.fn(ctx, Target("x", "x", "unit", unit=crew.outsider.person.unit))
    assert nobody.value is None and nobody.volume == 0
