"""The demo district: seed numbers, geometry, idempotence, accounts, reset.

The demo is loaded once for the module, inside a transaction that is rolled back at the
end, so it neither slows the other tests nor collides with their ``410106`` fixture.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from shapely.geometry import shape

from cityloop.core.models import Event
from cityloop.core.scope import scope_for
from cityloop.demo import dataset as ds
from cityloop.demo import layout
from cityloop.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, SUPERUSER
from cityloop.demo.builder import delete_demo, demo_loaded, fingerprint, load_demo
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole
from tests.demo.conftest import demo_load_once

JYL = "410106001"
ZXL = "410106002"
CHENGUANG = "410106100001"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_load_once(django_db_blocker, cases=False) as result:  # frame only
        yield result


@pytest.fixture
def loaded(demo, db):
    return demo


def test_first_load_creates_everything_in_a_bounded_number_of_statements(loaded):
    assert loaded["status"] == "loaded"
    counts = loaded["counts"]
    assert counts["place"]["created"] == Place.objects.filter(is_demo=True).count() == 370
    assert all(c["updated"] == c["unchanged"] == 0 for c in counts.values())
    # 1,465 statements when this bound was set (370 places, their units, people and zones
    # written in batches by services.bulk_write; 17,412 row by row before): the bound catches
    # a per-row storm (an N+1 walk) on any machine; time is in bench/.
    assert loaded["queries"] < 1_850, loaded["queries"]


def test_every_demo_row_is_marked_demo(loaded):
    for model in (Place, Unit, Zone, Person, ZoneRole, Partnership):
        assert not model.objects.filter(is_demo=False).exists(), model
        assert model.objects.filter(is_demo=True).exists(), model


def test_district_streets_and_seed_totals(loaded):
    district = Place.objects.get(code="410106")
    assert district.name == "上街区" and district.kind == "district"
    streets = dict(
        Place.objects.filter(kind="street").values_list("name", "parent__code").order_by("code")
    )
    assert set(streets) == {
        "济源路街道",
        "中心路街道",
        "新安路街道",
        "工业路街道",
        "矿山街道",
        "峡窝镇",
    }
    assert set(streets.values()) == {"410106"}
    # [003] 全区59个社区、284个小区楼院
    assert Place.objects.filter(kind="community").count() == 59
    assert Place.objects.filter(kind="compound").count() == 284


def test_named_communities_and_compounds(loaded):
    def place(name: str) -> Place:
        return Place.objects.select_related("parent").get(name=name)

    assert place("新华街社区").parent.name == "济源路街道"
    assert place("06小区").parent.name == "新华街社区"
    assert place("晨光社区").parent.name == "峡窝镇"
    assert place("亚星江南小镇").management == "property_company"
    for name in ("三湾街社区", "颍苑社区"):
        assert place(name).kind == "community"
    hongtai = place("鸿泰花园")
    assert hongtai.parent.name == "晨光社区"
    assert hongtai.management == "owners_committee"


def test_jiyuanlu_has_71_roads_each_with_chiefs_at_several_levels(loaded):
    roads = Zone.objects.filter(kind="road", place__code=JYL)
    assert roads.count() == 71
    chiefs = ZoneRole.objects.filter(role="road_chief", zone__in=roads)
    assert set(roads.values_list("pk", flat=True)) == set(chiefs.values_list("zone", flat=True))
    assert set(chiefs.values_list("level", flat=True)) == {"district", "street", "community"}
    assert {r.name for r in roads} >= {"济源路", "金华路", "新华街", "中安街"}


def test_jiyuanlu_63_unmanaged_compounds_adopted_with_red_stewards(loaded):
    unmanaged = Place.objects.filter(
        kind="compound", management="unmanaged", path__startswith=f"/410106/{JYL}/"
    )
    assert unmanaged.count() == 63
    adopted = Partnership.objects.filter(compound__in=unmanaged)
    assert set(adopted.values_list("compound", flat=True)) == set(
        unmanaged.values_list("pk", flat=True)
    )
    stewarded = ZoneRole.objects.filter(role="red_steward", place__in=unmanaged)
    assert stewarded.values("place").distinct().count() == 63


def test_zhongxinlu_has_34_unmanaged_compounds(loaded):
    assert (
        Place.objects.filter(
            kind="compound", management="unmanaged", path__startswith=f"/410106/{ZXL}/"
        ).count()
        == 34
    )


def test_chenguang_seed_numbers(loaded):
    compounds = Place.objects.filter(kind="compound", parent__code=CHENGUANG)
    assert compounds.count() == 14
    assert compounds.filter(management="unmanaged").count() == 9
    inside = f"/410106/410106100/{CHENGUANG}/"
    duties = ZoneRole.objects.filter(place__path__startswith=inside)
    assert duties.filter(role="compound_head").values("person").distinct().count() == 8
    assert duties.filter(role="building_head").values("person").distinct().count() == 20
    partners = Partnership.objects.filter(compound__in=compounds)
    assert partners.values("unit").distinct().count() == 9
    assert {"区发改委", "区信访局", "区教育局"} <= set(
        partners.values_list("unit__short_name", flat=True)
    )
    community = Place.objects.get(code=CHENGUANG)
    assert community.attrs["party_branches"] == {"provisional": 4, "formal": 1}


def test_units_named_in_the_seeds_exist(loaded):
    names = set(Unit.objects.values_list("short_name", flat=True))
    for short in (
        "区住建局",
        "区农委",
        "区商务局",
        "区政务和大数据局",
        "区督查局",
        "区委老干部局",
        "市生态环境局上街分局",
        "区统计局",
        "区财政局",
        "区人社局",
        "区自然资源和规划局",
        "区房管中心",
        "区教育局",
        "区司法局",
        "区信访局",
        "区发改委",
    ):
        assert short in names, short
    offices = set(Unit.objects.filter(parent__code="JYL").values_list("short_name", flat=True))
    assert {"城管办", "应急办", "生态办", "区域办", "纪检办"} <= offices
    assert Unit.objects.get(short_name="政务服务大厅").works_weekends
    assert Unit.objects.filter(round_the_clock=True).exists()
    assert not Unit.objects.get(code="QZJJ").works_weekends


def test_grids_tile_their_community_and_other_zones_exist(loaded):
    community = Place.objects.get(code="410106001001")
    grids = Zone.objects.filter(kind="grid", place=community)
    assert grids.count() == ds.GRIDS_PER_COMMUNITY
    union = shape(grids[0].geometry).union(shape(grids[1].geometry))
    assert abs(union.area - shape(community.geometry).area) < shape(community.geometry).area * 1e-3
    assert (
        ZoneRole.objects.filter(role="grid_worker").count()
        == Zone.objects.filter(kind="grid").count()
    )
    assert Zone.objects.filter(kind="hazard_point", place__name="峡窝镇").count() == 5
    assert Zone.objects.filter(kind="park").exists()


def test_every_geometry_lies_inside_the_converted_district_outline(loaded):
    outline = layout.outline()
    # The converted outline is what the district row stores.
    assert shape(Place.objects.get(code="410106").geometry).equals(outline)
    outside = [
        code
        for code, geom in [
            *Place.objects.exclude(kind="district").values_list("code", "geometry"),
            *Zone.objects.values_list("code", "geometry"),
        ]
        if not outline.contains(shape(geom))
    ]
    assert outside == []
    # Children inside parents: compounds in their community, buildings in their compound.
    for child in Place.objects.filter(kind__in=["compound", "building"]).select_related("parent"):
        assert shape(child.parent.geometry).buffer(1e-6).contains(shape(child.geometry))


def test_outline_is_converted_from_gcj02(loaded):
    import json

    from cityloop.core.geo import convert_geometry, gcj02_to_wgs84

    raw = json.loads(layout.OUTLINE_FILE.read_text(encoding="utf-8"))[0]["geometry"]
    converted = shape(convert_geometry(raw, gcj02_to_wgs84))
    stored = shape(Place.objects.get(code="410106").geometry)
    assert stored.hausdorff_distance(converted) < 2e-6  # the stored rounding, ≈ 0.2 m
    # The GCJ-02 offset near Zhengzhou is some hundreds of metres.
    shift = shape(raw).centroid.distance(layout.outline().centroid)
    assert 0.002 < shift < 0.01


def test_plan_is_deterministic(loaded):
    from cityloop.demo.plan import build_plan

    first, second = build_plan(), build_plan()
    assert first == second
    assert [p.code for p in first.people][:3] == [p.code for p in second.people][:3]


def test_second_load_is_skipped_and_a_forced_walk_changes_nothing(loaded):
    assert demo_loaded()
    events = Event.objects.count()
    again = load_demo(cases=False)
    assert again["status"] == "skipped"
    walked = load_demo(force=True, cases=False)
    assert all(c["created"] == c["updated"] == 0 for c in walked["counts"].values())
    assert walked["counts"]["duty"]["unchanged"] == ZoneRole.objects.count()
    assert Event.objects.count() == events


def test_a_stale_fingerprint_means_not_loaded(loaded):
    district = Place.objects.get(code="410106")
    district.attrs = {**district.attrs, "demo_fingerprint": "stale"}
    district.save()
    assert not demo_loaded()


def test_accounts_exist_with_roles_and_people(loaded):
    users = {u.username: u for u in get_user_model().objects.prefetch_related("groups")}
    for username, name, roles, unit, place, _desc in DEMO_ACCOUNTS:
        user = users[username]
        assert set(user.groups.values_list("name", flat=True)) == set(roles)
        person = Person.objects.get(user=user)
        assert person.name == name and person.is_demo
        assert (person.unit.code if person.unit else "") == unit
        assert (person.place.code if person.place else "") == place
    assert users[SUPERUSER].is_superuser
    chief = Person.objects.get(user=users["demo-roadchief"])
    assert chief.zone_roles.filter(role="road_chief").count() >= 1
    assert Person.objects.get(user=users["demo-grid"]).zone_roles.filter(role="grid_worker")
    assert Person.objects.get(user=users["cg-compound"]).zone_roles.filter(role="compound_head")
    assert Person.objects.get(user=users["cg-building"]).zone_roles.filter(role="building_head")
    assert Person.objects.get(user=users["cg-steward"]).zone_roles.filter(role="red_steward")


def test_people_are_fictional_with_fake_phones(loaded):
    names = set(Person.objects.values_list("name", flat=True))
    assert not names & ds.SEED_PEOPLE
    phones = list(Person.objects.values_list("phone", flat=True))
    assert all(p.startswith("1390000") and len(p) == 11 for p in phones)
    assert len(set(phones)) == len(phones)


def test_street_account_logs_in_and_sees_its_street_only(loaded, client):
    response = client.post(reverse("login"), {"username": "jyl-street", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        get_user_model().objects.get(username="jyl-street").pk
    )
    scope = scope_for(get_user_model().objects.get(username="jyl-street"))
    assert scope.covers(Place.objects.get(code=JYL))
    assert scope.covers(Place.objects.get(name="06小区"))
    assert not scope.covers(Place.objects.get(code=ZXL))
    assert not scope.covers(Place.objects.get(name="鸿泰花园"))


def test_road_chief_scope_is_their_roads(loaded):
    user = get_user_model().objects.get(username="demo-roadchief")
    scope = scope_for(user)
    own = Zone.objects.filter(roles__person__user=user)
    assert own.exists() and all(scope.covers(z) for z in own)
    assert not scope.covers(Zone.objects.filter(kind="road", place__code=ZXL).first())


def test_reset_deletes_and_reloads(loaded):
    user = get_user_model().objects.get(username="jyl-street")
    user.set_password("changed-by-user")
    user.save()
    Place.objects.filter(code=JYL).update(name="改过的名字")
    result = load_demo(reset=True, cases=False)
    assert result["status"] == "reset"
    assert result["counts"]["place"]["created"] == 370
    assert Place.objects.get(code=JYL).name == "济源路街道"
    assert get_user_model().objects.get(username="jyl-street").check_password(DEMO_PASSWORD)
    assert demo_loaded()


def test_delete_demo_leaves_no_demo_rows(loaded):
    delete_demo()
    for model in (Place, Unit, Zone, Person, ZoneRole, Partnership):
        assert not model.objects.filter(is_demo=True).exists()
    assert not get_user_model().objects.filter(username=SUPERUSER).exists()
    assert not demo_loaded()


def test_demo_refuses_to_overwrite_a_real_district(loaded):
    from cityloop.core.errors import Conflict
    from cityloop.org import services

    delete_demo()
    services.place_save(actor=None, code="410106", name="上街区", kind="district")
    with pytest.raises(Conflict) as err:
        load_demo(reset=True, cases=False)
    assert err.value.code == "demo_real_data_present"
    assert not Place.objects.filter(is_demo=True).exists()


def test_demo_command_reports(loaded):
    from io import StringIO

    from django.core.management import call_command

    from cityloop.demo.builder import _report

    out = StringIO()
    call_command("demo", "--no-cases", stdout=out)
    assert fingerprint() in out.getvalue()  # already loaded: says so, with the fingerprint
    out = StringIO()
    _report(loaded, out)
    assert "370" in out.getvalue()  # the table of counts
