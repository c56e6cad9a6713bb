"""Supervision's tables: tasks and their milestones and progress, the lights stored by the
sweeper, inspections with findings and rectifications, escalations, and urging letters.

Lights are never typed in: :mod:`cityloop.supervision.lights` computes them from these
records, the sweeper stores one row per task and day (:class:`LightRecord`) and every change
is a :class:`SupervisionEvent`. Only :mod:`cityloop.supervision.workflow` changes a state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class Colour(models.TextChoices):
    """A task's light, or, for a finished task, how it finished (finished tasks are not lit)."""

    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    BLUE = "blue", _("Blue")
    DONE_EARLY = "done_early", _("Done early")
    DONE_ON_TIME = "done_on_time", _("Done on time")
    DONE_LATE = "done_late", _("Done late")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def lit(cls) -> list[str]:
        return [cls.RED, cls.YELLOW, cls.BLUE]

    @classmethod
    def done(cls) -> list[str]:
        return [cls.DONE_EARLY, cls.DONE_ON_TIME, cls.DONE_LATE]


class TaskLevel(models.TextChoices):
    """Who set the task (省市区民生实事 are set above the district and carried out below)."""

    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")


class Cadence(models.TextChoices):
    """How often the responsible unit reports progress (and how often a round inspects)."""

    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")

    @classmethod
    def days(cls, value: str) -> int:
        return {"daily": 1, "weekly": 7, "biweekly": 14, "monthly": 31}[value]


class TaskKind(models.Model):
    """重点工作, 民生实事 … — seeded, and an admin may add more."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("task kind")
        verbose_name_plural = _("task kinds")

    def __str__(self) -> str:
        return self.name


class TaskCategory(models.Model):
    """财政收入, 经济指标, 老旧小区改造 … — the headings of a red/yellow/blue board."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("task category")
        verbose_name_plural = _("task categories")

    def __str__(self) -> str:
        return self.name


