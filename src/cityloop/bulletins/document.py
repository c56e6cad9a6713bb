"""The one document model every output (HTML page, .docx, PDF) is rendered from.

An issue becomes a :class:`Document`: the series title (printed in red), 第 N 期, the
issuing office and date, the items (title, body, the contributing unit in brackets, △ for
short items, tables and charts), the 本期送 / 发 lists and the editors. A notice (通报)
is the same model with a heading and sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from cityloop.bulletins import generators
from cityloop.bulletins.models import Issue, IssueItem
from cityloop.bulletins.queries import frame_of, items_of
from cityloop.core import documents as gw


@dataclass
class DocItem:
    title: str = ""
    body: str = ""
    unit_label: str = ""
    short: bool = False
    byline: str = ""
    table: dict[str, Any] = field(default_factory=dict)
    chart: dict[str, Any] = field(default_factory=dict)
    generated: bool = False
    heading: str = ""  # a section heading printed before the item (一、表扬 …)
    sources: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    kind: str  # bulletin / notice
    series_title: str
    number_label: str  # 第 46 期
    issuer: str
    date: date
    items: list[DocItem]
    heading: str = ""  # a notice's title: 关于……的通报
    send_to: str = ""
    distribute_to: str = ""
    editors: str = ""
    filename: str = "document"
    signature: str = ""  # a notice's closing signature line
    reference: str = ""  # a notice's 发文字号: 上街办〔2026〕3号
    register_key: str = ""  # the notice's entry in the 发文登记 (monthly:CW:2020-06)
    # The 公文 elements every kind shares (core.documents.Frame), from the issuing unit's
    # letterhead unless the record says otherwise: 主送 under a notice's title, 抄送 in the
    # 版记, and the optional 份号, 密级 and 附件说明.
    addressee: str = ""
    copy_to: str = ""
    copy_number: str = ""
    secrecy: str = ""
    attachments: tuple[str, ...] = ()
    issuer_unit: Any = None  # the org.Unit whose letterhead and template apply

    def frame(self) -> gw.Frame:
        return gw.Frame(
            masthead=self.issuer,
            reference=self.reference,
            title=self.heading,
            send_to=self.addressee,
            copy_to=self.copy_to,
            signature=self.signature,
            date=self.signed_date_label if self.signature else "",
            copy_number=self.copy_number,
            secrecy=self.secrecy,
            attachments=tuple(self.attachments),
        )

    @property
    def date_label(self) -> str:
        return f"{self.date.year} 年 {self.date.month} 月 {self.date.day} 日"

    @property
    def signed_date_label(self) -> str:
        """成文日期 under the signature: Arabic numerals, no spaces (GB/T 9704-2012 7.3.5)."""
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"


def number_label(number: int) -> str:
    return _("No. %(n)s") % {"n": number}


def item_content(item: IssueItem, as_of: date) -> DocItem:
    """A placed item as printed: stored text, or for a generated item of a draft, the live
    figures (frozen into the row at publication)."""
    if item.kind == IssueItem.Kind.GENERATED and item.issue.state == Issue.State.DRAFT:
        g = generators.run(item.generator, item.params, as_of)
        return DocItem(
            title=g.title,
            body=g.body,
            unit_label=item.unit_label,
            short=item.short,
            table=g.table,
            chart=g.chart,
            generated=True,
            sources=g.sources,
            figures=g.figures,
        )
    return DocItem(
        title=item.title,
        body=item.body,
        unit_label=item.unit_label,
        short=item.short,
        byline=item.submission.byline if item.submission_id else "",
        table=item.table,
        chart=item.chart,
        generated=item.kind == IssueItem.Kind.GENERATED,
        sources=item.sources,
    )


def from_issue(issue: Issue) -> Document:
    series = issue.series
    items = [item_content(i, issue.date) for i in items_of(issue)]
    # The issue's own 本期送 first, else the issuing unit's default 主送; 抄送 from the
    # letterhead (a bulletin has no 主送 line under a title: its 本期送 is in the 版记).
    f = frame_of(series.issuer, masthead=series.issuer_name, send_to=issue.send_to)
    return Document(
        kind="bulletin",
        series_title=series.title,
        number_label=number_label(issue.number),
        issuer=f.masthead,
        date=issue.date,
        items=items,
        send_to=f.send_to,
        distribute_to=issue.distribute_to,
        editors=issue.editors,
        copy_to=f.copy_to,
        issuer_unit=series.issuer,
        filename=f"{series.title}{issue.year}年第{issue.number}期",
    )
