"""Conflicting case actions racing between processes (issue 16): two forked processes, each
with its own database connection (as two gunicorn workers), fire the two actions of a pair
at the same moment through ``cases.workflow``, on a committed case of the test database.

Pairs: reply × send_back, suspend × resume (and each with itself), cancel × reply /
send_back / suspend / resume / dispatch / accept. The row lock must serialise them: the
events recorded are exactly the actions that answered "ok", they chain (each starts in the
state the one before left), a pair that cannot both apply has one winner and one coded
refusal (a case that left the actor's unit meanwhile is a coded 404 ``case_not_found``),
and nothing ends in an unexpected error. Bounded: one round per pair, a 20 s
barrier and a 60 s join per race."""

from __future__ import annotations

import multiprocessing
from collections import Counter

from django.db import connection, connections

from cityloop.cases import workflow
from cityloop.cases.models import Case, CaseEvent
from tests.faults.test_races import _report

ROUNDS = 1  # per pair: ten pairs, twenty processes; the thread races run six rounds
JOIN_TIMEOUT = 60


def _child(barrier, answers, index: int, action: str, case_id: int, actor_id: int, kwargs):
    """One side of a race, in a forked process with a connection of its own."""
    from django.contrib.auth import get_user_model

    from cityloop.core.errors import Conflict, InvalidTransition, NotFound

    outcome = ""
    try:
        actor = get_user_model().objects.get(pk=actor_id)
        connections.close_all()  # the race starts with a fresh connection on each side
        barrier.wait(timeout=20)
        getattr(workflow, action)(actor=actor, case_id=case_id, **kwargs)
        outcome = "ok"
    except (Conflict, InvalidTransition, NotFound) as exc:
        outcome = f"refused:{exc.code}"
    except BaseException as exc:  # any other outcome is the failure
        outcome = f"error:{exc!r}"
    finally:
        connections.close_all()
        answers.put((index, outcome))


def _race(case: Case, *calls: tuple[str, object, dict]) -> list[str]:
    """``calls``: ``(action, actor, kwargs)``; each runs in its own process at once."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(calls))
    answers = ctx.Queue()
    connections.close_all()  # a forked child must not share the parent's socket or file
    procs = [
        ctx.Process(target=_child, args=(barrier, answers, i, action, case.pk, actor.pk, kw))
        for i, (action, actor, kw) in enumerate(calls)
    ]
    for p in procs:
        p.start()
    outcome = ["error:no answer"] * len(calls)
    for _ in procs:
        try:
            i, answer = answers.get(timeout=JOIN_TIMEOUT)
        except Exception:  # a child that never answers is the failure
            break
        outcome[i] = answer
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():  # only what this test started, by its own handle
            p.kill()
            p.join()
    return outcome


def test_conflicting_actions_between_processes_make_consistent_transitions(
    transactional_db, seeded_calendar, cast, category, at_monday
):
    figures: Counter[str] = Counter()
    errors: list[str] = []
    double: list[str] = []

    def reported(n):
        return _report(cast, category, n)

    def accepted(n):
        return workflow.accept(actor=cast.desk, case_id=reported(n).pk)

    def dispatched(n):
        return workflow.dispatch(actor=cast.desk, case_id=accepted(n).pk, unit=cast.cgb)

    def suspended(n):
        return workflow.suspend(actor=cast.desk, case_id=dispatched(n).pk, reason="等待施工季节")

    reply = ("reply", cast.handler, {"result": "已清理完毕"})
    send_back = ("send_back", cast.handler, {"reason": "不属于本单位职责"})
    suspend = ("suspend", cast.verifier, {"reason": "等待施工季节"})
    resume = ("resume", cast.desk, {"note": "恢复办理"})
    cancel = ("cancel", cast.desk, {"reason": "群众撤回诉求"})
    dispatch = ("dispatch", cast.verifier, {"unit": cast.cgb})
    accept = ("accept", cast.verifier, {})
    # (label, case maker, the two calls, may both apply one after the other?)
    pairs = [
        ("reply × send_back", dispatched, reply, send_back, False),
        ("suspend × resume", dispatched, suspend, resume, True),
        ("suspend × suspend", dispatched, suspend, ("suspend", cast.desk, suspend[2]), False),
        ("resume × resume", suspended, resume, ("resume", cast.verifier, {}), False),
        ("cancel × reply", dispatched, cancel, reply, False),
        ("cancel × send_back", dispatched, cancel, send_back, True),
        ("cancel × suspend", dispatched, cancel, suspend, True),
        ("cancel × resume", suspended, cancel, resume, True),
        ("cancel × dispatch", accepted, cancel, dispatch, True),
        ("cancel × accept", reported, cancel, accept, True),
    ]
    for n in range(ROUNDS):
        for label, make, first, second, serial_ok in pairs:
            case = make(n)
            before = case.status
            start = CaseEvent.objects.filter(case=case).order_by("-pk").values("pk").first()
            outcome = _race(case, first, second)
            figures["runs"] += 1
            figures["won"] += outcome.count("ok")
            figures["refused"] += sum(o.startswith("refused") for o in outcome)
            errors.extend(f"{label}: {o}" for o in outcome if o.startswith("error"))
            verbs = {first[0], second[0]}
            new = list(
                CaseEvent.objects.filter(case=case, pk__gt=start["pk"], verb__in=verbs)
                .order_by("pk")
                .values_list("verb", "from_state", "to_state")
            )
            state, chained = before, True
            for _verb, frm, to in new:
                chained = chained and frm == state
                state = to
            final = Case.objects.get(pk=case.pk).status
            wanted_ok = {1, 2} if serial_ok else {1}
            if (
                len(new) != outcome.count("ok")
                or outcome.count("ok") not in wanted_ok
                or not chained
                or final != state
            ):
                double.append(f"{label}: {outcome}, events {new}, now {final}")
    print(
        f"\nconflicting actions between processes ({connection.vendor}): runs "
        f"{figures['runs']}, won {figures['won']}, refused {figures['refused']}, double "
        f"transitions {len(double)}, server errors {len(errors)}"
    )
    assert errors == []
    assert double == []
    assert figures["won"] + figures["refused"] == 2 * figures["runs"]
