"""Reading import files: encodings detected or refused with the line, Excel merged ranges and
formulas without a calculated value (issue 16, item 4)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook

from cityloop.core.imports import read_table
from cityloop.core.models import Event
from cityloop.org.importers import run_import
from cityloop.org.models import Person, Place

PEOPLE = [
    ["人员编码", "姓名", "职务"],
    ["P001", "王建国", "城建办主任"],
    ["P002", "李秀兰", "社区书记"],
]


def write_csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_bom_gbk_and_gb18030_read_as_written(tmp_path, encoding):
    rows = [*PEOPLE, ["P003", "𠀀张", "楼长"]] if encoding == "gb18030" else PEOPLE
    table = read_table(write_csv(tmp_path / "people.csv", rows, encoding))

    assert table.headers == ["人员编码", "姓名", "职务"]
    assert [cells["姓名"] for _line, cells, _g in table.rows] == [r[1] for r in rows[1:]]


@pytest.mark.django_db
def test_a_big5_file_is_refused_with_its_line_and_nothing_is_stored(tmp_path):
    # Traditional characters: Big5 bytes decode as GB18030 without an error (as garbage).
    rows = [
        ["code", "name", "title"],
        ["P001", "Wang", "director"],
        ["P002", "陳麗華", "社區書記"],
    ]
    path = write_csv(tmp_path / "people.csv", rows, "big5")
    before = (Person.objects.count(), Event.objects.count())

    with translation.override("zh-hans"):
        report = run_import("people", path)

    assert not report.ok
    assert [(e.line, e.code) for e in report.errors] == [(3, "file_bad_encoding")]
    reason = str(report.errors[0].reason)
    assert reason.startswith("第 3 行无法按 UTF-8 或 GBK 读取")
    assert "Big5" in reason and "另存为“CSV UTF-8”" in reason
    assert (Person.objects.count(), Event.objects.count()) == before


def test_a_big5_header_is_refused_on_line_1(tmp_path):
    from cityloop.core.imports import ImportFileError

    path = write_csv(tmp_path / "people.csv", [["編碼", "姓名"], ["1", "張三"]], "big5")
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    assert (caught.value.code, caught.value.line) == ("file_bad_encoding", 1)


def test_a_latin1_file_is_refused_not_guessed(tmp_path):
    from cityloop.core.imports import ImportFileError

    path = write_csv(tmp_path / "p.csv", [["code", "name"], ["1", "Café Müller"]], "latin-1")
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    assert (caught.value.code, caught.value.line) == ("file_bad_encoding", 2)


@pytest.mark.django_db
def test_a_merged_address_gives_its_value_to_every_row_of_the_range(tree, tmp_path):
    # Three compounds of one community share one address cell, merged over A2:A4's rows.
    for n in (1, 2, 3):
        Place.objects.create(
            code=f"K{n}",
            name=f"小区{n}",
            kind="compound",
            parent=tree.community_a,
            address="旧地址",
        )
    book = Workbook()
    sheet = book.active
    sheet.append(["编码", "名称", "类型", "上级编码", "地址"])
    sheet.append(["K1", "小区1", "小区", "410106001001", "济源路18号"])
    sheet.append(["K2", "小区2", "小区", "410106001001", None])
    sheet.append(["K3", "小区3", "小区", "410106001001", None])
    sheet.merge_cells("E2:E4")
    sheet.merge_cells("D2:D4")  # the parent code written once as well
    book.save(tmp_path / "places.xlsx")

    report = run_import("places", tmp_path / "places.xlsx")

    assert report.ok, report.errors
    assert {p.code: p.address for p in Place.objects.filter(code__startswith="K")} == {
        "K1": "济源路18号",
        "K2": "济源路18号",
        "K3": "济源路18号",
    }


@pytest.mark.django_db
def test_a_formula_without_a_calculated_value_is_named_as_such(tree, tmp_path):
    # openpyxl writes the formula only, as a script or some tools do: there is no value.
    book = Workbook()
    sheet = book.active
    sheet.append(["人员编码", "姓名", "电话"])
    sheet.append(["P001", "王建国", "0371-68900101"])
    sheet.append(["P002", '=CONCAT("李","秀兰")', ""])
    book.save(tmp_path / "people.xlsx")

    report = run_import("people", tmp_path / "people.xlsx")

    assert not report.ok
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (3, "姓名", "cell_formula_no_value")
    ]
    assert 'CONCAT("李","秀兰")' in str(report.errors[0].reason)
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_the_report_table_names_the_kind_in_the_report_language(tree, tmp_path):
    from rich.console import Console

    path = write_csv(tmp_path / "a.csv", PEOPLE, "utf-8")
    with translation.override("zh-hans"):
        report = run_import("people", path)
        console = Console(file=io.StringIO(), width=120)
        for renderable in report.renderables():
            console.print(renderable)
        text = console.file.getvalue()

    assert "人员" in text and "新增" in text
    assert "people" not in text


def test_the_text_blocks_are_jiebas_own():
    """core.text writes jieba's block pattern out so that it loads without jieba; the two
    must stay the same, or search tokens would change."""
    import jieba

    from cityloop.core import text

    assert text._BLOCK.pattern == jieba.re_han_default.pattern
    assert text._BLOCK.flags == jieba.re_han_default.flags
