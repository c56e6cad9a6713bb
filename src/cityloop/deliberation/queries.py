"""Reads for deliberation: topics through the reader's scope (outside it: not found), the
public view of a topic, electorates and tallies, households, and the "1+1+1" coverage."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.core.errors import Conflict, NotFound
from cityloop.core.scope import scope_for
from cityloop.deliberation import tally
from cityloop.deliberation.models import (
    Ballot,
    CharterDocument,
    Household,
    Opinion,
    Owner,
    Proxy,
    ResolutionProject,
    RollEntry,
    Topic,
    TopicDocument,
    TopicEvent,
    Vote,
)
from cityloop.org.models import Place
from cityloop.projects import queries as project_queries

# Stages in which a topic is shown on the public pages (a withdrawn topic is not).
PUBLIC_STAGES = [s for s in Topic.Stage.values if s != Topic.Stage.WITHDRAWN]
# Stages from which the resolution (and its tally) is public.
RESOLUTION_PUBLIC = {
    Topic.Stage.NOT_ADOPTED,  # a failed vote is published with its count too
    Topic.Stage.RESOLUTION_PUBLISHED,
    Topic.Stage.IMPLEMENTING,
    Topic.Stage.RESULT_PUBLISHED,
    Topic.Stage.RATED,
}


def visible_topics(actor) -> QuerySet[Topic]:
    return Topic.objects.filter(scope_for(actor).places_q("place__"))


def topic_get(actor, topic_id: int) -> Topic:
    topic = (
        visible_topics(actor).select_related("place", "place__parent").filter(pk=topic_id).first()
    )
    if topic is None:
        raise NotFound("topic_not_found", _("Topic not found"))
    return topic


def topic_rows(actor, *, stage: str = "", place: Place | None = None) -> QuerySet[Topic]:
    qs = (
        visible_topics(actor)
        .select_related("place", "place__parent")
        .annotate(opinion_count=Count("opinions", distinct=True))
        .order_by("-created_at", "-pk")
    )
    if stage:
        qs = qs.filter(stage=stage)
    if place is not None:
        qs = qs.filter(place__path__startswith=place.path)
    return qs


# Events that say which unit voted, who votes for it, whose papers were checked or whose
# number was shown: the roll call, for those who may see it (``rules.can_see_roll``).
ROLL_VERBS = ("ballot", "proxy", "owner_checked", "phone_shown")


def events(
    topic: Topic, *, public_only: bool = False, with_roll: bool = True
) -> QuerySet[TopicEvent]:
    qs = topic.events.order_by("at", "pk")
    if public_only:
        qs = qs.filter(public=True)
    return qs if with_roll else qs.exclude(verb__in=ROLL_VERBS)


def opinions(topic: Topic) -> QuerySet[Opinion]:
    return topic.opinions.select_related("household").order_by("at", "pk")


def vote_of(topic: Topic) -> Vote | None:
    return Vote.objects.filter(topic=topic).first()


# --- public pages -------------------------------------------------------------------------------


def public_compounds(q: str = "") -> QuerySet[Place]:
    """Compounds a resident may pick: those with a public topic, or whose community has one."""
    with_topics = Topic.objects.filter(stage__in=PUBLIC_STAGES).values("place_id")
    qs = Place.objects.filter(kind=Place.Kind.COMPOUND).filter(
        Q(pk__in=with_topics) | Q(parent_id__in=with_topics)
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(parent__name__icontains=q))
    return qs.select_related("parent").order_by("path")[:50]


def public_topics(compound: Place) -> QuerySet[Topic]:
    """Topics of a compound and of its community, open ones first."""
    ids = [compound.pk] + ([compound.parent_id] if compound.parent_id else [])
    return (
        Topic.objects.filter(place_id__in=ids, stage__in=PUBLIC_STAGES)
        .select_related("place")
        .order_by("-created_at", "-pk")
    )


def public_topic(code: str) -> Topic:
    topic = (
        Topic.objects.filter(code=code, stage__in=PUBLIC_STAGES)
        .select_related("place", "place__parent")
        .first()
    )
    if topic is None:
        raise NotFound("topic_not_found", _("Topic not found"))
    return topic


def place_compound(topic: Topic) -> Place | None:
    """The compound whose owners vote on the topic (None for a community-wide topic)."""
    return topic.place if topic.place.kind == Place.Kind.COMPOUND else None


# --- owners, electorate, tally -----------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """A phone as staff lists and exports show it: ``138****0001`` (short ones: ``****``)."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def households(compound: Place) -> QuerySet[Household]:
    return (
        Household.objects.filter(compound=compound)
        .prefetch_related(Prefetch("owners", queryset=Owner.objects.order_by("name")))
        .order_by("building", "entrance", "room")
    )


