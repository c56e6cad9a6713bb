"""Deliberation over the API: topics with their steps and tally (as data), opinions, the
stage actions, paper ballots, proxies, owner codes handed over by staff, and the "1+1+1"
coverage.

Same rules as elsewhere: outside the caller's scope is 404; a step the caller may not take
is 403; a step the stage does not allow (or a second ballot for a unit) is 409; bad input is
422 with a stable code.

Ballot secrecy (``rules``): an open vote's tally is 409 ``vote_sealed``; the ballot list (who
voted) is 404 to anyone but the organisers, and after closing gives each choice only to those
``rules.can_see_choices`` admits.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from cityloop.core import events, openapi
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.schemas import API_ERRORS, Limit, Offset
from cityloop.deliberation import queries, rules, services, workflow
from cityloop.deliberation.actions import TOPICS
from cityloop.deliberation.labels import (
    CHANNEL_LABELS,
    THRESHOLD_LABELS,
    VERB_LABELS,
)
from cityloop.deliberation.labels import label as _label
from cityloop.deliberation.models import Ballot, CharterDocument, Rating, Topic, TopicStep
from cityloop.deliberation.schemas import (
    AccessIn,
    AccessOut,
    BallotIn,
    BallotOut,
    CloseVoteIn,
    CoverageOut,
    DeliberateIn,
    LinkProjectIn,
    NoteIn,
    OpenVoteIn,
    OpinionIn,
    OpinionOut,
    ProposeIn,
    ProxyIn,
    PublishChoicesIn,
    PublishIn,
    TopicEventOut,
    TopicIn,
    TopicOut,
    TopicPage,
)
from cityloop.org import queries as org_queries

router = Router(tags=["deliberation"])
ERRORS = API_ERRORS
PAGE_MAX = 200


STAGE_LABELS = dict(Topic.Stage.choices)
RULE_LABELS = dict(Topic.Rule.choices)
STEP_LABELS = dict(TopicStep.Kind.choices)
RATING_LABELS = dict(Rating.Score.choices)
DOCUMENT_LABELS = dict(CharterDocument.Kind.choices)


def _tally(result: dict[str, Any]) -> dict[str, Any]:
    """A tally as data with the Chinese word beside each code (rule, threshold key)."""
    if not result:
        return {}
    out = {**result, "rule_label": _label(RULE_LABELS, result.get("rule", ""))}
    out["thresholds"] = [
        {**t, "key_label": _label(THRESHOLD_LABELS, t.get("key", ""))}
        for t in result.get("thresholds", [])
    ]
    return out


def _step(s: TopicStep) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "kind_label": _label(STEP_LABELS, s.kind),
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "held_on": s.held_on,
        "body": s.body,
        "text": s.text,
        "amendments": s.amendments,
        "participants": s.participants,
        "attendance": s.attendance,
        "documents": s.documents,
    }


def topic_out(user, topic: Topic, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": topic.pk,
        "code": topic.code,
        "title": topic.title,
        "description": topic.description,
        "place": {
            "id": topic.place.pk,
            "code": topic.place.code,
            "name": topic.place.name,
            "kind": topic.place.kind,
            "kind_label": str(topic.place.get_kind_display()),
        },
        "stage": topic.stage,
        "stage_label": _label(STAGE_LABELS, topic.stage),
        "rule": topic.rule,
        "rule_label": _label(RULE_LABELS, topic.rule),
        "created_at": topic.created_at,
        "resolution_notice_until": topic.resolution_notice_until,
        "result_notice_until": topic.result_notice_until,
        "opinions": getattr(topic, "opinion_count", None) or 0,
    }
    if not full:
        return out
    vote = queries.vote_of(topic)
    out.update(
        actions=(actions := workflow.allowed_actions(user, topic)),
        action_labels=[str(TOPICS.label(a)) for a in actions],
        steps=[_step(s) for s in topic.steps.all()],
        opinions=topic.opinions.count(),
        projects=[
            {
                "id": link.project.pk,
                "code": link.project.code,
                "name": link.project.name,
                "linked_at": link.linked_at,
            }
            for link in queries.project_links(topic)
        ],
        ratings=(ratings := queries.rating_counts(topic)),
        rating_labels={k: _label(RATING_LABELS, k) for k in ratings},
        vote=None
        if vote is None
        else {
            "rule": vote.rule,
            "rule_label": _label(RULE_LABELS, vote.rule),
            "question": vote.question,
            "opened_at": vote.opened_at,
            "closes_on": vote.closes_on,
            "closed_at": vote.closed_at,
            "passed": vote.passed,
            "units_on_roll": vote.roll.count(),
            "ballots": vote.ballots.count(),
            "sealed": rules.is_sealed(vote),
            "publish_choices": vote.publish_choices,
            "electorate": vote.electorate,
            "electorate_label": vote.scope_label,
            "electorate_building": vote.electorate_building,
            "electorate_entrance": vote.electorate_entrance,
            "tally": _tally(queries.tally_or_empty(vote)),
        },
    )
    return out


@router.get("/topics", response={200: TopicPage, **ERRORS})
def topic_list(
    request: HttpRequest,
    stage: str = "",
    place_id: int | None = None,
    limit: int = Limit(50, PAGE_MAX),
    offset: int = Offset,
):
    if stage and stage not in Topic.Stage.values:
        raise InvalidInput("topic_stage_invalid", _("Unknown stage."), {"stage": stage})
    place = org_queries.place_get(request.auth, place_id=place_id) if place_id else None
    qs = queries.topic_rows(request.auth, stage=stage, place=place)
    return {
        "count": qs.count(),
        "items": [topic_out(request.auth, t, full=False) for t in qs[offset : offset + limit]],
    }


@router.post("/topics", response={201: TopicOut, **ERRORS})
def topic_create(request: HttpRequest, payload: TopicIn):
    place = org_queries.place_get(request.auth, place_id=payload.place_id)
    topic = services.topic_create(
        actor=request.auth,
        place=place,
        title=payload.title,
        description=payload.description,
        rule=payload.rule,
    )
    return Status(201, topic_out(request.auth, topic))


@router.get("/topics/{topic_id}", response={200: TopicOut, **ERRORS})
def topic_detail(request: HttpRequest, topic_id: int):
    return topic_out(request.auth, queries.topic_get(request.auth, topic_id))


@router.get("/topics/{topic_id}/tally", response={200: dict, **ERRORS})
def topic_tally(request: HttpRequest, topic_id: int):
    """The count with every threshold, once the vote closed; while it is open, 409
    ``vote_sealed`` (a running count would reveal each ballot as it lands)."""
    topic = queries.topic_get(request.auth, topic_id)
    vote = queries.vote_of(topic)
    if vote is None:
        raise InvalidInput("vote_not_opened", _("No vote has been opened on this topic."))
    return _tally(queries.tally_of(vote))


@router.get("/topics/{topic_id}/events", response={200: list[TopicEventOut], **ERRORS})
def topic_events(request: HttpRequest, topic_id: int):
    topic = queries.topic_get(request.auth, topic_id)
    vote = queries.vote_of(topic)
    with_roll = vote is None or rules.can_see_roll(request.auth, vote)
    return [
        events.event_out(
            e,
            verb_label=_label(VERB_LABELS, e.verb),
            from_state_label=_label(STAGE_LABELS, e.from_state),
            to_state_label=_label(STAGE_LABELS, e.to_state),
        )
        for e in queries.events(topic, with_roll=with_roll)
    ]


def _opinion(o) -> dict[str, Any]:
    return {
        "id": o.pk,
        "channel": o.channel,
        "channel_label": _label(CHANNEL_LABELS, o.channel),
        "text": o.text,
        "author": o.author,
        "household": o.household.label if o.household else "",
        "stage": o.stage,
        "stage_label": _label(STAGE_LABELS, o.stage),
        "at": o.at,
    }


@router.get("/topics/{topic_id}/opinions", response={200: list[OpinionOut], **ERRORS})
def opinion_list(request: HttpRequest, topic_id: int):
    return [_opinion(o) for o in queries.opinions(queries.topic_get(request.auth, topic_id))]


@router.post("/topics/{topic_id}/opinions", response={201: OpinionOut, **ERRORS})
def opinion_create(request: HttpRequest, topic_id: int, payload: OpinionIn):
    opinion = workflow.opinion_record(
        actor=request.auth,
        topic_id=topic_id,
        channel=payload.channel,
        text_body=payload.text,
        author=payload.author,
        household_id=payload.household_id,
    )
    return Status(201, _opinion(opinion))


def _done(request: HttpRequest, topic_id: int) -> dict[str, Any]:
    return topic_out(request.auth, queries.topic_get(request.auth, topic_id))


@router.post("/topics/{topic_id}/actions/propose", response={200: TopicOut, **ERRORS})
def act_propose(request: HttpRequest, topic_id: int, payload: ProposeIn):
    workflow.propose(actor=request.auth, topic_id=topic_id, **payload.dict())
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/deliberate", response={200: TopicOut, **ERRORS})
def act_deliberate(request: HttpRequest, topic_id: int, payload: DeliberateIn):
    workflow.deliberate(actor=request.auth, topic_id=topic_id, **payload.dict())
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/open_vote", response={200: TopicOut, **ERRORS})
def act_open_vote(request: HttpRequest, topic_id: int, payload: OpenVoteIn):
    workflow.open_vote(actor=request.auth, topic_id=topic_id, **payload.dict())
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/close_vote", response={200: TopicOut, **ERRORS})
def act_close_vote(request: HttpRequest, topic_id: int, payload: CloseVoteIn):
    workflow.close_vote(actor=request.auth, topic_id=topic_id, **payload.dict())
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/publish_resolution", response={200: TopicOut, **ERRORS})
def act_publish_resolution(request: HttpRequest, topic_id: int, payload: PublishIn):
    workflow.publish_resolution(
        actor=request.auth,
        topic_id=topic_id,
        resolution=payload.text,
        notice_days=payload.notice_days,
        documents=payload.documents,
    )
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/start_implementation", response={200: TopicOut, **ERRORS})
def act_start(request: HttpRequest, topic_id: int, payload: NoteIn):
    workflow.start_implementation(actor=request.auth, topic_id=topic_id, note=payload.note)
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/publish_result", response={200: TopicOut, **ERRORS})
def act_publish_result(request: HttpRequest, topic_id: int, payload: PublishIn):
    workflow.publish_result(
        actor=request.auth,
        topic_id=topic_id,
        result=payload.text,
        notice_days=payload.notice_days,
        documents=payload.documents,
    )
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/close", response={200: TopicOut, **ERRORS})
def act_close(request: HttpRequest, topic_id: int, payload: NoteIn):
    workflow.close(actor=request.auth, topic_id=topic_id, note=payload.note)
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/actions/withdraw", response={200: TopicOut, **ERRORS})
def act_withdraw(request: HttpRequest, topic_id: int, payload: NoteIn):
    workflow.withdraw(actor=request.auth, topic_id=topic_id, reason=payload.note)
    return _done(request, topic_id)


def _ballot(b: Ballot, *, with_choice: bool = False) -> dict[str, Any]:
    """One ballot as the desk sees it: which unit voted, how and when; its choice only after
    the vote closed and only for those ``rules.can_see_choices`` admits."""
    return {
        "id": b.pk,
        "household_id": b.household_id,
        "household": b.household.label,
        "channel": b.channel,
        "channel_label": _label(CHANNEL_LABELS, b.channel),
        "ballot_no": b.ballot_no,
        "cast_at": b.cast_at,
        "choice": b.choice if with_choice else None,
        "choice_label": _label(CHOICE_LABELS, b.choice) if with_choice else None,
    }


CHOICE_LABELS = dict(Ballot.Choice.choices)


@router.get(
    "/topics/{topic_id}/ballots", response={200: list[BallotOut], **ERRORS}, exclude_none=True
)
def ballot_list(request: HttpRequest, topic_id: int):
    """Who voted (the roll call): the organisers only — to anyone else 404, as if there were
    no list; after closing, also those who may see the choices, with each unit's choice."""
    topic = queries.topic_get(request.auth, topic_id)
    vote = queries.vote_of(topic)
    if vote is None:
        if not rules.can_manage(request.auth, topic.place):
            raise NotFound("ballots_not_found", _("Not found"))
        return []
    if not rules.can_see_roll(request.auth, vote):
        raise NotFound("ballots_not_found", _("Not found"))
    with_choice = rules.can_see_choices(request.auth, vote)
    return [_ballot(b, with_choice=with_choice) for b in queries.ballot_list(vote)]


