"""Categories: the seeded tree, the save service, and the categories import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from cityloop.cases import services
from cityloop.cases.importers import run_import
from cityloop.cases.models import Category
from cityloop.core.errors import InvalidInput
from cityloop.core.models import Event

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "import"

COMPONENT_MAINS = {"公用设施", "道路交通", "市容环境", "园林绿化", "房屋土地", "其他设施"}
EVENT_MAINS = {"市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序"}
MESSAGE_MAINS = {
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
}
URGENT = "urgent_hours"


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def problems(report) -> set[tuple[int, str, str]]:
    return {(e.line, e.column, e.code) for e in report.errors}


def mains(kind: str) -> set[str]:
    return set(
        Category.objects.filter(parent__isnull=True, kind=kind).values_list("name", flat=True)
    )


# --- the seed ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_migration_created_the_main_classes_and_leaves():
    assert mains("component") == COMPONENT_MAINS
    assert mains("event") == EVENT_MAINS
    assert mains("message") == MESSAGE_MAINS
    leaves = Category.objects.filter(parent__isnull=False).select_related("parent")
    by_kind = {k: leaves.filter(kind=k).count() for k in ("component", "event", "message")}
    assert by_kind == {"component": 26, "event": 30, "message": 31}
    assert Category.objects.count() == 18 + 87
    for leaf in leaves:
        assert leaf.parent.parent_id is None, leaf.code  # two levels only
        assert leaf.kind == leaf.parent.kind, leaf.code
        assert set(leaf.time_limits) == set(services.STAGES), leaf.code
        assert leaf.default_unit_id is None  # unit codes differ by deployment
        leaf.full_clean()
    for main in Category.objects.filter(parent__isnull=True):
        main.full_clean()
    for kind, count in (("component", 6), ("event", 5), ("message", 7)):
        # every main class has leaves
        assert leaves.filter(kind=kind).values("parent").distinct().count() == count


@pytest.mark.django_db
def test_seeded_leaves_carry_sensible_limits():
    manhole = Category.objects.get(name="井盖缺失")
    assert manhole.parent.name == "公用设施" and manhole.kind == "component"
    assert manhole.urgency == "urgent" and manhole.level == "street"
    assert manhole.routing == "place"
    assert manhole.time_limits["handle"] == {"amount": 2, "type": URGENT}
    assert manhole.time_limits["accept"] == {"amount": 0.5, "type": URGENT}
    for name in ("路面塌陷", "燃气泄漏"):
        leaf = Category.objects.get(name=name)
        assert leaf.urgency == "urgent" and leaf.time_limits["handle"]["type"] == URGENT
    stall = Category.objects.get(name="占道经营")
    assert (stall.parent.name, stall.urgency) == ("街面秩序", "normal")
    assert stall.time_limits["handle"] == {"amount": 2, "type": "work_hours"}
    for name in ("乱堆物堆料", "违法建设", "小广告", "积存垃圾渣土", "路灯不亮", "绿地脏乱"):
        assert Category.objects.filter(name=name, parent__isnull=False).exists(), name
    # citizen messages: 二级 classes of 附件1, counted in working days
    labour = Category.objects.get(name="劳动关系")
    assert (labour.parent.name, labour.kind) == ("劳动和社会保障", "message")
    assert labour.level in ("street", "district")
    messages = Category.objects.filter(kind="message", parent__isnull=False)
    assert all(m.time_limits["handle"]["type"] == "work_days" for m in messages)
    assert {m.parent.name for m in messages} == MESSAGE_MAINS
    assert "物业服务" in Category.objects.get(name="住房保障与房地产").keywords


@pytest.mark.django_db
def test_seed_loader_is_idempotent_and_unseeds_only_unused_rows(tree, make_account):
    from cityloop.cases import workflow

    assert services.seed_categories(Category) == 0
    resident = make_account("resident", roles=("resident",))
    manhole = Category.objects.get(code="B0101")
    workflow.report(
        actor=resident,
        source="resident",
        description="井盖丢了",
        category=manhole,
        lng=113.2612,
        lat=34.7812,
    )
    own_main = Category.objects.create(code="OWN", name="自建大类")
    Category.objects.create(code="OWN01", name="自建小类", parent=own_main)
    Category.objects.create(code="OWN02", name="挂在种子大类下", parent=manhole.parent)

    deleted = services.unseed_categories(Category)

    left = set(Category.objects.values_list("code", flat=True))
    # the used leaf and its main stay, and so does the main someone else added a leaf to
    assert left == {"B01", "B0101", "OWN", "OWN01", "OWN02"}
    assert deleted == 105 - 2
    assert services.seed_categories(Category) == 103
    assert Category.objects.count() == 105 + 3


@pytest.mark.django_db
def test_seed_file_imports_as_unchanged():
    before = Event.objects.count()
    report = run_import("categories", services.SEED_FILE)
    assert report.ok, [e.as_dict() for e in report.errors]
    assert report.counts["categories"] == {"created": 0, "updated": 0, "unchanged": 105}
    assert Event.objects.count() == before


# --- the service ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_category_save_outcomes_and_events(make_account):
    admin = make_account("admin", roles=("admin",))
    main, outcome = services.category_save(actor=admin, code="Z01", name="测试大类", kind="event")
    assert outcome == "created"
    leaf, outcome = services.category_save(
        actor=admin,
        code="Z0101",
        name="测试小类",
        parent=main,
        level="building",
        time_limits={"accept": "1工作时", "handle": {"amount": 3, "type": "work_days"}},
    )
    assert outcome == "created"
    assert leaf.time_limits == {
        "accept": {"amount": 1, "type": "work_hours"},
        "handle": {"amount": 3, "type": "work_days"},
    }
    same = services.category_save(
        actor=admin,
        code="Z0101",
        name="测试小类",
        parent=main,
        level="building",
        time_limits={"handle": "3工作日", "accept": "1 work_hours"},
    )
    assert same[1] == "unchanged"
    _leaf, outcome = services.category_save(
        actor=admin, code="Z0101", name="测试小类", parent=main, level="street"
    )
    assert outcome == "updated"
    last = list(Event.objects.order_by("-pk")[:3])[::-1]
    verbs = [(e.verb, e.actor.username, e.data) for e in last]
    assert verbs == [
        ("category_created", "admin", {"code": "Z01"}),
        ("category_created", "admin", {"code": "Z0101"}),
        ("category_updated", "admin", {"code": "Z0101", "changed": ["level", "time_limits"]}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"time_limits": {"handle": "5周"}}, "time_limit_invalid"),
        ({"time_limits": {"handle": "0工作日"}}, "time_limit_invalid"),
        ({"time_limits": {"closing": "1工作日"}}, "time_limit_bad_stage"),
        ({"parent_code": "B0101"}, "category_bad_parent"),  # a leaf under a leaf
        ({"code": "B01", "parent_code": "S01"}, "category_bad_parent"),  # a main with leaves
        ({"routing": "unit"}, "category_unit_required"),
        ({"level": "city"}, "invalid_record"),
    ],
)
def test_category_save_refuses_bad_input(kwargs, code):
    values = {"code": "Z0199", "name": "坏的", "parent_code": "S01", **kwargs}
    parent = Category.objects.get(code=values.pop("parent_code"))
    before = Category.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.category_save(actor=None, parent=parent, **values)
    assert exc.value.code == code
    assert Category.objects.count() == before


# --- the import ----------------------------------------------------------------------------

HEADER = [
    "编码",
    "名称",
    "大类编码",
    "种类",
    "处置层级",
    "默认责任单位编码",
    "派遣方式",
    "处置时限",
]


@pytest.mark.django_db
def test_documented_example_imports_and_reimports_unchanged(tree):
    report = run_import("categories", EXAMPLES / "categories.csv")

    assert report.ok, [e.as_dict() for e in report.errors]
    assert report.counts["categories"] == {"created": 4, "updated": 1, "unchanged": 0}
    wires = Category.objects.get(code="X0102")  # listed before its main class
    assert (wires.parent.code, wires.kind, wires.level, wires.urgency) == (
        "X01",
        "event",
        "compound",
        "urgent",
    )
    assert wires.time_limits["handle"] == {"amount": 4, "type": URGENT}
    water = Category.objects.get(code="X0103")
    assert (water.routing, water.default_unit) == ("unit", tree.bureau)
    assert water.time_limits["return_visit"] == {"amount": 3, "type": "calendar_days"}
    assert "装修噪音" in Category.objects.get(code="S0505").keywords

    events = Event.objects.count()
    again = run_import("categories", EXAMPLES / "categories.csv")
    assert again.counts["categories"] == {"created": 0, "updated": 0, "unchanged": 5}
    assert Event.objects.count() == events


@pytest.mark.django_db
def test_categories_from_xlsx_with_english_headers_and_number_codes(tmp_path):
    path = write_xlsx(
        tmp_path / "categories.xlsx",
        [
            ["code", "name", "parent_code", "kind", "level", "urgency", "handle", "sort"],
            [900101, "测试小类", 9001, None, "district", "urgent", "4紧急工作时", 3],
            [9001, "测试大类", None, "部件", "街道", None, None, 1],
        ],
    )
    report = run_import("categories", path)
    assert report.ok, [e.as_dict() for e in report.errors]
    leaf = Category.objects.get(code="900101")
    assert (leaf.parent.code, leaf.kind, leaf.level, leaf.sort) == (
        "9001",
        "component",
        "district",
        3,
    )
    assert leaf.time_limits == {"handle": {"amount": 4, "type": URGENT}}
    assert run_import("categories", path).counts["categories"]["unchanged"] == 2


@pytest.mark.django_db
def test_bad_categories_file_names_every_row_and_imports_nothing(tree, tmp_path):
    path = write_csv(
        tmp_path / "categories.csv",
        [
            HEADER,
            ["Y01", "新大类", "", "事件", "街道", "", "", ""],
            ["Y0101", "好的小类", "Y01", "", "社区", "", "", "3工作日"],
            ["Y0102", "时限写错", "Y01", "", "社区", "", "", "5周"],
            ["Y0103", "上级不存在", "NOPE", "", "社区", "", "", ""],
            ["Y010101", "三级分类", "Y0101", "", "社区", "", "", ""],
            ["Y0104", "挂在种子小类下", "B0101", "", "社区", "", "", ""],
            ["Y0105", "种类写错", "Y01", "设施", "社区", "", "", ""],
            ["Y0106", "单位不存在", "Y01", "", "区", "NOPE", "按单位", ""],
            ["Y0107", "按单位却没有单位", "Y01", "", "区", "", "按单位", ""],
        ],
    )
    categories, events = Category.objects.count(), Event.objects.count()

    report = run_import("categories", path)

    assert not report.ok
    assert problems(report) == {
        (4, "处置时限", "time_limit_invalid"),
        (5, "大类编码", "parent_not_found"),
        (6, "大类编码", "category_bad_parent"),
        (7, "大类编码", "category_bad_parent"),
        (8, "种类", "cell_invalid"),
        (9, "默认责任单位编码", "reference_not_found"),
        (10, "默认责任单位编码", "category_unit_required"),
    }
    first = report.sorted_errors()[0]
    assert first.where == "第 4 行" and "5周" in str(first.reason)
    assert report.counts == {}
    assert (Category.objects.count(), Event.objects.count()) == (categories, events)
    assert not Category.objects.filter(code__startswith="Y").exists()


@pytest.mark.django_db
def test_categories_dry_run_writes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "categories.csv",
        [HEADER, ["Y01", "新大类", "", "事件", "街道", "", "", ""]],
    )
    report = run_import("categories", path, dry_run=True)
    assert report.ok and not report.written
    assert report.counts["categories"]["created"] == 1
    assert not Category.objects.filter(code="Y01").exists()


@pytest.mark.django_db
def test_import_command_takes_categories_and_still_places(tree, tmp_path):
    path = write_csv(
        tmp_path / "categories.csv",
        [HEADER, ["Y01", "新大类", "", "事件", "街道", "", "", ""]],
    )
    out = io.StringIO()
    call_command("import_data", "categories", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] and result["counts"]["categories"]["created"] == 1

    places = write_csv(
        tmp_path / "places.csv",
        [["编码", "名称", "类型", "上级编码"], ["410106001009", "新社区", "社区", "410106001"]],
    )
    out = io.StringIO()
    call_command("import_data", "places", str(places), "--json", stdout=out)
    assert json.loads(out.getvalue())["counts"]["places"]["created"] == 1
