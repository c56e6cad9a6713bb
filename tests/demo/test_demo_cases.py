"""The demo cases: six months of the case loop played through the workflow.

Loaded once for the module (frame and cases) inside a transaction rolled back at the end,
like tests/demo/test_demo.py; each test runs in its own savepoint.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from shapely.geometry import Point, shape

from cityloop.cases import deadlines, queries, routing
from cityloop.cases.models import Case, CaseEvent, Category
from cityloop.core import clock
from cityloop.core.models import Notification
from cityloop.demo import cases as demo_cases
from cityloop.demo.builder import delete_demo, load_demo
from cityloop.org.models import Place, Unit
from tests.demo.conftest import demo_load_once

JYL = "/410106/410106001/"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_load_once(django_db_blocker, supervision=False) as result:
        yield result


@pytest.fixture
def loaded(demo, db):
    return demo


@pytest.fixture
def at_as_of():
    with clock.frozen(demo_cases.as_of()) as now:
        yield now


def user(username: str):
    return get_user_model().objects.get(username=username)


def demo_cases_qs():
    return Case.objects.filter(is_demo=True)


def test_load_plays_cases_in_a_bounded_number_of_statements(loaded):
    cases = loaded["cases"]
    assert cases["outcome"] == "loaded"
    # The demo road chief's walk reports one more, through the same intake.
    assert cases["cases"] == demo_cases_qs().filter(patrol_link__isnull=True).count() > 500
    assert demo_cases_qs().filter(patrol_link__isnull=False).count() == 1
    assert cases["steps"]["report"] == cases["cases"]
    # About 40 s of CPU for frame and cases on an idle 2-core machine; the bound catches a
    # regression (a per-case query storm), with room for a busy CI machine.
    # 39,436 statements with the frame when this bound was set (~8 per step of some 4,500;
    # 57,611 before the frame was written in bulk and the sweeps went set-based); it catches
    # a per-case query storm on any machine.
    assert loaded["queries"] < 49_500, loaded["queries"]


def test_over_400_steward_matters_closed_in_jiyuanlu_unmanaged_compounds(loaded, at_as_of):
    """[004] 红管家 in 济源路街道's 无主管楼院: "解决……身边事 400 余件"."""
    end = clock.today()
    rows = queries.case_figures(
        user("jyl-street"), since=end - timedelta(days=200), until=end, group_by="source"
    )
    steward = next(r for r in rows if r.group == Case.Source.STEWARD)
    closed = steward.figures["closed"]
    in_unmanaged = Case.objects.filter(
        pk__in=closed.case_ids, place__management=Place.Management.UNMANAGED
    )
    assert in_unmanaged.count() >= 400
    assert all(path.startswith(JYL) for path in in_unmanaged.values_list("place_path", flat=True))
    # Entered by the compound's own red steward, on behalf of someone in its WeChat group.
    sample = in_unmanaged.select_related("place", "reporter__person")[:50]
    for case in sample:
        assert "居民群 · " in case.on_behalf_of
        duty = case.reporter.person.zone_roles.get(role="red_steward")
        assert duty.place_id == case.place_id
    # Most are settled inside the compound: handled by the steward, not sent up.
    handled_inside = in_unmanaged.filter(handler__zone_roles__role="red_steward").count()
    assert handled_inside > in_unmanaged.count() * 0.7
    assert steward.figures["satisfaction_rate"].value > 0.85


def test_every_channel_and_several_streets_are_present(loaded):
    sources = Counter(demo_cases_qs().values_list("source", flat=True))
    for source in ("steward", "patrol", "resident", "hotline", "supervision"):
        assert sources[source] > 0, source
    streets = {p.split("/")[2] for p in demo_cases_qs().values_list("place_path", flat=True)}
    assert len(streets) >= 5
    hotline = demo_cases_qs().filter(source="hotline")
    ids = list(hotline.values_list("external_id", flat=True))
    assert all(i.startswith("ZZ12345-") for i in ids) and len(set(ids)) == len(ids)
    assert not Case.objects.filter(is_demo=False).exists()


