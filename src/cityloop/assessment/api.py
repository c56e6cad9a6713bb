"""Assessment over /api/v1: schemes, periods (run, close), entries, appeals, scores explained
down to the records, and rankings. Errors: ``{code, message, detail}`` with stable codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from cityloop.assessment import periods, queries, services, workflow
from cityloop.core.schemas import ErrorOut
from cityloop.org import queries as org_queries

router = Router(tags=["assessment"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SchemeItemOut(Schema):
    code: str
    name: str
    weight: Decimal
    mode: str
    indicator: str
    rule: dict[str, Any]
    min_volume: int
    standard: str


class SchemeOut(Schema):
    code: str
    version: int
    name: str
    target_kind: str
    period_kind: str
    state: str
    owner: str
    items: list[SchemeItemOut]


class SchemeItemIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=200)
    weight: Decimal = Field(..., gt=0, le=100)
    mode: str = Field("computed", description="computed / entered")
    indicator: str = Field("", description="GET /assessments/indicators")
    rule: dict[str, Any] = Field({}, description="thresholds / linear / deduction")
    min_volume: int = Field(0, ge=0)
    standard: str = Field("", max_length=2000)


class SchemeIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=200)
    target_kind: str = Field(..., description="community / street / unit")
    period_kind: str = Field(..., description="half_month / month / quarter / year")
    owner_unit_id: int = Field(..., description="the assessing unit / 考核单位")
    place_id: int | None = Field(None, description="area assessed; default the unit's place")
    items: list[SchemeItemIn]
    description: str = Field("", max_length=4000)
    praise_top: int = Field(3, ge=0, le=50)
    criticise_bottom: int = Field(2, ge=0, le=50)
    supervision_deductions: bool = True


class RevisionIn(Schema):
    items: list[SchemeItemIn]
    note: str = Field("", max_length=2000)


class PeriodOut(Schema):
    scheme: str
    version: int
    period: str
    label: str
    start: str
    end: str
    state: str


class LineOut(Schema):
    item: str
    name: str
    weight: Decimal
    mode: str
    value: float | None
    volume: int
    min_volume: int
    points: Decimal
    source: str
    explanation: dict[str, Any]


class ScoreOut(Schema):
    id: int
    target: str
    name: str
    total: Decimal
    deducted: Decimal
    rank: int | None
    tied: bool
    ranked: bool
    unranked_reason: str
    previous_rank: int | None
    movement: int | None


class ScoreDetailOut(ScoreOut):
    scheme: str
    period: str
    lines: list[LineOut]
    deductions: list[dict[str, Any]]


class RankingOut(PeriodOut):
    scores: list[ScoreOut]


class EntryIn(Schema):
    target: str
    item: str
    points: Decimal
    evidence: str


class AppealIn(Schema):
    target: str
    item: str
    reason: str


class AppealDecideIn(Schema):
    uphold: bool
    decision: str
    points: Decimal | None = None


class AppealOut(Schema):
    id: int
    target: str
    item: str
    state: str
    reason: str
    points_before: Decimal
    points_after: Decimal | None
    decision: str


def _scheme(s) -> dict[str, Any]:
    return {
        "code": s.code,
        "version": s.version,
        "name": s.name,
        "target_kind": s.target_kind,
        "period_kind": s.period_kind,
        "state": s.state,
        "owner": s.owner.name,
        "items": list(s.items.all()),
    }


def _period(p) -> dict[str, Any]:
    return {
        "scheme": p.code,
        "version": p.scheme.version,
        "period": p.key,
        "label": periods.label(p.scheme.period_kind, p.key),
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "state": p.state,
    }


def _score(s) -> dict[str, Any]:
    return {
        "id": s.pk,
        "target": s.target_key,
        "name": s.label,
        "total": s.total,
        "deducted": s.deducted,
        "rank": s.rank,
        "tied": s.tied,
        "ranked": s.ranked,
        "unranked_reason": s.unranked_reason,
        "previous_rank": s.previous_rank,
        "movement": s.movement,
    }


def _appeal(a) -> dict[str, Any]:
    return {
        "id": a.pk,
        "target": a.target_key,
        "item": a.item.code,
        "state": a.state,
        "reason": a.reason,
        "points_before": a.points_before,
        "points_after": a.points_after,
        "decision": a.decision,
    }


@router.get("/assessments/schemes", response={200: list[SchemeOut], **ERRORS})
def schemes(request: HttpRequest):
    """Assessment schemes the caller may see (every version). 考核方案。"""
    return [_scheme(s) for s in queries.visible_schemes(request.auth)]


def _items(items: list[SchemeItemIn]) -> list[services.ItemInput]:
    return [services.ItemInput(**i.dict()) for i in items]


@router.post("/assessments/schemes", response={201: SchemeOut, **ERRORS})
def define_scheme(request: HttpRequest, payload: SchemeIn):
    """Define a new scheme (version 1, draft): items weighted to exactly 100, each computed
    through a named indicator and rule or entered by an assessor. 新建考核方案。"""
    actor = request.auth
    scheme = workflow.define_scheme(
        actor=actor,
        code=payload.code,
        name=payload.name,
        target_kind=payload.target_kind,
        period_kind=payload.period_kind,
        owner=org_queries.unit_get(actor, unit_id=payload.owner_unit_id),
        place=org_queries.place_get(actor, place_id=payload.place_id) if payload.place_id else None,
        items=_items(payload.items),
        description=payload.description,
        praise_top=payload.praise_top,
        criticise_bottom=payload.criticise_bottom,
        supervision_deductions=payload.supervision_deductions,
    )
    return Status(201, _scheme(scheme))


@router.post("/assessments/schemes/{code}/versions", response={201: SchemeOut, **ERRORS})
def revise_scheme(request: HttpRequest, code: str, payload: RevisionIn):
    """A new draft version with new items; computed periods keep theirs. 修订考核方案。"""
    scheme = workflow.revise_scheme(
        actor=request.auth, code=code, items=_items(payload.items), note=payload.note
    )
    return Status(201, _scheme(scheme))


@router.post(
    "/assessments/schemes/{code}/versions/{version}/activate",
    response={200: SchemeOut, **ERRORS},
)
def activate_scheme(request: HttpRequest, code: str, version: int):
    """Put a draft version in force; the one in force retires. 启用方案版本。"""
    return _scheme(workflow.activate_scheme(actor=request.auth, code=code, version=version))


@router.get("/assessments/indicators", response={200: list[dict[str, str]], **ERRORS})
def indicator_list(request: HttpRequest):
    """The named indicators a computed item may use, with how each is counted. 考核指标。"""
    return queries.indicator_catalogue()


@router.get("/assessments", response={200: list[PeriodOut], **ERRORS})
def assessment_periods(request: HttpRequest, scheme: str):
    """The computed periods of a scheme, newest first. 考核期列表。"""
    return [_period(p) for p in queries.periods_of(request.auth, scheme)]


@router.post(
    "/assessments/{scheme}/periods/{period}/actions/run", response={200: RankingOut, **ERRORS}
)
def run(request: HttpRequest, scheme: str, period: str):
    """Compute (or recompute) every target of the period; a closed period answers 409
    ``assessment_period_closed``. 计算考核。"""
    workflow.run_period(actor=request.auth, code=scheme, key=period)
    return _ranking(request, scheme, period)


@router.post(
    "/assessments/{scheme}/periods/{period}/actions/close", response={200: PeriodOut, **ERRORS}
)
def close(request: HttpRequest, scheme: str, period: str):
    """Freeze the period. 关闭（冻结）考核期。"""
    return _period(workflow.close_period(actor=request.auth, code=scheme, key=period))


@router.post("/assessments/{scheme}/periods/{period}/entries", response={200: ScoreOut, **ERRORS})
def enter(request: HttpRequest, scheme: str, period: str, payload: EntryIn):
    """An assessor's points for an entered item, with evidence. 录入人工考核项目得分。"""
    p = workflow.enter_points(
        actor=request.auth,
        code=scheme,
        key=period,
        target_key=payload.target,
        item_code=payload.item,
        points=payload.points,
        evidence=payload.evidence,
    )
    return _score(p.scores.get(target_key=payload.target))


