"""Imports: every bad row reported, nothing partial, dry runs write nothing, re-imports no-op."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from cityloop.core.errors import InvalidInput
from cityloop.core.geo import wgs84_to_gcj02
from cityloop.core.imports import read_table
from cityloop.core.models import Event
from cityloop.org import services
from cityloop.org.importers import run_import
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "import"


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_geojson(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def table_counts() -> dict[str, int]:
    models = (Place, Unit, Person, Zone, ZoneRole, Partnership, Event)
    return {m.__name__: m.objects.count() for m in models}


def problems(report) -> set[tuple[int, str, str]]:
    return {(e.line, e.column, e.code) for e in report.errors}


def line(coords):
    return {"type": "LineString", "coordinates": coords}


def square(lng: float, lat: float, d: float = 0.002) -> dict:
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


PLACE_HEADER = ["编码", "名称", "类型", "上级编码", "管理方式", "经度", "纬度"]


# --- each kind, each format ------------------------------------------------------------------


@pytest.mark.django_db
def test_places_csv_child_rows_before_their_parents(tree, tmp_path):
    path = write_csv(
        tmp_path / "places.csv",
        [
            PLACE_HEADER,
            ["C9-01", "9号院1号楼", "楼栋", "C9", "", "113.2635", "34.7815"],
            ["C9", "9号院", "小区", "410106002009", "物业", "", ""],
            ["410106002009", "新建社区", "社区", "410106002", "", "", ""],
        ],
    )
    report = run_import("places", path)

    assert report.ok, report.errors
    assert report.counts["places"]["created"] == 3
    building = Place.objects.get(code="C9-01")
    assert building.path == "/410106/410106002/410106002009/C9/C9-01/"
    assert building.geometry == {"type": "Point", "coordinates": [113.2635, 34.7815]}
    assert Place.objects.get(code="C9").management == Place.Management.PROPERTY_COMPANY


@pytest.mark.django_db
def test_places_xlsx_with_codes_typed_as_numbers(tree, tmp_path):
    path = write_xlsx(
        tmp_path / "places.xlsx",
        [
            ["code", "name", "kind", "parent_code", "management", "geometry"],
            [410106001002, "汝南路社区", "community", 410106001, None, None],
            [
                410106001002001,
                "铝城花园",
                "小区",
                410106001002,
                "业委会",
                "POLYGON ((113.264 34.781, 113.266 34.781, 113.266 34.783, 113.264 34.781))",
            ],
        ],
    )
    report = run_import("places", path)

    assert report.ok, report.errors
    compound = Place.objects.get(code="410106001002001")
    assert compound.parent.code == "410106001002"
    assert compound.management == "owners_committee"
    assert compound.geometry["type"] == "Polygon"
    assert compound.geometry["coordinates"][0][0] == [113.264, 34.781]


@pytest.mark.django_db
def test_units_csv_resolves_parents_in_file_and_database(tree, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        [
            ["编码", "名称", "类型", "上级编码", "辖区编码", "简称", "周末无休"],
            ["JYL-CJB-1", "城建办第一组", "科室", "JYL-CJB", "", "", "否"],
            ["JYL-CJB", "济源路街道城建办", "科室", "JYL", "410106001", "城建办", "是"],
        ],
    )
    report = run_import("units", path)

    assert report.ok, report.errors
    assert report.counts["units"]["created"] == 2
    office = Unit.objects.get(code="JYL-CJB")
    assert (office.parent, office.place, office.short_name) == (
        tree.office_a,
        tree.street_a,
        "城建办",
    )
    assert office.works_weekends is True
    assert Unit.objects.get(code="JYL-CJB-1").path == "/JYL/JYL-CJB/JYL-CJB-1/"


@pytest.mark.django_db
def test_people_from_a_gbk_csv(tree, tmp_path):
    path = write_csv(
        tmp_path / "people.csv",
        [
            ["人员编码", "姓名", "电话", "职务", "单位编码", "地点编码"],
            ["P001", "王建国", "0371-68900101", "城建办主任", "JYL", ""],
            ["P002", "李秀兰", "", "社区书记", "", "410106001001"],
        ],
        encoding="gbk",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is GBK

    report = run_import("people", path)

    assert report.ok, report.errors
    wang = Person.objects.get(code="P001")
    assert (wang.name, wang.unit, wang.title) == ("王建国", tree.office_a, "城建办主任")
    assert Person.objects.get(code="P002").place == tree.community_a


@pytest.mark.django_db
def test_zones_from_geojson(tree, tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        [
            (
                {"编码": "R-A2", "名称": "新华街", "类型": "道路", "所属地点编码": "410106001"},
                line([[113.262, 34.781], [113.262, 34.789]]),
            ),
            (
                {"编码": "G-01", "名称": "第一网格", "类型": "网格", "所属地点编码": 410106001001},
                square(113.26, 34.78, 0.005),
            ),
        ],
    )
    report = run_import("zones", path)

    assert report.ok, report.errors
    assert report.counts["zones"]["created"] == 2
    road = Zone.objects.get(code="R-A2")
    assert (road.kind, road.place, road.geometry["type"]) == ("road", tree.street_a, "LineString")
    assert Zone.objects.get(code="G-01").place == tree.community_a


@pytest.mark.django_db
def test_zones_from_xlsx_with_wkt_geometry(tree, tmp_path):
    path = write_xlsx(
        tmp_path / "zones.xlsx",
        [
            ["编码", "名称", "类型", "所属地点编码", "几何"],
            ["H-01", "北门积水点", "隐患点", "410106001001", "POINT (113.265 34.7832)"],
        ],
    )
    report = run_import("zones", path)

    assert report.ok, report.errors
    assert Zone.objects.get(code="H-01").geometry == {
        "type": "Point",
        "coordinates": [113.265, 34.7832],
    }


@pytest.mark.django_db
def test_duties_with_chinese_roles_and_levels(tree, tmp_path):
    for code, name in [("P1", "刘志强"), ("P2", "赵红梅"), ("P3", "李秀兰")]:
        services.person_save(actor=None, code=code, name=name)
    path = write_csv(
        tmp_path / "duties.csv",
        [
            ["人员编码", "职责", "层级", "对象编码", "对象类型"],
            ["P1", "路长", "区级", "R-A1", ""],
            ["P1", "road_chief", "street", "R-B1", ""],
            ["P2", "楼院长", "社区级", "410106001001001", ""],
            ["P3", "督查员", "社区", "410106001001", "地点"],
        ],
    )
    report = run_import("duties", path)

    assert report.ok, report.errors
    assert report.counts["duties"]["created"] == 4
    chief = ZoneRole.objects.get(person__code="P1", zone=tree.road_a)
    assert (chief.role, chief.level) == ("road_chief", "district")
    head = ZoneRole.objects.get(person__code="P2")
    assert (head.role, head.place) == ("compound_head", tree.compound_a)
    assert ZoneRole.objects.get(person__code="P3").place == tree.community_a


@pytest.mark.django_db
def test_partnerships(tree, tmp_path):
    services.unit_save(actor=None, code="GDSJ", name="上街供电公司", kind="partner")
    path = write_csv(
        tmp_path / "partnerships.csv",
        [["单位编码", "小区编码", "备注"], ["GDSJ", "410106001001001", "每月线路检查"]],
    )
    report = run_import("partnerships", path)

    assert report.ok, report.errors
    row = Partnership.objects.get()
    assert (row.unit.code, row.compound, row.note) == ("GDSJ", tree.compound_a, "每月线路检查")


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bad_places_file_names_every_row_and_writes_nothing(tree, tmp_path):
    path = write_csv(
        tmp_path / "places.csv",
        [
            ["编码", "名称", "类型", "上级编码", "管理方式", "几何"],
            ["OK1", "好社区", "社区", "410106001", "", ""],  # fine, but must not be written
            ["X1", "坏小区", "小区", "NOPE", "物业", ""],
            ["X2", "", "社区", "410106001", "", ""],
            ["X3", "某街道", "城市", "410106", "", ""],
            ["X4", "某社区", "社区", "410106", "", ""],
            ["X5", "坏楼", "楼栋", "410106001001001", "物业", "POINT (1 1)"],
            ["X6", "重复", "社区", "410106001", "", ""],
            ["X6", "重复", "社区", "410106001", "", ""],
            ["X7", "环一", "小区", "X8", "", ""],
            ["X8", "环二", "小区", "X7", "", ""],
            ["X9", "坏几何", "社区", "410106001", "", "not a shape"],
            ["X10", "错管理", "小区", "410106001001", "有人管", ""],
        ],
    )
    before = table_counts()

    report = run_import("places", path)

    assert not report.ok and not report.written
    assert problems(report) == {
        (3, "上级编码", "parent_not_found"),
        (4, "名称", "cell_required"),
        (5, "类型", "cell_invalid"),
        (6, "上级编码", "place_bad_parent"),  # community under a district
        (7, "几何", "geometry_out_of_range"),
        (7, "管理方式", "management_not_compound"),
        (9, "编码", "row_duplicate"),
        (10, "上级编码", "parent_loop"),
        (11, "上级编码", "parent_loop"),
        (12, "几何", "geometry_unreadable"),
        (13, "管理方式", "cell_invalid"),
    }
    assert all(e.reason for e in report.errors)
    assert report.counts == {}
    assert table_counts() == before
    assert not Place.objects.filter(code="OK1").exists()


@pytest.mark.django_db
def test_bad_geojson_names_features(tree, tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        [
            ({"code": "Z1", "name": "好路", "kind": "road", "place_code": "410106001"}, None),
            (
                {"code": "Z2", "name": "点当路", "kind": "road", "place_code": "410106001"},
                {"type": "Point", "coordinates": [113.27, 34.78]},
            ),
            (
                {"code": "Z3", "name": "无主路", "kind": "road", "place_code": "999"},
                line([[113.27, 34.78], [113.28, 34.78]]),
            ),
        ],
    )
    before = table_counts()

    report = run_import("zones", path)

    assert problems(report) == {
        (2, "geometry", "geometry_bad_type"),
        (3, "place_code", "reference_not_found"),
    }
    assert report.sorted_errors()[0].unit == "feature"
    assert table_counts() == before


@pytest.mark.django_db
def test_bad_duties_are_all_reported(tree, tmp_path):
    services.person_save(actor=None, code="P1", name="刘志强")
    path = write_csv(
        tmp_path / "duties.csv",
        [
            ["人员编码", "职责", "层级", "对象编码"],
            ["P1", "路长", "", "R-A1"],  # a road chief needs a level
            ["P404", "网格员", "社区级", "R-A1"],  # unknown person
            ["P1", "楼长", "社区级", "410106001001001"],  # a compound is not a building
            ["P1", "扫地僧", "社区级", "410106001001001"],
            ["P1", "楼院长", "省级", "410106001001001"],
            ["P1", "楼院长", "社区级", "NOPE"],
            ["P1", "楼院长", "社区级", "410106001001001"],
            ["P1", "楼院长", "社区级", "410106001001001"],
        ],
    )
    before = table_counts()

    report = run_import("duties", path)

    assert problems(report) == {
        (2, "层级", "duty_level_required"),
        (3, "人员编码", "reference_not_found"),
        (4, "对象编码", "duty_bad_target"),
        (5, "职责", "cell_invalid"),
        (6, "层级", "cell_invalid"),
        (7, "对象编码", "reference_not_found"),
        (9, "人员编码", "row_duplicate"),
    }
    assert table_counts() == before


@pytest.mark.django_db
def test_bad_units_are_all_reported(tree, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        [
            ["编码", "名称", "类型", "上级编码", "辖区编码", "工作时间", "周末无休"],
            ["U1", "甲科室", "科室", "JYL", "", "25:00-26:00", "否"],
            ["U2", "乙科室", "科室", "NOPE", "", "", ""],
            ["U3", "丙科室", "科室", "JYL", "999", "", "也许"],
            ["U4", "丁科室", "科室", "U1", "", "", ""],  # under a failed row: no extra noise
        ],
    )
    before = table_counts()

    report = run_import("units", path)

    assert problems(report) == {
        (2, "工作时间", "work_hours_invalid"),
        (3, "上级编码", "parent_not_found"),
        (4, "辖区编码", "reference_not_found"),  # found although the row has another problem
        (4, "周末无休", "cell_invalid"),
    }
    assert table_counts() == before


@pytest.mark.django_db
def test_file_level_problems(tree, tmp_path):
    missing = write_csv(tmp_path / "m.csv", [["名称", "类型"], ["新华街社区", "社区"]])
    report = run_import("places", missing)
    assert problems(report) == {(0, "编码", "column_missing")}

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert problems(run_import("places", empty)) == {(0, "", "file_empty")}

    header_only = write_csv(tmp_path / "h.csv", [["编码", "名称", "类型"]])
    assert problems(run_import("places", header_only)) == {(0, "", "file_no_rows")}

    twice = write_csv(tmp_path / "t.csv", [["编码", "code", "名称", "类型"], ["a", "a", "b", "区"]])
    assert problems(run_import("places", twice)) == {(0, "code", "column_duplicate")}

    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    assert problems(run_import("places", xls)) == {(0, "", "file_old_excel")}

    with pytest.raises(InvalidInput) as exc:
        run_import("trees", missing)
    assert exc.value.code == "import_bad_kind"


@pytest.mark.django_db
def test_unknown_columns_are_warned_not_fatal(tree, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        [["编码", "名称", "类型", "上级编码", "面积"], ["Q1", "甲", "社区", "410106001", "3"]],
    )
    report = run_import("places", path)
    assert report.ok
    assert len(report.warnings) == 1 and "面积" in report.warnings[0]


# --- dry run, idempotence, partial columns -----------------------------------------------------


@pytest.mark.django_db
def test_dry_run_reports_counts_and_writes_nothing(tree, tmp_path):
    path = write_csv(
        tmp_path / "places.csv",
        [
            ["编码", "名称", "类型", "上级编码"],
            ["410106001001", "新华街社区（更名）", "社区", "410106001"],  # update
            ["410106001009", "新社区", "社区", "410106001"],  # create
            ["410106002001", "三湾街社区", "社区", "410106002"],  # unchanged
        ],
    )
    before = table_counts()

    report = run_import("places", path, dry_run=True)

    assert report.ok and report.dry_run and not report.written
    assert dict(report.counts["places"]) == {"created": 1, "updated": 1, "unchanged": 1}
    assert table_counts() == before
    assert Place.objects.get(code="410106001001").name == "新华街社区"


@pytest.mark.django_db
def test_reimport_changes_nothing_and_writes_no_events(tree, tmp_path):
    services.person_save(actor=None, code="P1", name="刘志强")
    places = write_csv(
        tmp_path / "places.csv",
        [
            PLACE_HEADER,
            ["410106001009", "新社区", "社区", "410106001", "", "", ""],
            ["C9", "9号院", "小区", "410106001009", "自管会", "", ""],
            ["C9-01", "1号楼", "楼栋", "C9", "", "113.2635", "34.7815"],
        ],
    )
    zones = write_geojson(
        tmp_path / "zones.geojson",
        [
            (
                {"编码": "R-9", "名称": "九号路", "类型": "道路", "所属地点编码": "410106001"},
                line([[113.262, 34.781], [113.262, 34.789]]),
            )
        ],
    )
    duties = write_csv(
        tmp_path / "duties.csv",
        [["人员编码", "职责", "层级", "对象编码"], ["P1", "路长", "区级", "R-9"]],
    )
    for kind, path in [("places", places), ("zones", zones), ("duties", duties)]:
        assert run_import(kind, path).total("created") > 0
    before = table_counts()

    for kind, path in [("places", places), ("zones", zones), ("duties", duties)]:
        report = run_import(kind, path)
        assert report.ok
        assert (report.total("created"), report.total("updated")) == (0, 0)
        assert report.total("unchanged") == report.rows

    assert table_counts() == before


@pytest.mark.django_db
def test_changed_row_is_one_update_with_one_event(tree, tmp_path):
    rows = [
        ["编码", "名称", "类型", "上级编码"],
        ["410106001001", "新华街社区", "社区", "410106001"],
    ]
    rows[1][1] = "新华街社区居民区"
    events = Event.objects.count()

    report = run_import("places", write_csv(tmp_path / "p.csv", rows))

    assert dict(report.counts["places"]) == {"created": 0, "updated": 1, "unchanged": 0}
    assert Event.objects.count() == events + 1
    assert Event.objects.latest("pk").verb == "place_updated"


@pytest.mark.django_db
def test_columns_left_out_keep_stored_values(tree, tmp_path):
    # No geometry and no management column: the compound keeps both.
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["编码", "名称", "类型", "上级编码"],
            ["410106001001001", "06小区", "小区", "410106001001"],
        ],
    )
    geometry_before = tree.compound_a.geometry

    report = run_import("places", path)

    assert dict(report.counts["places"]) == {"created": 0, "updated": 0, "unchanged": 1}
    compound = Place.objects.get(pk=tree.compound_a.pk)
    assert (compound.geometry, compound.management) == (geometry_before, "unmanaged")


@pytest.mark.django_db
def test_moving_a_place_re_paths_stored_children_and_new_rows(tree, tmp_path):
    # The new building's parent (06小区) is not in the file, but its community moves first.
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["编码", "名称", "类型", "上级编码"],
            ["B-NEW", "3号楼", "楼栋", "410106001001001"],
            ["410106001001", "新华街社区", "社区", "410106002"],
            ["B-NEW2", "4号楼", "楼栋", "410106001001001"],
        ],
    )
    report = run_import("places", path)

    assert report.ok, report.errors
    assert dict(report.counts["places"]) == {"created": 2, "updated": 1, "unchanged": 0}
    expected = "/410106/410106002/410106001001/410106001001001/"
    for code in ("410106001001001-01", "B-NEW", "B-NEW2"):
        assert Place.objects.get(code=code).path.startswith(expected), code


# --- coordinates -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_crs_gcj02_converts_on_import(tree, tmp_path):
    g_lng, g_lat = wgs84_to_gcj02(113.2635, 34.7815)
    path = write_csv(
        tmp_path / "z.csv",
        [
            ["编码", "名称", "类型", "所属地点编码", "经度", "纬度"],
            ["H-9", "积水点", "隐患点", "410106001001", g_lng, g_lat],
        ],
    )
    assert run_import("zones", path, crs="gcj02").ok
    assert Zone.objects.get(code="H-9").geometry["coordinates"] == pytest.approx(
        [113.2635, 34.7815], abs=1e-7
    )


def test_csv_with_bom_and_blank_lines(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes("\ufeff编码,名称\r\n\r\nA,甲\r\n,\r\nB,乙\r\n".encode())
    table = read_table(path)
    assert table.headers == ["编码", "名称"]
    assert [(line, cells["编码"]) for line, cells, _g in table.rows] == [(3, "A"), (5, "B")]


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_imports_and_reports(tree, tmp_path, make_account):
    make_account("importer", roles=("admin",))
    path = write_csv(
        tmp_path / "places.csv",
        [["编码", "名称", "类型", "上级编码"], ["410106001009", "新社区", "社区", "410106001"]],
    )
    out = io.StringIO()

    call_command("import_data", "places", str(path), "--actor", "importer", "--json", stdout=out)

    result = json.loads(out.getvalue())
    assert result["ok"] and result["written"]
    assert result["counts"]["places"]["created"] == 1
    event = Event.objects.latest("pk")
    assert (event.verb, event.actor.username) == ("place_created", "importer")


@pytest.mark.django_db
def test_command_fails_on_a_bad_file_and_names_the_line(tree, tmp_path):
    path = write_csv(
        tmp_path / "places.csv",
        [
            ["编码", "名称", "类型", "上级编码"],
            ["A1", "甲", "社区", "410106001"],
            ["A2", "乙", "社区", "NOPE"],
        ],
    )
    out = io.StringIO()
    before = table_counts()

    with pytest.raises(CommandError):
        call_command("import_data", "places", str(path), stdout=out)

    text = out.getvalue()
    assert "3" in text and "NOPE" in text and "上级编码" in text
    assert table_counts() == before


@pytest.mark.django_db
def test_command_dry_run_prints_table(tree, tmp_path):
    path = write_csv(
        tmp_path / "places.csv",
        [["编码", "名称", "类型", "上级编码"], ["410106001009", "新社区", "社区", "410106001"]],
    )
    out = io.StringIO()
    call_command("import_data", "places", str(path), "--dry-run", stdout=out)
    assert "places" in out.getvalue() and "1" in out.getvalue()
    assert not Place.objects.filter(code="410106001009").exists()


# --- the documented examples ---------------------------------------------------------------------

EXAMPLE_ORDER = [
    ("places", "places.csv", 11),
    ("units", "units.csv", 10),
    ("people", "people.csv", 7),
    ("zones", "zones.geojson", 5),
    ("duties", "duties.csv", 7),
    ("partnerships", "partnerships.csv", 2),
]


@pytest.mark.django_db
def test_documented_examples_import_cleanly_and_idempotently():
    for kind, name, n in EXAMPLE_ORDER:
        report = run_import(kind, EXAMPLES / name)
        assert report.ok, (name, [e.as_dict() for e in report.errors])
        assert report.counts[kind]["created"] == n, name
    before = table_counts()
    for kind, name, n in EXAMPLE_ORDER:
        report = run_import(kind, EXAMPLES / name)
        assert report.counts[kind]["unchanged"] == n, name
    assert table_counts() == before
    assert Place.objects.get(code="410106001001001-02").path.startswith("/410106/410106001/")
