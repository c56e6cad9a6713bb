"""Residents' deliberation (议事协商): topics through 一征三议两公开, the owners who vote on
them, their ballots, and each compound's and community's "1+1+1" documents.

Invariants that protect a vote sit in the database, not only in code: one ballot per unit
per vote (so paper and mobile, or two mobile ballots, cannot both land), one paper ballot
number per vote, one roll row per unit per vote. The state of a topic is changed only by
:mod:`cityloop.deliberation.workflow`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase
from cityloop.org.models import Place

AREA_DIGITS = 10
AREA_PLACES = 2  # 不动产登记簿 records floor area to 0.01 m²


class Topic(models.Model):
    """议题: one matter a compound or community deliberates on."""

    class Stage(models.TextChoices):
        SOLICITING = "soliciting", _("Soliciting opinions")
        PROPOSED = "proposed", _("Proposal made")
        DELIBERATED = "deliberated", _("Deliberated")
        VOTING = "voting", _("Voting")
        RESOLVED = "resolved", _("Resolved")
        NOT_ADOPTED = "not_adopted", _("Not adopted")
        RESOLUTION_PUBLISHED = "resolution_published", _("Resolution published")
        IMPLEMENTING = "implementing", _("Being implemented")
        RESULT_PUBLISHED = "result_published", _("Result published")
        RATED = "rated", _("Rated and closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        @classmethod
        def finished(cls) -> set[str]:
            return {cls.NOT_ADOPTED, cls.RATED, cls.WITHDRAWN}

    class Rule(models.TextChoices):
        MEETING = "meeting", _("Residents' meeting: simple majority of attendees")
        OWNERS_MAJOR = "owners_major", _("Owners' decision, renovation-class matter (≥ 3/4)")
        OWNERS_ORDINARY = "owners_ordinary", _("Owners' decision, other matter (> 1/2)")

        @classmethod
        def owners(cls) -> set[str]:
            return {cls.OWNERS_MAJOR, cls.OWNERS_ORDINARY}

    code = models.CharField(_("code"), max_length=30, unique=True)
    title = models.CharField(_("topic title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.ForeignKey(
        Place,
        verbose_name=_("compound or community"),
        on_delete=models.PROTECT,
        related_name="topics",
    )
    stage = models.CharField(
        _("stage"), max_length=24, choices=Stage.choices, default=Stage.SOLICITING
    )
    rule = models.CharField(_("vote rule"), max_length=20, choices=Rule.choices)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The two notice periods (两公开): the last day each notice stays up.
    resolution_notice_until = models.DateField(_("resolution notice until"), null=True, blank=True)
    result_notice_until = models.DateField(_("result notice until"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.stage not in self.Stage.finished()


class TopicStep(models.Model):
    """One of the eight steps of 一征三议两公开 as it was done: when, by whom, with which text,
    documents and participants. Written by the workflow together with the stage change."""

    class Kind(models.TextChoices):
        SOLICIT = "solicit", _("Solicit (一征)")
        PROPOSE = "propose", _("Propose (提议)")
        DELIBERATE = "deliberate", _("Deliberate (商议)")
        RESOLVE = "resolve", _("Resolve (决议)")
        PUBLISH_RESOLUTION = "publish_resolution", _("Publish the resolution")
        IMPLEMENT = "implement", _("Implement")
        PUBLISH_RESULT = "publish_result", _("Publish the result")
        RATE = "rate", _("Rate (共评)")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    body = models.CharField(_("held by"), max_length=200, blank=True)  # 社区党组织, 居民议事会 …
    text = models.TextField(_("text"), blank=True)  # proposal, minutes, resolution, result
    amendments = models.TextField(_("amendments"), blank=True)
    participants = models.TextField(_("participants"), blank=True)
    attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)
    documents = models.JSONField(_("documents"), default=list, blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "kind"], name="topicstep_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.kind}"


class TopicEvent(EventBase):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events")
    public = models.BooleanField(default=True)

    class Meta(EventBase.Meta):
        verbose_name = _("topic event")
        verbose_name_plural = _("topic events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb}"


class Household(models.Model):
    """户 / 专有部分: one unit of a compound with its registered floor area."""

    compound = models.ForeignKey(
        Place,
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"kind": "compound"},
    )
    building = models.CharField(_("building"), max_length=40)
    entrance = models.CharField(_("entrance (单元)"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20)
    area = models.DecimalField(_("floor area (m²)"), max_digits=AREA_DIGITS, decimal_places=2)
    eligible = models.BooleanField(_("may vote"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["compound", "building", "entrance", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "building", "entrance", "room"], name="household_unique_room"
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="household_area_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        parts = [self.building, f"{self.entrance}单元" if self.entrance else "", self.room]
        return "-".join(p for p in parts if p)


class Owner(models.Model):
    """业主: a person (or body) registered as owner of one or more units of a compound.

    Identified within the compound by ``key`` (the ID number's last digits, or the name
    when nothing else is known); the same key on two units is the same owner, which is what
    makes "one owner of several units counts as one head" computable.
    """

    compound = models.ForeignKey(
        Place, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="owners"
    )
    key = models.CharField(_("owner key"), max_length=60)
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    households = models.ManyToManyField(Household, related_name="owners", blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["compound", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "key"], name="owner_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Vote(models.Model):
    """决议 of a topic: the rule, the electorate frozen at opening, and the tally frozen at
    closing (``result``, exactly what was shown, with every threshold and its numbers).

    The electorate (表决范围) is the whole compound, one building, one entrance (单元) of a
    building, or a chosen set of units — a lift (加装电梯) is decided by the owners of the
    entrance it serves. Buildings and entrances are named as on the households register (the
    place tree has buildings for some compounds only, and no entrances), so the scope is kept
    here as the register's own words; the roll copied at opening is the exact set of units.
    ``electorate_label`` is the scope as people read it ("3号楼2单元"), frozen at opening."""

    class Electorate(models.TextChoices):
        COMPOUND = "compound", _("The whole compound")
        BUILDING = "building", _("One building")
        ENTRANCE = "entrance", _("One entrance (单元)")
        UNITS = "units", _("Chosen units")

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="vote")
    rule = models.CharField(_("vote rule"), max_length=20, choices=Topic.Rule.choices)
    question = models.CharField(_("question put to the vote"), max_length=300)
    opened_at = models.DateTimeField(_("opened at"))
    closes_on = models.DateField(_("voting ends on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("vote closed at"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    result = models.JSONField(_("frozen tally"), default=dict, blank=True)
    # 业主投票结果公示: whether each household's choice is shown, once the vote is closed, to
    # everyone who may read the topic (and on its public page). Off unless the organisers
    # decide it; changed only by ``workflow.vote_publish_choices``, which records the event.
    publish_choices = models.BooleanField(_("publish each household's choice"), default=False)
    electorate = models.CharField(
        _("electorate"), max_length=10, choices=Electorate.choices, default=Electorate.COMPOUND
    )
    electorate_building = models.CharField(_("electorate building"), max_length=40, blank=True)
    electorate_entrance = models.CharField(_("electorate entrance"), max_length=20, blank=True)
    electorate_label = models.CharField(_("electorate (as shown)"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            # A building is named exactly when the scope is a building or an entrance of one;
            # an entrance exactly when the scope is an entrance.
            models.CheckConstraint(
                condition=(
                    Q(electorate__in=["building", "entrance"]) & ~Q(electorate_building="")
                    | ~Q(electorate__in=["building", "entrance"]) & Q(electorate_building="")
                ),
                name="vote_electorate_building",
            ),
            models.CheckConstraint(
                condition=Q(electorate="entrance") & ~Q(electorate_entrance="")
                | ~Q(electorate="entrance") & Q(electorate_entrance=""),
                name="vote_electorate_entrance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.question}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def scope_label(self) -> str:
        """The electorate as shown ("3号楼2单元"); a vote opened before scopes existed was
        always the whole place of its topic."""
        return self.electorate_label or self.topic.place.name


class RollEntry(models.Model):
    """The electorate of a vote, copied at opening: later edits to households or owners do
    not move a running vote. ``head`` numbers the owner group the unit belongs to."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="roll")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(max_digits=AREA_DIGITS, decimal_places=2)
    head = models.PositiveIntegerField()
    owner_ids = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "household"], name="roll_unique_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} · {self.household_id}"


