"""Browser test: the Content-Security-Policy blocks nothing the pages need.

Chromium reports every CSP refusal on the console ("Refused to ... Content Security Policy");
the pages that run the most script (htmx org browser, Leaflet map, the workbench, the board,
the vendored Swagger UI) must produce none and no script error.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_browser import OUT, browser, street_account  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


def test_the_policy_blocks_nothing_on_script_heavy_pages(browser, live_server, street_account):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    refused: list[str] = []
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: (
            refused.append(f"{page.url} {msg.location} {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("jyl-e2e")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/org/")
    page.locator(".tree").get_by_role("link", name="新华街社区").click()
    page.locator("#detail h2.detail-title").filter(has_text="新华街社区").wait_for()

    page.goto(f"{live_server.url}/map/")
    page.locator("#map[data-loaded=true]").wait_for(timeout=15000)

    for path in (
        "/cases/",
        "/cases/map/",
        "/supervision/",
        "/projects/",
        "/campaigns/",
        "/assessment/",
        "/bulletins/",
        "/deliberation/",
        "/report/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/api/v1/docs")
    # Swagger UI parses a 1.4 MB bundle and the whole OpenAPI document: on a loaded 2-core
    # machine (CI runs two suites at once) that took over 15 s once.
    title = page.locator(".swagger-ui .info .title").filter(has_text="cityloop API")
    title.wait_for(timeout=45000)
    page.screenshot(path=str(OUT / "csp-api-docs.png"), full_page=False)
    assert refused == []
    assert errors == []
