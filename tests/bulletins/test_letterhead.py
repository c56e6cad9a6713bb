"""Per-unit letterhead (issue 15.3): the office sets its red header, abbreviation and signature
on a page, and the notice generator prints them instead of the unit's names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityloop.bulletins import notices, render
from tests import gongwen
from tests.bulletins.test_gongwen_layout import ranked  # noqa: F401


def _monthly_docx():
    return gongwen.docx(render.to_docx(notices.notice("monthly", "2020-06", scheme="CW")))


def _styled(d, style: str) -> list[str]:
    return [p.text for p in d.paragraphs if p.style.name == style]


def test_the_header_set_on_the_page_is_printed_on_the_notice(zxl, ranked, client):  # noqa: F811
    before = _monthly_docx()
    assert _styled(before, "发文机关标志") == [zxl.office.name]

    client.force_login(zxl.desk)
    page = client.get(reverse("bulletins:letterhead"))
    assert page.status_code == 200 and zxl.office.name in page.content.decode()
    r = client.post(
        reverse("bulletins:letterhead"),
        {
            "unit": zxl.office.pk,
            "header": "中心路街道办事处文件",
            "abbreviation": "中街办",
            "signature": "中心路街道创卫办",
            "send_to": "各社区居委会",
            "copy_to": "区城管局",
        },
    )
    assert r.status_code == 302

    after = _monthly_docx()
    assert _styled(after, "发文机关标志") == ["中心路街道办事处文件"]
    assert _styled(after, "发文字号")[0].startswith("中街办〔2020〕")
    assert "中心路街道创卫办" in _styled(after, "发文机关署名")
    assert "中心路街道办事处文件" not in "".join(p.text for p in before.paragraphs)


def test_another_streets_staff_cannot_set_the_letterhead(zxl, ranked, client):  # noqa: F811
    from cityloop.bulletins.models import Letterhead

    client.force_login(zxl.outsider)
    r = client.post(reverse("bulletins:letterhead"), {"unit": zxl.office.pk, "header": "伪造"})
    # The outsider issues for no unit at all: the page is not theirs (403, whatever unit is
    # named, so nothing about the other street's unit leaks).
    assert r.status_code == 403
    assert not Letterhead.objects.exists()
    assert _styled(_monthly_docx(), "发文机关标志") == [zxl.office.name]


@pytest.mark.parametrize("field", ["header", "abbreviation"])
def test_a_too_long_value_is_refused_and_changes_nothing(zxl, ranked, client, field):  # noqa: F811
    from cityloop.bulletins.models import Letterhead

    client.force_login(zxl.desk)
    r = client.post(reverse("bulletins:letterhead"), {"unit": zxl.office.pk, field: "长" * 200})
    assert r.status_code == 302
    assert not Letterhead.objects.exists()
