"""Bulletins over /api/v1: series, issues (files downloadable as .docx, PDF or HTML),
submissions and their review, compiling, generated items, publishing, notices, and the
letterheads of the issuing units (read and set, as on the letterhead page)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from cityloop.bulletins import document, notices, queries, render, services, workflow
from cityloop.bulletins.actions import ISSUES, SUBMISSIONS
from cityloop.core import openapi
from cityloop.core.downloads import attachment
from cityloop.core.schemas import ErrorOut
from cityloop.org.models import Unit

router = Router(tags=["bulletins"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SeriesOut(Schema):
    code: str
    title: str
    issuer: str
    send_to: str
    distribute_to: str
    editors: str


class BulletinItemOut(Schema):
    title: str
    body: str
    unit: str
    short: bool
    generated: bool
    table: dict[str, Any]
    sources: dict[str, Any]


class IssueOut(Schema):
    id: int
    series: str
    year: int
    number: int
    date: date
    state: str
    send_to: str
    distribute_to: str
    editors: str
    files: dict[str, str]


class IssueDetailOut(IssueOut):
    items: list[BulletinItemOut]


class IssueIn(Schema):
    series: str
    date: date
    number: int | None = None


class SubmissionIn(Schema):
    series: str
    unit: str
    title: str = ""
    body: str
    byline: str = ""
    short: bool = False
    unit_label: str = ""


class ReviewIn(Schema):
    note: str = ""
    title: str | None = None
    body: str | None = None
    short: bool | None = None


class SubmissionOut(Schema):
    id: int
    series: str
    unit: str
    title: str
    body: str
    short: bool
    state: str
    final_title: str
    final_body: str
    review_note: str


class GeneratedIn(Schema):
    generator: str
    params: dict[str, Any] = {}
    unit_label: str = ""


def _files(issue) -> dict[str, str]:
    base = f"/api/v1/bulletins/issues/{issue.pk}/file"
    return {fmt: f"{base}?format={fmt}" for fmt in render.FORMATS}


def _issue(issue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "series": issue.series.code,
        "year": issue.year,
        "number": issue.number,
        "date": issue.date,
        "state": issue.state,
        "send_to": issue.send_to,
        "distribute_to": issue.distribute_to,
        "editors": issue.editors,
        "files": _files(issue),
    }


def _sub(s) -> dict[str, Any]:
    return {
        "id": s.pk,
        "series": s.series.code,
        "unit": s.unit_label,
        "title": s.title,
        "body": s.body,
        "short": s.short,
        "state": s.state,
        "final_title": s.final_title,
        "final_body": s.final_body,
        "review_note": s.review_note,
    }


@router.get("/bulletins/series", response={200: list[SeriesOut], **ERRORS})
def series_list(request: HttpRequest):
    """Bulletin series. 刊物。"""
    return [
        {
            "code": s.code,
            "title": s.title,
            "issuer": s.issuer_name,
            "send_to": s.send_to,
            "distribute_to": s.distribute_to,
            "editors": s.editors,
        }
        for s in queries.visible_series(request.auth)
    ]


@router.get("/bulletins", response={200: list[IssueOut], **ERRORS})
def issues(request: HttpRequest, series: str = ""):
    """Issues the caller may see (published ones; drafts for editors). 刊物期次。"""
    qs = queries.visible_issues(request.auth).order_by("-year", "-number")
    if series:
        qs = qs.filter(series__code=series)
    return [_issue(i) for i in qs[:200]]


@router.post("/bulletins", response={200: IssueOut, **ERRORS})
def issue_create(request: HttpRequest, payload: IssueIn):
    """A new draft issue (numbered per year unless a number is given). 新建一期。"""
    return _issue(
        workflow.new_issue(
            actor=request.auth, series_code=payload.series, day=payload.date, number=payload.number
        )
    )


@router.get("/bulletins/issues/{issue_id}", response={200: IssueDetailOut, **ERRORS})
def issue_detail(request: HttpRequest, issue_id: int):
    """An issue with its items (generated items computed live while a draft). 一期详情。"""
    issue = queries.issue_get(request.auth, issue_id)
    doc = document.from_issue(issue)
    items = [
        {
            "title": i.title,
            "body": i.body,
            "unit": i.unit_label,
            "short": i.short,
            "generated": i.generated,
            "table": i.table,
            "sources": i.sources,
        }
        for i in doc.items
    ]
    return {**_issue(issue), "items": items}


@router.get("/bulletins/issues/{issue_id}/file", response={200: None, **ERRORS})
def issue_file(request: HttpRequest, issue_id: int, format: str = "docx"):
    """The issue as a file: ``format`` = docx, pdf or html. 下载 Word/PDF。"""
    issue = queries.issue_get(request.auth, issue_id)
    body, ctype, name = render.render(
        document.from_issue(issue), format, template=issue.series.docx_template
    )
    return attachment(body, ctype, name)


@router.post("/bulletins/issues/{issue_id}/actions/compile", response={200: IssueOut, **ERRORS})
def issue_compile(request: HttpRequest, issue_id: int):
    """Place every accepted item not yet used. 组稿。"""
    return _issue(workflow.compile_issue(actor=request.auth, issue_id=issue_id))


@router.post("/bulletins/issues/{issue_id}/actions/publish", response={200: IssueOut, **ERRORS})
def issue_publish(request: HttpRequest, issue_id: int):
    """Freeze the generated figures and publish. 印发。"""
    return _issue(workflow.publish(actor=request.auth, issue_id=issue_id))


@router.post("/bulletins/issues/{issue_id}/generated", response={200: IssueOut, **ERRORS})
def issue_generated(request: HttpRequest, issue_id: int, payload: GeneratedIn):
    """Add a generated item (case_figures, board, supervision_summary, ranking,
    submissions). 添加自动生成信息。"""
    item = workflow.add_generated(
        actor=request.auth,
        issue_id=issue_id,
        generator=payload.generator,
        params=payload.params,
        unit_label=payload.unit_label,
    )
    return _issue(item.issue)


@router.post("/bulletins/submissions", response={200: SubmissionOut, **ERRORS})
def submit(request: HttpRequest, payload: SubmissionIn):
    """A unit submits an item (信息报送). 报送信息。"""
    from cityloop.core.errors import NotFound

    unit = Unit.objects.filter(code=payload.unit).first()
    if unit is None:
        raise NotFound("unit_not_found", "unit")
    return _sub(
        workflow.submit(
            actor=request.auth,
            series_code=payload.series,
            unit=unit,
            body=payload.body,
            title=payload.title,
            byline=payload.byline,
            short=payload.short,
            unit_label=payload.unit_label,
        )
    )


@router.post(
    "/bulletins/submissions/{submission_id}/actions/{action}",
    response={200: SubmissionOut, **ERRORS},
)
def review(request: HttpRequest, submission_id: int, action: str, payload: ReviewIn):
    """Editors: ``accept``, ``edit`` (with title/body) or ``reject`` (with a note). 审核。"""
    return _sub(
        workflow.review(
            actor=request.auth,
            submission_id=submission_id,
            action=action,
            note=payload.note,
            title=payload.title,
            body=payload.body,
            short=payload.short,
        )
    )


@router.get("/bulletins/notices/file", response={200: None, **ERRORS})
def notice_file(
    request: HttpRequest, kind: str, period: str, scheme: str = "", format: str = "docx"
):
    """A periodic notice (half_month, monthly, weekly_supervision, monthly_scheduling,
    quarterly_notice) as a file. 通报下载。"""
    doc = notices.notice(kind, period, scheme=scheme or None, actor=request.auth)
    body, ctype, name = render.render(doc, format)
    return attachment(body, ctype, name)


# --- letterheads ---------------------------------------------------------------------------------


class LetterheadIn(Schema):
    """The letterhead fields of an issuing unit; each replaces the stored value (an empty or
    missing field: the unit's own name is printed). The Word template is set on the page."""

    header: str = ""
    abbreviation: str = ""
    send_to: str = ""
    copy_to: str = ""
    signature: str = ""


class LetterheadPrinted(Schema):
    header: str
    abbreviation: str
    send_to: str
    copy_to: str
    signature: str


class LetterheadOut(LetterheadIn):
    unit_id: int
    unit: str
    template_name: str
    template_sha256: str
    printed: LetterheadPrinted


def _letterhead(unit) -> dict[str, Any]:
    row = queries.letterhead_row(unit)
    stored = {f: getattr(row, f) if row else "" for f in services.LETTERHEAD_FIELDS}
    lh = queries.letterhead_of(unit)
    return {
        **stored,
        "unit_id": unit.pk,
        "unit": unit.name,
        "template_name": row.template_name if row else "",
        "template_sha256": row.template_sha256 if row else "",
        "printed": {
            f: getattr(lh, f) for f in ("header", "abbreviation", "send_to", "copy_to", "signature")
        },
    }


LETTERHEAD_NOTES = (
    "错误码：`letterhead_unit_not_found`（404，本人不能设置该单位的版头，含其他街道的单位）、"
    "`letterhead_too_long`（422，某项超过长度）、`invalid_input`（422，请求体格式不对）。"
)


@router.get(
    "/bulletins/letterheads",
    response={200: list[LetterheadOut], **ERRORS},
    summary="发文单位版头列表",
)
def letterheads(request: HttpRequest):
    """The letterheads the caller may set: its own issuing units (发文单位版头). `printed`
    is what the documents print (an empty field falls back to the unit's names)."""
    return [_letterhead(u) for u in queries.letterhead_units(request.auth)]


@router.get(
    "/bulletins/letterheads/{unit_id}",
    response={200: LetterheadOut, **ERRORS},
    summary="读取发文单位版头",
    description="One issuing unit's letterhead: the stored fields and what is printed. "
    + LETTERHEAD_NOTES,
)
def letterhead_get(request: HttpRequest, unit_id: int):
    return _letterhead(queries.letterhead_unit(request.auth, unit_id))


@router.put(
    "/bulletins/letterheads/{unit_id}",
    response={200: LetterheadOut, **ERRORS},
    summary="设置发文单位版头",
    description="Set the red header (发文机关标志), the abbreviation of the 发文字号, the default "
    "主送 and 抄送 and the name signed as; every field is replaced (empty: the unit's own "
    "name). The uploaded Word template is kept. " + LETTERHEAD_NOTES,
)
def letterhead_put(request: HttpRequest, unit_id: int, payload: LetterheadIn):
    unit = queries.letterhead_unit(request.auth, unit_id)
    services.letterhead_save(actor=request.auth, unit_id=unit.pk, values=payload.dict())
    return _letterhead(unit)


@openapi.amend
def _describe_actions(schema: dict[str, Any]) -> None:
    """The issue detail and the review path name their actions (label, part, input shape),
    from the registries."""
    for path, method, registry in (
        ("/bulletins/issues/{issue_id}", "get", ISSUES),
        ("/bulletins/submissions/{submission_id}/actions/{action}", "post", SUBMISSIONS),
    ):
        op = openapi.operation(schema, path, method)
        if op is None:
            continue
        base = (op.get("description") or "").split("\n\n操作：")[0]
        op["description"] = f"{base}\n\n操作：\n\n{registry.openapi_description()}"
