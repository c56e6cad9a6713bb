"""API shapes of deliberation: separate input and output schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema

from cityloop.core.schemas import EventOut


class TopicPlaceRef(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str = ""


class TopicIn(Schema):
    place_id: int
    title: str
    description: str = ""
    rule: str = "owners_ordinary"


class StepOut(Schema):
    kind: str
    kind_label: str = ""
    started_at: datetime
    ended_at: datetime | None = None
    held_on: date | None = None
    body: str = ""
    text: str = ""
    amendments: str = ""
    participants: str = ""
    attendance: int | None = None
    documents: list[str] = []


class VoteOut(Schema):
    rule: str
    rule_label: str = ""
    question: str
    opened_at: datetime
    closes_on: date | None = None
    closed_at: datetime | None = None
    passed: bool | None = None
    units_on_roll: int
    ballots: int
    sealed: bool = True
    publish_choices: bool = False
    electorate: str = "compound"
    electorate_label: str = ""
    electorate_building: str = ""
    electorate_entrance: str = ""
    tally: dict[str, Any]


class TopicOut(Schema):
    id: int
    code: str
    title: str
    description: str
    place: TopicPlaceRef
    stage: str
    stage_label: str
    rule: str
    rule_label: str = ""
    created_at: datetime
    resolution_notice_until: date | None = None
    result_notice_until: date | None = None
    actions: list[str] = []
    action_labels: list[str] = []
    steps: list[StepOut] = []
    vote: VoteOut | None = None
    projects: list[ProjectLinkOut] = []
    opinions: int = 0
    ratings: dict[str, int] = {}
    rating_labels: dict[str, str] = {}


class TopicPage(Schema):
    count: int
    items: list[TopicOut]


class TopicEventOut(EventOut):
    verb_label: str = ""
    from_state_label: str = ""
    to_state_label: str = ""


class OpinionIn(Schema):
    channel: str
    text: str
    author: str = ""
    household_id: int | None = None


class OpinionOut(Schema):
    id: int
    channel: str
    channel_label: str = ""
    text: str
    author: str
    household: str = ""
    stage: str
    stage_label: str = ""
    at: datetime


class ProposeIn(Schema):
    proposal: str
    body: str = ""
    held_on: date | None = None
    participants: str = ""
    documents: list[str] = []


class DeliberateIn(Schema):
    minutes: str
    amendments: str = ""
    participants: str = ""
    attendance: int | None = None
    held_on: date | None = None
    documents: list[str] = []


class OpenVoteIn(Schema):
    """``electorate``: ``compound`` (default), ``building`` (give ``building`` as on the
    households register, or ``building_place_id`` of a building place of the compound),
    ``entrance`` (``building`` and ``entrance``) or ``units`` (``household_ids``)."""

    question: str
    closes_on: date | None = None
    electorate: str = "compound"
    building: str = ""
    entrance: str = ""
    household_ids: list[int] = []
    building_place_id: int | None = None


class CloseVoteIn(Schema):
    attendees: int | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    note: str = ""


class PublishIn(Schema):
    text: str
    notice_days: int | None = None
    documents: list[str] = []


class NoteIn(Schema):
    note: str = ""


class BallotIn(Schema):
    household_id: int
    choice: str
    ballot_no: str
    voter_name: str = ""
    by_proxy: bool = False


class BallotOut(Schema):
    """Which unit voted, how and when; what it chose only after the vote closed, and only for
    the organisers, the auditors, or everyone once the choices are published."""

    id: int
    household_id: int
    household: str
    channel: str
    channel_label: str = ""
    ballot_no: str
    cast_at: datetime
    choice: str | None = None
    choice_label: str | None = None


class LinkProjectIn(Schema):
    project_id: int
    note: str = ""


class ProjectLinkOut(Schema):
    id: int
    code: str
    name: str
    linked_at: datetime


class PublishChoicesIn(Schema):
    publish: bool
    note: str = ""


class ProxyIn(Schema):
    household_id: int
    name: str
    phone: str = ""
    document: str = ""


class AccessIn(Schema):
    phone: str


class AccessOut(Schema):
    code: str
    valid_days: int


class CoverageOut(Schema):
    summary: dict[str, dict[str, int]]
    places: list[dict[str, Any]]
