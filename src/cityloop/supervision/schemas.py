"""API shapes of supervision: separate input and output schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from cityloop.core.schemas import EventOut


class TaskRef(Schema):
    id: int
    code: str = ""
    name: str


class ReasonOut(Schema):
    code: str
    colour: str
    text: str
    data: dict[str, Any] = {}


class MilestoneOut(Schema):
    id: int
    title: str
    due: date
    planned_percent: float | None = None
    duration_days: int | None = None
    done_on: date | None = None


class TaskRowOut(Schema):
    id: int
    code: str
    title: str
    kind: str
    category: str
    level: str
    responsible_unit: TaskRef
    leader: TaskRef | None = None
    deadline: date
    state: str
    progress: float | None = None
    light: str = Field(description="red / yellow / blue, or done_early / done_on_time / done_late")
    reasons: list[ReasonOut]


class TaskPage(Schema):
    items: list[TaskRowOut]
    count: int
    limit: int
    offset: int
    as_of: date


class ExplanationOut(Schema):
    id: int
    state: str
    opened_at: datetime
    due_at: datetime
    text: str = ""
    answered_at: datetime | None = None


class TaskOut(TaskRowOut):
    annual_goal: str
    indicator_name: str = ""
    indicator_unit: str = ""
    target_value: float | None = None
    current_value: float | None = None
    progress_text: str = ""
    last_report_on: date | None = None
    start: date
    done_on: date | None = None
    report_cadence: str
    supervising_unit: TaskRef | None = None
    assisting_units: list[TaskRef] = []
    parent: TaskRef | None = None
    children: list[TaskRef] = []
    milestones: list[MilestoneOut] = []
    explanation: ExplanationOut | None = None
    allowed_actions: list[str] = []


class TaskIn(Schema):
    code: str = Field(..., max_length=40)
    title: str = Field(..., max_length=200)
    kind: str = Field("key_work", description="task kind code / 任务类型代码")
    category: str = Field(..., description="task category code / 任务类别代码")
    level: Literal["province", "city", "district", "street"] = "street"
    responsible_unit: str = Field(..., description="unit code / 责任单位代码")
    supervising_unit: str = ""
    assisting_units: list[str] = []
    leader: str = Field("", description="person code of the leader in charge / 分管领导人员代码")
    parent: str = Field("", description="parent task code / 上级任务代码")
    start: date
    deadline: date
    annual_goal: str = Field("", max_length=4000)
    indicator_name: str = Field("", max_length=60)
    indicator_unit: str = Field("", max_length=20)
    target_value: float | None = None
    report_cadence: Literal["daily", "weekly", "biweekly", "monthly"] = "weekly"


class ProgressIn(Schema):
    text: str = Field(..., max_length=4000)
    percent: float | None = Field(None, ge=0, le=100)
    value: float | None = Field(None, ge=0)
    on: date | None = None
    photo_ids: list[int] = Field([], description="ids from POST /uploads / 先上传照片得到的 id")


class ProgressOut(Schema):
    on: date
    percent: float | None = None
    value: float | None = None
    text: str
    by: str = ""
    attachments: list[Any] = []


class StepIn(Schema):
    title: str = Field(..., max_length=200)
    duration_days: int = Field(..., ge=1, le=400)


class MilestoneIn(Schema):
    title: str = Field(..., max_length=200)
    due: date
    planned_percent: float | None = Field(None, ge=0, le=100)


class PlanIn(Schema):
    steps: list[StepIn] = Field(
        [], description="scheduled backwards from the deadline / 倒排工期：按工作日倒推"
    )
    milestones: list[MilestoneIn] = []


class DoneIn(Schema):
    done_on: date | None = None
    note: str = Field("", max_length=4000)


class TextIn(Schema):
    text: str = Field(..., max_length=4000)


class TaskActionIn(Schema):
    """The body of a plain task action (its input shape is a note or a reason)."""

    note: str = Field("", max_length=4000)
    reason: str = Field("", max_length=300)


class RectificationReportIn(TextIn):
    photo_ids: list[int] = Field([], description="ids from POST /uploads / 先上传照片得到的 id")


class TaskEventOut(EventOut):
    pass


class CountsOut(Schema):
    name: str
    counts: dict[str, int]


class BoardOut(Schema):
    as_of: date
    year: int | None = None
    total: int
    counts: dict[str, int]
    by_unit: list[CountsOut]
    by_category: list[CountsOut]
    by_leader: list[CountsOut]
    sentence: str = Field(description="截至目前,共有红色预警…项、黄色预警…项、蓝色预警…项")
    done_sentence: str


class SummaryOut(Schema):
    kind: str
    start: date
    end: date
    counts: dict[str, int]
    previous_counts: dict[str, int]
    sentence: str
    done_sentence: str
    turned_red: list[dict[str, Any]]
    finished: list[dict[str, Any]]
    findings_opened: int
    rectifications_closed: int
    letters_sent: int


class InspectionIn(Schema):
    code: str = Field("", max_length=40, description="empty: numbered per unit and year")
    kind: Literal["routine", "special", "key", "follow_up"]
    cadence: Literal["daily", "weekly", "biweekly", "monthly"] = "weekly"
    on: date
    subject: str = Field(..., max_length=200)
    team: str = Field(..., max_length=100)
    unit_id: int = Field(..., description="inspecting unit / 督查单位")
    task_ids: list[int] = []
    place_ids: list[int] = []
    unit_ids: list[int] = []
    follows_id: int | None = None
    summary: str = Field("", max_length=4000)


class PlanStepIn(Schema):
    title: str = Field(..., max_length=200)
    due: date


class FindingIn(Schema):
    kind: str = Field(..., max_length=60, description="kind of problem / 问题类型")
    description: str = Field(..., max_length=4000)
    unit_id: int = Field(..., description="responsible unit / 整改责任单位")
    mode: Literal["immediate", "deadline", "plan"]
    due: date | None = None
    plan: str = Field("", max_length=4000)
    plan_steps: list[PlanStepIn] = []
    severity: Literal["minor", "general", "serious"] = "general"
    is_problem: bool = True
    task_id: int | None = None
    place_id: int | None = None
    photo_ids: list[int] = Field([], description="ids from POST /uploads / 先上传照片得到的 id")


class RectificationOut(Schema):
    id: int
    mode: str
    state: str
    due: date
    plan: str = ""
    report: str = ""
    failed_reinspections: int
    opened_at: datetime
    closed_at: datetime | None = None
    unit: TaskRef
    age_days: int | None = None
    overdue_days: int | None = None
    finding: dict[str, Any]
    milestones: list[MilestoneOut] = []


class FindingOut(Schema):
    id: int
    kind: str
    description: str
    severity: str
    is_problem: bool
    unit: TaskRef
    task: TaskRef | None = None
    place: TaskRef | None = None
    found_at: datetime
    repeat_count: int
    rectification: dict[str, Any] | None = None
    photos: list[str] = Field([], description="photo URLs / 照片地址")


class InspectionOut(Schema):
    id: int
    code: str
    kind: str
    cadence: str
    on: date
    subject: str
    team: str
    unit: TaskRef
    summary: str = ""
    findings: list[FindingOut] = []


class ReinspectIn(Schema):
    passed: bool
    note: str = Field("", max_length=4000)
    photo_ids: list[int] = Field([], description="ids from POST /uploads / 先上传照片得到的 id")


class EscalationOut(Schema):
    id: int
    kind: str
    state: str
    unit: TaskRef
    points: float | None = None
    reason: str
    proposed_at: datetime
    decided_at: datetime | None = None
    finding_id: int


class EscalationDecideIn(Schema):
    confirm: bool
    note: str = Field("", max_length=4000)


class LetterIn(Schema):
    issuer_id: int
    addressee_id: int
    answer_due: date
    subject: str = Field("", max_length=200)
    items: list[str] | None = Field(
        None, description="only these items, as 'task:ID' or 'rectification:ID' / 只列这些事项"
    )


class LetterItemOut(Schema):
    kind: str
    pk: int
    title: str
    due: str
    days: int
    reason: str


class LetterOut(Schema):
    id: int
    reference: str = Field(description="e.g. 济源督〔2026〕12号")
    year: int
    number: int
    issuer: TaskRef
    addressee: TaskRef
    subject: str
    items: list[LetterItemOut]
    answer_due: date
    state: str
    sent_at: datetime
    received_at: datetime | None = None
    answered_at: datetime | None = None
    answer: str = ""
    overdue: bool
    docx_url: str
    pdf_url: str


class TaskPatchIn(Schema):
    """修改任务信息: only the fields given change; the code and parent never do."""

    title: str = Field(None, max_length=200)
    kind: str = Field(None, description="task kind code / 任务类型代码")
    category: str = Field(None, description="task category code / 任务类别代码")
    level: Literal["province", "city", "district", "street"] = None
    responsible_unit: str = Field(None, description="unit code / 责任单位代码")
    supervising_unit: str = Field(None, description='unit code, "" for none / 督办单位代码')
    assisting_units: list[str] = None
    leader: str = Field(None, description='person code, "" for none / 分管领导人员代码')
    start: date = None
    deadline: date = None
    annual_goal: str = Field(None, max_length=4000)
    indicator_name: str = Field(None, max_length=60)
    indicator_unit: str = Field(None, max_length=20)
    target_value: float | None = Field(None, description="null clears it / 目标值")
    report_cadence: Literal["daily", "weekly", "biweekly", "monthly"] = None
    note: str = Field("", max_length=4000, description="why / 修改说明")
