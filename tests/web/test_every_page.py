"""Every page, as every demo role and as an anonymous resident, reads in Chinese.

The whole demo is loaded once for the session (frame, cases, supervision, projects and
campaigns, deliberation, assessment and bulletins — what ``cityloop demo`` loads; the
``shared_demo`` fixture); each
account then follows the links its pages offer (at most two URLs per route, so the walk
covers every kind of page without reading all 700 cases) and fails on any untranslated msgid
or raw code a user would read (see ``crawl.leaks``).
"""

from __future__ import annotations

import pytest

from tests.web.crawl import crawl, leaks


@pytest.fixture
def full_demo(shared_demo):
    return shared_demo


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


# --- who sees what: every demo account × one object of each kind ----------------------------

# 200: reads it; 404: does not exist for that account (scope and need-to-know); "choices": the
# closed vote's ballots with each household's choice (organisers and auditors only).
R, N, C = 200, 404, "choices"
PROBES = ("case_jyl", "case_zxl", "api_case_zxl", "register", "ballots", "meeting", "roster")
# The 06小区 case again, listed (R) or not (N) in the API list, and commented on (200 / 404):
# the list, the page and an action agree.
LIST_ACT = ("list_06", "comment_06")
ACCESS = {
    # account:     06小区 case, ZXL case, API ZXL, 06小区 register, ballots, JYL meeting, roster
    "demo-admin": (R, R, R, R, C, R, R),
    "demo-leader": (R, R, R, R, C, R, R),
    "demo-supervisor": (R, R, R, N, C, R, R),  # auditor: choices yes, owners' register no
    "demo-dcc": (R, R, R, N, C, R, R),
    "demo-zjj": (N, N, N, N, N, N, N),  # a district bureau: only what reaches its unit
    "demo-cgj": (N, N, N, N, N, N, N),
    "jyl-street": (R, N, N, R, C, R, R),
    "zxl-street": (N, R, R, N, N, N, N),
    "xw-street": (N, N, N, N, N, N, N),
    # the street's 城管办: only the cases that reached it (this one did not); attends the
    # meeting; its own duty room
    "jyl-cgb": (N, N, N, N, N, R, R),
    "xhj-community": (R, N, N, R, C, R, N),  # runs 06小区's deliberation
    "demo-grid": (R, N, N, N, N, N, N),
    "demo-roadchief": (R, N, N, N, N, N, N),
    "cg-compound": (N, N, N, N, N, N, N),
    "cg-building": (N, N, N, N, N, N, N),
    "cg-steward": (N, N, N, N, N, N, N),
    "jyl-steward": (R, N, N, N, N, N, N),  # 06小区's red steward: its cases, not its register
    "demo-resident": (N, N, N, N, N, N, N),
}


def _probes() -> dict[str, str]:
    from cityloop.cases.models import Case
    from cityloop.deliberation.models import Topic
    from cityloop.duty.models import Shift
    from cityloop.meetings.models import Meeting

    demo = Case.objects.filter(is_demo=True).order_by("pk")
    jyl = demo.filter(place__code="410106001001001").first()  # 06小区, 新华街社区
    zxl = demo.filter(place__path__startswith="/410106/410106002/").first()
    topic = Topic.objects.get(code="YS2020-0001")  # 06小区, closed
    meeting = Meeting.objects.filter(is_demo=True).order_by("held_at").first()
    room = Shift.objects.filter(unit__code__startswith="JYL").values_list("unit__code", flat=True)
    return {
        "case_jyl": f"/cases/{jyl.pk}/",
        "case_zxl": f"/cases/{zxl.pk}/",
        "api_case_zxl": f"/api/v1/cases/{zxl.pk}",
        "register": f"/deliberation/households/{topic.place_id}/",
        "ballots": f"/api/v1/topics/{topic.pk}/ballots",
        "meeting": f"/meetings/{meeting.code}/",
        "roster": f"/duty/{room.first()}/",
        "place_06": jyl.place_id,
        "code_06": jyl.code,
    }


