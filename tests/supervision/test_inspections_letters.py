"""Inspections → findings → rectifications in three modes; repeats → escalation; urging
letters numbered per issuer and year, whose silence turns tasks red."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition
from cityloop.core.models import Notification
from cityloop.supervision import queries, workflow
from cityloop.supervision.models import Escalation, Finding, Rectification, UrgingLetter
from cityloop.supervision.services import create_inspection


@pytest.fixture
def inspect(crew):
    counter = {"n": 0}

    def make(on: date, kind: str = "routine"):
        counter["n"] += 1
        return create_inspection(
            actor=crew.supervisor,
            code=f"DC-{counter['n']}",
            kind=kind,
            on=on,
            subject="日常督查",
            team="第一督查组",
            unit=crew.street,
        )

    return make


def _finding(crew, inspection, **kw):
    args = {
        "actor": crew.supervisor,
        "inspection_id": inspection.pk,
        "kind": "垃圾乱堆",
        "description": "06小区门口垃圾未清运",
        "unit": crew.office,
        "mode": "deadline",
        "due": date(2026, 7, 9),
    }
    args.update(kw)
    return workflow.record_finding(**args)


def test_three_modes(crew, inspect, on_day, tree):
    on_day(date(2026, 7, 2))
    i = inspect(date(2026, 7, 2))
    now = _finding(crew, i, mode="immediate", due=None)
    assert now.rectification.due == date(2026, 7, 2)
    later = _finding(crew, i, kind="占道经营", mode="deadline", due=date(2026, 7, 9))
    assert later.rectification.due == date(2026, 7, 9)
    plan = _finding(
        crew,
        i,
        kind="消防通道堵塞",
        mode="plan",
        due=date(2026, 9, 30),
        plan="分三步清理楼道堆物并加装标识",
        plan_steps=[("入户宣传", date(2026, 7, 20)), ("集中清理", date(2026, 8, 31))],
    )
    assert plan.rectification.milestones.count() == 2
    with pytest.raises(InvalidInput) as err:
        _finding(crew, i, kind="x", mode="plan", due=date(2026, 9, 30), plan="")
    assert err.value.code == "rectification_plan_required"
    with pytest.raises(InvalidInput) as err:
        _finding(crew, i, kind="x", mode="deadline", due=None)
    assert err.value.code == "rectification_due_required"
    assert Finding.objects.count() == 3
    assert Notification.objects.filter(recipient=crew.doer, verb="finding").count() == 3


def test_only_a_reinspection_closes_and_a_failure_counts(crew, inspect, on_day):
    on_day(date(2026, 7, 2))
    f = _finding(crew, inspect(date(2026, 7, 2)))
    rect = f.rectification
    with pytest.raises(Forbidden):  # the unit cannot close its own rectification
        workflow.reinspect(actor=crew.doer, rectification_id=rect.pk, passed=True)
    workflow.submit_rectification(actor=crew.doer, rectification_id=rect.pk, report="已清运")
    workflow.reinspect(
        actor=crew.supervisor, rectification_id=rect.pk, passed=False, note="仍有堆放"
    )
    rect.refresh_from_db()
    f.refresh_from_db()
    assert rect.state == "open" and rect.failed_reinspections == 1 and f.repeat_count == 1
    workflow.submit_rectification(actor=crew.doer, rectification_id=rect.pk, report="彻底清理")
    workflow.reinspect(actor=crew.supervisor, rectification_id=rect.pk, passed=True)
    rect.refresh_from_db()
    assert rect.state == Rectification.State.CLOSED and rect.closed_at is not None
    with pytest.raises(InvalidTransition):
        workflow.reinspect(actor=crew.supervisor, rectification_id=rect.pk, passed=True)


def test_repeat_failure_proposes_summons_criticism_and_deduction(
    crew, inspect, on_day, tree, client
):
    """The same kind of problem at the same unit comes back unrectified → escalation."""
    on_day(date(2026, 7, 2))
    first = _finding(crew, inspect(date(2026, 7, 2)), place=tree.compound_a)
    # the first is never put right; a week later it is found again
    on_day(date(2026, 7, 10))
    second = _finding(
        crew, inspect(date(2026, 7, 10)), place=tree.compound_a, due=date(2026, 7, 17)
    )
    assert second.repeat_count == 1 and second.repeat_of_id == first.pk
    assert not Escalation.objects.exists()  # policy: escalate at 2
    # the second fails its re-inspection: found unrectified again
    workflow.submit_rectification(
        actor=crew.doer, rectification_id=second.rectification.pk, report="清了"
    )
    workflow.reinspect(
        actor=crew.supervisor,
        rectification_id=second.rectification.pk,
        passed=False,
        note="复查仍有",
    )
    second.refresh_from_db()
    assert second.repeat_count == 2
    kinds = set(Escalation.objects.filter(finding=second).values_list("kind", flat=True))
    assert kinds == {"summons", "criticism", "deduction"}
    assert Notification.objects.filter(
        recipient=crew.supervisor, verb="escalation_proposed"
    ).exists()
    # The ledger names the finding once, with its three proposed measures under it.
    client.force_login(crew.supervisor)
    html = client.get("/supervision/ledger/").content.decode()
    assert html.count('data-finding="') == 1 and f'data-finding="{second.pk}"' in html
    block = html.split(f'data-finding="{second.pk}"')[1].split("</ul>")[0]
    assert second.inspection.code in block
    assert [
        k for k in ("criticism", "deduction", "summons") if f'data-escalation="{k}"' in block
    ] == [
        "criticism",
        "deduction",
        "summons",
    ]
    summons = Escalation.objects.get(finding=second, kind="summons")
    deduction = Escalation.objects.get(finding=second, kind="deduction")
    workflow.decide_escalation(actor=crew.supervisor, escalation_id=summons.pk, confirm=True)
    workflow.decide_escalation(actor=crew.supervisor, escalation_id=deduction.pk, confirm=True)
    assert list(queries.confirmed_deductions(unit=crew.office)) == [
        Escalation.objects.get(pk=deduction.pk)
    ]
    assert float(Escalation.objects.get(pk=deduction.pk).points) == 2.0
    with pytest.raises(InvalidTransition):
        workflow.decide_escalation(actor=crew.supervisor, escalation_id=summons.pk, confirm=False)
    # a third finding of a different kind at the same unit is not a repeat
    other = _finding(crew, inspect(date(2026, 7, 10)), kind="占道经营", due=date(2026, 7, 17))
    assert other.repeat_count == 0


def test_open_problem_finding_turns_its_task_red_until_closed(crew, make_task, inspect, on_day):
    on_day(date(2026, 7, 2))
    task = make_task()
    workflow.report_progress(actor=crew.doer, task_id=task.pk, text="按计划", percent=55)
    f = _finding(crew, inspect(date(2026, 7, 2)), task=task)
    task.refresh_from_db()
    assert task.light == "red"
    assert any(r["code"] == "open_finding" for r in task.light_reasons)
    workflow.submit_rectification(
        actor=crew.doer, rectification_id=f.rectification.pk, report="好了"
    )
    workflow.reinspect(actor=crew.supervisor, rectification_id=f.rectification.pk, passed=True)
    task.refresh_from_db()
    assert task.light == "blue"


def test_letter_numbering_items_and_silence(crew, make_task, inspect, on_day):
    on_day(date(2026, 7, 2))
    late = make_task("T-late", title="雨污分流改造：3号排水单元", deadline=date(2026, 6, 30))
    fine = make_task("T-fine", title="按期推进的任务")
    workflow.report_progress(actor=crew.doer, task_id=fine.pk, text="按计划", percent=55)
    f = _finding(crew, inspect(date(2026, 7, 2)), due=date(2026, 7, 3))
    on_day(date(2026, 7, 6))
    letter = workflow.issue_letter(
        actor=crew.supervisor,
        issuer=crew.street,
        addressee=crew.office,
        answer_due=date(2026, 7, 10),
    )
    assert letter.reference == "济源督〔2026〕1号"
    titles = [i["title"] for i in letter.items]
    assert titles == ["雨污分流改造：3号排水单元", f.description]
    assert Notification.objects.filter(recipient=crew.doer, verb="letter_sent").exists()
    second = workflow.issue_letter(
        actor=crew.supervisor,
        issuer=crew.street,
        addressee=crew.office,
        answer_due=date(2026, 7, 10),
        only=[("task", late.pk)],
    )
    assert second.number == 2 and len(second.items) == 1
    # unanswered past its date: the named task shows the letter among its red reasons
    on_day(date(2026, 7, 13))
    colour, reasons = queries.lights_for([late], date(2026, 7, 13))[late.pk]
    assert colour == "red" and "letter_unanswered" in {r["code"] for r in reasons}
    workflow.receive_letter(actor=crew.doer, letter_id=letter.pk)
    workflow.answer_letter(actor=crew.doer, letter_id=letter.pk, answer="已加派施工队，7月底完成")
    workflow.answer_letter(actor=crew.doer, letter_id=second.pk, answer="同上")
    colour, reasons = queries.lights_for([late], date(2026, 7, 13))[late.pk]
    assert "letter_unanswered" not in {r["code"] for r in reasons}
    assert UrgingLetter.objects.get(pk=letter.pk).state == "answered"


def test_letter_refusals_change_nothing(crew, make_task, on_day):
    on_day(date(2026, 7, 2))
    fine = make_task("T-fine")
    workflow.report_progress(actor=crew.doer, task_id=fine.pk, text="按计划", percent=55)
    with pytest.raises(InvalidInput) as err:
        workflow.issue_letter(
            actor=crew.supervisor,
            issuer=crew.street,
            addressee=crew.office,
            answer_due=date(2026, 7, 10),
        )
    assert err.value.code == "letter_no_items"
    with pytest.raises(InvalidInput) as err:
        workflow.issue_letter(
            actor=crew.supervisor,
            issuer=crew.street,
            addressee=crew.office,
            answer_due=date(2026, 7, 1),
        )
    assert err.value.code == "letter_answer_due_invalid"
    with pytest.raises(Forbidden):
        workflow.issue_letter(
            actor=crew.doer,
            issuer=crew.street,
            addressee=crew.office,
            answer_due=date(2026, 7, 10),
        )
    assert not UrgingLetter.objects.exists()


def test_the_issuing_office_cannot_answer_its_own_letter(crew, make_task, on_day):
    """Issue 14.10: the street office covers the addressed office, but only the addressee
    acknowledges and answers; refused, the letter stays as it was."""
    on_day(date(2026, 7, 2))
    make_task("T-late", title="雨污分流改造：3号排水单元", deadline=date(2026, 6, 30))
    on_day(date(2026, 7, 6))
    letter = workflow.issue_letter(
        actor=crew.supervisor,
        issuer=crew.street,
        addressee=crew.office,
        answer_due=date(2026, 7, 10),
    )
    for step in (
        lambda: workflow.receive_letter(actor=crew.supervisor, letter_id=letter.pk),
        lambda: workflow.answer_letter(actor=crew.supervisor, letter_id=letter.pk, answer="已办"),
    ):
        with pytest.raises(Forbidden) as err:
            step()
        assert err.value.code == "letter_not_addressee"
    letter.refresh_from_db()
    assert (letter.state, letter.answer) == ("sent", "")
    workflow.answer_letter(actor=crew.doer, letter_id=letter.pk, answer="已加派施工队")
    assert UrgingLetter.objects.get(pk=letter.pk).state == "answered"


def test_inspections_are_numbered_per_unit_and_year(crew, on_day, client):
    from cityloop.supervision.models import Inspection

    on_day(date(2026, 7, 2))
    client.force_login(crew.supervisor)
    page = client.get("/supervision/inspections/").content.decode()
    assert "留空" in page  # the code field says it numbers itself
    form = {"kind": "routine", "on": "2026-07-02", "subject": "周督查", "team": "第一督查组"}
    for _ in range(2):
        r = client.post("/supervision/inspections/", {**form, "unit": crew.street.pk})
        assert r.status_code == 302
    codes = list(Inspection.objects.order_by("pk").values_list("code", flat=True))
    prefix = f"{crew.street.code}-DC2026-"
    assert codes == [f"{prefix}0001", f"{prefix}0002"]
    # a code typed by hand is kept; a new year starts again at 1
    create_inspection(
        actor=crew.supervisor,
        code="专项-1",
        kind="special",
        on=date(2026, 7, 2),
        subject="专项",
        team="组",
        unit=crew.street,
    )
    on_day(date(2027, 1, 4))
    nxt = create_inspection(
        actor=crew.supervisor,
        kind="routine",
        on=date(2027, 1, 4),
        subject="周督查",
        team="组",
        unit=crew.street,
    )
    assert nxt.code == f"{crew.street.code}-DC2027-0001"
    # a taken code typed by hand is refused, and nothing is written
    before = Inspection.objects.count()
    r = client.post("/supervision/inspections/", {**form, "code": "专项-1", "unit": crew.street.pk})
    assert r.status_code == 400 and "该督查编码已存在" in r.content.decode()
    assert Inspection.objects.count() == before


def test_a_rectification_is_overdue_from_the_day_after_its_limit(crew, make_task, inspect, on_day):
    """One "overdue" rule (lights.past_due): the limit's own day is in time, the next day is
    overdue — for the light, the ledger and the letter's items alike."""
    from cityloop.supervision.lights import days_overdue, past_due

    assert (
        past_due(date(2026, 7, 9), date(2026, 7, 9)),
        days_overdue(date(2026, 7, 9), date(2026, 7, 9)),
    ) == (False, 0)
    assert (
        past_due(date(2026, 7, 9), date(2026, 7, 10)),
        days_overdue(date(2026, 7, 9), date(2026, 7, 10)),
    ) == (True, 1)
    on_day(date(2026, 7, 2))
    task = make_task()
    _finding(crew, inspect(date(2026, 7, 2)), task=task, is_problem=False, due=date(2026, 7, 9))

    def seen(day):
        (row,) = queries.ledger(crew.supervisor, as_of=day)
        items = [i.kind for i in queries.overdue_items(crew.office, as_of=day) if i.kind != "task"]
        _colour, reasons = queries.lights_for([task], day)[task.pk]
        return (
            row.overdue_days,
            items,
            [r["code"] for r in reasons if r["code"] == "rectification_overdue"],
        )

    assert seen(date(2026, 7, 9)) == (0, [], [])
    assert seen(date(2026, 7, 10)) == (1, ["rectification"], ["rectification_overdue"])
