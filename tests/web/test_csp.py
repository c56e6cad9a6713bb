"""Content-Security-Policy on the pages, no executable inline script, Swagger UI vendored."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cityloop import settings as cityloop_settings
from cityloop.core.config import CityloopConfig

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[dict] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs_d = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs_d)
        if tag == "link":
            self.links.append(attrs_d)
        self.handlers += [name for name in attrs_d if name.startswith("on")]


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _assert_no_executable_inline_script(html: str):
    tags = _tags(html)
    assert tags.scripts, "the page has scripts"
    for attrs in tags.scripts:
        if not attrs.get("src"):
            assert attrs.get("type") == "application/json", attrs
    assert tags.handlers == []


@pytest.fixture
def pages(client, street_a_user):
    def get(url: str, *, staff: bool):
        if staff:
            client.force_login(street_a_user)
        else:
            client.logout()
        response = client.get(url)
        assert response.status_code == 200, url
        return response

    return get


@pytest.mark.parametrize(
    ("url", "staff"),
    [
        ("/login/", False),
        ("/report/", False),
        ("/", True),
        ("/cases/", True),
        ("/supervision/", True),
    ],
)
def test_pages_carry_the_policy_and_no_executable_inline_script(pages, url, staff):
    response = pages(url, staff=staff)
    policy = response["Content-Security-Policy"]
    for directive in POLICY:
        assert directive in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    _assert_no_executable_inline_script(response.content.decode())


def test_the_policy_allows_the_configured_map_tile_host_for_images():
    config = CityloopConfig(map_tile_url="https://{s}.tiles.example.cn:8443/{z}/{x}/{y}.png")
    img_src = cityloop_settings.content_security_policy(config)["DIRECTIVES"]["img-src"]
    assert img_src == ["'self'", "data:", "https://*.tiles.example.cn:8443"]
    default = cityloop_settings.content_security_policy(CityloopConfig())["DIRECTIVES"]
    assert default["img-src"] == ["'self'", "data:"]
    assert default["script-src"] == ["'self'"]


def test_api_docs_load_the_vendored_swagger_ui_from_static_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    tags = _tags(html)
    sources = [a["src"] for a in tags.scripts if a.get("src")]
    sheets = [a["href"] for a in tags.links if a.get("rel") == "stylesheet"]
    assert sources == [
        "/static/vendor/swagger-ui-5.17.14/swagger-ui-bundle.js",
        "/static/web/api_docs.js",
    ]
    assert sheets == ["/static/vendor/swagger-ui-5.17.14/swagger-ui.css"]
    _assert_no_executable_inline_script(html)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # the vendored files are served
    for url in [*sources, *sheets]:
        served = client.get(url)
        assert served.status_code == 200, url
        assert b"".join(served.streaming_content if served.streaming else [served.content])
    assert '"validatorUrl": null' in html
    assert reverse("api:openapi-json") in html


def test_the_schema_the_docs_page_loads_has_no_duplicated_key(client):
    """Swagger UI parses openapi.json with a YAML parser that refuses a key twice in one
    object (the urging-letter downloads once had both 200 and "200" under responses)."""
    import json

    duplicated: list[str] = []

    def pairs(items):
        keys = [k for k, _v in items]
        duplicated.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(items)

    response = client.get(reverse("api:openapi-json"))
    assert response.status_code == 200
    schema = json.loads(response.content, object_pairs_hook=pairs)
    assert duplicated == []
    pdf = schema["paths"]["/api/v1/urging-letters/{letter_id}/pdf"]["get"]["responses"]["200"]
    assert pdf == {
        "description": "the letter as PDF / 催办函 PDF",
        "content": {"application/pdf": {}},
    }