@router.post("/assessments/{scheme}/periods/{period}/appeals", response={200: AppealOut, **ERRORS})
def appeal(request: HttpRequest, scheme: str, period: str, payload: AppealIn):
    """申诉: the target's staff dispute one item."""
    return _appeal(
        workflow.lodge_appeal(
            actor=request.auth,
            code=scheme,
            key=period,
            target_key=payload.target,
            item_code=payload.item,
            reason=payload.reason,
        )
    )


@router.post("/assessments/appeals/{appeal_id}/actions/decide", response={200: AppealOut, **ERRORS})
def decide(request: HttpRequest, appeal_id: int, payload: AppealDecideIn):
    """Uphold (with corrected points: the period is re-scored) or dismiss. 处理申诉。"""
    return _appeal(
        workflow.decide_appeal(
            actor=request.auth,
            appeal_id=appeal_id,
            uphold=payload.uphold,
            decision=payload.decision,
            points=payload.points,
        )
    )


@router.get("/assessments/scores/{score_id}", response={200: ScoreDetailOut, **ERRORS})
def score(request: HttpRequest, score_id: int):
    """One target's score with every item explained down to the records. 得分明细。"""
    s = queries.score_get(request.auth, score_id)
    return {
        **_score(s),
        "scheme": s.period.code,
        "period": s.period.key,
        "lines": queries.explain(s, request.auth),
        "deductions": [
            {
                "points": str(d.points),
                "reason": d.reason,
                "source": d.source_kind,
                "source_id": d.source_id,
            }
            for d in s.deductions.all()
        ],
    }


def _ranking(request, scheme: str, period: str) -> dict[str, Any]:
    r = queries.ranking(request.auth, scheme, period)
    return {**_period(r.period), "scores": [_score(x.score) for x in r.rows]}


@router.get("/rankings", response={200: RankingOut, **ERRORS})
def rankings(request: HttpRequest, scheme: str, period: str):
    """The ranking of a period: ranked targets first (ties share a rank), then those below
    the minimum volume; movement against the previous period. 排名。"""
    return _ranking(request, scheme, period)
