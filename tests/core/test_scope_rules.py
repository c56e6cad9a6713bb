"""The kernel's one scope rule for units and its role groups (cityloop.core.scope / .roles)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cityloop.core import roles
from cityloop.core.roles import AccountRole as R
from cityloop.core.scope import covers, scope_for
from cityloop.org.models import Unit

SRC = Path(__file__).resolve().parents[2] / "src" / "cityloop"


@pytest.fixture
def committee(tree):
    """A community committee sitting in street A's community: no one's unit subtree holds it."""
    from cityloop.org import services

    unit, _ = services.unit_save(
        actor=None,
        code="XHJ-JWH",
        name="新华街社区居委会",
        kind="community_committee",
        place=tree.community_a,
    )
    return unit


@pytest.mark.django_db
def test_a_unit_is_covered_when_its_place_is_covered(tree, make_account, committee):
    # Placed at street A, no unit: only the place rule can cover a unit. (Scope.covers(Unit)
    # used to look at the unit's path alone and answered False here, unlike every app rule.)
    placed = make_account("jyl-placed", roles=("street_staff",), place=tree.street_a)
    scope = scope_for(placed)
    assert scope.covers(committee) and scope.covers(tree.office_a)
    assert not scope.covers(tree.office_b) and not scope.covers(tree.bureau)
    assert covers(placed, committee) and not covers(placed, None)


@pytest.mark.django_db
def test_the_queryset_form_answers_as_covers_does(tree, make_account, committee):
    accounts = [
        make_account("jyl-staff", unit=tree.office_a),
        make_account("zxl-staff", unit=tree.office_b),
        make_account("jyl-placed", place=tree.street_a),
        make_account("zjj", roles=("department_staff",), unit=tree.bureau),
        make_account("leader", roles=("district_leader",), unit=tree.bureau),
        make_account("root", superuser=True),
    ]
    units = list(Unit.objects.select_related("place"))
    for user in accounts:
        scope = scope_for(user)
        by_rule = {u.code for u in units if scope.covers(u)}
        by_query = set(Unit.objects.filter(scope.covered_units_q()).values_list("code", flat=True))
        assert by_query == by_rule, user.username
    # What each one covers, by hand.
    expect = {
        "jyl-staff": {"JYL", "XHJ-JWH"},  # the street office opens its street
        "zxl-staff": {"ZXL"},
        "jyl-placed": {"JYL", "XHJ-JWH"},
        "zjj": {"QZJJ"},
        "leader": {"QZJJ", "JYL", "ZXL", "XHJ-JWH"},  # a district reader opens the district
        "root": {"QZJJ", "JYL", "ZXL", "XHJ-JWH"},
    }
    got = {u.username: {x.code for x in units if scope_for(u).covers(x)} for u in accounts}
    assert got == expect


@pytest.mark.django_db
def test_has_any(tree, make_account):
    desk = make_account("desk", roles=("community_worker",), unit=tree.office_a)
    root = make_account("root", roles=(), superuser=True)
    assert roles.has_any(desk, roles.DESK) and roles.has_any(desk, {"community_worker"})
    assert not roles.has_any(desk, roles.OVERSEERS)
    assert roles.has_any(root, {R.RESIDENT})  # a superuser holds every role
    assert not roles.has_any(None, roles.DESK)
    from django.contrib.auth.models import AnonymousUser

    assert not roles.has_any(AnonymousUser(), roles.DESK)


def test_role_groups():
    assert roles.UNIT_STAFF == roles.OVERSEERS | {R.DEPARTMENT_STAFF, R.COMMUNITY_WORKER}
    assert roles.STREET_READERS == {R.ADMIN, R.DISTRICT_LEADER, R.SUPERVISOR, R.STREET_STAFF}
    assert R.SUPERVISOR not in roles.HANDLERS and R.GRID_WORKER in roles.HANDLERS


def _role_sets(path: Path):
    """Set literals of two or more ``R.X`` / ``AccountRole.X`` members in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Set) and len(node.elts) >= 2:
            names = [
                e.attr
                for e in node.elts
                if isinstance(e, ast.Attribute)
                and isinstance(e.value, ast.Name)
                and e.value.id in ("R", "AccountRole")
            ]
            if len(names) == len(node.elts):
                yield node.lineno, frozenset(names)


def test_role_groups_are_named_once():
    """No app writes out a role group of the kernel again (or a copy of the scope rule)."""
    groups = {
        name: frozenset(r.name for r in value)
        for name, value in vars(roles).items()
        if isinstance(value, frozenset) and value and all(isinstance(r, R) for r in value)
    }
    assert {"DESK", "HANDLERS", "OVERSEERS", "UNIT_STAFF", "DISTRICT_READERS"} <= set(groups)
    copies, helpers = [], []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if str(rel) == "core/roles.py" or "migrations" in rel.parts:
            continue
        for line, members in _role_sets(path):
            copies += [f"{rel}:{line} = roles.{n}" for n, g in groups.items() if g == members]
        text = path.read_text(encoding="utf-8")
        for copy in ("def covers_unit(", "def _has(", "def has_role("):
            if copy in text:
                helpers.append(f"{rel}: {copy}")
    assert copies == [] and helpers == []
