"""Near-duplicates (MinHash/LSH + similarity + distance/time windows) and hotspots, on
hand-made reports; one run over the first rows of the real 附件3 board export."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cityloop.cases import duplicates as dup
from cityloop.intel import hotspots as hot
from tests.intel.conftest import govmsg

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
M = 1 / 111_320  # degrees of latitude per metre
LNG, LAT = 113.2612, 34.7812


def r(key, text, metres_north=0.0, hours=0.0, support=0, title="", place=""):
    return dup.Report(
        key,
        text,
        LNG,
        LAT + metres_north * M,
        T0 + timedelta(hours=hours),
        support,
        title or text[:20],
        place,
    )


def keys(groups):
    return sorted(sorted(str(x.key) for x in g) for g in groups)


def test_same_text_20_m_apart_groups_together_different_problems_do_not():
    reports = [
        r("a", "06小区3号楼门口乱堆物堆料，堵住了消防通道"),
        r("b", "06小区3号楼门口乱堆物堆料，堵住消防通道", metres_north=20, hours=3),
        r("c", "小区门口路灯不亮，晚上一片漆黑", metres_north=10),
        r("d", "楼下烧烤店夜里噪音扰民，睡不着", metres_north=15),
    ]
    groups = dup.group(reports, metres=50, days=7, min_similarity=0.45)
    assert keys(groups) == [["a", "b"], ["c"], ["d"]]


def test_the_same_text_far_away_or_long_after_is_another_problem():
    text = "06小区3号楼门口乱堆物堆料，堵住了消防通道"
    reports = [r("a", text), r("far", text, metres_north=500), r("late", text, hours=24 * 30)]
    groups = dup.group(reports, metres=50, days=7, min_similarity=0.45)
    assert keys(groups) == [["a"], ["far"], ["late"]]


def test_similarity_orders_retellings_above_other_problems():
    a = "06小区3号楼门口乱堆物堆料，堵住了消防通道"
    assert dup.similarity(a, a) == 1.0
    retold = dup.similarity(a, "3号楼门口堆了很多杂物，消防通道被堵住了，请处理")
    other = dup.similarity(a, "小区门口路灯不亮，晚上一片漆黑")
    assert retold > 0.45 > other
    assert dup.similarity("", a) == 0.0


def test_lsh_finds_candidates_without_comparing_everything():
    index = dup.DuplicateIndex()
    index.add(dup.Report(1, "06小区3号楼门口乱堆物堆料，堵住了消防通道"))
    for i in range(200):
        index.add(
            dup.Report(100 + i, f"第{i}号 道路 编号{i * 7919} 的 井盖 丢失 告警 {chr(0x4E00 + i)}")
        )
    found = [x.key for x in index.candidates("06小区3号楼门口乱堆物堆料，消防通道堵住了")]
    assert 1 in found and len(found) < 20
    ranked = dup.rank(
        "06小区3号楼门口乱堆物堆料，消防通道堵住了",
        [(1, "06小区3号楼门口乱堆物堆料，堵住了消防通道")]
        + [(100 + i, f"路灯{i}不亮 第{i}盏") for i in range(80)],
        min_similarity=0.45,
    )
    assert [k for k, _s in ranked] == [1]


def test_hotspots_rank_by_reports_and_support_with_representative_title_and_span():
    reports = [
        r(1, "济源路井盖丢失，晚上很危险", hours=0, place="济源路"),
        r(2, "济源路上井盖丢失了，很危险", metres_north=30, hours=5, place="济源路"),
        r(3, "济源路井盖丢失，危险！", metres_north=10, hours=30, place="济源路"),
        r(4, "06小区路灯不亮", metres_north=1000, hours=1, support=0, place="06小区"),
        r(5, "06小区路灯不亮了", metres_north=1010, hours=2, support=400, place="06小区"),
        r(6, "一件只有一次的事", metres_north=3000),
    ]
    found = hot.hotspots(reports, metres=200, days=30, min_similarity=0.45, top=5)
    assert [sorted(h.keys) for h in found] == [[4, 5], [1, 2, 3]]  # 2 + ln(401) > 3
    top, second = found
    assert (top.rank, top.reports, top.support, top.place) == (1, 2, 400, "06小区")
    assert top.heat == pytest.approx(2 + 5.994, abs=0.01)
    assert second.title in {x.title for x in reports[:3]}
    assert (second.first, second.last, second.days) == (T0, T0 + timedelta(hours=30), 2)


def test_place_of_finds_the_most_specific_place():
    assert hot.place_of("A市A5区魅力之城小区临街门面油烟扰民") == "A市A5区魅力之城小区"
    assert hot.place_of("投诉A2区丽发新城附近搅拌站噪音") == "A2区丽发新城"
    assert hot.place_of("没有地方") == ""


def test_board_export_parses_dirty_dates_and_groups(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"])
    sheet.append(
        [
            1,
            "u1",
            "A3区青青家园小区公共通道被架了烟道",
            "2019/4/22 10:01:02",
            "\n\t\t\t\t\t通道被烟道占了",
            0,
            5,
        ]
    )
    sheet.append(
        [
            2,
            "u2",
            "A3区青青家园小区公共通道破墙架烟道",
            datetime(2019, 4, 25, 8, 0),
            "消防隐患",
            1,
            3,
        ]
    )
    sheet.append([3, "u3", "A7县星沙中贸城拖欠购房资金", "2019/5/1 9:00:00", "不退钱", 0, 0])
    sheet.append([4, "u4", "", "bad date", "", 0, 0])  # empty: skipped
    path = tmp_path / "board.xlsx"
    book.save(path)
    reports = list(hot.read_board_xlsx(path))
    assert [x.key for x in reports] == [1, 2, 3]
    assert reports[0].at == datetime(2019, 4, 22, 10, 1, 2, tzinfo=SH)
    assert reports[1].at.tzinfo is not None and reports[0].support == 5
    found = hot.board_hotspots(reports, top=5)
    assert len(found) == 1 and sorted(found[0].keys) == [1, 2]
    assert found[0].place == "A3区青青家园小区" and found[0].support == 8


def test_real_board_export_lists_top_groups_with_titles():
    """附件3 (first 1,200 messages, to stay quick): groups come out ranked with titles."""
    reports = list(hot.read_board_xlsx(govmsg("tipdm2020c/fj3_hot_issues.xlsx")))
    assert len(reports) == 4326
    assert all(x.at is not None for x in reports)  # both date forms parsed
    found = hot.board_hotspots(reports[:1200], top=5)
    assert len(found) == 5
    assert [h.rank for h in found] == [1, 2, 3, 4, 5]
    assert all(h.reports >= 2 and h.title for h in found)
    assert [h.heat for h in found] == sorted((h.heat for h in found), reverse=True)
