"""Input and output shapes of the campaigns API."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Field, Schema


class CampaignIn(Schema):
    code: str = Field(..., max_length=40)
    title: str = Field(..., max_length=200)
    kind: Literal["cleanup", "special", "volunteer"]
    organiser: str = Field(..., description="unit code / 组织单位代码")
    recurrence: Literal["once", "weekly"] = "once"
    weekday: int | None = Field(None, ge=0, le=6, description="0 = Monday … 4 = Friday")
    start: date
    end: date | None = None
    partners: list[str] = Field([], description="partner unit codes / 联建共建单位代码")
    places: list[str] = Field([], description="place codes / 地点代码")
    description: str = Field("", max_length=4000)


class CampaignRowOut(Schema):
    id: int
    code: str
    title: str
    kind: str
    recurrence: str
    weekday: int | None
    start: date
    end: date | None
    state: str
    organiser: dict[str, Any]
    sessions: int
    person_times: int


class CampaignOut(CampaignRowOut):
    partners: list[dict[str, Any]]
    places: list[dict[str, Any]]
    description: str
    totals: dict[str, Any]
    allowed_actions: list[str]


class ParticipantIn(Schema):
    name: str = Field(..., max_length=50)
    unit_id: int | None = None
    is_volunteer: bool = True


class OutputIn(Schema):
    kind: str = Field(..., description="output kind code / 成果类别代码")
    quantity: float = Field(..., gt=0)
    place_id: int | None = None
    zone_id: int | None = None


class ResourceIn(Schema):
    name: str = Field(..., max_length=60)
    unit: str = Field(..., max_length=20)
    quantity: float = Field(..., gt=0)


class SessionIn(Schema):
    on: date
    place_id: int
    note: str = Field("", max_length=4000)
    participants: list[ParticipantIn] = []
    outputs: list[OutputIn] = []
    resources: list[ResourceIn] = []
    photo_ids: list[int] = []


class SignInIn(Schema):
    participants: list[ParticipantIn]


class SessionOut(Schema):
    id: int
    campaign: str
    on: date
    place: dict[str, Any]
    note: str
    person_times: int
    outputs: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    photos: int


class EndIn(Schema):
    end: date | None = None
    note: str = Field("", max_length=4000)


class TotalsOut(Schema):
    start: date | None
    end: date | None
    place: str
    campaigns: int
    sessions: int
    person_times: int
    people: int
    outputs: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    by_place: list[dict[str, Any]]
    places_with_outputs: int


class OutputKindOut(Schema):
    code: str
    name: str
    unit: str