def test_open_cases_with_red_and_yellow_lights_at_the_as_of_moment(loaded, at_as_of):
    lights = queries.light_counts(user("demo-admin"))
    assert lights["red"] > 0 and lights["yellow"] > 0
    now = demo_cases.as_of()
    for case in demo_cases_qs().filter(status__in=Case.OPEN):
        assert case.light == deadlines.light_at(now, warn_at=case.warn_at, due_at=case.due_at)
    # The sweeper has nothing left to change at the as-of moment.
    from cityloop.cases import sweep

    assert sweep.stale_light_ids(now) == []
    assert demo_cases_qs().filter(status="suspended").exists()
    assert demo_cases_qs().filter(status="reported").exists()
    # Warnings were written when the lights changed, in the past.
    assert CaseEvent.objects.filter(verb="light_red", at__lt=now - timedelta(days=30)).exists()


def test_the_mix_of_outcomes(loaded):
    qs = demo_cases_qs()
    statuses = Counter(qs.values_list("status", flat=True))
    assert statuses["closed"] > 0.8 * qs.count()
    for status in ("rejected", "merged", "cancelled"):
        assert statuses[status] > 0, status
    verbs = Counter(CaseEvent.objects.filter(case__is_demo=True).values_list("verb", flat=True))
    for verb in ("escalate", "reopen", "send_back", "extend", "suspend", "resume", "take"):
        assert verbs[verb] > 0, verb
    assert qs.filter(escalations__gt=0, status="closed").exists()
    assert qs.filter(reopen_count__gt=0, status="closed").exists()
    assert qs.filter(rework_count__gt=0, status="closed").exists()
    assert qs.filter(closed_on_time=False).exists()
    assert qs.filter(closed_on_time=True).count() > qs.filter(closed_on_time=False).count() * 5
    escalated_to = Counter(
        CaseEvent.objects.filter(verb="escalate").values_list("data__to_level", flat=True)
    )
    assert escalated_to["street"] > 0 and escalated_to["district"] > 0
    for merged in qs.filter(status="merged").select_related("master"):
        assert merged.master.heat > 1 and merged.master.category_id == merged.category_id


def test_return_visits(loaded):
    visited = demo_cases_qs().exclude(satisfaction="")
    assert visited.count() > 300
    mix = Counter(visited.values_list("satisfaction", flat=True))
    assert mix["satisfied"] > mix["basically_satisfied"] > mix["dissatisfied"] > 0
    assert not visited.exclude(status="closed").exists()
    assert CaseEvent.objects.filter(verb="return_visit", data__channel="wechat").exists()


def test_every_trail_starts_with_report_and_stays_in_the_period(loaded):
    end = demo_cases.as_of()
    start = end - timedelta(days=demo_cases.PERIOD_DAYS + 1)
    first: dict[int, str] = {}
    last_at: dict[int, object] = {}
    rows = CaseEvent.objects.filter(case__is_demo=True).order_by("case_id", "at", "pk")
    for case_id, verb, at in rows.values_list("case_id", "verb", "at"):
        first.setdefault(case_id, verb)
        assert start <= at <= end
        assert last_at.get(case_id, at) <= at
        last_at[case_id] = at
    assert set(first) == set(demo_cases_qs().values_list("pk", flat=True))
    assert set(first.values()) == {"report"}
    report_actors = CaseEvent.objects.filter(verb="report", case__is_demo=True)
    assert not report_actors.filter(actor_label="").exists()


def test_points_lie_in_their_compounds_and_patrols_on_their_roads(loaded):
    compounds = {
        p.pk: shape(p.geometry)
        for p in Place.objects.filter(kind="compound", management="unmanaged", path__startswith=JYL)
    }
    stewards = demo_cases_qs().filter(source="steward", place_id__in=compounds)
    assert stewards.count() >= 400
    for case in stewards:
        assert compounds[case.place_id].covers(Point(case.lng, case.lat)), case.code
    patrols = demo_cases_qs().filter(source="patrol")
    assert patrols.exists()
    for case in patrols.select_related("zone"):
        assert case.zone.kind == "road"
        assert shape(case.zone.geometry).distance(Point(case.lng, case.lat)) < 1e-5
        assert case.road_id is not None