def electorate(
    compound: Place,
    *,
    building: str = "",
    entrance: str | None = None,
    household_ids: Collection[int] | None = None,
) -> list[tuple[Household, tally.Unit, list[int]]]:
    """The units that may vote now, each with its owner group (see :mod:`.tally`): the whole
    compound, or only one building, one entrance of it, or the chosen units. Owner groups
    are formed within that electorate, so an owner with a flat in another entrance is one
    head here all the same, and the thresholds are counted over these units only."""
    qs = households(compound).filter(eligible=True)
    if building:
        qs = qs.filter(building=building)
    if entrance is not None:
        qs = qs.filter(entrance=entrance)
    if household_ids is not None:
        qs = qs.filter(pk__in=list(household_ids))
    rows = list(qs)
    owned = {h.pk: [o.pk for o in h.owners.all()] for h in rows}
    rows = [h for h in rows if owned[h.pk]]  # a unit without a registered owner has no voter
    groups = tally.owner_groups({h.pk: owned[h.pk] for h in rows})
    return [(h, tally.Unit(h.pk, h.area, groups[h.pk]), owned[h.pk]) for h in rows]


def electorate_scopes(compound: Place) -> list[tuple[str, list[str]]]:
    """The buildings of a compound's households register with their entrances, in order:
    what the vote-opening form offers. Only units that may vote are counted."""
    pairs = (
        Household.objects.filter(compound=compound, eligible=True)
        .values_list("building", "entrance")
        .distinct()
        .order_by("building", "entrance")
    )
    found: dict[str, list[str]] = {}
    for building, entrance in pairs:
        found.setdefault(building, [])
        if entrance:
            found[building].append(entrance)
    return list(found.items())


def scope_label(building: str = "", entrance: str = "") -> str:
    """A building or an entrance of it as people say it: "3号楼", "3号楼2单元" (the register's
    words; the same form as :attr:`Household.label`)."""
    return f"{building}{entrance}单元" if entrance else building


def roll_units(vote: Vote) -> list[tally.Unit]:
    return [
        tally.Unit(r.household_id, r.area, r.head)
        for r in RollEntry.objects.filter(vote=vote).order_by("household_id")
    ]


def ballots_by_unit(vote: Vote) -> dict[int, str]:
    return dict(Ballot.objects.filter(vote=vote).values_list("household_id", "choice"))


def sealed_error() -> Conflict:
    return Conflict(
        "vote_sealed",
        _("The vote is still open: its count and choices are sealed until it closes."),
    )


def tally_of(vote: Vote) -> dict[str, Any]:
    """The frozen result of a closed vote. An open vote is sealed: its count as it stands
    would tell, ballot by ballot, how each unit voted, so it is not read at all."""
    if vote.closed_at is None:
        raise sealed_error()
    return vote.result


def tally_or_empty(vote: Vote | None) -> dict[str, Any]:
    """For pages: the frozen result, or nothing while the vote is open (or none exists)."""
    return vote.result if vote is not None and vote.closed_at is not None else {}


