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
    meetings = Meeting.objects.filter(is_demo=True, unit__code="JYL")
    meeting = meetings.exclude(state=Meeting.State.ISSUED).order_by("-held_at").first()
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
    "inspection_jyl",  # the street's 创卫 inspection of 06小区 (新华街社区 and 城管办 inspected)
)
LOOP_ACCESS = {
    # account:      P_J API P_Z C_Z T_C T_Q L_J L_X PAT RND S_Z B_J B_Z TOP_J TOP_X INS
    "demo-admin": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    "demo-leader": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    "demo-supervisor": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    "demo-dcc": (R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R),
    # a district bureau: none of these reached its unit
    "demo-zjj": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),
    "demo-cgj": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),
    "jyl-street": (R, R, N, N, R, R, R, N, R, R, N, R, N, R, N, R),
    "zxl-street": (N, N, R, R, N, N, N, N, N, N, R, N, R, N, N, N),
    "xw-street": (N, N, N, N, N, N, N, R, N, N, N, N, N, N, R, N),
    # the street's 城管办: its project and task, not the street's other business
    "jyl-cgb": (R, R, N, N, R, N, N, N, N, N, N, N, N, N, N, R),
    # 06小区 is in its community; the patrol is by its own road chief
    "xhj-community": (R, R, N, N, N, N, N, N, R, N, N, N, N, R, N, R),
    "demo-grid": (R, R, N, N, N, N, N, N, N, N, N, N, N, R, N, R),
    "demo-roadchief": (R, R, N, N, N, N, N, N, R, N, N, N, N, R, N, R),
    "cg-compound": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, R, N),  # its compound's topic
    "cg-building": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, R, N),
    "cg-steward": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),  # another compound
    "jyl-steward": (R, R, N, N, N, N, N, N, N, N, N, N, N, R, N, N),  # its compound's works
    "demo-resident": (N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N),
}


def _loop_probes() -> dict[str, str]:
    from cityloop.assessment.models import Score
    from cityloop.bulletins.models import Submission
    from cityloop.campaigns.models import Campaign
    from cityloop.deliberation.models import Topic
    from cityloop.patrols.models import Patrol
    from cityloop.projects.models import Project
    from cityloop.rounds.models import Round
    from cityloop.supervision.models import Inspection, Task, UrgingLetter

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
        "inspection_jyl": f"/supervision/inspections/{_street_inspection(Inspection).pk}/",
    }


def _street_inspection(inspection):
    return inspection.objects.get(code__endswith="-01", unit__code="JYL")


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


# --- who lists and who acts: every demo account × every object kind × list / act -----------

# For each kind one demo object (the first matrices' objects where they have one): is it in the
# account's list of that kind (R listed, N not), and what does one write on it answer (200 /
# 201 done, 403 refused inside scope, 404 not found, 409 refused by the object's state, 422
# refused input)? Each write is rolled back before the next account's.
KINDS = (
    "task",  # PRJ-JYL-06, the 06小区 renovation task (城管办 responsible): a progress report
    "letter",  # the street's urging letter to JYL-SQ003: an answer (the addressee's only)
    "project",  # DEMO-JYL-06: a record of opinions gathered
    "campaign",  # 中心路's DEMO-ZXL-WZG: a session
    "topic",  # 06小区's YS2026-0002: a resident's opinion taken down
    "meeting",  # the latest JYL meeting whose minutes are not issued: its chair signs in
    "roster",  # JYL's duty room: a handover on one of its shifts
    "patrol",  # demo-roadchief's first patrol: points
    "round",  # JYL's weekly demand round: a demand
    "inspection",  # DC-…-01, the street's 创卫 inspection of 06小区 (新华街社区, 城管办): a finding
    "submission",  # a 中心路 community's bulletin item awaiting review: accept
)