def test_demo_accounts_have_work_in_their_queues(loaded, at_as_of):
    steward = user("jyl-steward")
    mine = queries.visible_cases(steward).filter(source="steward", reporter=steward)
    assert mine.filter(status="closed").count() >= 5
    for name in ("jyl-street", "xhj-community", "demo-dcc"):
        assert queries.case_rows(user(name)).exists(), name
    assert Case.objects.filter(responsible_unit__code="JYL-CGB").exists()
    assert Case.objects.filter(responsible_unit__code__in=["QCGJ", "QZJJ"]).exists()
    # Actor accounts (stewards, grid workers …) cannot log in.
    actors = get_user_model().objects.filter(username__startswith=demo_cases.ACTOR_PREFIX)
    assert actors.exists() and not any(u.has_usable_password() for u in actors)


def test_district_cases_have_the_command_centre_as_desk(loaded):
    district = Place.objects.get(code="410106")
    assert routing.office_for(district, "district") == Unit.objects.get(code="QCGZH")
    assert demo_cases_qs().filter(dispatcher_unit__code="QCGZH").exists()


def test_notifications_of_the_past_were_not_sent_out(loaded):
    rows = Notification.objects.filter(data__case__isnull=False)
    assert rows.exists()
    assert not rows.filter(sent_at__isnull=True).exists()
    assert rows.filter(read_at__isnull=True).count() < rows.count() / 5


def test_missing_categories_give_a_clear_error(loaded):
    Category.objects.filter(name="乱堆物堆料").update(name="乱堆物堆料（停用）")
    with pytest.raises(demo_cases.DemoCasesError) as err:
        demo_cases.load_cases()
    assert err.value.code == "demo_categories_missing"
    assert "乱堆物堆料" in str(err.value.message)


def test_second_load_adds_nothing(loaded):
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    assert load_demo(supervision=False)["status"] == "skipped"
    forced = load_demo(force=True, supervision=False)
    assert forced["cases"]["outcome"] == "unchanged"
    assert Case.objects.count() == cases and CaseEvent.objects.count() == events


def test_a_changed_demo_replaces_its_cases(loaded, monkeypatch):
    played = []
    monkeypatch.setattr(demo_cases, "load_cases", lambda **kw: played.append(1) or {"cases": 0})
    old = set(demo_cases_qs().values_list("pk", flat=True))
    district = Place.objects.get(code="410106")
    district.attrs = {**district.attrs, "demo_fingerprint": "stale"}
    district.save()
    result = load_demo(supervision=False)
    assert result["cases"]["outcome"] == "replaced" and played == [1]
    assert old and not demo_cases_qs().filter(pk__in=old).exists()
    # Only the patrols' walk is played again (its case went with the old ones).
    assert result["patrols"]["outcome"] == "loaded"
    assert demo_cases_qs().count() == 1 and demo_cases_qs().get().patrol_link


def test_delete_demo_removes_cases_before_places(loaded):
    delete_demo()
    assert not Case.objects.exists()
    assert not Place.objects.filter(is_demo=True).exists()
    assert (
        not get_user_model().objects.filter(username__startswith=demo_cases.ACTOR_PREFIX).exists()
    )


def test_reset_reloads_the_same_cases(loaded):
    before = demo_cases.summarize()
    result = load_demo(reset=True, supervision=False)
    assert result["status"] == "reset"
    assert result["cases"]["outcome"] == "loaded"
    after = demo_cases.summarize()
    assert after == before  # deterministic: same counts by status, source and light


def test_account_tables_in_the_docs_match_the_demo_accounts():
    import re
    from pathlib import Path

    from cityloop.demo.accounts import DEMO_ACCOUNTS

    root = Path(__file__).resolve().parents[2]
    usernames = {row[0] for row in DEMO_ACCOUNTS}
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- demo-accounts -->", 1)[1].split("<!-- /demo-accounts -->", 1)[0]
    assert set(re.findall(r"^\| `([\w-]+)` \|", table, re.M)) <= usernames
    guide = (root / "docs" / "guide" / "demo.md").read_text(encoding="utf-8")
    chinese = guide.split("### 演示账号", 1)[1].split("### 演示案件", 1)[0]
    assert set(re.findall(r"^\| `([\w-]+)` \|", chinese, re.M)) == usernames
