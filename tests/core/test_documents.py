"""The shared 公文 layout rules (cityloop.core.documents) on their own: title lines, column
widths, figures with units, a blank document set up to GB/T 9704-2012."""

from __future__ import annotations

import pytest

from cityloop.core import documents as gw
from tests import gongwen


@pytest.mark.parametrize(
    ("title", "lines"),
    [
        ("关于督促城管办加快完成逾期工作的催办函", ["关于督促城管办加快完成逾期工作的催办函"]),
        (
            "关于督促中心路街道办事处城管办加快完成逾期工作的催办函",
            ["关于督促中心路街道办事处城管办", "加快完成逾期工作的催办函"],
        ),
        (
            "关于2020年6月创卫复审百分考核排名情况的通报",
            ["关于2020年6月创卫复审", "百分考核排名情况的通报"],
        ),
    ],
)
def test_titles_break_between_phrases(title, lines):
    got = gw.break_title(title)
    assert got == lines
    assert all(gw.text_width(x) <= gw.TITLE_CHARS_PER_LINE for x in got)
    # never 催/办函, never 催办/函
    assert not any(x.endswith(("催", "催办")) for x in got[:-1])


def test_columns_hold_names_and_never_fall_under_two_characters():
    columns = ["名次", "名称"] + [f"考核项目第{i}项（20）" for i in range(8)] + ["得分"]
    rows = [[1, "三湾街社区"] + ["20"] * 8 + ["98"], [2, "中心路社区"] + ["18"] * 8 + ["96"]]
    widths = gw.column_widths(columns, rows)
    char_mm = gw.SIZE_TABLE / gw.PT_PER_MM
    assert sum(widths) == pytest.approx(gw.TEXT_WIDTH_MM, abs=0.5)
    assert all(w >= 2 * char_mm + gw.CELL_PADDING_MM - 0.1 for w in widths), widths
    assert widths[1] >= 5 * char_mm + gw.CELL_PADDING_MM - 0.1  # 三湾街社区 on one line


@pytest.mark.parametrize(
    ("value", "text"),
    [(6, "6分"), ("92.50", "92.5分"), (88.125, "88.13分"), (0, "0分"), (-0.001, "0分")],
)
def test_scores_carry_their_unit_and_one_rounding_rule(value, text):
    assert gw.score_text(value) == text


def test_percent_and_figures():
    assert gw.percent_text(0.91666) == "91.7%"
    assert gw.figure_text(12, "件") == "12件"
    assert gw.number_text(None) == "—"


def test_a_blank_document_is_set_up_to_the_standard():
    d = gongwen.docx(gw.docx_bytes(gw.new_docx()))
    gongwen.assert_page_setup(d)
    gongwen.assert_styles(d)
    gongwen.assert_page_number_fields(d)
