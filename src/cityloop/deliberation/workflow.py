"""Every change of a topic's stage, every ballot, and the owner codes of the public pages.

The topic registry (:data:`deliberation.actions.TOPICS`) says which action is allowed from
which stage and where it may lead; the order 一征 → 提议 → 商议 → 决议 → 决议公开 → 实施 →
结果公开 → 共评 has no shortcut. Each function locks the topic row (outside the actor's scope:
not found), checks the registry and the actor's part, writes the new stage through the
registry, the step record and the event in one transaction; an event for a stage its entry
does not name is refused as a bug (the transaction rolls back).

Ballots are taken under the same lock, and the database refuses a second ballot for a unit
(paper and mobile, or mobile twice) even if two requests race. Closing a vote stores the
tally as it stands (``Vote.result``); nothing recounts a closed vote.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from cityloop.core import clock, events
from cityloop.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from cityloop.core.notify import REDACTED_TITLE, Message, Recipient, notify
from cityloop.deliberation import queries, rules, tally
from cityloop.deliberation.actions import TOPICS
from cityloop.deliberation.models import (
    Access,
    Ballot,
    Household,
    Opinion,
    Proxy,
    Rating,
    ResolutionProject,
    RollEntry,
    Topic,
    TopicDocument,
    TopicEvent,
    TopicStep,
    Vote,
)
from cityloop.deliberation.services import PHONE_RE, TEXT_MAX, text
from cityloop.org.models import Place
from cityloop.projects import queries as project_queries
from cityloop.projects.models import ProjectEvent

S = Topic.Stage
K = TopicStep.Kind

# The step (of 一征三议两公开) each stage action records; where it leads is the registry's.
STEPS: dict[str, str] = {
    "propose": K.PROPOSE,
    "deliberate": K.DELIBERATE,
    "open_vote": K.RESOLVE,
    "close_vote": K.RESOLVE,
    "publish_resolution": K.PUBLISH_RESOLUTION,
    "start_implementation": K.IMPLEMENT,
    "publish_result": K.PUBLISH_RESULT,
    "close": K.RATE,
}
ACTIONS = tuple(TOPICS)
# Where residents may still give opinions: while soliciting and deliberating, and during the
# resolution's notice period (objections).
OPINION_STAGES = frozenset({S.SOLICITING, S.PROPOSED, S.DELIBERATED, S.RESOLUTION_PUBLISHED})
NOTICE_DAYS_DEFAULT = 7
NOTICE_DAYS_MAX = 60
CODE_TTL = timedelta(minutes=10)
STAFF_CODE_TTL = timedelta(days=3)
CODE_RESEND = timedelta(seconds=60)
CODE_ATTEMPTS = 5
# Limits on asking for SMS codes, counted in Django's cache (Redis when configured, so every
# worker counts the same requests): (what is counted, at most, per seconds). One phone cannot
# be flooded with texts, one topic cannot be used to text the whole register, one address or
# browser session cannot walk through numbers.
CODE_LIMITS: dict[str, tuple[int, int]] = {
    "phone": (5, 3600),
    "topic": (300, 3600),
    "address": (20, 3600),
    "session": (10, 3600),
}
LIMIT_PREFIX = "delib:code"


def _event(actor, topic: Topic, verb: str, *, public: bool = True, **fields: Any) -> TopicEvent:
    if verb in TOPICS and hasattr(topic, "locked_stage"):
        # A bug, not bad input, when the function left the topic where its entry says it
        # cannot (the transaction rolls back).
        TOPICS.check_move(verb, topic.locked_stage, topic.stage, topic.pk)
    return events.record(TopicEvent, actor=actor, verb=verb, topic=topic, public=public, **fields)


def may(actor, topic: Topic, action: str) -> bool:
    return TOPICS.open_to(actor, topic, action, rules.plays)


def allowed_actions(actor, topic: Topic) -> list[str]:
    """The actions this actor may take now (the buttons a page shows), in the registry's
    order."""
    return TOPICS.allowed(actor, topic, rules.plays)


def _locked(actor, topic_id: int) -> Topic:
    topic = (
        queries.visible_topics(actor)
        .select_for_update(of=("self",))
        .select_related("place")
        .order_by()
        .filter(pk=topic_id)
        .first()
    )
    if topic is None:
        raise NotFound("topic_not_found", _("Topic not found"))
    topic.locked_stage = topic.stage  # what the registry measures the event against
    return topic


def _locked_public(code: str) -> Topic:
    topic = (
        Topic.objects.select_for_update(of=("self",))
        .select_related("place")
        .filter(code=code, stage__in=queries.PUBLIC_STAGES)
        .order_by()
        .first()
    )
    if topic is None:
        raise NotFound("topic_not_found", _("Topic not found"))
    return topic


def _check(actor, topic: Topic, action: str) -> None:
    entry = TOPICS[action]
    if topic.stage not in entry.sources:
        raise InvalidTransition(
            "topic_bad_stage",
            _("This step is not possible while the topic is at the stage “%(stage)s”.")
            % {"stage": S(topic.stage).label},
            {"stage": topic.stage, "action": action},
        )
    if not rules.plays(actor, topic, entry.part):
        raise Forbidden(
            "topic_not_allowed", _("You may not do this to this topic."), {"action": action}
        )


def _begin(actor, topic_id: int, action: str) -> Topic:
    topic = _locked(actor, topic_id)
    _check(actor, topic, action)
    return topic


def _move(
    actor,
    topic: Topic,
    action: str,
    target: str,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    step: dict[str, Any] | None = None,
    end_step: str = "",
    fields: Sequence[str] = (),
) -> Topic:
    """Write the new stage (``target``, one its registry entry names), close the step just
    finished, open or fill this action's step and record the event: the one way a topic
    moves."""
    now = clock.now()
    old = TOPICS.move(topic, action, target)
    topic.updated_at = now
    topic.save(update_fields=["stage", "updated_at", *fields])
    if end_step:
        TopicStep.objects.filter(topic=topic, kind=end_step, ended_at__isnull=True).update(
            ended_at=now
        )
    kind = STEPS.get(action, "")
    if kind and step is not None:
        TopicStep.objects.update_or_create(
            topic=topic, kind=kind, defaults={"started_at": now, **step}
        )
    _event(actor, topic, action, from_state=old, to_state=target, note=note, data=data or {})
    return topic


def _held_on(value: date | None) -> date:
    held = value or clock.today()
    if held > clock.today():
        raise InvalidInput("step_in_future", _("A meeting cannot be recorded before it is held."))
    return held


def _documents(values: Sequence[str] | None) -> list[str]:
    docs = [str(v).strip() for v in (values or []) if str(v).strip()]
    if len(docs) > 20 or any(len(d) > 200 for d in docs):
        raise InvalidInput("step_documents_invalid", _("At most 20 documents of 200 characters."))
    return docs


def _notice_days(value: int | None) -> int:
    days = NOTICE_DAYS_DEFAULT if value is None else value
    if not 1 <= days <= NOTICE_DAYS_MAX:
        raise InvalidInput(
            "notice_days_invalid",
            _("The notice period is 1 to %(max)d days.") % {"max": NOTICE_DAYS_MAX},
        )
    return days


# --- 三议 ------------------------------------------------------------------------------------


@transaction.atomic
def propose(
    *,
    actor,
    topic_id: int,
    proposal: str,
    body: str = "",
    held_on: date | None = None,
    participants: str = "",
    documents: Sequence[str] = (),
) -> Topic:
    """提议: the party organisation puts its proposal, built on the opinions gathered."""
    proposal = text(proposal, "proposal_required", _("Write the proposal."))
    topic = _begin(actor, topic_id, "propose")
    step = {
        "held_on": _held_on(held_on),
        "body": text(body, "", "", required=False, limit=200) or "社区党组织",
        "text": proposal,
        "participants": text(participants, "", "", required=False),
        "documents": _documents(documents),
        "ended_at": clock.now(),
    }
    return _move(actor, topic, "propose", S.PROPOSED, note=proposal, step=step, end_step=K.SOLICIT)


@transaction.atomic
def deliberate(
    *,
    actor,
    topic_id: int,
    minutes: str,
    amendments: str = "",
    participants: str = "",
    attendance: int | None = None,
    held_on: date | None = None,
    documents: Sequence[str] = (),
) -> Topic:
    """商议: the residents' council discusses the proposal; minutes, amendments, attendance."""
    minutes = text(minutes, "minutes_required", _("Write the minutes of the council."))
    if attendance is None or attendance <= 0:
        raise InvalidInput("attendance_required", _("Say how many people attended the council."))
    topic = _begin(actor, topic_id, "deliberate")
    step = {
        "held_on": _held_on(held_on),
        "body": "居民议事会",
        "text": minutes,
        "amendments": text(amendments, "", "", required=False),
        "participants": text(participants, "", "", required=False),
        "attendance": attendance,
        "documents": _documents(documents),
        "ended_at": clock.now(),
    }
    return _move(
        actor,
        topic,
        "deliberate",
        S.DELIBERATED,
        note=minutes,
        step=step,
        data={"attendance": attendance},
    )