def test_who_sees_what(full_demo, db, client):
    """The access matrix, written by hand from the roles' work and pinned: scope hides other
    streets (404, never 403), a district bureau reads only what reaches its unit, the owners'
    register is for those running the compound's deliberation, choices for organisers and
    auditors."""
    from django.contrib.auth import get_user_model

    from cityloop.demo.accounts import demo_usernames

    assert set(ACCESS) == set(_accounts()) == {*demo_usernames(), "demo-admin"}
    urls = _probes()
    seen: dict[str, tuple] = {}  # PROBES then LIST_ACT
    for username in ACCESS:
        client.force_login(get_user_model().objects.get(username=username))
        row = []
        for probe in PROBES:
            r = client.get(urls[probe])
            if probe == "ballots" and r.status_code == 200:
                rows = r.json()
                assert rows, urls[probe]
                row.append(C if all("choice" in b for b in rows) else R)
            else:
                row.append(r.status_code)
        case_url = urls["case_jyl"].replace("/cases/", "/api/v1/cases/").rstrip("/")
        listed = client.get("/api/v1/cases", {"place_id": urls["place_06"], "limit": 500})
        assert listed.status_code == 200
        codes = {c["code"] for c in listed.json()["items"]}
        row.append(R if urls["code_06"] in codes else N)
        row.append(
            client.post(
                f"{case_url}/actions/comment", {"note": "请核实"}, content_type="application/json"
            ).status_code
        )
        seen[username] = tuple(row)
    # Listing and commenting follow reading the 06小区 case (the first column).
    want = {u: (*cells, cells[0], cells[0]) for u, cells in ACCESS.items()}
    wrong = {u: (seen[u], want[u]) for u in ACCESS if seen[u] != want[u]}
    assert wrong == {}, "\n".join(f"{u}: got {g}, want {w}" for u, (g, w) in wrong.items())


# --- who sees what in the other loops: every demo account × one object of each other kind --

# One column per object kind of the other loops, inside 济源路街道 (JYL) and, where useful, in
# another street. Written by hand from each role's work: a street desk reads what happens in
# its street, its internal office (城管办) what reaches its unit, a community what is in its
# community and what its own staff do, a district bureau only what reaches it, a compound's
# heads and steward their compound's business; the district readers read it all.
LOOPS = (
    "project_jyl",  # 06小区 renovation, 城管办 responsible, street supervising
    "api_project_jyl",
    "project_zxl",  # 中心路's “三注重” renovation
    "campaign_zxl",  # 中心路's clean-up of unmanaged compounds
    "task_cgb",  # the 06小区 renovation task, 城管办 responsible
    "task_qyb",  # a key task of another of the street's offices (企业办)
    "letter_jyl",  # the street's urging letter to another community (JYL-SQ003)
    "letter_xw",  # 督查局's urging letter to 峡窝镇
    "patrol_jyl",  # 新华街社区's road chief's patrol on a street road
    "round_jyl",  # the street's weekly demand round
    "score_zxl",  # a 中心路 community's 创卫 score
    "submission_jyl",  # the street's bulletin item
    "submission_zxl",  # a 中心路 community's bulletin item, awaiting review
    "topic_jyl",  # a 06小区 deliberation topic
    "topic_xw",  # a 晨光社区 compound's topic (峡窝镇)
)
LOOP_ACCESS = {
    # account:      P_J API P_Z C_Z T_C T_Q L_J L_X PAT RND S_Z B_J B_Z TOP_J TOP_X
    "demo-admin": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    "demo-leader": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    "demo-supervisor": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    "demo-dcc": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    # a district bureau: none of these reached its unit
    "demo-zjj": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),
    "demo-cgj": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),
    "jyl-street": (R, R, N, N, R, R, R, N, R, R, N, R, N, R, N),
    "zxl-street": (N, N, R, R, N, N, N, N, N, N, R, N, R, N, N),
    "xw-street": (N, N, N, N, N, N, N, R, N, N, N, N, N, N, R),
    # the street's 城管办: its project and task, not the street's other business
    "jyl-cgb": (R, R, N, N, R, N, N, N, N, N, N, N, N, N, N),
    # 06小区 is in its community; the patrol is by its own road chief
    "xhj-community": (R, R, N, N, N, N, N, N, R, N, N, N, N, R, N),
    "demo-grid": (R, R, N, N, N, N, N, N, N, N, N, N, N, R, N),
    "demo-roadchief": (R, R, N, N, N, N, N, N, R, N, N, N, N, R, N),
    "cg-compound": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, R),  # its compound's topic
    "cg-building": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, R),
    "cg-steward": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),  # another compound
    "jyl-steward": (R, R, N, N, N, N, N, N, N, N, N, N, N, R, N),  # its compound's works
    "demo-resident": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),
}