@router.post("/topics/{topic_id}/vote/publish-choices", response={200: TopicOut, **ERRORS})
def publish_choices(request: HttpRequest, topic_id: int, payload: PublishChoicesIn):
    """业主投票结果公示: show (or stop showing) each household's choice once the vote is closed,
    to everyone who may read the topic and on its public page. Recorded as an event."""
    workflow.vote_publish_choices(
        actor=request.auth, topic_id=topic_id, publish=payload.publish, note=payload.note
    )
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/projects", response={200: TopicOut, **ERRORS})
def link_project(request: HttpRequest, topic_id: int, payload: LinkProjectIn):
    """决议的实施: link a passed resolution to the project that carries it out (409
    ``resolution_not_passed`` before it passed, ``project_already_linked`` for a project that
    carries out another one; a project the caller cannot see is 404)."""
    workflow.link_project(
        actor=request.auth, topic_id=topic_id, project_id=payload.project_id, note=payload.note
    )
    return _done(request, topic_id)


@router.post("/topics/{topic_id}/ballots", response={201: BallotOut, **ERRORS}, exclude_none=True)
def ballot_create(request: HttpRequest, topic_id: int, payload: BallotIn):
    """A paper ballot entered by staff; a unit that has a ballot already gets 409."""
    ballot = workflow.ballot_paper(actor=request.auth, topic_id=topic_id, **payload.dict())
    return Status(201, _ballot(ballot))


