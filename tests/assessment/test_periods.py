"""A period end to end: computed items through the case figures, entered items with
evidence, minimum volume, movement, supervision deductions, appeals and frozen periods."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from cityloop.assessment import queries, services, workflow
from cityloop.assessment.models import AssessmentEvent, Period
from cityloop.assessment.services import ItemInput
from cityloop.cases.queries import case_figures
from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound

from .conftest import SH

pytestmark = pytest.mark.django_db


def _june(at):
    at(datetime(2020, 7, 2, 9, 0, tzinfo=SH))


def _scores(code="CW", key="2020-06"):
    return {s.target_key: s for s in Period.objects.get(code=code, key=key).scores.all()}


def test_weights_must_add_up_to_100(zxl):
    with pytest.raises(InvalidInput) as e:
        services.scheme_create(
            code="X",
            name="x",
            target_kind="community",
            period_kind="month",
            owner=zxl.office,
            items=[
                ItemInput(
                    "a",
                    "a",
                    60,
                    "computed",
                    "reopen_rate",
                    {"kind": "linear", "zero": 0.2, "full": 0},
                )
            ],
        )
    assert e.value.code == "assessment_weights_not_100" and "60" in str(e.value.message)


def test_unknown_indicator_is_refused(zxl):
    with pytest.raises(InvalidInput) as e:
        services.scheme_create(
            code="X",
            name="x",
            target_kind="community",
            period_kind="month",
            owner=zxl.office,
            items=[
                ItemInput(
                    "a", "a", 100, "computed", "no_such", {"kind": "linear", "zero": 0, "full": 1}
                )
            ],
        )
    assert e.value.code == "assessment_indicator_unknown"


def test_period_scores_explain_and_rank_with_minimum_volume(zxl, scheme, play, at):
    # 三湾街: 4 cases, 3 on time → 75 % on time; 中心路: 2 cases, both on time (100 %),
    # but 2 < the minimum of 3, so it is scored and not ranked above 三湾街.
    for late in (False, False, False, True):
        play(zxl.sw, late=late)
    for _ in range(2):
        play(zxl.zx)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    s = _scores()
    sw, zx = s[zxl.sw.code], s[zxl.zx.code]
    figures = {
        r.group: r.figures
        for r in case_figures(
            zxl.desk, since=date(2020, 6, 1), until=date(2020, 6, 30), group_by="community"
        )
    }
    line = sw.lines.get(item__code="ontime")
    # The item states the case figures' own numbers (one rule, not a copy).
    assert line.value == figures[zxl.sw.code]["on_time_close_rate"].value == 0.75
    assert line.points == Decimal("20.00")  # linear: 0.5 → 0, 1.0 → 40
    assert sorted(r["id"] for r in line.explanation["records"]) == sorted(
        figures[zxl.sw.code]["on_time_close_rate"].case_ids
    )
    assert (sw.rank, sw.ranked) == (1, True)
    assert (zx.rank, zx.ranked) == (None, False)
    assert zx.total > sw.total  # the higher total with 2 cases does not outrank
    assert "3" in zx.unranked_reason
    # The entered item is 0 until entered, and says so.
    assert sw.lines.get(item__code="appearance").source == "missing"
    # Explanations carry links to the records.
    exp = queries.explain(queries.score_get(zxl.desk, sw.pk), zxl.desk)
    ontime = next(x for x in exp if x["item"] == "ontime")
    assert ontime["explanation"]["records"][0]["link"].startswith("/cases/")
    assert ontime["explanation"]["indicator_rule"]  # how the measure is counted, in words
    assert AssessmentEvent.objects.filter(verb="compute").count() == 1


def test_ties_share_a_rank(zxl, scheme, play, at):
    for community in (zxl.sw, zxl.zx):
        for _ in range(3):
            play(community)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    s = _scores()
    assert s[zxl.sw.code].total == s[zxl.zx.code].total
    assert (s[zxl.sw.code].rank, s[zxl.zx.code].rank) == (1, 1)
    assert s[zxl.sw.code].tied and s[zxl.zx.code].tied


def test_entry_needs_evidence_and_rescores(zxl, scheme, play, at):
    for _ in range(3):
        play(zxl.sw)
        play(zxl.zx)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    before = _scores()[zxl.sw.code].total
    with pytest.raises(InvalidInput) as e:
        workflow.enter_points(
            actor=zxl.desk,
            code="CW",
            key="2020-06",
            target_key=zxl.sw.code,
            item_code="appearance",
            points=18,
            evidence="  ",
        )
    assert e.value.code == "assessment_evidence_required"
    with pytest.raises(InvalidInput) as e:
        workflow.enter_points(
            actor=zxl.desk,
            code="CW",
            key="2020-06",
            target_key=zxl.sw.code,
            item_code="appearance",
            points=25,
            evidence="实地检查",
        )
    assert e.value.code == "assessment_points_invalid"
    with pytest.raises(InvalidInput) as e:
        workflow.enter_points(
            actor=zxl.desk,
            code="CW",
            key="2020-06",
            target_key=zxl.sw.code,
            item_code="ontime",
            points=25,
            evidence="手填",
        )
    assert e.value.code == "assessment_item_computed"
    assert _scores()[zxl.sw.code].total == before  # nothing changed
    workflow.enter_points(
        actor=zxl.desk,
        code="CW",
        key="2020-06",
        target_key=zxl.sw.code,
        item_code="appearance",
        points=18,
        evidence="6月28日督查小组实地检查记录",
    )
    s = _scores()
    assert s[zxl.sw.code].total == before + 18
    assert s[zxl.sw.code].rank == 1 and s[zxl.zx.code].rank == 2
    line = s[zxl.sw.code].lines.get(item__code="appearance")
    assert line.source == "entered" and "督查小组" in line.explanation["evidence"]


def test_a_sheet_of_entries_scores_once_as_entries_one_by_one_would(zxl, scheme, play, at):
    for _ in range(3):
        play(zxl.sw)
        play(zxl.zx)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    before = {k: s.total for k, s in _scores().items()}
    sheet = [
        workflow.PointsIn(zxl.sw.code, "appearance", 18, " 6月28日检查记录 "),
        workflow.PointsIn(zxl.zx.code, "appearance", 11, "6月29日检查记录"),
    ]
    calls = []
    real = services.score_period

    def counted(period):
        calls.append(period.key)
        return real(period)

    services.score_period = counted
    try:
        workflow.enter_points_many(actor=zxl.desk, code="CW", key="2020-06", entries=sheet)
    finally:
        services.score_period = real
    assert calls == ["2020-06"]  # scored once for the whole sheet
    s = _scores()
    assert s[zxl.sw.code].total == before[zxl.sw.code] + 18
    assert s[zxl.zx.code].total == before[zxl.zx.code] + 11
    events = AssessmentEvent.objects.filter(verb="enter").order_by("pk")
    assert [(e.note, e.data["target"], e.data["points"]) for e in events] == [
        ("6月28日检查记录", zxl.sw.code, "18"),
        ("6月29日检查记录", zxl.zx.code, "11"),
    ]
    # One refused entry refuses the sheet: nothing of it is stored.
    with pytest.raises(InvalidInput) as e:
        workflow.enter_points_many(
            actor=zxl.desk,
            code="CW",
            key="2020-06",
            entries=[
                workflow.PointsIn(zxl.sw.code, "appearance", 5, "复查"),
                workflow.PointsIn(zxl.zx.code, "appearance", 5, " "),
            ],
        )
    assert e.value.code == "assessment_evidence_required"
    assert AssessmentEvent.objects.filter(verb="enter").count() == 2
    assert _scores()[zxl.sw.code].total == before[zxl.sw.code] + 18


def test_only_assessors_run_and_outsiders_do_not_see(zxl, scheme, at):
    _june(at)
    with pytest.raises(NotFound):
        workflow.run_period(actor=zxl.outsider, code="CW", key="2020-06")
    with pytest.raises(Forbidden) as e:
        workflow.run_period(actor=zxl.sw_worker, code="CW", key="2020-06")
    assert e.value.code == "assessment_not_assessor"
    with pytest.raises(InvalidInput) as e:
        workflow.run_period(actor=zxl.desk, code="CW", key="2020-6x")
    assert e.value.code == "assessment_period_invalid"
    assert not Period.objects.exists()


def test_appeal_upheld_rescores_and_is_logged(zxl, scheme, play, at):
    for _ in range(3):
        play(zxl.sw)
        play(zxl.zx)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    workflow.enter_points(
        actor=zxl.desk,
        code="CW",
        key="2020-06",
        target_key=zxl.zx.code,
        item_code="appearance",
        points=15,
        evidence="检查记录",
    )
    workflow.enter_points(
        actor=zxl.desk,
        code="CW",
        key="2020-06",
        target_key=zxl.sw.code,
        item_code="appearance",
        points=10,
        evidence="检查记录：三处暴露垃圾",
    )
    assert _scores()[zxl.sw.code].rank == 2
    with pytest.raises(Forbidden):  # another community's worker may not appeal for it
        workflow.lodge_appeal(
            actor=zxl.sw_worker,
            code="CW",
            key="2020-06",
            target_key=zxl.zx.code,
            item_code="appearance",
            reason="不认可扣分",
        )
    appeal = workflow.lodge_appeal(
        actor=zxl.sw_worker,
        code="CW",
        key="2020-06",
        target_key=zxl.sw.code,
        item_code="appearance",
        reason="三处垃圾属于市政道路，不在社区责任范围",
    )
    with pytest.raises(InvalidInput) as e:
        workflow.decide_appeal(actor=zxl.desk, appeal_id=appeal.pk, uphold=True, decision="属实")
    assert e.value.code == "assessment_points_invalid"
    workflow.decide_appeal(
        actor=zxl.desk,
        appeal_id=appeal.pk,
        uphold=True,
        decision="经核实属市政道路范围，改为19分",
        points=19,
    )
    s = _scores()
    line = s[zxl.sw.code].lines.get(item__code="appearance")
    assert (line.points, line.source) == (Decimal("19.00"), "appeal")
    assert line.explanation["appeal"]["points_before"] == "10.00"
    assert s[zxl.sw.code].rank == 1 and s[zxl.zx.code].rank == 2  # re-ranked
    verbs = list(AssessmentEvent.objects.filter(appeal=appeal).values_list("verb", flat=True))
    assert verbs == ["appeal", "uphold"]
    with pytest.raises(InvalidTransition):
        workflow.decide_appeal(actor=zxl.desk, appeal_id=appeal.pk, uphold=False, decision="x")


def test_closed_period_is_frozen(zxl, scheme, play, at):
    for _ in range(3):
        play(zxl.sw)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    workflow.close_period(actor=zxl.desk, code="CW", key="2020-06")
    total = _scores()[zxl.sw.code].total
    play(zxl.sw, late=True, day=date(2020, 6, 10))  # a late case arrives after closing
    for call in (
        lambda: workflow.run_period(actor=zxl.desk, code="CW", key="2020-06"),
        lambda: workflow.enter_points(
            actor=zxl.desk,
            code="CW",
            key="2020-06",
            target_key=zxl.sw.code,
            item_code="appearance",
            points=1,
            evidence="x",
        ),
        lambda: workflow.lodge_appeal(
            actor=zxl.sw_worker,
            code="CW",
            key="2020-06",
            target_key=zxl.sw.code,
            item_code="ontime",
            reason="不认可这一项",
        ),
    ):
        with pytest.raises(InvalidTransition) as e:
            call()
        assert e.value.code == "assessment_period_closed"
    assert _scores()[zxl.sw.code].total == total


def test_revised_scheme_keeps_old_periods_on_their_version(zxl, scheme, play, at):
    for _ in range(3):
        play(zxl.sw)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    items = services.items_of(scheme)
    items[0].weight, items[1].weight = 50, 10
    v2 = workflow.revise_scheme(actor=zxl.desk, code="CW", items=items, note="提高按期结案权重")
    workflow.activate_scheme(actor=zxl.desk, code="CW", version=v2.version)
    scheme.refresh_from_db()
    assert (scheme.state, v2.version) == ("retired", 2)
    assert Period.objects.get(key="2020-06").scheme_id == scheme.pk
    at(datetime(2020, 8, 3, 9, 0, tzinfo=SH))
    p = workflow.run_period(actor=zxl.desk, code="CW", key="2020-07")
    assert p.scheme_id == v2.pk


def test_movement_and_supervision_deductions(zxl, scheme, play, at):
    from cityloop.supervision import services as sup_services
    from cityloop.supervision import workflow as sup
    from cityloop.supervision.models import Escalation, LightPolicy

    LightPolicy.objects.get_or_create(active=True, defaults={"name": "默认规则"})
    for community, n in ((zxl.sw, 3), (zxl.zx, 4)):
        for _ in range(n):
            play(community, day=date(2020, 5, 6))
    at(datetime(2020, 6, 2, 9, 0, tzinfo=SH))
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-05")
    may = _scores(key="2020-05")
    # June: 三湾街 is found three times with the same unrectified problem → a confirmed
    # deduction arrives in its score without anyone typing it.
    for community, n in ((zxl.sw, 3), (zxl.zx, 3)):
        for _ in range(n):
            play(community, day=date(2020, 6, 3))
    for day in (10, 11, 12):
        at(datetime(2020, 6, day, 9, 0, tzinfo=SH))
        insp = sup_services.create_inspection(
            actor=zxl.desk,
            code=f"CW-{day}",
            kind="routine",
            on=date(2020, 6, day),
            subject="创卫日常检查",
            team="街道创卫督查组",
            unit=zxl.office,
            places=[zxl.sw],
        )
        sup.record_finding(
            actor=zxl.desk,
            inspection_id=insp.pk,
            kind="暴露垃圾",
            description="三湾街路口暴露垃圾",
            unit=zxl.sw_unit,
            mode="immediate",
            place=zxl.sw,
        )
    deduction = Escalation.objects.get(kind="deduction")
    sup.decide_escalation(actor=zxl.desk, escalation_id=deduction.pk, confirm=True, note="扣分")
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    june = _scores()
    sw = june[zxl.sw.code]
    assert sw.deducted == deduction.points
    assert sw.deductions.get().source_id == deduction.pk
    assert sw.lines.get(item__code="findings").points == Decimal("14.00")  # 3 × 2 off 20
    assert sw.previous_rank == may[zxl.sw.code].rank
    assert sw.movement == may[zxl.sw.code].rank - sw.rank


def test_the_ranking_exports_as_the_page_ranks(zxl, scheme, play, at, client):
    from tests.xlsx import xlsx_rows

    for late in (False, False, False, True):
        play(zxl.sw, late=late)
    for _ in range(2):
        play(zxl.zx)
    _june(at)
    workflow.run_period(actor=zxl.desk, code="CW", key="2020-06")
    s = _scores()
    client.force_login(zxl.desk)
    page = client.get("/assessment/CW/2020-06/").content.decode()
    assert "导出 Excel" in page
    rows = xlsx_rows(client.get("/assessment/CW/2020-06/", {"format": "xlsx"}))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["名次", "名称"] and header[-3:] == ["扣分", "得分", "未参与排名原因"]
    # ranked first, then the unranked with the reason the page gives
    assert [(r[0], r[1]) for r in body] == [(1, s[zxl.sw.code].label), (None, s[zxl.zx.code].label)]
    ontime = next(
        i for i, h in enumerate(header) if h.startswith(scheme.items.get(code="ontime").name)
    )
    assert body[0][ontime] == 20
    assert body[0][-2] == float(s[zxl.sw.code].total)
    assert body[1][-1] == s[zxl.zx.code].unranked_reason


def test_the_notice_form_offers_the_schemes_and_says_what_is_wrong(zxl, scheme, client):
    client.force_login(zxl.desk)
    page = client.get("/bulletins/").content.decode()
    assert '<option value="CW">创卫复审百分考核（月）</option>' in page
    assert "half_month" not in page.replace('value="half_month"', "")
    # the scheme is monthly: the half-month notice names the notice that fits
    r = client.get(
        "/bulletins/notice/", {"kind": "half_month", "period": "2020-06-H1", "scheme": "CW"}
    )
    assert r.status_code == 302 and r["Location"] == "/bulletins/"
    said = [str(m) for m in get_messages(r.wsgi_request)]
    assert said == ["创卫复审百分考核按月考核：请选择“月度排名通报”。"]
    # a period never computed: said on the form, not a bare 404 page
    r = client.get("/bulletins/notice/", {"kind": "monthly", "period": "2020-05"})
    assert r.status_code == 302
    said = [str(m) for m in get_messages(r.wsgi_request)]
    assert said[-1].startswith("请先") and "2020-05" in said[-1]