def phone_units(topic: Topic, phone: str) -> list[tuple[Household, bool]]:
    """The units a phone may act for in this topic's vote: ``(unit, by_proxy)``."""
    vote = vote_of(topic)
    compound = place_compound(topic)
    if compound is None or not phone:
        return []
    rolled = set(RollEntry.objects.filter(vote=vote).values_list("household_id", flat=True))
    own = Household.objects.filter(compound=compound, owners__phone=phone).distinct()
    result = [(h, False) for h in own.order_by("building", "entrance", "room")]
    if vote is not None:
        result = [(h, p) for h, p in result if h.pk in rolled]
        for proxy in Proxy.objects.filter(vote=vote, phone=phone).select_related("household"):
            if all(h.pk != proxy.household_id for h, _p in result):
                result.append((proxy.household, True))
    return result


def phone_owner(topic: Topic, phone: str) -> Owner | None:
    compound = place_compound(topic)
    if compound is None or not phone:
        return None
    return Owner.objects.filter(compound=compound, phone=phone).order_by("pk").first()


def phone_known(topic: Topic, phone: str) -> bool:
    vote = vote_of(topic)
    return phone_owner(topic, phone) is not None or (
        vote is not None and Proxy.objects.filter(vote=vote, phone=phone).exists()
    )


@dataclass
class RollRow:
    """One unit on a vote's roll: who owns it, whether and how it voted, and — only for
    those who may see it after the vote closed — its choice."""

    household: Household
    area: Any
    owners: list[str]
    channel: str
    cast_at: Any
    voter: str
    choice: str = ""


def roll_rows(vote: Vote, *, with_choices: bool = False) -> list[RollRow]:
    """The roll of a vote with the channel and time of each unit's ballot; the choice is read
    only when asked (``rules.can_see_choices``) and never while the vote is open. Three
    queries whatever the size of the roll."""
    with_choices = with_choices and vote.closed_at is not None
    entries = list(
        vote.roll.select_related("household").order_by(
            "household__building", "household__entrance", "household__room"
        )
    )
    ids = {i for e in entries for i in (e.owner_ids or [])}
    names = dict(Owner.objects.filter(pk__in=ids).values_list("pk", "name"))
    cast = {
        b["household_id"]: b
        for b in Ballot.objects.filter(vote=vote).values(
            "household_id", "channel", "cast_at", "voter_name", "owner__name", "choice"
        )
    }
    rows = []
    for e in entries:
        b = cast.get(e.household_id) or {}
        rows.append(
            RollRow(
                household=e.household,
                area=e.area,
                owners=[names[i] for i in (e.owner_ids or []) if i in names],
                channel=b.get("channel", ""),
                cast_at=b.get("cast_at"),
                voter=b.get("voter_name") or b.get("owner__name") or "",
                choice=b.get("choice", "") if with_choices else "",
            )
        )
    return rows


def ballot_list(vote: Vote) -> QuerySet[Ballot]:
    return vote.ballots.select_related("household").order_by("cast_at", "pk")


def published_choices(vote: Vote | None) -> list[tuple[str, str]]:
    """业主投票结果公示: each unit's choice, by unit label only (no names), for the public page
    — only for a closed vote whose organisers published the choices."""
    if vote is None or vote.closed_at is None or not vote.publish_choices:
        return []
    rows = Ballot.objects.filter(vote=vote).select_related("household")
    rows = rows.order_by("household__building", "household__entrance", "household__room")
    return [(b.household.label, b.choice) for b in rows]


def project_links(topic: Topic) -> QuerySet[ResolutionProject]:
    """The projects that carry out a topic's resolution."""
    return topic.project_links.select_related("project", "project__type").order_by("linked_at")


def resolution_of_project(project) -> ResolutionProject | None:
    """The resolution a project carries out, with its topic and vote (None: no link)."""
    return (
        ResolutionProject.objects.select_related("topic", "topic__place", "topic__vote")
        .filter(project=project)
        .first()
    )


def linkable_projects(actor, topic: Topic, limit: int = 200) -> list[Any]:
    """Active projects the actor can see and that carry out no resolution yet: what the
    topic page offers to link. Projects at the topic's place come first."""
    qs = (
        project_queries.visible_projects(actor)
        .filter(state="active", resolution_link__isnull=True)
        .order_by("code")
    )
    here = list(qs.filter(places__path__startswith=topic.place.path).distinct()[:limit])
    rest = [p for p in qs[:limit] if p not in here]
    return (here + rest)[:limit]


