"""Projects' tables: types with their stages and acceptance checklists, projects, work items
and the quantity reports that add to them, opinion gathering before works, inspections
during works (rows pointing at supervision's inspections) and acceptances after works.

Progress is never typed: a work item's ``done`` is the sum of its quantity reports and a
project's ``progress`` is the weighted share of its items done; both are stored on the row
only by :mod:`cityloop.projects.workflow`, together with the report that changed them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityloop.core.models import EventBase


class ProjectType(models.Model):
    """道路改造, 老旧小区改造, 口袋公园, 招商引资 … with the stages a project of the type goes
    through and the checklist its acceptance ticks. Seeded by migration; an admin adds more.

    ``stages`` is a list of ``{"code", "name"}`` in order; the last stage means complete.
    ``acceptance_stage`` names the stage a passed acceptance ends (blank: the type has no
    acceptance, as an investment project); the last stage is then reached only through a
    passed acceptance.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    stages = models.JSONField(_("stages"), default=list)
    acceptance_stage = models.CharField(_("acceptance stage"), max_length=30, blank=True)
    checklist = models.JSONField(_("acceptance checklist"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("project type")
        verbose_name_plural = _("project types")

    def __str__(self) -> str:
        return self.name

    @property
    def stage_codes(self) -> list[str]:
        return [s["code"] for s in self.stages]

    def stage_name(self, code: str) -> str:
        return next((s["name"] for s in self.stages if s["code"] == code), code)

    @property
    def final_stage(self) -> str:
        return self.stages[-1]["code"] if self.stages else ""


class Project(models.Model):
    """A renovation, a road, a park, a drainage scheme, an investment project."""

    class State(models.TextChoices):
        ACTIVE = "active", _("In progress")
        COMPLETE = "complete", _("Complete")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.ForeignKey(ProjectType, verbose_name=_("type"), on_delete=models.PROTECT)
    stage = models.CharField(_("stage"), max_length=30)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="active")
    responsible_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    supervising_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("supervising unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_projects",
    )
    places = models.ManyToManyField("org.Place", verbose_name=_("places"), blank=True)
    zones = models.ManyToManyField("org.Zone", verbose_name=_("zones"), blank=True)
    budget = models.DecimalField(
        _("budget / investment (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    area = models.DecimalField(
        _("area (m²)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    contractor = models.CharField(_("contractor"), max_length=100, blank=True)
    enterprise = models.CharField(_("enterprise"), max_length=100, blank=True)
    leader = models.ForeignKey(
        "org.Person",
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_projects",
    )
    coordinator = models.ForeignKey(
        "org.Person",
        verbose_name=_("coordinator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coordinated_projects",
    )
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # A supervision task whose progress this project drives (the task's reports come from
    # here, so the figure is never typed twice).
    task = models.OneToOneField(
        "supervision.Task",
        verbose_name=_("supervision task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="project",
    )
    # Derived from the work items; written by the workflow with the report that moved it.
    progress = models.DecimalField(_("progress (%)"), max_digits=5, decimal_places=1, default=0)
    last_report_on = models.DateField(_("last quantity report"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [models.Index(fields=["state", "stage"])]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gte=F("start")), name="project_dates"),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="project_budget"
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__gte=0), name="project_area"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def stage_name(self) -> str:
        return self.type.stage_name(self.stage)


class ProjectMilestone(models.Model):
    """A dated step of a project (节点), usually from a backward schedule (倒排工期)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
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
        verbose_name = _("project milestone")
        verbose_name_plural = _("project milestones")

    def __str__(self) -> str:
        return f"{self.title} {self.due}"


class WorkItem(models.Model):
    """工程量: 拆除防盗网 1680 个. ``done`` is the sum of the item's quantity reports."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=100)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=20)
    planned = models.DecimalField(_("planned quantity"), max_digits=14, decimal_places=3)
    done = models.DecimalField(_("done quantity"), max_digits=14, decimal_places=3, default=0)
    # How much the item counts in the project's progress (e.g. its share of the cost); 0 keeps
    # an item for the record without moving the percent.
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=3, default=1)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="work_item_name"),
            models.CheckConstraint(condition=Q(planned__gt=0), name="work_item_planned"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="work_item_weight"),
            models.CheckConstraint(condition=Q(done__gte=0), name="work_item_done"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.planned}{self.unit_of_measure}"

    @property
    def share(self) -> float:
        """Done over planned, capped at 1 (over-delivery does not hide a lagging item)."""
        return min(1.0, float(self.done) / float(self.planned)) if self.planned else 0.0


class QuantityReport(models.Model):
    """A quantity done on a day for one work item, with its evidence photos. A negative
    quantity corrects an earlier report (history is not edited)."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="reports")
    on = models.DateField(_("as of"))
    at = models.DateTimeField(_("reported at"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    note = models.TextField(_("note"), blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reporter_label = models.CharField(_("reported by"), max_length=100, blank=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("quantity report")
        verbose_name_plural = _("quantity reports")
        indexes = [models.Index(fields=["item", "on"])]

    def __str__(self) -> str:
        return f"{self.item.name} {self.on} {self.quantity}"


class RequestKind(models.Model):
    """What residents ask for (停车, 绿化, 照明 …): how requests are counted. Seeded."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("kind of request")
        verbose_name_plural = _("kinds of request")

    def __str__(self) -> str:
        return self.name


class DesignItem(models.Model):
    """An item of the design list (改造内容清单), made from residents' requests."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="design_items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    kind = models.ForeignKey(
        RequestKind, verbose_name=_("kind"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("design list item")
        verbose_name_plural = _("design list items")

    def __str__(self) -> str:
        return self.title


class Opinion(models.Model):
    """One round of opinion gathering before works: a door-to-door visit, phone calls or a
    小板凳恳谈会 meeting, with how many people it reached."""

    class Method(models.TextChoices):
        VISIT = "visit", _("Door-to-door visit")
        CALL = "call", _("Phone call")
        MEETING = "meeting", _("Small-stool meeting (小板凳恳谈会)")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="opinions")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    on = models.DateField(_("date"))
    people_reached = models.PositiveIntegerField(_("people reached"))
    place = models.ForeignKey(
        "org.Place", verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT
    )
    summary = models.TextField(_("summary"), blank=True)
    at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("opinion gathering")
        verbose_name_plural = _("opinion gatherings")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.on}"


class ResidentRequest(models.Model):
    """What residents asked for at one gathering, counted by kind; adopted into the design
    list or not."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="requests")
    kind = models.ForeignKey(RequestKind, verbose_name=_("kind"), on_delete=models.PROTECT)
    text = models.CharField(_("request"), max_length=300)
    people = models.PositiveIntegerField(_("people asking"), default=1)
    design_item = models.ForeignKey(
        DesignItem,
        verbose_name=_("design list item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("resident request")
        verbose_name_plural = _("resident requests")
        constraints = [models.CheckConstraint(condition=Q(people__gte=1), name="request_people")]

    def __str__(self) -> str:
        return self.text


class ProjectInspection(models.Model):
    """A quality or safety inspection during works: a supervision inspection (so findings,
    rectifications and re-inspections run through supervision's chain) tied to a project."""

    class Kind(models.TextChoices):
        QUALITY = "quality", _("Quality")
        SAFETY = "safety", _("Safety")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="inspections")
    inspection = models.OneToOneField(
        "supervision.Inspection", on_delete=models.CASCADE, related_name="project_link"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["-inspection__on", "-pk"]
        verbose_name = _("project inspection")
        verbose_name_plural = _("project inspections")

    def __str__(self) -> str:
        return f"{self.project.code} {self.kind} {self.inspection.on}"


class Acceptance(models.Model):
    """验收: one round, with the units taking part, the checklist as ticked and the result.
    A failed round's open points are findings of its own supervision inspection, so they are
    rectified through supervision; the next round re-inspects them."""

    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="acceptances")
    round = models.PositiveSmallIntegerField(_("round"))
    on = models.DateField(_("date"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    units = models.ManyToManyField(
        "org.Unit", verbose_name=_("participating units"), blank=True, related_name="+"
    )
    checks = models.JSONField(_("checklist"), default=list, blank=True)  # [{item, ok, note}]
    open_points = models.JSONField(_("open points"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    inspection = models.OneToOneField(
        "supervision.Inspection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acceptance",
    )
    at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["project", "round"]
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        constraints = [
            models.UniqueConstraint(fields=["project", "round"], name="acceptance_round")
        ]

    def __str__(self) -> str:
        return f"{self.project.code} #{self.round} {self.result}"


class ProjectEvent(EventBase):
    """One step of a project: created, stage moved, quantities reported, opinions, inspections,
    acceptances, linked to a task."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        verbose_name = _("project event")
        verbose_name_plural = _("project events")
        indexes = [models.Index(fields=["verb", "at"])]