def _loop_probes() -> dict[str, str]:
    from cityloop.assessment.models import Score
    from cityloop.bulletins.models import Submission
    from cityloop.campaigns.models import Campaign
    from cityloop.deliberation.models import Topic
    from cityloop.patrols.models import Patrol
    from cityloop.projects.models import Project
    from cityloop.rounds.models import Round
    from cityloop.supervision.models import Task, UrgingLetter

    def project(code):
        return Project.objects.get(code=code).pk

    def task(code):
        return Task.objects.get(code=code).pk

    def letter(to):
        return UrgingLetter.objects.filter(addressee__code=to).order_by("pk").first().pk

    def submission(unit, state):
        subs = Submission.objects.filter(unit__code__startswith=unit, state=state)
        return subs.order_by("pk").first().pk

    patrol = Patrol.objects.filter(user__username="demo-roadchief").order_by("pk").first()
    score = Score.objects.filter(period__scheme__code="CW-ZXL").order_by("pk").first()
    return {
        "project_jyl": f"/projects/{project('DEMO-JYL-06')}/",
        "api_project_jyl": f"/api/v1/projects/{project('DEMO-JYL-06')}",
        "project_zxl": f"/projects/{project('DEMO-ZXL-SZZ')}/",
        "campaign_zxl": f"/campaigns/{Campaign.objects.get(code='DEMO-ZXL-WZG').pk}/",
        "task_cgb": f"/supervision/tasks/{task('PRJ-JYL-06')}/",
        "task_qyb": f"/supervision/tasks/{task('JYL-2020-01')}/",
        "letter_jyl": f"/supervision/letters/{letter('JYL-SQ003')}/",
        "letter_xw": f"/supervision/letters/{letter('XW')}/",
        "patrol_jyl": f"/patrols/{patrol.pk}/",
        "round_jyl": f"/rounds/{Round.objects.get(unit__code='JYL').code}/",
        "score_zxl": f"/assessment/scores/{score.pk}/",
        "submission_jyl": f"/bulletins/submissions/{submission('JYL', 'used')}/",
        "submission_zxl": f"/bulletins/submissions/{submission('ZXL-SQ', 'submitted')}/",
        "topic_jyl": f"/deliberation/topics/{Topic.objects.get(code='YS2026-0002').pk}/",
        "topic_xw": f"/deliberation/topics/{Topic.objects.get(code='YS2026-0001').pk}/",
    }


def test_who_sees_what_in_the_other_loops(full_demo, db, client):
    """The second pinned matrix: projects (page and API), campaigns, supervision tasks and
    urging letters, patrols, demand rounds, assessment scores, bulletin items and
    deliberation topics — read (200) or not found (404), as each role's work needs."""
    from django.contrib.auth import get_user_model

    assert set(LOOP_ACCESS) == set(ACCESS)
    assert all(len(cells) == len(LOOPS) for cells in LOOP_ACCESS.values())
    urls = _loop_probes()
    seen: dict[str, tuple] = {}
    for username in LOOP_ACCESS:
        client.force_login(get_user_model().objects.get(username=username))
        seen[username] = tuple(client.get(urls[probe]).status_code for probe in LOOPS)
    wrong = {u: (seen[u], LOOP_ACCESS[u]) for u in LOOP_ACCESS if seen[u] != LOOP_ACCESS[u]}
    report = []
    for u, (got, want) in wrong.items():
        pairs = zip(LOOPS, got, want, strict=True)
        cells = [f"{p}: got {g}, want {w}" for p, g, w in pairs if g != w]
        report.append(f"{u}: " + "; ".join(cells))
    assert wrong == {}, "\n".join(report)
