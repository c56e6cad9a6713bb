"""Staff and resident pages: thin over the workflow, refusals shown in Chinese, nothing
changed by bad input."""

from __future__ import annotations

import pytest

from cityloop.deliberation.models import Ballot, Opinion, Topic
from tests.deliberation.conftest import units_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, desk):
    client.force_login(desk)
    return client


def test_staff_list_and_create(staff, tree, at_day):
    r = staff.post("/deliberation/", {"place": tree.compound_a.pk, "title": "", "rule": "meeting"})
    assert r.status_code == 200 and "请为议题填写标题" in r.content.decode()
    assert not Topic.objects.exists()
    r = staff.post(
        "/deliberation/", {"place": tree.compound_a.pk, "title": "楼道照明", "rule": "meeting"}
    )
    topic = Topic.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/deliberation/topics/{topic.pk}/"
    page = staff.get(r["Location"]).content.decode()
    assert "楼道照明" in page and "征集意见" in page


def test_topic_page_actions_and_refusals(staff, topic_at_vote):
    topic = topic_at_vote
    url = f"/deliberation/topics/{topic.pk}/"
    page = staff.get(url).content.decode()
    assert 'data-action="close_vote"' in page and "录入纸质表决票" in page
    unit = units_of(topic)["1号楼-1-101"]
    staff.post(url + "ballot/", {"household": unit.pk, "choice": "for", "ballot_no": "A1"})
    r = staff.post(
        url + "ballot/", {"household": unit.pk, "choice": "against", "ballot_no": "A2"}, follow=True
    )
    assert "已录入纸质表决票" in r.content.decode()
    assert Ballot.objects.count() == 1
    r = staff.post(url + "deliberate/", {"text": "x", "attendance": "3"}, follow=True)
    assert "当前阶段" in r.content.decode()


def test_outsider_gets_404(client, outsider, topic_at_vote):
    client.force_login(outsider)
    assert client.get(f"/deliberation/topics/{topic_at_vote.pk}/").status_code == 404
    r = client.post(f"/deliberation/topics/{topic_at_vote.pk}/close_vote/")
    assert r.status_code == 404
    topic_at_vote.refresh_from_db()
    assert topic_at_vote.stage == "voting"


def test_public_vote_flow_with_staff_code(client, desk, topic_at_vote):
    from cityloop.deliberation import workflow

    topic = topic_at_vote
    page = client.get(f"/topics/{topic.code}/")
    assert page.status_code == 200 and "业主表决" in page.content.decode()
    code = workflow.access_issue(actor=desk, topic_id=topic.pk, phone="13900000001")
    r = client.post(
        f"/topics/{topic.code}/code/", {"phone": "13900000001", "secret": "12"}, follow=True
    )
    assert "验证码不正确" in r.content.decode()
    client.post(f"/topics/{topic.code}/code/", {"phone": "13900000001", "secret": code})
    page = client.get(f"/topics/{topic.code}/").content.decode()
    assert "139****0001" in page and "1号楼-1单元-101" in page and "1号楼-1单元-102" in page
    unit = units_of(topic)["1号楼-1-101"]
    r = client.post(
        f"/topics/{topic.code}/vote/", {"household": unit.pk, "choice": "for"}, follow=True
    )
    assert "您的表决已记录" in r.content.decode()
    r = client.post(
        f"/topics/{topic.code}/vote/", {"household": unit.pk, "choice": "against"}, follow=True
    )
    assert "已在手机页面表决" in r.content.decode()
    assert list(Ballot.objects.values_list("channel", "choice")) == [("mobile", "for")]


def test_public_vote_needs_verification(client, topic_at_vote):
    unit = units_of(topic_at_vote)["1号楼-1-101"]
    r = client.post(
        f"/topics/{topic_at_vote.code}/vote/", {"household": unit.pk, "choice": "for"}, follow=True
    )
    assert "请先验证手机号码" in r.content.decode()
    assert not Ballot.objects.exists()


