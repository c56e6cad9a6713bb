"""Conflicting case actions racing on one case (issue 16): two threads, each on its own
database connection, fire the two actions of a pair at the same moment through
``cases.workflow``. The row lock must make one win and the other be refused with a coded
Conflict / InvalidTransition: never both transitions recorded, never an unexpected error."""

from __future__ import annotations

import threading
from collections import Counter

from django.db import connection, connections

from cityloop.cases import workflow
from cityloop.cases.models import Case, CaseEvent
from cityloop.core.errors import Conflict, InvalidTransition
from tests.cases.conftest import IN_COMPOUND

ROUNDS = 6  # per pair; each round is a fresh case (or pair of cases)


def _report(cast, category, n: int) -> Case:
    return workflow.report(
        actor=cast.resident,
        source="resident",
        description=f"竞争测试第 {n} 件：楼道堆物",
        category=category,
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
    )


def _race(*calls) -> list[str]:
    """Run the calls at once, each in its own thread and connection; answer per call
    "ok", "refused:<code>" or "error:<repr>"."""
    barrier = threading.Barrier(len(calls))
    outcome: list[str] = [""] * len(calls)

    def run(i: int, call) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcome[i] = "ok"
        except (Conflict, InvalidTransition) as exc:
            outcome[i] = f"refused:{exc.code}"
        except BaseException as exc:  # any other outcome is the failure
            outcome[i] = f"error:{exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcome


def test_conflicting_actions_on_one_case_make_one_transition(
    transactional_db, seeded_calendar, cast, category, at_monday
):
    figures: Counter[str] = Counter()
    errors: list[str] = []
    double: list[str] = []

    def check(label: str, outcome: list[str], cases: list[Case], verbs: set[str]) -> None:
        figures["runs"] += 1
        figures["won"] += outcome.count("ok")
        figures["refused"] += sum(o.startswith("refused") for o in outcome)
        errors.extend(f"{label}: {o}" for o in outcome if o.startswith("error"))
        transitions = CaseEvent.objects.filter(case__in=cases, verb__in=verbs).count()
        if outcome.count("ok") != 1 or transitions != 1:
            double.append(f"{label}: {outcome}, {transitions} transitions")

    for n in range(ROUNDS):
        case = _report(cast, category, n)
        outcome = _race(
            lambda c=case: workflow.accept(actor=cast.desk, case_id=c.pk),
            lambda c=case: workflow.reject(actor=cast.verifier, case_id=c.pk, reason="重复上报"),
        )
        check("accept/reject", outcome, [case], {"accept", "reject"})

        case = workflow.accept(actor=cast.desk, case_id=_report(cast, category, n).pk)
        outcome = _race(
            lambda c=case: workflow.dispatch(actor=cast.desk, case_id=c.pk, unit=cast.cgb),
            lambda c=case: workflow.dispatch(actor=cast.verifier, case_id=c.pk, unit=cast.cgb),
        )
        check("dispatch/dispatch", outcome, [case], {"dispatch"})

        a, b = _report(cast, category, n), _report(cast, category, n)
        outcome = _race(
            lambda a=a, b=b: workflow.merge(actor=cast.desk, case_id=a.pk, master_id=b.pk),
            lambda a=a, b=b: workflow.merge(actor=cast.verifier, case_id=b.pk, master_id=a.pk),
        )
        check("merge A→B/B→A", outcome, [a, b], {"merge"})
        merged = Case.objects.filter(pk__in=[a.pk, b.pk], status=Case.Status.MERGED).count()
        if merged != 1:
            double.append(f"merge A→B/B→A: {merged} cases merged")

    print(
        f"\nconflicting actions ({connection.vendor}): runs {figures['runs']}, "
        f"won {figures['won']}, refused {figures['refused']}, double transitions "
        f"{len(double)}, server errors {len(errors)}"
    )
    assert errors == []
    assert double == []
    assert figures["refused"] == figures["runs"]
