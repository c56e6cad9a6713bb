"""A map opens where the account works: a steward's compound, not the whole district."""

from __future__ import annotations

import json
import re

import pytest

from cityloop.org.queries import home_bounds


def test_a_steward_opens_on_the_compound(tree, make_account):
    steward = make_account("steward-a", roles=("red_steward",), place=tree.compound_a)
    assert home_bounds(steward) == [
        [34.781, 113.261],
        [pytest.approx(34.783), pytest.approx(113.263)],
    ]


def test_a_street_office_opens_on_its_street(street_a_user):
    assert home_bounds(street_a_user) == [
        [34.78, 113.26],
        [pytest.approx(34.81), pytest.approx(113.29)],
    ]


def test_the_district_and_residents_open_on_everything(tree, make_account, django_user_model):
    admin = make_account("root-a", superuser=True)
    assert home_bounds(admin) is None
    from django.contrib.auth.models import AnonymousUser

    assert home_bounds(AnonymousUser()) is None


@pytest.mark.django_db
def test_the_intake_page_hands_the_box_to_the_map(tree, make_account, client):
    steward = make_account("steward-b", roles=("red_steward",), place=tree.compound_a)
    client.force_login(steward)
    html = client.get("/cases/new/").content.decode()
    config = json.loads(re.search(r'id="location-config"[^>]*>(.*?)</script>', html, re.S)[1])
    assert config["home"][0] == [34.781, 113.261]
