"""Reference-data writes: tree rules, derived paths, events, idempotence."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cityloop.core.errors import InvalidInput
from cityloop.core.events import events_of
from cityloop.core.models import Event
from cityloop.org import services as s
from cityloop.org.models import Person, Place, ZoneRole


@pytest.mark.django_db
def test_place_needs_the_right_parent_kind(tree):
    with pytest.raises(InvalidInput) as err:
        s.place_save(actor=None, code="X1", name="错位小区", kind="compound", parent=tree.street_a)
    assert err.value.code == "place_bad_parent"
    assert not Place.objects.filter(code="X1").exists()


@pytest.mark.django_db
def test_save_writes_an_event_and_resave_writes_nothing(tree):
    before = Event.objects.count()
    place, outcome = s.place_save(
        actor=None,
        code="410106001001002",
        name="新建小区",
        kind="compound",
        parent=tree.community_a,
        management="property_company",
    )
    assert outcome == "created"
    assert [e.verb for e in events_of(place)] == ["place_created"]
    again, outcome = s.place_save(
        actor=None,
        code="410106001001002",
        name="新建小区",
        kind="compound",
        parent=tree.community_a,
        management="property_company",
    )
    assert (again.pk, outcome) == (place.pk, "unchanged")
    assert Event.objects.count() == before + 1


@pytest.mark.django_db
def test_moving_a_community_moves_its_subtree_paths(tree):
    s.place_save(
        actor=None,
        code=tree.community_a.code,
        name=tree.community_a.name,
        kind="community",
        parent=tree.street_b,
        geometry_json=tree.community_a.geometry,
    )
    tree.building_a.refresh_from_db()
    assert tree.building_a.path.startswith(tree.street_b.path)
    assert tree.building_a.depth == 4


@pytest.mark.django_db
def test_a_unit_cannot_move_under_its_own_descendant(tree):
    office, _ = s.unit_save(
        actor=None, code="JYL-CGB", name="城管办", kind="office", parent=tree.office_a
    )
    with pytest.raises(InvalidInput) as err:
        s.unit_save(
            actor=None,
            code=tree.office_a.code,
            name=tree.office_a.name,
            kind="street_office",
            parent=office,
        )
    assert err.value.code == "unit_cycle"
    tree.office_a.refresh_from_db()
    assert tree.office_a.parent_id is None


@pytest.mark.django_db
def test_management_only_on_compounds(tree):
    with pytest.raises(InvalidInput):
        s.place_save(
            actor=None,
            code="410106001009",
            name="某社区",
            kind="community",
            parent=tree.street_a,
            management="unmanaged",
        )


@pytest.mark.django_db
def test_geometry_is_checked(tree):
    with pytest.raises(InvalidInput) as err:  # lat/lng swapped: outside China
        s.zone_save(
            actor=None,
            code="R-X",
            name="反了的路",
            kind="road",
            place=tree.street_a,
            geometry_json={"type": "LineString", "coordinates": [[34.78, 113.26], [34.79, 113.27]]},
        )
    assert err.value.code == "geometry_out_of_range"
    with pytest.raises(InvalidInput) as err:  # a road must be a line
        s.zone_save(
            actor=None,
            code="R-Y",
            name="点路",
            kind="road",
            place=tree.street_a,
            geometry_json={"type": "Point", "coordinates": [113.26, 34.78]},
        )
    assert err.value.code == "geometry_bad_type"


@pytest.mark.django_db
def test_duties_check_their_target_and_are_idempotent(tree):
    person, _ = s.person_save(actor=None, code="P1", name="张伟", unit=tree.office_a)
    with pytest.raises(InvalidInput) as err:
        s.duty_assign(
            actor=None, person=person, role="road_chief", level="street", place=tree.compound_a
        )
    assert err.value.code == "duty_bad_target"
    with pytest.raises(InvalidInput) as err:
        s.duty_assign(actor=None, person=person, role="road_chief", zone=tree.road_a)
    assert err.value.code == "duty_level_required"
    duty, outcome = s.duty_assign(
        actor=None, person=person, role="road_chief", level="street", zone=tree.road_a
    )
    assert outcome == "created"
    _, outcome = s.duty_assign(
        actor=None, person=person, role="road_chief", level="street", zone=tree.road_a
    )
    assert outcome == "unchanged"
    assert ZoneRole.objects.filter(person=person).count() == 1
    assert duty.target == tree.road_a


@pytest.mark.django_db
def test_account_save_links_person_roles_and_hashes_with_argon2(tree):
    user = s.account_save(
        actor=None,
        username="u1",
        password="long-enough-1",
        unit=tree.office_a,
        roles=["street_staff"],
        name="王芳",
    )
    assert user.password.startswith("argon2")
    assert Person.objects.get(user=user).name == "王芳"
    assert list(user.groups.values_list("name", flat=True)) == ["street_staff"]
    with pytest.raises(InvalidInput) as err:
        s.account_save(actor=None, username="u2", password="x", roles=["street_staff"])
    assert err.value.code == "account_weak_password"
    with pytest.raises(InvalidInput) as err:
        s.account_save(actor=None, username="u3", password="long-enough-1", roles=["boss"])
    assert err.value.code == "account_bad_role"
    assert not get_user_model().objects.filter(username__in=["u2", "u3"]).exists()
