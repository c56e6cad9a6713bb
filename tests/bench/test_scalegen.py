"""The scale benchmark's generator (bench/scalegen.py) at ~2 k cases: clones of a few template
cases with every derived column right, ~3 % open, resumable. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cityloop.core import clock

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
BENCH = Path(__file__).resolve().parents[2] / "bench"
TEXTS = [
    "06小区3号楼门口乱堆物堆料，堵住消防通道",
    "小区门口垃圾桶满了没人清运",
    "路灯不亮好几天了",
    "楼道里堆放杂物",
    "井盖缺失有安全隐患",
    "绿化带里有建筑垃圾",
]


def _scalegen():
    spec = importlib.util.spec_from_file_location("scalegen", BENCH / "scalegen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def templates(tree, make_account):
    """Six reported cases in compound A; four of them then closed (set-up, not the workflow)."""
    from cityloop.cases import workflow
    from cityloop.cases.models import Case, Category

    main = Category.objects.create(code="T-G01", name="市容环境(测试)", kind="event")
    cat = Category.objects.create(
        code="T-G0101",
        name="乱堆物堆料(测试)",
        parent=main,
        kind="event",
        level="community",
        time_limits={
            "accept": {"amount": 2, "type": "work_hours"},
            "handle": {"amount": 5, "type": "work_days"},
        },
    )
    resident = make_account("resident", roles=("resident",))
    with clock.frozen(NOW - timedelta(days=2)):
        cases = [
            workflow.report(
                actor=resident,
                source="resident",
                description=text,
                category=cat,
                place=tree.compound_a,
                reporter_name="李女士",
            )
            for text in TEXTS
        ]
    closed = [c.pk for c in cases[:4]]
    Case.objects.filter(pk__in=closed).update(
        status="closed", closed_at=NOW - timedelta(days=1), light="", due_at=None, warn_at=None
    )
    return cases


@pytest.mark.django_db
def test_the_generator_clones_templates_with_derived_columns_right(templates, settings):
    from cityloop.cases import queries
    from cityloop.cases.models import Case, CaseEvent
    from cityloop.org.models import Place

    gen = _scalegen()
    with clock.frozen(NOW):
        out = gen.grow(2000, chunk=700, log=lambda _m: None)
    assert (out["cases"], out["templates_open"], out["templates_finished"]) == (2000, 2, 4)
    clones = Case.objects.filter(code__startswith="S")
    assert clones.count() == 2000 and gen.clones_present() == 2000
    # 3 of every 100 are open (k % 100 < 3): 60 of 2000, each a clone of an open template
    # with its deadlines within a minute of the template's
    open_clones = clones.filter(status__in=Case.OPEN)
    assert open_clones.count() == 60
    by_desc = {c.description: c for c in templates}
    for c in open_clones[:10]:
        t = by_desc[c.description]
        assert t.status in Case.OPEN and c.light == t.light
        assert timedelta(0) <= t.due_at - c.due_at < timedelta(minutes=1)
    # finished clones spread over three years, ids growing with the report date
    closed = list(clones.exclude(status__in=Case.OPEN).order_by("pk"))
    assert closed[0].reported_at < NOW - timedelta(days=3 * 365 - 5)
    assert closed[-1].reported_at <= NOW - timedelta(days=29)
    assert [c.reported_at for c in closed] == sorted(c.reported_at for c in closed)
    assert all(c.closed_at and c.closed_at > c.reported_at for c in closed)
    # every clone has its template's events, shifted with it
    assert CaseEvent.objects.filter(case__in=clones).count() == sum(
        CaseEvent.objects.filter(case=by_desc[c.description]).count() for c in clones
    )
    # derived columns: place paths valid, search text the template's and found by full text
    paths = dict(Place.objects.values_list("pk", "path"))
    assert all(paths[p] == path for p, path in clones.values_list("place_id", "place_path"))
    assert set(clones.values_list("search_text", flat=True)) == {t.search_text for t in templates}
    found = queries.fts_filter(Case.objects.all(), "垃圾")
    with_word = [t for t in templates if "垃圾" in t.search_text.split()]
    assert with_word
    assert (
        found.count()
        == Case.objects.filter(description__in=[t.description for t in with_word]).count()
    )
    assert found.filter(code__startswith="S").count() > 300


@pytest.mark.django_db
def test_the_generator_resumes_where_it_stopped(templates):
    from cityloop.cases.models import Case

    gen = _scalegen()
    with clock.frozen(NOW):
        gen.grow(500, chunk=200, log=lambda _m: None)
        again = gen.grow(500, log=lambda _m: None)
        more = gen.grow(800, chunk=200, log=lambda _m: None)
    assert (again["cases"], more["cases"], more["clones_before"]) == (0, 300, 500)
    codes = list(Case.objects.filter(code__startswith="S").values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 800
    assert max(codes) == "S000000800"
    # new cases after the clones still get fresh ids
    t = templates[-1]
    t.pk, t.code = None, "X-after"
    t.save()
    assert t.pk > Case.objects.filter(code__startswith="S").order_by("-pk")[0].pk


def test_rebuild_hooks_are_looked_up_and_skipped_when_absent(monkeypatch):
    gen = _scalegen()
    monkeypatch.setattr(gen, "REBUILD_HOOKS", ["cityloop.nowhere.rebuild", "os.getcwd"])
    monkeypatch.setenv("CITYLOOP_BENCH_REBUILD", "os.getpid, os.no_such_thing")
    import os

    assert gen.rebuild_hooks() == [os.getcwd, os.getpid]
