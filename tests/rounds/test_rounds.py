"""Weekly demand rounds [seed 002 以周为单位组织‘民意调研员’深入一线…收集形成六大项提升清单…
梳理为多个细分项目…街道层面难以单独推进的具体需求事项及时向上反馈]: a street's round records
demands, sorts them into its six improvement lists, handles each once (merged, in projects,
solved on the spot, escalated as a lit task), and counts them per list and per week."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from cityloop.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from cityloop.rounds import queries, workflow
from cityloop.rounds.models import Demand, ImprovementList, Round, RoundEvent
from cityloop.supervision import queries as supervision_queries
from cityloop.supervision.models import Task

pytestmark = pytest.mark.django_db
API = "/api/v1/rounds"
MONDAY = date(2026, 11, 23)  # 2026-W48


def _round(crew, week="2026-W48", **kw) -> Round:
    data = {
        "unit": crew.street.code,
        "week": week,
        "researchers": [crew.leader.person.code],
        "places": ["06小区", "济源路"],
    }
    data.update(kw)
    return workflow.open_round(actor=crew.supervisor, data=workflow.RoundInput(**data))


def _demand(crew, rnd, text, list_name=None) -> Demand:
    list_id = None
    if list_name:
        list_id = ImprovementList.objects.get(unit=rnd.unit, name=list_name).pk
    return workflow.record_demand(
        actor=crew.supervisor,
        code=rnd.code,
        data=workflow.DemandInput(text=text, place="06小区", raised_by="张大爷", list_id=list_id),
    )


def test_a_round_handles_each_demand_once_and_counts_it(crew, tree, on_day, make_project):
    on_day(MONDAY)
    project = make_project()
    rnd = _round(crew)
    assert (rnd.week, rnd.week_start) == ("2026-W48", MONDAY)
    assert [x.name for x in queries.lists_of(crew.street.pk)] == [
        "道路建设",
        "热力管网提升",
        "公园升级改造",
        "环境品质提升",
        "小区设施",
        "其他",
    ]
    road = _demand(crew, rnd, "济源路人行道破损", "道路建设")
    same = _demand(crew, rnd, "济源路人行道砖松动")
    lamp = _demand(crew, rnd, "06小区路灯不亮", "小区设施")
    heat = _demand(crew, rnd, "暖气管网老化\n需区里统筹", "热力管网提升")
    merged = workflow.merge(actor=crew.supervisor, code=rnd.code, number=same.number, into=1)
    assert (merged.state, merged.merged_into, merged.list.name) == ("merged", road, "道路建设")
    workflow.link_projects(
        actor=crew.supervisor, code=rnd.code, number=road.number, projects=[project.code]
    )
    workflow.solve(actor=crew.supervisor, code=rnd.code, number=lamp.number, note="当场更换灯泡")
    esc = workflow.escalate(
        actor=crew.supervisor,
        code=rnd.code,
        number=heat.number,
        data=workflow.EscalationInput(
            unit=tree.bureau.code,
            deadline=MONDAY + timedelta(days=30),
            category="community_governance",
        ),
    )
    assert esc.task.title == "暖气管网老化"
    assert (esc.task.responsible_unit, esc.task.supervising_unit) == (tree.bureau, crew.street)
    road.refresh_from_db()
    assert road.state == "in_project" and list(road.projects.all()) == [project]
    verbs = list(RoundEvent.objects.filter(round=rnd).order_by("pk").values_list("verb", flat=True))
    assert verbs == [
        "create",
        "demand",
        "demand",
        "demand",
        "demand",
        "merge",
        "link",
        "solve",
        "escalate",
    ]
    by_list = {f.label: f for f in queries.figures_by_list(crew.supervisor, round_code=rnd.code)}
    assert (
        by_list["道路建设"].demands,
        by_list["道路建设"].in_project,
        by_list["道路建设"].merged,
    ) == (1, 1, 1)
    assert (by_list["小区设施"].demands, by_list["小区设施"].solved) == (1, 1)
    assert by_list["热力管网提升"].escalated == 1
    (week,) = queries.figures_by_week(crew.supervisor)
    assert (
        week.label,
        week.demands,
        week.solved,
        week.in_project,
        week.escalated,
        week.merged,
    ) == ("2026-W48", 3, 1, 1, 1, 1)
    # Handled once: a solved demand is not escalated too.
    with pytest.raises(Conflict):
        workflow.merge(actor=crew.supervisor, code=rnd.code, number=lamp.number, into=1)


def test_escalation_is_a_task_lit_red_when_overdue(crew, tree, on_day):
    on_day(MONDAY)
    rnd = _round(crew)
    d = _demand(crew, rnd, "断头路打通")
    d = workflow.escalate(
        actor=crew.supervisor,
        code=rnd.code,
        number=d.number,
        data=workflow.EscalationInput(
            unit=tree.bureau.code,
            deadline=MONDAY + timedelta(days=7),
            category="community_governance",
        ),
    )
    task = Task.objects.get(pk=d.task_id)
    board = supervision_queries.board(crew.supervisor, as_of=MONDAY)
    assert task.code in {r.task.code for r in board.rows}
    late = MONDAY + timedelta(days=10)
    colour, _reasons = supervision_queries.lights_for([task], late)[task.pk]
    assert colour == "red"


def test_refused_steps_write_nothing(crew, tree, on_day):
    on_day(MONDAY)
    with pytest.raises(InvalidInput):
        _round(crew, week="2026-48")
    with pytest.raises(InvalidInput):
        _round(crew, researchers=["nobody"])
    assert not Round.objects.exists() and not ImprovementList.objects.exists()
    with pytest.raises(Forbidden):
        workflow.open_round(
            actor=crew.outsider, data=workflow.RoundInput(unit=crew.street.code, week="2026-W48")
        )
    rnd = _round(crew)
    with pytest.raises(Conflict):
        _round(crew)
    with pytest.raises(InvalidInput):
        _demand(crew, rnd, "   ")
    d = _demand(crew, rnd, "井盖缺失")
    events = RoundEvent.objects.count()
    with pytest.raises(InvalidInput):
        workflow.escalate(
            actor=crew.supervisor,
            code=rnd.code,
            number=d.number,
            data=workflow.EscalationInput(
                unit=tree.bureau.code,
                deadline=MONDAY - timedelta(days=1),
                category="community_governance",
            ),
        )
    with pytest.raises(InvalidInput) as err:  # the workflow asks for it, not only the page
        workflow.escalate(
            actor=crew.supervisor,
            code=rnd.code,
            number=d.number,
            data=workflow.EscalationInput(
                unit=tree.bureau.code, deadline=None, category="community_governance"
            ),
        )
    assert err.value.code == "deadline_missing"
    with pytest.raises(InvalidInput):
        workflow.merge(actor=crew.supervisor, code=rnd.code, number=d.number, into=d.number)
    with pytest.raises(InvalidInput):
        workflow.link_projects(
            actor=crew.supervisor, code=rnd.code, number=d.number, projects=["NOPE"]
        )
    with pytest.raises(NotFound):
        workflow.solve(actor=crew.outsider, code=rnd.code, number=d.number, note="x")
    d.refresh_from_db()
    assert (d.state, d.task_id, RoundEvent.objects.count()) == ("open", None, events)
    assert not Task.objects.exists()


def test_other_streets_get_404_on_page_and_api(client, crew, on_day):
    on_day(MONDAY)
    rnd = _round(crew)
    _demand(crew, rnd, "井盖缺失")
    client.force_login(crew.outsider)
    assert client.get(f"/rounds/{rnd.code}/").status_code == 404
    assert client.get(f"/rounds/{rnd.code}/demands.xlsx").status_code == 404
    assert client.post(f"/rounds/{rnd.code}/demands/", {"text": "x"}).status_code == 404
    assert client.get(f"{API}/{rnd.code}").status_code == 404
    r = client.post(f"{API}/{rnd.code}/demands/1/solve", {"note": "x"}, "application/json")
    assert r.status_code == 404
    assert client.get(API).json() == []
    assert client.get(f"{API}/figures").json() == {"by_list": [], "by_week": []}
    assert Demand.objects.get().state == "open"


def test_api_round_trip(client, crew, tree, on_day, make_project):
    on_day(MONDAY)
    project = make_project()
    client.force_login(crew.supervisor)
    r = client.post(
        API,
        {
            "unit": crew.street.code,
            "week": "2026-W48",
            "researchers": [crew.leader.person.code],
            "places": ["06小区"],
        },
        "application/json",
    )
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert [f["label"] for f in r.json()["lists"]] == []
    lists = {x.name: x.pk for x in ImprovementList.objects.filter(unit=crew.street)}
    for text, name in [("人行道破损", "道路建设"), ("路灯不亮", "小区设施"), ("管网老化", None)]:
        r = client.post(
            f"{API}/{code}/demands",
            {"text": text, "list_id": lists.get(name), "photos": ["p1"]},
            "application/json",
        )
        assert r.status_code == 201, r.content
    assert (
        client.post(
            f"{API}/{code}/demands/3/sort", {"list_id": lists["热力管网提升"]}, "application/json"
        ).status_code
        == 200
    )
    r = client.post(
        f"{API}/{code}/demands/1/projects", {"projects": [project.code]}, "application/json"
    )
    assert r.json()["demands"][0]["projects"] == [{"code": project.code, "name": project.name}]
    r = client.post(f"{API}/{code}/demands/2/solve", {"note": "当场修复"}, "application/json")
    assert r.json()["demands"][1]["state"] == "solved"
    bad = client.post(
        f"{API}/{code}/demands/3/escalate",
        {"unit": "NOPE", "deadline": "2026-12-31", "category": "community_governance"},
        "application/json",
    )
    assert bad.status_code == 422 and not Task.objects.exists()
    bad = client.post(f"{API}/{code}/demands", {"text": ""}, "application/json")
    assert bad.status_code == 422 and Demand.objects.count() == 3
    r = client.post(
        f"{API}/{code}/demands/3/escalate",
        {"unit": tree.bureau.code, "deadline": "2026-12-31", "category": "community_governance"},
        "application/json",
    )
    assert r.status_code == 201 and r.json()["demands"][2]["task"]["unit"]["name"] == "区住建局"
    again = client.post(f"{API}/{code}/demands/2/solve", {"note": "再"}, "application/json")
    assert again.status_code == 409
    figures = client.get(f"{API}/figures").json()
    assert figures["by_week"] == [
        {
            "label": "2026-W48",
            "key": "2026-W48",
            "demands": 3,
            "solved": 1,
            "in_project": 1,
            "escalated": 1,
            "merged": 0,
        }
    ]
    assert {f["label"]: f["demands"] for f in figures["by_list"]} == {
        "道路建设": 1,
        "热力管网提升": 1,
        "小区设施": 1,
    }


def test_pages_open_record_handle_and_export(client, crew, tree, on_day):
    on_day(MONDAY)
    client.force_login(crew.supervisor)
    assert client.get("/rounds/new/").status_code == 200
    r = client.post(
        "/rounds/new/", {"unit": crew.street.code, "week": "2026-W48", "places": "06小区\n济源路"}
    )
    rnd = Round.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/rounds/{rnd.code}/"
    assert rnd.place_list == ["06小区", "济源路"]
    lists = {x.name: x.pk for x in ImprovementList.objects.filter(unit=crew.street)}
    r = client.post(
        f"/rounds/{rnd.code}/demands/",
        {"text": "公园健身器材损坏", "place": "济源路游园", "list_id": lists["公园升级改造"]},
    )
    assert r.status_code == 302
    r = client.post(
        f"/rounds/{rnd.code}/handle/", {"number": 1, "action": "solve", "note": "当场报修"}
    )
    assert r.status_code == 302 and Demand.objects.get().state == "solved"
    # Escalating without a deadline is refused and writes nothing.
    client.post(f"/rounds/{rnd.code}/demands/", {"text": "热力管网改造"})
    client.post(
        f"/rounds/{rnd.code}/handle/", {"number": 2, "action": "escalate", "unit": tree.bureau.code}
    )
    assert Demand.objects.get(number=2).state == "open" and not Task.objects.exists()
    html = client.get(f"/rounds/{rnd.code}/").content.decode()
    assert 'data-demand="1" data-state="solved"' in html
    assert (
        '<tr data-row="公园升级改造"><th scope="row">公园升级改造</th><td>1</td><td>1</td>' in html
    )
    listing = client.get("/rounds/").content.decode()
    assert f'data-round="{rnd.code}"' in listing and 'data-row="2026-W48"' in listing
    x = client.get(f"/rounds/{rnd.code}/demands.xlsx")
    assert x.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(x.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:6] == (1, "公园健身器材损坏", "济源路游园", None, "公园升级改造", "就地解决")
    assert len(rows) == 3
