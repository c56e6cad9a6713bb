"""Browser test of the whole case loop, as the people who play each part.

A resident without an account reports on the phone page (category, text, a photo, a tap on
the map), lands on the tracking page with the code; the desk accepts and dispatches to the
城管办; its staff replies with an after-photo; a second desk account verifies; the resident
rates the result with the phone number and sees 已结案. Screenshots of every step go to
``test-output/e2e/``.
"""

from __future__ import annotations

import re

import pytest
from PIL import Image

from tests.conftest import PASSWORD
from tests.e2e.test_browser import OUT, browser  # noqa: F401  (the shared browser fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_calendar"),
]

# Inside 06小区 of the shared tree (新华街社区, 济源路街道).
POINT = (113.2620, 34.7820)
PHONE = "13800000009"
PHONE_VIEW = {"width": 390, "height": 800}
DESK_VIEW = {"width": 1280, "height": 900}


def jpeg(path, colour) -> str:
    Image.new("RGB", (640, 480), colour).save(path, "JPEG")
    return str(path)


@pytest.fixture
def loop_setup(tree, make_account, settings, tmp_path):
    from cityloop.cases.models import Category
    from cityloop.org import services as s

    settings.MEDIA_ROOT = tmp_path / "media"
    main = Category.objects.create(code="E2E-S01", name="市容环境(测试)", kind="event")
    leaf = Category.objects.create(
        code="E2E-S0101",
        name="乱堆物堆料(测试)",
        parent=main,
        kind="event",
        level="community",
        time_limits={
            "accept": {"amount": 2, "type": "work_hours"},
            "dispatch": {"amount": 2, "type": "work_hours"},
            "handle": {"amount": 5, "type": "work_days"},
            "verify": {"amount": 1, "type": "work_days"},
            "return_visit": {"amount": 3, "type": "work_days"},
        },
    )
    cgb, _ = s.unit_save(
        actor=None,
        code="JYL-CGB",
        name="城管办",
        kind="office",
        parent=tree.office_a,
        place=tree.street_a,
    )
    make_account("e2e-desk", roles=("street_staff",), unit=tree.office_a)
    make_account("e2e-handler", roles=("department_staff",), unit=cgb)
    make_account("e2e-verifier", roles=("street_staff",), unit=tree.office_a)
    return leaf


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"case-{name}.png"), full_page=True)


