"""The case loop's tables: categories, cases, their events and photos.

A case moves through the states of :class:`Case.Status`; the only code that changes a case's
state is :mod:`cityloop.cases.workflow`, which writes a :class:`CaseEvent` in the same
transaction. Deadlines are stored as moments (``due_at``, ``warn_at``) computed on the work
calendar of the unit that must act, so "is it late?" is a plain comparison in SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cityloop.core.models import EventBase


class Level(models.TextChoices):
    """Where a case is handled; escalation moves one step up (小事不出楼栋、大事不出小区)."""

    BUILDING = "building", _("Building")
    COMPOUND = "compound", _("Compound")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District")

    @classmethod
    def order(cls) -> list[str]:
        return [c.value for c in cls]

    @classmethod
    def above(cls, level: str) -> str | None:
        order = cls.order()
        i = order.index(level)
        return order[i + 1] if i + 1 < len(order) else None


class LimitType(models.TextChoices):
    """How a stage's time limit is counted (数字城管: 紧急工作时 / 工作时 / 工作日 / 自然日)."""

    URGENT_HOURS = "urgent_hours", _("Urgent hours (round the clock)")
    WORK_HOURS = "work_hours", _("Working hours")
    WORK_DAYS = "work_days", _("Working days")
    CALENDAR_DAYS = "calendar_days", _("Calendar days")


class Stage(models.TextChoices):
    """The timed stages of a case; each category gives each one a limit."""

    ACCEPT = "accept", _("Acceptance")
    DISPATCH = "dispatch", _("Dispatch")
    HANDLE = "handle", _("Handling")
    VERIFY = "verify", _("Verification")
    RETURN_VISIT = "return_visit", _("Return visit")


