"""The transition table, state by state and part by part: which buttons each account gets,
and that every refused action is refused by the workflow itself (not only hidden)."""

from __future__ import annotations

import pytest

from cityloop.cases import workflow
from cityloop.cases.queries import visible_cases
from cityloop.core.errors import DomainError, Forbidden, InvalidTransition, NotFound

pytestmark = pytest.mark.django_db


def _to_state(state: str, case, cast):
    w, desk, handler = workflow, cast.desk, cast.handler
    pk = case.pk
    if state == "reported":
        return
    if state == "rejected":
        w.reject(actor=desk, case_id=pk, reason="重复")
        return
    if state == "cancelled":
        w.cancel(actor=desk, case_id=pk, reason="撤销")
        return
    w.accept(actor=desk, case_id=pk)
    if state == "accepted":
        return
    w.dispatch(actor=desk, case_id=pk, unit=cast.cgb)
    if state == "dispatched":
        return
    if state == "suspended":
        w.suspend(actor=desk, case_id=pk, reason="等待")
        return
    w.take(actor=handler, case_id=pk)
    if state == "handling":
        return
    w.reply(actor=handler, case_id=pk, result="已处理")
    if state == "replied":
        return
    w.verify(actor=desk, case_id=pk, passed=True)
    if state == "closed":
        return
    w.return_visit(actor=desk, case_id=pk, satisfaction="dissatisfied")
    assert state == "closed_dissatisfied"


# state: (desk, handler, reporter) — the actions each may take. The desk belongs to the
# street office and 城管办 is an office inside it, so the desk may also act for the unit.
HANDLING = {"send_back", "reply", "request", "escalate"}
EXPECTED = {
    "reported": (
        {"accept", "reject", "merge", "escalate", "cancel"},
        set(),
        {"cancel"},
    ),
    "accepted": ({"merge", "dispatch", "escalate", "cancel"}, set(), set()),
    "dispatched": (
        {"escalate", "suspend", "extend", "cancel", "take"} | HANDLING,
        {"take", "send_back", "reply", "request", "escalate"},
        set(),
    ),
    "handling": (
        {"escalate", "suspend", "extend", "cancel"} | HANDLING,
        {"send_back", "reply", "request", "escalate"},
        set(),
    ),
    "replied": ({"verify"}, set(), set()),
    "closed": ({"return_visit"}, set(), {"return_visit"}),
    "closed_dissatisfied": ({"reopen"}, set(), set()),
    "suspended": ({"resume", "cancel"}, set(), set()),
    "rejected": (set(), set(), set()),
    "cancelled": (set(), set(), set()),
}
ALL = set(workflow.ACTIONS) - {"comment"}


@pytest.mark.parametrize("state", EXPECTED)
def test_each_part_gets_exactly_its_actions(state, new_case, cast):
    _to_state(state, new_case, cast)
    case = visible_cases(cast.desk).get(pk=new_case.pk)
    desk, handler, reporter = EXPECTED[state]
    assert set(workflow.allowed_actions(cast.desk, case)) == desk
    assert set(workflow.allowed_actions(cast.handler, case)) == handler
    assert set(workflow.allowed_actions(cast.resident, case)) == reporter
    # The other street's desk cannot even see the case.
    assert not visible_cases(cast.outsider).filter(pk=case.pk).exists()


# A payload that would be valid for each action, so a refusal can only come from the table.
def _payload(action: str, cast, master_id: int) -> dict:
    return {
        "accept": {},
        "reject": {"reason": "r"},
        "merge": {"master_id": master_id},
        "dispatch": {"unit": cast.cgb},
        "take": {},
        "send_back": {"reason": "r"},
        "reply": {"result": "r"},
        "verify": {"passed": True},
        "return_visit": {"satisfaction": "satisfied"},
        "reopen": {"reason": "r"},
        "escalate": {"reason": "r"},
        "request": {"kind": "extend", "reason": "r", "days": 1},
        "decide": {"approve": True},
        "suspend": {"reason": "r"},
        "resume": {},
        "extend": {"days": 1, "reason": "r"},
        "cancel": {"reason": "r"},
    }[action]


@pytest.mark.parametrize("state", ["reported", "dispatched", "replied", "closed", "rejected"])
def test_refused_actions_change_nothing(state, new_case, cast, category):
    master = workflow.report(
        actor=cast.desk,
        source="desk",
        description="另一件",
        category=category,
        lng=new_case.lng,
        lat=new_case.lat,
    )
    _to_state(state, new_case, cast)
    for actor, allowed in ((cast.desk, EXPECTED[state][0]), (cast.handler, EXPECTED[state][1])):
        # The 城管办 reads a case only once it has reached its unit (need to know): before
        # that, every action is "not found" for it, as for another street.
        sees = visible_cases(actor).filter(pk=new_case.pk).exists()
        assert sees == (actor == cast.desk or state not in ("reported", "rejected")), actor
        refused = (InvalidTransition, Forbidden) if sees else (NotFound,)
        for action in sorted(ALL - allowed):
            before = visible_cases(cast.desk).get(pk=new_case.pk)
            n_events = before.events.count()
            with pytest.raises(DomainError) as e:
                workflow.perform(actor, new_case.pk, action, _payload(action, cast, master.pk))
            assert isinstance(e.value, refused), (action, e.value.code)
            after = visible_cases(cast.desk).get(pk=new_case.pk)
            assert (after.status, after.events.count()) == (before.status, n_events), action
    for action in sorted(ALL):
        with pytest.raises(NotFound):
            workflow.perform(cast.outsider, new_case.pk, action, _payload(action, cast, master.pk))
