"""Households and owners from xlsx/csv: every bad row reported with its line, nothing
imported unless all rows are good; owners of several units are one owner."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from cityloop.core.errors import Forbidden
from cityloop.deliberation import queries, services
from cityloop.deliberation.models import Household, Owner
from tests.deliberation.conftest import FIVE_UNITS, HEADER

pytestmark = pytest.mark.django_db


def xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append([*HEADER, "可投票"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_xlsx_import_and_owner_groups(desk, tree, tmp_path):
    rows = [
        ["1号楼", 1, 101, 98.5, "王建国", "W1", "13900000001", "是"],
        ["1号楼", 1, 102, 60, "王建国", "W1", "13900000001", "是"],
        ["1号楼", 2, 201, 80.25, "李华、赵敏", "L1、Z1", "13900000002、13900000003", "是"],
        ["2号楼", 1, 101, 90, "孙丽", "S1", "", "否"],
    ]
    report = services.households_import(
        actor=desk, compound=tree.compound_a, path=xlsx(tmp_path / "h.xlsx", rows)
    )
    assert report.ok, report.as_dict()
    assert report.counts["household"]["created"] == 4 and report.counts["owner"]["created"] == 4
    from decimal import Decimal

    h = Household.objects.get(building="1号楼", entrance="2", room="201")
    assert h.area == Decimal("80.25") and sorted(o.name for o in h.owners.all()) == ["李华", "赵敏"]
    roll = queries.electorate(tree.compound_a)
    assert len(roll) == 3  # 2号楼-101 has no vote
    heads = {u.head for _h, u, _o in roll}
    assert len(heads) == 2  # 王's two units are one head
    again = services.households_import(
        actor=desk, compound=tree.compound_a, path=xlsx(tmp_path / "h2.xlsx", rows)
    )
    assert again.total("created") == 0 and again.total("updated") == 0


def test_bad_rows_are_all_reported_and_nothing_is_imported(desk, tree, write_csv):
    path = write_csv(
        [
            ["1号楼", "1", "101", "100", "王建国", "W1", "13900000001"],
            ["1号楼", "1", "102", "-5", "钱", "", ""],
            ["1号楼", "1", "103", "50.123", "", "", ""],
            ["1号楼", "1", "101", "70", "周", "", ""],
            ["2号楼", "", "101", "70", "王建国", "W1", "13900000009"],
            ["2号楼", "", "102", "70", "冯、陈", "F1", "138"],
        ]
    )
    report = services.households_import(actor=desk, compound=tree.compound_a, path=path)
    assert not report.ok
    found = {(e.line, e.code) for e in report.errors}
    assert (3, "area_invalid") in found
    assert (4, "area_invalid") in found and (4, "owner_required") in found
    assert (5, "row_duplicate") in found
    assert (6, "owner_inconsistent") in found
    assert (7, "owner_keys_count") in found and (7, "owner_phone_count") in found
    assert "未导入任何数据" in report.summary()
    assert not Household.objects.exists() and not Owner.objects.exists()


def test_missing_column_and_dry_run(desk, tree, write_csv):
    path = write_csv([["1号楼", "101", "王"]], header=["楼栋", "房号", "业主"])
    report = services.households_import(actor=desk, compound=tree.compound_a, path=path)
    assert [e.code for e in report.errors] == ["column_missing"] and report.errors[0].line == 0
    dry = services.households_import(
        actor=desk, compound=tree.compound_a, path=write_csv(FIVE_UNITS), dry_run=True
    )
    assert dry.ok and dry.total("created") == 5 + 5  # five units, five owners
    assert not Household.objects.exists()


def test_only_managers_of_the_compound_import(outsider, tree, write_csv):
    with pytest.raises(Forbidden):
        services.households_import(
            actor=outsider, compound=tree.compound_a, path=write_csv(FIVE_UNITS)
        )


def test_import_command(tree, write_csv):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_households", tree.compound_a.code, str(write_csv(FIVE_UNITS)), stdout=out)
    assert Household.objects.filter(compound=tree.compound_a).count() == 5
    with pytest.raises(SystemExit):
        call_command(
            "import_households",
            tree.compound_a.code,
            str(write_csv([["1号楼", "1", "9", "x", "王", "", ""]], name="bad.csv")),
            "--json",
            stdout=StringIO(),
        )
    assert Household.objects.count() == 5


def test_a_large_register_is_written_in_bulk(desk, tree, write_csv, django_assert_max_num_queries):
    """600 units (owners of two units each) in a bounded number of statements; a second file
    changing some units and owners updates exactly those, with their owner links replaced."""
    rows = [
        ["1号楼", str(1 + i // 100), str(101 + i % 100), "88.5", f"业主{i // 2}", f"K{i // 2}", ""]
        for i in range(600)
    ]
    with django_assert_max_num_queries(40):
        report = services.households_import(
            actor=desk, compound=tree.compound_a, path=write_csv(rows)
        )
    assert report.ok, report.as_dict()
    assert report.counts["household"] == {"created": 600, "updated": 0, "unchanged": 0}
    assert report.counts["owner"] == {"created": 300, "updated": 0, "unchanged": 0}
    assert Owner.households.through.objects.count() == 600
    assert len({u.head for _h, u, _o in queries.electorate(tree.compound_a)}) == 300

    rows[0][3] = "90"  # area of one unit
    rows[1][4:6] = ["新业主", "N1"]  # another unit changes hands
    rows[2][4] = "业主1、业主X"  # a third gets a second owner (keys: the names)
    rows[2][5] = "K1、KX"
    with django_assert_max_num_queries(40):
        again = services.households_import(
            actor=desk, compound=tree.compound_a, path=write_csv(rows, name="h2.csv")
        )
    assert again.ok, again.as_dict()
    assert again.counts["household"] == {"created": 0, "updated": 3, "unchanged": 597}
    assert again.counts["owner"]["created"] == 2  # N1, KX
    first = Household.objects.get(building="1号楼", entrance="1", room="101")
    second = Household.objects.get(building="1号楼", entrance="1", room="102")
    third = Household.objects.get(building="1号楼", entrance="1", room="103")
    assert str(first.area) == "90.00"
    assert [o.key for o in second.owners.all()] == ["N1"]
    assert sorted(o.key for o in third.owners.all()) == ["K1", "KX"]
    assert Owner.households.through.objects.count() == 601


def test_values_longer_than_the_register_holds_are_row_errors(desk, tree, write_csv):
    """Refused with the line before anything is written (PostgreSQL would fail the write)."""
    path = write_csv(
        [
            ["1号楼", "1", "101", "100", "王建国", "W1", ""],
            ["楼" * 41, "1", "102", "60", "钱", "", ""],
            ["1号楼", "单" * 21, "房" * 21, "60", "孙", "", ""],
            ["1号楼", "1", "104", "123456789", "周" * 61, "", ""],
            ["1号楼", "1", "105", "60", "吴", "K" * 61, ""],
        ]
    )
    report = services.households_import(actor=desk, compound=tree.compound_a, path=path)
    assert not report.ok
    found = {(e.line, e.column, e.code) for e in report.errors}
    assert found == {
        (3, "楼栋", "cell_too_long"),
        (4, "单元", "cell_too_long"),
        (4, "房号", "cell_too_long"),
        (5, "面积", "area_invalid"),
        (5, "业主", "cell_too_long"),
        (6, "业主标识", "cell_too_long"),
    }
    assert not Household.objects.exists() and not Owner.objects.exists()