class Category(models.Model):
    """A two-level category (大类 › 小类). Leaves carry the routing and the time limits."""

    class Kind(models.TextChoices):
        COMPONENT = "component", _("Component (部件)")
        EVENT = "event", _("Event (事件)")
        MESSAGE = "message", _("Citizen message (诉求)")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    class Routing(models.TextChoices):
        UNIT = "unit", _("The default unit")
        PLACE = "place", _("The office that covers the place at the handling level")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("main category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.EVENT)
    level = models.CharField(
        _("handling level"), max_length=12, choices=Level.choices, default=Level.COMMUNITY
    )
    routing = models.CharField(
        _("routing"), max_length=8, choices=Routing.choices, default=Routing.PLACE
    )
    default_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("default responsible unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    # {"accept": {"amount": 1, "type": "work_hours"}, "handle": {...}, ...}; see deadlines.py
    time_limits = models.JSONField(_("time limits"), default=dict, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None


OPEN_STATES = ("reported", "accepted", "dispatched", "handling", "replied", "suspended")

# What the figures' index of the unclosed cases holds beside the deadline (Case.Meta.indexes):
# the grouping, the counted states and the ways a reader sees a case.
UNCLOSED_DUE_COLUMNS = (
    "id",
    "closed_at",
    "closed_on_time",
    "status",
    "place_path",
    "responsible_unit",
    "dispatcher_unit",
    "category",
    "source",
    "reporter",
    "zone",
    "road",
    "grid",
)

# What the open cases' list index holds beside its order (Case.Meta.indexes): every column the
# scope keys and the queues (queries.my_queue) read.
QUEUE_COLUMNS = [
    "scope_keys",
    "status",
    "light",
    "level",
    "place_path",
    "handler",
    "responsible_unit",
    "pending_request",
]


class Case(models.Model):
    """One problem to be solved, from report to return visit."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Not accepted")
        MERGED = "merged", _("Merged as duplicate")
        DISPATCHED = "dispatched", _("Dispatched")
        HANDLING = "handling", _("Being handled")
        REPLIED = "replied", _("Replied")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (
        Status.REPORTED,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.HANDLING,
        Status.REPLIED,
        Status.SUSPENDED,
    )
    assert tuple(OPEN) == OPEN_STATES  # the partial indexes below name them as literals
    FINISHED = (Status.REJECTED, Status.MERGED, Status.CLOSED, Status.CANCELLED)

    class Source(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        PATROL = "patrol", _("Patrol")
        HOTLINE = "hotline", _("Hotline 12345")
        DESK = "desk", _("Desk")
        SUPERVISION = "supervision", _("Supervision")
        STEWARD = "steward", _("Red steward (WeChat group)")
        INSPECTION = "inspection", _("Inspection")
        MEDIA = "media", _("Media")

    class Light(models.TextChoices):
        NONE = "", _("No deadline")
        GREEN = "green", _("In time")
        YELLOW = "yellow", _("Near its limit")
        RED = "red", _("Overdue")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically_satisfied", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    code = models.CharField(_("code"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    # What the public sees of the problem (tracking page, Open311); staff write it at
    # acceptance. Empty: "<category> · <community>" (see cases.public), never the resident's
    # own words, which may name neighbours.
    public_summary = models.CharField(_("public summary"), max_length=200, blank=True)
    level = models.CharField(
        _("handling level"), max_length=12, choices=Level.choices, default=Level.COMMUNITY
    )

    # Where: the point (WGS-84) and what the spatial index found there.
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    place = models.ForeignKey(
        "org.Place",
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("The smallest place that holds the case (building, compound, …)."),
    )
    place_path = models.CharField(_("place path"), max_length=400, blank=True, db_index=True)
    grid = models.ForeignKey(
        "org.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="grid_cases"
    )
    road = models.ForeignKey(
        "org.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="road_cases"
    )
    zone = models.ForeignKey(
        "org.Zone",
        verbose_name=_("patrol zone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="zone_cases",
    )

    # Who reported it; a resident may have no account, only a name and a phone.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=30, blank=True)
    reporter_email = models.EmailField(_("reporter e-mail"), blank=True)
    on_behalf_of = models.CharField(
        _("on behalf of"),
        max_length=100,
        blank=True,
        help_text=_("Who said it, when a steward or the desk enters it for someone."),
    )
    external_id = models.CharField(_("external number"), max_length=60, blank=True)

    # Who must act now.
    dispatcher_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("dispatching unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatching_cases",
    )
    responsible_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_cases",
    )
    assisting_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("assisting units"), blank=True, related_name="assisting_cases"
    )
    handler = models.ForeignKey(
        "org.Person",
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_cases",
    )
    master = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )

    # Clock: the current stage, its limit and the moments it turns yellow and red.
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(_("stage started"), null=True, blank=True)
    warn_at = models.DateTimeField(_("turns yellow at"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    handle_due_at = models.DateTimeField(_("handling due at"), null=True, blank=True)
    light = models.CharField(
        _("light"), max_length=8, choices=Light.choices, blank=True, default=""
    )
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    resume_status = models.CharField(max_length=12, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True, editable=False)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    pending_request = models.JSONField(_("pending request"), default=dict, blank=True)

    # Milestones and counters the figures are read from.
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    handling_hours = models.FloatField(_("handling time (working hours)"), null=True, blank=True)
    # Working hours the handling stage spent suspended; not counted as handling time.
    suspended_hours = models.FloatField(default=0, editable=False)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopens"), default=0)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    heat = models.PositiveIntegerField(_("reports of this problem"), default=1)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    visited_at = models.DateTimeField(_("return visit at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    reject_reason = models.CharField(_("reason not accepted"), max_length=300, blank=True)
    share_gps = models.BooleanField(_("reporter shared the photo location"), default=False)

    # jieba tokens of title + description + address, for full-text search.
    search_text = models.TextField(blank=True, editable=False)

    # Derived for the lists (see cases.queries.case_rows / visible_cases): the light as a
    # number, so the list's order is plain columns an index holds; computed by the database
    # itself, so every writer of ``light`` (the sweeps' bulk updates too) keeps it right.
    light_rank = models.GeneratedField(
        expression=models.Case(
            models.When(light="red", then=models.Value(0)),
            models.When(light="yellow", then=models.Value(1)),
            default=models.Value(2),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    # Who may see the case, as keys one GIN index holds (PostgreSQL): ``p:<place path>`` for
    # every ancestor path of ``place_path``, ``u:<unit id>`` for the responsible and the
    # dispatching unit, ``a:<unit id>`` for each assisting unit, ``z:<zone id>`` for the
    # zone, road and grid, ``r:<user id>`` for the reporter; space-separated. Kept by
    # :meth:`save` and, for assisting units, by the workflow where it sets them
    # (``refresh_scope_keys(assisting_ids=…)`` before the save).
    scope_keys = models.TextField(blank=True, default="", editable=False)
    updated_at = models.DateTimeField(_("updated at"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["category", "reported_at"]),
            models.Index(fields=["lat", "lng"]),
            # Figures: cases due in a period but not closed in it (cases/summary.py).
            # Covering the id: PostgreSQL answers the ids from the index alone.
            models.Index(
                fields=["handle_due_at", "closed_at"],
                include=["id"],
                name="case_handle_due_closed",
            ),
            # Figures: the cases due in a period and not closed at all (queries._straddling_arms),
            # holding what their grouped count reads, so PostgreSQL counts from the index.
            models.Index(
                fields=["handle_due_at"],
                condition=Q(closed_at__isnull=True),
                include=UNCLOSED_DUE_COLUMNS,
                name="case_unclosed_due",
            ),
            # The list's order (case_rows): walked from the top with LIMIT, no sort.
            models.Index(
                fields=["light_rank", "due_at", "-reported_at", "-id"], name="case_list_order"
            ),
            # The same for the open cases alone (workbench queues, home counts), holding every
            # column the scope keys and the queues (queries.my_queue) read: PostgreSQL picks
            # a page's ids, or counts, from the index alone, never visiting the case rows it
            # passes over (on SQLite the INCLUDE is dropped).
            models.Index(
                fields=["light_rank", "due_at", "-reported_at", "-id"],
                name="case_open_list_order",
                condition=Q(status__in=OPEN_STATES),
                include=QUEUE_COLUMNS,
            ),
            # The light counts (queries.light_counts): the open cases' light and scope keys in
            # one small index, read without the scattered case rows (PostgreSQL; on SQLite
            # the INCLUDE is dropped).
            models.Index(
                fields=["light"],
                include=["scope_keys"],
                name="case_open_light_keys",
                condition=Q(status__in=OPEN_STATES),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="case_external_id_unique_per_source",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", master__isnull=False)
                | (~Q(status="merged") & Q(master__isnull=True)),
                name="case_master_iff_merged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        # Derived data kept in the same statement as the change it is derived from.
        fields = kwargs.get("update_fields")
        if fields is None:
            self.refresh_scope_keys()
        elif self.SCOPE_FIELDS.intersection(fields):
            self.refresh_scope_keys()
            kwargs["update_fields"] = [*fields, "scope_keys"]
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        case = super().from_db(db, field_names, values)
        # The row as loaded: the figure summary takes its old contribution out on save.
        case._loaded = dict(zip(field_names, values, strict=True))
        return case

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    # Fields the scope keys are read from; a save of any of them refreshes the keys.
    SCOPE_FIELDS = frozenset(
        {
            "place",
            "place_path",
            "responsible_unit",
            "dispatcher_unit",
            "zone",
            "road",
            "grid",
            "reporter",
        }
    )

    def own_scope_keys(self) -> list[str]:
        """The keys of the case's own columns (no query): places, units, zones, reporter."""
        keys = place_keys(self.place_path)
        keys += [f"u:{pk}" for pk in (self.responsible_unit_id, self.dispatcher_unit_id) if pk]
        keys += [f"z:{pk}" for pk in (self.zone_id, self.road_id, self.grid_id) if pk]
        if self.reporter_id:
            keys.append(f"r:{self.reporter_id}")
        return keys

    def refresh_scope_keys(self, assisting_ids=None) -> None:
        """Recompute :attr:`scope_keys`; assisting units kept from the stored keys unless
        their ids are given."""
        if assisting_ids is None:
            assisting = [k for k in self.scope_keys.split() if k.startswith("a:")]
        else:
            assisting = [f"a:{pk}" for pk in sorted(set(assisting_ids))]
        keys = list(dict.fromkeys([*self.own_scope_keys(), *assisting]))
        self.scope_keys = " ".join(keys)


def place_keys(place_path: str) -> list[str]:
    """``/a/b/`` → ``p:/a/``, ``p:/a/b/``: a scope place path ``P`` covers the case exactly
    when ``p:P`` is among them (paths are whole segments ending in ``/``)."""
    parts = [p for p in (place_path or "").split("/") if p]
    return [f"p:/{'/'.join(parts[: i + 1])}/" for i in range(len(parts))]


class CaseEvent(EventBase):
    """One step of a case's timeline; ``public`` events show on the tracking page."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    public = models.BooleanField(default=True)

    class Meta(EventBase.Meta):
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["verb", "at"])]

    def __str__(self) -> str:
        return f"{self.case.code} {self.verb} {self.at:%Y-%m-%d %H:%M}"


class CasePhoto(models.Model):
    """A photo of one step (report, reply, verification), re-encoded without EXIF."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    step = models.CharField(_("step"), max_length=20)
    file = models.CharField(_("file"), max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file


class IdempotencyKey(models.Model):
    """``Idempotency-Key`` of a case report: the same key from the same client is one case."""

    client = models.CharField(max_length=150)
    key = models.CharField(max_length=200)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client}:{self.key}"


class ReplyTemplate(models.Model):
    """A unit's ready-made text for its replies (办结答复) or the desk's return visits (回访).

    ``category`` empty means any category; a template for a main category fits its
    sub-categories. Placeholders ``{编号}`` ``{地点}`` ``{类别}`` are filled from the case.
    """

    class UsedFor(models.TextChoices):
        REPLY = "reply", _("Reply")
        RETURN_VISIT = "return_visit", _("Return visit")

    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="reply_templates",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reply_templates",
        help_text=_("Empty: any category."),
    )
    title = models.CharField(_("heading"), max_length=80)
    text = models.TextField(_("text"), max_length=2000)
    used_for = models.CharField(
        _("used for"), max_length=12, choices=UsedFor.choices, default=UsedFor.REPLY
    )
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["unit__path", "sort", "title"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "title"], name="reply_template_title_per_unit")
        ]
        indexes = [models.Index(fields=["unit", "used_for", "active"])]

    def __str__(self) -> str:
        return self.title