class Proxy(models.Model):
    """委托代理: someone registered by staff to vote for a unit in one vote."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="proxies")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("proxy name"), max_length=60)
    phone = models.CharField(_("proxy phone"), max_length=30, blank=True)
    document = models.CharField(_("power of attorney"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "household"], name="proxy_one_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.household_id}"


class Ballot(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", _("In favour")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    class Channel(models.TextChoices):
        PAPER = "paper", _("Paper ballot")
        MOBILE = "mobile", _("Mobile page")

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="ballots")
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    ballot_no = models.CharField(_("ballot number"), max_length=30, blank=True)
    voter_name = models.CharField(_("voter"), max_length=60, blank=True)
    by_proxy = models.BooleanField(_("by proxy"), default=False)
    owner = models.ForeignKey(
        Owner, null=True, blank=True, on_delete=models.SET_NULL, related_name="ballots"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cast_at = models.DateTimeField(_("cast at"))

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["cast_at", "pk"]
        constraints = [
            # One unit, one ballot: paper + mobile, or mobile twice, is refused here too.
            models.UniqueConstraint(fields=["vote", "household"], name="ballot_one_per_unit"),
            models.UniqueConstraint(
                fields=["vote", "ballot_no"],
                condition=~Q(ballot_no=""),
                name="ballot_number_once",
            ),
            models.CheckConstraint(
                condition=Q(channel="mobile", ballot_no="") | Q(channel="paper") & ~Q(ballot_no=""),
                name="ballot_number_only_on_paper",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} · {self.household_id} · {self.choice} ({self.channel})"


class Access(models.Model):
    """A one-time code that proves "I am this owner (or proxy)" on the public pages of one
    topic: sent by SMS to the registered phone, or handed over by staff who checked the
    owner's papers. Only an HMAC of the code under the site secret is kept (six digits hashed
    bare could be reversed by trying all of them). Wrong tries are counted on each code."""

    class Method(models.TextChoices):
        SMS = "sms", _("Code sent to the registered phone")
        STAFF = "staff", _("Checked in person by staff")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="accesses")
    phone = models.CharField(max_length=30)
    method = models.CharField(max_length=10, choices=Method.choices)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["topic", "phone", "created_at"])]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.method} · {self.created_at:%Y-%m-%d %H:%M}"


class Opinion(models.Model):
    """意见: what a resident said, through which channel, and (where known) from which unit."""

    class Channel(models.TextChoices):
        FIRESIDE = "fireside", _("Neighbourhood chat (小板凳恳谈会)")
        COUNCIL = "council", _("Residents' council")
        PAPER_FORM = "paper_form", _("Opinion form (paper)")
        MINI_PROGRAM = "mini_program", _("WeChat mini-program")
        MOBILE = "mobile", _("Mobile page")
        HOME_VISIT = "home_visit", _("Home visit")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="opinions")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    text = models.TextField(_("opinion"))
    author = models.CharField(_("given by"), max_length=60, blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="opinions"
    )
    stage = models.CharField(_("stage"), max_length=24, choices=Topic.Stage.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.text[:40]}"


class Rating(models.Model):
    """共评: a resident's judgement of the implemented result, one per owner."""

    class Score(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically_satisfied", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="ratings")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="+")
    score = models.CharField(_("rating"), max_length=24, choices=Score.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "owner"], name="rating_one_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.score}"


class CharterDocument(models.Model):
    """One version of a "1+1+1" document of a compound or community: 议事准则, 议事场所 or
    居民公约. A new version never overwrites an old one; the highest version is in force."""

    class Kind(models.TextChoices):
        RULES_OF_PROCEDURE = "rules_of_procedure", _("Rules of procedure")
        MEETING_PLACE = "meeting_place", _("Meeting place")
        RESIDENTS_CONVENTION = "residents_convention", _("Residents' convention")

    place = models.ForeignKey(
        Place,
        verbose_name=_("compound or community"),
        on_delete=models.PROTECT,
        related_name="charter_documents",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("document title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    adopted_on = models.DateField(_("adopted on"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    photo = models.CharField(_("photo"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("1+1+1 document")
        verbose_name_plural = _("1+1+1 documents")
        ordering = ["place", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "kind", "version"], name="charter_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} · {self.get_kind_display()} v{self.version}"


class ResolutionProject(models.Model):
    """决议的实施: the project that carries out a passed resolution (a lift voted by one
    entrance, built as a project). A project carries out one resolution; a resolution may be
    carried out by several projects. Written only by ``workflow.link_project``, which records
    the event on the topic and on the project."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="project_links")
    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="resolution_link"
    )
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("project carrying out a resolution")
        verbose_name_plural = _("projects carrying out resolutions")
        ordering = ["linked_at", "pk"]

    def __str__(self) -> str:
        return f"{self.topic_id} → {self.project_id}"


class TopicDocument(models.Model):
    """发文登记 of deliberation: the 发文字号 a topic's 决议 (resolution) or 结果公告 (result
    announcement of its vote) was issued under (济源路〔2026〕3号). One document of a kind per
    topic: asked again it keeps its number; numbers run per issuing unit, kind and year, and
    a number once given is never given again (the constraint holds it, and a topic with an
    issued document cannot be deleted). Written only by ``workflow.issue_document``."""

    class Kind(models.TextChoices):
        RESOLUTION = "resolution", _("Resolution (决议)")
        RESULT = "result", _("Vote result announcement (结果公告)")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="issued_documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    issuer = models.ForeignKey(
        "org.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    reference = models.CharField(_("reference number"), max_length=80)
    title = models.CharField(_("title"), max_length=250)
    issued_on = models.DateField(_("date"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("issued deliberation document")
        verbose_name_plural = _("issued deliberation documents")
        ordering = ["issuer", "kind", "year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "kind"], name="deliberation_document_once"),
            models.UniqueConstraint(
                fields=["issuer", "kind", "year", "number"],
                name="deliberation_document_number_once",
            ),
        ]

    def __str__(self) -> str:
        return self.reference
