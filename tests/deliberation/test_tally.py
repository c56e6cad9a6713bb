"""The count of an owners' vote at every boundary, and against a plain re-statement of
Civil Code art. 278 on random electorates."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityloop.deliberation import tally
from cityloop.deliberation.tally import Unit


def roll(*areas, heads=None):
    heads = heads or list(range(len(areas)))
    return [Unit(i, Decimal(str(a)), h) for i, (a, h) in enumerate(zip(areas, heads, strict=True))]


def check(result, key):
    return next(t for t in result["thresholds"] if t["key"] == key)


# --- participation: at least 2/3 of area AND of heads ------------------------------------------


def test_participation_exactly_two_thirds_of_area_and_heads_is_enough():
    units = roll(*[10] * 9)  # 9 units of 10 m²: 6 is exactly 2/3
    result = tally.owners("owners_ordinary", units, dict.fromkeys(range(6), "for"))
    assert check(result, "participation_area")["met"] is True
    assert check(result, "participation_area")["share"] == "66.67"
    assert check(result, "participation_heads")["met"] is True
    assert result["participating_area"] == "60" and result["total_area"] == "90"
    assert result["passed"] is True


def test_participation_just_under_two_thirds_fails():
    units = roll(10, 10, 10, 10, 10, 10, 10, 10, Decimal("10.01"))
    # 6 units vote: 60 of 90.01 m² is just under 2/3 (heads 6/9 is exactly 2/3)
    result = tally.owners("owners_ordinary", units, dict.fromkeys(range(6), "for"))
    assert check(result, "participation_area")["met"] is False
    assert check(result, "participation_heads")["met"] is True
    assert result["participation_met"] is False and result["passed"] is False


def test_area_met_but_heads_not():
    # one big unit (70 of 100 m²) votes: area 70% ≥ 2/3, heads 1 of 4 < 2/3
    units = roll(70, 10, 10, 10)
    result = tally.owners("owners_ordinary", units, {0: "for"})
    assert check(result, "participation_area")["met"] is True
    assert check(result, "participation_heads")["met"] is False
    assert result["passed"] is False


def test_heads_met_but_area_not():
    # three small units of four vote: heads 3/4, area 30/130
    units = roll(10, 10, 10, 100)
    result = tally.owners("owners_ordinary", units, {0: "for", 1: "for", 2: "for"})
    assert check(result, "participation_heads")["met"] is True
    assert check(result, "participation_area")["met"] is False
    assert result["passed"] is False


# --- approval --------------------------------------------------------------------------------


def test_renovation_exactly_three_quarters_passes():
    units = roll(*[10] * 4)
    ballots = {0: "for", 1: "for", 2: "for", 3: "against"}
    result = tally.owners("owners_major", units, ballots)
    assert check(result, "approval_area") | {} and check(result, "approval_area")["met"] is True
    assert check(result, "approval_area")["need"] == "≥ 3/4"
    assert check(result, "approval_heads")["met"] is True
    assert result["passed"] is True


def test_renovation_just_under_three_quarters_fails_on_area_only():
    units = roll(10, 10, 10, Decimal("10.01"))
    ballots = {0: "for", 1: "for", 2: "for", 3: "against"}  # 30 of 40.01 m² < 3/4
    result = tally.owners("owners_major", units, ballots)
    assert check(result, "approval_area")["met"] is False
    assert check(result, "approval_heads")["met"] is True
    assert result["passed"] is False


def test_abstentions_participate_but_do_not_approve():
    units = roll(*[10] * 4)
    ballots = {0: "for", 1: "for", 2: "for", 3: "abstain"}
    major = tally.owners("owners_major", units, ballots)
    assert major["participating_heads"] == "4" and major["passed"] is True  # 3/4 exactly
    ballots[2] = "abstain"
    assert tally.owners("owners_major", units, ballots)["passed"] is False


def test_other_matters_need_more_than_half_exactly_half_fails():
    units = roll(*[10] * 4)
    ballots = {0: "for", 1: "for", 2: "against", 3: "against"}
    result = tally.owners("owners_ordinary", units, ballots)
    assert check(result, "approval_area")["need"] == "> 1/2"
    assert check(result, "approval_area")["met"] is False
    assert check(result, "approval_heads")["met"] is False
    ballots[2] = "for"
    assert tally.owners("owners_ordinary", units, ballots)["passed"] is True


def test_area_and_headcount_disagree_on_approval():
    # the big owner for, three small against: area 70/100 > 1/2, heads 1/4 not
    units = roll(70, 10, 10, 10)
    ballots = {0: "for", 1: "against", 2: "against", 3: "against"}
    result = tally.owners("owners_ordinary", units, ballots)
    assert check(result, "approval_area")["met"] is True
    assert check(result, "approval_heads")["met"] is False
    assert result["passed"] is False


# --- counting owners --------------------------------------------------------------------------


def test_one_owner_of_several_units_is_one_head_with_all_the_area():
    groups = tally.owner_groups({1: ["W"], 2: ["W"], 3: ["L", "Z"], 4: ["S"]})
    assert groups == {1: 1, 2: 1, 3: 3, 4: 4}
    units = [Unit(u, Decimal(10), g) for u, g in groups.items()]
    result = tally.owners("owners_ordinary", units, {1: "for", 2: "for", 3: "for"})
    assert result["total_heads"] == "3" and result["participating_heads"] == "2"
    assert result["participating_area"] == "30"


def test_co_owners_chain_into_one_group():
    # A: X; B: X and Y; C: Y → one head
    assert set(tally.owner_groups({1: ["X"], 2: ["X", "Y"], 3: ["Y"], 4: []}).values()) == {1, 4}


def test_an_owner_whose_units_vote_differently_is_split_not_doubled():
    units = [Unit(1, Decimal(50), 1), Unit(2, Decimal(50), 1), Unit(3, Decimal(100), 3)]
    result = tally.owners("owners_ordinary", units, {1: "for", 2: "against", 3: "against"})
    assert result["heads"] == {"for": "0.50", "against": "1.50", "abstain": "0"}
    assert check(result, "approval_heads")["part_exact"] == "1/2"
    assert result["participating_heads"] == "2"


def test_nobody_on_the_roll_passes_nothing():
    result = tally.owners("owners_major", [], {})
    assert result["passed"] is False and result["total_area"] == "0"


def test_meeting_majority_of_attendees():
    assert tally.meeting(20, 11, 5)["passed"] is True
    assert tally.meeting(20, 10, 2)["passed"] is False  # exactly half is not a majority
    assert tally.meeting(21, 11, 10)["votes"] == {"for": 11, "against": 10, "abstain": 0}


def test_shares_are_exact_decimals_not_floats():
    units = roll(Decimal("33.33"), Decimal("33.33"), Decimal("33.34"))
    result = tally.owners("owners_ordinary", units, {0: "for", 1: "for"})
    part = check(result, "participation_area")
    assert (part["part_exact"], part["whole_exact"]) == ("3333/50", "100")  # 66.66 exactly
    assert part["met"] is False  # 66.66 < 66.666…


# --- random electorates ------------------------------------------------------------------------

areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400"), places=2)


@st.composite
def electorates(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    owners_pool = draw(st.integers(min_value=1, max_value=n))
    units = {}
    for i in range(n):
        units[i] = draw(st.lists(st.integers(0, owners_pool - 1), min_size=1, max_size=2))
    area = {i: draw(areas) for i in range(n)}
    ballots = {
        i: c
        for i in range(n)
        if (c := draw(st.sampled_from(["for", "against", "abstain", None]))) is not None
    }
    rule = draw(st.sampled_from(["owners_major", "owners_ordinary"]))
    return units, area, ballots, rule


def reference(units, area, ballots, rule):
    """Art. 278 said again, the slow way: owner groups by repeated merging, shares by
    division."""
    groups = [{u} for u in units]
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                owners_a = {o for u in groups[a] for o in units[u]}
                owners_b = {o for u in groups[b] for o in units[u]}
                if owners_a & owners_b:
                    groups[a] |= groups.pop(b)
                    merged = True
                    break
            if merged:
                break
    total_area = sum(Fraction(a) for a in area.values())
    part_area = sum(Fraction(area[u]) for u in ballots)
    for_area = sum(Fraction(area[u]) for u, c in ballots.items() if c == "for")
    part_heads = for_heads = Fraction(0)
    for g in groups:
        cast = [u for u in g if u in ballots]
        if cast:
            part_heads += 1
            for_heads += Fraction(sum(1 for u in cast if ballots[u] == "for"), len(cast))
    quorum = part_area / total_area >= Fraction(2, 3) and part_heads / len(groups) >= Fraction(2, 3)
    if not quorum or part_area == 0:
        return False
    if rule == "owners_major":
        return for_area / part_area >= Fraction(3, 4) and for_heads / part_heads >= Fraction(3, 4)
    return for_area / part_area > Fraction(1, 2) and for_heads / part_heads > Fraction(1, 2)


@settings(max_examples=300, deadline=None)
@given(electorates())
def test_random_electorates_agree_with_the_reference(case):
    units, area, ballots, rule = case
    groups = tally.owner_groups(units)
    roll_ = [Unit(u, area[u], groups[u]) for u in units]
    result = tally.owners(rule, roll_, ballots)
    assert result["passed"] is reference(units, area, ballots, rule)
    assert Fraction(result["thresholds"][0]["part_exact"]) == sum(
        (Fraction(area[u]) for u in ballots), Fraction(0)
    )
    # a head is never counted more than once
    assert sum(Fraction(v) for v in result["heads_exact"].values()) <= len(set(groups.values()))


@settings(max_examples=150, deadline=None)
@given(electorates())
def test_turning_a_vote_into_for_never_loses_a_passing_vote(case):
    units, area, ballots, rule = case
    groups = tally.owner_groups(units)
    roll_ = [Unit(u, area[u], groups[u]) for u in units]
    if not tally.owners(rule, roll_, ballots)["passed"]:
        return
    for u, c in ballots.items():
        if c != "for":
            better = {**ballots, u: "for"}
            assert tally.owners(rule, roll_, better)["passed"] is True


@pytest.mark.parametrize("rule", ["owners_major", "owners_ordinary"])
def test_result_is_plain_json(rule):
    import json

    result = tally.owners(rule, roll(10, 20), {0: "for"})
    assert json.loads(json.dumps(result)) == result
