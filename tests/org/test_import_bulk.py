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
