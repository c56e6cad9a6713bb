"""A topic's 决议 (the resolution its vote passed) and 结果公告 (the result of its lawful vote:
electorate, turnout, the counts for, against and abstaining, the thresholds of Civil Code
art. 278, passed or not) as Word (the master) and PDF, in the shared 公文 layout
(:mod:`cityloop.core.documents`, GB/T 9704-2012): the issuing unit's letterhead or uploaded
template, the 发文字号 from the 发文登记 (``TopicDocument``), the title broken between words,
主送, the body and its tables, 附件说明, the signature kept with the last lines, the 版记.

Ballots are secret: the documents print the frozen counts of ``Vote.result`` only, never a
household, an owner or a choice. One content object feeds both formats, so Word and PDF say
the same thing. The labels of thresholds and choices come from the catalog (``labels``);
the running text is Chinese document text, like a notice's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import translation

from cityloop.core import clock
from cityloop.core import documents as gw
from cityloop.deliberation import queries
from cityloop.deliberation.labels import THRESHOLD_LABELS
from cityloop.deliberation.models import Ballot, Topic, TopicDocument, TopicStep

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
FORMATS = {"docx": DOCX_TYPE, "pdf": PDF_TYPE}
LAW = "《中华人民共和国民法典》第二百七十八条"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


Block = gw.Block


@dataclass(frozen=True)
class TopicDocumentContent:
    kind: str
    frame: gw.Frame
    blocks: tuple[Block, ...]  # the last one is the closing line (特此决议。/ 特此公告。)
    filename: str


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value.astimezone(clock.local_zone()).date()


def _share(part: str, whole: str) -> str:
    """part/whole as a percentage with two decimals (the tally's own shares are used where
    it has them; this is for the meeting's counts)."""
    from decimal import Decimal

    w = Decimal(whole or "0")
    return gw.number_text(Decimal(part or "0") / w * 100, 2) + "%" if w else "0%"


def _meeting_lines(result: dict[str, Any]) -> list[Block]:
    choices = dict(Ballot.Choice.choices)
    votes = result.get("votes", {})
    attendees = str(result.get("attendees", 0))
    yes, no, abstain = (votes.get(c, 0) for c in ("for", "against", "abstain"))
    share = _share(str(yes), attendees)
    return [
        Block(
            text=f"到会{attendees}人，同意{yes}人，反对{no}人，弃权{abstain}人，"
            f"同意人数占到会人数的{share}。"
        ),
        Block(
            columns=("表决意见", "人数"),
            rows=tuple((str(choices[c]), f"{votes.get(c, 0)}人") for c in Ballot.Choice.values),
        ),
    ]


def _owner_lines(result: dict[str, Any]) -> list[Block]:
    choices = dict(Ballot.Choice.choices)
    met = {t["key"]: t for t in result.get("thresholds", [])}
    area, heads = result.get("area", {}), result.get("heads", {})
    pa = met.get("participation_area", {}).get("share", "0")
    ph = met.get("participation_heads", {}).get("share", "0")
    total = (str(result.get("total_area")), str(result.get("total_heads")))
    part = (str(result.get("participating_area")), str(result.get("participating_heads")))
    rows = [("应参与表决", *total), ("参与表决", *part)]
    rows += [(str(choices[c]), area.get(c, "0"), heads.get(c, "0")) for c in Ballot.Choice.values]
    return [
        Block(
            text=f"应参与表决的专有部分面积{total[0]}平方米、业主{total[1]}人；"
            f"参与表决的专有部分面积{part[0]}平方米，占{pa}%，参与表决的业主{part[1]}人，"
            f"占{ph}%。"
        ),
        Block(columns=("项目", "专有部分面积（平方米）", "业主人数（人）"), rows=tuple(rows)),
    ]


def _vote_lines(topic: Topic, result: dict[str, Any]) -> tuple[list[Block], str]:
    """The 表决情况 paragraphs and tables of a closed vote, and one sentence saying whether
    it met the thresholds (the law's for owners, the meeting's majority for residents)."""
    meeting = result.get("rule") == Topic.Rule.MEETING
    blocks = _meeting_lines(result) if meeting else _owner_lines(result)
    rule = "居民会议到会人员过半数同意" if meeting else LAW
    checks = [
        (
            str(THRESHOLD_LABELS.get(t["key"], t["key"])),
            t["need"],
            f"{t['share']}%",
            "达到" if t["met"] else "未达到",
        )
        for t in result.get("thresholds", [])
    ]
    blocks.append(Block("一级标题", "二、法定表决条件"))
    blocks.append(Block(columns=("条件", "要求", "实际", "是否达到"), rows=tuple(checks)))
    passed = bool(result.get("passed"))
    verdict = "均已达到" if passed else "未全部达到"
    outcome = "获得通过" if passed else "未获通过"
    return blocks, f"上述条件{verdict}{rule}规定的要求，表决事项{outcome}。"


def _steps(topic: Topic) -> dict[str, TopicStep]:
    return {s.kind: s for s in topic.steps.all()}


def _resolution_blocks(topic: Topic, vote, steps: dict[str, TopicStep]) -> list[Block]:
    result = vote.result or {}
    talk = steps.get(TopicStep.Kind.DELIBERATE)
    held = talk.held_on if talk and talk.held_on else _day(talk.ended_at if talk else None)
    by = (talk.body if talk and talk.body else "") or "居民议事会"
    scope = vote.scope_label or topic.place.name
    opened, closed = _day(vote.opened_at), _day(vote.closed_at)
    first = f"{chinese_date(held)}，" if held else ""
    blocks = [
        Block(
            text=f"{first}{by}对“{topic.title}”议题（编号{topic.code}）进行了商议，形成表决事项："
            f"“{vote.question}”。"
        ),
        Block(
            text=f"该事项于{chinese_date(opened)}至{chinese_date(closed)}由{scope}依法表决。"
            if opened and closed
            else f"该事项由{scope}依法表决。"
        ),
    ]
    tally_blocks, verdict = _vote_lines(topic, result)
    blocks.append(Block("一级标题", "一、表决情况"))
    blocks += tally_blocks
    blocks.append(Block(text=verdict))
    published = steps.get(TopicStep.Kind.PUBLISH_RESOLUTION)
    proposal = steps.get(TopicStep.Kind.PROPOSE)
    decided = (published.text if published and published.text else "") or (
        proposal.text if proposal and proposal.text else vote.question
    )
    blocks.append(Block("一级标题", "三、决议事项"))
    blocks += [Block(text=line.strip()) for line in decided.splitlines() if line.strip()]
    blocks.append(Block(text="本决议自表决通过之日起生效，请各相关方遵照执行。"))
    blocks.append(Block(text="特此决议。"))
    return blocks


def _result_blocks(topic: Topic, vote) -> list[Block]:
    result = vote.result or {}
    scope = vote.scope_label or topic.place.name
    opened, closed = _day(vote.opened_at), _day(vote.closed_at)
    when = f"于{chinese_date(opened)}至{chinese_date(closed)}" if opened and closed else ""
    ballots = result.get("ballots") or {}
    cast = f"共收到表决票{sum(int(n) for n in ballots.values())}张，" if ballots else ""
    blocks = [
        Block(
            text=f"“{topic.title}”议题的表决事项“{vote.question}”{when}进行表决，表决范围：{scope}。"
            f"{cast}表决以无记名方式进行，现将计票结果公告如下："
        ),
        Block("一级标题", "一、表决情况"),
    ]
    tally_blocks, verdict = _vote_lines(topic, result)
    blocks += tally_blocks
    blocks.append(Block(text=verdict))
    blocks.append(
        Block(text="对本公告有异议的，可在公示期内向社区居民委员会提出，逾期视为无异议。")
    )
    blocks.append(Block(text="特此公告。"))
    return blocks


def content(doc: TopicDocument, **extras: Any) -> TopicDocumentContent:
    """What the issued document ``doc`` says: its number, title and date from the register
    row, the body from the topic and the frozen count of its vote, the frame from the issuing
    unit's letterhead. ``extras``: copy_number, secrecy, attachments (checked by the caller,
    ``core.documents.marks_from``)."""
    from cityloop.core.documents import frame_of

    topic = doc.topic
    vote = queries.vote_of(topic)
    with translation.override("zh-hans"):
        if doc.kind == TopicDocument.Kind.RESOLUTION:
            blocks = _resolution_blocks(topic, vote, _steps(topic))
        else:
            blocks = _result_blocks(topic, vote)
    frame = frame_of(
        doc.issuer,
        reference=doc.reference,
        title=doc.title,
        date=chinese_date(doc.issued_on),
        **extras,
    )
    return TopicDocumentContent(
        kind=doc.kind, frame=frame, blocks=tuple(blocks), filename=filename(doc)
    )


def filename(doc: TopicDocument) -> str:
    """济源路〔2026〕3号关于…的决议 — the number is what the office files it by."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", doc.reference).strip("_") or f"{doc.kind}-{doc.pk}"
    return f"{stem}{doc.title}"[:120]


def to_docx(doc: TopicDocument, **extras: Any) -> bytes:
    """The document through the shared engine (:func:`cityloop.core.documents.compose`)."""
    from cityloop.core.documents import letterhead_template

    c = content(doc, **extras)

    document = gw.compose(
        c.frame, lambda d: gw.blocks_docx(d, c.blocks), template=letterhead_template(doc.issuer)
    )
    document.core_properties.title = f"{doc.reference} {doc.title}"
    document.core_properties.author = c.frame.signature
    return gw.docx_bytes(document)


def to_html(doc: TopicDocument, **extras: Any) -> str:
    c = content(doc, **extras)
    return gw.blocks_html(c.frame, c.blocks)


def to_pdf(doc: TopicDocument, **extras: Any) -> bytes:
    c = content(doc, **extras)
    return gw.blocks_pdf(c.frame, c.blocks, author=doc.issuer.name)


def render(doc: TopicDocument, fmt: str, **extras: Any) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the issued document in ``fmt`` (docx, pdf)."""
    from django.utils.translation import gettext as _

    from cityloop.core.errors import InvalidInput

    if fmt not in FORMATS:
        raise InvalidInput(
            "document_format_invalid", _("The format is docx or pdf."), {"allowed": list(FORMATS)}
        )
    body = to_docx(doc, **extras) if fmt == "docx" else to_pdf(doc, **extras)
    return body, FORMATS[fmt], f"{filename(doc)}.{fmt}"