def log_in(browser, base: str, username: str, next_url: str):  # noqa: F811
    context = browser.new_context(viewport=DESK_VIEW, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login/?next={next_url}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{next_url}")
    return context, page, errors


def take_action(page, action: str, status: str, fill=None) -> None:
    """Open the action's form (htmx), fill it, submit, wait for the detail to show ``status``."""
    page.locator(f'#case-actions a[data-action="{action}"]').click()
    page.locator(f'.action-panel[data-open-action="{action}"]').wait_for()
    if fill is not None:
        fill(page)
    page.locator(f'button[data-submit="{action}"]').click()
    page.locator(f'#case-detail[data-status="{status}"]').wait_for(timeout=15000)
    assert page.locator('[data-message="success"]').count() == 1


def test_resident_report_through_dispatch_reply_verify_and_rating(
    browser,  # noqa: F811
    live_server,
    loop_setup,
    tmp_path,
):
    from cityloop.cases.models import Case

    base = live_server.url
    before_photo = jpeg(tmp_path / "before.jpg", (150, 110, 60))
    after_photo = jpeg(tmp_path / "after.jpg", (60, 150, 90))

    # 1. The resident reports on the phone, no account.
    resident = browser.new_context(viewport=PHONE_VIEW, locale="zh-CN", is_mobile=True)
    page = resident.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/report/")
    assert page.locator("h1").inner_text() == "反映问题"
    page.locator("#picker-map[data-loaded=true]").wait_for(timeout=15000)
    page.get_by_label("类别").select_option(label="乱堆物堆料(测试)")
    page.get_by_label("遇到了什么问题？").fill("06小区3号楼东侧堆放大量建筑垃圾，堵住消防通道")
    page.locator("input[name=photos]").set_input_files(before_photo)
    # Zoom to the compound, then tap the map where the problem is.
    x, y = page.evaluate(
        """([lng, lat]) => {
            const map = document.getElementById('picker-map')._leafletMap;
            map.setView([lat, lng], 17, {animate: false});
            const p = map.latLngToContainerPoint([lat, lng]);
            return [p.x, p.y];
        }""",
        list(POINT),
    )
    page.locator("#picker-map").click(position={"x": x, "y": y})
    page.locator("#picker-map[data-pinned=true]").wait_for()
    lng = float(page.locator("input[name=lng]").input_value())
    lat = float(page.locator("input[name=lat]").input_value())
    assert abs(lng - POINT[0]) < 0.0001 and abs(lat - POINT[1]) < 0.0001
    assert "已选位置" in page.locator("[data-picker-status]").inner_text()
    page.get_by_label("您的姓名").fill("张先生")
    page.get_by_label("您的电话").fill(PHONE)
    shot(page, "01-report-phone")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r".*/track/[0-9A-Z-]+/$"))
    code = page.locator("h1.case-code").inner_text().strip()
    assert code in page.locator(".banner-success").inner_text()
    assert page.locator("[data-status]").inner_text() == "已上报"
    assert "新华街社区" in page.locator(".facts").inner_text()
    assert page.locator(".photos img").count() == 1
    shot(page, "02-tracking-reported")
    case_id = Case.objects.get(code=code).pk
    detail = f"/cases/{case_id}/"

    # A neighbour about to report the same thing is shown the open case nearby (htmx).
    page.goto(f"{base}/report/")
    page.locator("#picker-map[data-loaded=true]").wait_for(timeout=15000)
    page.get_by_label("类别").select_option(label="乱堆物堆料(测试)")
    page.get_by_label("遇到了什么问题？").fill("06小区3号楼东侧建筑垃圾堵住消防通道")
    page.evaluate(
        """([lng, lat]) => document.getElementById('picker-map')._leafletMap
            .setView([lat, lng], 17, {animate: false})""",
        list(POINT),
    )
    page.locator("#picker-map").click(position={"x": x, "y": y})
    page.locator(f'#duplicates [data-code="{code}"]').wait_for(timeout=15000)
    shot(page, "02b-duplicate-hint")

    # 2. The desk accepts and dispatches to the 城管办.
    desk_ctx, desk, desk_errors = log_in(browser, base, "e2e-desk", "/cases/")
    desk.locator(f'tr[data-case="{code}"]').wait_for()
    shot(desk, "03-workbench")
    desk.get_by_role("link", name=code).click()
    desk.wait_for_url(f"{base}{detail}")
    assert desk.locator('#case-actions a[data-action="accept"]').count() == 1
    take_action(desk, "accept", "accepted")
    shot(desk, "04-accepted")
    take_action(
        desk,
        "dispatch",
        "dispatched",
        lambda p: p.get_by_label("责任单位").select_option(label="城管办"),
    )
    assert desk.locator("[data-responsible]").inner_text() == "城管办"
    shot(desk, "05-dispatched")
    # The open case on the map, coloured by its light; the home page counts it.
    desk.goto(f"{base}/cases/map/")
    desk.locator("#case-map[data-loaded=true]").wait_for(timeout=15000)
    assert desk.locator("path.case-dot-green").count() == 1
    shot(desk, "05b-case-map")
    desk.goto(f"{base}/")
    assert desk.locator('[data-card="cases_open"] [data-value]').inner_text() == "1"
    shot(desk, "05c-home")
    desk_ctx.close()

    # 3. The 城管办 replies with an after-photo.
    handler_ctx, handler, handler_errors = log_in(browser, base, "e2e-handler", detail)

    def reply(p):
        p.get_by_label("处置情况").fill("已清运建筑垃圾，消防通道畅通")
        p.locator(".action-panel input[name=photos]").set_input_files(after_photo)

    take_action(handler, "reply", "replied", reply)
    shot(handler, "06-replied")
    handler_ctx.close()

    # 4. Someone else verifies on site: passed, the case closes.
    verifier_ctx, verifier, verifier_errors = log_in(browser, base, "e2e-verifier", detail)
    assert verifier.locator('#case-actions a[data-action="verify"]').count() == 1
    take_action(verifier, "verify", "closed", lambda p: p.get_by_label("通过：结案").check())
    shot(verifier, "07-verified-closed")
    verifier_ctx.close()

    # 5. The resident rates the result with the phone number given at report time.
    page.goto(f"{base}/track/{code}/")
    assert page.locator("[data-status]").inner_text() == "已结案"
    assert page.locator(".photos img").count() == 2  # before and after
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("意见").fill("处理很及时，谢谢")
    page.get_by_label("反映问题时留下的电话号码").fill(PHONE)
    shot(page, "08-rating")
    page.get_by_role("button", name="提交评价").click()
    page.locator("[data-rating]").wait_for()
    assert page.locator("[data-status]").inner_text() == "已结案"
    assert page.locator("[data-rating] dd").inner_text() == "满意"
    assert "感谢您的评价" in page.locator(".banner-success").inner_text()
    shot(page, "09-tracking-closed-rated")
    resident.close()

    case = Case.objects.get(code=code)
    assert (case.status, case.satisfaction) == ("closed", "satisfied")
    assert case.photos.count() == 2
    assert sorted(case.photos.values_list("step", flat=True)) == ["after", "report"]
    assert case.responsible_unit.name == "城管办"
    assert errors == desk_errors == handler_errors == verifier_errors == []
