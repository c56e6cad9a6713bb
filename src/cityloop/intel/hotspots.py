"""Hotspots: many reports of one problem or place in a period, ranked.

Reports are grouped with :func:`cityloop.cases.duplicates.group` (alike text, within the
distance and time windows), and each group of at least ``min_reports`` is a hotspot with

* **heat** = number of reports + ln(1 + residents' support), so one message that a thousand
  residents supported (点赞) weighs like seven or eight separate reports;
* a representative title: the member title most like the others (the group's medoid);
* the place most of its reports name, and the time span from first to last report.

Sources: this deployment's cases (reports in the reader's scope, with their points), or a
message-board export such as 附件3 of the 2020 泰迪杯 (no points: the place named in the text
stands in for distance, see :func:`place_of`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from cityloop.cases import duplicates as dup
from cityloop.core import clock

# What a place looks like in a message: an optional 市/区/县 code (A市A5区) then a name ending
# in a place word. The longest match wins.
_SUFFIX = (
    r"(?:小区|社区|花园|家园|公寓|大厦|广场|新城|新村|村|镇|乡|街道|大道|路|街|巷|学校|中学|小学|"
    r"大学|学院|幼儿园|医院|公司|市场|公园|工地|项目|楼盘|车站|高速|大桥|园区|商城|城)"
)
_PLACE = re.compile(r"(?:[A-Z]\d*[市县区])*[\u4e00-\u9fa5A-Za-z0-9·]{1,12}?" + _SUFFIX)
_MORE = re.compile(_SUFFIX + r"+")  # 魅力之城 + 小区: a place word right after another
_AREA = re.compile(r"[A-Z]\d*[市县区]")
_LEAD = re.compile(
    r"^(?:关于|反映|投诉|举报|咨询|建议|请求|请问|问问|请|强烈|坚决|反对|要求|希望|加快|"
    r"为什么|什么时候|能否|是否|我是|我们|我)+"
)
_TAIL = re.compile(_SUFFIX + r"+$")


def place_of(text: str) -> str:
    """The most specific place the text names (``A市A5区魅力之城小区`` → that), or ''."""
    best = ""
    text = text or ""
    for m in _PLACE.finditer(text):
        more = _MORE.match(text, m.end())
        name = _LEAD.sub("", m.group(0) + (more.group(0) if more else ""))
        # A bare place word (小区, 路) names nothing: at least two characters before it.
        core = _TAIL.sub("", _AREA.sub("", name))
        if len(core) >= 2 and len(name) > len(best):
            best = name
    return best


@dataclass
class Hotspot:
    rank: int
    heat: float
    reports: int
    support: int
    title: str
    place: str
    first: datetime | None
    last: datetime | None
    keys: list = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        if self.first is None or self.last is None:
            return 0
        return (self.last - self.first).days + 1


def heat(reports: int, support: int) -> float:
    return round(reports + math.log1p(max(support, 0)), 2)


def _medoid(members: list[dup.Report]) -> dup.Report:
    """The member whose title is most like the others' (ties: the most supported)."""
    if len(members) <= 2:
        return max(members, key=lambda r: (r.support, -len(r.title or r.text)))
    sample = sorted(members, key=lambda r: -r.support)[:40]
    best, best_score = sample[0], -1.0
    for r in sample:
        score = sum(dup.similarity(r.title or r.text, o.title or o.text) for o in sample)
        if score > best_score:
            best, best_score = r, score
    return best


def hotspots(
    reports: Iterable[dup.Report],
    *,
    metres: float | None = 200.0,
    days: float | None = 90.0,
    min_similarity: float = 0.45,
    min_reports: int = 2,
    top: int = 20,
) -> list[Hotspot]:
    """Group the reports and rank the groups by heat (then by reports, then by support)."""
    groups = dup.group(reports, metres=metres, days=days, min_similarity=min_similarity)
    out = []
    for members in groups:
        if len(members) < min_reports:
            continue
        support = sum(r.support for r in members)
        rep = _medoid(members)
        places = Counter(r.place for r in members if r.place)
        # The representative's own place when it names one, else the one most reports name.
        times = [r.at for r in members if r.at is not None]
        out.append(
            Hotspot(
                rank=0,
                heat=heat(len(members), support),
                reports=len(members),
                support=support,
                title=rep.title or rep.text[:60],
                place=rep.place or (places.most_common(1)[0][0] if places else ""),
                first=min(times) if times else None,
                last=max(times) if times else None,
                keys=[r.key for r in members],
                titles=[r.title for r in members[:10]],
            )
        )
    out.sort(key=lambda h: (-h.heat, -h.reports, -h.support, h.title))
    for i, h in enumerate(out[:top], start=1):
        h.rank = i
    return out[:top]


# --- sources -----------------------------------------------------------------------------------


def _when(value) -> datetime | None:
    """附件3's 留言时间 is a mix of Excel datetimes and strings like "2019/2/28 11:25:05"."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    else:
        text = str(value or "").strip()
        moment = None
        for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local_zone())
    return moment


def _int(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def read_board_xlsx(path: Path) -> Iterator[dup.Report]:
    """Messages of a board export (附件3 layout: 留言编号, 留言主题, 留言时间, 留言详情, 点赞数 …),
    streamed. The title carries the problem; the first lines of the detail help when titles
    are terse."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        col = {name: i for i, name in enumerate(header)}
        need = ("留言主题", "留言时间")
        if any(n not in col for n in need):
            raise ValueError(f"{path.name}: expected columns {need}, found {header}")

        def get(row, name, default=None):
            i = col.get(name)
            return row[i] if i is not None and i < len(row) else default

        for n, row in enumerate(rows, start=2):
            title = re.sub(r"\s+", " ", str(get(row, "留言主题") or "")).strip()
            detail = re.sub(r"\s+", " ", str(get(row, "留言详情") or "")).strip()
            if not title and not detail:
                continue
            yield dup.Report(
                key=get(row, "留言编号") or n,
                text=f"{title} {detail[:80]}",
                at=_when(get(row, "留言时间")),
                support=_int(get(row, "点赞数")),
                title=title,
                place=place_of(title),
                data={"against": _int(get(row, "反对数")), "line": n},
            )
    finally:
        book.close()


def board_hotspots(
    reports: Iterable[dup.Report],
    *,
    days: float | None = 90.0,
    min_similarity: float = 0.45,
    min_reports: int = 2,
    top: int = 20,
) -> list[Hotspot]:
    """Hotspots of a message board without points: reports about different named places are
    kept apart by adding the place to the text that is compared."""
    shaped = []
    for r in reports:
        text = f"{r.place} {r.place} {r.text}" if r.place else r.text
        shaped.append(
            dup.Report(r.key, text, None, None, r.at, r.support, r.title, r.place, r.data)
        )
    return hotspots(
        shaped,
        metres=None,
        days=days,
        min_similarity=min_similarity,
        min_reports=min_reports,
        top=top,
    )


def case_reports(cases) -> list[dup.Report]:
    """Cases (with ``title``, ``description``, ``lng``, ``lat``, ``reported_at``) as reports."""
    out = []
    for c in cases:
        place = c.address or (c.place.name if getattr(c, "place", None) else "")
        out.append(
            dup.Report(
                key=c.pk,
                text=f"{c.title} {c.description}",
                lng=c.lng,
                lat=c.lat,
                at=c.reported_at,
                support=0,  # a case has no "support" count; its merged reports are cases too
                title=c.title,
                place=place,
                data={"code": c.code},
            )
        )
    return out


def period_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    zone = clock.local_zone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=zone)