class CaseDayFigure(models.Model):
    """The case figures of one local day for one place, unit, dispatcher, category and source:
    what :func:`cityloop.cases.queries.case_figures` sums instead of reading every case.

    Kept in the transaction of each case change by :mod:`cityloop.cases.summary` (rebuilt from
    the cases by ``cityloop manage rebuild_case_figures``). Each counter counts the cases whose
    milestone fell on ``day`` as they stand now: ``reported`` by reported_at; ``accepted`` by
    accepted_at; ``closed`` and the closed pieces by closed_at; ``visited``/``pleased`` by
    visited_at. Ids are plain integers (0 = none) so the unique key has no NULLs.

    ``span`` ``month`` rows roll the days of a local month up (``day`` is the month's first):
    written by the same upsert as the day rows they sum, so a year's figures read twelve
    months' rows and the days at its edges, not 365 days'.
    """

    class Span(models.TextChoices):
        DAY = "day", _("by day")
        MONTH = "month", _("by month")

    span = models.CharField(max_length=5, choices=Span.choices, default="day", db_default="day")
    day = models.DateField()
    place_path = models.CharField(max_length=400, blank=True)
    unit_id = models.IntegerField(default=0, db_default=0)  # the responsible unit
    dispatcher_id = models.IntegerField(
        default=0, db_default=0
    )  # the dispatching unit (a scope reads by it)
    category_id = models.IntegerField(default=0, db_default=0)
    source = models.CharField(max_length=12)
    reported = models.IntegerField(default=0, db_default=0)
    accepted = models.IntegerField(default=0, db_default=0)
    closed = models.IntegerField(default=0, db_default=0)
    # Closed in the day, not cancelled, rejected, merged or suspended now: due to close.
    closed_due = models.IntegerField(default=0, db_default=0)
    closed_due_on_time = models.IntegerField(default=0, db_default=0)
    reworked = models.IntegerField(default=0, db_default=0)  # closed, with a rework or reopen
    hours_count = models.IntegerField(default=0, db_default=0)
    hours_sum = models.FloatField(default=0, db_default=0)
    visited = models.IntegerField(default=0, db_default=0)  # visited with a satisfaction answer
    pleased = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("case figures of a day")
        verbose_name_plural = _("case figures of days")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "span",
                    "day",
                    "place_path",
                    "unit_id",
                    "dispatcher_id",
                    "category_id",
                    "source",
                ],
                name="case_day_figure_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.place_path} {self.source}"