# --- 决议 ------------------------------------------------------------------------------------


E = Vote.Electorate
UNITS_IN_LABEL = 3


def _outside(compound: Place, what: str) -> InvalidInput:
    return InvalidInput(
        "electorate_outside_compound",
        _("%(place)s is not in %(compound)s: choose from this compound's households register.")
        % {"place": what, "compound": compound.name},
        {"place": what, "compound": compound.code},
    )


def _scope(
    topic: Topic,
    kind: str,
    *,
    building: str,
    entrance: str,
    household_ids: Sequence[int],
    building_place_id: int | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the chosen electorate against the topic's compound; returns the Vote fields and
    the filter of :func:`queries.electorate`. Anything outside the compound is refused."""
    kind = kind or E.COMPOUND
    if kind not in E.values:
        raise InvalidInput(
            "electorate_invalid",
            _("Choose the electorate: the whole compound, a building, an entrance or units."),
            {"electorate": kind},
        )
    compound = queries.place_compound(topic)
    if kind == E.COMPOUND:
        label = (compound or topic.place).name
        return {"electorate": kind, "electorate_label": label}, {}
    if topic.rule not in Topic.Rule.owners() or compound is None:
        raise InvalidInput(
            "electorate_needs_owners_vote",
            _("Only an owners' vote of one compound can be limited to part of it."),
        )
    if kind == E.UNITS:
        try:
            ids = sorted({int(i) for i in household_ids or ()})
        except (TypeError, ValueError):
            raise InvalidInput(
                "electorate_units_invalid", _("Choose the units that vote.")
            ) from None
        if not ids:
            raise InvalidInput("electorate_units_required", _("Choose the units that vote."))
        units = list(
            Household.objects.filter(pk__in=ids, compound=compound).order_by(
                "building", "entrance", "room"
            )
        )
        if len(units) != len(ids):
            missing = sorted(set(ids) - {h.pk for h in units})
            raise _outside(compound, _("Unit No. %(id)s") % {"id": missing[0]})
        labels = [h.label for h in units]
        label = "、".join(labels[:UNITS_IN_LABEL])
        if len(labels) > UNITS_IN_LABEL:
            label = _("%(units)s and others, %(n)d units in all") % {
                "units": label,
                "n": len(labels),
            }
        fields = {"electorate": kind, "electorate_label": label[:200]}
        return fields, {"household_ids": ids}
    if building_place_id is not None:
        # A building of the place tree stands for the register's building of the same name.
        place = Place.objects.filter(pk=building_place_id, kind=Place.Kind.BUILDING).first()
        if place is None or place.parent_id != compound.pk:
            raise _outside(compound, place.name if place else str(building_place_id))
        building = place.name
    building = (building or "").strip()
    entrance = (entrance or "").strip() if kind == E.ENTRANCE else ""
    if not building:
        raise InvalidInput("electorate_building_required", _("Choose the building."))
    if kind == E.ENTRANCE and not entrance:
        raise InvalidInput("electorate_entrance_required", _("Choose the entrance (单元)."))
    scopes = dict(queries.electorate_scopes(compound))
    label = queries.scope_label(building, entrance)
    if building not in scopes or (kind == E.ENTRANCE and entrance not in scopes[building]):
        raise _outside(compound, label)
    fields = {
        "electorate": kind,
        "electorate_building": building,
        "electorate_entrance": entrance,
        "electorate_label": label,
    }
    where: dict[str, Any] = {"building": building}
    if kind == E.ENTRANCE:
        where["entrance"] = entrance
    return fields, where


@transaction.atomic
def open_vote(
    *,
    actor,
    topic_id: int,
    question: str,
    closes_on: date | None = None,
    electorate: str = E.COMPOUND,
    building: str = "",
    entrance: str = "",
    household_ids: Sequence[int] = (),
    building_place_id: int | None = None,
) -> Vote:
    """Open the 决议 with its electorate (表决范围): the whole compound, one building, one
    entrance (单元) or chosen units — never anything outside the topic's compound. For an
    owners' vote the electorate (units, areas, owner groups) is copied now: later changes to
    households do not move a running vote, and the art. 278 thresholds are counted over
    exactly these units."""
    question = text(
        question, "vote_question_required", _("Write the question put to the vote."), limit=300
    )
    topic = _begin(actor, topic_id, "open_vote")
    if closes_on is not None and closes_on < clock.today():
        raise InvalidInput("vote_end_in_past", _("The voting period cannot end in the past."))
    fields, where = _scope(
        topic,
        electorate,
        building=building,
        entrance=entrance,
        household_ids=household_ids,
        building_place_id=building_place_id,
    )
    vote = Vote.objects.create(
        topic=topic,
        rule=topic.rule,
        question=question,
        opened_at=clock.now(),
        closes_on=closes_on,
        is_demo=topic.is_demo,
        **fields,
    )
    data: dict[str, Any] = {
        "rule": topic.rule,
        "electorate": vote.electorate,
        "electorate_label": vote.electorate_label,
    }
    if topic.rule in Topic.Rule.owners():
        compound = queries.place_compound(topic)
        roll = queries.electorate(compound, **where) if compound is not None else []
        if not roll:
            raise InvalidInput(
                "vote_no_electorate",
                _("No owners with a registered floor area: import the households first."),
            )
        RollEntry.objects.bulk_create(
            RollEntry(vote=vote, household=h, area=u.area, head=u.head, owner_ids=owners)
            for h, u, owners in roll
        )
        counted = tally.owners(topic.rule, [u for _h, u, _o in roll], {})
        data.update(
            units=len(roll), total_area=counted["total_area"], total_heads=counted["total_heads"]
        )
    _move(
        actor,
        topic,
        "open_vote",
        S.VOTING,
        note=question,
        data=data,
        step={
            "body": "业主大会" if topic.rule in Topic.Rule.owners() else "居民会议",
            "text": question,
            "held_on": clock.today(),
        },
        end_step=K.DELIBERATE,
    )
    return vote


@transaction.atomic
def close_vote(
    *,
    actor,
    topic_id: int,
    attendees: int | None = None,
    votes_for: int | None = None,
    votes_against: int | None = None,
    note: str = "",
) -> Vote:
    """Count and freeze the result. A residents' meeting gives its show of hands here
    (attendees, for, against); an owners' vote is counted from its ballots."""
    topic = _begin(actor, topic_id, "close_vote")
    vote = Vote.objects.select_for_update().get(topic=topic)
    if topic.rule == Topic.Rule.MEETING:
        numbers = [attendees, votes_for, votes_against]
        if any(n is None or n < 0 for n in numbers) or attendees == 0:
            raise InvalidInput(
                "meeting_numbers_required",
                _("Give the number of attendees and the votes for and against."),
            )
        if votes_for + votes_against > attendees:
            raise InvalidInput(
                "meeting_numbers_inconsistent",
                _("More votes than attendees: check the numbers."),
            )
        result = tally.meeting(attendees, votes_for, votes_against)
    else:
        result = tally.owners(vote.rule, queries.roll_units(vote), queries.ballots_by_unit(vote))
        result["ballots"] = {
            channel: vote.ballots.filter(channel=channel).count()
            for channel in Ballot.Channel.values
        }
    # The count says over whom it was taken: "表决范围：3号楼2单元".
    result["electorate"] = {"kind": vote.electorate, "label": vote.scope_label}
    now = clock.now()
    result["closed_at"] = now.isoformat()
    vote.result, vote.passed, vote.closed_at = result, result["passed"], now
    vote.save(update_fields=["result", "passed", "closed_at"])
    target = S.RESOLVED if result["passed"] else S.NOT_ADOPTED
    TopicStep.objects.filter(topic=topic, kind=K.RESOLVE).update(
        ended_at=now, text=vote.question, attendance=result.get("attendees")
    )
    summary = {t["key"]: t["met"] for t in result["thresholds"]}
    _move(
        actor,
        topic,
        "close_vote",
        target,
        note=note,
        data={"passed": result["passed"], "thresholds": summary},
    )
    return vote


# --- 两公开 ----------------------------------------------------------------------------------


@transaction.atomic
def publish_resolution(
    *,
    actor,
    topic_id: int,
    resolution: str,
    notice_days: int | None = None,
    documents: Sequence[str] = (),
) -> Topic:
    """决议公开: the resolution goes up with the tally for a notice period."""
    resolution = text(resolution, "resolution_required", _("Write the resolution to publish."))
    days = _notice_days(notice_days)
    topic = _begin(actor, topic_id, "publish_resolution")
    until = clock.today() + timedelta(days=days)
    topic.resolution_notice_until = until
    return _move(
        actor,
        topic,
        "publish_resolution",
        S.RESOLUTION_PUBLISHED,
        note=resolution,
        data={"notice_until": until.isoformat()},
        fields=["resolution_notice_until"],
        step={"text": resolution, "documents": _documents(documents), "held_on": clock.today()},
    )


def _after_notice(topic: Topic, until: date | None) -> None:
    if until is not None and clock.today() <= until:
        raise InvalidTransition(
            "notice_period_running",
            _("The notice period runs until %(date)s; this step can follow after it.")
            % {"date": until.isoformat()},
            {"notice_until": until.isoformat()},
        )


@transaction.atomic
def start_implementation(*, actor, topic_id: int, note: str = "") -> Topic:
    topic = _begin(actor, topic_id, "start_implementation")
    _after_notice(topic, topic.resolution_notice_until)
    return _move(
        actor,
        topic,
        "start_implementation",
        S.IMPLEMENTING,
        note=note,
        step={"text": text(note, "", "", required=False)},
        end_step=K.PUBLISH_RESOLUTION,
    )


@transaction.atomic
def publish_result(
    *,
    actor,
    topic_id: int,
    result: str,
    notice_days: int | None = None,
    documents: Sequence[str] = (),
) -> Topic:
    """结果公开: what was done, for a notice period in which residents rate it."""
    result = text(result, "result_required", _("Describe the result to publish."))
    days = _notice_days(notice_days)
    topic = _begin(actor, topic_id, "publish_result")
    until = clock.today() + timedelta(days=days)
    topic.result_notice_until = until
    return _move(
        actor,
        topic,
        "publish_result",
        S.RESULT_PUBLISHED,
        note=result,
        data={"notice_until": until.isoformat()},
        fields=["result_notice_until"],
        step={"text": result, "documents": _documents(documents), "held_on": clock.today()},
        end_step=K.IMPLEMENT,
    )


@transaction.atomic
def close(*, actor, topic_id: int, note: str = "") -> Topic:
    """共评 ends with the result's notice period: the ratings are counted into the trail."""
    topic = _begin(actor, topic_id, "close")
    _after_notice(topic, topic.result_notice_until)
    counts = queries.rating_counts(topic)
    TopicStep.objects.filter(topic=topic, kind=K.PUBLISH_RESULT).update(ended_at=clock.now())
    summary = "、".join(f"{Rating.Score(k).label} {v}" for k, v in counts.items())
    return _move(
        actor,
        topic,
        "close",
        S.RATED,
        note=note,
        data={"ratings": counts},
        step={"text": summary, "attendance": sum(counts.values()), "ended_at": clock.now()},
    )


@transaction.atomic
def withdraw(*, actor, topic_id: int, reason: str) -> Topic:
    reason = text(reason, "reason_required", _("Give the reason."))
    topic = _begin(actor, topic_id, "withdraw")
    return _move(actor, topic, "withdraw", S.WITHDRAWN, note=reason)


# --- 一征: opinions ---------------------------------------------------------------------------


def _opinion_stage(topic: Topic) -> None:
    if topic.stage not in OPINION_STAGES:
        raise InvalidTransition(
            "topic_not_collecting",
            _("Opinions are not being collected on this topic now."),
            {"stage": topic.stage},
        )


@transaction.atomic
def opinion_record(
    *,
    actor,
    topic_id: int,
    channel: str,
    text_body: str,
    author: str = "",
    household_id: int | None = None,
) -> Opinion:
    """Staff (or a compound head, building head, red steward) enter an opinion gathered at a
    meeting, on a paper form or on a home visit."""
    body = text(text_body, "opinion_required", _("Write the opinion."))
    if channel not in Opinion.Channel.values or channel == Opinion.Channel.MOBILE:
        raise InvalidInput("opinion_channel_invalid", _("Choose the channel of the opinion."))
    topic = _locked(actor, topic_id)
    if not rules.can_record_opinion(actor, topic.place):
        raise Forbidden("topic_not_allowed", _("You may not do this to this topic."))
    _opinion_stage(topic)
    household = None
    if household_id is not None:
        household = Household.objects.filter(
            pk=household_id, compound__path__startswith=topic.place.path
        ).first()
        if household is None:
            raise InvalidInput("household_unknown", _("That household is not in this place."))
    opinion = Opinion.objects.create(
        topic=topic,
        channel=channel,
        text=body,
        author=text(author, "", "", required=False, limit=60),
        household=household,
        stage=topic.stage,
        entered_by=actor,
        at=clock.now(),
    )
    _event(
        actor,
        topic,
        "opinion",
        public=False,
        note=body,
        data={"channel": channel, "household": household.label if household else ""},
    )
    return opinion


@transaction.atomic
def opinion_public(*, code: str, text_body: str, author: str = "", phone: str = "") -> Opinion:
    """A resident's opinion from the mobile page. ``phone`` is given only when the resident
    proved it with a code; then the opinion is linked to their unit."""
    body = text(text_body, "opinion_required", _("Write the opinion."), limit=2000)
    topic = _locked_public(code)
    _opinion_stage(topic)
    units = queries.phone_units(topic, phone) if phone else []
    household = units[0][0] if units else None
    opinion = Opinion.objects.create(
        topic=topic,
        channel=Opinion.Channel.MOBILE,
        text=body,
        author=text(author, "", "", required=False, limit=60),
        household=household,
        stage=topic.stage,
        at=clock.now(),
    )
    _event(None, topic, "opinion", public=False, note=body, data={"channel": "mobile"})
    return opinion


# --- ballot secrecy ---------------------------------------------------------------------------


@transaction.atomic
def vote_publish_choices(*, actor, topic_id: int, publish: bool, note: str = "") -> Vote:
    """业主投票结果公示: the organisers decide whether each household's choice is shown, once
    the vote is closed, to everyone who may read the topic and on its public page. Off by
    default; every change is an event."""
    topic = _locked(actor, topic_id)
    if not rules.can_manage(actor, topic.place):
        raise Forbidden("topic_not_allowed", _("You may not do this to this topic."))
    vote = Vote.objects.select_for_update().filter(topic=topic).first()
    if vote is None or vote.rule not in Topic.Rule.owners():
        raise InvalidInput(
            "vote_no_ballots", _("Only an owners' vote has household choices to publish.")
        )
    publish = bool(publish)
    if vote.publish_choices != publish:
        vote.publish_choices = publish
        vote.save(update_fields=["publish_choices"])
        _event(
            actor,
            topic,
            "publish_choices" if publish else "unpublish_choices",
            note=text(note, "", "", required=False, limit=500),
            data={"publish_choices": publish},
        )
    return vote


@transaction.atomic
def phone_show(*, actor, compound, owner_id: int) -> str:
    """显示号码: the full number of an owner, for an organiser who must call them. Every
    showing is recorded on the owner (``phone_shown``: who, when, whose number)."""
    if not rules.can_read_register(actor, compound):
        raise NotFound("owner_not_found", _("Owner not found"))
    owner = queries.owner_of_compound(compound, owner_id)
    data = {"owner": owner.name, "phone": queries.mask_phone(owner.phone)}
    events.record_on(owner, actor=actor, verb="phone_shown", data=data)
    return owner.phone


# --- the project that carries out a resolution ------------------------------------------------

# Stages of a topic whose vote passed: its resolution may be carried out by a project.
PASSED_STAGES = frozenset(
    {S.RESOLVED, S.RESOLUTION_PUBLISHED, S.IMPLEMENTING, S.RESULT_PUBLISHED, S.RATED}
)


@transaction.atomic
def link_project(*, actor, topic_id: int, project_id: int, note: str = "") -> ResolutionProject:
    """决议的实施: link a passed resolution to the project that carries it out (a lift voted
    by one entrance, built as a renovation project). The organisers of the topic do it, for a
    project they can see; the event is written on the topic and on the project."""
    topic = _locked(actor, topic_id)
    if not rules.can_manage(actor, topic.place):
        raise Forbidden("topic_not_allowed", _("You may not do this to this topic."))
    vote = Vote.objects.filter(topic=topic).first()
    if topic.stage not in PASSED_STAGES or vote is None or not vote.passed:
        raise InvalidTransition(
            "resolution_not_passed",
            _("Only a resolution that passed the vote can be carried out by a project."),
            {"stage": topic.stage},
        )
    project = project_queries.project_get(actor, project_id)
    existing = ResolutionProject.objects.filter(project=project).select_related("topic").first()
    if existing is not None:
        raise Conflict(
            "project_already_linked",
            _("This project already carries out the resolution of topic %(code)s.")
            % {"code": existing.topic.code},
            {"topic": existing.topic.code},
        )
    link = ResolutionProject.objects.create(
        topic=topic, project=project, linked_at=clock.now(), linked_by=actor
    )
    note = text(note, "", "", required=False, limit=500)
    data = {"project": project.code, "project_name": project.name}
    _event(actor, topic, "link_project", note=note, data=data)
    events.record(
        ProjectEvent,
        actor=actor,
        verb="resolution",
        project=project,
        note=note,
        data={"topic": topic.code, "title": topic.title, "passed": True},
    )
    return link


# --- ballots ---------------------------------------------------------------------------------


def _voting(topic: Topic) -> Vote:
    if topic.stage != S.VOTING:
        raise InvalidTransition(
            "vote_not_open", _("Voting is not open on this topic."), {"stage": topic.stage}
        )
    if topic.rule not in Topic.Rule.owners():
        raise InvalidInput(
            "vote_is_meeting", _("This topic is decided by a meeting, not by owners' ballots.")
        )
    vote = Vote.objects.get(topic=topic)
    if vote.closes_on is not None and clock.today() > vote.closes_on:
        raise InvalidTransition("vote_period_over", _("The voting period is over."))
    return vote


def _choice(choice: str) -> str:
    if choice not in Ballot.Choice.values:
        raise InvalidInput("ballot_choice_invalid", _("Choose for, against or abstain."))
    return choice


def _refuse_second(vote: Vote, household: Household) -> None:
    existing = Ballot.objects.filter(vote=vote, household=household).first()
    if existing is None:
        return
    if existing.channel == Ballot.Channel.PAPER:
        message = _("A paper ballot (No. %(no)s) is already recorded for %(unit)s.") % {
            "no": existing.ballot_no,
            "unit": household.label,
        }
    else:
        message = _("%(unit)s has already voted on the mobile page.") % {"unit": household.label}
    raise Conflict(
        "ballot_duplicate", message, {"household": household.pk, "channel": existing.channel}
    )


def _store(vote: Vote, household: Household, **fields: Any) -> Ballot:
    _refuse_second(vote, household)
    try:
        with transaction.atomic():  # the constraint is the last word if two requests race
            return Ballot.objects.create(
                vote=vote, household=household, cast_at=clock.now(), **fields
            )
    except IntegrityError:
        _refuse_second(vote, household)
        raise Conflict(
            "ballot_number_used", _("This ballot number is already used in this vote.")
        ) from None


def _rolled(vote: Vote, household_id: int) -> Household:
    entry = (
        RollEntry.objects.filter(vote=vote, household_id=household_id)
        .select_related("household")
        .first()
    )
    if entry is None:
        outside = vote.electorate != E.COMPOUND and (
            Household.objects.filter(pk=household_id, compound=vote.topic.place).first()
        )
        if outside:
            # A unit of the compound, but not of the building / entrance / units that vote.
            raise InvalidInput(
                "ballot_outside_electorate",
                _("%(unit)s is not in the electorate of this vote (%(scope)s).")
                % {"unit": outside.label, "scope": vote.scope_label},
                {"household": household_id, "electorate": vote.electorate_label},
            )
        raise InvalidInput("ballot_not_on_roll", _("This unit is not on the roll of this vote."))
    return entry.household


@transaction.atomic
def ballot_paper(
    *,
    actor,
    topic_id: int,
    household_id: int,
    choice: str,
    ballot_no: str,
    voter_name: str = "",
    by_proxy: bool = False,
) -> Ballot:
    """Staff enter a signed paper ballot (表决票) with its number."""
    choice = _choice(choice)
    number = (ballot_no or "").strip()
    if not number or len(number) > 30:
        raise InvalidInput("ballot_number_required", _("Enter the number printed on the ballot."))
    topic = _locked(actor, topic_id)
    if not rules.can_manage(actor, topic.place):
        raise Forbidden("topic_not_allowed", _("You may not do this to this topic."))
    vote = _voting(topic)
    household = _rolled(vote, household_id)
    if Ballot.objects.filter(vote=vote, ballot_no=number).exists():
        raise Conflict("ballot_number_used", _("This ballot number is already used in this vote."))
    ballot = _store(
        vote,
        household,
        choice=choice,
        channel=Ballot.Channel.PAPER,
        ballot_no=number,
        voter_name=text(voter_name, "", "", required=False, limit=60),
        by_proxy=by_proxy,
        entered_by=actor,
    )
    _event(
        actor,
        topic,
        "ballot",
        public=False,
        data={"household": household.label, "channel": "paper", "ballot_no": number},
    )
    return ballot


@transaction.atomic
def ballot_mobile(*, code: str, phone: str, household_id: int, choice: str) -> Ballot:
    """An owner (or registered proxy) proven by a code votes for one of their units."""
    choice = _choice(choice)
    topic = _locked_public(code)
    vote = _voting(topic)
    _rolled(vote, household_id)
    units = {h.pk: (h, proxy) for h, proxy in queries.phone_units(topic, phone)}
    if household_id not in units:
        raise Forbidden("ballot_not_your_unit", _("You may not vote for this unit."))
    household, by_proxy = units[household_id]
    owner = queries.phone_owner(topic, phone)
    ballot = _store(
        vote,
        household,
        choice=choice,
        channel=Ballot.Channel.MOBILE,
        voter_name=owner.name if owner and not by_proxy else "",
        by_proxy=by_proxy,
        owner=owner if not by_proxy else None,
    )
    _event(
        None,
        topic,
        "ballot",
        public=False,
        data={"household": household.label, "channel": "mobile"},
    )
    return ballot


@transaction.atomic
def proxy_register(
    *, actor, topic_id: int, household_id: int, name: str, phone: str = "", document: str = ""
) -> Proxy:
    """委托: staff register who votes for a unit in this vote, with the power of attorney."""
    name = text(name, "proxy_name_required", _("Give the proxy's name."), limit=60)
    phone = (phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput("phone_invalid", _("Enter an 11-digit mobile number."))
    topic = _locked(actor, topic_id)
    if not rules.can_manage(actor, topic.place):
        raise Forbidden("topic_not_allowed", _("You may not do this to this topic."))
    vote = _voting(topic)
    household = _rolled(vote, household_id)
    if Proxy.objects.filter(vote=vote, household=household).exists():
        raise Conflict("proxy_exists", _("A proxy is already registered for this unit."))
    proxy = Proxy.objects.create(
        vote=vote,
        household=household,
        name=name,
        phone=phone,
        document=text(document, "", "", required=False, limit=200),
        registered_by=actor,
        registered_at=clock.now(),
    )
    _event(actor, topic, "proxy", public=False, data={"household": household.label, "name": name})
    return proxy


# --- owner codes -----------------------------------------------------------------------------


def _digest(topic: Topic, phone: str, secret: str) -> str:
    """HMAC-SHA256 under the site secret: without the secret, a stolen table cannot be
    reversed by hashing all million six-digit codes."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{topic.pk}:{phone}:{secret}".encode(), hashlib.sha256).hexdigest()


def _limit(kind: str, who: str) -> None:
    """Count one code request against the ``kind`` limit of ``who`` in the shared cache; refuse
    it (429) when over. Windows are wall-clock: this paces requests, it dates nothing."""
    if not who:
        return
    limit, window = CODE_LIMITS[kind]
    slot = int(time.time() // window)
    key = f"{LIMIT_PREFIX}:{kind}:{hashlib.sha256(who.encode()).hexdigest()[:24]}:{slot}"
    cache.add(key, 0, timeout=window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 60)
        count = 1
    if count > limit:
        raise CodeRateLimited(
            "code_rate_limited",
            _("Too many requests for codes: try again later."),
            {"limit": limit, "per_seconds": window, "kind": kind},
        )


def _phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if not PHONE_RE.match(phone):
        raise InvalidInput("phone_invalid", _("Enter an 11-digit mobile number."))
    return phone


def _new_access(topic: Topic, phone: str, method: str, ttl: timedelta, actor=None) -> str:
    secret = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    Access.objects.create(
        topic=topic,
        phone=phone,
        method=method,
        digest=_digest(topic, phone, secret),
        created_at=now,
        expires_at=now + ttl,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    return secret


class CodeRateLimited(Conflict):
    http_status = 429


@transaction.atomic
def access_request(*, code: str, phone: str, address: str = "", session: str = "") -> bool:
    """Send a one-time code to a registered owner's (or proxy's) phone. Returns whether a
    code was sent; an unknown number gets no code, and the page says only that a code goes
    to registered numbers, so the register cannot be probed number by number.

    Requests are limited per phone, per topic, per client address and per browser session
    (``CODE_LIMITS``). A new SMS code never replaces a code staff handed over: both stay
    valid until used or expired."""
    phone = _phone(phone)
    topic = _locked_public(code)
    for kind, who in (
        ("address", address),
        ("session", session),
        ("topic", str(topic.pk)),
        ("phone", f"{topic.pk}:{phone}"),
    ):
        _limit(kind, who)
    if queries.place_compound(topic) is None:
        raise InvalidInput("topic_no_owners", _("This topic has no owners' register."))
    recent = Access.objects.filter(
        topic=topic,
        phone=phone,
        method=Access.Method.SMS,
        created_at__gt=clock.now() - CODE_RESEND,
    ).exists()
    if recent:
        raise Conflict(
            "code_too_soon", _("A code was just sent; wait a minute before asking again.")
        )
    secret = _new_access(topic, phone, Access.Method.SMS, CODE_TTL)
    if not queries.phone_known(topic, phone):
        # The attempt is recorded like any other (so "too soon" answers alike for every
        # number), but nothing is sent: the code cannot reach anyone.
        return False
    owner = queries.phone_owner(topic, phone)
    notify(
        recipients=[Recipient(name=owner.name if owner else "", phone=phone)],
        message=Message(
            verb="deliberation_code",
            title=_("Your code for topic %(code)s: %(secret)s")
            % {"code": topic.code, "secret": secret},
            body=_("Valid for 10 minutes. Do not give it to anyone."),
            link=f"/topics/{topic.code}/",
            # The code leaves by SMS only; the stored row keeps no trace of it.
            data={REDACTED_TITLE: _("Your code for topic %(code)s: ******") % {"code": topic.code}},
        ),
    )
    return True


@transaction.atomic
def access_issue(*, actor, topic_id: int, phone: str) -> str:
    """Staff checked the owner's papers in person and hand over a code (valid three days)."""
    phone = _phone(phone)
    topic = _locked(actor, topic_id)
    if not rules.can_manage(actor, topic.place):
        raise Forbidden("topic_not_allowed", _("You may not do this to this topic."))
    if not queries.phone_known(topic, phone):
        raise InvalidInput(
            "phone_not_registered",
            _("This number belongs to no owner or proxy of this compound."),
        )
    secret = _new_access(topic, phone, Access.Method.STAFF, STAFF_CODE_TTL, actor)
    _event(actor, topic, "owner_checked", public=False, data={"phone": queries.mask_phone(phone)})
    return secret


def access_verify(*, code: str, phone: str, secret: str) -> str:
    """Check a code against every live code of this phone for the topic (an SMS code asked
    by someone else does not hide the one staff handed over); returns the proven phone. A
    wrong try counts against each live code, and five spend a code: a fresh one can always
    be asked for, so the owner is never locked out for good.

    The wrong-try count must survive the refusal, so the count is committed first and the
    error raised after (an exception inside the transaction would roll the count back)."""
    phone = _phone(phone)
    with transaction.atomic():
        outcome = _check_code(code, phone, (secret or "").strip())
    if outcome == "expired":
        raise InvalidInput("code_expired", _("No valid code for this number: ask for a new one."))
    if outcome == "wrong":
        raise InvalidInput("code_wrong", _("The code is not right."))
    return phone


def _check_code(code: str, phone: str, secret: str) -> str:
    topic = _locked_public(code)
    now = clock.now()
    live = list(
        Access.objects.select_for_update()
        .filter(
            topic=topic,
            phone=phone,
            used_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=CODE_ATTEMPTS,
        )
        .order_by("-created_at")
    )
    if not live:
        return "expired"
    digest = _digest(topic, phone, secret)
    match = next((a for a in live if hmac.compare_digest(a.digest, digest)), None)
    if match is None:
        Access.objects.filter(pk__in=[a.pk for a in live]).update(attempts=F("attempts") + 1)
        return "wrong"
    match.used_at = now
    match.save(update_fields=["used_at"])
    return "ok"


# --- 共评 ------------------------------------------------------------------------------------


@transaction.atomic
def rate(*, code: str, phone: str, score: str, note: str = "") -> Rating:
    """An owner rates the published result, once (a second rating replaces nothing)."""
    if score not in Rating.Score.values:
        raise InvalidInput("rating_invalid", _("Choose a rating."))
    topic = _locked_public(code)
    if topic.stage != S.RESULT_PUBLISHED:
        raise InvalidTransition("rating_closed", _("The result is not open for rating now."))
    owner = queries.phone_owner(topic, phone)
    if owner is None:
        raise Forbidden("rating_not_owner", _("Only owners of this compound can rate."))
    if Rating.objects.filter(topic=topic, owner=owner).exists():
        raise Conflict("rating_duplicate", _("You have already rated this result."))
    rating = Rating.objects.create(
        topic=topic,
        owner=owner,
        score=score,
        note=text(note, "", "", required=False, limit=500),
        at=clock.now(),
    )
    _event(None, topic, "rate", public=False, data={"score": score})
    return rating


# --- issued documents (决议, 结果公告) ---------------------------------------------------------


def _may_issue(topic: Topic, vote: Vote | None, kind: str) -> None:
    """A 结果公告 follows a closed vote (passed or not); a 决议 only a vote that passed."""
    if kind not in TopicDocument.Kind.values:
        raise InvalidInput(
            "deliberation_document_kind_invalid",
            _("Unknown kind of deliberation document."),
            {"allowed": list(TopicDocument.Kind.values)},
        )
    if vote is None or vote.closed_at is None:
        raise InvalidTransition(
            "deliberation_document_before_count",
            _("The vote has not been closed and counted yet; its documents follow the count."),
        )
    if kind == TopicDocument.Kind.RESOLUTION and not vote.passed:
        raise InvalidTransition(
            "deliberation_resolution_not_passed",
            _("The vote did not pass: there is no resolution to issue, only its result."),
        )


@transaction.atomic
def issue_document(*, actor, topic_id: int, kind: str) -> TopicDocument:
    """Give a topic's 决议 or 结果公告 its 发文字号 in the 发文登记: the next number of the
    issuing unit (``queries.issuer_of``), kind and year. Issued once: asked again, the same
    number; a number once given is never given again. Only the topic's organisers issue."""
    from cityloop.core.documents import letterhead_abbreviation
    from cityloop.org.models import Unit

    topic = _locked(actor, topic_id)
    if not rules.can_manage(actor, topic.place):
        raise Forbidden(
            "topic_not_allowed", _("You may not do this to this topic."), {"action": "issue"}
        )
    _may_issue(topic, queries.vote_of(topic), kind)
    found = queries.document_of(topic, kind)
    if found is not None:
        return found
    issuer = queries.issuer_of(topic)
    if issuer is None:
        raise InvalidInput(
            "deliberation_issuer_missing",
            _("No community committee or street office covers this place to issue it."),
        )
    # One numbering at a time per issuer: the next number is read under this lock.
    Unit.objects.select_for_update().filter(pk=issuer.pk).first()
    day = clock.today()
    last = TopicDocument.objects.filter(issuer=issuer, kind=kind, year=day.year).order_by("-number")
    number = (last.values_list("number", flat=True).first() or 0) + 1
    doc = TopicDocument.objects.create(
        topic=topic,
        kind=kind,
        issuer=issuer,
        year=day.year,
        number=number,
        reference=f"{letterhead_abbreviation(issuer)}〔{day.year}〕{number}号",
        title=queries.document_title(topic, kind)[:250],
        issued_on=day,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    _event(
        actor,
        topic,
        "issue_document",
        note=doc.reference,
        data={"kind": kind, "reference": doc.reference, "title": doc.title},
    )
    return doc


__all__ = [
    "ACTIONS",
    "STEPS",
    "TEXT_MAX",
    "access_issue",
    "access_request",
    "access_verify",
    "allowed_actions",
    "ballot_mobile",
    "ballot_paper",
    "close",
    "close_vote",
    "deliberate",
    "issue_document",
    "link_project",
    "open_vote",
    "opinion_public",
    "opinion_record",
    "phone_show",
    "propose",
    "proxy_register",
    "publish_resolution",
    "publish_result",
    "rate",
    "start_implementation",
    "vote_publish_choices",
    "withdraw",
]