@router.post("/topics/{topic_id}/proxies", response={201: dict, **ERRORS})
def proxy_create(request: HttpRequest, topic_id: int, payload: ProxyIn):
    proxy = workflow.proxy_register(actor=request.auth, topic_id=topic_id, **payload.dict())
    return Status(201, {"id": proxy.pk, "household_id": proxy.household_id, "name": proxy.name})


@router.post("/topics/{topic_id}/owner-codes", response={201: AccessOut, **ERRORS})
def owner_code(request: HttpRequest, topic_id: int, payload: AccessIn):
    """Staff checked an owner in person: a code for the mobile page, shown once."""
    code = workflow.access_issue(actor=request.auth, topic_id=topic_id, phone=payload.phone)
    return Status(201, {"code": code, "valid_days": workflow.STAFF_CODE_TTL.days})


@router.get("/deliberation/coverage", response={200: CoverageOut, **ERRORS})
def coverage(request: HttpRequest, place_id: int | None = None):
    """Which communities and compounds have all three "1+1+1" documents."""
    under = org_queries.place_get(request.auth, place_id=place_id) if place_id else None
    data = queries.coverage(request.auth, under=under)
    return {
        "summary": data["summary"],
        "places": [
            {
                "id": r.place.pk,
                "code": r.place.code,
                "name": r.place.name,
                "kind": r.place.kind,
                "kind_label": str(r.place.get_kind_display()),
                "documents": sorted(r.kinds),
                "document_labels": [_label(DOCUMENT_LABELS, k) for k in sorted(r.kinds)],
                "complete": r.complete,
            }
            for r in data["rows"]
        ],
    }


@openapi.amend
def _describe_actions(schema: dict[str, Any]) -> None:
    """The topic detail says what each name of its ``actions`` is (label, part, input shape),
    from the registry; each is ``POST /topics/{topic_id}/actions/<name>``."""
    op = openapi.operation(schema, "/topics/{topic_id}", "get")
    if op is None:
        return
    base = (op.get("description") or "").split("\n\n`actions` 中的操作")[0]
    op["description"] = f"{base}\n\n`actions` 中的操作：\n\n{TOPICS.openapi_description()}"
