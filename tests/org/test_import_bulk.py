"""Places and people at spreadsheet scale (issue 16, items 3-4): checked with batched reads,
written in bulk in one short transaction; a refused file writes nothing at all; history and
events as the row-by-row services write them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityloop.core.models import Event
from cityloop.org import importers, services
from cityloop.org.importers import run_import
from cityloop.org.models import Person, Place

pytestmark = pytest.mark.django_db


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def compounds(n: int, community: str = "410106001001") -> list[list[object]]:
    return [["编码", "名称", "类型", "上级编码", "地址"]] + [
        [f"K{i:05d}", f"小区{i}", "小区", community, f"济源路{i}号"] for i in range(n)
    ]


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SAVEPOINT"))
    ]


def test_two_thousand_places_take_a_few_dozen_queries_not_one_per_row(tree, tmp_path):
    path = write_csv(tmp_path / "places.csv", compounds(2000))
    with CaptureQueriesContext(connection) as ctx:
        report = run_import("places", path)

    assert report.ok, report.errors
    assert report.counts["places"]["created"] == 2000
    assert len(ctx.captured_queries) < 60
    assert Place.objects.filter(code__startswith="K").count() == 2000
    assert Place.objects.get(code="K00042").path == "/410106/410106001/410106001001/K00042/"


def test_two_thousand_people_take_a_few_dozen_queries(tree, tmp_path):
    rows = [["编码", "姓名", "单位编码", "地点编码"]] + [
        [f"P{i:05d}", f"张{i}", "JYL", "410106001001"] for i in range(2000)
    ]
    with CaptureQueriesContext(connection) as ctx:
        report = run_import("people", write_csv(tmp_path / "people.csv", rows))

    assert report.ok, report.errors
    assert len(ctx.captured_queries) < 60
    person = Person.objects.select_related("unit", "place").get(code="P01999")
    assert (person.unit.code, person.place.code) == ("JYL", "410106001001")


def test_a_refused_file_is_refused_before_any_write(tree, tmp_path):
    rows = compounds(500)
    rows.append(["K99999", "坏小区", "小区", "NO-SUCH-PARENT", ""])
    with CaptureQueriesContext(connection) as ctx:
        report = run_import("places", write_csv(tmp_path / "places.csv", rows))

    assert [(e.line, e.code) for e in report.errors] == [(502, "parent_not_found")]
    assert writes(ctx.captured_queries) == []
    assert not Place.objects.filter(code__startswith="K").exists()


def test_history_and_events_as_the_services_write_them(tree, tmp_path):
    events_before = Event.objects.count()
    run_import("places", write_csv(tmp_path / "a.csv", compounds(3)))
    changed = compounds(3)
    changed[2][1] = "改名小区"
    report = run_import("places", write_csv(tmp_path / "b.csv", changed))

    assert (report.counts["places"]["updated"], report.counts["places"]["unchanged"]) == (1, 2)
    place = Place.objects.get(code="K00001")
    assert [h.history_type for h in place.history.order_by("history_id")] == ["+", "~"]
    assert place.history.order_by("history_id").last().name == "改名小区"
    verbs = sorted(Event.objects.filter(object_id=str(place.pk)).values_list("verb", "data__code"))
    assert verbs == [("place_created", "K00001"), ("place_updated", "K00001")]
    assert Event.objects.count() - events_before == 4


def test_a_move_in_the_file_repaths_the_stored_subtree(tree, tmp_path):
    run_import("places", write_csv(tmp_path / "a.csv", compounds(2)))
    building = [["编码", "名称", "类型", "上级编码"], ["B1", "1号楼", "楼栋", "K00000"]]
    run_import("places", write_csv(tmp_path / "b.csv", building))
    moved = [["编码", "名称", "类型", "上级编码"], ["K00000", "小区0", "小区", "410106002001"]]

    report = run_import("places", write_csv(tmp_path / "c.csv", moved))

    assert report.ok, report.errors
    assert Place.objects.get(code="B1").path == "/410106/410106002/410106002001/K00000/B1/"


def test_a_writer_between_the_check_and_the_write_refuses_the_whole_file(
    tree, tmp_path, monkeypatch
):
    real = services.place_build

    def meanwhile(**kwargs):
        if kwargs["code"] == "K00001":  # another writer stores this code during the check
            Place.objects.create(
                code="K00001", name="别人", kind="compound", parent=tree.community_a
            )
        return real(**kwargs)

    monkeypatch.setattr(importers.services, "place_build", meanwhile)
    report = run_import("places", write_csv(tmp_path / "places.csv", compounds(3)))

    assert [e.code for e in report.errors] == ["import_conflict"]
    assert list(Place.objects.filter(code__startswith="K").values_list("name", flat=True)) == [
        "别人"
    ]


def test_the_cli_shows_a_progress_bar_of_checking_and_writing(tree, tmp_path):
    from django.core.management import call_command

    path = write_csv(tmp_path / "places.csv", compounds(1500))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", "places", str(path), "--progress", stdout=out, stderr=err)

    bar = err.getvalue()
    assert "检查数据" in bar and "1500/1500" in bar
    assert "写入" in bar
    assert "已导入 1500 行" in out.getvalue()
    assert Place.objects.filter(code__startswith="K").count() == 1500


def test_the_cli_has_no_bar_off_a_terminal_unless_asked(tree, tmp_path):
    from django.core.management import call_command

    path = write_csv(tmp_path / "places.csv", compounds(10))
    err = io.StringIO()
    call_command("import_data", "places", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == ""


# --- units, zones, duties, partnerships: checked outside the transaction, written in bulk ---


def _units(prefix: str, n: int) -> list[list[object]]:
    return [["编码", "名称", "类型", "上级编码", "辖区编码"]] + [
        [f"{prefix}{i}", f"科室{prefix}{i}", "科室", "JYL", "410106001"] for i in range(n)
    ]


def _zones(prefix: str, n: int) -> list[list[object]]:
    return [["编码", "名称", "类型", "所属地点编码", "几何"]] + [
        [f"{prefix}{i}", f"积水点{i}", "隐患点", "410106001001", "POINT (113.265 34.7832)"]
        for i in range(n)
    ]


def _duties(prefix: str, n: int) -> list[list[object]]:
    return [["人员编码", "职责", "层级", "对象编码"]] + [
        [f"{prefix}{i}", "楼院长", "社区级", "410106001001001"] for i in range(n)
    ]


def _partnerships(prefix: str, n: int) -> list[list[object]]:
    return [["单位编码", "小区编码", "备注"]] + [
        ["GDSJ", f"{prefix}{i}", "每月线路检查"] for i in range(n)
    ]


BUILDERS = {
    "units": _units,
    "zones": _zones,
    "duties": _duties,
    "partnerships": _partnerships,
}


def _frame_for(kind: str, tmp_path: Path, prefix: str, n: int) -> None:
    """What the rows of ``kind`` refer to: people for duties, compounds for partnerships."""
    if kind == "duties":
        rows = [["编码", "姓名"]] + [[f"{prefix}{i}", f"张{i}"] for i in range(n)]
        assert run_import("people", write_csv(tmp_path / f"people-{prefix}.csv", rows)).ok
    if kind == "partnerships":
        if not services.Unit.objects.filter(code="GDSJ").exists():
            services.unit_save(actor=None, code="GDSJ", name="上街供电公司", kind="partner")
        rows = [["编码", "名称", "类型", "上级编码"]] + [
            [f"{prefix}{i}", f"小区{prefix}{i}", "小区", "410106001001"] for i in range(n)
        ]
        assert run_import("places", write_csv(tmp_path / f"places-{prefix}.csv", rows)).ok


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_ten_rows_or_fifty_take_the_same_few_queries(kind, tree, tmp_path):
    counts = []  # a first file of one row warms the per-process caches (content types)
    for prefix, n in (("W", 1), ("A", 10), ("B", 50)):  # 50: one INSERT batch on SQLite
        _frame_for(kind, tmp_path, prefix, n)
        path = write_csv(tmp_path / f"{kind}-{prefix}.csv", BUILDERS[kind](prefix, n))
        with CaptureQueriesContext(connection) as ctx:
            report = run_import(kind, path)
        assert report.ok, report.errors
        assert report.counts[kind]["created"] == n
        counts.append(len(ctx.captured_queries))
    assert counts[1] == counts[2]
    assert counts[2] <= 20


BAD_ROWS = {
    "units": (["BAD", "坏科室", "科室", "NO-SUCH", ""], "parent_not_found"),
    "zones": (
        ["BAD", "坏点", "隐患点", "NO-SUCH", "POINT (113.265 34.7832)"],
        "reference_not_found",
    ),
    "duties": (["NO-SUCH", "楼院长", "社区级", "410106001001001"], "reference_not_found"),
    "partnerships": (["GDSJ", "NO-SUCH", ""], "reference_not_found"),
}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_one_bad_row_refuses_the_whole_file_before_any_write(kind, tree, tmp_path):
    _frame_for(kind, tmp_path, "A", 50)
    rows = BUILDERS[kind]("A", 50)
    bad, code = BAD_ROWS[kind]
    rows.append(bad)
    model = {
        "units": services.Unit,
        "zones": services.Zone,
        "duties": services.ZoneRole,
        "partnerships": services.Partnership,
    }[kind]
    before = model.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        report = run_import(kind, write_csv(tmp_path / f"{kind}.csv", rows))

    assert [(e.line, e.code) for e in report.errors] == [(52, code)]
    assert writes(ctx.captured_queries) == []
    assert model.objects.count() == before


def test_units_are_checked_outside_the_import_transaction(tree, tmp_path, monkeypatch):
    depth_here = len(connection.atomic_blocks)
    seen = []
    real = services.unit_build

    def build(**kwargs):
        seen.append(len(connection.atomic_blocks))
        return real(**kwargs)

    monkeypatch.setattr(importers.services, "unit_build", build)
    assert run_import("units", write_csv(tmp_path / "units.csv", _units("A", 3))).ok
    assert seen == [depth_here] * 3


def test_bulk_duties_and_partnerships_keep_the_services_history_and_events(tree, tmp_path):
    _frame_for("duties", tmp_path, "A", 2)
    _frame_for("partnerships", tmp_path, "K", 2)
    assert run_import("duties", write_csv(tmp_path / "d.csv", _duties("A", 2))).ok
    assert run_import("partnerships", write_csv(tmp_path / "p.csv", _partnerships("K", 2))).ok
    changed = _partnerships("K", 2)
    changed[1][2] = "每周巡查"
    report = run_import("partnerships", write_csv(tmp_path / "p2.csv", changed))

    assert report.counts["partnerships"] == {"created": 0, "updated": 1, "unchanged": 1}
    duty = services.ZoneRole.objects.get(person__code="A1")
    assert [h.history_type for h in duty.history.all()] == ["+"]
    assert list(
        Event.objects.filter(object_id=str(duty.pk), verb="duty_assign").values_list(
            "data", flat=True
        )
    ) == [{"person": "A1"}]
    row = services.Partnership.objects.get(compound__code="K0")
    assert row.note == "每周巡查"
    verbs = Event.objects.filter(object_id=str(row.pk), verb__startswith="partnership_")
    assert sorted(verbs.values_list("verb", flat=True)) == [
        "partnership_created",
        "partnership_updated",
    ]
    again = run_import("duties", write_csv(tmp_path / "d2.csv", _duties("A", 2)))
    assert again.counts["duties"] == {"created": 0, "updated": 0, "unchanged": 2}
