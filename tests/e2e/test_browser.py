"""Browser test: Debian's chromium, driven by Playwright, against the live server.

Logs in through the form as a street user, opens the org browser and the map, and checks the
Chinese UI on both. Screenshots go to ``test-output/e2e/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD, in_ci

CHROMIUM = Path("/usr/bin/chromium")
OUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A live server needs committed data: a transactional test, flushed afterwards; the
# seeded_calendar fixture puts the work calendar back.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail("/usr/bin/chromium is missing in CI (apt-get install chromium)")
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running on this thread, and Django refuses
    # sync ORM calls (fixtures, teardown) while one runs; the test itself is not async.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def street_account(tree, make_account):
    from cityloop.org import services as s

    user = make_account("jyl-e2e", unit=tree.office_a)
    chief, _ = s.person_save(actor=None, code="E2E-1", name="王路长", unit=tree.office_a)
    s.duty_assign(actor=None, person=chief, role="road_chief", level="street", zone=tree.road_a)
    return user


def test_street_user_sees_org_browser_and_map(browser, live_server, tree, street_account):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/org/")
    assert "/login/" in page.url  # the org browser needs a login
    page.get_by_label("用户名").fill("jyl-e2e")
    page.get_by_label("密码").fill(PASSWORD)
    page.screenshot(path=str(OUT / "01-login.png"))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/org/")

    tree_box = page.locator(".tree")
    tree_box.get_by_text("济源路街道", exact=True).wait_for()
    assert "中心路街道" not in page.content()  # the other street is out of scope
    assert page.locator("h1").first.inner_text() == "组织架构"

    # Choose the community: its detail is swapped in and its branch loads lazily (htmx);
    # then open the compound from the freshly loaded branch.
    tree_box.get_by_role("link", name="新华街社区").click()
    page.locator("#detail h2.detail-title").filter(has_text="新华街社区").wait_for()
    tree_box.get_by_role("link", name="06小区").click()
    page.locator("#detail h2.detail-title").filter(has_text="06小区").wait_for()
    assert "无主管" in page.locator("#detail").inner_text()
    assert page.url.endswith(f"/org/places/{tree.compound_a.pk}/")
    page.screenshot(path=str(OUT / "02-org-browser.png"), full_page=True)

    # The search box filters places with htmx.
    page.get_by_placeholder("按名称或编码搜索地点").fill("小区")
    page.locator("#search-results .result-list").get_by_text("06小区").wait_for()

    page.goto(f"{live_server.url}/map/")
    assert "无主管" in page.locator(".legend").inner_text()
    # The compound layer is drawn once the API answered: one Leaflet path per compound.
    page.locator("path.layer-compounds").first.wait_for(timeout=15000)
    page.locator("#map[data-loaded=true]").wait_for()
    status = page.locator("#map-status").inner_text()
    assert "图层已加载" in status, status
    page.screenshot(path=str(OUT / "03-map.png"), full_page=True)

    page.goto(f"{live_server.url}/")
    page.get_by_text("概览").wait_for()
    page.screenshot(path=str(OUT / "04-home.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/")
    page.get_by_text("概览").wait_for()
    page.screenshot(path=str(OUT / "05-home-phone.png"), full_page=True)
    assert errors == []
