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
