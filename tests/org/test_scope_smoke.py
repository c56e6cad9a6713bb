import pytest

from cityloop.core.scope import scope_for
from cityloop.org.models import Place


@pytest.mark.django_db
def test_street_user_covers_own_street_only(tree, street_a_user):
    scope = scope_for(street_a_user)
    visible = set(Place.objects.filter(scope.places_q()).values_list("code", flat=True))
    assert "410106001001001" in visible  # 06小区 under 济源路街道
    assert "410106002001001" not in visible  # 鸿泰花园 under 中心路街道
    assert "410106" not in visible  # the district itself is above the street
    assert scope.covers(tree.compound_a) and not scope.covers(tree.compound_b)


@pytest.mark.django_db
def test_duties_of_a_visible_person_stop_at_the_scope(tree, street_a_user):
    from cityloop.org import queries, services

    person, _ = services.person_save(actor=None, code="P9", name="赵磊", unit=tree.office_a)
    services.duty_assign(
        actor=None, person=person, role="road_chief", level="street", zone=tree.road_a
    )
    services.duty_assign(
        actor=None, person=person, role="road_chief", level="district", zone=tree.road_b
    )
    visible = queries.duties_of(street_a_user, person)
    assert [d.zone.code for d in visible] == ["R-A1"]
