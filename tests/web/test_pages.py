"""Shell and org browser pages: login, scope, htmx fragments, language switch, map."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from cityloop.org import services as s
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def card_value(html: str, key: str) -> int:
    m = re.search(
        rf'data-card="{key}".*?<span class="card-value" data-value>(\d+)</span>', html, re.S
    )
    assert m, f"card {key} not on the page"
    return int(m.group(1))


@pytest.fixture
def client_a(client, street_a_user):
    client.force_login(street_a_user)
    return client


@pytest.fixture
def duties(tree):
    """A street-level road chief on road A and a compound head on compound A."""
    chief, _ = s.person_save(
        actor=None, code="P-A1", name="王路长", unit=tree.office_a, phone="13800000001"
    )
    head, _ = s.person_save(actor=None, code="P-A2", name="李楼院长", place=tree.compound_a)
    s.duty_assign(actor=None, person=chief, role="road_chief", level="street", zone=tree.road_a)
    s.duty_assign(actor=None, person=head, role="compound_head", place=tree.compound_a)
    return chief, head


@pytest.mark.parametrize(
    "name,args",
    [
        ("home", []),
        ("map", []),
        ("org:browser", []),
        ("org:units", []),
        ("org:zones", []),
        ("org:people", []),
        ("org:place", [1]),
        ("org:zone", [1]),
        ("org:person", [1]),
        ("org:unit", [1]),
    ],
)
def test_pages_require_login(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert response["Location"].endswith(f"next={url}")


def test_login_form_logs_in_and_lands_on_home(client, street_a_user):
    page = client.get(reverse("login"))
    assert "登录" in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "jyl-staff", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.wsgi_request.user == street_a_user


def test_wrong_password_shows_chinese_error(client, street_a_user):
    response = client.post(reverse("login"), {"username": "jyl-staff", "password": "nope-nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


@override_settings(AXES_LOCKOUT_TEMPLATE="web/lockout.html", AXES_FAILURE_LIMIT=2)
def test_lockout_page_is_chinese(client, street_a_user):
    for _ in range(2):
        client.post(reverse("login"), {"username": "jyl-staff", "password": "wrong-wrong"})
    response = client.post(reverse("login"), {"username": "jyl-staff", "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()


def test_home_counts_only_the_users_street(client_a, tree, duties):
    html = client_a.get(reverse("home")).content.decode()
    assert card_value(html, "streets") == 1
    assert card_value(html, "communities") == 1
    assert card_value(html, "compounds") == 1
    assert "1 个无主管" in html
    assert card_value(html, "buildings") == 1
    assert card_value(html, "roads") == 1  # 济源路 only, not 中心路
    assert card_value(html, "grids") == 0
    assert card_value(html, "units") == 1  # the street office; not the district bureau
    # the account's own person, the road chief (in the office) and the compound head
    assert card_value(html, "people") == 3
    assert card_value(html, "duties") == 2
    assert "济源路街道" in html and "中心路街道" not in html


def test_home_for_a_superuser_counts_everything(client, tree, make_account):
    client.force_login(make_account("root", roles=(), superuser=True))
    html = client.get(reverse("home")).content.decode()
    assert card_value(html, "streets") == 2
    assert card_value(html, "roads") == 2
    assert card_value(html, "units") == 3
    assert "管理后台" in html  # staff see the admin link


def test_shell_shows_user_unit_and_nav(client_a):
    html = client_a.get(reverse("home")).content.decode()
    assert "城市治理闭环平台" in html
    assert "济源路街道办事处" in html  # the user's unit in the top bar
    for label in ("首页", "组织架构", "地图", "API 文档"):
        assert label in html
    assert "管理后台" not in html
    assert 'action="/logout/" method="post"' in html


def test_calendar_warning_banner(client_a, monkeypatch):
    from cityloop.core import worktime

    monkeypatch.setattr(worktime, "calendar_warnings", lambda: ["2027 年工作日历未知"])
    html = client_a.get(reverse("home")).content.decode()
    assert 'class="banner banner-warn" role="alert">2027 年工作日历未知' in html


def test_org_browser_shows_children_and_duties(client_a, tree, duties):
    html = client_a.get(reverse("org:place", args=[tree.community_a.pk])).content.decode()
    assert "新华街社区" in html
    assert "06小区" in html  # child compound
    assert "无主管" in html  # its management badge
    html = client_a.get(reverse("org:place", args=[tree.compound_a.pk])).content.decode()
    assert "李楼院长" in html and "楼院长" in html  # duty on the compound
    assert "1号楼" in html


def test_org_browser_default_is_the_users_root(client_a, tree):
    html = client_a.get(reverse("org:browser")).content.decode()
    assert f'data-place-id="{tree.street_a.pk}"' in html
    assert "新华街社区" in html  # the root's branch is open


def test_other_streets_place_is_404(client_a, tree):
    for url in (
        reverse("org:place", args=[tree.compound_b.pk]),
        reverse("org:tree_children", args=[tree.street_b.pk]),
        reverse("org:zone", args=[tree.road_b.pk]),
        reverse("org:unit", args=[tree.office_b.pk]),
        f"{reverse('org:people')}?place={tree.street_b.pk}",
    ):
        response = client_a.get(url)
        assert response.status_code == 404, url
        assert "未找到" in response.content.decode()


def test_htmx_detail_returns_only_the_fragment(client_a, tree):
    url = reverse("org:place", args=[tree.compound_a.pk])
    response = client_a.get(url, headers={"HX-Request": "true", "HX-Target": "detail"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "06小区" in html
    assert "<html" not in html and 'class="topbar"' not in html and 'class="tree"' not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_tree_children_fragment(client_a, tree):
    url = reverse("org:tree_children", args=[tree.street_a.pk])
    html = client_a.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "新华街社区" in html and "<html" not in html


def test_htmx_search_returns_results_only(client_a, tree):
    url = reverse("org:browser") + "?q=小区"
    response = client_a.get(url, headers={"HX-Request": "true", "HX-Target": "search-results"})
    html = response.content.decode()
    assert "06小区" in html and "鸿泰花园" not in html  # other street's compound stays hidden
    assert "<html" not in html and 'class="tree"' not in html


def test_kind_filter_lists_compounds(client_a, tree):
    html = client_a.get(reverse("org:browser") + "?kind=compound").content.decode()
    assert "06小区" in html and "鸿泰花园" not in html


def test_zone_page_lists_chiefs_by_level(client_a, tree, duties):
    html = client_a.get(reverse("org:zone", args=[tree.road_a.pk])).content.decode()
    assert "济源路" in html and "王路长" in html and "路长" in html and "街道级" in html
    assert "13800000001" in html


def test_person_page_lists_duties(client_a, tree, duties):
    chief, _head = duties
    html = client_a.get(reverse("org:person", args=[chief.pk])).content.decode()
    assert "王路长" in html and "济源路" in html


def test_units_and_people_lists(client_a, tree, duties):
    html = client_a.get(reverse("org:units")).content.decode()
    assert "济源路街道办事处" in html and "中心路街道办事处" not in html
    html = client_a.get(reverse("org:people") + "?with_duties=1").content.decode()
    assert "王路长" in html and "李楼院长" in html and "acct-jyl-staff" not in html


def test_language_switch_changes_ui_language(client_a):
    assert "组织架构" in client_a.get(reverse("home")).content.decode()
    response = client_a.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client_a.get(reverse("home")).content.decode()
    assert "Organisation" in html and "组织架构" not in html
    assert 'name="language" value="zh-hans"' in html  # the switch now offers Chinese
    client_a.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "组织架构" in client_a.get(reverse("home")).content.decode()


def map_config(html: str) -> dict:
    m = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
    assert m, "map config missing"
    return json.loads(m.group(1))


def test_map_page_points_at_the_features_api(client_a, settings):
    html = client_a.get(reverse("map")).content.decode()
    config = map_config(html)
    assert config["featuresUrl"] == "/api/v1/map/features"
    assert "compounds" in config["layers"] and "district" in config["layers"]
    assert config["tileUrl"] == ""  # no base tiles unless configured
    for label in ("物业", "业委会", "自管会", "无主管"):
        assert label in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html


def test_map_tiles_come_from_settings(client_a, settings, monkeypatch):
    monkeypatch.setattr(settings.CITYLOOP, "map_tile_url", "https://tiles.example/{z}/{x}/{y}.png")
    monkeypatch.setattr(settings.CITYLOOP, "map_tile_attribution", "© 示例")
    config = map_config(client_a.get(reverse("map")).content.decode())
    assert config["tileUrl"] == "https://tiles.example/{z}/{x}/{y}.png"
    assert config["tileAttribution"] == "© 示例"


def test_unknown_url_is_a_chinese_404_in_the_layout(client_a):
    response = client_a.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "未找到" in html and "城市治理闭环平台" in html


def test_calendar_warning_is_for_staff_only(client_a, tree, make_account, monkeypatch):
    from django.test import Client

    from cityloop.core import worktime

    monkeypatch.setattr(worktime, "calendar_warnings", lambda: ["2027 年工作日历未知"])
    client = Client()
    public = client.get(reverse("case-report")).content.decode()
    assert "2027 年工作日历未知" not in public  # a resident can do nothing about it
    staff = client_a.get(reverse("home")).content.decode()
    assert "2027 年工作日历未知" in staff and "/admin/core/workcalendaryear/" not in staff
    admin = make_account("op-admin", superuser=True)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    html = client.get(reverse("home")).content.decode()
    assert 'href="/admin/core/workcalendaryear/">录入节假日</a>' in html


def test_navigation_is_grouped(client_a):
    html = client_a.get(reverse("home")).content.decode()
    groups = ["业务", "考核与简报", "基础数据"]
    positions = [html.index(f'class="nav-group" id="nav-{g}"') for g in ("work", "assess", "base")]
    assert positions == sorted(positions)
    for group in groups:
        assert f">{group}</p>" in html
    assert html.index(">事件</a>") < html.index(">考核与简报</p>") < html.index(">信息简报")
