"""待我处理: what waits for this person's own action, not every open case under them."""

from __future__ import annotations

from cityloop.cases import queries, workflow
from tests.cases.conftest import IN_COMPOUND


def _codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def _report(actor, text="06小区门口垃圾满溢"):
    return workflow.report(
        actor=actor, source="hotline", description=text, lng=IN_COMPOUND[0], lat=IN_COMPOUND[1]
    )


def test_a_dispatched_case_waits_for_the_unit_not_for_the_street(cast, category, at_monday):
    case = _report(cast.desk)
    workflow.accept(actor=cast.desk, case_id=case.pk, category=category)
    assert case.code in _codes(queries.my_queue(cast.desk))  # to dispatch: the desk's
    workflow.dispatch(actor=cast.desk, case_id=case.pk, unit=cast.cgb)
    assert case.code in _codes(queries.my_queue(cast.handler))  # the 城管办 handles it
    assert case.code not in _codes(queries.my_queue(cast.desk))  # not the street's turn
    assert case.code in _codes(queries.case_rows(cast.desk))  # still in the street's list


def test_a_community_with_its_own_desk_takes_its_cases(
    cast, category, at_monday, tree, make_account
):
    from cityloop.org import services as s

    committee, _ = s.unit_save(
        actor=None,
        code="JYL-XHJ",
        name="西华街社区居委会",
        kind="community_committee",
        parent=tree.office_a,
        place=tree.community_a,
    )
    case = _report(cast.desk)
    assert case.level in ("building", "compound", "community")
    # without a community desk, the street's desk is the one to accept it
    assert case.code in _codes(queries.my_queue(cast.desk))
    worker = make_account("xhj-worker", roles=("community_worker",), unit=committee)
    assert case.code in _codes(queries.my_queue(worker))
    fresh_desk = type(cast.desk).objects.get(pk=cast.desk.pk)  # scope and level are per request
    assert case.code not in _codes(queries.my_queue(fresh_desk))
    assert case.code in _codes(queries.case_rows(fresh_desk))
