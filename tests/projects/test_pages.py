"""The project and campaign pages render for a user in scope, 404 out of it, and the page
buttons call the workflow."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_project_pages(crew, make_project, on_day):
    on_day(date(2026, 6, 1))
    p = make_project()
    boss = _client(crew.supervisor)
    r = boss.get("/projects/")
    assert r.status_code == 200 and "06小区老旧小区改造" in r.content.decode()
    r = boss.get(f"/projects/{p.pk}/")
    assert r.status_code == 200
    assert 'data-current-stage="opinion"' in r.content.decode()
    item = p.items.get(name="拆除防盗网")
    r = _client(crew.doer).post(
        f"/projects/{p.pk}/report/", {"item": item.pk, "quantity": "900", "on": "2026-06-01"}
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.done == 900
    r = boss.post(f"/projects/{p.pk}/advance/", {"stage": "design"})
    p.refresh_from_db()
    assert p.stage == "design"
    assert _client(crew.outsider).get(f"/projects/{p.pk}/").status_code == 404


def test_campaign_pages(tree, make_account, on_day):
    from cityloop.campaigns.services import CampaignInput, create_campaign

    on_day(date(2026, 4, 20))
    staff = make_account("jyl", unit=tree.office_a)
    c = create_campaign(
        actor=staff,
        data=CampaignInput(
            code="QCQJ",
            title="全城清洁",
            kind="cleanup",
            organiser=tree.office_a.code,
            recurrence="weekly",
            weekday=4,
            start=date(2026, 4, 1),
        ),
    )
    client = _client(staff)
    r = client.post(
        f"/campaigns/{c.pk}/sessions/",
        {
            "on": "2026-04-17",
            "place": tree.compound_a.pk,
            "participants": "王芳、李强\n张伟",
            "output_dead_corners": "4",
            "resources": "垃圾清运车 辆 2",
        },
    )
    assert r.status_code == 302
    page = client.get(f"/campaigns/{c.pk}/").content.decode()
    assert 'data-total="person_times">3<' in page and 'data-total="dead_corners">4<' in page
    cal = client.get("/campaigns/?month=2026-04").content.decode()
    assert "3人次" in cal
    assert 'data-day="2026-04-24"' in cal


def test_the_project_list_exports_with_its_quantities(crew, make_project, on_day):
    from tests.xlsx import xlsx_rows

    on_day(date(2026, 6, 1))
    p = make_project()
    item = p.items.get(name="拆除防盗网")
    _client(crew.doer).post(
        f"/projects/{p.pk}/report/", {"item": item.pk, "quantity": "900", "on": "2026-06-01"}
    )
    boss = _client(crew.supervisor)
    assert "导出 Excel" in boss.get("/projects/").content.decode()
    rows = xlsx_rows(boss.get("/projects/", {"format": "xlsx"}))
    assert rows[0][:3] == ["编码", "项目", "类型"]
    (line,) = rows[1:]
    assert line[0] == "P1" and line[1] == "06小区老旧小区改造"
    assert f"拆除防盗网 900/{item.planned.normalize():f} {item.unit_of_measure}" in line[-1]
    assert xlsx_rows(_client(crew.outsider).get("/projects/", {"format": "xlsx"}))[1:] == []
