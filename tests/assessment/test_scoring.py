"""Scoring rules and the ranking rule, as pure functions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cityloop.assessment import periods, scoring
from cityloop.assessment.scoring import Ranked
from cityloop.core.errors import InvalidInput

THRESHOLDS = {
    "kind": "thresholds",
    "steps": [{"min": 0.95, "share": 1}, {"min": 0.9, "share": 0.8}],
}


@pytest.mark.parametrize(
    ("value", "points"),
    [(0.99, "20.00"), (0.95, "20.00"), (0.92, "16.00"), (0.5, "0.00"), (None, "20.00")],
)
def test_thresholds(value, points):
    assert scoring.points(THRESHOLDS, 20, value) == Decimal(points)


def test_thresholds_lower_is_better_and_else():
    rule = {
        "kind": "thresholds",
        "steps": [{"max": 0.02, "share": 1}, {"max": 0.1, "share": 0.5}],
        "else": 0.1,
    }
    assert scoring.points(rule, 10, 0.0) == Decimal("10.00")
    assert scoring.points(rule, 10, 0.05) == Decimal("5.00")
    assert scoring.points(rule, 10, 0.3) == Decimal("1.00")


@pytest.mark.parametrize(
    ("value", "points"),
    [(0.5, "0.00"), (0.75, "20.00"), (1.0, "40.00"), (1.2, "40.00"), (0.1, "0.00")],
)
def test_linear_clamps(value, points):
    assert scoring.points({"kind": "linear", "zero": 0.5, "full": 1.0}, 40, value) == Decimal(
        points
    )


def test_linear_lower_is_better():
    rule = {"kind": "linear", "zero": 0.2, "full": 0.0}
    assert scoring.points(rule, 10, 0.05) == Decimal("7.50")


@pytest.mark.parametrize(("count", "points"), [(0, "20.00"), (3, "14.00"), (20, "5.00")])
def test_deduction_with_floor(count, points):
    assert scoring.points({"kind": "deduction", "per": 2, "floor": 5}, 20, count) == Decimal(points)


def test_deduction_free_allowance_and_if_none_zero():
    assert scoring.points({"kind": "deduction", "per": 1, "free": 2}, 5, 3) == Decimal("4.00")
    assert scoring.points({"kind": "linear", "zero": 0, "full": 1, "if_none": "zero"}, 5, None) == 0


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"kind": "magic"}, "assessment_rule_invalid"),
        ({"kind": "thresholds", "steps": []}, "assessment_rule_invalid"),
        (
            {"kind": "thresholds", "steps": [{"min": 1, "max": 2, "share": 1}]},
            "assessment_rule_invalid",
        ),
        ({"kind": "thresholds", "steps": [{"min": 0.9, "share": 2}]}, "assessment_rule_invalid"),
        ({"kind": "linear", "zero": 1, "full": 1}, "assessment_rule_invalid"),
        ({"kind": "deduction", "per": 0}, "assessment_rule_invalid"),
        ({"kind": "deduction", "per": "two"}, "assessment_rule_invalid"),
    ],
)
def test_bad_rules_are_refused_with_a_code(rule, code):
    with pytest.raises(InvalidInput) as e:
        scoring.validate_rule(rule)
    assert e.value.code == code and str(e.value.message)


def test_rank_ties_share_a_rank_and_unranked_follow():
    rows = [
        Ranked("a", Decimal("90"), True, "甲"),
        Ranked("b", Decimal("95"), True, "乙"),
        Ranked("c", Decimal("90"), True, "丙"),
        Ranked("d", Decimal("99"), False, "丁"),  # highest, but below the minimum volume
        Ranked("e", Decimal("80"), True, "戊"),
    ]
    out = scoring.rank(rows)
    assert [(r.key, r.rank, r.tied) for r in out] == [
        ("b", 1, False),
        ("c", 2, True),
        ("a", 2, True),
        ("e", 4, False),
        ("d", None, False),
    ]


def test_periods():
    assert periods.bounds("month", "2020-06") == (
        periods.date(2020, 6, 1),
        periods.date(2020, 6, 30),
    )
    assert periods.bounds("half_month", "2020-06-h2")[0] == periods.date(2020, 6, 16)
    assert periods.bounds("quarter", "2020-Q2")[1] == periods.date(2020, 6, 30)
    assert periods.previous("month", "2020-01") == "2019-12"
    assert periods.previous("half_month", "2020-06-H1") == "2020-05-H2"
    with pytest.raises(InvalidInput) as e:
        periods.bounds("month", "2020-13")
    assert e.value.code == "assessment_period_invalid"
