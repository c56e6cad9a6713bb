"""Browser test: 新建考核方案 in Debian's chromium — the live 合计 N / 100 and its warning,
添加一行, each row showing its rule's inputs, 预览, saving and 启用. Screenshots go to
test-output/e2e/."""

from __future__ import annotations

import pytest

from tests.assessment.conftest import zxl  # noqa: F401
from tests.e2e.test_browser import OUT, browser  # noqa: F401
from tests.e2e.test_case_loop import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]


def test_draw_up_preview_save_and_put_in_force(browser, live_server, zxl):  # noqa: F811
    from cityloop.assessment.models import Scheme

    base = live_server.url
    ctx, page, errors = log_in(browser, base, "zxl-desk", "/assessment/")
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        locator.click()
        clicks += 1

    click(page.locator("a[data-action='new-scheme']"))
    page.wait_for_url(f"{base}/assessment/new/")
    assert page.locator(".item-row").count() == 4
    total = page.locator("#weight-total")
    assert "合计 0 / 100" in total.inner_text()
    assert page.locator("#weight-warn").is_visible()
    # A computed row shows only its rule's inputs.
    row = page.locator(".item-row").nth(0)
    assert row.locator("[data-rule='thresholds']").is_visible()
    assert not row.locator("[data-rule='linear']").is_visible()
    assert not row.locator("[data-mode='entered']").is_visible()

    page.fill("#id_name", "街道城市管理百分考核")
    page.fill("#item-0-name", "按期结案率")
    page.fill("#item-0-weight", "60")
    page.select_option("#item-0-indicator", label="按期结案率（%）")
    page.select_option("#item-0-rule", "linear")
    assert row.locator("[data-rule='linear']").is_visible()
    assert not row.locator("[data-rule='thresholds']").is_visible()
    page.fill("#item-0-zero", "50")
    page.fill("#item-0-full", "100")
    page.fill("#item-0-sample", "80")
    page.fill("#item-1-name", "督查发现问题")
    page.fill("#item-1-weight", "35")
    page.select_option("#item-1-indicator", "inspection_findings")
    page.select_option("#item-1-rule", "deduction")
    page.fill("#item-1-per", "2")
    assert "合计 95 / 100" in total.inner_text()
    assert page.locator("#weight-warn").is_visible()

    # 添加一行 twice: rows 5 and 6, empty, numbered and named item-4-…, item-5-….
    click(page.locator("#add-row"))
    click(page.locator("#add-row"))
    assert page.locator(".item-row").count() == 6
    assert page.locator("#item-5-name").input_value() == ""
    page.fill("#item-5-name", "实地检查")
    page.fill("#item-5-weight", "5")
    page.select_option("#item-5-mode", "entered")
    new = page.locator(".item-row").nth(5)
    assert new.locator("[data-row-number]").inner_text() == "6"
    assert new.locator("[data-mode='entered']").is_visible()
    assert not new.locator("[data-mode='computed']").first.is_visible()
    page.fill("#item-5-standard", "督查小组实地打分")
    assert "合计 100 / 100" in total.inner_text()
    assert not page.locator("#weight-warn").is_visible()
    page.screenshot(path=str(OUT / "assessment-scheme-form.png"), full_page=True)

    click(page.get_by_role("button", name="预览"))
    page.wait_for_selector("[data-preview]")
    previews = page.locator("[data-preview]").all_inner_texts()
    assert any("示例值 80% 时得 36.00 分" in p for p in previews), previews
    assert Scheme.objects.count() == 0
    page.screenshot(path=str(OUT / "assessment-scheme-preview.png"), full_page=True)

    click(page.get_by_role("button", name="保存为草稿"))
    page.wait_for_url(f"{base}/assessment/")
    assert "已保存为草稿" in page.locator("main").inner_text()
    scheme = Scheme.objects.get()
    assert scheme.state == "draft"
    assert [i.name for i in scheme.items.all()] == ["按期结案率", "督查发现问题", "实地检查"]

    click(page.locator("button[data-action='activate']"))
    page.wait_for_url(f"{base}/assessment/")
    assert "该方案版本已启用。" in page.locator("main").inner_text()
    assert Scheme.objects.get().state == "active"
    page.screenshot(path=str(OUT / "assessment-scheme-active.png"), full_page=True)
    # 新建考核方案, 添加一行 ×2, 预览, 保存, 启用 (the selects and inputs are typed into)
    assert clicks == 6
    # On a phone the form fits the screen's width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/assessment/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(OUT / "assessment-scheme-form-phone.png"), full_page=True)
    assert not errors, errors
    ctx.close()
