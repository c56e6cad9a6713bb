"""Input and output shapes of the projects API."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Field, Schema

from cityloop.core.schemas import EventOut


class ProjectRef(Schema):
    id: int
    code: str = ""
    name: str


class WorkItemIn(Schema):
    name: str = Field(..., max_length=100)
    unit_of_measure: str = Field(..., max_length=20, description="个 / 米 / 平方米 / 棵 / 公顷 …")
    planned: float = Field(..., gt=0)
    weight: float = Field(1, ge=0, description="share in the project's progress / 进度权重")


class ProjectIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=200)
    type: str = Field(..., description="project type code / 项目类型代码")
    responsible_unit: str = Field(..., description="unit code / 责任单位代码")
    supervising_unit: str = ""
    places: list[str] = Field([], description="place codes / 地点代码")
    zones: list[str] = Field([], description="zone codes / 责任对象代码")
    start: date
    deadline: date
    budget: float | None = Field(None, ge=0, description="10k yuan / 万元")
    area: float | None = Field(None, ge=0, description="m² / 平方米")
    contractor: str = Field("", max_length=100)
    enterprise: str = Field("", max_length=100)
    leader: str = Field("", description="person code / 分管领导人员代码")
    coordinator: str = Field("", description="person code / 联络员人员代码")
    stage: str = ""
    description: str = Field("", max_length=4000)
    items: list[WorkItemIn] = []
    task_id: int | None = Field(None, description="supervision task the project drives / 关联任务")


class ProjectPatchIn(Schema):
    """修改项目信息: only the fields given change; the code, type and stage never do here."""

    name: str = Field(None, max_length=200)
    responsible_unit: str = Field(None, description="unit code / 责任单位代码")
    supervising_unit: str = Field(None, description='unit code, "" for none / 督办单位代码')
    places: list[str] = Field(None, description="place codes / 地点代码")
    start: date = None
    deadline: date = None
    budget: float | None = Field(None, ge=0, description="10k yuan, null clears it / 万元")
    note: str = Field("", max_length=4000, description="why / 修改说明")


class WorkItemOut(Schema):
    id: int
    name: str
    unit_of_measure: str
    planned: float
    done: float
    weight: float
    percent: float


class ProjectRowOut(Schema):
    id: int
    code: str
    name: str
    type: str
    type_name: str
    stage: str
    stage_name: str
    state: str
    progress: float
    light: str
    reasons: list[dict[str, Any]]
    responsible_unit: ProjectRef
    leader: ProjectRef | None = None
    start: date
    deadline: date
    task: ProjectRef | None = None


class ProjectPage(Schema):
    items: list[ProjectRowOut]
    count: int
    limit: int
    offset: int


class AcceptanceOut(Schema):
    id: int
    round: int
    on: date
    result: str
    units: list[ProjectRef]
    checks: list[dict[str, Any]]
    open_points: list[dict[str, Any]]
    note: str
    findings: list[dict[str, Any]]


class ProjectInspectionOut(Schema):
    id: int
    inspection_id: int
    code: str
    kind: str
    on: date
    office: ProjectRef
    team: str
    findings: list[dict[str, Any]]


class ProjectOut(ProjectRowOut):
    supervising_unit: ProjectRef | None = None
    coordinator: ProjectRef | None = None
    places: list[ProjectRef]
    zones: list[ProjectRef]
    budget: float | None = None
    area: float | None = None
    contractor: str
    enterprise: str
    completed_on: date | None = None
    last_report_on: date | None = None
    description: str
    stages: list[dict[str, Any]]
    work_items: list[WorkItemOut]
    milestones: list[dict[str, Any]]
    opinions: dict[str, Any]
    design_items: list[dict[str, Any]]
    inspections: list[ProjectInspectionOut]
    acceptances: list[AcceptanceOut]
    allowed_actions: list[str]


class QuantityIn(Schema):
    quantity: float = Field(..., description="added to done; negative corrects / 负数为更正")
    on: date | None = None
    note: str = Field("", max_length=4000)
    photo_ids: list[int] = Field([], description="ids from POST /uploads")


class QuantityOut(Schema):
    id: int
    item: str
    on: date
    quantity: float
    note: str
    by: str
    photos: int


class StageIn(Schema):
    stage: str
    note: str = Field("", max_length=4000)


class LinkIn(Schema):
    task_id: int


class ReasonIn(Schema):
    reason: str = Field(..., max_length=4000)


class ProjectStepIn(Schema):
    title: str = Field(..., max_length=200)
    duration_days: int = Field(..., ge=1, le=400)


class ScheduleIn(Schema):
    steps: list[ProjectStepIn]


class RequestIn(Schema):
    kind: str = Field(..., description="request kind code / 诉求类别代码")
    text: str = Field(..., max_length=300)
    people: int = Field(1, ge=1)


class ProjectOpinionIn(Schema):
    method: Literal["visit", "call", "meeting"]
    on: date
    people_reached: int = Field(..., ge=1)
    place_id: int | None = None
    summary: str = Field("", max_length=4000)
    requests: list[RequestIn] = []


class DesignItemIn(Schema):
    title: str = Field(..., max_length=200)
    request_ids: list[int] = []
    kind: str = ""
    note: str = Field("", max_length=4000)


class ProjectInspectionIn(Schema):
    kind: Literal["quality", "safety"]
    office_id: int = Field(..., description="inspecting office (应急办, 生态办 …) / 检查科室")
    on: date
    team: str = Field(..., max_length=100)
    summary: str = Field("", max_length=4000)


class ProjectFindingIn(Schema):
    kind: str = Field(..., max_length=60)
    description: str = Field(..., max_length=4000)
    mode: Literal["immediate", "deadline"] = "deadline"
    due: date | None = None
    place_id: int | None = None
    photo_ids: list[int] = []


class OpenPointIn(Schema):
    text: str = Field(..., max_length=4000)
    due: date


class CheckIn(Schema):
    item: str
    ok: bool
    note: str = ""


class AcceptanceIn(Schema):
    on: date
    passed: bool
    unit_ids: list[int] = Field([], description="participating units / 参加验收单位")
    checks: list[CheckIn] = []
    open_points: list[OpenPointIn] = []
    note: str = Field("", max_length=4000)


class RectifiedIn(Schema):
    report: str = Field(..., max_length=4000)
    photo_ids: list[int] = []


class ProjectEventOut(EventOut):
    pass


class PipelineOut(Schema):
    type: str
    total: int
    stages: list[dict[str, Any]]


class PortfolioOut(Schema):
    projects: int
    complete: int
    budget: float
    area: float
    progress: float | None
    items: list[dict[str, Any]]


class TypeOut(Schema):
    code: str
    name: str
    stages: list[dict[str, Any]]
    acceptance_stage: str
    checklist: list[str]


class ImportOut(Schema):
    kind: str
    ok: bool
    written: bool
    rows: int
    counts: dict[str, Any]
    errors: list[dict[str, Any]]