# Listed (R) or not (N) in the account's list of that kind: the same accounts as may open it.
# account:          task letter proj camp topic meet roster patrol round insp sub
LIST_ACCESS = {
    "demo-admin": (R, R, R, R, R, R, R, R, R, R, R),
    "demo-leader": (R, R, R, R, R, R, R, R, R, R, R),
    "demo-supervisor": (R, R, R, R, R, R, R, R, R, R, R),
    "demo-dcc": (R, R, R, R, R, R, R, R, R, R, R),
    "demo-zjj": (N, N, N, N, N, N, N, N, N, N, N),
    "demo-cgj": (N, N, N, N, N, N, N, N, N, N, N),
    "jyl-street": (R, R, R, N, R, R, R, R, R, R, N),
    "zxl-street": (N, N, N, R, N, N, N, N, N, N, R),  # its campaign; its community's item
    "xw-street": (N, N, N, N, N, N, N, N, N, N, N),
    "jyl-cgb": (R, N, R, N, N, R, R, N, N, R, N),  # its task, project, meeting, room, inspection
    "xhj-community": (N, N, R, N, R, R, N, R, N, R, N),
    "demo-grid": (N, N, R, N, R, N, N, N, N, R, N),
    "demo-roadchief": (N, N, R, N, R, N, N, R, N, R, N),
    "cg-compound": (N, N, N, N, N, N, N, N, N, N, N),
    "cg-building": (N, N, N, N, N, N, N, N, N, N, N),
    "cg-steward": (N, N, N, N, N, N, N, N, N, N, N),
    "jyl-steward": (N, N, R, N, R, N, N, N, N, N, N),
    "demo-resident": (N, N, N, N, N, N, N, N, N, N, N),
}
# What the write answers. 403 inside scope: the letter is answered by its addressee only (never
# the issuing street, item 14.10; no demo account sits in JYL-SQ003), a project's opinions by
# the units on it and those above, a topic's opinions by its organisers and the compound's
# heads and steward (not auditors, not a road chief), a meeting by its organising unit, a patrol
# by its walker (409: it has ended), a finding by the inspecting unit, a bulletin item by the
# series' editors (the street reads its community's item but does not edit the district's
# series).
#  account:          task letter proj camp topic meet roster patrol round insp sub
ACT_ACCESS = {
    "demo-admin": (201, 403, 201, 201, 201, 200, 201, 409, 201, 201, 200),
    "demo-leader": (201, 403, 201, 201, 201, 200, 201, 403, 201, 201, 200),
    "demo-supervisor": (201, 403, 201, 201, 403, 200, 201, 403, 201, 201, 200),
    "demo-dcc": (201, 403, 201, 201, 403, 200, 201, 403, 201, 201, 200),
    "demo-zjj": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "demo-cgj": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "jyl-street": (201, 403, 201, 404, 201, 200, 201, 403, 201, 201, 404),
    "zxl-street": (404, 404, 404, 201, 404, 404, 404, 404, 404, 404, 403),
    "xw-street": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "jyl-cgb": (201, 404, 201, 404, 404, 403, 201, 404, 404, 403, 404),
    "xhj-community": (404, 404, 403, 404, 201, 403, 404, 403, 404, 403, 404),
    "demo-grid": (404, 404, 403, 404, 201, 404, 404, 404, 404, 403, 404),
    "demo-roadchief": (404, 404, 403, 404, 403, 404, 404, 409, 404, 403, 404),
    "cg-compound": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "cg-building": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "cg-steward": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "jyl-steward": (404, 404, 403, 404, 201, 404, 404, 404, 404, 404, 404),
    "demo-resident": (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
}


def _kind_probes() -> dict[str, tuple]:
    """kind -> (list URL, how to find the object in the answer, write URL, write body)."""
    from cityloop.bulletins.models import Submission
    from cityloop.campaigns.models import Campaign
    from cityloop.core import clock
    from cityloop.deliberation.models import Topic
    from cityloop.duty.models import Shift
    from cityloop.meetings.models import Meeting
    from cityloop.org.models import Unit
    from cityloop.patrols.models import Patrol
    from cityloop.projects.models import Project
    from cityloop.rounds.models import Round
    from cityloop.supervision.models import Inspection, Task, UrgingLetter

    today = clock.today().isoformat()
    task = Task.objects.get(code="PRJ-JYL-06")
    letter = UrgingLetter.objects.filter(addressee__code="JYL-SQ003").order_by("pk").first()
    project = Project.objects.get(code="DEMO-JYL-06")
    campaign = Campaign.objects.get(code="DEMO-ZXL-WZG")
    topic = Topic.objects.get(code="YS2026-0002")
    meetings = Meeting.objects.filter(is_demo=True, unit__code="JYL")
    meeting = meetings.exclude(state=Meeting.State.ISSUED).order_by("-held_at").first()
    shift = Shift.objects.filter(unit__code__startswith="JYL").order_by("pk").first()
    patrol = Patrol.objects.filter(user__username="demo-roadchief").order_by("pk").first()
    round_ = Round.objects.get(unit__code="JYL")
    inspection = _street_inspection(Inspection)
    sub = Submission.objects.filter(unit__code__startswith="ZXL-SQ", state="submitted")
    sub = sub.order_by("pk").first()
    office = Unit.objects.get(code="JYL-CGB")
    place = campaign.places.order_by("pk").first()

    def code_in(code):
        return lambda rows: any(r.get("code") == code for r in rows)

    def id_in(pk):
        return lambda rows: any(r.get("id") == pk for r in rows)

    return {
        "task": (
            f"/api/v1/tasks?q={task.code}&year=0",
            code_in(task.code),
            f"/api/v1/tasks/{task.pk}/progress",
            {"text": "本周完成外墙保温", "percent": 60},
        ),
        "letter": (
            "/api/v1/urging-letters",
            id_in(letter.pk),
            f"/api/v1/urging-letters/{letter.pk}/answer",
            {"text": "已整改"},
        ),
        "project": (
            f"/api/v1/projects?q={project.code}",
            code_in(project.code),
            f"/api/v1/projects/{project.pk}/opinions",
            {"method": "visit", "on": today, "people_reached": 3},
        ),
        "campaign": (
            "/api/v1/campaigns?limit=1000",
            code_in(campaign.code),
            f"/api/v1/campaigns/{campaign.pk}/sessions",
            {"on": today, "place_id": place.pk},
        ),
        "topic": (
            "/api/v1/topics?limit=200",
            code_in(topic.code),
            f"/api/v1/topics/{topic.pk}/opinions",
            {"channel": "home_visit", "text": "同意加装"},
        ),
        "meeting": (
            "/api/v1/meetings?limit=200",
            code_in(meeting.code),
            f"/api/v1/meetings/{meeting.code}/sign-ins",
            {"person": meeting.chair.code if meeting.chair_id else ""},
        ),
        "roster": (
            "/api/v1/duty/rosters",
            lambda rows: any(r["unit"]["code"] == shift.unit.code for r in rows),
            f"/api/v1/duty/shifts/{shift.pk}/handover",
            {"summary": "夜间无事"},
        ),
        "patrol": (
            "/api/v1/patrols?limit=1000",
            id_in(patrol.pk),
            f"/api/v1/patrols/{patrol.pk}/points",
            {"points": []},
        ),
        "round": (
            "/api/v1/rounds",
            code_in(round_.code),
            f"/api/v1/rounds/{round_.code}/demands",
            {"text": "楼道灯不亮"},
        ),
        "inspection": (
            "/api/v1/inspections?limit=500",
            id_in(inspection.pk),
            f"/api/v1/inspections/{inspection.pk}/findings",
            {
                "kind": "楼道堆物",
                "description": "3号楼楼道堆物",
                "unit_id": office.pk,
                "mode": "immediate",
            },
        ),
        "submission": (
            "/bulletins/",  # the editors' review queue, or one's own unit's items
            lambda page: (
                f'data-submission="{sub.pk}"' in page or f"/bulletins/submissions/{sub.pk}/" in page
            ),
            f"/api/v1/bulletins/submissions/{sub.pk}/actions/accept",
            {},
        ),
    }


def test_who_lists_and_acts_on_every_kind(full_demo, db, client):
    """The third pinned matrix: every demo account × every object kind × list and act. The
    list agrees with the page (an object one may not open is not listed), and a write is
    refused (404 outside scope, 403 inside it) unless the role's work is to do it."""
    import json

    from django.contrib.auth import get_user_model
    from django.db import transaction

    assert set(LIST_ACCESS) == set(ACT_ACCESS) == set(ACCESS)
    tables = (*LIST_ACCESS.values(), *ACT_ACCESS.values())
    assert all(len(cells) == len(KINDS) for cells in tables)
    probes = _kind_probes()
    listed: dict[str, tuple] = {}
    acted: dict[str, tuple] = {}
    for username in ACCESS:
        client.force_login(get_user_model().objects.get(username=username))
        row_l, row_a = [], []
        for kind in KINDS:
            list_url, find, write_url, body = probes[kind]
            r = client.get(list_url)
            assert r.status_code == 200, (username, list_url, r.status_code)
            if not list_url.startswith("/api/"):
                row_l.append(R if find(r.content.decode()) else N)
            else:
                data = r.json()
                rows = data["items"] if isinstance(data, dict) else data
                row_l.append(R if find(rows) else N)
            with transaction.atomic():
                w = client.post(write_url, json.dumps(body), content_type="application/json")
                transaction.set_rollback(True)
            assert w.status_code < 500, (username, write_url, w.content[:300])
            row_a.append(w.status_code)
        listed[username] = tuple(row_l)
        acted[username] = tuple(row_a)
    report = []
    for name, seen, want in (("list", listed, LIST_ACCESS), ("act", acted, ACT_ACCESS)):
        for u in want:
            pairs = zip(KINDS, seen[u], want[u], strict=True)
            cells = [f"{k}: got {g}, want {w}" for k, g, w in pairs if g != w]
            if cells:
                report.append(f"{name} {u}: " + "; ".join(cells))
    assert report == [], "\n".join(report)