def owner_of_compound(compound: Place, owner_id: int) -> Owner:
    owner = Owner.objects.filter(compound=compound, pk=owner_id).first()
    if owner is None:
        raise NotFound("owner_not_found", _("Owner not found"))
    return owner


def rating_counts(topic: Topic) -> dict[str, int]:
    counts = dict(
        topic.ratings.values_list("score").annotate(n=Count("pk")).values_list("score", "n")
    )
    return {s: counts.get(s, 0) for s in ("satisfied", "basically_satisfied", "dissatisfied")}


# --- "1+1+1" -----------------------------------------------------------------------------------


def current_documents(place: Place) -> dict[str, CharterDocument]:
    """The version in force of each kind of document of one place."""
    found: dict[str, CharterDocument] = {}
    for doc in CharterDocument.objects.filter(place=place).order_by("kind", "-version"):
        found.setdefault(doc.kind, doc)
    return found


def document_history(place: Place) -> QuerySet[CharterDocument]:
    return CharterDocument.objects.filter(place=place).order_by("kind", "-version")


@dataclass
class CoverageRow:
    place: Place
    kinds: set[str]

    @property
    def complete(self) -> bool:
        return len(self.kinds) == len(CharterDocument.Kind.values)


def coverage(actor, *, under: Place | None = None) -> dict[str, Any]:
    """For each community and compound the reader covers: which of the three documents it
    has. Two queries whatever the number of places."""
    places = Place.objects.filter(
        scope_for(actor).places_q(),
        kind__in=[Place.Kind.COMMUNITY, Place.Kind.COMPOUND],
    ).select_related("parent")
    if under is not None:
        places = places.filter(path__startswith=under.path)
    places = list(places.order_by("path"))
    kinds: dict[int, set[str]] = {}
    for place_id, kind in (
        CharterDocument.objects.filter(place__in=places).values_list("place_id", "kind").distinct()
    ):
        kinds.setdefault(place_id, set()).add(kind)
    rows = [CoverageRow(p, kinds.get(p.pk, set())) for p in places]
    summary = {}
    for kind in (Place.Kind.COMMUNITY, Place.Kind.COMPOUND):
        of_kind = [r for r in rows if r.place.kind == kind]
        summary[kind] = {
            "total": len(of_kind),
            "complete": sum(1 for r in of_kind if r.complete),
            **{k: sum(1 for r in of_kind if k in r.kinds) for k in CharterDocument.Kind.values},
        }
    return {"rows": rows, "summary": summary}


# --- issued documents (决议, 结果公告) ---------------------------------------------------------

# The units that issue a topic's documents, nearest to its place first: the community
# committee of its community, else the street office of its street.
ISSUER_KINDS = ("community_committee", "street_office", "party_government")


def issuer_of(topic: Topic):
    """The unit a topic's 决议 and 结果公告 go out under: the unit of the issuing kinds whose
    area is the topic's place or the nearest place above it (None: no such unit)."""
    from cityloop.org.models import Unit

    parts = [p for p in topic.place.path.split("/") if p]
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return (
        Unit.objects.filter(place__path__in=paths, kind__in=ISSUER_KINDS)
        .select_related("place")
        .order_by("-place__depth", "pk")
        .first()
    )


def document_of(topic: Topic, kind: str) -> TopicDocument | None:
    """The topic's issued document of ``kind`` (None: not issued yet)."""
    return TopicDocument.objects.filter(topic=topic, kind=kind).select_related("issuer").first()


def documents_of(topic: Topic) -> dict[str, TopicDocument]:
    return {d.kind: d for d in TopicDocument.objects.filter(topic=topic)}


def document_title(topic: Topic, kind: str) -> str:
    """关于…的决议 / 关于…表决结果的公告 (Chinese document text, like a notice's)."""
    if kind == TopicDocument.Kind.RESOLUTION:
        return f"关于{topic.title}的决议"
    return f"关于{topic.title}表决结果的公告"
