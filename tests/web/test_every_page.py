"""Every page, as every demo role and as an anonymous resident, reads in Chinese.

The whole demo is loaded once for the module (frame, cases, supervision, projects and
campaigns, deliberation, assessment and bulletins — what ``cityloop demo`` loads); each
account then follows the links its pages offer (at most two URLs per route, so the walk
covers every kind of page without reading all 700 cases) and fails on any untranslated msgid
or raw code a user would read (see ``crawl.leaks``).
"""

from __future__ import annotations

import pytest

from tests.demo.conftest import demo_load_once
from tests.web.crawl import crawl, leaks


@pytest.fixture(scope="module")
def full_demo(django_db_setup, django_db_blocker):
    from cityloop.demo import deliberation as demo_deliberation
    from cityloop.demo import projects as demo_projects
    from cityloop.demo.assessment import load_assessment

    with demo_load_once(django_db_blocker) as result:
        with django_db_blocker.unblock():
            demo_projects.run()
            demo_deliberation.ensure()
            load_assessment()
        yield result


def _accounts() -> list[str]:
    from cityloop.demo.accounts import SUPERUSER, demo_usernames

    return list(dict.fromkeys([*demo_usernames(), SUPERUSER]))


def test_the_reader_finds_codes_and_msgids():
    html = (
        "<p>里程碑 milestone_done</p><p title='Progress'>进度</p><button>提交</button>"
        "<p>261113-J29VU CW-ZXL 导出 Excel</p><script>var x = 'light';</script>"
        "<a href='/cases/'>事件</a>"
    )
    words, links = leaks(html)
    assert words == ["milestone_done", "Progress"]
    assert links == ["/cases/"]


@pytest.mark.parametrize("username", _accounts())
def test_every_page_reads_in_chinese(full_demo, db, client, username, caplog):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    visit = crawl(client, "/")
    assert visit.pages >= 10, f"{username} reached only {visit.pages} pages"
    assert visit.errors == {}, visit.error_report()
    report = "\n".join(f"{url}: {words}" for url, words in sorted(visit.problems.items()))
    assert visit.problems == {}, f"{username} reads untranslated text:\n{report}"
    unnamed = [r.getMessage() for r in caplog.records if r.name == "cityloop.core.labels"]
    assert unnamed == [], unnamed  # a code the vocabulary has no word for ("其他操作")


def test_public_pages_read_in_chinese(full_demo, db, client):
    from cityloop.cases.models import Case

    code = Case.objects.filter(is_demo=True).values_list("code", flat=True).first()
    pages = 0
    for start in ("/report/", f"/track/{code}/", "/topics/"):
        visit = crawl(client, start)
        pages += visit.pages
        assert visit.errors == {}, visit.error_report()
        assert visit.problems == {}, visit.problems
    assert pages >= 4
