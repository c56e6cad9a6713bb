"""In chromium, as the people who do it: a street's staff set up a renovation project with its
work items, a community worker starts a weekly clean-up campaign; each is read back on its
page and through the API. Screenshots in ``test-output/e2e/``."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)
from tests.supervision.conftest import crew  # noqa: F401

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


def _login(page, url: str, username: str, start: str) -> None:
    page.goto(f"{url}/login/?next={start}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}{start}")


def _api(user, path: str) -> dict:
    from django.test import Client

    from cityloop.core import tokens

    token = tokens.token_issue(user=user, label="e2e")
    response = Client().get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return response.json()


def test_street_staff_set_up_a_project(browser, live_server, crew, tree):  # noqa: F811
    from cityloop.projects.models import Project

    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, live_server.url, crew.supervisor.username, "/projects/")
    page.get_by_role("link", name="新建项目").click()
    page.wait_for_url("**/projects/new/")
    page.select_option("[name=type]", "old_compound")
    page.fill("[name=code]", "JYL-P-E2E")
    page.fill("[name=name]", "06小区老旧小区改造")
    page.select_option("[name=place]", tree.compound_a.code)
    page.select_option("[name=responsible_unit]", crew.office.code)
    page.fill("[name=start]", "2026-12-01")
    page.fill("[name=deadline]", "2027-05-31")
    names = page.locator("[name=item_name]")
    names.nth(0).fill("拆除防盗网")
    page.locator("[name=item_uom]").nth(0).fill("个")
    page.locator("[name=item_planned]").nth(0).fill("1800")
    page.get_by_role("button", name="添加一行").click()  # a fourth row, by script
    assert names.count() == 4
    names.nth(3).fill("路边石修补")
    page.locator("[name=item_uom]").nth(3).fill("米")
    page.locator("[name=item_planned]").nth(3).fill("1500")
    page.screenshot(path=str(OUT / "form-project-new.png"), full_page=True)
    page.get_by_role("button", name="创建项目").click()
    page.wait_for_url("**/projects/*/")
    assert "06小区老旧小区改造" in page.content() and "路边石修补" in page.content()
    page.screenshot(path=str(OUT / "form-project-created.png"), full_page=True)
    project = Project.objects.get(code="JYL-P-E2E")
    assert sorted(project.items.values_list("name", flat=True)) == ["拆除防盗网", "路边石修补"]
    assert _api(crew.supervisor, f"/api/v1/projects/{project.pk}")["name"] == "06小区老旧小区改造"
    assert errors == []


def test_a_community_worker_starts_a_weekly_campaign(browser, live_server, tree, make_account):  # noqa: F811
    from cityloop.campaigns.models import Campaign
    from cityloop.org import services as org

    sq, _ = org.unit_save(
        actor=None,
        code="JYL-SQ1",
        name="新华街社区居委会",
        kind="community_committee",
        parent=tree.office_a,
        place=tree.community_a,
    )
    worker = make_account("sq-worker", roles=("community_worker",), unit=sq)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, live_server.url, "sq-worker", "/campaigns/")
    page.get_by_role("link", name="新建活动").click()
    page.wait_for_url("**/campaigns/new/")
    page.fill("[name=title]", "周五大扫除")
    page.select_option("[name=kind]", "cleanup")
    page.select_option("[name=organiser]", str(sq.pk))
    page.select_option("[name=places]", [str(tree.compound_a.pk)])
    page.fill("[name=start]", "2026-12-04")
    page.check("[name=recurrence][value=weekly]")
    page.select_option("[name=weekday]", "4")
    page.screenshot(path=str(OUT / "form-campaign-new-390.png"), full_page=True)
    page.get_by_role("button", name="创建活动").click()
    page.wait_for_url("**/campaigns/*/")
    assert "周五大扫除" in page.content()
    page.screenshot(path=str(OUT / "form-campaign-created-390.png"), full_page=True)
    campaign = Campaign.objects.get(title="周五大扫除")
    assert (campaign.recurrence, campaign.weekday) == ("weekly", 4)
    assert _api(worker, f"/api/v1/campaigns/{campaign.pk}")["title"] == "周五大扫除"
    assert errors == []
