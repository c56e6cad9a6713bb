"""In chromium, as the street's staff: a key task and an inspection are created through their
pages, read back on their pages and through the API. Screenshots in ``test-output/e2e/``."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/?next=/supervision/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/supervision/")


def _api(user, path: str) -> dict:
    from django.test import Client

    from cityloop.core import tokens

    token = tokens.token_issue(user=user, label="e2e")
    response = Client().get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return response.json()


def test_street_staff_sets_a_task_and_records_an_inspection(browser, live_server, crew):  # noqa: F811
    from cityloop.supervision.models import Inspection, Task

    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, live_server.url, crew.supervisor.username)

    page.get_by_role("link", name="新建任务").click()
    page.wait_for_url("**/supervision/tasks/new/")
    page.fill("[name=code]", "JYL-2026-E2E")
    page.fill("[name=title]", "新华街社区雨污分流改造")
    page.select_option("[name=kind]", "livelihood_project")
    page.select_option("[name=category]", "old_compound_renovation")
    page.select_option("[name=level]", "street")
    page.fill("[name=annual_goal]", "完成 3 个小区雨污分流")
    page.select_option("[name=leader]", str(crew.leader.person.pk))
    page.select_option("[name=responsible_unit]", str(crew.office.pk))
    page.select_option("[name=supervising_unit]", str(crew.street.pk))
    page.fill("[name=start]", "2026-12-01")
    page.fill("[name=deadline]", "2027-06-30")
    page.screenshot(path=str(OUT / "form-task-new.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/supervision/tasks/*/")
    assert "新华街社区雨污分流改造" in page.content()
    page.screenshot(path=str(OUT / "form-task-created.png"), full_page=True)
    task = Task.objects.get(code="JYL-2026-E2E")
    assert _api(crew.supervisor, f"/api/v1/tasks/{task.pk}")["title"] == "新华街社区雨污分流改造"

    page.goto(f"{live_server.url}/supervision/inspections/")
    page.select_option("[name=kind]", "routine")
    page.fill("[name=on]", "2026-12-01")
    page.fill("[name=subject]", "雨污分流工地周督查")
    page.fill("[name=team]", "第一督查组")
    page.select_option("[name=unit]", str(crew.street.pk))
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/supervision/inspections/*/")
    inspection = Inspection.objects.get(subject="雨污分流工地周督查")
    assert inspection.code == f"{crew.street.code}-DC2026-0001"  # numbered, not typed
    assert inspection.code in page.content()
    page.screenshot(path=str(OUT / "form-inspection-created.png"), full_page=True)
    assert errors == []
