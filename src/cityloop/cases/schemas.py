"""API shapes of the case loop: separate input and output schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from cityloop.core.schemas import EventOut


class LimitOut(Schema):
    amount: float
    type: str


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    level: str = ""
    routing: str = ""
    default_unit: dict[str, Any] | None = None
    urgency: str = ""
    time_limits: dict[str, LimitOut] = {}
    keywords: str = ""
    children: list[CategoryOut] = []


class ReportIn(Schema):
    source: Literal[
        "resident", "patrol", "hotline", "desk", "supervision", "steward", "inspection", "media"
    ] = "resident"
    description: str = Field(..., max_length=2000)
    title: str = Field("", max_length=120)
    category_id: int | None = None
    lng: float | None = None
    lat: float | None = None
    address: str = Field("", max_length=200)
    zone_id: int | None = None
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=30)
    reporter_email: str = Field("", max_length=254)
    on_behalf_of: str = Field("", max_length=100)
    external_id: str = Field("", max_length=60)
    photo_ids: list[int] = Field([], max_length=9)
    share_gps: bool = False
    accept: bool = Field(False, description="accept at once when the caller may (desk intake)")


class ActionIn(Schema):
    """Fields of every action; each action reads the ones it needs (see the user guide)."""

    note: str = ""
    reason: str = ""
    result: str = ""
    category_id: int | None = None
    unit_id: int | None = None
    assisting_unit_ids: list[int] = []
    handler_id: int | None = None
    master_id: int | None = None
    passed: bool | None = None
    satisfaction: str = ""
    channel: str = "phone"
    kind: str = ""
    days: float = 0
    approve: bool | None = None
    public: bool = False
    photo_ids: list[int] = Field([], max_length=9)
    public_summary: str = Field(
        "",
        description="accept: what the tracking page and Open311 show (empty: category · "
        "community); at most 200 characters",
    )


class RefOut(Schema):
    id: int
    code: str = ""
    name: str


class PhotoOut(Schema):
    id: int
    step: str
    url: str
    width: int
    height: int


class CaseOut(Schema):
    id: int
    code: str
    status: str
    status_label: str
    source: str
    title: str
    description: str
    public_summary: str = ""
    category: RefOut | None
    main_category: RefOut | None
    level: str
    lng: float | None
    lat: float | None
    address: str
    place: RefOut | None
    road: RefOut | None
    grid: RefOut | None
    dispatcher_unit: RefOut | None
    responsible_unit: RefOut | None
    assisting_units: list[RefOut] = []
    stage: str
    light: str
    warn_at: datetime | None
    due_at: datetime | None
    handle_due_at: datetime | None
    reported_at: datetime
    accepted_at: datetime | None
    dispatched_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    closed_on_time: bool | None
    handling_hours: float | None
    rework_count: int
    reopen_count: int
    escalations: int
    extensions: int
    heat: int
    master_code: str = ""
    satisfaction: str
    result: str
    pending_request: dict[str, Any] = {}
    allowed_actions: list[str] = []
    photos: list[PhotoOut] = []


class CaseRowOut(Schema):
    id: int
    code: str
    status: str
    source: str
    title: str
    category: str
    place: str
    responsible_unit: str
    light: str
    due_at: datetime | None
    reported_at: datetime
    heat: int


class CasePage(Schema):
    """One page of cases; ask for the next with ``after=<next>``."""

    items: list[CaseRowOut]
    count: int = Field(
        description="cases in the list: exact up to 1000, else 1000 with count_is_estimate"
    )
    count_is_estimate: bool = Field(
        False, description='true: there are more than `count` ("1000+"), not counted'
    )
    next: str = Field("", description="cursor for `after=` to read the next page; empty: last")
    limit: int
    offset: int


class CaseEventOut(EventOut):
    public: bool
    photos: list[PhotoOut] = []


class UploadOut(Schema):
    id: int
    width: int
    height: int
    sha256: str
    gps: list[float] | None = None


class DuplicateOut(Schema):
    id: int
    code: str
    title: str
    status: str
    distance_m: float
    similarity: float


class FigureOut(Schema):
    key: str
    value: float | int | None
    numerator: int
    denominator: int
    case_ids: list[int]


class FigureCasesOut(Schema):
    figure: str
    group: str
    ids: list[int]
    next: int | None


class FigureRowOut(Schema):
    group: str
    label: str
    figures: dict[str, FigureOut]


class FiguresOut(Schema):
    since: date
    until: date
    group_by: str | None
    rules: dict[str, str]
    rows: list[FigureRowOut]


CategoryOut.model_rebuild()


class CaseBulkReportIn(Schema):
    """One report of a batch: the fields of a single report (no photos, no ``accept``) and its
    own idempotency key. Lengths are the rules' (a too long text refuses that report only)."""

    source: Literal[
        "resident", "patrol", "hotline", "desk", "supervision", "steward", "inspection", "media"
    ] = "hotline"
    description: str = ""
    title: str = ""
    category_id: int | None = None
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    zone_id: int | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    on_behalf_of: str = ""
    external_id: str = ""
    idempotency_key: str = Field("", description="a repeated key answers the earlier case")


class CaseBulkIn(Schema):
    reports: list[CaseBulkReportIn] = Field(..., min_length=1, max_length=500)


class CaseBulkItemOut(Schema):
    index: int
    outcome: Literal["created", "existing", "refused"]
    id: int | None = None
    code: str = ""
    error: dict[str, Any] | None = None


class CaseBulkOut(Schema):
    created: int
    existing: int
    refused: int
    items: list[CaseBulkItemOut]
