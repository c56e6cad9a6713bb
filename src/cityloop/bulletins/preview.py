"""A letterhead's sample (the letterhead page's 预览): a short notice with sample content —
headings of three levels, a table, a closing line — set in the issuing unit's letterhead
(red header, abbreviation, 主送, 抄送, 署名) and, for Word, filled into its uploaded .docx
template, so the office sees what its documents will look like before it issues one.

The PDF is made by WeasyPrint from the built-in layout with the same letterhead values (an
uploaded .docx shapes the Word file; the PDF never goes through Word). The sample is Chinese
document text (data), not a UI string.
"""

from __future__ import annotations

from cityloop.bulletins.queries import frame_of, letterhead_of, letterhead_template
from cityloop.core import clock
from cityloop.core import documents as gw

SAMPLE_TITLE = "关于做好冬季道路清雪除冰工作的通知（样稿）"


def sample(unit) -> tuple[gw.Frame, tuple[gw.Block, ...]]:
    """The sample's frame (the unit's letterhead, a 发文字号 numbered 1 of this year) and body."""
    day = clock.today()
    date = f"{day.year}年{day.month}月{day.day}日"
    lh = letterhead_of(unit)
    frame = frame_of(
        unit,
        reference=f"{lh.abbreviation}〔{day.year}〕1号",
        title=SAMPLE_TITLE,
        date=date,
        printer=lh.header,
        printed=date,
    )
    blocks = (
        gw.Block(
            text="为确保冬季降雪期间道路通行安全，根据区委、区政府工作部署，现就做好清雪除冰"
            "工作通知如下。"
        ),
        gw.Block("一级标题", "一、明确工作责任"),
        gw.Block("二级标题", "（一）落实路长责任。"),
        gw.Block(
            text="各社区按照“路长制”分工，对辖区主次干道、背街小巷落实清扫责任人，做到雪停路净。"
        ),
        gw.Block("三级标题", "1.重点路段。"),
        gw.Block(text="学校、医院周边及桥梁、坡道等重点路段优先清理，每处安排不少于2人值守。"),
        gw.Block(
            columns=("序号", "责任单位", "值守人数", "完成时限", "路段"),
            rows=(
                ("1", "中心路社区", "4人", "雪停后4小时", "中原中路（桐柏路至嵩山路）"),
                ("2", "三湾街社区", "2人", "雪停后6小时", "三湾街全段"),
            ),
        ),
        gw.Block("一级标题", "二、做好信息报送"),
        gw.Block(text="各单位于每日17时前报送当日清雪人次和出动机械数量。"),
        gw.Block(text="特此通知。"),
    )
    return frame, blocks


def sample_docx(unit) -> bytes:
    frame, blocks = sample(unit)
    document = gw.compose(
        frame, lambda d: gw.blocks_docx(d, blocks), template=letterhead_template(unit)
    )
    document.core_properties.title = SAMPLE_TITLE
    return gw.docx_bytes(document)


def sample_pdf(unit) -> bytes:
    frame, blocks = sample(unit)
    return gw.blocks_pdf(frame, blocks, title=SAMPLE_TITLE, author=unit.name)