def test_public_list_and_opinion(client, desk, tree, at_day):
    from cityloop.deliberation import services

    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="垃圾分类点位", rule="meeting"
    )
    page = client.get("/topics/", {"compound": tree.compound_a.code}).content.decode()
    assert "垃圾分类点位" in page
    r = client.post(f"/topics/{topic.code}/opinion/", {"text": " "}, follow=True)
    assert "请填写意见" in r.content.decode()
    client.post(f"/topics/{topic.code}/opinion/", {"text": "建议放在小区东门", "author": "刘阿姨"})
    op = Opinion.objects.get()
    assert (op.channel, op.author, op.stage) == ("mobile", "刘阿姨", "soliciting")
    assert client.get("/topics/NOPE/").status_code == 404


def test_households_import_page_reports_rows(staff, tree, write_csv):
    path = write_csv(
        [["1号楼", "1", "101", "abc", "王", "", ""], ["1号楼", "1", "102", "50", "", "", ""]]
    )
    with path.open("rb") as f:
        r = staff.post(f"/deliberation/households/{tree.compound_a.pk}/", {"file": f})
    text = r.content.decode()
    assert r.status_code == 400
    assert 'data-error-line="2"' in text and 'data-error-line="3"' in text
    from cityloop.deliberation.models import Household

    assert not Household.objects.exists()


def test_coverage_and_charter_pages(staff, tree, at_day):
    r = staff.post(
        f"/deliberation/charter/{tree.compound_a.pk}/",
        {"kind": "meeting_place", "title": "06小区议事角", "address": ""},
        follow=True,
    )
    assert "议事场所需要填写地址" in r.content.decode()
    staff.post(
        f"/deliberation/charter/{tree.compound_a.pk}/",
        {
            "kind": "meeting_place",
            "title": "06小区议事角",
            "address": "06小区3号楼前",
            "capacity": "30",
        },
    )
    page = staff.get("/deliberation/charter/").content.decode()
    assert f'data-place="{tree.compound_a.code}" data-complete="no"' in page


def test_households_import_page_shows_its_progress(
    staff, tree, write_csv, client, outsider, monkeypatch
):
    """The form carries a fresh token; while (and after) the import runs, the progress
    fragment of that token tells the rows checked and written, to its sender only."""
    import re

    from cityloop.core import import_progress
    from cityloop.deliberation import services

    page = staff.get(f"/deliberation/households/{tree.compound_a.pk}/").content.decode()
    token = re.search(r'name="progress_token" value="([^"]+)"', page).group(1)
    assert "data-import-form" in page and "web/imports.js" in page
    url = f"/deliberation/households/{tree.compound_a.pk}/progress/?token={token}"
    waiting = staff.get(url)
    assert waiting.status_code == 200 and 'data-import-progress-state="waiting"' in waiting.text

    seen: list[str] = []
    real = services.households_import

    def spying(**kwargs):  # what the page would fetch while the import is running
        tick = kwargs["progress"]

        def tick_and_look(stage, done, total):
            tick(stage, done, total)
            seen.append(staff.get(url).content.decode())

        return real(**{**kwargs, "progress": tick_and_look})

    rows = [["1号楼", "1", str(100 + i), "60", f"业主{i}", "", ""] for i in range(1200)]
    monkeypatch.setattr(services, "households_import", spying)
    monkeypatch.setattr(import_progress, "MIN_INTERVAL", 0)  # every tick stored
    with write_csv(rows).open("rb") as f:
        r = staff.post(
            f"/deliberation/households/{tree.compound_a.pk}/",
            {"file": f, "progress_token": token},
        )
    assert r.status_code == 200
    assert any("正在检查：第 500 行，共 1200 行" in s for s in seen), seen
    assert any('data-import-progress-state="write"' in s for s in seen)
    done = staff.get(url).content.decode()
    assert 'data-import-progress-state="done"' in done and "1200" in done
    # Another account (outside the compound) asking with the same token learns nothing.
    client.force_login(outsider)
    other = client.get(url)
    assert other.status_code == 404
    assert import_progress.read(outsider, token) is None