class LightPolicy(models.Model):
    """The thresholds of the light rules. The row with ``active`` set is used; an admin tunes
    it in the admin, and the user guide documents every field."""

    name = models.CharField(_("name"), max_length=60, default="默认规则")
    active = models.BooleanField(_("active"), default=True)
    red_behind_points = models.PositiveSmallIntegerField(
        _("red when behind plan by at least (points)"), default=20
    )
    yellow_behind_points = models.PositiveSmallIntegerField(
        _("yellow when behind plan by at least (points)"), default=10
    )
    near_working_days = models.PositiveSmallIntegerField(
        _("yellow when the deadline or next milestone is within (working days)"), default=5
    )
    report_grace_days = models.PositiveSmallIntegerField(
        _("a progress report is late after its cadence plus (days)"), default=2
    )
    explanation_working_days = models.PositiveSmallIntegerField(
        _("working days to explain a red light"), default=3
    )
    repeat_escalation_at = models.PositiveSmallIntegerField(
        _("propose escalation when a finding comes back unrectified this many times"), default=2
    )
    deduction_points = models.DecimalField(
        _("assessment deduction proposed per escalation"),
        max_digits=5,
        decimal_places=2,
        default=2,
    )

    class Meta:
        verbose_name = _("light policy")
        verbose_name_plural = _("light policies")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_light_policy"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A supervised task (重点工作 / 民生实事), possibly split into sub-tasks per unit."""

    class State(models.TextChoices):
        ACTIVE = "active", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("task title"), max_length=200)
    kind = models.ForeignKey(TaskKind, verbose_name=_("kind"), on_delete=models.PROTECT)
    category = models.ForeignKey(TaskCategory, verbose_name=_("category"), on_delete=models.PROTECT)
    level = models.CharField(
        _("level"), max_length=10, choices=TaskLevel.choices, default=TaskLevel.STREET
    )
    annual_goal = models.TextField(_("annual goal"), blank=True)
    indicator_name = models.CharField(_("indicator"), max_length=60, blank=True)
    indicator_unit = models.CharField(_("indicator unit"), max_length=20, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    leader = models.ForeignKey(
        "org.Person",
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_tasks",
    )
    responsible_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    assisting_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("assisting units"), blank=True, related_name="assisted_tasks"
    )
    supervising_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("supervising unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    report_cadence = models.CharField(
        _("progress report cadence"),
        max_length=10,
        choices=Cadence.choices,
        default=Cadence.WEEKLY,
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="active")
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # The latest progress report, kept on the row so that lists need no join; written only by
    # the workflow together with the report.
    progress = models.DecimalField(
        _("progress (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    current_value = models.DecimalField(
        _("current value"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    progress_text = models.TextField(_("current progress"), blank=True)
    last_report_on = models.DateField(_("last report"), null=True, blank=True)
    # The stored light: written by the sweeper and after every change, never by hand.
    light = models.CharField(_("light"), max_length=14, choices=Colour.choices, blank=True)
    light_reasons = models.JSONField(_("light reasons"), default=list, blank=True)
    light_on = models.DateField(_("light computed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["category__order", "code"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["light"]), models.Index(fields=["deadline"])]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gte=models.F("start")), name="task_dates")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Milestone(models.Model):
    """A step of a task (节点) or of a rectification plan, with its due date and the share of
    the work that should be done by then."""

    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="milestones"
    )
    rectification = models.ForeignKey(
        "Rectification",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("milestone title"), max_length=200)
    duration_days = models.PositiveSmallIntegerField(
        _("duration (working days)"), null=True, blank=True
    )
    due = models.DateField(_("due"))
    planned_percent = models.DecimalField(
        _("planned progress (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due", "order", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False, rectification__isnull=True)
                | Q(task__isnull=True, rectification__isnull=False),
                name="milestone_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.due}"


class ProgressReport(models.Model):
    """What the responsible unit reported on a day; the history behind the progress chart."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    on = models.DateField(_("as of"))
    at = models.DateTimeField(_("reported at"))
    text = models.TextField(_("progress"))
    percent = models.DecimalField(
        _("progress (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    value = models.DecimalField(
        _("indicator value"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reporter_label = models.CharField(_("reported by"), max_length=100, blank=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        indexes = [models.Index(fields=["task", "on"])]

    def __str__(self) -> str:
        return f"{self.task.code} {self.on}"


class LightRecord(models.Model):
    """The light of a task on a day, as the sweeper stored it (the trend chart's data)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="light_records")
    on = models.DateField(_("day"))
    colour = models.CharField(_("light"), max_length=14, choices=Colour.choices)
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        ordering = ["on"]
        verbose_name = _("light record")
        verbose_name_plural = _("light records")
        constraints = [models.UniqueConstraint(fields=["task", "on"], name="one_light_a_day")]
        indexes = [models.Index(fields=["on", "colour"])]

    def __str__(self) -> str:
        return f"{self.task_id} {self.on} {self.colour}"


class Explanation(models.Model):
    """情况说明: a red light must be explained to the leader in charge by a due time."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting explanation")
        ANSWERED = "answered", _("Explained")
        WITHDRAWN = "withdrawn", _("No longer needed")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="explanations")
    opened_at = models.DateTimeField(_("opened"))
    due_at = models.DateTimeField(_("due"))
    reasons = models.JSONField(_("red reasons"), default=list)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    text = models.TextField(_("explanation"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("explanation")
        verbose_name_plural = _("explanations")
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(state="open"), name="one_open_explanation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.opened_at:%Y-%m-%d} {self.state}"


class Inspection(models.Model):
    """A round of inspection (督查) by a team, on tasks, places or units."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        SPECIAL = "special", _("Special")
        KEY = "key", _("Key")
        FOLLOW_UP = "follow_up", _("Follow-up")

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    cadence = models.CharField(
        _("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY
    )
    on = models.DateField(_("date"))
    subject = models.CharField(_("subject"), max_length=200)
    team = models.CharField(_("inspection team"), max_length=100)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("inspecting unit"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    tasks = models.ManyToManyField(Task, verbose_name=_("tasks"), blank=True)
    places = models.ManyToManyField("org.Place", verbose_name=_("places"), blank=True)
    units = models.ManyToManyField(
        "org.Unit", verbose_name=_("inspected units"), blank=True, related_name="+"
    )
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows up"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-on", "-pk"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.code} {self.subject}"


class Finding(models.Model):
    """A problem an inspection found (督查发现问题); it always opens a rectification."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        GENERAL = "general", _("General")
        SERIOUS = "serious", _("Serious")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(
        _("kind of problem"),
        max_length=60,
        help_text=_("Findings of the same kind at the same place or unit are counted as repeats."),
    )
    description = models.TextField(_("description"))
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default="general"
    )
    # A finding marked as a problem turns its task red while it is open.
    is_problem = models.BooleanField(_("a problem for the task's light"), default=True)
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    place = models.ForeignKey(
        "org.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="findings",
    )
    photos = models.JSONField(_("photos"), default=list, blank=True)
    found_at = models.DateTimeField(_("found"))
    repeat_count = models.PositiveSmallIntegerField(_("times found unrectified"), default=0)
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )

    class Meta:
        ordering = ["-found_at", "-pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [models.Index(fields=["kind", "unit"])]

    def __str__(self) -> str:
        return f"{self.kind}：{self.description[:30]}"


class Rectification(models.Model):
    """整改: immediately, by a deadline, or by a plan; closed only by a passed re-inspection."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DEADLINE = "deadline", _("By a deadline")
        PLAN = "plan", _("By a plan")

    class State(models.TextChoices):
        OPEN = "open", _("Being rectified")
        SUBMITTED = "submitted", _("Awaiting re-inspection")
        CLOSED = "closed", _("Rectified")

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="rectification")
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("rectifying unit"), on_delete=models.PROTECT, related_name="+"
    )
    due = models.DateField(_("time limit"))
    plan = models.TextField(_("rectification plan"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    report = models.TextField(_("rectification report"), blank=True)
    failed_reinspections = models.PositiveSmallIntegerField(_("failed re-inspections"), default=0)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        indexes = [models.Index(fields=["state", "due"])]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.due} {self.state}"


class Escalation(models.Model):
    """What a repeated failure leads to: proposed by the system, decided by a supervisor.
    Confirmed deductions are what the assessment module reads."""

    class Kind(models.TextChoices):
        SUMMONS = "summons", _("Summons (约谈)")
        CRITICISM = "criticism", _("Notice of criticism (通报批评)")
        DEDUCTION = "deduction", _("Assessment deduction")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="escalations")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="proposed")
    points = models.DecimalField(
        _("deduction points"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reason = models.TextField(_("reason"))
    proposed_at = models.DateTimeField(_("proposed"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["finding", "kind"], name="one_escalation_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit_id} {self.state}"


class LetterSeries(models.Model):
    """Who issues urging letters and how they are numbered: 济源督〔2026〕12号."""

    issuer = models.OneToOneField(
        "org.Unit", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="+"
    )
    prefix = models.CharField(_("number prefix"), max_length=20)
    signature = models.CharField(_("signed as"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("letter series")
        verbose_name_plural = _("letter series")

    def __str__(self) -> str:
        return self.prefix


class UrgingLetter(models.Model):
    """催办函: the overdue items of one unit, numbered per issuer and year, tracked until
    answered. An unanswered letter past its answer date turns its tasks red."""

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        RECEIVED = "received", _("Received")
        ANSWERED = "answered", _("Answered")

    series = models.ForeignKey(LetterSeries, on_delete=models.PROTECT, related_name="letters")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    addressee = models.ForeignKey(
        "org.Unit", verbose_name=_("addressee"), on_delete=models.PROTECT, related_name="letters"
    )
    subject = models.CharField(_("subject"), max_length=200)
    # The items as they stood when the letter was written: a letter is a document and does
    # not change when the tasks move on.
    items = models.JSONField(_("items"), default=list)
    tasks = models.ManyToManyField(Task, blank=True, related_name="letters")
    rectifications = models.ManyToManyField(Rectification, blank=True, related_name="letters")
    answer_due = models.DateField(_("answer due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="sent")
    sent_at = models.DateTimeField(_("sent"))
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("urging letter")
        verbose_name_plural = _("urging letters")
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "number"], name="letter_number")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.series.prefix}〔{self.year}〕{self.number}号"


class SupervisionEvent(EventBase):
    """One step in supervision: on a task, a finding (and its rectification) or a letter."""

    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    letter = models.ForeignKey(
        UrgingLetter, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(EventBase.Meta):
        verbose_name = _("supervision event")
        verbose_name_plural = _("supervision events")
        indexes = [models.Index(fields=["verb", "at"])]
